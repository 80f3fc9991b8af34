"""Reading the real table from a path or the catalog, with errors that say what to do."""

from __future__ import annotations

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from spark_synth.errors import InputDataError

INPUT_FORMATS = ("parquet", "orc", "csv", "json")


def path_exists(spark: SparkSession, path: str) -> bool:
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.exists(hadoop_path)


def read_table(spark: SparkSession, path: str | None = None, fmt: str | None = None,
               table: str | None = None) -> DataFrame:
    """A DataFrame of the real table: `table` (DB.NAME in the catalog) or `path` in `fmt`
    (default: from the file extension, else parquet)."""
    if (path is None) == (table is None):
        raise InputDataError("give exactly one of an input path or --table DB.NAME")
    if table is not None:
        try:
            return spark.table(table)
        except AnalysisException as exc:
            raise InputDataError(f"table {table} is not in the catalog: {exc.getMessage()}") from None
    fmt = fmt or _format_from_extension(path)
    if fmt not in INPUT_FORMATS:
        raise InputDataError(f"input format {fmt!r} is not supported; use one of {INPUT_FORMATS}")
    if not path_exists(spark, path):
        raise InputDataError(f"input path {path} does not exist; check the path (and its scheme, e.g. hdfs:// or s3a://)")
    reader = spark.read.format(fmt)
    if fmt == "csv":
        reader = reader.option("header", "true").option("inferSchema", "true")
    try:
        return reader.load(path)
    except AnalysisException as exc:
        raise InputDataError(f"cannot read {path} as {fmt}: {exc.getMessage()}") from None


def _format_from_extension(path: str) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    for fmt in INPUT_FORMATS:
        if name.endswith("." + fmt):
            return fmt
    return "parquet"
