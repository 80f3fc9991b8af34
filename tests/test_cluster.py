"""A real Spark standalone cluster on 127.0.0.1 (scripts/cluster.sh): jobs/generate.py submitted
to it writes exactly the rows local mode generates."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pyspark
import pytest
from chispa import assert_df_equality

from spark_synth import generate
from spark_synth.engine.jvm import engine_jar

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    state = tmp_path_factory.mktemp("cluster")
    env = dict(
        os.environ,
        SPARK_SYNTH_CLUSTER_DIR=str(state),
        PYTHON=sys.executable,
        SPARK_SYNTH_MASTER_PORT="7277",
        SPARK_SYNTH_UI_PORT="8280",
    )
    started = subprocess.run(
        ["bash", str(ROOT / "scripts" / "cluster.sh"), "start"], env=env, capture_output=True, text=True, timeout=180
    )
    assert started.returncode == 0, started.stderr
    yield started.stdout.strip()
    subprocess.run(["bash", str(ROOT / "scripts" / "cluster.sh"), "stop"], env=env, timeout=60)


def generate_job(cluster: str, model, rows: int, partitions: int, out) -> list[str]:
    """spark-submit of jobs/generate.py to the test cluster (seed 11)."""
    submit = pathlib.Path(pyspark.__file__).parent / "bin" / "spark-submit"
    return [
        str(submit),
        "--master",
        cluster,
        "--jars",
        str(engine_jar()),
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        f"spark.pyspark.python={sys.executable}",
        "--executor-memory",
        "1g",
        str(ROOT / "jobs" / "generate.py"),
        "--model",
        str(model),
        "--rows",
        str(rows),
        "--seed",
        "11",
        "--partitions",
        str(partitions),
        "--output",
        str(out),
    ]


def test_standalone_cluster_generates_the_same_rows_as_local(spark, flights_model, cluster, tmp_path):
    assert cluster.startswith("spark://127.0.0.1:")
    model = tmp_path / "m.json"
    flights_model.save(model)
    out = tmp_path / "cluster_out"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    result = subprocess.run(
        generate_job(cluster, model, 30000, 5, out),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_df_equality(
        spark.read.parquet(str(out)),
        generate(spark, flights_model, rows=30000, seed=11),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_an_executor_killed_mid_write_changes_no_row_and_the_summary_says_so(spark, flights_model, cluster, tmp_path):
    """One of the two executors is killed while the job writes: Spark reruns its tasks on a new
    executor, the output equals local mode's rows, and the closing line reports the rescue."""
    import time

    from spark_synth.engine.run import run
    from spark_synth.plan.request import plan_request

    model = tmp_path / "m.json"
    flights_model.save(model)
    out = tmp_path / "rescued"
    rows = 1_500_000
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    log = open(tmp_path / "job.log", "w")  # noqa: SIM115 - a file, not a pipe: Spark's log would fill a pipe nobody reads yet
    job = subprocess.Popen(
        generate_job(cluster, model, rows, 16, out),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 300
        executors: list[str] = []
        while time.time() < deadline and job.poll() is None:
            written = [p for p in tmp_path.rglob("*.parquet") if ".rescued.staging-" in str(p)]
            executors = subprocess.run(
                ["pgrep", "-f", "CoarseGrainedExecutorBackend"], capture_output=True, text=True
            ).stdout.split()
            if len(written) >= 3 and executors:
                break
            time.sleep(0.2)
        assert job.poll() is None and executors, f"the job is still writing, on executors {executors}"
        subprocess.run(["kill", "-9", executors[0]], check=True)
        job.wait(timeout=600)
    finally:
        job.kill()
        log.close()
    stderr = (tmp_path / "job.log").read_text()
    assert job.returncode == 0, stderr[-3000:]
    assert "executor lost" in stderr or "failed task attempt" in stderr, stderr[-3000:]
    written = spark.read.parquet(str(out))
    expected = run(spark, plan_request(flights_model, rows), 11)
    assert written.count() == rows and written.exceptAll(expected).isEmpty()
