"""Generate into a Delta table through a Spark Connect session (run in its own process by
tests/test_lake.py: a local Connect server cannot share a process with the tests' classic session).

argv: the model file, the Delta table's path. The local server gets the connectors from
get_spark, as every session the project starts.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from spark_synth import generate, load_model
from spark_synth.io import get_spark
from spark_synth.io.lake_writes import write_lake
from spark_synth.io.session import is_connect

model_path, table = sys.argv[1], sys.argv[2]
spark = get_spark(remote="local[2]", conf={"spark.databricks.delta.snapshotPartitions": "2"})
assert is_connect(spark), type(spark)
write_lake(generate(spark, load_model(model_path), 700, seed=5), "delta", path=table, rows=700)
assert spark.read.format("delta").load(table).count() == 700
