"""E-mails built from a row's names (issue 14, item 3): the local-part grammar both sides share.

A template names the parts of the local part: given name G (whole), g (initial), P (a prefix of
`given_prefix` letters); family name F, f, Q likewise; a separator `.`, `_`, `-` or none between
two parts; given first or family first ("G.F", "gF", "P_F", "F.G", "G"). Names are *folded* first
(`fold`, the same in the engine: docs/plan.md §9), so "Möller" gives "moller", "Ruth" "ruth".

The fit reads every real e-mail against its row's names (`parse_local`) and keeps the templates,
prefix lengths, digit counts and domains seen at least k times; the generator builds each row's
e-mail from the names it generated for that row. No real e-mail or name enters the model.
"""

from __future__ import annotations

import unicodedata

# Letters NFKD does not decompose, spelled as in e-mail addresses.
SPECIAL_LETTERS = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "ae",
    "ø": "o",
    "Ø": "o",
    "œ": "oe",
    "Œ": "oe",
    "ł": "l",
    "Ł": "l",
    "đ": "d",
    "Đ": "d",
    "ð": "d",
    "Ð": "d",
    "þ": "th",
    "Þ": "th",
    "ı": "i",
}
# German addresses spell umlauts out (Möller -> moeller); the fit accepts either spelling.
UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
SEPARATORS = (".", "_", "-")
GIVEN_TOKENS = {"whole": "G", "initial": "g", "prefix": "P"}
FAMILY_TOKENS = {"whole": "F", "initial": "f", "prefix": "Q"}
MAX_DIGITS = 6  # a longer run of trailing digits is an id, not a name's decoration


def fold(name: str) -> str:
    """A name as e-mail letters: NFKD, non-spacing marks dropped, SPECIAL_LETTERS spelled out,
    A-Z lowered, everything but a-z and 0-9 dropped."""
    out = []
    for ch in unicodedata.normalize("NFKD", name):
        if unicodedata.category(ch) == "Mn":
            continue
        ch = SPECIAL_LETTERS.get(ch, ch)
        for c in ch:
            c = chr(ord(c) + 32) if "A" <= c <= "Z" else c
            if "a" <= c <= "z" or "0" <= c <= "9":
                out.append(c)
    return "".join(out)


def spellings(name: str | None) -> list[str]:
    """The folded spellings of a name an address may use (plain, and umlauts spelled out)."""
    if not name:
        return [""]
    plain = fold(name)
    spelled = fold("".join(UMLAUTS.get(c, c) for c in name))
    return [plain] if spelled == plain else [plain, spelled]


def _part(text: str, name: str) -> tuple[str, int] | None:
    """How `text` is made from a folded name: ("whole"|"initial"|"prefix", length), ("", 0) for
    no part, None when it is not."""
    if not text:
        return "", 0
    if not name or not name.startswith(text):
        return None
    if text == name:
        return "whole", len(text)
    return ("initial", 1) if len(text) == 1 else ("prefix", len(text))


def parse_local(local: str, given: str | None, family: str | None) -> tuple[str, int, int, int] | None:
    """(template, given prefix length, family prefix length, trailing digits) of a local part
    made from these names, or None. Among several readings the one with more whole names and
    more letters from names wins."""
    core = local.lower()
    digits = len(core) - len(core.rstrip("0123456789"))
    if digits > MAX_DIGITS:
        return None
    core = core[: len(core) - digits]
    best: tuple[tuple[int, int], tuple[str, int, int, int]] | None = None
    for g in spellings(given):
        for f in spellings(family):
            for first_name, second_name, first_tokens, second_tokens, given_first in (
                (g, f, GIVEN_TOKENS, FAMILY_TOKENS, True),
                (f, g, FAMILY_TOKENS, GIVEN_TOKENS, False),
            ):
                for j in range(len(core) + 1):
                    rest = core[j:]
                    sep = rest[0] if rest and rest[0] in SEPARATORS else ""
                    a, b = _part(core[:j], first_name), _part(rest[len(sep) :], second_name)
                    if a is None or b is None or (sep and (not a[0] or not b[0])) or a[1] + b[1] < 2:
                        continue
                    if (not a[0] or a[0] == "initial") and (not b[0] or b[0] == "initial"):
                        continue  # initials alone are no name
                    template = first_tokens.get(a[0], "") + sep + second_tokens.get(b[0], "")
                    given_part, family_part = (a, b) if given_first else (b, a)
                    reading = (
                        template,
                        given_part[1] if given_part[0] == "prefix" else 0,
                        family_part[1] if family_part[0] == "prefix" else 0,
                        digits,
                    )
                    score = (sum(p[0] == "whole" for p in (a, b)), a[1] + b[1])
                    if best is None or score > best[0]:
                        best = (score, reading)
    return None if best is None else best[1]


EMPTY_LOCAL = "user"  # the local part of a row whose names are null


def build_local(template: str, given: str, family: str, given_prefix: int, family_prefix: int) -> str:
    """The local part (without digits) a template makes from two folded names; the engine's rule
    (docs/plan.md §9): the separator only between two non-empty parts, EMPTY_LOCAL when both are
    empty (null names)."""

    def piece(token: str) -> str:
        name = given if token in "GgP" else family
        length = {"G": len(name), "F": len(name), "g": 1, "f": 1, "P": given_prefix, "Q": family_prefix}[token]
        return name[:length]

    first = piece(template[0])
    second = piece(template[-1]) if len(template) > 1 else ""
    sep = template[1] if len(template) == 3 else ""
    local = first + (sep if first and second else "") + second
    return local or EMPTY_LOCAL
