"""The same data gives a byte-identical model, whatever its partitioning (fit/histogram.py,
fit/sampling.py, profile._settle_frequent): the quantiles come from exact bucket counts, the
frequent values from complete or exactly recounted lists, samples from content hashes, and every
table the driver reads back is put in key order."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit
from spark_synth.fit.histogram import Histogram, quantiles
from spark_synth.fit.joint import JointStats, _absorb

# ------------------------------------------------------------------- quantiles from buckets (unit)

LINEAR, SLICES = 2048, 256


def histogram_of(values: np.ndarray, unit: float = 1.0) -> Histogram:
    """What the Spark job computes, in numpy: the buckets of each value's distance from the
    minimum (histogram.bucket_of), with count, smallest and largest value per bucket."""
    v = (values - values.min()) / unit
    with np.errstate(divide="ignore"):
        logarithmic = LINEAR + np.floor((np.log(v) - math.log(LINEAR)) * (SLICES / math.log(2.0)))
    bucket = np.where(v < LINEAR, np.floor(v), logarithmic).astype(np.int64)
    frame = pd.DataFrame({"b": bucket, "x": values}).groupby("b")["x"].agg(["count", "min", "max"]).sort_index()
    return Histogram(frame["count"].to_numpy(), frame["min"].to_numpy(float), frame["max"].to_numpy(float))


GRID = sorted({i / 256 for i in range(257)} | {0.0005, 0.001, 0.9995})


@pytest.mark.parametrize("seed", range(8))
def test_whole_numbers_within_the_linear_range_get_exact_quantiles(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(-500, 1500, size=int(rng.integers(1, 20_000))).astype(float)
    values = np.concatenate([values, np.full(int(rng.integers(0, 3000)), 7.0)])  # a heavy tie
    found = quantiles(histogram_of(values), GRID)
    assert np.array_equal(found, np.quantile(values, GRID, method="inverted_cdf"))


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n: rng.normal(40.7, 0.01, n),  # a narrow range far from zero (latitudes)
        lambda rng, n: rng.lognormal(3.0, 2.0, n),  # a heavy tail over many powers of two
        lambda rng, n: np.round(rng.gamma(2.0, 30.0, n), 2),  # cents, with ties
        lambda rng, n: rng.standard_cauchy(n) * 1e6,  # extremes on both sides
    ],
)
def test_continuous_quantiles_stay_inside_the_bucket_of_the_true_one(draw):
    rng = np.random.default_rng(5)
    values = draw(rng, 50_000)
    unit = (values.max() / 2 - values.min() / 2) * 2.0**-24
    histogram = histogram_of(values, unit)
    found = quantiles(histogram, GRID)
    true = np.quantile(values, GRID, method="inverted_cdf")
    first = np.cumsum(histogram.counts) - histogram.counts
    ranks = np.maximum(np.ceil(np.asarray(GRID) * len(values)) - 1, 0)
    at = np.searchsorted(first, ranks, side="right") - 1
    width = histogram.highs[at] - histogram.lows[at]
    assert np.all(np.abs(found - true) <= width)  # within the bucket holding the true quantile
    assert np.all(histogram.lows[at] <= true) and np.all(true <= histogram.highs[at])
    assert np.all(np.diff(found) >= 0)
    # and the buckets are narrow: 0.3 % of the distance from the minimum at most
    distance = true - values.min()
    assert np.all(width <= 0.003 * distance + unit)


def test_a_table_sent_back_both_dense_and_sparse_adds_up():
    """A contingency table dense in some partitions travels as a vector, sparse in others as
    cells: both add up (the cells used to be overwritten: rows lost with 3 partitions)."""
    stats = JointStats()
    _absorb(stats, ("pair", 0, 1, 1, 2, "", 3, 0.0, None))
    _absorb(stats, ("pairs", 0, 1, 4, 0, "", 0, 0.0, [0, 0, 0, 0, 0, 0, 5, 1]))  # width 4: cells (1, 2), (1, 3)
    _absorb(stats, ("pair", 0, 1, 0, 1, "", 2, 0.0, None))
    assert stats.pair_counts[(0, 1)] == {(1, 2): 8, (1, 3): 1, (0, 1): 2}


# ------------------------------------------------------------------- whole fits (Spark)


def mixed_table(seed: int, rows: int = 6000) -> pd.DataFrame:
    """Every kind of statistic the fit reads: whole numbers (narrow, wide, near 2^62), doubles
    with a heavy tail, a category with a numeric child of its own per code, a high-cardinality
    string (more values than max_categories), names (words), dates and nulls."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["a", "b", "c", "d"], rows, p=[0.4, 0.3, 0.2, 0.1])
    base = {"a": 10.0, "b": 200.0, "c": 5000.0, "d": 0.5}
    return pd.DataFrame(
        {
            "kind": kind,
            "value": np.round([base[k] * rng.lognormal(0.0, 0.5) for k in kind], 2),
            "count": rng.integers(0, 40, rows),
            "wide": rng.integers(-(10**9), 10**9, rows),
            "huge": 2**62 + rng.integers(0, 5000, rows),
            "tail": rng.pareto(1.5, rows) * 100,
            "code": [f"C{int(x):05d}" for x in rng.zipf(1.3, rows) % 90_000],
            "name": rng.choice(["Maria", "John", "Wei", "Aisha", "Olga", "Pedro", "Li", "Anna"], rows),
            "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "maybe": np.where(rng.random(rows) < 0.3, np.nan, rng.normal(0, 1, rows)),
        }
    )


def test_the_same_data_gives_the_same_model_at_any_partitioning(spark, monkeypatch):
    """1, 3 and 8 partitions: byte-identical models (each fit also reruns every job the
    others ran, in another task order). The samples the fit reads (rule screening, words) are
    made smaller than the table so that they are taken."""
    monkeypatch.setattr(importlib.import_module("spark_synth.fit.rules"), "SCREEN_ROWS", 1500)
    monkeypatch.setattr(importlib.import_module("spark_synth.fit.words"), "MAX_READ", 1500)
    frame = spark.createDataFrame(mixed_table(4)).cache()
    models = [fit(frame.repartition(parts), table="mixed", max_categories=40).to_json() for parts in (1, 3, 8)]
    assert len(set(models)) == 1
    frame.unpersist()


def test_hashed_samples_pick_the_same_rows_at_any_partitioning(spark):
    from pyspark.sql import functions as F

    from spark_synth.fit.sampling import hashed_rows, hashed_sample

    frame = spark.range(20_000).select(F.col("id"), (F.col("id") % 97).alias("k"))
    picked = {
        parts: (
            sorted(r.id for r in hashed_sample(frame.repartition(parts), [F.col("id"), F.col("k")], 0.05, 3).collect()),
            sorted(r.id for r in hashed_rows(frame.repartition(parts), [F.col("id")], 20_000, 700, 3).collect()),
        )
        for parts in (1, 5)
    }
    assert picked[1] == picked[5]
    sample, rows = picked[1]
    assert 800 < len(sample) < 1200 and len(rows) == 700
