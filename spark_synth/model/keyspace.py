"""Room for unique strings: per-position alphabets of learned shapes, and how to make more room.

A unique string column (or a string primary key) is a bijection of the row index into the
mixed-radix numbers of its shapes' alphabets. The alphabets are learned under the privacy
threshold, so a short code can have little room: 54 two-letter species ids keep perhaps 6 x 8
letters. When the rows need more, positions are widened to their whole character class (A-Z,
a-z, 0-9), the most varied positions first (a fixed prefix such as the N of tail numbers is
widened last), and keys are lengthened only if the real keys vary in length; otherwise the
request is refused with the capacity in the message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spark_synth.model.schema import CLASS_CHARS, PatternModel, Shape

MAX_KEY_LENGTH = 64
MAX_MODULUS = 1 << 62


def class_alphabet(cls: str) -> str:
    first, count = CLASS_CHARS[cls]
    return "".join(chr(first + i) for i in range(count))


@dataclass(frozen=True)
class KeyShape:
    """One shape of a key: allowed characters per position, the class each position belongs to
    (None: a literal), and the share of keys it takes."""

    alphabets: tuple[str, ...]
    classes: tuple[str | None, ...]
    share: float = 1.0

    @property
    def capacity(self) -> int:
        return math.prod(len(a) for a in self.alphabets)


def shape_from(shape: Shape, share: float) -> KeyShape:
    alphabets, classes = [], []
    for pos, dist in enumerate(shape.positions):
        cls = shape.shape[pos] if shape.shape[pos] in CLASS_CHARS else None
        if dist is not None:
            alphabets.append("".join(sorted(dist.chars)))
        elif cls is not None:
            alphabets.append(class_alphabet(cls))
        else:
            alphabets.append(shape.shape[pos])
        classes.append(cls)
    return KeyShape(tuple(alphabets), tuple(classes), share)


def key_shapes(pattern: PatternModel) -> list[KeyShape]:
    """The pattern's shapes as key shapes (shares renormalised); a text-only pattern becomes one
    lower-case shape of its median length."""
    shapes = [s for s in pattern.shapes if s.shape]
    if shapes:
        total = sum(s.probability for s in shapes)
        return [shape_from(s, s.probability / total) for s in shapes]
    median = 1
    if pattern.text is not None:
        values, probabilities = pattern.text.lengths.values, pattern.text.lengths.probabilities
        median = int(values[min(range(len(values)), key=lambda i: abs(probabilities[i] - 0.5))])
    length = min(max(median, 1), MAX_KEY_LENGTH)
    return [KeyShape(tuple([class_alphabet("a")] * length), tuple(["a"] * length), 1.0)]


def lengths_vary(pattern: PatternModel | None) -> bool:
    """Whether the real keys have more than one length (then longer keys still look real)."""
    if pattern is None:
        return False
    return len({len(s.shape) for s in pattern.shapes}) > 1 or pattern.text is not None


def modulus(shapes: list[KeyShape]) -> int:
    """The number of keys the shapes can make while each keeps its share: M such that shape s
    owns the block [floor(M * W_(s-1)), floor(M * W_s)) of the permuted row index, never more
    than its capacity (W: cumulative shares)."""
    m = min(MAX_MODULUS, min(int(s.capacity / s.share) if s.share > 0 else MAX_MODULUS for s in shapes))
    while m > 0 and any(size > s.capacity for s, size in zip(shapes, block_sizes(shapes, m))):
        m -= max(1, m // 1_000_000)
    return m


def block_starts(shapes: list[KeyShape], m: int) -> list[int]:
    cumulative = 0.0
    starts = []
    for s in shapes:
        starts.append(int(math.floor(m * cumulative)))
        cumulative += s.share
    return starts


def block_sizes(shapes: list[KeyShape], m: int) -> list[int]:
    starts = block_starts(shapes, m) + [m]
    return [b - a for a, b in zip(starts, starts[1:])]


def with_room(shapes: list[KeyShape], rows: int, lengthen: bool) -> list[KeyShape] | None:
    """Shapes with room for `rows` keys: widened positions, then (if `lengthen`) longer keys;
    None when even that is not enough."""
    shapes = list(shapes)
    if modulus(shapes) >= rows:
        return shapes
    # Widen the most varied positions first, across shapes, until there is room.
    order = sorted(
        (
            (-len(a), si, pos, c)  # (-len, si, pos) are unique: c is never compared
            for si, s in enumerate(shapes)
            for pos, (a, c) in enumerate(zip(s.alphabets, s.classes))
            if c is not None and len(a) < len(class_alphabet(c))
        )
    )
    for _, si, pos, cls in order:
        s = shapes[si]
        alphabets = list(s.alphabets)
        alphabets[pos] = class_alphabet(cls)
        shapes[si] = KeyShape(tuple(alphabets), s.classes, s.share)
        if modulus(shapes) >= rows:
            return shapes
    while lengthen and modulus(shapes) < rows:
        grown = []
        for s in shapes:
            cls = next((c for c in reversed(s.classes) if c is not None), "a")
            if len(s.alphabets) >= MAX_KEY_LENGTH:
                return None
            grown.append(KeyShape(s.alphabets + (class_alphabet(cls),), s.classes + (cls,), s.share))
        shapes = grown
    return shapes if modulus(shapes) >= rows else None


def shape_with_room(shape: KeyShape, rows: int) -> KeyShape | None:
    """One shape with room for `rows` distinct values on its own: its most varied class positions
    widened to their whole class first, until it has; None when even the widest shape has not."""
    if shape.capacity >= rows:
        return shape
    alphabets = list(shape.alphabets)
    order = sorted(
        (-len(a), pos, c)  # (-len, pos) are unique: c is never compared
        for pos, (a, c) in enumerate(zip(shape.alphabets, shape.classes))
        if c is not None and len(a) < len(class_alphabet(c))
    )
    for _, pos, cls in order:
        alphabets[pos] = class_alphabet(cls)
        if math.prod(len(a) for a in alphabets) >= rows:
            return KeyShape(tuple(alphabets), shape.classes, shape.share)
    return None


def widened(shapes: list[KeyShape]) -> list[KeyShape]:
    """Every class position with its whole class: the most room without longer keys."""
    return [
        KeyShape(
            tuple(class_alphabet(c) if c is not None else a for a, c in zip(s.alphabets, s.classes)), s.classes, s.share
        )
        for s in shapes
    ]


def describe(shapes: list[KeyShape]) -> str:
    lengths = sorted({len(s.alphabets) for s in shapes})
    return f"{'/'.join(map(str, lengths))}-character keys"
