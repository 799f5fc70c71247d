"""Gallery cards: what one render's card shows (media, text alternative, parameters, links); cards.html.j2 draws it."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..names import MANIFEST
from ..trace.models import MODELS
from .formats import FORMATS

# Unit suffixes of field names, shown after values ("resting_mv" -> "-70 mV").
_UNITS = (
    ("_ua_per_cm2", "µA/cm²"),
    ("_ms_per_cm2", "mS/cm²"),
    ("_uf_per_cm2", "µF/cm²"),
    ("_mv", "mV"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_px", "px"),
    ("_pt", "pt"),
    ("_c", "°C"),
    ("_hz", "Hz"),
)
_LINKS = tuple((name, FORMATS[name].label) for name in ("gif", "mp4", "png", "vtt", "csv"))  # in a card's order
_HIDDEN_PARAMETERS = {"label", "samples", "smoothing"}
_FIRST_PARAMETERS = ("model", "resting_mv", "duration_ms")
_KEY_PARAMETERS = {"model", "resting", "duration", "temperature"}
# The measurements a card shows; the rest (times of events) fold away under "more".
# Per-spike values are the first spike's (the manifest lists every spike).
KEY_MEASUREMENTS = (
    "spike_count",
    "firing_rate_hz",
    "threshold_mv",
    "peak_mv",
    "amplitude_mv",
    "half_width_ms",
    "ahp_min_mv",
)
_THRESHOLD_KEYS = ("threshold_mv", "threshold_time_ms")
_NO_THRESHOLD = "none: a Gaussian shape has no threshold"
_SPIKE_COLUMNS = {
    "threshold_mv": "threshold",
    "peak_mv": "peak",
    "half_width_ms": "half width",
    "ahp_min_mv": "AHP min",
    "isi_ms": "ISI",
}


def href(path: str) -> str:
    """A relative URL for a path inside the outputs folder (each segment percent-encoded)."""
    return quote(path, safe="/")


def _split_unit(key: str) -> tuple[str, str]:
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)], unit
    return key, ""


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def shown(key: str, value: Any) -> tuple[str, str]:
    """('resting', '-70 mV') for ('resting_mv', -70)."""
    label, unit = _split_unit(key)
    if value is None:
        return label.replace("_", " "), "—"
    return label.replace("_", " "), f"{number(value)} {unit}".strip()


def key_parameters(parameters: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the parameters worth a glance, the rest): the waveform's main scalars, each component or pulse, fps."""
    key: list[tuple[str, str]] = []
    more: list[tuple[str, str]] = []
    waveform = parameters.get("waveform")
    if isinstance(waveform, Mapping):
        for label, text, is_item in _flatten(waveform, ""):
            (key if is_item or label in _KEY_PARAMETERS else more).append((label, text))
    animation = parameters.get("animation")
    if isinstance(animation, Mapping) and "fps" in animation:
        key.append(shown("fps", animation["fps"]))
    return key, more


def _flatten(block: Mapping[str, Any], prefix: str) -> list[tuple[str, str, bool]]:
    """(label, value with unit, is a list item): scalars, one line per list item, nested blocks prefixed."""
    first = [k for k in _FIRST_PARAMETERS if k in block]
    found: list[tuple[str, str, bool]] = []
    for key in [*first, *(k for k in block if k not in _FIRST_PARAMETERS)]:
        value = block[key]
        if key in _HIDDEN_PARAMETERS or value is None:
            continue
        if isinstance(value, Mapping):
            found += _flatten(value, f"{prefix}{key} ")
        elif isinstance(value, list):
            singular = key[:-1] if key.endswith("s") else key
            items = [item for item in value if isinstance(item, Mapping)]
            found += [(*_component(f"{singular} {i + 1}", item), True) for i, item in enumerate(items)]
        else:
            label, text = shown(key, value)
            found.append((prefix + label, text, False))
    return found


def _component(fallback: str, item: Mapping[str, Any]) -> tuple[str, str]:
    name = str(item.get("label") or fallback)
    parts = [" ".join(shown(k, v)) for k, v in item.items() if k != "label" and v is not None]
    return name, ", ".join(parts)


def _without_threshold(manifest: Mapping[str, Any]) -> bool:
    """The render's model measures no threshold (a Gaussian: a drawn shape); an unknown model is not assumed to."""
    parameters = manifest.get("parameters")
    waveform = parameters.get("waveform") if isinstance(parameters, Mapping) else None
    model = MODELS.get(waveform.get("model", "gaussian")) if isinstance(waveform, Mapping) else None
    return model is not None and not model.threshold


