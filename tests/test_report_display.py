"""How the report draws a number column (evaluation/display.py), without Spark."""

from __future__ import annotations

import numpy as np
import pytest

from spark_synth.evaluation import display


def test_whole_numbers_with_few_values_get_a_bar_each_at_their_own_value():
    shown = display.layout("integral", 1, 12, list(range(1, 13)))
    assert shown["kind"] == "values" and display.bar_count(shown) == 12
    values = np.arange(-2, 16, dtype=float)
    assert display.bar_of(values, shown).tolist() == [0, 0, 0, *range(12), 11, 11, 11]  # outer bars open


@pytest.mark.parametrize("seed", range(20))
def test_every_value_lands_in_the_bar_whose_edges_hold_it(seed):
    rng = np.random.default_rng(seed)
    family = rng.choice(["integral", "fractional", "decimal", "date", "timestamp"])
    x = rng.lognormal(rng.uniform(0, 8), rng.uniform(0.1, 2.5), 5000) * rng.choice([1, -1], 5000, p=[0.9, 0.1])
    if family in ("integral", "date", "timestamp"):
        x = np.rint(x)
    lo, hi = float(x.min()), float(x.max())
    shown = display.layout(family, lo, hi, np.quantile(x, np.linspace(0, 1, 1001)).tolist())
    bars = display.bar_of(x, shown)
    assert bars.min() >= 0 and bars.max() < display.bar_count(shown)
    if shown["kind"] == "histogram":
        edges = np.asarray(shown["edges"])
        assert edges[0] == lo and edges[-1] == hi and np.all(np.diff(edges) > 0)
        inside = (x >= edges[bars]) & ((x < edges[bars + 1]) | (bars == len(edges) - 2))
        assert inside.all()
        assert all(lo <= t <= hi for t in shown["ticks"]) and shown["ticks"]
        if family == "integral":  # no bar narrower than one whole number
            assert np.all(np.diff(edges[1:-1]) >= 1)


def test_the_scale_follows_the_data():
    rng = np.random.default_rng(0)
    uniform = rng.uniform(0, 100, 10_000)
    tail = np.r_[rng.exponential(10, 9_990), np.full(10, 1000.0)]
    crossing = tail - 20
    for values, scale in ((uniform, "linear"), (tail + 1, "log"), (crossing, "symlog")):
        q = np.quantile(values, np.linspace(0, 1, 1001)).tolist()
        assert display.choose_scale("fractional", values.min(), values.max(), q) == scale
    q = np.quantile(tail, np.linspace(0, 1, 1001)).tolist()
    assert display.choose_scale("date", tail.min(), tail.max(), q) == "linear"  # time stays linear


def test_ticks_are_round_numbers():
    assert display.ticks("linear", 0, 100, "fractional") == [0, 20, 40, 60, 80, 100]
    assert display.ticks("log", 17, 4983, "integral") == [20, 50, 100, 200, 500, 1000, 2000]  # few decades
    assert display.ticks("log", 1, 1e6, "fractional") == [1, 10, 100, 1000, 1e4, 1e5, 1e6]
    assert display.ticks("symlog", -40, 1300, "integral") == [-10, -1, 0, 1, 10, 100, 1000]
    assert display.format_value("date", 15706) == "2013-01-01"
    assert display.format_value("timestamp", 1_356_998_400_000_000) == "2013-01-01 00:00"
    assert display.nice_step(0.3) == 0.5 and display.nice_step(7) == 10


def test_the_header_names_the_lake_table_version_the_model_was_fitted_on():
    from spark_synth.evaluation.html import _about

    source = {"format": "delta", "location": "lake/flights", "version": 12, "committed_at": "2026-12-01T08:00:00.000Z"}
    header = _about({"real": "lake/flights", "fitted_on": source, "created": "2026-12-06", "version": "0.1"})
    assert "fitted on delta table lake/flights version 12 (committed 2026-12-01T08:00:00.000Z)" in header
    assert "fitted on" not in _about({"real": "x.parquet", "fitted_on": None, "created": "", "version": ""})
