"""Row order (fit/row_order.py, plan `position`): an id column whose real rows rise with another
column (record numbers counted up over the years) keeps that order, through a tree root that
follows the row's position.

Spark-free tests pin the position score, the choice from the summed statistics over many seeds,
the model's checks and the plan (the root first in the Cholesky factor, left out under conditions
and for key programs); Spark tests fit the field_records fixture and check the planted order, that
the rows do not depend on partitioning, that max_parents=1 keeps today's tree and that conditions
stay exact."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures.checks import assert_rows_do_not_depend_on_partitions
from fixtures.tables import field_records
from scipy.stats import spearmanr

from spark_synth import fit, generate
from spark_synth.errors import ModelFileError
from spark_synth.fit.regression import STATISTICS
from spark_synth.fit.row_order import IdRange, batch_sums, choose, position_scores
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import RowOrder
from spark_synth.plan.compiler import compile_plan
from spark_synth.plan.steer.conditions import conditions_of


def test_position_scores_are_the_engines_row_places():
    scores = position_scores(np.arange(101, 201), 101, 200)
    assert np.all(np.diff(scores) > 0) and abs(scores.mean()) < 1e-9
    assert scores[0] == pytest.approx(-2.5758, abs=1e-3), "Phi^-1(0.5 / 100): the first row's place"


def _sums(rho: float, rows: int, seed: int) -> np.ndarray:
    """The statistics of one id against two candidates: the first follows the id's position with
    correlation rho (on the normal scale), the second is independent of it."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(np.arange(5, rows + 5)).astype(np.float64)
    s = position_scores(ids, 5, rows + 4)
    from scipy.special import ndtr

    follows = ndtr(rho * s + np.sqrt(1 - rho * rho) * rng.standard_normal(rows))
    free = rng.random(rows)
    codes = np.ones(rows, dtype=np.int64)
    return np.stack([batch_sums(ids, 5, rows + 4, codes, u, (u, u)) for u in (free, follows)])[None, :, :]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rho", [-0.95, -0.4, 0.3, 0.99])
def test_the_column_that_follows_the_id_is_chosen_with_its_rho(seed, rho):
    rows = 20_000
    ids = [IdRange("id", "_c0", 5, rows + 4)]
    found = choose(ids, ["free", "follows"], _sums(rho, rows, seed), rows, min_count=10, min_gain=0.005)
    assert found is not None and found.id_column == "id" and found.order.column == "follows"
    assert found.order.rho == pytest.approx(rho, abs=0.03)


def test_a_category_that_follows_the_id_gets_its_latent_rho():
    """Years as 26 codes: one code's rows share a score, so the scores' correlation with the
    position is below the latent one; each code's span corrects it (the surveys' record_id ~ year:
    Spearman 0.9996 real, 0.991 generated before)."""
    rows = 26_000
    ids = np.arange(1, rows + 1, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, 27)
    code = np.minimum((ids - 0.5) / rows * 26, 25).astype(np.int64)  # sorted: a year per 1,000 ids
    u = (edges[code] + edges[code + 1]) / 2
    sums = batch_sums(ids, 1, rows, code + 1, u, (edges[code], edges[code + 1]))[None, None, :]
    found = choose([IdRange("id", "_c0", 1, rows)], ["year"], sums, rows, 10, 0.005)
    assert found is not None and found.order.rho > 0.998


def test_ids_with_a_gap_still_order_their_rows():
    """Ids 1-10,000 and 990,001-1,000,000: their scores on the id's range are two clumps (far from
    a normal), but the engine writes ids in row order, whose places are an exact normal, so the
    line's shape check does not apply and the column that follows the ids keeps its order."""
    rows = 20_000
    ids = np.concatenate([np.arange(1, 10_001), np.arange(990_001, 1_000_001)]).astype(np.float64)
    from scipy.special import ndtr

    u = ndtr(0.95 * position_scores(ids, 1, 1_000_000) / 1.5 + 0.3 * np.random.default_rng(2).standard_normal(rows))
    sums = batch_sums(ids, 1, 1_000_000, np.ones(rows, dtype=np.int64), u, (u, u))[None, None, :]
    found = choose([IdRange("id", "_c0", 1, 1_000_000)], ["follows"], sums, rows, 10, 0.005)
    assert found is not None and found.order.rho > 0.9


def test_no_column_is_chosen_when_nothing_follows_the_id():
    rows = 20_000
    sums = _sums(0.0, rows, 1)
    assert choose([IdRange("id", "_c0", 5, rows + 4)], ["a", "b"], sums, rows, 10, 0.005) is None
    assert sums.shape == (1, 2, STATISTICS)


