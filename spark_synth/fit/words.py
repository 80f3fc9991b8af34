"""Pass 8 (run before pass 5): text made of words gets a word pattern (model/words.py).

A string column whose character shapes hint at words (CANDIDATE_SHARE: addresses, place and
company names, which character shapes describe as soup) is read as word shapes on the
executors, on at most MAX_READ sampled rows: the driver gets, per column, the word shapes seen at
least k times, the words and digits seen at least k times at each of their positions, and — for
the rarer words — only which public vocabularies they belong to (a word of a public list is no
secret, and only the groups touched by at least k rows enter the model). The column switches to
the word pattern when its kept word shapes cover at least MIN_COVER of the rows, its letter runs
read as words (MIN_WORDLIKE: codes such as 'AB-123' keep their character shapes) and enough of
its words are kept or public ones (MIN_EXPLAINED).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.patterns import shares_of
from spark_synth.fit.sampling import hashed_sample
from spark_synth.model.schema import (
    CharDistribution,
    PatternColumn,
    PatternModel,
    Shape,
    UniqueColumn,
    Vocabulary,
    WordSlot,
)
from spark_synth.model.validators import WORD_VALIDATORS
from spark_synth.model.vocabulary import covering_groups, group_sets, words_of
from spark_synth.model.words import word_shape
from spark_synth.names import quote

MAX_READ = 200_000  # rows read as words (a sample beyond): shares need no more, and reading runs in Python
MAX_SHAPES = 32  # most frequent word shapes kept per column (bounds the plan)
MAX_TEXT = 200  # longer values are not read as words (their shapes would be rare anyway)
MIN_COVER = 0.5  # share of the rows the kept word shapes must describe
# A column is read when at least this share of its rows is free text or has a character shape
# with a lower-case run of 2+ after a letter ('Aaaa Aaaa'): 'A99999' tail numbers are not read.
CANDIDATE_SHARE = 0.3
# Share of the letter runs that look like words (3+ letters, not all capitals): 'Wade', 'ulica'
# do; 'N' in 'N14228' and 'AB' in 'AB-123' do not.
MIN_WORDLIKE = 0.6
# Share of the kept shapes' words that are kept (>= k) or public (peeps' 100 addresses: 0.39):
# Latin species names or product jargon, which no public list holds (ratdat genus: 0.0), would
# come out as family names; they keep character shapes.
MIN_EXPLAINED = 0.3
MIN_ADDRESS = 0.6  # rows whose word shape mixes a number and words, for street_address
MIN_PERSON = 0.8  # rows whose shape is given name ... family name, for full_name
ADDRESS_HINT = r"addr|street|road"
COMPANY_HINT = r"company|employer|organi[sz]ation|firm|business|vendor|supplier|manufacturer|brand"
# Where a word position's rarer words are drawn from: the vocabulary most of them belong to. A
# position none of them matches draws FALLBACK (Faker, too, makes street names from family names).
CANDIDATES = ("family_name", "given_name", "city_name")
FALLBACK = Vocabulary(name="family_name", groups=["en_US"])
log = logging.getLogger(__name__)
_SCHEMA = "c int, shape string, pos int, token string, public int, n long"
WORDS, WORDLIKE = -2, -3  # `pos` of a column's counts of letter runs and of word-like ones


def word_candidates(columns: dict, kinds: dict[str, str]) -> list[str]:
    """String pattern and unique columns with character shapes that are not typed otherwise
    (no vocabulary, validator type, e-mail template or kind named by the user) and that hint at
    words (CANDIDATE_SHARE); and every column the user named a word type."""
    out = []
    for name, c in columns.items():
        if (
            not isinstance(c, PatternColumn | UniqueColumn)
            or c.type.family != "string"
            or c.pattern is None
            or getattr(c, "vocabulary", None) is not None
            or getattr(c, "from_names", None) is not None
        ):
            continue
        if kinds.get(name) in WORD_VALIDATORS or (
            kinds.get(name) is None and c.semantic is None and _wordy_share(c.pattern) >= CANDIDATE_SHARE
        ):
            out.append(name)
    return out


def word_type(name: str, pattern: PatternModel) -> str | None:
    """The word type a word pattern shows: street_address when most rows mix a number and words,
    company when the column's name says so, full_name when every shape is 2-4 capitalised words
    whose first is drawn from given names and last from family names."""

    def mass(test) -> float:
        return sum(s.probability for s in pattern.shapes if test(s))

    label = name.lower()
    numbered = mass(lambda s: "9" in s.shape and s.words)
    if numbered >= MIN_ADDRESS or (re.search(ADDRESS_HINT, label) and numbered >= MIN_COVER):
        return "street_address"
    if re.search(COMPANY_HINT, label):
        return "company"

    def person(s: Shape) -> bool:
        slots = [s.words[p] for p in sorted(s.words)]
        return (
            2 <= len(slots) <= 4
            and set(s.shape) <= set("W .-'")
            and all(c == "W" for c in s.shape[::2])
            and _vocabulary_name(slots[0]) == "given_name"
            and _vocabulary_name(slots[-1]) == "family_name"
        )

    return "full_name" if mass(person) >= MIN_PERSON else None


def _vocabulary_name(slot: WordSlot) -> str | None:
    return slot.vocabulary.name if slot.vocabulary is not None else None


def _wordy_share(pattern: PatternModel) -> float:
    text = pattern.text.probability if pattern.text is not None else 0.0
    return text + sum(s.probability for s in pattern.shapes if re.search("[Aa]aa", s.shape))


def _public_mask(word: str) -> int:
    """Bit i set when the word (capitalised, for a lower-case word) is in CANDIDATES[i]."""
    probe = word[:1].upper() + word[1:]
    return sum(1 << i for i, name in enumerate(CANDIDATES) if word in words_of(name) or probe in words_of(name))


def _is_wordlike(word: str) -> bool:
    return len(word) >= 3 and not word.isupper()


def _read_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Counts per batch (the shuffle carries one row per distinct key, not per value)."""
    for batch in batches:
        counts: Counter = Counter()
        for c, column in enumerate(batch.columns):
            for value in batch[column]:
                if not isinstance(value, str):
                    continue
                if len(value) > MAX_TEXT:  # prose, not a name or an address: a rare shape of its own
                    counts[(c, None, -1, None)] += 1
                    continue
                shape, tokens = word_shape(value)
                counts[(c, shape, -1, None)] += 1
                for pos, token in tokens:
                    counts[(c, shape, pos, token)] += 1
                    if shape[pos] in "Ww":
                        counts[(c, "", WORDS, None)] += 1
                        counts[(c, "", WORDLIKE, None)] += _is_wordlike(token)
        rows = [
            (c, shape, pos, token, _public_mask(token) if pos >= 0 and shape[pos] in "Ww" else 0, n)
            for (c, shape, pos, token), n in counts.items()
        ]
        yield pd.DataFrame(rows, columns=["c", "shape", "pos", "token", "public", "n"])


