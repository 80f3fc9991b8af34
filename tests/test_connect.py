"""Spark Connect: every entry point on a real local Connect server (remote("local[2]"), started by
PySpark in a process of its own), giving the same rows as this classic session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from chispa import assert_df_equality

from spark_synth import generate, load_model
from spark_synth.api import generate_schema
from spark_synth.io import read_table
from spark_synth.model.relational import load_relational

pytest.importorskip("pyspark.sql.connect.session", reason="needs pyspark[connect]")

ROWS, SEED = 6000, 11


@pytest.fixture(scope="module")
def connect_run(tmp_path_factory, flights_model, star):
    """Runs tests/connect_session.py once; its output directory. PySpark's local Connect server
    always listens on port 15002, so a second one on this machine makes the run fail."""
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 15002)) != 0, (
            "port 15002 is taken: another Spark Connect server runs here"
        )
    root = tmp_path_factory.mktemp("connect")
    out = root / "out"
    out.mkdir()
    flights_model.save(root / "flights.model.json")
    (root / "job.yaml").write_text(
        f"seed: 7\noutput: {root / 'lake'}\nformat: parquet\n"
        f"tables:\n  flights: {{model: {root / 'flights.model.json'}, rows_per_day: 2000}}\n"
    )
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    env.pop("SPARK_REMOTE", None)
    script = Path(__file__).with_name("connect_session.py")
    result = subprocess.run(
        [sys.executable, str(script), str(out), str(star[0] / "star.yaml"), str(root / "job.yaml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return root


def test_connect_generates_the_classic_rows(spark, connect_run):
    out = connect_run / "out"
    model = load_model(out / "flights.model.json")
    expected = generate(spark, model, ROWS, SEED, partitions=3)
    for name in ("default_partitions", "data_source", "five_partitions.csv"):
        got = read_table(spark, str(out / name))
        assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_connect_conditions_and_rebalancing_give_the_classic_rows(spark, connect_run):
    out = connect_run / "out"
    model = load_model(out / "flights.model.json")
    ranged = ["arr_delay >= 60", "time_hour < '2013-07-01 06:00'"]  # read in each session's time zone
    for name, expected in (
        ("conditioned", generate(spark, model, ROWS, SEED, where={"carrier": "UA"})),
        ("ranged", generate(spark, model, ROWS, SEED, where=ranged)),
        ("rebalanced", generate(spark, model, ROWS, SEED, rebalance={"origin": {"JFK": 0.5, "EWR": 0.5}})),
    ):
        assert_df_equality(spark.read.parquet(str(out / name)), expected, ignore_row_order=True, ignore_nullable=True)


def test_connect_fit_and_evaluate(spark, connect_run, flights_model):
    out = connect_run / "out"

    # KLL sketches compact at random, so quantiles may differ in the last points; the rest is exact
    def summary(model):
        return [(c["name"], c["spark_type"], c["kind"], c.get("null_fraction")) for c in model.to_dict()["columns"]]

    assert summary(load_model(out / "flights.model.json")) == summary(flights_model)
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["column_shapes"] > 0.9 and report["utility"] is not None


def test_connect_relational_and_scheduled(spark, connect_run):
    out = connect_run / "out"
    model = load_relational(out / "star.model.json")
    for name, expected in generate_schema(spark, model, 1.0, SEED).items():
        assert_df_equality(
            spark.read.parquet(str(out / "star" / name)), expected, ignore_row_order=True, ignore_nullable=True
        )
    day = spark.read.parquet(str(connect_run / "lake" / "flights" / "date=2026-11-21"))
    assert day.count() == 2000


def test_connect_progress_is_logged(connect_run):
    lines = (connect_run / "out" / "progress.txt").read_text().splitlines()
    assert any("/8 tasks (" in line and "rows/s" in line for line in lines), lines
    assert lines[-1].startswith("noop: done in")


def test_connect_refused_or_broken_engine_jar_is_one_clear_message(connect_run):
    out = connect_run / "out"
    refused = (out / "refused_error.txt").read_text()
    assert "did not accept spark_synth's engine jar (artifacts are disabled)" in refused and "--jars" in refused
    message = (out / "broken_jar_error.txt").read_text()
    assert "SPARK_SYNTH_ENGINE_JAR" in message and "not a spark_synth engine jar" in message
    assert not (out / "never_written").exists()
