"""The measured quantities as a student reads them: words and a unit for each answer-key column."""

from __future__ import annotations

from ..trace.features import RECOVERY_MV

# Words and a unit, never the column's name (that is key vocabulary).
LABELS = {
    "resting_mv": "Resting level",
    "spike_count": "Number of action potentials",
    "firing_rate_hz": "Firing rate",
    "threshold_mv": "Threshold of the first spike",
    "threshold_time_ms": "Time of the first spike's threshold",
    "peak_mv": "Peak of the first spike",
    "peak_time_ms": "Time of the first spike's peak",
    "amplitude_mv": "Amplitude of the first spike",
    "half_width_ms": "Half-width of the first spike",
    "ahp_min_mv": "Lowest voltage of the after-hyperpolarization",
    "ahp_time_ms": "Time of the lowest point of the after-hyperpolarization",
    "ahp_depth_mv": "Depth of the after-hyperpolarization below rest",
    "isi_ms": "Interval between the first two spikes",
    "recovery_time_ms": f"Time the membrane is back within {RECOVERY_MV:g} mV of rest after the AHP",
}
# Asked only when a set (variants.ask) or an export (--ask) names them, so an export of a set that names
# nothing asks what it asked before these existed.
NAMED_ONLY = ("recovery_time_ms",)
UNITS = {"_mv": "mV", "_ms": "ms", "_hz": "Hz", "_count": ""}


def unit_of(column: str) -> str:
    return next((unit for suffix, unit in UNITS.items() if column.endswith(suffix)), "")


def label_of(column: str) -> str:
    if column in LABELS:
        return LABELS[column]
    stem = column.rsplit("_", 1)[0] if unit_of(column) or column.endswith("_count") else column
    return stem.replace("_", " ").capitalize()
