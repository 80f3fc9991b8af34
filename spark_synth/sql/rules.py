"""How often a model's rules hold in a table (the report's *Rules* section, scripts/bench.py, tests).

For each rule, the rows it speaks of and those of them that satisfy it, counted by Spark in one
aggregation (mappings through one broadcast join each: the mapping is bounded by its source
values):
- null_with: rows where `when_null` is null; satisfied when `column` is null too;
- order: rows with both columns; low <= high;
- map: rows with sources and target whose source values the mapping holds; target = mapped value;
- linear, div, mod, clock: rows with every column; the identity holds (clock: modulo 1440 minutes);
- calendar: rows with every column; the day exists in that month (and year).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.model.rules import Calendar, Clock, Division, Linear, Mapping, NullWith, Order


@dataclass(frozen=True)
class RuleCount:
    rows: int  # rows the rule speaks of
    held: int  # of them, rows that satisfy it

    @property
    def share(self) -> float | None:
        return self.held / self.rows if self.rows else None


def rule_counts(df: DataFrame, rules: list, column: Callable[[str], str] = lambda name: name) -> list[RuleCount]:
    """Counts per rule in `df`; `column` maps a model column name to the frame's column name."""
    types = {f.name: f.dataType for f in df.schema.fields}

    def col(name: str) -> Column:
        return F.col("`" + column(name).replace("`", "``") + "`")

    def whole(name: str) -> Column:
        """Whole numbers of the column's unit: dates as days since 1970-01-01, timestamps as
        microseconds (the engine's units)."""
        kind = types[column(name)]
        if isinstance(kind, T.DateType):
            return F.unix_date(col(name)).cast("long")
        return F.unix_micros(col(name)) if isinstance(kind, T.TimestampType) else col(name).cast("long")

    frame = df
    exprs: list[Column] = []
    for i, rule in enumerate(rules):
        if isinstance(rule, Mapping):
            frame, looked_up = _with_mapping(frame, rule, col, f"__rule_{i}")
            applies = _all(col(n).isNotNull() for n in rule.sources + [rule.target]) & looked_up.isNotNull()
            holds = col(rule.target) == looked_up
        else:
            applies, holds = rule_condition(rule, col, whole)
        exprs += [F.count(F.when(applies, 1)), F.count(F.when(applies & holds, 1))]
    if not exprs:
        return []
    counts = frame.agg(*exprs).first()
    return [RuleCount(counts[2 * i], counts[2 * i + 1]) for i in range(len(rules))]


def _all(conditions) -> Column:
    out = F.lit(True)
    for c in conditions:
        out = out & c
    return out


def rule_condition(rule, col: Callable[[str], Column], whole: Callable[[str], Column]) -> tuple[Column, Column]:
    """(the rows the rule speaks of, the rows that satisfy it) as Spark conditions; `col(name)` is
    the column, `whole(name)` its whole number of units (dates: days). Not for mappings."""
    if isinstance(rule, NullWith):
        return col(rule.when_null).isNull(), col(rule.column).isNull()
    if isinstance(rule, Order):
        return col(rule.low).isNotNull() & col(rule.high).isNotNull(), col(rule.low) <= col(rule.high)
    if isinstance(rule, Division):
        source = whole(rule.source)
        remainder = F.pmod(source, F.lit(rule.divisor))
        value = ((source - remainder) / F.lit(rule.divisor)).cast("long") if rule.form == "div" else remainder
        return col(rule.source).isNotNull() & col(rule.target).isNotNull(), whole(rule.target) == value
    if isinstance(rule, Linear):
        value = F.lit(rule.constant).cast("long")
        for term in rule.terms:
            value = F.try_add(value, F.try_multiply(F.lit(term.coefficient).cast("long"), whole(term.column)))
        named = [t.column for t in rule.terms] + [rule.target]
        return _all(col(n).isNotNull() for n in named), whole(rule.target) == value
    if isinstance(rule, Clock):
        gap = clock_minutes(whole(rule.target)) - clock_minutes(whole(rule.clock)) - whole(rule.minutes)
        return (
            _all(col(n).isNotNull() for n in (rule.target, rule.clock, rule.minutes)),
            F.pmod(gap, F.lit(1440)) == 0,
        )
    assert isinstance(rule, Calendar)
    named = [n for n in (rule.year, rule.month, rule.day) if n is not None]
    year = col(rule.year) if rule.year else None
    month, day = col(rule.month), col(rule.day)
    leap = (
        F.lit(True)
        if year is None
        else ((F.pmod(year, F.lit(4)) == 0) & ((F.pmod(year, F.lit(100)) != 0) | (F.pmod(year, F.lit(400)) == 0)))
    )
    length = F.when(month == 2, F.when(leap, 29).otherwise(28)).when(month.isin(4, 6, 9, 11), 30).otherwise(31)
    return _all(col(n).isNotNull() for n in named), month.between(1, 12) & day.between(F.lit(1), length)


def clock_minutes(hhmm: Column) -> Column:
    """Minutes since midnight of an HHMM clock value (2400 is 1440, the same time as 0 mod 1440)."""
    return F.floor(hhmm / 100).cast("long") * 60 + F.pmod(hhmm, F.lit(100))


def _with_mapping(frame: DataFrame, rule: Mapping, col: Callable[[str], Column], name: str) -> tuple[DataFrame, Column]:
    """`frame` with the mapped value of each row's source values (null where the mapping has
    none), through a broadcast join with the mapping's (key, value) table."""
    spark = frame.sparkSession
    keys = ["\u0001".join(_as_text(v) for v in pair.when) for pair in rule.pairs]
    values = [pair.then for pair in rule.pairs]
    value_type = frame.select(col(rule.target)).schema.fields[0].dataType
    table = spark.createDataFrame(
        list(zip(keys, values)),
        T.StructType([T.StructField(f"{name}_k", T.StringType()), T.StructField(f"{name}_v", value_type)]),
    )
    key = F.concat_ws("\u0001", *[col(s).cast("string") for s in rule.sources])
    joined = frame.withColumn(f"{name}_key", key).join(
        F.broadcast(table), F.col(f"{name}_key") == F.col(f"{name}_k"), "left"
    )
    return joined, F.col(f"{name}_v")


def _as_text(value) -> str:
    """A source value as Spark casts it to a string (integers, strings, booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
