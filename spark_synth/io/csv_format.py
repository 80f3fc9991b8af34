"""CSV that round-trips: what `generate --format csv` writes reads back to the same rows and types.

Writing: RFC 4180 quoting (a quote inside a field is doubled), whitespace kept, timestamps with
microseconds, and the schema beside the files (`_spark_synth_schema.json`; Spark skips files
starting with `_`). Reading: that schema when present; otherwise every field as a string
(multi-line fields allowed) and a type per column from one aggregation that only accepts what
round-trips: '00501' stays a string (a ZIP code, not 501), so do '+1' and '1,000'.
"""

from __future__ import annotations

import json

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.names import alias, aliases

SCHEMA_FILE = "_spark_synth_schema.json"
# Reading: an unquoted empty field is null, a quoted one ("") the empty string. Univocity hands
# Spark `nullValue` for the former and `emptyValue` for the latter, so nullValue is a string no
# CSV field holds.
READ_NULL = "\u0000"
OPTIONS = {
    "header": "true",
    "multiLine": "true",
    "quote": '"',
    "escape": '"',
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "timestampNTZFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
    "dateFormat": "yyyy-MM-dd",
}
INTEGER = r"^-?(0|[1-9][0-9]*)$"
DOUBLE = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
BOOLEAN = r"^(true|false|TRUE|FALSE|True|False)$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[-+][0-9]{2}:?[0-9]{2})?$"
INT_RANGE = (-(2**31), 2**31 - 1)
# In the order of the counts typed() takes per column, narrowest first.
CANDIDATE_TYPES = ("boolean", "int", "bigint", "decimal(38,0)", "double", "date", "timestamp")


def read_csv(spark: SparkSession, path: str, schema_text: str | None) -> DataFrame:
    """The CSV at `path`, typed by its schema file (`schema_text`) or by inference."""
    reader = spark.read.options(**OPTIONS).option("nullValue", READ_NULL).option("emptyValue", "")
    if schema_text is not None:
        return reader.schema(T.StructType.fromJson(json.loads(schema_text))).csv(path)
    strings = reader.option("inferSchema", "false").csv(path)
    return typed(strings)


def typed(strings: DataFrame) -> DataFrame:
    """Each string column cast to the narrowest type every non-null value round-trips through."""
    names = strings.columns
    df = strings.toDF(*aliases(len(names)))
    checks = []
    for i in range(len(names)):
        c = F.col(alias(i))
        checks += [
            F.count(c),
            _all(c, BOOLEAN),
            _count(c.rlike(INTEGER) & _in_int_range(c)),
            _count(c.rlike(INTEGER) & c.try_cast("bigint").isNotNull()),
            _all(c, INTEGER),
            _all(c, DOUBLE),
            _count(c.rlike(DATE) & c.try_cast("date").isNotNull()),
            _count(c.rlike(TIMESTAMP) & c.try_cast("timestamp").isNotNull()),
        ]
    row = df.agg(*checks).first()  # bounded: eight counts per column
    casts = []
    for i in range(len(names)):
        n, *counts = row[8 * i : 8 * i + 8]
        # the narrowest type every non-null value fits (an all-null column stays a string)
        target = next((t for t, c in zip(CANDIDATE_TYPES, counts) if n and c == n), None)
        column = F.col(alias(i))
        casts.append((column.cast(target) if target else column).alias(alias(i)))
    return df.select(*casts).toDF(*names)


def _count(condition: Column) -> Column:
    return F.count(F.when(condition, 1))


def _all(c: Column, pattern: str) -> Column:
    return _count(c.rlike(pattern))


def _in_int_range(c: Column) -> Column:
    return c.try_cast("bigint").between(*INT_RANGE)
