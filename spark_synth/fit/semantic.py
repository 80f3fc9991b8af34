"""A string column's semantic type at fit time: named by the user (kinds={"mail": "email"},
kinds={"first": "given_name:de_DE,fr_FR"}) or detected from the column's most frequent values.

Three families of types (docs/strings.md): public vocabularies (model/vocabulary.py: names,
cities, countries, time zones, states), whose words the generator may draw; validated formats
(model/validators.py: e-mail, phone, UUID, IBAN, ...), which keep their learned shapes and are
checked by the evaluation; and text made of words (street_address, full_name, company), read as
word shapes (fit/words.py): named by the user or found from those shapes, never by a check
alone. Detection reads only the profile's bounded list of frequent values on the driver; the
model stores the type's name, never a value.
"""

from __future__ import annotations

from spark_synth.errors import InputDataError
from spark_synth.fit.profile import ColumnProfile
from spark_synth.model.validators import TYPE_CHECKS, TYPE_SHARE, VALIDATORS, WORD_VALIDATORS, pass_rate
from spark_synth.model.vocabulary import VOCABULARIES, vocabulary_groups

SEMANTIC_TYPES = (*VOCABULARIES, *VALIDATORS, *WORD_VALIDATORS)
MIN_DISTINCT = 3  # a validator judges at least this many distinct values (two could be chance)
# A type the user names must fit at least this share of the column's frequent values: the rest may
# be typos or placeholders, but a column of integers named "email" is a mistake worth stopping.
MIN_FORCED_SHARE = 0.5


def split_type(override: str | None) -> tuple[str | None, list[str] | None]:
    """ "given_name:de_DE,fr_FR" -> ("given_name", ["de_DE", "fr_FR"]); "email" -> ("email", None)."""
    if override is None or ":" not in override:
        return override, None
    name, _, groups = override.partition(":")
    return name, [g.strip() for g in groups.split(",") if g.strip()]


def is_semantic(override: str | None) -> bool:
    return split_type(override)[0] in SEMANTIC_TYPES


def check_override(column: str, override: str, table: str) -> None:
    """Refuse locales on a type without them and locales the vocabulary does not have."""
    name, groups = split_type(override)
    if groups is None:
        return
    if name not in VOCABULARIES:
        raise InputDataError(
            f"table {table}, column {column!r}: type {name!r} takes no locale "
            f"({override!r}); locales go with {', '.join(VOCABULARIES)}"
        )
    known = vocabulary_groups(name)
    unknown = [g for g in groups if g not in known]
    if unknown or not groups:
        raise InputDataError(
            f"table {table}, column {column!r}: {name!r} has no locale {unknown or groups}; "
            f"supported: {', '.join(sorted(known))}"
        )


def validated_type(p: ColumnProfile, override: str | None, table: str) -> str | None:
    """The validator type of a string column: the one the user named (checked against the column's
    frequent values), else the first whose validator at least TYPE_SHARE of them pass."""
    values = [v for v, _ in (p.top or []) if isinstance(v, str)]
    name, _ = split_type(override)
    if name in TYPE_CHECKS:
        share = pass_rate(values, TYPE_CHECKS[name]) if values else 0.0
        if share < MIN_FORCED_SHARE:
            raise InputDataError(
                f"table {table}, column {p.name!r}: type {name!r} fits {share:.1%} of its {len(values)} most "
                f"frequent values (at least {MIN_FORCED_SHARE:.0%} needed); drop the override, or choose "
                f"another type: {', '.join(SEMANTIC_TYPES)}"
            )
        return name
    if override is not None or len(values) < MIN_DISTINCT:
        return None
    for candidate, check in VALIDATORS.items():
        if sum(map(check, values)) >= TYPE_SHARE * len(values):
            return candidate
    return None
