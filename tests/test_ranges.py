"""Ranges on numeric and datetime columns (issue 16): exact truncation, no rejection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from conftest import fixture_model
from pyspark.sql import functions as F

from spark_synth import fit, generate
from spark_synth.cli import main
from spark_synth.errors import GenerateError
from spark_synth.plan.steer.conditions import conditions_of, parse_where
from spark_synth.plan.steer.ranges import Range, to_unit
from spark_synth.plan.steer.tree import condition_tree

KINDS = {"a": 20.0, "b": 60.0, "c": 200.0}


def ranges_table(rows: int = 6000, seed: int = 0) -> pd.DataFrame:
    """kind sets amount's level, qty follows amount (10 % null); a date and a timestamp spread
    over a year and two months."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(list(KINDS), rows, p=[0.5, 0.3, 0.2])
    amount = np.round(np.array([KINDS[k] for k in kind]) * rng.lognormal(0, 0.35, rows), 2)
    qty = np.clip(np.round(amount / 10 + rng.normal(0, 2, rows)), 1, None)
    return pd.DataFrame(
        {
            "kind": kind,
            "amount": amount,
            "qty": pd.array(np.where(rng.random(rows) < 0.1, None, qty), dtype="Int64"),
            "offset_days": rng.integers(0, 366, rows),
            "offset_s": rng.integers(0, 60 * 86_400, rows),
        }
    )


@pytest.fixture(scope="module")
def ranged(spark):
    real = ranges_table()
    df = (
        spark.createDataFrame(real)
        .withColumn("day", F.expr("date_add(DATE'2020-01-01', CAST(offset_days AS int))"))
        .withColumn("at", F.expr("timestamp_seconds(1577836800 + offset_s)"))
        .withColumn("price", F.col("amount").cast("decimal(38,18)"))
        .drop("offset_days", "offset_s")
    )
    return df.toPandas(), fit(df, table="ranged")


def test_comparisons_and_betweens_parse():
    assert parse_where(["amount >= 60", "qty < 3", "`odd name` between 1 and '2,5'", "day<=2020-06-30"]) == [
        ("amount", Range(low="60")),
        ("qty", Range(high="3", high_strict=True)),
        ("odd name", Range("1", "2,5")),
        ("day", Range(high="2020-06-30")),
    ]
    assert parse_where({"amount": (60, None), "kind": ("a", "b")}) == [("amount", (60, None)), ("kind", ("a", "b"))]


@pytest.fixture(scope="module")
def ranged_model():
    """A fit of the same table stored as a file (tests/fixtures): ranges' algebra without Spark."""
    return fixture_model("ranged")


def test_bounds_move_inward_onto_values_the_column_takes(ranged_model):
    model = ranged_model
    qty, amount, day, price = (model.column(c) for c in ("qty", "amount", "day", "price"))
    assert to_unit(qty, "3.5", up=True, strict=False) == 4 and to_unit(qty, "3.5", up=False, strict=False) == 3
    assert to_unit(qty, 3, up=True, strict=True) == 4 and to_unit(qty, 3, up=False, strict=True) == 2
    assert to_unit(amount, "10.001", up=True, strict=False) == pytest.approx(10.01)
    assert to_unit(amount, 10, up=True, strict=True) == pytest.approx(10.01)
    assert to_unit(day, "2020-01-02", up=True, strict=False) == 18_263
    assert to_unit(day, dt.date(2020, 1, 2), up=True, strict=True) == 18_264
    assert to_unit(price, Decimal("1.5"), up=True, strict=False) == 15 * 10**17


@pytest.mark.parametrize(
    "where, inside",
    [
        (["amount >= 100"], lambda r: r.amount >= 100),
        ({"amount": (None, 15.5)}, lambda r: r.amount <= 15.5),
        (["qty between 3 and 5"], lambda r: r.qty.between(3, 5)),
        (["qty > 10", "kind = b"], lambda r: (r.qty > 10) & (r.kind == "b")),
        (["day >= 2020-12-01"], lambda r: r.day >= dt.date(2020, 12, 1)),
        (["at < '2020-01-15 12:00:00'"], lambda r: r["at"] < pd.Timestamp("2020-01-15 12:00:00")),
        (["price between 50 and 70.5"], lambda r: r.price.between(Decimal(50), Decimal("70.5"))),
    ],
)
def test_every_row_lies_in_the_range_and_the_count_is_exact(spark, ranged, where, inside):
    _, model = ranged
    rows = generate(spark, model, 4_321, seed=11, where=where).toPandas()
    assert len(rows) == 4_321
    assert inside(rows).all(), rows[~inside(rows)].head()


