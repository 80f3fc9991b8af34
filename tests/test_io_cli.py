"""Safe writes, input errors and the command line."""

from __future__ import annotations

import json
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
        "x", F.when(F.col("id") == 40_000, F.raise_error(F.lit("injected failure"))).otherwise(F.col("id"))
    )
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
    assert (
        main(["generate", "--model", model, "--rows", "1000", "--seed", "3", "--output", out, "--format", "csv"]) == 0
    )
    assert spark.read.option("header", True).csv(out).count() == 1000
    assert main(["generate", "--model", model, "--rows", "1000", "--seed", "3", "--output", out]) == 2
    assert "already exists" in capsys.readouterr().err
    parquet_out = str(tmp_path / "gen_parquet")
    assert main(["generate", "--model", model, "--rows", "2000", "--seed", "3", "--output", parquet_out]) == 0
    assert (
        main(
            [
                "evaluate",
                "--real",
                flights_path,
                "--synthetic",
                parquet_out,
                "--model",
                model,
                "--target",
                "arr_delay",
                "--report",
                str(tmp_path / "rep"),
            ]
        )
        == 0
    )
    assert (tmp_path / "rep" / "report.json").is_file() and (tmp_path / "rep" / "report.html").is_file()
    assert "utility (r2 predicting arr_delay)" in capsys.readouterr().out
    assert (
        main(
            [
                "evaluate",
                "--real",
                flights_path,
                "--synthetic",
                parquet_out,
                "--target",
                "nope",
                "--report",
                str(tmp_path / "rep2"),
            ]
        )
        == 2
    )
    assert "target column 'nope'" in capsys.readouterr().err


def test_cli_fit_from_catalog_table(spark, flights, tmp_path):
    flights.limit(3000).createOrReplaceTempView("flights_view")
    model = tmp_path / "m.json"
    assert main(["fit", "--table", "flights_view", "--model", str(model)]) == 0
    assert json.loads(model.read_text())["table"]["name"] == "flights_view"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "/no/such/table.parquet", "--model", "m.json"], "does not exist"),
        (["generate", "--model", "/no/such/model.json", "--rows", "10", "--format", "noop"], "does not exist"),
    ],
)
def test_cli_errors_are_clear(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_rejects_bad_rows(flights_model, tmp_path, capsys):
    model = tmp_path / "m.json"
    flights_model.save(model)
    assert main(["generate", "--model", str(model), "--rows", "0", "--format", "noop"]) == 2
    assert "--rows must be between 1 and 2**62" in capsys.readouterr().err


def test_spark_submit_job_with_py_files(spark, flights_model, tmp_path):
    """jobs/generate.py under spark-submit, the package shipped as a --py-files zip, writes the
    same rows as the in-process API."""
    import pathlib
    import subprocess
    import sys
    import zipfile

    import pyspark
    from chispa import assert_df_equality

    from spark_synth.engine.jvm import engine_jar

    root = pathlib.Path(__file__).resolve().parents[1]
    bundle = tmp_path / "spark_synth.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for path in (root / "spark_synth").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, path.relative_to(root))
    model = tmp_path / "m.json"
    flights_model.save(model)
    out = tmp_path / "submitted"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    submit = pathlib.Path(pyspark.__file__).parent / "bin" / "spark-submit"
    result = subprocess.run(
        [
            str(submit),
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            "--py-files",
            str(bundle),
            "--jars",
            str(engine_jar()),
            str(root / "jobs" / "generate.py"),
            "--model",
            str(model),
            "--rows",
            "5000",
            "--seed",
            "4",
            "--output",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_df_equality(
        spark.read.parquet(str(out)),
        generate(spark, flights_model, rows=5000, seed=4),
        ignore_row_order=True,
        ignore_nullable=True,
    )