def _model(rises_with: dict | None, null_fraction: float = 0.0, parent_of_year: str | None = None) -> SynthModel:
    """A two-column model: an id and a year (categorical), the year a root unless given a parent."""
    columns = [
        {"name": "id", "spark_type": '"long"', "kind": "id", "start": 1, "step": 1, "rises_with": rises_with},
        {
            "name": "year",
            "spark_type": '"long"',
            "kind": "categorical",
            "null_fraction": null_fraction,
            "values": [2001, 2002, 2003],
            "probabilities": [0.2, 0.3, 0.5],
        },
        {
            "name": "flag",
            "spark_type": '"boolean"',
            "kind": "boolean",
            "values": [False, True],
            "probabilities": [0.6, 0.4],
        },
    ]
    dependencies = []
    if parent_of_year:
        dependencies = [{"parent": "flag", "child": "year", "mutual_information": 0.1, "table": {"1": {"1": 1.0}}}]
    spec = {
        "format": "spark_synth.model",
        "schema_version": 2,
        "created_by": "test",
        "table": {"name": "t", "row_count": 100},
        "privacy": {"min_count": 1},
        "columns": columns,
        "copula": {"columns": ["year", "flag"], "bins": 4, "correlation": [[1.0, 0.2], [0.2, 1.0]]},
        "dependencies": dependencies,
    }
    return SynthModel.from_json(json.dumps(spec))


def test_the_model_refuses_an_order_by_a_child_a_column_with_nulls_or_unknown():
    assert _model({"column": "year", "rho": 0.9}).columns[0].rises_with == RowOrder(column="year", rho=0.9)
    with pytest.raises(ModelFileError, match="not a tree root"):
        _model({"column": "year", "rho": 0.9}, parent_of_year="flag")
    with pytest.raises(ModelFileError, match="has nulls"):
        _model({"column": "year", "rho": 0.9}, null_fraction=0.1)
    with pytest.raises(ModelFileError, match="not a tree root"):
        _model({"column": "nowhere", "rho": 0.9})
    with pytest.raises(ModelFileError):
        _model({"column": "year", "rho": 1.0})


def _variables(plan: str) -> dict:
    copula = json.loads(plan)["copula"]
    return {v["column"]: v for v in copula["variables"]}


def test_the_plan_puts_the_ordered_root_first_and_leaves_it_out_under_conditions_and_key_programs():
    model = _model({"column": "year", "rho": 0.9})
    year = _variables(compile_plan(model, 1_000))[1]
    assert year["position"] == {"rho": 0.9, "rows": 1_000} and year["root"] == 0, "first in the factor: z = e"
    assert _variables(compile_plan(model, 1_000))[2]["position"] is None
    conditioned = compile_plan(model, 1_000, conditions=conditions_of(model, ["flag = true"]))
    assert _variables(conditioned)[1]["position"] is None
    keyed = compile_plan(model, 1_000, keys={"id": {"kind": "sequence"}})
    assert _variables(keyed)[1]["position"] is None
    assert _variables(compile_plan(_model(None), 1_000))[1]["position"] is None


# --- Spark: the field_records fixture ---------------------------------------------------------


@pytest.fixture(scope="module")
def records(spark):
    real = field_records(rows=12_000, seed=4)
    frame = spark.createDataFrame(real).cache()
    return real, fit(frame, table="records"), fit(frame, table="records", max_parents=1)


def test_record_numbers_keep_their_order_against_the_years(spark, records):
    real, model, tree = records
    (order,) = [c.rises_with for c in model.columns if getattr(c, "rises_with", None) is not None]
    assert order.column == "year" and order.rho > 0.9
    assert all(getattr(c, "rises_with", None) is None for c in tree.columns), "max_parents=1: today's tree"
    made = generate(spark, model, rows=12_000, seed=5).toPandas()
    held = spearmanr(real.record_id, real.year)[0]
    kept = spearmanr(made.record_id, made.year)[0]
    assert held > 0.99 and kept > held - 0.03, f"real {held:.3f}, generated {kept:.3f}"
    # the tree carries the order on: the species caught shift over the years, hence over the ids
    late = made.record_id > 9_000
    assert (made.species[late] == "DM").mean() > (made.species[~late] == "DM").mean() + 0.2
    free = generate(spark, tree, rows=12_000, seed=5).toPandas()
    assert abs(spearmanr(free.record_id, free.year)[0]) < 0.05, "the tree alone: ids and years independent"


def test_ordered_rows_do_not_depend_on_partitions(spark, records):
    _, model, _ = records
    assert_rows_do_not_depend_on_partitions(spark, model, rows=12_000)


def test_conditions_stay_exact_without_the_order(spark, records):
    _, model, _ = records
    rows = generate(spark, model, rows=3_000, seed=1, where=["species = 'PP'", "year >= 1990"]).toPandas()
    assert len(rows) == 3_000 and set(rows.species) == {"PP"} and (rows.year >= 1990).all()
    assert sorted(rows.record_id) == list(range(1, 3_001)), "ids are still the row counter"
