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

from spark_synth.evaluation import display
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
    aggs, ranges = [], []
    for i, (name, fam, metric) in enumerate(plan):
        if metric == "ks":
            grid = [k / EDGES for k in range(EDGES + 1)]
            x = numeric_expression(name, fam)
            aggs.append(F.percentile_approx(x, grid, 20_000).alias(f"e{i}"))
            ranges += [F.min(x).alias(f"lo{i}"), F.max(x).alias(f"hi{i}")]
        else:
            quoted = quote(name)
            aggs.append(F.expr(f"approx_top_k({quoted}, {MAX_CATEGORIES}, {4 * MAX_CATEGORIES})").alias(f"e{i}"))
    summary = real.agg(*aggs, *ranges).collect()[0]  # bounded: edges, ranges and frequent values only
    # KS is evaluated at the quantiles of both tables, where the largest CDF gap can occur.
    ks_aggs = [a for a, (_, _, metric) in zip(aggs, plan) if metric == "ks"]
    synth_summary = synthetic.agg(*ks_aggs).collect()[0] if ks_aggs else {}  # bounded: edges only
    spec = []
    for i, (name, fam, metric) in enumerate(plan):
        value = summary[f"e{i}"] or []
        if metric == "ks":
            edges = sorted(set(value) | set(synth_summary[f"e{i}"] or []))
            lo, hi = summary[f"lo{i}"], summary[f"hi{i}"]
            shown = None if lo is None else display.layout(fam, float(lo), float(hi), [float(v) for v in value])
            spec.append({"name": name, "family": fam, "metric": "ks", "edges": edges, "shown": shown})
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
            bars = display.bar_count(entry["shown"]) if entry["shown"] else 0
            shown_real = _distribution(real_counts.get(len(spec) + i, {}), bars)
            shown_synthetic = _distribution(synth_counts.get(len(spec) + i, {}), bars)
            distributions[entry["name"]] = _display_histogram(entry, shown_real, shown_synthetic)
            shown = entry["shown"]
            distributions[entry["name"]]["constant"] = shown is None or shown["constant"]
        else:
            scores.append(ShapeScore(entry["name"], "TVComplement", 1.0 - 0.5 * float(np.abs(pr - ps).sum())))
            distributions[entry["name"]] = _top_categories(entry, pr, ps)
            distributions[entry["name"]]["constant"] = int(np.count_nonzero(pr)) <= 1
    return scores, distributions


DISPLAY_CATEGORIES = 12


def _display_histogram(entry: dict, real: np.ndarray, synthetic: np.ndarray) -> dict:
    """The bars display.layout chose, with the shares of non-null rows counted in each."""
    shown = entry["shown"]
    base = {"family": entry["family"], "real": real.round(6).tolist(), "synthetic": synthetic.round(6).tolist()}
    if shown is None:  # no real value
        return {"kind": "histogram", "scale": "linear", "edges": [], "ticks": [], **base}
    if shown["kind"] == "values":
        lo = shown["lo"]
        labels = [f"{lo + i:g}" for i in range(display.bar_count(shown))]
        return {"kind": "values", "lo": lo, "hi": shown["hi"], "labels": labels, **base}
    return {"kind": "histogram", "scale": shown["scale"], "edges": shown["edges"], "ticks": shown["ticks"], **base}


def _top_categories(entry: dict, pr: np.ndarray, ps: np.ndarray) -> dict:
    """The most frequent real categories (code c = values[c-1]); the rest (code K + 1: values
    beyond the MAX_CATEGORIES most frequent real ones, and the less frequent listed ones) pooled as
    "(other)". Shares are of all non-null rows."""
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
        totals: list[dict[int, int]] = [dict() for _ in range(2 * len(entries))]  # scores, then bars
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
                    codes = codes[codes > 0]  # nulls dropped; K + 1: beyond the listed values
                _add(totals[i], codes)
                if entry["metric"] == "ks" and entry["shown"] is not None:
                    _add(totals[len(entries) + i], display.bar_of(values[~is_null], entry["shown"]))
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


def _add(totals: dict[int, int], codes: np.ndarray) -> None:
    for code, n in zip(*np.unique(codes, return_counts=True)):
        totals[int(code)] = totals.get(int(code), 0) + int(n)
