"""Redraw the pictures the README and the docs pages show, from the shipped configs, with this version.

    .venv/bin/python docs/redraw_pictures.py

Writes docs/classic.png (the README's first picture), docs/hh_classic_after.png and
docs/hh_threshold_after.png (the figures page) and docs/hh_annotated_frame.png: the GIF frame of
configs/hh_classic.yaml half a millisecond after the peak, decoded from the real GIF. The
`*_before.png` pictures show an older version on purpose and are never redrawn. The site's own
gallery of shipped figures is rendered at build time by docs/hooks.py.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import imageio.v3 as iio
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
POSTERS = {"classic": "classic.png", "hh_classic": "hh_classic_after.png", "hh_threshold": "hh_threshold_after.png"}
FRAME_AFTER_PEAK_MS = 0.5  # the annotated frame: every readout and the rising and falling phases on screen


def main() -> int:
    from apsim_batch import load_config, render
    from apsim_batch.figure.pacing import schedule
    from apsim_batch.trace.models import analyze

    out = Path(tempfile.mkdtemp(prefix="apsim-batch-pictures-"))
    try:
        for name, picture in POSTERS.items():
            result = render(ROOT / "configs" / f"{name}.yaml", out=out, formats=["png"])
            shutil.copyfile(result.files["png"], DOCS / picture)
            print(f"docs/{picture} <- configs/{name}.yaml")
        config = load_config(ROOT / "configs" / "hh_classic.yaml").config
        gif = render(config, out=out, formats=["gif"]).files["gif"]
        analysis = analyze(config)
        wanted_ms = analysis.measurements.spikes[0].peak_time_ms + FRAME_AFTER_PEAK_MS
        shown_ms = analysis.trace.time_ms[schedule(config, analysis).counts - 1]
        frame = int(np.searchsorted(shown_ms, wanted_ms)) + 1  # the GIF opens on its poster frame
        iio.imwrite(DOCS / "hh_annotated_frame.png", iio.imread(gif, index=frame)[..., :3])
        print(f"docs/hh_annotated_frame.png <- frame {frame} of hh_classic.gif ({shown_ms[frame - 1]:.2f} ms)")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
