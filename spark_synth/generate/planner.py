"""Planning generation: validate the request, compile the plan, read it from the JVM engine.

Partition p owns rows [N*p//P, N*(p+1)//P) (computed by the engine). No shuffle, no join,
constant memory per task (one 4,096-row batch at a time), and since every value depends only on
(seed, column, row index) the result is identical for every P.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_synth.errors import GenerateError
from spark_synth.generate.conditions import conditions_of
from spark_synth.generate.jvm import ENGINE_CLASS, ensure_engine
from spark_synth.generate.plan import compile_plan
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import IdColumn
from spark_synth.seeding import check_seed

def check_key_space(model: SynthModel, rows: int) -> None:
    """Id columns count up from their start; refuse a row count their Spark type cannot hold."""
    for column in model.columns:
        if isinstance(column, IdColumn):
            largest = column.start + (rows - 1) * column.step
            limit = column.type.limits()[1]
            if largest > limit:
                raise GenerateError(
                    f"column {column.name!r} holds unique ids of type {column.type.name}; "
                    f"{rows:,} rows would need ids up to {largest:,}, beyond its maximum {limit:,}. "
                    "Generate fewer rows or widen the column's type before fitting")


def generate_dataframe(spark: SparkSession, model: SynthModel, rows: int, seed: int,
                       partitions: int | None = None, engine_options: dict[str, str] | None = None,
                       driven: dict[str, dict[str, int]] | None = None,
                       keys: dict[str, dict] | None = None, where: Any = None, first: int = 0,
                       total_rows: int | None = None) -> DataFrame:
    """The engine's lazy DataFrame; `driven` sets copula columns from the row index and `keys`
    computes key columns by their programs (see plan.compile_plan) instead of drawing them;
    `where` keeps every row to conditions (generate/conditions.py); `first` and `total_rows` make
    the rows [first, first + rows) of a `total_rows`-row output (generate/rebalance.py)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
        raise GenerateError(f"rows must be a positive integer, got {rows!r}")
    try:
        check_seed(seed)
    except ValueError as exc:
        raise GenerateError(str(exc)) from None
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int) or partitions <= 0):
        raise GenerateError(f"partitions must be a positive integer, got {partitions!r}")
    total = total_rows or rows
    check_key_space(model, total)
    conditions = conditions_of(model, where, session_time_zone(spark)) if where else []
    plan = compile_plan(model, total, driven, keys, conditions)  # (bad conditions: refused before Spark work)
    ensure_engine(spark)
    reader = (spark.read.format(ENGINE_CLASS)
              .option("plan", plan)
              .option("rows", str(rows))
              .option("seed", str(seed)))
    if first:
        reader = reader.option("first", str(first))
    if partitions is not None:  # else the engine picks a multiple of the cluster's parallelism
        reader = reader.option("partitions", str(partitions))
    for key, value in (engine_options or {}).items():  # e.g. the tests' fault injection
        reader = reader.option(key, value)
    return reader.load()


def session_time_zone(spark: SparkSession) -> str | None:
    """The zone Spark reads timestamps without an offset in (conditions read them alike)."""
    try:
        return spark.conf.get("spark.sql.session.timeZone")
    except Exception:  # noqa: BLE001 - a session without the setting: the machine's zone
        return None
