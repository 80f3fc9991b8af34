"""The JVM engine's own pieces against their Python/scipy definitions, and the data source."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from spark_synth.engine.jvm import ENGINE_SHORT_NAME
from spark_synth.model.io import SynthModel
from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import NumericColumn, QuantileFunction
from spark_synth.plan.compiler import compile_plan, conditional_table


def java_doubles(spark, values) -> object:
    array = spark.sparkContext._gateway.new_array(spark._jvm.double, len(values))
    for i, value in enumerate(values):
        array[i] = float(value)
    return array


def engine(spark):
    return spark._jvm.org.sparksynth.engine


def test_normal_cdf_and_inverse_match_scipy(spark):
    normal = engine(spark).Normal
    for x in np.linspace(-8.5, 8.5, 171):
        assert normal.cdf(float(x)) == pytest.approx(ndtr(x), abs=5e-9)
    for p in np.concatenate([np.geomspace(1e-15, 0.5, 60), 1 - np.geomspace(1e-15, 0.5, 60)]):
        assert normal.inverse(float(p)) == pytest.approx(ndtri(p), rel=2e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_guide_table_matches_searchsorted(spark, seed):
    rng = np.random.default_rng(seed)
    uppers = np.cumsum(rng.dirichlet(np.full(rng.integers(1, 300), 0.3)))
    uppers[-1] = 1.0
    u = rng.random(1500)
    expected = np.minimum(np.searchsorted(uppers, u, side="right"), len(uppers) - 1)
    got = engine(spark).Probe.guideLookup(java_doubles(spark, uppers), java_doubles(spark, u))
    assert list(got) == expected.tolist()


def java_ints(spark, values) -> object:
    array = spark.sparkContext._gateway.new_array(spark._jvm.int, len(values))
    for i, value in enumerate(values):
        array[i] = int(value)
    return array


@pytest.mark.parametrize("seed", range(5))
def test_conditional_table_draws_follow_each_parents_row(spark, seed):
    """The engine's alias tables: over an even grid of uniforms, each parent's children come out
    in the row's proportions (exact up to the grid's resolution), the place inside each draw is
    uniform, and a parent without a row (privacy-filtered) reports -1."""
    rng = np.random.default_rng(seed)
    parents = int(rng.integers(2, 12))
    table = {
        str(p): {
            str(c): float(w) for c, w in enumerate(rng.dirichlet(np.full(int(rng.integers(1, 60)), 0.4))) if w > 1e-4
        }
        for p in range(parents)
        if p == 0 or rng.random() > 0.2
    }
    compiled = conditional_table(table, parents)
    grid = 4000
    parent_codes = np.repeat(np.arange(parents), grid)
    u = np.tile((np.arange(grid) + 0.5) / grid, parents)
    args = [
        java_ints(spark, compiled["row_start"]),
        java_doubles(spark, compiled["cumulative"]),
        java_ints(spark, compiled["children"]),
        java_ints(spark, parent_codes),
        java_doubles(spark, u),
    ]
    children = np.array(list(engine(spark).Probe.conditionalChildren(*args)))
    places = np.array(list(engine(spark).Probe.conditionalPlaces(*args)))
    for p in range(parents):
        drawn, place = children[parent_codes == p], places[parent_codes == p]
        row = table.get(str(p))
        if not row:
            assert (drawn == -1).all()
            continue
        total = sum(row.values())
        share = {int(c): w / total for c, w in row.items()}
        counts = {c: int(n) for c, n in zip(*np.unique(drawn, return_counts=True))}
        assert set(counts) <= set(share)
        for child, probability in share.items():
            # each of the row's slots contributes at most one grid step of error
            assert abs(counts.get(child, 0) / grid - probability) <= (len(share) + 1) / grid, (p, child)
        assert ((place >= 0) & (place < 1)).all()
        assert abs(place.mean() - 0.5) < 0.02
        big = max(share, key=share.get)
        assert ks_uniform(place[drawn == big]) < 0.1


def ks_uniform(sample: np.ndarray) -> float:
    ordered = np.sort(sample)
    n = len(ordered)
    return float(max(np.max(np.arange(1, n + 1) / n - ordered), np.max(ordered - np.arange(n) / n)))


def model_of_one_column(column) -> SynthModel:
    return SynthModel.from_dict(
        {
            "format": "spark_synth.model",
            "schema_version": 2,
            "created_by": "test",
            "table": {"name": "t", "row_count": 1000},
            "privacy": {"min_count": 5},
            "columns": [column.model_dump()],
            "copula": {"columns": [column.name], "correlation": [[1.0]], "bins": 16},
        }
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("spark_type", ['"long"', '"double"'])
def test_engine_values_land_in_the_code_their_uniform_had(spark, seed, spark_type):
    """A value the engine makes from code c's slice of u is coded c again by the fit-side coder,
    also for point masses (discrete data) and nulls; exact (long) and double columns alike."""
    rng = np.random.default_rng(seed)
    data = rng.poisson(rng.uniform(0.5, 30), 10_000).astype(float)
    probs = np.linspace(0, 1, 65)
    q = np.quantile(data, probs)
    numbers = [int(round(x)) for x in q] if spark_type == '"long"' else [float(x) for x in q]
    column = NumericColumn(
        name="x",
        spark_type=spark_type,
        kind="integer",
        null_fraction=float(rng.uniform(0, 0.3)),
        quantiles=QuantileFunction(probabilities=list(probs), values=numbers),
        min=numbers[0],
        max=numbers[-1],
    )
    plan = compile_plan(model_of_one_column(column), 1000)
    u = rng.random(1500)
    codes = np.array(list(engine(spark).Probe.codes(plan, "x", java_doubles(spark, u))))
    values = np.array(list(engine(spark).Probe.values(plan, "x", java_doubles(spark, u))))
    refit, _ = UniformScale(column, bins=16).numeric_codes_and_u(values, codes == 0)
    assert np.mean(refit == codes) > 0.995
    assert np.array_equal(codes == 0, u < column.null_fraction)


def test_data_source_can_be_read_directly(spark, flights_model):
    df = (
        spark.read.format(ENGINE_SHORT_NAME)
        .option("plan", compile_plan(flights_model, 1000))
        .option("rows", "1000")
        .option("seed", "3")
        .option("partitions", "3")
        .load()
    )
    assert df.count() == 1000
    assert df.rdd.getNumPartitions() == 3
    assert [f.name for f in df.schema] == [c.name for c in flights_model.columns]


def test_data_source_rejects_a_plan_from_another_engine_version(spark, flights_model):
    plan = json.loads(compile_plan(flights_model, 10))
    plan["engine_version"] = 99
    with pytest.raises(Exception, match="engine_version 99"):
        (
            spark.read.format(ENGINE_SHORT_NAME)
            .option("plan", json.dumps(plan))
            .option("rows", "10")
            .option("seed", "1")
            .option("partitions", "1")
            .load()
            .collect()
        )


def test_spark_synth_data_source_reads_a_model_file(spark, flights_model, tmp_path):
    """spark.read.format("spark_synth") compiles the model on the driver with the installed
    package and gives exactly the rows of the Python API; bad options name the problem."""
    from chispa import assert_df_equality

    from spark_synth import generate, register

    register(spark)
    path = tmp_path / "flights.model.json"
    flights_model.save(path)
    df = (
        spark.read.format("spark_synth")
        .option("model", str(path))
        .option("rows", 3000)
        .option("seed", 4)
        .option("partitions", 3)
        .load()
    )
    assert_df_equality(df, generate(spark, flights_model, rows=3000, seed=4), ignore_row_order=True)
    assert spark.read.format("spark_synth").option("model", str(path)).option("rows", 10).load().count() == 10
    with pytest.raises(Exception, match="does not exist"):
        spark.read.format("spark_synth").option("model", str(tmp_path / "nope.json")).option("rows", 5).load()
    with pytest.raises(Exception, match="rows"):
        spark.read.format("spark_synth").option("model", str(path)).option("rows", "-3").load()
