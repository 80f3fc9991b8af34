"""One SparkSession for the whole suite (local[2], UI off, few shuffle partitions, UTC)."""

from __future__ import annotations

import os
import sys
from importlib import resources

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
