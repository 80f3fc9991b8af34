"""Running compiled scans (plan/request.py) on Spark with the JVM engine.

Partition p of a scan owns rows [first + N*p//P, first + N*(p+1)//P) (computed by the engine).
No shuffle, no join, constant memory per task (one 4,096-row batch at a time), and since every
value depends only on (seed, column, row index) the result is identical for every P. Several
scans (row ranges of one output) are read one after the other and unioned: still no shuffle.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from spark_synth.engine.jvm import ENGINE_CLASS, ensure_engine
from spark_synth.names import alias, aliases
from spark_synth.plan.request import Scan


def run(
    spark: SparkSession,
    scans: list[Scan],
    seed: int,
    partitions: int | None = None,
    options: dict[str, str] | None = None,
) -> DataFrame:
    """The lazy DataFrame of the scans' rows, in order. `partitions`, if given, is shared out
    among several scans in proportion to their rows (the rows are the same for any); else the
    engine picks a multiple of the cluster's parallelism. `options` go to the engine as they
    are (the tests' fault injection)."""
    ensure_engine(spark)
    total = sum(scan.rows for scan in scans)
    frames = []
    for scan in scans:
        share = partitions if partitions is None or len(scans) == 1 else max(1, round(partitions * scan.rows / total))
        frames.append(_without(read(spark, scan, seed, share, options), scan.hidden))
    out = frames[0]
    for frame in frames[1:]:
        out = out.union(frame)
    return out


def read(
    spark: SparkSession, scan: Scan, seed: int, partitions: int | None = None, options: dict[str, str] | None = None
) -> DataFrame:
    """One scan read through the engine's data source."""
    reader = (
        spark.read.format(ENGINE_CLASS)
        .option("plan", scan.plan)
        .option("rows", str(scan.rows))
        .option("seed", str(seed))
    )
    if scan.first:
        reader = reader.option("first", str(scan.first))
    if partitions is not None:
        reader = reader.option("partitions", str(partitions))
    for key, value in (options or {}).items():
        reader = reader.option(key, value)
    return reader.load()


def _without(df: DataFrame, hidden: tuple[str, ...]) -> DataFrame:
    """`df` without the hidden columns, by position (any column name works: names.py)."""
    if not hidden:
        return df
    names = df.columns
    kept = [i for i, n in enumerate(names) if n not in hidden]
    return df.toDF(*aliases(len(names))).select(*[alias(i) for i in kept]).toDF(*[names[i] for i in kept])
