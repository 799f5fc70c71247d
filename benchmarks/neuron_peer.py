"""Our propagation solver against NEURON's fixed-step solver on the same cable, and the axon configs' renders.

    python benchmarks/neuron_peer.py            # about 2 minutes on 2 cores; rewrites its section of RESULTS.md
    python benchmarks/neuron_peer.py --no-write # print only

The cable is configs/axon_squid.yaml's (HH 1952 squid axon, 476 µm, 25 mm, 18.5 °C) with our compartments
as NEURON's nseg and our time step as its dt. NEURON runs Crank–Nicolson (`secondorder = 2`, second order,
like our TR-BDF2) and backward Euler (`secondorder = 0`, its default, first order); `usetable_hh = 0` so both
evaluate the same rate formulas. Accuracy is the velocity between the recording sites and the peak there,
against a reference run of NEURON's Crank–Nicolson at a quarter of the step. Times: the simulation alone
(median of 5 in one process, the solvers interleaved), the whole process (Python start-up, imports, build,
run: median of 5 fresh processes), and `apsim-batch run --force` of each axon config (one run each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- BEGIN benchmarks/neuron_peer.py: rewritten by every run -->"
END = "<!-- END benchmarks/neuron_peer.py -->"
CONFIG = ROOT / "configs" / "axon_squid.yaml"
RENDERED = ("axon_squid", "axon_unmyelinated_10um", "axon_myelinated_10um")
REPEATS = 5


def experiment():
    from apsim_batch.api import load_config

    return load_config(CONFIG).config.waveform


def ours(dt_us: float | None = None) -> tuple[float, float, list[float]]:
    """(seconds, velocity between the sites, peaks at the sites) of our solver."""
    from apsim_batch.trace.axon import simulate_axon

    exp = experiment()
    if dt_us is not None:
        exp = exp.model_copy(update={"time_step_us": dt_us})
    start = time.perf_counter()
    result = simulate_axon(exp)
    seconds = time.perf_counter() - start
    a, b = result.sites[0], result.sites[-1]
    return seconds, (b.recorded_mm - a.recorded_mm) / (b.arrival_ms - a.arrival_ms), [s.peak_mv for s in result.sites]


def neuron(order: int, dt_us: float) -> tuple[float, float, list[float]]:
    """(seconds of finitialize + continuerun, velocity between the sites, peaks) of NEURON on the same cable."""
    import numpy as np
    from neuron import h

    from apsim_batch.trace.axon import build_cable
    from apsim_batch.trace.hodgkin_huxley import resting_potential

    h.load_file("stdrun.hoc")
    for section in list(h.allsec()):
        h.delete_section(sec=section)
    exp = experiment()
    membrane = exp.membrane
    cable = build_cable(exp)
    n = len(cable.center_um)
    section = h.Section(name="axon")
    section.L, section.diam, section.nseg, section.Ra = (
        exp.length_mm * 1000,
        exp.diameter_um,
        n,
        exp.axial_resistivity_ohm_cm,
    )
    section.insert("hh")
    section.cm = membrane.capacitance_uf_per_cm2
    for seg in section:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = (
            membrane.g_na_ms_per_cm2 / 1000, membrane.g_k_ms_per_cm2 / 1000, membrane.g_leak_ms_per_cm2 / 1000,
        )  # fmt: skip
        seg.hh.el, seg.ena, seg.ek = membrane.e_leak_mv, membrane.e_na_mv, membrane.e_k_mv
    h.usetable_hh = 0
    h.celsius = exp.temperature_c
    pulse = exp.stimulus.pulses[0]
    electrode = h.IClamp(section(0.5 / n))
    electrode.delay, electrode.dur, electrode.amp = pulse.onset_ms, pulse.duration_ms, pulse.amplitude_na
    sites = exp.recording_sites_mm
    at = [(int(np.argmin(np.abs(cable.center_um - s * 1000))) + 0.5) / n for s in sites]
    t_vec = h.Vector().record(h._ref_t)
    traces = [h.Vector().record(section(x)._ref_v) for x in at]
    h.dt, h.secondorder = dt_us / 1000, order
    start = time.perf_counter()
    h.finitialize(resting_potential(membrane))
    h.continuerun(exp.duration_ms)
    seconds = time.perf_counter() - start
    t = np.array(t_vec)

    def arrival(v):
        i = int(np.flatnonzero((v[:-1] < -20) & (v[1:] >= -20))[0])
        return t[i] + (-20 - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])

    v0, v1 = np.array(traces[0]), np.array(traces[-1])
    velocity = (at[-1] - at[0]) * exp.length_mm / (arrival(v1) - arrival(v0))
    return seconds, float(velocity), [float(np.array(v).max()) for v in traces]


def whole_process(code: str) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_s(name: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        command = [sys.executable, "-m", "apsim_batch", "run", f"configs/{name}.yaml", "--force", "--out", out]
        subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
        return time.perf_counter() - start


def run() -> str:
    dt = experiment().time_step_us
    reference = neuron(2, dt / 4)
    solvers = {
        "apsim-batch (TR-BDF2)": lambda: ours(),
        "NEURON Crank–Nicolson (secondorder=2)": lambda: neuron(2, dt),
        "NEURON backward Euler (secondorder=0, its default)": lambda: neuron(0, dt),
        # first order: its error at dt is ~15x ours; an eighth of the step brings it near our accuracy
        f"NEURON backward Euler at dt/8 = {dt / 8:g} µs": lambda: neuron(0, dt / 8),
    }
    runs: dict[str, list] = {label: [] for label in solvers}
    for _ in range(REPEATS):  # interleaved, so a change in the machine's load touches every solver alike
        for label, measure in solvers.items():
            runs[label].append(measure())
    rows = []
    for label, found in runs.items():
        seconds = statistics.median(r[0] for r in found)
        _, velocity, peaks = found[0]
        dv = abs(velocity - reference[1]) / reference[1]
        dpeak = max(abs(a - b) for a, b in zip(peaks, reference[2], strict=True))
        rows.append(f"| {label} | {seconds:.3f} s | {velocity:.4f} m/s | {dv:.1e} | {dpeak:.3f} mV |")
    here = f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import neuron_peer as p"
    ours_process = whole_process(f"{here}; p.ours()")
    neuron_process = whole_process(f"{here}; p.neuron(2, {dt})")
    renders = [f"| `configs/{name}.yaml` | {render_s(name):.1f} s |" for name in RENDERED]
    from apsim_batch.trace.axon import build_cable

    compartments = len(build_cable(experiment()).center_um)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join(
        [
            "## Propagation against NEURON (benchmarks/neuron_peer.py)",
            "",
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at the end: {load:.2f} on"
            f" {os.cpu_count()} cores (other work on the machine makes every time pessimistic)",
            f"- cable: configs/axon_squid.yaml, {compartments} compartments, dt {dt:g} µs, {experiment().duration_ms:g}"
            " ms; reference: NEURON Crank–Nicolson at dt/4",
            "",
            "| solver | simulation alone (median of 5) | velocity 5–20 mm | velocity error | largest peak error |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            "| whole process (start-up, imports, build, run; median of 5) | time |",
            "| --- | --- |",
            f"| apsim-batch: `simulate_axon` | {ours_process:.2f} s |",
            f"| NEURON Crank–Nicolson | {neuron_process:.2f} s |",
            "",
            "| render, `apsim-batch run --force` (gif, mp4, png, csv) | wall time |",
            "| --- | --- |",
            *renders,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Our cable solver against NEURON's, and the axon renders.")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave benchmarks/RESULTS.md alone.")
    args = parser.parse_args()
    section = run()
    print(section)
    if not args.no_write:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from run import write_results  # one way to rewrite a marked section of RESULTS.md

        write_results(section, BEGIN, END)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
