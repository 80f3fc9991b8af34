"""Correlation matrices the engine can factor: shared by the fit (which repairs what it
estimates) and the plan (which repairs what six stored decimal places may have bent)."""

from __future__ import annotations

import numpy as np


def nearest_correlation(corr: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Clip eigenvalues to `floor`, rescale to unit diagonal: positive definite, Cholesky-safe."""
    corr = (corr + corr.T) / 2.0
    values, vectors = np.linalg.eigh(corr)
    repaired = (vectors * np.clip(values, floor, None)) @ vectors.T
    scale = np.sqrt(np.diag(repaired))
    repaired = repaired / np.outer(scale, scale)
    np.fill_diagonal(repaired, 1.0)
    return repaired


def tree_paths(names: list[str], edges: list[tuple[str, str]]) -> dict[tuple[int, int], tuple[list, list, bool]]:
    """For each pair i < j: the node lists from i and from j up to where they meet (their lowest
    common ancestor, or their two roots), and whether they meet inside one tree."""
    at = {n: i for i, n in enumerate(names)}
    parent = {at[c]: at[p] for p, c in edges}

    def path(i: int) -> list[int]:  # i, its parent, ..., its root
        nodes = [i]
        while nodes[-1] in parent:
            nodes.append(parent[nodes[-1]])
        return nodes

    paths = [path(i) for i in range(len(names))]
    out = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = paths[i], paths[j]
            shared = set(a) & set(b)
            if shared:
                meet = next(n for n in a if n in shared)
                out[i, j] = (a[: a.index(meet) + 1], b[: b.index(meet) + 1], True)
            else:
                out[i, j] = (a, b, False)
    return out


def tree_implied(correlation: np.ndarray, names: list[str], edges: list[tuple[str, str]]) -> np.ndarray:
    """The correlations a Gaussian tree implies (issue 13, "dependence beyond the tree"): a pair
    in one tree gets the product of the edge correlations on its path; a pair in two trees the
    product of both paths to their roots times the roots' own correlation (the engine correlates
    the roots directly). `edges` are (parent, child) pairs of `names`."""
    implied = np.eye(len(names))
    for (i, j), (a, b, joined) in tree_paths(names, edges).items():
        value = 1.0 if joined else correlation[a[-1], b[-1]]
        for nodes in (a, b):
            for child, up in zip(nodes, nodes[1:]):
                value *= correlation[child, up]
        implied[i, j] = implied[j, i] = value
    return implied


def tree_gap(
    correlation: np.ndarray,
    names: list[str],
    edges: list[tuple[str, str]],
    numeric: set[str] | None = None,
    off_by: float = 0.1,
) -> dict:
    """How far the real correlations are from what the tree implies: the largest |r_real -
    r_tree| with its pair, and the share of pairs off by more than `off_by`. With `numeric`, only
    pairs whose whole tree path is numeric count: through a categorical column the engine carries
    dependence by its conditional tables, which a product of correlations does not describe."""
    correlation = np.asarray(correlation)
    implied = tree_implied(correlation, names, edges)
    pairs = [
        (i, j)
        for (i, j), (a, b, _) in tree_paths(names, edges).items()
        if numeric is None or all(names[n] in numeric for n in a + b)
    ]
    if not pairs:
        return {"max_gap": 0.0, "pair": None, "share_off": 0.0, "pairs": 0}
    gaps = np.array([abs(correlation[i, j] - implied[i, j]) for i, j in pairs])
    i, j = pairs[int(np.argmax(gaps))]
    return {
        "max_gap": float(gaps.max()),
        "pair": (names[i], names[j]),
        "share_off": float(np.mean(gaps > off_by)),
        "pairs": len(pairs),
    }


def model_tree_gap(spec) -> dict | None:
    """tree_gap of a single-table model file over its numeric copula columns; None without a copula."""
    if spec.copula is None:
        return None
    numeric = {c.name for c in spec.columns if c.kind in ("continuous", "integer", "decimal", "datetime")}
    return tree_gap(
        np.asarray(spec.copula.correlation),
        list(spec.copula.columns),
        [(d.parent, d.child) for d in spec.dependencies],
        numeric,
    )


def describe_tree_gap(gap: dict | None) -> str:
    if gap is None or gap["pair"] is None:
        return "tree gap: no numeric pairs joined by numeric tree paths"
    return (
        f"tree gap over {gap['pairs']} numeric pairs: largest |r_real - r_tree| {gap['max_gap']:.2f} "
        f"({gap['pair'][0]} ~ {gap['pair'][1]}), {gap['share_off']:.0%} off by more than 0.1"
    )
