"""A task that fails mid-write and is retried leaves output identical to a clean run, and the
run's summary says a task was retried."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from chispa import assert_df_equality

from spark_synth import generate

SCRIPT = textwrap.dedent("""
    import logging, sys
    logging.basicConfig(level=logging.INFO)  # the progress summary, as the CLI prints it
    from spark_synth import load_model
    from spark_synth.engine.run import run
    from spark_synth.plan.request import plan_request
    from spark_synth.io import get_spark, write_output
    spark = get_spark("fault injection", "local[2,4]", {"spark.ui.enabled": "false"})  # up to 4 attempts
    df = run(spark, plan_request(load_model(sys.argv[1]), 40_000), 21, partitions=4,
             options={"test.failFirstAttemptOfPartition": "2"})
    write_output(df, sys.argv[2], "parquet", "error")
""")


def test_retried_task_gives_identical_output(spark, flights_model, tmp_path):
    model = tmp_path / "m.json"
    flights_model.save(model)
    out = tmp_path / "retried"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model), str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "injected failure" in result.stderr  # the first attempt really failed
    assert "1 failed task attempt was retried" in result.stderr  # and the summary says so
    assert_df_equality(
        spark.read.parquet(str(out)),
        generate(spark, flights_model, rows=40_000, seed=21),
        ignore_row_order=True,
        ignore_nullable=True,
    )
