"""Relational benchmark: fit a schema config, generate it at scales, check and time the keys.

    python scripts/relational_bench.py [--config conf/nycflights13.yaml] [--scales 1 10]

Per scale: rows and wall time per table (Parquet), duplicate primary keys (composite keys
included), orphan rate per foreign key next to the real one, and the KS complement of children
per parent against the real distribution. Not a test: the figures go to docs/results/relational.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pyspark.sql import functions as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from results import publish  # noqa: E402

from spark_synth.api import generate_schema  # noqa: E402
from spark_synth.fit.relational import fit_schema, read_schema_table  # noqa: E402
from spark_synth.io import get_spark  # noqa: E402
from spark_synth.io.schema_config import load_schema_config  # noqa: E402


def orphan_rate(child, columns, parent, keys) -> float:
    present = (
        child.where(F.greatest(*[F.col(c).isNull().cast("int") for c in columns]) == 0)
        if len(columns) > 1
        else child.where(F.col(columns[0]).isNotNull())
    )
    refs = present.select(*[F.col(c).alias(f"k{i}") for i, c in enumerate(columns)])
    parent_keys = parent.select(*[F.col(k).alias(f"k{i}") for i, k in enumerate(keys)])
    total = refs.count()
    return refs.join(parent_keys, [f"k{i}" for i in range(len(keys))], "left_anti").count() / total if total else 0.0


def children_ks(child, columns, parent, keys, real_quantiles) -> float:
    """1 - max |CDF difference| between generated children per parent and the real quantiles."""
    names = [f"k{i}" for i in range(len(keys))]
    counts = (
        parent.select(*[F.col(k).alias(n) for k, n in zip(keys, names)])
        .join(child.select(*[F.col(c).alias(n) for c, n in zip(columns, names)]).groupBy(*names).count(), names, "left")
        .select(F.coalesce("count", F.lit(0)).cast("double").alias("n"))
    )
    grid_p = [float(x) for x in np.linspace(0, 1, 201)]
    synthetic = np.asarray(counts.agg(F.percentile_approx("n", grid_p, 100_000)).first()[0])  # bounded: quantiles
    real = np.asarray(real_quantiles)
    grid = np.unique(np.concatenate([real, synthetic]))
    cdf_real = np.searchsorted(real, grid, side="right") / len(real)
    cdf_synth = np.searchsorted(synthetic, grid, side="right") / len(synthetic)
    return 1 - float(np.max(np.abs(cdf_real - cdf_synth)))


SMALL_PARENT_TABLE = 50  # below this, KS moves in steps of 1/N: compare the sorted child counts instead


def sorted_counts(child, columns, parent, keys) -> np.ndarray:
    """Children per parent, most first (small parent tables only: one number per parent)."""
    names = [f"k{i}" for i in range(len(keys))]
    counts = (
        parent.select(*[F.col(k).alias(n) for k, n in zip(keys, names)])
        .join(child.select(*[F.col(c).alias(n) for c, n in zip(columns, names)]).groupBy(*names).count(), names, "left")
        .select(F.coalesce("count", F.lit(0)).alias("n"))
    )
    return np.sort(np.asarray([r["n"] for r in counts.collect()]))[::-1]  # bounded: < SMALL_PARENT_TABLE rows


def count_correlations(parent, keys, child, columns, numeric: list[str]) -> dict[str, float]:
    """Spearman correlation of each numeric parent column with the parent's number of children."""
    names = [f"k{i}" for i in range(len(keys))]
    counts = child.select(*[F.col(c).alias(n) for c, n in zip(columns, names)]).groupBy(*names).count()
    joined = (
        parent.select(*[F.col(k).alias(n) for k, n in zip(keys, names)], *numeric)
        .join(counts, names, "left")
        .select(*numeric, F.coalesce("count", F.lit(0)).alias("__n"))
    )
    # ranks via percent_rank, then Pearson of the ranks: Spearman without collecting the rows
    from pyspark.sql import Window

    ranked = joined.select(*[F.percent_rank().over(Window.orderBy(c)).alias(c) for c in numeric + ["__n"]])
    row = ranked.agg(*[F.corr(c, "__n").alias(c) for c in numeric]).first()
    return {c: float(row[c]) if row[c] is not None else float("nan") for c in numeric}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "conf" / "nycflights13.yaml"))
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth relational bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8"}
    )
    config, base = load_schema_config(args.config)
    real = {name: read_schema_table(spark, name, t, base) for name, t in config.tables.items()}
    started = time.perf_counter()
    model = fit_schema(spark, config, base)
    print(f"fit {len(model.tables)} tables: {time.perf_counter() - started:.1f} s")
    out = Path(tempfile.mkdtemp(prefix="relational_bench_"))
    for scale in args.scales:
        tables = generate_schema(spark, model, scale=scale, seed=args.seed)
        total_rows, total_s = 0, 0.0
        written = {}
        for name, df in tables.items():
            path = str(out / f"x{scale:g}" / name)
            t0 = time.perf_counter()
            df.write.mode("overwrite").parquet(path)
            elapsed = time.perf_counter() - t0
            written[name] = spark.read.parquet(path)
            rows = written[name].count()
            total_rows += rows
            total_s += elapsed
            print(f"scale {scale:g}  {name:<9} {rows:>10,} rows  {elapsed:6.1f} s  {rows / elapsed:>10,.0f} rows/s")
        print(f"scale {scale:g}  all       {total_rows:>10,} rows  {total_s:6.1f} s")
        for name, table in model.tables.items():
            df = written[name]
            count = table.child_count
            if count is not None:
                key = table.primary_key.columns
                numeric = [
                    f.name
                    for f in real[name].schema.fields
                    if f.dataType.typeName() in ("integer", "long", "double", "float", "short") and f.name not in key
                ]
                if numeric:
                    before = count_correlations(real[name], key, real[count.child], count.foreign_key, numeric)
                    after = count_correlations(df, key, written[count.child], count.foreign_key, numeric)
                    pairs = ", ".join(f"{c} {before[c]:+.2f}/{after[c]:+.2f}" for c in numeric)
                    print(
                        f"  {name}: Spearman with children via {count.child}.{'+'.join(count.foreign_key)} "
                        f"(real/synthetic): {pairs}"
                    )
            if table.primary_key is not None:
                columns = table.primary_key.columns
                duplicates = df.count() - df.select(*columns).distinct().count()
                print(f"  {name}: primary key {columns} duplicates {duplicates}")
            for fk in table.foreign_keys:
                parent_key = model.tables[fk.parent].primary_key.columns
                rate = orphan_rate(df, fk.columns, written[fk.parent], parent_key)
                ks = children_ks(df, fk.columns, written[fk.parent], parent_key, fk.children_per_parent)
                print(
                    f"  {name}.{'+'.join(fk.columns)} -> {fk.parent} ({fk.orphans}): orphans {rate:.2%} "
                    f"(real {fk.orphan_fraction:.2%}), children per parent KS complement {ks:.3f}"
                )
                if model.tables[fk.parent].rows < SMALL_PARENT_TABLE:
                    # parents and children both grow with the scale: each real parent becomes `scale`
                    # parents with its own number of children, so groups of `scale` sorted parents
                    # are compared with one real parent
                    real_counts = sorted_counts(real[name], fk.columns, real[fk.parent], parent_key)
                    made = sorted_counts(df, fk.columns, written[fk.parent], parent_key)
                    made = (
                        np.sort(made)[::-1].reshape(-1, int(scale)).mean(axis=1)
                        if scale > 1 and len(made) == len(real_counts) * int(scale)
                        else made
                    )
                    worst = float(np.max(np.abs(made - real_counts) / np.maximum(real_counts, 1)))
                    print(
                        f"    {fk.parent} has {len(real_counts)} real parents: sorted child counts (mean of each "
                        f"group of {scale:g}) within {worst:.1%} of the real parent's (worst parent)"
                    )


if __name__ == "__main__":
    result = publish("relational", "The nycflights13 schema: keys, orphans, children per parent, speed", main)
    raise SystemExit(result if isinstance(result, int) else 0)
