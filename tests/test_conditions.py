"""Conditions (issue 16, first part): categorical values, sets and nulls, exact on the tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import fixture_model

from spark_synth import fit, generate
from spark_synth.cli import main
from spark_synth.errors import GenerateError
from spark_synth.model.marginals import UniformScale
from spark_synth.plan.request import plan_request
from spark_synth.plan.steer.conditions import conditions_of, parse_where
from spark_synth.plan.steer.rebalance import allocate, parse_rebalance
from spark_synth.plan.steer.tree import condition_tree

REGIONS = {
    "north": ["Oslo", "Bergen", "Tromso"],
    "south": ["Rome", "Naples"],
    "east": ["Riga", "Tallinn", "Vilnius", "Minsk"],
    "west": ["Lisbon", "Porto"],
}


def towns_table(rows: int = 6000, seed: int = 0) -> pd.DataFrame:
    """region -> city (each city in one region), size follows the city, price the size; a
    nullable note; a numeric column beside them."""
    rng = np.random.default_rng(seed)
    cities = [(r, c) for r, cs in REGIONS.items() for c in cs]
    weights = rng.dirichlet(np.ones(len(cities)) * 3)
    picked = rng.choice(len(cities), rows, p=weights)
    size = np.where(rng.random(rows) < 0.2 + 0.06 * picked, "large", "small")
    return pd.DataFrame(
        {
            "region": [cities[i][0] for i in picked],
            "city": [cities[i][1] for i in picked],
            "size": size,
            "price": np.round(np.where(size == "large", 300, 100) * rng.lognormal(0, 0.3, rows), 2),
            "note": np.where(rng.random(rows) < 0.3, None, np.where(rng.random(rows) < 0.5, "a", "b")),
        }
    )


@pytest.fixture(scope="module")
def towns(spark):
    real = towns_table()
    return real, fit(spark.createDataFrame(real), table="towns")


@pytest.fixture(scope="module")
def towns_model():
    """A fit of towns_table() stored as a file (tests/fixtures): the conditions' algebra without Spark."""
    return fixture_model("towns")


@pytest.fixture
def towns_file(towns, tmp_path):
    path = tmp_path / "towns.json"
    towns[1].save(path)
    return path


def test_texts_and_dicts_parse_alike():
    assert parse_where(["city = Oslo", "region in (north, 'south')", "note is null", "`size` is not null"]) == [
        ("city", "Oslo"),
        ("region", ["north", "south"]),
        ("note", None),
        ("size", "not null"),
    ]
    assert parse_where({"city": "Oslo", "region": ["north", "south"], "note": None}) == [
        ("city", "Oslo"),
        ("region", ["north", "south"]),
        ("note", None),
    ]
    with pytest.raises(GenerateError, match="not understood"):
        parse_where(["city ~ Oslo"])


@pytest.mark.parametrize(
    "where, message",
    [
        ({"town": "Oslo"}, "no such column"),
        ({"city": "Paris"}, "'Paris' is not a value the model holds.*privacy threshold"),
        ({"price": ["100"]}, "set of values on a continuous column"),
        ({"city": []}, "empty set"),
        (["city = Oslo", "city = Rome"], "contradict each other"),
        ({"region": None}, "never null"),
    ],
)
def test_bad_conditions_are_named(towns_model, where, message):
    model = towns_model
    with pytest.raises(GenerateError, match=message):
        condition_tree(model, conditions_of(model, where))


def test_conditions_the_model_makes_impossible_are_refused(towns_model):
    model = towns_model
    with pytest.raises(GenerateError, match="cannot hold together"):
        condition_tree(model, conditions_of(model, {"region": "north", "city": "Rome"}))


def test_conditions_in_two_independent_parts_each_warp_their_root(spark, towns):
    """note is independent of the rest (its own part of the forest): both roots are warped, each
    first in the Cholesky factor, and every row meets both conditions."""
    _, model = towns
    tree = condition_tree(model, conditions_of(model, {"region": "north", "note": "a"}))
    assert len(tree.warps) == 2
    rows = generate(spark, model, 3_000, seed=2, where={"region": "north", "note": "a"}).toPandas()
    assert set(rows.region) == {"north"} and set(rows.note) == {"a"}


def test_conditions_on_two_correlated_roots_are_refused(towns_model):
    """A correlation between the two roots (edited into the model) is refused."""
    model = towns_model
    tree = condition_tree(model, conditions_of(model, {"region": "north", "note": "a"}))
    assert len(tree.warps) == 2
    raw = model.to_dict()
    columns = raw["copula"]["columns"]
    a, b = (columns.index(r) for r in tree.warps)
    raw["copula"]["correlation"][a][b] = raw["copula"]["correlation"][b][a] = 0.4
    correlated = type(model).from_dict(raw)
    with pytest.raises(GenerateError, match=r"two parts of the model whose roots .* are correlated \(r = 0.40\)"):
        condition_tree(correlated, conditions_of(correlated, {"region": "north", "note": "a"}))


