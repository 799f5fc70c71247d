"""What every config model shares: strictness (frozen, no unknown keys, no NaN) and the millivolt type."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

MAX_SAMPLES = 200_000  # evenly spaced samples of one trace

Mv = Annotated[StrictFloat, Field(ge=-1000, le=1000)]


class StrictModel(BaseModel):
    """Frozen, strict about unknown keys, and no NaN or infinity anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=False)
