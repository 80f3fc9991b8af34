"""What gives machine-made data away (issue 36), on every shared table and the fixtures of
tests/fixtures/tables.py: per table, Column Shapes and Column Pair Trends (raw, and with generated
numbers clipped to the real range), rule satisfaction per rule (a mapping counts a row whose
source it does not hold as broken), per-category KS complement of every category -> number edge
(row-weighted and worst), tail shares beyond the real p99.9 / p99.99 / p99.999 (generated at 3x),
duplicates in unique columns at 1x and 3x the real rows, and flights' noop rows/s.

`--json PATH` keeps the figures; `--before PATH` prints another run's figures beside these (run
this script on an older checkout with --json, then here with --before). Not a test: it reads
../shared/data; it is the measured half of scripts/check_tables.py.

    python scripts/table_faults.py [--data ../shared/data] [--json F] [--before F]
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
from fixtures.tables import FIXTURES  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402
from scipy.stats import ks_2samp  # noqa: E402

from spark_synth import GenerateError, fit, generate  # noqa: E402
from spark_synth.evaluation import column_pair_trends, column_shapes  # noqa: E402
from spark_synth.io import get_spark, write_output  # noqa: E402
from spark_synth.sql.rules import rule_counts  # noqa: E402

TAIL_LEVELS = (0.999, 0.9999, 0.99999)
NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType)
SPEED_ROWS = 5_000_000
CONDITION = "label = 'Professional'"


def _quoted(name: str):
    return F.col("`" + name.replace("`", "``") + "`")


def _numeric_columns(df) -> list[str]:
    return [f.name for f in df.schema.fields if isinstance(f.dataType, NUMERIC)]


def _clipped(real, synthetic):
    """Generated numbers clipped to the real range: SDMetrics bins each pair on the real range."""
    numbers = _numeric_columns(real)
    if not numbers:
        return synthetic
    bounds = real.agg(
        *[F.min(_quoted(c)).alias(f"lo{i}") for i, c in enumerate(numbers)],
        *[F.max(_quoted(c)).alias(f"hi{i}") for i, c in enumerate(numbers)],
    ).first()
    out = synthetic
    for i, c in enumerate(numbers):
        if bounds[f"lo{i}"] is None:
            continue
        clipped = F.least(F.greatest(_quoted(c), F.lit(bounds[f"lo{i}"])), F.lit(bounds[f"hi{i}"]))
        out = out.withColumn(c, clipped.cast(real.schema[c].dataType))
    return out


def _generate(spark, model, rows: int, seed: int):
    try:
        return generate(spark, model, rows=rows, seed=seed), rows
    except GenerateError as exc:  # a unique column with less room: as many as it holds
        import re

        found = re.search(r"room for ([0-9,]+)", str(exc))
        if found is None:
            raise
        room = int(found.group(1).replace(",", ""))
        return generate(spark, model, rows=room, seed=seed), room


def _rules(real, made, model) -> list[dict]:
    out = []
    if not model.spec.rules:
        return out
    counts = rule_counts(made, model.spec.rules)
    for rule, count in zip(model.spec.rules, counts):
        entry = {"rule": rule.text(), "share": count.share}
        if rule.form == "map":  # also: how many rows have sources the mapping knows at all
            total = made.where(" and ".join(f"`{c}` is not null" for c in [*rule.sources, rule.target])).count()
            entry["known"] = count.rows / total if total else None
        out.append(entry)
    return out


def _within_ks(real_pd, made_pd, model) -> list[dict]:
    out = []
    kinds = {c.name: c.kind for c in model.spec.columns}
    for edge in model.spec.dependencies:
        if kinds.get(edge.parent) not in ("categorical", "boolean") or kinds.get(edge.child) not in (
            "continuous",
            "integer",
        ):
            continue
        scores, weights = [], []
        worst = (1.0, None)
        for value, group in real_pd.groupby(edge.parent, dropna=True)[edge.child]:
            r = group.dropna().to_numpy(dtype=float)
            s = made_pd.loc[made_pd[edge.parent] == value, edge.child].dropna().to_numpy(dtype=float)
            if len(r) < 50 or len(s) < 50:
                continue
            score = 1 - ks_2samp(r, s).statistic
            scores.append(score)
            weights.append(len(r))
            worst = min(worst, (score, str(value)), key=lambda x: x[0])
        if scores:
            out.append(
                {
                    "edge": f"{edge.parent} -> {edge.child}",
                    "weighted": float(np.average(scores, weights=weights)),
                    "worst": worst[0],
                    "worst_at": worst[1],
                }
            )
    return out


def _tails(real, made) -> list[dict]:
    out = []
    for c in _numeric_columns(real):
        values = real.select(_quoted(c).cast("double").alias("x")).where("x is not null")
        n = values.count()
        if n < 1000:
            continue
        cuts = values.approxQuantile("x", list(TAIL_LEVELS), 0.0)
        generated = made.select(_quoted(c).cast("double").alias("x")).where("x is not null")
        real_shares = values.agg(*[F.avg((F.col("x") > cut).cast("double")) for cut in cuts]).first()
        made_shares = generated.agg(*[F.avg((F.col("x") > cut).cast("double")) for cut in cuts]).first()
        out.append(
            {
                "column": c,
                "levels": [
                    {"cut": cut, "real": float(r or 0), "generated": float(g or 0)}
                    for cut, r, g in zip(cuts, real_shares, made_shares)
                ],
            }
        )
    return out


def _duplicates(df, columns: list[str]) -> dict[str, int]:
    if not columns:
        return {}
    row = df.agg(
        *[F.count_distinct(_quoted(c)).alias(f"d{i}") for i, c in enumerate(columns)],
        *[F.count(_quoted(c)).alias(f"n{i}") for i, c in enumerate(columns)],
    ).first()
    return {c: int(row[f"n{i}"]) - int(row[f"d{i}"]) for i, c in enumerate(columns)}


def measure(spark, label: str, real) -> dict:
    real = real.cache()
    n = real.count()
    started = time.perf_counter()
    model = fit(real, table=label.split("/")[-1])
    fit_s = time.perf_counter() - started
    once, rows_once = _generate(spark, model, n, seed=2)
    once = once.cache()
    thrice, rows_thrice = _generate(spark, model, 3 * n, seed=3)
    thrice = thrice.cache()
    shapes = column_shapes(real, once)
    pairs = column_pair_trends(real, once)
    pairs_clipped = column_pair_trends(real, _clipped(real, once))
    unique = [c.name for c in model.spec.columns if c.kind in ("unique", "id")]
    real_pd, made_pd = real.toPandas(), once.toPandas()
    result = {
        "table": label,
        "rows": n,
        "fit_s": fit_s,
        "shapes": float(np.mean([s.score for s in shapes])) if shapes else None,
        "pairs": float(np.mean([p.score for p in pairs])) if pairs else None,
        "pairs_clipped": float(np.mean([p.score for p in pairs_clipped])) if pairs_clipped else None,
        "rules": _rules(real, thrice, model),
        "within_ks": _within_ks(real_pd, made_pd, model),
        "tails": _tails(real, thrice),
        "duplicates_1x": _duplicates(once, unique),
        "duplicates_3x": _duplicates(thrice, unique),
        "rows_1x": rows_once,
        "rows_3x": rows_thrice,
    }
    if label == "nycflights13/flights":
        best = 0.0
        for _ in range(3):
            started = time.perf_counter()
            write_output(generate(spark, model, rows=SPEED_ROWS, seed=1), None, "noop")
            best = max(best, SPEED_ROWS / (time.perf_counter() - started))
        result["noop_rows_per_s"] = best
    if label == "fixture/occupation_codes":
        result["conditioned"] = _conditioned_speed(spark, model, CONDITION)
    once.unpersist()
    thrice.unpersist()
    real.unpersist()
    return result


def _conditioned_speed(spark, model, where: str) -> dict:
    """noop rows/s with and without `where`, interleaved, best of 3 each (issue 36 item 2: a
    condition through a code's mapping at >= 0.8x the unconditioned speed)."""
    best = {"plain": 0.0, "conditioned": 0.0}
    try:
        for _ in range(3):
            for name, condition in (("plain", None), ("conditioned", where)):
                started = time.perf_counter()
                write_output(generate(spark, model, rows=SPEED_ROWS, seed=1, where=condition), None, "noop")
                best[name] = max(best[name], SPEED_ROWS / (time.perf_counter() - started))
    except Exception as exc:  # the code before issue 36 refused this condition
        return {"refused": str(exc).splitlines()[0][:200]}
    return best


def _fmt(x, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def report(result: dict, before: dict | None) -> list[str]:
    b = before or {}
    lines = [f"### {result['table']} ({result['rows']:,} rows, fit {result['fit_s']:.1f} s)", ""]
    lines.append("| figure | before | after |")
    lines.append("|---|---|---|")
    for key, name in (("shapes", "Column Shapes"), ("pairs", "Pair Trends"), ("pairs_clipped", "Pair Trends, clipped")):
        lines.append(f"| {name} | {_fmt(b.get(key))} | {_fmt(result.get(key))} |")
    if "noop_rows_per_s" in result:
        lines.append(
            f"| noop rows/s ({SPEED_ROWS:,} rows, best of 3) | {_fmt(b.get('noop_rows_per_s'), ',.0f')} | "
            f"{_fmt(result['noop_rows_per_s'], ',.0f')} |"
        )
    if "conditioned" in result:
        o, c = b.get("conditioned", {}), result["conditioned"]

        def speed(x: dict) -> str:
            if "refused" in x:
                return f"refused: {x['refused']}"
            if not x:
                return "-"
            return f"{x['conditioned']:,.0f} vs {x['plain']:,.0f} rows/s ({x['conditioned'] / x['plain']:.2f}x)"

        lines.append(f"| noop with `{CONDITION}` vs without ({SPEED_ROWS:,} rows) | {speed(o)} | {speed(c)} |")
    old_rules = {r["rule"].split(" (")[0]: r for r in b.get("rules", [])}
    for r in result["rules"]:
        o = old_rules.get(r["rule"].split(" (")[0], {})
        lines.append(f"| rule `{r['rule']}` holds | {_fmt(o.get('share'), '.4%')} | {_fmt(r['share'], '.4%')} |")
        if "known" in r:
            lines.append(
                f"| rows whose `{r['rule'].split(' ->')[0]}` the mapping knows | {_fmt(o.get('known'), '.4%')} | "
                f"{_fmt(r['known'], '.4%')} |"
            )
    old_ks = {k["edge"]: k for k in b.get("within_ks", [])}
    for k in result["within_ks"]:
        o = old_ks.get(k["edge"], {})
        lines.append(
            f"| KS complement in `{k['edge']}`: weighted / worst | {_fmt(o.get('weighted'))} / {_fmt(o.get('worst'))} "
            f"| {_fmt(k['weighted'])} / {_fmt(k['worst'])} ({k['worst_at']}) |"
        )
    old_tails = {t["column"]: t for t in b.get("tails", [])}
    for t in result["tails"]:
        o = old_tails.get(t["column"], {"levels": [{}] * len(TAIL_LEVELS)})

        def ratios(levels: list[dict]) -> str:
            cells = []
            for level in levels:
                if "real" not in level:
                    cells.append("-")
                elif level["real"] == 0:
                    cells.append(f"0 real, {level['generated']:.1e} gen")
                else:
                    cells.append(f"{level['generated'] / level['real']:.2f}x")
            return " / ".join(cells)

        lines.append(
            f"| tail shares of `{t['column']}` (gen/real beyond p99.9 / p99.99 / p99.999) | "
            f"{ratios(o['levels'])} | {ratios(t['levels'])} |"
        )
    for c, d in result["duplicates_1x"].items():
        o1, o3 = b.get("duplicates_1x", {}).get(c), b.get("duplicates_3x", {}).get(c)
        lines.append(
            f"| duplicates in unique `{c}` at 1x / 3x | {_fmt(o1, 'd')} / {_fmt(o3, 'd')} | "
            f"{d} / {result['duplicates_3x'][c]} ({result['rows_3x']:,} rows) |"
        )
    return [*lines, ""]


def tables(data: Path, spark) -> list[tuple[str, object]]:
    out = []
    for path in sorted(data.rglob("*.parquet")):
        if "profiles" not in path.parts:
            out.append((f"{path.parent.name}/{path.stem}", lambda p=path: spark.read.parquet(str(p))))
    for name, build in FIXTURES.items():
        out.append((f"fixture/{name}", lambda b=build: spark.createDataFrame(b())))
    return out


def survey(spark, labelled, measure_one, show, only: str | None = None) -> tuple[list[dict], int]:
    """Measure every (label, load) table (or those `only` names, comma-separated), printing
    show(result)'s lines as each finishes; a table that fails is reported and the survey goes on.
    Returns the results and the failure count."""
    results, failures = [], 0
    for label, load in labelled:
        if only and label not in only.split(","):
            continue
        try:
            result = measure_one(spark, label, load())
        except Exception as exc:  # report and go on: a survey of every table
            failures += 1
            print(f"### {label}\n\nFAILED {type(exc).__name__}: {str(exc).splitlines()[0][:300]}\n", flush=True)
            continue
        results.append(result)
        print("\n".join(show(result)), flush=True)
    return results, failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--before", help="figures of an earlier run, printed beside these")
    parser.add_argument("--only", help="a table label to measure alone")
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth table_faults", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    before = {r["table"]: r for r in json.loads(Path(args.before).read_text())} if args.before else {}
    results, failures = survey(
        spark, tables(Path(args.data), spark), measure, lambda r: report(r, before.get(r["table"])), args.only
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    from results import publish

    result = publish("table_faults", "What gives generated rows away: rules, grids, tails, unique columns", main)
    raise SystemExit(result if isinstance(result, int) else 0)
