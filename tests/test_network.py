"""Second parents (issue 37, fit/network.py): a child of the tree may depend on two columns.

Spark-free tests pin the choice (candidates before the child, the penalty, the privacy filter,
the budget) and the plan's rows; Spark tests fit the chain-and-collider fixture and check that
the collider's joint survives, the chain gets no second parent, max_parents=1 is the tree, the
rows do not depend on partitioning, and conditions stay exact."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures.checks import assert_rows_do_not_depend_on_partitions
from fixtures.tables import chain_and_collider

from spark_synth import fit, generate
from spark_synth.errors import ArgumentError
from spark_synth.fit.fitter import check_max_parents
from spark_synth.fit.network import MAX_COUNTED_CELLS, MIN_GAIN, Triple, candidates, choose, second_table
from spark_synth.model.schema import Dependency
from spark_synth.plan.compiler import compile_plan, second_conditional


def _collider_counts(rows: int, noise: float, seed: int) -> dict[tuple[int, int, int], int]:
    """(a, b, c) code counts with c = a + b except in a `noise` share of rows (codes from 1)."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(1, 4, rows), rng.integers(1, 4, rows)
    c = np.where(rng.random(rows) < noise, rng.integers(2, 7, rows), a + b)
    keys, counts = np.unique(np.stack([a, b, c]), axis=1, return_counts=True)
    return {tuple(int(v) for v in key): int(n) for key, n in zip(keys.T, counts)}


def _independent_counts(rows: int, seed: int) -> dict[tuple[int, int, int], int]:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(1, 4, rows), rng.integers(1, 4, rows)
    c = np.where(rng.random(rows) < 0.8, a, rng.integers(1, 4, rows))  # depends on a alone
    keys, counts = np.unique(np.stack([a, b, c]), axis=1, return_counts=True)
    return {tuple(int(v) for v in key): int(n) for key, n in zip(keys.T, counts)}


@pytest.mark.parametrize("seed", range(6))
def test_a_second_parent_pays_only_where_the_child_needs_both(seed):
    table, rest, gain, cells = second_table(_collider_counts(20_000, 0.1, seed), min_count=10)
    assert gain > 0.3 and cells == sum(len(row) for row in table.values()) + sum(len(r) for r in rest.values())
    for row in table.values():
        assert 0.5 <= sum(row.values()) <= 1.0 + 1e-9, "a row holds its kept share"
    _, _, noise_gain, _ = second_table(_independent_counts(20_000, seed), min_count=10)
    assert noise_gain < MIN_GAIN, "c depends on a alone: b adds nothing but cells"


def test_rows_under_k_or_mostly_rare_are_not_stored_and_rare_cells_keep_their_mass():
    counts = {(1, 1, 1): 50, (1, 1, 2): 50, (1, 2, 1): 9, (1, 3, 1): 40, (1, 3, 2): 9, (1, 3, 3): 9}
    counts |= {(1, 4, 1): 12, (1, 4, 2): 9, (1, 4, 3): 9}
    table, rest, _, _ = second_table(counts, min_count=10)
    assert "1,1" in table and table["1,1"] == {"1": 0.5, "2": 0.5}
    # what the stored rows leave under code 1: c1 9 + 12 (the 40 and 50 stored), c2 9 + 9, c3 9 + 9
    assert list(rest) == ["1"] and rest["1"] == pytest.approx({"1": 21 / 57, "2": 18 / 57, "3": 18 / 57}, abs=1e-8)
    assert "1,2" not in table, "a row of 9 rows is below k"
    assert table["1,3"] == {"1": round(40 / 58, 9)}, "cells under k are not stored; their share is left to the tree"
    assert "1,4" not in table, "its cells of >= k rows hold 12 of 30 rows: the tree's row serves better"
    assert all(n >= 10 for (a, b, c), n in counts.items() if f"{a},{b}" in table and str(c) in table[f"{a},{b}"])


