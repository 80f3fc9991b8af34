"""What a value of a semantic type must look like, to count generated values that would fail an
application's input check (issue 14, item 7): an e-mail without an @, a card number whose Luhn
check digit is wrong, an IBAN failing mod 97, a time zone that is no IANA zone.

A column's type is the one whose validator at least TYPE_SHARE of its real values pass (so a type
is only judged where the real data has it), or its public vocabulary's. The checks run on the
driver over bounded samples of distinct values (evaluation/realism.py), never per row.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

TYPE_SHARE = 0.9  # share of the real sample a validator must pass to give the column its type

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d{1,5})?(?:[/?#]\S*)?$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,22}$")
_NANP = re.compile(r"^(?:\+?1[ .-]?)?\(?([2-9][0-9]{2})\)?[ .-]?([2-9][0-9]{2})[ .-]?([0-9]{4})$")
_CARD = re.compile(r"^[0-9]{4}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_NAME_WORD = r"[^\W\d_](?:[^\W\d_]|['.-](?=[^\W\d_]))*\.?"
_FULL_NAME = re.compile(rf"^{_NAME_WORD}(?:[ ]+{_NAME_WORD}){{1,3}}$")
_ADDRESS_NUMBER = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]{2,}")


def luhn(digits: str) -> bool:
    """The Luhn check of a card-like number (spaces and dashes ignored)."""
    numbers = [int(c) for c in digits if c.isdigit()]
    if len(numbers) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(numbers)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban(value: str) -> bool:
    """ISO 13616: letters to numbers, first four characters moved to the end, mod 97 == 1."""
    compact = value.replace(" ", "")
    if not _IBAN.match(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ip(version: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return ipaddress.ip_address(value).version == version
        except ValueError:
            return False

    return check


def _nanp(value: str) -> bool:
    """A North American number: area code and exchange start 2-9, the area code is not N11."""
    m = _NANP.match(value)
    return m is not None and not m.group(1).endswith("11")


# Most specific first: the first type the real sample passes is the column's.
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "uuid": lambda v: bool(_UUID.match(v)),
    "ipv4": _ip(4),
    "ipv6": _ip(6),
    "iban": iban,
    "card_number": lambda v: bool(_CARD.match(v)) and luhn(v),
    "email": lambda v: bool(_EMAIL.match(v)),
    "url": lambda v: bool(_URL.match(v)),
    "phone_nanp": _nanp,
    "phone": lambda v: bool(_PHONE.match(v)) and sum(c.isdigit() for c in v) >= 7,
    "domain": lambda v: bool(_DOMAIN.match(v)),
}


# Types of text made of words (fit/words.py): only named by the user or found from a column's word
# shapes, never detected by these checks alone (almost any text passes 'company').
WORD_VALIDATORS: dict[str, Callable[[str], bool]] = {
    "street_address": lambda v: bool(_ADDRESS_NUMBER.search(v)) and bool(_WORD.search(v)),
    "full_name": lambda v: bool(_FULL_NAME.match(v)),
    "company": lambda v: bool(_WORD.search(v)) and "@" not in v,
}
TYPE_CHECKS = {**VALIDATORS, **WORD_VALIDATORS}  # every type a model may store as `semantic`


def detect_type(real_sample: Iterable[str]) -> str | None:
    """The first type whose validator passes TYPE_SHARE of the real sample (None: no type)."""
    values = [v for v in real_sample if isinstance(v, str)]
    if not values:
        return None
    for name, check in VALIDATORS.items():
        if sum(map(check, values)) >= TYPE_SHARE * len(values):
            return name
    return None


def pass_rate(values: Iterable[str], check: Callable[[str], bool]) -> float:
    values = [v for v in values if isinstance(v, str)]
    return sum(map(check, values)) / len(values) if values else float("nan")
