"""Benchmark: fit + generate nycflights13 `flights`, with baselines measured in the same run.

    python scripts/bench.py [--data data/nycflights13/flights.parquet] [--rows 10000000]

Prints rows/s and ratios against (a) `df.summary()` for fitting and (b) Spark's native floor
(`spark.range(N)` + one `rand()` column per output column) for generation, to the `noop` sink
and to Parquet; then fidelity with SDMetrics (Column Shapes, Column Pair Trends with its default
filter, and "dependence captured" against a column-wise shuffled copy of the real table) and the
exact-copy rate. Not a test: numbers move from run to run, the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402
from spark_synth.model.correlation import describe_tree_gap, model_tree_gap  # noqa: E402
from spark_synth.sql.rules import rule_counts  # noqa: E402


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "data" / "nycflights13" / "flights.parquet"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-fidelity", action="store_true")
    parser.add_argument("--json", default=str(ROOT / "out" / "bench.json"))
    args = parser.parse_args()

    spark = get_spark(
        "spark_synth bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    # ---------------------------------------------------------------- first fit of a session
    sample = spark.read.parquet(str(resources.files("spark_synth") / "samples" / "flights_sample.parquet"))
    sample.count()  # the session is up and the file listed; nothing else is warm
    results: dict[str, float] = {"sample_fit_s": timed(lambda: fit(sample, table="flights_sample"))}

    real = spark.read.parquet(args.data)
    n_real = real.count()
    columns = len(real.columns)
    results.update(real_rows=n_real, columns=columns)

    # ---------------------------------------------------------------- fit vs df.summary() and a plain scan
    real.summary().collect()  # warm-up: JIT, file listing
    results["summary_s"] = timed(lambda: real.summary().collect())

    # One plain aggregation over every column (count, min and max of each), as a new DataFrame
    # each time: re-running the same DataFrame would reuse its finished shuffle stage.
    def scan() -> None:
        real.agg(*[f(F.col(f"`{c}`")) for c in real.columns for f in (F.count, F.min, F.max)]).collect()

    scan()
    results["scan_s"] = timed(scan)
    holder = {}
    results["fit_s"] = timed(lambda: holder.setdefault("model", fit(real, table="flights")))
    results["fit_over_scan"] = results["fit_s"] / results["scan_s"]
    # The same fit without the rule search (pass 9): what finding rules costs, in this run.
    results["fit_no_rules_s"] = timed(lambda: holder.setdefault("no_rules", fit(real, table="flights", rules="none")))
    results["fit_s_again"] = timed(lambda: fit(real, table="flights"))
    model = holder["model"]
    results["tree_gap"] = describe_tree_gap(model_tree_gap(model.spec))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flights.model.json"
        model.save(path)
        results["model_bytes"] = path.stat().st_size
    results["fit_over_summary"] = results["fit_s"] / results["summary_s"]

    # ---------------------------------------------------------------- generation vs native floor
    n = args.rows
    results["gen_rows"] = n
    synthetic = generate(spark, model, rows=n, seed=args.seed)
    floor = spark.range(0, n, 1, synthetic.rdd.getNumPartitions()).select(
        *[F.rand(i).alias(f"c{i}") for i in range(columns)]
    )
    write_output(generate(spark, model, rows=min(n, 1_000_000), seed=args.seed), None, "noop")  # warm-up
    floor.write.format("noop").mode("overwrite").save()
    results["gen_noop_s"] = timed(lambda: write_output(synthetic, None, "noop"))
    results["floor_noop_s"] = timed(lambda: floor.write.format("noop").mode("overwrite").save())
    # The same generation from the model without per-category functions (fit within="none"):
    # what they cost the engine, in this run.
    bins_only = fit(real, table="flights", within="none")
    results["gen_noop_bins_only_s"] = timed(
        lambda: write_output(generate(spark, bins_only, rows=n, seed=args.seed), None, "noop")
    )
    results["gen_noop_s_again"] = timed(lambda: write_output(synthetic, None, "noop"))
    with tempfile.TemporaryDirectory() as tmp:
        results["gen_parquet_s"] = timed(lambda: write_output(synthetic, f"{tmp}/synthetic", "parquet"))
        results["floor_parquet_s"] = timed(lambda: floor.write.parquet(f"{tmp}/floor"))
    for sink in ("noop", "parquet"):
        results[f"gen_{sink}_rows_per_s"] = n / results[f"gen_{sink}_s"]
        results[f"floor_{sink}_rows_per_s"] = n / results[f"floor_{sink}_s"]
        results[f"gen_over_floor_{sink}"] = results[f"floor_{sink}_s"] / results[f"gen_{sink}_s"]

    results["rules"] = rule_satisfaction(spark, real, model, holder["no_rules"], min(n, 1_000_000), args.seed)
    if not args.skip_fidelity:
        results.update(fidelity(spark, real, model, n_real, args.seed))
        # The same fidelity from the fit without rules (rules="none"): what the rules cost or give.
        results["no_rules"] = fidelity(spark, real, holder["no_rules"], n_real, args.seed)

    print_table(results)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))
    return results


def headline(r: dict) -> list[dict]:
    """The README's rows: speed against same-run baselines, fidelity, copies."""
    rows = [
        {
            "what": f"fit, flights ({r['real_rows']:,} × {r['columns']})",
            "figure": f"{r['fit_s']:.1f} s",
            "baseline": f"`df.summary()` {r['summary_s']:.1f} s",
            "ratio": f"{r['fit_over_summary']:.2f}×",
        },
    ]
    for sink, name in (("noop", "`noop`"), ("parquet", "Parquet")):
        rows.append(
            {
                "what": f"generate {r['gen_rows']:,} rows → {name}",
                "figure": f"{r[f'gen_{sink}_rows_per_s'] / 1e6:.2f} M rows/s",
                "baseline": f"`range` + `rand()` columns {r[f'floor_{sink}_rows_per_s'] / 1e6:.2f} M rows/s",
                "ratio": f"{r[f'gen_over_floor_{sink}']:.2f}×",
            }
        )
    if "column_shapes" in r:
        rows += [
            {"what": "Column Shapes (SDMetrics)", "figure": f"{r['column_shapes']:.3f}", "baseline": "", "ratio": ""},
            {
                "what": "Column Pair Trends; dependence captured",
                "figure": f"{r['column_pair_trends']:.3f}; {r['dependence_captured']:.2f}",
                "baseline": f"shuffled columns {r['column_pair_trends_independent']:.3f}",
                "ratio": "",
            },
            {
                "what": "generated rows equal to a real row",
                "figure": f"{r['exact_copies']} of {r['fidelity_rows']:,}",
                "baseline": f"real duplicates {r['real_duplicate_rows']}",
                "ratio": "",
            },
        ]
    return rows


