"""Pass 5 (one bounded aggregation): a second parent for the tree's children, where it pays.

The Chow-Liu tree gives each column one parent. A column that depends on two others at once (a
route's destination on its carrier *and* its origin; a value on two codes whose combination
matters) loses what the tree cannot hold. This pass adds, per child, at most one more parent:

1. candidates (driver, no data): for each child of the tree, the columns next to its parent in
   the tree (the parent's parent or its other children) that share the most mutual information
   with it or with its parent (a collider's two causes meet in the parent's code), among those
   that come before it in the generation order (the tree's depth, then
   the copula's column order: model/io.py dependency_order), so a second parent never makes a
   cycle and the engine has its code when it draws the child; MAX_CANDIDATES per child, each
   table of (parent, candidate, child) codes bounded by MAX_TRIPLE_CELLS, at most MAX_TRIPLES
   and MAX_COUNTED_CELLS per fit;
2. one Spark job codes each batch in numpy (as pass 2 does) and counts every candidate triple's
   codes (mapInArrow + groupBy; the driver reads at most the sum of the triples' cells,
   whatever the row count);
3. per child the candidate whose *stored* table gains the most log-likelihood per row over the
   tree's row, minus a description-length penalty of log(n)/(2n) per stored probability
   (BIC/MDL), is kept when that net gain is at least MIN_GAIN nats; none otherwise.

Privacy: a (parent code, second parent code) row is stored only when it holds at least k rows and
its cells seen at least k times hold KEPT_SHARE of them; only those cells are stored, as shares
of the whole row. Per parent code, a rest row (the child's counts under that code less the stored
cells; cells >= k, and the cells under k merged where their sum is k or more) takes the rows'
remaining mass and every pair without a row, so the child's marginal holds (docs/plan.md §6).

Model growth is bounded by MAX_SECOND_CELLS stored cells per model, edges with the best gain per
cell first.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.dependence import description_length
from spark_synth.fit.joint import coded_with_ties, codes_and_u, merge_counts, scale_from_spec
from spark_synth.fit.regression import (
    BANDS,
    PLACES,
    STATISTICS,
    RegressionCandidate,
    RegressionParent,
    describe,
    partition_sums,
)
from spark_synth.fit.regression import task_spec as regression_spec
from spark_synth.fit.regression_pairs import PAIR_STATISTICS, RegressionPair, pair_sums
from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import CategoricalColumn, Dependency, NumericColumn
from spark_synth.model.types import parse_spark_type
from spark_synth.names import quote

log = logging.getLogger(__name__)

MAX_PARENTS = 3  # the most parents this version gives a column (the tree's, a second, a second regressor)
MAX_CANDIDATES = 2  # second-parent candidates counted per child
MAX_TRIPLES = 256  # candidate triples counted per fit, strongest first (a 1,000-column table)
# codes(parent) x codes(candidate) x codes(child) of one counted triple: wide enough for a tail
# number (4,000 codes) under a carrier and a destination (18 x 107), whose 44,416 cells seen hold
# its routes; what the driver reads is the cells seen, at most this and at most the rows.
MAX_TRIPLE_CELLS = 1 << 23
MAX_COUNTED_CELLS = 1 << 25  # the sum of that product over the triples counted in one fit
MAX_SECOND_CELLS = 50_000  # stored cells of all second tables of one model (~1 MB of JSON)
KEPT_SHARE = 0.5  # a stored row keeps at least this share of its rows after the k filter
MIN_GAIN = 0.005  # nats per row, after the penalty: weaker second parents are noise


@dataclass(frozen=True)
class Triple:
    """A child, its tree parent and one candidate second parent (column names)."""

    child: str
    parent: str
    candidate: str
    tied: bool = False  # a rule ties the two: preferred whenever it gains at all


@dataclass(frozen=True)
class SecondParent:
    """The chosen second parent of one child: its stored rows and what they gain."""

    child: str
    parent: str
    second: str
    table: dict[str, dict[str, float]]  # "parent code,second code" -> {child code: probability}
    rest: dict[str, dict[str, float]]  # parent code -> {child code: probability} of what the rows leave
    gain: float  # nats per row over the tree's row, after the penalty
    cells: int
    tied: bool = False


def code_count(column: NumericColumn | CategoricalColumn, bins: int) -> int:
    """How many codes a copula column has in dependency tables (model/marginals.py)."""
    return UniformScale(column, bins).n_codes


def candidates(
    order: list[str],
    parent_of: dict[str, str],
    mutual_information: dict[frozenset[str], float],
    codes: dict[str, int],
    min_mutual_information: float,
    tied: frozenset[frozenset[str]] = frozenset(),
) -> list[Triple]:
    """Per child of the tree, its MAX_CANDIDATES strongest partners (pairwise mutual information
    with the child or its parent at least min_mutual_information) among the columns before it in
    `order` that are next to its parent in the tree (the parent's parent, or its other children):
    the engine then draws the pair (parent, second parent) from one real table, so the child's
    rows are chosen in their real proportions and its marginal holds (a pair joined only through
    a longer path, a diamond's price and size through its y, put clarity 0.2 % further off). Each
    triple table stays within MAX_TRIPLE_CELLS — and, first, any partner a rule ties it to
    (fit/rules.py tied_pairs: a route's origin and destination, whose pairs a mapping knows).
    Pure: the same inputs, the same list."""
    rank = {name: i for i, name in enumerate(order)}
    found = []
    for child in order:
        parent = parent_of.get(child)
        if parent is None:
            continue
        scored = []
        for other in order[: rank[child]]:
            # Its partner's own dependence on the child, or on the parent: two causes of one
            # parent code (a collider seen from below) are independent until that code is known.
            strength = max(
                mutual_information.get(frozenset((child, other)), 0.0),
                mutual_information.get(frozenset((parent, other)), 0.0),
            )
            is_tied = frozenset((child, other)) in tied
            if other == parent or (strength < min_mutual_information and not is_tied):
                continue
            if other != parent_of.get(parent) and parent_of.get(other) != parent:
                continue  # not next to the parent in the tree: the pair's joint is not drawn as it is real
            if codes[parent] * codes[other] * codes[child] > MAX_TRIPLE_CELLS:
                continue
            scored.append((not is_tied, -strength, rank[other], other))
        chosen = sorted(scored)
        chosen = [s for s in chosen if not s[0]] + [s for s in chosen if s[0]][:MAX_CANDIDATES]
        found += [
            (untied, strength, rank[child], Triple(child, parent, other, tied=not untied))
            for untied, strength, _, other in chosen
        ]
    # A wide table: the strongest MAX_TRIPLES (ties first) within MAX_COUNTED_CELLS, in the order found.
    strongest, counted = [], 0
    for i in sorted(range(len(found)), key=lambda i: found[i][:3]):
        triple = found[i][3]
        cells = codes[triple.parent] * codes[triple.candidate] * codes[triple.child]
        if len(strongest) < MAX_TRIPLES and counted + cells <= MAX_COUNTED_CELLS:
            strongest.append(i)
            counted += cells
    return [found[i][3] for i in sorted(strongest)]


def count_triples(
    frame: DataFrame,
    triples: list[Triple],
    entries: dict[str, dict],
    bins: int,
    regressions: list[tuple[RegressionCandidate, Dependency]] = (),
    pairs: list[tuple[RegressionPair, Dependency]] = (),
) -> tuple[list[dict[tuple[int, int, int], int]], list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
    """Per triple, the count of every (parent code, candidate code, child code) seen; per
    regression candidate (with the child's dependency) its statistics by
    parent code and its place counts (fit/regression.py partition_sums); per pair of regressors
    its sums by parent code (fit/regression_pairs.py pair_sums): one mapInArrow that codes each batch in numpy as pass 2 does
    (fit/joint.py), summed by one groupBy. `entries`: each column's copula_spec in its final codes."""
    if not triples and not regressions:
        return [], [], []
    names = sorted(
        {n for t in triples for n in (t.parent, t.candidate, t.child)}
        | {n for r, _ in regressions for n in (r.child, r.parent, r.on)}
        | {n for pair, _ in pairs for n in (pair.child, pair.parent, pair.on, pair.also)}
    )
    scales = {n: scale_from_spec(entries[n], bins) for n in names}
    codes = {n: s.n_codes for n, s in scales.items()}
    edges = {n: s.edges.tolist() for n, s in scales.items()}
    spec = json.dumps(
        {
            "copula": [entries[n] for n in names],
            "bins": bins,
            "triples": [[names.index(t.parent), names.index(t.candidate), names.index(t.child)] for t in triples],
            "regressions": [regression_spec(candidate, names, d, codes, edges) for candidate, d in regressions],
            "pairs": [
                {
                    **regression_spec(RegressionCandidate(pair.child, pair.parent, pair.on), names, d, codes, edges),
                    "also": names.index(pair.also),
                    "also_null": edges[pair.also][1],
                }
                for pair, d in pairs
            ],
        }
    )
    projected = frame.select(*[F.col(quote(entries[n]["input"])) for n in names])

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _partition_triples(json.loads(spec), batches)

    counts = (
        projected.mapInArrow(task, "t int, key long, n long, x double")
        .groupBy("t", "key")
        .agg(F.sum("n").alias("n"), F.sum("x").alias("x"))
    )
    widths = [(codes[t.candidate], codes[t.child]) for t in triples]
    tables: list[dict[tuple[int, int, int], int]] = [{} for _ in triples]
    sums = [np.zeros((codes[r.parent], STATISTICS)) for r, _ in regressions]
    places = [np.zeros((BANDS, PLACES)) for _ in regressions]
    paired = [np.zeros((codes[pair.parent], PAIR_STATISTICS)) for pair, _ in pairs]
    for t, key, n, x in counts.collect():  # bounded: cells, codes x sums, bands x places
        if t >= len(triples) + 2 * len(regressions):
            paired[t - len(triples) - 2 * len(regressions)][int(key) // PAIR_STATISTICS, int(key) % PAIR_STATISTICS] = x
        elif t >= len(triples) + len(regressions):
            places[t - len(triples) - len(regressions)][int(key) // PLACES, int(key) % PLACES] = x
        elif t >= len(triples):
            sums[t - len(triples)][int(key) // STATISTICS, int(key) % STATISTICS] = x
        else:
            b_codes, c_codes = widths[t]
            tables[t][(int(key) // (b_codes * c_codes), int(key) // c_codes % b_codes, int(key) % c_codes)] = int(n)
    return [dict(sorted(table.items())) for table in tables], list(zip(sums, places)), paired


def _partition_triples(spec: dict, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    entries, bins = spec["copula"], spec["bins"]
    scales = [scale_from_spec(e, bins) for e in entries]
    edges = [s.edges for s in scales]
    types = [parse_spark_type(e["column"]["spark_type"]) for e in entries]
    parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in spec["triples"]]
    children = {r["child"] for r in spec["regressions"]}  # their point masses' spans too
    sums: list = [0.0 for _ in spec["regressions"]]
    places: list = [0.0 for _ in spec["regressions"]]
    paired: list = [0.0 for _ in spec["pairs"]]
    for batch in batches:
        if batch.num_rows == 0:
            continue
        coded, ties = [], {}
        for c, (e, s, t) in enumerate(zip(entries, scales, types)):
            if c in children:  # a regression child's point masses too, from the same decode
                found, u, ties[c] = coded_with_ties(batch.column(e["input"]), e, s, t)
                coded.append((found, u))
            else:
                coded.append(codes_and_u(batch.column(e["input"]), e, s, t))
        codes = [c for c, _ in coded]
        for t, (a, b, c) in enumerate(spec["triples"]):
            key = (codes[a] * scales[b].n_codes + codes[b]) * scales[c].n_codes + codes[c]
            parts[t].append(np.unique(key, return_counts=True))
        cache: dict = {}  # this batch's PIT and scores, shared by the regressions that reuse them
        for r, regression in enumerate(spec["regressions"]):
            found, counted = partition_sums(regression, codes, [u for _, u in coded], edges, cache, ties)
            sums[r], places[r] = sums[r] + found, places[r] + counted
        for q, pair in enumerate(spec["pairs"]):
            paired[q] = paired[q] + pair_sums(pair, codes, [u for _, u in coded], edges, cache, ties)
    for t, found in enumerate(parts):
        if found:
            keys, counts = merge_counts(found)
            yield _rows(np.full(len(keys), t), keys, counts, np.zeros(len(keys)))
    for r, found in enumerate([*sums, *places, *paired]):
        if isinstance(found, np.ndarray):
            yield _rows(np.full(found.size, len(parts) + r), np.arange(found.size), np.zeros(found.size), found.ravel())


def _rows(t: np.ndarray, keys: np.ndarray, counts: np.ndarray, x: np.ndarray) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(t, pa.int32()), pa.array(keys, pa.int64()), pa.array(counts, pa.int64()), pa.array(x, pa.float64())],
        names=["t", "key", "n", "x"],
    )


def second_table(
    counts: dict[tuple[int, int, int], int], min_count: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], float, int]:
    """The stored rows of one triple, the rest rows, their log-likelihood gain per row over the
    tree's rows net of the MDL penalty, and their cells.

    A stored row (a, b) holds its cells of >= k rows as shares of the whole row, so it sums to its
    kept share. The rest row of a parent code a is what its stored rows leave: the child's counts
    under a less the stored cells (_rest_row, as a distribution). It takes the stored rows' rest
    mass and every pair (a, b) without a row of its own, so the child's rows add up to its real
    counts under a: pairs too rare to store (large diamonds sold cheap) keep the child they really
    have in aggregate, not the parent code's average (which put clarity 1 % off its marginal)."""
    total = sum(counts.values())
    if total == 0:
        return {}, {}, 0.0, 0
    by_parent: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for (a, b, c), n in counts.items():
        by_parent[a][c] += n
        rows[(a, b)][c] = n
    tree_rows = {a: _distribution(cells, min_count) for a, cells in by_parent.items()}
    stored: dict[tuple[int, int], dict[int, int]] = {}
    for (a, b), cells in sorted(rows.items()):
        size = sum(cells.values())
        kept = {c: n for c, n in sorted(cells.items()) if n >= min_count}
        if size >= min_count and sum(kept.values()) >= KEPT_SHARE * size and tree_rows[a]:
            stored[(a, b)] = kept
    left = {a: dict(cells) for a, cells in by_parent.items() if any(key[0] == a for key in stored)}
    for (a, _), kept in stored.items():
        for c, n in kept.items():
            left[a][c] -= n
    rest_rows = {a: _rest_row(cells, tree_rows[a], min_count) for a, cells in left.items()}
    log_gain = 0.0
    for (a, b), cells in rows.items():
        size = sum(cells.values())
        kept = stored.get((a, b))
        rest = rest_rows.get(a) or tree_rows[a]
        share = 1.0 - sum(kept.values()) / size if kept is not None else 1.0
        for c, n in cells.items():
            mixed = (kept.get(c, 0) / size if kept is not None else 0.0) + share * rest.get(c, 0.0)
            if tree_rows[a].get(c, 0.0) > 0 and mixed > 0:
                log_gain += n * math.log(mixed / tree_rows[a][c])
    cells_stored = sum(len(k) for k in stored.values()) + sum(len(r) for r in rest_rows.values())
    penalty = description_length(cells_stored, total)
    table = {
        f"{a},{b}": {str(c): round(n / sum(rows[(a, b)].values()), 9) for c, n in kept.items()}
        for (a, b), kept in stored.items()
    }
    rest_table = {str(a): _rounded(r) for a, r in sorted(rest_rows.items()) if r}
    return table, rest_table, log_gain / total - penalty, cells_stored


def _rest_row(left: dict[int, int], tree_row: dict[int, float], min_count: int) -> dict[int, float]:
    """A parent code's rest row from what its stored rows leave of each child code: the cells
    left at least min_count times, and, where the cells left fewer times (but stored in the
    tree's row) add up to min_count or more, their sum shared among them as the tree's row
    shares it. Dropping them instead moved the child's marginal: airports' time zone given the
    longitude and the subdivision lost 0.9 % of its mass to the common zones. Only that merged
    sum is stored, never a cell seen fewer than k times."""
    kept = {c: float(n) for c, n in left.items() if n >= min_count}
    small = {c: n for c, n in left.items() if 0 < n < min_count and tree_row.get(c, 0.0) > 0}
    merged, weight = sum(small.values()), sum(tree_row[c] for c in small)
    if merged >= min_count and weight > 0:
        kept.update({c: merged * tree_row[c] / weight for c in small})
    size = sum(kept.values())
    return {c: n / size for c, n in sorted(kept.items())} if size else {}


def _distribution(cells: dict[int, int], min_count: int) -> dict[int, float]:
    """The cells seen at least min_count times, as probabilities (empty: none)."""
    kept = {c: n for c, n in cells.items() if n >= min_count}
    size = sum(kept.values())
    return {c: n / size for c, n in sorted(kept.items())} if size else {}


def _rounded(probabilities: dict[int, float]) -> dict[str, float]:
    """Probabilities to 9 places, summing to 1 (the largest cell takes the rounding)."""
    out = {str(c): round(p, 9) for c, p in probabilities.items()}
    top = max(sorted(probabilities), key=lambda c: probabilities[c])
    out[str(top)] = round(out[str(top)] + 1.0 - sum(out.values()), 9)
    return out


def choose(triples: list[Triple], tables: list[dict[tuple[int, int, int], int]], min_count: int) -> list[SecondParent]:
    """Per child the candidate with the best net gain (at least MIN_GAIN; a rule's tied partner
    before any other), within MAX_SECOND_CELLS stored cells for the whole model, tied partners
    and then the best gain per cell first."""
    best: dict[str, SecondParent] = {}
    for triple, counts in zip(triples, tables):
        table, rest, gain, cells = second_table(counts, min_count)
        if not table or gain < MIN_GAIN:
            continue
        current = best.get(triple.child)
        if current is None or (triple.tied, gain) > (current.tied, current.gain):
            best[triple.child] = SecondParent(
                triple.child, triple.parent, triple.candidate, table, rest, gain, cells, triple.tied
            )
    chosen, budget = [], MAX_SECOND_CELLS
    for found in sorted(best.values(), key=lambda s: (not s.tied, -s.gain / s.cells, s.child)):
        if found.cells <= budget:
            chosen.append(found)
            budget -= found.cells
    return sorted(chosen, key=lambda s: s.child)


def with_second_parents(
    dependencies: list[Dependency], chosen: list[SecondParent], regressions: list[RegressionParent] = ()
) -> list[Dependency]:
    """The tree's dependencies with each chosen child's second parent: its table, or its
    regression where that gains more (a rule's tied partner keeps its table)."""
    tables = {s.child: s for s in chosen}
    regressed = {r.child: r for r in regressions}
    out = []
    for d in dependencies:
        s, r = tables.get(d.child), regressed.get(d.child)
        if r is not None and r.parent == d.parent and (s is None or (not s.tied and r.gain > s.gain)):
            d = d.model_copy(update={"regression": r.regression})
            log.info(
                "fit: %s follows %s inside %s's codes (%s, gain %.4f nats per row)",
                d.child,
                r.regression.on,
                d.parent,
                describe(r.regression),
                r.gain,
            )
        elif s is not None and s.parent == d.parent:
            d = d.model_copy(update={"second_parent": s.second, "second_table": s.table, "second_rest": s.rest or None})
            log.info(
                "fit: %s gets a second parent, %s (gain %.4f nats per row, %d cells)",
                d.child,
                s.second,
                s.gain,
                s.cells,
            )
        out.append(d)
    return out
