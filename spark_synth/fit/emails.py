"""Pass 6: e-mail columns whose real addresses were made from the row's names (issue 14, item 3).

Each real address is read against its own row's given and family names (model/emails.py
`parse_local`) on the executors; the driver gets counts of (template, prefix lengths, digits),
a small set bounded by the grammar, and the domains seen at least k times. Only what at least
`min_count` rows share is kept, so no real address, name or rare domain enters the model. Rows are
sampled down to MAX_PARSED first: the shares need no more, and parsing runs in Python.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.patterns import shares_of
from spark_synth.fit.sampling import hashed_sample
from spark_synth.model.emails import parse_local
from spark_synth.model.schema import EmailFromNames, PatternColumn, UniqueColumn

MAX_PARSED = 200_000  # rows read against their names (a sample beyond)
MAX_DOMAINS = 100  # most frequent domains kept
MIN_FROM_NAMES = 0.3  # share of the addresses the kept templates must explain
DEFAULT_DOMAIN = "example.com"  # reserved for examples (RFC 2606): no real domain was frequent enough
_PARSED_SCHEMA = "template string, given_prefix int, family_prefix int, digits int"


def name_columns(columns: dict) -> tuple[str | None, str | None]:
    """The table's given-name and family-name columns: the first whose values come from the
    given_name / family_name vocabulary."""

    def first(vocabulary: str) -> str | None:
        return next(
            (n for n, c in columns.items() if getattr(getattr(c, "vocabulary", None), "name", None) == vocabulary), None
        )

    return first("given_name"), first("family_name")


def email_columns(columns: dict) -> list[str]:
    return [n for n, c in columns.items() if isinstance(c, PatternColumn | UniqueColumn) and c.semantic == "email"]


def _parse_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        rows = []
        for address, given, family in zip(batch["e"], batch["g"], batch["f"]):
            local = address.rsplit("@", 1)[0] if isinstance(address, str) and "@" in address else None
            found = parse_local(local, given, family) if local else None
            rows.append(found if found else (None, 0, 0, 0))
        yield pd.DataFrame(rows, columns=["template", "given_prefix", "family_prefix", "digits"])


def fit_from_names(
    frame: DataFrame, email: str, names: dict[str, tuple[str, str] | None], rows: int, min_count: int
) -> EmailFromNames | None:
    """The e-mail model of column alias `email` from the name columns (`names`: "given" /
    "family" -> (real name, alias) or None), or None when the kept templates explain fewer than
    MIN_FROM_NAMES of the addresses."""
    given, family = names.get("given"), names.get("family")
    read = [F.col(n[1]) if n else F.lit(None).cast("string") for n in (given, family)]
    addresses = frame.where(F.col(email).isNotNull())
    sample = hashed_sample(addresses, [F.col(email), *read], MAX_PARSED / rows if rows else 1.0, salt=6)
    parsed = sample.select(F.col(email).alias("e"), read[0].alias("g"), read[1].alias("f")).mapInPandas(
        _parse_batches, _PARSED_SCHEMA
    )
    counts = [
        (r["template"], r["given_prefix"], r["family_prefix"], r["digits"], r["count"])
        for r in parsed.groupBy(*parsed.columns).count().collect()  # bounded by the grammar
    ]
    total = sum(r[-1] for r in counts)
    by_template: dict[str, int] = {}
    for template, *_, n in counts:
        if template is not None:
            by_template[template] = by_template.get(template, 0) + n
    kept = {t: n for t, n in by_template.items() if n >= min_count}
    if not total or sum(kept.values()) < MIN_FROM_NAMES * total:
        return None
    built = [r for r in counts if r[0] in kept]
    domain = F.lower(F.substring_index(F.col(email), "@", -1))
    domains = [
        (r[0], r[1])
        for r in addresses.where(F.col(email).contains("@"))
        .groupBy(domain.alias("d"))
        .count()
        .where(F.col("count") >= min_count)
        .orderBy(F.desc("count"), "d")
        .limit(MAX_DOMAINS)
        .collect()  # bounded: MAX_DOMAINS
    ]
    return EmailFromNames(
        given=given[0] if given else None,
        family=family[0] if family else None,
        share=round(sum(kept.values()) / total, 9),
        templates=shares_of(kept),
        given_prefix=_kept_lengths(built, 1, "P", min_count, 3),
        family_prefix=_kept_lengths(built, 2, "Q", min_count, 4),
        digits=_kept_lengths(built, 3, None, min_count, 0),
        domains=shares_of(dict(domains)) if domains else {DEFAULT_DOMAIN: 1.0},
    )


def _kept_lengths(built: list[tuple], field: int, token: str | None, min_count: int, default: int) -> dict[str, float]:
    """Shares of one length (a prefix's, the digits') among the rows that use it, kept >= k."""
    counts: dict[int, int] = {}
    for row in built:
        if token is None or token in row[0]:
            counts[row[field]] = counts.get(row[field], 0) + row[-1]
    kept = {str(k): n for k, n in counts.items() if n >= min_count}
    return shares_of(kept) if kept else {str(default): 1.0}