def rule_satisfaction(spark, real, model, plain, rows: int, seed: int) -> list[dict]:
    """Each learned rule's share in the real rows, in rows generated with the rules and in rows
    generated from the fit without them (`plain`, rules="none": what the engine gave before)."""
    rules = model.spec.rules
    counted = {
        name: rule_counts(frame, rules)
        for name, frame in (
            ("real", real),
            ("synthetic", generate(spark, model, rows=rows, seed=seed)),
            ("without_rules", generate(spark, plain, rows=rows, seed=seed)),
        )
    }
    return [{"rule": r.text(), **{k: v[i].share for k, v in counted.items()}} for i, r in enumerate(rules)]


def fidelity(spark, real, model, n_real: int, seed: int) -> dict[str, float]:
    """SDMetrics QualityReport on the real table, the synthetic sample and a shuffled copy."""
    warnings.filterwarnings("ignore")
    from sdmetrics.reports.single_table import QualityReport

    real_pd = real.toPandas()  # the benchmark (not the library) may collect a 336k-row table
    synth_pd = generate(spark, model, rows=n_real, seed=seed).toPandas()
    rng = np.random.default_rng(seed)
    shuffled = pd.DataFrame({c: rng.permutation(real_pd[c].to_numpy()) for c in real_pd.columns})
    metadata = {"columns": {c: {"sdtype": _sdtype(real_pd[c])} for c in real_pd.columns}}

    def scores(candidate: pd.DataFrame) -> tuple[float, float]:
        np.random.seed(seed)  # SDMetrics subsamples pairs with numpy's global generator: same rows each run
        report = QualityReport()
        report.generate(real_pd, candidate, metadata, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        return float(props["Column Shapes"]), float(props["Column Pair Trends"])

    shapes, trends = scores(synth_pd)
    _, trends_indep = scores(shuffled)
    key = list(real_pd.columns)
    real_rows = real_pd.astype(str).drop_duplicates()
    copies = synth_pd.astype(str).merge(real_rows, on=key, how="inner")
    real_duplicates = int(real_pd.astype(str).duplicated().sum())
    return {
        "column_shapes": shapes,
        "column_pair_trends": trends,
        "column_pair_trends_independent": trends_indep,
        "dependence_captured": (trends - trends_indep) / (1 - trends_indep),
        "exact_copies": len(copies),
        "real_duplicate_rows": real_duplicates,
        "fidelity_rows": n_real,
    }


def _sdtype(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "numerical"
    return "categorical"


def print_table(r: dict[str, float]) -> None:
    print(f"\nflights: {r['real_rows']:,} rows x {r['columns']} columns, local[2]")
    print(f"first fit of the session (bundled 30,000-row sample): {r['sample_fit_s']:.1f} s   (target <= 8 s)")
    print(
        f"fit        {r['fit_s']:7.1f} s   df.summary() {r['summary_s']:6.1f} s   ratio {r['fit_over_summary']:.2f}x"
        f"   model {r['model_bytes']:,} bytes"
    )
    print(
        f"           plain aggregation over every column {r['scan_s']:.2f} s   ratio {r['fit_over_scan']:.1f}x"
        "   (target <= 5x)"
    )
    for sink in ("noop", "parquet"):
        print(
            f"generate   {sink:<8} {r[f'gen_{sink}_rows_per_s']:>12,.0f} rows/s   native floor "
            f"{r[f'floor_{sink}_rows_per_s']:>12,.0f} rows/s   ratio {r[f'gen_over_floor_{sink}']:.2f}x"
        )
    if "gen_noop_bins_only_s" in r:
        best = min(r["gen_noop_s"], r["gen_noop_s_again"])
        print(
            f"           per-category functions: noop {r['gen_rows'] / best:,.0f} rows/s against "
            f"{r['gen_rows'] / r['gen_noop_bins_only_s']:,.0f} rows/s for the bins-only model (fit within='none'),"
            f" ratio {r['gen_noop_bins_only_s'] / best:.2f}x"
        )
    print(f"dependence {r['tree_gap']}")
    fits = min(r["fit_s"], r["fit_s_again"])
    print(
        f"rules      fit {fits:.1f} s against {r['fit_no_rules_s']:.1f} s without the rule search "
        f"(+{100 * (fits / r['fit_no_rules_s'] - 1):.0f} %); share of rows satisfying each rule:"
    )
    print(f"           {'rule':<58} {'real':>9} {'generated':>10} {'without rules':>14}")
    for rule in r["rules"]:
        cells = [("-" if rule[k] is None else f"{100 * rule[k]:.3f}%") for k in ("real", "synthetic", "without_rules")]
        print(f"           {rule['rule']:<58} {cells[0]:>9} {cells[1]:>10} {cells[2]:>14}")
    if "column_shapes" in r:
        print(
            f"fidelity   Column Shapes {r['column_shapes']:.3f}   Column Pair Trends {r['column_pair_trends']:.3f}"
            f" (independent columns {r['column_pair_trends_independent']:.3f})"
            f"   dependence captured {r['dependence_captured']:.2f}"
        )
        if "no_rules" in r:
            o = r["no_rules"]
            print(
                f"           fit without rules: Column Shapes {o['column_shapes']:.4f} (with {r['column_shapes']:.4f})"
                f"   Column Pair Trends {o['column_pair_trends']:.4f} (with {r['column_pair_trends']:.4f})"
                f"   dependence captured {o['dependence_captured']:.3f} (with {r['dependence_captured']:.3f})"
            )
        print(
            f"privacy    synthetic rows equal to a real row: {r['exact_copies']} of {r['fidelity_rows']:,}"
            f" (real table's own duplicate rows: {r['real_duplicate_rows']})"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    publish("bench", "Fit and generate nycflights13 flights against same-run baselines", main, headline)
