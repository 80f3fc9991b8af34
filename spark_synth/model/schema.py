"""The model file format: plain data, validated strictly, no Spark and no code execution on load.

Every class forbids unknown fields and every number must be finite, so a hand edit that breaks the
file is reported with its field path instead of producing silently wrong data.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StrictInt, field_validator, model_validator

from spark_synth.model.base import FiniteFloat, Probability, Strict
from spark_synth.model.rules import Rule, check_rules
from spark_synth.model.types import SparkType, from_unscaled, parse_spark_type, to_unscaled
from spark_synth.model.validators import TYPE_CHECKS
from spark_synth.model.vocabulary import GENDERS, VOCABULARIES, words_of

FORMAT_NAME = "spark_synth.model"
SCHEMA_VERSION = 2

# Exact columns (integers, dates, timestamps, decimals) store whole numbers of their unit as JSON
# integers, which keep every digit; doubles store floats.
Number = StrictInt | FiniteFloat
CategoryValue = bool | int | FiniteFloat | str
PROBABILITY_TOLERANCE = 1e-6
# Stored correlations are rounded to 6 places: a valid matrix may dip this far below 0.
PSD_TOLERANCE = 1e-3
# Character classes of a Shape: class letter -> (first code point, how many).
CLASS_CHARS = {"A": (65, 26), "a": (97, 26), "9": (48, 10)}
WORD_CHARS = ("W", "w")  # a word shape's word positions (never a character class: letters are A or a)


def _check_distribution(probabilities: list[float], what: str, total: float = 1.0) -> None:
    if probabilities and not math.isclose(sum(probabilities), total, abs_tol=PROBABILITY_TOLERANCE * 10):
        raise ValueError(f"{what} must sum to {total:g}, got {sum(probabilities):.8g}")


def _check_code_table(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """P(child code | parent code): codes are non-negative integers as strings, rows sum to 1."""
    for parent_code, row in table.items():
        if not parent_code.isdigit() or any(not c.isdigit() for c in row):
            raise ValueError("codes must be non-negative integers written as strings")
        _check_distribution(list(row.values()), f"row {parent_code}")
    return table


def _check_characters(chars: dict[str, float], what: str) -> dict[str, float]:
    if any(len(c) != 1 for c in chars):
        raise ValueError("keys must be single characters")
    _check_distribution(list(chars.values()), what)
    return chars


class _MonotonePoints(Strict):
    """Points (probabilities[i], values[i]) of a non-decreasing function of probability."""

    probabilities: list[Probability] = Field(min_length=2)
    values: list[Number] = Field(min_length=2)

    @model_validator(mode="after")
    def _monotone(self) -> _MonotonePoints:
        if len(self.probabilities) != len(self.values):
            raise ValueError("probabilities and values must have the same length")
        if any(b < a for a, b in zip(self.probabilities, self.probabilities[1:])):
            raise ValueError("probabilities must be non-decreasing")
        if any(b < a for a, b in zip(self.values, self.values[1:])):
            raise ValueError("values must be non-decreasing")
        self._span()
        return self

    def _span(self) -> None:
        """What the probabilities must cover (each kind of function says)."""


class QuantileFunction(_MonotonePoints):
    """Monotone quantile function of the non-null values: Q(probabilities[i]) = values[i]."""

    def _span(self) -> None:
        if self.probabilities[0] != 0.0 or self.probabilities[-1] != 1.0:
            raise ValueError("probabilities must start at 0 and end at 1")


class WithinQuantiles(_MonotonePoints):
    """A number's quantile function inside one parent code, over part of [0, 1]: Q(probabilities[i])
    = values[i] between the first and the last probability; below the first and above the last
    (the category's tails, k rows at least each) the child keeps the bins of its marginal.
    A double child's values in this code have their own grid (issue 36: whole-number tests next
    to a score with 14 decimals): `grid_share` of them are rounded to `grid_step` (share 0: none),
    in place of the column's grid; both absent (older models): the column's grid."""

    grid_step: FiniteFloat | None = Field(default=None, gt=0)
    grid_share: Probability | None = None

    def _span(self) -> None:
        if self.probabilities[-1] <= self.probabilities[0]:
            raise ValueError("probabilities must span a part of [0, 1]")
        if (self.grid_step is None) != (not self.grid_share):
            raise ValueError("grid_step needs a grid_share above 0, and a grid_share above 0 its grid_step")


# Which kinds can model a column of each type family (the engine has no other paths).
KINDS_BY_FAMILY: dict[str, set[str]] = {
    "integral": {"integer", "continuous", "categorical", "id", "unique", "constant", "null"},
    "fractional": {"continuous", "integer", "categorical", "constant", "null"},
    "decimal": {"decimal", "constant", "null"},
    "string": {"categorical", "pattern", "unique", "constant", "null"},
    "boolean": {"boolean", "constant", "null"},
    "date": {"datetime", "null"},
    "timestamp": {"datetime", "null"},
    "timestamp_ntz": {"datetime", "null"},
}
# The unit an exact column's numbers are counted in.
UNIT_BY_FAMILY = {
    "integral": "number",
    "decimal": "unscaled",
    "date": "day",
    "timestamp": "microsecond",
    "timestamp_ntz": "microsecond",
    "fractional": "number",
}


class ColumnBase(Strict):
    name: str = Field(min_length=1)
    spark_type: str = Field(description="Spark DataType as JSON, restores the source schema")
    nullable: bool = True
    null_fraction: Probability = 0.0
    # A string column's semantic type checked by a validator (model/validators.py: email, phone,
    # uuid, ...); a type that is a public vocabulary is `vocabulary.name` instead. Only the name of
    # the type is stored, never a value.
    semantic: str | None = None

    @property
    def type(self) -> SparkType:
        return parse_spark_type(self.spark_type)

    @field_validator("semantic")
    @classmethod
    def _known_semantic(cls, name: str | None) -> str | None:
        if name is not None and name not in TYPE_CHECKS:
            raise ValueError(f"unknown semantic type {name!r}; known: {', '.join(TYPE_CHECKS)}")
        return name

    @model_validator(mode="after")
    def _type_and_nulls(self) -> ColumnBase:
        family = parse_spark_type(self.spark_type).family  # ValueError names the bad type
        kind = getattr(self, "kind", None)
        if kind is not None and kind not in KINDS_BY_FAMILY[family]:
            raise ValueError(
                f"kind {kind!r} cannot generate a {family} column ({self.spark_type}); "
                f"use one of {sorted(KINDS_BY_FAMILY[family])}"
            )
        if self.semantic is not None and family != "string":
            raise ValueError(f"semantic type {self.semantic!r} needs a string column, not {family}")
        if not self.nullable and self.null_fraction > 0:
            raise ValueError(
                f"nullable is false but null_fraction is {self.null_fraction}: a non-nullable "
                "column cannot hold nulls; set null_fraction to 0 or nullable to true"
            )
        return self


class NumericColumn(ColumnBase):
    """Continuous, integer, decimal and datetime columns: a quantile function between min and max.

    Exact columns (integral, date, timestamp and decimal types) hold whole numbers of their `unit`
    (the value, days, microseconds, the unscaled decimal value * 10^scale) in min, max and the
    quantile values, and are generated in integer arithmetic: a billion-scale id or the timestamp
    9999-12-31 23:59:59 keeps every digit. Doubles hold floats.
    """

    kind: Literal["continuous", "integer", "decimal", "datetime"]
    quantiles: QuantileFunction
    min: Number
    max: Number
    decimal_places: int | None = Field(
        default=None, ge=0, le=38, description="doubles: round generated values to this many places"
    )
    granularity: int = Field(
        default=1, ge=1, description="exact columns: values are multiples of this (in `unit`s); whole-valued doubles: 1"
    )
    unit: Literal["number", "microsecond", "day", "unscaled"] = "number"
    grid_step: FiniteFloat | None = Field(
        default=None, gt=0, description="doubles: a coarser grid a share of the values lies on"
    )
    grid_share: Probability | None = Field(default=None, description="share of values on grid_step")

    @property
    def exact(self) -> bool:
        return self.type.exact

    @model_validator(mode="after")
    def _range(self) -> NumericColumn:
        spark = self.type
        if spark.exact:
            numbers = [self.min, self.max, *self.quantiles.values]
            if any(not isinstance(x, int) for x in numbers):
                raise ValueError(
                    f"a {spark.family} column stores whole numbers of its unit in min, max and "
                    "quantiles.values (JSON integers)"
                )
            expected = UNIT_BY_FAMILY[spark.family]
            if self.unit != expected:
                raise ValueError(f"unit must be {expected!r} for a {spark.family} column")
            low, high = spark.bounds()
            if self.min < low or self.max > high:
                raise ValueError(f"min/max {self.min}..{self.max} outside what {self.spark_type} holds ({low}..{high})")
        if self.min > self.max:
            raise ValueError("min must be <= max")
        if (self.grid_step is None) != (self.grid_share is None):
            raise ValueError("grid_step and grid_share go together")
        return self


class CharDistribution(Strict):
    """Probability of each character at one position of a shape."""

    chars: dict[str, Probability]

    @field_validator("chars")
    @classmethod
    def _single_chars(cls, chars: dict[str, float]) -> dict[str, float]:
        return _check_characters(chars, "character probabilities")


class Shape(Strict):
    """One character-class template, e.g. 'A9999' (A upper, a lower, 9 digit, else literal);
    '' is the empty string, a value of its own in many real tables. In a word pattern
    (PatternModel.unit "word") a position listed in `words` is a whole word: 'W' one starting
    with an upper-case letter, 'w' any other ('99 W W' for '27 Wade Lane')."""

    shape: str
    probability: Probability
    positions: list[CharDistribution | None]
    prefix_length: int = Field(default=0, ge=0)
    prefixes: dict[str, Probability] = Field(default_factory=dict)
    words: dict[int, WordSlot] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Shape:
        if len(self.positions) != len(self.shape):
            raise ValueError(f"shape {self.shape!r} needs one position entry per character")
        for pos in self.words:
            if not 0 <= pos < len(self.shape) or self.shape[pos] not in WORD_CHARS or self.positions[pos] is not None:
                raise ValueError(
                    f"shape {self.shape!r}: words[{pos}] must be at a {' or '.join(WORD_CHARS)} "
                    "position without a character table"
                )
        if self.words and self.prefixes:
            raise ValueError(f"shape {self.shape!r}: a word shape has no prefixes")
        if self.prefixes:
            if any(len(p) != self.prefix_length for p in self.prefixes):
                raise ValueError("every prefix must have prefix_length characters")
            _check_distribution(list(self.prefixes.values()), "prefix probabilities")
        return self


class TextModel(Strict):
    """Strings no kept shape describes (shapes seen fewer than min_count times, strings longer
    than the longest shape spark_synth counts): a length distribution and the characters seen
    at least min_count times in the column, drawn independently. No characters: a-z."""

    probability: Probability
    lengths: QuantileFunction
    chars: dict[str, Probability] = Field(default_factory=dict)

    @field_validator("chars")
    @classmethod
    def _single_chars(cls, chars: dict[str, float]) -> dict[str, float]:
        return _check_characters(chars, "text character probabilities")

    @model_validator(mode="after")
    def _lengths(self) -> TextModel:
        if any(not isinstance(x, int) or x < 0 for x in self.lengths.values):
            raise ValueError("lengths.values must be non-negative whole numbers")
        return self


class PatternModel(Strict):
    shapes: list[Shape] = Field(default_factory=list)
    text: TextModel | None = None
    # "char": shapes are character-class templates; "word": word shapes (fit/words.py), whose
    # letter runs are whole words drawn from kept words and a public vocabulary.
    unit: Literal["char", "word"] = "char"

    @model_validator(mode="after")
    def _total(self) -> PatternModel:
        if not self.shapes and self.text is None:
            raise ValueError("a pattern needs shapes or a text model")
        if self.unit == "char" and any(s.words for s in self.shapes):
            raise ValueError("only a pattern of unit 'word' has word positions")
        total = [s.probability for s in self.shapes] + ([self.text.probability] if self.text else [])
        _check_distribution(total, "shape probabilities (+ text.probability)")
        return self


class Vocabulary(Strict):
    """A column's semantic type as a public vocabulary (model/vocabulary.py) and the groups of it
    (continents, time zone areas, locales) that at least `min_count` real values came from."""

    name: str
    groups: list[str] = Field(min_length=1)
    # Given names whose real values tell a gender: each group is split into its female and male
    # names (model/vocabulary.py GENDERS), so the row's variant can follow a gender column.
    by_gender: bool | None = None

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {name!r}; known: {', '.join(VOCABULARIES)}")
        return name

    @model_validator(mode="after")
    def _gendered(self) -> Vocabulary:
        if self.by_gender and self.name != "given_name":
            raise ValueError(f"by_gender applies to given_name, not {self.name!r}")
        return self

    @property
    def labels(self) -> list[str]:
        """The variants a row's word comes from: the groups, or each group's female and male
        names ("de_DE/female", "de_DE/male")."""
        if not self.by_gender:
            return list(self.groups)
        return [f"{g}/{gender}" for g in self.groups for gender in GENDERS]


class WordSlot(Strict):
    """The words at one word position of a word shape: the words seen there at least min_count
    times with their shares, and the public vocabulary (its groups) the rest of the mass is drawn
    from, equally likely; without a vocabulary the kept words take all of it."""

    words: dict[str, Probability] = Field(default_factory=dict)
    vocabulary: Vocabulary | None = None

    @model_validator(mode="after")
    def _mass(self) -> WordSlot:
        if any(
            not w or any(not (c.isalpha() or unicodedata.category(c).startswith("M")) for c in w) for w in self.words
        ):
            raise ValueError(f"a word slot's words are letters only: {sorted(self.words)[:5]}")
        total = sum(self.words.values())
        if total > 1.0 + 1e-6 or (self.vocabulary is None and abs(total - 1.0) > 1e-6):
            raise ValueError(f"word shares sum to {total}: at most 1, and 1 without a vocabulary")
        return self


Shape.model_rebuild()


class CategoricalColumn(ColumnBase):
    """Categories (and booleans) kept only when seen at least `min_count` times in the real data.

    `other_probability` is the mass of the rare values, drawn from `rare_source`: "vocabulary"
    (the other words of `vocabulary`'s groups), "kept" (the kept values, in their proportions) or
    "pattern" (character by character, as models did before rare_source existed: None).
    """

    kind: Literal["categorical", "boolean"]
    values: list[CategoryValue]
    probabilities: list[Probability]
    other_probability: Probability = 0.0
    pattern: PatternModel | None = None
    rare_source: Literal["pattern", "vocabulary", "kept"] | None = None
    vocabulary: Vocabulary | None = None
    place: PlaceRule | None = None  # a string category that agrees with the row's state (PlaceRule)

    @model_validator(mode="after")
    def _consistent(self) -> CategoricalColumn:
        if len(self.values) != len(self.probabilities):
            raise ValueError("values and probabilities must have the same length")
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError("values must be unique")
        if not self.values and self.other_probability == 0:
            raise ValueError("a categorical column needs values or other_probability > 0")
        _check_distribution(list(self.probabilities) + [self.other_probability], "probabilities + other_probability")
        source = self.rare_source or "pattern"
        if self.other_probability > 0 and source == "pattern" and self.pattern is None:
            raise ValueError("other_probability > 0 needs a rare_source or a pattern to draw rare values from")
        if source == "kept" and not self.values:
            raise ValueError("rare values drawn from the kept values need kept values")
        if (source == "vocabulary") != (self.vocabulary is not None):
            raise ValueError("rare_source 'vocabulary' and a vocabulary go together")
        for value in self.values:
            _check_value(value, self.type, "values")
        return self


class FormatDependency(Strict):
    """Which variant a pattern column's row takes, given one copula column (`parent`): a Slovenian
    row gets a Slovenian phone format, a US airport a local id, a Belgian person no state, a
    Polish person a name from the Polish list.

    Codes of the child (model/formats.py): 0 = null, then one per variant — the pattern's shapes
    in order and its text model last, or the vocabulary's groups in order. `table`: P(child code |
    parent code) from the cells seen at least `min_count` times, as in Dependency; a parent code
    without cells falls back to `marginal`, P(child code) over all rows."""

    parent: str
    mutual_information: FiniteFloat
    table: dict[str, dict[str, Probability]]
    marginal: list[Probability]

    @field_validator("table")
    @classmethod
    def _rows(cls, table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        return _check_code_table(table)

    @field_validator("marginal")
    @classmethod
    def _total(cls, marginal: list[float]) -> list[float]:
        _check_distribution(marginal, "marginal")
        return marginal


# An e-mail's local part from the row's names: a name part (given: G full, g initial, P prefix;
# family: F, f, Q), a separator, another part — given first or family first — e.g. "G.F", "gF", "P_F".
NAME_TEMPLATE = r"^(?:[GgP](?:[._-]?[FfQ])?|[FfQ](?:[._-]?[GgP])?)$"


def _check_lengths(shares: dict[str, float], what: str) -> dict[str, float]:
    if any(not k.isdigit() for k in shares):
        raise ValueError(f"{what}: keys must be whole numbers written as strings")
    _check_distribution(list(shares.values()), what)
    return shares


class EmailFromNames(Strict):
    """E-mails built from the row's own (generated) names, as the real ones were: `templates`
    are the local-part formats seen at least `min_count` times with their shares, `given_prefix` /
    `family_prefix` the lengths of a P / Q part, `digits` how many digits end the local part,
    `domains` the domains seen at least `min_count` times ({"example.com": 1} when none was).
    `share` of the non-null rows are built so; the rest keep the column's own pattern (a unique
    column builds every row, with a number that keeps it unique; plan/compiler.py)."""

    given: str | None = None
    family: str | None = None
    share: Probability
    templates: dict[str, Probability] = Field(min_length=1)
    given_prefix: dict[str, Probability] = Field(min_length=1)
    family_prefix: dict[str, Probability] = Field(min_length=1)
    digits: dict[str, Probability] = Field(min_length=1)
    domains: dict[str, Probability] = Field(min_length=1)

    @field_validator("templates")
    @classmethod
    def _templates(cls, templates: dict[str, float]) -> dict[str, float]:
        bad = [t for t in templates if not re.match(NAME_TEMPLATE, t)]
        if bad:
            raise ValueError(f"templates {bad} are not name formats (e.g. 'G.F', 'gF', 'P_F', 'F')")
        _check_distribution(list(templates.values()), "templates")
        return templates

    @field_validator("given_prefix", "family_prefix", "digits")
    @classmethod
    def _lengths(cls, shares: dict[str, float], info) -> dict[str, float]:
        return _check_lengths(shares, info.field_name)

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: dict[str, float]) -> dict[str, float]:
        if any(not d or "@" in d or any(c.isspace() for c in d) for d in domains):
            raise ValueError("domains must be non-empty, without '@' or spaces")
        _check_distribution(list(domains.values()), "domains")
        return domains

    @model_validator(mode="after")
    def _names(self) -> EmailFromNames:
        if self.given is None and self.family is None:
            raise ValueError("an e-mail built from names needs a given or a family name column")
        for template in self.templates:
            if (self.given is None and re.search("[GgP]", template)) or (
                self.family is None and re.search("[FfQ]", template)
            ):
                raise ValueError(f"template {template!r} uses a name column the model does not name")
        return self


class PlaceRule(Strict):
    """A postcode or city that agreed with the row's state in `share` of the real rows (at least
    min_count of them): in rows whose generated state is in the public geo table
    (model/places.py) it is that state's ZIP code or the ZIP code's city, drawn once per row for
    all parts; other rows keep the column's own model."""

    state: str
    part: Literal["postcode", "city", "area_code"]
    share: Probability


