"""Realism of generated strings: values that are near misses of real ones look like corrupted
data (`America/Coicago` next to `America/Chicago`), not like synthetic data.

Counts are Spark aggregations over all rows; the edit distances run on the driver over bounded sets
of distinct values (the most frequent generated ones against the real ones), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.model.validators import TYPE_CHECKS, VALIDATORS, detect_type, pass_rate
from spark_synth.model.vocabulary import vocabulary_groups, words_of, words_of_label
from spark_synth.names import quote


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


MAX_GENERATED = 300  # most frequent distinct generated values compared per column
MAX_REAL = 3000  # distinct real values compared against (columns with more are not compared)


def string_realism(
    real: DataFrame,
    synthetic: DataFrame,
    columns: list[str],
    allowed: dict[str, set[str]] | None = None,
    vocabularies: dict[str, str] | None = None,
    drawn: dict[str, list[tuple[float, set[str]]]] | None = None,
) -> dict[str, dict]:
    """Per string column: `equal_to_real`, the share of synthetic rows whose value some real row
    holds (exact, a Spark semi-join); `near_miss`, the share of synthetic rows holding one of the
    most frequent generated values that is within 2 edits of a real value without being equal to
    it or an allowed word (a kept category, a public vocabulary word); `public`, the share of rows
    holding an allowed word that no real row holds. Near misses are compared on bounded sets (the
    MAX_GENERATED most frequent generated values against at most MAX_REAL distinct real values), so
    the driver never holds more than that.

    With a type — the column's public vocabulary (`vocabularies`: column -> vocabulary name) or the
    first validator (model/validators.py) most real values pass — `type`, `valid` (share of a
    sample of MAX_SAMPLE synthetic values its validator passes) and `valid_real` (the same on real
    values). For a column whose every value is drawn from its vocabulary's words (`drawn`: column
    -> [(weight, words of a group)]), `chance_equal`: the share equal to a real value that drawing
    those words explains (chance_equal)."""
    allowed = allowed or {}
    vocabularies = vocabularies or {}
    drawn = drawn or {}
    out: dict[str, dict] = {}
    for column in columns:
        c = quote(column)
        rows = synthetic.where(F.col(c).isNotNull()).count()
        if rows == 0:
            continue
        real_values = real.select(c).where(F.col(c).isNotNull()).distinct()
        equal = synthetic.join(real_values, on=column, how="left_semi").count()
        real_list = [r[0] for r in real_values.limit(MAX_REAL + 1).collect()]  # bounded: MAX_REAL + 1
        top = (
            synthetic.where(F.col(c).isNotNull())
            .groupBy(c)
            .count()
            .orderBy(F.desc("count"), F.asc(c))
            .limit(MAX_GENERATED)
            .collect()  # bounded: MAX_GENERATED
        )
        words = allowed.get(column, set())
        real_set = set(real_list)
        entry = {
            "rows": rows,
            "equal_to_real": equal / rows,
            "public": sum(n for v, n in top if v in words and v not in real_set) / rows,
        }
        if len(real_list) <= MAX_REAL:
            missed = near_misses([v for v, _ in top if v not in real_set], real_list, words)
            entry["near_miss"] = sum(n for v, n in top if v in missed) / rows
            entry["near_miss_examples"] = [[v, r] for v, r in sorted(missed.items())[:5]]
        entry.update(_validity(real, synthetic, c, real_list, vocabularies.get(column)))
        if column in drawn and len(real_list) <= MAX_REAL:
            entry["chance_equal"] = chance_equal(real_set, drawn[column])
        out[column] = entry
    return out


MAX_SAMPLE = 5000  # values per column a validator checks


def chance_equal(real: set, groups: list[tuple[float, set[str]]]) -> float:
    """The share of generated values equal to a real value when each value is a uniformly drawn
    word of a group chosen with its weight: sum over groups of weight x |real & words| / |words|."""
    total = sum(w for w, words in groups if words)
    if total == 0:
        return 0.0
    return sum(w * len(real & words) / len(words) for w, words in groups if words) / total


def _validity(real: DataFrame, synthetic: DataFrame, c: str, real_distinct: list, vocabulary: str | None) -> dict:
    """{type, valid, valid_real} for a column with a type, else {}: `vocabulary` is the type the
    model stores (a vocabulary: membership; a validator type), else the first validator that
    TYPE_SHARE of the real distinct values pass."""
    if vocabulary in TYPE_CHECKS:  # the type the model stores (fit/semantic.py, fit/words.py)
        name, check = vocabulary, TYPE_CHECKS[vocabulary]
    elif vocabulary is not None:
        words = words_of(vocabulary)
        name, check = vocabulary, words.__contains__
    else:
        name = detect_type(real_distinct[:MAX_SAMPLE])
        if name is None:
            return {}
        check = VALIDATORS[name]

    def sample(frame: DataFrame) -> list:
        """About MAX_SAMPLE values spread over the whole table (not its first rows: files are
        often sorted, airports by code, so their first rows are all American)."""
        values = frame.select(c).where(F.col(c).isNotNull())
        rows = values.count()
        if rows > MAX_SAMPLE:
            values = values.sample(withReplacement=False, fraction=min(1.0, 1.2 * MAX_SAMPLE / rows), seed=1)
        return [r[0] for r in values.limit(MAX_SAMPLE).collect()]  # bounded: MAX_SAMPLE

    return {"type": name, "valid": pass_rate(sample(synthetic), check), "valid_real": pass_rate(sample(real), check)}


def allowed_words(columns: list, name: str) -> set[str]:
    """What a column may generate without nearly copying anyone: its kept categories and the words
    of its public vocabulary's groups (model/vocabulary.py)."""
    column = next((c for c in columns if c.name == name), None)
    if column is None:
        return set()
    words = {str(v) for v in getattr(column, "values", [])}
    vocabulary = getattr(column, "vocabulary", None)
    if vocabulary is not None:
        groups = vocabulary_groups(vocabulary.name)
        words |= {w for g in vocabulary.groups for w in groups.get(g, ())}
    return words


def drawn_groups(column) -> list[tuple[float, set[str]]]:
    """[(weight, words)] of a pattern column drawn from a vocabulary: each frequent word (kept,
    seen >= k times) by its share, then the rest over its variants (groups, or groups split by
    gender) by their share when its format follows the row (follows.marginal), else over its
    groups' words as one."""
    vocabulary = column.vocabulary
    frequent = getattr(column, "frequent", {}) or {}
    singles = [(share, {word}) for word, share in frequent.items()]
    rest = max(0.0, 1.0 - sum(frequent.values()))
    follows = getattr(column, "follows", None)
    if follows is None:
        groups = vocabulary_groups(vocabulary.name)
        return singles + [(rest, {w for g in vocabulary.groups for w in groups.get(g, ())})]
    total = sum(follows.marginal[1:]) or 1.0
    return singles + [
        (rest * share / total, set(words_of_label(vocabulary.name, label)))
        for share, label in zip(follows.marginal[1:], vocabulary.labels)
    ]
