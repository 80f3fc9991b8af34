"""Beyond the tree: a block of numeric columns sampled from the full Gaussian copula.

The engine samples the copula as a Gaussian tree: a pair that is not an edge gets the product of
the correlations along its path. Shares of a whole (all pairs pulled negative together) or a
weather table's temperature, dew point and humidity are not tree-shaped. The engine already
correlates its tree *roots* with the Cholesky factor of their own correlations, so a block
needs no new generation feature: its columns become roots together (their joint normal scores
come from the copula's correlation matrix), and the rest of the tree hangs from them.

choose_block decides, per table and only from the fitted statistics (FitOptions.block = "auto",
the default; docs/model.md "Beyond the tree"; scripts/within_bench.py measures it):
1. the numeric pairs badly served by the tree (|r_real - r_tree| > OFF_BY, over numeric tree
   paths, model/correlation.tree_gap); none: no block, the tree stays;
2. the block grows from the columns of those pairs: re-rooting the forest at it cuts the paths
   between its columns, so the pairs still badly served afterwards add their columns, for at
   most GROWTH_ROUNDS rounds; of an edge far from Gaussian between two block columns (its
   table's mutual information well above what the correlation explains: hour ~ sched_dep_time,
   a deterministic staircase) the better-served end stays out, a tree child whose table keeps
   that shape; the driven root never joins;
3. the block is kept only if the summed |r_real - r_model| over the tree's numeric-path pairs
   falls below KEEP_IF_BELOW of the tree's and it fits the data better than the tables it
   replaces by MIN_GAIN nats per row (information_gain: a likelihood that weighs the shape a
   dropped table held); otherwise the member whose removal gains most leaves, until it pays.
orient_forest re-roots the Chow-Liu forest at the block: breadth first from all block columns at
once; edges between two block columns are dropped (the copula matrix carries them); every other
column's parent is the neighbour it was reached from (reversed edges keep their pair tables).
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from spark_synth.model.correlation import nearest_correlation, tree_gap, tree_implied, tree_paths

log = logging.getLogger(__name__)

OFF_BY = 0.1
MIN_GAP = OFF_BY
NON_GAUSSIAN_EXCESS = 0.25
MAX_BLOCK = 24  # Cholesky work per row grows with the square of the block


MAX_NULL_SHARE = 0.05
MAX_POINT_MASS = 0.25


def gaussian_like(column) -> bool:
    """A numeric column whose normal scores a Gaussian block can carry: few nulls (the copula
    puts nulls at the bottom of the scale, which a correlation on values does not see) and no
    value holding a large share of the rows (a plateau of the quantile function: visibility 10,
    precipitation 0), where the tree's tables keep the shape and a correlation does not."""
    if column.null_fraction > MAX_NULL_SHARE:
        return False
    p, v = column.quantiles.probabilities, column.quantiles.values
    plateau, start = 0.0, 0
    for i in range(1, len(v)):
        if v[i] != v[start]:
            start = i
        plateau = max(plateau, p[i] - p[start])
    return plateau <= MAX_POINT_MASS


def gaussian_mi(rho: float) -> float:
    """Mutual information (nats) of a bivariate normal with correlation rho."""
    return -0.5 * float(np.log(max(1.0 - rho * rho, 1e-12)))


