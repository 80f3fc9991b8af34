"""The public geo table places are drawn from (issue 14, item 3): US ZIP codes with their state
and city (vocabularies/us_places.json, from zipcodes' data; see NOTICE).

When the real data's postcodes and cities agree with its states (fit/places.py measures it), a
generated row whose state is in the table takes a ZIP code of that state, and its city is that
ZIP code's city (plan/compiler.py, docs/plan.md §8 "place"): the three agree, as they did.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

PARTS = ("postcode", "city", "area_code")


@cache
def us_places() -> dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """state code -> ((zip, city, other accepted city names), ...), sorted by ZIP code."""
    return {state: tuple((z, city, other) for z, city, other, _ in rows) for state, rows in _table().items()}


@cache
def _table() -> dict[str, tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]]:
    text = (resources.files("spark_synth.model") / "vocabularies" / "us_places.json").read_text(encoding="utf-8")
    return {
        state: tuple((z, city, tuple(other), tuple(codes)) for z, city, other, codes in rows)
        for state, rows in json.loads(text)["states"].items()
    }


@cache
def area_codes_of_state() -> dict[str, frozenset[str]]:
    """The telephone area codes of each state's ZIP codes."""
    return {state: frozenset(a for *_, codes in rows for a in codes) for state, rows in _table().items()}


@cache
def state_of_zip() -> dict[str, str]:
    return {z: state for state, rows in us_places().items() for z, _, _ in rows}


@cache
def cities_of_state() -> dict[str, frozenset[str]]:
    """Lower-cased city names (and accepted alternatives) of each state."""
    return {
        state: frozenset(name.lower() for _, city, other in rows for name in (city, *other))
        for state, rows in us_places().items()
    }


def place_values(state: str, part: str) -> list[str]:
    """The values a part takes in a state, one per ZIP code, in ZIP order (a city repeats once per
    ZIP code it has, so larger cities come up more often; area codes: the ZIP code's codes
    written one after the other, "571703")."""
    rows = _table().get(state, ())
    if part == "area_code":
        return ["".join(codes) for *_, codes in rows]
    return [z if part == "postcode" else city for z, city, _, _ in rows]