class PatternColumn(ColumnBase):
    """High-cardinality strings: only their learned shape is kept, never a value. With a
    `vocabulary` (their values came from a public one), the values are that vocabulary's words.
    With `follows`, the row's variant (null, shape, text or vocabulary group) follows a copula
    column."""

    kind: Literal["pattern"]
    pattern: PatternModel
    vocabulary: Vocabulary | None = None
    # The vocabulary's words seen at least min_count times (exact counts), with their share of the
    # non-null rows: drawn in those shares, the rest of the mass from the groups' other words.
    frequent: dict[str, Probability] = Field(default_factory=dict)
    follows: FormatDependency | None = None
    from_names: EmailFromNames | None = None
    place: PlaceRule | None = None

    @model_validator(mode="after")
    def _frequent_words(self) -> PatternColumn:
        if not self.frequent:
            return self
        if self.vocabulary is None:
            raise ValueError("frequent words need a vocabulary")
        outside = [w for w in self.frequent if w not in words_of(self.vocabulary.name)]
        if outside:
            raise ValueError(f"frequent words must be words of {self.vocabulary.name!r}: {outside[:5]}")
        if sum(self.frequent.values()) > 1.0 + 1e-6:
            raise ValueError("frequent word shares sum to more than 1")
        return self

    @model_validator(mode="after")
    def _format_codes(self) -> PatternColumn:
        if self.follows is None:
            return self
        if self.vocabulary is not None:
            codes = 1 + len(self.vocabulary.labels)
        else:
            codes = 1 + len(self.pattern.shapes) + (1 if self.pattern.text is not None else 0)
        _check_follows(self.follows, codes)
        return self


