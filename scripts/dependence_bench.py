"""Dependence beyond the tree (issue 37): the same code fitted as a tree (max_parents=1, which is
the tree of before bit for bit), as a network (max_parents=2, the default) and with a second
regressor per number (max_parents=3), in one run, on every shared table and the fixtures of
tests/fixtures/tables.py.

Per table and structure: fit seconds, model size, second parents, Column Shapes (mean of three
seeds' rows), Column Pair Trends over all pairs (raw, and with generated numbers clipped to the
real range), dependence captured = (pair trends - pair trends of a column-wise shuffled real
table) / (1 - the same), raw and clipped, and the gap |Spearman real - Spearman generated| over
numeric pairs (max, and the share of pairs off by more than 0.1). Flights also: rows whose
(origin, dest) pair the distance mapping knows, and noop rows/s (5 M rows, the structures in
alternating turns).
The collider fixture: the share of rows where c = a + b holds; places: latitude ~ longitude
inside each region.

The neural side-by-side (MOSTLY AI's open engine, in its own virtual environment: never imported
here) is scored with the same metrics from the rows it wrote:

    python scripts/dependence_bench.py --export /tmp/neural-in [--only LABELS]
    bash scripts/neural_anchor.sh --out /tmp/neural --minutes 4 LABEL=/tmp/neural-in/LABEL.parquet ...
    python scripts/dependence_bench.py --neural /tmp/neural [--only LABELS]

Not a test: it reads ../shared/data.

    python scripts/dependence_bench.py [--data ../shared/data] [--only LABEL,LABEL] [--neural DIR]
"""

from __future__ import annotations

import argparse
import json
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
from fixtures.tables import chain_and_collider, places, ratings  # noqa: E402
from table_faults import _clipped, _generate, _numeric_columns, _rules, survey  # noqa: E402
from table_faults import tables as shared_tables  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.evaluation import column_pair_trends, column_shapes  # noqa: E402
from spark_synth.fit.regression import describe  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402

STRUCTURES = (1, 2, 3)  # max_parents: the tree, the network, with two regressors per number
SPEED_ROWS = 5_000_000
FIT_TURNS = 2
# Column Shapes moves by about 0.001 from one seed's rows to the next (chain_and_collider: 0.996 or
# 0.995 for the same model), as much as the structures differ: it is the mean over these seeds.
SHAPE_SEEDS = (2, 3, 4)
GAP = 0.1
FLIGHTS = "nycflights13/flights"


def _mean(scores) -> float | None:
    return float(np.mean([s.score for s in scores])) if scores else None


