"""How far a table's dependence is from a tree (issue 13): pure logic, no Spark."""

from __future__ import annotations

import numpy as np
import pytest

from spark_synth.model.correlation import tree_gap, tree_implied


def test_a_chain_implies_the_product_of_its_edges():
    names = ["a", "b", "c"]
    real = np.array([[1.0, 0.8, 0.4], [0.8, 1.0, 0.5], [0.4, 0.5, 1.0]])
    implied = tree_implied(real, names, [("a", "b"), ("b", "c")])
    assert implied[0, 2] == pytest.approx(0.4) and implied[2, 0] == pytest.approx(0.4)
    assert tree_gap(real, names, [("a", "b"), ("b", "c")])["max_gap"] == pytest.approx(0.0, abs=1e-12)


def test_shares_that_sum_to_a_constant_are_not_a_tree():
    """Four shares of a whole: every pair negatively correlated (about -1/3); a star tree through
    one of them implies +1/9 for the others' pairs."""
    rng = np.random.default_rng(0)
    parts = rng.dirichlet([5, 5, 5, 5], 20_000)
    real = np.corrcoef(parts.T)
    names = ["s1", "s2", "s3", "s4"]
    gap = tree_gap(real, names, [("s1", "s2"), ("s1", "s3"), ("s1", "s4")])
    assert gap["max_gap"] > 0.4 and gap["share_off"] == pytest.approx(0.5) and "s1" not in gap["pair"]


def test_two_trees_meet_through_their_roots():
    names = ["r1", "x", "r2", "y"]
    real = np.array([[1.0, 0.5, 0.6, 0.0], [0.5, 1.0, 0.0, 0.0], [0.6, 0.0, 1.0, 0.9], [0.0, 0.0, 0.9, 1.0]])
    implied = tree_implied(real, names, [("r1", "x"), ("r2", "y")])
    assert implied[1, 3] == pytest.approx(0.5 * 0.6 * 0.9)


def test_only_numeric_paths_count_when_asked():
    names = ["cat", "x", "y"]
    real = np.array([[1.0, 0.1, 0.1], [0.1, 1.0, 0.95], [0.1, 0.95, 1.0]])
    edges = [("cat", "x"), ("cat", "y")]  # x and y meet through a categorical column
    assert tree_gap(real, names, edges)["max_gap"] > 0.9
    assert tree_gap(real, names, edges, numeric={"x", "y"})["pairs"] == 0


def _chow_liu_on(real: np.ndarray) -> tuple[list, dict]:
    """Edges of the maximum-|r| spanning tree (a Gaussian Chow-Liu tree) and Gaussian MIs."""
    from spark_synth.fit.block import gaussian_mi
    from spark_synth.fit.dependence import chow_liu_edges

    d = len(real)
    mi = {(i, j): gaussian_mi(real[i, j]) for i in range(d) for j in range(i + 1, d)}
    return chow_liu_edges(d, mi, 0.0), mi


def test_shares_of_a_whole_become_one_gaussian_block():
    """Ten shares summing to 100 plus a count: the tree serves them badly; the block takes every
    share, drops the edges among them and keeps the count hanging from the block."""
    from spark_synth.fit.block import choose_block, orient_forest

    rng = np.random.default_rng(1)
    shares = rng.dirichlet(np.full(10, 4.0), 20_000) * 100
    votes = shares[:, 0] * 50 + rng.normal(0, 40, 20_000)
    real = np.corrcoef(np.column_stack([shares, votes]).T)
    names = [f"s{i}" for i in range(10)] + ["votes"]
    edges, mi = _chow_liu_on(real)
    before = tree_gap(real, names, [(names[p], names[c]) for p, c, _ in edges])
    block = choose_block(real, names, set(names), edges, mi)
    assert before["max_gap"] > 0.1 and set(range(10)) <= set(block)
    oriented = orient_forest(len(names), edges, block)
    assert not any(p in block and c in block for p, c, _ in oriented)  # the copula carries those
    after = tree_gap(real, names, [(names[p], names[c]) for p, c, _ in oriented])
    assert after["max_gap"] < 0.05 < before["max_gap"]
    children = {c for _, c, _ in oriented}
    assert children == set(range(len(names))) - set(block)  # every other column still has a parent


def test_a_tree_shaped_table_keeps_its_tree():
    from spark_synth.fit.block import choose_block

    rng = np.random.default_rng(2)
    a = rng.normal(size=20_000)
    b = 0.8 * a + 0.6 * rng.normal(size=20_000)
    c = 0.7 * b + 0.71 * rng.normal(size=20_000)
    real = np.corrcoef(np.column_stack([a, b, c]).T)
    edges, mi = _chow_liu_on(real)
    assert choose_block(real, ["a", "b", "c"], {"a", "b", "c"}, edges, mi) == []


