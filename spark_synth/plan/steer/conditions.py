"""Conditions on what is generated (issue 16): what a user writes, checked against the model.

A condition keeps a column of the copula to some of its values: a categorical column to a value
or a set, a numeric or datetime column to a range (plan/steer/ranges.py), either to null / not
null. `conditions_of` checks each against the model (unknown columns, values it does not hold,
keys, contradictions) and moves conditions through the rules that run after the draw
(`_through_rules`: a condition on a column a rule writes moves to what the rule reads), so every
row satisfies them. plan/steer/tree.py turns them into a conditioned tree for the
plan; plan/steer/null_branches.py splits a null the rules decide into its causes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import CategoricalColumn, NumericColumn
from spark_synth.plan.steer.ranges import ANY, NOT_NULL, ONLY_NULL, Range, Span, span_of

NULL = None  # a condition's value for "is null"


class _Rare:
    """A condition's value for the column's rare values (seen < k times, drawn as shapes): only
    conditions moved through a rule allow them, never one a user writes."""

    def __repr__(self) -> str:
        return "<rare values>"


RARE = _Rare()
Allowed = set | Span  # what a condition leaves of a column: values of a category, a span of a number


@dataclass(frozen=True)
class Condition:
    """A categorical `column` takes one of `values` (model values; None stands for null); a
    numeric one stays inside `span`."""

    column: str
    values: tuple = ()
    span: Span | None = None


_NAME = r"`(?:[^`]|``)+`|[^\s=<>!(),]+"
_TEXT_FORMS = [
    (re.compile(rf"^({_NAME})\s+is\s+not\s+null$", re.I), "not null"),
    (re.compile(rf"^({_NAME})\s+is\s+null$", re.I), "null"),
    (re.compile(rf"^({_NAME})\s+in\s*\((.*)\)$", re.I), "in"),
    (re.compile(rf"^({_NAME})\s+between\s+(.+?)\s+and\s+(.+)$", re.I), "between"),
    (re.compile(rf"^({_NAME})\s*(>=|<=|>|<)\s*(.+)$"), "compare"),
    (re.compile(rf"^({_NAME})\s*=\s*(.+)$"), "="),
]
WHERE_SYNTAX = (
    "column = value",
    "column in (a, b)",
    "column is null",
    "column is not null",
    "column >= low (also >, <, <=)",
    "column between low and high",
)


def parse_where(where: Any) -> list[tuple[str, Any]]:
    """(column, wanted) pairs from the API's dict ({"carrier": "UA"}, {"origin": ["JFK", "LGA"]},
    {"dep_time": None}, {"arr_delay": (60, None)}) or the CLI's texts ("carrier = UA",
    "origin in (JFK, LGA)", "x is null", "arr_delay >= 60", "day between 1 and 7"); `wanted` is a
    value, a list of values, a (low, high) tuple (a set on a categorical column, a closed range
    on a numeric one), a Range, None (null) or the string "not null"."""
    if where is None:
        return []
    if isinstance(where, dict):
        where = list(where.items())
    if isinstance(where, str):
        where = [where]
    out = []
    for text in where:
        if isinstance(text, tuple) and len(text) == 2:  # (column, wanted): a dict item
            column, wanted = text
            if isinstance(wanted, (set, frozenset)):
                wanted = sorted(wanted, key=str)
            out.append((str(column), wanted))
            continue
        t = " ".join(str(text).split())
        for pattern, form in _TEXT_FORMS:
            m = pattern.match(t)
            if m is None:
                continue
            column = _unquote(m[1])
            if form == "not null":
                out.append((column, "not null"))
            elif form == "null":
                out.append((column, None))
            elif form == "in":
                out.append((column, [_unquote_value(v) for v in m[2].split(",") if v.strip()]))
            elif form == "between":
                out.append((column, Range(_unquote_value(m[2]), _unquote_value(m[3]))))
            elif form == "compare":
                bound, strict = _unquote_value(m[3]), m[2] in (">", "<")
                out.append(
                    (
                        column,
                        Range(low=bound, low_strict=strict)
                        if m[2].startswith(">")
                        else Range(high=bound, high_strict=strict),
                    )
                )
            else:
                out.append((column, _unquote_value(m[2])))
            break
        else:
            raise GenerateError(
                f"condition {text!r} is not understood; write one of: {', '.join(WHERE_SYNTAX)} "
                "(quote odd column names in backticks, values with commas in single quotes)"
            )
    return out


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _unquote_value(text: str) -> str:
    text = text.strip()
    return text[1:-1].replace("''", "'") if len(text) >= 2 and text[0] == text[-1] == "'" else text


def conditions_of(model: SynthModel, where: Any, time_zone: str | None = None) -> list[Condition]:
    """Check `where` against the model: one Condition per column (two on one column meet).
    `time_zone` reads timestamps written without an offset (the Spark session's; else the
    machine's)."""
    keys = {c.name for c in model.columns if c.kind in ("id", "unique")}
    names = [c.name for c in model.columns]
    copula = _copula_columns(model)
    by_column: dict[str, Allowed] = {}
    for column, wanted in parse_where(where):
        if column not in names:
            raise GenerateError(f"condition on {column!r}: the model has no such column; columns are {names}")
        spec = model.column(column)
        if column in keys:
            raise GenerateError(f"condition on {column!r}: it is a key column (unique values); condition other columns")
        if not isinstance(spec, CategoricalColumn | NumericColumn) or spec.name not in copula:
            raise GenerateError(
                f"condition on {column!r}: conditions on {spec.kind} columns are not supported yet; this version "
                "conditions categorical columns (a value, a set, null / not null) and numeric and datetime columns "
                "(a range, null / not null) that the model draws together"
            )
        if getattr(spec, "place", None) is not None or getattr(spec, "from_names", None) is not None:
            raise GenerateError(
                f"condition on {column!r}: its values are written after the draw (a place or "
                "an e-mail from names); condition the columns they follow"
            )
        if isinstance(spec, NumericColumn):
            allowed: set | Span = span_of(spec, wanted, time_zone)
        else:
            if isinstance(wanted, Range):
                allowed = _values_in_range(spec, wanted)
            else:
                allowed = _allowed(
                    spec, list(wanted) if isinstance(wanted, tuple) else wanted, model.spec.privacy.min_count
                )
        by_column[column] = allowed if column not in by_column else _meet(by_column[column], allowed)
        if _empty(by_column[column]):
            raise GenerateError(f"conditions on {column!r} contradict each other: no value satisfies all of them")
    _with_pair_partners(model, by_column)
    _through_rules(model, by_column)
    return [
        Condition(c, span=v)
        if isinstance(v, Span)
        else Condition(c, tuple(sorted(v, key=lambda x: (x is not None, str(x)))))
        for c, v in by_column.items()
    ]


def _values_in_range(column: CategoricalColumn, wanted: Range) -> set:
    """A range on a categorical column of numbers (a few distinct integers, say): the values it
    holds inside the range (its rare values are left out: they are drawn as shapes)."""
    numbers = [v for v in column.values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) != len(column.values):
        raise GenerateError(
            f"condition on {column.name!r}: a range on a column of categories; write a value or "
            "a set (column in (a, b))"
        )

    def bound(x: Any) -> Decimal:
        try:
            out = Decimal(str(x).strip())
        except InvalidOperation:
            raise GenerateError(f"condition on {column.name!r}: {x!r} is not a number") from None
        if not out.is_finite():
            raise GenerateError(f"condition on {column.name!r}: {x!r} is not a number")
        return out

    low = None if wanted.low is None else bound(wanted.low)
    high = None if wanted.high is None else bound(wanted.high)
    if low is not None and high is not None and low > high:
        raise GenerateError(
            f"condition on {column.name!r}: the range {wanted.low} .. {wanted.high} is inverted (low above high)"
        )
    inside = {
        v
        for v in numbers
        if (low is None or (Decimal(v) > low if wanted.low_strict else Decimal(v) >= low))
        and (high is None or (Decimal(v) < high if wanted.high_strict else Decimal(v) <= high))
    }
    if not inside:
        raise GenerateError(
            f"condition on {column.name!r}: no value the model holds lies in the range "
            f"(values {sorted(numbers)[:10]}); the range is empty or outside the values the model "
            "learned"
        )
    return inside


def _meet(a: Allowed, b: Allowed) -> Allowed:
    """Both conditions on one column: spans on a number, sets of values on a category."""
    if isinstance(a, Span) and isinstance(b, Span):
        return a.meet(b)
    assert isinstance(a, set) and isinstance(b, set), "a column's conditions are all spans or all sets"
    return a & b


def _empty(allowed: set | Span) -> bool:
    return allowed.empty if isinstance(allowed, Span) else not allowed


def _holds(allowed: set | Span, value: Any) -> bool:
    return allowed.holds(value) if isinstance(allowed, Span) else value in allowed


def _about_nullness(column, allowed: set | Span) -> bool:
    """Whether a condition says only null / not null (every value, or none, allowed)."""
    if isinstance(allowed, Span):
        return allowed.low is None and allowed.high is None
    return set(column.values) | {RARE} <= allowed or allowed == {None}


def _through_rules(model: SynthModel, by_column: dict[str, Allowed]) -> None:
    """Rules run after the draw (docs/plan.md §12) and may change a conditioned column; the
    condition then moves to what they read, so every row still satisfies it:
    - `A -> C` (a mapping from one source): C in S keeps A to the values the mapping sends into
      S, or holds no value for (those keep the drawn C), or null; not to A's rare values;
    - `C is null when A is null`: a condition that leaves C non-null keeps A non-null; `A is null`
      makes C null in every row, so C's drawn code is kept null too: the evidence of the event the
      real rows show (a cancelled flight's delays and arrival are null with its departure);
    - any other rule writing C (a computed column, an ordering, a calendar's day): refused, unless
      the condition is only null or not null (those rules never change whether C is null)."""
    copula = _copula_columns(model)
    changed = True
    while changed:  # a source's new condition may itself meet a rule
        changed = False
        for rule in model.spec.rules:
            if (
                rule.form == "null_with"
                and rule.when_null in by_column
                and rule.column in copula
                and model.column(rule.column).null_fraction > 0
                and _only_null(by_column[rule.when_null])
            ):
                changed |= _keep(model, by_column, rule.column, _null_of(model, rule.column), copula, rule)
            written = [c for c in rule.writes() if c in by_column]
            if not written:
                continue
            target = written[0]
            if rule.form != "null_with" and _about_nullness(model.column(target), by_column[target]):
                continue
            if rule.form == "null_with":
                if _holds(by_column[target], None):
                    continue
                source = rule.when_null
                changed |= _keep(model, by_column, source, _not_null(model, source, rule), copula, rule)
            elif rule.form == "map" and len(rule.sources) == 1:
                source = model.column(rule.sources[0])
                if not isinstance(source, CategoricalColumn):
                    raise GenerateError(
                        f"condition on {target!r}: the rule {rule.text()!r} computes it from a "
                        f"{source.kind} column; condition {source.name!r} instead"
                    )
                held = _Held(source)
                sent = {held(p.when[0]): p.then for p in rule.pairs}
                # (not RARE: a rare value is drawn as a shape, which may spell a key the mapping holds)
                allowed = {v for v in source.values if v not in sent or _holds(by_column[target], sent[v])} | {None}
                changed |= _keep(model, by_column, source.name, allowed, copula, rule)
            else:
                raise GenerateError(
                    f"condition on {target!r}: the rule {rule.text()!r} computes its value after "
                    "the draw; condition the columns it reads instead"
                )


def _only_null(allowed: set | Span) -> bool:
    return allowed == ONLY_NULL if isinstance(allowed, Span) else allowed == {None}


def _null_of(model: SynthModel, column: str) -> set | Span:
    return ONLY_NULL if isinstance(model.column(column), NumericColumn) else {None}


def _not_null(model: SynthModel, column: str, rule) -> set | Span:
    spec = model.column(column)
    if isinstance(spec, NumericColumn):
        return NOT_NULL
    if not isinstance(spec, CategoricalColumn):
        raise GenerateError(
            f"condition: the rule {rule.text()!r} makes the conditioned column null wherever "
            f"{column!r} is, a {spec.kind} column conditions cannot reach yet"
        )
    return set(spec.values) | {RARE}


def _keep(
    model: SynthModel, by_column: dict[str, Allowed], column: str, allowed: set | Span, copula: set, rule
) -> bool:
    """Narrow `column`'s condition to `allowed`; whether it changed. Refuses a column outside the
    copula or a condition left with no value."""
    if column not in copula:
        raise GenerateError(f"condition: the rule {rule.text()!r} reads {column!r}, which conditions cannot reach")
    spec = model.column(column)
    everything = ANY if isinstance(spec, NumericColumn) else set(spec.values) | {None, RARE}
    before = by_column.get(column, everything)
    after = _meet(before, allowed)
    if _empty(after):
        raise GenerateError(
            f"the conditions cannot hold together with the rule {rule.text()!r}: no value of {column!r} is left"
        )
    by_column[column] = after
    return after != before


def _with_pair_partners(model: SynthModel, by_column: dict[str, Allowed]) -> None:
    """A condition on one source of a pair mapping ((origin, dest) -> distance) keeps the other
    source to the values the mapping pairs with it: `dest = HNL` flies only from the origins that
    fly there, even where the tree does not link the two columns directly."""
    copula = _copula_columns(model)
    for rule in model.spec.rules:
        if rule.form != "map" or len(rule.sources) != 2 or not set(rule.sources) <= copula:
            continue
        for i, j in ((0, 1), (1, 0)):
            given, other = rule.sources[i], rule.sources[j]
            column = model.column(other)
            allowed = by_column.get(given)
            if not isinstance(allowed, set) or not isinstance(column, CategoricalColumn):
                continue  # (a span: the given source is a number)
            held = _Held(column)
            partners = {held(p.when[j]) for p in rule.pairs if p.when[i] in allowed} - {_MISSING}
            if None in allowed:
                continue  # a null source is outside the mapping: nothing to say about its partner
            current = by_column.get(other)
            if isinstance(current, Span):
                continue
            kept = (current if current is not None else set(column.values) | {None}) & partners
            by_column[other] = kept
            if not kept:
                raise GenerateError(
                    f"conditions on {given!r} and {other!r} contradict the rule {rule.text()!r}: "
                    "no pair of real rows has both"
                )


def _copula_columns(model: SynthModel) -> set[str]:
    return set(model.spec.copula.columns) if model.spec.copula else set()


def _allowed(column: CategoricalColumn, wanted: Any, k: int) -> set:
    """The model values (None: null) a condition allows; GenerateError for a value it does not hold."""
    if isinstance(wanted, str) and wanted == "not null":
        return set(column.values)
    if wanted is None:
        if column.null_fraction <= 0:
            raise GenerateError(f"condition {column.name!r} is null: the column was never null in the real data")
        return {None}
    values = wanted if isinstance(wanted, list) else [wanted]
    if not values:
        raise GenerateError(f"condition on {column.name!r}: an empty set of values")
    out, held = set(), _Held(column)
    for value in values:
        found = held(value)
        if found is _MISSING:
            raise GenerateError(
                f"condition on {column.name!r}: {value!r} is not a value the model holds ({len(column.values)} "
                f"values, e.g. {column.values[:5]}); it was never seen, or seen fewer than k = {k} times and "
                "left out by the privacy threshold"
            )
        out.add(found)
    return out


_MISSING = object()


class _Held:
    """The model value equal to a given one, by index (a mapping's thousands of keys would
    otherwise each scan the column's values): the first value of the same type, or for a text
    (from the CLI) the first whose text matches; else the first equal number (1 == 1.0), never
    across booleans."""

    def __init__(self, column: CategoricalColumn):
        self.exact: dict[tuple[type, Any], tuple[int, Any]] = {}
        self.text: dict[str, tuple[int, Any]] = {}
        self.loose: dict[Any, Any] = {}
        for i, v in enumerate(column.values):
            self.exact.setdefault((type(v), v), (i, v))
            self.text.setdefault(_text(v), (i, v))
            if not isinstance(v, bool):
                self.loose.setdefault(v, v)

    def __call__(self, value: Any) -> Any:
        try:
            hash(value)
        except TypeError:  # an unhashable value is no model value
            return _MISSING
        found = [self.exact.get((type(value), value))]
        if isinstance(value, str):
            found.append(self.text.get(value))
        hits = [f for f in found if f is not None]
        if hits:
            return min(hits, key=lambda f: f[0])[1]
        if isinstance(value, bool):
            return _MISSING
        return self.loose.get(value, _MISSING)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
