"""A double column's quantile function with tails that keep their mass and store no extreme.

The plain grid (profile.QUANTILE_GRID) ends at the raw minimum and maximum and joins them to its
last tail points (0.05 % from each end) by a straight line. A handful of data-entry values far
out (4 of 400,123 lab values up to 13,682 against a 99.99th percentile near 250) then become a
plateau: 16 of 100,000 generated values above 463, spread evenly up to the maximum (issue 36),
and the model stores those values, each seen fewer than k times.

Here the function keeps only points with at least k rows beyond them (tail share t >= k/n, the
privacy threshold) and continues past the last such point t_b = k/n by extrapolation, a
generalised Pareto tail whose shape comes from Pickands' estimator over the points 4 t_b,
16 t_b and 64 t_b (columns of at least 2,000 k rows, see safe_tail_quantiles):

    xi = ln((Q(4 t_b) - Q(16 t_b)) / (Q(16 t_b) - Q(64 t_b))) / ln 4      (clipped to [-1, 1])

For such a tail each halving of t adds 2^xi times the step the previous halving added; the
first step beyond t_b continues the two halvings from 4 t_b to t_b, (Q(t_b) - Q(4 t_b))
4^xi / (1 + 2^xi). The function gets EXTRAPOLATED_HALVINGS points at t_b/2,
t_b/4, ... and ends (probability 0 or 1) one halving further. A heavy tail (xi > 0) keeps
growing; a bounded one (xi < 0) closes in; a flat end (a bound many rows sit on: humidity 100)
adds nothing. The ends are the column's min and max: fitted, not seen.
"""

from __future__ import annotations

import math

import numpy as np

from spark_synth.fit.histogram import Histogram, quantiles

DEEP_TAILS = [0.0002, 0.0001, 5e-5, 2e-5, 1e-5, 5e-6, 2e-6, 1e-6]
EXTRAPOLATED_HALVINGS = 8
MAX_SHAPE = 1.0


def safe_tail_quantiles(
    histogram: Histogram, grid: list[float], min_count: int
) -> tuple[list[float], list[float]] | None:
    """(probabilities, values) from `grid` and DEEP_TAILS without points closer than k/n to
    either end, extended past them as the module docstring says; None when k/n lies inside the
    plain grid's deepest tail points (n < 2,000 k for its 0.0005): a short column's extrapolation
    from a few dozen rows is noise (planes' seats, 3,322 rows, moved Column Shapes by 0.005), so
    the caller keeps the plain grid, its raw min and max included."""
    n = histogram.n
    t_b = min_count / n
    if t_b > min(min(grid[1:]), 1 - max(grid[:-1])):
        return None  # the plain grid's deepest tail points lie further out than k/n: too few rows
    body = sorted({p for p in [*grid, *DEEP_TAILS, *(1 - t for t in DEEP_TAILS)] if t_b < p < 1 - t_b})
    probabilities = [t_b, *body, 1 - t_b]
    values = np.maximum.accumulate(quantiles(histogram, probabilities)).tolist()

    def at(p: float) -> float:
        return float(quantiles(histogram, [p])[0])

    upper = _extrapolated([at(1 - t_b * m) for m in (1, 4, 16, 64)])
    lower = [-v for v in _extrapolated([-at(t_b * m) for m in (1, 4, 16, 64)])]
    halvings = [t_b / 2**j for j in range(1, EXTRAPOLATED_HALVINGS + 1)]
    probabilities = [0.0, *reversed(halvings), *probabilities, *(1 - t for t in halvings), 1.0]
    values = [*reversed(lower), *values, *upper]
    return probabilities, np.maximum.accumulate(np.asarray(values, dtype=np.float64)).tolist()


def _extrapolated(points: list[float]) -> list[float]:
    """Values at t_b/2, t_b/4, ... (EXTRAPOLATED_HALVINGS of them) and one more for the end, from
    Q at t_b, 4 t_b, 16 t_b and 64 t_b of one tail (larger toward the end). The shape is read
    from the three inner points (hundreds of rows, not the k at t_b: Pickands' estimator over
    points a few rows apart swung to 0.36 on an exponential tail); the first step continues the
    increments between 4 t_b and t_b, whose two halvings add a + a 2^xi."""
    q1, q4, q16, q64 = points
    near, far = q4 - q16, q16 - q64
    shape = math.log(near / far) / math.log(4) if near > 0 and far > 0 else 0.0
    shape = min(max(shape, -MAX_SHAPE), MAX_SHAPE)
    growth = 2**shape
    step = max(q1 - q4, 0.0) * growth**2 / (1 + growth)
    out, value = [], q1
    for _ in range(EXTRAPOLATED_HALVINGS + 1):
        value += step
        out.append(value)
        step *= growth
    return out
