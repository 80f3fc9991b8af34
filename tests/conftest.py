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

# The Spark drivers that tests start in processes of their own (the CLI, spark-submit, the README's
# tour, the wheel's venv, a Connect server) live for seconds to a minute: on 2 cores, the C2
# compiler's threads spend more CPU than its code saves (test_io_cli and test_first_hour: 236 ->
# 172 CPU seconds, the same wall time), and CI runs three streams of tests at once. So they run
# with the C1 compiler only (its default code cache of 48 MB fills; 240 MB is the tiered default).
# Rows do not change: Java's floating point is strict. The suite's own session runs for many
# minutes and keeps the default JIT (C1 only: 22% more wall time there), as do the benches.
PARENT_SUBMIT_OPTS = os.environ.get("SPARK_SUBMIT_OPTS")
CHILD_JIT = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
if "TieredStopAtLevel" not in (PARENT_SUBMIT_OPTS or ""):
    os.environ["SPARK_SUBMIT_OPTS"] = f"{PARENT_SUBMIT_OPTS or ''} {CHILD_JIT}".strip()


@pytest.fixture(scope="session")
def spark():
    from spark_synth.io import get_spark

    children = os.environ.get("SPARK_SUBMIT_OPTS")
    _set_env("SPARK_SUBMIT_OPTS", PARENT_SUBMIT_OPTS)  # this session: the default JIT
    try:
        session = _suite_session(get_spark)
    finally:
        _set_env("SPARK_SUBMIT_OPTS", children)
    yield session
    session.stop()


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _suite_session(get_spark):
    return get_spark(
        "spark_synth tests",
        "local[2]",
        {
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "2g",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
        },
    )


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


def fixture_model(name: str):
    """A model file fitted once by tests/fixtures/make_models.py: plan compilation, conditions and
    rules run on it without Spark (the `unit` tests)."""
    import gzip
    from pathlib import Path

    from spark_synth.model.io import SynthModel

    path = Path(__file__).parent / "fixtures" / "models" / f"{name}.model.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return SynthModel.from_json(handle.read(), str(path))


@pytest.fixture(scope="session")
def sample_model():
    """The bundled flights sample's model, as a file (no Spark): see fixture_model."""
    return fixture_model("flights_sample")


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
    customers = pd.DataFrame({"customer_id": np.arange(1, 401), "segment": segment, "age": age, "loyalty": loyalty})
    orders = pd.DataFrame(
        {
            "order_id": 1_000_000 + rng.permutation(4000),
            "customer_id": popularity + 1,
            "sku": rng.choice(skus, 4000),
            "quantity": rng.integers(1, 6, 4000),
        }
    )
    returns = pd.DataFrame(
        {
            "return_id": np.arange(600),
            "order_id": np.where(
                rng.random(600) < 0.1, 9_000_000 + np.arange(600), rng.choice(orders["order_id"], 600)
            ),
        }
    )
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


# ---------------------------------------------------------------- markers (pyproject.toml)
# Tests that start Spark in a process of their own (a CLI, spark-submit, a cluster, a wheel's venv,
# a Connect server) or take minutes; the others are `spark` when they use the session, else `unit`.
SLOW = {
    "test_wheel.py": "*",  # builds a wheel, installs it in fresh venvs (PySpark 4.3 and 3.5)
    "test_connect.py": "*",  # starts a Spark Connect server
    "test_cluster.py": "*",  # starts a standalone cluster
    "test_faults.py": "*",  # a Spark process with task retries
    "test_block.py": "*",  # 25 s of fits and generation for one property
    "test_first_hour.py": {
        "test_wide_table_fits_on_the_default_driver_memory",  # 1,000 columns, 1 GB driver
        "test_cli_is_quiet_and_fails_on_missing_inputs_before_spark_starts",
    },
    "test_io_cli.py": {"test_cli_fit_and_generate", "test_spark_submit_job_with_py_files"},
    "test_generate.py": {"test_local1_matches_local2"},  # a second Spark process
    "test_schedule.py": {"test_tables_are_registered_in_an_embedded_hive_metastore"},
}
# Tests without the `spark` fixture that still start Spark, in a subprocess of their own.
SPARK_PROCESS = {
    "test_io_cli.py": "*",
    "test_first_hour.py": "*",
}


def _listed(table: dict, item) -> bool:
    names = table.get(item.path.name, ())
    return names == "*" or item.originalname in names


def lake_unavailable() -> str:
    """Why the lake tests cannot run in this interpreter ('' when they can): they need the PySpark
    the connectors are built for (.venv-lake) and the connector jars (scripts/setup.sh)."""
    import pyspark

    from spark_synth.io.connectors import LAKE_PYSPARK, cache_dir, cached_jars, spark_line

    if spark_line(pyspark.__version__) != spark_line(LAKE_PYSPARK):
        return f"lake tests run on PySpark {LAKE_PYSPARK} in .venv-lake (scripts/test.sh runs them there)"
    if not cached_jars():
        return f"no Delta/Iceberg connectors in {cache_dir()}: run scripts/setup.sh with Maven"
    return ""


def pytest_collection_modifyitems(config, items):
    lake_reason = None
    for item in items:
        if item.get_closest_marker("lake") is not None:
            lake_reason = lake_unavailable() if lake_reason is None else lake_reason
            # Under CI a lake test that cannot run is a failure (in .venv-lake), never a silent skip.
            in_lake_env = "run on PySpark" not in lake_reason
            if lake_reason and not (os.environ.get("CI") == "true" and in_lake_env):
                item.add_marker(pytest.mark.skip(reason=lake_reason))
        if _listed(SLOW, item):
            item.add_marker(pytest.mark.slow)
        slow = item.get_closest_marker("slow") is not None  # listed above, or marked by its module
        if "spark" in item.fixturenames or _listed(SPARK_PROCESS, item) or slow:
            item.add_marker(pytest.mark.spark)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _unit_tests_start_no_spark(request):
    """A `unit` test must not start Spark: a JVM gateway that appears during one fails it (the
    suite's own session, started by an earlier `spark` test, may already be there)."""
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    if request.node.get_closest_marker("unit") is not None and before is None:
        assert SparkContext._active_spark_context is None, (
            f"{request.node.nodeid} is marked unit but started Spark: give it the `spark` fixture"
        )
