"""Tables nobody here wrote: hostile names, '' for missing, extreme numbers and dates, long
strings, unique codes, CSV, bad model files and output paths (issue 11, items 1-13)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth import GenerateError, InputDataError, ModelFileError, evaluate, fit, generate
from spark_synth.cli import main
from spark_synth.io import read_table, write_output
from spark_synth.model.io import SynthModel
from spark_synth.model.types import from_unscaled


def test_dotted_backticked_and_case_only_names_round_trip(spark, tmp_path):
    rows = [(i, i % 7, f"x{i % 3}", i % 5, f"v{i % 4}") for i in range(300)]
    names = ["user.id", "a`b", "Amount", "amount", "naïve name"]
    df = spark.createDataFrame(rows, "a long, b long, c string, d long, e string").toDF(*names)
    model = fit(df)
    assert [c.name for c in model.columns] == names
    out = generate(spark, model, rows=1000, seed=1)
    assert out.columns == names and [f.dataType for f in out.schema] == [f.dataType for f in df.schema]
    report = evaluate(df, out)
    assert {s.column for s in report.shapes} == set(names)
    target = str(tmp_path / "out")
    write_output(out, target, "parquet")  # Amount/amount: written with case-sensitive analysis
    spark.conf.set("spark.sql.caseSensitive", "true")
    try:
        back = spark.read.parquet(target)
        assert back.columns == names and back.count() == 1000
    finally:
        spark.conf.set("spark.sql.caseSensitive", "false")


def test_duplicate_names_are_named_in_the_error(spark):
    df = spark.createDataFrame([(1, 2)], "a int, b int").toDF("a", "a")
    with pytest.raises(InputDataError, match=r"column name\(s\) \['a'\] occur more than once"):
        fit(df, table="twins")


def test_empty_strings_keep_their_rate(spark):
    rng = np.random.default_rng(0)
    codes = [
        "" if rng.random() < 0.05 else f"{rng.choice(list('ABCDEFGH'))}{rng.integers(0, 10**6):06d}"
        for _ in range(4000)
    ]
    df = spark.createDataFrame([(c,) for c in codes], "iata string")
    out = generate(spark, fit(df), rows=20_000, seed=2)
    share = out.where(F.col("iata") == "").count() / 20_000
    assert share == pytest.approx(codes.count("") / len(codes), abs=0.01)


def test_big_integers_and_far_timestamps_are_exact(spark):
    """Snowflake-like ids above 2^53, '9999-12-31 23:59:59' valid-to sentinels, dates before 1685."""
    base = 1_400_000_000_000_000_000
    rows = [
        (
            base + i * 7_919_000_003,
            dt.datetime(2020, 1, 1) + dt.timedelta(hours=i) if i % 10 else dt.datetime(9999, 12, 31, 23, 59, 59),
            dt.date(1600, 1, 1) + dt.timedelta(days=3 * i),
        )
        for i in range(600)
    ]
    df = spark.createDataFrame(rows, "snow long, valid_to timestamp, founded date")
    model = fit(df)
    snow = model.column("snow")
    assert snow.kind == "unique" and snow.start == base  # exact: not rounded through a double
    assert model.column("valid_to").max == 253_402_300_799_000_000  # 9999-12-31 23:59:59 in microseconds
    out = generate(spark, model, rows=5000, seed=3)
    got = out.agg(F.min("snow"), F.max("valid_to"), F.min("founded"), F.max("founded")).first()
    assert got[0] >= base
    assert got[1] == dt.datetime(9999, 12, 31, 23, 59, 59)
    assert dt.date(1600, 1, 1) <= got[2] and got[3] <= dt.date(1600, 1, 1) + dt.timedelta(days=3 * 599)
    assert out.select("snow").distinct().count() == 5000


def test_huge_doubles_and_wide_decimals_do_not_overflow(spark):
    rows = [
        (float(1e19 * (i + 1)), Decimal(10**30 + i * 1000), [1.7e308, -1.7e308, 0.5, 2.25][i % 4]) for i in range(400)
    ]
    df = spark.createDataFrame(rows, "big double, dec decimal(38,0), edge double")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    model = fit(df)
    out = generate(spark, model, rows=3000, seed=4)
    got = out.agg(F.min("big"), F.max("big"), F.min("dec"), F.max("dec"), F.countDistinct("dec")).first()
    assert got[0] >= 1e19 and got[1] <= 4e21
    assert Decimal(10**30) <= got[2] and got[3] <= Decimal(10**30 + 399_000)
    assert got[4] > 100  # spread over the range, not collapsed onto the minimum
    edges = out.agg(F.min("edge"), F.max("edge"), F.count(F.when(F.isnan("edge"), 1))).first()
    assert edges[0] == -1.7e308 and edges[1] == 1.7e308 and edges[2] == 0  # no inf, no NaN


@pytest.mark.parametrize("precision, scale", [(5, 2), (18, 4), (38, 0), (38, 18)])
def test_decimals_round_trip_their_range_exactly(spark, precision, scale):
    """decimal(38,18) gave 9.223372036854775807 for every value >= 9.22 (a long overflow)."""
    rng = random.Random(precision * 100 + scale)
    largest = 10**precision - 1  # unscaled: the type's extremes are included
    unscaled = [rng.randrange(-largest, largest + 1) for _ in range(600)] + [largest, -largest]
    values = [from_unscaled(u, scale) for u in unscaled]
    df = spark.createDataFrame(
        [(v,) for v in values], T.StructType([T.StructField("x", T.DecimalType(precision, scale))])
    )
    model = fit(df)
    column = model.column("x")
    assert (column.min, column.max) == (-largest, largest)  # exact, unscaled
    out = generate(spark, model, rows=5000, seed=5)
    got = out.agg(F.min("x"), F.max("x"), F.countDistinct("x")).first()
    assert from_unscaled(-largest, scale) <= got[0] and got[1] <= from_unscaled(largest, scale)
    assert got[2] > 1000  # spread, not one repeated (overflowed) value
    assert out.where(F.col("x") > Decimal("9.3")).count() > 1000
    assert all(r.x.as_tuple().exponent == -scale for r in out.limit(300).collect())


def test_float_grids_and_mostly_whole_doubles_are_kept(spark):
    rows = [(float(round((i * 0.1) % 100, 1)), float(i % 900) if i % 9 else (i % 900) + 0.37) for i in range(3000)]
    df = spark.createDataFrame(rows, "f float, elev double")
    model = fit(df)
    out = generate(spark, model, rows=20_000, seed=6).toPandas()
    tenths = np.round(out["f"].astype(np.float64) * 10)
    assert np.all(np.abs(out["f"].astype(np.float32) - (tenths / 10).astype(np.float32)) == 0)  # on the 0.1 grid
    whole = np.mean(out["elev"] == np.floor(out["elev"]))
    assert whole == pytest.approx(8 / 9, abs=0.03)


def test_unique_columns_stay_unique(spark):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    icao = [f"K{letters[i % 26]}{letters[(i // 26) % 26]}{letters[(i // 676) % 26]}" for i in range(3000)]
    rows = [(code, 1_000 + 37 * i) for i, code in enumerate(icao)]
    model = fit(spark.createDataFrame(rows, "icao string, record_id long"))
    assert model.column("icao").kind == "unique" and model.column("record_id").kind == "unique"
    out = generate(spark, model, rows=200_000, seed=7)
    counts = out.agg(F.countDistinct("icao"), F.countDistinct("record_id"), F.min("record_id")).first()
    assert counts[0] == 200_000 and counts[1] == 200_000 and counts[2] >= 1_000
    assert out.where(~F.col("icao").rlike("^[A-Z]{4}$")).count() == 0


def test_unique_codes_without_room_fail_with_the_capacity(spark):
    codes = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "0123456789"]
    model = fit(spark.createDataFrame([(c,) for c in codes], "code string"), min_count=1)
    generate(spark, model, rows=260, seed=1).collect()  # widened: A-Z x 0-9
    with pytest.raises(GenerateError, match="room for 260 distinct values, 1,000 rows requested"):
        generate(spark, model, rows=1000, seed=1)


def test_ids_near_two_to_the_62(spark):
    df = spark.createDataFrame([(2**62 + i,) for i in range(100)], "id long")
    out = generate(spark, fit(df), rows=10, seed=0)
    assert out.agg(F.min("id")).first()[0] == 2**62


def test_long_strings_keep_their_length(spark):
    rng = np.random.default_rng(8)
    notes = ["lorem ipsum dolor " * int(rng.integers(400, 600)) for _ in range(60)]
    out = generate(spark, fit(spark.createDataFrame([(n,) for n in notes], "note string")), rows=200, seed=1)
    lengths = [len(r.note) for r in out.collect()]
    assert min(lengths) >= 400 * 18 * 0.9 and max(lengths) <= 600 * 18


def test_csv_written_by_generate_reads_back_to_the_same_rows_and_types(spark, tmp_path):
    rows = [
        (
            "00501",
            'said "hi",\nthen left',
            "",
            None,
            3,
            2**40,
            1.5,
            dt.datetime(2020, 1, 1, 1, 2, 3, 456789),
            dt.date(2020, 1, 2),
            True,
            Decimal("12.50"),
            "  padded ",
        )
    ] * 3
    df = spark.createDataFrame(
        rows,
        "zip string, note string, empty string, nothing string, i int, l long, "
        "d double, ts timestamp, day date, b boolean, dec decimal(10,2), pad string",
    )
    target = str(tmp_path / "csv")
    write_output(df, target, "csv")
    assert_df_equality(read_table(spark, target), df, ignore_row_order=True)
    plain = tmp_path / "plain.csv"
    plain.write_text('zip,city,n\n"00501",Holtsville,1\n"02134","Allston,\nMA",2\n')
    typed = read_table(spark, str(plain))
    assert typed.dtypes == [("zip", "string"), ("city", "string"), ("n", "int")]
    assert typed.collect()[1].city == "Allston,\nMA" and typed.count() == 2


def model_dict(**column) -> dict:
    base = {
        "name": "x",
        "spark_type": '"long"',
        "kind": "integer",
        "quantiles": {"probabilities": [0.0, 1.0], "values": [0, 10]},
        "min": 0,
        "max": 10,
    }
    return {
        "format": "spark_synth.model",
        "schema_version": 2,
        "created_by": "test",
        "table": {"name": "t", "row_count": 10},
        "privacy": {"min_count": 5},
        "columns": [
            {**base, **column},
            {
                "name": "y",
                "spark_type": '"double"',
                "kind": "continuous",
                "quantiles": {"probabilities": [0.0, 1.0], "values": [0.0, 1.0]},
                "min": 0.0,
                "max": 1.0,
            },
            {
                "name": "z",
                "spark_type": '"double"',
                "kind": "continuous",
                "quantiles": {"probabilities": [0.0, 1.0], "values": [0.0, 1.0]},
                "min": 0.0,
                "max": 1.0,
            },
        ],
        "copula": {
            "columns": ["x", "y", "z"],
            "bins": 4,
            "correlation": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        },
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"spark_type": '"lnog"'}, "columns.0.integer: Value error, spark_type '\"lnog\"' is not a type"),
        (
            {"nullable": False, "null_fraction": 0.2},
            "columns.0.integer: Value error, nullable is false but null_fraction",
        ),
        ({"quantiles": {"probabilities": [0.0, 1.0], "values": [0.5, 10.0]}}, "whole numbers of its unit"),
        ({"kind": "datetime"}, "kind 'datetime' cannot generate a integral column"),
    ],
)
def test_model_files_that_generate_would_crash_on_are_rejected_at_load(change, message):
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SynthModel.from_dict(model_dict(**change))


def test_a_correlation_matrix_that_is_not_positive_definite_is_rejected_at_load():
    raw = model_dict()
    raw["copula"]["correlation"] = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]
    with pytest.raises(ModelFileError, match="copula: Value error, correlation is not positive semi-definite"):
        SynthModel.from_dict(raw)
    SynthModel.from_dict(model_dict())  # the identity is fine


def test_unwritable_output_paths_are_generate_errors(spark, flights_model, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    df = generate(spark, flights_model, rows=10, seed=1)
    with pytest.raises(GenerateError, match=f"{blocker} is a file, not a directory"):
        write_output(df, str(blocker / "out"), "parquet")
    with pytest.raises(GenerateError, match="cannot write output /proc/spark_synth_out"):
        write_output(df, "/proc/spark_synth_out", "parquet")
    model = tmp_path / "m.json"
    flights_model.save(model)
    assert main(["generate", "--model", str(model), "--rows", "10", "--output", str(blocker / "out")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


def test_rare_categories_without_a_pattern_never_reach_generation(spark):
    """An integer column forced categorical keeps no rare value and no 'other' code: a
    dependency table that saw the rare values must not draw a code that has no values."""
    rows = [(i % 4, (i % 4) * 10 + (i % 50 == 0) * (100 + i)) for i in range(2000)]
    df = spark.createDataFrame(rows, "group int, code int")
    model = fit(df, kinds={"code": "categorical"})
    column = model.column("code")
    assert column.other_probability == 0 and set(column.values) == {0, 10, 20, 30}
    values = {r.code for r in generate(spark, model, rows=20_000, seed=3).collect()}
    assert values <= {0, 10, 20, 30}
