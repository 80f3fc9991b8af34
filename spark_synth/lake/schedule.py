"""Time-partitioned generation: one partition per (table, date), reproducible and replaceable.

Each date's rows come from seed = hash(job seed, table, date), so regenerating a date gives
the same rows and no other date changes. The table's time column is moved into the date's window
keeping each value's time of day (the learned daily shape). A partition is written to
<output>/<table>/<partition_column>=<date>/ through the staged, renamed write of
spark_synth.io.writers: a killed job leaves only hidden staging directories, which Spark's
partition discovery skips. Catalog tables (Delta, Iceberg, Hive) and other data sources get the
date as a column and a dynamic partition overwrite, which replaces exactly that date: the
table format's own commit is what keeps a killed job from showing half a partition there.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.api import generate, generate_schema
from spark_synth.errors import GenerateError
from spark_synth.io.connectors import LAKE_FORMATS, require_format
from spark_synth.io.job_config import FILE_FORMATS, JobConfig, resolve
from spark_synth.io.lake_writes import replace_date
from spark_synth.io.writers import write_output
from spark_synth.model.io import SynthModel, load_model
from spark_synth.model.relational import load_relational
from spark_synth.names import alias, aliases
from spark_synth.plan.schema import check_schema_where, scale_for_rows, table_rows
from spark_synth.plan.steer.parts import check_steering
from spark_synth.plan.steer.rebalance import parse_rebalance
from spark_synth.seeding import MAX_SEED, stable_key

log = logging.getLogger(__name__)
MICROS_PER_DAY = 86_400_000_000


@dataclass
class PartitionResult:
    table: str
    date: dt.date
    rows: int
    seconds: float
    path: str


def day_seed(seed: int, table: str, date: dt.date) -> int:
    return stable_key(f"{seed}/{table}/{date.isoformat()}") & MAX_SEED


def dates_between(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise GenerateError(f"--to {last} is before --from {first}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def day_frame(
    spark: SparkSession,
    model: SynthModel,
    rows: int,
    seed: int,
    table: str,
    date: dt.date,
    time_column: str | None,
    where: Any = None,
    rebalance: dict | None = None,
) -> DataFrame:
    df = generate(spark, model, rows, day_seed(seed, table, date), where=where, rebalance=rebalance)
    if time_column is None:
        return df
    names = df.columns
    if time_column not in names:
        raise GenerateError(
            f"table {table!r}: time_column {time_column!r} is not a column of its model (columns: {names})"
        )
    position = names.index(time_column)
    data_type = df.schema[position].dataType
    df = df.toDF(*aliases(len(names)))  # by position: any column name works (names.py)
    column = F.col(alias(position))
    start = dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
    if isinstance(data_type, T.DateType):
        moved = F.lit(date)
    elif isinstance(data_type, (T.TimestampType, T.TimestampNTZType)):
        epoch = (
            F.unix_micros(column) if isinstance(data_type, T.TimestampType) else F.unix_micros(column.cast("timestamp"))
        )
        micros = F.lit(int(start.timestamp()) * 1_000_000) + F.pmod(epoch, F.lit(MICROS_PER_DAY))
        moved = F.timestamp_micros(micros).cast(data_type)
    else:
        raise GenerateError(
            f"table {table!r}: time_column {time_column!r} must be a date or timestamp, not {data_type.simpleString()}"
        )
    return df.withColumn(alias(position), moved).toDF(*names)


def catalog_settings(config: JobConfig, base_dir) -> dict[str, str]:
    """Spark settings for an embedded Hive metastore (only when the job registers tables)."""
    if not config.catalog.enabled:
        return {}
    store = resolve(base_dir, config.catalog.metastore or f"{config.output}/_metastore")
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": resolve(base_dir, f"{config.output}/_warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={store};create=true",
    }


def register_tables(spark: SparkSession, config: JobConfig, base_dir) -> list[str]:
    """CREATE TABLE ... LOCATION over each table's directory, then pick up its partitions."""
    if spark.conf.get("spark.sql.catalogImplementation", "in-memory") != "hive":
        raise GenerateError(
            "catalog.enabled needs a Spark session with the Hive catalog; run the job through "
            "`spark-synth run` (which configures it) or set spark.sql.catalogImplementation=hive"
        )
    database = config.catalog.database
    output = resolve(base_dir, config.output)
    spark.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    names = []
    directory_tables = [n for n, t in config.tables.items() if t.table is None]
    directory_tables += [n for s in config.schemas.values() for n in load_relational(resolve(base_dir, s.model)).tables]
    for name in directory_tables:
        table = f"`{database}`.`{name}`"
        location = f"{output}/{name}"
        # Schema and the partition column are inferred from the directory (date=... folders).
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table} USING {config.format} LOCATION '{location}'")
        spark.sql(f"MSCK REPAIR TABLE {table}")
        spark.sql(f"REFRESH TABLE {table}")
        names.append(f"{database}.{name}")
        log.info("run: registered %s.%s at %s", database, name, location)
    return names


