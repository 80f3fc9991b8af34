"""Rebalancing (issue 16): a categorical column takes exactly the shares asked for.

The N rows are cut into one range per value, in the order given: value v gets n_v rows, the
floors of share * N with the rows left over going to the largest remainders (ties: the order
given), so the counts are exact and sum to N. Range v is rows [start_v, start_v + n_v) of the
whole output, generated under the condition `column = v` (generate/conditions.py): the other
columns follow their distribution given each value. Every range is the engine's scan of its own
rows (option `first`), so the streams of different ranges never overlap, unique columns stay
unique across them, and the union has no shuffle and no join.

`steered` is what `generate(where=..., rebalance=...)` runs: the rebalanced ranges, each cut
again where a null condition has two causes (generate/null_branches.py), or one plain scan.
"""

from __future__ import annotations

import math
from typing import Any

from pyspark.sql import DataFrame

from spark_synth.errors import GenerateError
from spark_synth.generate.conditions import conditions_of, parse_where
from spark_synth.generate.tree_conditions import condition_tree
from spark_synth.generate.null_branches import null_branches
from spark_synth.model.schema import CategoricalColumn

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
    for i in order[:rows - sum(counts)]:
        counts[i] += 1
    return [(value, n) for (value, _), n in zip(exact, counts)]


def strata(model, rows: int, rebalance: dict, where: Any) -> list[tuple[list, int]]:
    """(conditions, rows) per value, checked against the model before any Spark work: one
    column, shares >= 0 summing to 1, each value one the model holds and possible with `where`."""
    if not isinstance(rebalance, dict) or len(rebalance) != 1:
        raise GenerateError("rebalance takes one column: {\"status\": {\"1\": 0.5, \"0\": 0.5}}")
    (column, shares), = rebalance.items()
    known = {c.name: c for c in model.columns}
    if column in known and not isinstance(known[column], CategoricalColumn):
        raise GenerateError(f"rebalance {column!r}: rebalancing a {known[column].kind} column is not supported yet; "
                            "rebalance a categorical column (or condition this one on a range with where)")
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


def row_ranges(spark, model, rows: int, seed: int, partitions: int | None, parts: list[tuple[Any, int]]) -> DataFrame:
    """The union of one conditioned row range per part, (conditions, count) in order (partitions,
    if given, shared out in proportion: the rows are the same for any)."""
    from spark_synth.generate.planner import generate_dataframe

    frames, first = [], 0
    for conditions, count in parts:
        if count:
            share = None if partitions is None else max(1, round(partitions * count / rows))
            frames.append(generate_dataframe(spark, model, count, seed, share, where=conditions, first=first,
                                             total_rows=rows))
            first += count
    out = frames[0]
    for frame in frames[1:]:
        out = out.union(frame)
    return out


def branched(model, parts: list[tuple[Any, int]], time_zone: str | None = None) -> list[tuple[Any, int]]:
    """Each part's `C is null` split where the rules decide C's nulls (generate/null_branches.py),
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


def check_steering(model, rows: int, where: Any, rebalance: dict | None) -> None:
    """Refuse bad conditions and shares before any Spark work (CLI, job configs)."""
    parts = strata(model, rows, rebalance, where) if rebalance else [(where, rows)]
    for conditions, _ in branched(model, parts):
        if conditions:
            condition_tree(model, conditions_of(model, conditions))


def steered(spark, model, rows: int, seed: int, partitions: int | None, where: Any,
            rebalance: dict | None) -> DataFrame:
    """The rows of `generate(...)`: rebalanced if asked, under the conditions, each null the rules
    decide split into its branches; one engine scan when nothing is split."""
    from spark_synth.generate.planner import generate_dataframe, session_time_zone

    if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
        raise GenerateError(f"rows must be a positive integer, got {rows!r}")
    parts = strata(model, rows, rebalance, where) if rebalance else [(where, rows)]
    parts = branched(model, parts, session_time_zone(spark) if where else None)
    if len(parts) == 1:
        return generate_dataframe(spark, model, rows, seed, partitions, where=parts[0][0])
    return row_ranges(spark, model, rows, seed, partitions, parts)


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
