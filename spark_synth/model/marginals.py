"""What a column model means numerically: one uniform scale shared by fit and generate.

Every copula column maps its values onto u in [0, 1): first the null mass, then categories in
listed order (then the rare-value remainder), or for numbers the non-null quantile scale. The
same scale is cut into *codes*, the discrete cells that dependency tables count:

- code 0 is null;
- categorical: codes 1..K are the categories, K+1 the rare remainder;
- numeric/datetime: codes 1..bins are equal-probability bins of the non-null values.

Fit turns observed values into (code, u) here; generation turns u (or a code plus a position
inside it) back into values in the JVM engine, from the edges this class computes
(spark_synth/plan/compiler.py), so both directions share one definition of the scale.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from spark_synth.model.schema import CategoricalColumn, NumericColumn, QuantileFunction

U_MAX = 1.0 - 1e-12


def quantile(qf: QuantileFunction, v: np.ndarray) -> np.ndarray:
    """Q(v): piecewise-linear inverse CDF through the stored quantile points (interpolated at
    half scale, so slopes between doubles near +-1.8e308 cannot overflow)."""
    halves = np.asarray(qf.values, dtype=np.float64) / 2
    return np.interp(v, np.asarray(qf.probabilities, dtype=np.float64), halves) * 2


def cdf_mid(qf: QuantileFunction, x: np.ndarray) -> np.ndarray:
    """Mid-rank CDF F(x) in [0, 1]; a value stored as several equal quantiles (a point mass)
    maps to the middle of its mass, so ties get one well-defined normal score."""
    p = np.asarray(qf.probabilities, dtype=np.float64)
    q = np.asarray(qf.values, dtype=np.float64)
    n = len(q)
    left = np.searchsorted(q, x, side="left")
    right = np.searchsorted(q, x, side="right")
    lo = np.clip(left - 1, 0, n - 1)
    hi = np.clip(left, 0, n - 1)
    frac = _fraction(x, q[lo], q[hi])
    interpolated = p[lo] + np.clip(frac, 0.0, 1.0) * (p[hi] - p[lo])
    interpolated = np.where(left == 0, 0.0, np.where(left == n, 1.0, interpolated))
    mid_of_tie = (p[hi] + p[np.clip(right - 1, 0, n - 1)]) / 2.0
    return np.where(right > left, mid_of_tie, interpolated)


def cdf_tie(qf: QuantileFunction, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each value's mid-rank CDF and the CDF interval [low, high] of its point mass (a value
    stored as several equal quantiles), the mid-rank CDF twice elsewhere: the span of latent
    places one mid-rank score stands for (fit/regression.py corrects a correlation for it).
    Returns (low, mid, high)."""
    p = np.asarray(qf.probabilities, dtype=np.float64)
    q = np.asarray(qf.values, dtype=np.float64)
    n = len(q)
    left = np.searchsorted(q, x, side="left")
    right = np.searchsorted(q, x, side="right")
    mid = cdf_mid(qf, x)
    tied = right > left
    return (
        np.where(tied, p[np.clip(left, 0, n - 1)], mid),
        mid,
        np.where(tied, p[np.clip(right - 1, 0, n - 1)], mid),
    )


