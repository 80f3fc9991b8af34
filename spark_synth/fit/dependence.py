"""Joint structure from pass-2 sums: copula correlation and the Chow-Liu dependency tree."""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from spark_synth.model.correlation import nearest_correlation


def correlation_from_sums(rows: int, sums: np.ndarray, products: np.ndarray) -> np.ndarray:
    """Pearson correlation of normal scores, repaired to be positive definite."""
    mean = sums / rows
    cov = products / rows - np.outer(mean, mean)
    std = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
    corr = cov / np.outer(std, std)
    return nearest_correlation(np.clip(corr, -1.0, 1.0))


def description_length(cells: int, rows: int) -> float:
    """What storing `cells` fitted numbers costs, in nats per row: log(n)/(2n) each (BIC/MDL).
    Every structure choice (a tree edge, a second parent, a regression) weighs its gain in
    mutual information against this same price, so none of them buys detail the others would not."""
    return cells * math.log(rows) / (2 * rows) if rows > 1 else 0.0


def mutual_information(table: dict[tuple[int, int], int]) -> float:
    """Plug-in mutual information (nats) of a contingency table, Miller-Madow bias corrected
    so that high-cardinality columns do not win edges by sample noise alone."""
    if not table:
        return 0.0
    ordered = sorted(table.items())  # the same sum for the same table, whatever order it was filled in
    cells = np.array([cell for cell, _ in ordered])
    counts = np.array([n for _, n in ordered], dtype=np.float64)
    n = counts.sum()
    _, a_idx = np.unique(cells[:, 0], return_inverse=True)
    _, b_idx = np.unique(cells[:, 1], return_inverse=True)
    pa_ = np.bincount(a_idx, weights=counts) / n
    pb_ = np.bincount(b_idx, weights=counts) / n
    p = counts / n
    mi = float(np.sum(p * np.log(p / (pa_[a_idx] * pb_[b_idx]))))
    correction = (len(counts) - len(pa_) - len(pb_) + 1) / (2.0 * n)
    return max(mi - correction, 0.0)


def chow_liu_edges(
    d: int, mi: dict[tuple[int, int], float], min_mi: float, root: int | None = None
) -> list[tuple[int, int, float]]:
    """(parent, child, mi) edges of the maximum-MI spanning forest, oriented away from each
    component's best-connected column (or from `root` in its component: a column the generator
    sets from outside, which must depend on nothing); edges weaker than min_mi are dropped."""
    weights = np.zeros((d, d))
    for (i, j), value in mi.items():
        if value >= min_mi:
            weights[i, j] = weights[j, i] = -(value + 1e-9)
    forest = minimum_spanning_tree(weights).toarray()
    forest = np.minimum(forest, forest.T)  # symmetric, negative weights on tree edges
    degree = (forest < 0).sum(axis=1)
    edges: list[tuple[int, int, float]] = []
    visited = np.zeros(d, dtype=bool)
    for start in sorted(range(d), key=lambda k: (k != root, -degree[k], k)):
        if visited[start] or degree[start] == 0:
            continue
        order, predecessors = breadth_first_order(forest < 0, start, directed=False)
        for node in order:
            visited[node] = True
            parent = predecessors[node]
            if parent >= 0:
                edges.append((int(parent), int(node), float(-forest[parent, node])))
    return edges


def conditional_table(
    pair: dict[tuple[int, int], int], parent_is_first: bool, min_count: int
) -> dict[str, dict[str, float]]:
    """P(child code | parent code) from the cells seen at least min_count times."""
    rows: dict[int, dict[int, int]] = {}
    for (a, b), n in pair.items():
        if n < min_count:
            continue
        parent, child = (a, b) if parent_is_first else (b, a)
        rows.setdefault(parent, {})[child] = n
    table = {}
    for parent in sorted(rows):
        cells = rows[parent]
        total = sum(cells.values())
        probs = {str(c): round(cells[c] / total, 9) for c in sorted(cells)}
        top = max(sorted(cells), key=lambda c: cells[c])  # ties: the smallest code, whatever order rows came in
        probs[str(top)] = round(probs[str(top)] + 1.0 - sum(probs.values()), 9)
        table[str(parent)] = probs
    return table


def candidate_pairs(corr: np.ndarray, partners: int) -> list[tuple[int, int]]:
    """(i, j), i < j, strongest first: each column with its `partners` most correlated columns
    (|r| of normal scores). Wide tables tabulate only these pairs: a dependency tree needs few
    edges per column, and the strongest correlations are where its edges almost always are."""
    d = len(corr)
    strength = np.abs(np.asarray(corr, dtype=np.float64))
    np.fill_diagonal(strength, -1.0)
    pairs: set[tuple[int, int]] = set()
    for i in range(d):
        for j in np.argsort(-strength[i], kind="stable")[:partners]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    return sorted(pairs, key=lambda ij: (-strength[ij], ij))
