"""The plan's `rules` (docs/plan.md §12): the model's rules with column positions, in the order
the engine applies them — null patterns, then orderings (one sorted group per set of orderings
sharing columns), then computed columns after the columns they read."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from spark_synth.model.io import SynthModel
from spark_synth.model.rules import (
    Calendar,
    Clock,
    Division,
    Linear,
    Mapping,
    NullWith,
    Order,
    order_groups,
    rule_order,
)
from spark_synth.model.schema import NumericColumn
from spark_synth.seeding import stream_key

log = logging.getLogger(__name__)


def compile_rules(
    model: SynthModel, position: dict[str, int], keys: set[str], null_own: dict[str, float] | None = None
) -> list[dict]:
    """Plan entries for the model's rules; a rule that would change a key column (written by its
    key program in a relational schema) is left out, and the log says so. `null_own` fixes the
    own null chance of columns a condition keeps null (1) or not null (0) where the rules, not
    the draw, decide it (own >= 0; docs/plan.md §13)."""
    kept = []
    for rule in model.spec.rules:
        if set(rule.writes()) & keys:
            log.warning(
                "rule %r is not applied: it would change the key column(s) %s",
                rule.text(),
                sorted(set(rule.writes()) & keys),
            )
        else:
            kept.append(rule)
    ordered = rule_order(kept)
    nulls = null_entries([r for r in ordered if isinstance(r, NullWith)], model, position, keys)
    name_at = {i: name for name, i in position.items()}
    fixed = null_own or {}
    for entry in nulls:
        if entry["own"] >= 0 and name_at[entry["column"]] in fixed:
            entry["own"] = fixed[name_at[entry["column"]]]
    orders = [
        {"form": "order", "columns": [position[c] for c in group]}
        for group in order_groups([r for r in ordered if isinstance(r, Order)])
    ]
    computed = [_computed(r, position) for r in ordered if not isinstance(r, NullWith | Order)]
    return nulls + orders + computed


def null_entries(rules: list[NullWith], model: SynthModel, position: dict[str, int], keys: set[str]) -> list[dict]:
    """One plan entry per column that null rules make null (see null_plan), in the order the
    rules first name them."""
    return [
        {
            "form": "null_with",
            "column": position[b],
            "when_null": [position[a] for a in plan.direct],
            "own": plan.own,
            "stream": stream_key(f"{b}\u0000rules.null"),
        }
        for b, plan in null_plan(rules, model, position, keys).items()
    ]


@dataclass(frozen=True)
class NullPlan:
    """How a column that null rules make null gets its nulls: `direct`, the columns whose null
    makes it null; `outside`, those of them outside its group of columns null together; `own`,
    its chance of being null on its own (-1: its drawn nulls stay)."""

    direct: list[str]
    outside: list[str]
    own: float


def null_plan(
    rules: list[NullWith], model: SynthModel, position: dict[str, int], keys: set[str]
) -> dict[str, NullPlan]:
    """Propagating A's nulls to B would add A's null rows to B's own (dep_time and dep_delay,
    null together in the real rows, came out null twice as often), so a numeric copula column
    (which writes a fallback value under its null flag, §7) is null on its own with the
    probability the real rates leave beside its sources', own = (p_B - r) / (1 - r), r the
    largest null fraction among them, and shows its fallback elsewhere. In a group of columns
    null together the first is the leader, the others are null only with it (own = 0). A leader
    nothing else makes null, and a column without a fallback (strings, categories), keep their
    drawn nulls (own = -1). So does a column whose sources outside its group are all next to it
    in the tree: its parent's table already draws it null where the parent is (P(B | parent
    null) is stored), and a child source is drawn null only where the child's table puts it,
    under B's null code; the drawn nulls then follow the tree's codes and lead B's children's.
    A fresh draw instead made them independent of everything: the survey's weight, a child of
    the species, came out null in 30 % of the rows where its child sex is null, against 74 % in
    the real rows."""
    sources: dict[str, list[str]] = {}
    for rule in rules:
        sources.setdefault(rule.column, []).append(rule.when_null)
    reaches = {b: set(a) for b, a in sources.items()}
    changed = True
    while changed:  # reaches[b]: every column whose null makes b null, through the rules
        changed = False
        for b in reaches:
            more = set().union(*(reaches.get(a, set()) for a in reaches[b])) - reaches[b]
            if more:
                reaches[b] |= more
                changed = True
    by_name = {c.name: c for c in model.columns}
    next_in_tree: dict[str, set[str]] = {}
    for edge in model.spec.dependencies:
        next_in_tree.setdefault(edge.child, set()).add(edge.parent)
        next_in_tree.setdefault(edge.parent, set()).add(edge.child)
    copula = set(model.spec.copula.columns) if model.spec.copula else set()
    out = {}
    for b, direct in sources.items():
        group = {b} | {a for a in reaches[b] if b in reaches.get(a, set())}
        leader = min(group, key=position.__getitem__)
        outside = sorted(
            {a for member in group for a in sources.get(member, []) if a not in group}, key=position.__getitem__
        )
        column = by_name[b]
        fallback = isinstance(column, NumericColumn) and b in copula and b not in keys and column.null_fraction > 0
        drawn_with_sources = b == leader and set(outside) <= next_in_tree.get(b, set())
        if not fallback or drawn_with_sources:
            own = -1.0  # its drawn nulls stay (nothing else makes it null, or it has no fallback)
        elif b != leader:
            own = 0.0  # null exactly when its group's leader (or another source) is
        else:
            r = max(by_name[a].null_fraction for a in outside)
            own = min(max((column.null_fraction - r) / (1 - r), 0.0), 1.0) if r < 1 else 0.0
        out[b] = NullPlan(direct=list(direct), outside=outside, own=own)
    return out


def _computed(rule, position: dict[str, int]) -> dict:
    if isinstance(rule, Mapping):
        return {
            "form": "map",
            "sources": [position[s] for s in rule.sources],
            "target": position[rule.target],
            "keys": [list(p.when) for p in rule.pairs],
            "values": [p.then for p in rule.pairs],
        }
    if isinstance(rule, Linear):
        return {
            "form": "linear",
            "target": position[rule.target],
            "terms": [[position[t.column], t.coefficient] for t in rule.terms],
            "constant": rule.constant,
        }
    if isinstance(rule, Division):
        return {
            "form": rule.form,
            "target": position[rule.target],
            "source": position[rule.source],
            "divisor": rule.divisor,
        }
    if isinstance(rule, Clock):
        return {
            "form": "clock",
            "target": position[rule.target],
            "clock": position[rule.clock],
            "minutes": position[rule.minutes],
            "midnight": rule.midnight,
        }
    assert isinstance(rule, Calendar)
    return {
        "form": "calendar",
        "year": position[rule.year] if rule.year is not None else -1,
        "month": position[rule.month],
        "day": position[rule.day],
    }
