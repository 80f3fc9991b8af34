"""Second parents by regression: a number that follows another number inside its parent's codes.

A code table over (parent, second parent, child) pays for a few codes (a collider, a route's two
ends) but not for two numbers with 30 bins each: its cells cost more than they gain (BIC), and
weather's pressure, whose tree parent is the season (time_hour) while it falls as humidity rises,
kept a Spearman gap of 0.37. A *regression parent* costs a correlation and two numbers per parent
code, the issue's "normal-score regression inside each category":

- the child's conditional uniform given its tree parent's code p (its PIT under the tree's own
  table, among its non-null values) and the regressor's normal score s, standardized inside p,
  are joined by a Gaussian pair copula with correlation rho. The engine draws the child's uniform
  as Phi(rho * s + sqrt(1 - rho^2) * e), then the tree's table as today (docs/plan.md §6 step 3c):
  P(child | p) is unchanged, within functions and grids too, and the child follows the regressor.
- statistics (in pass 5's Spark job, fit/network.py): per candidate and parent code, the count
  and the sums of s, s^2, a, a^2 and a*s over rows where both are non-null (a: the child's PIT
  as a normal score), and of m, a*m and E[Z^2]: the moments of the child's latent normal Z over
  the span of places its value's point mass covers (m = a without one). Bounded by the parent's
  codes, whatever the row count;
- point masses: a mid-rank score puts a whole point mass on one score (rain is 0 in 78 % of
  weather's hours), so corr(a, s) is corr(a, Z) times the latent correlation; the fit divides by
  corr(a, Z) (from m) and then sets rho so that the engine's rho * s' + sqrt(1 - rho^2) * e,
  with s' of variance var(s') < 1 where the regressor has point masses, has that latent
  correlation with s'. Before, visibility given humidity on rain measured -0.16 and gained
  0.0038 nats, under the bar;
- candidates (driver, no data): per numeric child of the tree, the numbers drawn before it whose
  real normal-score correlation is furthest from the one the tree implies (model/correlation.py
  tree_implied), at least MIN_GAP off;
- nulls (plan v18): a mostly null child, on a regressor that is almost never null
  (fit/fitter.py MIN_NULLS_DECIDED, MAX_REGRESSOR_NULLS), is also counted with its nulls as the
  lowest places of its row (RegressionCandidate.with_nulls; a null row's PIT spans its code's
  null share), so the line can say which rows are null too: weather's gust is there in dry,
  windy hours, not at random among the windy ones. Such a line that would move the child's
  null share by more than MAX_NULL_SHIFT (null_shift, the same mixture as distortion) is refused;
- bands (plan v16): the same pair as a table copula instead: per band of the regressor's score
  (BANDS equal-probability bands of a standard normal), the child's PIT counted in PLACES equal
  places (a row whose point mass spans several places spread over them). Coarser shapes (SHAPES)
  come from summing neighbours. Where the dependence bends or its spread changes with the
  regressor, a few bands gain more than one correlation: weather's hour of the day against the
  temperature, inside humidity's codes, is no line (warmest mid-afternoon, coldest before dawn):
  0.007 nats a row as a line, 0.022 as 8 bands of 8 places. Cells seen fewer than k times are
  dropped, a band without any keeps the independent CDF;
- choice: the candidate whose Gaussian mutual information -log(1 - rho^2)/2 (or, for bands, the
  mutual information of the stored table), on the share of rows where both are non-null, less
  log(n)/(2n) per stored number (BIC), is best and at least network.MIN_GAIN
  (fit/regression_pairs.py choose, which also weighs pairs of regressors); fit/fitter.py then
  keeps, per child, the better of this and a second table;
- shape: the engine's Phi(rho * s' + sqrt(1 - rho^2) * e) keeps the child's distribution only
  where s' is a standard normal. A line under which the child's places would be more than
  MAX_DISTORTION off uniform inside its parent codes (from the mean, variance and kurtosis of s'
  in each, sums of s^3 and s^4 in the same job) is refused: weather's day of the month on time_hour inside the
  month (a flat slice of scores) came out 8.5 % off its marginal. Bands are counted over all
  rows, so inside a code whose regressor sits in a few bands the child follows those bands'
  CDFs; by the same measure (from each code's share of rows per band), bands that move more are
  mixed with independence until they move MAX_DISTORTION.

Privacy: a parent code's mean and scale are stored only when at least k rows hold them; rho is one
number over all rows.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import norm

from spark_synth.fit.dependence import description_length
from spark_synth.model.correlation import tree_implied
from spark_synth.model.schema import Dependency, Regression, RegressionBands

log = logging.getLogger(__name__)

MAX_CANDIDATES = 2  # regressors counted per child
MAX_REGRESSIONS = 256  # candidates counted per fit, furthest off first
MAX_TABLE_CELLS = 1 << 16  # parent codes x child codes of the child's PIT table shipped to tasks
MIN_GAP = 0.1  # |r_real - r_tree| below this, the tree already serves the pair
MIN_SCALE = 0.05  # a parent code whose regressor barely varies keeps the global scale
STANDARD_NEAR = 0.1  # a parent code whose regressor's mean and log-scale are nearer 0 stores neither
STATISTICS = 11  # per parent code: rows, sum s, s^2, a, a^2, a*s, the latent's m, a*m and E[Z^2], s^3, s^4
MAX_DISTORTION = 0.02  # a line that would move this much of its child's mass between places is refused
SHAPE_POINTS = 256  # quantile points of the regressor's standardized score per parent code (distortion)
EDGE = 1e-9
MAX_NULL_SHIFT = 0.002  # a line with_nulls that would move its child's null share more is refused
MIN_REACH = 0.5  # a child whose scores carry less of their latent normal is not corrected for it
BANDS = 8  # bands of the regressor's score counted by the fit (equal-probability for a normal)
PLACES = 16  # places of the child's PIT counted per band
SHAPES = ((4, 4), (4, 8), (8, 8), (8, 16))  # (bands, places) tried; each divides the counted ones
BAND_EDGES = ndtri(np.arange(1, BANDS) / BANDS)


@dataclass(frozen=True)
class RegressionCandidate:
    """A numeric child, its tree parent and a number it may follow (column names). `with_nulls`:
    the child's nulls count as its lowest places, so the regressor also decides whether the
    child is null (Regression.with_nulls)."""

    child: str
    parent: str
    on: str
    with_nulls: bool = False


@dataclass(frozen=True)
class RegressionParent:
    child: str
    parent: str
    regression: Regression
    gain: float  # nats per row, after the penalty
    cells: int  # stored numbers


def candidates(
    order: list[str],
    parent_of: dict[str, str],
    numeric: set[str],
    names: list[str],
    correlation: np.ndarray,
    codes: dict[str, int],
    mutual_information: dict[frozenset[str], float] | None = None,
    ordered: set[str] = frozenset(),
) -> list[RegressionCandidate]:
    """Per numeric child of the tree (or `ordered` one: a category of numbers, education in years,
    whose codes run in value order), up to MAX_CANDIDATES numbers before it in `order` whose real
    correlation with it is at least MIN_GAP from the tree's (the block's roots included: their
    correlations are the copula's own), furthest first; and up to MAX_CANDIDATES numbers next to
    its parent (the parent's parent or a sibling), most mutual information with the child first:
    inside each parent code two numbers can follow each other (a region's latitude and longitude)
    while their correlation over all rows is nil. Pure."""
    edges = [(parent_of[c], c) for c in names if c in parent_of]
    implied = tree_implied(np.asarray(correlation), names, edges)
    strength = mutual_information or {}
    at = {n: i for i, n in enumerate(names)}
    rank = {n: i for i, n in enumerate(order)}
    found = []
    for child in order:
        parent = parent_of.get(child)
        if parent is None or child not in numeric | ordered or codes[parent] * codes[child] > MAX_TABLE_CELLS:
            continue
        off, near = [], []
        for other in order[: rank[child]]:
            if other == parent or other not in numeric:
                continue
            gap = abs(float(correlation[at[child], at[other]] - implied[at[child], at[other]]))
            if gap >= MIN_GAP:
                off.append((-gap, rank[other], other))
            if other == parent_of.get(parent) or parent_of.get(other) == parent:
                near.append((-strength.get(frozenset((child, other)), 0.0), rank[other], other))
        chosen = [o for _, _, o in sorted(off)[:MAX_CANDIDATES]]
        chosen += [o for _, _, o in sorted(near) if o not in chosen][:MAX_CANDIDATES]
        found += [((i, rank[child]), RegressionCandidate(child, parent, other)) for i, other in enumerate(chosen)]
    strongest = sorted(range(len(found)), key=lambda i: found[i][0])[:MAX_REGRESSIONS]
    return [found[i][1] for i in sorted(strongest)]


def pit_table(table: dict[str, dict[str, float]], parent_codes: int, child_edges: list[float]) -> tuple[list, list]:
    """The child's cumulative probability below each code and each code's mass, per parent code
    (flat, parent-major, child_codes + 1 entries per row): the tree's row where it has one, the
    child's marginal elsewhere (as the engine draws)."""
    edges = np.asarray(child_edges, dtype=np.float64)
    n_codes = len(edges) - 1
    below = np.tile(edges[:-1], (parent_codes, 1))
    mass = np.tile(np.diff(edges), (parent_codes, 1))
    for key, row in table.items():
        p = int(key)
        if p >= parent_codes or not row:
            continue
        probabilities = np.zeros(n_codes)
        for code, share in row.items():
            probabilities[int(code)] = share
        probabilities /= probabilities.sum()
        mass[p] = probabilities
        below[p] = np.concatenate([[0.0], np.cumsum(probabilities)[:-1]])
    return below.ravel().tolist(), mass.ravel().tolist()


def task_spec(
    candidate: RegressionCandidate, names: list[str], dependency: Dependency, codes: dict, edges: dict
) -> dict:
    """What a task needs for one candidate: column positions in `names`, the child's PIT table."""
    below, mass = pit_table(dependency.table, codes[candidate.parent], edges[candidate.child])
    return {
        "child": names.index(candidate.child),
        "parent": names.index(candidate.parent),
        "on": names.index(candidate.on),
        "parent_codes": codes[candidate.parent],
        "child_codes": codes[candidate.child],
        "below": below,
        "mass": mass,
        "on_null": edges[candidate.on][1],
        "with_nulls": candidate.with_nulls,
    }


def partition_sums(
    spec: dict,
    codes: list[np.ndarray],
    us: list[np.ndarray],
    edges: list[np.ndarray],
    cache: dict | None = None,
    ties: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One batch's statistics of one candidate: (parent codes, STATISTICS) sums over the rows
    where child and regressor are both non-null, and their (BANDS, PLACES) counts of the
    regressor's band against the child's PIT (place_counts). `cache` (one dict per batch) keeps each child's
    normal-scored PIT and each regressor's score for the batch's other candidates: a child is
    counted against several regressors, and ndtri over every row is most of the cost. `ties`: per
    child column, the u interval of each row's point mass (joint.coded_with_ties;
    absent: none)."""
    cache = {} if cache is None else cache
    child, parent, on = spec["child"], spec["parent"], spec["on"]
    p_codes = spec["parent_codes"]
    a, (m, m2), (low, high) = cached_child_scores(spec, codes, us, edges, cache, ties)
    s = cached_score(cache, us, on, spec["on_null"])
    keep = (codes[on] > 0) if spec.get("with_nulls") else (codes[child] > 0) & (codes[on] > 0)
    sums = score_sums(codes[parent][keep], p_codes, a[keep], (m[keep], m2[keep]), s[keep])
    return sums, place_counts(np.searchsorted(BAND_EDGES, s[keep], side="right"), low[keep], high[keep])


def cached_child_scores(
    spec: dict,
    codes: list[np.ndarray],
    us: list[np.ndarray],
    edges: list[np.ndarray],
    cache: dict,
    ties: dict[int, tuple[np.ndarray, np.ndarray]] | None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The batch's child_scores of spec's child under its parent, computed once per batch."""
    key = ("a", spec["child"], spec["parent"], bool(spec.get("with_nulls")))
    if key not in cache:
        tie = (ties or {}).get(spec["child"])
        cache[key] = child_scores(spec, codes, us, edges, tie, bool(spec.get("with_nulls")))
    return cache[key]


def cached_score(cache: dict, us: list[np.ndarray], column: int, null_share: float) -> np.ndarray:
    """The batch's on_score of one regressor column, computed once per batch."""
    if ("s", column) not in cache:
        cache[("s", column)] = on_score(us[column], null_share)
    return cache[("s", column)]


def place_counts(band: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(BANDS, PLACES) counts of rows by the regressor's band and the place of the child's PIT;
    a row whose PIT spans [low, high] (a point mass) is shared among the places it covers."""
    counts = np.zeros((BANDS, PLACES))
    point = high - low <= 1e-9
    at = np.minimum((low[point] * PLACES).astype(np.int64), PLACES - 1)
    counts += np.bincount(band[point] * PLACES + at, minlength=BANDS * PLACES).reshape(BANDS, PLACES)
    if not point.all():
        b, lo, hi = band[~point], low[~point], high[~point]
        for j in range(PLACES):
            share = np.clip(np.minimum(hi, (j + 1) / PLACES) - np.maximum(lo, j / PLACES), 0.0, None) / (hi - lo)
            counts[:, j] += np.bincount(b, weights=share, minlength=BANDS)
    return counts


def score_sums(
    p: np.ndarray, p_codes: int, a: np.ndarray, latent: tuple[np.ndarray, np.ndarray], s: np.ndarray
) -> np.ndarray:
    """The STATISTICS sums per parent code of rows with child scores a, their latent normal's
    first and second moments over each row's point mass, and the regressor's scores s."""
    m, m2 = latent
    sums = np.zeros((p_codes, STATISTICS))
    for j, weights in enumerate((None, s, s * s, a, a * a, a * s, m, a * m, m2, s**3, s**4)):
        sums[:, j] = np.bincount(p, weights=weights, minlength=p_codes)[:p_codes]
    return sums


def child_scores(
    spec: dict,
    codes: list[np.ndarray],
    us: list[np.ndarray],
    edges: list[np.ndarray],
    tie: tuple[np.ndarray, np.ndarray] | None = None,
    with_nulls: bool = False,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Every row's child PIT under its parent code's row among non-null values, as a normal score
    a, the first two moments of the latent normal over the span its point mass covers there
    (a and a^2 where it has none), and that span of the PIT (a point where it has none);
    meaningless where the child is null: those rows are left out. `with_nulls`: the PIT over the
    whole row instead, the nulls its lowest places (a point mass spanning the row's null share)."""
    child, parent = spec["child"], spec["parent"]
    p, c = codes[parent], codes[child]
    below = np.asarray(spec["below"]).reshape(spec["parent_codes"], spec["child_codes"])
    mass = np.asarray(spec["mass"]).reshape(spec["parent_codes"], spec["child_codes"])
    child_edges = edges[child]
    low, width = child_edges[c], child_edges[c + 1] - child_edges[c]
    null_share = np.zeros(len(c)) if with_nulls else mass[p, 0]

    def conditional(u: np.ndarray) -> np.ndarray:
        place = np.clip(np.divide(u - low, width, out=np.full(len(c), 0.5), where=width > 0), 0.0, 1.0)
        return np.clip((below[p, c] + mass[p, c] * place - null_share) / np.maximum(1.0 - null_share, EDGE), 0, 1)

    cdf = conditional(us[child])
    if with_nulls:
        null = c == 0
        low, high = (cdf, cdf) if tie is None else (conditional(tie[0]), conditional(tie[1]))
        low, high = np.where(null, 0.0, low), np.where(null, mass[p, 0], high)
        a = ndtri(np.clip(np.where(null, high / 2, cdf), EDGE, 1.0 - EDGE))
        return a, latent_moments(low, high, a), (low, high)
    a = ndtri(np.clip(cdf, EDGE, 1.0 - EDGE))
    if tie is None:
        return a, (a, a * a), (cdf, cdf)
    low, high = conditional(tie[0]), conditional(tie[1])
    return a, latent_moments(low, high, a), (low, high)


def latent_moments(low: np.ndarray, high: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[Z] and E[Z^2] of a standard normal Z given Phi(Z) in [low, high] (a truncated normal:
    (phi(l) - phi(h)) / (H - L) and 1 + (l phi(l) - h phi(h)) / (H - L)); `score` and its square
    where the span is empty (no point mass)."""
    span = high - low
    wide = span > 1e-9
    divisor = np.where(wide, span, 1.0)
    lo, hi = ndtri(np.clip(low, EDGE, 1.0 - EDGE)), ndtri(np.clip(high, EDGE, 1.0 - EDGE))
    mean = (norm.pdf(lo) - norm.pdf(hi)) / divisor
    square = 1.0 + (lo * norm.pdf(lo) - hi * norm.pdf(hi)) / divisor
    return np.where(wide, mean, score), np.where(wide, square, score * score)


def on_score(u: np.ndarray, null_share: float) -> np.ndarray:
    """A regressor's normal score among its non-null values (the engine's, from the same u)."""
    return ndtri(np.clip((u - null_share) / max(1.0 - null_share, EDGE), EDGE, 1.0 - EDGE))


def fitted(
    candidate: RegressionCandidate,
    sums: np.ndarray,
    rows: int,
    min_count: int,
    counts: np.ndarray | None = None,
    drawn_normal: bool = False,
    null_share: np.ndarray | None = None,
) -> RegressionParent | None:
    """The regression of one candidate from its summed statistics: rho of the child's
    normal-scored PIT with the regressor standardized inside each parent code seen at least
    min_count times (where its mean and scale are STANDARD_NEAR 0 and 1 or further: the others
    cost a number each and change little), or over all rows with no stored code, or (given its
    place_counts) bands of each of SHAPES: whichever gains most net of the penalty (two numbers
    per stored code cost more than a weak pair gains: wind speed follows humidity by -0.16 inside
    38 wind directions). None: no rows. `drawn_normal`: the engine draws the regressor as an
    exact standard normal (a row's place, fit/row_order.py), so its real shape cannot bend the
    child and the line's shape check is skipped. `null_share`: per parent code, the child's null
    share in its row (a candidate with_nulls is refused without it)."""
    n = sums[:, 0]
    total = float(n.sum())
    if total < max(min_count, 2) or rows <= 1:
        return None
    stored = code_standardization(n, sums[:, 1], sums[:, 2], min_count)
    found = [
        _standardized(candidate, sums, rows, total, choice, drawn_normal, null_share)
        for choice in ([stored, {}] if stored else [{}])
    ]
    if counts is not None and not candidate.with_nulls:
        code_shares = code_band_shares(sums)
        found += [banded(candidate, counts, rows, min_count, shape, code_shares) for shape in SHAPES]
    kept = [f for f in found if f is not None]
    return max(kept, key=lambda f: f.gain) if kept else None


def code_standardization(
    n: np.ndarray, total: np.ndarray, square: np.ndarray, min_count: int
) -> dict[str, tuple[float, float]]:
    """Per parent code seen at least min_count times, a regressor score's mean and scale there
    (from its rows, sum and sum of squares), where they are STANDARD_NEAR 0 and 1 or further and
    the scale at least MIN_SCALE: the other codes keep 0 and 1 (each stored code costs two
    numbers and changes little)."""
    stored = {}
    for p in np.flatnonzero(n >= min_count):
        m = total[p] / n[p]
        sd = math.sqrt(max(square[p] / n[p] - m * m, 0.0))
        if sd >= MIN_SCALE and (abs(m) >= STANDARD_NEAR or abs(math.log(sd)) >= STANDARD_NEAR):
            stored[str(int(p))] = (round(float(m), 6), round(float(sd), 6))
    return stored


def standardization_arrays(stored: dict[str, tuple[float, float]], codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per parent code mean and scale arrays from `stored` (parent code: mean, scale), 0 and 1
    for the other codes."""
    mean, scale = np.zeros(codes), np.ones(codes)
    for p, (m, sd) in stored.items():
        mean[int(p)], scale[int(p)] = m, sd
    return mean, scale


def _standardized(
    candidate: RegressionCandidate,
    sums: np.ndarray,
    rows: int,
    total: float,
    stored: dict[str, tuple[float, float]],
    drawn_normal: bool = False,
    null_share: np.ndarray | None = None,
) -> RegressionParent | None:
    """The regression with the regressor standardized by `stored` (parent code: mean, scale;
    other codes 0 and 1), its gain net of the penalty."""
    n = sums[:, 0]
    mean, scale = standardization_arrays(stored, len(n))
    a_mean = sums[:, 3].sum() / total
    a_var = sums[:, 4].sum() / total - a_mean**2
    s_sum, s_square, as_sum = standardized_sums(sums, mean, scale)
    s_var = s_square / total - (s_sum / total) ** 2
    if a_var <= EDGE or s_var <= EDGE:
        return None
    observed = (as_sum / total - a_mean * s_sum / total) / math.sqrt(a_var * s_var)
    latent = float(np.clip(observed / latent_reach(sums, total, a_mean, a_var), -0.999, 0.999))
    # The engine draws the child's latent normal as rho * s' + sqrt(1 - rho^2) * e, and s' (a
    # score with point masses) has variance s_var, not 1: this rho makes corr(latent, s') = latent.
    rho = float(np.clip(latent / math.sqrt(s_var * (1.0 - latent * latent) + latent * latent), -0.999, 0.999))
    moved = 0.0 if drawn_normal else line_distortion(rho, sums, mean, scale)
    if moved > MAX_DISTORTION:
        log.debug("line %s (rho %.2f) refused: it moves %.3f of the child's places", candidate, rho, moved)
        return None
    if candidate.with_nulls:
        shift = MAX_NULL_SHIFT + 1.0 if null_share is None else null_shift(rho, sums, mean, scale, null_share)
        if shift > MAX_NULL_SHIFT:
            log.debug("line %s (rho %.2f) refused: it moves the null share by %.4f", candidate, rho, shift)
            return None
    cells = 1 + 2 * len(stored)
    gain = -0.5 * math.log(1.0 - latent * latent) * total / rows - description_length(cells, rows)
    regression = Regression(
        on=candidate.on,
        rho=round(rho, 6),
        mean={p: m for p, (m, _) in stored.items()},
        scale={p: sd for p, (_, sd) in stored.items()},
        with_nulls=candidate.with_nulls,
    )
    return RegressionParent(candidate.child, candidate.parent, regression, gain, cells)


def score_shapes(sums: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per parent code: rows, and the mean, variance and kurtosis of the regressor's score
    standardized as the line stores it, s' = (s - mean[p]) / scale[p], from its sums of s to s^4."""
    n = sums[:, 0]
    rows = np.maximum(n, 1.0)
    s1, s2, s3, s4 = (sums[:, j] / rows for j in (1, 2, STATISTICS - 2, STATISTICS - 1))
    m1 = s1
    c2 = np.maximum(s2 - m1**2, 0.0)
    c4 = s4 - 4 * m1 * s3 + 6 * m1**2 * s2 - 3 * m1**4
    kurtosis = np.where(c2 > EDGE, c4 / np.maximum(c2, EDGE) ** 2, 3.0)
    return n, (m1 - mean) / scale, c2 / scale**2, kurtosis


def distortion(rows: np.ndarray, mean: np.ndarray, variance: np.ndarray, kurtosis: np.ndarray, noise: float) -> float:
    """How much of the child's mass a regression moves between PLACES inside its parent codes
    (total variation from uniform, averaged over the rows): the engine's Phi(x), x = the
    predictor plus noise * e, keeps P(child | parent code) only where x is a standard normal
    inside each code. Inside a code a regressor is often no normal: time_hour inside a month is
    a slice of its scores, flat once standardized (kurtosis 1.8), and with rho 0.92 weather's day
    of the month came out 8.5 % off its marginal, the month's first and last days too common.
    Per code the predictor is taken as predictor_points' mixture with its mean, variance and
    kurtosis; a point mass's lost variance and a code's shift count too."""
    held = rows > 0
    edges = ndtri(np.arange(1, PLACES) / PLACES)
    total, moved = float(rows[held].sum()), 0.0
    for n, m, v, k in zip(rows[held], mean[held], variance[held], kurtosis[held]):
        points, weights = predictor_points(m, v, k)
        below = norm.cdf((edges[None, :] - points[:, None]) / max(noise, EDGE))  # P(x < edge | predictor)
        cdf = (weights[:, None] * below).sum(axis=0) / weights.sum()
        shares = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        moved += n * 0.5 * float(np.abs(shares - 1.0 / PLACES).sum())
    return moved / total if total > 0 else 0.0


def predictor_points(mean: float, variance: float, kurtosis: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted points standing for a predictor known by its mean, variance and kurtosis: a
    normal mixed with a uniform below kurtosis 3 (a uniform's is 1.8), two normals of different
    scales above it."""
    q = (np.arange(SHAPE_POINTS) + 0.5) / SHAPE_POINTS
    normal = ndtri(q)
    if kurtosis < 3.0:
        mix = min((3.0 - kurtosis) / 1.2, 1.0)
        points = np.concatenate([normal, math.sqrt(3.0) * (2 * q - 1)])
        weights = np.repeat([1.0 - mix, mix], SHAPE_POINTS)
    else:
        wide = math.sqrt(min(kurtosis / 3.0 - 1.0, 0.99))
        points = np.concatenate([normal * math.sqrt(1 + wide), normal * math.sqrt(1 - wide)])
        weights = np.full(2 * SHAPE_POINTS, 0.5)
    return mean + math.sqrt(max(variance, 0.0)) * points, weights


def code_band_shares(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per parent code, its rows and the share of them in each of the BANDS bands of the
    regressor's score (predictor_points from the code's sums of s to s^4)."""
    n, m, v, k = score_shapes(sums, np.zeros(len(sums)), np.ones(len(sums)))
    shares = np.zeros((len(n), BANDS))
    for p in np.flatnonzero(n > 0):
        points, weights = predictor_points(m[p], v[p], k[p])
        band = np.searchsorted(BAND_EDGES, points, side="right")
        shares[p] = np.bincount(band, weights=weights, minlength=BANDS) / weights.sum()
    return n, shares


def band_distortion(code_shares: tuple[np.ndarray, np.ndarray], cdf: np.ndarray) -> float:
    """distortion() of bands with these CDF rows (bands, places - 1): the band table is pooled over
    the parent codes, so inside a code whose regressor sits in a few bands the child's places
    follow those bands' CDFs, not its own row. Airports' elevation under the time zone, banded
    on the longitude (which the zone nearly fixes), came out 0.009 lower in Column Shapes."""
    rows, shares = code_shares
    n_bands, n_places = cdf.shape[0], cdf.shape[1] + 1
    in_band = shares.reshape(len(rows), n_bands, BANDS // n_bands).sum(axis=2)
    place_shares = np.diff(np.concatenate([np.zeros((n_bands, 1)), cdf, np.ones((n_bands, 1))], axis=1), axis=1)
    moved = 0.5 * np.abs(in_band @ place_shares - 1.0 / n_places).sum(axis=1)
    total = float(rows.sum())
    return float((rows * moved).sum()) / total if total > 0 else 0.0


def null_shift(rho: float, sums: np.ndarray, mean: np.ndarray, scale: np.ndarray, null_share: np.ndarray) -> float:
    """How far a line with_nulls moves the child's null share, over all rows: inside each parent
    code the engine makes a row null where Phi(x) falls below the code's null share, which keeps
    it only where x is a standard normal there (the same mixture as distortion())."""
    n, m, v, k = score_shapes(sums, mean, scale)
    noise = math.sqrt(max(1.0 - rho * rho, EDGE))
    moved = 0.0
    for p in np.flatnonzero((n > 0) & (null_share > 0) & (null_share < 1)):
        points, weights = predictor_points(rho * m[p], rho * rho * v[p], k[p])
        below = norm.cdf((ndtri(null_share[p]) - points) / noise)
        moved += n[p] * (float((weights * below).sum() / weights.sum()) - null_share[p])
    total = float(n.sum())
    return abs(moved) / total if total > 0 else 0.0


def code_null_shares(dependency: Dependency, parent_codes: int, marginal: float) -> np.ndarray:
    """Per parent code, the child's null share in its row of the tree's table (the marginal's
    where the code has no row), as the engine reads it."""
    shares = np.full(parent_codes, marginal)
    for key, row in dependency.table.items():
        total = sum(row.values())
        if int(key) < parent_codes and total > 0:
            shares[int(key)] = row.get("0", 0.0) / total
    return shares


def line_distortion(rho: float, sums: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> float:
    """distortion() of the line rho * s' + sqrt(1 - rho^2) * e."""
    n, m, v, k = score_shapes(sums, mean, scale)
    return distortion(n, rho * m, rho * rho * v, k, math.sqrt(max(1.0 - rho * rho, EDGE)))


def banded(
    candidate: RegressionCandidate,
    counts: np.ndarray,
    rows: int,
    min_count: int,
    shape: tuple[int, int],
    code_shares: tuple[np.ndarray, np.ndarray] | None = None,
) -> RegressionParent | None:
    """The candidate as bands of `shape` (bands, places) from its place_counts: each band's CDF
    over the places from its cells seen at least min_count times (a band without any keeps the
    independent CDF), and the gain: the mutual information of the table so kept, on the share of
    rows where both are non-null, less the penalty for its bands * (places - 1) numbers. Given
    the parent codes' `code_shares` (code_band_shares), bands that would move more than
    MAX_DISTORTION of the child's places are mixed with independence until they move that much
    (a line is refused instead: its distortion is no mix)."""
    n_bands, n_places = shape
    table = counts.reshape(n_bands, BANDS // n_bands, n_places, PLACES // n_places).sum(axis=(1, 3))
    table = np.where(table >= min_count, table, 0.0)
    total = float(table.sum())
    if total <= 0.0 or rows <= 1:
        return None
    if code_shares is not None:
        moved = band_distortion(code_shares, _band_cdf(table))
        if moved > MAX_DISTORTION:
            # The distortion is linear in a mix with independence: keep the share of the table
            # that moves MAX_DISTORTION, and score what is kept.
            kept = MAX_DISTORTION / moved
            log.debug("bands %dx%d of %s move %.3f of the child's places: %.2f kept", *shape, candidate, moved, kept)
            size = table.sum(axis=1, keepdims=True)
            table = np.where(size > 0, kept * table + (1.0 - kept) * size / n_places, 0.0)
    joint = table / total
    band_share, place_share = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    held = joint > 0
    information = float((joint[held] * np.log(joint[held] / (band_share @ place_share)[held])).sum())
    cells = n_bands * (n_places - 1)
    gain = information * total / rows - description_length(cells, rows)
    cdf = _band_cdf(table).round(6).tolist()
    edges = BAND_EDGES[BANDS // n_bands - 1 :: BANDS // n_bands].tolist()
    regression = Regression(on=candidate.on, rho=0.0, bands=RegressionBands(edges=edges, cdf=cdf))
    return RegressionParent(candidate.child, candidate.parent, regression, gain, cells)


def _band_cdf(table: np.ndarray) -> np.ndarray:
    """Each band's CDF at the inner places from its row of counts; an empty band's is the
    independent one."""
    n_places = table.shape[1]
    size = table.sum(axis=1, keepdims=True)
    independent = np.broadcast_to(np.arange(1, n_places) / n_places, (len(table), n_places - 1))
    return np.where(size > 0, np.cumsum(table, axis=1)[:, :-1] / np.where(size > 0, size, 1.0), independent)


def standardized_sums(sums: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> tuple[float, float, float]:
    """The sums of s', s'^2 and a*s' over all rows, s' = (s - mean[p]) / scale[p] the regressor's
    score standardized inside each parent code p, from the per-code sums of s, s^2 and a*s."""
    n = sums[:, 0]
    s_sum = ((sums[:, 1] - n * mean) / scale).sum()
    s_square = ((sums[:, 2] - 2 * mean * sums[:, 1] + n * mean**2) / scale**2).sum()
    as_sum = ((sums[:, 5] - mean * sums[:, 3]) / scale).sum()
    return float(s_sum), float(s_square), float(as_sum)


def latent_reach(sums: np.ndarray, total: float, a_mean: float, a_var: float) -> float:
    """corr(a, Z): how much of its latent normal Z the child's mid-rank score a carries (1 for a
    continuous child, whose score is its latent; less where point masses put many latent places on one score: 78 % of
    weather's precipitation is 0). The observed correlation of a with a regressor is this times
    the latent one. Below MIN_REACH the data is too coarse to correct: 1."""
    m_mean = sums[:, 6].sum() / total
    z_var = sums[:, 8].sum() / total - m_mean**2
    if z_var <= EDGE:
        return 1.0
    reach = (sums[:, 7].sum() / total - a_mean * m_mean) / math.sqrt(a_var * z_var)
    return reach if MIN_REACH <= reach <= 1.0 + 1e-6 else 1.0


def describe(regression: Regression) -> str:
    """How a regression ties its child to the regressor, for logs and the bench: 'rho -0.44',
    'bands 4x8' (bands x places) or, with a second regressor, '-0.30 x depth + 0.21 x carat'
    (the coefficients of their scores); 'rho -0.29, nulls too' for a line with_nulls."""
    also = regression.also
    if also is not None:
        sign = "-" if also.beta < 0 else "+"
        return f"{also.rho:.2f} x {regression.on} {sign} {abs(also.beta):.2f} x {also.on}"
    if regression.bands is None:
        return f"rho {regression.rho:.2f}" + (", nulls too" if regression.with_nulls else "")
    return f"bands {len(regression.bands.cdf)}x{len(regression.bands.cdf[0]) + 1}"