def scalar_measurements(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's whole-trace and first-spike values; a Gaussian's (null) threshold left out."""
    found = manifest.get("measurements")
    if not isinstance(found, Mapping):
        return {}
    skip = (*_THRESHOLD_KEYS, "stimulus") if _without_threshold(manifest) else ()
    return {k: v for k, v in found.items() if not isinstance(v, (Mapping, list)) and k not in skip}


def measurement_lists(manifest: Mapping[str, Any]) -> dict[str, Any] | None:
    """The card's measurements: key lines, the rest (folded away) and every spike's table; None without any."""
    scalars = scalar_measurements(manifest)
    if not scalars:
        return None
    key = [shown(k, scalars[k]) for k in KEY_MEASUREMENTS if k in scalars]
    if _without_threshold(manifest):
        key.insert(min(2, len(key)), ("threshold", _NO_THRESHOLD))
    refractory = manifest.get("refractory")
    if isinstance(refractory, Mapping):
        key += [shown(f"{k}_refractory_ms", refractory.get(f"{k}_ms")) for k in ("absolute", "relative")]
    more = [shown(k, v) for k, v in scalars.items() if k not in KEY_MEASUREMENTS]
    if not key:
        key, more = more, []
    return {"key": key, "more": more, "spikes": spike_table(manifest)}


def spike_table(manifest: Mapping[str, Any]) -> dict[str, Any] | None:
    """Every spike's values, when there is more than one (the lines above are the first spike's)."""
    found = manifest.get("measurements")
    spikes = found.get("spikes") if isinstance(found, Mapping) else None
    if not isinstance(spikes, list) or len(spikes) < 2:
        return None
    columns = [c for c in _SPIKE_COLUMNS if not (c == "threshold_mv" and _without_threshold(manifest))]
    head = ["spike", *(f"{_SPIKE_COLUMNS[c]} ({_split_unit(c)[1]})" for c in columns)]
    body = [
        [str(k + 1), *("—" if s.get(c) is None else number(s.get(c)) for c in columns)]
        for k, s in enumerate(spikes)
        if isinstance(s, Mapping)
    ]
    return {"head": head, "body": body, "count": len(spikes)}


def files_by_format(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    records = manifest.get("files")
    if not isinstance(records, list):
        return {}
    return {r["format"]: r for r in records if isinstance(r, Mapping) and "format" in r and "path" in r}


def variant_of(manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    variant = manifest.get("variant")
    return variant if isinstance(variant, Mapping) and variant.get("set_name") else None


def answers_hidden(manifest: Mapping[str, Any], teacher: bool) -> bool:
    """A student set's parameters and measurements are its answers; other sets are lecture figures."""
    variant = variant_of(manifest)
    return variant is not None and variant.get("student", True) is not False and not teacher


# --- the text alternative ------------------------------------------------------------------------


def describe(manifest: Mapping[str, Any], teacher: bool) -> str:
    """What the animation shows, in words, from the render itself: model, stimulus, spikes (and, for
    teachers, the key measurements). A student set's card says only that it is a voltage trace."""
    if answers_hidden(manifest, teacher):
        return "A membrane voltage trace, drawn from left to right over time; measure it from the figure."
    parameters = manifest.get("parameters") if isinstance(manifest.get("parameters"), Mapping) else {}
    waveform = parameters.get("waveform") if isinstance(parameters.get("waveform"), Mapping) else {}
    name = str(waveform.get("model", "gaussian"))
    model = MODELS.get(name)
    title = model.title if model is not None else name
    duration = waveform.get("duration_ms")  # an experiment's duration follows from its protocol: not stored
    parts = [f"{title}: membrane voltage" + (f" over {number(duration)} ms" if duration is not None else "")]
    if model is not None and model.stimulated:
        parts.append(_stimulus(waveform))
    elif "components" in waveform:  # a drawn shape: say what it is built from
        parts.append(_components(waveform))
    spikes = spike_count(manifest) if model is None or "spike_count" in model.measurements else None
    if spikes is not None:
        parts.append(f"{spikes} action potential{'s' * (spikes != 1)}")
    sentence = "; ".join(p for p in parts if p) + "."
    if teacher:
        scalars = scalar_measurements(manifest)
        shown_keys = [k for k in KEY_MEASUREMENTS if k != "spike_count" and scalars.get(k) is not None]
        measured = [" ".join(shown(k, scalars[k])) for k in shown_keys]
        if measured:
            sentence += " Measured: " + ", ".join(measured) + "."
    return sentence


