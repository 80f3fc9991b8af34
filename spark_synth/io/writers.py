"""Writing generated data so that a failed or killed job never leaves output that looks complete.

Spark writes into a hidden staging directory beside the target (readers skip names starting
with '.'); only a finished write is renamed into place. With mode 'overwrite' the old output is
moved aside first and deleted after the rename.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from py4j.protocol import Py4JJavaError
from pyspark.sql import DataFrame

from spark_synth.errors import GenerateError
from spark_synth.io.csv_format import OPTIONS as CSV_OPTIONS
from spark_synth.io.csv_format import SCHEMA_FILE
from spark_synth.io.progress import progress
from spark_synth.names import case_insensitive_clashes

OUTPUT_FORMATS = ("parquet", "orc", "csv", "json", "noop")
MODES = ("error", "overwrite")


def write_output(df: DataFrame, path: str | None, fmt: str = "parquet", mode: str = "error",
                 options: dict[str, str] | None = None, partition_by: list[str] | None = None,
                 rows: int | None = None) -> None:
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
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if fs.exists(target) and mode == "error":
        raise GenerateError(f"output {path} already exists; pass --mode overwrite (mode='overwrite') to replace it")
    _check_writable(fs, target, path)
    token = uuid.uuid4().hex[:12]
    staging = jvm.org.apache.hadoop.fs.Path(target.getParent(), f".{target.getName()}.staging-{token}")
    writer = df.write.format(fmt).mode("error")
    if fmt == "csv":
        writer = writer.options(**CSV_OPTIONS)
    for key, value in (options or {}).items():
        writer = writer.option(key, value)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    try:
        with _case_sensitive_if_needed(df), progress(spark, f"write {path}", rows):
            writer.save(staging.toString())
        if fmt == "csv":  # the types, so reading it back gives the same rows (io/csv_format.py)
            _write_text(fs, jvm.org.apache.hadoop.fs.Path(staging, SCHEMA_FILE), df.schema.json())
    except BaseException:
        fs.delete(staging, True)
        raise
    backup = jvm.org.apache.hadoop.fs.Path(target.getParent(), f".{target.getName()}.old-{token}")
    had_old = fs.exists(target)
    if had_old and not fs.rename(target, backup):
        fs.delete(staging, True)
        raise GenerateError(f"could not move the old output {path} aside; nothing was changed")
    if not fs.rename(staging, target):
        if had_old:
            fs.rename(backup, target)
        raise GenerateError(f"could not move the finished output into {path}; it is left in {staging.toString()}")
    if had_old:
        fs.delete(backup, True)


def _check_writable(fs, target, path: str) -> None:
    """Fail before Spark starts writing, with the path in the message: an ancestor that is a
    file, or a directory that cannot be created or written."""
    parent = target.getParent()
    ancestor = parent
    while ancestor is not None and not fs.exists(ancestor):
        ancestor = ancestor.getParent()
    if ancestor is not None and fs.getFileStatus(ancestor).isFile():
        raise GenerateError(f"cannot write output {path}: {ancestor.toString()} is a file, not a directory; "
                            "choose an output path inside a directory")
    probe = parent.suffix(f"/.spark_synth-probe-{uuid.uuid4().hex[:12]}")
    try:
        if not fs.mkdirs(probe):
            raise GenerateError(f"cannot write output {path}: creating directories under {parent.toString()} "
                                "failed; check that it is writable")
        fs.delete(probe, True)
    except Py4JJavaError as exc:
        reason = exc.java_exception.toString().split("\n")[0]
        raise GenerateError(f"cannot write output {path}: {reason}; check that the directory is writable") from None


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


def _write_text(fs, path, text: str) -> None:
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