def test_every_row_satisfies_the_condition_and_the_count_is_exact(spark, towns):
    _, model = towns
    rows = generate(spark, model, 7_777, seed=3, where={"region": ["north", "west"], "size": "large"}).toPandas()
    assert len(rows) == 7_777
    assert set(rows.region) == {"north", "west"} and set(rows["size"]) == {"large"}
    assert set(rows.city) <= set(REGIONS["north"] + REGIONS["west"])


def test_a_condition_on_a_child_moves_its_parent_and_the_rest(spark, towns):
    """city is a child of region (or region of city): either way `city = Naples` gives region
    south only, and size / price follow the real rows of Naples."""
    real, model = towns
    rows = generate(spark, model, 20_000, seed=5, where=["city = Naples"]).toPandas()
    assert set(rows.city) == {"Naples"} and set(rows.region) == {"south"}
    naples = real[real.city == "Naples"]
    assert abs((rows["size"] == "large").mean() - (naples["size"] == "large").mean()) < 0.04
    assert abs(rows.price.median() / naples.price.median() - 1) < 0.15


def test_the_root_takes_its_posterior_exactly(towns_model):
    """The warp gives each root code prior * likelihood of the evidence, normalized: recomputed
    here by brute force over the tree's tables (every path from the root to the evidence)."""
    model = towns_model
    spec = model.spec
    conditions = conditions_of(model, {"size": "large"})
    tree = condition_tree(model, conditions)
    scales = {n: UniformScale(model.column(n), spec.copula.bins) for n in spec.copula.columns}
    parent = {d.child: d for d in spec.dependencies}

    def likelihood(node: str, code: int) -> float:
        """P(size = large | node = code) over node's subtree."""
        value = 1.0
        if node == "size":
            value = float(code == model.column("size").values.index("large") + 1)
        for child, d in ((c, d) for c, d in parent.items() if d.parent == node):
            row = d.table.get(str(code)) or {str(k): float(m) for k, m in enumerate(np.diff(scales[child].edges))}
            value *= sum(float(q) * likelihood(child, int(c)) for c, q in row.items())
        return value

    prior = np.diff(scales[tree.root].edges)
    expected = prior * np.array([likelihood(tree.root, k) for k in range(len(prior))])
    expected /= expected.sum()
    assert np.allclose(np.diff(tree.warp_from), expected, atol=1e-9)


def test_same_rows_on_any_partition_count(spark, towns):
    _, model = towns
    one = generate(spark, model, 3_000, seed=9, partitions=1, where={"city": ["Oslo", "Riga"]}).collect()
    four = generate(spark, model, 3_000, seed=9, partitions=4, where={"city": ["Oslo", "Riga"]}).collect()
    assert one == four


