"""A number inside each category keeps that category's own distribution (fit/within.py, engine v6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from spark_synth import fit, generate
from spark_synth.fit.histogram import Histogram
from spark_synth.fit.within import MAX_DISCRETE_VALUES, _continuous, _discrete
from spark_synth.model import SynthModel
from spark_synth.model.schema import NumericColumn, QuantileFunction

GRID = [float(v) for v in range(0, 201, 10)]


def mixture(seed: int, rows_per_kind: int = 4000) -> pd.DataFrame:
    """A kind choosing among very different distributions of one `value` column."""
    rng = np.random.default_rng(seed)
    parts = {
        "flag": rng.choice([0.0, 1.0], rows_per_kind, p=[0.7, 0.3]),
        "narrow": np.round(rng.normal(500.0, 2.0, rows_per_kind), 2),
        "wide": np.round(rng.lognormal(8.0, 1.0, rows_per_kind), 2),
        "grid": rng.choice(GRID, rows_per_kind),
        "score": np.round(2.67 + rng.gamma(2.0, 0.5, rows_per_kind // 4), 2),  # a smaller kind
    }
    kinds = np.concatenate([[k] * len(v) for k, v in parts.items()])
    values = np.concatenate(list(parts.values()))
    order = rng.permutation(len(kinds))
    return pd.DataFrame({"kind": kinds[order], "value": values[order]})


@pytest.mark.parametrize("seed", [3, 11])
def test_each_category_keeps_its_own_distribution_and_value_set(spark, seed):
    real = mixture(seed)
    model = fit(spark.createDataFrame(real), table="measurements")
    edge = next(d for d in model.spec.dependencies if d.child == "value")
    assert edge.parent == "kind" and len(edge.within) == 5
    synthetic = generate(spark, model, rows=len(real), seed=seed, partitions=3).toPandas()
    for kind, group in real.groupby("kind"):
        made = synthetic.loc[synthetic["kind"] == kind, "value"].to_numpy()
        assert len(made) > 0.8 * len(group)
        ks = ks_2samp(group["value"].to_numpy(), made).statistic
        assert 1 - ks >= 0.95, (kind, 1 - ks)
    flags = set(synthetic.loc[synthetic["kind"] == "flag", "value"])
    assert flags == {0.0, 1.0}
    assert set(synthetic.loc[synthetic["kind"] == "grid", "value"]) <= set(GRID)
    narrow = synthetic.loc[synthetic["kind"] == "narrow", "value"]
    assert narrow.min() > 480 and narrow.max() < 520
    score = synthetic.loc[synthetic["kind"] == "score", "value"]
    assert score.min() >= 2.67


def test_the_same_rows_for_any_partition_count(spark):
    model = fit(spark.createDataFrame(mixture(5, 1000)), table="measurements")
    one = generate(spark, model, rows=3000, seed=9, partitions=1).toPandas()
    four = generate(spark, model, rows=3000, seed=9, partitions=4).toPandas()
    pd.testing.assert_frame_equal(one, four)


def test_models_without_within_still_load_and_generate(spark):
    model = fit(spark.createDataFrame(mixture(7, 500)), table="measurements")
    raw = model.spec.model_dump(mode="json")
    for dependency in raw["dependencies"]:
        dependency.pop("within")
    older = SynthModel.from_json(__import__("json").dumps(raw))
    assert all(not d.within for d in older.spec.dependencies)
    assert generate(spark, older, rows=100, seed=1).count() == 100


def _column(**kw) -> NumericColumn:
    base = dict(
        kind="integer",
        name="x",
        spark_type='"long"',
        nullable=True,
        null_fraction=0.0,
        quantiles=QuantileFunction(probabilities=[0.0, 1.0], values=[0, 100]),
        min=0,
        max=100,
    )
    return NumericColumn(**{**base, **kw})


def _histogram(values: list[float], counts: list[int], highs: list[float] | None = None) -> Histogram:
    """A group's buckets as the fit reads them: (count, smallest, largest value) per bucket."""
    return Histogram(counts=np.array(counts), lows=np.array(values, float), highs=np.array(highs or values, float))


def test_a_discrete_group_keeps_only_values_seen_k_times():
    group = _histogram([0.0, 1.0, 7.0], [600, 396, 4])
    within = _discrete(_column(), group, min_count=5)
    assert set(within.values) == {0, 1}
    assert within.probabilities[0] == 0.0 and within.probabilities[-1] == 1.0
    cut = within.probabilities[within.values.index(1)]
    assert cut == pytest.approx(600 / 996)
    # a bucket holding more than one value (its smallest and largest differ): not discrete
    assert _discrete(_column(), _histogram([0.0, 1.0, 7.0], [600, 396, 4], [0.0, 1.5, 7.0]), min_count=5) is None
    # more distinct values than a staircase holds: not discrete
    many = _histogram([float(i) for i in range(MAX_DISCRETE_VALUES + 1)], [20] * (MAX_DISCRETE_VALUES + 1))
    assert _discrete(_column(), many, min_count=5) is None
    # the values seen k times hold under 90 % of the group: not discrete either
    rare = _histogram([float(i) for i in range(30)] + [99.0], [2] * 30 + [40])
    assert _discrete(_column(), rare, min_count=5) is None


def test_a_continuous_group_never_stores_its_min_or_max():
    group = _histogram(np.linspace(0.0, 100.0, 200).tolist(), [1] * 200)  # min 0, max 100
    within = _continuous(_column(), group, min_count=5)
    assert within.probabilities[0] == pytest.approx(0.025) and within.probabilities[-1] == pytest.approx(0.975)
    assert 0 < within.values[0] <= 3 and 97 <= within.values[-1] < 100  # Q(k/n), Q(1 - k/n): never 0 or 100
    small = _histogram(np.linspace(0.0, 100.0, 99).tolist(), [1] * 99)
    assert _continuous(_column(), small, min_count=5) is None  # under 20 k rows: the bins


def test_within_on_a_categorical_child_is_refused(spark):
    model = fit(spark.createDataFrame(mixture(7, 500)), table="measurements")
    raw = model.spec.model_dump(mode="json")
    raw["dependencies"][0]["parent"], raw["dependencies"][0]["child"] = "value", "kind"
    with pytest.raises(Exception, match="needs a numeric child"):
        SynthModel.from_json(__import__("json").dumps(raw))
