"""Tails that keep their mass by value range and store no extreme seen fewer than k times
(issue 36, item 4). Spark-free: the fit's quantile points from exact value counts, and shares
read off the piecewise-linear function the engine evaluates (docs/plan.md §7)."""

from __future__ import annotations

import numpy as np
import pytest

from spark_synth.fit.histogram import Histogram
from spark_synth.fit.profile import QUANTILE_GRID
from spark_synth.fit.tails import EXTRAPOLATED_HALVINGS, safe_tail_quantiles

K = 5


def _histogram(values: np.ndarray) -> Histogram:
    distinct, counts = np.unique(values, return_counts=True)
    return Histogram(counts=counts.astype(np.int64), lows=distinct, highs=distinct)


def _share_beyond(probabilities: list[float], values: list[float], cut: float) -> float:
    """1 - F(cut) for the function that interpolates (probabilities, values) linearly."""
    p, v = np.asarray(probabilities), np.asarray(values)
    if cut >= v[-1]:
        return 0.0
    return float(1 - np.interp(cut, v, p, left=0.0))


@pytest.mark.parametrize("seed", range(6))
def test_a_heavy_tail_keeps_its_mass_beyond_each_high_percentile(seed):
    rng = np.random.default_rng(seed)
    real = np.round((rng.pareto(2.5, 1_000_000) + 1) * 20, 2)
    probabilities, values = safe_tail_quantiles(_histogram(real), QUANTILE_GRID, K)
    for level in (0.999, 0.9999, 0.99999):
        cut = np.quantile(real, level, method="inverted_cdf")
        real_share = float(np.mean(real > cut))
        assert real_share / 1.5 <= _share_beyond(probabilities, values, cut) <= 1.5 * real_share, level


@pytest.mark.parametrize("seed", range(6))
def test_a_few_data_entry_values_are_neither_stored_nor_a_plateau(seed):
    rng = np.random.default_rng(seed)
    real = np.round(rng.lognormal(np.log(100), 0.25, 400_000))
    extremes = [5_000.0, 9_500.0, 12_000.0, 13_682.0]  # fewer than k, far above p99.99
    real[:4] = extremes
    probabilities, values = safe_tail_quantiles(_histogram(real), QUANTILE_GRID, K)
    assert not set(extremes) & set(values), "no extreme seen fewer than k times is stored"
    assert max(values) < min(extremes), "the end is extrapolated from k-safe points, not the raw maximum"
    cut = 463.0
    real_share = float(np.mean(real > cut))  # the 4 extremes: 1e-5
    assert _share_beyond(probabilities, values, cut) <= 1.5 * real_share
    assert probabilities[0] == 0.0 and probabilities[-1] == 1.0
    assert np.all(np.diff(values) >= 0) and np.all(np.diff(probabilities) >= 0)


def test_a_bound_many_rows_sit_on_stays_the_bound():
    rng = np.random.default_rng(1)
    humidity = np.minimum(np.round(rng.normal(70, 20, 50_000), 1), 100.0)  # 7 % at exactly 100
    probabilities, values = safe_tail_quantiles(_histogram(humidity), QUANTILE_GRID, K)
    assert values[-1] <= 100.0
    assert len(probabilities) == len(values) >= len(QUANTILE_GRID)


def test_too_few_rows_keep_the_plain_grid():
    """Under 2,000 k rows, k/n lies inside the plain grid's deepest tail point (0.0005)."""
    assert safe_tail_quantiles(_histogram(np.arange(9_000.0)), QUANTILE_GRID, K) is None
    probabilities, _ = safe_tail_quantiles(_histogram(np.arange(20_000.0)), QUANTILE_GRID, K)
    low_points = [p for p in probabilities if 0 < p < K / 20_000]
    assert len(low_points) == EXTRAPOLATED_HALVINGS, "only extrapolated points lie closer than k/n to an end"


def test_an_integer_columns_extremes_are_not_stored(spark):
    from spark_synth import fit

    rng = np.random.default_rng(3)
    delays = np.round(rng.exponential(15, 20_000)).astype(np.int64)
    delays[:3] = [1_301, 1_137, 1_126]  # fewer than k, far past the rest
    model = fit(spark.createDataFrame([(int(x),) for x in delays], "delay long"), table="delays")
    column = model.column("delay")
    assert column.kind == "integer"
    assert all(isinstance(v, int) for v in column.quantiles.values)
    assert column.max < 1_126 and column.max >= np.sort(delays)[-K - 1]
    assert not {1_301, 1_137, 1_126} & set(column.quantiles.values)
