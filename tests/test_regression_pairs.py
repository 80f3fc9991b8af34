"""Two regressors (issue 37, fit/regression_pairs.py, plan v16 `also`): a number follows two
other numbers inside its tree parent's codes, by a linear regression on normal scores.

Spark-free tests pin the candidates, the coefficients recovered over many seeds (with correlated
regressors, point masses and nulls in the second), the choice against one regressor and the
schema; a Spark test sets a second regressor by hand and checks the engine draws by it where the
second score is there and by the first alone where it is null, whatever the partitioning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fixtures.checks import assert_rows_do_not_depend_on_partitions
from pydantic import ValidationError
from scipy.stats import spearmanr

from spark_synth import fit, generate
from spark_synth.fit.regression import STATISTICS, RegressionCandidate, fitted, score_sums
from spark_synth.fit.regression_pairs import (
    PAIR_STATISTICS,
    RegressionPair,
    _swapped,
    choose,
    fitted_pair,
    pair_candidates,
)
from spark_synth.model.schema import Dependency, Regression, RegressionBands, SecondRegressor
from spark_synth.plan.compiler import regression_plan


def _statistics(a: np.ndarray, s: np.ndarray, t: np.ndarray, code: np.ndarray, codes: int):
    """The single candidates' sums of (a, s) and (a, t) over their rows, and the pair's over the
    rows where t is not NaN."""
    both = ~np.isnan(t)
    one = score_sums(code, codes, a, (a, a * a), s)
    other = score_sums(code[both], codes, a[both], (a[both], a[both] ** 2), t[both])
    pair = np.zeros((codes, PAIR_STATISTICS))
    pair[:, :STATISTICS] = score_sums(code[both], codes, a[both], (a[both], a[both] ** 2), s[both])
    for j, weights in enumerate((t[both], t[both] ** 2, a[both] * t[both], s[both] * t[both]), start=STATISTICS):
        pair[:, j] = np.bincount(code[both], weights=weights, minlength=codes)
    return one, other, pair


def _planted(rho: float, beta: float, between: float, rows: int, seed: int, null_share: float = 0.0):
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(rows)
    t = between * s + math.sqrt(1 - between**2) * rng.standard_normal(rows)
    explained = rho * rho + beta * beta + 2 * rho * beta * between
    a = rho * s + beta * t + math.sqrt(1 - explained) * rng.standard_normal(rows)
    t[rng.random(rows) < null_share] = np.nan
    return a, s, t, rng.integers(0, 4, rows)


def test_pairs_are_drawn_from_one_childs_candidates_only():
    singles = [
        RegressionCandidate("y", "g", "a"),
        RegressionCandidate("y", "g", "b"),
        RegressionCandidate("y", "g", "c"),
        RegressionCandidate("z", "h", "a"),
    ]
    assert pair_candidates(singles) == [
        RegressionPair("y", "g", "a", "b"),
        RegressionPair("y", "g", "a", "c"),
        RegressionPair("y", "g", "b", "c"),
    ]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("rho", "beta", "between"), [(0.4, 0.3, 0.5), (-0.6, 0.5, -0.3), (0.7, -0.2, 0.0)])
def test_both_coefficients_are_recovered_and_beat_one_regressor(seed, rho, beta, between):
    rows = 40_000
    one, other, pair = _statistics(*_planted(rho, beta, between, rows, seed, null_share=0.2), codes=4)
    first = fitted(RegressionCandidate("y", "g", "s"), one, rows, 10)
    found = fitted_pair(RegressionPair("y", "g", "s", "t"), pair, rows, first, float(one[:, 0].sum()), 10)
    assert found is not None and found.regression.also is not None
    also = found.regression.also
    assert also.on == "t" and also.rho == pytest.approx(rho, abs=0.03) and also.beta == pytest.approx(beta, abs=0.03)
    explained = rho * rho + beta * beta + 2 * rho * beta * between
    assert also.spread == pytest.approx(math.sqrt(1 - explained), abs=0.02)
    assert found.regression.rho == first.regression.rho, "rows without t draw by the first line"
    assert found.gain > first.gain + 0.01


@pytest.mark.parametrize("seed", range(3))
def test_nearly_collinear_regressors_give_no_pair(seed):
    """Two regressors 0.995 alike, the child following their small difference: the solution's
    coefficients (about -8 and +8) cancel each other, beyond what a model stores (|c| < 4; the
    diamonds' depth and table once made -4.4 and 4.3 and stopped the fit). No pair, no error."""
    rows = 40_000
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(rows)
    t = 0.995 * s + math.sqrt(1 - 0.995**2) * rng.standard_normal(rows)
    a = 0.3 * s + 0.8 * (t - s) / math.sqrt(2 * (1 - 0.995)) + 0.5 * rng.standard_normal(rows)
    a = a / a.std()
    one, other, pair = _statistics(a, s, t, rng.integers(0, 4, rows), 4)
    first = fitted(RegressionCandidate("y", "g", "s"), one, rows, 10)
    assert fitted_pair(RegressionPair("y", "g", "s", "t"), pair, rows, first, float(one[:, 0].sum()), 10) is None


@pytest.mark.parametrize("seed", range(3))
def test_a_second_regressor_is_standardized_inside_each_parent_code(seed):
    """t sits at -2, -0.7, 0.7 and 2 in the four parent codes, and the child follows t's
    wiggle inside each. The child's table already holds what the code says, so t is
    standardized inside the code like the first regressor: the pair stores t's mean per code and
    recovers beta from the wiggle alone. Raw, beta * t shifted each code's child by beta times
    its centre (half its places moved in the outer codes)."""
    rows = 40_000
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 4, rows)
    centre = np.array([-2.0, -0.7, 0.7, 2.0])
    s, wiggle = rng.standard_normal(rows), rng.standard_normal(rows)
    a = 0.5 * s + 0.5 * wiggle + math.sqrt(0.5) * rng.standard_normal(rows)
    one, other, pair = _statistics(a, s, centre[code] + wiggle, code, 4)
    first = fitted(RegressionCandidate("y", "g", "s"), one, rows, 10)
    found = fitted_pair(RegressionPair("y", "g", "s", "t"), pair, rows, first, float(one[:, 0].sum()), 10)
    assert found is not None and found.regression.also is not None
    also = found.regression.also
    assert also.beta == pytest.approx(0.5, abs=0.03) and also.rho == pytest.approx(0.5, abs=0.03)
    assert [also.mean[str(c)] for c in range(4)] == pytest.approx(list(centre), abs=0.05)
    assert all(also.scale[str(c)] == pytest.approx(1.0, abs=0.05) for c in range(4))