@pytest.mark.parametrize("seed, low, high", [(1, 40.0, None), (2, None, 25.0), (3, 55.0, 90.0), (4, 150.0, None)])
def test_a_range_truncates_the_model_exactly(spark, ranged, seed, low, high):
    """Rows generated under a range follow the model's rows that fall in it: the kinds a high
    amount comes with, and the amounts' own quartiles — the same as filtering unconditioned
    rows, without drawing a row that is thrown away."""
    _, model = ranged
    plain = generate(spark, model, 60_000, seed=seed).toPandas()
    keep = plain.amount.between(-np.inf if low is None else low, np.inf if high is None else high)
    filtered = plain[keep]
    rows = generate(spark, model, 20_000, seed=seed + 100, where={"amount": (low, high)}).toPandas()
    for kind in KINDS:
        assert abs((rows.kind == kind).mean() - (filtered.kind == kind).mean()) < 0.03, kind
    assert np.allclose(rows.amount.quantile([0.25, 0.5, 0.75]), filtered.amount.quantile([0.25, 0.5, 0.75]), rtol=0.05)


def test_a_range_on_a_child_moves_its_parent_as_in_the_real_rows(spark, ranged):
    real, model = ranged
    rows = generate(spark, model, 20_000, seed=5, where=["amount >= 120"]).toPandas()
    subset = real[real.amount >= 120]
    for kind in KINDS:
        assert abs((rows.kind == kind).mean() - (subset.kind == kind).mean()) < 0.05, kind
    assert abs(rows.qty.median() - subset.qty.median()) <= 2


def test_null_and_not_null_on_a_number(spark, ranged):
    _, model = ranged
    assert generate(spark, model, 2_000, seed=1, where=["qty is null"]).toPandas().qty.isna().all()
    assert generate(spark, model, 2_000, seed=1, where=["qty is not null"]).toPandas().qty.notna().all()


def test_ranged_rows_are_the_same_on_any_partition_count(spark, ranged):
    _, model = ranged
    where = ["amount between 30 and 80", "day < 2020-07-01"]
    assert (
        generate(spark, model, 3_000, seed=9, partitions=1, where=where).collect()
        == generate(spark, model, 3_000, seed=9, partitions=5, where=where).collect()
    )


@pytest.mark.parametrize(
    "where, message",
    [
        (["qty between 9 and 3"], "inverted"),
        (["qty between 3.2 and 3.8"], "empty"),
        (["amount > 1e9"], "outside the values the model learned"),
        (["day < 1999-01-01"], r"outside the values the model learned \(2020-01-01"),
        ({"amount": (None, None)}, "open at both ends"),
        ({"amount": (1, 2, 3)}, "a range is a pair"),
        ({"amount": [10, 20]}, "set of values"),
        (["kind >= a"], "range on a column of categories"),
        (["amount >= lots"], "'lots' is not a number"),
        (["day >= 2020-13-01"], "not a date"),
        (["at >= tomorrow"], "not a timestamp"),
        (["amount is null"], "never null"),
        (["qty > 3", "qty < 4"], "contradict each other"),
    ],
)
def test_bad_ranges_are_named(ranged_model, where, message):
    model = ranged_model
    with pytest.raises(GenerateError, match=message):
        condition_tree(model, conditions_of(model, where))


