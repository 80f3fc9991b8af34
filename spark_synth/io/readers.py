"""Reading the real table from a path or the catalog, with errors that say what to do."""

from __future__ import annotations

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession

from spark_synth.errors import InputDataError
from spark_synth.io.csv_format import SCHEMA_FILE, read_csv
from spark_synth.io.files import read_files

INPUT_FORMATS = ("parquet", "orc", "csv", "json")


def path_exists(spark: SparkSession, path: str) -> bool:
    return read_files(spark).status(path) != "missing"


def read_table(
    spark: SparkSession, path: str | None = None, fmt: str | None = None, table: str | None = None
) -> DataFrame:
    """A DataFrame of the real table: `table` (DB.NAME in the catalog) or `path` in `fmt`
    (default: from the file extension, else parquet)."""
    if (path is None) == (table is None):
        raise InputDataError("give exactly one of an input path or --table DB.NAME")
    if table is not None:
        try:
            return spark.table(table)
        except AnalysisException as exc:
            reason = (exc.getMessage() or "").strip().splitlines()[0][:300]
            raise InputDataError(f"table {table} is not in the catalog: {reason}") from None
    if fmt is not None and fmt not in INPUT_FORMATS:
        raise InputDataError(f"input format {fmt!r} is not supported; use one of {INPUT_FORMATS}")
    if not path_exists(spark, path):
        raise InputDataError(
            f"input path {path} does not exist; check the path (and its scheme, e.g. hdfs:// or s3a://)"
        )
    _check_one_format(spark, path, fmt)
    fmt = fmt or detect_format(spark, path)
    try:
        if fmt == "csv":
            return read_csv(spark, path, read_text(spark, f"{path.rstrip('/')}/{SCHEMA_FILE}"))
        return spark.read.format(fmt).load(path)
    except (AnalysisException, Py4JJavaError, PySparkException) as exc:
        reason = str(exc).strip().splitlines()[0][:300]
        raise InputDataError(f"cannot read {path} as {fmt} ({reason}); give the right --format") from None


def detect_format(spark: SparkSession, path: str) -> str:
    """From the path's extension, else from the first data file of a directory (what
    `generate --format X` wrote), else parquet."""
    found = _format_from_extension(path)
    if found:
        return found
    files = read_files(spark)
    if files.read_text(f"{path.rstrip('/')}/{SCHEMA_FILE}") is not None:
        return "csv"
    if files.status(path) == "dir":
        for name in sorted(files.list_names(path)):
            if not name.startswith(("_", ".")):
                found = _format_from_extension(name.split(".c000")[0] if ".c000" in name else name)
                if found:
                    return found
    return "parquet"


def _check_one_format(spark: SparkSession, path: str, fmt: str | None) -> None:
    """A folder whose files have several formats, or files whose extension says another format than
    `fmt`, would fail inside Spark or be read as garbage (Parquet bytes as CSV column names)."""
    files = read_files(spark)
    if files.status(path) == "dir":
        every = files.list_names(path)
        if "_delta_log" in every:
            raise InputDataError(
                f"input {path} is a Delta table (it has a _delta_log): read as {fmt or 'parquet'} it would mix in "
                "the files of replaced versions; give --format delta (read_lake(spark, 'delta', path=...) in Python)"
            )
        if "metadata" in every and "data" in every:
            raise InputDataError(
                f"input {path} looks like an Iceberg table (metadata/ and data/): read its files directly it would "
                "mix in deleted rows; give --format iceberg --table CATALOG.DB.NAME"
            )
        names = [n for n in every if not n.startswith(("_", "."))]
    else:
        names = [path.rstrip("/").rsplit("/", 1)[-1]]
    found = {}
    for name in names:
        kind = _format_from_extension(name.split(".c000")[0] if ".c000" in name else name)
        if kind:
            found.setdefault(kind, name)
    if len(found) > 1:
        listed = ", ".join(f"{name} ({kind})" for kind, name in sorted(found.items()))
        raise InputDataError(f"input {path} holds files of several formats: {listed}; give a folder of one format")
    if fmt is not None and found and fmt not in found:
        ((kind, name),) = found.items()
        raise InputDataError(
            f"--format {fmt}, but {path} holds {kind} files ({name}); give --format {kind} or leave it out"
        )


def read_text(spark: SparkSession, path: str) -> str | None:
    """A small file's text through Hadoop's file system (any scheme), None if it is absent."""
    return read_files(spark).read_text(path)


def _format_from_extension(path: str) -> str | None:
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    for suffix in (".gz", ".bz2", ".zst", ".snappy", ".lz4", ".deflate"):
        name = name.removesuffix(suffix)
    for fmt in INPUT_FORMATS:
        if name.endswith("." + fmt):
            return fmt
    return None
