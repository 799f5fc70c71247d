"""Writes cell.csv: a Hodgkin–Huxley neuron fired by two pulses, sampled at 20 kHz, plus amplifier noise (seeded)."""

from pathlib import Path

import numpy as np

from apsim_batch.config.models import HodgkinHuxleyWaveform
from apsim_batch.trace.waveform import hodgkin_huxley_trace

RATE_HZ = 20_000
NOISE_MV = 0.5


def main() -> None:
    waveform = HodgkinHuxleyWaveform.model_validate(
        {
            "model": "hodgkin_huxley",
            "duration_ms": 30.0,
            "samples": int(30.0 * RATE_HZ / 1000) + 1,
            "stimulus": {
                "pulses": [
                    {"onset_ms": 3, "duration_ms": 1, "amplitude_ua_per_cm2": 12},
                    {"onset_ms": 18, "duration_ms": 1, "amplitude_ua_per_cm2": 12},
                ]
            },
        }
    )
    clean = hodgkin_huxley_trace(waveform)
    noisy = clean.voltage_mv + np.random.default_rng(26).normal(0, NOISE_MV, clean.voltage_mv.size)
    rows = [f"{t:.2f},{v:.3f}" for t, v in zip(clean.time_ms, noisy, strict=True)]
    Path(__file__).with_name("cell.csv").write_text("time_ms,voltage_mv\n" + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
