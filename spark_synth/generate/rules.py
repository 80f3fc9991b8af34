"""The plan's `rules` (docs/plan.md §12): the model's rules with column positions, in the order
the engine applies them — null patterns, then orderings (one sorted group per set of orderings
sharing columns), then computed columns after the columns they read."""

from __future__ import annotations

import logging

from spark_synth.model.io import SynthModel
from spark_synth.model.rules import Calendar, Clock, Division, Linear, Mapping, NullWith, Order, order_groups, rule_order

log = logging.getLogger(__name__)


def compile_rules(model: SynthModel, position: dict[str, int], keys: set[str]) -> list[dict]:
    """Plan entries for the model's rules; a rule that would change a key column (written by its
    key program in a relational schema) is left out, and the log says so."""
    kept = []
    for rule in model.spec.rules:
        if set(rule.writes()) & keys:
            log.warning("rule %r is not applied: it would change the key column(s) %s", rule.text(),
                        sorted(set(rule.writes()) & keys))
        else:
            kept.append(rule)
    ordered = rule_order(kept)
    nulls = [_null(r, position) for r in ordered if isinstance(r, NullWith)]
    orders = [{"form": "order", "columns": [position[c] for c in group]}
              for group in order_groups([r for r in ordered if isinstance(r, Order)])]
    computed = [_computed(r, position) for r in ordered if not isinstance(r, NullWith | Order)]
    return nulls + orders + computed


def _null(rule: NullWith, position: dict[str, int]) -> dict:
    return {"form": "null_with", "column": position[rule.column], "when_null": position[rule.when_null]}


def _computed(rule, position: dict[str, int]) -> dict:
    if isinstance(rule, Mapping):
        return {"form": "map", "sources": [position[s] for s in rule.sources], "target": position[rule.target],
                "keys": [list(p.when) for p in rule.pairs], "values": [p.then for p in rule.pairs]}
    if isinstance(rule, Linear):
        return {"form": "linear", "target": position[rule.target],
                "terms": [[position[t.column], t.coefficient] for t in rule.terms], "constant": rule.constant}
    if isinstance(rule, Division):
        return {"form": rule.form, "target": position[rule.target], "source": position[rule.source],
                "divisor": rule.divisor}
    if isinstance(rule, Clock):
        return {"form": "clock", "target": position[rule.target], "clock": position[rule.clock],
                "minutes": position[rule.minutes], "midnight": rule.midnight}
    assert isinstance(rule, Calendar)
    return {"form": "calendar", "year": position[rule.year] if rule.year is not None else -1,
            "month": position[rule.month], "day": position[rule.day]}
