"""Realism of generated strings: values that are near misses of real ones look like corrupted
data (`America/Coicago` next to `America/Chicago`), not like synthetic data.

Driver-side and small on purpose: it compares the *distinct* generated values of one column with
the distinct real values (bounded by the column's cardinality, not by the row count).
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance; anything above `limit` is reported as limit + 1 (early exit)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def near_misses(generated: Iterable[str], real: Iterable[str], allowed: set[str], within: int = 2) -> dict[str, str]:
    """Generated value -> the real value it nearly copies: within `within` edits of a real value
    without being an allowed one (a kept category, a public vocabulary word)."""
    real_values = [r for r in set(real) if isinstance(r, str)]
    out: dict[str, str] = {}
    for value in set(generated):
        if not isinstance(value, str) or value in allowed:
            continue
        near = next((r for r in real_values if edit_distance(value, r, within) <= within), None)
        if near is not None:
            out[value] = near
    return out
