"""What a tree edge costs (fit/fitter.py, max_parents > 1): a weak pair under
min_mutual_information joins the tree when it holds WEAK_EDGE_MI nats and more than its table's
description length (pays_as_weak_edge); a wide pair (more than WIDE_EDGE_CELLS cells) competes
net of that length (wide_edge_cost).

Spark-free checks of both rules; a Spark fit of a survey whose region and ethnicity hang together
by about 0.01 nats on 20,000 rows (before, both were lone roots and their pair came out
independent); and a fleet whose 3,000 tail numbers fly in their own months: a table of 3,000 x
12 cells seen a few times each (most under k, never stored) no longer wins a tree edge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit, generate
from spark_synth.fit.fitter import WEAK_EDGE_MI, WIDE_EDGE_CELLS, pays_as_weak_edge, wide_edge_cost


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


def test_a_wide_pair_pays_for_its_cells_beyond_the_bound():
    assert wide_edge_cost(WIDE_EDGE_CELLS, 30_000) == 0.0, "a table up to the bound competes on its information"
    assert wide_edge_cost(WIDE_EDGE_CELLS + 1, 30_000) == pytest.approx((WIDE_EDGE_CELLS + 1) * np.log(30_000) / 60_000)
    assert wide_edge_cost(20_000, 10**9) < 1e-3, "on enough rows the same table costs next to nothing"


def _fleet(rows: int, tails: int, seed: int) -> pd.DataFrame:
    """Each tail number flies in six months of its own and for one of 12 carriers (a rule's
    worth: 3,000 cells, under the bound); a distance follows the carrier."""
    rng = np.random.default_rng(seed)
    tail = np.arange(rows) % tails
    months = np.array([rng.choice(12, 6, replace=False) for _ in range(tails)])
    carrier_of = rng.integers(0, 12, tails)
    carrier = carrier_of[tail]
    return pd.DataFrame(
        {
            "tailnum": [f"N{t:04d}" for t in tail],
            "month": months[tail, rng.integers(0, 6, rows)] + 1,
            "carrier": [f"C{c:02d}" for c in carrier],
            "distance": np.round(200 + 150 * carrier + rng.normal(0, 40, rows)),
        }
    )


def test_a_wide_pair_of_few_rows_per_cell_is_no_tree_edge(spark):
    real = spark.createDataFrame(_fleet(30_000, 3_000, 5))
    network = fit(real, table="fleet")
    edges = {frozenset((d.parent, d.child)) for d in network.spec.dependencies}
    assert frozenset(("tailnum", "month")) not in edges, "18,000 cells of about 2 rows each"
    assert frozenset(("tailnum", "carrier")) in edges, "a narrow table of a strong pair stays"
    assert frozenset(("carrier", "distance")) in edges
    tree = fit(real, table="fleet", max_parents=1)
    tree_edges = {frozenset((d.parent, d.child)) for d in tree.spec.dependencies}
    assert frozenset(("tailnum", "month")) in tree_edges, "max_parents=1: the tree as it was"
