"""numpy values -> Arrow arrays of exactly the Spark type the source column had."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pyspark.sql import types as T

_SIMPLE = {T.ByteType: pa.int8(), T.ShortType: pa.int16(), T.IntegerType: pa.int32(),
           T.LongType: pa.int64(), T.FloatType: pa.float32(), T.DoubleType: pa.float64(),
           T.BooleanType: pa.bool_(), T.StringType: pa.string(), T.DateType: pa.date32(),
           T.TimestampType: pa.timestamp("us", tz="UTC"), T.TimestampNTZType: pa.timestamp("us"),
           T.VarcharType: pa.string(), T.CharType: pa.string()}


def arrow_type(data_type: T.DataType) -> pa.DataType:
    """The Arrow type Spark's mapInArrow expects for a modelled Spark type."""
    if isinstance(data_type, T.DecimalType):
        return pa.decimal128(data_type.precision, data_type.scale)
    return _SIMPLE[type(data_type)]


def numbers_to_arrow(values: np.ndarray, is_null: np.ndarray, data_type: T.DataType) -> pa.Array:
    """Numbers on the model's numeric scale (days for dates, microseconds for timestamps)."""
    target = arrow_type(data_type)
    mask = is_null if is_null.any() else None
    if isinstance(data_type, T.DecimalType):
        return _decimal(values, mask, data_type)
    if isinstance(data_type, (T.DateType,)):
        return pa.array(values.astype(np.int32), type=pa.int32(), mask=mask).view(target)
    if isinstance(data_type, (T.TimestampType, T.TimestampNTZType)):
        return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask).view(target)
    if isinstance(data_type, (T.FloatType, T.DoubleType)):
        return pa.array(values.astype(target.to_pandas_dtype()), type=target, mask=mask)
    if isinstance(data_type, T.BooleanType):
        return pa.array(values.astype(bool), type=target, mask=mask)
    whole = values if values.dtype.kind in "iu" else np.rint(values)
    return pa.array(whole.astype(target.to_pandas_dtype()), type=target, mask=mask)


def _decimal(values: np.ndarray, mask: np.ndarray | None, data_type: T.DecimalType) -> pa.Array:
    """Build decimal128 from unscaled int64 integers (two's complement, little endian)."""
    unscaled = np.rint(values * 10.0**data_type.scale).astype(np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63
    validity = pa.array(unscaled, mask=mask).buffers()[0]
    return pa.Array.from_buffers(pa.decimal128(data_type.precision, data_type.scale), len(values),
                                 [validity, pa.py_buffer(words.tobytes())], null_count=-1)


def values_to_arrow(values: list, codes: np.ndarray, data_type: T.DataType) -> pa.Array:
    """Categories by index (codes 0..K-1, -1 for null) without per-row Python work."""
    target = arrow_type(data_type)
    is_null = codes < 0
    indices = pa.array(np.where(is_null, 0, codes).astype(np.int32), mask=is_null if is_null.any() else None)
    dictionary = pa.array(values if values else [None], type=target)
    return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