def _check_follows(follows: FormatDependency, codes: int) -> None:
    """A format dependency speaks of the column's own codes 0..codes-1."""
    if len(follows.marginal) != codes:
        raise ValueError(
            f"follows.marginal has {len(follows.marginal)} shares; the column has {codes} "
            "format codes (null, then its shapes and text, or its vocabulary groups)"
        )
    for parent_code, row in follows.table.items():
        beyond = sorted(int(c) for c in row if int(c) >= codes)
        if beyond:
            raise ValueError(
                f"follows.table[{parent_code}] names format codes {beyond}; the column has "
                f"codes 0 (null) to {codes - 1}"
            )


class RowOrder(Strict):
    """The copula column an id column's real rows rise (or fall) with: a record number counted up
    over the years, an order number with its date (fit/row_order.py).

    Ids are written in row order, so the engine ties that column, a tree root without nulls, to
    the row's position: its normal is rho * Phi^-1((row + 0.5) / rows) + sqrt(1 - rho^2) * its
    own (docs/plan.md §6 step 1), and every column below it in the tree follows."""

    column: str
    rho: Annotated[float, Field(gt=-1.0, lt=1.0, allow_inf_nan=False)]


class IdColumn(ColumnBase):
    """Unique integers: generated as start + row index * step, unique by construction.
    `rises_with` (optional): the column that follows the row's position, so ids keep their real
    order against it."""

    kind: Literal["id"]
    start: int
    step: int = Field(default=1, ge=1)
    rises_with: RowOrder | None = None

    @model_validator(mode="after")
    def _fits(self) -> IdColumn:
        low, high = self.type.bounds()
        if not low <= self.start <= high:
            raise ValueError(f"start {self.start} is outside what {self.spark_type} holds")
        return self


