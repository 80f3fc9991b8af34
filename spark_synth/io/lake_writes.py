"""Writing generated rows into a Delta Lake or Apache Iceberg table: one commit per write.

File formats get their all-or-nothing guarantee from a staged directory renamed into place
(io/writers.py). A lake table has a better one of its own: a write is a single commit to its log
(Delta) or a single snapshot (Iceberg), so a killed job leaves the table at its previous
version and readers never see part of a write. So nothing is staged here; what is checked first
is what the table's own checks would report only after the rows were generated, or not at all:
the connector, whether the target exists (mode), and its columns and types.

Modes: error (the target must not exist), overwrite (replace its rows in one commit, keeping the
table and its history), append (add rows: only transactional tables can do it safely).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_synth.errors import GenerateError
from spark_synth.io.connectors import require_format, require_iceberg_catalog
from spark_synth.io.files import ServerFiles
from spark_synth.io.progress import progress

LAKE_MODES = ("error", "overwrite", "append")


def lake_name(fmt: str, path: str | None, table: str | None) -> str:
    """How SQL names the target: a catalog table, or a Delta table by its path."""
    if table is not None:
        return table
    if fmt != "delta":
        raise GenerateError(f"--format {fmt} writes a catalog table: give --table CATALOG.DB.NAME")
    return f"delta.`{path}`"


def write_lake(
    df: DataFrame,
    fmt: str,
    path: str | None = None,
    table: str | None = None,
    mode: str = "error",
    options: dict[str, str] | None = None,
    partition_by: list[str] | None = None,
    rows: int | None = None,
) -> str:
    """Write `df` to the Delta or Iceberg table at `path` (Delta) or named `table`, in one commit;
    returns the target's name. Every refusal comes before any row is generated."""
    if mode not in LAKE_MODES:
        raise GenerateError(f"mode {mode!r} is not supported; use one of {LAKE_MODES}")
    if (path is None) == (table is None):
        raise GenerateError(f"--format {fmt}: give --output PATH (Delta) or --table NAME, one of them")
    spark = df.sparkSession
    require_format(spark, fmt)
    if fmt == "iceberg" and table is not None:
        require_iceberg_catalog(spark, table)
    name = lake_name(fmt, path, table)
    exists = _exists(spark, fmt, path, table)
    if exists and mode == "error":
        raise GenerateError(
            f"{fmt} table {path or table} already exists; pass --mode overwrite (replace its rows in one commit) "
            "or --mode append (add rows)"
        )
    if exists:
        check_schema(spark.table(name), df, f"{fmt} table {path or table}")
    with progress(spark, f"write {fmt} {path or table}", rows):
        if table is None:  # a Delta table by path
            writer = df.write.format("delta").mode("append" if mode == "append" else "overwrite")
            writer = writer.options(**(options or {}))
            if partition_by and not exists:
                writer = writer.partitionBy(*partition_by)
            writer.save(path)
        else:
            writer = df.writeTo(table).options(**(options or {}))
            if not exists:
                writer = writer.using(fmt)
                if partition_by:
                    writer = writer.partitionedBy(*[F.col(c) for c in partition_by])
                writer.create()
            elif mode == "append":
                writer.append()
            else:
                writer.overwrite(F.lit(True))
    return name


def _exists(spark: SparkSession, fmt: str, path: str | None, table: str | None) -> bool:
    if table is not None:
        return bool(spark.catalog.tableExists(table))
    status = ServerFiles(spark).status(path)
    if status == "missing":
        return False
    if ServerFiles(spark).status(f"{path.rstrip('/')}/_delta_log") != "dir":
        raise GenerateError(
            f"output {path} exists and is not a Delta table (no _delta_log); give another --output, or remove it"
        )
    return True


def check_schema(target: DataFrame, rows: DataFrame, what: str) -> None:
    """The generated rows must have the target's columns and types (order aside): name every
    difference, so nothing is written that the table would refuse or, worse, coerce."""
    have = {f.name: f.dataType.simpleString() for f in target.schema.fields}
    give = {f.name: f.dataType.simpleString() for f in rows.schema.fields}
    problems = []
    missing = [c for c in have if c not in give]
    extra = [c for c in give if c not in have]
    if missing:
        problems.append(f"the generated rows lack {missing}")
    if extra:
        problems.append(f"the table has no column {extra}")
    typed = [f"{c} is {have[c]} there, {give[c]} here" for c in have if c in give and have[c] != give[c]]
    if typed:
        problems.append("; ".join(typed))
    if problems:
        raise GenerateError(
            f"{what} has other columns or types than the generated rows: {'; '.join(problems)}. Nothing was "
            "written; write to another table (or drop this one first)"
        )


def replace_date(
    dated: DataFrame,
    fmt: str,
    path: str | None,
    table: str | None,
    date_column: str,
    date: str,
    partition_by: list[str],
    options: dict[str, str] | None = None,
    change_data_feed: bool = False,
) -> str:
    """Replace one date's rows of a Delta or Iceberg table partitioned by `date_column`, in one
    commit that touches no other date: Delta's `replaceWhere` (which also refuses any row outside
    the date), Iceberg's `overwritePartitions`. The first write creates the table, partitioned by
    the date (then `partition_by`); with `change_data_feed`, a Delta table is created with
    delta.enableChangeDataFeed so downstream CDC pipelines can read its changes."""
    spark = dated.sparkSession
    if fmt == "iceberg" and table is not None:
        require_iceberg_catalog(spark, table, f"table {table}:")
    name = lake_name(fmt, path, table)
    exists = _exists(spark, fmt, path, table)
    if exists:
        check_schema(spark.table(name), dated, f"{fmt} table {path or table}")
    options = dict(options or {})
    if not exists:
        return _create(dated, fmt, path, table, [date_column, *partition_by], options, change_data_feed)
    if fmt == "iceberg":
        dated.writeTo(name).options(**options).overwritePartitions()
        return name
    writer = dated.write.format("delta").mode("overwrite").option("replaceWhere", f"`{date_column}` = '{date}'")
    writer = writer.options(**options)
    if table is None:
        writer.save(path)
    else:
        writer.saveAsTable(table)
    return name


def _create(
    df: DataFrame,
    fmt: str,
    path: str | None,
    table: str | None,
    partitions: list[str],
    options: dict[str, str],
    change_data_feed: bool,
) -> str:
    spark = df.sparkSession
    key = "spark.databricks.delta.properties.defaults.enableChangeDataFeed"
    previous = spark.conf.get(key, None)
    if change_data_feed:
        spark.conf.set(key, "true")
    try:
        if table is None:
            df.write.format("delta").mode("error").options(**options).partitionBy(*partitions).save(path)
            return lake_name(fmt, path, table)
        writer = df.writeTo(table).using(fmt).options(**options)
        writer.partitionedBy(*[F.col(c) for c in partitions]).create()
        return table
    finally:
        if change_data_feed:
            if previous is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, previous)
