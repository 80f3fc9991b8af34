"""Relational schemas: config errors, unique primary keys, foreign keys without joins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from spark_synth.api import generate_schema
from spark_synth.errors import GenerateError, InputDataError
from spark_synth.fit.relational import fit_schema
from spark_synth.io.schema_config import SchemaConfig, check_references, load_schema_config
from spark_synth.model.relational import load_relational


def orphan_rate(child, column, parent, key):
    refs = child.where(F.col(column).isNotNull()).select(F.col(column).alias("k"))
    return refs.join(parent.select(F.col(key).alias("k")), "k", "left_anti").count() / refs.count()


@pytest.mark.parametrize("scale", [1, 10])
def test_keys_are_unique_and_foreign_keys_resolve(spark, star, scale):
    _, model = star
    tables = generate_schema(spark, model, scale=scale, seed=3)
    for name, key in [("customers", "customer_id"), ("products", "sku"), ("orders", "order_id")]:
        df = tables[name]
        assert df.count() == model.tables[name].rows * scale
        assert df.select(key).distinct().count() == df.count(), name
    assert orphan_rate(tables["orders"], "customer_id", tables["customers"], "customer_id") == 0
    assert orphan_rate(tables["orders"], "sku", tables["products"], "sku") == 0
    # faithful mode reproduces the real 10 % of returns naming unknown orders
    assert orphan_rate(tables["returns"], "order_id", tables["orders"], "order_id") == pytest.approx(
        model.tables["returns"].foreign_keys[0].orphan_fraction, abs=0.04
    )
    skus = [r.sku for r in tables["products"].select("sku").limit(20).collect()]
    assert all(len(s) == 8 and s.startswith("SKU-") and s[4:].isdigit() for s in skus)


def test_children_per_parent_follow_the_real_distribution(spark, star):
    _, model = star
    tables = generate_schema(spark, model, scale=1, seed=5)
    counts = (
        tables["customers"]
        .select("customer_id")
        .join(tables["orders"].groupBy("customer_id").count(), "customer_id", "left")
        .select(F.coalesce("count", F.lit(0)).alias("n"))
        .toPandas()["n"]
        .to_numpy()
    )
    real = np.asarray(model.tables["orders"].foreign_keys[0].children_per_parent)
    grid = np.unique(np.concatenate([real, counts]))
    cdf_real = np.searchsorted(real, grid, side="right") / len(real)
    cdf_synth = np.searchsorted(np.sort(counts), grid, side="right") / len(counts)
    assert 1 - np.max(np.abs(cdf_real - cdf_synth)) >= 0.9


def test_parent_columns_follow_their_number_of_children(spark, star):
    """customers.loyalty goes with the customer's number of orders in the real data (Spearman
    ~0.9): the child count is a hidden copula column of customers, set from the customer's
    popularity rank, so generated loyal customers are the ones with many generated orders."""
    _, model = star
    assert model.tables["customers"].child_count.child == "orders"
    assert "__spark_synth_children" not in generate_schema(spark, model, scale=1, seed=1)["customers"].columns

    def spearman(tables) -> float:
        counts = (
            tables["customers"]
            .join(tables["orders"].groupBy("customer_id").count(), "customer_id", "left")
            .select("loyalty", F.coalesce("count", F.lit(0)).alias("n"))
            .toPandas()
        )
        return counts["loyalty"].corr(counts["n"], method="spearman")

    for scale in (1, 3):
        assert spearman(generate_schema(spark, model, scale=scale, seed=4)) > 0.7


def test_same_tables_for_any_partitioning(spark, star):
    _, model = star
    one = generate_schema(spark, model, scale=2, seed=9, partitions=1)
    many = generate_schema(spark, model, scale=2, seed=9, partitions=5)
    for name in ("orders", "returns", "products"):
        assert_df_equality(one[name], many[name], ignore_row_order=True)


def config(tables: dict) -> SchemaConfig:
    return SchemaConfig.model_validate({"tables": tables})


def test_config_errors_name_the_problem(spark, star, tmp_path):
    with pytest.raises(InputDataError, match="unknown table 'nope'"):
        check_references(
            config({"a": {"path": "a", "primary_key": "id", "foreign_keys": [{"column": "x", "references": "nope"}]}})
        )
    with pytest.raises(InputDataError, match="cycle: a -> b -> a"):
        check_references(
            config(
                {
                    "a": {"path": "a", "primary_key": "id", "foreign_keys": [{"column": "b_id", "references": "b"}]},
                    "b": {"path": "b", "primary_key": "id", "foreign_keys": [{"column": "a_id", "references": "a"}]},
                }
            )
        )
    root, _ = star
    with pytest.raises(InputDataError, match=r"table 'orders' has no column\(s\) \['buyer'\]"):
        fit_schema(
            spark,
            config(
                {
                    "customers": {"path": "customers.parquet", "primary_key": "customer_id"},
                    "orders": {
                        "path": "orders.parquet",
                        "foreign_keys": [{"column": "buyer", "references": "customers"}],
                    },
                }
            ),
            root,
        )
    with pytest.raises(InputDataError, match="primary key \\['customer_id'\\] is not unique"):
        fit_schema(spark, config({"orders": {"path": "orders.parquet", "primary_key": "customer_id"}}), root)
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables: {a: {path: x, primry_key: id}}")
    with pytest.raises(InputDataError, match="primry_key"):
        load_schema_config(bad)


def test_infer_keys_proposes_the_star_schema(spark, star, tmp_path):
    from spark_synth.cli import main

    root, _ = star
    out = tmp_path / "proposed.yaml"
    paths = [str(root / f"{n}.parquet") for n in ("customers", "products", "orders", "returns")]
    assert main(["infer-keys", *paths, "--output", str(out)]) == 0
    config, base = load_schema_config(out)
    tables = config.tables
    assert tables["customers"].primary_key == "customer_id" and tables["products"].primary_key == "sku"
    assert {(fk.column, fk.references) for fk in tables["orders"].foreign_keys} == {
        ("customer_id", "customers"),
        ("sku", "products"),
    }
    (returns_fk,) = tables["returns"].foreign_keys
    assert (returns_fk.column, returns_fk.references, returns_fk.orphans) == ("order_id", "orders", "faithful")
    assert (base / tables["orders"].path).resolve() == (root / "orders.parquet").resolve()


def test_self_reference_resolves_within_the_table(spark, tmp_path):
    """employees.manager_id -> employees.employee_id: a key into the table being generated."""
    rng = np.random.default_rng(4)
    ids = np.arange(1, 501)
    managers = np.where(ids <= 10, None, rng.integers(1, 60, 500)).astype(object)
    frame = pd.DataFrame(
        {
            "employee_id": ids,
            "manager_id": pd.array(managers, dtype="Int64"),
            "salary": rng.normal(60_000, 9_000, 500).round(0),
        }
    )
    spark.createDataFrame(frame).write.parquet(str(tmp_path / "employees.parquet"))
    cfg = config(
        {
            "employees": {
                "path": "employees.parquet",
                "primary_key": "employee_id",
                "foreign_keys": [{"column": "manager_id", "references": "employees"}],
            }
        }
    )
    model = fit_schema(spark, cfg, tmp_path)
    fk = model.tables["employees"].foreign_keys[0]
    assert fk.null_fraction == pytest.approx(0.02)
    employees = generate_schema(spark, model, scale=4, seed=1)["employees"]
    assert employees.count() == 2000
    assert orphan_rate(employees, "manager_id", employees, "employee_id") == 0
    nulls = employees.where(F.col("manager_id").isNull()).count() / 2000
    assert nulls == pytest.approx(0.02, abs=0.015)


@pytest.fixture(scope="module")
def hourly(spark, tmp_path_factory):
    """Weather-like: stations, hourly readings keyed by (station_id, ts) with station_id a foreign
    key, and trips referencing a reading by (station_id, ts) — 8 % of them a reading that does not
    exist — plus station_id -> stations, implied by the composite key."""
    root = tmp_path_factory.mktemp("hourly")
    rng = np.random.default_rng(11)
    stations = pd.DataFrame({"station_id": 1000 + 7 * np.arange(40), "elevation": rng.normal(300, 80, 40)})
    start = pd.Timestamp("2024-03-01", tz="UTC")
    hours = pd.date_range(start, periods=400, freq="h")
    readings = pd.DataFrame([(s, h) for s in [1021, 1119, 1161] for h in hours], columns=["station_id", "ts"])
    readings["temp"] = rng.normal(12, 6, len(readings)).round(1)
    picks = readings.sample(3000, replace=True, random_state=1).reset_index(drop=True)
    late = rng.random(3000) < 0.08
    picks.loc[late, "ts"] = picks.loc[late, "ts"] + pd.Timedelta(days=100)
    trips = pd.DataFrame(
        {
            "trip_id": np.arange(3000),
            "station_id": picks["station_id"],
            "ts": picks["ts"],
            "minutes": rng.gamma(2.0, 9.0, 3000).round(0),
        }
    )
    for name, frame in [("stations", stations), ("readings", readings), ("trips", trips)]:
        spark.createDataFrame(frame).write.parquet(str(root / f"{name}.parquet"))
    cfg = config(
        {
            "stations": {"path": "stations.parquet", "primary_key": "station_id"},
            "readings": {
                "path": "readings.parquet",
                "primary_key": ["station_id", "ts"],
                "foreign_keys": [{"column": "station_id", "references": "stations"}],
            },
            "trips": {
                "path": "trips.parquet",
                "primary_key": "trip_id",
                "foreign_keys": [
                    {"column": "station_id", "references": "stations"},
                    {"column": ["station_id", "ts"], "references": "readings", "orphans": "faithful"},
                ],
            },
        }
    )
    check_references(cfg)
    model = fit_schema(spark, cfg, root)
    model.save(root / "hourly.model.json")
    return load_relational(root / "hourly.model.json")


def composite_orphan_rate(child, parent, columns) -> float:
    refs = child.where(F.col(columns[0]).isNotNull()).select(*columns)
    return refs.join(parent.select(*columns), columns, "left_anti").count() / refs.count()


@pytest.mark.parametrize("scale", [1, 3])
def test_composite_keys_are_unique_and_resolve(spark, hourly, scale):
    key = hourly.tables["readings"].primary_key
    assert [(c.column, c.kind, c.size) for c in key.components] == [
        ("station_id", "reference", 3),
        ("ts", "sequence", 400),
    ]
    assert key.components[1].step == 3_600_000_000  # an hour in microseconds
    tables = generate_schema(spark, hourly, scale=scale, seed=2)
    readings, trips, stations = tables["readings"], tables["trips"], tables["stations"]
    assert readings.count() == 1200 * scale
    assert readings.select("station_id", "ts").distinct().count() == readings.count()
    assert readings.select("station_id").distinct().count() == 3 * scale  # the first component grows
    assert orphan_rate(readings, "station_id", stations, "station_id") == 0
    assert dict(readings.dtypes)["ts"] == "timestamp"
    first = readings.agg(F.min("ts")).first()[0]
    assert first.replace(tzinfo=None) == pd.Timestamp("2024-03-01").to_pydatetime()
    # trips -> readings by (station_id, ts): 8 % faithful orphans, never a wrong station
    assert composite_orphan_rate(trips, readings, ["station_id", "ts"]) == pytest.approx(0.08, abs=0.03)
    assert orphan_rate(trips, "station_id", stations, "station_id") == 0


def test_composite_key_config_errors(spark):
    with pytest.raises(InputDataError, match="give as many columns as the primary key has"):
        check_references(
            config(
                {
                    "r": {"path": "r", "primary_key": ["a", "b"]},
                    "t": {"path": "t", "foreign_keys": [{"column": "a", "references": "r"}]},
                }
            )
        )
    with pytest.raises(InputDataError, match="only works when r.a is itself a foreign key to 's'"):
        check_references(
            config(
                {
                    "s": {"path": "s", "primary_key": "id"},
                    "r": {"path": "r", "primary_key": ["a", "b"]},
                    "t": {
                        "path": "t",
                        "foreign_keys": [{"column": "a", "references": "s"}, {"column": ["a", "b"], "references": "r"}],
                    },
                }
            )
        )


def test_cli_generates_a_schema_from_one_tables_row_count(spark, star, tmp_path, capsys):
    from spark_synth.cli import main

    root, _ = star
    out = tmp_path / "x"
    assert (
        main(
            [
                "generate",
                "--model",
                str(root / "star.model.json"),
                "--rows",
                "orders=8000",
                "--seed",
                "1",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert spark.read.parquet(str(out / "orders")).count() == 8000
    assert spark.read.parquet(str(out / "customers")).count() == 800  # 400 real, in proportion
    assert (
        main(
            ["generate", "--model", str(root / "star.model.json"), "--rows", "nope=5", "--output", str(tmp_path / "y")]
        )
        == 2
    )
    assert "no table 'nope'" in capsys.readouterr().err


def test_composite_and_driven_tables_are_the_same_for_any_partitioning(spark, hourly):
    one = generate_schema(spark, hourly, scale=2, seed=6, partitions=1)
    many = generate_schema(spark, hourly, scale=2, seed=6, partitions=7)
    for name in ("readings", "trips"):
        assert_df_equality(one[name], many[name], ignore_row_order=True)


def test_scheduled_schema_keeps_keys_within_each_date(spark, star, tmp_path):
    """A job's `schemas:` entry generates every table of a date from one seed: that date's orders
    reference that date's customers, the other tables follow in proportion, a rerun is identical."""
    from spark_synth.cli import main

    root, _ = star
    job = tmp_path / "job.yaml"
    job.write_text(
        f"seed: 5\noutput: lake\nschemas:\n  star:\n    model: {root / 'star.model.json'}\n"
        "    rows_per_day: {orders: 2000}\n"
    )
    assert main(["run", "--config", str(job), "--from", "2026-11-20", "--to", "2026-11-21"]) == 0
    lake = tmp_path / "lake"
    for date in ("2026-11-20", "2026-11-21"):
        orders = spark.read.parquet(str(lake / "orders" / f"date={date}"))
        customers = spark.read.parquet(str(lake / "customers" / f"date={date}"))
        assert (orders.count(), customers.count()) == (2000, 200)
        assert orphan_rate(orders, "customer_id", customers, "customer_id") == 0
    before = spark.read.parquet(str(lake / "orders" / "date=2026-11-21")).toPandas()
    assert main(["run", "--config", str(job), "--date", "2026-11-21"]) == 0
    after = spark.read.parquet(str(lake / "orders" / "date=2026-11-21"))
    assert_df_equality(spark.createDataFrame(before, after.schema), after, ignore_row_order=True)
    job.write_text(
        f"output: lake\nschemas:\n  star:\n    model: {root / 'star.model.json'}\n    rows_per_day: {{nope: 10}}\n"
    )
    assert main(["run", "--config", str(job), "--date", "2026-11-21"]) == 2


