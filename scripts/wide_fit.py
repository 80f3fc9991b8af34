"""Fit a wide table on the default driver memory and print the driver's peak.

    python scripts/wide_fit.py [--columns 1000] [--rows 20000] [--driver-memory 1g]

The table mixes doubles, small integer codes, strings and dates (a quarter each), built by Spark
from rand(), with pairs of related columns so the dependency search has something to find.
Prints fit seconds, the model's size, the JVM's peak heap (sum of the heap pools' peaks) and the
Python driver's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import functions as F  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import fit  # noqa: E402
from spark_synth.io import get_spark  # noqa: E402


def wide_table(spark, columns: int, rows: int):
    base = spark.range(rows).withColumn("__u", F.rand(1))
    exprs = []
    for i in range(columns):
        u = F.rand(i + 2) * 0.5 + F.col("__u") * 0.5 if i % 8 == 0 else F.rand(i + 2)
        kind = i % 4
        if kind == 0:
            exprs.append(F.round(u * 1000, 2).alias(f"x{i}"))
        elif kind == 1:
            exprs.append(F.floor(u * 12).cast("int").alias(f"code{i}"))
        elif kind == 2:
            exprs.append(F.concat(F.lit("S"), F.floor(u * 5000).cast("string")).alias(f"s{i}"))
        else:
            exprs.append(F.date_add(F.lit("2020-01-01").cast("date"), F.floor(u * 900).cast("int")).alias(f"d{i}"))
    return base.select(*exprs)


def heap_peaks(spark) -> str:
    """Peak use of each heap pool (young pools fill and empty; the old generation's peak is what
    the live data needed) and the heap's maximum."""
    management = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    peaks = [
        f"{pool.getName()} {pool.getPeakUsage().getUsed() / 2**20:.0f} MB"
        for pool in management.getMemoryPoolMXBeans()
        if str(pool.getType().toString()) == "Heap memory"
    ]
    limit = management.getMemoryMXBean().getHeapMemoryUsage().getMax() / 2**20
    return f"{', '.join(peaks)} (heap max {limit:.0f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--driver-memory", default="1g")
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth wide fit",
        "local[2]",
        {"spark.ui.enabled": "false", "spark.driver.memory": args.driver_memory, "spark.sql.shuffle.partitions": "4"},
    )
    df = wide_table(spark, args.columns, args.rows).cache()
    df.count()
    started = time.perf_counter()
    model = fit(df, table="wide")
    elapsed = time.perf_counter() - started
    size = len(model.to_json())
    print(
        f"fit {args.columns} columns x {args.rows:,} rows in {elapsed:.1f} s; model {size / 2**20:.1f} MB, "
        f"{len(model.spec.dependencies)} dependencies\ndriver JVM heap peaks: {heap_peaks(spark)}\n"
        f"driver Python peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    result = publish("wide_fit", "1,000 columns on a 1 GB driver", main)
    raise SystemExit(result if isinstance(result, int) else 0)
