"""Pass 7: postcodes, cities and phone area codes that agree with the row's state, as the public
geo table says.

For a table with a column of US state codes, every other string column is read against it on
the executors (model/places.py): the share of rows with a US state whose value is a ZIP code of
that state, whose value is a city of that state, and whose NANP phone number has one of the
state's area codes. The
driver gets one row of sums per partition. A column whose values agree in at least MIN_AGREEMENT
of the rows (and in at least min_count rows) gets a PlaceRule: generated rows then draw their ZIP
code and city from the table, consistent with their state. Nothing but the shares is kept.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.model.places import area_codes_of_state, cities_of_state, state_of_zip, us_places
from spark_synth.model.schema import CategoricalColumn, PatternColumn, PlaceRule, UniqueColumn

# Share of the rows with a US state whose value agrees with it: far above what chance gives (about
# 1/50: a postcode or a city of another state), below perfect (fictional and messy data: peeps'
# postcodes agree in 8 of 10 US rows).
MIN_AGREEMENT = 0.5
MIN_US_STATES = 0.5  # share of a state column's counted rows that are US state codes
MAX_CANDIDATES = 16  # string columns read against the state (the widest tables: the first ones)


def state_column(columns: dict) -> str | None:
    """The first string column whose values are mostly US state codes (a vocabulary column of
    the en_US state codes, or kept categories that are)."""
    states = set(us_places())
    for name, column in columns.items():
        vocabulary = getattr(column, "vocabulary", None)
        if vocabulary is not None and vocabulary.name == "subdivision_code" and "en_US" in vocabulary.groups:
            return name
        if isinstance(column, CategoricalColumn) and column.type.family == "string" and column.values:
            share = sum(p for v, p in zip(column.values, column.probabilities) if v in states)
            if share >= MIN_US_STATES * (1.0 - column.other_probability) and share > 0:
                return name
    return None


def place_candidates(columns: dict, state: str) -> list[str]:
    """String columns that may hold postcodes or cities (not the state, not drawn from a vocabulary
    other than city names, not e-mails built from names)."""
    out = [
        n
        for n, c in columns.items()
        if n != state
        and isinstance(c, PatternColumn | UniqueColumn | CategoricalColumn)
        and c.type.family == "string"
        and getattr(getattr(c, "vocabulary", None), "name", "city_name") == "city_name"
        and getattr(c, "from_names", None) is None
    ]
    return out[:MAX_CANDIDATES]


def national_digits(value: str) -> str | None:
    """The 10 national digits of a NANP-shaped phone number (only digits, spaces, - . ( ) +; 10
    digits, or 11 starting with the country code 1), else None; the engine's rule (docs/plan.md §8)."""
    if any(c not in NANP_CHARACTERS for c in value):
        return None
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        return digits[1:]
    return digits if len(digits) == 10 else None


NANP_CHARACTERS = frozenset("0123456789 -.()+")
ZIP_SHAPE = r"[0-9]{5}(?:-[0-9]{4})?"  # what the generator replaces with a ZIP code of the row's state
MEASURES = 6  # per candidate: (rows, agreeing) for postcode, city, area code


def _agreement(batches: Iterator[pd.DataFrame], candidates: int) -> Iterator[pd.DataFrame]:
    """Per candidate, pairs of (rows, agreeing rows) among the rows with a US state: ZIP-shaped
    values that are a ZIP code of the state; values that are a city of the state; NANP-shaped
    phone numbers whose area code is one of the state's. Only ZIP-shaped values count as
    postcodes: "WA" is also an Australian state, whose rows have four-digit postcodes (the
    generator checks the shape the same way)."""
    zips, cities, codes = state_of_zip(), cities_of_state(), area_codes_of_state()
    totals = [0] * (MEASURES * candidates)
    for batch in batches:
        us = batch[batch["s"].isin(cities.keys())]
        for i in range(candidates):
            values = us[f"c{i}"]
            present = values.notna()
            states, found = us["s"][present], values[present].astype(str)
            shaped = found.str.fullmatch(ZIP_SHAPE)
            national = [national_digits(v) for v in found]
            at = MEASURES * i
            totals[at] += int(shaped.sum())
            totals[at + 1] += int(sum(zips.get(v[:5]) == s for v, s in zip(found[shaped], states[shaped])))
            totals[at + 2] += int(present.sum())
            totals[at + 3] += int(sum(v.lower() in cities[s] for v, s in zip(found, states)))
            totals[at + 4] += sum(n is not None for n in national)
            totals[at + 5] += sum(n is not None and n[:3] in codes[s] for n, s in zip(national, states))
    yield pd.DataFrame([totals], columns=[f"t{j}" for j in range(MEASURES * candidates)])


def fit_places(
    frame: DataFrame, state: tuple[str, str], candidates: list[tuple[str, str]], min_count: int
) -> dict[str, PlaceRule]:
    """{column: PlaceRule} for the candidates ((name, alias) pairs) that agree with the state
    column ((name, alias)); at most one postcode and one city, the best agreeing."""
    selected = frame.select(
        F.col(state[1]).alias("s"), *[F.col(a).alias(f"c{i}") for i, (_, a) in enumerate(candidates)]
    )
    width = MEASURES * len(candidates)
    schema = ", ".join(f"t{j} long" for j in range(width))
    sums = (
        selected.mapInPandas(lambda b: _agreement(b, len(candidates)), schema)
        .agg(*[F.sum(f"t{j}").alias(f"t{j}") for j in range(width)])
        .collect()[0]  # bounded: one row
    )
    best: dict[str, tuple[float, str]] = {}
    for i, (name, _) in enumerate(candidates):
        for part, at in (("postcode", MEASURES * i), ("city", MEASURES * i + 2), ("area_code", MEASURES * i + 4)):
            rows, agreed = sums[f"t{at}"] or 0, sums[f"t{at + 1}"] or 0
            share = agreed / rows if rows else 0.0
            if share >= MIN_AGREEMENT and agreed >= min_count and share > best.get(part, (0.0, ""))[0]:
                best[part] = (share, name)
    return {name: PlaceRule(state=state[0], part=part, share=round(share, 6)) for part, (share, name) in best.items()}
