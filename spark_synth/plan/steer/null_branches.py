"""`C is null` where the null rules, not the draw, decide C's nulls (issue 16).

A column C that a null rule makes null (`dep_time is null when tailnum is null`, docs/plan.md
§12) is null in a generated row for one of two reasons: a source outside its group is null
(tailnum: 0.75 % of rows), or C is null on its own — a numeric column by the rule's own draw
(`own`, 1.7 %), any other by its drawn code (`sex is null when species_id is null`: the
survey's sex is also missing for animals whose species is known). The rows where C is
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
from spark_synth.model.io import SynthModel
from spark_synth.model.rules import NullWith
from spark_synth.model.schema import NumericColumn
from spark_synth.plan.rules import null_plan
from spark_synth.plan.steer.conditions import RARE, Condition, conditions_of, parse_where
from spark_synth.plan.steer.ranges import NOT_NULL, ONLY_NULL
from spark_synth.plan.steer.tree import condition_tree

MAX_BRANCHES = 16


def null_branches(model: SynthModel, where: Any, time_zone: str | None = None) -> list[tuple[list, float]]:
    """(conditions, share) per branch; [(where, 1.0)] when no condition is such a null."""
    conditions = parse_where(where)
    plans = null_plan(
        [r for r in model.spec.rules if isinstance(r, NullWith)],
        model,
        {c.name: i for i, c in enumerate(model.columns)},
        set(),
    )
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
            p_null = (
                _chance(model, others, [_null(model, source[0])], time_zone)
                if others
                else float(model.column(source[0]).null_fraction)
            )  # the rate the rules keep
            if own > 0:  # null on its own by the rule's draw, independent of the tree
                alone = (1 - p_null) * own
            else:  # (own -1) null on its own where its drawn code is null
                alone = _chance(model, others, [_not_null(model, source[0]), _null(model, column)], time_zone)
            via_source = p_null / (p_null + alone) if p_null + alone > 0 else 0.0
            out += [
                (branch + [(source[0], None)], share * via_source),
                (branch + [(source[0], "not null")], share * (1 - via_source)),
            ]
        branches = out
    return [(b, s) for b, s in branches if s > 0]


def _splitting_source(model: SynthModel, plans: dict, conditions: list) -> tuple[str, str] | None:
    """(source, column) for the first `column is null` whose nulls come from a source and its own
    draw, the source not conditioned yet."""
    named = {c for c, _ in conditions}
    for column, wanted in conditions:
        plan = plans.get(column)
        if wanted is not None or plan is None or plan.own == 0 or not plan.outside:
            continue
        source = max(plan.outside, key=lambda a: model.column(a).null_fraction)
        if source not in named and model.column(source).null_fraction > 0:
            return source, column
    return None


def _chance(model: SynthModel, others: list, wanted: list[Condition], time_zone: str | None) -> float:
    """P(wanted | the other conditions) under the tree (its drawn codes), from the evidence
    masses of belief propagation; a source in another part than the conditions: its null rate."""
    given = conditions_of(model, others, time_zone) if others else []
    named = {c.column for c in wanted}
    try:
        both = condition_tree(model, [c for c in given if c.column not in named] + wanted, impossible_ok=True)
        base = condition_tree(model, given) if given else None
        assert both is not None, "wanted holds at least one condition"
        return min(both.mass / (base.mass if base is not None else 1.0), 1.0)
    except GenerateError:
        return float(model.column(wanted[0].column).null_fraction)


def _null(model: SynthModel, column: str) -> Condition:
    return (
        Condition(column, span=ONLY_NULL)
        if isinstance(model.column(column), NumericColumn)
        else Condition(column, (None,))
    )


def _not_null(model: SynthModel, column: str) -> Condition:
    spec = model.column(column)
    return (
        Condition(column, span=NOT_NULL) if isinstance(spec, NumericColumn) else Condition(column, (*spec.values, RARE))
    )