def _shuffled(spark, real_pd: pd.DataFrame, schema, seed: int = 0):
    """Each column permuted on its own: every pair's dependence gone, every column kept."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.permutation(real_pd[c].to_numpy()) for c in real_pd.columns})
    return spark.createDataFrame(frame, schema=schema)


def _resampled(spark, real_pd: pd.DataFrame, schema, seed: int = 0):
    """The real rows drawn with replacement, as many as there are: what a generator that knew the
    real table's own distribution exactly would score, short of 1 by sampling noise alone (a
    column of 4,000 tail numbers against 105 destinations leaves most cells with a few rows)."""
    return spark.createDataFrame(real_pd.sample(n=len(real_pd), replace=True, random_state=seed), schema=schema)


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


def measure(spark, label: str, real, neural: Path | None = None) -> dict:
    real = real.cache()
    n = real.count()
    real_pd = real.toPandas()
    numbers = _numeric_columns(real)
    baseline = _shuffled(spark, real_pd, real.schema)
    base_raw = _mean(column_pair_trends(real, baseline))
    resampled = _mean(column_pair_trends(real, _resampled(spark, real_pd, real.schema)))
    out: dict = {"table": label, "rows": n, "baseline": base_raw, "resampled": _captured(resampled, base_raw)}
    models, fit_s = {}, dict.fromkeys(STRUCTURES, float("inf"))
    for _ in range(FIT_TURNS):  # alternating, best of each: the first fit of a session warms the JVM
        for d in STRUCTURES:
            started = time.perf_counter()
            models[d] = fit(real, table=label.split("/")[-1], max_parents=d)
            fit_s[d] = min(fit_s[d], time.perf_counter() - started)
    for d in STRUCTURES:
        model = models[d]
        made, _ = _generate(spark, model, n, seed=SHAPE_SEEDS[0])
        made = made.cache()
        made_pd = made.toPandas()
        scores = column_pair_trends(real, made)
        pairs = _mean(scores)
        filtered = _mean([x for x in scores if x.meets_filter])
        clipped = _mean(column_pair_trends(real, _clipped(real, made)))
        gap_max, gap_share = _spearman_gap(real_pd, made_pd, numbers)
        entry = {
            "fit_s": fit_s[d],
            "model_kib": len(model.to_json().encode()) / 1024,
            "seconds": sorted(
                f"{x.child}|{x.parent},{x.second_parent}" for x in model.spec.dependencies if x.second_parent
            ),
            "row_order": sorted(
                f"{c.name} rises with {c.rises_with.column} (rho {c.rises_with.rho:.2f})"
                for c in model.spec.columns
                if getattr(c, "rises_with", None) is not None
            ),
            "regressions": sorted(
                f"{x.child}|{x.parent}~{x.regression.on} ({describe(x.regression)})"
                for x in model.spec.dependencies
                if x.regression is not None
            ),
            "shapes": _seeds_shapes(spark, real, model, n, made),
            "pairs": pairs,
            "pairs_filtered": filtered,
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
        if label == "fixture/places":
            entry["within_region"] = _within_region(made_pd)
            out["within_region_real"] = _within_region(real_pd)
        made.unpersist()
        out[d] = entry
    if label == FLIGHTS:
        out["noop"] = _speed(spark, models)
    written = neural / _slug(label) if neural else None
    if written is not None and (written / "synthetic.parquet").exists():
        try:
            out["neural"] = _scores(spark, real, real_pd, base_raw, numbers, written)
        except Exception as exc:  # the anchor's rows did not load or score: say so, keep ours
            print(f"{label}: the neural rows could not be scored: {type(exc).__name__}: {exc}", flush=True)
    real.unpersist()
    return out


def _seeds_shapes(spark, real, model, rows: int, made) -> float:
    """Column Shapes, the mean over SHAPE_SEEDS (`made`: the first seed's rows, already drawn)."""
    scores = [_mean(column_shapes(real, made))]
    for seed in SHAPE_SEEDS[1:]:
        scores.append(_mean(column_shapes(real, _generate(spark, model, rows, seed=seed)[0])))
    return sum(scores) / len(scores)


def _slug(label: str) -> str:
    return label.replace("/", "__")


def _scores(spark, real, real_pd: pd.DataFrame, base_raw, numbers: list[str], written: Path) -> dict:
    """The same metrics for the rows the neural anchor wrote (cast to the real schema)."""
    from pyspark.sql import functions as F

    rows = pd.read_parquet(written / "synthetic.parquet")
    loaded = spark.createDataFrame(rows)
    made = loaded.select(*[F.col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in real.schema]).cache()
    made_pd = made.toPandas()
    scores = column_pair_trends(real, made)
    pairs = _mean(scores)
    clipped = _mean(column_pair_trends(real, _clipped(real, made)))
    gap_max, gap_share = _spearman_gap(real_pd, made_pd, numbers)
    run = json.loads((written / "run.json").read_text())
    entry = {
        "run": run,
        "shapes": _mean(column_shapes(real, made)),
        "pairs": pairs,
        "pairs_filtered": _mean([x for x in scores if x.meets_filter]),
        "pairs_clipped": clipped,
        "captured": _captured(pairs, base_raw),
        "captured_clipped": _captured(clipped, base_raw),
        "gap_max": gap_max,
        "gap_share": gap_share,
    }
    if "latitude" in made_pd and "region" in made_pd:
        entry["within_region"] = _within_region(made_pd)
    if {"a", "b", "c"} <= set(made_pd):
        entry["sum_holds"] = _sum_holds(made_pd.dropna(subset=["a", "b", "c"]))
    made.unpersist()
    return entry


def _sum_holds(rows: pd.DataFrame) -> float:
    a, b, c = (rows[n].str[1:].astype(int) for n in ("a", "b", "c"))
    return float(np.mean(c == a + b))


def _within_region(rows: pd.DataFrame) -> float:
    """Mean Spearman correlation of latitude and longitude inside each region of 30 rows or more."""
    groups = [g for _, g in rows.groupby("region") if len(g) >= 30]
    return float(np.mean([g.latitude.corr(g.longitude, method="spearman") for g in groups]))


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


NAMES = {1: "tree", 2: "network", 3: "network"}  # max_parents -> what the fit builds


def report(r: dict) -> list[str]:
    """One table's section: a column per structure (ratios against the tree), then the neural."""
    ours, nn = [r[d] for d in STRUCTURES], r.get("neural")
    tree = ours[0]
    head = "| | " + " | ".join(f"{NAMES[d]} (max_parents={d})" for d in STRUCTURES) + " |"
    if nn:
        head += f" neural: {nn['run']['engine']}, {nn['run']['training_minutes']:g} min training |"

    def row(name: str, cells: list[str], neural: str = "–") -> str:
        return f"| {name} | " + " | ".join(cells) + " |" + (f" {neural} |" if nn else "")

    def each(show) -> list[str]:
        return [show(x) for x in ours]

    def pairs(x: dict) -> str:
        return f"{_f(x['pairs'])} ({_f(x['pairs_clipped'])})"

    def captured(x: dict) -> str:
        return f"{_f(x['captured'], '.2f')} ({_f(x['captured_clipped'], '.2f')})"

    def gap(x: dict) -> str:
        return f"{x['gap_max']:.2f}; {x['gap_share']:.0%}"

    def fit_time(x: dict) -> str:
        return f"{x['fit_s']:.1f}" if x is tree else f"{x['fit_s']:.1f} ({x['fit_s'] / tree['fit_s']:.2f}x)"

    lines = [
        f"### {r['table']} ({r['rows']:,} rows)",
        "",
        head,
        "|---|" + "---|" * len(STRUCTURES) + ("---|" if nn else ""),
        row(
            f"fit seconds, best of {FIT_TURNS} alternating (neural: its one fit)",
            each(fit_time),
            f"{nn['run']['fit_seconds']:.0f}" if nn else "–",
        ),
        row("model size", each(lambda x: f"{x['model_kib']:.0f} KiB")),
        row(
            f"Column Shapes (ours: mean of seeds {', '.join(map(str, SHAPE_SEEDS))})",
            each(lambda x: _f(x["shapes"])),
            _f(nn["shapes"]) if nn else "–",
        ),
        row("Pair Trends, all pairs (clipped)", each(pairs), pairs(nn) if nn else "–"),
        row(
            "Pair Trends, SDMetrics' default filter",
            each(lambda x: _f(x["pairs_filtered"])),
            _f(nn["pairs_filtered"]) if nn else "–",
        ),
        row(
            f"dependence captured (clipped); shuffled baseline {_f(r['baseline'])};"
            f" real rows resampled {_f(r.get('resampled'), '.2f')}",
            each(captured),
            captured(nn) if nn else "–",
        ),
        row(f"numeric pairs' Spearman gap: max; share > {GAP}", each(gap), gap(nn) if nn else "–"),
    ]
    for found in zip(*[x.get("rules", []) for x in ours]):
        lines.append(row(f"rows whose sources `{found[0]['rule']}` knows", [_f(a["known"], ".2%") for a in found]))
    planted = (
        ("sum_holds", "rows with c = a + b", "sum_holds_real"),
        ("within_region", "latitude ~ longitude inside a region, mean Spearman", "within_region_real"),
    )
    for key, name, real in planted:
        if key in tree:
            neural = f"{nn[key]:.3f}" if nn and key in nn else "–"
            lines.append(row(f"{name} (real {r[real]:.3f})", [f"{x[key]:.3f}" for x in ours], neural))
    if "noop" in r:
        speed = r["noop"]
        lines.append(
            row(
                f"noop rows/s, {SPEED_ROWS:,} rows, best of 3 alternating",
                [
                    f"{speed[d] / 1e6:.2f} M" + ("" if d == STRUCTURES[0] else f" ({speed[d] / speed[1]:.3f}x)")
                    for d in STRUCTURES
                ],
            )
        )
    if nn:
        run = nn["run"]
        rate = f"{run['rows'] / max(run['sample_seconds'], 1e-9):,.0f}"
        lines.append(row("neural sampling, rows/s", ["–"] * len(STRUCTURES), rate))
    for d in STRUCTURES[1:]:
        x = r[d]
        lines += [
            "",
            f"max_parents={d}:",
            "",
            "- Second parents (child | tree parent, second parent): " + (", ".join(x["seconds"]) or "none"),
            "- Regression parents (child | tree parent ~ regressor): " + (", ".join(x["regressions"]) or "none"),
            "- Row order (an id column written in row order): " + (", ".join(x.get("row_order", [])) or "none"),
        ]
    return [*lines, ""]


def summary(results: list[dict]) -> list[str]:
    """One line per table: Column Shapes and dependence captured (clipped) for each structure."""
    lines = [
        "### Summary: Column Shapes; dependence captured (clipped)",
        "",
        "The last column is the real rows drawn again with replacement (dependence captured only): what",
        "a generator that knew the real table's own distribution exactly would score, short of 1 by",
        "sampling noise alone (only copying the real rows scores 1).",
        "",
        "| table | " + " | ".join(f"{NAMES[d]} ({d})" for d in STRUCTURES) + " | neural | real rows resampled |",
        "|---|" + "---|" * (len(STRUCTURES) + 2),
    ]
    for r in results:
        cells = []
        for x in [*(r[d] for d in STRUCTURES), r.get("neural")]:
            cells.append(
                "–"
                if x is None
                else f"{_f(x['shapes'])}; {_f(x['captured'], '.2f')} ({_f(x['captured_clipped'], '.2f')})"
            )
        cells.append(f"–; {_f(r.get('resampled'), '.2f')}")
        lines.append(f"| {r['table']} | " + " | ".join(cells) + " |")
    return lines + [""]


def tables(data: Path, spark) -> list[tuple[str, object]]:
    """table_faults.py's tables (every shared table, the issue-36 fixtures) and issue 37's planted ones."""
    planted = [
        ("fixture/chain_and_collider", chain_and_collider),
        ("fixture/places", places),
        ("fixture/ratings", ratings),
    ]
    return [*shared_tables(data, spark), *[(label, _frame(spark, build)) for label, build in planted]]


def _frame(spark, build):
    return lambda: spark.createDataFrame(build())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--only", help="table labels to measure, comma-separated")
    parser.add_argument("--neural", help="the neural anchor's output (scripts/neural_anchor.py --out)")
    parser.add_argument("--export", help="write each table's real rows here as LABEL.parquet, and stop")
    args = parser.parse_args()
    # 4 GiB: flights' real rows, three structures' models and each structure's generated rows
    # collected one after another; with the default 1 GiB a collected result was evicted
    # (TaskResultLost) on the third structure.
    conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "4g"}
    spark = get_spark("spark_synth dependence_bench", "local[2]", conf)
    if args.export:
        for label, load in tables(Path(args.data), spark):
            if not args.only or label in args.only.split(","):
                Path(args.export).mkdir(parents=True, exist_ok=True)
                load().toPandas().to_parquet(Path(args.export) / f"{_slug(label)}.parquet", index=False)
                print(f"{label}: {Path(args.export) / _slug(label)}.parquet")
        return 0
    neural = Path(args.neural) if args.neural else None

    def measure_with_neural(spark, label, real):
        return measure(spark, label, real, neural)

    results, failures = survey(spark, tables(Path(args.data), spark), measure_with_neural, report, args.only)
    print("\n".join(summary(results)))
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    if "--export" in sys.argv:  # real rows for the neural anchor: no measurement, no results page
        raise SystemExit(main())
    from results import publish

    result = publish("dependence", "Second parents: the tree against the network, same run", main)
    raise SystemExit(result if isinstance(result, int) else 0)
