"""Each parent category's own grid (issue 36, item 3): whole-number tests stay whole, a 0/1 flag
stays 0/1 and a score with 14 decimals stays continuous, under one `value` column."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.tables import lab_results
from scipy.stats import ks_2samp

from spark_synth import fit, generate
from spark_synth.fit.within import _group_grid
from spark_synth.model.schema import NumericColumn, WithinQuantiles


def _double(**extra) -> NumericColumn:
    return NumericColumn(
        kind="continuous",
        name="value",
        spark_type='"double"',
        nullable=True,
        null_fraction=0.0,
        quantiles={"probabilities": [0.0, 1.0], "values": [0.0, 10.0]},
        min=0.0,
        max=10.0,
        **extra,
    )


def test_a_groups_grid_is_the_coarsest_most_of_its_values_lie_on():
    child = _double()
    assert _group_grid(child, [0, 0, 0, 0, 0, 0, 0], 100) == {"grid_step": 1.0, "grid_share": 1.0}
    assert _group_grid(child, [40, 0, 0, 0, 0, 0, 0], 100) == {"grid_step": 1.0, "grid_share": 0.6}
    assert _group_grid(child, [90, 20, 0, 0, 0, 0, 0], 100) == {"grid_step": 0.1, "grid_share": 0.8}
    assert _group_grid(child, [100] * 7, 100) == {"grid_step": None, "grid_share": 0.0}
    with pytest.raises(ValueError, match="grid_share above 0"):
        WithinQuantiles(probabilities=[0.1, 0.9], values=[1, 2], grid_share=0.5)


@pytest.fixture(scope="module")
def lab():
    return lab_results(rows=20_000, seed=4)


def test_every_test_keeps_its_own_grid(spark, lab):
    model = fit(spark.createDataFrame(lab), table="lab")
    (edge,) = [d for d in model.spec.dependencies if d.child == "value"]
    assert edge.within, "value gets its own quantiles inside each test"
    generated = generate(spark, model, rows=60_000, seed=2).toPandas()
    for test, real in lab.groupby("test").value:
        made = generated.value[generated.test == test].to_numpy()
        whole = np.mean(made == np.round(made))
        if test == "risk_score":
            assert whole < 0.02, "a score with 14 decimals stays continuous"
            assert 1 - ks_2samp(real, made).statistic >= 0.95
        else:
            assert whole == 1.0, f"{test}: whole numbers stay whole"
        if test == "potassium_flag":
            assert set(np.unique(made)) <= {0.0, 1.0}
