"""Pass 9: rules that hold in (nearly) every real row, found in bounded aggregations (issue 15).

Forms searched (model/rules.py has their semantics), each among the columns the copula draws
(numbers and categories; constants, keys, patterns and places are left alone):

- null patterns: B is null whenever A is null (one aggregation over pairs of nullable columns);
- orderings A <= B between columns of one type whose ranges overlap (one aggregation);
- arithmetic over whole numbers (integers, dates as days): C = A + B and C = A - B, C = a*A + b
  (a, b whole; candidates from the columns' min and max), C = A div k and C = A mod k for k in
  DIVISORS (candidates from min and max), and T = A + B minutes on an HHMM clock (wrapping at
  midnight: `dep_time = sched_dep_time + dep_delay`), and T = S +/- k*N for timestamps S, T and
  an integer N counted in microseconds, milliseconds, seconds, minutes, hours or days (k its
  length in microseconds: `end = start + 60000000*duration_min`); date differences are C = A - B
  over dates as days;
- calendar validity: integer year/month/day columns named so (`year`, `dep_month`, ...);
- functional dependencies A -> C and (A, B) -> C between columns of at most MAX_SOURCE_VALUES
  values; the mapping keeps the source values seen >= k times (the others keep their drawn target).

Candidates are screened on the driver over a sample of at most SCREEN_ROWS rows (bounded
whatever the table's size; numpy/pandas), then every candidate is counted on all rows in Spark.

A rule is kept when it holds in >= `share` (0.999) of the real rows with its columns non-null
(null patterns: of the rows where A is null) and at least k rows show it. Arithmetic rules come
first, then dependencies; a rule that would compute a column already computed, or close a cycle,
is left out (`spark-synth rules` lists what was kept).

The search runs before the dependency tree is built: `tied_pairs` names the columns a rule
wants drawn together (a calendar's month and day, ...), which the tree then links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from pydantic import TypeAdapter, ValidationError
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_synth.errors import InputDataError
from spark_synth.fit.profile import ColumnProfile
from spark_synth.fit.sampling import hashed_rows
from spark_synth.model.rules import (
    MAP_SOURCES,
    MAP_TARGETS,
    Calendar,
    Clock,
    Division,
    Linear,
    MapPair,
    Mapping,
    NullWith,
    Order,
    Rule,
    Term,
    check_rules,
    parse_rule,
    rule_order,
)
from spark_synth.model.schema import CategoricalColumn, ConstantColumn, NumericColumn
from spark_synth.model.types import parse_spark_type
from spark_synth.names import quote
from spark_synth.sql.rules import rule_condition, rule_counts

log = logging.getLogger(__name__)
_RULE = TypeAdapter(Rule)

DEFAULT_SHARE = 0.999
# A wide table is searched among its first MAX_RULE_COLUMNS columns (the pair searches grow with
# the square of the columns; a 1,000-column table would spend minutes on them).
MAX_RULE_COLUMNS = 64
SCREEN_ROWS = 50_000
DIVISORS = (7, 10, 12, 24, 60, 100, 1000, 3600)
# Units a duration between two timestamps is counted in, in microseconds (the engine's unit):
# microseconds, milliseconds, seconds, minutes, hours, days.
TIME_UNITS = (1, 1_000, 1_000_000, 60_000_000, 3_600_000_000, 86_400_000_000)
MAX_NULL_COLUMNS = 40
MAX_ORDER_COLUMNS = 40
MAX_TRIPLE_COLUMNS = 16
MAX_SOURCE_VALUES = 5000
MAX_PAIR_VALUES = 200  # each column of a pair source
MAX_PAIR_COLUMNS = 16  # pair sources come from the first 16 such columns (120 pairs)
MAX_PAIR_PRODUCT = 20_000
MAX_DEPENDENCIES = 24
MIN_ORDER_INFORMATION = 0.01  # an ordering is searched when independent marginals would break it this often
MIN_SUPPORT = 0.5  # of a dependency's rows, the share whose source value is seen >= k times

YEAR = re.compile(r"(^|[^a-z])(year|yr|yyyy)$")
MONTH = re.compile(r"(^|[^a-z])(month|mon|mm)$")
DAY = re.compile(r"(^|[^a-z])(day|dd|dom|day_of_month)$")


@dataclass(frozen=True)
class RuleColumn:
    """What the search needs of one column: its alias in the fitted frame and its profile."""

    name: str
    alias: str
    family: str
    profile: ColumnProfile
    categorical: bool
    constant: bool = False  # read only (a calendar's year), never searched or written

    @property
    def col(self) -> Column:
        return F.col(quote(self.alias))

    @property
    def whole(self) -> Column:
        """The value as a whole number of its unit (dates: days since 1970-01-01; timestamps:
        microseconds since 1970-01-01 00:00 UTC, as the engine reads them)."""
        if self.family == "date":
            return F.unix_date(self.col).cast("long")
        return F.unix_micros(self.col) if self.family == "timestamp" else self.col.cast("long")


def eligible_columns(columns: dict, profiles: dict[str, ColumnProfile]) -> list[RuleColumn]:
    """The copula's columns a rule may read (numbers and categories with >= 2 values), and
    integer constants (a table of one year still needs that year to know February's length)."""
    out = []
    for name, column in columns.items():
        p = profiles[name]
        if isinstance(column, NumericColumn | CategoricalColumn) and p.non_null > 0 and p.distinct >= 2:
            out.append(RuleColumn(name, p.alias, p.family, p, isinstance(column, CategoricalColumn)))
        elif isinstance(column, ConstantColumn) and p.family == "integral" and p.null_fraction == 0:
            out.append(RuleColumn(name, p.alias, p.family, p, False, constant=True))
    return out


def find_rules(
    frame: DataFrame,
    columns: list[RuleColumn],
    rows: int,
    min_count: int,
    fixed: set[str],
    share: float = DEFAULT_SHARE,
) -> list:
    """Every rule found, in the order the engine applies them: the sample, one aggregation for
    null patterns, orderings, identities and calendars, one job for dependencies."""
    constants = [c for c in columns if c.constant][:MAX_RULE_COLUMNS]
    columns = [c for c in columns if not c.constant][:MAX_RULE_COLUMNS]
    sample = screening_sample(frame, columns, rows)
    writable = [c for c in columns if c.name not in fixed]
    nulls, orders, arithmetic, calendars = counted_together(
        frame,
        [
            null_rules(writable, sample, min_count, share),
            order_rules(writable, sample, min_count, share),
            arithmetic_rules(sample, columns, min_count, share),
            calendar_rules(columns + constants, min_count, share),
        ],
    )
    computed: list = []
    for rule in arithmetic + calendars:
        _accept(rule, computed, fixed)
    for rule in dependency_rules(
        frame, sample, columns, min_count, share, fixed, {w for r in computed for w in r.writes()}
    ):
        _accept(rule, computed, fixed)
    targets = {w for r in computed for w in r.writes()}
    orders = [r for r in orders if not set(r.writes()) & targets]
    return rule_order(nulls + orders + computed)


# A search yields the counts it needs (Spark aggregate expressions), receives them, returns rules.
Search = Generator[list[Column], list[int], list]


def counted_together(frame: DataFrame, searches: list[Search]) -> list[list]:
    """Run searches with one scan of the data: every search's counts in a single aggregation."""
    results: list = [None] * len(searches)
    pending, exprs = [], []
    for i, search in enumerate(searches):
        try:
            wanted = next(search)
        except StopIteration as done:
            results[i] = done.value
            continue
        pending.append((i, search, len(exprs), len(wanted)))
        exprs += wanted
    counts = list(frame.agg(*exprs).first()) if exprs else []
    for i, search, start, n in pending:
        try:
            search.send(counts[start : start + n])
        except StopIteration as done:
            results[i] = done.value
    return results


def _accept(rule, computed: list, fixed: set[str]) -> None:
    """Keep `rule` unless it computes a fixed or already computed column or closes a cycle."""
    if set(rule.writes()) & (fixed | {w for r in computed for w in r.writes()}):
        return
    try:
        rule_order(computed + [rule])
    except ValueError:
        return
    computed.append(rule)


def _count(condition: Column) -> Column:
    return F.count(F.when(condition, 1))


def null_rules(columns: list[RuleColumn], sample: dict, min_count: int, share: float) -> Search:
    """B null whenever A null, for A with >= k nulls (pairs the sample does not rule out);
    implied ones (A -> B -> C) left out."""
    nullable = [c for c in columns if 0 < c.profile.non_null < c.profile.rows][:MAX_NULL_COLUMNS]
    pairs = [
        (a, b)
        for a in nullable
        for b in nullable
        if a is not b and a.profile.rows - a.profile.non_null >= min_count and _null_with_on(sample, a, b, share)
    ]
    if not pairs:
        return []
    counts = yield [_count(a.col.isNull() & b.col.isNotNull()) for a, b in pairs]
    holds = {
        (a.name, b.name): 1 - n / (a.profile.rows - a.profile.non_null)
        for (a, b), n in zip(pairs, counts)
        if n <= (1 - share) * (a.profile.rows - a.profile.non_null)
    }
    mutual = {(a, b) for a, b in holds if (b, a) in holds}
    names = [c.name for c in nullable]
    implied = {
        (a, c)
        for a, c in holds
        for b in names
        if b not in (a, c) and (a, b) in holds and (b, c) in holds and (a, b) not in mutual and (b, c) not in mutual
    }
    return [
        NullWith(form="null_with", column=b, when_null=a, share=round(s, 6))
        for (a, b), s in holds.items()
        if (a, b) not in implied
    ]


def order_rules(columns: list[RuleColumn], sample: dict, min_count: int, share: float) -> Search:
    """A <= B between numbers of one Spark type whose marginals, drawn independently, would break
    it in >= 1 % of rows (else the marginals already order them), and that differ in some row."""
    numbers = [c for c in columns if not c.categorical and c.profile.min is not None][:MAX_ORDER_COLUMNS]
    pairs = [
        (a, b)
        for a, b in combinations(numbers, 2)
        if a.profile.spark_type == b.profile.spark_type
        and min(_independent_above(a, b), _independent_above(b, a)) >= MIN_ORDER_INFORMATION
        and _ordered_on(sample, a, b, share)
    ]
    if not pairs:
        return []
    exprs = []
    for a, b in pairs:
        exprs += [_count(a.col < b.col), _count(a.col > b.col), _count(a.col.isNotNull() & b.col.isNotNull())]
    counts = yield exprs
    out = []
    for i, (a, b) in enumerate(pairs):
        below, above, both = counts[3 * i : 3 * i + 3]
        if both < min_count or below + above == 0:
            continue
        if above <= (1 - share) * both and below > 0:
            out.append(Order(form="order", low=a.name, high=b.name, share=round(1 - above / both, 6)))
        elif below <= (1 - share) * both and above > 0:
            out.append(Order(form="order", low=b.name, high=a.name, share=round(1 - below / both, 6)))
    return out


def _null_with_on(sample: dict, a: RuleColumn, b: RuleColumn, share: float) -> bool:
    """Whether b is null in nearly every sampled row where a is (true when the sample has no such row)."""
    a_null, b_null = sample[a.name][1], sample[b.name][1]
    nulls = a_null.sum()
    return nulls == 0 or (a_null & ~b_null).sum() <= (1 - _screen_share(share)) * nulls


def _ordered_on(sample: dict, a: RuleColumn, b: RuleColumn, share: float) -> bool:
    """Whether one of the two columns is <= the other in nearly every sampled row with both."""
    (av, an), (bv, bn) = sample[a.name], sample[b.name]
    rows = ~(an | bn)
    if not rows.any():
        return False
    above = (av[rows] > bv[rows]).mean()
    below = (av[rows] < bv[rows]).mean()
    return min(above, below) <= 1 - _screen_share(share)


def _independent_above(a: RuleColumn, b: RuleColumn) -> float:
    """P(A > B) if A and B were drawn independently from their marginals (profile quantiles): an
    ordering the marginals alone almost never break (`dep_delay <= sched_dep_time`) is no rule."""
    qa, qb = np.asarray(a.profile.quantiles, dtype=float), np.asarray(b.profile.quantiles, dtype=float)
    if not len(qa) or not len(qb):
        return float(a.profile.max > b.profile.min)
    return float((qa[:, None] > qb[None, :]).mean())


def _whole_columns(columns: list[RuleColumn]) -> list[RuleColumn]:
    return [c for c in columns if c.family in ("integral", "date", "timestamp") and c.profile.min is not None]


def screening_sample(
    frame: DataFrame, columns: list[RuleColumn], rows: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """At most SCREEN_ROWS sampled rows, on the driver as {column: (values, null mask)}: whole
    numbers as int64 (dates as days), the rest as objects. Bounded whatever the table's size;
    candidates found here are counted on every row in Spark before they are kept."""
    exprs = [(c.whole if c.family in ("integral", "date") else c.col).alias(f"c{i}") for i, c in enumerate(columns)]
    selected = frame.select(*exprs)
    table = hashed_rows(selected, [F.col(f"c{i}") for i in range(len(columns))], rows, SCREEN_ROWS, salt=15).toArrow()
    out = {}
    for i, c in enumerate(columns):
        array = table.column(f"c{i}")
        nulls = array.is_null().to_numpy(zero_copy_only=False)
        if c.family in ("integral", "date"):
            values = pc.fill_null(array, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        elif c.family == "fractional":
            values = pc.fill_null(array.cast("double"), 0.0).to_numpy(zero_copy_only=False)
        elif c.family in ("timestamp", "timestamp_ntz"):
            values = pc.fill_null(array.cast("int64"), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            values = np.asarray(array.to_pylist(), dtype=object)
        out[c.name] = (values, nulls)
    return out


def arithmetic_rules(sample: dict, columns: list[RuleColumn], min_count: int, share: float) -> Search:
    """Linear identities, div and mod: candidates from min/max and the screening sample, each
    counted on every row in one aggregation."""
    whole = _whole_columns(columns)
    numbers = [c for c in whole if c.family != "timestamp"]  # (timestamps: only the form below)
    candidates = [r for r in _scaled_candidates(numbers) + _division_candidates(numbers) if _holds_on(r, sample, share)]
    candidates += _sum_candidates(sample, whole[:MAX_TRIPLE_COLUMNS], share)
    candidates += _clock_candidates(sample, whole[:MAX_TRIPLE_COLUMNS], share)
    candidates += _timestamp_candidates(sample, whole[:MAX_TRIPLE_COLUMNS], share)
    if not candidates:
        return []
    counts = yield _held_and_total(candidates, columns)
    return _composed(_simplest_first(_kept(candidates, counts, min_count, share)))


def _composed(rules: list) -> list:
    """C = A div k and D = A mod k become A = k*C + D: the same identities, but A is built from
    C and D, which keep their own marginals (flights' minute keeps its five-minute steps, which
    the interpolated quantiles of sched_dep_time lose: Column Shapes of minute 0.94 -> 0.99)."""
    divs = {(r.source, r.divisor): r for r in rules if isinstance(r, Division) and r.form == "div"}
    mods = {(r.source, r.divisor): r for r in rules if isinstance(r, Division) and r.form == "mod"}
    pairs = {key: (divs[key], mods[key]) for key in divs.keys() & mods.keys()}
    taken = {id(r) for pair in pairs.values() for r in pair}
    built = {r.target for r in rules if id(r) not in taken}
    out = [r for r in rules if id(r) not in taken]
    for (source, k), (quotient, remainder) in sorted(pairs.items()):
        if source in built:  # the source is computed by another rule: keep the two rules
            out += [quotient, remainder]
            continue
        out.append(
            Linear(
                form="linear",
                target=source,
                terms=[Term(column=quotient.target, coefficient=k), Term(column=remainder.target, coefficient=1)],
                share=min(quotient.share, remainder.share),
            )
        )
    return out


def _held_and_total(rules: list, columns: list[RuleColumn]) -> list[Column]:
    """Per rule: the rows it speaks of that satisfy it, and the rows it speaks of (the
    evaluation's definitions, sql/rules.py, over the fitted frame's aliases)."""
    by_name = {c.name: c for c in columns}
    exprs = []
    for rule in rules:
        applies, holds = rule_condition(rule, lambda n: by_name[n].col, lambda n: by_name[n].whole)
        exprs += [_count(applies & holds), _count(applies)]
    return exprs


def _kept(rules: list, counts: list[int], min_count: int, share: float) -> list:
    """The rules that >= k rows show and >= `share` of their rows satisfy, with that share."""
    out = []
    for i, rule in enumerate(rules):
        hits, total = counts[2 * i], counts[2 * i + 1]
        if total >= min_count and hits >= share * total:
            out.append(rule.model_copy(update={"share": round(hits / total, 6)}))
    return out


def _clock_minutes(values: np.ndarray) -> np.ndarray:
    return (values // 100) * 60 + values % 100


def _clock_candidates(sample: dict, whole: list[RuleColumn], share: float) -> list[Clock]:
    """T = A + B minutes on an HHMM clock: T and A integer columns within 0..2400 whose last two
    digits are minutes (< 60) in the sample, B any other integer column; the identity checked
    modulo 1440 minutes on the sample (midnight: 2400 when the target never shows 0 but 2400)."""

    def is_clock(c: RuleColumn) -> bool:
        values, nulls = sample[c.name]
        present = values[~nulls]
        return (
            c.family == "integral"
            and c.profile.min >= 0
            and c.profile.max <= 2400
            and len(present) > 0
            and (present % 100 < 60).mean() >= _screen_share(share)
            and present.max() >= 1200
        )

    clocks = [c for c in whole if is_clock(c)]
    out = []
    for target in clocks:
        for clock in clocks:
            for minutes in whole:
                if len({target.name, clock.name, minutes.name}) < 3 or minutes.family != "integral":
                    continue
                (tv, tn), (cv, cn), (mv, mn) = sample[target.name], sample[clock.name], sample[minutes.name]
                rows = ~(tn | cn | mn)
                if rows.sum() < 2:
                    continue
                gap = (_clock_minutes(tv[rows]) - _clock_minutes(cv[rows]) - mv[rows]) % 1440
                if (gap == 0).mean() >= _screen_share(share):
                    midnight = 2400 if target.profile.min > 0 and target.profile.max == 2400 else 0
                    out.append(
                        Clock(
                            form="clock", target=target.name, clock=clock.name, minutes=minutes.name, midnight=midnight
                        )
                    )
    return out


def _screen_share(share: float) -> float:
    """A rule holding in `share` of all rows may hold in a little less of a sample."""
    return 1.0 - 10 * (1.0 - share)


def _holds_on(rule, sample: dict, share: float) -> bool:
    """Whether a div/mod or one-term rule holds on the screening sample (numpy, wrap-around
    arithmetic: a false hit is caught by the exact count)."""
    target, target_null = sample[rule.target]
    if isinstance(rule, Division):
        source, source_null = sample[rule.source]
        value = source // rule.divisor if rule.form == "div" else source % rule.divisor
    else:
        source, source_null = sample[rule.terms[0].column]
        value = rule.terms[0].coefficient * source + rule.constant
    rows = ~(target_null | source_null)
    return rows.sum() == 0 or (value[rows] == target[rows]).mean() >= _screen_share(share)


def _all_non_null(cols: list[Column]) -> Column:
    condition = cols[0].isNotNull()
    for c in cols[1:]:
        condition = condition & c.isNotNull()
    return condition


def _scaled_candidates(whole: list[RuleColumn]) -> list[Linear]:
    """C = a*A + b with whole a != 0 and b, when the ranges of A and C say so (exactly)."""
    out = []
    for a, c in ((a, c) for a in whole for c in whole if a is not c and a.profile.max > a.profile.min):
        span_a, span_c = a.profile.max - a.profile.min, c.profile.max - c.profile.min
        if span_c == 0 or span_c % span_a:
            continue
        for slope in (span_c // span_a, -(span_c // span_a)):
            constant = (c.profile.min - slope * a.profile.min) if slope > 0 else (c.profile.max - slope * a.profile.min)
            out.append(
                Linear(form="linear", target=c.name, terms=[Term(column=a.name, coefficient=slope)], constant=constant)
            )
    return out


def _division_candidates(whole: list[RuleColumn]) -> list[Division]:
    out = []
    for a, c in ((a, c) for a in whole for c in whole if a is not c and a.family == c.family == "integral"):
        for k in DIVISORS:
            if a.profile.max - a.profile.min < k:
                continue
            if a.profile.min // k == c.profile.min and a.profile.max // k == c.profile.max:
                out.append(Division(form="div", target=c.name, source=a.name, divisor=k))
            if c.profile.min >= 0 and k // 2 <= c.profile.max <= k - 1:
                out.append(Division(form="mod", target=c.name, source=a.name, divisor=k))
    return out


def _sum_candidates(sample: dict, whole: list[RuleColumn], share: float) -> list[Linear]:
    """X = Y + Z on the screening sample (which also covers Y = X - Z); the computed column of the
    three is the last in the table's order (derived columns tend to follow their sources)."""
    order = {c.name: i for i, c in enumerate(whole)}
    out = []
    for x in whole:
        for y, z in combinations([w for w in whole if w is not x], 2):
            if not ({x.family, y.family, z.family} <= {"integral"} or _date_sum(x, y, z)):
                continue
            (xv, xn), (yv, yn), (zv, zn) = sample[x.name], sample[y.name], sample[z.name]
            rows = ~(xn | yn | zn)
            if rows.sum() < 2 or (xv[rows] == yv[rows] + zv[rows]).mean() < _screen_share(share):
                continue
            target = max((x, y, z), key=lambda c: order[c.name])
            if target is x:
                terms = [Term(column=y.name, coefficient=1), Term(column=z.name, coefficient=1)]
            else:
                other = z if target is y else y
                terms = [Term(column=x.name, coefficient=1), Term(column=other.name, coefficient=-1)]
            out.append(Linear(form="linear", target=target.name, terms=terms))
    return out


def _timestamp_candidates(sample: dict, whole: list[RuleColumn], share: float) -> list[Linear]:
    """T = S + k*N and T = S - k*N for timestamps S, T and an integer N counted in a unit
    (k microseconds: TIME_UNITS), on the screening sample: `end = start + duration minutes`. The
    later of the two timestamps in the table's order is computed (a duration cannot be: it would
    need a division)."""
    stamps = [c for c in whole if c.family == "timestamp"]
    counts = [c for c in whole if c.family == "integral"]
    out = []
    for i, earlier in enumerate(stamps):
        for later in stamps[i + 1 :]:
            for n in counts:
                (tv, tn), (sv, sn), (nv, nn) = sample[later.name], sample[earlier.name], sample[n.name]
                rows = ~(tn | sn | nn)
                if rows.sum() < 2:
                    continue
                gap, amount = tv[rows] - sv[rows], nv[rows]
                for k in TIME_UNITS:
                    sign = next((g for g in (1, -1) if (gap == g * k * amount).mean() >= _screen_share(share)), 0)
                    if sign:
                        out.append(
                            Linear(
                                form="linear",
                                target=later.name,
                                terms=[
                                    Term(column=earlier.name, coefficient=1),
                                    Term(column=n.name, coefficient=sign * k),
                                ],
                            )
                        )
                        break
    return out


def _date_sum(x: RuleColumn, y: RuleColumn, z: RuleColumn) -> bool:
    """date = date + days: one date on each side, the other term an integer."""
    return x.family == "date" and sorted([y.family, z.family]) == ["date", "integral"]


def _simplest_first(rules: list) -> list:
    """One rule per computed column: div/mod, then one-term, then two-term identities."""

    def size(rule) -> int:
        return 0 if isinstance(rule, Division) else 2 if isinstance(rule, Clock) else len(rule.terms)

    out, taken = [], set()
    for rule in sorted(rules, key=size):
        if rule.target not in taken:
            taken.add(rule.target)
            out.append(rule)
    return out


def calendar_rules(columns: list[RuleColumn], min_count: int, share: float) -> Search:
    """(year, month, day) integer columns named so, whose real rows are valid dates."""
    integral = [c for c in columns if c.family == "integral"]

    def named(pattern: re.Pattern, low: int, high: int) -> dict[str, RuleColumn]:
        out = {}
        for c in integral:
            match = pattern.search(c.name.lower())
            if match and low <= c.profile.min and c.profile.max <= high:
                out.setdefault(c.name.lower()[: match.start(2)], c)
        return out

    years, months, days = named(YEAR, 1, 9999), named(MONTH, 1, 12), named(DAY, 1, 31)
    found = []
    for stem, day in days.items():
        if stem in months and day.profile.max >= 29:
            found.append(
                Calendar(
                    form="calendar",
                    year=years[stem].name if stem in years else None,
                    month=months[stem].name,
                    day=day.name,
                )
            )
    if not found:
        return []
    counts = yield _held_and_total(found, columns)
    return _kept(found, counts, min_count, share)


def dependency_rules(
    frame: DataFrame,
    sample: dict,
    columns: list[RuleColumn],
    min_count: int,
    share: float,
    fixed: set[str],
    computed: set[str],
) -> list[Mapping]:
    """A -> C and (A, B) -> C: screened on the sample, then counted and mapped on every row in
    one aggregation over all candidates."""
    sources = [
        c
        for c in columns
        if c.family in MAP_SOURCES
        and c.profile.distinct <= MAX_SOURCE_VALUES
        and c.profile.distinct < 0.5 * c.profile.non_null
    ]
    targets = [
        c
        for c in columns
        if c.family in MAP_TARGETS and c.name not in fixed | computed and c.profile.distinct <= MAX_SOURCE_VALUES
    ]
    small = [c for c in sources if c.profile.distinct <= MAX_PAIR_VALUES][:MAX_PAIR_COLUMNS]
    sets = [(a,) for a in sources] + [
        (a, b) for a, b in combinations(small, 2) if a.profile.distinct * b.profile.distinct <= MAX_PAIR_PRODUCT
    ]
    candidates: list[tuple[tuple[RuleColumn, ...], RuleColumn]] = []
    alone: dict[str, set[str]] = {}
    for set_ in sets:
        names = {c.name for c in set_}
        for target in targets:
            if target.name in names or names & alone.get(target.name, set()):
                continue  # a pair when one of its columns alone determines the target
            if _screened(sample, set_, target, share):
                candidates.append((set_, target))
                if len(set_) == 1:
                    alone.setdefault(target.name, set()).add(set_[0].name)
    return _exact_mappings(frame, candidates[: MAX_DEPENDENCIES * 2], min_count, share)[:MAX_DEPENDENCIES]


def _screened(sample: dict, set_: tuple[RuleColumn, ...], target: RuleColumn, share: float) -> bool:
    """On the sample: among source values seen at least twice (which carry MIN_SUPPORT of the
    rows), the rows holding their value's most common target reach the screening share."""
    codes = [_codes(sample, c.name) for c in set_] + [_codes(sample, target.name)]
    rows = np.all([c >= 0 for c, _ in codes], axis=0)
    if rows.sum() < 2:
        return False
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for c, n in codes[:-1]:
        key = key * n + c[rows]
    target_codes, target_n = codes[-1]
    cells, counts = np.unique(key * target_n + target_codes[rows], return_counts=True)
    keys, first = np.unique(cells // target_n, return_index=True)
    totals = np.add.reduceat(counts, first)
    tops = np.maximum.reduceat(counts, first)
    seen = totals >= 2
    if totals[seen].sum() < MIN_SUPPORT * rows.sum() or seen.sum() < 2:
        return False
    return tops[seen].sum() >= _screen_share(share) * totals[seen].sum()


def _codes(sample: dict, name: str) -> tuple[np.ndarray, int]:
    """The column's values on the sample as codes 0..n-1 (-1: null), and n."""
    key = ("codes", name)
    if key not in sample:
        values, nulls = sample[name]
        codes, uniques = pd.factorize(values)
        codes = codes.astype(np.int64)
        codes[nulls] = -1
        sample[key] = (codes, max(1, len(uniques)))
    return sample[key]


def _parse(text: str, family: str):
    """A value cast to a string by Spark, back in its JSON type (Spark writes doubles with enough
    digits to read back exactly)."""
    if family == "integral":
        return int(text)
    if family == "boolean":
        return text == "true"
    if family == "fractional":
        return float(text)
    return text


def _exact_mappings(frame: DataFrame, candidates: list, min_count: int, share: float) -> list[Mapping]:
    """Every candidate counted on all rows in one job: per (candidate, source value) its rows and
    its most common target value (bounded by the source values, not the rows); a mapping keeps
    the source values seen >= k times when they carry MIN_SUPPORT of the rows and their most
    common targets `share` of them."""
    if not candidates:
        return []
    item = F.explode(
        F.array(
            *[
                F.when(
                    _all_non_null([c.col for c in set_] + [target.col]),
                    F.struct(
                        F.lit(i).alias("c"),
                        F.array(*[c.col.cast("string") for c in set_]).alias("key"),
                        target.col.cast("string").alias("t"),
                    ),
                )
                for i, (set_, target) in enumerate(candidates)
            ]
        )
    ).alias("item")
    cells = (
        frame.select(item)
        .where(F.col("item").isNotNull())
        .groupBy(F.col("item.c").alias("c"), F.col("item.key").alias("key"), F.col("item.t").alias("t"))
        .count()
    )
    per_key = cells.groupBy("c", "key").agg(
        F.sum("count").alias("total"), F.max("count").alias("top"), F.max_by("t", F.struct("count", "t")).alias("mode")
    )
    per_key = per_key.collect()  # bounded: one row per source value of each candidate (<= 5,000, pairs <= 20,000)
    by_candidate: dict[int, list] = {}
    for row in per_key:
        by_candidate.setdefault(row["c"], []).append(row)
    out = []
    for i, (set_, target) in enumerate(candidates):
        rows = by_candidate.get(i, [])
        kept = [r for r in rows if r["total"] >= min_count]
        supported = sum(r["total"] for r in kept)
        if supported < max(min_count, MIN_SUPPORT * sum(r["total"] for r in rows)):
            continue
        hits = sum(r["top"] for r in kept)
        if hits < share * supported or len({r["mode"] for r in kept}) < 2:
            continue
        pairs = sorted(
            (([_parse(v, c.family) for c, v in zip(set_, r["key"])], _parse(r["mode"], target.family)) for r in kept),
            key=lambda p: repr(p[0]),
        )
        out.append(
            Mapping(
                form="map",
                sources=[c.name for c in set_],
                target=target.name,
                pairs=[MapPair(when=w, then=t) for w, t in pairs],
                share=round(hits / supported, 6),
            )
        )
    return out


# --- rules the user declares (fit(..., rules=[...]), --rule) ------------------------------------------


def check_declared(texts: list[str], schema_types: dict[str, str], table: str) -> list[dict]:
    """Parse declared rules and check their columns and types against the table's schema, before
    any Spark work; InputDataError naming the rule."""
    out = []
    shim = {name: _TypedName(name, spark_type) for name, spark_type in schema_types.items()}
    for text in texts:
        try:
            raw = parse_rule(text)
            if raw["form"] == "map":
                _check_map_columns(text, raw, shim)
            else:
                check_rules([_RULE.validate_python(raw)], shim)
        except (ValueError, ValidationError) as exc:
            raise InputDataError(f"table {table}: declared rule {text!r}: {_first_line(exc)}") from None
        out.append(raw)
    return out


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
    return str(exc)


@dataclass(frozen=True)
class _TypedName:
    """What check_rules reads of a column, from the table's schema alone."""

    name: str
    spark_type: str

    @property
    def type(self):
        return parse_spark_type(self.spark_type)


def _check_map_columns(text: str, raw: dict, columns: dict) -> None:
    for column, families in [(s, MAP_SOURCES) for s in raw["sources"]] + [(raw["target"], MAP_TARGETS)]:
        if column not in columns:
            raise ValueError(f"unknown column {column!r}; columns are {sorted(columns)}")
        if columns[column].type.family not in families:
            raise ValueError(
                f"column {column!r} is {columns[column].spark_type}; a map rule needs one of {', '.join(families)}"
            )
    if raw["target"] in raw["sources"]:
        raise ValueError("a column cannot be computed from itself")


def declared_rules(
    frame: DataFrame,
    declared: list[dict],
    profiles: dict[str, ColumnProfile],
    min_count: int,
    share: float,
    force: bool,
    table: str,
) -> list:
    """Each declared rule with its share of the real rows (a mapping learns its pairs, source
    values seen >= k times); a rule the real rows break more often than 1 - share is refused
    with that share unless `force`."""
    out = []
    for raw in declared:
        text = (
            _RULE.validate_python(raw).text()
            if raw["form"] != "map"
            else f"{', '.join(raw['sources'])} -> {raw['target']}"
        )
        if raw["form"] == "map":

            def column(name: str) -> RuleColumn:
                p = profiles[name]
                return RuleColumn(name, p.alias, p.family, p, p.family == "string")

            found = _exact_mappings(
                frame, [(tuple(column(s) for s in raw["sources"]), column(raw["target"]))], min_count, 0.0
            )
            if not found:
                raise InputDataError(
                    f"table {table}: declared rule {text!r}: no source value is seen {min_count} "
                    "times with most of the rows, so there is no mapping to keep"
                )
            rule = found[0]
        else:
            rule = _RULE.validate_python(raw)
            count = rule_counts(frame, [rule], lambda n: profiles[n].alias)[0]
            rule = rule.model_copy(update={"share": round(count.share if count.share is not None else 1.0, 6)})
        if rule.share < share and not force:
            raise InputDataError(
                f"table {table}: declared rule {rule.text()!r} holds in {100 * rule.share:.3f} % of the real rows "
                f"it speaks of (needs {100 * share:.1f} %); correct it, or keep it anyway with force_rules=True "
                "(CLI: --force-rule), and generated rows will satisfy it"
            )
        out.append(rule)
    return out


def tied_pairs(rules: list) -> list[tuple[str, str]]:
    """Pairs of columns the dependency tree links whatever their mutual information, so the
    values it draws together are combinations the real rows have and a computed column gets the
    distribution its sources' real joint gives it (Column Shapes on flights, untied -> tied):
    - a calendar's month and day: the tree drew day from time_hour, and capping February 30
      piled days on month ends (day 0.993 -> 0.999);
    - a mapping's source and target: the mapping then rarely changes the drawn value;
    - a two-term identity's terms: sched_dep_time = 100*hour + minute with minute drawn apart
      from hour (sched_dep_time 0.991 -> 0.999, minute 0.989 -> 0.997).
    Not tied, because the edge displaces a stronger one: a pair mapping's two sources (origin-dest
    took tailnum-origin's place; Column Pair Trends of carrier/origin 0.99 -> 0.71) and a clock's
    clock and minutes (dep_time 0.985 -> 0.994, but the tree can then not keep dep_delay-arr_delay:
    that pair's trend 0.98 -> 0.56)."""
    out = []
    for rule in rules:
        if isinstance(rule, Calendar):
            out.append((rule.month, rule.day))
        elif isinstance(rule, Mapping) and len(rule.sources) == 1:
            out.append((rule.sources[0], rule.target))
        elif isinstance(rule, Linear) and len(rule.terms) == 2:
            out.append((rule.terms[0].column, rule.terms[1].column))
    return out


def tabled_columns(rules: list) -> set[str]:
    """Columns whose tied edge must stay a table of real pairs (a calendar's, a mapping's), not
    join the Gaussian block, where the pairs would be drawn from a correlation."""
    return {n for r in rules if isinstance(r, Calendar | Mapping) for n in (r.reads() + r.writes())}


def merge_rules(declared: list, found: list, fixed: set[str], table: str) -> list:
    """Declared rules first; a found rule is kept unless it repeats one, computes a column a
    declared rule computes, or closes a cycle."""
    for rule in declared:
        touched = set(rule.writes()) & fixed
        if touched:
            raise InputDataError(
                f"table {table}: declared rule {rule.text()!r} would change {sorted(touched)}, "
                "which another part of the model writes (a key, a pattern, a place, or names an "
                "e-mail is built from)"
            )
    computed = [r for r in declared if not isinstance(r, NullWith | Order)]
    try:
        rule_order(declared)
    except ValueError as exc:
        raise InputDataError(f"table {table}: declared rules: {exc}") from None
    texts = {r.text() for r in declared}
    simple = [r for r in declared if isinstance(r, NullWith | Order)]
    for rule in found:
        if rule.text() in texts:
            continue
        if isinstance(rule, NullWith | Order):
            simple.append(rule)
        else:
            _accept(rule, computed, fixed)
    targets = {w for r in computed for w in r.writes()}
    simple = [r for r in simple if not (isinstance(r, Order) and set(r.writes()) & targets)]
    return rule_order(simple + computed)
