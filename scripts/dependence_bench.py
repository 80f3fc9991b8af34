"""Dependence beyond the tree (issue 37): the same code fitted as a tree (max_parents=1, which is
the tree of before bit for bit) and as a network (max_parents=2), in one run, on every shared
table and the fixtures of tests/fixtures/tables.py.

Per table and structure: fit seconds, model size, second parents, Column Shapes, Column Pair
Trends over all pairs (raw, and with generated numbers clipped to the real range), dependence
captured = (pair trends - pair trends of a column-wise shuffled real table) / (1 - the same),
raw and clipped, and the gap |Spearman real - Spearman generated| over numeric pairs (max, and
the share of pairs off by more than 0.1). Flights also: rows whose (origin, dest) pair the
distance mapping knows, and noop rows/s (5 M rows, the two structures in alternating turns).
The collider fixture: the share of rows where c = a + b holds.

Not a test: it reads ../shared/data. The neural side-by-side (mostlyai-engine) is not run here.

    python scripts/dependence_bench.py [--data ../shared/data] [--only LABEL] [--turns 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from fixtures.tables import chain_and_collider  # noqa: E402
from table_faults import _clipped, _generate, _numeric_columns, _rules, survey  # noqa: E402
from table_faults import tables as shared_tables  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.evaluation import column_pair_trends, column_shapes  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402

STRUCTURES = (1, 2)  # max_parents: the tree, the network
SPEED_ROWS = 5_000_000
FIT_TURNS = 2
GAP = 0.1
FLIGHTS = "nycflights13/flights"


def _mean(scores) -> float | None:
    return float(np.mean([s.score for s in scores])) if scores else None


def _shuffled(spark, real_pd: pd.DataFrame, schema, seed: int = 0):
    """Each column permuted on its own: every pair's dependence gone, every column kept."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.permutation(real_pd[c].to_numpy()) for c in real_pd.columns})
    return spark.createDataFrame(frame, schema=schema)


def _spearman_gap(real_pd: pd.DataFrame, made_pd: pd.DataFrame, numbers: list[str]) -> tuple[float, float]:
    if len(numbers) < 2:
        return 0.0, 0.0
    real = real_pd[numbers].astype(float).corr(method="spearman").to_numpy()
    made = made_pd[numbers].astype(float).corr(method="spearman").to_numpy()
    upper = np.triu_indices(len(numbers), 1)
    gaps = np.abs(np.nan_to_num(real[upper]) - np.nan_to_num(made[upper]))
    return float(gaps.max()), float(np.mean(gaps > GAP))


def _captured(score: float | None, baseline: float | None) -> float | None:
    if score is None or baseline is None or baseline > 0.98:  # shuffling changes (almost) nothing: no scale
        return None
    return (score - baseline) / (1 - baseline)


def measure(spark, label: str, real) -> dict:
    real = real.cache()
    n = real.count()
    real_pd = real.toPandas()
    numbers = _numeric_columns(real)
    baseline = _shuffled(spark, real_pd, real.schema)
    base_raw = _mean(column_pair_trends(real, baseline))
    out: dict = {"table": label, "rows": n, "baseline": base_raw}
    models, fit_s = {}, dict.fromkeys(STRUCTURES, float("inf"))
    for _ in range(FIT_TURNS):  # alternating, best of each: the first fit of a session warms the JVM
        for d in STRUCTURES:
            started = time.perf_counter()
            models[d] = fit(real, table=label.split("/")[-1], max_parents=d)
            fit_s[d] = min(fit_s[d], time.perf_counter() - started)
    for d in STRUCTURES:
        model = models[d]
        made, _ = _generate(spark, model, n, seed=2)
        made = made.cache()
        made_pd = made.toPandas()
        pairs = _mean(column_pair_trends(real, made))
        clipped = _mean(column_pair_trends(real, _clipped(real, made)))
        gap_max, gap_share = _spearman_gap(real_pd, made_pd, numbers)
        entry = {
            "fit_s": fit_s[d],
            "model_kib": len(model.to_json().encode()) / 1024,
            "seconds": sorted(
                f"{x.child}|{x.parent},{x.second_parent}" for x in model.spec.dependencies if x.second_parent
            ),
            "shapes": _mean(column_shapes(real, made)),
            "pairs": pairs,
            "pairs_clipped": clipped,
            "captured": _captured(pairs, base_raw),
            "captured_clipped": _captured(clipped, base_raw),
            "gap_max": gap_max,
            "gap_share": gap_share,
        }
        if label == FLIGHTS:
            entry["rules"] = [r for r in _rules(real, made, model) if "known" in r]
        if label == "fixture/chain_and_collider":
            entry["sum_holds"] = _sum_holds(made_pd)
            out["sum_holds_real"] = _sum_holds(real_pd)
        made.unpersist()
        out[d] = entry
    if label == FLIGHTS:
        out["noop"] = _speed(spark, models)
    real.unpersist()
    return out


