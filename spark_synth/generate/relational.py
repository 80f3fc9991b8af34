"""Generating a relational schema: every table from its own model, keys from the row index.

Table t gets round(scale * real rows) rows. Its non-key columns come from the JVM engine like a
single table; a hidden row-index column drives the key expressions (generate/keys.py), so
primary keys are unique by construction and foreign keys always name a generated parent (clean
mode) without any join. Children per parent follow the learned popularity curve.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_synth.errors import GenerateError
from spark_synth.generate.keys import add_foreign_key, add_primary_key, check_key_space
from spark_synth.generate.planner import generate_dataframe
from spark_synth.model.io import SynthModel
from spark_synth.model.relational import RelationalModel

ROW_INDEX = "__spark_synth_row"


def table_rows(model: RelationalModel, scale: float) -> dict[str, int]:
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not scale > 0:
        raise GenerateError(f"scale must be a positive number, got {scale!r}")
    return {name: max(1, round(t.rows * scale)) for name, t in model.tables.items()}


def generate_schema(spark: SparkSession, model: RelationalModel, scale: float = 1.0, seed: int = 0,
                    partitions: int | None = None) -> dict[str, DataFrame]:
    """Lazy DataFrames per table (parents first), each with its source schema."""
    rows = table_rows(model, scale)
    out = {}
    for name, table in model.tables.items():
        single = model.models[name]
        if table.primary_key is not None:
            check_key_space(name, table.primary_key, single.column(table.primary_key.column).spark_type, rows[name])
        with_index = _with_row_index(single)
        df = generate_dataframe(spark, with_index, rows[name], seed, partitions)
        row = F.col(ROW_INDEX)
        if table.primary_key is not None:
            df = add_primary_key(df, table.primary_key, rows[name], row, seed, name)
        for fk in table.foreign_keys:
            df = add_foreign_key(df, fk, model.tables[fk.parent].primary_key, rows[fk.parent], row, seed, name)
        out[name] = df.drop(ROW_INDEX)
    return out


def _with_row_index(model: SynthModel) -> SynthModel:
    raw = model.to_dict()
    raw["columns"] = raw["columns"] + [{"name": ROW_INDEX, "spark_type": '"long"', "nullable": False,
                                        "null_fraction": 0.0, "kind": "id", "start": 0, "step": 1}]
    return SynthModel.from_dict(raw)
