"""Pass 4 (one bounded aggregation): a number's own distribution inside each code of its parent.

A dependency table says which *bins of the whole column* a child falls in given its parent's
code; inside a bin it would be placed by the column's marginal. Where the child is a mixture (a
0/1 flag for one kind, a narrow band for another, a score for a third), that smears every
category across the bins it shares with the others. This pass measures, for every dependency
edge with a numeric child, the child's quantile function inside each parent code:

- each row becomes (edge, parent code, bucket, child value) per edge (`inline`). Job 1 groups by
  (edge, code): its size and approx_top_k, which counts exactly and completely while the group
  holds few values: such a group is discrete (a staircase). Job 2 counts the continuous groups
  among each edge's MAX_CODES largest per (edge, code, bucket) with the bucket's smallest and
  largest value (spark_synth.fit.histogram: exact counts, so the same data gives the same
  model, which a quantile sketch did not). The driver reads at most edges x codes rows, then
  edges x MAX_CODES x ~640 buckets, whatever the row count;
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

from spark_synth.fit.grids import share_beyond_plateaus
from spark_synth.fit.histogram import Buckets, Histogram, bucket_counts, bucket_of, cells_of, quantiles, read_histograms
from spark_synth.fit.profile import MAX_DECIMAL_PLACES, MIN_GRID_SHARE, off_grid_sql
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
# Whole units: 64 below the child's minimum exact, then 32 buckets per doubling (2.2 % wide,
# values placed inside by rank: well inside the 1/64 grid's spacing). Doubles step in 2^-16 of
# their range. At most ~640 buckets per (edge, code).
WITHIN_LINEAR, WITHIN_SLICES, DOUBLE_STEP_SHARE = 64, 32, 2.0**-16
KEY_STRIDE = 1 << 20  # (edge, code) as one number for the filter of job 2: codes stay below it
LINEAR_SEARCH_LIMIT = 32  # more categories than this: their codes come from a map, not array_position
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
    cells = cells_of(frame, [_cell(e, edge) for e, edge in enumerate(edges)])
    # Job 1: per (edge, code) its size and, while it holds few values, every value's exact count
    # (approx_top_k is exact and complete below its capacity; a staircase needs a complete list).
    top = f"to_json(approx_top_k(x, {MAX_DISCRETE_VALUES}, {4 * MAX_DISCRETE_VALUES}))"
    groups = cells.groupBy("e", "c").agg(
        F.count("x").alias("n"),
        F.expr(top).alias("top"),
        F.min("x").alias("lo"),
        F.max("x").alias("hi"),
        *_off_grid_counts(edges),
    )
    found: list[dict[int, WithinQuantiles]] = [{} for _ in edges]
    sizes: list[dict[int, int]] = [{} for _ in edges]
    continuous: list[tuple[int, int]] = []
    ranges: dict[tuple[int, int], tuple[float, float]] = {}
    grids: dict[tuple[int, int], dict] = {}
    for row in sorted(groups.collect(), key=lambda r: (r["e"], r["c"])):  # bounded: edges x codes rows
        e, c, n = int(row["e"]), int(row["c"]), int(row["n"])
        if n < min_count:
            continue
        grids[(e, c)] = _group_grid(edges[e].child, [int(row[f"dp{d}"]) for d in range(MAX_DECIMAL_PLACES + 1)], n)
        staircase = _discrete(edges[e].child, _listed(json.loads(row["top"] or "[]"), n), min_count)
        if staircase is not None:
            found[e][c], sizes[e][c] = staircase.model_copy(update=grids[(e, c)]), n
        elif n >= MIN_CONTINUOUS_ROWS_PER_K * min_count:
            continuous.append((e, c))
            sizes[e][c] = n
            ranges[(e, c)] = (float(row["lo"]), float(row["hi"]))
    # Job 2: bucket counts of the continuous groups among each edge's MAX_CODES largest.
    largest = [set(sorted(by_code, key=lambda code: (-by_code[code], code))[:MAX_CODES]) for by_code in sizes]
    wanted = [(e, c) for e, c in continuous if c in largest[e]]
    if wanted:
        chosen = _bucketed(cells, {(e, c): ranges[(e, c)] for e, c in wanted}, edges)
        for (e, c), histogram in sorted(read_histograms(bucket_counts(chosen, ["e", "c"]), ["e", "c"]).items()):
            qf = _continuous(edges[e].child, histogram, min_count)
            if qf is not None:
                grid = grids[(e, c)]
                if grid.get("grid_step"):  # net of the group's point masses (fit/grids.py)
                    share = share_beyond_plateaus(grid["grid_step"], grid["grid_share"], qf.probabilities, qf.values)
                    grid = {"grid_step": grid["grid_step"] if share else None, "grid_share": share or 0.0}
                found[e][c] = qf.model_copy(update=grid)
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


def _off_grid_counts(edges: list[WithinEdge]) -> list[Column]:
    """Per (edge, code): how many values have more than d decimal places, d = 0..6 (as the
    column's profile counts them, fit/profile.py), for the group's own grid."""
    single = F.lit(False)
    for e, edge in enumerate(edges):  # a float child is compared at float precision
        if parse_spark_type(edge.child.spark_type).name == "float":
            single = F.when(F.col("e") == e, F.lit(True)).otherwise(single)
    return [
        F.count(
            F.when(
                F.when(single, F.expr(off_grid_sql("x", "x", d, True))).otherwise(
                    F.expr(off_grid_sql("x", "x", d, False))
                ),
                1,
            )
        ).alias(f"dp{d}")
        for d in range(MAX_DECIMAL_PLACES + 1)
    ]


def _group_grid(child: NumericColumn, off: list[int], n: int) -> dict:
    """A double child's grid inside one parent code: the coarsest 10^-d (d = 0..6) that at least
    MIN_GRID_SHARE of the group's values lie on, with that share (all of them: the values have d
    decimals), or share 0 (a continuous score: no rounding beyond the column's). Exact children
    have their own unit and whole-number doubles their step of 1: no grid."""
    if child.exact or child.kind != "continuous" or n == 0:  # whole numbers are rounded to 1 already
        return {}
    for d, n_off in enumerate(off):
        share = 1 - n_off / n
        if share >= MIN_GRID_SHARE:
            return {"grid_step": 10.0**-d, "grid_share": round(share, 9)}
    return {"grid_step": None, "grid_share": 0.0}


def _is_staircase(f: WithinQuantiles) -> bool:
    return f.probabilities[0] == 0.0 and f.probabilities[-1] == 1.0


def _listed(top: list[dict], n: int) -> Histogram | None:
    """approx_top_k's list as one-value buckets, when it holds every value of the group."""
    items = sorted((float(t["item"]), int(t["count"])) for t in top if "item" in t)
    if len(items) >= MAX_DISCRETE_VALUES or sum(c for _, c in items) < n:
        return None  # more distinct values than tracked
    values = np.array([v for v, _ in items], dtype=np.float64)
    return Histogram(counts=np.array([c for _, c in items], dtype=np.int64), lows=values, highs=values)


def _discrete(child: NumericColumn, histogram: Histogram | None, min_count: int) -> WithinQuantiles | None:
    """A staircase through the values seen >= k times, when they are (almost) all of the group."""
    if histogram is None or len(histogram.counts) > MAX_DISCRETE_VALUES or not histogram.single_valued:
        return None  # more distinct values than a staircase holds: continuous
    n = histogram.n
    items = list(zip(histogram.lows.tolist(), histogram.counts.tolist()))
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


def _continuous(child: NumericColumn, histogram: Histogram, min_count: int) -> WithinQuantiles | None:
    """The grid's quantiles between k/n and 1 - k/n; beyond them (k rows or more each side, the
    group's raw min/max among them) the child keeps the marginal's bins. None for groups under
    MIN_CONTINUOUS_ROWS_PER_K * k rows: their body would be too short to be worth a function."""
    n = histogram.n
    if n < MIN_CONTINUOUS_ROWS_PER_K * min_count:
        return None
    tail = min_count / n
    grid = np.asarray(WITHIN_GRID)
    q = np.maximum.accumulate(quantiles(histogram, WITHIN_GRID))
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


def _cell(e: int, edge: WithinEdge) -> dict[str, Column]:
    """(edge, parent code, child value on its unit scale) of one edge."""
    code = model_code(edge.parent_alias, edge.parent, edge.bins)
    return {"e": F.lit(e), "c": code, "x": _unit_double(edge.child_alias, edge.child)}


def _bucketed(
    cells: DataFrame, ranges: dict[tuple[int, int], tuple[float, float]], edges: list[WithinEdge]
) -> DataFrame:
    """The cells of the chosen groups with their bucket, measured from the group's own minimum in
    steps of its own range (a narrow band far from the column's minimum keeps its resolution);
    halved on both sides, so no double range overflows. Whole units step in single units."""
    params = {}
    for (e, c), (low, high) in ranges.items():
        unit = 0.5 if edges[e].child.exact else max((high / 2 - low / 2) * DOUBLE_STEP_SHARE, 5e-324)
        params[e * KEY_STRIDE + c] = [low / 2, unit]
    key = (F.col("e").cast("bigint") * KEY_STRIDE + F.col("c")).cast("string")  # JSON map keys are strings
    lookup = F.element_at(F.from_json(F.lit(json.dumps(params)), "map<string,array<double>>"), key)
    chosen = cells.withColumn("p", lookup).where(F.col("p").isNotNull())
    distance = F.greatest(F.lit(0.0), F.col("x") / 2 - F.element_at("p", 1))
    buckets = Buckets(unit=1.0, linear=WITHIN_LINEAR, slices=WITHIN_SLICES)
    return chosen.withColumn("b", bucket_of(distance / F.element_at("p", 2), buckets)).drop("p")


def _json_array(values: list, element_type: str) -> Column:
    """A typed array literal from JSON text (one literal, any string content, no SQL escaping)."""
    return F.from_json(F.lit(json.dumps(values)), f"array<{element_type}>")


def model_code(alias: str, parent: NumericColumn | CategoricalColumn, bins: int) -> Column:
    """A copula column's code as the model defines it (spark_synth.model.marginals): 0 null, then
    categories 1..K and K+1 for the rest, or numeric bins 1..B cut at the scale's cuts."""
    column = F.col(quote(alias))
    if isinstance(parent, CategoricalColumn):
        element = T._parse_datatype_json_string(parent.spark_type).simpleString()
        values = _json_array(list(parent.values), element)
        if len(parent.values) > LINEAR_SEARCH_LIMIT:  # a hash lookup, not a scan of thousands per row
            positions = F.sequence(F.lit(1), F.lit(len(parent.values)))
            found = F.coalesce(F.try_element_at(F.map_from_arrays(values, positions), column), F.lit(0))
        else:
            found = F.array_position(values, column)
        code = F.when(found > 0, found).otherwise(F.lit(len(parent.values) + 1))
    else:
        cuts = UniformScale(parent, bins).cuts.tolist()
        x = _unit_double(alias, parent)
        code = F.lit(1) + F.size(F.filter(_json_array(cuts, "double"), lambda c: c < x))
    return F.when(column.isNull(), F.lit(0)).otherwise(code).cast("int")


def _unit_double(alias: str, column: NumericColumn | CategoricalColumn) -> Column:
    """The column on the model's unit scale as a double (decimals unscaled, dates in days,
    timestamps in microseconds), as the fit's codes see it (spark_synth.sql.encodings.unit_values)."""
    spark = parse_spark_type(column.spark_type)
    scale = float(10**spark.scale) if spark.family == "decimal" and spark.scale else 1.0
    return F.expr(f"CAST({unit_sql(quote(alias), spark)} AS double) * {scale!r}")
