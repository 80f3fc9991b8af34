"""Formats follow the row (issue 14, item 5): a string column's shape, null or vocabulary group is a
leaf of the dependency tree, so a phone number takes its country's format, a person outside the US
has no US state, and values of a unique column stay unique inside their format."""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import pandas as pd
import pytest
from test_plan_contract import mix, scramble, stream

from spark_synth import fit, generate
from spark_synth.fit.formats import spread_outside
from spark_synth.model.formats import format_codes, format_labels
from spark_synth.model.schema import FormatDependency, SynthModelFile
from spark_synth.model.vocabulary import vocabulary_groups
from spark_synth.plan.compiler import compile_plan

STATES = vocabulary_groups("subdivision_code")
# country -> (phone format, postcode format, state codes or None): with 60 people per country every
# state is rare (below the privacy threshold), so the column is drawn from the public codes
COUNTRIES = {
    "USA": ("999-999-9999", "99999", list(STATES["en_US"])),
    "CAN": ("999-999-9999", "A9A 9A9", list(STATES["en_CA"])),
    "GBR": ("99999 999999", "AA9 9AA", None),
    "DEU": ("9999 9999999", "99999", None),
    "POL": ("99 999 99 99", "99-999", None),
    "AUS": ("(99) 9999 9999", "9999", None),
}


def shape(value: str | None) -> str | None:
    if value is None:
        return None
    return re.sub("[a-z]", "a", re.sub("[A-Z]", "A", re.sub("[0-9]", "9", value)))


def _fill(template: str, rng: np.random.Generator) -> str:
    return "".join(
        str(rng.integers(10)) if c == "9" else chr(65 + rng.integers(26)) if c == "A" else c for c in template
    )


def people(seed: int, rows: int = 360) -> pd.DataFrame:
    """People of six countries: unique phone numbers and non-unique postcodes in their country's
    format, a state code only where the country has states."""
    rng = np.random.default_rng(seed)
    countries = rng.choice(list(COUNTRIES), rows)
    phones, seen = [], set()
    for c in countries:
        phone = _fill(COUNTRIES[c][0], rng)
        while phone in seen:
            phone = _fill(COUNTRIES[c][0], rng)
        seen.add(phone)
        phones.append(phone)
    pools = {c: [_fill(f[1], rng) for _ in range(20)] for c, f in COUNTRIES.items()}  # postcodes repeat, rarely
    postcodes = [str(rng.choice(pools[c])) for c in countries]
    states = [None if COUNTRIES[c][2] is None else str(rng.choice(COUNTRIES[c][2])) for c in countries]
    return pd.DataFrame(
        {
            "country": countries,
            "phone": phones,
            "postcode": postcodes,
            "state": states,
            "age": rng.integers(18, 90, rows),
        }
    )


def agreement(real: pd.DataFrame, synthetic: pd.DataFrame, column: str, parent: str = "country") -> float:
    """Share of generated rows whose (parent, format) pair occurs in the real data (null counts as a format)."""
    seen = set(zip(real[parent], real[column].map(shape)))
    return float(np.mean([(p, shape(v)) in seen for p, v in zip(synthetic[parent], synthetic[column])]))


@pytest.fixture(scope="module")
def real():
    return people(14)


@pytest.fixture(scope="module")
def model(spark, real):
    return fit(spark.createDataFrame(real), table="people")


def test_formats_follow_the_country(spark, real, model):
    by_name = {c.name: c for c in model.spec.columns}
    assert by_name["phone"].kind == "unique" and by_name["postcode"].kind == "pattern"
    assert by_name["state"].vocabulary.name == "subdivision_code"
    for name in ("phone", "postcode", "state"):
        assert by_name[name].follows is not None and by_name[name].follows.parent == "country", name
    synthetic = generate(spark, model, 6000, seed=3).toPandas()
    independent = generate(
        spark, fit(spark.createDataFrame(real), table="people", formats="none"), 6000, seed=3
    ).toPandas()
    for name in ("phone", "postcode", "state"):
        assert agreement(real, synthetic, name) == 1.0, name
        assert agreement(real, independent, name) < 0.75, name  # drawn apart from the row: mostly mismatched
    # state codes come from the country's own list (its vocabulary group), never another country's
    for country, other in (("USA", "CAN"), ("CAN", "USA")):
        drawn = set(synthetic.loc[synthetic["country"] == country, "state"])
        assert None not in drawn and len(drawn) > 8
        assert drawn <= set(COUNTRIES[country][2]), country
        assert not drawn & (set(COUNTRIES[other][2]) - set(COUNTRIES[country][2])), country


