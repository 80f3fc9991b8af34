"""The public geo table places are drawn from (issue 14, item 3): US ZIP codes with their state
and city (vocabularies/us_places.json, from zipcodes' data; see NOTICE).

When the real data's postcodes and cities agree with its states (fit/places.py measures it), a
generated row whose state is in the table takes a ZIP code of that state, and its city is that
ZIP code's city (generate/plan.py, docs/plan.md §8 "place"): the three agree, as they did.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

PARTS = ("postcode", "city")


@cache
def us_places() -> dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """state code -> ((zip, city, other accepted city names), ...), sorted by ZIP code."""
    text = (resources.files("spark_synth.model") / "vocabularies" / "us_places.json").read_text(encoding="utf-8")
    return {state: tuple((z, city, tuple(other)) for z, city, other in rows)
            for state, rows in json.loads(text)["states"].items()}


@cache
def state_of_zip() -> dict[str, str]:
    return {z: state for state, rows in us_places().items() for z, _, _ in rows}


@cache
def cities_of_state() -> dict[str, frozenset[str]]:
    """Lower-cased city names (and accepted alternatives) of each state."""
    return {state: frozenset(name.lower() for _, city, other in rows for name in (city, *other))
            for state, rows in us_places().items()}


def place_values(state: str, part: str) -> list[str]:
    """The values a part takes in a state, one per ZIP code, in ZIP order (a city repeats once per
    ZIP code it has, so larger cities come up more often)."""
    return [z if part == "postcode" else city for z, city, _ in us_places().get(state, ())]