class UniqueColumn(ColumnBase):
    """Values seen once each in the real data, generated as a bijection of the row index, so they
    stay unique at any row count (semantics in spark_synth/plan/compiler.py).

    Integers: start + a permutation of [0, max(size, rows)), size = the real max - min + 1.
    Strings: the pattern's shapes (alphabets per position, widened to their character class when
    the rows need more room), each taking its share of the rows.
    """

    kind: Literal["unique"]
    start: int | None = None
    size: int | None = Field(default=None, ge=1)
    pattern: PatternModel | None = None
    # The row's shape follows a copula column (codes 0 null, 1..S the shapes; rows of the text
    # model are counted with the shapes); values stay unique inside each shape (plan/compiler.py).
    follows: FormatDependency | None = None
    from_names: EmailFromNames | None = None
    place: PlaceRule | None = None

    @model_validator(mode="after")
    def _fields(self) -> UniqueColumn:
        if self.type.family == "integral" and (self.start is None or self.size is None):
            raise ValueError("unique integers need start and size")
        if self.type.family == "string" and self.pattern is None:
            raise ValueError("unique strings need a pattern")
        if self.follows is not None:
            if self.pattern is None or not self.pattern.shapes or not all(s.shape for s in self.pattern.shapes):
                raise ValueError("`follows` on a unique column needs a pattern of non-empty shapes")
            _check_follows(self.follows, 1 + len(self.pattern.shapes))
        return self


