"""Column Pair Trends on Spark, with SDMetrics' definitions so the numbers compare.

- two numeric/datetime columns: CorrelationSimilarity = 1 - |r_real - r_synth| / 2 (Pearson, rows
  where both are non-null);
- any other pair: ContingencySimilarity = 1 - 1/2 sum |P_real(a,b) - P_synth(a,b)|, numbers cut
  into 10 equal-width bins over the real range (outer bins open), nulls a category of their own.
The default filter keeps pairs whose real |r| > 0.5 or Cramer's V > 0.3.

One aggregation over the real table (min, max, mean, frequent values), then per table one
mapInArrow that reduces its rows to pair tables and moment sums, summed by one groupBy. Exact
except that categories beyond the 5,000 most frequent real values are pooled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from scipy.stats.contingency import association

from spark_synth.evaluation.pair_pictures import picture
from spark_synth.model.types import family
from spark_synth.names import quote
from spark_synth.sql.encodings import NUMERIC_FAMILIES, category_codes, numeric_expression, numeric_values

BINS = 10
MAX_CATEGORIES = 5000
CORRELATION_FILTER = 0.5
ASSOCIATION_FILTER = 0.3
DENSE_CELLS = 1 << 16
PICTURES_PER_COLUMN = 2
MAX_POOLED = 0.5
STATS_SCHEMA = "kind string, i int, j int, x long, y long, n long, s double"


@dataclass
class PairScore:
    columns: tuple[str, str]
    metric: str
    score: float
    real_strength: float  # |Pearson r| or Cramer's V of the real data
    meets_filter: bool
    real_value: float = float("nan")  # Pearson r (numeric pairs) or Cramer's V, real data
    synthetic_value: float = float("nan")  # the same on the synthetic data


def column_pair_trends(real: DataFrame, synthetic: DataFrame, categorical: set[str] | None = None) -> list[PairScore]:
    return column_pair_trends_and_pictures(real, synthetic, categorical, pictures=0)[0]


def column_pair_trends_and_pictures(
    real: DataFrame, synthetic: DataFrame, categorical: set[str] | None = None, pictures: int = 6
) -> tuple[list[PairScore], list[dict]]:
    """Scores of every pair, and pictures (pair_pictures.py) of the `pictures` worst pairs, those
    of the default filter first, from the same pass. A column appears in at most
    PICTURES_PER_COLUMN pictures, and a pair whose categories leave more than MAX_POOLED of the
    real rows in "(other)" (identifiers, free text) is passed over: its picture would show one
    row."""
    categorical = categorical or set()
    plan = _plan(real, categorical)
    if len(plan) < 2:
        return [], []
    real_stats = _pair_stats(real, plan)
    synth_stats = _pair_stats(synthetic, plan)
    scores = _scores(plan, real_stats, synth_stats)
    index = {p["name"]: i for i, p in enumerate(plan)}
    ranked = sorted(scores, key=lambda s: (not s.meets_filter, s.score))  # the default filter's first
    drawn: list[dict] = []
    per_column: dict[str, int] = {}
    for score in ranked:
        if len(drawn) == pictures:
            break
        if any(per_column.get(c, 0) >= PICTURES_PER_COLUMN for c in score.columns):
            continue
        a, b = index[score.columns[0]], index[score.columns[1]]
        shown = picture(
            plan[a],
            plan[b],
            (real_stats["tables"].get((a, b), {}), real_stats["rows"]),
            (synth_stats["tables"].get((a, b), {}), synth_stats["rows"]),
        )
        if shown["pooled"] > MAX_POOLED:  # mostly "(other)": a picture of nothing
            continue
        for c in score.columns:
            per_column[c] = per_column.get(c, 0) + 1
        drawn.append({"columns": list(score.columns), "metric": score.metric, "score": score.score, **shown})
    return scores, drawn


def _scores(plan: list[dict], real_stats: dict, synth_stats: dict) -> list[PairScore]:
    scores = []
    for a in range(len(plan)):
        for b in range(a + 1, len(plan)):
            names = (plan[a]["name"], plan[b]["name"])
            if plan[a]["numeric"] and plan[b]["numeric"]:
                r_real = _pearson(real_stats["moments"].get((a, b)))
                r_synth = _pearson(synth_stats["moments"].get((a, b)))
                if np.isnan(r_real) or np.isnan(r_synth):
                    continue
                scores.append(
                    PairScore(
                        names,
                        "CorrelationSimilarity",
                        1 - abs(r_real - r_synth) / 2,
                        abs(r_real),
                        abs(r_real) > CORRELATION_FILTER,
                        r_real,
                        r_synth,
                    )
                )
            else:
                p_real, p_synth = real_stats["tables"].get((a, b), {}), synth_stats["tables"].get((a, b), {})
                total_r, total_s = real_stats["rows"], synth_stats["rows"]
                cells = set(p_real) | set(p_synth)
                variation = 0.5 * sum(abs(p_real.get(c, 0) / total_r - p_synth.get(c, 0) / total_s) for c in cells)
                strength = _cramers_v(p_real)
                scores.append(
                    PairScore(
                        names,
                        "ContingencySimilarity",
                        1 - variation,
                        strength,
                        strength > ASSOCIATION_FILTER,
                        strength,
                        _cramers_v(p_synth),
                    )
                )
    return scores


def _plan(real: DataFrame, categorical: set[str]) -> list[dict]:
    fields = [(f.name, family(f.dataType)) for f in real.schema.fields if family(f.dataType) is not None]
    aggs = []
    for i, (name, fam) in enumerate(fields):
        if fam in NUMERIC_FAMILIES and name not in categorical:
            x = numeric_expression(name, fam)
            aggs += [F.min(x).alias(f"min{i}"), F.max(x).alias(f"max{i}"), F.avg(x).alias(f"avg{i}")]
        else:
            quoted = quote(name)
            aggs.append(F.expr(f"approx_top_k({quoted}, {MAX_CATEGORIES}, {4 * MAX_CATEGORIES})").alias(f"top{i}"))
    row = real.agg(*aggs).collect()[0].asDict()  # bounded: per-column summaries only
    plan = []
    for i, (name, fam) in enumerate(fields):
        if f"min{i}" in row:
            lo, hi = row[f"min{i}"], row[f"max{i}"]
            if lo is None:
                continue
            edges = np.histogram_bin_edges(np.array([lo, hi], dtype=np.float64), bins=BINS)
            plan.append(
                {
                    "name": name,
                    "family": fam,
                    "numeric": True,
                    "edges": edges[1:-1].tolist(),  # the outer bins open
                    "lo": float(lo),
                    "hi": float(hi),
                    "shift": row[f"avg{i}"],
                }
            )
        else:
            values = [r["item"] for r in (row[f"top{i}"] or [])]
            if fam in ("date", "timestamp", "timestamp_ntz"):
                values = [str(v) for v in values]
            plan.append({"name": name, "family": fam, "numeric": False, "values": values})
    return plan


def _pair_stats(df: DataFrame, plan: list[dict]) -> dict:
    text = json.dumps(plan, default=str)
    projected = df.select(*[F.col(quote(p["name"])) for p in plan])

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _partition_pair_stats(json.loads(text), batches)

    rows = (
        projected.mapInArrow(task, STATS_SCHEMA)
        .groupBy("kind", "i", "j", "x", "y")
        .agg(F.sum("n").alias("n"), F.sum("s").alias("s"))
        .collect()  # bounded: table cells and sums
    )
    out = {"rows": 0, "tables": {}, "moments": {}}
    for kind, i, j, x, y, n, s in rows:
        if kind == "rows":
            out["rows"] = n
        elif kind == "cell":
            out["tables"].setdefault((i, j), {})[(x, y)] = n  # every pair: scores and pictures
        else:
            out["moments"].setdefault((i, j), {})[kind] = s
    return out


def _partition_pair_stats(plan: list[dict], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    d = len(plan)
    rows = 0
    tables: dict[tuple[int, int], dict[int, int]] = {}
    moments: dict[tuple[int, int], np.ndarray] = {}
    for batch in batches:
        if batch.num_rows == 0:
            continue
        rows += batch.num_rows
        codes, values, present = [], [], []
        for p in plan:
            array = batch.column(p["name"])
            if p["numeric"]:
                x, is_null = numeric_values(array, p["family"])
                codes.append(np.where(is_null, 0, 1 + np.searchsorted(np.asarray(p["edges"]), x, side="right")))
                values.append(x - (p["shift"] or 0.0))
                present.append(~is_null)
            else:
                if p["family"] in ("date", "timestamp", "timestamp_ntz"):
                    array = array.cast(pa.string())
                codes.append(category_codes(array, p["values"]))
                values.append(None)
                present.append(None)
        sizes = [int(c.max()) + 1 for c in codes]
        for a in range(d):
            for b in range(a + 1, d):
                if plan[a]["numeric"] and plan[b]["numeric"]:
                    both = present[a] & present[b]
                    x, y = values[a][both], values[b][both]
                    sums = np.array([both.sum(), x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()])
                    moments[(a, b)] = moments.get((a, b), 0) + sums
                table = tables.setdefault((a, b), {})
                if sizes[a] * sizes[b] <= DENSE_CELLS:  # a bincount is several times faster than a sort
                    dense = np.bincount(codes[a] * sizes[b] + codes[b], minlength=sizes[a] * sizes[b])
                    for cell in np.flatnonzero(dense).tolist():
                        key = (cell // sizes[b]) * (1 << 20) + cell % sizes[b]
                        table[key] = table.get(key, 0) + int(dense[cell])
                else:
                    keys, counts = np.unique(codes[a] * (1 << 20) + codes[b], return_counts=True)
                    for key, c in zip(keys.tolist(), counts.tolist()):
                        table[key] = table.get(key, 0) + c
    out = {k: [] for k in ("kind", "i", "j", "x", "y", "n", "s")}

    def emit(kind, i=0, j=0, x=0, y=0, n=0, s=0.0):
        for name, value in zip(out, (kind, i, j, x, y, n, s)):
            out[name].append(value)

    if rows == 0:
        return
    emit("rows", n=rows)
    for (a, b), table in tables.items():
        for key, c in table.items():
            emit("cell", a, b, key >> 20, key & ((1 << 20) - 1), n=c)
    for (a, b), sums in moments.items():
        for name, value in zip(("n", "x", "y", "xx", "yy", "xy"), sums.tolist()):
            emit(name, a, b, s=float(value))
    yield pa.RecordBatch.from_pydict(
        out,
        schema=pa.schema(
            [
                ("kind", pa.string()),
                ("i", pa.int32()),
                ("j", pa.int32()),
                ("x", pa.int64()),
                ("y", pa.int64()),
                ("n", pa.int64()),
                ("s", pa.float64()),
            ]
        ),
    )


def _pearson(m: dict | None) -> float:
    if not m or m["n"] < 2:
        return float("nan")
    n = m["n"]
    cov = m["xy"] / n - (m["x"] / n) * (m["y"] / n)
    var_x = m["xx"] / n - (m["x"] / n) ** 2
    var_y = m["yy"] / n - (m["y"] / n) ** 2
    if var_x <= 0 or var_y <= 0:
        return float("nan")
    return float(np.clip(cov / np.sqrt(var_x * var_y), -1.0, 1.0))


def _cramers_v(table: dict[tuple[int, int], int]) -> float:
    if not table:
        return 0.0
    rows = sorted({a for a, _ in table})
    cols = sorted({b for _, b in table})
    if len(rows) < 2 or len(cols) < 2:
        return 0.0
    matrix = np.zeros((len(rows), len(cols)), dtype=np.int64)
    r_index = {v: k for k, v in enumerate(rows)}
    c_index = {v: k for k, v in enumerate(cols)}
    for (a, b), n in table.items():
        matrix[r_index[a], c_index[b]] = n
    return float(association(matrix, method="cramer"))