def test_a_staircase_edge_stays_in_the_tree():
    """A column that is a far-from-Gaussian function of a block column (hour of a clock time) keeps
    its edge; the driven root never joins the block."""
    from spark_synth.fit.block import choose_block

    names = ["x", "y", "z", "hour"]
    real = np.array([[1.0, 0.6, 0.6, 0.5], [0.6, 1.0, -0.2, 0.3], [0.6, -0.2, 1.0, 0.3], [0.5, 0.3, 0.3, 1.0]])
    edges = [(0, 1, 0.2), (0, 2, 0.2), (0, 3, 2.5)]
    mi = {(0, 1): 0.2, (0, 2): 0.2, (0, 3): 2.5, (1, 2): 0.05}
    block = choose_block(real, names, set(names), edges, mi)
    assert 3 not in block and {1, 2} <= set(block)  # x joins too: it lies between them
    assert 0 not in choose_block(real, names, set(names), edges, mi, fixed_root=0)


def test_re_rooting_keeps_every_edge_of_a_component_hanging_from_the_block():
    """weather's shape: time_hour - temp - dewp with dewp in the block and time_hour also next to
    wind_dir (in the block): the component {time_hour, temp, month} hangs from its strongest edge
    to the block (temp - dewp) and keeps time_hour - temp and time_hour - month."""
    from spark_synth.fit.block import orient_forest

    # 0 time_hour, 1 temp, 2 dewp, 3 wind_dir, 4 month, 5 humid
    edges = [(0, 4, 2.3), (0, 1, 0.9), (0, 3, 0.2), (1, 2, 0.89), (2, 5, 0.28)]
    oriented = orient_forest(6, edges, [2, 3, 5])
    assert sorted((p, c) for p, c, _ in oriented) == [(0, 4), (1, 0), (2, 1)]


def test_only_gaussian_like_columns_may_join_a_block():
    from spark_synth.fit.block import gaussian_like
    from spark_synth.model.schema import NumericColumn, QuantileFunction

    def column(null_fraction: float, values: list[float]) -> NumericColumn:
        grid = np.linspace(0, 1, len(values)).tolist()
        return NumericColumn(
            kind="continuous",
            name="x",
            spark_type='"double"',
            nullable=True,
            null_fraction=null_fraction,
            min=values[0],
            max=values[-1],
            quantiles=QuantileFunction(probabilities=grid, values=values),
        )

    assert gaussian_like(column(0.0, [0.0, 1.0, 2.0, 3.0, 4.0]))
    assert not gaussian_like(column(0.3, [0.0, 1.0, 2.0, 3.0, 4.0]))  # many nulls
    assert not gaussian_like(column(0.0, [0.0, 1.0, 10.0, 10.0, 10.0]))  # half the rows at 10


def test_a_block_must_fit_better_than_the_tables_it_replaces():
    """The block's Gaussian total correlation against what the dropped edges' tables held: the
    same correlations with Gaussian tables make a block; tables that hold far more than their
    correlation (diamonds' z = depth x mean(x, y): a product, not an ellipse) keep the tree."""
    from spark_synth.fit.block import choose_block, information_gain

    names = ["a", "b", "c"]
    real = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, -0.4], [0.5, -0.4, 1.0]])
    edges, gaussian_tables = _chow_liu_on(real)
    block = choose_block(real, names, set(names), edges, gaussian_tables)
    assert block == [0, 1, 2]
    assert information_gain(real, edges, [], gaussian_tables, block) > 0.1
    shaped_tables = {pair: mi + 1.0 for pair, mi in gaussian_tables.items()}  # each table a nat above
    assert information_gain(real, edges, [], shaped_tables, block) < 0
    assert choose_block(real, names, set(names), edges, shaped_tables) == []


def test_a_block_sheds_the_member_that_costs_more_than_it_brings():
    """weather's shape: wind speed joins the block through its correlations, but its edge to wind
    direction is a table richer than its correlation (calm air: direction 0 at speed 0): with it
    the block no longer pays, without it the rest does — the block keeps the three."""
    from spark_synth.fit.block import choose_block, information_gain, orient_forest

    names = ["temp", "dewp", "humid", "wind"]
    real = np.array([[1.0, 0.5, 0.5, 0.45], [0.5, 1.0, -0.15, -0.1], [0.5, -0.15, 1.0, 0.5], [0.45, -0.1, 0.5, 1.0]])
    edges, mi = _chow_liu_on(real)
    assert choose_block(real, names, set(names), edges, mi) == [0, 1, 2, 3]
    wind_edge = next((min(p, c), max(p, c)) for p, c, _ in edges if 3 in (p, c))
    shaped = {**mi, wind_edge: mi[wind_edge] + 0.24}  # below the staircase rule's 0.25 nats
    assert information_gain(real, edges, orient_forest(4, edges, [0, 1, 2, 3]), shaped, [0, 1, 2, 3]) < 0.1
    assert choose_block(real, names, set(names), edges, shaped) == [0, 1, 2]
