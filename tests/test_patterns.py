"""String shapes: learned from counts, drawn back in the same shape, rare pieces dropped."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spark_synth import generate
from spark_synth.fit.patterns import build_pattern, count_shapes, count_text, length_class, rare_lengths
from spark_synth.model.io import SynthModel


def learn(values: list[str], min_count: int = 5):
    array = np.array(values)
    shape_n, char_n, prefix_n = count_shapes(array)
    return build_pattern(shape_n, char_n, prefix_n, min_count, *count_text(array))


def draw(spark, pattern, rows: int, seed: int) -> list[str]:
    """Strings the JVM engine draws from a pattern column."""
    model = SynthModel.from_dict(
        {
            "format": "spark_synth.model",
            "schema_version": 2,
            "created_by": "test",
            "table": {"name": "t", "row_count": 1000},
            "privacy": {"min_count": 5},
            "columns": [{"name": "s", "spark_type": '"string"', "kind": "pattern", "pattern": pattern.model_dump()}],
        }
    )
    return [r.s for r in generate(spark, model, rows=rows, seed=seed).collect()]


def test_phone_numbers_keep_shape_and_area_codes(spark):
    rng = np.random.default_rng(0)
    area = rng.choice(["212", "646", "718"], 3000, p=[0.5, 0.3, 0.2])
    values = [f"{a}-{rng.integers(200, 999)}-{rng.integers(0, 10_000):04d}" for a in area]
    pattern = learn(values)
    assert [s.shape for s in pattern.shapes] == ["999-999-9999"]
    assert set(pattern.shapes[0].prefixes) == {"212", "646", "718"}
    drawn = draw(spark, pattern, 4000, seed=1)
    assert all(re.fullmatch(r"(212|646|718)-\d{3}-\d{4}", s) for s in drawn)
    share_212 = np.mean([s.startswith("212") for s in drawn])
    assert abs(share_212 - 0.5) < 0.05


def test_tail_numbers_keep_their_shapes(spark):
    rng = np.random.default_rng(2)
    digits = [f"N{rng.integers(100, 999)}{rng.choice(['AA', 'UA', 'JB'])}" for _ in range(2000)]
    numeric = [f"N{rng.integers(10000, 99999)}" for _ in range(1000)]
    pattern = learn(digits + numeric)
    shapes = {s.shape: s.probability for s in pattern.shapes}
    assert set(shapes) == {"A999AA", "A99999"}
    assert shapes["A999AA"] == pytest.approx(2 / 3, abs=1e-6)
    drawn = draw(spark, pattern, 3000, seed=3)
    assert all(re.fullmatch(r"N\d{3}[AUJ][AB]|N\d{5}", s) for s in drawn)


def test_rare_characters_and_shapes_are_not_stored():
    values = ["ab12"] * 50 + ["zz99"] * 2 + ["Q-7"] * 3
    pattern = learn(values, min_count=5)
    text = pattern.model_dump_json()
    assert "z" not in text.replace("a99", "")  # the rare 'z' never enters the model
    assert all(s.shape != "A-9" for s in pattern.shapes)


def test_all_rare_shapes_fall_back_to_text_of_the_real_lengths(spark):
    values = [f"id{i}x" * (i % 7 + 1) for i in range(20)]
    pattern = learn(values, min_count=5)
    assert not pattern.shapes and pattern.text.probability == 1.0
    assert set(pattern.text.chars) <= set("id0123456789x")
    drawn = draw(spark, pattern, 500, seed=1)
    lengths = [len(v) for v in values]
    # each length is seen fewer than 5 times: stored as averages of at least 5 strings' lengths
    assert min(lengths) <= min(pattern.text.lengths.values) and max(pattern.text.lengths.values) <= max(lengths)
    assert min(lengths) <= min(map(len, drawn)) and max(map(len, drawn)) <= max(lengths)
    assert set("".join(drawn)) <= set(pattern.text.chars)


def test_rare_lengths_are_averages_of_k_strings_never_longer():
    """Spark-free: a length seen k times is kept exactly; rarer ones are cut, in length order,
    into groups of k strings, each stored as its mean (rounded down); fewer than k rare strings
    in all: each as its power-of-two class (0, 1, 2, 3-4, 5-8, ...). No stored length is one
    string's own, and none is longer than the real strings."""
    assert [length_class(n) for n in (0, 1, 2, 3, 4, 5, 8, 9, 16, 17, 10_000)] == [0, 1, 2, 3, 3, 5, 5, 9, 9, 17, 8193]
    assert rare_lengths({2: 1, 3: 1, 10: 1}, 5) == {2: 1, 3: 1, 9: 1}
    assert rare_lengths({10: 2, 20: 2, 30: 2, 41: 1, 50: 4}, 5) == {18: 5, 45: 6}  # (10+10+20+20+30)//5, then the rest
    for seed in range(20):
        rng = np.random.default_rng(seed)
        lengths = rng.integers(1, 5000, int(rng.integers(5, 80)))
        rare = {int(n): int(c) for n, c in zip(*np.unique(lengths, return_counts=True)) if c < 3}
        stored = rare_lengths(rare, 3)
        assert sum(stored.values()) == sum(rare.values())
        assert min(rare) <= min(stored) and max(stored) <= max(rare)
        assert all(c >= 3 for c in stored.values()) or sum(rare.values()) < 3