def check_job(config: JobConfig, base_dir) -> tuple[dict, dict, dict]:
    """Everything a job config can get wrong that needs no Spark: its model files, column names,
    conditions and shares. (models, schemas, rebalances) for run_job."""
    models = {name: load_model(resolve(base_dir, t.model)) for name, t in config.tables.items()}
    schemas = {name: load_relational(resolve(base_dir, s.model)) for name, s in config.schemas.items()}
    columns = {name: [c.name for c in m.columns] for name, m in models.items()}
    for schema in schemas.values():
        columns.update({name: [c.name for c in m.columns] for name, m in schema.models.items()})
    _check_names(config, schemas, columns)
    for name, table in config.tables.items():
        if table.time_column and table.time_column not in columns[name]:
            raise GenerateError(
                f"job config tables.{name}.time_column: {table.time_column!r} is not a column of its model "
                f"(columns: {', '.join(columns[name][:12])}{', ...' if len(columns[name]) > 12 else ''})"
            )
    return models, schemas, _check_steering(config, models, schemas)


def run_job(
    spark: SparkSession, config: JobConfig, base_dir, dates: list[dt.date], checked: tuple | None = None
) -> list[PartitionResult]:
    """Generate and write every (table, date); `checked`: check_job's result, when the caller
    checked the config before starting Spark."""
    models, schemas, rebalances = checked or check_job(config, base_dir)
    _check_format(spark, config.format)
    output = resolve(base_dir, config.output)
    results = []
    for date in dates:
        for name, table in config.tables.items():
            started = time.time()
            df = day_frame(
                spark,
                models[name],
                table.rows_per_day,
                config.seed,
                name,
                date,
                table.time_column,
                table.where,
                rebalances[name],
            )
            path = write_day(df, config, name, date, output, table.table)
            results.append(_logged(PartitionResult(name, date, table.rows_per_day, time.time() - started, path)))
        for schema_name, job_schema in config.schemas.items():
            model = schemas[schema_name]
            ((anchor, anchor_rows),) = job_schema.rows_per_day.items()
            scale = scale_for_rows(model, anchor_rows, anchor)
            rows = table_rows(model, scale)
            frames = generate_schema(
                spark, model, scale, day_seed(config.seed, schema_name, date), where=job_schema.where
            )
            for name, df in frames.items():
                started = time.time()
                catalog_table = None if job_schema.namespace is None else f"{job_schema.namespace}.{name}"
                path = write_day(df, config, name, date, output, catalog_table)
                results.append(_logged(PartitionResult(name, date, rows[name], time.time() - started, path)))
    return results


def _check_steering(config: JobConfig, models: dict, schemas: dict) -> dict[str, dict | None]:
    """Every table's `where` and `rebalance` checked before the first date is written; the
    rebalancing of each table as a dict."""
    rebalances = {}
    for name, table in config.tables.items():
        rebalance = parse_rebalance(table.rebalance) if isinstance(table.rebalance, str) else table.rebalance
        try:
            check_steering(models[name], table.rows_per_day, table.where, rebalance)
        except GenerateError as exc:
            raise GenerateError(f"tables.{name}: {exc}") from None
        rebalances[name] = rebalance
    for schema_name, job_schema in config.schemas.items():
        try:
            check_schema_where(schemas[schema_name], job_schema.where)
        except GenerateError as exc:
            raise GenerateError(f"schemas.{schema_name}: {exc}") from None
    return rebalances


