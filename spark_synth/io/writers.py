"""Writing generated data so that a failed or killed job never leaves output that looks complete.

Spark writes into a hidden staging directory beside the target (readers skip names starting
with '.'); only a finished write is renamed into place. With mode 'overwrite' the old output is
moved aside first and deleted after the rename. The file-system steps run on the Spark driver
through the engine (io/files.py: ServerFiles), so the guarantee is the same on classic and Spark
Connect sessions; it is as atomic as the file system's directory rename (atomic on HDFS, local
disks, ABFS with hierarchical namespace; on S3 a rename is a copy file by file, so a reader can
see a partly copied directory and a failure in the copy can leave one: see docs/lake.md, "Writing output").

One run writes a target at a time: the run holds the target's lease (io/lease.py) from its checks
to its publish, removes what dead runs left beside the target (io/staging.py), and publishes only
if the lease is still its own. The publish never moves into an existing directory.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

from pyspark.errors import AnalysisException
from pyspark.errors import IllegalArgumentException as PySparkIllegalArgument
from pyspark.sql import DataFrame

from spark_synth.errors import GenerateError
from spark_synth.io.csv_format import OPTIONS as CSV_OPTIONS
from spark_synth.io.csv_format import SCHEMA_FILE
from spark_synth.io.files import ServerFiles
from spark_synth.io.lease import leased
from spark_synth.io.progress import progress
from spark_synth.io.staging import remove_leftovers
from spark_synth.names import case_insensitive_clashes

log = logging.getLogger("spark_synth.write")
OUTPUT_FORMATS = ("parquet", "orc", "csv", "json", "noop")
MODES = ("error", "overwrite")


def write_output(
    df: DataFrame,
    path: str | None,
    fmt: str = "parquet",
    mode: str = "error",
    options: dict[str, str] | None = None,
    partition_by: list[str] | None = None,
    rows: int | None = None,
) -> None:
    """Write `df` (progress logged; `rows`, when known, shows rows done and the rate)."""
    if fmt not in OUTPUT_FORMATS:
        raise GenerateError(f"output format {fmt!r} is not supported; use one of {OUTPUT_FORMATS}")
    if mode not in MODES:
        raise GenerateError(f"mode {mode!r} is not supported; use one of {MODES}")
    if fmt == "noop":
        with progress(df.sparkSession, "generate -> noop", rows):
            df.write.format("noop").mode("overwrite").save()
        return
    if not path:
        raise GenerateError("an output path is required (or use --format noop)")
    spark = df.sparkSession
    files = ServerFiles(spark)
    _check_target(files, path, mode)
    problem = files.writable_problem(path)
    if problem:
        raise GenerateError(f"cannot write output {path}: {problem}")
    warning = rename_warning(path)
    if warning:
        log.warning("%s", warning)
    with leased(files, path, hidden_sibling(path, "lease")) as still_ours:
        token = uuid.uuid4().hex[:12]
        staging = hidden_sibling(path, f"staging-{token}")
        remove_leftovers(files, path, keep=staging)
        _check_target(files, path, mode)  # a run that held the lease may have published meanwhile
        writer = df.write.format(fmt).mode("error")
        if fmt == "csv":
            writer = writer.options(**CSV_OPTIONS)
        for key, value in (options or {}).items():
            writer = writer.option(key, value)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        try:
            with _case_sensitive_if_needed(df), progress(spark, f"write {path}", rows):
                writer.save(staging)
            if fmt == "csv":  # the types, so reading it back gives the same rows (io/csv_format.py)
                files.write_text(f"{staging}/{SCHEMA_FILE}", df.schema.json())
            still_ours()
        except (PySparkIllegalArgument, AnalysisException) as exc:  # a writer option Spark refuses
            files.delete(staging)
            reason = str(exc).strip().splitlines()[0][:300]
            given = ", ".join(f"{k}={v}" for k, v in (options or {}).items()) or "none"
            raise GenerateError(f"cannot write output {path} as {fmt}: {reason} (writer options: {given})") from None
        except BaseException:
            files.delete(staging)
            raise
        files.publish(staging, path, hidden_sibling(path, f"old-{token}"))


COPYING_RENAMES = ("s3", "s3a", "s3n", "gs")  # object stores: a directory rename copies file by file


def rename_warning(path: str) -> str:
    """What remains of the publish's guarantee where a rename is not atomic ('' elsewhere)."""
    scheme = path.split("://", 1)[0].lower() if "://" in path else ""
    if scheme not in COPYING_RENAMES:
        return ""
    return (
        f"output {path}: {scheme}:// renames a directory by copying it file by file, so a reader can see a "
        "partly published output for a moment and a failure in the copy can leave one; one run per target "
        "still holds (the lease), and a killed run never publishes (docs/lake.md, Writing output)"
    )


def _check_target(files: ServerFiles, path: str, mode: str) -> None:
    if mode == "error" and files.status(path) != "missing":
        raise GenerateError(f"output {path} already exists; pass --mode overwrite (mode='overwrite') to replace it")


def hidden_sibling(path: str, tag: str) -> str:
    """`dir/.name.TAG` beside `dir/name`: Spark's readers skip names that start with '.'."""
    head, sep, name = path.rstrip("/").rpartition("/")
    if not name or head.endswith(":/"):
        raise GenerateError(
            f"cannot write output {path}: give a directory below the file system's root (e.g. s3a://bucket/synthetic)"
        )
    return f"{head}{sep}.{name}.{tag}"


@contextmanager
def _case_sensitive_if_needed(df: DataFrame):
    """Columns such as `Amount` and `amount` are two columns of the real table; Spark writes
    them only with case-sensitive analysis, so it is switched on for this write alone."""
    conf = df.sparkSession.conf
    previous = conf.get("spark.sql.caseSensitive", "false")
    switch = bool(case_insensitive_clashes(df.columns)) and previous.lower() != "true"
    if switch:
        conf.set("spark.sql.caseSensitive", "true")
    try:
        yield
    finally:
        if switch:
            conf.set("spark.sql.caseSensitive", previous)
