"""The model file format: plain data, validated strictly, no Spark and no code execution on load.

Every class forbids unknown fields and every number must be finite, so a hand edit that breaks the
file is reported with its field path instead of producing silently wrong data.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_NAME = "spark_synth.model"
SCHEMA_VERSION = 1

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
CategoryValue = Union[bool, int, FiniteFloat, str]
PROBABILITY_TOLERANCE = 1e-6
# Character classes of a Shape: class letter -> (first code point, how many).
CLASS_CHARS = {"A": (65, 26), "a": (97, 26), "9": (48, 10)}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_distribution(probabilities: list[float], what: str, total: float = 1.0) -> None:
    if probabilities and not math.isclose(sum(probabilities), total, abs_tol=PROBABILITY_TOLERANCE * 10):
        raise ValueError(f"{what} must sum to {total:g}, got {sum(probabilities):.8g}")


class QuantileFunction(Strict):
    """Monotone quantile function of the non-null values: Q(probabilities[i]) = values[i]."""

    probabilities: list[Probability] = Field(min_length=2)
    values: list[FiniteFloat] = Field(min_length=2)

    @model_validator(mode="after")
    def _monotone(self) -> "QuantileFunction":
        if len(self.probabilities) != len(self.values):
            raise ValueError("probabilities and values must have the same length")
        if self.probabilities[0] != 0.0 or self.probabilities[-1] != 1.0:
            raise ValueError("probabilities must start at 0 and end at 1")
        if any(b < a for a, b in zip(self.probabilities, self.probabilities[1:])):
            raise ValueError("probabilities must be non-decreasing")
        if any(b < a for a, b in zip(self.values, self.values[1:])):
            raise ValueError("values must be non-decreasing")
        return self


class ColumnBase(Strict):
    name: str = Field(min_length=1)
    spark_type: str = Field(description="Spark DataType as JSON, restores the source schema")
    nullable: bool = True
    null_fraction: Probability = 0.0


class NumericColumn(ColumnBase):
    """Continuous, integer, decimal and datetime columns: a quantile function between min and max."""

    kind: Literal["continuous", "integer", "decimal", "datetime"]
    quantiles: QuantileFunction
    min: FiniteFloat
    max: FiniteFloat
    decimal_places: int | None = Field(default=None, ge=0, le=38,
                                       description="round generated values to this many places")
    granularity: int = Field(default=1, ge=1,
                             description="integers/datetimes are multiples of this (in `unit`s)")
    unit: Literal["number", "microsecond", "day"] = "number"

    @model_validator(mode="after")
    def _range(self) -> "NumericColumn":
        if self.min > self.max:
            raise ValueError("min must be <= max")
        return self


class CharDistribution(Strict):
    """Probability of each character at one position of a shape."""

    chars: dict[str, Probability]

    @field_validator("chars")
    @classmethod
    def _single_chars(cls, chars: dict[str, float]) -> dict[str, float]:
        if any(len(c) != 1 for c in chars):
            raise ValueError("keys must be single characters")
        _check_distribution(list(chars.values()), "character probabilities")
        return chars


class Shape(Strict):
    """One character-class template, e.g. 'A9999' (A upper, a lower, 9 digit, else literal)."""

    shape: str = Field(min_length=1)
    probability: Probability
    positions: list[CharDistribution | None]
    prefix_length: int = Field(default=0, ge=0)
    prefixes: dict[str, Probability] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "Shape":
        if len(self.positions) != len(self.shape):
            raise ValueError(f"shape {self.shape!r} needs one position entry per character")
        if self.prefixes:
            if any(len(p) != self.prefix_length for p in self.prefixes):
                raise ValueError("every prefix must have prefix_length characters")
            _check_distribution(list(self.prefixes.values()), "prefix probabilities")
        return self


class PatternModel(Strict):
    shapes: list[Shape] = Field(min_length=1)

    @model_validator(mode="after")
    def _total(self) -> "PatternModel":
        _check_distribution([s.probability for s in self.shapes], "shape probabilities")
        return self


class CategoricalColumn(ColumnBase):
    """Categories (and booleans) kept only when seen at least `min_count` times in the real data.

    `other_probability` is the mass of the rare values; string columns draw it from `pattern`.
    """

    kind: Literal["categorical", "boolean"]
    values: list[CategoryValue]
    probabilities: list[Probability]
    other_probability: Probability = 0.0
    pattern: PatternModel | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "CategoricalColumn":
        if len(self.values) != len(self.probabilities):
            raise ValueError("values and probabilities must have the same length")
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError("values must be unique")
        if not self.values and self.other_probability == 0:
            raise ValueError("a categorical column needs values or other_probability > 0")
        _check_distribution(list(self.probabilities) + [self.other_probability],
                            "probabilities + other_probability")
        if self.other_probability > 0 and self.pattern is None:
            raise ValueError("other_probability > 0 needs a pattern to draw rare values from")
        return self


class PatternColumn(ColumnBase):
    """High-cardinality strings: only their learned shape is kept, never a value."""

    kind: Literal["pattern"]
    pattern: PatternModel


class IdColumn(ColumnBase):
    """Unique integers: generated as start + row index * step, unique by construction."""

    kind: Literal["id"]
    start: int
    step: int = Field(default=1, ge=1)


class ConstantColumn(ColumnBase):
    kind: Literal["constant"]
    value: CategoryValue


class NullColumn(ColumnBase):
    kind: Literal["null"]


ColumnModel = Annotated[
    Union[NumericColumn, CategoricalColumn, PatternColumn, IdColumn, ConstantColumn, NullColumn],
    Field(discriminator="kind"),
]


class Copula(Strict):
    """Gaussian copula: correlation of normal scores, positive definite, in `columns` order."""

    columns: list[str]
    correlation: list[list[FiniteFloat]]
    bins: int = Field(ge=2, le=1024, description="equal-probability bins coding numeric columns")

    @model_validator(mode="after")
    def _square(self) -> "Copula":
        d = len(self.columns)
        if len(self.correlation) != d or any(len(row) != d for row in self.correlation):
            raise ValueError(f"correlation must be a {d}x{d} matrix (one row per column)")
        for i in range(d):
            if not math.isclose(self.correlation[i][i], 1.0, abs_tol=1e-6):
                raise ValueError(f"correlation[{i}][{i}] must be 1")
            for j in range(i):
                if not math.isclose(self.correlation[i][j], self.correlation[j][i], abs_tol=1e-9):
                    raise ValueError(f"correlation must be symmetric at [{i}][{j}]")
        return self


class Dependency(Strict):
    """P(child code | parent code) for one edge of the Chow-Liu tree.

    Codes: 0 = null, categories 1..K then K+1 = other; numbers: 1..bins equal-probability bins.
    Cells seen fewer than `min_count` times are absent; a parent code without cells falls back to
    the child's marginal.
    """

    parent: str
    child: str
    mutual_information: FiniteFloat
    table: dict[str, dict[str, Probability]]

    @field_validator("table")
    @classmethod
    def _rows(cls, table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for parent_code, row in table.items():
            if not parent_code.isdigit() or any(not c.isdigit() for c in row):
                raise ValueError("codes must be non-negative integers written as strings")
            _check_distribution(list(row.values()), f"row {parent_code}")
        return table


class Privacy(Strict):
    min_count: int = Field(ge=1, description="no value or cell seen fewer times is stored")


class TableInfo(Strict):
    name: str
    row_count: int = Field(ge=1)


class SynthModelFile(Strict):
    format: Literal["spark_synth.model"]
    schema_version: Literal[1]
    created_by: str
    table: TableInfo
    privacy: Privacy
    columns: list[ColumnModel] = Field(min_length=1)
    copula: Copula | None = None
    dependencies: list[Dependency] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "SynthModelFile":
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        if self.copula is not None:
            unknown = set(self.copula.columns) - set(names)
            if unknown:
                raise ValueError(f"copula names unknown columns {sorted(unknown)}")
        in_copula = set(self.copula.columns) if self.copula else set()
        children: set[str] = set()
        for dep in self.dependencies:
            for name in (dep.parent, dep.child):
                if name not in in_copula:
                    raise ValueError(f"dependency {dep.parent}->{dep.child}: {name!r} is not a copula column")
            if dep.child in children:
                raise ValueError(f"column {dep.child!r} has more than one parent")
            children.add(dep.child)
        return self
