"""Planning a relational schema: every table from its own model, keys from the row index.

Table t gets round(scale * real rows) rows, all from the JVM engine like a single table: its key
columns are key programs in the plan (plan/keys.py) computed from the row index, so primary
keys are unique by construction and foreign keys always name a generated parent (clean mode)
without any join. Children per parent follow the learned popularity curve, and a parent's
hidden child-count column is set from its rank on that curve (the engine's "driven" variable), so
its other columns match the number of children it gets.

Conditions (`where={table: conditions}`) keep that table's rows to them as for a single table.
A conditioned table keeps its row count and its keys, so its children (generated as without
the condition) still reference parents that exist, all of which satisfy it; its child counts
are then drawn as without the condition, no longer matched to its other columns (the driven
root cannot also be conditioned), which the log says.
"""

from __future__ import annotations

import logging
from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.model.relational import RelationalModel, generated_foreign_keys
from spark_synth.plan.keys import (
    check_key_space,
    driving_rank,
    foreign_key_programs,
    key_with_room,
    primary_key_programs,
)
from spark_synth.plan.request import Scan, check_id_space, compile_table
from spark_synth.plan.steer.conditions import conditions_of, parse_where
from spark_synth.plan.steer.tree import condition_tree

log = logging.getLogger(__name__)


def table_rows(model: RelationalModel, scale: float) -> dict[str, int]:
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not scale > 0:
        raise GenerateError(f"scale must be a positive number, got {scale!r}")
    return {name: max(1, round(t.rows * scale)) for name, t in model.tables.items()}


def scale_for_rows(model: RelationalModel, rows: int, table: str | None = None) -> float:
    """The scale factor that gives `table` (default: the largest) `rows` rows; every other table
    keeps its real proportion to it."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
        raise GenerateError(f"rows must be a positive integer, got {rows!r}")
    if table is None:
        table = max(model.tables, key=lambda t: model.tables[t].rows)
    if table not in model.tables:
        raise GenerateError(f"no table {table!r} in the model (tables: {sorted(model.tables)})")
    return rows / model.tables[table].rows


def plan_schema(
    model: RelationalModel, scale: float = 1.0, where: dict[str, Any] | None = None, time_zone: str | None = None
) -> dict[str, Scan]:
    """One scan per table (parents first), each with its source schema; `where` maps tables to
    their conditions (see the module docstring)."""
    rows = table_rows(model, scale)
    keys = table_keys(model, rows)
    where = check_schema_where(model, where)

    def parents(name: str):
        return keys[name], rows[name]

    out = {}
    for name, table in model.tables.items():
        single = model.models[name]
        key = keys[name]
        if key is not None:
            check_key_space(name, key, single.column(key.columns[0]).spark_type, rows[name], parents)
        driven, programs = table_programs(model, name, rows, keys)
        if name in where and driven:
            log.warning(
                "table %r: conditioned, so its child counts are drawn as without the condition (its "
                "children still reference its rows, every one of which satisfies it)",
                name,
            )
            driven = None
        check_id_space(single, rows[name])
        plan = compile_table(single, rows[name], where.get(name), time_zone, driven, programs)
        # the hidden child count drives the parent's other columns, then leaves the output
        hidden = (table.child_count.column,) if table.child_count is not None else ()
        out[name] = Scan(plan, rows[name], hidden=hidden)
    return out


def table_conditions(texts: list[str], model: RelationalModel) -> dict[str, list[str]]:
    """The CLI's `--where "orders: quantity >= 3"` as {table: [conditions]}."""
    out: dict[str, list[str]] = {}
    for text in texts:
        table, colon, condition = text.partition(":")
        if not colon or table.strip() not in model.tables:
            raise GenerateError(
                f"--where {text!r}: for a relational model write TABLE: CONDITION, e.g. "
                f'"{next(iter(model.tables))}: column = value" (tables: {sorted(model.tables)})'
            )
        out.setdefault(table.strip(), []).append(condition.strip())
    return out


def check_schema_where(model: RelationalModel, where: dict[str, Any] | None) -> dict[str, Any]:
    """`where` checked before any Spark work: known tables, no key column, conditions the table's
    model can meet (plan/steer/conditions.py)."""
    if not where:
        return {}
    if not isinstance(where, dict):
        raise GenerateError('conditions on a relational model go per table: where={"orders": ["quantity >= 3"]}')
    for name, conditions in where.items():
        if name not in model.tables:
            raise GenerateError(
                f"conditions on table {name!r}: the model has no such table (tables: {sorted(model.tables)})"
            )
        table = model.tables[name]
        keyed = set(table.primary_key.columns if table.primary_key is not None else [])
        keyed |= {c for fk in table.foreign_keys for c in fk.columns}
        if table.child_count is not None:
            keyed.add(table.child_count.column)
        for column, _ in parse_where(conditions):
            if column in keyed:
                raise GenerateError(
                    f"condition on {name}.{column}: a key column, written from the row index so "
                    "keys stay unique and resolve; condition the table's other columns"
                )
        condition_tree(model.models[name], conditions_of(model.models[name], conditions))
    return where


def table_programs(
    model: RelationalModel, name: str, rows: dict[str, int], keys: dict
) -> tuple[dict | None, dict[str, dict]]:
    """(driven, key programs) of one table's plan: its hidden child count driven by its busiest
    foreign key, and its primary and foreign key columns as key programs (plan/keys.py)."""
    table = model.tables[name]

    def parents(parent: str):
        return keys[parent], rows[parent]

    driven = None
    if table.child_count is not None:
        count = table.child_count
        driven = {count.column: driving_rank(rows[name], count.child, count.foreign_key)}
    key = keys[name]
    programs = primary_key_programs(key, rows[name], name, parents) if key is not None else {}
    for fk in generated_foreign_keys(table.foreign_keys, key.columns if key is not None else []):
        programs.update(foreign_key_programs(fk, parents, name, rows[name]))
    return driven, programs


def table_keys(model: RelationalModel, rows: dict[str, int]) -> dict:
    """Each table's primary key as generated for its row count (string keys get their room)."""
    return {
        name: key_with_room(name, t.primary_key, getattr(_key_column(model, name), "pattern", None), rows[name])
        if t.primary_key is not None
        else None
        for name, t in model.tables.items()
    }


def _key_column(model: RelationalModel, table: str):
    key = model.tables[table].primary_key
    assert key is not None, f"table {table!r} has no primary key"
    return model.models[table].column(key.columns[0])
