"""Rebalancing (issue 16): a categorical column takes exactly the shares asked for.

The N rows are cut into one range per value, in the order given: value v gets n_v rows, the
floors of share * N with the rows left over going to the largest remainders (ties: the order
given), so the counts are exact and sum to N. Range v is rows [start_v, start_v + n_v) of the
whole output, generated under the condition `column = v` (plan/steer/conditions.py): the other
columns follow their distribution given each value. Every range is the engine's scan of its own
rows (option `first`), so the streams of different ranges never overlap, unique columns stay
unique across them, and the union has no shuffle and no join.

plan/steer/parts.py cuts each range again where a null condition has two causes.
"""

from __future__ import annotations

import math
from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.model.schema import CategoricalColumn
from spark_synth.plan.steer.conditions import conditions_of, parse_where
from spark_synth.plan.steer.tree import condition_tree

SHARE_TOLERANCE = 1e-9


def parse_rebalance(text: str) -> dict[str, dict[str, float]]:
    """`status=1:0.5,0:0.5` -> {"status": {"1": 0.5, "0": 0.5}} (the CLI's form)."""
    column, sep, rest = text.partition("=")
    if not sep or not column.strip() or not rest.strip():
        raise GenerateError(f"--rebalance {text!r}: write COLUMN=VALUE:SHARE,VALUE:SHARE (e.g. status=1:0.5,0:0.5)")
    shares: dict[str, float] = {}
    for part in rest.split(","):
        value, colon, share = part.rpartition(":")
        if not colon or not value.strip():
            raise GenerateError(f"--rebalance {text!r}: {part!r} is not VALUE:SHARE")
        try:
            shares[value.strip()] = float(share)
        except ValueError:
            raise GenerateError(f"--rebalance {text!r}: share {share!r} of {value.strip()!r} is not a number") from None
    return {column.strip(): shares}


def allocate(shares: dict[Any, float], rows: int) -> list[tuple[Any, int]]:
    """Exact counts per value (largest remainders), in the order given; checks the shares."""
    for value, share in shares.items():
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not math.isfinite(share) or share < 0:
            raise GenerateError(f"rebalance: the share of {value!r} must be a number >= 0, got {share!r}")
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise GenerateError(f"rebalance: the shares must sum to 1, they sum to {total:g}")
    exact = [(value, share * rows) for value, share in shares.items()]
    counts = [math.floor(x) for _, x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - counts[i]), i))
    for i in order[: rows - sum(counts)]:
        counts[i] += 1
    return [(value, n) for (value, _), n in zip(exact, counts)]


def strata(model, rows: int, rebalance: dict, where: Any) -> list[tuple[list, int]]:
    """(conditions, rows) per value, checked against the model before any Spark work: one
    column, shares >= 0 summing to 1, each value one the model holds and possible with `where`."""
    if not isinstance(rebalance, dict) or len(rebalance) != 1:
        raise GenerateError('rebalance takes one column: {"status": {"1": 0.5, "0": 0.5}}')
    ((column, shares),) = rebalance.items()
    known = {c.name: c for c in model.columns}
    if column in known and not isinstance(known[column], CategoricalColumn):
        raise GenerateError(
            f"rebalance {column!r}: rebalancing a {known[column].kind} column is not supported yet; "
            "rebalance a categorical column (or condition this one on a range with where)"
        )
    if not isinstance(shares, dict) or not shares:
        raise GenerateError(f"rebalance {column!r}: give the shares as {{value: share, ...}}")
    conditions = _as_list(where)
    if any(_names(text, column) for text in conditions):
        raise GenerateError(f"rebalance {column!r}: the column also has a condition; keep one of them")
    out = []
    for value, count in allocate(shares, rows):
        stratum = conditions + [(column, value)]
        condition_tree(model, conditions_of(model, stratum))
        out.append((stratum, count))
    return out


def _as_list(where: Any) -> list:
    """`where` as a list of conditions the parser takes (texts or (column, wanted) pairs)."""
    if where is None:
        return []
    if isinstance(where, dict):
        return list(where.items())
    return [where] if isinstance(where, str) else list(where)


def _names(condition: Any, column: str) -> bool:
    parsed = parse_where([condition]) if isinstance(condition, str) else [condition]
    return any(name == column for name, _ in parsed)
