"""Reading a Delta Lake or Apache Iceberg table at one pinned version, for reproducible fits.

A lake table changes under a fit: a daily job appends, a compaction rewrites. So a fit always
reads one version, the one asked for (`--version N`, `--as-of TIMESTAMP`) or else the latest at
the start, and the model records it (TableInfo.source): refitting that version gives the same
model. Only bounded answers reach the driver (one history row, one count).

Delta: a path (`delta.\\`/p\\``) or a catalog table; versions are Delta's commit numbers.
Iceberg: a catalog table (CATALOG.DB.T, catalog configured in the session); versions are
snapshot ids of the table's current lineage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_synth.errors import InputDataError
from spark_synth.io.connectors import require_format, require_iceberg_catalog


@dataclass(frozen=True)
class LakeRead:
    """A lake table read at one version, and what the model records about it."""

    frame: DataFrame
    source: dict  # TableSource's fields: format, location, version, committed_at


def read_lake(
    spark: SparkSession,
    fmt: str,
    path: str | None = None,
    table: str | None = None,
    version: int | None = None,
    as_of: str | None = None,
    since: int | None = None,
) -> LakeRead:
    """The table at `version`, at the last version committed at or before `as_of`, or at its
    latest version; every problem is an InputDataError naming the option and the fix.
    since: only the rows appended after that version (fit(..., update=STATS) adds them to the
    statistics of the rows before); a version in between that changed or removed rows is refused."""
    if (path is None) == (table is None):
        raise InputDataError(f"--format {fmt}: give the table's path or --table NAME (one of them)")
    if version is not None and as_of is not None:
        raise InputDataError("give --version or --as-of, not both")
    if fmt == "iceberg" and table is None:
        raise InputDataError(
            "--format iceberg reads a catalog table: give --table CATALOG.DB.NAME (the catalog configured with "
            "spark.sql.catalog.CATALOG=org.apache.iceberg.spark.SparkCatalog)"
        )
    require_format(spark, fmt)
    if fmt == "iceberg":
        require_iceberg_catalog(spark, table)
    name = table if table is not None else f"delta.`{path}`"
    location = table if table is not None else str(path)
    versions = _versions(spark, fmt, name, location)
    chosen = _choose(versions, version, as_of, location)
    frame = spark.sql(f"SELECT * FROM {name} VERSION AS OF {chosen}")
    if since is not None:
        frame = appended_rows(spark, fmt, name, location, since, chosen, versions)
    # Formatted by Spark in UTC: a collected timestamp would be read in the Python process's zone.
    utc = F.date_format(F.to_utc_timestamp("committed_at", _session_zone(spark)), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
    committed = versions.where(F.col("version") == chosen).select(utc).first()[0]
    source = {"format": fmt, "location": location, "version": int(chosen), "committed_at": committed}
    return LakeRead(frame, source if since is None else {**source, "since": since})


def appended_rows(
    spark: SparkSession, fmt: str, name: str, location: str, since: int, chosen: int, versions: DataFrame
) -> DataFrame:
    """The rows versions since+1 .. chosen appended, when all they did was append. Only bounded
    answers reach the driver: the commits in between and the table's file lists."""
    if versions.where(F.col("version") == since).limit(1).count() == 0:
        raise InputDataError(
            f"{location} has no version {since} (the one the statistics record): it may have been vacuumed or "
            "expired; refit the whole table without --update"
        )
    if fmt == "delta":
        return _delta_appended(spark, name, location, since, chosen)
    return _iceberg_appended(spark, name, location, since, chosen)


def _nothing_new(location: str, since: int, chosen: int) -> InputDataError:
    return InputDataError(f"nothing was appended to {location} after version {since} (read up to version {chosen})")


def _changed(location: str, since: int, version: int, operation: str) -> InputDataError:
    return InputDataError(
        f"{location}: version {version} ({operation}) changed or removed rows after version {since}, the one the "
        "statistics record; --update adds appended rows only: refit the whole table without --update"
    )


def _delta_appended(spark: SparkSession, name: str, location: str, since: int, chosen: int) -> DataFrame:
    if chosen <= since:
        raise _nothing_new(location, since, chosen)
    commits = (
        spark.sql(f"DESCRIBE HISTORY {name}")
        .where((F.col("version") > since) & (F.col("version") <= chosen))
        .select("version", "operation", "operationParameters")
        .orderBy("version")
        .collect()  # bounded: one row per commit in between
    )
    for commit in commits:
        parameters = commit["operationParameters"] or {}
        mode = parameters.get("mode") or parameters.get("outputMode") or ""
        if commit["operation"] not in ("WRITE", "STREAMING UPDATE") or mode.lower() != "append":
            raise _changed(location, since, commit["version"], f"{commit['operation']} {mode}".strip())
    before = set(spark.sql(f"SELECT * FROM {name} VERSION AS OF {since}").inputFiles())
    after = spark.sql(f"SELECT * FROM {name} VERSION AS OF {chosen}")
    added = [f for f in after.inputFiles() if f not in before]
    if not added:
        raise _nothing_new(location, since, chosen)
    names = [f.rstrip("/").rsplit("/", 1)[-1] for f in added]
    return after.where(F.col("_metadata.file_name").isin(names))