def fit_words(
    frame: DataFrame, names: list[tuple[str, str]], rows: int, min_count: int, forced: frozenset[str] = frozenset()
) -> dict[str, PatternModel]:
    """{column: its word pattern} for the `names` ((name, alias) pairs) that are better read as
    words than as characters; a `forced` column (the user named a word type) needs only a kept
    word shape."""
    sample = hashed_sample(frame, [F.col(quote(alias)) for _, alias in names], MAX_READ / rows if rows else 1.0, salt=8)
    read = sample.select(
        *[F.col(quote(alias)).cast("string").alias(f"c{i}") for i, (_, alias) in enumerate(names)]
    ).mapInPandas(_read_batches, _SCHEMA)
    counted = read.groupBy("c", "shape", "pos", "token", "public").agg(F.sum("n").alias("count")).persist()
    try:
        shapes = (
            counted.where(F.col("pos") < 0)
            .select(
                "c",
                "pos",
                F.when((F.col("count") >= min_count) | (F.col("pos") < -1), F.col("shape")).alias("shape"),
                "count",
            )
            .groupBy("c", "pos", "shape")
            .agg(F.sum("count").alias("count"))
        )
        shape_n: dict[int, dict[str | None, int]] = defaultdict(dict)
        runs: dict[tuple[int, int], int] = defaultdict(int)
        for r in shapes.collect():  # bounded: shapes seen >= k times in MAX_READ rows, per column
            if r["pos"] == -1:
                shape_n[r["c"]][r["shape"]] = r["count"]
            else:
                runs[(r["c"], r["pos"])] = r["count"]
        kept_shapes = {c: _most_frequent(n) for c, n in shape_n.items()}
        wanted = [f"{c}\x00{s}" for c, shapes_of in kept_shapes.items() for _, s in shapes_of]
        tokens = counted.where(
            (F.col("pos") >= 0)
            & ((F.col("count") >= min_count) | (F.col("public") > 0))
            & F.concat_ws("\x00", F.col("c").cast("string"), "shape").isin(wanted)
        )
        token_n: dict[tuple[int, str], list[tuple[int, str, int, int]]] = defaultdict(list)
        for r in tokens.collect():  # bounded: kept shapes' tokens seen >= k times, public words
            token_n[(r["c"], r["shape"])].append((r["pos"], r["token"], r["public"], r["count"]))
    finally:
        counted.unpersist()
    found = {}
    for c, (name, _) in enumerate(names):
        total = sum(shape_n[c].values())
        kept = kept_shapes.get(c, [])
        cover = sum(n for n, _ in kept) / total if total else 0.0
        wordlike = runs[(c, WORDLIKE)] / runs[(c, WORDS)] if runs[(c, WORDS)] else 0.0
        explained = _explained(c, kept, token_n, min_count)
        log.debug("words of %r: cover %.3f, word-like %.3f, explained %.3f", name, cover, wordlike, explained)
        if not kept or (
            name not in forced and (cover < MIN_COVER or wordlike < MIN_WORDLIKE or explained < MIN_EXPLAINED)
        ):
            continue
        found[name] = _word_pattern(c, kept, token_n, min_count)
    return found


