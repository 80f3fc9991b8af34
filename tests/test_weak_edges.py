"""Weak tree edges (fit/fitter.py pays_as_weak_edge): a pair under min_mutual_information joins
the tree when it holds WEAK_EDGE_MI nats and more than its table's description length.

A Spark-free check of the rule, and a Spark fit of a survey whose region and ethnicity hang
together by about 0.01 nats on 20,000 rows: before, both were lone roots and their pair came out
independent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit, generate
from spark_synth.fit.fitter import WEAK_EDGE_MI, pays_as_weak_edge


def test_a_weak_pair_pays_by_its_cells_and_rows():
    assert pays_as_weak_edge(0.01, 8, 20_000), "a small table on many rows"
    assert not pays_as_weak_edge(0.01, 4_000, 20_000), "4,000 cells cost 0.99 nats per row"
    assert not pays_as_weak_edge(WEAK_EDGE_MI / 2, 4, 1_000_000), "under the floor whatever the rows"
    assert pays_as_weak_edge(0.01, 4_000, 10_000_000), "the same table pays on enough rows"


def _survey(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], rows)
    share = {"north": 0.08, "south": 0.2, "east": 0.1, "west": 0.06}
    ethnicity = np.where(rng.random(rows) < np.vectorize(share.get)(region), "afam", "cauc")
    return pd.DataFrame({"region": region, "ethnicity": ethnicity, "hours": rng.integers(10, 60, rows)})


def test_a_weak_but_real_pair_is_drawn_together(spark):
    real = _survey(20_000, 3)
    model = fit(spark.createDataFrame(real), table="survey")
    edges = {frozenset((d.parent, d.child)) for d in model.spec.dependencies}
    assert frozenset(("region", "ethnicity")) in edges
    made = generate(spark, model, rows=20_000, seed=1).toPandas()
    for region, expected in (("south", 0.2), ("west", 0.06)):
        got = (made.ethnicity[made.region == region] == "afam").mean()
        assert got == pytest.approx(expected, abs=0.025), region
    assert not any("hours" in edge for edge in edges), "an independent column stays a lone root"
    tree = fit(spark.createDataFrame(real), table="survey", max_parents=1)
    assert not tree.spec.dependencies, "max_parents=1: the tree as it was, weak pairs left out"
