"""Pass 1 over the data: every per-column statistic in ONE Spark aggregation.

Counts, min/max, approximate distinct counts, a quantile sketch (percentile_approx), integrality
and decimal-place checks, NaN/Inf counts and frequent values (DataSketches approx_top_k). The
result is a handful of numbers per column, whatever the row count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.fit.types import family

# Quantile grid: uniform 1/256 steps plus extra points in both tails for heavy tails.
_TAILS = [0.0005, 0.001, 0.002, 0.005]
QUANTILE_GRID = sorted(set([i / 256 for i in range(257)] + _TAILS + [1 - t for t in _TAILS]))
PERCENTILE_ACCURACY = 20_000
MAX_DECIMAL_PLACES = 6
DATETIME_GRANULARITIES_US = [86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000, 1_000, 1]
SMALL_INTEGER_TOP_K = 64


@dataclass
class ColumnProfile:
    name: str
    family: str
    spark_type: str
    nullable: bool
    rows: int
    non_null: int = 0
    distinct: int = 0
    min: float | None = None
    max: float | None = None
    quantiles: list[float] = field(default_factory=list)
    nan_count: int = 0
    inf_count: int = 0
    non_integral: int = 0
    decimal_places: int | None = None
    granularity: int = 1
    min_length: int | None = None
    max_length: int | None = None
    top: list[tuple[object, int]] | None = None

    @property
    def null_fraction(self) -> float:
        return 1.0 - self.non_null / self.rows if self.rows else 0.0


def numeric_expression(name: str, fam: str) -> Column:
    """The column as a double on its natural numeric scale (days for dates, microseconds for
    timestamps); generation maps back with the same units."""
    col = F.col(_quote(name))
    if fam == "date":
        return F.datediff(col, F.lit("1970-01-01").cast("date")).cast("double")
    if fam == "timestamp":
        return F.unix_micros(col).cast("double")
    if fam == "timestamp_ntz":
        return F.expr(f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {_quote(name)})").cast("double")
    return col.cast("double")


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def profile_columns(df: DataFrame, fields: list[T.StructField], max_categories: int,
                    categorical_overrides: set[str]) -> tuple[int, list[ColumnProfile]]:
    """Run pass 1 and return (row count, one profile per field)."""
    aggs: list[Column] = [F.count(F.lit(1)).alias("__rows")]
    for i, f in enumerate(fields):
        aggs.extend(_aggregates(i, f, max_categories, f.name in categorical_overrides))
    row = df.agg(*aggs).collect()[0].asDict(recursive=False)  # bounded: one row of statistics
    rows = int(row["__rows"])
    return rows, [_profile(i, f, row, rows) for i, f in enumerate(fields)]


def _aggregates(i: int, f: T.StructField, max_categories: int, wants_categories: bool) -> list[Column]:
    fam = family(f.dataType)
    col = F.col(_quote(f.name))
    key = f"__c{i}_"
    out = [F.count(col).alias(key + "n"), F.approx_count_distinct(col, 0.02).alias(key + "distinct")]
    if fam == "string":
        length = F.length(col)
        out += [F.min(length).alias(key + "minlen"), F.max(length).alias(key + "maxlen")]
        out.append(_top_k(f.name, max_categories).alias(key + "top"))
        return out
    if fam == "boolean":
        out.append(F.sum(col.cast("int")).alias(key + "trues"))
        return out
    x = numeric_expression(f.name, fam)
    finite = F.when(~F.isnan(x) & (F.abs(x) != F.lit(float("inf"))), x)
    out += [
        F.min(finite).alias(key + "min"),
        F.max(finite).alias(key + "max"),
        F.percentile_approx(finite, QUANTILE_GRID, PERCENTILE_ACCURACY).alias(key + "q"),
        F.sum(F.when(F.isnan(x), 1).otherwise(0)).alias(key + "nan"),
        F.sum(F.when(F.abs(x) == F.lit(float("inf")), 1).otherwise(0)).alias(key + "inf"),
        F.sum(F.when(finite != F.floor(finite), 1).otherwise(0)).alias(key + "nonint"),
    ]
    if fam == "fractional":
        for d in range(1, MAX_DECIMAL_PLACES + 1):
            scaled = finite * F.lit(10.0**d)
            off = F.abs(scaled - F.round(scaled)) > F.greatest(F.lit(1e-6), F.abs(scaled) * 1e-12)
            out.append(F.sum(F.when(off, 1).otherwise(0)).alias(f"{key}dp{d}"))
    if fam in ("timestamp", "timestamp_ntz"):
        for g in DATETIME_GRANULARITIES_US:
            out.append(F.sum(F.when(F.pmod(x, F.lit(float(g))) != 0, 1).otherwise(0)).alias(f"{key}g{g}"))
    if fam == "integral":
        k = max_categories if wants_categories else SMALL_INTEGER_TOP_K
        out.append(_top_k(f.name, k).alias(key + "top"))
    return out


def _top_k(name: str, k: int) -> Column:
    # Exact while the number of distinct values stays below the tracked capacity.
    return F.expr(f"approx_top_k({_quote(name)}, {k}, {max(4 * k, 1024)})")


def _profile(i: int, f: T.StructField, row: dict, rows: int) -> ColumnProfile:
    key = f"__c{i}_"
    fam = family(f.dataType)
    p = ColumnProfile(name=f.name, family=fam, spark_type=f.dataType.json(), nullable=f.nullable,
                      rows=rows, non_null=int(row[key + "n"]), distinct=int(row[key + "distinct"]))
    if key + "top" in row and row[key + "top"] is not None:
        p.top = [(item["item"], int(item["count"])) for item in row[key + "top"]]
    if fam == "string":
        p.min_length, p.max_length = row[key + "minlen"], row[key + "maxlen"]
        return p
    if fam == "boolean":
        trues = int(row[key + "trues"] or 0)
        p.top = [(v, c) for v, c in ((False, p.non_null - trues), (True, trues)) if c > 0]
        return p
    p.min, p.max = row[key + "min"], row[key + "max"]
    p.quantiles = list(row[key + "q"] or [])
    p.nan_count = int(row[key + "nan"] or 0)
    p.inf_count = int(row[key + "inf"] or 0)
    p.non_integral = int(row[key + "nonint"] or 0)
    if fam == "fractional":
        p.decimal_places = 0 if p.non_integral == 0 else next(
            (d for d in range(1, MAX_DECIMAL_PLACES + 1) if int(row[f"{key}dp{d}"] or 0) == 0), None)
    if fam in ("timestamp", "timestamp_ntz"):
        p.granularity = next(g for g in DATETIME_GRANULARITIES_US if int(row[f"{key}g{g}"] or 0) == 0)
    return p
