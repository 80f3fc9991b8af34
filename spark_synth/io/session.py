"""One place that starts Spark the way spark_synth needs it."""

from __future__ import annotations

import os
import sys

from pyspark import SparkConf
from pyspark.sql import SparkSession


def get_spark(app_name: str = "spark_synth", master: str | None = None,
              conf: dict[str, str] | None = None) -> SparkSession:
    """The active session, or a new one. Under spark-submit the master comes from there; run
    directly, it defaults to local[*]. Python workers use this interpreter so they see the same
    packages (PYSPARK_PYTHON)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif "spark.master" not in dict(SparkConf().getAll()):
        builder = builder.master("local[*]")
    defaults = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false"}
    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
