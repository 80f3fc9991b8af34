"""Pass 4 (one bounded aggregation): a number's own distribution inside each code of its parent.

A dependency table says which *bins of the whole column* a child falls in given its parent's
code; inside a bin it would be placed by the column's marginal. Where the child is a mixture (a
0/1 flag for one kind, a narrow band for another, a score for a third), that smears every
category across the bins it shares with the others. This pass measures, for every dependency
edge with a numeric child, the child's quantile function inside each parent code:

- one Spark job for all edges: each row becomes (edge, parent code, child value) per edge
  (`inline`), grouped by (edge, code); per group a KLL sketch (quantiles) and approx_top_k
  (exact counts while the group holds few distinct values). The result has at most
  edges x MAX_CODES rows, whatever the row count;
- privacy: only codes seen at least k (min_count) times with a non-null child; a discrete group
  keeps the values seen at least k times; a continuous group never stores its raw min/max — its
  function covers k/n .. 1 - k/n, and in its tails (k rows or more each) the child is placed in
  the marginal's bins as before (cells of k rows or more), clipped near the category by the
  plan (plan/compiler.py tail_range).

Model growth per edge is bounded: at most MAX_CODES codes x (2 * MAX_DISCRETE_VALUES or
len(WITHIN_GRID)) points.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import CategoricalColumn, NumericColumn, WithinQuantiles
from spark_synth.model.types import parse_spark_type
from spark_synth.names import quote
from spark_synth.sql.encodings import unit_sql

log = logging.getLogger(__name__)

WITHIN_GRID = sorted({i / 64 for i in range(65)} | {0.001, 0.002, 0.005, 0.01, 0.99, 0.995, 0.998, 0.999})
MAX_CODES = 256
MAX_DISCRETE_VALUES = 64
DISCRETE_KEPT_SHARE = 0.9  # a discrete group must keep this much of its mass after the k filter
MIN_CONTINUOUS_ROWS_PER_K = 20  # smaller groups keep the bins: too few rows for a body of their own
KLL_K = 400  # ~0.7 % rank error: below the 1/64 grid's own spacing
EXACT_LIMIT = 2.0**53  # beyond, a double sketch cannot hold every unit: such children keep the bins


@dataclass(frozen=True)
class WithinEdge:
    """One dependency edge whose child gets per-parent-code quantiles (aliases name the frame's columns)."""

    parent_alias: str
    parent: NumericColumn | CategoricalColumn
    child_alias: str
    child: NumericColumn
    bins: int


def eligible(parent, child) -> bool:
    """Numeric children whose units a double holds exactly, of categorical or numeric parents."""
    if not isinstance(child, NumericColumn) or not isinstance(parent, (NumericColumn, CategoricalColumn)):
        return False
    return not child.exact or max(abs(child.min), abs(child.max)) <= EXACT_LIMIT


def within_quantiles(frame: DataFrame, edges: list[WithinEdge], min_count: int) -> list[dict[str, WithinQuantiles]]:
    """Per edge: {parent code: the child's quantile function inside it} (see module docstring)."""
    if not edges:
        return []
    triples = [
        F.struct(
            F.lit(e).alias("e"), _parent_code(edge).alias("c"), _unit_double(edge.child_alias, edge.child).alias("x")
        )
        for e, edge in enumerate(edges)
    ]
    grid = "array(" + ",".join(repr(float(p)) for p in WITHIN_GRID) + ")"
    stats = (
        frame.select(F.inline(F.array(*triples)))
        .groupBy("e", "c")
        .agg(
            F.count("x").alias("n"),
            F.expr(
                f"CASE WHEN count(x) > 0 THEN kll_sketch_get_quantile_double("
                f"kll_sketch_agg_double(x, {KLL_K}), {grid}) END"
            ).alias("q"),
            F.expr(f"to_json(approx_top_k(x, {MAX_DISCRETE_VALUES}, {4 * MAX_DISCRETE_VALUES}))").alias("top"),
        )
    )
    found: list[dict[int, WithinQuantiles]] = [{} for _ in edges]
    sizes: list[dict[int, int]] = [{} for _ in edges]
    for row in stats.collect():  # bounded: edges x codes rows
        n = int(row["n"])
        if n < min_count or row["q"] is None:
            continue
        edge = edges[row["e"]]
        qf = _discrete(edge.child, n, json.loads(row["top"]), min_count) or _continuous(
            edge.child, n, row["q"], min_count
        )
        if qf is not None:
            found[row["e"]][int(row["c"])] = qf
            sizes[row["e"]][int(row["c"])] = n
    out = []
    for e, by_code in enumerate(found):
        largest = sorted(by_code, key=lambda c: (-sizes[e][c], c))[:MAX_CODES]
        out.append({str(c): by_code[c] for c in sorted(largest)})
        log.info(
            "fit: %s inside %s: its own quantiles in %d parent codes (%d staircases)",
            edges[e].child.name,
            edges[e].parent.name,
            len(largest),
            sum(_is_staircase(by_code[c]) for c in largest),
        )
    return out


def _is_staircase(f: WithinQuantiles) -> bool:
    return f.probabilities[0] == 0.0 and f.probabilities[-1] == 1.0


def _discrete(child: NumericColumn, n: int, top: list[dict], min_count: int) -> WithinQuantiles | None:
    """A staircase through the values seen >= k times, when they are (almost) all of the group."""
    items = [(float(t["item"]), int(t["count"])) for t in top if "item" in t]
    if len(items) >= MAX_DISCRETE_VALUES or sum(c for _, c in items) < n:
        return None  # more distinct values than tracked: continuous
    kept = sorted((v, c) for v, c in items if c >= min_count)
    if not kept or sum(c for _, c in kept) < DISCRETE_KEPT_SHARE * n:
        return None
    total = sum(c for _, c in kept)
    cumulative = [x / total for x in accumulate(c for _, c in kept)]
    probabilities, values = [0.0], [kept[0][0]]
    for (value, _), (following, _), cut in zip(kept, kept[1:], cumulative):
        probabilities += [cut, cut]
        values += [value, following]
    probabilities.append(1.0)
    values.append(kept[-1][0])
    return _quantile_function(child, probabilities, values)


def _continuous(child: NumericColumn, n: int, quantiles: list[float], min_count: int) -> WithinQuantiles | None:
    """The grid's quantiles between k/n and 1 - k/n; beyond them (k rows or more each side, the
    group's raw min/max among them) the child keeps the marginal's bins. None for groups under
    MIN_CONTINUOUS_ROWS_PER_K * k rows: their body would be too short to be worth a function."""
    if n < MIN_CONTINUOUS_ROWS_PER_K * min_count:
        return None
    tail = min_count / n
    grid = np.asarray(WITHIN_GRID)
    q = np.maximum.accumulate(np.asarray(quantiles, dtype=np.float64))
    inside = (grid > tail) & (grid < 1.0 - tail)
    probabilities = [tail] + grid[inside].tolist() + [1.0 - tail]
    values = [float(np.interp(tail, grid, q))] + q[inside].tolist() + [float(np.interp(1.0 - tail, grid, q))]
    return _quantile_function(child, probabilities, values)


def _quantile_function(child: NumericColumn, probabilities: list[float], values: list[float]) -> WithinQuantiles:
    """Values on the child's unit scale, inside its range, non-decreasing (whole numbers for exact columns)."""
    clipped = np.clip(np.asarray(values, dtype=np.float64), float(child.min), float(child.max))
    if child.exact:
        numbers = [min(max(int(round(v)), child.min), child.max) for v in clipped]
    else:
        numbers = clipped.tolist()
    return WithinQuantiles(probabilities=[round(p, 12) for p in probabilities], values=list(accumulate(numbers, max)))


def _json_array(values: list, element_type: str) -> Column:
    """A typed array literal from JSON text (one literal, any string content, no SQL escaping)."""
    return F.from_json(F.lit(json.dumps(values)), f"array<{element_type}>")


def _parent_code(edge: WithinEdge) -> Column:
    """The parent's code as the model defines it (spark_synth.model.marginals): 0 null, then
    categories 1..K and K+1 for the rest, or numeric bins 1..B cut at the scale's cuts."""
    column = F.col(quote(edge.parent_alias))
    parent = edge.parent
    if isinstance(parent, CategoricalColumn):
        element = T._parse_datatype_json_string(parent.spark_type).simpleString()
        found = F.array_position(_json_array(list(parent.values), element), column)
        code = F.when(found > 0, found).otherwise(F.lit(len(parent.values) + 1))
    else:
        cuts = UniformScale(parent, edge.bins).cuts.tolist()
        x = _unit_double(edge.parent_alias, parent)
        code = F.lit(1) + F.size(F.filter(_json_array(cuts, "double"), lambda c: c < x))
    return F.when(column.isNull(), F.lit(0)).otherwise(code).cast("int")


def _unit_double(alias: str, column: NumericColumn | CategoricalColumn) -> Column:
    """The column on the model's unit scale as a double (decimals unscaled, dates in days,
    timestamps in microseconds), as the fit's codes see it (spark_synth.sql.encodings.unit_values)."""
    spark = parse_spark_type(column.spark_type)
    scale = float(10**spark.scale) if spark.family == "decimal" and spark.scale else 1.0
    return F.expr(f"CAST({unit_sql(quote(alias), spark)} AS double) * {scale!r}")
