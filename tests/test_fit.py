"""Fit: kinds, privacy threshold, degenerate columns and bad input on real Spark DataFrames."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth import GenerateError, InputDataError, fit, generate


def test_flights_kinds(flights_model):
    kinds = {c.name: c.kind for c in flights_model.columns}
    assert kinds["year"] == "constant"
    assert kinds["carrier"] == "categorical" and kinds["origin"] == "categorical"
    assert kinds["month"] == "categorical"
    assert kinds["dep_delay"] == "integer" and kinds["distance"] == "integer"
    assert kinds["time_hour"] == "datetime"
    assert flights_model.column("time_hour").granularity == 3_600_000_000  # whole hours
    assert flights_model.spec.copula is not None
    children = {(d.parent, d.child) for d in flights_model.spec.dependencies}
    assert ("dest", "distance") in children or ("distance", "dest") in children


def test_model_file_is_small_and_has_no_rare_values(flights_model, flights, tmp_path):
    path = tmp_path / "m.json"
    flights_model.save(path)
    assert path.stat().st_size < 2_000_000
    text = path.read_text()
    counts = {r["tailnum"]: r["count"] for r in flights.groupBy("tailnum").count().collect()}
    rare = [t for t, n in counts.items() if t is not None and n < 5]
    assert rare, "the sample should contain rare tail numbers"
    assert not [t for t in rare if f'"{t}"' in text]
    stored = set(flights_model.column("tailnum").values)
    assert all(counts[t] >= 5 for t in stored)


def test_rare_values_never_enter_the_model(spark):
    rows = [("common", i % 3) for i in range(200)] + [("SECRET-PERSON-42", 1)] * 2
    df = spark.createDataFrame(rows, "name string, v int")
    model = fit(df, min_count=5)
    text = model.to_json()
    assert "SECRET" not in text
    column = model.column("name")
    assert column.kind == "categorical" and column.values == ["common"]
    assert column.other_probability == pytest.approx(2 / 202, abs=1e-6)
    for dep in model.spec.dependencies:  # every stored table cell was seen >= 5 times
        assert dep.table


def test_degenerate_columns_are_modelled(spark):
    df = spark.createDataFrame(
        [(None, 7, "x", True, Decimal("2.50"), 0.5) for _ in range(50)],
        "nothing string, seven int, letter string, flag boolean, price decimal(6,2), half double",
    )
    model = fit(df)
    kinds = {c.name: c.kind for c in model.columns}
    assert set(kinds.values()) == {"constant", "null"} and kinds["nothing"] == "null"
    out = generate(spark, model, rows=100, seed=1)
    assert out.schema == df.schema
    assert out.distinct().collect() == df.distinct().collect()


def test_empty_table_is_an_error(spark):
    df = spark.createDataFrame([], "a int, b string")
    with pytest.raises(InputDataError, match="table empty_one is empty"):
        fit(df, table="empty_one")


def test_nan_and_infinity_are_named(spark):
    df = spark.createDataFrame([(1.0,), (float("nan"),), (float("inf"),)], "score double")
    with pytest.raises(InputDataError, match=r"column 'score': 1 NaN and 1 infinite"):
        fit(df, table="t")


def test_unsupported_types_are_named_or_excluded(spark):
    df = spark.createDataFrame([(1, [1, 2], {"a": 1})] * 10, "id int, tags array<int>, props map<string,int>")
    with pytest.raises(InputDataError, match=r"tags \(array<int>\), props \(map<string,int>\)"):
        fit(df, table="t")
    model = fit(df, exclude_unsupported=True)
    assert [c.name for c in model.columns] == ["id"]


def test_kind_override_and_its_errors(spark):
    df = spark.createDataFrame([(f"{i:05d}", i % 7) for i in range(300)], "zip string, n int")
    model = fit(df, kinds={"zip": "pattern", "n": "integer"})
    assert model.column("zip").kind == "pattern" and model.column("n").kind == "integer"
    with pytest.raises(InputDataError, match="kind 'datetime' does not fit"):
        fit(df, kinds={"zip": "datetime"})
    with pytest.raises(InputDataError, match="unknown columns"):
        fit(df, kinds={"nope": "pattern"})


def test_every_supported_type_is_fitted(spark):
    schema = T.StructType(
        [
            T.StructField("b", T.ByteType()),
            T.StructField("s", T.ShortType()),
            T.StructField("i", T.IntegerType(), nullable=False),
            T.StructField("f", T.FloatType()),
            T.StructField("d", T.DecimalType(10, 2)),
            T.StructField("day", T.DateType()),
            T.StructField("ts", T.TimestampType()),
            T.StructField("ntz", T.TimestampNTZType()),
            T.StructField("ok", T.BooleanType()),
        ]
    )
    base = dt.datetime(2024, 1, 1, 12, 30)
    rows = [
        (
            i % 100,
            i % 1000,
            i,
            i / 3.0,
            Decimal(f"{i}.25"),
            dt.date(2024, 1, 1) + dt.timedelta(days=i % 40),
            base + dt.timedelta(minutes=17 * i),
            base + dt.timedelta(seconds=i),
            i % 3 == 0,
        )
        for i in range(400)
    ]
    df = spark.createDataFrame(rows, schema)
    model = fit(df)
    kinds = {c.name: c.kind for c in model.columns}
    assert kinds["d"] == "decimal" and model.column("d").unit == "unscaled"  # hundredths, exact
    assert model.column("d").min == 25 and model.column("d").max == 39925
    assert kinds["day"] == "datetime" and model.column("day").unit == "day"
    assert kinds["ntz"] == "datetime" and kinds["ts"] == "datetime"
    assert kinds["ok"] == "boolean" and kinds["i"] == "id"
    assert json.loads(model.to_json())["columns"][2]["nullable"] is False

    out = generate(spark, model, rows=2000, seed=1, partitions=2)
    assert out.schema == df.schema
    for name in ("b", "f", "d", "day", "ts", "ntz"):  # i and s are unique ids: they count on
        real = df.agg(F.min(name), F.max(name)).first()
        got = out.agg(F.min(name), F.max(name)).first()
        assert real[0] <= got[0] and got[1] <= real[1], name
    assert out.agg(F.countDistinct("s")).first()[0] == 2000
    with pytest.raises(GenerateError, match="column 's' holds unique ids of type short"):
        generate(spark, model, rows=40_000, seed=1)
    # timestamps were 17 minutes apart on whole minutes: the learned granularity keeps seconds at 0
    assert out.where(F.second("ts") != 0).count() == 0


def test_two_wide_categories_are_paired_when_their_table_is_small(spark):
    """A time zone (300 values) determines its country (150): their 302 x 152 table is small,
    so the tree can link them and no generated row puts a zone in another zone's country (before,
    a column over 256 codes was only paired with categories of at most 64)."""
    import numpy as np
    import pandas as pd

    from spark_synth.fit.joint import pair_is_counted

    assert pair_is_counted(302, 152, True, True) and pair_is_counted(4000, 16, True, True)
    assert not pair_is_counted(4000, 70, True, False)  # tail numbers x a binned number: too many cells
    rng = np.random.default_rng(5)
    zone = rng.integers(0, 300, 15_000)
    frame = pd.DataFrame(
        {
            "tz": [f"Zone/{z:03d}" for z in zone],
            "country": [f"C{z // 2:03d}" for z in zone],
            "x": rng.normal(size=15_000),
        }
    )
    model = fit(spark.createDataFrame(frame), table="zones")
    assert {(d.parent, d.child) for d in model.spec.dependencies} & {("tz", "country"), ("country", "tz")}
    out = generate(spark, model, 5000, seed=2).toPandas()
    real_pairs = set(zip(frame["tz"], frame["country"]))
    assert np.mean([(t, c) in real_pairs for t, c in zip(out["tz"], out["country"])]) > 0.97