@pytest.mark.parametrize("seed", range(4))
def test_a_second_regressor_that_adds_nothing_does_not_pay(seed):
    """t follows s (0.6) but the child follows s alone: the line on s holds all there is."""
    rows = 20_000
    a, s, t, code = _planted(0.6, 0.0, 0.6, rows, seed)
    one, other, pair = _statistics(a, s, t, code, 4)
    singles = [RegressionCandidate("y", "g", "s"), RegressionCandidate("y", "g", "t")]
    pairs = pair_candidates(singles)
    (chosen,) = choose(singles, [(one, None), (other, None)], pairs, [pair], rows, 10, 0.005)
    assert chosen.regression.on == "s" and chosen.regression.also is None


def test_the_better_line_goes_first_whichever_order_the_pair_was_counted_in():
    rows = 30_000
    a, s, t, code = _planted(0.2, 0.7, 0.3, rows, 5)
    one, other, pair = _statistics(a, s, t, code, 4)
    singles = [RegressionCandidate("y", "g", "s"), RegressionCandidate("y", "g", "t")]
    (chosen,) = choose(singles, [(one, None), (other, None)], pair_candidates(singles), [pair], rows, 10, 0.005)
    assert chosen.regression.on == "t" and chosen.regression.also.on == "s"
    assert chosen.regression.also.rho == pytest.approx(0.7, abs=0.03)
    assert chosen.regression.also.beta == pytest.approx(0.2, abs=0.03)
    assert np.array_equal(_swapped(_swapped(pair)), pair)


def test_a_second_regressor_is_checked_like_the_rest_of_the_model():
    also = SecondRegressor(on="t", rho=0.3, beta=0.4, spread=0.8)
    with pytest.raises(ValidationError, match="another number"):
        Regression(on="t", rho=0.5, also=also)
    with pytest.raises(ValidationError, match="not beside bands"):
        Regression(on="s", rho=0.0, bands=RegressionBands(edges=[0.0], cdf=[[0.5], [0.5]]), also=also)
    with pytest.raises(ValidationError, match="spread"):
        SecondRegressor(on="t", rho=0.3, beta=0.4, spread=0.0)
    base = dict(parent="g", child="y", mutual_information=0.1, table={"1": {"1": 1.0}})
    with pytest.raises(ValidationError, match="another column"):
        Dependency(**base, regression=Regression(on="s", rho=0.5, also=also.model_copy(update={"on": "g"})))
    assert Dependency(**base, regression=Regression(on="s", rho=0.5, also=also)).extra_parents == ["s", "t"]
    first = {"row_start": [0, 1], "cumulative": [1.0], "children": [1]}
    plan = regression_plan(Regression(on="s", rho=0.5, also=also), {"s": 2, "t": 3}, 1, first)
    assert plan["also"] == {"parent": 3, "rho": 0.3, "beta": 0.4, "spread": 0.8, "mean": [0.0], "scale": [1.0]}
    assert plan["parent"] == 2
    with pytest.raises(ValidationError, match="same parent codes"):
        SecondRegressor(on="t", rho=0.3, beta=0.4, spread=0.8, mean={"1": 0.5})
    inside = also.model_copy(update={"mean": {"2": -1.5}, "scale": {"2": 0.5}})
    first = {"row_start": [0, 1, 2, 3], "cumulative": [1.0, 1.0, 1.0], "children": [1, 1, 1]}
    plan = regression_plan(Regression(on="s", rho=0.5, also=inside), {"s": 2, "t": 3}, 3, first)
    assert plan["also"]["mean"] == [0.0, 0.0, -1.5] and plan["also"]["scale"] == [1.0, 1.0, 0.5]


