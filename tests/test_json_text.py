"""The model file's layout (model/json_text.py): the same JSON as json.dumps, rows of scalars on
one line each, the outline above them indented, the same bytes for the same value."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from spark_synth.model.json_text import model_json


def _value(rng: np.random.Generator, depth: int):
    """A random JSON value: scalars of every kind (awkward strings too), lists and objects."""
    kind = rng.integers(0, 8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return bool(rng.integers(0, 2))
    if kind == 2:
        return int(rng.integers(-(10**12), 10**12))
    if kind == 3:
        return float(rng.normal() * 10.0 ** rng.integers(-12, 12))
    if kind == 4:
        return "".join(rng.choice(list('ab "\\\n\té€😀,:{}[]'), rng.integers(0, 6)))
    if kind == 5:
        return []
    if kind == 6:
        return [_value(rng, depth + 1) for _ in range(rng.integers(0, 5))]
    marks = list('x"é,:')
    return {f"k{i}{rng.choice(marks)}": _value(rng, depth + 1) for i in range(rng.integers(0, 5))}


@pytest.mark.parametrize("seed", range(40))
def test_any_value_reads_back_as_itself(seed):
    value = _value(np.random.default_rng(seed), 0)
    text = model_json(value)
    assert json.loads(text) == value
    assert model_json(value) == text, "the same value, the same bytes"


def test_rows_of_scalars_take_one_line_each_and_the_outline_is_indented():
    model = {
        "columns": [{"name": "a", "quantiles": {"probabilities": [0.0, 0.5, 1.0], "values": [1, 2, 3]}}],
        "table": {"0": {"1": 0.25, "2": 0.75}, "1": {}},
        "format": "spark_synth.model",
    }
    lines = model_json(model).splitlines()
    assert '    "probabilities": [0.0,0.5,1.0],' in lines
    assert '  "0": {"1":0.25,"2":0.75},' in lines
    assert '  "1": {}' in lines
    assert ' "format": "spark_synth.model"' in lines
    assert lines[0] == "{" and lines[-1] == "}"
    flat = json.dumps(model, indent=1)
    assert len(model_json(model)) < len(flat)


def test_a_table_of_many_cells_is_far_smaller_than_one_number_per_line():
    rng = np.random.default_rng(1)
    table = {str(p): {str(c): round(float(x), 9) for c, x in enumerate(rng.dirichlet(np.ones(40)))} for p in range(500)}
    compact, flat = len(model_json({"table": table})), len(json.dumps({"table": table}, indent=1))
    assert compact < 0.8 * flat, (compact, flat)


def test_not_a_number_is_refused():
    with pytest.raises(ValueError):
        model_json({"rho": [math.nan]})
    with pytest.raises(ValueError):
        model_json({"nested": {"rows": [{"x": math.inf}, [1]]}})