def test_a_rest_row_shares_its_small_cells_merged_sum_as_the_tree_row_does():
    """Under code 1 the rows of b = 2 and b = 3 are too mixed to store: the rest row holds them,
    16 rows of c1 and 4 of each other code (cells under k). Dropped, those rows would all draw
    c1 and the child's marginal would lose 12 rows of c2-c4 (airports' time zone lost 0.9 % of
    its mass so). Their merged sum (12 >= k) is kept, shared as the tree's row shares c2-c4; a
    merged sum under k is still dropped."""
    counts = {(1, 1, 1): 100, (1, 1, 2): 100, (1, 1, 3): 20, (1, 1, 4): 20}
    counts |= {(1, 2, 1): 8, (1, 2, 2): 4, (1, 3, 1): 8, (1, 3, 3): 4, (1, 3, 4): 4}
    table, rest, _, _ = second_table(counts, min_count=10)
    assert list(table) == ["1,1"]
    tree = {2: 104, 3: 24, 4: 24}  # the tree's row under code 1, cells >= k
    expected = {"1": 16 / 28} | {str(c): 12 * n / sum(tree.values()) / 28 for c, n in tree.items()}
    assert rest["1"] == pytest.approx(expected, abs=1e-8)
    table, rest, _, _ = second_table(counts | {(1, 3, 4): 0}, min_count=10)
    assert rest["1"] == {"1": 1.0}, "8 rows merged: under k, dropped"


def test_candidates_come_before_the_child_and_rules_ties_first():
    order = ["r", "p", "q", "s", "t", "u", "child", "late"]
    parent_of = {"p": "r", "q": "p", "s": "p", "t": "p", "u": "q", "child": "p", "late": "p"}
    mi = {frozenset(("child", o)): v for o, v in (("r", 0.3), ("q", 0.5), ("t", 0.01), ("u", 0.8), ("late", 0.9))}
    mi[frozenset(("p", "s"))] = 0.4  # a sibling that tells about the parent: a collider's other cause
    codes = dict.fromkeys(order, 10)
    found = [t for t in candidates(order, parent_of, mi, codes, 0.02) if t.child == "child"]
    assert [t.candidate for t in found] == ["q", "s"], (
        "strongest first, next to the parent only (u is two steps away); never the parent or a later column"
    )
    tied = frozenset({frozenset(("child", "t"))})
    found = [t for t in candidates(order, parent_of, mi, codes, 0.02, tied) if t.child == "child"]
    assert [(t.candidate, t.tied) for t in found] == [("t", True), ("q", False), ("s", False)]
    assert not candidates(order, parent_of, mi, dict.fromkeys(order, 300), 0.02), "tables over the cell cap"
    wide = candidates(order, parent_of, mi, dict.fromkeys(order, 200), 0.02)  # 8,000,000 cells each
    assert len(wide) == MAX_COUNTED_CELLS // 200**3, "the fit counts no more cells than its total cap"
    assert ("child", "q") in {(t.child, t.candidate) for t in wide}, "the strongest first"


def test_the_best_candidate_wins_and_a_tied_partner_wins_whenever_it_gains():
    strong, weak = _collider_counts(20_000, 0.0, 1), _collider_counts(20_000, 0.5, 2)
    best = choose([Triple("c", "a", "b"), Triple("c", "a", "d")], [weak, strong], 10)
    assert [(s.child, s.second) for s in best] == [("c", "d")]
    best = choose([Triple("c", "a", "b", tied=True), Triple("c", "a", "d")], [weak, strong], 10)
    assert [(s.child, s.second) for s in best] == [("c", "b")]


@pytest.mark.parametrize("value", [0, 5, -1, True, 2.0, "2"])
def test_max_parents_outside_1_to_4_is_refused(value):
    with pytest.raises(ArgumentError, match="max_parents must be a whole number from 1 to 4"):
        check_max_parents(value)


def test_max_parents_4_is_refused_as_not_built():
    with pytest.raises(ArgumentError, match="at most 3 parents"):
        check_max_parents(4)
    for value in (1, 2, 3):
        check_max_parents(value)


def test_a_second_table_must_name_codes_and_come_with_its_parent():
    base = {"parent": "a", "child": "c", "mutual_information": 0.1, "table": {"1": {"1": 1.0}}}
    with pytest.raises(ValueError, match="go together"):
        Dependency(**base, second_parent="b")
    with pytest.raises(ValueError, match="parent code,second parent code"):
        Dependency(**base, second_parent="b", second_table={"1-2": {"1": 1.0}})
    with pytest.raises(ValueError, match="another column"):
        Dependency(**base, second_parent="a", second_table={"1,2": {"1": 1.0}})


