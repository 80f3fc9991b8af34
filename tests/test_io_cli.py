"""Safe writes, input errors and the command line."""

from __future__ import annotations

import os

import pytest
from pyspark.sql import functions as F

from spark_synth import GenerateError, InputDataError, generate
from spark_synth.cli import main
from spark_synth.io import read_table, write_output


def test_existing_output_is_refused_then_overwritten(spark, flights_model, tmp_path):
    target = str(tmp_path / "out")
    write_output(generate(spark, flights_model, rows=100, seed=1), target, "parquet")
    with pytest.raises(GenerateError, match="already exists; pass --mode overwrite"):
        write_output(generate(spark, flights_model, rows=100, seed=1), target, "parquet")
    write_output(generate(spark, flights_model, rows=250, seed=2), target, "parquet", mode="overwrite")
    assert spark.read.parquet(target).count() == 250
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no staging or backup left behind


def test_failed_job_leaves_nothing_that_looks_complete(spark, tmp_path):
    target = str(tmp_path / "out")
    failing = spark.range(0, 50_000, 1, 4).withColumn(
        "x", F.when(F.col("id") == 40_000, F.raise_error(F.lit("injected failure"))).otherwise(F.col("id")))
    with pytest.raises(Exception, match="injected failure"):
        write_output(failing, target, "parquet")
    assert os.listdir(tmp_path) == []


def test_missing_input_path(spark, tmp_path):
    with pytest.raises(InputDataError, match="does not exist"):
        read_table(spark, str(tmp_path / "missing.parquet"))


def test_cli_fit_and_generate(spark, flights_path, tmp_path, capsys):
    model = str(tmp_path / "m.json")
    assert main(["fit", flights_path, "--model", model]) == 0
    out = str(tmp_path / "gen")
    assert main(["generate", "--model", model, "--rows", "1000", "--seed", "3", "--output", out,
                 "--format", "csv"]) == 0
    assert spark.read.option("header", True).csv(out).count() == 1000
    assert main(["generate", "--model", model, "--rows", "1000", "--seed", "3", "--output", out]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["fit", "/no/such/table.parquet", "--model", "m.json"], "does not exist"),
    (["generate", "--model", "/no/such/model.json", "--rows", "10", "--format", "noop"], "does not exist"),
])
def test_cli_errors_are_clear(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_rejects_bad_rows(flights_model, tmp_path, capsys):
    model = tmp_path / "m.json"
    flights_model.save(model)
    assert main(["generate", "--model", str(model), "--rows", "0", "--format", "noop"]) == 2
    assert "rows must be a positive integer" in capsys.readouterr().err
