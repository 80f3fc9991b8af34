"""Everything a user does, on a Spark Connect session (run in its own process by test_connect.py:
a local Connect server cannot share a process with the tests' classic session).

argv: output directory, relational schema config (YAML), job config (YAML). Writes what it
generated there, the evaluation's report and the message of a bad engine jar, for the test to
compare with a classic session.
"""

from __future__ import annotations

import logging
import os
import sys
from importlib import resources
from pathlib import Path

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from spark_synth import fit, generate
from spark_synth.api import generate_schema
from spark_synth.cli import main
from spark_synth.errors import SparkSynthError
from spark_synth.evaluation import evaluate
from spark_synth.fit.relational import fit_schema
from spark_synth.io import get_spark, read_table, write_output
from spark_synth.io.progress import progress
from spark_synth.io.schema_config import load_schema_config
from spark_synth.io.session import is_connect

out, schema_yaml, job_yaml = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
# the server streams stage progress every reportInterval: 100 ms, so a short job shows some
spark = get_spark(remote="local[2]", conf={"spark.connect.progress.reportInterval": "100ms"})
assert is_connect(spark), type(spark)
# a server without the engine that refuses session artifacts: one clear message, nothing written
send = spark.addArtifacts
spark.addArtifacts = lambda *paths, **kinds: (_ for _ in ()).throw(PermissionError("artifacts are disabled"))
try:
    write_output(spark.range(3), str(out / "never_written"), "parquet")
except SparkSynthError as exc:
    (out / "refused_error.txt").write_text(str(exc))
spark.addArtifacts = send
# a client pointing at a broken jar: the same
(out / "broken.jar").write_bytes(b"not a jar")
os.environ["SPARK_SYNTH_ENGINE_JAR"] = str(out / "broken.jar")
try:
    write_output(spark.range(3), str(out / "never_written"), "parquet")
except SparkSynthError as exc:
    (out / "broken_jar_error.txt").write_text(str(exc))
del os.environ["SPARK_SYNTH_ENGINE_JAR"]
sample = str(resources.files("spark_synth") / "samples" / "flights_sample.parquet")
real = read_table(spark, sample)
model = fit(real, table="flights")
model.save(out / "flights.model.json")
rows, seed = 6000, 11
write_output(generate(spark, model, rows, seed), str(out / "default_partitions"), "parquet", rows=rows)
write_output(generate(spark, model, rows, seed, partitions=5), str(out / "five_partitions.csv"), "csv")
write_output(generate(spark, model, rows, seed, where={"carrier": "UA"}), str(out / "conditioned"), "parquet")
write_output(
    generate(spark, model, rows, seed, where=["arr_delay >= 60", "time_hour < '2013-07-01 06:00'"]),
    str(out / "ranged"),
    "parquet",
)
write_output(
    generate(spark, model, rows, seed, rebalance={"origin": {"JFK": 0.5, "EWR": 0.5}}),
    str(out / "rebalanced"),
    "parquet",
)
(
    spark.read.format("spark_synth")
    .option("model", str(out / "flights.model.json"))
    .option("rows", rows)
    .option("seed", seed)
    .load()
    .write.parquet(str(out / "data_source"))
)
report = evaluate(real, spark.read.parquet(str(out / "default_partitions")), model, target="carrier")
report.save(out / "report")
config, base = load_schema_config(schema_yaml)
relational = fit_schema(spark, config, base)
relational.save(out / "star.model.json")
for name, df in generate_schema(spark, relational, 1.0, seed).items():
    write_output(df, str(out / "star" / name), "parquet")
# progress lines come from the stages the server streams to the client
messages: list[str] = []
collector = logging.Handler()
collector.emit = lambda record: messages.append(record.getMessage())
logging.getLogger("spark_synth.progress").addHandler(collector)
logging.getLogger("spark_synth.progress").setLevel(logging.INFO)
with progress(spark, "noop", 3_000_000, every=0.2):
    generate(spark, model, 3_000_000, 1, partitions=8).write.format("noop").mode("overwrite").save()
(out / "progress.txt").write_text("\n".join(messages))
assert main(["--remote", "local[2]", "run", "--config", str(job_yaml), "--date", "2026-11-21"]) == 0
print("connect session done")
