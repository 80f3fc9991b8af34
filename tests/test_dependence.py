"""Dependency tables under the privacy threshold (fit/dependence.py), without Spark."""

from __future__ import annotations

import pytest

from spark_synth.fit.dependence import conditional_table


def test_a_parent_code_mostly_made_of_rare_cells_draws_the_marginal():
    spread = {(1, c): 1 for c in range(1, 31)} | {(1, 31): 6, (1, 32): 5}  # 41 rows, 11 in kept cells
    dense = {(2, 1): 40, (2, 2): 10, (2, 3): 2}  # 52 rows, 50 in kept cells
    table = conditional_table(spread | dense, parent_is_first=True, min_count=5)
    assert "1" not in table, "renormalised, two cells would take all of code 1's mass"
    assert table["2"] == {"1": 0.8, "2": 0.2}
    assert conditional_table(spread, parent_is_first=True, min_count=1)["1"]["31"] == pytest.approx(6 / 41)
