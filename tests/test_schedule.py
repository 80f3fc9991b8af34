"""Scheduled generation: a backfill, then one date regenerated: identical content, other dates untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from spark_synth.cli import main
from spark_synth.errors import InputDataError
from spark_synth.io.job_config import load_job_config


def snapshot(root):
    """(relative path, size, mtime) of every visible file under root."""
    return sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in root.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.parts))


def test_backfill_then_rerun_one_day(spark, flights_model, tmp_path):
    flights_model.save(tmp_path / "flights.model.json")
    (tmp_path / "job.yaml").write_text(
        "seed: 7\noutput: lake\nformat: parquet\noptions: {compression: snappy}\n"
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 3000, time_column: time_hour}\n")
    assert main(["run", "--config", str(tmp_path / "job.yaml"), "--from", "2026-11-20", "--to", "2026-11-22"]) == 0
    lake = tmp_path / "lake" / "flights"
    table = spark.read.parquet(str(lake))
    per_day = {r["date"]: r["count"] for r in table.groupBy("date").count().collect()}
    assert per_day == {dt.date(2026, 11, d): 3000 for d in (20, 21, 22)}
    # timestamps land inside their partition's day
    assert table.where(F.to_date("time_hour") != F.col("date")).count() == 0
    before_day = spark.read.parquet(str(lake / "date=2026-11-21")).toPandas()
    others = [s for s in snapshot(lake) if "2026-11-21" not in s[0]]
    assert main(["run", "--config", str(tmp_path / "job.yaml"), "--date", "2026-11-21"]) == 0
    after_day = spark.read.parquet(str(lake / "date=2026-11-21"))
    assert_df_equality(spark.createDataFrame(before_day, after_day.schema), after_day, ignore_row_order=True)
    assert [s for s in snapshot(lake) if "2026-11-21" not in s[0]] == others  # untouched
    # days differ from each other (each date has its own seed)
    day20 = spark.read.parquet(str(lake / "date=2026-11-20")).drop("time_hour")
    assert day20.exceptAll(after_day.drop("time_hour")).count() > 2900


def test_job_config_errors(tmp_path, capsys):
    bad = tmp_path / "job.yaml"
    bad.write_text("output: lake\ntables:\n  flights: {model: m.json, rows_per_day: 0}\n")
    with pytest.raises(InputDataError, match="tables.flights.rows_per_day"):
        load_job_config(bad)
    assert main(["run", "--config", str(bad), "--date", "2026-13-01"]) == 2
    assert "--date must be a date" in capsys.readouterr().err


CATALOG_SCRIPT = """
import sys
from spark_synth.cli import main
assert main(["run", "--config", sys.argv[1], "--from", "2026-11-01", "--to", "2026-11-02"]) == 0
from pyspark.sql import SparkSession
spark = SparkSession.getActiveSession()
rows = spark.sql("SELECT date, count(*) AS n FROM synthetic.flights GROUP BY date ORDER BY date").collect()
print("ROWS", [(str(r.date), r.n) for r in rows])
"""


def test_tables_are_registered_in_an_embedded_hive_metastore(flights_model, tmp_path):
    import os
    import subprocess
    import sys

    flights_model.save(tmp_path / "flights.model.json")
    (tmp_path / "job.yaml").write_text(
        "output: lake\ncatalog: {enabled: true, database: synthetic}\n"
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 500}\n")
    result = subprocess.run([sys.executable, "-c", CATALOG_SCRIPT, str(tmp_path / "job.yaml")], cwd=tmp_path,
                            env=dict(os.environ, PYSPARK_PYTHON=sys.executable), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ROWS [('2026-11-01', 500), ('2026-11-02', 500)]" in result.stdout
    assert (tmp_path / "lake" / "_metastore").is_dir()
