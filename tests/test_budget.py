"""The model's size budget (issue 37, fit/budget.py): second parents are cut, least gain per
byte first, until the model fits; the tree is never cut; a budget set below the tree is refused
with the table, its largest parts and the size it needs. Spark-free: a stored fit of the bundled
flights sample, given second parents by hand."""

from __future__ import annotations

import gzip
import importlib
import json
from pathlib import Path

import pytest

from spark_synth.errors import ArgumentError
from spark_synth.fit.budget import EXTRA_FIELDS, MIB, check_max_model_mb, model_bytes, within_budget
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import Regression

MODEL = Path(__file__).parent / "fixtures" / "models" / "flights_sample.model.json.gz"


def _flights():
    """The stored fit's tree alone: its own second parents left out, so the test's are the only ones."""
    with gzip.open(MODEL, "rt") as handle:
        spec = SynthModel.from_dict(json.load(handle)).spec
    tree = [d.model_copy(update=dict.fromkeys(EXTRA_FIELDS)) for d in spec.dependencies]
    return spec.model_copy(update={"dependencies": tree})


def _with_extras(spec, children: dict[str, float]):
    """Each named child regresses on dep_delay with `mean` entries over 200 parent codes (bytes)."""
    table = {str(p): round(0.001 * p, 6) for p in range(1, 200)}
    return spec.model_copy(
        update={
            "dependencies": [
                d.model_copy(
                    update={
                        "regression": Regression(on="dep_delay", rho=0.5, mean=table, scale=dict.fromkeys(table, 1.5))
                    }
                )
                if d.child in children
                else d
                for d in spec.dependencies
            ]
        }
    )


def test_a_model_within_its_budget_is_unchanged():
    spec = _with_extras(_flights(), {"arr_time": 0.1})
    assert within_budget(spec, None, {"arr_time": 0.1}) is spec


def test_second_parents_are_cut_least_gain_per_byte_first_and_the_tree_stays():
    gains = {"arr_time": 0.2, "sched_arr_time": 0.01, "air_time": 0.05}
    spec = _with_extras(_flights(), gains)
    tree = model_bytes(_flights())
    one_extra = (model_bytes(spec) - tree) / 3
    budget = (tree + 1.5 * one_extra) / MIB  # room for one of the three
    kept = within_budget(spec, budget, gains)
    assert model_bytes(kept) <= budget * MIB
    assert [d.child for d in kept.dependencies if d.regression is not None] == ["arr_time"], "the best gain stays"
    assert [(d.parent, d.child, d.table) for d in kept.dependencies] == [
        (d.parent, d.child, d.table) for d in spec.dependencies
    ]


def test_a_set_budget_below_the_tree_names_the_table_its_largest_parts_and_the_size_needed():
    spec = _flights()
    with pytest.raises(ArgumentError) as refused:
        within_budget(spec, 0.1, {})
    message = str(refused.value)
    assert "table flights_sample" in message and "max_model_mb=0.1" in message
    assert "largest parts: column tailnum" in message or "largest parts: " in message
    needed = float(message.split("at least ")[1].split(",")[0])
    assert needed * MIB >= model_bytes(spec) > 0.1 * MIB


def test_the_default_budget_bounds_second_parents_only(monkeypatch):
    gains = {"arr_time": 0.2}
    spec = _with_extras(_flights(), gains)
    # A tree over the default budget (a wide table's correlations): kept, its second parents cut.
    monkeypatch.setattr(importlib.import_module("spark_synth.fit.budget"), "DEFAULT_MAX_MODEL_MB", 0.1)
    kept = within_budget(spec, None, gains)
    assert all(d.regression is None for d in kept.dependencies)
    assert model_bytes(kept) == model_bytes(_flights())


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "2"])
def test_max_model_mb_must_be_a_positive_number(value):
    with pytest.raises(ArgumentError, match="max_model_mb must be a positive number"):
        check_max_model_mb(value)
    check_max_model_mb(None)
    check_max_model_mb(0.5)


@pytest.mark.parametrize("option", [["--max-model-mb", "0"], ["--max-model-mb", "-3"], ["--max-parents", "5"]])
def test_the_cli_refuses_a_bad_budget_or_parent_count_before_spark_starts(tmp_path, capsys, option):
    from spark_synth.cli import main

    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    code = main(["fit", str(tmp_path / "in.csv"), "--model", str(tmp_path / "m.json"), *option])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert ("max_model_mb must be a positive number" in err) or ("max_parents must be" in err)
    assert not (tmp_path / "m.json").exists()