def test_the_engine_follows_both_regressors_and_the_first_alone_where_the_second_is_null(spark):
    """Set by hand: y (under its group) follows x1 and x2 by 0.6 each where x2 is there, and x1
    by nothing where x2 is null (Regression.rho 0). The real columns are independent."""
    from spark_synth.model.io import SynthModel
    from spark_synth.model.schema import generation_order

    rng = np.random.default_rng(8)
    rows = 12_000
    group = rng.integers(0, 4, rows)
    x2 = rng.standard_normal(rows)
    x2[rng.random(rows) < 0.3] = np.nan
    real = pd.DataFrame(
        {
            "g": [f"G{i}" for i in group],
            "y": 10.0 * group + rng.standard_normal(rows),
            "x1": rng.standard_normal(rows),
            "x2": x2,
        }
    )
    model = fit(spark.createDataFrame(real), table="pairs", max_parents=1)
    spec = model.spec
    order = generation_order(list(spec.copula.columns), spec.dependencies)
    (child,) = [d for d in spec.dependencies if d.child == "y"]
    assert child.parent == "g" and max(order.index("x1"), order.index("x2")) < order.index("y"), order
    also = SecondRegressor(on="x2", rho=0.6, beta=0.6, spread=round(math.sqrt(1 - 0.72), 6))
    tied = child.model_copy(update={"regression": Regression(on="x1", rho=0.0, also=also)})
    model = SynthModel(spec.model_copy(update={"dependencies": [tied if d is child else d for d in spec.dependencies]}))
    made = generate(spark, model, rows=rows, seed=3).toPandas()
    made["within"] = made.y - made.groupby("g").y.transform("mean")
    both = made[made.x2.notna()]
    for regressor in ("x1", "x2"):
        assert spearmanr(both.within, both[regressor])[0] == pytest.approx(0.58, abs=0.06), regressor
    alone = made[made.x2.isna()]
    assert abs(spearmanr(alone.within, alone.x1)[0]) < 0.05, "x2 null: the first line, rho 0"
    assert made.groupby("g").y.mean().round(0).tolist() == [0.0, 10.0, 20.0, 30.0], "P(child | parent) kept"
    assert_rows_do_not_depend_on_partitions(spark, model, rows=6_000)
    # v17: t standardized inside the parent code. With t's mean 1 in every group, the latent
    # mean where x2 is there moves by -0.6 (y's spread inside its group is 1).
    off = also.model_copy(
        update={"mean": {str(c): 1.0 for c in range(1, 5)}, "scale": {str(c): 1.0 for c in range(1, 5)}}
    )
    shifted = child.model_copy(update={"regression": Regression(on="x1", rho=0.0, also=off)})
    model = SynthModel(
        spec.model_copy(update={"dependencies": [shifted if d is child else d for d in spec.dependencies]})
    )
    made = generate(spark, model, rows=rows, seed=3).toPandas()
    made["off"] = made.y - 10.0 * made.g.str[1:].astype(int)
    assert made[made.x2.notna()].off.mean() == pytest.approx(-0.6, abs=0.08)
    assert made[made.x2.isna()].off.mean() == pytest.approx(0.0, abs=0.08)


def test_only_max_parents_3_gives_a_number_two_regressors(spark):
    """The gems fixture (sizes that follow each other, a table that follows the size and the
    depth): with max_parents=2 no column has more than two parents; with 3 a number follows two
    others, and the pair it follows is kept at least as well in the generated rows."""
    from fixtures.tables import gems

    real = gems(rows=20_000, seed=1)
    frame = spark.createDataFrame(real).cache()
    two, three = fit(frame, table="gems", max_parents=2), fit(frame, table="gems", max_parents=3)
    assert all(len(d.extra_parents) <= 1 for d in two.spec.dependencies)
    paired = [d for d in three.spec.dependencies if d.regression is not None and d.regression.also is not None]
    assert paired, [(d.child, d.parent, d.regression) for d in three.spec.dependencies]

    def gaps(model) -> list[float]:
        made = generate(spark, model, rows=20_000, seed=5).toPandas()
        return [
            abs(spearmanr(made[d.child], made[on])[0] - spearmanr(real[d.child], real[on])[0])
            for d in paired
            for on in d.extra_parents
        ]

    with_pair, without = gaps(three), gaps(two)
    assert sum(with_pair) <= sum(without) + 0.01, (with_pair, without)
