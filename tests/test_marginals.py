"""The shared u scale on the fit side (the engine side is checked in test_engine.py)."""

from __future__ import annotations

import numpy as np

from spark_synth.model.marginals import UniformScale, cdf_mid, cdf_right, quantile
from spark_synth.model.schema import CategoricalColumn, NumericColumn, QuantileFunction


def numeric_column(values: np.ndarray, null_fraction: float = 0.0) -> NumericColumn:
    probs = np.linspace(0, 1, 65)
    q = np.quantile(values, probs)
    return NumericColumn(
        name="x",
        spark_type='"double"',
        kind="continuous",
        null_fraction=null_fraction,
        quantiles=QuantileFunction(probabilities=list(probs), values=list(q)),
        min=float(q[0]),
        max=float(q[-1]),
    )


def test_cdf_inverts_quantile_on_continuous_data():
    rng = np.random.default_rng(1)
    column = numeric_column(rng.normal(size=50_000))
    v = rng.random(1000)
    x = quantile(column.quantiles, v)
    assert np.allclose(cdf_mid(column.quantiles, x), v, atol=1e-9)
    assert np.allclose(cdf_right(column.quantiles, x), v, atol=1e-9)


def test_categorical_scale_puts_nulls_first_and_other_last():
    column = CategoricalColumn(
        name="c",
        spark_type='"string"',
        kind="categorical",
        null_fraction=0.2,
        values=["a", "b"],
        probabilities=[0.5, 0.25],
        other_probability=0.25,
        pattern={"shapes": [{"shape": "a", "probability": 1.0, "positions": [None]}]},
    )
    scale = UniformScale(column, bins=8)
    assert scale.n_codes == 4
    assert np.allclose(scale.edges, [0.0, 0.2, 0.6, 0.8, 1.0])
