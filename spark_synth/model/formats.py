"""A pattern column's format as a category, so that it can follow the row (schema.FormatDependency).

A row's format code is 0 for null, then one code per *variant* the column's strings come in:
- a column with shapes: its shapes in order, then its text model (if any);
- a column drawn from a vocabulary: the vocabulary's groups it uses (a locale's names, a
  country's states), in the model's order.
The fit counts these codes against the copula columns; the plan gives the engine one pattern per
variant (plan/compiler.py) and draws the code from the tree. Both sides use the labels built here.
"""

from __future__ import annotations

from spark_synth.model.schema import CategoricalColumn, PatternColumn, PatternModel, UniqueColumn, Vocabulary
from spark_synth.model.vocabulary import words_of_label

FormatColumn = PatternColumn | UniqueColumn


def format_labels(column: FormatColumn) -> list[str]:
    """Labels of codes 1..V: shape templates or vocabulary group names (not the text model's code)."""
    vocabulary = _vocabulary(column)
    if vocabulary is not None:
        return vocabulary.labels
    return [s.shape for s in _pattern(column).shapes]


def format_codes(column: FormatColumn) -> int:
    """How many codes a column's format has: null, its variants, and its text model if any."""
    return 1 + len(format_labels(column)) + (1 if has_text_code(column) else 0)


def has_text_code(column: FormatColumn) -> bool:
    """Whether the text model is a format of its own: not for vocabularies (words only) nor for
    unique columns (values are made unique inside a shape; the text's rows go to the shapes)."""
    return isinstance(column, PatternColumn) and column.vocabulary is None and _pattern(column).text is not None


def can_follow(column: FormatColumn) -> bool:
    """A format can follow the row when at least two of its codes can hold rows (a vocabulary's
    groups count whatever their shares: the fit finds them). A unique column can when its values
    has shapes, none of them empty (values are made unique inside each shape)."""
    if isinstance(column, UniqueColumn) and (
        column.pattern is None or not column.pattern.shapes or not all(s.shape for s in column.pattern.shapes)
    ):
        return False
    vocabulary = _vocabulary(column)
    if vocabulary is not None:
        return len(vocabulary.labels) >= 2 or column.null_fraction > 0
    pattern = _pattern(column)
    masses = (
        [column.null_fraction]
        + [s.probability for s in pattern.shapes]
        + ([pattern.text.probability] if pattern.text else [])
    )
    return sum(1 for m in masses if m > 0) >= 2


def format_category(column: FormatColumn, marginal: list[float] | None = None) -> CategoricalColumn:
    """The format as a categorical column (values: the labels, codes 1..V; the text model, or any
    value outside the variants, the rare remainder V+1; nulls code 0), the coding of
    category_codes and UniformScale. `marginal`: P(code) for codes 0..V(+1); by default the
    pattern's own shares (shapes) or equal groups (vocabularies)."""
    labels = format_labels(column)
    if marginal is None:
        marginal = default_marginal(column)
    null = marginal[0]
    rest = [m / (1.0 - null) for m in marginal[1:]] if null < 1.0 else [0.0] * (len(marginal) - 1)
    values = rest[: len(labels)]
    other = rest[len(labels)] if len(rest) > len(labels) else 0.0
    return CategoricalColumn.model_construct(
        name=column.name,
        spark_type=column.spark_type,
        nullable=column.nullable,
        null_fraction=null,
        kind="categorical",
        values=labels,
        probabilities=values,
        other_probability=other,
        pattern=None,
        rare_source="kept",
        vocabulary=None,
    )


def default_marginal(column: FormatColumn) -> list[float]:
    """P(code) from the column alone: null, then the shapes' and text's shares, or equal groups."""
    null = column.null_fraction
    vocabulary = _vocabulary(column)
    if vocabulary is not None:
        labels = len(vocabulary.labels)
        return [null] + [(1.0 - null) / labels] * labels
    pattern = _pattern(column)
    shares = [s.probability for s in pattern.shapes] + (
        [pattern.text.probability] if has_text_code(column) and pattern.text is not None else []
    )
    total = sum(shares)
    return [null] + [(1.0 - null) * p / total for p in shares]


def group_of_word(column: FormatColumn) -> dict[str, str]:
    """word -> the one variant label of the column's vocabulary it belongs to (its group, or
    "group/gender"); words in several of the column's groups ('Anna'), or of no single gender
    when the column is split by gender, are left out: they do not tell the row's variant."""
    owner: dict[str, str | None] = {}
    vocabulary = _vocabulary(column)
    assert vocabulary is not None, "group_of_word reads a vocabulary column"
    for label in vocabulary.labels:
        for word in words_of_label(vocabulary.name, label):
            owner[word] = label if word not in owner else None
    return {w: g for w, g in owner.items() if g is not None}


def _vocabulary(column: FormatColumn) -> Vocabulary | None:
    """A pattern column's vocabulary (unique columns have none)."""
    return column.vocabulary if isinstance(column, PatternColumn) else None


def _pattern(column: FormatColumn) -> PatternModel:
    """The column's pattern: every format column without a vocabulary has one (schema.py checks
    it on load)."""
    assert column.pattern is not None, f"column {column.name!r} has no pattern"
    return column.pattern
