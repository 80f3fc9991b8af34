"""Frequent public words of a vocabulary column, counted exactly (part of pass 8).

A pattern column drawn from a public vocabulary (names, cities) used to draw every word of its
groups equally likely, so Houston came out as often as any town of 300 people: the column's
frequent values were lost. The profile's frequent values (approximate counts, bounded by
max_categories) that are words of the vocabulary are recounted exactly in one aggregation over
all such columns; those seen at least min_count times keep their share (PatternColumn.frequent).
A public word seen k times tells no more than a kept category does.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.profile import ColumnProfile
from spark_synth.model.schema import PatternColumn
from spark_synth.model.vocabulary import words_of
from spark_synth.names import quote


def frequent_candidates(columns: dict, profiles: dict[str, ColumnProfile], min_count: int) -> dict[str, list[str]]:
    """column -> its profile's frequent values that are words of its vocabulary (approximately
    >= min_count rows), for the pattern columns drawn from a vocabulary."""
    out = {}
    for name, column in columns.items():
        if isinstance(column, PatternColumn) and column.vocabulary is not None:
            words = words_of(column.vocabulary.name)
            found = [v for v, n in profiles[name].top or [] if isinstance(v, str) and n >= min_count and v in words]
            if found:
                out[name] = found
    return out


def count_frequent(
    frame: DataFrame, candidates: dict[str, tuple[str, list[str]]], min_count: int
) -> dict[str, dict[str, int]]:
    """{column: {word: exact rows}} of the candidates (column -> (alias, words)) seen at least
    min_count times: one aggregation, bounded by the candidates (at most max_categories each)."""
    names = list(candidates)
    cells = F.explode(
        F.array(
            *[
                F.struct(
                    F.lit(i).alias("c"),
                    F.when(F.col(quote(alias)).isin(words), F.col(quote(alias)).cast("string")).alias("w"),
                )
                for i, (alias, words) in enumerate(candidates.values())
            ]
        )
    )
    counted = (
        frame.select(cells.alias("x"))
        .select("x.c", "x.w")
        .where(F.col("w").isNotNull())
        .groupBy("c", "w")
        .count()
        .where(F.col("count") >= min_count)
    )
    out: dict[str, dict[str, int]] = {}
    for r in counted.collect():  # bounded: the candidates
        out.setdefault(names[r["c"]], {})[r["w"]] = r["count"]
    return out
