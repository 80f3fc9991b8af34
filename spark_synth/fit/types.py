"""Spark type families: which columns can be modelled, and how their values are read numerically."""

from __future__ import annotations

from pyspark.sql import types as T

from spark_synth.errors import InputDataError

INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
FRACTIONAL = (T.FloatType, T.DoubleType)


def family(data_type: T.DataType) -> str | None:
    """'integral', 'fractional', 'decimal', 'string', 'boolean', 'date', 'timestamp',
    'timestamp_ntz', or None when spark_synth cannot model the type."""
    if isinstance(data_type, INTEGRAL):
        return "integral"
    if isinstance(data_type, FRACTIONAL):
        return "fractional"
    if isinstance(data_type, T.DecimalType):
        return "decimal"
    if isinstance(data_type, (T.StringType, T.VarcharType, T.CharType)):
        return "string"
    if isinstance(data_type, T.BooleanType):
        return "boolean"
    if isinstance(data_type, T.DateType):
        return "date"
    if isinstance(data_type, T.TimestampNTZType):
        return "timestamp_ntz"
    if isinstance(data_type, T.TimestampType):
        return "timestamp"
    return None


def supported_fields(schema: T.StructType, table: str, exclude_unsupported: bool) -> list[T.StructField]:
    """The fields to model; unsupported ones are an error unless the caller excludes them."""
    bad = [f"{f.name} ({f.dataType.simpleString()})" for f in schema.fields if family(f.dataType) is None]
    if bad and not exclude_unsupported:
        raise InputDataError(
            f"table {table}: cannot model columns of unsupported type: {', '.join(bad)}. "
            "Drop or cast them first, or pass exclude_unsupported=True (CLI: --exclude-unsupported) "
            "to leave them out of the model.")
    return [f for f in schema.fields if family(f.dataType) is not None]
