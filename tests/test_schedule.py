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
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and not any(x.startswith(".") for x in p.parts)
    )


def test_backfill_then_rerun_one_day(spark, flights_model, tmp_path):
    flights_model.save(tmp_path / "flights.model.json")
    (tmp_path / "job.yaml").write_text(
        "seed: 7\noutput: lake\nformat: parquet\noptions: {compression: snappy}\n"
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 3000, time_column: time_hour}\n"
    )
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


def test_job_config_conditions_and_rebalancing(spark, flights_model, tmp_path, capsys):
    flights_model.save(tmp_path / "flights.model.json")
    (tmp_path / "job.yaml").write_text(
        "output: lake\ntables:\n"
        "  late: {model: flights.model.json, rows_per_day: 2000, where: ['origin = JFK', 'arr_delay >= 30']}\n"
        "  balanced: {model: flights.model.json, rows_per_day: 1001, rebalance: 'origin=LGA:0.5,EWR:0.5'}\n"
    )
    assert main(["run", "--config", str(tmp_path / "job.yaml"), "--date", "2026-11-20"]) == 0
    late = spark.read.parquet(str(tmp_path / "lake" / "late")).toPandas()
    assert len(late) == 2000 and set(late.origin) == {"JFK"} and (late.arr_delay >= 30).all()
    balanced = spark.read.parquet(str(tmp_path / "lake" / "balanced")).toPandas()
    assert balanced.origin.value_counts().to_dict() == {"LGA": 501, "EWR": 500}
    (tmp_path / "bad.yaml").write_text(
        "output: bad_lake\ntables:\n"
        "  ok: {model: flights.model.json, rows_per_day: 10}\n"
        "  late: {model: flights.model.json, rows_per_day: 10, where: ['arr_delay between 9 and 3']}\n"
    )
    assert main(["run", "--config", str(tmp_path / "bad.yaml"), "--date", "2026-11-20"]) == 2
    assert "tables.late" in capsys.readouterr().err and not (tmp_path / "bad_lake").exists()


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
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 500}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", CATALOG_SCRIPT, str(tmp_path / "job.yaml")],
        cwd=tmp_path,
        env=dict(os.environ, PYSPARK_PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ROWS [('2026-11-01', 500), ('2026-11-02', 500)]" in result.stdout
    assert (tmp_path / "lake" / "_metastore").is_dir()


def test_catalog_table_and_other_sources_replace_only_the_rerun_date(spark, flights_model, tmp_path):
    """`table:` writes into a catalog table (created partitioned by date and partition_by, then
    INSERT OVERWRITE with dynamic partition overwrite) — the path Delta and Iceberg tables take;
    a format that is not a directory format is written to a path with dynamic partition
    overwrite (exercised with Parquet's class name, which Spark accepts as a source)."""
    flights_model.save(tmp_path / "flights.model.json")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS job_lake LOCATION '{tmp_path / 'warehouse'}'")
    job = tmp_path / "job.yaml"
    job.write_text(
        "seed: 3\noutput: lake\nformat: parquet\ncompression: gzip\nmax_rows_per_file: 400\npartition_by: [origin]\n"
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 2000, time_column: time_hour,"
        " table: job_lake.flights_daily}\n"
    )
    other = tmp_path / "other.yaml"
    other.write_text(
        "seed: 3\noutput: lake\nformat: org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat\n"
        "tables:\n  flights: {model: flights.model.json, rows_per_day: 2000, time_column: time_hour}\n"
    )
    for config, location in [(job, tmp_path / "warehouse" / "flights_daily"), (other, tmp_path / "lake" / "flights")]:
        assert main(["run", "--config", str(config), "--from", "2026-11-20", "--to", "2026-11-21"]) == 0
        read = (
            (lambda: spark.table("job_lake.flights_daily"))
            if config == job
            else (lambda location=location: spark.read.parquet(str(location)))
        )
        day = read().where(F.col("date") == "2026-11-21").toPandas()
        untouched = [s for s in snapshot(location) if "2026-11-21" not in s[0]]
        assert main(["run", "--config", str(config), "--date", "2026-11-21"]) == 0
        spark.catalog.clearCache()
        after = read()
        assert after.count() == 4000
        again = after.where(F.col("date") == "2026-11-21")
        assert_df_equality(
            spark.createDataFrame(day, again.schema), again, ignore_row_order=True, ignore_column_order=True
        )
        assert [s for s in snapshot(location) if "2026-11-21" not in s[0]] == untouched
    files = [p for p in (tmp_path / "warehouse" / "flights_daily").rglob("*.parquet")]
    assert len(files) >= 2 * 2000 // 400 and all("origin=" in str(p) for p in files)
    assert all(".gz." in p.name for p in files)  # compression: gzip


@pytest.mark.parametrize("name", ["flights_daily.yaml", "nyc_daily.yaml"])
def test_shipped_job_configs_validate(name):
    from pathlib import Path

    config, _ = load_job_config(Path(__file__).resolve().parents[1] / "conf" / name)
    assert config.tables or config.schemas


def test_shipped_schema_config_validates():
    from pathlib import Path

    from spark_synth.io.schema_config import load_schema_config

    config, _ = load_schema_config(Path(__file__).resolve().parents[1] / "conf" / "nycflights13.yaml")
    assert config.tables["weather"].key_columns == ["origin", "time_hour"]
    assert ["origin", "time_hour"] in [fk.columns for fk in config.tables["flights"].foreign_keys]


def test_a_format_the_cluster_lacks_is_named_before_any_date(spark, flights_model, tmp_path, capsys):
    flights_model.save(tmp_path / "flights.model.json")
    (tmp_path / "job.yaml").write_text(
        "output: lake\nformat: xlsx\ntables:\n  flights: {model: flights.model.json, rows_per_day: 10}\n"
    )
    assert main(["run", "--config", str(tmp_path / "job.yaml"), "--date", "2026-11-20"]) == 2
    err = capsys.readouterr().err
    assert "job config 'format': 'xlsx' is not a Spark data source" in err and "Py4J" not in err
    assert not (tmp_path / "lake").exists()
