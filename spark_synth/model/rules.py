"""Rules that hold in every generated row (issue 15): the model's `rules` section.

A rule stores its form and parameters only (a mapping keeps pairs seen >= k times, like every
other table in the model). The engine applies the rules after a row's columns are drawn, in the
order `rule_order` gives (docs/plan.md §12), so each holds by construction:

- `null_with`  column is null whenever `when_null` is null;
- `order`      low <= high (the pair's values are drawn, then the smaller placed in `low`);
- `map`        target = f(sources) for the source values the mapping holds (others keep their draw);
- `linear`     target = sum(coefficient * column) + constant, whole numbers (days for dates,
               microseconds for timestamps: `end = start + 60000000*minutes`);
- `div`, `mod` target = floor(source / divisor), source mod divisor (the remainder's sign is the divisor's);
- `clock`      target = clock + minutes on an HHMM clock, wrapping at midnight (dep_time from
               sched_dep_time and dep_delay);
- `calendar`   (year, month, day) is a valid date: the day is capped at the month's length.

`share` is the share of the real rows (with every column of the rule non-null) that satisfied it.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from spark_synth.model.base import FiniteFloat, Probability, Strict

MapValue = bool | StrictInt | FiniteFloat | str
# Whole numbers on the unit scale (integers; dates as days since 1970-01-01; timestamps as
# microseconds since 1970-01-01 00:00 UTC).
WHOLE: tuple[str, ...] = ("integral", "date", "timestamp")
ORDERED = ("integral", "fractional", "date", "timestamp", "timestamp_ntz")
MAP_SOURCES: tuple[str, ...] = ("integral", "string", "boolean")
MAP_TARGETS: tuple[str, ...] = ("integral", "string", "boolean", "fractional")


class NullWith(Strict):
    form: Literal["null_with"]
    column: str
    when_null: str
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.when_null,)

    def writes(self) -> tuple[str, ...]:
        return (self.column,)

    def text(self) -> str:
        return f"{self.column} is null when {self.when_null} is null"


class Order(Strict):
    form: Literal["order"]
    low: str
    high: str
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.low, self.high)

    def writes(self) -> tuple[str, ...]:
        return (self.low, self.high)

    def text(self) -> str:
        return f"{self.low} <= {self.high}"


class MapPair(Strict):
    when: list[MapValue] = Field(min_length=1, max_length=2)
    then: MapValue


class Mapping(Strict):
    form: Literal["map"]
    sources: list[str] = Field(min_length=1, max_length=2)
    target: str
    pairs: list[MapPair] = Field(min_length=1)
    share: Probability = 1.0

    @model_validator(mode="after")
    def _pairs(self) -> Mapping:
        seen = set()
        for pair in self.pairs:
            if len(pair.when) != len(self.sources):
                raise ValueError(f"map -> {self.target}: every `when` needs {len(self.sources)} values")
            key = tuple((type(v).__name__, v) for v in pair.when)
            if key in seen:
                raise ValueError(f"map -> {self.target}: {pair.when} appears twice")
            seen.add(key)
        return self

    def reads(self) -> tuple[str, ...]:
        return tuple(self.sources)

    def writes(self) -> tuple[str, ...]:
        return (self.target,)

    def text(self) -> str:
        sources = self.sources[0] if len(self.sources) == 1 else f"({', '.join(self.sources)})"
        return f"{sources} -> {self.target} ({len(self.pairs):,} values)"


class Term(Strict):
    column: str
    coefficient: StrictInt

    @model_validator(mode="after")
    def _non_zero(self) -> Term:
        if self.coefficient == 0:
            raise ValueError(f"the coefficient of {self.column!r} must not be 0 (leave the term out)")
        return self


class Linear(Strict):
    form: Literal["linear"]
    target: str
    terms: list[Term] = Field(min_length=1, max_length=2)
    constant: StrictInt = 0
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return tuple(t.column for t in self.terms)

    def writes(self) -> tuple[str, ...]:
        return (self.target,)

    def text(self) -> str:
        parts = []
        for i, t in enumerate(self.terms):
            sign = "-" if t.coefficient < 0 else ("+" if i else "")
            size = abs(t.coefficient)
            parts.append(f"{sign} {'' if size == 1 else f'{size}*'}{t.column}".strip())
        if self.constant:
            parts.append(f"{'-' if self.constant < 0 else '+'} {abs(self.constant)}")
        return f"{self.target} = {' '.join(parts)}"


class Division(Strict):
    form: Literal["div", "mod"]
    target: str
    source: str
    divisor: StrictInt = Field(ge=2)
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.source,)

    def writes(self) -> tuple[str, ...]:
        return (self.target,)

    def text(self) -> str:
        return f"{self.target} = {self.source} {self.form} {self.divisor}"


class Clock(Strict):
    """target = clock + minutes on a 24-hour HHMM clock (`dep_time = sched_dep_time + dep_delay`):
    minutes(x) = (x div 100) * 60 + x mod 100; the target's minutes are (minutes(clock) +
    minutes) mod 1440, written as HHMM, midnight as `midnight` (0 or 2400)."""

    form: Literal["clock"]
    target: str
    clock: str
    minutes: str
    midnight: Literal[0, 2400] = 0
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.clock, self.minutes)

    def writes(self) -> tuple[str, ...]:
        return (self.target,)

    def text(self) -> str:
        return f"{self.target} = {self.clock} + {self.minutes} minutes (HHMM clock)"


class Calendar(Strict):
    form: Literal["calendar"]
    year: str | None = None
    month: str
    day: str
    share: Probability = 1.0

    def reads(self) -> tuple[str, ...]:
        return tuple(c for c in (self.year, self.month) if c is not None)

    def writes(self) -> tuple[str, ...]:
        return (self.day,)

    def text(self) -> str:
        parts = ", ".join(c for c in (self.year, self.month, self.day) if c is not None)
        return f"({parts}) is a valid date"


Rule = Annotated[NullWith | Order | Mapping | Linear | Division | Clock | Calendar, Field(discriminator="form")]


def rule_columns(rule) -> tuple[str, ...]:
    """Every column the rule names, reads first."""
    return tuple(dict.fromkeys(rule.reads() + rule.writes()))


def _families_allowed(rule) -> list[tuple[str, tuple[str, ...]]]:
    """(column, families it may have) for every column of the rule."""
    if isinstance(rule, NullWith):
        return []
    if isinstance(rule, Order):
        return [(rule.low, ORDERED), (rule.high, ORDERED)]
    if isinstance(rule, Mapping):
        return [(s, MAP_SOURCES) for s in rule.sources] + [(rule.target, MAP_TARGETS)]
    if isinstance(rule, Linear):
        return [(t.column, WHOLE) for t in rule.terms] + [(rule.target, WHOLE)]
    if isinstance(rule, Division):
        return [(rule.source, ("integral",)), (rule.target, ("integral",))]
    if isinstance(rule, Clock):
        return [(c, ("integral",)) for c in (rule.target, rule.clock, rule.minutes)]
    return [(c, ("integral",)) for c in (rule.year, rule.month, rule.day) if c is not None]


def check_rules(rules: list, columns: dict, fixed: AbstractSet[str] = frozenset()) -> None:
    """ValueError naming the rule when a rule names an unknown column, mixes types it cannot
    compute with, writes a column another feature writes (`fixed`: keys, places, names an e-mail
    reads), gives a column two computed values, or the rules form a cycle."""
    computed: dict[str, str] = {}
    for rule in rules:
        name = rule.text()
        for column in rule_columns(rule):
            if column not in columns:
                raise ValueError(f"rule {name!r}: unknown column {column!r}; columns are {sorted(columns)}")
        if len(set(rule_columns(rule))) != len(rule_columns(rule)) or (
            not isinstance(rule, Order) and set(rule.reads()) & set(rule.writes())
        ):
            raise ValueError(f"rule {name!r}: a column cannot be computed from itself")
        for column, families in _families_allowed(rule):
            family = columns[column].type.family
            if family not in families:
                raise ValueError(
                    f"rule {name!r}: column {column!r} is {columns[column].spark_type}; "
                    f"the {rule.form} form needs one of {', '.join(families)}"
                )
        if isinstance(rule, Order) and columns[rule.low].type.name != columns[rule.high].type.name:
            raise ValueError(
                f"rule {name!r}: an ordering needs two columns of the same type, "
                f"{rule.low!r} is {columns[rule.low].spark_type} and {rule.high!r} "
                f"{columns[rule.high].spark_type}"
            )
        if isinstance(rule, Mapping):
            _check_map_values(rule, columns)
        if isinstance(rule, NullWith):
            continue
        for column in rule.writes():
            if column in fixed:
                raise ValueError(
                    f"rule {name!r}: column {column!r} is written by another part of the model "
                    "(a key, a place, or names an e-mail is built from); a rule cannot change it"
                )
            if not isinstance(rule, Order) and column in computed:
                raise ValueError(
                    f"rule {name!r}: column {column!r} is already computed by rule "
                    f"{computed[column]!r}; keep one of them"
                )
            if not isinstance(rule, Order):
                computed[column] = name
    for rule in rules:
        if isinstance(rule, Order):
            for column in rule.writes():
                if column in computed:
                    raise ValueError(
                        f"rule {rule.text()!r}: column {column!r} is computed by rule "
                        f"{computed[column]!r}; an ordering cannot move it"
                    )
    rule_order(rules)


def _check_map_values(rule: Mapping, columns: dict) -> None:
    def fits(value, family: str) -> bool:
        if family == "string":
            return isinstance(value, str)
        if family == "boolean":
            return isinstance(value, bool)
        if family == "integral":
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    for pair in rule.pairs:
        for column, value in list(zip(rule.sources, pair.when)) + [(rule.target, pair.then)]:
            if not fits(value, columns[column].type.family):
                raise ValueError(
                    f"rule {rule.text()!r}: {value!r} is not a value of column {column!r} "
                    f"({columns[column].spark_type})"
                )


def rule_order(rules: list) -> list:
    """The rules in the order the engine applies them: null patterns first, as listed (the engine
    applies them until none changes the row, so `A null <=> B null` is fine; no later rule changes
    a null flag), then each value rule after every rule that writes a column it reads.
    ValueError naming the rules of a cycle."""
    nulls = [r for r in rules if isinstance(r, NullWith)]
    values = [r for r in rules if not isinstance(r, NullWith)]
    return nulls + _topological(values)


def _topological(rules: list) -> list:
    writers: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        for column in rule.writes():
            writers.setdefault(column, []).append(i)
    after: dict[int, set[int]] = {i: set() for i in range(len(rules))}
    for i, rule in enumerate(rules):
        for column in rule.reads():
            after[i] |= {w for w in writers.get(column, []) if w != i and not _both_orders(rules[w], rule)}
    done: list[int] = []
    state: dict[int, int] = {}

    def visit(i: int, path: list[int]) -> None:
        if state.get(i) == 2:
            return
        if state.get(i) == 1:
            cycle = path[path.index(i) :] + [i]
            raise ValueError(
                "rules form a cycle (each computes a column the next one reads): "
                + " -> ".join(repr(rules[k].text()) for k in cycle)
            )
        state[i] = 1
        for j in sorted(after[i]):
            visit(j, path + [i])
        state[i] = 2
        done.append(i)

    for i in range(len(rules)):
        visit(i, [])
    return [rules[i] for i in done]


def _both_orders(a, b) -> bool:
    """Orderings that share a column are applied together (one sort), not one after the other."""
    return isinstance(a, Order) and isinstance(b, Order)


def order_groups(orders: list[Order]) -> list[list[str]]:
    """Orderings that share columns, each as its columns in an order where every `low` comes before
    its `high` (a linear extension): sorting the row's non-null values ascending into these
    columns satisfies every ordering of the group at once. ValueError on a cycle (a <= b <= a)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for o in orders:
        parent[find(o.low)] = find(o.high)
    groups: dict[str, list[Order]] = {}
    for o in orders:
        groups.setdefault(find(o.low), []).append(o)
    out = []
    for members in groups.values():
        columns = list(dict.fromkeys(c for o in members for c in (o.low, o.high)))
        below = {c: {o.low for o in members if o.high == c} for c in columns}
        ordered: list[str] = []
        while len(ordered) < len(columns):
            ready = [c for c in columns if c not in ordered and below[c] <= set(ordered)]
            if not ready:
                raise ValueError("orderings form a cycle: " + ", ".join(o.text() for o in members))
            ordered.append(ready[0])
        out.append(ordered)
    return out