@pytest.fixture(scope="module")
def small_counts(spark, tmp_path_factory):
    """Parents with few children each: 30 % none, then 1, 2, 3 ... (issue 13: the small-count case)."""
    root = tmp_path_factory.mktemp("small_counts")
    rng = np.random.default_rng(3)
    counts = rng.choice(np.arange(9), 600, p=[0.30, 0.24, 0.17, 0.12, 0.07, 0.04, 0.03, 0.02, 0.01])
    shops = pd.DataFrame({"shop_id": np.arange(600), "region": rng.choice(["n", "s", "e", "w"], 600)})
    visits = pd.DataFrame(
        {
            "visit_id": np.arange(counts.sum()),
            "shop_id": np.repeat(np.arange(600), counts),
            "minutes": rng.integers(1, 90, counts.sum()),
        }
    )
    for name, frame in [("shops", shops), ("visits", visits)]:
        spark.createDataFrame(frame).write.parquet(str(root / f"{name}.parquet"))
    (root / "s.yaml").write_text(
        "name: s\ntables:\n  shops: {path: shops.parquet, primary_key: shop_id}\n"
        "  visits:\n    path: visits.parquet\n    primary_key: visit_id\n"
        "    foreign_keys:\n      - {column: shop_id, references: shops}\n"
    )
    config, base = load_schema_config(root / "s.yaml")
    return fit_schema(spark, config, base), np.bincount(counts, minlength=9) / 600