def test_cli_where_and_its_errors(spark, towns_file, tmp_path, capsys):
    path, out = towns_file, tmp_path / "out"
    assert (
        main(
            [
                "generate",
                "--model",
                str(path),
                "--rows",
                "500",
                "--where",
                "region = east",
                "--where",
                "size is not null",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    rows = spark.read.parquet(str(out)).toPandas()
    assert len(rows) == 500 and set(rows.region) == {"east"}
    assert (
        main(
            [
                "generate",
                "--model",
                str(path),
                "--rows",
                "500",
                "--where",
                "note is null",
                "--output",
                str(tmp_path / "nulls"),
            ]
        )
        == 0
    )
    assert spark.read.parquet(str(tmp_path / "nulls")).toPandas().note.isna().all()
    bad = tmp_path / "bad"
    assert (
        main(["generate", "--model", str(path), "--rows", "500", "--where", "city = Paris", "--output", str(bad)]) == 2
    )
    assert "Paris" in capsys.readouterr().err and not bad.exists()


def test_the_conditioned_root_follows_docs_plan_md(spark, towns):
    """§13 recomputed in Python: the conditioned root's code at row j is the code of
    warp(openUniform(bits(stream, j))) on its edges (it is root 0 of the Cholesky factor)."""
    import bisect
    import json

    from test_plan_contract import bits, stream

    from spark_synth.plan.compiler import compile_plan

    _, model = towns
    seed, rows, where = 4, 2_000, {"size": "large"}
    plan = json.loads(compile_plan(model, rows, conditions=conditions_of(model, where)))
    root = next(v for v in plan["copula"]["variables"] if v["warp"] is not None)
    assert root["root"] == 0
    column = plan["columns"][root["column"]]
    f, t = root["warp"]["from"], root["warp"]["to"]

    def warp(u: float) -> float:
        lo, hi = 0, len(f) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if f[mid] <= u else (lo, mid)
        width = f[hi] - f[lo]
        return t[lo] + ((u - f[lo]) / width if width > 0 else 0.0) * (t[hi] - t[lo])

    expected = [
        bisect.bisect_right(root["edges"], warp(((bits(stream(seed, column["key"]), j) >> 11) + 0.5) * 2.0**-53)) - 1
        for j in range(rows)
    ]
    written = generate(spark, model, rows, seed, where=where).toPandas()[column["name"]]
    spec = model.column(column["name"])
    scale = UniformScale(spec, model.spec.copula.bins)
    if scale.numeric:
        codes, _ = scale.numeric_codes_and_u(written.to_numpy(dtype=float), written.isna().to_numpy())
    else:
        codes = [0 if v is None or v != v else spec.values.index(v) + 1 for v in written]
    assert list(codes) == expected


# --- rebalancing --------------------------------------------------------------------------------


def test_rebalanced_counts_are_exact_and_the_rest_follows_each_value(spark, towns):
    """size is ~28 % large in the real rows; rebalanced to 50/50 over an odd row count the
    counts are 5,001 / 5,000 exactly, and each value's rows keep their own price level."""
    real, model = towns
    rows = generate(spark, model, 10_001, seed=2, rebalance={"size": {"large": 0.5, "small": 0.5}}).toPandas()
    assert rows["size"].value_counts().to_dict() == {"large": 5_001, "small": 5_000}
    for size in ("large", "small"):
        ratio = rows[rows["size"] == size].price.median() / real[real["size"] == size].price.median()
        assert abs(ratio - 1) < 0.15, (size, ratio)


def test_rebalanced_rows_are_the_same_on_any_partitioning_with_unique_streams(spark, towns):
    _, model = towns
    shares = {"region": {"north": 0.25, "south": 0.25, "east": 0.25, "west": 0.25}}
    one = generate(spark, model, 4_000, seed=6, partitions=1, rebalance=shares).collect()
    many = generate(spark, model, 4_000, seed=6, partitions=7, rebalance=shares).collect()
    assert one == many
    assert len({tuple(r) for r in one}) > 3_900  # the ranges draw from different rows' streams


@pytest.mark.parametrize(
    "rebalance, message",
    [
        ({"size": {"large": 0.7, "small": 0.2}}, "sum to 1"),
        ({"size": {"large": 1.5, "small": -0.5}}, ">= 0"),
        ({"size": {"huge": 1.0}}, "'huge' is not a value"),
        ({"size": {"large": 0.5}, "city": {"Oslo": 1.0}}, "one column"),
        ({"price": {"1": 1.0}}, "not supported yet"),
    ],
)
def test_bad_rebalancing_is_named(towns_model, rebalance, message):
    with pytest.raises(GenerateError, match=message):
        plan_request(towns_model, 100, rebalance=rebalance)


def test_rebalancing_cuts_the_rows_into_exact_ranges(towns_model):
    """One scan per value, in the order given, counts by largest remainder, each range starting
    where the previous ends, every plan compiled for the whole output's rows."""
    scans = plan_request(towns_model, 10_001, where="region = north", rebalance={"size": {"large": 0.5, "small": 0.5}})
    assert [(s.first, s.rows) for s in scans] == [(0, 5_001), (5_001, 5_000)]
    assert scans[0].plan != scans[1].plan
    assert scans == plan_request(
        towns_model, 10_001, where="region = north", rebalance={"size": {"large": 0.5, "small": 0.5}}
    )  # pure: the same plans again
    assert allocate({"a": 0.2, "b": 0.3, "c": 0.5}, 7) == [("a", 1), ("b", 2), ("c", 4)]
    assert parse_rebalance("status=1:0.5, 0:0.5") == {"status": {"1": 0.5, "0": 0.5}}


def test_cli_rebalance(spark, towns_file, tmp_path, capsys):
    path, out = towns_file, tmp_path / "out"
    assert (
        main(
            [
                "generate",
                "--model",
                str(path),
                "--rows",
                "901",
                "--rebalance",
                "size=large:0.6,small:0.4",
                "--where",
                "region = north",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    rows = spark.read.parquet(str(out)).toPandas()
    assert rows["size"].value_counts().to_dict() == {"large": 541, "small": 360} and set(rows.region) == {"north"}
    assert (
        main(
            [
                "generate",
                "--model",
                str(path),
                "--rows",
                "10",
                "--rebalance",
                "size=large:0.6,small:0.6",
                "--output",
                str(tmp_path / "bad"),
            ]
        )
        == 2
    )
    assert "sum to 1" in capsys.readouterr().err


# --- conditions on columns rules write ----------------------------------------------------------


def test_a_condition_on_a_mapped_column_holds_after_the_rules(spark, flights_model):
    """carrier is written by `tailnum -> carrier` after the draw: the condition moves to tailnum
    (the planes of UA, and tailnums the mapping does not hold), so every row is UA — conditioning
    the drawn carrier alone left planes of other carriers in the rows."""
    assert any(r.text().startswith("tailnum -> carrier") for r in flights_model.spec.rules)
    rows = generate(spark, flights_model, 20_000, seed=2, where={"carrier": "UA"}).toPandas()
    assert set(rows.carrier) == {"UA"}


def test_a_condition_on_a_computed_column_is_refused(spark):
    from test_rules import rules_table

    model = fit(spark.createDataFrame(rules_table(rows=2000)).replace(float("nan"), None), table="rules")
    assert "(region, kind) -> price (20 values)" in [r.text() for r in model.spec.rules]
    with pytest.raises(GenerateError, match=r"price.*\(region, kind\) -> price.*condition the columns it reads"):
        condition_tree(model, conditions_of(model, {"price": "20"}))
