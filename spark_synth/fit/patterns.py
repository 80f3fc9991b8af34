"""String shapes: count character-class templates in numpy, and turn counts into a PatternModel.

A shape writes each character as its class: A upper-case, a lower-case, 9 digit; any other
character stands for itself. 'N14228' has shape 'A99999', '212-555-0100' has '999-999-9999',
'' has the empty shape. Per shape we count characters at each position and the first
PREFIX_LENGTH characters (area codes, airline prefixes), and keep only what was seen at least
`min_count` times. Strings longer than MAX_PATTERN_LENGTH, and those whose shape is rare, are
described by a text model instead: their length distribution and the characters of the column
(count_text), so a 10,000-character note comes out 10,000 characters long.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from spark_synth.model.schema import CLASS_CHARS, CharDistribution, PatternModel, QuantileFunction, Shape, TextModel

MAX_PATTERN_LENGTH = 64
PREFIX_LENGTH = 3
MIN_LENGTH_FOR_PREFIX = 5
TEXT_CHARS_PER_STRING = 256  # characters counted per string for the text model
MIN_TEXT_SHARE = 0.01  # below this, rare shapes' mass goes to the kept shapes instead
LENGTH_QUANTILES = 65


def classify(codepoints: np.ndarray) -> np.ndarray:
    """Map code points to their class code point (A, a, 9) or themselves."""
    out = codepoints.copy()
    out[(codepoints >= 48) & (codepoints <= 57)] = ord("9")
    out[(codepoints >= 65) & (codepoints <= 90)] = ord("A")
    out[(codepoints >= 97) & (codepoints <= 122)] = ord("a")
    return out


def count_shapes(values: np.ndarray) -> tuple[dict, dict, dict]:
    """Counts for a batch of non-null strings (numpy unicode array).

    Returns ({shape: n}, {(shape, position, char): n}, {(shape, prefix): n}).
    """
    if len(values) == 0:
        return {}, {}, {}
    width = min(max(values.dtype.itemsize // 4, 1), MAX_PATTERN_LENGTH)
    values = values.astype(f"<U{width}")
    n = len(values)
    chars = values.view(np.uint32).reshape(n, width)
    shapes_matrix = classify(chars)
    shape_strings = np.ascontiguousarray(shapes_matrix).view(f"<U{width}").ravel()
    shapes, inverse, shape_counts = np.unique(shape_strings, return_inverse=True, return_counts=True)
    shape_n = {str(s): int(c) for s, c in zip(shapes, shape_counts)}

    positions = np.broadcast_to(np.arange(width), (n, width))
    present = chars != 0
    key = (np.broadcast_to(inverse[:, None], (n, width))[present].astype(np.int64) * width + positions[present]) * (
        1 << 21
    ) + chars[present]
    keys, key_counts = np.unique(key, return_counts=True)
    char_n = {}
    for k, c in zip(keys.tolist(), key_counts.tolist()):
        shape_pos, char = divmod(k, 1 << 21)
        shape_i, pos = divmod(shape_pos, width)
        char_n[(str(shapes[shape_i]), pos, chr(char))] = c

    prefix_n = {}
    long_enough = np.char.str_len(shape_strings) >= MIN_LENGTH_FOR_PREFIX
    if long_enough.any():
        prefixes = values[long_enough].astype(f"<U{PREFIX_LENGTH}")
        pairs = np.char.add(np.char.add(shape_strings[long_enough], "\x1f"), prefixes)
        uniq, counts = np.unique(pairs, return_counts=True)
        for pair, c in zip(uniq.tolist(), counts.tolist()):
            shape, prefix = pair.split("\x1f", 1)
            prefix_n[(shape, prefix)] = c
    return shape_n, char_n, prefix_n


def count_text(values: np.ndarray) -> tuple[dict[int, int], dict[str, int]]:
    """({length: n}, {character: n}) of a batch of non-null strings (any length; characters of
    the first TEXT_CHARS_PER_STRING of each)."""
    if len(values) == 0:
        return {}, {}
    lengths, length_counts = np.unique(np.char.str_len(values), return_counts=True)
    width = min(max(values.dtype.itemsize // 4, 1), TEXT_CHARS_PER_STRING)
    chars = values.astype(f"<U{width}").view(np.uint32)
    chars, char_counts = np.unique(chars[chars != 0], return_counts=True)
    return (
        {int(n): int(c) for n, c in zip(lengths, length_counts)},
        {chr(int(ch)): int(c) for ch, c in zip(chars, char_counts)},
    )


def build_pattern(
    shape_n: dict[str, int],
    char_n: dict[tuple[str, int, str], int],
    prefix_n: dict[tuple[str, str], int],
    min_count: int,
    length_n: dict[int, int] | None = None,
    text_char_n: dict[str, int] | None = None,
) -> PatternModel:
    """Keep shapes, characters and prefixes seen at least min_count times; the strings no kept
    shape describes (rare shapes, strings longer than MAX_PATTERN_LENGTH) become the text model
    when they are at least MIN_TEXT_SHARE of the column."""
    length_n = length_n or {}
    kept = {s: n for s, n in shape_n.items() if n >= min_count}
    everything = sum(length_n.values()) or sum(shape_n.values())
    text = _text_model(kept, length_n, text_char_n or {}, min_count, everything)
    if not kept:
        if text is None:  # no lengths known: a neutral lower-case shape
            return PatternModel(shapes=[Shape(shape="a", probability=1.0, positions=[None])])
        return PatternModel(text=text.model_copy(update={"probability": 1.0}))
    total = sum(kept.values()) / (1.0 - text.probability) if text else sum(kept.values())
    per_position: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for (shape, pos, char), n in char_n.items():
        if shape in kept and n >= min_count and shape[pos] in CLASS_CHARS:
            per_position[(shape, pos)][char] = n
    per_prefix: dict[str, dict[str, int]] = defaultdict(dict)
    for (shape, prefix), n in prefix_n.items():
        if shape in kept and n >= min_count:
            per_prefix[shape][prefix] = n
    shapes = []
    for shape in sorted(kept, key=lambda s: (-kept[s], s)):
        positions = []
        for pos in range(len(shape)):
            counts = per_position.get((shape, pos))
            positions.append(_distribution(counts) if counts else None)
        prefixes = per_prefix.get(shape, {})
        # A prefix table only helps when it covers most of the shape's rows.
        use_prefix = sum(prefixes.values()) >= 0.5 * kept[shape]
        shapes.append(
            Shape(
                shape=shape,
                probability=kept[shape] / total,
                positions=positions,
                prefix_length=PREFIX_LENGTH if use_prefix else 0,
                prefixes=shares_of(prefixes) if use_prefix else {},
            )
        )
    return PatternModel(shapes=_fix_total(shapes, text.probability if text else 0.0), text=text)


def _text_model(
    kept: dict[str, int], length_n: dict[int, int], char_n: dict[str, int], min_count: int, everything: int
) -> TextModel | None:
    """Lengths of the strings outside the kept shapes (a kept shape's strings all have its
    length, so subtracting them is exact) and the characters seen at least min_count times.
    Lengths seen fewer than min_count times are never stored as they are (rare_lengths): a
    string's exact length can point at it. No character seen min_count times: the whole
    alphabets of the character classes (A-Z, a-z, 0-9) that were (text_alphabet)."""
    rest = dict(length_n)
    for shape, n in kept.items():
        rest[len(shape)] = rest.get(len(shape), 0) - n
    rest = {length: n for length, n in rest.items() if n > 0}
    mass = sum(rest.values())
    if not everything or not mass or (kept and mass / everything < MIN_TEXT_SHARE):
        return None
    stored: dict[int, int] = defaultdict(int, {length: n for length, n in rest.items() if n >= min_count})
    for length, n in rare_lengths({length: n for length, n in rest.items() if n < min_count}, min_count).items():
        stored[length] += n
    lengths = np.array(sorted(stored))
    cumulative = np.cumsum([stored[length] for length in lengths]) / mass
    grid = np.linspace(0.0, 1.0, LENGTH_QUANTILES)
    at = lengths[np.minimum(np.searchsorted(cumulative, grid, side="left"), len(lengths) - 1)]
    at[0] = lengths[0]
    return TextModel(
        probability=round(mass / everything, 9),
        lengths=QuantileFunction(probabilities=grid.tolist(), values=[int(x) for x in at]),
        chars=text_alphabet(char_n, min_count),
    )


def rare_lengths(rare: dict[int, int], min_count: int) -> dict[int, int]:
    """{stored length: strings} for lengths each seen fewer than min_count times. With at least
    min_count such strings: sorted by length, cut into groups of min_count (the remainder joins the
    last group), each stored as its mean length rounded down (microaggregation: every stored
    length is an average of at least k strings, so long notes keep their lengths, never longer
    than the longest). Fewer: each as its length class (length_class), the documented default."""
    total = sum(rare.values())
    if total < min_count:
        out: dict[int, int] = defaultdict(int)
        for length, n in rare.items():
            out[length_class(length)] += n
        return dict(out)
    ordered = np.repeat(np.array(sorted(rare), dtype=np.int64), [rare[length] for length in sorted(rare)])
    group = np.minimum(np.arange(len(ordered)) // min_count, total // min_count - 1)
    sizes = np.bincount(group)
    means = np.bincount(group, weights=ordered) // sizes
    out = defaultdict(int)
    for mean, size in zip(means.astype(np.int64).tolist(), sizes.tolist()):
        out[int(mean)] += int(size)
    return dict(out)


def length_class(length: int) -> int:
    """The shortest length of a string length's class: 0, 1, 2, 3-4, 5-8, 9-16 ... (powers of
    two), so a rare length is stored no longer than it was and says only its order of magnitude."""
    return length if length <= 2 else (1 << (length - 1).bit_length() - 1) + 1


def text_alphabet(char_n: dict[str, int], min_count: int) -> dict[str, float]:
    """The text model's characters: those seen at least min_count times in their shares; when none
    was, every character of each class (A, a, 9) whose characters together were, in equal shares
    (a tiny table of codes stays upper-case letters); else none (the engine draws a-z)."""
    chars = {c: n for c, n in char_n.items() if n >= min_count}
    if chars:
        return shares_of(chars)
    per_class: dict[str, int] = defaultdict(int)
    for c, n in char_n.items():
        if len(c) == 1 and shape_of(c) in CLASS_CHARS:
            per_class[shape_of(c)] += n
    alphabet = {
        chr(first + i): 1
        for cls, (first, count) in sorted(CLASS_CHARS.items())
        if per_class.get(cls, 0) >= min_count
        for i in range(count)
    }
    return shares_of(alphabet) if alphabet else {}


def shares_of(counts: dict[str, int]) -> dict[str, float]:
    """Counts as shares rounded to 9 places (the rounding remainder on the largest), largest first."""
    total = sum(counts.values())
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    probs = {k: round(v / total, 9) for k, v in items}
    first = items[0][0]
    probs[first] = round(probs[first] + 1.0 - sum(probs.values()), 9)
    return probs


def _distribution(counts: dict[str, int]) -> CharDistribution:
    return CharDistribution(chars=shares_of(counts))


def _fix_total(shapes: list[Shape], text_probability: float = 0.0) -> list[Shape]:
    """Round probabilities for readability, putting the rounding remainder on the first shape."""
    rounded = [round(s.probability, 9) for s in shapes]
    rounded[0] += 1.0 - text_probability - sum(rounded)
    return [s.model_copy(update={"probability": p}) for s, p in zip(shapes, rounded)]


def shape_of(value: str) -> str:
    """A string's shape (classify, on one string)."""
    codepoints = np.frombuffer(value.encode("utf-32-le"), dtype=np.uint32)
    return classify(codepoints).tobytes().decode("utf-32-le") if len(value) else ""