def _explained(c: int, kept: list[tuple[int, str]], token_n: dict, min_count: int) -> float:
    """The share of the kept shapes' words (rows x word positions) that are kept or public words."""
    total = sum(n * sum(1 for ch in s if ch in "Ww") for n, s in kept)
    known = sum(
        count
        for _, s in kept
        for pos, _, public, count in token_n[(c, s)]
        if s[pos] in "Ww" and (public or count >= min_count)
    )
    return known / total if total else 0.0


def _most_frequent(shape_n: dict[str | None, int]) -> list[tuple[int, str]]:
    """(rows, shape) of the MAX_SHAPES most frequent kept shapes (None: the rare ones together)."""
    return sorted(((n, s) for s, n in shape_n.items() if s is not None), key=lambda x: (-x[0], x[1]))[:MAX_SHAPES]


def _word_pattern(c: int, kept: list[tuple[int, str]], token_n: dict, min_count: int) -> PatternModel:
    """The word pattern of one column: its kept word shapes (the rarer shapes' rows spread over
    them in proportion), digits and words seen >= k times per position, vocabularies for the rest."""
    total = sum(n for n, _ in kept)
    fallback = _column_vocabulary([t for _, s in kept for t in token_n[(c, s)]], min_count)
    shapes = []
    for n, shape in kept:
        at: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for pos, token, public, count in token_n[(c, shape)]:
            at[pos].append((token, public, count))
        positions: list[CharDistribution | None] = [None] * len(shape)
        words: dict[int, WordSlot] = {}
        for pos, ch in enumerate(shape):
            seen = at.get(pos, [])
            if ch == "9":
                digits = {t: k for t, _, k in seen if k >= min_count}
                starts_number = pos + 1 < len(shape) and shape[pos + 1] == "9" and (pos == 0 or shape[pos - 1] != "9")
                if not digits and starts_number:
                    digits = dict.fromkeys("123456789", 1)  # a number's first digit: 0 only when seen >= k times
                positions[pos] = CharDistribution(chars=shares_of(digits)) if digits else None
            elif ch in "Ww":
                words[pos] = _slot(seen, n, min_count, fallback)
        shapes.append(Shape(shape=shape, probability=n / total, positions=positions, words=words))
    rounded = [round(s.probability, 9) for s in shapes]
    rounded[0] = round(rounded[0] + 1.0 - sum(rounded), 9)
    return PatternModel(unit="word", shapes=[s.model_copy(update={"probability": p}) for s, p in zip(shapes, rounded)])


def _slot(seen: list[tuple[str, int, int]], rows: int, min_count: int, fallback: Vocabulary) -> WordSlot:
    """A word position: words seen >= k times with their share of the shape's rows; the rest
    from the vocabulary most of the other words belong to (its groups touched by >= k rows)."""
    kept = {t: k for t, _, k in seen if k >= min_count}
    rest = [(t, public, k) for t, public, k in seen if k < min_count]
    share = {w: round(k / rows, 9) for w, k in sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))}
    if sum(kept.values()) >= rows:  # every row's word is a kept one
        return WordSlot(words=shares_of(kept))
    return WordSlot(words=share, vocabulary=_vocabulary(rest, min_count) or fallback)


def _vocabulary(seen: list[tuple[str, int, int]], min_count: int) -> Vocabulary | None:
    """The candidate vocabulary holding most of these words' rows, with the groups covering at
    least min_count of them; None when none reaches that."""
    best = None
    for i, name in enumerate(CANDIDATES):
        matched: dict[str, int] = defaultdict(int)
        for token, public, count in seen:
            if public >> i & 1:
                matched[token[:1].upper() + token[1:]] += count
        groups = covering_groups(group_sets(name), dict(matched), min_count)
        hits = sum(matched.values())
        if groups and (best is None or hits > best[0]):
            best = (hits, Vocabulary(name=name, groups=groups))
    return best[1] if best else None


def _column_vocabulary(tokens: list[tuple[int, str, int, int]], min_count: int) -> Vocabulary:
    """The vocabulary of all a column's rarer words together: for positions whose own words are
    too few to tell; FALLBACK when even those are."""
    rest = [(t, public, k) for _, t, public, k in tokens if public and k < min_count]
    return _vocabulary(rest, min_count) or FALLBACK
