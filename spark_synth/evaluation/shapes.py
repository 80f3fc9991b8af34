"""Column Shapes on Spark: KSComplement for numbers/datetimes, TVComplement for categories.

Definitions follow SDMetrics (nulls dropped). Runs over all rows with bounded results: one
aggregation over the real table gives bin edges (1,000 quantiles) and its frequent values; one
mapInArrow + groupBy per table counts rows per bin or category. KS is evaluated at the bin
edges, so its error is at most the mass of one real bin (about 0.001) plus the sketch error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.model.types import family
from spark_synth.names import quote
from spark_synth.sql.encodings import NUMERIC_FAMILIES, category_codes, numeric_expression, numeric_values

EDGES = 1000
MAX_CATEGORIES = 5000


@dataclass
class ShapeScore:
    column: str
    metric: str
    score: float


def column_shapes(real: DataFrame, synthetic: DataFrame, categorical: set[str] | None = None) -> list[ShapeScore]:
    """Per-column scores; `categorical` names numeric columns to score as categories."""
    return column_shapes_and_distributions(real, synthetic, categorical)[0]


def column_shapes_and_distributions(
    real: DataFrame, synthetic: DataFrame, categorical: set[str] | None = None
) -> tuple[list[ShapeScore], dict[str, dict]]:
    """Scores, plus per column the aggregated distributions the report plots (display
    histograms for numbers, the most frequent categories): the same counts, no extra pass."""
    categorical = categorical or set()
    plan = []
    for f in real.schema.fields:
        fam = family(f.dataType)
        if fam is None:
            continue
        plan.append((f.name, fam, "ks" if fam in NUMERIC_FAMILIES and f.name not in categorical else "tv"))
    aggs = []
    for i, (name, fam, metric) in enumerate(plan):
        if metric == "ks":
            grid = [k / EDGES for k in range(EDGES + 1)]
            aggs.append(F.percentile_approx(numeric_expression(name, fam), grid, 20_000).alias(f"e{i}"))
        else:
            quoted = quote(name)
            aggs.append(F.expr(f"approx_top_k({quoted}, {MAX_CATEGORIES}, {4 * MAX_CATEGORIES})").alias(f"e{i}"))
    summary = real.agg(*aggs).collect()[0]  # bounded: edges and frequent values only
    # KS is evaluated at the quantiles of both tables, where the largest CDF gap can occur.
    ks_aggs = [a for a, (_, _, metric) in zip(aggs, plan) if metric == "ks"]
    synth_summary = synthetic.agg(*ks_aggs).collect()[0] if ks_aggs else {}  # bounded: edges only
    spec = []
    for i, (name, fam, metric) in enumerate(plan):
        value = summary[f"e{i}"] or []
        if metric == "ks":
            edges = sorted(set(value) | set(synth_summary[f"e{i}"] or []))
            spec.append({"name": name, "family": fam, "metric": "ks", "edges": edges})
        else:
            spec.append({"name": name, "family": fam, "metric": "tv", "values": [r["item"] for r in value]})
    real_counts = _binned_counts(real, spec)
    synth_counts = _binned_counts(synthetic, spec)
    scores, distributions = [], {}
    for i, entry in enumerate(spec):
        r, s = real_counts.get(i, {}), synth_counts.get(i, {})
        width = max([0] + list(r) + list(s)) + 1
        pr, ps = _distribution(r, width), _distribution(s, width)
        if entry["metric"] == "ks":
            score = 1.0 - float(np.max(np.abs(np.cumsum(pr) - np.cumsum(ps)))) if width else 1.0
            scores.append(ShapeScore(entry["name"], "KSComplement", score))
            distributions[entry["name"]] = _display_histogram(entry, pr, ps)
        else:
            scores.append(ShapeScore(entry["name"], "TVComplement", 1.0 - 0.5 * float(np.abs(pr - ps).sum())))
            distributions[entry["name"]] = _top_categories(entry, pr, ps)
    return scores, distributions


DISPLAY_BINS = 30
DISPLAY_CATEGORIES = 12


MAX_VALUE_BARS = 40


def _display_histogram(entry: dict, pr: np.ndarray, ps: np.ndarray) -> dict:
    """Fine KS bins (code c = values in (edges[c-1], edges[c]]) merged into equal-width bins, or,
    for an integer column with at most MAX_VALUE_BARS values in its range (days of a month,
    hours), one bar per value: 31 days in 30 bins would pile two days into one bar."""
    edges = np.asarray(entry["edges"], dtype=np.float64)
    if len(edges) == 0:
        return {"kind": "histogram", "family": entry["family"], "lo": 0.0, "hi": 0.0, "real": [], "synthetic": []}
    lo, hi = float(edges[0]), float(edges[-1])
    right = edges[np.minimum(np.arange(len(pr)), len(edges) - 1)]
    if entry["family"] == "integral" and hi - lo + 1 <= MAX_VALUE_BARS:
        bars = int(hi - lo) + 1
        target = np.clip(np.rint(right - lo).astype(int), 0, bars - 1)
        real = np.bincount(target, weights=pr, minlength=bars)
        synthetic = np.bincount(target, weights=ps, minlength=bars)
        return {
            "kind": "values",
            "family": entry["family"],
            "lo": lo,
            "hi": hi,
            "labels": [f"{lo + i:g}" for i in range(bars)],
            "real": real.round(6).tolist(),
            "synthetic": synthetic.round(6).tolist(),
        }
    span = hi - lo if hi > lo else 1.0
    target = np.clip(((right - lo) / span * DISPLAY_BINS).astype(int), 0, DISPLAY_BINS - 1)
    real = np.bincount(target, weights=pr, minlength=DISPLAY_BINS)
    synthetic = np.bincount(target, weights=ps, minlength=DISPLAY_BINS)
    return {
        "kind": "histogram",
        "family": entry["family"],
        "lo": lo,
        "hi": hi,
        "real": real.round(6).tolist(),
        "synthetic": synthetic.round(6).tolist(),
    }


def _top_categories(entry: dict, pr: np.ndarray, ps: np.ndarray) -> dict:
    """The most frequent real categories (code c = values[c-1]); the rest pooled as 'other'."""
    values = entry["values"]
    pr = np.pad(pr, (0, max(0, len(values) + 1 - len(pr))))
    ps = np.pad(ps, (0, max(0, len(values) + 1 - len(ps))))
    order = [c for c in np.argsort(-pr[1 : len(values) + 1], kind="stable")[:DISPLAY_CATEGORIES] + 1]
    labels = [str(values[c - 1]) for c in order]
    real = [float(pr[c]) for c in order]
    synthetic = [float(ps[c]) for c in order]
    if 1.0 - sum(real) > 1e-9 or 1.0 - sum(synthetic) > 1e-9:
        labels.append("(other)")
        real.append(max(0.0, 1.0 - sum(real)))
        synthetic.append(max(0.0, 1.0 - sum(synthetic)))
    return {
        "kind": "categories",
        "labels": labels,
        "real": [round(x, 6) for x in real],
        "synthetic": [round(x, 6) for x in synthetic],
    }


def _distribution(counts: dict[int, int], width: int) -> np.ndarray:
    out = np.zeros(width)
    for code, n in counts.items():
        out[code] = n
    total = out.sum()
    return out / total if total else out


def _binned_counts(df: DataFrame, spec: list[dict]) -> dict[int, dict[int, int]]:
    text = json.dumps(spec, default=str)
    projected = df.select(*[F.col(quote(e["name"])) for e in spec])

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        entries = json.loads(text)
        totals = [dict() for _ in entries]
        for batch in batches:
            for i, entry in enumerate(entries):
                array = batch.column(entry["name"])
                if entry["metric"] == "ks":
                    values, is_null = numeric_values(array, entry["family"])
                    codes = np.searchsorted(
                        np.asarray(entry["edges"], dtype=np.float64), values[~is_null], side="right"
                    )
                else:
                    values = entry["values"]
                    if entry["family"] in ("date", "timestamp", "timestamp_ntz"):
                        array = array.cast(pa.string())
                        values = [str(v) for v in values]
                    codes = category_codes(array, values)
                    codes = codes[codes > 0]
                for code, n in zip(*np.unique(codes, return_counts=True)):
                    totals[i][int(code)] = totals[i].get(int(code), 0) + int(n)
        cols = [(i, code, n) for i, t in enumerate(totals) for code, n in t.items()]
        yield pa.RecordBatch.from_pydict(
            {"i": [c[0] for c in cols], "code": [c[1] for c in cols], "n": [c[2] for c in cols]},
            schema=pa.schema([("i", pa.int32()), ("code", pa.int64()), ("n", pa.int64())]),
        )

    rows = (
        projected.mapInArrow(task, "i int, code long, n long")
        .groupBy("i", "code")
        .agg(F.sum("n").alias("n"))
        .collect()  # bounded: bins and categories only
    )
    out: dict[int, dict[int, int]] = {}
    for i, code, n in rows:
        out.setdefault(i, {})[code] = n
    return out