def without_kept(
    pattern: PatternModel, shape_n: dict[str, int], kept: dict[str, int], min_count: int
) -> PatternModel | None:
    """The pattern of a categorical column's rare values only: each shape's count less the kept
    values of that shape (a blank kept for half the rows must not be drawn again as a rare
    value), shapes left with fewer than min_count rows dropped, the text model's rows unchanged;
    None when nothing is left."""
    taken: dict[str, int] = defaultdict(int)
    for value, n in kept.items():
        taken[shape_of(value)] += n
    rest = {s.shape: shape_n.get(s.shape, 0) - taken[s.shape] for s in pattern.shapes}
    text_rows = 0.0
    if pattern.text is not None and pattern.text.probability < 1.0:
        text_rows = (
            pattern.text.probability
            * sum(shape_n.get(s.shape, 0) for s in pattern.shapes)
            / (1.0 - pattern.text.probability)
        )
    shapes = [s for s in pattern.shapes if rest[s.shape] >= min_count]
    total = sum(rest[s.shape] for s in shapes) + text_rows
    if total <= 0 or (not shapes and pattern.text is None):
        return None
    text = pattern.text.model_copy(update={"probability": round(text_rows / total, 9)}) if pattern.text else None
    if not shapes:
        return PatternModel(text=text.model_copy(update={"probability": 1.0}))
    reweighted = [s.model_copy(update={"probability": rest[s.shape] / total}) for s in shapes]
    return PatternModel(shapes=_fix_total(reweighted, text.probability if text else 0.0), text=text)
