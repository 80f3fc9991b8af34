"""Property-style: random tables of hostile names and values either fit or fail with a
spark_synth error, and what they generate keeps the source schema, the row count, non-null
columns non-null, learned ranges, unique columns unique and decimals exact to their scale."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from spark_synth import SparkSynthError, fit, generate
from spark_synth.model.schema import IdColumn, NumericColumn, UniqueColumn
from spark_synth.model.types import from_unscaled

NAMES = ["a.b", "we`ird", "with space", "ünïcødé", "Case", "case", "x", "1st", "tab\tname", "ÄÖÜ.ß"]
UTC = dt.UTC


def _value(kind: str, rng: random.Random, i: int):
    if kind == "long":
        return rng.choice([-(2**63), 2**63 - 1, 0, 2**62 + i, -(2**53) - i, rng.randrange(-(10**18), 10**18)])
    if kind == "int":
        return rng.randrange(-5, 6)
    if kind == "double":
        return rng.choice([1e308, -1e308, 1e19 * (i + 1), 0.1 * i, -3.5, rng.uniform(-1e6, 1e6)])
    if kind == "float":
        return float(rng.randrange(0, 1000)) / 10
    if kind == "code":
        return rng.choice(["", " ", "  x", "A-1", f"{rng.randrange(10**5):05d}", "ÄÖ", "tab\there"])
    if kind == "text":
        return "lorem ipsum " * rng.randrange(0, 900)
    if kind == "timestamp":
        return rng.choice(
            [
                dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
                dt.datetime(1, 1, 2, tzinfo=UTC),  # (PySpark cannot collect 0001-01-01 00:00)
                dt.datetime(1600, 3, 1, 12, tzinfo=UTC) + dt.timedelta(hours=i),
                dt.datetime(2020, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.randrange(10**8)),
            ]
        )
    if kind == "date":
        return rng.choice([dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1685, 1, 1) + dt.timedelta(days=i)])
    if kind == "bool":
        return rng.random() < 0.3
    if kind == "null":
        return None
    precision, scale = kind
    largest = 10**precision - 1
    return from_unscaled(rng.choice([largest, -largest, rng.randrange(-largest, largest + 1)]), scale)


def _type(kind) -> T.DataType:
    simple = {
        "long": T.LongType(),
        "int": T.IntegerType(),
        "double": T.DoubleType(),
        "float": T.FloatType(),
        "code": T.StringType(),
        "text": T.StringType(),
        "timestamp": T.TimestampType(),
        "date": T.DateType(),
        "bool": T.BooleanType(),
        "null": T.StringType(),
    }
    return simple[kind] if isinstance(kind, str) else T.DecimalType(*kind)


def random_table(spark, seed: int):
    rng = random.Random(seed)
    rows = rng.choice([1, 2, 3, 5, 60, 400])
    kinds = [
        "long",
        "int",
        "double",
        "float",
        "code",
        "text",
        "timestamp",
        "date",
        "bool",
        "null",
        (5, 2),
        (18, 4),
        (38, 0),
        (38, 18),
    ]
    names = rng.sample(NAMES, rng.randrange(1, 6))
    chosen = [rng.choice(kinds) for _ in names]
    null_rates = [rng.choice([0.0, 0.0, 0.3, 0.9]) for _ in names]
    data = [
        tuple(None if rng.random() < rate else _value(kind, rng, i) for kind, rate in zip(chosen, null_rates))
        for i in range(rows)
    ]
    fields = [
        T.StructField(name, _type(kind), nullable=rate > 0 or kind == "null")
        for name, kind, rate in zip(names, chosen, null_rates)
    ]
    return spark.createDataFrame(data, T.StructType(fields))


@pytest.mark.parametrize("seed", range(16))
def test_random_hostile_tables(spark, seed):
    df = random_table(spark, seed)
    try:
        model = fit(df, table=f"random{seed}")
    except SparkSynthError:
        return  # a clear refusal is an allowed outcome
    rng = random.Random(seed)
    rows = rng.choice([1, 7, 500, 3000])
    out = generate(spark, model, rows=rows, seed=seed, partitions=3)
    assert out.schema == df.schema
    assert_df_equality(out, generate(spark, model, rows=rows, seed=seed, partitions=1))
    got = out.collect()
    assert len(got) == rows
    real = df.collect()
    for position, (field, column) in enumerate(zip(df.schema.fields, model.columns)):
        values = [r[position] for r in got]
        present = [v for v in values if v is not None]
        if not field.nullable:
            assert len(present) == rows, field.name
        if isinstance(column, UniqueColumn | IdColumn):
            assert len(set(present)) == len(present), field.name
        elif isinstance(column, NumericColumn) and present:
            seen = [r[position] for r in real if r[position] is not None]
            assert min(seen) <= min(present) and max(present) <= max(seen), field.name
        if isinstance(field.dataType, T.DecimalType):
            assert all(v.as_tuple().exponent == -field.dataType.scale for v in present), field.name