def orient_forest(d: int, edges: list[tuple[int, int, float]], sources: list[int]) -> list[tuple[int, int, float]]:
    """(parent, child, mi) edges of the forest `edges` re-rooted at `sources` (roots together).
    Edges between two sources are dropped (the copula matrix carries them). The other columns
    form components joined by their own edges, which are all kept; a component touching the
    sources hangs from the source of its strongest edge to them (the others are dropped), oriented
    away from it; a component touching none keeps its orientation."""
    roots = set(sources)
    inner = [(p, c, w) for p, c, w in edges if p not in roots and c not in roots]
    component = list(range(d))

    def find(i: int) -> int:
        while component[i] != i:
            component[i] = component[component[i]]
            i = component[i]
        return i

    for p, c, _ in inner:
        component[find(p)] = find(c)
    attach: dict[int, tuple[float, int, int]] = {}  # component -> (mi, source, member)
    for p, c, w in edges:
        if (p in roots) == (c in roots):
            continue
        source, member = (p, c) if p in roots else (c, p)
        best = attach.get(find(member))
        if best is None or (w, -source, -member) > (best[0], -best[1], -best[2]):
            attach[find(member)] = (w, source, member)
    neighbours: dict[int, list[tuple[int, float]]] = {i: [] for i in range(d)}
    for p, c, w in inner:
        neighbours[p].append((c, w))
        neighbours[c].append((p, w))
    out: list[tuple[int, int, float]] = []
    for w, source, member in sorted(attach.values(), key=lambda a: (a[1], a[2])):
        out.append((source, member, w))
        seen, queue = {member}, deque([member])
        while queue:
            node = queue.popleft()
            for other, weight in sorted(neighbours[node]):
                if other not in seen:
                    seen.add(other)
                    out.append((node, other, weight))
                    queue.append(other)
    attached = {find(m) for _, _, m in attach.values()}
    out += [(p, c, w) for p, c, w in inner if find(p) not in attached]
    return out


def choose_block(
    correlation: np.ndarray,
    names: list[str],
    numeric: set[str],
    edges: list[tuple[int, int, float]],
    edge_mi: dict[tuple[int, int], float],
    fixed_root: int | None = None,
    candidates: set[str] | None = None,
) -> list[int]:
    """The block of column indices to sample jointly (empty: keep the tree). `edges` are the
    Chow-Liu (parent, child, mi) edges, `edge_mi` the tables' mutual information by (i, j), i < j;
    `fixed_root` a column the generator drives, which stays a root outside the block;
    `candidates` the columns allowed in it (None: every numeric one; see gaussian_like). The block
    grows from the badly served pairs until re-rooting the forest at it leaves none that a
    larger block could serve (re-rooting cuts the paths between block columns, so a column
    between two of them joins), at most GROWTH_ROUNDS times."""
    gap = tree_gap(correlation, names, _named(names, edges), numeric, OFF_BY)
    if gap["max_gap"] <= MIN_GAP:
        return []
    roots = [fixed_root] if fixed_root is not None else []
    excluded = set(roots)
    if candidates is not None:  # columns whose normal scores are not Gaussian-like stay in the tree
        excluded |= {i for i, n in enumerate(names) if n not in candidates}
    block: set[int] = set()
    oriented = edges
    for _ in range(GROWTH_ROUNDS):
        grown = block | (_badly_served(correlation, names, numeric, oriented) - excluded)
        served_gap = np.abs(correlation - tree_implied(correlation, names, _named(names, oriented))).sum(axis=1)
        # An edge far from Gaussian (a staircase such as hour ~ clock time) must stay a table:
        # of its two ends, the one the tree serves better stays out of the block.
        for p, c, _ in edges:
            if p in grown and c in grown and _far_from_gaussian(correlation, edge_mi, p, c):
                out = min((p, c), key=lambda i: (served_gap[i], i))
                grown.discard(out)
                excluded.add(out)
        if grown == block:
            break
        block = set(sorted(grown, key=lambda i: (-served_gap[i], i))[:MAX_BLOCK])
        oriented = orient_forest(len(names), edges, roots + sorted(block))
    # Judged on one set of pairs: those the tree's numeric paths joined, which a block may re-route.
    judged = _numeric_path_pairs(names, numeric, edges)
    before = _total_gap(correlation, names, edges, judged)

    def gain_of(members: list[int]) -> float:
        return information_gain(correlation, edges, orient_forest(len(names), edges, roots + members), edge_mi, members)

    members = sorted(block)
    while len(members) >= 2:
        after = _total_gap(correlation, names, orient_forest(len(names), edges, roots + members), judged)
        gain = gain_of(members)
        if after <= KEEP_IF_BELOW * before and gain >= MIN_GAIN:
            log.info(
                "fit: %d columns sampled as one Gaussian block (%s): summed |r_real - r_model| over %d "
                "numeric pairs %.2f -> %.2f, copula log-likelihood +%.3f nats per row",
                len(members),
                ", ".join(names[i] for i in members),
                len(judged),
                before,
                after,
                gain,
            )
            return members
        # The member whose removal gains most goes, until the block pays for itself or is gone.
        members = max(([i for i in members if i != out] for out in members), key=lambda rest: (gain_of(rest), rest))
    return []