def test_second_rows_are_sorted_keys_with_cells_of_the_first_table():
    first = {"row_start": [0, 0, 2, 3], "cumulative": [0.5, 1.0, 1.0], "children": [1, 3, 2]}
    second = second_conditional({"2,1": {"2": 1.0}, "1,4": {"3": 0.25, "1": 0.75}}, {}, 4, 5, first)
    assert second["keys"] == [1 * 5 + 4, 2 * 5 + 1]
    assert second["row_start"] == [0, 2, 3, 3, 3, 3], "then one empty rest row per parent code"
    assert second["children"] == [1, 3, 2] and second["cumulative"] == [0.75, 1.0, 1.0]
    assert second["first_cell"] == [0, 1, 2]
    partial = second_conditional({"1,0": {"3": 0.6}}, {}, 4, 5, first)
    assert partial["children"] == [1, 3] and partial["first_cell"] == [0, 1]
    assert np.allclose(partial["cumulative"], [0.2, 1.0]), "the missing 0.4 follows row 1 of the first table"
    with_rest = second_conditional({"1,0": {"3": 0.6}}, {"1": {"1": 1.0}}, 4, 5, first)
    assert np.allclose(with_rest["cumulative"], [0.4, 1.0, 1.0]), "the missing 0.4 follows the rest row"
    assert with_rest["row_start"] == [0, 2, 2, 3, 3] and with_rest["children"] == [1, 3, 1]


# ---- Spark --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(spark):
    real = chain_and_collider(rows=20_000, seed=5)
    frame = spark.createDataFrame(real).cache()
    return real, frame, fit(frame, table="planted"), fit(frame, table="planted", max_parents=1)


def _families(model) -> dict[str, set[str]]:
    return {d.child: {d.parent} | ({d.second_parent} if d.second_parent else set()) for d in model.spec.dependencies}


def _sum_holds(rows) -> float:
    a, b, c = (rows[n].str[1:].astype(int) for n in ("a", "b", "c"))
    return float(np.mean(c == a + b))


def test_the_collider_keeps_its_joint_and_the_chain_gets_no_second_parent(spark, planted):
    real, _, model, tree = planted
    families = _families(model)
    assert any(parents | {child} == {"a", "b", "c"} and len(parents) == 2 for child, parents in families.items())
    for name in ("x", "y", "z"):
        assert all(d.second_parent is None for d in model.spec.dependencies if d.child == name)
        assert families.get(name, set()) <= {"x", "y", "z"}
    held = _sum_holds(real)
    with_two = _sum_holds(generate(spark, model, rows=20_000, seed=3).toPandas())
    with_one = _sum_holds(generate(spark, tree, rows=20_000, seed=3).toPandas())
    assert abs(with_two - held) < 0.02, f"c = a + b in {held:.3f} of real rows, {with_two:.3f} generated"
    assert with_one < held - 0.2, "the tree alone cannot hold a collider"


def test_max_parents_1_is_the_tree_bit_for_bit(spark, planted):
    _, _, model, tree = planted
    stripped = json.loads(json.dumps(model.to_dict()))
    for d in stripped["dependencies"]:
        d.pop("second_parent", None)
        d.pop("second_table", None)
    assert stripped == tree.to_dict()
    assert all(d.second_parent is None for d in tree.spec.dependencies)
    assert '"second"' not in compile_plan(tree, 1_000)


def test_rows_with_second_parents_do_not_depend_on_partitions(spark, planted):
    _, _, model, _ = planted
    assert any(d.second_parent for d in model.spec.dependencies)
    assert_rows_do_not_depend_on_partitions(spark, model, rows=30_000, partitions=7)


def test_conditions_stay_exact_on_a_model_with_second_parents(spark, planted):
    _, _, model, _ = planted
    rows = generate(spark, model, rows=5_000, seed=1, where=["c = c4", "x in (x1, x2)"]).toPandas()
    assert len(rows) == 5_000 and set(rows.c) == {"c4"} and set(rows.x) <= {"x1", "x2"}
    assert abs(_sum_holds(rows) - 0.9) < 0.03, "no condition reaches a and b: the collider's joint holds"
    (child,) = [d.child for d in model.spec.dependencies if d.second_parent]
    rows = generate(spark, model, rows=5_000, seed=1, where=[f"{child} = {child}1"]).toPandas()
    assert len(rows) == 5_000 and set(rows[child]) == {f"{child}1"}, "a condition on the child itself: the tree"
