"""String shapes: learned from counts, drawn back in the same shape, rare pieces dropped."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spark_synth import generate
from spark_synth.fit.patterns import build_pattern, count_shapes, count_text
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
    assert min(lengths) <= min(map(len, drawn)) and max(map(len, drawn)) <= max(lengths)
    assert set("".join(drawn)) <= set(pattern.text.chars)


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
