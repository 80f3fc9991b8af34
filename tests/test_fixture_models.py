"""The model files the unit tests run on are still what the fit makes of their tables."""

from __future__ import annotations

from conftest import fixture_model
from fixtures.make_models import fitted


def structure(model) -> dict:
    """What a unit test relies on: the columns and their kinds, the dependency tree, the rules."""
    spec = model.spec
    return {
        "columns": [(c.name, c.kind, c.spark_type) for c in model.columns],
        "tree": sorted((d.parent, d.child) for d in spec.dependencies),
        "rules": sorted(r.text() for r in spec.rules),
    }


def test_fixture_models_are_fits_of_their_tables(spark):
    for name, model in fitted(spark).items():
        assert structure(fixture_model(name)) == structure(model), (
            f"tests/fixtures/models/{name}.model.json.gz no longer matches a fit of its table: "
            "rerun python tests/fixtures/make_models.py"
        )