@pytest.mark.parametrize("scale", [1, 3])
def test_small_child_counts_keep_their_exact_shares(spark, small_counts, scale):
    model, real_shares = small_counts
    tables = generate_schema(spark, model, scale=scale, seed=8)
    counts = (
        tables["shops"]
        .select("shop_id")
        .join(tables["visits"].groupBy("shop_id").count(), "shop_id", "left")
        .select(F.coalesce("count", F.lit(0)).alias("n"))
        .toPandas()["n"]
        .to_numpy()
    )
    shares = np.bincount(counts, minlength=9)[:9] / len(counts)
    assert abs(shares[0] - real_shares[0]) <= 0.01, shares  # zeros included
    ks = np.max(np.abs(np.cumsum(shares) - np.cumsum(real_shares)))
    assert 1 - ks >= 0.97, (shares, real_shares)


def test_declared_rules_in_a_schema_config(spark, star, tmp_path):
    """A table's `rules:` are declared rules: one the real rows break is refused with its share,
    naming the table, unless `force_rules: true` (then it holds in every generated row of its
    table); a rule naming an unknown column is refused before any table is fitted."""
    from spark_synth.sql.rules import rule_counts

    root, _ = star
    config, base = load_schema_config(root / "star.yaml")

    def declaring(table: str, rules: list[str], force: bool = False) -> SchemaConfig:
        changed = config.tables[table].model_copy(update={"rules": rules, "force_rules": force})
        return config.model_copy(update={"tables": {**config.tables, table: changed}})

    text = "age -> segment"  # segments were drawn apart from age
    with pytest.raises(InputDataError, match=r"customers.*age -> segment"):
        fit_schema(spark, declaring("customers", [text]), base)
    with pytest.raises(InputDataError, match=r"orders.*nope"):
        fit_schema(spark, declaring("orders", ["quantity <= nope"]), base)
    model = fit_schema(spark, declaring("customers", [text], force=True), base)
    rules = [r for r in model.tables["customers"].model.rules if r.text().startswith(text)]
    assert len(rules) == 1
    rows = generate_schema(spark, model, scale=1, seed=4)["customers"]
    count = rule_counts(rows, rules)[0]
    assert count.rows > 0 and count.held == count.rows


