"""One SparkSession for the whole suite (local[2], UI off, few shuffle partitions, UTC)."""

from __future__ import annotations

import os
import sys
from importlib import resources

import numpy as np
import pandas as pd
import pytest

os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable


@pytest.fixture(scope="session")
def spark():
    from spark_synth.io import get_spark

    session = get_spark("spark_synth tests", "local[2]", {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    })
    yield session
    session.stop()


@pytest.fixture(scope="session")
def flights_path() -> str:
    """30,000-row slice of the CC0 nycflights13 `flights` table shipped with the package."""
    return str(resources.files("spark_synth") / "samples" / "flights_sample.parquet")


@pytest.fixture(scope="session")
def flights(spark, flights_path):
    return spark.read.parquet(flights_path)


@pytest.fixture(scope="session")
def flights_model(flights):
    from spark_synth import fit

    return fit(flights, table="flights_sample")


@pytest.fixture(scope="session")
def star(spark, tmp_path_factory):
    """A small clean star schema: customers and products, orders referencing both, plus
    returns referencing orders (with 10 % orphans) — written as Parquet with a YAML config."""
    root = tmp_path_factory.mktemp("star")
    rng = np.random.default_rng(0)
    segment, age = rng.choice(["retail", "pro", "gov"], 400), rng.integers(18, 90, 400)
    skus = [f"SKU-{i:04d}" for i in rng.choice(10_000, 150, replace=False)]
    products = pd.DataFrame({"sku": skus, "price": rng.gamma(2.0, 20.0, 150).round(2)})
    popularity = rng.zipf(1.6, 4000) % 400
    # loyal customers order more: a parent column that goes with its number of children
    orders_per_customer = np.bincount(popularity, minlength=400)
    loyalty = np.round(3 * np.log1p(orders_per_customer) + rng.normal(0, 0.7, 400), 1)
    customers = pd.DataFrame({"customer_id": np.arange(1, 401), "segment": segment, "age": age,
                              "loyalty": loyalty})
    orders = pd.DataFrame({"order_id": 1_000_000 + rng.permutation(4000), "customer_id": popularity + 1,
                           "sku": rng.choice(skus, 4000), "quantity": rng.integers(1, 6, 4000)})
    returns = pd.DataFrame({"return_id": np.arange(600), "order_id": np.where(
        rng.random(600) < 0.1, 9_000_000 + np.arange(600), rng.choice(orders["order_id"], 600))})
    for name, frame in [("customers", customers), ("products", products), ("orders", orders), ("returns", returns)]:
        spark.createDataFrame(frame).write.parquet(str(root / f"{name}.parquet"))
    (root / "star.yaml").write_text("""
name: star
tables:
  customers: {path: customers.parquet, primary_key: customer_id}
  products: {path: products.parquet, primary_key: sku}
  orders:
    path: orders.parquet
    primary_key: order_id
    foreign_keys:
      - {column: customer_id, references: customers}
      - {column: sku, references: products}
  returns:
    path: returns.parquet
    primary_key: return_id
    foreign_keys:
      - {column: order_id, references: orders, orphans: faithful}
""")
    from spark_synth.fit.relational import fit_schema
    from spark_synth.io.schema_config import load_schema_config
    from spark_synth.model.relational import load_relational

    config, base = load_schema_config(root / "star.yaml")
    model = fit_schema(spark, config, base)
    model.save(root / "star.model.json")
    return root, load_relational(root / "star.model.json")
