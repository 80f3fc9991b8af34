"""Second parents by regression (issue 37, fit/regression.py): a number follows another number
inside its tree parent's codes.

Spark-free tests pin the statistics (the child's conditional PIT, the regressor's standardized
score, rho recovered over many seeds), the candidates, the schema and the plan's per-code arrays;
Spark tests fit the places fixture (latitude and longitude correlated inside each of 50 regions,
uncorrelated over all rows) and check the planted family, the within-region dependence, that the
rows do not depend on partitioning and that conditions stay exact; and the ratings fixture (a mean
rating computed from ten vote shares), whose shares stay in the rating's family."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fixtures.checks import assert_rows_do_not_depend_on_partitions
from fixtures.tables import places, ratings
from pydantic import ValidationError
from scipy.special import ndtri
from scipy.stats import norm, spearmanr

from spark_synth import fit, generate
from spark_synth.fit.regression import (
    BAND_EDGES,
    BANDS,
    MAX_DISTORTION,
    PLACES,
    SHAPES,
    RegressionCandidate,
    band_distortion,
    banded,
    candidates,
    child_scores,
    code_band_shares,
    distortion,
    fitted,
    latent_moments,
    null_shift,
    partition_sums,
    pit_table,
    place_counts,
    score_sums,
)
from spark_synth.model.schema import Dependency, Regression, RegressionBands
from spark_synth.plan.compiler import compile_plan, regression_plan


def _sums(rho: float, groups: int, rows: int, seed: int) -> np.ndarray:
    """Statistics of a child whose normal-scored PIT has correlation rho with its regressor's
    score standardized inside each parent code (each code with its own mean and spread)."""
    rng = np.random.default_rng(seed)
    code = rng.integers(1, groups + 1, rows)
    centre, spread = rng.normal(0, 1, groups + 1), rng.uniform(0.2, 1.5, groups + 1)
    z = rng.standard_normal(rows)
    s = centre[code] + spread[code] * z
    a = rho * z + np.sqrt(1 - rho * rho) * rng.standard_normal(rows)
    return score_sums(code, groups + 1, a, (a, a * a), s)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.3, 0.9])
def test_rho_is_recovered_inside_the_parent_codes(seed, rho):
    found = fitted(RegressionCandidate("c", "p", "q"), _sums(rho, 20, 40_000, seed), 40_000, min_count=10)
    assert found is not None and found.regression.rho == pytest.approx(rho, abs=0.03)
    assert set(found.regression.mean) == set(found.regression.scale)
    if abs(rho) >= 0.3:
        assert found.gain > 0.03
    else:
        assert found.gain < 0.005, "no dependence: the penalty wins"


def test_a_line_that_would_bend_its_childs_marginal_is_refused():
    """Inside each parent code (a month) the regressor (the hour of the year) is a flat slice of
    its scores, and the child (the day of the month) follows it almost exactly. Phi(rho * s' + e)
    of a flat s' is no uniform: the line would put the month's first and last days ~10 % too
    often, so it is refused (bands, which count the child's places, may still serve; before,
    the line kept rho 0.92 with each month's mean and scale)."""
    rng = np.random.default_rng(3)
    rows, months = 40_000, 12
    code = rng.integers(1, months + 1, rows)
    s = ndtri((code - 1 + rng.random(rows)) / months)  # the year's score, a slice per month
    inside = (s - np.array([s[code == m].mean() if m else 0 for m in range(months + 1)])[code]) / np.array(
        [s[code == m].std() if m else 1 for m in range(months + 1)]
    )[code]
    a = ndtri(np.clip(0.5 + (inside / (2 * np.sqrt(3))) * 0.999, 1e-6, 1 - 1e-6))  # the day, uniform in the month
    sums = score_sums(code, months + 1, a, (a, a * a), s)
    found = fitted(RegressionCandidate("day", "month", "time"), sums, rows, min_count=10)
    # at most the line on the regressor's own scores over all rows (normal, weak: rho 0.22) stays
    assert found is None or (not found.regression.mean and abs(found.regression.rho) < 0.5), found
    normal = _sums(0.95, months, rows, 3)  # the same strength with a normal regressor is kept
    kept = fitted(RegressionCandidate("c", "p", "q"), normal, rows, min_count=10)
    assert kept is not None and kept.regression.rho == pytest.approx(0.95, abs=0.02)


@pytest.mark.parametrize(
    ("rho", "variance", "kurtosis", "low", "high"),
    [(0.99, 1.0, 1.8, 0.1, 0.15), (0.9, 1.0, 1.8, 0.05, 0.1), (0.9, 1.0, 3.0, 0.0, 1e-3), (0.3, 1.0, 1.8, 0.0, 0.01)],
)
def test_distortion_of_a_line(rho, variance, kurtosis, low, high):
    """Total variation of the child's places from uniform, checked against a simulation: a flat
    regressor at rho 0.99 moved 0.1085 of the mass (2 million draws), at 0.9 0.063; a normal one
    none; a weak line little."""
    one = np.ones(1)
    assert low <= distortion(one, 0 * one, rho * rho * variance * one, kurtosis * one, math.sqrt(1 - rho * rho)) <= high


def test_a_parent_code_whose_regressor_sits_off_centre_counts_as_distortion():
    """Inside one code the predictor's mean is 1 (a line not standardized there): its rows'
    child places pile up high, though over all codes the shifts cancel."""
    rows = np.array([500.0, 500.0])
    shifted = distortion(rows, np.array([1.0, -1.0]), np.array([0.0, 0.0]), np.array([3.0, 3.0]), math.sqrt(0.5))
    centred = distortion(rows, np.zeros(2), np.array([0.5, 0.5]), np.array([3.0, 3.0]), math.sqrt(0.5))
    assert shifted > 0.2 and centred < 1e-3


def test_codes_under_k_store_no_mean_or_scale():
    sums = _sums(0.5, 5, 5_000, 1)
    sums[3] = [4, 1.0, 2.0, 0.5, 4.0, 0.3, 0.5, 4.0, 4.0, 2.0, 5.0]  # 4 rows: under k
    found = fitted(RegressionCandidate("c", "p", "q"), sums, 5_000, min_count=10)
    assert found is not None and "3" not in found.regression.mean and "3" not in found.regression.scale


def test_the_child_pit_is_its_place_in_the_parent_codes_row_among_non_null_values():
    edges = [0.0, 0.1, 0.4, 0.7, 1.0]  # code 0 null (10 %), then three bins
    below, mass = pit_table({"1": {"0": 0.2, "1": 0.4, "2": 0.4}, "2": {"3": 1.0}}, 3, edges)
    spec = {
        "child": 0,
        "parent": 1,
        "on": 2,
        "parent_codes": 3,
        "child_codes": 4,
        "below": below,
        "mass": mass,
        "on_null": 0.0,
    }
    codes = [np.array([1, 2, 3, 0, 1]), np.array([1, 1, 2, 1, 0]), np.array([1, 1, 1, 1, 1])]
    us = [np.array([0.25, 0.55, 0.85, 0.05, 0.25]), np.zeros(5), np.full(5, 0.5)]
    sums, counts = partition_sums(
        spec, codes, us, [np.asarray(edges), np.array([0, 0.1, 0.5, 1.0]), np.array([0, 1.0])]
    )
    # parent 1: child code 1 at the middle of its bin -> (0.2 + 0.4 * 0.5 - 0.2) / 0.8 = 0.25;
    # code 2 in the middle -> (0.6 + 0.2 - 0.2) / 0.8 = 0.75; parent 2: code 3's middle -> 0.5.
    # The null child (row 4) is left out; parent 0 has no row: the marginal (row 5: code 1's middle).
    assert sums[1, 0] == 2 and sums[2, 0] == 1 and sums[0, 0] == 1
    assert sums[1, 3] == pytest.approx(ndtri(0.25) + ndtri(0.75), abs=1e-9)
    assert sums[2, 3] == pytest.approx(0.0, abs=1e-9)
    assert sums[0, 3] == pytest.approx(ndtri((0.25 - 0.1) / 0.9), abs=1e-9)
    assert np.allclose(sums[:, 1], 0.0), "the regressor sits at its median: score 0"
    # Score 0 is the lower edge of band 4 (of 8); the PITs 1/6, 0.5 and 0.75 fall in places 2, 8
    # and 12 (of 16), and 0.25, on the edge of places 3 and 4, in one of them.
    assert counts.sum() == 4 and counts[4].sum() == 4, np.argwhere(counts)
    assert counts[4, 2] == counts[4, 8] == counts[4, 12] == 1 and counts[4, 3] + counts[4, 4] == 1


def _point_mass_sums(rho: float, zero_share: float, rows: int, seed: int) -> np.ndarray:
    """Statistics of a child with a point mass (its lowest `zero_share` of latent places are one
    value, rain that is mostly 0) whose latent normal has correlation rho with its regressor's
    score; one parent code."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(rows)
    latent = rho * s + np.sqrt(1 - rho * rho) * rng.standard_normal(rows)
    place = norm.cdf(latent)
    tied = place < zero_share
    low, high = np.where(tied, 0.0, place), np.where(tied, zero_share, place)
    a = ndtri(np.where(tied, zero_share / 2, place))
    return score_sums(np.zeros(rows, dtype=np.int64), 1, a, latent_moments(low, high, a), s)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("rho", [-0.6, 0.4, 0.8])
@pytest.mark.parametrize("zero_share", [0.0, 0.5, 0.8])
def test_a_point_mass_child_gets_its_latent_correlation_not_the_scores(seed, rho, zero_share):
    """Mid-rank scores put a whole point mass on one score, so their correlation with a regressor
    is smaller than the latent one (weather: rain is 0 in 78 % of hours); the fit undoes that."""
    sums = _point_mass_sums(rho, zero_share, 40_000, seed)
    found = fitted(RegressionCandidate("c", "p", "q"), sums, 40_000, min_count=10)
    assert found is not None and found.regression.rho == pytest.approx(rho, abs=0.04)
    a_mean = sums[0, 3] / sums[0, 0]
    observed = (sums[0, 5] / sums[0, 0] - a_mean * sums[0, 1] / sums[0, 0]) / np.sqrt(
        (sums[0, 4] / sums[0, 0] - a_mean**2) * (sums[0, 2] / sums[0, 0] - (sums[0, 1] / sums[0, 0]) ** 2)
    )
    if zero_share >= 0.5:
        assert abs(observed) < 0.95 * abs(rho), "the scores alone understate it"


def test_place_counts_band_the_regressor_and_share_a_point_mass_among_its_places():
    band = np.searchsorted(BAND_EDGES, np.array([-3.0, 0.0, 3.0, 3.0]), side="right")
    assert band.tolist() == [0, 4, 7, 7], "equal-probability bands of a normal; an edge starts its band"
    counts = place_counts(band, np.array([0.01, 0.0, 0.5, 0.999]), np.array([0.01, 0.5, 0.5, 0.999]))
    assert counts[0, 0] == 1 and counts[7, 8] == 1 and counts[7, PLACES - 1] == 1
    assert np.allclose(counts[4, :8], 1 / 8) and counts[4, 8:].sum() == 0, "rain's zeros span half the places"
    assert counts.sum() == pytest.approx(4.0)


def _band_statistics(child: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums and place counts of one parent code for a child's values and a regressor's
    scores, the child's PIT its mid-rank."""
    from scipy.stats import rankdata

    pit = (rankdata(child) - 0.5) / len(child)
    a = ndtri(pit)
    zeros = np.zeros(len(child), dtype=np.int64)
    return score_sums(zeros, 1, a, (a, a * a), s), place_counts(np.searchsorted(BAND_EDGES, s, side="right"), pit, pit)


@pytest.mark.parametrize("seed", range(3))
def test_bands_carry_a_spread_that_changes_with_the_regressor_and_a_line_stays_a_line(seed):
    """Heteroscedastic: the child's spread triples in the regressor's top quarter, its mean
    unmoved (correlation near 0: a line gains nothing); bands find it. A plain Gaussian pair keeps
    its correlation, which gains more than any bands; independence gains nothing."""
    rng = np.random.default_rng(seed)
    rows, candidate = 40_000, RegressionCandidate("c", "p", "q")
    s = rng.standard_normal(rows)
    spread = np.where(s > ndtri(0.75), 3.0, 1.0)
    sums, counts = _band_statistics(spread * rng.standard_normal(rows), s)
    found = fitted(candidate, sums, rows, 10)
    assert found is None or found.gain < 0.005, "no correlation: a line does not pay"
    banded = fitted(candidate, sums, rows, 10, counts)
    assert banded is not None and banded.regression.bands is not None and banded.gain > 0.02
    cdf = np.asarray(banded.regression.bands.cdf)
    middle = cdf.shape[1] // 2
    assert cdf[-1, 0] > cdf[0, 0] + 0.05 and abs(cdf[-1, middle] - cdf[0, middle]) < 0.05, "wider, same centre"
    sums, counts = _band_statistics(0.9 * s + np.sqrt(0.19) * rng.standard_normal(rows), s)
    line = fitted(candidate, sums, rows, 10, counts)
    assert line is not None and line.regression.bands is None and line.regression.rho == pytest.approx(0.9, abs=0.02)
    sums, counts = _band_statistics(rng.standard_normal(rows), s)
    alone = fitted(candidate, sums, rows, 10, counts)
    assert alone is None or alone.gain < 0.005, "independent: the penalty wins"


def test_bands_store_no_cell_seen_fewer_than_k_times():
    rng = np.random.default_rng(4)
    s = rng.standard_normal(2_000)
    child = np.where(s > 1.2, 5.0, 0.0) + rng.standard_normal(2_000)
    sums, counts = _band_statistics(child, s)
    found = fitted(RegressionCandidate("c", "p", "q"), sums, 2_000, 30, counts)
    assert found is not None and found.regression.bands is not None
    bands = found.regression.bands
    places = len(bands.cdf[0]) + 1
    table = counts.reshape(len(bands.cdf), BANDS // len(bands.cdf), places, PLACES // places).sum(axis=(1, 3))
    for row, kept in zip(table, np.diff(np.asarray(bands.cdf), axis=1, prepend=0.0, append=1.0)):
        if row.sum() > 0 and (row >= 30).any():
            assert np.array_equal(kept > 1e-9, row >= 30), "a place holds mass only where k rows were seen"


def _two_codes_apart(centre: float, rows: int = 40_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two parent codes whose regressor sits at -centre and +centre (spread 0.4), the child
    following it closely inside each: the codes, the regressor's scores, the sums and the place
    counts (the child's PIT its mid-rank inside its code)."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(1)
    code = rng.integers(0, 2, rows)
    z = rng.standard_normal(rows)
    s = np.where(code == 0, -centre, centre) + 0.4 * z
    child = 0.9 * z + 0.44 * rng.standard_normal(rows)
    pit = np.empty(rows)
    for c in (0, 1):
        pit[code == c] = (rankdata(child[code == c]) - 0.5) / (code == c).sum()
    a = ndtri(pit)
    sums = score_sums(code, 2, a, (a, a * a), s)
    return code, s, sums, place_counts(np.searchsorted(BAND_EDGES, s, side="right"), pit, pit)


@pytest.mark.parametrize("centre", [0.5, 1.0])
def test_band_distortion_is_what_the_engine_draws_inside_each_code(centre):
    """The band table is pooled over the parent codes. With the regressor at -0.5 in one code and
    +0.5 in the other, the middle bands hold one code's high places and the other's low ones, so
    inside each code the drawn places are no longer uniform: predicted from the codes' sums, and
    measured by drawing each real row's place from its band's CDF (13 % at 0.5, 1 % at 1.0,
    where the codes share few bands)."""
    code, s, sums, counts = _two_codes_apart(centre)
    found = banded(RegressionCandidate("c", "p", "q"), counts, len(s), 10, (8, 8))
    assert found is not None and found.regression.bands is not None
    cdf = np.asarray(found.regression.bands.cdf)
    shares = np.diff(np.concatenate([np.zeros((8, 1)), cdf, np.ones((8, 1))], axis=1), axis=1)
    drawn = shares[np.searchsorted(found.regression.bands.edges, s, side="right")]
    measured = sum(0.5 * np.abs(drawn[code == c].mean(axis=0) - 1 / 8).sum() * (code == c).mean() for c in (0, 1))
    assert band_distortion(code_band_shares(sums), cdf) == pytest.approx(measured, abs=0.005)


def test_bands_that_would_bend_their_childs_marginal_are_mixed_with_independence():
    """Airports' elevation under the time zone, banded on the longitude the zone nearly fixes,
    lost 0.009 of Column Shapes. Bands that would move more than MAX_DISTORTION of the child's
    places keep only the share of their table that moves that much (13 % would move here: about
    15 % is kept), and gain less; with both codes' regressor centred they are left whole."""
    candidate = RegressionCandidate("c", "p", "q")
    code, s, sums, counts = _two_codes_apart(0.5)
    shares = code_band_shares(sums)
    for shape in SHAPES:
        whole = banded(candidate, counts, len(s), 10, shape)
        mixed = banded(candidate, counts, len(s), 10, shape, shares)
        assert whole is not None and mixed is not None and mixed.regression.bands is not None
        cdf = np.asarray(mixed.regression.bands.cdf)
        assert band_distortion(shares, np.asarray(whole.regression.bands.cdf)) > 0.1
        assert band_distortion(shares, cdf) == pytest.approx(MAX_DISTORTION, abs=1e-4)
        assert mixed.gain < 0.1 * whole.gain
        n_places = cdf.shape[1] + 1
        place = np.diff(np.concatenate([np.zeros((len(cdf), 1)), cdf, np.ones((len(cdf), 1))], axis=1), axis=1)
        drawn = place[np.searchsorted(mixed.regression.bands.edges, s, side="right")]
        measured = sum(
            0.5 * np.abs(drawn[code == c].mean(axis=0) - 1 / n_places).sum() * (code == c).mean() for c in (0, 1)
        )
        assert measured <= MAX_DISTORTION + 0.003, "as drawn from the real rows' bands"
    _, s, sums, counts = _two_codes_apart(0.0)
    for shape in SHAPES:
        whole = banded(candidate, counts, len(s), 10, shape)
        checked = banded(candidate, counts, len(s), 10, shape, code_band_shares(sums))
        assert whole is not None and checked is not None and checked.regression == whole.regression


def test_a_band_table_is_checked_like_the_rest_of_the_model():
    with pytest.raises(ValidationError, match="rise strictly"):
        RegressionBands(edges=[0.5, 0.0], cdf=[[0.5], [0.5], [0.5]])
    with pytest.raises(ValidationError, match="cdf rows"):
        RegressionBands(edges=[0.0], cdf=[[0.5], [0.5], [0.5]])
    with pytest.raises(ValidationError, match="nondecreasing"):
        RegressionBands(edges=[0.0], cdf=[[0.6, 0.5], [0.1, 0.2]])
    with pytest.raises(ValidationError, match="rho is 0"):
        Regression(on="x", rho=0.4, bands=RegressionBands(edges=[0.0], cdf=[[0.5], [0.5]]))


def test_latent_moments_are_the_truncated_normals():
    mean, square = latent_moments(np.array([0.0, 0.5, 0.3]), np.array([0.5, 1.0, 0.3]), np.array([9.0, 9.0, 0.1]))
    assert mean[0] == pytest.approx(-np.sqrt(2 / np.pi), abs=1e-6) and mean[1] == pytest.approx(np.sqrt(2 / np.pi))
    assert square[0] == pytest.approx(1.0, abs=1e-6) and square[1] == pytest.approx(1.0, abs=1e-6)
    assert mean[2] == 0.1 and square[2] == pytest.approx(0.01), "no span: the score itself"


def test_candidates_are_numbers_before_the_child_off_the_tree_or_next_to_its_parent():
    names = ["g", "x", "y", "z", "w"]
    correlation = np.eye(5)
    correlation[1, 2] = correlation[2, 1] = 0.8  # x - y: an edge
    correlation[1, 3] = correlation[3, 1] = 0.1  # z hangs from g, yet follows x
    correlation[2, 3] = correlation[3, 2] = 0.6
    order = ["g", "x", "y", "z", "w"]
    parent_of = {"y": "x", "z": "g", "w": "g", "x": "g"}
    numeric = {"x", "y", "z", "w"}
    codes = dict.fromkeys(names, 10)
    found = candidates(order, parent_of, numeric, names, correlation, codes)
    assert RegressionCandidate("z", "g", "y") in found, "real 0.6 where the tree implies 0"
    assert RegressionCandidate("w", "g", "z") in found and RegressionCandidate("w", "g", "x") in found, "siblings"
    assert all(c.child in numeric and c.on in numeric and c.on != c.parent for c in found)
    assert all(order.index(c.on) < order.index(c.child) for c in found)
    assert not any(c.child == "g" or c.on == "g" for c in found), "a category is neither"
    assert candidates(order, parent_of, numeric, names, correlation, dict.fromkeys(names, 300)) == []


def test_a_regression_is_a_number_on_a_number_and_not_beside_a_second_table():
    with pytest.raises(ValidationError, match="rho"):
        Regression(on="x", rho=1.0)
    with pytest.raises(ValidationError, match="same parent codes"):
        Regression(on="x", rho=0.5, mean={"1": 0.1}, scale={})
    base = dict(parent="g", child="y", mutual_information=0.1, table={"1": {"1": 1.0}})
    with pytest.raises(ValidationError, match="not both"):
        Dependency(
            **base,
            second_parent="x",
            second_table={"1,1": {"1": 1.0}},
            regression=Regression(on="x", rho=0.5),
        )
    with pytest.raises(ValidationError, match="another column"):
        Dependency(**base, regression=Regression(on="g", rho=0.5))
    with pytest.raises(ValidationError, match="with_nulls is a line"):
        Regression(on="x", rho=0.0, bands=RegressionBands(edges=[0.0], cdf=[[0.5], [0.5]]), with_nulls=True)
    assert Dependency(**base, regression=Regression(on="x", rho=0.5)).extra_parent == "x"


def test_the_plan_carries_per_code_means_and_null_shares():
    first = {"row_start": [0, 0, 2, 3], "cumulative": [0.25, 1.0, 1.0], "children": [0, 2, 1]}
    plan = regression_plan(Regression(on="x", rho=-0.4, mean={"2": 0.5}, scale={"2": 0.8}), {"x": 4}, 3, first)
    assert plan == {
        "parent": 4,
        "rho": -0.4,
        "mean": [0.0, 0.0, 0.5],
        "scale": [1.0, 1.0, 0.8],
        "null_share": [-1.0, 0.25, 0.0],
        "bands": None,
        "with_nulls": False,
        "also": None,
    }
    bands = RegressionBands(edges=[0.0], cdf=[[0.9], [0.1]])
    plan = regression_plan(Regression(on="x", rho=0.0, bands=bands), {"x": 4}, 3, first)
    assert plan["bands"] == {"edges": [0.0], "cdf": [[0.9], [0.1]]} and plan["rho"] == 0.0


# --- Spark: the places fixture ------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(spark):
    real = places(rows=20_000, seed=2)
    frame = spark.createDataFrame(real).cache()
    return real, fit(frame, table="places"), fit(frame, table="places", max_parents=1)


def _within_region(rows) -> float:
    """Mean Spearman correlation of latitude and longitude inside each region."""
    groups = [g for _, g in rows.groupby("region") if len(g) >= 30]
    return float(np.mean([spearmanr(g.latitude, g.longitude)[0] for g in groups]))


def test_latitude_and_longitude_follow_each_other_inside_their_region(spark, planted):
    real, model, tree = planted
    (regressed,) = [d for d in model.spec.dependencies if d.regression is not None]
    assert regressed.parent == "region" and {regressed.child, regressed.regression.on} == {"latitude", "longitude"}
    assert regressed.regression.rho > 0.6
    assert all(d.regression is None for d in tree.spec.dependencies), "max_parents=1: the tree"
    held = _within_region(real)
    with_regression = _within_region(generate(spark, model, rows=20_000, seed=4).toPandas())
    with_tree = _within_region(generate(spark, tree, rows=20_000, seed=4).toPandas())
    assert held > 0.75 and with_regression > held - 0.12, f"real {held:.2f}, generated {with_regression:.2f}"
    assert with_tree < 0.1, "a one-parent tree loses the pair inside the region"


def test_rows_with_a_regression_do_not_depend_on_partitions(spark, planted):
    _, model, _ = planted
    assert_rows_do_not_depend_on_partitions(spark, model, rows=20_000)


def test_conditions_keep_the_regression_where_no_evidence_reaches_it_and_stay_exact(spark, planted):
    _, model, _ = planted
    (child,) = [d.child for d in model.spec.dependencies if d.regression is not None]
    rows = generate(spark, model, rows=4_000, seed=1, where=["region = R07"]).toPandas()
    assert len(rows) == 4_000 and set(rows.region) == {"R07"}
    assert spearmanr(rows.latitude, rows.longitude)[0] > 0.6, "the condition is above the family: it holds"
    assert '"regression"' in compile_plan(model, 1_000, conditions=None)
    low = float(rows[child].median())
    rows = generate(spark, model, rows=4_000, seed=1, where=[f"{child} <= {low}"]).toPandas()
    assert len(rows) == 4_000 and (rows[child] <= low).all(), "a condition on the child: exact, by the tree"


def test_the_ratings_fixture_keeps_the_mean_rating_with_its_vote_shares(spark):
    """Planted: the mean rating is computed from ten vote shares (and dramas rate higher); each
    share's family holds the rating, and the generated rating follows the shares as the real one."""
    real = ratings(rows=5_000, seed=3)
    model = fit(spark.createDataFrame(real), table="ratings")
    families = {d.child: {d.parent, d.extra_parent} - {None} for d in model.spec.dependencies}
    for share in (f"r{i}" for i in range(1, 11)):
        assert "rating" in families.get(share, set()) or share in families.get("rating", set()), share
    made = generate(spark, model, rows=5_000, seed=3).toPandas()
    for other, tolerance in (("r1", 0.05), ("r10", 0.05), ("drama", 0.1)):
        held = spearmanr(real.rating, real[other])[0]
        kept = spearmanr(made.rating, made[other].astype(float))[0]
        assert abs(held - kept) < tolerance, f"rating ~ {other}: real {held:.2f}, generated {kept:.2f}"


def test_the_engine_draws_a_child_from_the_band_its_regressor_falls_in(spark):
    """Plan v16 bands, set by hand to the sharpest table there is: a regressor below its median
    puts the child in the lower half of its place inside its parent's code, above it in the upper
    half. The real pair is independent; the generated one must split exactly so, row by row."""
    import pandas as pd

    from spark_synth.model.io import SynthModel
    from spark_synth.model.schema import generation_order

    rng = np.random.default_rng(7)
    group = rng.integers(0, 5, 8_000)
    real = pd.DataFrame(
        {"g": [f"G{i}" for i in group], "y": 10.0 * group + rng.standard_normal(8_000), "x": rng.standard_normal(8_000)}
    )
    model = fit(spark.createDataFrame(real), table="bands", max_parents=1)
    spec = model.spec
    order = generation_order(list(spec.copula.columns), spec.dependencies)
    (child,) = [d for d in spec.dependencies if d.child == "y"]
    assert child.parent == "g" and order.index("x") < order.index("y"), order
    bands = RegressionBands(edges=[0.0], cdf=[[1.0], [0.0]])
    tied = child.model_copy(update={"regression": Regression(on="x", rho=0.0, bands=bands)})
    model = SynthModel(spec.model_copy(update={"dependencies": [tied if d is child else d for d in spec.dependencies]}))
    made = generate(spark, model, rows=8_000, seed=3).toPandas()
    high_x = made.x >= made.x.median()
    high_y = made.y >= made.groupby("g").y.transform("median")
    assert (high_x == high_y).mean() > 0.97, "the regressor's band picks the child's half"
    assert made.groupby("g").y.mean().round(0).tolist() == [0.0, 10.0, 20.0, 30.0, 40.0], "P(child | parent) kept"
    assert_rows_do_not_depend_on_partitions(spark, model, rows=8_000)


def test_the_engine_lets_a_line_with_nulls_decide_which_rows_are_null(spark):
    """Plan v18 with_nulls, set by hand: the child is null in half of each group's rows, at
    random in the real table. With its nulls as the lowest places of the line on x (rho 0.9),
    the rows with a low x are the null ones, the null share of each group is kept, and the
    values drawn are still their group's; the same line without with_nulls leaves the nulls at
    random."""
    import pandas as pd

    from spark_synth.model.io import SynthModel
    from spark_synth.model.schema import generation_order

    rng = np.random.default_rng(5)
    group = rng.integers(0, 3, 12_000)
    y = np.where(rng.random(12_000) < 0.5, np.nan, 10.0 * group + rng.standard_normal(12_000))
    real = pd.DataFrame({"g": [f"G{i}" for i in group], "x": rng.standard_normal(12_000), "y": y})
    spec = fit(spark.createDataFrame(real), table="nulls", max_parents=1).spec
    order = generation_order(list(spec.copula.columns), spec.dependencies)
    (child,) = [d for d in spec.dependencies if d.child == "y"]
    assert child.parent == "g" and order.index("x") < order.index("y"), order
    for with_nulls in (True, False):
        line = Regression(on="x", rho=0.9, with_nulls=with_nulls)
        tied = child.model_copy(update={"regression": line})
        model = SynthModel(
            spec.model_copy(update={"dependencies": [tied if d is child else d for d in spec.dependencies]})
        )
        made = generate(spark, model, rows=12_000, seed=3).toPandas()
        low, high = made[made.x < 0].y.isna().mean(), made[made.x >= 0].y.isna().mean()
        if with_nulls:
            assert low > 0.8 and high < 0.2, (low, high)
        else:
            assert abs(low - high) < 0.04, (low, high)
        shares = made.groupby("g").y.apply(lambda v: v.isna().mean())
        assert (shares - 0.5).abs().max() < 0.03, shares
        assert made.groupby("g").y.mean().round(0).tolist() == [0.0, 10.0, 20.0]
    assert_rows_do_not_depend_on_partitions(spark, model, rows=6_000)


def test_a_line_with_nulls_finds_a_regressor_that_decides_the_nulls():
    """Inside each parent code the child is null where a latent normal, 0.7 x s' + noise, falls
    below its code's null share, and its value is that latent otherwise. Among the non-null rows
    alone the correlation is what selection left (about 0.4); counted with its nulls as the
    lowest places, the line gets the latent 0.7 back and gains more."""
    rng = np.random.default_rng(2)
    rows, codes = 60_000, 4
    code = rng.integers(1, codes + 1, rows)
    null_share = np.array([0.0, 0.2, 0.4, 0.6, 0.8])[code]
    s = rng.standard_normal(rows)
    latent = 0.7 * s + math.sqrt(1 - 0.49) * rng.standard_normal(rows)
    null = norm.cdf(latent) < null_share
    # the child's PIT under its code's row: nulls span [0, null share), values above
    whole = norm.cdf(latent)
    low, high = np.where(null, 0.0, whole), np.where(null, null_share, whole)
    a_all = ndtri(np.clip(np.where(null, null_share / 2, whole), 1e-9, 1 - 1e-9))
    sums_all = score_sums(code, codes + 1, a_all, latent_moments(low, high, a_all), s)
    inside = (whole[~null] - null_share[~null]) / (1 - null_share[~null])
    a = ndtri(np.clip(inside, 1e-9, 1 - 1e-9))
    sums = score_sums(code[~null], codes + 1, a, (a, a * a), s[~null])
    shares = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    candidate = RegressionCandidate("y", "p", "x", with_nulls=True)
    assert fitted(candidate, sums_all, rows, min_count=10) is None, "no null shares to keep: refused"
    with_nulls = fitted(candidate, sums_all, rows, min_count=10, null_share=shares)
    plain = fitted(RegressionCandidate("y", "p", "x"), sums, rows, min_count=10)
    assert with_nulls is not None and with_nulls.regression.with_nulls
    assert with_nulls.regression.rho == pytest.approx(0.7, abs=0.04)
    assert plain is not None and not plain.regression.with_nulls and plain.regression.rho < 0.55
    assert with_nulls.gain > plain.gain + 0.05


def test_a_line_with_nulls_that_would_move_the_null_share_is_refused():
    """Inside one code the regressor sits off centre (not standardized there): its rows fall
    below the code's null share far more often than the share says, and the line is refused;
    standard normal codes keep their shares."""
    rng = np.random.default_rng(4)
    rows = 20_000
    code = rng.integers(1, 3, rows)
    s = rng.standard_normal(rows) + np.where(code == 2, 1.5, 0.0)
    a = 0.5 * s + rng.standard_normal(rows)
    sums = score_sums(code, 3, a, (a, a * a), s)
    shares = np.array([0.0, 0.3, 0.3])
    zero, one = np.zeros(3), np.ones(3)
    assert null_shift(0.5, sums, zero, one, shares) > 0.05
    centred = score_sums(code, 3, a, (a, a * a), rng.standard_normal(rows))
    assert null_shift(0.5, centred, zero, one, shares) < 0.003
    assert null_shift(0.5, sums, np.array([0.0, 0.0, 1.5]), one, shares) < 0.003, "standardized: kept"


def test_the_child_scores_with_nulls_span_each_codes_null_share():
    """With its nulls as the lowest places, a null child's PIT spans [0, its code's null share)
    and a value's PIT is its place in the whole row, not among the non-null values."""
    table = {"1": {"0": 0.25, "1": 0.75}, "2": {"0": 0.5, "1": 0.5}}
    below, mass = pit_table(table, 3, [0.0, 0.4, 1.0])
    spec = {"child": 1, "parent": 0, "parent_codes": 3, "child_codes": 2, "below": below, "mass": mass}
    codes = [np.array([1, 1, 2, 2]), np.array([0, 1, 0, 1])]
    us = [np.zeros(4), np.array([0.2, 0.7, 0.2, 0.7])]
    edges = [np.array([0.0, 1.0]), np.array([0.0, 0.4, 1.0])]
    a, _, (low, high) = child_scores(spec, codes, us, edges, with_nulls=True)
    assert low.tolist() == [0.0, pytest.approx(0.625), 0.0, pytest.approx(0.75)]
    assert high.tolist() == [0.25, pytest.approx(0.625), 0.5, pytest.approx(0.75)]
    assert a[0] == pytest.approx(ndtri(0.125)) and a[2] == pytest.approx(ndtri(0.25))
    plain, _, _ = child_scores(spec, codes, us, edges)
    assert plain[1] == pytest.approx(ndtri(0.5)) and plain[3] == pytest.approx(ndtri(0.5))


def test_an_ordered_category_may_regress_but_a_string_category_may_not():
    names = ["x", "years", "label"]
    correlation = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.0], [0.4, 0.0, 1.0]])
    parent_of = {"years": "g", "label": "g"}
    found = candidates(
        ["g", "x", "years", "label"],
        parent_of,
        {"x"},
        ["g", *names],
        np.pad(correlation, ((1, 0), (1, 0))) + np.diag([1, 0, 0, 0]),
        dict.fromkeys(["g", *names], 10),
        ordered={"years"},
    )
    assert {c.child for c in found} == {"years"}, "a category of numbers, not a string category"


def _wages(rows: int, seed: int):
    """Wages rising with education (years, 13 values: a category) and with experience, while the
    more experienced are less educated (CPS1988's shape)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    experience = rng.integers(0, 45, rows)
    education = np.clip(np.round(14 - 0.06 * experience + rng.normal(0, 2.2, rows)), 6, 18).astype(int)
    wage = np.round(np.exp(5.0 + 0.12 * education + 0.025 * experience + rng.normal(0, 0.4, rows)), 2)
    return pd.DataFrame({"wage": wage, "experience": experience, "education": education})


def test_education_in_years_follows_experience_inside_the_wage(spark):
    """Education (13 values, a category) hangs from the wage in the tree; inside each wage bin the
    more experienced are less educated, which the tree path through the wage turns around."""
    real = _wages(12_000, 5)
    frame = spark.createDataFrame(real)
    model = fit(frame, table="wages")
    assert model.column("education").kind == "categorical"
    (regressed,) = [d for d in model.spec.dependencies if d.regression is not None]
    assert regressed.child == "education" and regressed.regression.on == "experience"
    made = generate(spark, model, rows=12_000, seed=6).toPandas()
    tree = generate(spark, fit(frame, table="wages", max_parents=1), rows=12_000, seed=6).toPandas()
    for other, tolerance in (("experience", 0.13), ("wage", 0.08)):  # measured: 0.11 and 0.03
        held = spearmanr(real[other], real.education)[0]
        kept = spearmanr(made[other], made.education)[0]
        assert abs(held - kept) < tolerance, f"{other} ~ education: real {held:.2f}, generated {kept:.2f}"
    held = spearmanr(real.experience, real.education)[0]
    assert held < -0.25 and spearmanr(tree.experience, tree.education)[0] > held + 0.3, "the tree alone"


def test_codes_u_and_ties_agree_with_codes_and_u():
    """The regression pass decodes a child once for its codes, u and point-mass spans: the codes
    and u are pass 2's, and a point mass's span holds its mid-rank u."""
    from spark_synth.model.marginals import UniformScale
    from spark_synth.model.schema import NumericColumn, QuantileFunction

    column = NumericColumn(
        name="rain",
        spark_type='"double"',
        kind="continuous",
        null_fraction=0.1,
        quantiles=QuantileFunction(probabilities=[0.0, 0.5, 0.9, 1.0], values=[0.0, 0.0, 0.3, 1.2]),
        min=0.0,
        max=1.2,
    )
    scale = UniformScale(column, 8)
    x = np.array([0.0, 0.1, 0.3, 1.2, 0.0])
    is_null = np.array([False, False, False, False, True])
    codes, u = scale.numeric_codes_and_u(x, is_null)
    same_codes, same_u, (low, high) = scale.numeric_codes_u_and_ties(x, is_null)
    assert np.array_equal(codes, same_codes) and np.allclose(u, same_u)
    assert low[0] == pytest.approx(0.1) and high[0] == pytest.approx(0.55), "0 spans the first half of the values"
    assert np.all(low <= same_u) and np.all(same_u <= high) and low[1] == high[1] == same_u[1]
