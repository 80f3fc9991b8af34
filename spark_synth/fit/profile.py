"""Pass 1 over the data: every per-column statistic in bounded Spark aggregations.

Counts, min/max, approximate distinct counts (HLL), grid and granularity checks, NaN/Inf counts
and frequent values (DataSketches approx_top_k); then the quantiles of the numeric columns from
exact bucket counts (spark_synth.fit.histogram: the same data gives the same quantiles, unlike a
sketch that compacts at random), and for the columns that look unique, one exact distinct count. The result is a handful of numbers per
column, whatever the row count. Wide tables are profiled in groups of columns (one job each,
reading only those columns), so no single aggregation grows with the width.

Exact families (integers, dates, timestamps, decimals) are profiled on their unit scale in
integer arithmetic (spark_synth.model.types); doubles as doubles, with every check written so
that no value (1e30, the largest double) can overflow under ANSI mode.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from itertools import accumulate

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.fit.histogram import (
    Buckets,
    Histogram,
    bucket_counts,
    bucket_of,
    cells_of,
    quantiles,
    read_histograms,
)
from spark_synth.model.types import SparkType, family, from_unscaled, parse_spark_type, to_unscaled
from spark_synth.names import quote
from spark_synth.sql.encodings import unit_sql

log = logging.getLogger(__name__)

# Quantile grid: uniform 1/256 steps plus extra points in both tails for heavy tails.
_TAILS = [0.0005, 0.001, 0.002, 0.005]
QUANTILE_GRID = sorted(set([i / 256 for i in range(257)] + _TAILS + [1 - t for t in _TAILS]))
# Quantile buckets (spark_synth.fit.histogram): whole numbers less than 2,048 units above the
# minimum are exact, beyond that 256 buckets per doubling (0.27 % wide); doubles step in
# 2^-24 of their range. At most ~5,400 buckets per double column whatever the row count.
EXACT_BUCKETS = Buckets(unit=1.0, linear=2048, slices=256)
DOUBLE_STEP_SHARE = 2.0**-24
MAX_DECIMAL_PLACES = 6
MIN_GRID_SHARE = 0.5
DATETIME_GRANULARITIES_US = [86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000, 1_000, 1]
SMALL_INTEGER_TOP_K = 64
COLUMNS_PER_JOB = 64
UNIQUE_CANDIDATE_RATIO = 0.9


@dataclass
class ColumnProfile:
    name: str  # the real name (messages, the model)
    alias: str  # its positional alias in the fitted frame
    family: str
    spark_type: str
    nullable: bool
    rows: int
    non_null: int = 0
    distinct: int = 0
    unique: bool = False  # exact: every non-null value differs
    min: int | float | None = None  # unit scale: exact ints for exact families
    max: int | float | None = None
    quantiles: list = field(default_factory=list)
    nan_count: int = 0
    inf_count: int = 0
    non_integral: int = 0
    decimal_places: int | None = None
    grid_step: float | None = None
    grid_share: float | None = None
    granularity: int = 1
    min_length: int | None = None
    max_length: int | None = None
    top: list[tuple[object, int]] | None = None
    # Kept for a fit's statistics (fit/statistics.py), which merge with other slices' (fit/merge.py):
    # the column's pass-1 aggregates as Spark returned them (counts add, extremes compare) and the
    # bucket counts its quantiles came from.
    aggregates: dict = field(default_factory=dict)
    histogram: Histogram | None = None

    @property
    def null_fraction(self) -> float:
        return 1.0 - self.non_null / self.rows if self.rows else 0.0

    @property
    def type(self) -> SparkType:
        return parse_spark_type(self.spark_type)


def profile_columns(
    df: DataFrame, fields: list[T.StructField], names: list[str], max_categories: int, categorical_overrides: set[str]
) -> tuple[int, list[ColumnProfile]]:
    """Run pass 1 over `df` (positional aliases as `fields`, real `names` in the same order) and
    return (row count, one profile per field)."""
    rows = None
    profiles: list[ColumnProfile] = []
    for start in range(0, len(fields), COLUMNS_PER_JOB):
        chunk = list(range(start, min(start + COLUMNS_PER_JOB, len(fields))))
        aggs: list[Column] = [F.count(F.lit(1)).alias("__rows")]
        for i in chunk:
            aggs.extend(_aggregates(i, fields[i], max_categories, names[i] in categorical_overrides))
        if len(fields) > COLUMNS_PER_JOB:
            log.info("fit: pass 1, columns %d-%d of %d", chunk[0] + 1, chunk[-1] + 1, len(fields))
        row = df.agg(*aggs).collect()[0].asDict(recursive=False)  # bounded: one row of statistics
        rows = int(row["__rows"])
        profiles.extend(profile_from_aggregates(i, fields[i], names[i], row, rows) for i in chunk)
    _settle_frequent(
        df, profiles, {f.name: top_size(f, max_categories, n in categorical_overrides) for f, n in zip(fields, names)}
    )
    _add_quantiles(df, profiles)
    _mark_unique(df, profiles)
    return rows or 0, profiles


def top_size(f: T.StructField, max_categories: int, wants_categories: bool) -> int:
    """How many frequent values pass 1 asks approx_top_k for (0: none)."""
    fam = family(f.dataType)
    if fam == "string":
        return max_categories
    if fam == "integral":
        return max_categories if wants_categories else SMALL_INTEGER_TOP_K
    if fam == "boolean" or parse_spark_type(f.dataType.json()).exact:
        return 0
    return max_categories if wants_categories else 0


def _settle_frequent(df: DataFrame, profiles: list[ColumnProfile], sizes: dict[str, int]) -> None:
    """Make every column's frequent values a function of the data alone. approx_top_k counts
    exactly while it holds every distinct value, but then its list is cut at `size` among ties
    in the order rows arrived, and beyond its capacity it purges in that order too. A list that
    is complete (shorter than asked, counts adding up to the column) is only put in a fixed
    order; any other is counted again exactly, in one job for all such columns, and cut at
    `size` by (count, then a hash of the value): the same values whatever the partitioning."""
    redo = []
    for p in profiles:
        if p.top is None or p.family == "boolean":
            continue
        if len(p.top) < sizes[p.alias] and sum(c for _, c in p.top) == p.non_null:
            p.top = sorted(p.top, key=lambda item: (-item[1], str(item[0])))
        elif p.family == "integral" and sizes[p.alias] == SMALL_INTEGER_TOP_K:
            # Asked only whether the integers are a few codes: an incomplete list says they are not,
            # and nothing reads its values. The values tied at the cut are the ones rows' order
            # chose: dropped, for a list that is the same for the same data (no job needed).
            cut = min((c for _, c in p.top), default=0)
            p.top = sorted([item for item in p.top if item[1] > cut], key=lambda item: (-item[1], str(item[0])))
        else:
            redo.append(p)
    for start in range(0, len(redo), COLUMNS_PER_JOB):
        chunk = redo[start : start + COLUMNS_PER_JOB]
        values = F.array(
            *[
                F.struct(F.lit(c).alias("c"), F.col(quote(p.alias)).cast("string").alias("v"))
                for c, p in enumerate(chunk)
            ]
        )
        counted = df.select(F.inline(values)).where(F.col("v").isNotNull()).groupBy("c", "v").count()
        order = Window.partitionBy("c").orderBy(F.desc("count"), F.xxhash64("v"), "v")
        limits = F.array(*[F.lit(sizes[p.alias]) for p in chunk])
        ranked = counted.withColumn("r", F.row_number().over(order)).where(
            F.col("r") <= F.element_at(limits, F.col("c") + 1)
        )
        found: dict[int, list] = {c: [] for c in range(len(chunk))}
        for row in ranked.collect():  # bounded: columns x their sizes
            found[row["c"]].append((row["r"], row["v"], int(row["count"])))
        for c, p in enumerate(chunk):
            parse = int if p.family == "integral" else float if p.family != "string" else str
            p.top = [(parse(v), n) for _, v, n in sorted(found[c])]


def _add_quantiles(df: DataFrame, profiles: list[ColumnProfile]) -> None:
    """The quantile grid of every numeric column with a range, from exact bucket counts of its
    distance from its minimum (one job per COLUMNS_PER_JOB columns; see spark_synth.fit.histogram).
    Exact columns are measured as whole units above min, so a narrow range far from zero
    (decimal(38,0) near 1e30, longs near 2^62) keeps its resolution."""
    numeric = [p for p in profiles if p.family not in ("string", "boolean") and p.min is not None]
    for p in numeric:
        if p.min == p.max:
            p.quantiles = [p.min] * len(QUANTILE_GRID)
    ranged = [p for p in numeric if p.max > p.min]
    for start in range(0, len(ranged), COLUMNS_PER_JOB):
        chunk = ranged[start : start + COLUMNS_PER_JOB]
        histograms = read_histograms(
            bucket_counts(cells_of(df, [_cell(c, p) for c, p in enumerate(chunk)]), ["c"]), ["c"]
        )
        for c, p in enumerate(chunk):
            p.histogram = histograms[(c,)]
            values = quantiles(p.histogram, QUANTILE_GRID).tolist()
            if p.type.exact:
                values = [min(max(p.min + int(round(q)), p.min), p.max) for q in values]
            p.quantiles = list(accumulate(values, max))


def _cell(c: int, p: ColumnProfile) -> dict[str, Column]:
    """(c, bucket, value) of one column for the quantile job: exact columns as their distance
    from min in whole units (a double, exact below 2^53), doubles as themselves with their
    distance halved on both sides so that no range (-1e308 .. 1e308) overflows."""
    spark = p.type
    q = quote(p.alias)
    if spark.exact:
        x = unit_sql(q, spark)
        if spark.family == "decimal" and p.max - p.min < 10**36:
            low = f"{from_unscaled(p.min, spark.scale):f}BD"
            offset = f"CAST({x} - {low} AS double) * {float(10**spark.scale)!r}"
        elif (
            spark.family == "decimal"
        ):  # x - min would overflow decimal(38): a range this wide needs no more than a double
            offset = (
                f"(CAST({x} AS double) - {float(from_unscaled(p.min, spark.scale))!r}) * {float(10**spark.scale)!r}"
            )
        elif p.max - p.min < 2**63:
            offset = f"CAST({x} - {p.min}L AS double)"
        else:
            offset = f"CAST(CAST({x} AS decimal(20,0)) - {p.min}BD AS double)"
        value = F.expr(offset)
        bucket = bucket_of(value, EXACT_BUCKETS)
    else:
        x = F.col(q).cast("double")
        value = F.when(~F.isnan(x) & (F.abs(x) != F.lit(float("inf"))), x)
        half_range = p.max / 2 - p.min / 2
        unit = max(half_range * DOUBLE_STEP_SHARE, 5e-324)
        double_buckets = Buckets(unit=unit, linear=EXACT_BUCKETS.linear, slices=EXACT_BUCKETS.slices)
        bucket = bucket_of(value / 2 - F.lit(p.min / 2), double_buckets)
    return {"c": F.lit(c), "b": bucket, "x": value}


def _aggregates(i: int, f: T.StructField, max_categories: int, wants_categories: bool) -> list[Column]:
    """Pass-1 aggregates of one column, written as SQL text: one parse per aggregate instead of
    one py4j call per literal (a 265-point quantile grid as Python literals cost ~0.15 s per
    column). Frequent values come back as JSON text, cheap to ship and parse."""
    fam = family(f.dataType)
    q = quote(f.name)
    key = f"__c{i}_"
    out = {"n": f"count({q})"}
    if fam in ("string", "integral"):
        # Distinct counts decide constants, small integer codes and unique candidates: a
        # DataSketches HLL (one binary buffer; approx_count_distinct at rsd 0.02 keeps ~400
        # longs per column in the aggregation row, 8x slower here).
        value = q if fam == "string" else f"CAST({q} AS bigint)"
        out["distinct"] = f"hll_sketch_estimate(hll_sketch_agg({value}, 12))"
    if fam == "string":
        out.update(
            minlen=f"min(length({q}))",
            maxlen=f"max(length({q}))",
            top=_top_k_sql(q, top_size(f, max_categories, wants_categories)),
        )
    elif fam == "boolean":
        out["trues"] = f"sum(cast({q} AS int))"
    elif parse_spark_type(f.dataType.json()).exact:
        spark = parse_spark_type(f.dataType.json())
        x = unit_sql(q, spark)
        out.update(min=f"min({x})", max=f"max({x})")
        if fam in ("timestamp", "timestamp_ntz"):
            for g in DATETIME_GRANULARITIES_US:
                out[f"g{g}"] = _count_sql(f"pmod({x}, {g}) != 0")
        if fam == "decimal":  # off-grid counts for 10^j units: more than scale - j decimal places
            for j in range(1, spark.scale + 1):
                out[f"g{j}"] = _count_sql(f"round({q}, {spark.scale - j}) != {q}")
        if fam == "integral":
            out["top"] = _top_k_sql(q, top_size(f, max_categories, wants_categories))
    else:
        x = f"CAST({q} AS double)"
        finite = f"(CASE WHEN NOT isnan({x}) AND abs({x}) != CAST('Infinity' AS double) THEN {x} END)"
        out.update(
            min=f"min({finite})",
            max=f"max({finite})",
            nan=_count_sql(f"isnan({x})"),
            inf=_count_sql(f"abs({x}) = CAST('Infinity' AS double)"),
        )
        single = isinstance(f.dataType, T.FloatType)
        for d in range(0, MAX_DECIMAL_PLACES + 1):
            out[f"dp{d}"] = _count_sql(off_grid_sql(finite, q, d, single))
        if wants_categories:
            out["top"] = _top_k_sql(q, max_categories)
    return [F.expr(f"{sql} AS {key}{name}") for name, sql in out.items()]


def off_grid_sql(finite: str, q: str, places: int, single: bool) -> str:
    """Whether a value has more than `places` decimal places. Floats are compared at float
    precision (0.1f is 0.100000001490116 as a double); doubles with a relative tolerance. Only
    round() and comparisons: nothing overflows for any double."""
    if single:
        return f"CAST(round({finite}, {places}) AS float) != CAST({q} AS float)"
    scaled = f"({finite} * {10.0**places!r})"
    return f"abs({scaled} - round({scaled})) > greatest(1e-6, abs({scaled}) * 1e-12)"


def _count_sql(condition: str) -> str:
    return f"count(CASE WHEN {condition} THEN 1 END)"


def _top_k_sql(q: str, k: int) -> str:
    # Exact while the number of distinct values stays below the tracked capacity.
    return f"to_json(approx_top_k({q}, {k}, {max(4 * k, 1024)}))"


def profile_from_aggregates(i: int, f: T.StructField, name: str, row: dict, rows: int) -> ColumnProfile:
    """Column i's profile from pass 1's aggregate row (keys __c{i}_...): a fit's own pass 1, or
    slices' aggregates added up by fit/merge.py."""
    key = f"__c{i}_"
    fam = family(f.dataType)
    p = ColumnProfile(
        name=name,
        alias=f.name,
        family=fam,
        spark_type=f.dataType.json(),
        nullable=f.nullable,
        rows=rows,
        non_null=int(row[key + "n"]),
        distinct=int(row.get(key + "distinct") or 0),
        aggregates={name[len(key) :]: value for name, value in row.items() if name.startswith(key)},
    )
    if row.get(key + "top") is not None:
        # approx_top_k counts null as an item (to_json leaves its "item" out): not a value
        p.top = [(item["item"], int(item["count"])) for item in json.loads(row[key + "top"]) if "item" in item]
    if fam == "string":
        p.min_length, p.max_length = row[key + "minlen"], row[key + "maxlen"]
        return p
    if fam == "boolean":
        trues = int(row[key + "trues"] or 0)
        p.top = [(v, c) for v, c in ((False, p.non_null - trues), (True, trues)) if c > 0]
        p.distinct = len(p.top)
        return p
    spark = p.type
    if spark.exact:
        p.min, p.max = _unscaled(row[key + "min"], spark), _unscaled(row[key + "max"], spark)
        _distinct_from_range(p)
        if fam in ("timestamp", "timestamp_ntz"):
            p.granularity = next(g for g in DATETIME_GRANULARITIES_US if int(row[f"{key}g{g}"] or 0) == 0)
        if fam == "decimal":
            places = [j for j in range(1, spark.scale + 1) if int(row[f"{key}g{j}"] or 0) == 0]
            p.granularity = 10 ** max(places, default=0)
        return p
    p.min, p.max = row[key + "min"], row[key + "max"]
    _distinct_from_range(p)
    p.nan_count = int(row[key + "nan"] or 0)
    p.inf_count = int(row[key + "inf"] or 0)
    finite = p.non_null - p.nan_count - p.inf_count
    off = [int(row[f"{key}dp{d}"] or 0) for d in range(0, MAX_DECIMAL_PLACES + 1)]
    p.non_integral = off[0]
    p.decimal_places = next((d for d, n in enumerate(off) if n == 0), None)
    # A coarser grid most values lie on (whole feet among measured elevations): its share.
    coarser = range(p.decimal_places if p.decimal_places is not None else len(off))
    on_grid = next((d for d in coarser if finite and 1 - off[d] / finite >= MIN_GRID_SHARE), None)
    if on_grid is not None:
        p.grid_step, p.grid_share = 10.0**-on_grid, round(1 - off[on_grid] / finite, 9)
    return p


