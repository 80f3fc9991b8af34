"""The building blocks every part of the model file shares: strict classes and checked numbers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    """Unknown fields are refused and instances are frozen: a hand edit that breaks the file is
    reported with its field path."""

    model_config = ConfigDict(extra="forbid", frozen=True)
