"""Integer codes that determine other columns (issue 36, items 1 and 2): a `map` rule's integer
source is generated from its kept codes, so the rule holds in every row, and a condition on the
rule's target moves to the codes that map to it."""

from __future__ import annotations

import pytest
from fixtures.tables import occupation_codes

from spark_synth import fit, generate
from spark_synth.fit.kinds import numeric_map_sources
from spark_synth.model.rules import MapPair, Mapping


@pytest.fixture(scope="module")
def survey():
    return occupation_codes(rows=12_000, codes=500, seed=3)


@pytest.fixture(scope="module")
def survey_model(spark, survey):
    return fit(spark.createDataFrame(survey), table="survey")


def _held(real, generated, target: str) -> float:
    truth = real.groupby("occupation")[target].first()
    return float((generated[target].to_numpy() == generated["occupation"].map(truth).to_numpy()).mean())


def test_a_code_that_determines_columns_is_drawn_from_its_kept_codes(spark, survey, survey_model):
    assert survey_model.column("occupation").kind == "categorical"
    maps = {r.target for r in survey_model.spec.rules if isinstance(r, Mapping)}
    assert maps == {"label", "prestige"}
    assert survey.occupation.value_counts().lt(5).any()  # some codes are rarer than k: never stored
    kept = set(survey_model.column("occupation").values)
    assert all(n >= 5 for v, n in survey.occupation.value_counts().items() if v in kept)
    generated = generate(spark, survey_model, rows=40_000, seed=5).toPandas()
    assert set(generated.occupation) <= kept
    assert _held(survey, generated, "label") >= 0.999
    assert _held(survey, generated, "prestige") >= 0.999


def test_a_condition_on_the_target_moves_to_the_codes_that_map_to_it(spark, survey, survey_model):
    generated = generate(spark, survey_model, rows=6_000, seed=7, where="label = 'Professional'").toPandas()
    assert len(generated) == 6_000
    assert set(generated.label) == {"Professional"}
    professional = set(survey.loc[survey.label == "Professional", "occupation"])
    assert set(generated.occupation) <= professional
    assert _held(survey, generated, "prestige") >= 0.999


def test_only_numeric_integer_sources_the_user_left_alone_are_recounted():
    class Column:
        def __init__(self, name: str, kind: str) -> None:
            self.name, self.kind = name, kind

    rules = [
        Mapping(form="map", sources=["code"], target="label", pairs=[MapPair(when=[1], then="a")]),
        Mapping(form="map", sources=["kind", "size"], target="x", pairs=[MapPair(when=["a", 2], then=1)]),
        Mapping(form="map", sources=["fixed"], target="y", pairs=[MapPair(when=[3], then=1)]),
    ]
    columns = [Column("code", "integer"), Column("kind", "categorical"), Column("size", "integer")]
    columns += [Column("fixed", "integer"), Column("label", "categorical"), Column("score", "continuous")]
    assert numeric_map_sources(rules, columns, {"fixed": "integer"}) == ["code", "size"]
    assert numeric_map_sources([], columns, {}) == []
