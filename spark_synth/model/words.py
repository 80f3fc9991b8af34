"""Word shapes: a string written as its words, digits and punctuation (docs/strings.md "Words").

Character shapes describe codes well ('N14228' -> 'A99999') but not text made of words: no two
addresses share a character shape, so '27 Wade Lane' came out as character soup. A word shape
writes each maximal run of letters (Unicode categories L and M) as one position — 'W' when its
first character is an upper-case or title-case letter, 'w' otherwise — each ASCII digit as '9'
and every other character as itself: '27 Wade Lane' -> '99 W W', 'Karl-Liebknecht-Strasse 88'
-> 'W-W-W 99', 'Gosposka ulica 60' -> 'W w 99'. Letters never stay literal, so 'W' and 'w'
cannot be confused with a character. The fit counts word shapes and the words at each position
(fit/words.py); the generator draws each position's word from the words seen at least k times
there and a public vocabulary (docs/plan.md §8 "words").

The same rule runs in Spark (sql/words.py, Java regular expressions) for the fit's formats pass,
so both sides give every value the same shape.
"""

from __future__ import annotations

import unicodedata

UPPER_START = ("Lu", "Lt")
DIGITS = "0123456789"


def _is_letter(c: str) -> bool:
    """Unicode category L* or M* (str.isalpha is exactly L*)."""
    return c.isalpha() or (c > "\x7f" and unicodedata.category(c)[0] == "M")


def word_shape(value: str) -> tuple[str, list[tuple[int, str]]]:
    """(word shape, [(position in the shape, token)]) of one string: a token is a word at a
    'W'/'w' position or a digit at a '9' position."""
    shape: list[str] = []
    tokens: list[tuple[int, str]] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if _is_letter(c):
            j = i + 1
            while j < n and _is_letter(value[j]):
                j += 1
            tokens.append((len(shape), value[i:j]))
            shape.append("W" if unicodedata.category(c) in UPPER_START else "w")
            i = j
            continue
        if c in DIGITS:
            tokens.append((len(shape), c))
            shape.append("9")
        else:
            shape.append(c)
        i += 1
    return "".join(shape), tokens