class ConstantColumn(ColumnBase):
    """One value; a decimal's is a string with its exact digits ("12.50")."""

    kind: Literal["constant"]
    value: CategoryValue

    @model_validator(mode="after")
    def _typed(self) -> ConstantColumn:
        _check_value(self.value, self.type, "value")
        return self


def _check_value(value, spark: SparkType, where: str) -> None:
    """A stored category or constant must be writable as the column's type."""
    family = spark.family
    if family == "integral":
        low, high = spark.bounds()
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{where}: {value!r} is not a {spark.name} value")
    elif family == "decimal":
        try:
            exact = Decimal(value) if isinstance(value, str) else None
        except InvalidOperation:
            exact = None
        if (
            exact is None
            or not exact.is_finite()
            or from_unscaled(to_unscaled(exact, spark.scale), spark.scale) != exact
            or abs(to_unscaled(exact, spark.scale)) >= 10**spark.precision
        ):
            raise ValueError(
                f"{where}: {value!r} is not a decimal({spark.precision},{spark.scale}) written as a "
                'string such as "12.50"'
            )
    elif family == "string" and not isinstance(value, str):
        raise ValueError(f"{where}: {value!r} is not a string")
    elif family == "boolean" and not isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not true or false")
    elif family == "fractional" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{where}: {value!r} is not a number")


class NullColumn(ColumnBase):
    kind: Literal["null"]


ColumnModel = Annotated[
    NumericColumn | CategoricalColumn | PatternColumn | IdColumn | UniqueColumn | ConstantColumn | NullColumn,
    Field(discriminator="kind"),
]


class Copula(Strict):
    """Gaussian copula: correlation of normal scores, positive definite, in `columns` order."""

    columns: list[str]
    correlation: list[list[FiniteFloat]]
    bins: int = Field(ge=2, le=1024, description="equal-probability bins coding numeric columns")

    @model_validator(mode="after")
    def _square(self) -> Copula:
        d = len(self.columns)
        if len(self.correlation) != d or any(len(row) != d for row in self.correlation):
            raise ValueError(f"correlation must be a {d}x{d} matrix (one row per column)")
        for i in range(d):
            if not math.isclose(self.correlation[i][i], 1.0, abs_tol=1e-6):
                raise ValueError(f"correlation[{i}][{i}] must be 1")
            for j in range(i):
                if not math.isclose(self.correlation[i][j], self.correlation[j][i], abs_tol=1e-9):
                    raise ValueError(f"correlation must be symmetric at [{i}][{j}]")
                if not -1.0 <= self.correlation[i][j] <= 1.0:
                    raise ValueError(f"correlation[{i}][{j}] = {self.correlation[i][j]} is outside [-1, 1]")
        if d:
            smallest = float(np.linalg.eigvalsh(np.asarray(self.correlation, dtype=np.float64)).min())
            if smallest < -PSD_TOLERANCE:
                raise ValueError(
                    f"correlation is not positive semi-definite (smallest eigenvalue {smallest:.4g}): "
                    "no set of columns can have these correlations; re-fit the model or repair "
                    "the matrix (e.g. nearest correlation matrix)"
                )
        return self


