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