def information_gain(
    correlation: np.ndarray,
    edges: list[tuple[int, int, float]],
    oriented: list[tuple[int, int, float]],
    edge_mi: dict,
    block: list[int],
) -> float:
    """Log-likelihood per row (nats, on the copula scale) that re-rooting at `block` adds to the
    tree. A decomposable model scores the information of its parts: the block carries its Gaussian
    total correlation (-1/2 log det R_block), each kept edge its table's mutual information. Edges
    kept by both cancel, so the gain is the block's total correlation minus what the dropped edges
    held, each the larger of its table's and its correlation's information (binning under-reads a
    smooth dependence; a table above the Gaussian holds shape a correlation cannot: a staircase,
    a ridge, a product such as diamonds' z = depth x mean(x, y))."""
    kept = {(min(p, c), max(p, c)) for p, c, _ in oriented}
    dropped = {(min(p, c), max(p, c)) for p, c, _ in edges} - kept
    sampled = nearest_correlation(correlation[np.ix_(block, block)])  # what the plan's Cholesky samples
    total_correlation = -0.5 * float(np.linalg.slogdet(sampled)[1])
    return total_correlation - sum(max(edge_mi.get(e, 0.0), gaussian_mi(correlation[e])) for e in dropped)


GROWTH_ROUNDS = 6
KEEP_IF_BELOW = 0.8  # the block must remove a fifth of the summed gap
MIN_GAIN = 0.1  # nats per row: weather's best block gains 0.06 and scores no better (scripts/within_bench.py)


def _numeric_path_pairs(names: list[str], numeric: set[str], edges: list[tuple[int, int, float]]) -> list:
    return [
        (i, j)
        for (i, j), (a, b, _) in tree_paths(names, _named(names, edges)).items()
        if all(names[k] in numeric for k in a + b)
    ]


def _total_gap(correlation: np.ndarray, names: list[str], edges: list[tuple[int, int, float]], pairs: list) -> float:
    implied = tree_implied(correlation, names, _named(names, edges))
    return float(sum(abs(correlation[i, j] - implied[i, j]) for i, j in pairs))


def _named(names: list[str], edges: list[tuple[int, int, float]]) -> list[tuple[str, str]]:
    return [(names[p], names[c]) for p, c, _ in edges]


def _far_from_gaussian(correlation: np.ndarray, edge_mi: dict, p: int, c: int) -> bool:
    """The edge's table holds clearly more information (nats) than its correlation explains."""
    mi = edge_mi.get((min(p, c), max(p, c)), 0.0)
    return mi - gaussian_mi(correlation[p, c]) > NON_GAUSSIAN_EXCESS


def _badly_served(
    correlation: np.ndarray, names: list[str], numeric: set[str], edges: list[tuple[int, int, float]]
) -> set[int]:
    """Columns of numeric pairs (numeric tree paths) whose implied correlation is off by > OFF_BY."""
    named = _named(names, edges)
    implied = tree_implied(correlation, names, named)
    out: set[int] = set()
    for (i, j), (a, b, _) in tree_paths(names, named).items():
        if all(names[k] in numeric for k in a + b) and abs(correlation[i, j] - implied[i, j]) > OFF_BY:
            out.update((i, j))
    return out
