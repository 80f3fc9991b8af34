"""E-mails built from the row's names (issue 14, items 3 and 6): the fit learns the formats
("G.F", "gF"...), digits and frequent domains against each row's own names; the generator builds
each row's address from the names it generated for that row; a unique column stays unique."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_plan_contract import bits, mix, scramble, stream, uniform

from spark_synth import fit, generate
from spark_synth.model.emails import build_local, fold, parse_local
from spark_synth.model.schema import EmailFromNames, SynthModelFile
from spark_synth.model.vocabulary import vocabulary_groups
from spark_synth.plan.compiler import compile_plan

UNIQUE_SALT = 0x5F3759DF9E3779B9


def model_file_with(model, column: str) -> tuple[dict, dict]:
    """The model file as JSON data, and one column's entry in it, to edit by hand."""
    data = json.loads(model.to_json())
    return data, next(c for c in data["columns"] if c["name"] == column)


@pytest.mark.parametrize(
    "local, given, family, expected",
    [
        ("ruth.conte", "Ruth", "Conte", ("G.F", 0, 0, 0)),
        ("rconte", "Ruth", "Conte", ("gF", 0, 0, 0)),
        ("pmoeller", "Peter", "Möller", ("gF", 0, 0, 0)),  # umlaut spelled out
        ("pmoller", "Peter", "Möller", ("gF", 0, 0, 0)),
        ("fan_gadbois", "Fanette", "Gadbois", ("P_F", 3, 0, 0)),
        ("martbart", "Martin", "Bartůněk", ("PQ", 4, 4, 0)),
        ("conte.ruth77", "Ruth", "Conte", ("F.G", 0, 0, 2)),
        ("Adelaide", "Adélaïde", "Leduc", ("G", 0, 0, 0)),
        ("jdtabork", "Judyta", "Borkowska", None),  # not a reading of the names
        ("rc", "Ruth", "Conte", None),  # initials alone are no name
        ("ruth1234567", "Ruth", "Conte", None),  # a long number is an id
        ("ruth.conte", None, None, None),
    ],
)
def test_a_local_part_is_read_against_its_row_names(local, given, family, expected):
    assert parse_local(local, given, family) == expected
    if expected is not None and "moeller" not in local:
        template, gp, fp, digits = expected
        assert (
            build_local(template, fold(given or ""), fold(family or ""), gp, fp) == local.lower()[: len(local) - digits]
        )


def test_folding_and_building_follow_the_written_rule():
    assert fold("Zoë-Łucja O'Brien ß") == "zoelucjaobrienss"
    assert build_local("G.F", "ruth", "", 0, 0) == "ruth"  # no separator next to a null name
    assert build_local("gF", "", "", 0, 0) == "user"
    assert build_local("P_Q", "fanette", "gadbois", 3, 10) == "fan_gadbois"


def people(rows: int, seed: int) -> pd.DataFrame:
    """People whose addresses are made from their names (45 % g.f, 25 % gf, 10 % gf + 2 digits),
    20 % not; two frequent domains and a tail of rare ones; every address unique."""
    rng = np.random.default_rng(seed)
    given = sorted(vocabulary_groups("given_name")["de_DE"] + vocabulary_groups("given_name")["en_US"])
    family = sorted(vocabulary_groups("family_name")["de_DE"] + vocabulary_groups("family_name")["en_US"])
    g, f = rng.choice(given, rows), rng.choice(family, rows)
    kinds = rng.choice(4, rows, p=[0.45, 0.25, 0.10, 0.20])
    domains = rng.choice(["mail.example", "post.example", "rare"], rows, p=[0.6, 0.3, 0.1])
    seen, addresses = set(), []
    for i in range(rows):
        a, b = fold(g[i]), fold(f[i])
        local = [f"{a}.{b}", f"{a[0]}{b}", f"{a}{b}{rng.integers(10, 99)}", "".join(rng.choice(list("qxzjkv"), 9))][
            kinds[i]
        ]
        domain = f"d{i}.example" if domains[i] == "rare" else domains[i]
        while f"{local}@{domain}" in seen:
            local += str(rng.integers(10))
        seen.add(f"{local}@{domain}")
        addresses.append(f"{local}@{domain}")
    return pd.DataFrame({"first_name": g, "last_name": f, "email": addresses, "age": rng.integers(18, 90, rows)})


@pytest.fixture(scope="module")
def real():
    return people(1500, 4)


@pytest.fixture(scope="module")
def model(spark, real):
    return fit(spark.createDataFrame(real), table="people")