def test_a_unique_column_stays_unique_in_its_format_and_matches_the_plan(spark, model):
    """docs/plan.md §7 variants: a unique shape's value for row j is scramble(j) over the shape's
    capacity in mixed radix, keyed by mix(mix(stream ^ UNIQUE_SALT) + index + 1)."""
    rows, seed = 5000, 9
    out = generate(spark, model, rows, seed=seed, partitions=3).toPandas()
    assert out["phone"].notna().all() and out["phone"].nunique() == rows
    again = generate(spark, model, rows, seed=seed, partitions=1).toPandas()
    pd.testing.assert_frame_equal(out, again)
    plan = json.loads(compile_plan(model, rows))
    column = next(c for c in plan["columns"] if c["name"] == "phone")
    assert column["source"] == "copula" and column["unique"] is None
    variants = [v["unique_shape"] for v in column["variants"]]
    x = mix(stream(seed, column["key"]) ^ 0x5F3759DF9E3779B9)
    by_shape = {shape("".join(chr(a[0]) for a in v["alphabets"])): v for v in variants}
    for j, value in enumerate(out["phone"].tolist()[:300]):
        v = by_shape[shape(value)]
        m = scramble(j, v["capacity"], mix(x + v["index"] + 1))
        chars = []
        for alphabet in reversed(v["alphabets"]):
            chars.append(chr(alphabet[m % len(alphabet)]))
            m //= len(alphabet)
        assert value == "".join(reversed(chars)), j


def test_a_shape_without_room_for_the_rows_keeps_unique_values_and_says_so(spark, caplog):
    frame = pd.DataFrame(
        {
            "country": ["A"] * 300 + ["B"] * 300,
            "code": [f"{i:03d}" for i in range(300)] + [f"X{i:04d}" for i in range(300)],
        }
    )
    model = fit(spark.createDataFrame(frame), table="codes")
    assert next(c for c in model.spec.columns if c.name == "code").follows.parent == "country"
    with caplog.at_level(logging.WARNING, logger="spark_synth.plan.compiler"):
        out = generate(spark, model, 2000, seed=1).toPandas()
    assert "column 'code'" in caplog.text and "1,000 distinct values" in caplog.text
    assert out["code"].nunique() == 2000  # independent shapes, still unique
    small = generate(spark, model, 900, seed=1).toPandas()  # room: the format follows again
    assert agreement(frame, small, "code") == 1.0 and small["code"].nunique() == 900


def test_formats_option_is_checked(spark, real):
    with pytest.raises(ValueError, match="formats must be 'auto' or 'none'"):
        fit(spark.createDataFrame(real.head(50)), formats="sometimes")


# --- Spark-free ---------------------------------------------------------------------------------


def test_hidden_rows_go_to_kept_variants_or_the_parent_falls_back():
    # parent 1: two kept formats and 6 rows in rare cells / without a code -> spread 3:1
    # parent 2: only nulls kept, its 3 non-null rows hidden -> left out (the marginal decides)
    table = {(1, 1): 30, (1, 2): 10, (1, 3): 4, (1, 9): 2, (2, 0): 40, (2, 1): 3}
    spread = spread_outside(table, codes=4, min_count=5)
    assert spread == {(1, 1): pytest.approx(34.5), (1, 2): pytest.approx(11.5)}
    # below min_count together, hidden rows are not added
    assert spread_outside({(1, 1): 30, (1, 2): 2}, codes=3, min_count=5) == {(1, 1): 30.0}


def _column(**follows) -> dict:
    return {
        "name": "phone",
        "spark_type": '"string"',
        "kind": "pattern",
        "pattern": {
            "shapes": [
                {"shape": "999", "probability": 0.5, "positions": [None] * 3},
                {"shape": "AA", "probability": 0.5, "positions": [None] * 2},
            ]
        },
        "follows": {"parent": "country", "mutual_information": 0.5, **follows},
    }


def _file(column: dict) -> dict:
    return {
        "format": "spark_synth.model",
        "schema_version": 2,
        "created_by": "test",
        "table": {"name": "t", "row_count": 10},
        "privacy": {"min_count": 1},
        "columns": [
            {
                "name": "country",
                "spark_type": '"string"',
                "kind": "categorical",
                "values": ["A", "B"],
                "probabilities": [0.5, 0.5],
            },
            column,
        ],
        "copula": {"columns": ["country"], "correlation": [[1.0]], "bins": 8},
    }


