"""Two regressors: a number that follows two other numbers inside its parent's codes (plan v16).

One regressor carries one direction of a child's dependence. Diamonds' table (the top facet's
width) hangs from the cut, follows the depth inside it, and is wider on larger stones: with the
depth alone, table ~ carat kept 0.04 of its real 0.18 correlation. A second regressor adds a
coefficient and a spread, the issue's "linear regression on normal scores":

- the child's latent normal is rho * s' + beta * t + spread * e, with s' the first regressor's
  score standardized inside the parent code as in fit/regression.py, t the second one's score
  (standardized there too where that pays, plan v17) and spread^2 = 1 - R^2, so its variance
  stays 1 and P(child | parent code) is kept. A row whose t is null draws as with the first
  regressor alone (Regression.rho);
- candidates (driver, no data): every pair of one child's single candidates (fit/regression.py
  candidates), at most MAX_PAIRS per fit;
- statistics (pass 5's job, fit/network.py): per pair and parent code, over the rows where the
  child and both regressors are non-null, the eleven sums of fit/regression.py for the first
  regressor and four more: t, t^2, a*t and s*t. Bounded by the parent's codes;
- choice: per child, the better order of each pair (the first regressor is the one whose own line
  gains more), scored as the Gaussian mutual information -log(1 - R^2)/2 of the latent
  correlations (each divided by the child's reach, as for one regressor) on the rows with both,
  plus the line's own gain on the rows where t is null, less log(n)/(2n) per stored number. It
  replaces the child's single regression (line or bands) where it gains more.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from spark_synth.fit.dependence import description_length
from spark_synth.fit.regression import (
    EDGE,
    MAX_DISTORTION,
    STATISTICS,
    RegressionCandidate,
    RegressionParent,
    cached_child_scores,
    cached_score,
    code_standardization,
    describe,
    distortion,
    fitted,
    latent_reach,
    score_sums,
    standardization_arrays,
    standardized_sums,
)
from spark_synth.model.schema import SecondRegressor

log = logging.getLogger(__name__)

MAX_PAIRS = 128  # pairs counted per fit
PAIR_STATISTICS = STATISTICS + 4  # then, per parent code: sum t, t^2, a*t, s*t
MAX_R2 = 0.995  # a child almost fixed by two numbers still draws a little of its own
MAX_COEFFICIENT = 3.0  # larger coefficients come from two nearly collinear regressors, cancelling


@dataclass(frozen=True)
class RegressionPair:
    """A numeric child, its tree parent and two numbers it may follow together (column names)."""

    child: str
    parent: str
    on: str
    also: str


def pair_candidates(singles: list[RegressionCandidate]) -> list[RegressionPair]:
    """Every pair of regressors among one child's single candidates, in their order. Pure."""
    by_child: dict[tuple[str, str], list[str]] = {}
    for single in singles:
        if not single.with_nulls:  # a pair draws the child among its non-null values
            by_child.setdefault((single.child, single.parent), []).append(single.on)
    pairs = [
        RegressionPair(child, parent, first, second)
        for (child, parent), ons in by_child.items()
        for i, first in enumerate(ons)
        for second in ons[i + 1 :]
    ]
    return pairs[:MAX_PAIRS]


