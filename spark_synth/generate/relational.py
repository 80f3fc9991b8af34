"""Generating a relational schema: every table from its own model, keys from the row index.

Table t gets round(scale * real rows) rows. Its non-key columns come from the JVM engine like a
single table; a hidden row-index column drives the key expressions (generate/keys.py), so
primary keys are unique by construction and foreign keys always name a generated parent (clean
mode) without any join. Children per parent follow the learned popularity curve, and a parent's
hidden child-count column is set from its rank on that curve (the engine's "driven" variable), so
its other columns match the number of children it gets.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_synth.errors import GenerateError
from spark_synth.generate.keys import (add_foreign_key, add_primary_key, check_key_space, key_with_room,
                                      popularity_rank)
from spark_synth.generate.planner import generate_dataframe
from spark_synth.model.io import SynthModel
from spark_synth.model.relational import RelationalModel, generated_foreign_keys
from spark_synth.names import alias, aliases

ROW_INDEX = "__spark_synth_row"


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


def generate_schema(spark: SparkSession, model: RelationalModel, scale: float = 1.0, seed: int = 0,
                    partitions: int | None = None) -> dict[str, DataFrame]:
    """Lazy DataFrames per table (parents first), each with its source schema."""
    rows = table_rows(model, scale)
    keys = {name: key_with_room(name, t.primary_key, getattr(_key_column(model, name), "pattern", None), rows[name])
            if t.primary_key is not None else None for name, t in model.tables.items()}

    def parents(name: str):
        return keys[name], rows[name]

    out = {}
    for name, table in model.tables.items():
        single = model.models[name]
        key = keys[name]
        if key is not None:
            check_key_space(name, key, single.column(key.columns[0]).spark_type, rows[name], parents)
        with_index = _with_row_index(single)
        driven = None
        if table.child_count is not None:
            count = table.child_count
            driven = {count.column: popularity_rank(rows[name], seed, count.child, count.foreign_key)}
        df = generate_dataframe(spark, with_index, rows[name], seed, partitions, driven=driven)
        # Keys are added by position (names.py): the real names come back at the end.
        names = df.columns
        df = df.toDF(*aliases(len(names)))
        row = F.col(alias(names.index(ROW_INDEX)))
        target = lambda column, names=names: alias(names.index(column))  # noqa: E731
        if key is not None:
            df = add_primary_key(df, key, rows[name], row, seed, name, parents, target)
        for fk in generated_foreign_keys(table.foreign_keys, key.columns if key is not None else []):
            df = add_foreign_key(df, fk, parents, row, seed, name, target)
        hidden = {ROW_INDEX} | ({table.child_count.column} if table.child_count is not None else set())
        kept = [i for i, n in enumerate(names) if n not in hidden]
        out[name] = df.select(*[alias(i) for i in kept]).toDF(*[names[i] for i in kept])
    return out


def _key_column(model: RelationalModel, table: str):
    return model.models[table].column(model.tables[table].primary_key.columns[0])


def _with_row_index(model: SynthModel) -> SynthModel:
    raw = model.to_dict()
    raw["columns"] = raw["columns"] + [{"name": ROW_INDEX, "spark_type": '"long"', "nullable": False,
                                        "null_fraction": 0.0, "kind": "id", "start": 0, "step": 1}]
    return SynthModel.from_dict(raw)
