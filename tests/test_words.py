"""Word shapes (issue 14): text made of words is drawn word by word — kept words, public words —
never as character soup, and exactly as docs/plan.md §8 "words" says."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_plan_contract import bits, stream, uniform

from spark_synth import fit, generate
from spark_synth.model.schema import SynthModelFile
from spark_synth.model.vocabulary import vocabulary_groups
from spark_synth.model.words import word_shape
from spark_synth.plan.compiler import compile_plan
from spark_synth.sql.words import word_shape_expression

HOSTILE = [
    "",
    "27 Wade Lane",
    "Karl-Liebknecht-Strasse 88",
    "Gosposka ulica 60",
    "O'Brien's  Way",
    "ÜLZENER Straße 5",
    "e\u0301cole 3",
    "\u0301x",
    "N14228",
    "12",
    "  ",
    "ǅemal Road",
    "東京 1-2",
    "Café\tBar",
    "a1b2",
    "68 Pikitanga Close, Grenada North",
    "x" * 70,
]


@pytest.mark.parametrize(
    "value, shape, tokens",
    [
        ("27 Wade Lane", "99 W W", [(0, "2"), (1, "7"), (3, "Wade"), (5, "Lane")]),
        (
            "Karl-Liebknecht-Strasse 88",
            "W-W-W 99",
            [(0, "Karl"), (2, "Liebknecht"), (4, "Strasse"), (6, "8"), (7, "8")],
        ),
        ("Gosposka ulica 60", "W w 99", [(0, "Gosposka"), (2, "ulica"), (4, "6"), (5, "0")]),
        ("e\u0301cole 3", "w 9", [(0, "e\u0301cole"), (2, "3")]),  # a combining mark stays inside its word
        ("O'Brien", "W'W", [(0, "O"), (2, "Brien")]),
        ("", "", []),
        ("4½", "9½", [(0, "4")]),
    ],
)
def test_a_value_is_read_as_words_digits_and_punctuation(value, shape, tokens):
    assert word_shape(value) == (shape, tokens)


def test_spark_gives_every_value_the_same_word_shape(spark):
    frame = spark.createDataFrame([(v,) for v in HOSTILE], "v string")
    got = [r[0] for r in frame.select(word_shape_expression(frame["v"])).collect()]
    assert got == [word_shape(v)[0] for v in HOSTILE]


SUFFIXES = {"Road": 0.5, "Street": 0.3, "Lane": 0.2}


def addresses(rows: int, seed: int) -> pd.DataFrame:
    """Addresses of public family names (each rare) and three frequent street suffixes, a code
    column of capitals and digits, and a country that decides the address format."""
    rng = np.random.default_rng(seed)
    names = sorted(vocabulary_groups("family_name")["en_US"])
    street = rng.choice(names, rows)
    suffix = rng.choice(list(SUFFIXES), rows, p=list(SUFFIXES.values()))
    number = rng.integers(1, 300, rows)
    country = rng.choice(["GBR", "DEU"], rows, p=[0.7, 0.3])
    address = [f"{n} {s} {x}" if c == "GBR" else f"{s} {x} {n}" for n, s, x, c in zip(number, street, suffix, country)]
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    code = [
        f"{a}{b}-{n:03d}"
        for a, b, n in zip(rng.choice(letters, rows), rng.choice(letters, rows), rng.integers(0, 1000, rows))
    ]
    return pd.DataFrame({"address": address, "code": code, "country": country})


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return addresses(3000, seed=5)


@pytest.fixture(scope="module")
def model(spark, real):
    return fit(spark.createDataFrame(real), table="people")


def test_text_of_words_gets_word_shapes_and_codes_keep_character_shapes(model, real):
    address = model.column("address")
    assert address.kind == "pattern" and address.pattern.unit == "word"  # unique in the data: incidental
    assert model.column("code").pattern.unit == "char"  # 'AB' is no word
    shapes = {s.shape: s for s in address.pattern.shapes}
    assert {"99 W W", "999 W W", "W W 99", "W W 999"} <= set(shapes)
    suffix = shapes["999 W W"].words[6]
    assert set(suffix.words) == set(SUFFIXES) and suffix.vocabulary is None
    assert suffix.words["Road"] == pytest.approx(0.5, abs=0.05)
    street = shapes["999 W W"].words[4]
    assert street.vocabulary.name == "family_name" and "en_US" in street.vocabulary.groups
    # Privacy: every word in the model was seen at least k times at its position.
    counts = pd.Series([w for v in real["address"] for _, w in word_shape(v)[1]]).value_counts()
    for shape in address.pattern.shapes:
        for slot in shape.words.values():
            assert all(counts[w] >= model.spec.privacy.min_count for w in slot.words)
    assert address.follows is not None and address.follows.parent == "country"  # the format follows the row


def test_generated_words_are_kept_or_public_and_follow_the_row(spark, model):
    out = generate(spark, model, 4000, seed=3, partitions=3).toPandas()
    pd.testing.assert_frame_equal(out, generate(spark, model, 4000, seed=3, partitions=1).toPandas())
    public = {w for words in vocabulary_groups("family_name").values() for w in words}
    kept_shapes = {s.shape for s in model.column("address").pattern.shapes}
    read = [word_shape(v) for v in out["address"]]
    assert all(shape in kept_shapes for shape, _ in read)
    words = [t for _, tokens in read for _, t in tokens if not t.isdigit()]
    assert all(w in SUFFIXES or w in public for w in words)  # no character soup, no near-miss
    suffixes = pd.Series([w for w in words if w in SUFFIXES]).value_counts(normalize=True)
    assert suffixes["Road"] == pytest.approx(0.5, abs=0.05)
    number_first = out["address"].str[0].str.isdigit()
    assert number_first[out["country"] == "GBR"].mean() > 0.95 and number_first[out["country"] == "DEU"].mean() < 0.05


def test_words_are_drawn_as_the_plan_says(spark, real):
    model = fit(spark.createDataFrame(real[["address"]]), table="alone")
    rows, seed = 600, 9
    out = generate(spark, model, rows, seed=seed, partitions=2).toPandas()
    plan = json.loads(compile_plan(model, rows))
    column = next(c for c in plan["columns"] if c["name"] == "address")
    pattern, s = column["pattern"], stream(seed, column["key"])

    def pick(cumulative: list[float], u: float) -> int:
        return min(int(np.searchsorted(cumulative, u, "right")), len(cumulative) - 1)

    for j, value in enumerate(out["address"]):
        shape = pattern["shapes"][pick(pattern["cumulative"], uniform(bits(s, j, 1)))]
        written = []
        for p, position in enumerate(shape["positions"]):
            u = uniform(bits(s, j, 3 + p))
            if position["kind"] == "words":
                i = pick(position["cumulative"], u)
                if i < len(position["words"]):
                    written.append(position["words"][i])
                else:
                    below = position["cumulative"][i - 1] if i else 0.0
                    words = pattern["word_lists"][position["list"]]
                    written.append(words[min(len(words) - 1, int((u - below) / (1.0 - below) * len(words)))])
            elif position["kind"] == "table":
                written.append(chr(position["chars"][pick(position["cumulative"], u)]))
            elif position["kind"] == "class":
                written.append(chr(position["first"] + int(u * position["count"])))
            else:
                written.append(chr(position["char"]))
        assert value == "".join(written), j


def test_words_no_public_list_holds_keep_character_shapes(spark):
    rng = np.random.default_rng(3)
    letters = np.array(list("bcdfghklmnprstvz"))
    made_up = ["".join(rng.choice(letters, 7)).capitalize() + "us" for _ in range(600)]
    frame = spark.createDataFrame(
        pd.DataFrame({"genus": [f"{w} {v.lower()}" for w, v in zip(made_up, rng.permutation(made_up))]})
    )
    assert fit(frame, table="species").column("genus").pattern.unit == "char"


def test_kind_unique_or_pattern_keeps_character_shapes(spark, real):
    frame = spark.createDataFrame(real.drop_duplicates("address"))
    assert fit(frame, table="t", kinds={"address": "unique"}).column("address").kind == "unique"
    assert fit(frame, table="t", kinds={"address": "pattern"}).column("address").pattern.unit == "char"


def test_model_file_checks_word_positions(model):
    raw = model.to_dict()
    column = next(c for c in raw["columns"] if c["name"] == "address")
    shape = column["pattern"]["shapes"][0]
    position = next(iter(shape["words"]))
    for edit, message in [
        (
            lambda column, shape: shape["words"].update({str(shape["shape"].index(" ")): shape["words"][position]}),
            "must be at a W or w position",
        ),
        (lambda column, shape: column["pattern"].update({"unit": "char"}), "only a pattern of unit 'word'"),
        (
            lambda column, shape: shape["words"][position].update({"words": {"Ro4d": 1.0}, "vocabulary": None}),
            "letters only",
        ),
        (lambda column, shape: shape["words"][position].update({"words": {"Road": 0.5}, "vocabulary": None}), "sum to"),
    ]:
        broken = json.loads(json.dumps(raw))
        column = next(c for c in broken["columns"] if c["name"] == "address")
        edit(column, column["pattern"]["shapes"][0])
        with pytest.raises(ValueError, match=message):
            SynthModelFile.model_validate(broken)


@pytest.mark.parametrize(
    "name, good, bad",
    [
        (
            "street_address",
            ["27 Wade Lane", "Gosposka ulica 60", "Apt 4, 12 Rue de la Paix"],
            ["Wade Lane", "12345", "A1"],
        ),
        (
            "full_name",
            ["Ruth Conte", "Jean-Luc Picard", "Mary O'Neil", "J. R. Tolkien"],
            ["Ruth", "R2 D2", "ruth conte 3", "A B C D E"],
        ),
        ("company", ["Smith Holdings", "ACME Inc."], ["x", "info@acme.com"]),
    ],
)
def test_word_types_check_their_values(name, good, bad):
    from spark_synth.model.validators import TYPE_CHECKS

    assert all(TYPE_CHECKS[name](v) for v in good) and not any(TYPE_CHECKS[name](v) for v in bad)


def people_and_companies(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    given = rng.choice(sorted(vocabulary_groups("given_name")["en_US"]), rows)
    family = rng.choice(sorted(vocabulary_groups("family_name")["en_US"]), rows)
    suffix = rng.choice(["Group", "Holdings", "Partners"], rows)
    return pd.DataFrame(
        {
            "full_name": [f"{g} {f}" for g, f in zip(given, family)],
            "employer": [f"{f} {s}" for f, s in zip(rng.permutation(family), suffix)],
            "zip": [str(n) for n in rng.integers(10000, 99999, rows)],
        }
    )


def test_word_types_are_found_from_word_shapes_and_named_by_the_user(spark, model):
    from spark_synth.errors import InputDataError

    assert model.column("address").semantic == "street_address"
    frame = spark.createDataFrame(people_and_companies(3000, seed=2))
    fitted = fit(frame, table="staff")
    assert fitted.column("full_name").semantic == "full_name" and fitted.column("employer").semantic == "company"
    slots = [s.words for s in fitted.column("full_name").pattern.shapes if s.shape == "W W"][0]
    assert (slots[0].vocabulary.name, slots[2].vocabulary.name) == ("given_name", "family_name")
    out = generate(spark, fitted, 2000, seed=4).toPandas()
    from spark_synth.model.validators import TYPE_CHECKS

    assert out["full_name"].map(TYPE_CHECKS["full_name"]).mean() > 0.99
    assert set(out["employer"].str.split(" ").str[-1]) <= {"Group", "Holdings", "Partners"}
    with pytest.raises(InputDataError, match=r"column 'zip': type 'street_address' fits 0\.0%"):
        fit(frame, table="staff", kinds={"zip": "street_address"})


def test_a_vocabulary_column_keeps_its_frequent_words_in_their_shares(spark):
    """US city names: five frequent ones (>= k, 40 % of the rows: too few for a categorical column)
    keep their shares, the long tail of rare ones (< k each) is drawn from the vocabulary and
    never stored."""
    rng = np.random.default_rng(7)
    cities = sorted(vocabulary_groups("city_name")["US"])
    frequent = {"Houston": 0.15, "Dallas": 0.1, "Austin": 0.08, "Denver": 0.05, "Tulsa": 0.02}
    rows = 4000
    head = rng.choice(list(frequent), int(rows * 0.4), p=np.array(list(frequent.values())) / 0.4)
    tail = rng.choice([c for c in cities if c not in frequent], rows - len(head), replace=False)
    real = pd.DataFrame({"city": rng.permutation(np.concatenate([head, tail]))})
    model = fit(spark.createDataFrame(real), table="places")
    column = model.column("city")
    assert column.kind == "pattern" and column.vocabulary.name == "city_name" and set(column.frequent) == set(frequent)
    for word, share in frequent.items():
        assert column.frequent[word] == pytest.approx(share, abs=0.015)
    counts = real["city"].value_counts()
    assert all(counts[w] >= model.spec.privacy.min_count for w in column.frequent)
    out = generate(spark, model, 20_000, seed=2).toPandas()["city"].value_counts(normalize=True)
    for word, share in frequent.items():
        assert out[word] == pytest.approx(share, abs=0.015)
    assert set(out.index) <= set(cities)
    from spark_synth.evaluation.realism import chance_equal, drawn_groups

    chance = chance_equal(set(real["city"]), drawn_groups(column))
    assert 0.4 < chance < 0.6  # the frequent words, plus the tail's words that some real row holds
