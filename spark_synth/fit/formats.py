"""Formats that follow the row (pass 5): which copula column a pattern column's variant follows.

A pattern column is drawn from its shapes (character-class templates) or, with a vocabulary, from
that vocabulary's groups; drawn independently of the row, a Slovenian row gets a New Zealand
phone format and a Belgian person a US state. Here each row's format code (model/formats.py) is
computed in Spark — translate() maps characters to their classes exactly as fit/patterns.classify
does; a vocabulary word is looked up in a word -> group map (a literal, folded once) — and
counted against every copula column in one bounded pass (fit/joint.py). The copula column with
the most mutual information (bias-corrected, over the cells seen at least min_count times: the
only ones the model may keep) becomes the format's parent when it clears the tree's threshold.

Rows whose value has no code of its own (a rare shape when the column has no text model, a word
outside the column's groups or in several of them) are spread over their parent code's kept
variants in proportion: they tell how many rows the parent code has, not which variant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.dependence import conditional_table, mutual_information
from spark_synth.fit.joint import collect_joint_stats, copula_spec, pair_is_counted
from spark_synth.model.formats import (
    FormatColumn,
    can_follow,
    format_category,
    format_codes,
    format_labels,
    group_of_word,
)
from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import FormatDependency
from spark_synth.names import quote
from spark_synth.sql.words import word_shape_expression

DIGITS, UPPER, LOWER = "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
WIDE_CELL_BUDGET = 2_000_000  # table cells counted in the pass, as for wide tables' candidate pairs
OUTSIDE = "\x00"  # the label of a word outside the column's groups (never a group name)


@dataclass
class FormatInput:
    """A copula column as the pass sees it: its name, alias in the frame, family and final model."""

    name: str
    alias: str
    family: str
    column: object


def shape_of(value: Column) -> Column:
    """A string's shape in Spark: digits -> 9, A-Z -> A, a-z -> a, everything else kept."""
    return F.translate(value, DIGITS + UPPER + LOWER, "9" * 10 + "A" * 26 + "a" * 26)


def format_label(value: Column, column: FormatColumn) -> Column:
    """The label of a row's variant (format_labels), null for null; anything else has no code."""
    if getattr(column, "vocabulary", None) is None:
        return word_shape_expression(value) if column.pattern.unit == "word" else shape_of(value)
    mapping = F.from_json(F.lit(json.dumps(group_of_word(column))), "map<string,string>")
    return F.when(value.isNull(), F.lit(None)).otherwise(F.coalesce(F.element_at(mapping, value), F.lit(OUTSIDE)))


def follow_formats(
    frame: DataFrame,
    patterns: dict[str, tuple[str, FormatColumn]],
    copula: list[FormatInput],
    bins: int,
    min_count: int,
    min_mi: float,
) -> dict[str, FormatDependency]:
    """{column: its FormatDependency} for the pattern and unique string columns whose format
    depends on a copula column. `patterns`: name -> (alias in `frame`, fitted column)."""
    chosen = {name: (a, c) for name, (a, c) in patterns.items() if can_follow(c)}
    if not chosen or not copula:
        return {}
    entries = [copula_spec(c.column, c.family, c.alias) for c in copula]
    scales = [UniformScale(c.column, bins) for c in copula]
    derived, pairs, cells = [], [], 0
    for s, (column_alias, column) in enumerate(chosen.values()):
        label = f"__format{s}"
        derived.append(format_label(F.col(quote(column_alias)), column).alias(label))
        entries.append(copula_spec(format_category(column), "string", label))
        own = len(format_labels(column)) + 2
        for j, scale in enumerate(scales):
            if (
                pair_is_counted(scale.n_codes, own, not scale.numeric, True)
                and cells + scale.n_codes * own <= WIDE_CELL_BUDGET
            ):
                pairs.append((j, len(entries) - 1))
                cells += scale.n_codes * own
    inputs = list(dict.fromkeys(c.alias for c in copula))
    stats = collect_joint_stats(
        frame.select(*[F.col(quote(a)) for a in inputs], *derived), entries, [], bins, pairs=pairs, moments=False
    )
    found = {}
    for s, (name, (_, column)) in enumerate(chosen.items()):
        at, codes = len(copula) + s, format_codes(column)
        marginal = _marginal(stats.code_counts[at], codes, min_count)
        best = None
        for (j, k), table in stats.pair_counts.items():
            # Judged on the cells the model may keep (>= min_count): on 100 rows a birth date's 30
            # bins against six name groups look informative by noise alone, then keep no cell.
            kept = {ab: n for ab, n in table.items() if ab[1] < codes and n >= min_count}
            mi = mutual_information(kept) if k == at else 0.0
            if mi >= min_mi and (best is None or mi > best[0]):
                best = (mi, j, table)
        if best is None or marginal is None:
            continue
        mi, j, table = best
        rows = conditional_table(spread_outside(table, codes, min_count), parent_is_first=True, min_count=0)
        if rows:
            found[name] = FormatDependency(
                parent=copula[j].name, mutual_information=round(mi, 6), table=rows, marginal=marginal
            )
    return found


def spread_outside(table: dict[tuple[int, int], int], codes: int, min_count: int) -> dict[tuple[int, int], float]:
    """Cells seen at least min_count times, so that no parent code loses its values to the
    threshold: a parent code's hidden non-null rows — rare cells and rows without a code of their
    own (child code >= codes) — go to its kept variants (codes >= 1) in proportion when they are
    at least min_count together (like a categorical column's other_probability); a parent code
    that had non-null rows but kept no variant is left out, so it falls back to the column's
    marginal (a state seen 3 times in each of 60 bins must not become all-null)."""
    kept = {ab: float(n) for ab, n in table.items() if n >= min_count and 0 <= ab[1] < codes}
    hidden: dict[int, int] = {}
    for (a, b), n in table.items():
        if b >= codes or (b >= 1 and n < min_count):
            hidden[a] = hidden.get(a, 0) + n
    for a, n in hidden.items():
        variants = {ab: m for ab, m in kept.items() if ab[0] == a and ab[1] >= 1}
        total = sum(variants.values())
        if total == 0:
            kept = {ab: m for ab, m in kept.items() if ab[0] != a}
        elif n >= min_count:
            for ab, m in variants.items():
                kept[ab] = m + n * m / total
    return kept


def _marginal(code_counts: dict[int, int], codes: int, min_count: int) -> list[float] | None:
    """P(code) for codes 0..codes-1: codes seen fewer than min_count times get none, rows outside
    the codes are spread over the variants; None when no variant is left."""
    counts = np.array([code_counts.get(c, 0) for c in range(codes)], dtype=np.float64)
    counts[counts < min_count] = 0.0
    if counts[1:].sum() == 0:
        return None
    outside = sum(n for c, n in code_counts.items() if c >= codes)
    counts[1:] += outside * counts[1:] / counts[1:].sum()
    shares = [round(float(x), 9) for x in counts / counts.sum()]
    top = int(np.argmax(shares))
    shares[top] = round(shares[top] + 1.0 - sum(shares), 9)
    return shares