class RegressionBands(Strict):
    """The child's place among its non-null values, per band of the regressor's normal score: a
    copula stored as a coarse table instead of one correlation (fit/regression.py), for a pair whose
    dependence is not a straight line on normal scores (visibility falls sharply once it rains,
    and barely with how much).

    Band b holds the scores s with edges[b - 1] <= s < edges[b] (the first and last open). Its
    row of `cdf` is the child's conditional CDF at the places j / J, j = 1..J - 1 (J = len(row) + 1;
    0 at 0, 1 at 1, linear between): nondecreasing, so a band may skip a stretch of places."""

    edges: list[FiniteFloat] = Field(min_length=1, max_length=15)
    cdf: list[list[Probability]] = Field(min_length=2, max_length=16)

    @model_validator(mode="after")
    def _shape(self) -> RegressionBands:
        if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
            raise ValueError("regression bands: edges must rise strictly")
        if len(self.cdf) != len(self.edges) + 1:
            raise ValueError(
                f"regression bands: {len(self.edges) + 1} bands need as many cdf rows, not {len(self.cdf)}"
            )
        width = len(self.cdf[0])
        for row in self.cdf:
            if len(row) != width or not 1 <= width <= 63 or any(b < a for a, b in zip(row, row[1:])):
                raise ValueError("regression bands: each cdf row holds the same 1..63 nondecreasing probabilities")
        return self


class SecondRegressor(Strict):
    """A second number the child follows beside `Regression.on` (plan v16): where both scores are
    non-null the child's latent normal is rho * s' + beta * t' + spread * e, t' this number's
    normal score standardized inside the parent code like s' (minus mean[p], over scale[p]; codes
    absent here use 0 and 1; plan v17); where t is null, the one-regressor draw with
    `Regression.rho`."""

    on: str
    rho: Annotated[float, Field(gt=-4.0, lt=4.0, allow_inf_nan=False)]
    beta: Annotated[float, Field(gt=-4.0, lt=4.0, allow_inf_nan=False)]
    spread: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]
    mean: dict[str, FiniteFloat] = Field(default_factory=dict)
    scale: dict[str, Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _codes(self) -> SecondRegressor:
        if any(not code.isdigit() for code in [*self.mean, *self.scale]) or set(self.mean) != set(self.scale):
            raise ValueError("second regressor mean and scale: the same parent codes, non-negative integers as strings")
        return self


class Regression(Strict):
    """A numeric child's draw tied to another number's normal score (fit/regression.py).

    Given its tree parent's code p, the child's uniform among its non-null values is
    Phi(rho * s + sqrt(1 - rho^2) * e): e its own normal, s the regressor's normal score
    standardized inside p (the score minus mean[p], over scale[p]; codes absent here use 0 and 1);
    a null regressor leaves the child's uniform as drawn. So the child keeps P(child | p) and
    follows the regressor inside it: a Gaussian pair copula between (child | parent) and the
    regressor. With `bands` (plan v16) the uniform is instead drawn from the CDF of the band that
    holds s: a table copula that carries a bend or a spread that changes with the regressor
    (rho is then 0 and no code stores a mean or scale). With `also` (plan v16) the child follows
    a second number too, by a linear regression on both scores (SecondRegressor). With
    `with_nulls` (plan v18) the child's nulls are the lowest places of its row: the uniform over
    the whole row (nulls included) is Phi(rho * s + sqrt(1 - rho^2) * e), so the regressor also
    decides whether the child is null (a gust is reported in cold, stormy hours, not at random
    among the windy ones), and P(null | p) is still the row's."""

    on: str
    rho: Annotated[float, Field(gt=-1.0, lt=1.0, allow_inf_nan=False)]
    mean: dict[str, FiniteFloat] = Field(default_factory=dict)
    scale: dict[str, Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] = Field(default_factory=dict)
    bands: RegressionBands | None = None
    also: SecondRegressor | None = None
    with_nulls: bool = False

    @model_validator(mode="after")
    def _codes(self) -> Regression:
        if any(not code.isdigit() for code in [*self.mean, *self.scale]) or set(self.mean) != set(self.scale):
            raise ValueError("regression mean and scale: the same parent codes, non-negative integers as strings")
        if self.with_nulls and (self.bands is not None or self.also is not None):
            raise ValueError("a regression with_nulls is a line on one regressor, not bands or a second one")
        if self.bands is not None and (self.rho != 0.0 or self.mean):
            raise ValueError("regression with bands: rho is 0 and no parent code stores a mean or scale")
        if self.also is not None and (self.bands is not None or self.also.on == self.on):
            raise ValueError("a regression's second regressor is another number, and not beside bands")
        return self


class Dependency(Strict):
    """P(child code | parent code) for one edge of the Chow-Liu tree.

    Codes: 0 = null, categories 1..K then K+1 = other; numbers: 1..bins equal-probability bins.
    Cells seen fewer than `min_count` times are absent; a parent code without cells falls back to
    the child's marginal.

    `within` (numeric children only): the child's own quantile function inside each parent code
    seen at least `min_count` times, on the child's unit scale, so a number keeps its real
    distribution inside every category (a 0/1 flag stays 0/1, a narrow band stays narrow) rather
    than being placed inside the bins of the whole column. Repeated probabilities are jumps: a
    discrete distribution is a staircase. Codes missing here, and each function's tails beyond
    its probabilities, use the bins of the marginal.

    `second_parent` (optional, fit/network.py): a column the child also depends on, and
    `second_table` P(child code | parent code, second parent code) keyed "parent code,second
    code", for the pairs of codes seen at least `min_count` times whose cells seen that often hold
    at least half their rows: those cells, as shares of the whole row (a row sums to its kept
    share). `second_rest` P(child code | parent code, a pair without a row or a row's rare cells):
    the child's counts under the parent code less the stored cells; it takes each stored row's
    remaining mass and the pairs without a row (a parent code without a rest row uses `table`). The second parent comes before the child in
    dependency order (model/io.py), so the network stays acyclic.

    `regression` (optional, numeric children and regressors only): the other way to a second
    parent, for a number that follows another number inside its parent's codes (Regression).
    A child has at most one of the two.
    """

    parent: str
    child: str
    mutual_information: FiniteFloat
    table: dict[str, dict[str, Probability]]
    within: dict[str, WithinQuantiles] = Field(default_factory=dict)
    second_parent: str | None = None
    second_table: dict[str, dict[str, Probability]] | None = None
    second_rest: dict[str, dict[str, Probability]] | None = None
    regression: Regression | None = None

    @property
    def extra_parent(self) -> str | None:
        """The child's second parent, by table or by regression (None: the tree's one only)."""
        return self.second_parent if self.regression is None else self.regression.on

    @property
    def extra_parents(self) -> list[str]:
        """Every parent beside the tree's: the second parent, or the regressors (one or two)."""
        if self.regression is not None and self.regression.also is not None:
            return [self.regression.on, self.regression.also.on]
        return [] if self.extra_parent is None else [self.extra_parent]

    @field_validator("table")
    @classmethod
    def _rows(cls, table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        return _check_code_table(table)

    @field_validator("second_table")
    @classmethod
    def _pair_rows(cls, table: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]] | None:
        if table is None:
            return None
        for key, row in table.items():
            first, _, second = key.partition(",")
            if not (first.isdigit() and second.isdigit()) or any(not c.isdigit() for c in row):
                raise ValueError(f"second_table row {key!r}: keys are 'parent code,second parent code', cells codes")
            share = sum(row.values())
            if not row or not 0 < share <= 1 + PROBABILITY_TOLERANCE * 10:
                raise ValueError(f"second_table row {key}: its cells must sum to a share in (0, 1], got {share:.8g}")
        return table

    @field_validator("second_rest")
    @classmethod
    def _rest_rows(cls, table: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]] | None:
        return None if table is None else _check_code_table(table)

    @model_validator(mode="after")
    def _second(self) -> Dependency:
        if self.second_rest is not None and self.second_table is None:
            raise ValueError(f"dependency {self.parent}->{self.child}: second_rest needs second_table")
        if (self.second_parent is None) != (self.second_table is None):
            raise ValueError(f"dependency {self.parent}->{self.child}: second_parent and second_table go together")
        if self.second_parent is not None and self.regression is not None:
            raise ValueError(
                f"dependency {self.parent}->{self.child}: a second parent by table or by regression, not both"
            )
        if {self.parent, self.child} & set(self.extra_parents):
            raise ValueError(f"dependency {self.parent}->{self.child}: the second parent must be another column")
        return self

    @field_validator("within")
    @classmethod
    def _codes(cls, within: dict[str, WithinQuantiles]) -> dict[str, WithinQuantiles]:
        if any(not code.isdigit() for code in within):
            raise ValueError("parent codes must be non-negative integers written as strings")
        return within