def test_conditions_on_a_child_and_on_a_parent(spark, star):
    """A child's condition works as on a single table; a parent's keeps its row count and keys, so
    its children (as many as without it) reference only parents that exist — all satisfying it."""
    _, model = star
    plain = generate_schema(spark, model, scale=2, seed=3)
    tables = generate_schema(
        spark, model, scale=2, seed=3, where={"orders": ["quantity >= 3"], "customers": {"segment": "pro"}}
    )
    orders, customers = tables["orders"].toPandas(), tables["customers"].toPandas()
    assert len(orders) == plain["orders"].count() and (orders.quantity >= 3).all()
    assert len(customers) == plain["customers"].count() and set(customers.segment) == {"pro"}
    assert orphan_rate(tables["orders"], "customer_id", tables["customers"], "customer_id") == 0
    assert orphan_rate(tables["orders"], "sku", tables["products"], "sku") == 0
    assert tables["products"].exceptAll(plain["products"]).count() == 0  # unconditioned tables are unchanged


@pytest.mark.parametrize(
    "where, message",
    [
        ({"orders": ["customer_id = 3"]}, r"orders.customer_id: a key column"),
        ({"order": ["quantity >= 3"]}, "no such table"),
        ({"orders": ["quantity >= 99"]}, "outside the values the model learned"),
        (["quantity >= 3"], "per table"),
    ],
)
def test_bad_schema_conditions_are_named(spark, star, where, message):
    _, model = star
    with pytest.raises(GenerateError, match=message):
        generate_schema(spark, model, scale=1, seed=3, where=where)


def test_cli_conditions_on_a_schema(spark, star, tmp_path, capsys):
    from spark_synth.cli import main

    root, _ = star
    out = tmp_path / "x"
    assert (
        main(
            [
                "generate",
                "--model",
                str(root / "star.model.json"),
                "--scale",
                "1",
                "--where",
                "orders: quantity between 2 and 4",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert spark.read.parquet(str(out / "orders")).where("quantity < 2 OR quantity > 4").count() == 0
    assert (
        main(
            [
                "generate",
                "--model",
                str(root / "star.model.json"),
                "--scale",
                "1",
                "--where",
                "quantity >= 2",
                "--output",
                str(tmp_path / "y"),
            ]
        )
        == 2
    )
    assert "TABLE: CONDITION" in capsys.readouterr().err and not (tmp_path / "y").exists()
