"""Merging slices' statistics, Spark-free: buckets, frequent values, row sketches, codes, rules."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from spark_synth.fit.histogram import Histogram, quantiles
from spark_synth.fit.profile import DOUBLE_STEP_SHARE, QUANTILE_GRID
from spark_synth.fit.sampling import HASH_RANGE
from spark_synth.fit.statistics import ROW_SKETCH, TableStatistics

merge = importlib.import_module("spark_synth.fit.merge")


def _histogram(values: np.ndarray, exact: bool, origin: float, unit: float) -> Histogram:
    """What profile._add_quantiles reads back for one slice: per bucket count, smallest, largest
    (exact columns as distances from the slice's minimum, doubles as values)."""
    cells = values - origin if exact else values
    buckets = merge._bucket(merge._distance(cells, origin, exact) / unit)
    order = np.lexsort([cells, buckets])
    buckets, cells = buckets[order], cells[order]
    starts = np.flatnonzero(np.concatenate([[True], buckets[1:] != buckets[:-1]]))
    return Histogram(
        counts=np.diff(np.append(starts, len(cells))).astype(np.int64),
        lows=np.minimum.reduceat(cells, starts).astype(np.float64),
        highs=np.maximum.reduceat(cells, starts).astype(np.float64),
    )


def _double_unit(values: np.ndarray) -> float:
    return max((values.max() / 2 - values.min() / 2) * DOUBLE_STEP_SHARE, 5e-324)


def _true_quantiles(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    ranks = np.maximum(np.ceil(np.asarray(QUANTILE_GRID) * len(values)) - 1, 0).astype(int)
    return ordered[ranks]


@pytest.mark.parametrize("seed", range(5))
def test_merged_buckets_give_exact_quantiles_of_whole_numbers(seed):
    """Two slices with different minima, whole numbers within 2,048 units of the union's minimum:
    the merged histogram's quantiles are the union's exactly."""
    rng = np.random.default_rng(seed)
    a = rng.integers(100, 1500, 3000).astype(np.float64)
    b = rng.integers(400, 2000, 5000).astype(np.float64)
    union = np.concatenate([a, b])
    low = union.min()
    cells = [_histogram(x, True, x.min(), 1.0) for x in (a, b)]
    merged = merge.rebucket(
        np.concatenate([h.lows + (x.min() - low) for h, x in zip(cells, (a, b))]),
        np.concatenate([h.highs + (x.min() - low) for h, x in zip(cells, (a, b))]),
        np.concatenate([h.counts for h in cells]),
        0.0,
        1.0,
        True,
    )
    got = low + np.round(quantiles(merged, QUANTILE_GRID))
    assert np.array_equal(got, _true_quantiles(union))


@pytest.mark.parametrize("seed", range(5))
def test_merged_buckets_of_doubles_stay_within_a_bucket_of_the_union(seed):
    """Heavy-tailed doubles in two slices of different ranges: each merged quantile is within one
    bucket of the union's layout of the true one (0.27 % of the distance from the minimum, or one
    linear step)."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(2.0, 1.0, 4000)
    b = rng.lognormal(3.0, 0.5, 3000) - 5.0
    union = np.concatenate([a, b])
    unit = _double_unit(union)
    cells = [_histogram(x, False, x.min(), _double_unit(x)) for x in (a, b)]
    merged = merge.rebucket(
        np.concatenate([h.lows for h in cells]),
        np.concatenate([h.highs for h in cells]),
        np.concatenate([h.counts for h in cells]),
        union.min(),
        unit,
        False,
    )
    got, true = quantiles(merged, QUANTILE_GRID), _true_quantiles(union)
    distance = true - union.min()
    tolerance = np.maximum(distance * (2 ** (1 / 256) - 1), 2 * unit) * 1.01
    assert np.all(np.abs(got - true) <= tolerance)
    assert merged.n == len(union)


def test_frequent_values_add_and_rare_values_are_kept_for_the_threshold():
    merged = merge.merge_top([[("a", 10), ("rare", 3)], [("b", 7), ("rare", 3), ("a", 1)]], 10)
    assert merged == [("a", 11), ("b", 7), ("rare", 6)]
    assert merge.merge_top([[("x", 2), ("y", 2), ("z", 1)]], 2) == [("x", 2), ("y", 2)]


def _sketch(ids: range) -> list[int]:
    return sorted({(i * 0x9E3779B97F4A7C15 + 12345) % (1 << 64) % HASH_RANGE for i in ids})[:ROW_SKETCH]


def test_row_sketches_tell_overlapping_slices_from_disjoint_ones():
    days = [range(i * 100_000, (i + 1) * 100_000) for i in range(3)]
    assert merge.shared_share(_sketch(days[0]), _sketch(days[1])) < 0.05
    assert merge.shared_share(_sketch(days[0]), _sketch(days[0])) == pytest.approx(1.0)
    week = range(0, 300_000)
    assert merge.shared_share(_sketch(days[1]), _sketch(week)) > 0.8  # a day inside the week
    small = [range(0, 50), range(50, 100)]
    assert merge.shared_share(_sketch(small[0]), _sketch(small[1])) == 0.0


def _numeric_entry(name: str, values: list[float]) -> dict:
    grid = list(QUANTILE_GRID)
    return {
        "family": "fractional",
        "input": name,
        "column": {
            "kind": "continuous",
            "name": name,
            "spark_type": '"double"',
            "nullable": True,
            "null_fraction": 0.1,
            "min": values[0],
            "max": values[-1],
            "quantiles": {"probabilities": grid, "values": list(np.interp(grid, [0, 1], [values[0], values[-1]]))},
        },
    }


def _categorical_entry(name: str, values: list[str]) -> dict:
    return {
        "family": "string",
        "input": name,
        "column": {
            "kind": "categorical",
            "name": name,
            "spark_type": '"string"',
            "nullable": True,
            "null_fraction": 0.0,
            "values": values,
            "probabilities": [1 / (len(values) + 1)] * len(values),
            "other_probability": 1 / (len(values) + 1),
        },
    }


def test_code_transform_is_the_identity_between_equal_frames():
    for entry in (_numeric_entry("x", [0.0, 10.0]), _categorical_entry("c", ["a", "b", "c"])):
        matrix = merge.code_transform(entry, entry, 8, [], {1: 5, 2: 5})
        assert np.allclose(matrix, np.eye(len(matrix)))


def test_code_transform_moves_categories_and_spreads_a_wider_range_by_mass():
    old, new = _categorical_entry("c", ["a", "b"]), _categorical_entry("c", ["b", "a", "rare"])
    # old codes: 0 null, 1 a, 2 b, 3 other (20 rows, of which 'rare' listed with 12)
    matrix = merge.code_transform(old, new, 8, [("a", 50), ("b", 30), ("rare", 12)], {3: 20})
    assert matrix[1, 2] == 1 and matrix[2, 1] == 1
    assert matrix[3, 3] == pytest.approx(0.6) and matrix[3, 4] == pytest.approx(0.4)
    narrow, wide = _numeric_entry("x", [0.0, 10.0]), _numeric_entry("x", [0.0, 20.0])
    matrix = merge.code_transform(narrow, wide, 4, [], {})
    assert np.allclose(matrix.sum(axis=1), 1.0)
    # cuts of the wide column at 0.02, 0.1, 5, 10, 15, ...: the narrow one's values are in codes 1-4
    assert matrix[1:, 5:].sum() == pytest.approx(0.0, abs=1e-9)
    assert matrix[1:, 1:5].sum() == pytest.approx(matrix.shape[0] - 1)


def _stats(rules: list[dict], rows: int) -> TableStatistics:
    return TableStatistics(
        table="t",
        options={},
        fields=[],
        rows=rows,
        profiles=[],
        copula_entries=[],
        strings=[],
        joint=None,  # type: ignore[arg-type]
        rules=rules,
        row_hashes=[],
    )


def test_rules_kept_only_when_every_slice_found_them_with_row_weighted_shares():
    order = {"form": "order", "low": "start", "high": "end", "share": 1.0}
    mapping = {
        "form": "map",
        "sources": ["code"],
        "target": "label",
        "pairs": [{"when": ["a"], "then": "x"}],
        "share": 1.0,
    }
    other = dict(mapping, pairs=[{"when": ["b"], "then": "y"}], share=0.998)
    only_first = {"form": "null_with", "column": "b", "when_null": "a", "share": 1.0}
    merged = merge.merge_rules(
        [_stats([order, mapping, only_first], 300), _stats([dict(order, share=0.999), other], 100)]
    )
    assert [r.form for r in merged] == ["order", "map"]
    assert merged[0].share == pytest.approx((300 + 0.999 * 100) / 400)
    assert sorted(p.when[0] for p in merged[1].pairs) == ["a", "b"]
    conflict = dict(mapping, pairs=[{"when": ["a"], "then": "z"}])
    assert merge.merge_rules([_stats([mapping], 10), _stats([conflict], 10)]) == []
