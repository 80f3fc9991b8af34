"""Generating into Delta Lake and Apache Iceberg against Parquet: the same rows, the same run.

For each format: `--rows` flights rows generated and written (rows/s, and the ratio to Parquet
measured in this run), then a 7-day backfill of `--rows-per-day` through the scheduled job
(`run_job`, one commit per date on the lake formats). Formats are measured in turn, twice,
alternating, and the faster of the two times kept, so a one-off pause does not pick the winner.
Runs in .venv-lake (the PySpark the connectors are built for; scripts/setup.sh):

    .venv-lake/bin/python scripts/lake_bench.py [--rows 2000000] [--rows-per-day 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402
from spark_synth.io.job_config import JobConfig  # noqa: E402
from spark_synth.io.lake_writes import write_lake  # noqa: E402
from spark_synth.lake.schedule import dates_between, run_job  # noqa: E402

FORMATS = ("parquet", "delta", "iceberg")
SAMPLE = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"


def write(df, fmt: str, where: Path, rows: int) -> None:
    if fmt == "parquet":
        write_output(df, str(where / "parquet"), "parquet", "overwrite", rows=rows)
    elif fmt == "delta":
        write_lake(df, "delta", path=str(where / "delta"), mode="overwrite", rows=rows)
    else:
        write_lake(df, "iceberg", table="bench.db.gen", mode="overwrite", rows=rows)


def backfill(spark, fmt: str, model_path: Path, where: Path, rows: int, days: list[dt.date]) -> float:
    table = {"table": "bench.db.daily"} if fmt == "iceberg" else {}
    config = JobConfig(
        seed=7,
        output=str(where / f"daily-{fmt}"),
        format=fmt,
        tables={"flights": {"model": str(model_path), "rows_per_day": rows, "time_column": "time_hour", **table}},
    )
    started = time.time()
    run_job(spark, config, where, days)
    return time.time() - started


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rows-per-day", type=int, default=200_000)
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="lake-bench-"))
    spark = get_spark(
        "spark_synth lake_bench",
        "local[2]",
        {
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.catalog.bench": "org.apache.iceberg.spark.SparkCatalog",
            "spark.sql.catalog.bench.type": "hadoop",
            "spark.sql.catalog.bench.warehouse": str(where / "warehouse"),
        },
    )
    spark.sql("CREATE NAMESPACE IF NOT EXISTS bench.db")
    model = fit(spark.read.parquet(str(SAMPLE)), table="flights")
    model_path = where / "flights.model.json"
    model.save(model_path)
    df = generate(spark, model, rows=args.rows, seed=7)
    seconds: dict[str, float] = {}
    print(f"generate {args.rows:,} flights rows and write them, each format twice in turn (best kept)", flush=True)
    for round_ in range(2):
        for fmt in FORMATS:
            started = time.time()
            write(df, fmt, where, args.rows)
            took = time.time() - started
            seconds[fmt] = min(seconds.get(fmt, took), took)
            print(f"  round {round_ + 1} {fmt:<8} {took:6.1f} s  {args.rows / took:>12,.0f} rows/s", flush=True)
    same = {
        fmt: spark.table(f"delta.`{where / 'delta'}`" if fmt == "delta" else "bench.db.gen").exceptAll(df).count() == 0
        for fmt in ("delta", "iceberg")
    }
    print(f"the same rows as generated: {same}", flush=True)
    days = dates_between(dt.date(2026, 11, 1), dt.date(2026, 11, 7))
    backfills = {fmt: backfill(spark, fmt, model_path, where, args.rows_per_day, days) for fmt in FORMATS}
    print(
        f"\n| format | write {args.rows:,} rows | rows/s | vs Parquet | 7-day backfill ({args.rows_per_day:,}/day) | vs Parquet |"
    )
    print("|---|---|---|---|---|---|")
    for fmt in FORMATS:
        print(
            f"| {fmt} | {seconds[fmt]:.1f} s | {args.rows / seconds[fmt]:,.0f} | "
            f"{seconds['parquet'] / seconds[fmt]:.2f}x | {backfills[fmt]:.1f} s | {backfills['parquet'] / backfills[fmt]:.2f}x |"
        )
    shutil.rmtree(where, ignore_errors=True)
    return {
        "rows": args.rows,
        "rows_per_day": args.rows_per_day,
        "write_seconds": seconds,
        "backfill_seconds": backfills,
    }


def headline(r: dict) -> list[dict]:
    s, b = r["write_seconds"], r["backfill_seconds"]
    return [
        {
            "what": f"generate {r['rows']:,} rows into Delta / Iceberg (one commit each)",
            "figure": f"{r['rows'] / s['delta']:,.0f} / {r['rows'] / s['iceberg']:,.0f} rows/s",
            "baseline": f"Parquet {r['rows'] / s['parquet']:,.0f} rows/s",
            "ratio": f"{s['parquet'] / s['delta']:.2f}x / {s['parquet'] / s['iceberg']:.2f}x",
        },
        {
            "what": "7-day backfill into Delta / Iceberg (one commit per date)",
            "figure": f"{b['delta']:.1f} s / {b['iceberg']:.1f} s",
            "baseline": f"Parquet {b['parquet']:.1f} s",
            "ratio": f"{b['parquet'] / b['delta']:.2f}x / {b['parquet'] / b['iceberg']:.2f}x",
        },
    ]


if __name__ == "__main__":
    publish("lake", "Generating into Delta Lake and Iceberg against Parquet", main, headline)
