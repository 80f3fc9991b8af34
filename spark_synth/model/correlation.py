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


def tree_implied(correlation: np.ndarray, names: list[str], edges: list[tuple[str, str]]) -> np.ndarray:
    """The correlations a Gaussian tree implies (issue 13, "dependence beyond the tree"): a pair
    in one tree gets the product of the edge correlations on its path; a pair in two trees the
    product of both paths to their roots times the roots' own correlation (the engine correlates
    the roots directly). `edges` are (parent, child) pairs of `names`."""
    at = {n: i for i, n in enumerate(names)}
    parent = {at[c]: at[p] for p, c in edges}

    def path(i: int) -> list[int]:  # i, its parent, ..., its root
        nodes = [i]
        while nodes[-1] in parent:
            nodes.append(parent[nodes[-1]])
        return nodes

    paths = [path(i) for i in range(len(names))]
    implied = np.eye(len(names))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = paths[i], paths[j]
            shared = set(a) & set(b)
            if shared:  # up to the lowest common ancestor on both sides
                meet = next(n for n in a if n in shared)
                a, b, bridge = a[:a.index(meet) + 1], b[:b.index(meet) + 1], 1.0
            else:
                bridge = correlation[a[-1], b[-1]]
            value = bridge
            for nodes in (a, b):
                for child, up in zip(nodes, nodes[1:]):
                    value *= correlation[child, up]
            implied[i, j] = implied[j, i] = value
    return implied


def tree_gap(correlation: np.ndarray, names: list[str], edges: list[tuple[str, str]],
             off_by: float = 0.1) -> dict:
    """How far the real correlations are from what the tree implies: the largest |r_real -
    r_tree| with its pair, and the share of pairs off by more than `off_by`."""
    if len(names) < 2:
        return {"max_gap": 0.0, "pair": None, "share_off": 0.0}
    gaps = np.abs(np.asarray(correlation) - tree_implied(np.asarray(correlation), names, edges))
    upper = np.triu_indices(len(names), 1)
    worst = int(np.argmax(gaps[upper]))
    i, j = upper[0][worst], upper[1][worst]
    return {"max_gap": float(gaps[i, j]), "pair": (names[i], names[j]),
            "share_off": float(np.mean(gaps[upper] > off_by))}


def model_tree_gap(spec) -> dict | None:
    """tree_gap of a single-table model file (its copula and dependency tree); None without a copula."""
    if spec.copula is None:
        return None
    return tree_gap(np.asarray(spec.copula.correlation), list(spec.copula.columns),
                    [(d.parent, d.child) for d in spec.dependencies])


def describe_tree_gap(gap: dict | None) -> str:
    if gap is None or gap["pair"] is None:
        return "tree gap: no pairs"
    return (f"tree gap: largest |r_real - r_tree| {gap['max_gap']:.2f} ({gap['pair'][0]} ~ {gap['pair'][1]}), "
            f"{gap['share_off']:.0%} of pairs off by more than 0.1")
