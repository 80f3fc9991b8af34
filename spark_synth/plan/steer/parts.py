"""Steering's one entry point: a user's request (conditions, rebalancing) as row ranges.

`steer(model, rows, where, rebalance)` gives (conditions, count) per row range, in order:
rebalancing cuts the rows into one range per value (plan/steer/rebalance.py), and every range
whose conditions hold `C is null` for a column whose nulls the rules decide is cut again into
its causes (plan/steer/null_branches.py), exact counts by largest remainder. Each range is then
compiled under its conditions (plan/request.py). Pure: every bad condition or share is refused
here, before any Spark work.
"""

from __future__ import annotations

from typing import Any

from spark_synth.model.io import SynthModel
from spark_synth.plan.steer.conditions import conditions_of
from spark_synth.plan.steer.null_branches import null_branches
from spark_synth.plan.steer.rebalance import allocate, strata
from spark_synth.plan.steer.tree import condition_tree

Part = tuple[Any, int]  # (conditions as the parser takes them, rows)


def steer(
    model: SynthModel, rows: int, where: Any = None, rebalance: dict | None = None, time_zone: str | None = None
) -> list[Part]:
    """(conditions, rows) per row range of the output: rebalanced if asked, each null the rules
    decide split into its branches; [(where, rows)] when nothing is split."""
    parts = strata(model, rows, rebalance, where) if rebalance else [(where, rows)]
    return branched(model, parts, time_zone if where else None)


def branched(model: SynthModel, parts: list[Part], time_zone: str | None = None) -> list[Part]:
    """Each part's `C is null` split where the rules decide C's nulls (plan/steer/null_branches.py),
    exact counts by largest remainder."""
    out = []
    for conditions, count in parts:
        branches = null_branches(model, conditions, time_zone)
        if len(branches) == 1:
            out.append((conditions, count))
            continue
        total = sum(share for _, share in branches)
        counts = allocate({i: share / total for i, (_, share) in enumerate(branches)}, count)
        out += [(branches[i][0], n) for i, n in counts]
    return out


def check_steering(model: SynthModel, rows: int, where: Any, rebalance: dict | None) -> None:
    """Refuse bad conditions and shares before any Spark work (CLI, job configs)."""
    for conditions, _ in steer(model, rows, where, rebalance):
        if conditions:
            condition_tree(model, conditions_of(model, conditions))