def _distinct_from_range(p: ColumnProfile) -> None:
    """Columns without a distinct sketch (only integers and strings need a count): 0, 1, or
    "at least 2" from min and max, which is all the kind choice asks of them."""
    if p.family != "integral":
        p.distinct = 0 if p.min is None else 1 if p.min == p.max else 2


def _unscaled(value, spark: SparkType) -> int | None:
    """A unit-scale aggregate (an exact min/max, or a double from the quantile sketch) as an int
    (decimals: value * 10^scale)."""
    if value is None:
        return None
    return to_unscaled(value, spark.scale if spark.family == "decimal" else 0) if not isinstance(value, int) else value


def _mark_unique(df: DataFrame, profiles: list[ColumnProfile]) -> None:
    """Exact distinct counts for integer and string columns whose approximate count says they
    may be unique (one job for all of them): unique ones are generated as bijections."""
    candidates = [
        p
        for p in profiles
        if p.family in ("integral", "string") and p.non_null >= 2 and p.distinct >= UNIQUE_CANDIDATE_RATIO * p.non_null
    ]
    for start in range(0, len(candidates), COLUMNS_PER_JOB):
        chunk = candidates[start : start + COLUMNS_PER_JOB]
        row = df.agg(*[F.count_distinct(F.col(quote(p.alias))).alias(p.alias) for p in chunk]).first()  # bounded
        for p in chunk:
            p.unique = int(row[p.alias]) == p.non_null