# --- rules written as text (fit(..., rules=[...]), --rule, docs/rules.md) ------------------------------

RULE_SYNTAX = (
    "A <= B",
    "A >= B",
    "B is null when A is null",
    "C = A + B",
    "C = A - 2*B + 3",
    "C = A div 100",
    "C = A mod 60",
    "C = A + B minutes (HHMM clock)",
    "(year, month, day) is a valid date",
    "A -> C",
    "(A, B) -> C",
)
_NAME = r"(?:`(?:[^`]|``)+`|[A-Za-z_][\w.]*)"
_TOKEN = re.compile(rf"\s*({_NAME}|\d+|<=|>=|->|[-+*=(),])")


def _names(text: str) -> list[str]:
    return [_unquote(n) for n in re.findall(_NAME, text)]


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def parse_rule(text: str) -> dict:
    """A rule written as text, as the model's JSON (without a mapping's pairs, which the fit
    learns). ValueError listing the forms understood."""
    t = " ".join(text.strip().split())
    name = _NAME
    patterns = [
        (
            rf"^({name}) is null when ({name}) is null$",
            lambda m: {"form": "null_with", "column": _unquote(m[1]), "when_null": _unquote(m[2])},
        ),
        (rf"^({name}) <= ({name})$", lambda m: {"form": "order", "low": _unquote(m[1]), "high": _unquote(m[2])}),
        (rf"^({name}) >= ({name})$", lambda m: {"form": "order", "low": _unquote(m[2]), "high": _unquote(m[1])}),
        (rf"^\(({name}(?:\s*,\s*{name}){{1,2}})\) is a valid date$", _calendar),
        (
            rf"^\(?({name}(?:\s*,\s*{name})?)\)? -> ({name})$",
            lambda m: {"form": "map", "sources": _names(m[1]), "target": _unquote(m[2])},
        ),
        (
            rf"^({name}) = ({name}) (div|mod) (\d+)$",
            lambda m: {"form": m[3], "target": _unquote(m[1]), "source": _unquote(m[2]), "divisor": int(m[4])},
        ),
        (
            rf"^({name}) = ({name}) \+ ({name}) minutes(?: \(HHMM clock\))?$",
            lambda m: {"form": "clock", "target": _unquote(m[1]), "clock": _unquote(m[2]), "minutes": _unquote(m[3])},
        ),
        (rf"^({name}) = (.+)$", _linear),
    ]
    for pattern, build in patterns:
        match = re.match(pattern, t)
        if match:
            built = build(match)
            if built is not None:
                return built
    raise ValueError(
        f"rule {text!r} is not a rule spark_synth understands; write one of: {', '.join(RULE_SYNTAX)} "
        "(quote odd column names in backticks)"
    )