def _sum_holds(rows: pd.DataFrame) -> float:
    a, b, c = (rows[n].str[1:].astype(int) for n in ("a", "b", "c"))
    return float(np.mean(c == a + b))


def _speed(spark, models: dict, turns: int = 3) -> dict:
    """noop rows/s, best of `turns`, the structures alternating within each turn."""
    best = dict.fromkeys(models, 0.0)
    for _ in range(turns):
        for d, model in models.items():
            started = time.perf_counter()
            write_output(generate(spark, model, rows=SPEED_ROWS, seed=1), None, "noop")
            best[d] = max(best[d], SPEED_ROWS / (time.perf_counter() - started))
    return best


def _f(x, spec: str = ".3f") -> str:
    return "–" if x is None else format(x, spec)


def report(r: dict) -> list[str]:
    one, two = r[1], r[2]
    lines = [
        f"### {r['table']} ({r['rows']:,} rows)",
        "",
        "| | tree (max_parents=1) | network (max_parents=2) |",
        "|---|---|---|",
        f"| fit seconds, best of {FIT_TURNS} alternating | {one['fit_s']:.1f} | {two['fit_s']:.1f} "
        f"({two['fit_s'] / one['fit_s']:.2f}x) |",
        f"| model size | {one['model_kib']:.0f} KiB | {two['model_kib']:.0f} KiB |",
        f"| Column Shapes | {_f(one['shapes'])} | {_f(two['shapes'])} |",
        f"| Pair Trends, all pairs (clipped) | {_f(one['pairs'])} ({_f(one['pairs_clipped'])}) | "
        f"{_f(two['pairs'])} ({_f(two['pairs_clipped'])}) |",
        f"| dependence captured (clipped); shuffled baseline {_f(r['baseline'])} | {_f(one['captured'], '.2f')} "
        f"({_f(one['captured_clipped'], '.2f')}) | {_f(two['captured'], '.2f')} ({_f(two['captured_clipped'], '.2f')}) |",
        f"| numeric pairs' Spearman gap: max; share > {GAP} | {one['gap_max']:.2f}; {one['gap_share']:.0%} | "
        f"{two['gap_max']:.2f}; {two['gap_share']:.0%} |",
    ]
    for a, b in zip(one.get("rules", []), two.get("rules", [])):
        lines.append(f"| rows whose sources `{a['rule']}` knows | {_f(a['known'], '.2%')} | {_f(b['known'], '.2%')} |")
    if "sum_holds" in one:
        lines.append(
            f"| rows with c = a + b (real {r['sum_holds_real']:.3f}) | {one['sum_holds']:.3f} | {two['sum_holds']:.3f} |"
        )
    if "noop" in r:
        speed = r["noop"]
        lines.append(
            f"| noop rows/s, {SPEED_ROWS:,} rows, best of 3 alternating | {speed[1] / 1e6:.2f} M | "
            f"{speed[2] / 1e6:.2f} M ({speed[2] / speed[1]:.3f}x) |"
        )
    lines += ["", "Second parents (child | tree parent, second parent): " + (", ".join(two["seconds"]) or "none"), ""]
    return lines


def tables(data: Path, spark) -> list[tuple[str, object]]:
    """table_faults.py's tables (every shared table, the issue-36 fixtures) and the planted one."""
    build = chain_and_collider
    return [*shared_tables(data, spark), ("fixture/chain_and_collider", lambda: spark.createDataFrame(build()))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--only", help="a table label to measure alone")
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth dependence_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    _, failures = survey(spark, tables(Path(args.data), spark), measure, report, args.only)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    from results import publish

    result = publish("dependence", "Second parents: the tree against the network, same run", main)
    raise SystemExit(result if isinstance(result, int) else 0)
