"""Which columns of a table the fit can model (a column's type family: model/types.py)."""

from __future__ import annotations

from pyspark.sql import types as T

from spark_synth.errors import InputDataError
from spark_synth.model.types import family


def supported_fields(schema: T.StructType, table: str, exclude_unsupported: bool) -> list[T.StructField]:
    """The fields to model; unsupported ones are an error unless the caller excludes them."""
    bad = [f"{f.name} ({f.dataType.simpleString()})" for f in schema.fields if family(f.dataType) is None]
    if bad and not exclude_unsupported:
        raise InputDataError(
            f"table {table}: cannot model columns of unsupported type: {', '.join(bad)}. "
            "Drop or cast them first, or pass exclude_unsupported=True (CLI: --exclude-unsupported) "
            "to leave them out of the model."
        )
    return [f for f in schema.fields if family(f.dataType) is not None]