def _calendar(m) -> dict:
    names = _names(m[1])
    if len(names) == 2:
        return {"form": "calendar", "month": names[0], "day": names[1]}
    return {"form": "calendar", "year": names[0], "month": names[1], "day": names[2]}


def _linear(m) -> dict | None:
    """`A + B`, `A - 2*B + 3`: whole coefficients and constant, at most two columns."""
    tokens = _TOKEN.findall(m[2])
    if "".join(tokens).replace(" ", "") != m[2].replace(" ", ""):
        return None
    terms, constant, sign, i = [], 0, 1, 0
    while i < len(tokens):
        token = tokens[i]
        if token in "+-":
            sign = 1 if token == "+" else -1
            i += 1
            continue
        if token.isdigit():
            if i + 1 < len(tokens) and tokens[i + 1] == "*":
                if i + 2 >= len(tokens):
                    return None
                terms.append({"column": _unquote(tokens[i + 2]), "coefficient": sign * int(token)})
                i += 3
            else:
                constant += sign * int(token)
                i += 1
        elif re.fullmatch(_NAME, token):
            terms.append({"column": _unquote(token), "coefficient": sign})
            i += 1
        else:
            return None
        sign = 1
    if not 1 <= len(terms) <= 2:
        return None
    return {"form": "linear", "target": _unquote(m[1]), "terms": terms, "constant": constant}
