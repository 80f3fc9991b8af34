"""Choosing each column's kind from its Spark type and pass-1 profile (or the user's override)."""

from __future__ import annotations

from spark_synth.errors import InputDataError
from spark_synth.fit.profile import ColumnProfile
from spark_synth.fit.semantic import SEMANTIC_TYPES, check_override, is_semantic, split_type

KINDS_BY_FAMILY: dict[str, set[str]] = {
    "integral": {"integer", "continuous", "categorical", "id", "unique", "constant"},
    "fractional": {"continuous", "integer", "categorical", "constant"},
    "decimal": {"decimal", "constant"},
    "string": {"categorical", "pattern", "unique", "constant"},
    "boolean": {"boolean", "constant"},
    "date": {"datetime"},
    "timestamp": {"datetime"},
    "timestamp_ntz": {"datetime"},
}
MAX_INTEGER_CATEGORIES = 32
MIN_KEPT_CATEGORY_MASS = 0.5


def check_values(p: ColumnProfile, table: str) -> None:
    if p.nan_count or p.inf_count:
        raise InputDataError(
            f"table {table}, column {p.name!r}: {p.nan_count} NaN and {p.inf_count} infinite values; "
            "spark_synth models missing values as nulls only. Replace them first, e.g. "
            f"df.withColumn('{p.name}', F.when(F.isnan(c) | (F.abs(c) == float('inf')), None).otherwise(c))."
        )


def check_kind_override(column: str, family: str, override: str, table: str) -> None:
    """Refuse a kind the column's type cannot take, or a type on a non-string column: from the
    schema alone, so fit_table refuses it before any Spark work."""
    if is_semantic(override):  # a semantic type: the kind is chosen as usual, the type follows it
        if family != "string":
            raise InputDataError(
                f"table {table}, column {column!r}: type {split_type(override)[0]!r} needs a "
                f"string column, the column is {family}"
            )
        check_override(column, override, table)
        return
    allowed = KINDS_BY_FAMILY[family]
    if override not in allowed:
        types = f" or, for strings, a type: {', '.join(SEMANTIC_TYPES)}" if family == "string" else ""
        raise InputDataError(
            f"table {table}, column {column!r}: kind {override!r} does not fit its type "
            f"({family}); choose one of {sorted(allowed)}{types}"
        )


def choose_kind(p: ColumnProfile, table: str, min_count: int, max_categories: int, override: str | None) -> str:
    """The kind to model `p` with; an override was checked against the column's type before
    pass 1 (`check_kind_override`), so a semantic type here only says "not a kind"."""
    if p.non_null == 0:
        return "null"
    check_values(p, table)
    if override is not None and is_semantic(override):
        override = None
    if override is not None:
        if override == "constant" and p.distinct > 1:
            raise InputDataError(
                f"table {table}, column {p.name!r}: kind 'constant' needs a single value, "
                f"the column has about {p.distinct}"
            )
        return override
    single = p.distinct <= 1 and (p.top is None or len(p.top) <= 1)
    if p.family == "string":
        if single and p.top and p.top[0][1] >= min_count:
            return "constant"
        if p.unique:
            return "unique"
        return (
            "categorical" if kept_category_mass(p, min_count, max_categories) >= MIN_KEPT_CATEGORY_MASS else "pattern"
        )
    if p.family in ("date", "timestamp", "timestamp_ntz"):
        return "datetime"
    if single:
        return "constant"
    if p.family == "boolean":
        return "boolean"
    if p.family == "decimal":
        return "decimal"
    if p.family == "integral":
        if p.unique:
            return "id" if is_unique_sequence(p) else "unique"
        if (
            p.top is not None
            and len(p.top) <= MAX_INTEGER_CATEGORIES
            and p.distinct <= MAX_INTEGER_CATEGORIES
            and sum(c for _, c in p.top) == p.non_null
            and all(c >= min_count for _, c in p.top)
        ):
            return "categorical"
        return "integer"
    return "integer" if p.non_integral == 0 else "continuous"


def kept_category_mass(p: ColumnProfile, min_count: int, max_categories: int) -> float:
    if not p.top:
        return 0.0
    kept = sorted((c for _, c in p.top if c >= min_count), reverse=True)[:max_categories]
    return sum(kept) / p.non_null


def is_unique_sequence(p: ColumnProfile) -> bool:
    """Unique integers without nulls, dense enough to be a row counter (generated in order)."""
    return p.unique and p.non_null == p.rows and p.rows >= 2 and (p.max - p.min + 1) <= 2 * p.rows


def numeric_map_sources(rules: list, columns: list, overrides: dict[str, str]) -> list[str]:
    """Whole-number columns modelled as numbers that a `map` rule reads (an occupation code that
    determines a label and a score). Drawn from quantiles, most generated codes never existed, the
    mapping holds nothing for them and their targets come out free (issue 36: 50 % of rows broke
    the rule). As categories they draw only kept codes (rarer ones' mass spread on those), so every
    row's code is in the mapping. A kind the user chose is kept."""
    kinds = {c.name: c.kind for c in columns}
    wanted = {s for r in rules if getattr(r, "form", None) == "map" for s in r.sources}
    return sorted(s for s in wanted if kinds.get(s) == "integer" and s not in overrides)