def _stimulus(waveform: Mapping[str, Any]) -> str:
    stimulus = waveform.get("stimulus") if isinstance(waveform.get("stimulus"), Mapping) else {}
    found = []
    for pulse in stimulus.get("pulses") or []:
        if isinstance(pulse, Mapping):
            found.append(
                f"a pulse of {_amplitude(pulse)} at {number(pulse.get('onset_ms'))} ms"
                + (f" for {number(pulse['duration_ms'])} ms" if pulse.get("duration_ms") is not None else "")
            )
    step = stimulus.get("step")
    if isinstance(step, Mapping):
        amplitude, onset = number(step.get("amplitude_ua_per_cm2")), number(step.get("onset_ms"))
        found.append(f"a sustained step of {amplitude} µA/cm² from {onset} ms")
    return "stimulus: " + ", ".join(found) if found else "no stimulus"


def _amplitude(pulse: Mapping[str, Any]) -> str:
    """A pulse's size in its own unit: a density for a patch of membrane, a current for an axon's electrode."""
    if pulse.get("amplitude_na") is not None:
        return f"{number(pulse['amplitude_na'])} nA"
    return f"{number(pulse.get('amplitude_ua_per_cm2'))} µA/cm²"


def _components(waveform: Mapping[str, Any]) -> str:
    items = [c for c in waveform.get("components") or [] if isinstance(c, Mapping)]
    named = [str(c.get("label") or f"component {i + 1}") for i, c in enumerate(items)]
    return f"built from {len(items)} Gaussian component{'s' * (len(items) != 1)}" + (
        f" ({', '.join(named)})" if named else ""
    )


def spike_count(manifest: Mapping[str, Any]) -> int | None:
    """The measured spike count, or the number of spikes the phases belong to (older manifests)."""
    count = scalar_measurements(manifest).get("spike_count")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    found = manifest.get("phases")
    if not isinstance(found, list):
        return None
    return len({p.get("spike") for p in found if isinstance(p, Mapping) and isinstance(p.get("spike"), int)})


# --- media and the card -------------------------------------------------------------------------


def captions_uri(vtt: Mapping[str, Any] | None, captions: Mapping[str, str]) -> str | None:
    """The captions track as a data: URI (a page opened from disk may not load a track file, since
    file: URLs are unique origins); `captions` maps VTT paths to their text. None without captions."""
    if not vtt or vtt["path"] not in captions:
        return None
    return "data:text/vtt;base64," + base64.b64encode(captions[vtt["path"]].encode("utf-8")).decode("ascii")


def pixel_size(record: Mapping[str, Any]) -> tuple[int, int] | None:
    width, height = record.get("width"), record.get("height")
    return (width, height) if isinstance(width, int) and isinstance(height, int) else None


def card_view(manifest: Mapping[str, Any], teacher: bool, uid: str) -> dict[str, Any]:
    """What one render's card shows (see cards.html.j2); a student set's card leaves its answers out."""
    name = str(manifest.get("name", "?"))
    parameters = manifest.get("parameters") if isinstance(manifest.get("parameters"), Mapping) else {}
    title = str(parameters.get("title") or name)
    files = files_by_format(manifest)
    variant = variant_of(manifest)
    hidden = answers_hidden(manifest, teacher)
    # The trace of a student set's variant is an answer too (handouts leave it out, see answers.py).
    links = [(files[fmt]["path"], label) for fmt, label in _LINKS if fmt in files and not (hidden and fmt == "csv")]
    if not hidden:
        links.append((f"{name}/{MANIFEST}", "manifest"))
    values = variant.get("values") if variant is not None and teacher else None
    key, more = key_parameters(parameters) if not hidden else ([], [])
    notes = manifest.get("notes") if not hidden and isinstance(manifest.get("notes"), list) else []
    return {
        "uid": uid,
        "name": name,
        "title": title,
        "search": f"{name} {title}".lower(),
        "files": files,
        "hidden": hidden,
        "describe": describe(manifest, teacher),
        "config": manifest.get("config") if not hidden else None,
        "varied": [(k, number(v)) for k, v in values.items()] if isinstance(values, Mapping) else [],
        "key_parameters": key,
        "more_parameters": more,
        "measurements": measurement_lists(manifest) if not hidden else None,
        "notes": notes,
        "links": links,
    }