def _iceberg_appended(spark: SparkSession, name: str, location: str, since: int, chosen: int) -> DataFrame:
    lineage = [
        r["snapshot_id"]
        for r in spark.table(f"{name}.history")
        .where("is_current_ancestor")
        .orderBy("made_current_at")
        .collect()  # bounded: one row per snapshot
    ]
    if since not in lineage or chosen not in lineage or lineage.index(chosen) < lineage.index(since):
        raise InputDataError(
            f"{location}: snapshot {since} (the one the statistics record) is not an ancestor of snapshot {chosen}: "
            "the table was rolled back or replaced; refit the whole table without --update"
        )
    between = lineage[lineage.index(since) + 1 : lineage.index(chosen) + 1]
    if not between:
        raise _nothing_new(location, since, chosen)
    operations = {
        r["snapshot_id"]: r["operation"]
        for r in spark.table(f"{name}.snapshots")
        .select("snapshot_id", "operation")
        .collect()  # bounded: one row per snapshot
    }
    for snapshot in between:
        if operations.get(snapshot) != "append":
            raise _changed(location, since, snapshot, str(operations.get(snapshot)))
    return (
        spark.read.format("iceberg")
        .option("start-snapshot-id", str(since))
        .option("end-snapshot-id", str(chosen))
        .load(name)
    )


def _session_zone(spark: SparkSession) -> str:
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


def _versions(spark: SparkSession, fmt: str, name: str, location: str) -> DataFrame:
    """(version, committed_at) of every version a reader can travel to."""
    try:
        if fmt == "delta":
            history = spark.sql(f"DESCRIBE HISTORY {name}")
            return history.select(F.col("version"), F.col("timestamp").alias("committed_at"))
        lineage = spark.table(f"{name}.history").where("is_current_ancestor")
        return lineage.select(F.col("snapshot_id").alias("version"), F.col("made_current_at").alias("committed_at"))
    except (AnalysisException, PySparkException) as exc:
        raise InputDataError(_unreadable(fmt, location, exc)) from None
    except Exception as exc:  # py4j errors from the connector itself
        raise InputDataError(_unreadable(fmt, location, exc)) from None


def _unreadable(fmt: str, location: str, exc: Exception) -> str:
    said = str(exc).strip().splitlines()[0][:240] if str(exc).strip() else type(exc).__name__
    if fmt == "delta" and ("DELTA_MISSING_DELTA_TABLE" in said or "is not a Delta table" in said):
        return f"{location} is not a Delta table (no _delta_log); give its format (--format parquet, ...) instead"
    return f"cannot read the {fmt} table {location}: {said}"


def _choose(versions: DataFrame, version: int | None, as_of: str | None, location: str) -> int:
    """The version to read: asked for, last before `as_of`, or the latest; a bounded aggregate."""
    bounds = versions.agg(F.min("version"), F.max("version"), F.count("*")).first()
    low, high, count = bounds[0], bounds[1], bounds[2]
    if not count:
        raise InputDataError(f"{location} has no version to read (an empty table with no commit)")
    if version is not None:
        if versions.where(F.col("version") == version).limit(1).count() == 0:
            raise InputDataError(
                f"--version {version}: {location} has no such version (its versions run {low} .. {high}, the "
                "latest last; an old one may have been vacuumed or expired)"
            )
        return version
    if as_of is not None:
        try:
            dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise InputDataError(
                f"--as-of {as_of!r} is not a timestamp; write it as 2026-12-01T08:00:00 (the session's time zone "
                "unless an offset such as +00:00 is given)"
            ) from None
        moment = F.to_timestamp(F.lit(as_of.replace("T", " ")))
        before = versions.where(F.col("committed_at") <= moment).orderBy(F.col("committed_at").desc()).first()
        if before is None:
            first = versions.agg(F.min("committed_at").cast("string")).first()[0]
            raise InputDataError(f"--as-of {as_of}: {location} had no version yet (its first was committed {first})")
        return int(before["version"])
    latest = versions.orderBy(F.col("committed_at").desc(), F.col("version").desc()).first()
    return int(latest["version"])