def test_cli_ranges(spark, ranged, tmp_path, capsys):
    _, model = ranged
    path, out = tmp_path / "ranged.json", tmp_path / "out"
    model.save(path)
    assert (
        main(
            [
                "generate",
                "--model",
                str(path),
                "--rows",
                "700",
                "--where",
                "amount >= 100",
                "--where",
                "day between 2020-03-01 and 2020-03-31",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    rows = spark.read.parquet(str(out)).toPandas()
    assert len(rows) == 700 and (rows.amount >= 100).all()
    assert rows.day.between(dt.date(2020, 3, 1), dt.date(2020, 3, 31)).all()
    bad = tmp_path / "bad"
    assert (
        main(["generate", "--model", str(path), "--rows", "10", "--where", "qty between 9 and 3", "--output", str(bad)])
        == 2
    )
    assert "inverted" in capsys.readouterr().err and not bad.exists()


# --- ranges meet the rules ---------------------------------------------------------------------


def test_a_range_keeps_what_the_null_rules_read_non_null(spark, flights_model):
    """arr_delay is null when arr_time or air_time is: `arr_delay >= 60` keeps them non-null (and
    their own sources), so no row loses its arr_delay after the draw; dep_delay, its parent, moves
    up with it."""
    rows = generate(spark, flights_model, 20_000, seed=4, where=["arr_delay >= 60"]).toPandas()
    plain = generate(spark, flights_model, 20_000, seed=4).toPandas()
    assert rows.arr_delay.notna().all() and (rows.arr_delay >= 60).all()
    assert rows.arr_time.notna().all() and rows.air_time.notna().all()
    assert rows.dep_delay.median() > plain.dep_delay.median() + 30


def test_a_null_condition_passes_through_the_null_rules(spark, flights_model):
    """`dep_time is null` (a cancelled flight): the rules then null its delay and arrival too."""
    rows = generate(spark, flights_model, 5_000, seed=4, where=["dep_time is null"]).toPandas()
    assert rows.dep_time.isna().all() and rows.dep_delay.isna().all() and rows.arr_time.isna().all()


def test_a_null_condition_also_conditions_what_the_rules_null_with_it(sample_model):
    """The real rows where dep_time is null have their delays and arrival null too: the tree is
    conditioned on all of those codes (the event the real rows show), not on dep_time's alone."""
    conditioned = {c.column for c in conditions_of(sample_model, ["dep_time is null"])}
    assert {"dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"} <= conditioned


def test_values_are_found_by_type_then_by_text():
    from spark_synth.model.schema import CategoricalColumn
    from spark_synth.plan.steer.conditions import _MISSING, _Held

    def column(values):
        return CategoricalColumn.model_construct(name="c", values=values)

    assert _Held(column([1, 2.5, "x"]))("1") == 1 and _Held(column([1, 2.5]))(2.5) == 2.5
    assert _Held(column([1.0, 3]))(1) == 1.0 and _Held(column(["1", 1]))(1) == 1
    assert _Held(column([True, 1]))(1) == 1 and _Held(column([True]))(1) is _MISSING
    assert _Held(column([True, "a"]))("true") is True and _Held(column(["a"]))(["a"]) is _MISSING


def test_a_null_the_rules_decide_has_two_branches(sample_model):
    """dep_time is null when tailnum is, or on its own: the model's rows with dep_time null have
    tailnum null in P(tailnum null) / P(dep_time null) of them; a carrier none of whose rows
    lacks a tailnum has only the second branch."""
    from spark_synth.plan.steer.null_branches import null_branches

    model = sample_model
    branches = null_branches(model, ["dep_time is null"])
    expected = model.column("tailnum").null_fraction / model.column("dep_time").null_fraction
    assert [b[-1] for b, _ in branches] == [("tailnum", None), ("tailnum", "not null")]
    assert branches[0][1] == pytest.approx(expected, rel=1e-6)
    assert sum(share for _, share in branches) == pytest.approx(1.0)
    unmapped = [
        c
        for c in model.column("carrier").values
        if null_branches(model, ["dep_time is null", ("carrier", c)])[0][0][-1] == ("tailnum", "not null")
    ]
    assert unmapped, "some carrier never flies without a tailnum in the model"


def test_a_null_the_rules_decide_splits_into_its_two_causes(spark, flights_model):
    """The conditioned rows get exactly the branches' shares (row ranges, counts by largest
    remainder), the same on any partitioning."""
    from spark_synth.plan.steer.null_branches import null_branches

    branches = null_branches(flights_model, ["dep_time is null"])
    one = generate(spark, flights_model, 5_000, seed=4, partitions=1, where=["dep_time is null"])
    rows = one.toPandas()
    assert rows.dep_time.isna().all() and rows.tailnum.isna().sum() == round(5_000 * branches[0][1])
    assert (
        one.collect()
        == generate(spark, flights_model, 5_000, seed=4, partitions=3, where=["dep_time is null"]).collect()
    )
    # a carrier none of whose real rows lacks a tailnum: no branch with tailnum null
    unmapped = [
        c
        for c in flights_model.column("carrier").values
        if null_branches(flights_model, ["dep_time is null", ("carrier", c)])[0][0][-1] == ("tailnum", "not null")
    ]
    assert unmapped, "some carrier never flies without a tailnum in the model"


@pytest.fixture(scope="module")
def hostile(spark):
    """Dotted and spaced names, integers near 2^62, decimal(38,18), dates near 9999, timestamps
    with microseconds, a small-integer column the fit keeps as categories."""
    from pyspark.sql import types as T

    rng = np.random.default_rng(1)
    n = 3000
    rows = [
        (
            int(2**62 + b),
            Decimal(f"{x:.18f}"),
            dt.date(9990, 1, 1) + dt.timedelta(days=int(d)),
            dt.datetime(2030, 1, 1) + dt.timedelta(microseconds=int(us)),
            int(small),
        )
        for b, x, d, us, small in zip(
            rng.integers(0, 10**6, n),
            rng.normal(1e10, 1e9, n),
            rng.integers(0, 3000, n),
            rng.integers(0, 86_400 * 10**6, n),
            rng.integers(-5, 5, n),
        )
    ]
    schema = T.StructType(
        [
            T.StructField("big.id", T.LongType()),
            T.StructField("amt", T.DecimalType(38, 18)),
            T.StructField("far day", T.DateType()),
            T.StructField("at", T.TimestampNTZType()),
            T.StructField("s", T.IntegerType()),
        ]
    )
    df = spark.createDataFrame(rows, schema)
    return df.toPandas(), fit(df, table="hostile")


@pytest.mark.parametrize("seed", range(6))
def test_random_ranges_on_hostile_columns_hold_in_every_row(spark, hostile, seed):
    """Bounds drawn between real quantiles of each column; every generated row lies inside."""
    real, model = hostile
    rng = np.random.default_rng(seed)
    picked = rng.choice(real.columns, 2, replace=False)
    where, checks = [], []
    for column in picked:
        values = real[column].sort_values().to_numpy()
        low, high = (
            values[int(rng.integers(0, len(values) // 2))],
            values[int(rng.integers(len(values) // 2, len(values)))],
        )
        text = {dt.date: str, dt.datetime: lambda v: f"'{v}'"}.get(type(low), str)
        where.append(f"`{column}` between {text(low)} and {text(high)}")
        checks.append((column, low, high))
    rows = generate(spark, model, 1_500, seed=seed, where=where).toPandas()
    assert len(rows) == 1_500
    for column, low, high in checks:
        assert rows[column].between(low, high).all(), (where, rows[column].min(), rows[column].max())


def test_a_category_null_with_its_source_splits_by_the_drawn_nulls(spark):
    """sex is null wherever species is (10 % of rows), and in 10 % of the others: `sex is null`
    rows have species null in about half of them, as in the real rows."""
    from spark_synth.plan.steer.null_branches import null_branches

    rng = np.random.default_rng(3)
    n = 8000
    species = np.where(rng.random(n) < 0.1, None, rng.choice(["DM", "DO", "PP"], n))
    sex = np.where((species == None) | (rng.random(n) < 0.1), None, rng.choice(["F", "M"], n))  # noqa: E711
    real = pd.DataFrame({"species": species, "sex": sex, "weight": rng.normal(40, 5, n).round()})
    model = fit(spark.createDataFrame(real), table="survey", rules=["sex is null when species is null"])
    branches = null_branches(model, ["sex is null"])
    assert [b[-1] for b, _ in branches] == [("species", None), ("species", "not null")]
    share = real.species[real.sex.isna()].isna().mean()
    assert branches[0][1] == pytest.approx(share, abs=0.05)
    rows = generate(spark, model, 3_000, seed=1, where=["sex is null"]).toPandas()
    assert rows.sex.isna().all() and rows.species.isna().sum() == round(3_000 * branches[0][1])
