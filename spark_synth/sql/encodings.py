"""How column values become numbers and codes, shared by fit and evaluation.

Two numeric scales: the *value* scale (a double of what the column holds: days for dates,
microseconds for timestamps, the decimal's value), which evaluation compares, and the model's
*unit* scale (spark_synth.model.types: whole days, microseconds, unscaled decimals), which the
fit learns on. Conversions never fail on big values: integers beyond 2^53 and far timestamps
become the nearest double.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_synth.model.types import SparkType
from spark_synth.names import quote

DATETIME_FAMILIES = ("date", "timestamp", "timestamp_ntz")
NUMERIC_FAMILIES = ("integral", "fractional", "decimal", *DATETIME_FAMILIES)


def numeric_expression(name: str, family: str) -> Column:
    """The column as a double on the value scale (days for dates, microseconds for timestamps)."""
    col = F.col(quote(name))
    if family == "date":
        return F.unix_date(col).cast("double")
    if family == "timestamp":
        return F.unix_micros(col).cast("double")
    if family == "timestamp_ntz":
        return ntz_micros(name).cast("double")
    return col.cast("double")


def ntz_micros(name: str) -> Column:
    """Microseconds of a TIMESTAMP_NTZ column since 1970-01-01 00:00, exact and independent of
    the session time zone (a long)."""
    return F.expr(unit_sql(quote(name), SparkType("timestamp_ntz", "timestamp_ntz")))


def unit_sql(q: str, spark: SparkType) -> str:
    """SQL of a (quoted) column on the model's unit scale, exactly: a bigint for integers, dates
    and timestamps, the decimal itself for decimals (the fit unscales its aggregates)."""
    if spark.family == "date":
        return f"CAST(unix_date({q}) AS bigint)"
    if spark.family == "timestamp":
        return f"unix_micros({q})"
    if spark.family == "timestamp_ntz":
        return f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {q})"
    if spark.family == "integral":
        return f"CAST({q} AS bigint)"
    return q


def _as_float64(array: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.cast(array, pa.float64(), safe=False), 0.0).to_numpy(zero_copy_only=False)


def numeric_values(array: pa.Array, family: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as float64 on the value scale, null mask) for one Arrow column."""
    is_null = array.is_null().to_numpy(zero_copy_only=False)
    if family == "date":
        array = pc.cast(array, pa.int32())
    elif family in ("timestamp", "timestamp_ntz"):
        unit = array.type.unit
        array = pc.cast(array, pa.int64())
        if unit != "us":  # Spark hands over microseconds; other producers may not
            scale = {"s": 1e6, "ms": 1e3, "ns": 1e-3}[unit]
            return _as_float64(array) * scale, is_null
    return _as_float64(array), is_null


def unit_values(array: pa.Array, spark: SparkType) -> tuple[np.ndarray, np.ndarray]:
    """(values as float64 on the model's unit scale, null mask): decimals unscaled."""
    values, is_null = numeric_values(array, spark.family)
    if spark.family == "decimal" and spark.scale:
        values = values * float(10**spark.scale)
    return values, is_null


def category_codes(array: pa.Array, values: list) -> np.ndarray:
    """0 for null, 1..K for the listed values, K+1 for anything else."""
    is_null = array.is_null().to_numpy(zero_copy_only=False)
    if values:
        index = pc.index_in(array, value_set=pa.array(values, type=array.type))
        found = pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        found = np.full(len(array), -1, dtype=np.int64)
    codes = np.where(found >= 0, found + 1, len(values) + 1)
    return np.where(is_null, 0, codes)