def _check_format(spark: SparkSession, fmt: str) -> None:
    """A Spark source the cluster does not have (`format: xlsx`) is named before any date is
    generated, not as a Py4J error after the first date's work. Classic sessions only: Spark
    Connect finds out at the first write, with Spark's own message."""
    if fmt in LAKE_FORMATS:
        require_format(spark, fmt, "job config 'format':")
        return
    if fmt in FILE_FORMATS or getattr(spark, "_jvm", None) is None:
        return
    jvm = spark._jvm
    try:
        jvm.org.apache.spark.sql.execution.datasources.DataSource.lookupDataSource(
            fmt, spark._jsparkSession.sessionState().conf()
        )
    except Exception as exc:  # py4j wraps Spark's DATA_SOURCE_NOT_FOUND
        if "DATA_SOURCE_NOT_FOUND" not in str(exc) and "ClassNotFound" not in str(exc):
            raise
        raise GenerateError(
            f"job config 'format': {fmt!r} is not a Spark data source on this cluster; use parquet, orc, csv or "
            "json, or a source the cluster has (delta, iceberg: add its connector to the session)"
        ) from None


def _check_names(config: JobConfig, schemas: dict, columns: dict[str, list[str]]) -> None:
    seen = set(config.tables)
    for schema_name, schema in schemas.items():
        ((anchor, _),) = config.schemas[schema_name].rows_per_day.items()
        if anchor not in schema.tables:
            raise GenerateError(
                f"schemas.{schema_name}.rows_per_day names {anchor!r}, which is not a table of "
                f"its model (tables: {sorted(schema.tables)})"
            )
        clash = seen & set(schema.tables)
        if clash:
            raise GenerateError(
                f"schemas.{schema_name}: table(s) {sorted(clash)} are generated twice; every "
                "table name must be unique across 'tables' and 'schemas'"
            )
        seen |= set(schema.tables)
    for name, names in columns.items():
        missing = [c for c in config.partition_by if c not in names]
        if missing:
            raise GenerateError(
                f"table {name!r}: partition_by column(s) {missing} are not columns of its model ({names})"
            )


def _logged(result: PartitionResult) -> PartitionResult:
    log.info(
        "run: %s %s: %d rows in %.1f s (%.0f rows/s) -> %s",
        result.table,
        result.date,
        result.rows,
        result.seconds,
        result.rows / result.seconds,
        result.path,
    )
    return result


def write_day(
    df: DataFrame, config: JobConfig, name: str, date: dt.date, output: str, catalog_table: str | None
) -> str:
    """Writes one date's rows where the config says (see spark_synth.io.job_config); returns where."""
    options = config.writer_options()
    if config.format in LAKE_FORMATS:  # the table's own commit replaces the date (io/lake_writes.py)
        dated = df.withColumn(config.partition_column, F.lit(date))
        path = None if catalog_table is not None else f"{output}/{name}"
        return replace_date(
            dated,
            config.format,
            path,
            catalog_table,
            config.partition_column,
            date.isoformat(),
            config.partition_by,
            options,
            config.change_data_feed,
        )
    if catalog_table is None and config.format in FILE_FORMATS:
        path = f"{output}/{name}/{config.partition_column}={date.isoformat()}"
        write_output(df, path, config.format, "overwrite", options, config.partition_by)
        return path
    dated = df.withColumn(config.partition_column, F.lit(date))
    partitions = [config.partition_column, *config.partition_by]
    spark = df.sparkSession
    previous = spark.conf.get("spark.sql.sources.partitionOverwriteMode")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    try:
        if catalog_table is not None:
            if spark.catalog.tableExists(catalog_table):
                columns = spark.table(catalog_table).columns
                if sorted(columns) != sorted(dated.columns):
                    raise GenerateError(
                        f"table {name!r}: catalog table {catalog_table} has columns {columns}, the "
                        f"generated rows have {dated.columns}; drop it or name another table"
                    )
                dated.select(*columns).write.options(**options).insertInto(catalog_table, overwrite=True)
            else:
                (
                    dated.write.format(config.format)
                    .options(**options)
                    .partitionBy(*partitions)
                    .saveAsTable(catalog_table)
                )
            return catalog_table
        path = f"{output}/{name}"
        (
            dated.write.format(config.format)
            .mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .options(**options)
            .partitionBy(*partitions)
            .save(path)
        )
        return path
    finally:
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", previous)
