"""The report's pictures tell the truth: every bar's share, recounted independently with a Spark
groupBy on the same rows, equals the share the report shows (and the bars are where the report
says they are). A value v drawn in the bar of v - 1 cannot pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.evaluation.shapes import DISPLAY_CATEGORIES, column_shapes_and_distributions

SCHEMA = T.StructType(
    [
        T.StructField("month", T.IntegerType()),  # few whole values: one bar per value
        T.StructField("delay", T.LongType()),  # wide integers with a long tail, crossing zero
        T.StructField("distance", T.IntegerType()),  # wide positive integers, a long tail
        T.StructField("price", T.DecimalType(10, 2)),
        T.StructField("ratio", T.DoubleType()),
        T.StructField("day", T.DateType()),
        T.StructField("at", T.TimestampType()),
        T.StructField("at_ntz", T.TimestampNTZType()),
        T.StructField("carrier", T.StringType()),  # more than DISPLAY_CATEGORIES values: (other)
    ]
)


def _table(seed: int, rows: int, shift: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    month = rng.choice(np.arange(1, 13), rows, p=np.r_[np.full(11, 0.08), 0.12])
    delay = np.rint(rng.exponential(20, rows) * rng.choice([1, 1, 1, -0.2], rows) ** 3 + shift).astype(int)
    delay[rng.random(rows) < 0.003] = 1300 + shift
    distance = np.rint(rng.lognormal(6.5, 0.6, rows)).astype(int) + 17 + shift
    day = [dt.date(2013, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365 + shift, rows)]
    at = [dt.datetime(2013, 1, 1, 5) + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 500_000, rows)]
    carrier = rng.choice([f"C{i:02d}" for i in range(20 + shift)], rows, p=_zipf(20 + shift))
    frame = pd.DataFrame(
        {
            "month": month + (shift if seed % 2 else 0),  # the synthetic side may step past December
            "delay": delay,
            "distance": distance,
            "price": [Decimal(f"{v:.2f}") for v in rng.gamma(2.0, 40.0, rows)],
            "ratio": rng.beta(2, 5, rows),
            "day": day,
            "at": at,
            "at_ntz": at,
            "carrier": carrier,
        }
    ).astype(object)
    frame.loc[rng.random(rows) < 0.05, "ratio"] = None  # shares are of non-null rows
    return frame


def _zipf(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1)
    return w / w.sum()


def _value(name: str):
    """The column on the report's scale: days for dates, microseconds for timestamps."""
    sql = {
        "day": "unix_date(day)",
        "at": "unix_micros(at)",
        "at_ntz": "timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', at_ntz)",
    }
    return F.expr(sql.get(name, name)).cast("double")


def _shares(frame, bar) -> dict:
    counted = frame.where(bar.isNotNull()).groupBy(bar.alias("bar")).count().collect()
    total = sum(r["count"] for r in counted)
    return {r["bar"]: r["count"] / total for r in counted}


@pytest.mark.parametrize("seed", [1])  # one seed covers every kind; display.py's own tests take 20
def test_every_bar_shows_the_share_a_spark_group_by_counts(spark, seed):
    real = spark.createDataFrame(_table(seed, 4000, 0), SCHEMA)
    synthetic = spark.createDataFrame(_table(seed + 100, 3000, 3), SCHEMA)
    _, shown = column_shapes_and_distributions(real, synthetic)
    kinds = {name: d["kind"] for name, d in shown.items()}
    assert kinds["month"] == "values" and kinds["carrier"] == "categories"
    assert {kinds[c] for c in ("delay", "distance", "price", "ratio", "day", "at", "at_ntz")} == {"histogram"}
    assert shown["delay"]["scale"] == "symlog" and shown["distance"]["scale"] == "log"
    assert shown["day"]["scale"] == "linear"
    for name, d in shown.items():
        for side, frame in (("real", real), ("synthetic", synthetic)):
            if d["kind"] == "values":
                low, high = real.agg(F.min(name), F.max(name)).first()
                assert (d["lo"], d["hi"]) == (low, high)
                bar = F.least(F.greatest(F.col(name), F.lit(low)), F.lit(high)) - low
                expected = [_shares(frame, bar).get(i, 0.0) for i in range(high - low + 1)]
                assert d["labels"] == [str(v) for v in range(low, high + 1)]
            elif d["kind"] == "histogram":
                x = _value(name)
                low, high = real.agg(F.min(x), F.max(x)).first()
                assert (d["edges"][0], d["edges"][-1]) == (low, high), name
                bar = sum((F.when(x >= e, 1).otherwise(0) for e in d["edges"][1:-1]), F.lit(0))
                counted = _shares(frame.where(x.isNotNull()), bar)
                expected = [counted.get(i, 0.0) for i in range(len(d["edges"]) - 1)]
            else:
                counts = {r[0]: r[1] for r in real.groupBy(name).count().collect()}
                labels = d["labels"][:-1]
                assert len(labels) == DISPLAY_CATEGORIES and d["labels"][-1] == "(other)"
                left_out = [n for v, n in counts.items() if v not in labels]
                assert min(counts[v] for v in labels) >= max(left_out), "the most frequent real values (ties aside)"
                counted = _shares(frame, F.col(name))
                expected = [counted.get(v, 0.0) for v in d["labels"][:-1]]
                expected.append(1.0 - sum(expected))
            np.testing.assert_allclose(d[side], expected, atol=2e-6, err_msg=f"{name} {side}")
