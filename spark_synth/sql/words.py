"""Word shapes (model/words.py) as a Spark expression: the fit's formats pass labels rows with it.

Java regular expressions (\\p{L}, \\p{M}, \\p{Lu}, \\p{Lt}) give every value the shape
model/words.word_shape gives it in Python (tests/test_words.py holds the two side by side).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_synth.model.words import DIGITS


def word_shape_expression(value: Column) -> Column:
    """word_shape's shape as a Spark Column expression (the formats pass labels rows with it)."""
    digits = F.translate(value, DIGITS, "9" * len(DIGITS))
    # Runs are maximal, so a run replaced by 'w' is bounded by non-letters and the second pass,
    # which only starts at an upper-case letter, cannot reach into it.
    lower = F.regexp_replace(digits, r"(?<![\p{L}\p{M}])[\p{L}\p{M}&&[^\p{Lu}\p{Lt}]][\p{L}\p{M}]*", "w")
    return F.regexp_replace(lower, r"[\p{Lu}\p{Lt}][\p{L}\p{M}]*", "W")