def test_model_file_checks_format_dependencies():
    good = _column(table={"1": {"1": 1.0}, "2": {"2": 1.0}}, marginal=[0.0, 0.5, 0.5])
    model = SynthModelFile.model_validate(_file(good))
    column = model.columns[1]
    assert format_codes(column) == 3 and format_labels(column) == ["999", "AA"]
    with pytest.raises(ValueError, match="marginal has 2 shares; the column has 3 format codes"):
        SynthModelFile.model_validate(_file(_column(table={"1": {"1": 1.0}}, marginal=[0.5, 0.5])))
    with pytest.raises(ValueError, match=r"names format codes \[3\]"):
        SynthModelFile.model_validate(_file(_column(table={"1": {"3": 1.0}}, marginal=[0.0, 0.5, 0.5])))
    unknown = _file(good)
    unknown["columns"][1]["follows"]["parent"] = "nation"
    with pytest.raises(ValueError, match="follows 'nation', which is not a copula column"):
        SynthModelFile.model_validate(unknown)
    with pytest.raises(ValueError, match="row 1"):
        FormatDependency(parent="a", mutual_information=0.1, table={"1": {"1": 0.4}}, marginal=[1.0])


def test_the_realism_section_checks_each_type(spark, real, model):
    """Item 7: each typed column's validator pass rate, real and synthetic, and for a column drawn
    from a vocabulary the share of real values that chance explains."""
    from spark_synth import evaluate
    from spark_synth.evaluation.realism import chance_equal, drawn_groups, string_realism

    assert chance_equal({"a", "b"}, [(0.75, {"a", "x"}), (0.25, {"b", "y", "z", "w"})]) == pytest.approx(0.4375)

    frame = real.assign(email=[f"user{i}@example.com" for i in range(len(real))])
    synthetic = generate(spark, model, 2000, seed=5).toPandas()
    synthetic = synthetic.assign(
        email=["user@example" if i % 4 == 0 else f"u{i}@example.org" for i in range(len(synthetic))]
    )  # a quarter broken
    realism = string_realism(
        spark.createDataFrame(frame),
        spark.createDataFrame(synthetic),
        ["phone", "state", "email"],
        vocabularies={"state": "subdivision_code"},
        drawn={"state": drawn_groups(model.column("state"))},
        allowed={"state": set(COUNTRIES["USA"][2]) | set(COUNTRIES["CAN"][2])},
    )
    assert realism["phone"]["type"] == "phone" and realism["phone"]["valid"] == 1.0
    assert realism["email"]["type"] == "email" and realism["email"]["valid"] == pytest.approx(0.75, abs=0.01)
    assert realism["email"]["valid_real"] == 1.0
    state = realism["state"]
    assert state["type"] == "subdivision_code" and state["valid"] == 1.0
    assert 0 < state["chance_equal"] <= 1 and abs(state["equal_to_real"] - state["chance_equal"]) < 0.1
    report = evaluate(spark.createDataFrame(real), spark.createDataFrame(synthetic.drop(columns="email")), model)
    assert report.details["realism"]["state"]["type"] == "subdivision_code"


def test_formats_follow_the_row_in_a_relational_schema(spark, real, tmp_path):
    """Item 8: a table of a schema fits and generates its formats like a single table."""
    from spark_synth.api import generate_schema
    from spark_synth.fit.relational import fit_schema
    from spark_synth.io.schema_config import SchemaConfig

    rng = np.random.default_rng(2)
    spark.createDataFrame(real.assign(person_id=np.arange(1, len(real) + 1))).write.parquet(
        str(tmp_path / "people.parquet")
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, 1001),
            "person_id": rng.integers(1, len(real) + 1, 1000),
            "amount": rng.lognormal(3, 1, 1000).round(2),
        }
    )
    spark.createDataFrame(orders).write.parquet(str(tmp_path / "orders.parquet"))
    config = SchemaConfig.model_validate(
        {
            "tables": {
                "people": {"path": "people.parquet", "primary_key": "person_id"},
                "orders": {
                    "path": "orders.parquet",
                    "primary_key": "order_id",
                    "foreign_keys": [{"column": "person_id", "references": "people"}],
                },
            }
        }
    )
    model = fit_schema(spark, config, tmp_path)
    people = generate_schema(spark, model, scale=3, seed=4)["people"].toPandas()
    assert len(people) == 3 * len(real) and people["phone"].nunique() == len(people)
    for name in ("phone", "postcode", "state"):
        assert agreement(real, people, name) == 1.0, name
