"""Samples that depend on the data alone.

Spark's sample() draws per partition from a seeded generator, and limit() keeps whichever rows
come first: both pick other rows when the same data is split differently, so a fit that reads a
sample (rule screening, words, e-mail templates) could change with the partitioning. Here a row
is kept when a hash of its content falls below the fraction: the same rows for the same data,
whatever the partitioning or task order (equal rows are kept or left together).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

HASH_RANGE = 1 << 40


def content_hash(columns: list[Column], salt: int) -> Column:
    """A non-negative hash in [0, HASH_RANGE) of the row's values in `columns`; `salt` keeps the
    samples of different passes independent."""
    return F.pmod(F.xxhash64(F.lit(salt), *columns), F.lit(HASH_RANGE))


def hashed_sample(frame: DataFrame, columns: list[Column], fraction: float, salt: int) -> DataFrame:
    """The rows of `frame` whose content hash over `columns` falls below `fraction` of the range
    (all rows when fraction >= 1)."""
    if fraction >= 1.0:
        return frame
    return frame.where(content_hash(columns, salt) < F.lit(int(fraction * HASH_RANGE)))


def hashed_rows(frame: DataFrame, columns: list[Column], rows: int, limit: int, salt: int) -> DataFrame:
    """At most `limit` rows of a `rows`-row frame, chosen by content hash: a hashed sample a
    little larger than needed, then the lowest hashes (a bounded top-k per partition, no full
    sort)."""
    if rows <= limit:
        return frame
    h = content_hash(columns, salt)
    picked = frame.withColumn("__sample_hash", h).where(
        F.col("__sample_hash") < F.lit(int(1.2 * limit / rows * HASH_RANGE))
    )
    return picked.orderBy("__sample_hash").limit(limit).drop("__sample_hash")


def lowest_hashes(frame: DataFrame, columns: list[Column], count: int, salt: int) -> list[int]:
    """The `count` smallest distinct content hashes of the rows (a bottom-k sketch): two slices'
    sketches estimate how many of their distinct rows they share (fit/merge.py refuses slices
    that overlap). A bounded top-k per partition, no full sort."""
    lowest = frame.select(content_hash(columns, salt).alias("h")).orderBy("h").limit(4 * count)
    found = lowest.collect()  # bounded: 4 x count hashes
    return sorted({int(row["h"]) for row in found})[:count]