class Privacy(Strict):
    min_count: int = Field(ge=1, description="no value or cell seen fewer times is stored")


class TableSource(Strict):
    """The lake table version a model was fitted on, so a fit can be repeated and audited: refitting
    the same version gives the same model."""

    format: Literal["delta", "iceberg"]
    location: str = Field(min_length=1, description="the table's path or catalog name")
    version: int = Field(description="Delta's table version, or Iceberg's snapshot id")
    committed_at: str = Field(description="when that version was committed (ISO 8601, UTC)")


class TableInfo(Strict):
    name: str
    row_count: int = Field(ge=1)
    # Only for fits of a Delta or Iceberg table; absent otherwise (older models read unchanged).
    source: TableSource | None = None


class SynthModelFile(Strict):
    format: Literal["spark_synth.model"]
    schema_version: Literal[2]
    created_by: str
    table: TableInfo
    privacy: Privacy
    columns: list[ColumnModel] = Field(min_length=1)
    copula: Copula | None = None
    dependencies: list[Dependency] = Field(default_factory=list)
    # Rules that hold in every generated row (model/rules.py), found by the fit or written by hand.
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> SynthModelFile:
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
            for extra in dep.extra_parents:
                if extra not in in_copula:
                    raise ValueError(f"dependency {dep.parent}->{dep.child}: {extra!r} is not a copula column")
            if dep.regression is not None:
                for regressor in dep.extra_parents:
                    on = next(c for c in self.columns if c.name == regressor)
                    if not isinstance(on, NumericColumn):
                        raise ValueError(
                            f"dependency {dep.parent}->{dep.child}: regression on {on.name!r}, not a number"
                        )
                if not is_ordered(next(c for c in self.columns if c.name == dep.child)):
                    raise ValueError(
                        f"dependency {dep.parent}->{dep.child}: a regression child is a number or a category of "
                        "ordered values (numbers, booleans), not strings"
                    )
            if dep.within:
                _check_within(dep, next(c for c in self.columns if c.name == dep.child))
        order = generation_order(list(self.copula.columns) if self.copula else [], self.dependencies)
        rank = {name: i for i, name in enumerate(order)}
        for dep in self.dependencies:
            late = [extra for extra in dep.extra_parents if rank[extra] > rank[dep.child]]
            if late:
                raise ValueError(
                    f"dependency {dep.parent}->{dep.child}: the second parent {late[0]!r} comes after "
                    "the child in dependency order (a cycle, or a code the engine has not drawn yet)"
                )
        _check_row_order(self.columns, in_copula, children)
        for column in self.columns:
            follows = getattr(column, "follows", None)
            if follows is not None and follows.parent not in in_copula:
                raise ValueError(f"column {column.name!r} follows {follows.parent!r}, which is not a copula column")
            _check_from_names(column, {c.name: c for c in self.columns})
            _check_place(column, {c.name: c for c in self.columns})
        if self.rules:
            by_name = {c.name: c for c in self.columns}
            check_rules(self.rules, by_name, written_elsewhere(by_name))
        return self


