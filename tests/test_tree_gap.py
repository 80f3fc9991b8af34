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