def _fraction(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(x - lo) / (hi - lo), 0 where hi == lo; halved first so that doubles near +-1.8e308
    cannot overflow the differences."""
    span = hi / 2 - lo / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (x / 2 - lo / 2) / span, 0.0)


def cdf_right(qf: QuantileFunction, x: np.ndarray) -> np.ndarray:
    """Right-continuous CDF F(x) = P(X <= x) of the piecewise-linear quantile function."""
    p = np.asarray(qf.probabilities, dtype=np.float64)
    q = np.asarray(qf.values, dtype=np.float64)
    right = np.searchsorted(q, x, side="right")
    lo = np.clip(right - 1, 0, len(q) - 1)
    hi = np.clip(right, 0, len(q) - 1)
    frac = _fraction(x, q[lo], q[hi])
    out = p[lo] + np.clip(frac, 0.0, 1.0) * (p[hi] - p[lo])
    return np.where(right == 0, 0.0, np.where(right >= len(q), 1.0, out))


TAIL_CUTS = (0.001, 0.005, 0.995, 0.999)


def bin_probabilities(bins: int) -> np.ndarray:
    """Where numeric bins are cut: equal steps of 1/bins plus finer cuts in both tails, so the
    extremes (the longest delays, say) get cells of their own in dependency tables."""
    return np.unique(np.concatenate([np.arange(1, bins) / bins, TAIL_CUTS]))


def rounding_step(column: NumericColumn) -> float | None:
    """Spacing of the values a numeric column can take on its unit scale (None: any double)."""
    if column.exact or column.kind == "integer":
        return float(column.granularity)
    if column.decimal_places is not None:
        return 10.0**-column.decimal_places
    return None


class UniformScale:
    """Code boundaries of one copula column on the u scale.

    Numeric bins are cut on the *value* scale (at the quantiles b/bins, duplicates merged), so
    every row with the same value gets the same code and a code always maps back to values of
    its own bin: a point mass such as minute == 0 never straddles two codes.
    """

    def __init__(self, column: NumericColumn | CategoricalColumn, bins: int):
        self.column = column
        p_null = column.null_fraction
        if isinstance(column, CategoricalColumn):
            masses = np.asarray(list(column.probabilities) + [column.other_probability])
            upper = np.cumsum(masses * (1.0 - p_null))
            self.numeric = False
        else:
            qf = column.quantiles
            cuts = quantile(qf, bin_probabilities(bins))
            step = rounding_step(column)
            if step is not None:
                # Cut halfway between representable values so rounding never crosses a cut.
                cuts = (np.floor(cuts / step) + 0.5) * step
            cuts = np.unique(cuts)
            self.cuts = cuts[cuts < float(qf.values[-1])]
            upper = (1.0 - p_null) * np.concatenate([cdf_right(qf, self.cuts), [1.0]])
            self.numeric = True
        self.bins = bins
        self.edges = np.concatenate([[0.0, p_null], p_null + upper])
        self.edges[-1] = 1.0
        self.n_codes = len(self.edges) - 1

    # --- fit direction -------------------------------------------------------------------
    def numeric_codes_and_u(self, x: np.ndarray, is_null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Codes of observed values, and mid-rank u for their normal scores (numeric columns)."""
        column = self.column
        assert isinstance(column, NumericColumn), "numeric codes of a categorical column"
        p_null = column.null_fraction
        codes = 1 + np.searchsorted(self.cuts, x, side="left")
        u = p_null + (1.0 - p_null) * cdf_mid(column.quantiles, x)
        return np.where(is_null, 0, codes), np.where(is_null, p_null / 2.0, u)

    def numeric_codes_u_and_ties(
        self, x: np.ndarray, is_null: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """numeric_codes_and_u, and the u interval of each observed value's point mass (its u
        twice where it has none; a null's u twice), from one search of the quantile points."""
        column = self.column
        assert isinstance(column, NumericColumn), "tie bounds of a categorical column"
        p_null = column.null_fraction
        codes = 1 + np.searchsorted(self.cuts, x, side="left")
        low, mid, high = (p_null + (1.0 - p_null) * c for c in cdf_tie(column.quantiles, x))
        at_null = p_null / 2.0
        return (
            np.where(is_null, 0, codes),
            np.where(is_null, at_null, mid),
            (np.where(is_null, at_null, low), np.where(is_null, at_null, high)),
        )

    def code_midpoints(self, codes: np.ndarray) -> np.ndarray:
        return (self.edges[codes] + self.edges[codes + 1]) / 2.0


def normal_scores(u: np.ndarray) -> np.ndarray:
    return ndtri(np.clip(u, 1e-12, U_MAX))
