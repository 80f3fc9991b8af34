"""Writing generated data so that a failed or killed job never leaves output that looks complete.

Spark writes into a hidden staging directory beside the target (readers skip names starting
with '.'); only a finished write is renamed into place. With mode 'overwrite' the old output is
moved aside first and deleted after the rename.
"""

from __future__ import annotations

import uuid

from pyspark.sql import DataFrame

from spark_synth.errors import GenerateError

OUTPUT_FORMATS = ("parquet", "orc", "csv", "json", "noop")
MODES = ("error", "overwrite")


def write_output(df: DataFrame, path: str | None, fmt: str = "parquet", mode: str = "error",
                 options: dict[str, str] | None = None, partition_by: list[str] | None = None) -> None:
    if fmt not in OUTPUT_FORMATS:
        raise GenerateError(f"output format {fmt!r} is not supported; use one of {OUTPUT_FORMATS}")
    if mode not in MODES:
        raise GenerateError(f"mode {mode!r} is not supported; use one of {MODES}")
    if fmt == "noop":
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
    token = uuid.uuid4().hex[:12]
    staging = jvm.org.apache.hadoop.fs.Path(target.getParent(), f".{target.getName()}.staging-{token}")
    writer = df.write.format(fmt).mode("error")
    if fmt == "csv":
        writer = writer.option("header", "true")
    for key, value in (options or {}).items():
        writer = writer.option(key, value)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    try:
        writer.save(staging.toString())
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
