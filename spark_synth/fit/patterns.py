"""String shapes: count character-class templates in numpy, and turn counts into a PatternModel.

A shape writes each character as its class: A upper-case, a lower-case, 9 digit; any other
character stands for itself. 'N14228' has shape 'A99999', '212-555-0100' has '999-999-9999'.
Per shape we count characters at each position and the first PREFIX_LENGTH characters (area
codes, airline prefixes), and keep only what was seen at least `min_count` times.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from spark_synth.model.schema import CLASS_CHARS, CharDistribution, PatternModel, Shape

MAX_PATTERN_LENGTH = 64
PREFIX_LENGTH = 3
MIN_LENGTH_FOR_PREFIX = 5


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
    key = (np.broadcast_to(inverse[:, None], (n, width))[present].astype(np.int64) * width
           + positions[present]) * (1 << 21) + chars[present]
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


def build_pattern(shape_n: dict[str, int], char_n: dict[tuple[str, int, str], int],
                  prefix_n: dict[tuple[str, str], int], min_count: int,
                  fallback_length: int) -> PatternModel:
    """Keep shapes, characters and prefixes seen at least min_count times."""
    kept = {s: n for s, n in shape_n.items() if n >= min_count}
    if not kept:
        # Every shape is rare: keep only a neutral lower-case shape of a typical length.
        shape = "a" * max(1, min(fallback_length, MAX_PATTERN_LENGTH))
        return PatternModel(shapes=[Shape(shape=shape, probability=1.0, positions=[None] * len(shape))])
    total = sum(kept.values())
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
        shapes.append(Shape(shape=shape, probability=kept[shape] / total, positions=positions,
                            prefix_length=PREFIX_LENGTH if use_prefix else 0,
                            prefixes=_normalise(prefixes) if use_prefix else {}))
    return PatternModel(shapes=_fix_total(shapes))


def _normalise(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    probs = {k: round(v / total, 9) for k, v in items}
    first = items[0][0]
    probs[first] = round(probs[first] + 1.0 - sum(probs.values()), 9)
    return probs


def _distribution(counts: dict[str, int]) -> CharDistribution:
    return CharDistribution(chars=_normalise(counts))


def _fix_total(shapes: list[Shape]) -> list[Shape]:
    """Round probabilities for readability, putting the rounding remainder on the first shape."""
    rounded = [round(s.probability, 9) for s in shapes]
    rounded[0] += 1.0 - sum(rounded)
    return [s.model_copy(update={"probability": p}) for s, p in zip(shapes, rounded)]
