"""A generation request, compiled: `generate(model, rows, seed, where, rebalance)` as engine scans.

A request becomes one or more *scans*: each is a plan (plan/compiler.py) and the rows
[first, first + rows) of the whole output it makes. One scan when nothing is split; several when
rebalancing or a null the rules decide cuts the output into row ranges, each under its own
conditions (plan/steer/). Every scan's plan is compiled for the whole output's row count (only
unique columns depend on it, for their room), so ranges never share a row index and unique
columns stay unique across them. This module is pure: it checks the request and compiles the
plans; an engine (spark_synth/engine/) reads the scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import IdColumn
from spark_synth.plan.compiler import compile_plan
from spark_synth.plan.steer.conditions import conditions_of
from spark_synth.plan.steer.parts import steer
from spark_synth.seeding import check_seed


@dataclass(frozen=True)
class Scan:
    """One engine scan: rows [first, first + rows) of the output `plan` describes. `hidden`
    names columns the plan generates but the output leaves out (a relational parent's child
    count, which drives its other columns)."""

    plan: str
    rows: int
    first: int = 0
    hidden: tuple[str, ...] = ()


MAX_ROWS = 2**62  # row indexes are 64-bit integers, with room for the partition arithmetic


def check_rows(rows: Any) -> int:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
        raise GenerateError(f"rows must be a positive integer, got {rows!r}")
    if rows > MAX_ROWS:
        raise GenerateError(f"rows must be at most 2**62 = {MAX_ROWS:,} (64-bit row indexes), got {rows:,}")
    return rows


def check_run(seed: Any, partitions: Any) -> None:
    """The seed and partition count an engine will read the scans with."""
    try:
        check_seed(seed)
    except ValueError as exc:
        raise GenerateError(str(exc)) from None
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int) or partitions <= 0):
        raise GenerateError(f"partitions must be a positive integer, got {partitions!r}")


def check_id_space(model: SynthModel, rows: int) -> None:
    """Id columns count up from their start; refuse a row count their Spark type cannot hold."""
    for column in model.columns:
        if isinstance(column, IdColumn):
            largest = column.start + (rows - 1) * column.step
            limit = column.type.bounds()[1]
            if largest > limit:
                raise GenerateError(
                    f"column {column.name!r} holds unique ids of type {column.type.name}; "
                    f"{rows:,} rows would need ids up to {largest:,}, beyond its maximum {limit:,}. "
                    "Generate fewer rows or widen the column's type before fitting"
                )


def plan_request(
    model: SynthModel, rows: int, where: Any = None, rebalance: dict | None = None, time_zone: str | None = None
) -> list[Scan]:
    """The scans of `generate(...)`: rebalanced if asked, under the conditions, each null the
    rules decide split into its branches (plan/steer/parts.py); one scan when nothing is split.
    Every bad condition, share or row count is refused here, before any Spark work.
    `time_zone`: the zone timestamps without an offset in `where` are read in."""
    check_rows(rows)
    parts = steer(model, rows, where, rebalance, time_zone)
    check_id_space(model, rows)
    scans, first = [], 0
    for conditions, count in parts:
        if count:
            scans.append(Scan(compile_table(model, rows, conditions, time_zone), count, first))
            first += count
    return scans


def compile_table(
    model: SynthModel,
    rows: int,
    where: Any = None,
    time_zone: str | None = None,
    driven: dict[str, dict[str, int]] | None = None,
    keys: dict[str, dict] | None = None,
) -> str:
    """One table's plan for `rows` rows under the conditions `where` (bad ones refused first),
    with `driven` copula columns and `keys` programs (relational schemas, plan/schema.py)."""
    conditions = conditions_of(model, where, time_zone) if where else []
    return compile_plan(model, rows, driven, keys, conditions)