def pair_sums(
    spec: dict,
    codes: list[np.ndarray],
    us: list[np.ndarray],
    edges: list[np.ndarray],
    cache: dict,
    ties: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """One batch's (parent codes, PAIR_STATISTICS) sums of one pair (`spec`: a single candidate's
    task spec with the second regressor's position `also` and null share `also_null`), over the
    rows where the child and both regressors are non-null. `cache` is the batch's, shared with
    the single candidates (fit/regression.py partition_sums)."""
    child, parent, on, also = spec["child"], spec["parent"], spec["on"], spec["also"]
    a, (m, m2), _ = cached_child_scores(spec, codes, us, edges, cache, ties)
    s, t = cached_score(cache, us, on, spec["on_null"]), cached_score(cache, us, also, spec["also_null"])
    keep = (codes[child] > 0) & (codes[on] > 0) & (codes[also] > 0)
    p, p_codes = codes[parent][keep], spec["parent_codes"]
    a, s, t = a[keep], s[keep], t[keep]
    sums = np.zeros((p_codes, PAIR_STATISTICS))
    sums[:, :STATISTICS] = score_sums(p, p_codes, a, (m[keep], m2[keep]), s)
    for j, weights in enumerate((t, t * t, a * t, s * t), start=STATISTICS):
        sums[:, j] = np.bincount(p, weights=weights, minlength=p_codes)[:p_codes]
    return sums


def fitted_pair(
    pair: RegressionPair, sums: np.ndarray, rows: int, first: RegressionParent, first_rows: float, min_count: int
) -> RegressionParent | None:
    """The child on both regressors from the pair's sums, with the first regressor standardized
    as its own line `first` (fitted over `first_rows` rows) stores it and the second either
    inside each parent code as a line would (regression.code_standardization) or not at all,
    whichever gains more net of its numbers: the child's table already holds what the code says,
    so a raw t that sits high in one code shifts that code's child (the distortion check refuses
    it where that matters), while storing t's mean and scale per code costs two numbers each.
    None where the rows or the scores do not vary, or the line is bands."""
    n = sums[:, 0]
    stored = code_standardization(n, sums[:, STATISTICS], sums[:, STATISTICS + 1], min_count)
    found = [_fitted_pair(pair, sums, rows, first, first_rows, t) for t in ([stored, {}] if stored else [{}])]
    kept = [f for f in found if f is not None]
    return max(kept, key=lambda f: f.gain) if kept else None


def _fitted_pair(
    pair: RegressionPair,
    sums: np.ndarray,
    rows: int,
    first: RegressionParent,
    first_rows: float,
    t_stored: dict[str, tuple[float, float]],
) -> RegressionParent | None:
    """fitted_pair with t standardized by `t_stored` (parent code: mean, scale)."""
    regression = first.regression
    n = sums[:, 0]
    total = float(n.sum())
    if regression.bands is not None or total < 2 or rows <= 1:
        return None
    first_stored = {code: (m, regression.scale[code]) for code, m in regression.mean.items()}
    mean, scale = standardization_arrays(first_stored, len(n))
    sums = _t_standardized(sums, *standardization_arrays(t_stored, len(n)))
    s_sum, s_square, as_sum = standardized_sums(sums, mean, scale)
    st_sum = ((sums[:, STATISTICS + 3] - mean * sums[:, STATISTICS]) / scale).sum()
    a_sum, a_square = sums[:, 3].sum(), sums[:, 4].sum()
    t_sum, t_square, at_sum = (sums[:, STATISTICS + j].sum() for j in range(3))
    a_mean, s_mean, t_mean = a_sum / total, s_sum / total, t_sum / total
    a_var = a_square / total - a_mean**2
    s_var, t_var = s_square / total - s_mean**2, t_square / total - t_mean**2
    if min(a_var, s_var, t_var) <= EDGE:
        return None
    reach = latent_reach(sums[:, :STATISTICS], total, a_mean, a_var)
    # Covariances of the child's latent normal (variance 1) with s' and t, and of s' with t.
    with_s = (as_sum / total - a_mean * s_mean) / math.sqrt(a_var) / reach
    with_t = (at_sum / total - a_mean * t_mean) / math.sqrt(a_var) / reach
    between = st_sum / total - s_mean * t_mean
    covariance = np.array([[s_var, between], [between, t_var]])
    target = np.array([with_s, with_t])
    try:
        rho, beta = np.linalg.solve(covariance, target)
    except np.linalg.LinAlgError:
        return None
    explained = float(target @ np.array([rho, beta]))
    if not 0.0 < explained < MAX_R2 or max(abs(rho), abs(beta)) > MAX_COEFFICIENT:
        return None
    moved = _pair_distortion(sums, mean, scale, float(rho), float(beta), math.sqrt(1.0 - explained))
    if moved > MAX_DISTORTION:
        log.debug(
            "pair %s, t standardized in %d codes, refused: it moves %.3f of the child's places",
            pair,
            len(t_stored),
            moved,
        )
        return None
    cells = first.cells + 3 + 2 * len(t_stored)
    line_rate = (first.gain + description_length(first.cells, rows)) * rows / max(first_rows, 1.0)
    gain = (
        -0.5 * math.log(1.0 - explained) * total / rows
        + line_rate * max(first_rows - total, 0.0) / rows
        - description_length(cells, rows)
    )
    also = SecondRegressor(
        on=pair.also,
        rho=round(float(rho), 6),
        beta=round(float(beta), 6),
        spread=round(math.sqrt(1.0 - explained), 6),
        mean={p: m for p, (m, _) in t_stored.items()},
        scale={p: v for p, (_, v) in t_stored.items()},
    )
    return RegressionParent(pair.child, pair.parent, regression.model_copy(update={"also": also}), gain, cells)


def _t_standardized(sums: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """A pair's sums with t replaced by t' = (t - mean[p]) / scale[p] (sum t', t'^2, a*t', s*t')."""
    n, out = sums[:, 0], sums.copy()
    t, t2, a_t, s_t = (sums[:, STATISTICS + j] for j in range(4))
    out[:, STATISTICS] = (t - n * mean) / scale
    out[:, STATISTICS + 1] = (t2 - 2 * mean * t + n * mean**2) / scale**2
    out[:, STATISTICS + 2] = (a_t - mean * sums[:, 3]) / scale
    out[:, STATISTICS + 3] = (s_t - mean * sums[:, 1]) / scale
    return out


def _pair_distortion(
    sums: np.ndarray, mean: np.ndarray, scale: np.ndarray, rho: float, beta: float, spread: float
) -> float:
    """distortion() of rho * s' + beta * t' + spread * e inside each parent code (t' as
    standardized in `sums`; codes under k or near standard keep t raw and may still sit off
    centre). The predictor's kurtosis is taken as 3: the sums hold no t^3 or t^4."""
    n = sums[:, 0]
    rows = np.maximum(n, 1.0)
    s_mean, t_mean = sums[:, 1] / rows, sums[:, STATISTICS] / rows
    s_var = np.maximum(sums[:, 2] / rows - s_mean**2, 0.0)
    t_var = np.maximum(sums[:, STATISTICS + 1] / rows - t_mean**2, 0.0)
    between = sums[:, STATISTICS + 3] / rows - s_mean * t_mean
    centre = rho * (s_mean - mean) / scale + beta * t_mean
    variance = rho * rho * s_var / scale**2 + beta * beta * t_var + 2 * rho * beta * between / scale
    return distortion(n, centre, np.maximum(variance, 0.0), np.full(len(n), 3.0), spread)


def choose(
    singles: list[RegressionCandidate],
    statistics: list[tuple[np.ndarray, np.ndarray]],
    pairs: list[RegressionPair],
    pair_statistics: list[np.ndarray],
    rows: int,
    min_count: int,
    min_gain: float,
    null_shares: dict[str, np.ndarray] | None = None,
) -> list[RegressionParent]:
    """Per child, the best of its single candidates (a line or bands, with or without its nulls)
    and its pairs of regressors, when its net gain is at least min_gain. `null_shares`: per
    child, its null share per parent code (fit/regression.py code_null_shares), which a line
    with_nulls must keep."""
    best: dict[str, RegressionParent] = {}
    lines: dict[tuple[str, str], tuple[RegressionParent, float]] = {}
    for candidate, (sums, counts) in zip(singles, statistics):
        found = fitted(candidate, sums, rows, min_count, counts, null_share=(null_shares or {}).get(candidate.child))
        if found is not None:
            log.debug(
                "regression %s | %s on %s: %s, gain %.4f",
                candidate.child,
                candidate.parent,
                candidate.on,
                describe(found.regression),
                found.gain,
            )
        if found is not None and (candidate.child not in best or found.gain > best[candidate.child].gain):
            best[candidate.child] = found
        if not pairs or candidate.with_nulls:
            continue
        # The best single is the line unless bands beat it; only then fit the line on its own.
        line = found if found is None or found.regression.bands is None else fitted(candidate, sums, rows, min_count)
        if line is not None:
            lines[(candidate.child, candidate.on)] = (line, float(sums[:, 0].sum()))
    for pair, sums in zip(pairs, pair_statistics):
        one, other = lines.get((pair.child, pair.on)), lines.get((pair.child, pair.also))
        if one is None or other is None:
            continue
        if other[0].gain > one[0].gain:  # the better line goes first: rows without t draw by it
            pair, one = RegressionPair(pair.child, pair.parent, pair.also, pair.on), other
            sums = _swapped(sums)
        found = fitted_pair(pair, sums, rows, *one, min_count)
        if found is not None:
            log.debug("regression %s: %s, gain %.4f", pair, describe(found.regression), found.gain)
        if found is not None and (pair.child not in best or found.gain > best[pair.child].gain):
            best[pair.child] = found
    return [best[c] for c in sorted(best) if best[c].gain >= min_gain]


def _swapped(sums: np.ndarray) -> np.ndarray:
    """A pair's sums with its two regressors' roles exchanged. The latent moments (m, a*m, m^2)
    belong to the child and stay."""
    out = sums.copy()
    s, s2, a_s = 1, 2, 5
    t, t2, a_t, st = STATISTICS, STATISTICS + 1, STATISTICS + 2, STATISTICS + 3
    out[:, [s, s2, a_s, t, t2, a_t]] = sums[:, [t, t2, a_t, s, s2, a_s]]
    out[:, st] = sums[:, st]
    return out