def is_ordered(column) -> bool:
    """A column whose codes run in the order of its values: a number's bins, or the categories of
    a number or boolean (stored in value order, fitter._marginal_column); a regression child's
    code is drawn by inverse CDF in that order (docs/plan.md §6 step 3c)."""
    if isinstance(column, NumericColumn):
        return True
    return isinstance(column, CategoricalColumn) and column.type.family not in ("string",)


def _check_row_order(columns: list, in_copula: set[str], children: set[str]) -> None:
    """At most one id column's rows are ordered, by a copula column that is a tree root (the
    engine sets a root's normal, not a child's) and has no nulls (its every value is ordered)."""
    ordered = [c for c in columns if getattr(c, "rises_with", None) is not None]
    if len(ordered) > 1:
        raise ValueError(f"id columns {[c.name for c in ordered]} all have rises_with; at most one may")
    for column in ordered:
        target = column.rises_with.column
        if target not in in_copula or target in children:
            raise ValueError(f"column {column.name!r} rises with {target!r}, which is not a tree root of the copula")
        if next(c for c in columns if c.name == target).null_fraction > 0:
            raise ValueError(f"column {column.name!r} rises with {target!r}, which has nulls")


def written_elsewhere(by_name: dict) -> set[str]:
    """Columns a rule may not change: another feature computes them or reads them after the
    rules would run (e-mails from names, places from the state), or they are not drawn values."""
    fixed = set()
    for column in by_name.values():
        built = getattr(column, "from_names", None)
        place = getattr(column, "place", None)
        if built is not None or place is not None or column.kind in ("id", "unique", "pattern", "constant", "null"):
            fixed.add(column.name)
        if built is not None:
            fixed |= {n for n in (built.given, built.family) if n is not None}
        if place is not None:
            fixed.add(place.state)
    return fixed


def _check_from_names(column, by_name: dict) -> None:
    """An e-mail built from names reads string columns of the same table, and is itself one."""
    built = getattr(column, "from_names", None)
    if built is not None:
        for name in (built.given, built.family):
            if name is not None:
                _check_reads_string(column, "from_names", name, by_name)


def _check_place(column, by_name: dict) -> None:
    """A place reads another string column of the table (the state), and is a string itself."""
    place = getattr(column, "place", None)
    if place is not None:
        _check_reads_string(column, "place", place.state, by_name)


def _check_reads_string(column, field: str, name: str, by_name: dict) -> None:
    other = by_name.get(name)
    if column.type.family != "string" or other is None or other.type.family != "string" or name == column.name:
        raise ValueError(
            f"column {column.name!r}: {field} reads {name!r}, which is not another string column "
            "of the table (and the column must be a string)"
        )


def _check_within(dep: Dependency, child: ColumnModel) -> None:
    """Per-category quantiles belong to numbers and hold values of the child's own type."""
    if not isinstance(child, NumericColumn):
        raise ValueError(
            f"dependency {dep.parent}->{dep.child}: `within` needs a numeric child, {dep.child!r} is {child.kind}"
        )
    for code, qf in dep.within.items():
        if child.exact and any(not isinstance(x, int) for x in qf.values):
            raise ValueError(
                f"dependency {dep.parent}->{dep.child}: within[{code}] must hold whole numbers of "
                f"the child's unit (JSON integers)"
            )
        if qf.values[0] < child.min or qf.values[-1] > child.max:
            raise ValueError(
                f"dependency {dep.parent}->{dep.child}: within[{code}] leaves the child's range "
                f"{child.min}..{child.max}"
            )


def generation_order(columns: list[str], dependencies: list[Dependency]) -> list[str]:
    """Copula columns in the order the engine draws them: by depth in the tree (first parents
    only), then by their place in the copula; every parent, first or second, comes first."""
    parent_of = {d.child: d.parent for d in dependencies}
    depth: dict[str, int] = {}

    def depth_of(name: str) -> int:
        path = []
        while name not in depth and name in parent_of:
            if name in path:
                raise ValueError(f"model dependencies form a cycle through column {name!r}")
            path.append(name)
            name = parent_of[name]
        base = depth.get(name, 0)
        for step, node in enumerate(reversed(path), start=1):
            depth[node] = base + step
        return depth[path[0]] if path else base

    position = {name: i for i, name in enumerate(columns)}
    return sorted(columns, key=lambda n: (depth_of(n), position[n]))
