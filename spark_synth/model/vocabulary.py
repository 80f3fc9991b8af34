"""Public vocabularies: a string column's semantic type, and where its rare values come from.

The privacy threshold keeps a value out of the model unless it was seen at least k times; the
mass of the rare values must still be drawn. Drawn character by character from the column's
pattern they come out as near-miss typos of real values (`America/Coicago`, `Floarda`), which
look like corrupted data. So (docs/strings.md "Rare values"):
- when the column's values come from a public vocabulary (time zones, countries and their ISO
  codes, states/provinces and their codes, cities), the rare mass is drawn from that vocabulary's other
  words, restricted to the groups (continents, areas, locales) the real values come from; a
  column whose every value is rare (a pattern column) draws all its values from those words;
- otherwise it is drawn from the kept values themselves, in their proportions.
Either way a generated value is a kept value or a public word, never a variation of a real one.

The words are versioned files in the package (vocabularies/*.json, built by
scripts/extract_vocabularies.py from Faker and tzdata; see vocabularies/NOTICE): the model names a
vocabulary and its groups, the plan carries the words, so rows never depend on what a machine has
installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

VOCABULARIES = (
    "time_zone",
    "country_name",
    "country_alpha2",
    "country_alpha3",
    "subdivision_name",
    "subdivision_code",
    "given_name",
    "family_name",
    "city_name",
)
MAX_WORDS = 4096  # words a column draws from (an evenly spaced subset beyond): bounds the plan
MIN_COVERED = 0.9  # share of the counted rows whose value is in the vocabulary
# A column whose name says what it holds needs less: names are open vocabularies (77 % of peeps'
# given names and 51 % of its family names are in Faker's lists).
HINTED_COVERED = 0.4
HINTS = {
    "given_name": r"(first|given|fore|christian)_?name|name_?(first|given)|^f_?name$",
    "family_name": r"(last|family|sur)_?name|name_?(last|family)|^l_?name$",
    "time_zone": r"t_?zone|time_?zone|^tz$",
    "country_name": r"country|nation",
    "country_alpha2": r"country|nation",
    "country_alpha3": r"country|nation",
    "subdivision_name": r"state|prov|region|subd|county",
    "subdivision_code": r"state|prov|region|subd|county",
    "city_name": r"city|town|municip|locality|village|settlement",
}
GENDERS = ("female", "male")  # given_name_gender.json's groups
MIN_GENDERED = 0.5  # share of a given-name column's counted rows whose name has one gender
MIN_SEEN = 0.5  # the counted (most frequent) values must hold this share of the non-null rows
MIN_MATCHED = 3  # kept values found in it: two matches could be chance ("CA", "DE")


@cache
def vocabulary_groups(name: str) -> dict[str, tuple[str, ...]]:
    """group -> words of one vocabulary (a continent, a time zone area, a Faker locale)."""
    if name not in VOCABULARIES:
        raise ValueError(f"unknown vocabulary {name!r}; known: {', '.join(VOCABULARIES)}")
    text = (resources.files("spark_synth.model") / "vocabularies" / f"{name}.json").read_text(encoding="utf-8")
    return {group: tuple(words) for group, words in json.loads(text)["groups"].items()}


@cache
def gender_of_word() -> dict[str, str]:
    """Given name -> "female" or "male", for names that are on one side only in every locale
    (given_name_gender.json, from Faker's gendered lists; 'Andrea' is on neither)."""
    text = (resources.files("spark_synth.model") / "vocabularies" / "given_name_gender.json").read_text(
        encoding="utf-8"
    )
    return {w: gender for gender, words in json.loads(text)["groups"].items() for w in words}


def is_gendered(counts: list[tuple[object, int]]) -> bool:
    """Whether a given-name column's counted values mostly tell a gender (MIN_GENDERED of rows)."""
    genders = gender_of_word()
    seen = sum(n for v, n in counts if isinstance(v, str))
    return seen > 0 and sum(n for v, n in counts if isinstance(v, str) and v in genders) >= MIN_GENDERED * seen


def words_of_label(name: str, label: str) -> tuple[str, ...]:
    """The words of one variant label of a vocabulary column (a group, or "group/gender")."""
    group, _, gender = label.partition("/")
    words = vocabulary_groups(name).get(group, ())
    if not gender:
        return words
    genders = gender_of_word()
    return tuple(w for w in words if genders.get(w) == gender)


@cache
def group_sets(name: str) -> dict[str, frozenset[str]]:
    return {group: frozenset(words) for group, words in vocabulary_groups(name).items()}


@cache
def words_of(name: str) -> frozenset[str]:
    """Every word of a vocabulary, whatever its group."""
    return frozenset().union(*group_sets(name).values())


def detect_vocabulary(
    counts: list[tuple[object, int]], non_null: int, min_count: int, column: str = ""
) -> tuple[str, list[str]] | None:
    """The vocabulary a string column's values come from and its groups touched by at least
    `min_count` real rows (a group one row came from is not revealed), or None. `counts`: the
    profile's most frequent values, which must hold at least half the non-null rows; at least 90 %
    of them must be words of the vocabulary, or 40 % when the column's name hints at it
    (`name_given`, `tz`). The best cover wins (ties: the smaller vocabulary, the more specific)."""
    strings = [(v, n) for v, n in counts if isinstance(v, str)]
    seen = sum(n for _, n in strings)
    if seen == 0 or seen < MIN_SEEN * non_null:
        return None
    label = column.lower().replace(" ", "_").replace("-", "_")
    best: tuple[float, int, str, list[str]] | None = None
    for name in VOCABULARIES:
        matched, covered = _matched(name, strings)
        needed = HINTED_COVERED if re.search(HINTS[name], label) else MIN_COVERED
        if len(matched) < min(MIN_MATCHED, len(strings)) or covered < needed:
            continue
        touched = covering_groups(group_sets(name), matched, min_count)
        candidate = (covered, -len(words_of(name)), name, touched)
        if touched and (best is None or candidate[:2] > best[:2]):
            best = candidate
    return None if best is None else (best[2], best[3])


def forced_vocabulary(name: str, counts: list[tuple[object, int]], min_count: int) -> tuple[list[str], float]:
    """A vocabulary the user named for a column (kinds={"tz": "time_zone"}): the groups at least
    `min_count` real rows came from (all groups when none: the user vouches for the type) and the
    share of the counted rows that are its words, for the caller to refuse a type that does not fit."""
    matched, covered = _matched(name, counts)
    return covering_groups(group_sets(name), matched, min_count) or sorted(vocabulary_groups(name)), covered


def _matched(name: str, counts: Sequence[tuple[object, int]]) -> tuple[dict[str, int], float]:
    """The counted values that are words of the vocabulary, and the share of the counted (string)
    rows they hold."""
    strings = [(v, n) for v, n in counts if isinstance(v, str)]
    seen = sum(n for _, n in strings)
    words = words_of(name)
    matched = {v: n for v, n in strings if v in words}
    return matched, (sum(matched.values()) / seen if seen else 0.0)


def covering_groups(members: dict[str, frozenset[str]], matched: dict[str, int], min_count: int) -> list[str]:
    """The few groups the matched values come from: greedily the group holding most of the rows not
    yet covered (a code such as "CA" is in several locales; the locale the other codes share
    wins), while it adds at least `min_count` rows."""
    left, chosen = dict(matched), []
    while left:
        gain, group = max((sum(n for v, n in left.items() if v in ws), g) for g, ws in members.items())
        if gain < min_count:
            break
        chosen.append(group)
        left = {v: n for v, n in left.items() if v not in members[group]}
    return sorted(chosen)


def rare_words(name: str, groups: list[str], kept: list[str], limit: int = MAX_WORDS) -> list[str]:
    """The words the rare mass is drawn from: the named groups' words that are not kept values
    (all groups' when those are used up), sorted, at most `limit` (evenly spaced); empty when
    the vocabulary holds nothing else."""
    vocabulary = vocabulary_groups(name)
    taken = set(kept)
    for chosen in (groups, list(vocabulary)):
        words = sorted({w for g in chosen for w in vocabulary.get(g, ()) if w not in taken})
        if words:
            return words if len(words) <= limit else [words[i * len(words) // limit] for i in range(limit)]
    return []
