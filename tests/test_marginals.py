"""The shared u scale: fit's codes and generate's codes must agree (no Spark needed)."""

from __future__ import annotations

import numpy as np
import pytest

from spark_synth.model.marginals import GuideTable, UniformScale, cdf_mid, cdf_right, finish_values, quantile
from spark_synth.model.schema import CategoricalColumn, NumericColumn, QuantileFunction


def numeric_column(values: np.ndarray, null_fraction: float = 0.0) -> NumericColumn:
    probs = np.linspace(0, 1, 65)
    q = np.quantile(values, probs)
    return NumericColumn(name="x", spark_type='"long"', kind="integer", null_fraction=null_fraction,
                         quantiles=QuantileFunction(probabilities=list(probs), values=list(q)),
                         min=float(q[0]), max=float(q[-1]))


@pytest.mark.parametrize("seed", range(20))
def test_guide_table_matches_searchsorted(seed):
    rng = np.random.default_rng(seed)
    masses = rng.dirichlet(np.full(rng.integers(1, 300), 0.3))
    uppers = np.cumsum(masses)
    uppers[-1] = 1.0
    u = rng.random(5000)
    expected = np.minimum(np.searchsorted(uppers, u, side="right"), len(uppers) - 1)
    assert np.array_equal(GuideTable(uppers).lookup(u), expected)


@pytest.mark.parametrize("seed", range(10))
def test_codes_of_generated_values_match_their_uniforms(seed):
    """A value drawn from code c's slice of u must be coded c again by the fit-side coder,
    also for point masses (discrete data)."""
    rng = np.random.default_rng(seed)
    data = rng.poisson(rng.uniform(0.5, 30), 10_000).astype(float)
    column = numeric_column(data, null_fraction=float(rng.uniform(0, 0.3)))
    scale = UniformScale(column, bins=16)
    u = rng.random(20_000)
    codes = scale.code_of_uniform(u)
    values = finish_values(column, scale.non_null_position(u))
    refit_codes, _ = scale.numeric_codes_and_u(values, codes == 0)
    agree = np.mean(refit_codes == codes)
    assert agree > 0.995, agree


def test_cdf_inverts_quantile_on_continuous_data():
    rng = np.random.default_rng(1)
    column = numeric_column(rng.normal(size=50_000))
    v = rng.random(1000)
    x = quantile(column.quantiles, v)
    assert np.allclose(cdf_mid(column.quantiles, x), v, atol=1e-9)
    assert np.allclose(cdf_right(column.quantiles, x), v, atol=1e-9)


def test_categorical_scale_puts_nulls_first_and_other_last():
    column = CategoricalColumn(name="c", spark_type='"string"', kind="categorical", null_fraction=0.2,
                               values=["a", "b"], probabilities=[0.5, 0.25], other_probability=0.25,
                               pattern={"shapes": [{"shape": "a", "probability": 1.0, "positions": [None]}]})
    scale = UniformScale(column, bins=8)
    assert scale.n_codes == 4
    assert np.allclose(scale.edges, [0.0, 0.2, 0.6, 0.8, 1.0])
    assert list(scale.code_of_uniform(np.array([0.1, 0.3, 0.7, 0.9]))) == [0, 1, 2, 3]