def test_tiny_tables_keep_their_character_class_when_no_character_passes_k():
    """Four upper-case codes: no shape, no character and no length is seen 5 times, but 8
    upper-case letters are: the text model draws A-Z (not a-z), at the real length class."""
    pattern = learn(["NY", "CA", "TX", "WA"], min_count=5)
    assert not pattern.shapes
    assert set(pattern.text.chars) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert set(pattern.text.lengths.values) == {2}
    assert learn(["N1", "C2"], min_count=5).text.chars == {}  # 2 letters, 2 digits: no class passes


def test_empty_strings_and_long_strings_keep_their_rate_and_length(spark):
    """'' used for 'missing' is a value of its own; strings far beyond the longest counted
    shape keep their real lengths (here 3,000-9,000 characters)."""
    rng = np.random.default_rng(5)
    values = ["" if i % 20 == 0 else f"AB{i:05d}" for i in range(2000)]
    values += ["lorem ipsum " * int(rng.integers(250, 750)) for _ in range(500)]
    pattern = learn(values)
    assert any(s.shape == "" for s in pattern.shapes)
    drawn = draw(spark, pattern, 5000, seed=2)
    assert sum(d == "" for d in drawn) / len(drawn) == pytest.approx(100 / 2500, abs=0.01)
    long = [len(d) for d in drawn if len(d) > 64]
    assert len(long) / len(drawn) == pytest.approx(500 / 2500, abs=0.02)
    assert 2800 < np.median(long) < 6200 and max(long) <= 9000


def test_a_table_smaller_than_k_keeps_its_strings_length_and_class(spark):
    """Four rows (fewer than k): nothing may be stored, but unique two-letter codes stay two
    characters of their class (a fixed room for 2^40 values once made them nine), as unique as the rows, and
    more rows than two letters hold are refused with the room named."""
    from spark_synth import fit
    from spark_synth.errors import GenerateError

    df = spark.createDataFrame(
        [("NY", "ab", 1), ("CA", "cd", 2), ("TX", "ef", 3), ("WA", "gh", 4)], "state string, code string, n int"
    )
    model = fit(df, table="tiny")
    rows = generate(spark, model, rows=600, seed=3).toPandas()
    for column, alphabet in (("state", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ("code", "abcdefghijklmnopqrstuvwxyz")):
        assert set(rows[column].str.len()) == {2}, column
        assert set("".join(rows[column])) <= set(alphabet), column
        assert rows[column].is_unique, column
    with pytest.raises(GenerateError, match=r"'state' is unique.*room for 676 distinct values, 700 rows"):
        generate(spark, model, rows=700, seed=3)