def test_the_fit_learns_formats_and_frequent_domains_only(model):
    column = model.column("email")
    assert column.kind == "unique" and column.semantic == "email"
    built = column.from_names
    assert (built.given, built.family) == ("first_name", "last_name")
    assert built.share == pytest.approx(0.8, abs=0.04)
    assert set(built.templates) == {"G.F", "gF", "GF"}
    assert built.templates["G.F"] == pytest.approx(0.45 / 0.8, abs=0.05)
    assert set(built.domains) == {"mail.example", "post.example"}  # d{i}.example: each seen once
    text = model.to_json()
    assert "d7.example" not in text and "@" not in text.split('"from_names"')[1].split("}")[0]


def test_generated_addresses_are_made_from_the_row_names_unique_and_as_the_plan_says(spark, model):
    rows, seed = 4000, 11
    out = generate(spark, model, rows, seed=seed, partitions=3).toPandas()
    assert out["email"].nunique() == rows  # unique by construction (item 6)
    pd.testing.assert_frame_equal(out, generate(spark, model, rows, seed=seed, partitions=1).toPandas())
    plan = json.loads(compile_plan(model, rows))
    column = next(c for c in plan["columns"] if c["name"] == "email")
    spec = column["compose"]
    assert column["source"] == "compose" and spec["unique_width"] == 4 and spec["built_share"] == 1.0
    s = stream(seed, column["key"])
    key = mix(mix(s ^ UNIQUE_SALT) + 1)

    def pick(values: list, cumulative: list[float], draw: int, j: int):
        return values[min(int(np.searchsorted(cumulative, uniform(bits(s, j, draw)), "right")), len(values) - 1)]

    for j, row in out.head(500).iterrows():
        local = build_local(
            pick(spec["templates"], spec["template_cumulative"], 2, j),
            fold(row["first_name"]),
            fold(row["last_name"]),
            pick(spec["given_prefix"], spec["given_prefix_cumulative"], 3, j),
            pick(spec["family_prefix"], spec["family_prefix_cumulative"], 4, j),
        )
        number = str(scramble(j, 10**4, key)).rjust(4, "0")
        domain = pick(spec["domains"], spec["domain_cumulative"], 6, j)
        assert row["email"] == f"{local}{number}@{domain}", j


def test_a_repeated_address_column_keeps_the_real_share_of_built_rows(spark, real):
    """Each person twice (orders): the column is not unique, rows are built from names with the
    learned share, the rest drawn from the column's pattern; digits as often as in the real data."""
    twice = pd.concat([real, real], ignore_index=True)
    model = fit(spark.createDataFrame(twice), table="orders")
    column = model.column("email")
    assert column.kind == "pattern" and column.from_names is not None
    out = generate(spark, model, 6000, seed=2).toPandas()
    templates = list(column.from_names.templates)

    def built(row) -> bool:
        local = row["email"].split("@")[0].rstrip("0123456789")
        return any(local == build_local(t, fold(row["first_name"]), fold(row["last_name"]), 3, 4) for t in templates)

    share = float(np.mean([built(r) for _, r in out.iterrows()]))
    assert share == pytest.approx(column.from_names.share, abs=0.03)

    def ends_in_digit(frame: pd.DataFrame) -> float:
        return float(frame["email"].str.split("@").str[0].str[-1].str.isdigit().mean())

    assert ends_in_digit(out) == pytest.approx(ends_in_digit(real), abs=0.05)


def test_formats_none_or_kind_pattern_keep_the_old_behaviour(spark, real):
    frame = spark.createDataFrame(real.head(400))
    assert fit(frame, kinds={"email": "pattern"}).column("email").from_names is None
    assert fit(frame, formats="none").column("email").from_names is None


def test_model_file_checks_the_email_model(model):
    data, email = model_file_with(model, "email")
    email["from_names"]["given"] = "age"
    with pytest.raises(ValueError, match="from_names reads 'age', which is not another string column"):
        SynthModelFile.model_validate(data)
    with pytest.raises(ValueError, match=r"templates \['G\+F'\] are not name formats"):
        EmailFromNames(
            given="a",
            share=1.0,
            templates={"G+F": 1.0},
            given_prefix={"3": 1.0},
            family_prefix={"3": 1.0},
            digits={"0": 1.0},
            domains={"example.com": 1.0},
        )
    with pytest.raises(ValueError, match="uses a name column the model does not name"):
        EmailFromNames(
            given="a",
            share=1.0,
            templates={"G.F": 1.0},
            given_prefix={"3": 1.0},
            family_prefix={"3": 1.0},
            digits={"0": 1.0},
            domains={"example.com": 1.0},
        )
