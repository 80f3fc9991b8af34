"""Semantic types (issue 14, item 1): detected at fit, stored by name in the model, overridden by
the user (kinds={"mail": "email"}, "given_name:de_DE"), refused with the share that matched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit
from spark_synth.errors import InputDataError
from spark_synth.fit.profile import ColumnProfile
from spark_synth.fit.semantic import SEMANTIC_TYPES, check_override, split_type, validated_type
from spark_synth.model.schema import SynthModelFile
from spark_synth.model.vocabulary import vocabulary_groups


def _profile(values: list[str], name: str = "c") -> ColumnProfile:
    p = ColumnProfile(name=name, alias="c0", family="string", spark_type='"string"', nullable=True, rows=len(values))
    p.top = [(v, 1) for v in values]
    return p


def _uuid(rng: np.random.Generator) -> str:
    h = "".join(rng.choice(list("0123456789abcdef"), 32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@pytest.mark.parametrize("seed", range(5))
def test_each_validator_type_is_detected_from_values_and_nothing_else(seed):
    rng = np.random.default_rng(seed)
    samples = {
        "uuid": [_uuid(rng) for _ in range(40)],
        "ipv4": [".".join(str(x) for x in rng.integers(0, 256, 4)) for _ in range(40)],
        "email": [f"{''.join(rng.choice(list('abcxyz'), 6))}@mail{i % 3}.com" for i in range(40)],
        "phone_nanp": [
            f"{rng.integers(2, 10)}{rng.integers(20, 99)}-{rng.integers(200, 999)}-{rng.integers(1000, 9999)}"
            for _ in range(40)
        ],
        "url": [f"https://site{i}.org/p/{rng.integers(1000)}" for i in range(40)],
    }
    for expected, values in samples.items():
        assert validated_type(_profile(values), None, "t") == expected
    words = ["".join(rng.choice(list("abcdefgh"), 7)) for _ in range(40)]
    assert validated_type(_profile(words), None, "t") is None
    # a user's kind other than a validator type (pattern, categorical) keeps today's behaviour
    assert validated_type(_profile(samples["email"]), "pattern", "t") is None
    assert validated_type(_profile(samples["email"][:2]), None, "t") is None  # two values could be chance


def test_a_forced_type_is_checked_against_the_values():
    emails = [f"user{i}@example.com" for i in range(30)] + [f"n/a{i}" for i in range(10)]
    assert validated_type(_profile(emails), "email", "t") == "email"  # 75 % fit: typos and placeholders
    with pytest.raises(InputDataError, match=r"column 'c': type 'phone' fits 0.0% of its 40 most frequent"):
        validated_type(_profile(emails), "phone", "t")


def test_locales_are_checked():
    assert split_type("given_name:de_DE, fr_FR") == ("given_name", ["de_DE", "fr_FR"])
    assert split_type("email") == ("email", None)
    check_override("c", "given_name:de_DE", "t")
    with pytest.raises(InputDataError, match=r"has no locale \['xx_XX'\]; supported: .*de_DE"):
        check_override("c", "given_name:xx_XX", "t")
    with pytest.raises(InputDataError, match="takes no locale"):
        check_override("c", "email:en_US", "t")


def _contacts(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    given = sorted(vocabulary_groups("given_name")["de_DE"])
    return pd.DataFrame(
        {
            "first": [str(rng.choice(given)) for _ in range(rows)],
            "mail": [f"p{i}.x@example.org" for i in range(rows)],
            "ip": [".".join(str(x) for x in rng.integers(0, 256, 4)) for _ in range(rows)],
            "age": rng.integers(18, 90, rows),
        }
    )


def test_fit_stores_the_type_by_name_and_the_user_overrides_it(spark):
    frame = spark.createDataFrame(_contacts())
    model = fit(frame, table="contacts")
    assert model.column("mail").semantic == "email" and model.column("ip").semantic == "ipv4"
    assert model.column("first").vocabulary.name == "given_name"
    text = model.to_json()
    assert "p0.x@example.org" not in text  # the type's name is stored, never a value
    assert SynthModelFile.model_validate_json(text).columns[1].semantic == "email"

    chosen = fit(frame, table="contacts", kinds={"first": "given_name:fr_FR", "mail": "pattern"})
    assert chosen.column("first").vocabulary.groups == ["fr_FR"]
    assert chosen.column("mail").semantic is None  # kind pattern: shapes only, as before

    with pytest.raises(InputDataError, match=r"table contacts, column 'age': type 'email' needs a string column"):
        fit(frame, table="contacts", kinds={"age": "email"})
    with pytest.raises(InputDataError, match=r"column 'ip': type 'uuid' fits 0.0%"):
        fit(frame, table="contacts", kinds={"ip": "uuid"})
    with pytest.raises(InputDataError, match="a type: " + ", ".join(SEMANTIC_TYPES)):
        fit(frame, table="contacts", kinds={"ip": "ip_address"})


def test_model_file_refuses_an_unknown_semantic_type():
    column = {
        "name": "m",
        "spark_type": '"string"',
        "kind": "pattern",
        "semantic": "postal",
        "pattern": {"shapes": [{"shape": "a", "probability": 1.0, "positions": [None]}]},
    }
    with pytest.raises(ValueError, match="unknown semantic type 'postal'; known: uuid"):
        SynthModelFile.model_validate(
            {
                "format": "spark_synth.model",
                "schema_version": 2,
                "created_by": "t",
                "table": {"name": "t", "row_count": 1},
                "privacy": {"min_count": 5},
                "columns": [column],
            }
        )


def test_given_names_follow_a_gender_column_when_the_real_names_do(spark):
    """Item 3: a given-name column whose names tell a gender is split by gender; when a gender
    column carries that information, the row's name is drawn from its gender's names."""
    from spark_synth import generate
    from spark_synth.model.vocabulary import gender_of_word

    genders = gender_of_word()
    names = sorted(w for w in vocabulary_groups("given_name")["en_US"] if w in genders)
    rng = np.random.default_rng(8)
    sex = rng.choice(["F", "M"], 600)
    pools = {"F": [w for w in names if genders[w] == "female"], "M": [w for w in names if genders[w] == "male"]}
    real = pd.DataFrame(
        {"first": [str(rng.choice(pools[s])) for s in sex], "sex": sex, "age": rng.integers(18, 90, 600)}
    )
    model = fit(spark.createDataFrame(real), table="people")
    column = model.column("first")
    assert column.vocabulary.by_gender and column.follows.parent == "sex"
    out = generate(spark, model, 5000, seed=4).toPandas()
    told = out["first"].map(genders)
    assert told.notna().all()
    assert (told == out["sex"].map({"F": "female", "M": "male"})).mean() == 1.0
    plain = fit(spark.createDataFrame(real), table="people", formats="none").column("first")
    assert not plain.vocabulary.by_gender and plain.follows is None
    with pytest.raises(ValueError, match="by_gender applies to given_name, not 'family_name'"):
        from spark_synth.model.schema import Vocabulary

        Vocabulary(name="family_name", groups=["en_US"], by_gender=True)


@pytest.mark.parametrize(
    "kinds, message",
    [
        ({"code": "bogus"}, r"kind 'bogus' does not fit its type \(string\); choose one of"),
        ({"n": "pattern"}, r"kind 'pattern' does not fit its type \(integral\)"),
        ({"n": "street_address"}, r"type 'street_address' needs a string column, the column is integral"),
    ],
)
def test_a_bad_kind_or_type_is_refused_before_the_data_is_read(spark, kinds, message):
    from pyspark.sql import functions as F

    unreadable = spark.range(3).select(
        F.col("id").alias("n"), F.expr("raise_error('the data was read')").cast("string").alias("code")
    )
    with pytest.raises(InputDataError, match=message):
        fit(unreadable, table="t", kinds=kinds)
