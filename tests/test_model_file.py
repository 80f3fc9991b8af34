"""The model file: JSON only, versioned, validated with errors that name the field."""

from __future__ import annotations

import json

import pytest

from spark_synth import ModelFileError, load_model
from spark_synth.model import SCHEMA_VERSION, SynthModel


def minimal_model() -> dict:
    return {
        "format": "spark_synth.model",
        "schema_version": SCHEMA_VERSION,
        "created_by": "test",
        "table": {"name": "t", "row_count": 100},
        "privacy": {"min_count": 5},
        "columns": [
            {
                "name": "x",
                "spark_type": '"double"',
                "kind": "continuous",
                "null_fraction": 0.1,
                "quantiles": {"probabilities": [0.0, 0.5, 1.0], "values": [0.0, 1.0, 5.0]},
                "min": 0.0,
                "max": 5.0,
                "decimal_places": 2,
            },
            {
                "name": "c",
                "spark_type": '"string"',
                "kind": "categorical",
                "values": ["a", "b"],
                "probabilities": [0.7, 0.3],
            },
        ],
        "copula": {"columns": ["x", "c"], "correlation": [[1.0, 0.5], [0.5, 1.0]], "bins": 8},
        "dependencies": [
            {"parent": "c", "child": "x", "mutual_information": 0.1, "table": {"1": {"1": 0.5, "2": 0.5}}}
        ],
    }


def test_round_trip_is_byte_stable(tmp_path):
    model = SynthModel.from_dict(minimal_model())
    path = tmp_path / "m.json"
    model.save(path)
    again = load_model(path)
    assert again.to_dict() == model.to_dict()
    assert path.read_text().startswith("{")
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nope.json")


def test_truncated_file(tmp_path):
    text = SynthModel.from_dict(minimal_model()).to_json()
    path = tmp_path / "m.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ModelFileError, match="not valid JSON.*truncated"):
        load_model(path)


def test_unknown_schema_version():
    raw = minimal_model()
    raw["schema_version"] = 99
    with pytest.raises(ModelFileError, match="schema_version 99 is not supported"):
        SynthModel.from_dict(raw)


def test_not_a_model_file():
    with pytest.raises(ModelFileError, match="field 'format'"):
        SynthModel.from_dict({"hello": 1})


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda m: m["columns"][1].update(probabilities=[0.7, 0.7]), "columns.1"),
        (lambda m: m["columns"][0]["quantiles"].update(values=[3.0, 1.0, 5.0]), "columns.0"),
        (lambda m: m["columns"][0].update(null_fraction=1.5), "columns.0.continuous.null_fraction"),
        (lambda m: m["columns"][0].update(surprise=1), "surprise"),
        (lambda m: m["copula"].update(correlation=[[1.0, 0.5], [0.4, 1.0]]), "copula"),
        (lambda m: m["dependencies"][0].update(child="nope"), "nope"),
        (lambda m: m["columns"][0].update(kind="teleport"), "columns.0"),
    ],
)
def test_invalid_fields_are_named(mutate, field):
    raw = minimal_model()
    mutate(raw)
    with pytest.raises(ModelFileError) as error:
        SynthModel.from_dict(raw)
    assert field in str(error.value)


def test_dependency_cycle_is_rejected():
    raw = minimal_model()
    raw["dependencies"].append({"parent": "x", "child": "c", "mutual_information": 0.1, "table": {"1": {"1": 1.0}}})
    with pytest.raises(ModelFileError):
        SynthModel.from_dict(raw)


def test_no_pickle_in_library():
    import pathlib

    import spark_synth

    root = pathlib.Path(spark_synth.__file__).parent
    for source in root.rglob("*.py"):
        text = source.read_text()
        assert "import pickle" not in text and "cloudpickle" not in text, source
