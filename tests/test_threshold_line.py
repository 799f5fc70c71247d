"""The threshold line: drawn and named where threshold is the lesson, never in a handout."""

from __future__ import annotations

import numpy as np
import pytest

from apsim_batch import load_config
from apsim_batch.config.variants import student_plot
from apsim_batch.figure.layout import draw_parts
from apsim_batch.figure.threshold_line import THRESHOLD_LINE
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS


def threshold_rows(image: np.ndarray) -> np.ndarray:
    """Rows where a dark grey (the line's, split over two rows) runs across over a third of the frame.

    The 0 mV line (black at half opacity, 127) and the rest line (lighter) are not that grey.
    """
    rgb = image.astype(int)
    grey = (np.ptp(rgb, axis=2) <= 12) & (rgb.min(axis=2) >= 56) & (rgb.max(axis=2) <= 112)  # over a tint too
    return np.flatnonzero(grey.sum(axis=1) > image.shape[1] / 3)


@pytest.mark.parametrize("name", ["subthreshold", "hh_threshold"])
def test_threshold_lessons_draw_a_named_line_at_their_level(name):
    config = load_config(CONFIGS / f"{name}.yaml").config
    level = config.plot.threshold_line_mv
    assert level is not None and THRESHOLD_LINE == "#404040"
    parts, image, _ = draw_parts(config, analyze(config))
    row = parts.fig.bbox.height - parts.voltage.transData.transform((0, level))[1]
    rows = threshold_rows(image)
    assert len(rows) and np.abs(rows - row).min() <= 1.5  # the line is drawn where the config puts it
    names = [t for t in parts.voltage.texts if t.get_text().startswith("threshold ")]
    assert [t.get_text() for t in names] == [f"threshold \u2212{abs(level):g} mV"]


def test_no_threshold_line_unless_asked_or_in_a_handout():
    config = load_config(CONFIGS / "hh_threshold.yaml").config
    assert "threshold_line_mv" not in student_plot(config.plot.model_dump())
    plain = load_config(CONFIGS / "classic.yaml").config
    _, image, _ = draw_parts(plain, analyze(plain))
    assert not len(threshold_rows(image))
