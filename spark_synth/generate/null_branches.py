"""`C is null` where the null rules, not the draw, decide C's nulls (issue 16).

A numeric column C that a null rule makes null (`dep_time is null when tailnum is null`, docs/
plan.md §12) is null in a generated row for one of two reasons: a source outside its group is
null (tailnum: 0.75 % of rows), or its own draw (`own`, 1.7 %) says so. The rows where C is
null are a mixture of the two: 31 % of the real cancelled flights have no tailnum, and the model
says the same, P(source null) / P(C null). A plan can only condition on one of them, so `C is
null` becomes two row ranges, exact counts by largest remainder as in rebalancing: one under
`source is null`, one under `source is not null` with C null on its own. The source is the one
whose null rate the compiler's `own` set beside C's (the largest); a branch whose source is
itself null by its own sources splits again (arr_delay -> arr_time -> dep_time -> tailnum).
"""

from __future__ import annotations

from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.generate.conditions import Condition, condition_tree, conditions_of, parse_where
from spark_synth.generate.ranges import ONLY_NULL
from spark_synth.generate.rules import null_plan
from spark_synth.model.io import SynthModel
from spark_synth.model.rules import NullWith
from spark_synth.model.schema import NumericColumn

MAX_BRANCHES = 16


def null_branches(model: SynthModel, where: Any, time_zone: str | None = None) -> list[tuple[list, float]]:
    """(conditions, share) per branch; [(where, 1.0)] when no condition is such a null."""
    conditions = parse_where(where)
    plans = null_plan([r for r in model.spec.rules if isinstance(r, NullWith)], model,
                      {c.name: i for i, c in enumerate(model.columns)}, set())
    branches, done = [(conditions, 1.0)], False
    while not done and len(branches) < MAX_BRANCHES:
        done, out = True, []
        for branch, share in branches:
            source = _splitting_source(model, plans, branch)
            if source is None:
                out.append((branch, share))
                continue
            done = False
            column, own = source[1], plans[source[1]].own
            # the chain's own nulls are consequences, not evidence about the source
            others = [c for c in branch if not (c[1] is None and c[0] in plans) and c[0] != column]
            p_null = _null_chance(model, others, source[0], time_zone)
            via_source = p_null / (p_null + (1 - p_null) * own) if p_null + own > 0 else 0.0
            out += [(branch + [(source[0], None)], share * via_source),
                    (branch + [(source[0], "not null")], share * (1 - via_source))]
        branches = out
    return [(b, s) for b, s in branches if s > 0]


def _splitting_source(model: SynthModel, plans: dict, conditions: list) -> tuple[str, str] | None:
    """(source, column) for the first `column is null` whose nulls come from a source and its own
    draw, the source not conditioned yet."""
    named = {c for c, _ in conditions}
    for column, wanted in conditions:
        plan = plans.get(column)
        if wanted is not None or plan is None or plan.own <= 0 or not plan.outside:
            continue
        source = max(plan.outside, key=lambda a: model.column(a).null_fraction)
        if source not in named and model.column(source).null_fraction > 0:
            return source, column
    return None


def _null_chance(model: SynthModel, others: list, source: str, time_zone: str | None) -> float:
    """P(source null | the other conditions) under the tree; its null rate without any."""
    if not others:
        return float(model.column(source).null_fraction)
    given = conditions_of(model, others, time_zone)
    null = Condition(source, span=ONLY_NULL) if isinstance(model.column(source), NumericColumn) else \
        Condition(source, (None,))
    both = [c for c in given if c.column != source] + [null]
    try:
        return min(condition_tree(model, both, impossible_ok=True).mass / condition_tree(model, given).mass, 1.0)
    except GenerateError:  # the source in another part of the model than the conditions
        return float(model.column(source).null_fraction)
