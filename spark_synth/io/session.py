"""One place that starts Spark the way spark_synth needs it."""

from __future__ import annotations

import os
import sys

import pyspark
from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession

from spark_synth.io.connectors import session_settings
from spark_synth.io.quiet import log4j_options
from spark_synth.sessions import is_connect, session_time_zone

__all__ = ["get_spark", "require_spark", "is_connect", "session_time_zone"]


SKETCH_SPARK = (4, 1)  # KLL sketches and approx_top_k, which fit and evaluate use, first shipped in Spark 4.1


def require_spark(version: str, what: str) -> None:
    """Refuse a Spark without the SQL functions `what` is built on, naming both versions
    (generation needs only Spark 3.5)."""
    from spark_synth.errors import InputDataError

    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if parts < SKETCH_SPARK:
        raise InputDataError(
            f"spark_synth's {what} needs Spark {SKETCH_SPARK[0]}.{SKETCH_SPARK[1]} or later (it uses the KLL sketch and "
            f"approx_top_k functions added in 4.1); this session runs Spark {version}. Generation works on Spark 3.5: "
            f"{what} on a 4.1+ cluster and generate here"
        )


def get_spark(
    app_name: str = "spark_synth",
    master: str | None = None,
    conf: dict[str, str] | None = None,
    quiet: bool = False,
    remote: str | None = None,
) -> SparkSession:
    """The active session, or a new one. Under spark-submit the master comes from there; run
    directly, it defaults to local[*]. Python workers use this interpreter so they see the same
    packages (PYSPARK_PYTHON). quiet: a new session logs Spark's errors only (the CLI without
    --verbose). remote (or SPARK_REMOTE): a Spark Connect session to that server (`sc://host:15002`,
    or `local[2]` for a local server); the engine jar reaches it on first generation."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    remote = remote or os.environ.get("SPARK_REMOTE")
    if remote:
        builder = SparkSession.builder.remote(remote).appName(app_name)
        settings = {"spark.sql.session.timeZone": "UTC", **(conf or {})}
        if not remote.startswith("sc://"):  # a local server started here: its console is ours
            settings.setdefault("spark.ui.showConsoleProgress", "false")
            settings = session_settings(pyspark.__version__, settings)
        for key, value in settings.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
    builder = SparkSession.builder.appName(app_name)
    if os.environ.get("PYSPARK_GATEWAY_PORT"):
        # Under spark-submit the JVM (with the submitted master and settings) is already up: join
        # it first, or SparkConf() below reads an empty configuration and local[*] would win.
        SparkContext._ensure_initialized()
    if master is not None:
        builder = builder.master(master)
    elif "spark.master" not in dict(SparkConf().getAll()):
        builder = builder.master("local[*]")
    settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false", **(conf or {})}
    for side in ("driver", "executor"):
        key = f"spark.{side}.extraJavaOptions"
        current = settings.get(key) or SparkConf().get(key, "")
        if quiet and "log4j2.configurationFile" not in current:
            settings[key] = f"{current} {log4j_options()}".strip()
    engine = _engine_jar_or_none()
    if engine is not None and SparkSession.getActiveSession() is None:
        # On the classpath from the start, so driver and executors load the generation engine.
        jars = [j for j in (settings.get("spark.jars") or SparkConf().get("spark.jars", "")).split(",") if j]
        settings["spark.jars"] = ",".join(jars + [engine])
    if SparkSession.getActiveSession() is None:
        # Delta Lake and Iceberg, when scripts/setup.sh cached connectors built for this Spark line.
        settings = session_settings(pyspark.__version__, settings)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _engine_jar_or_none() -> str | None:
    """The engine jar if one exists without compiling (generate() compiles in a checkout)."""
    from spark_synth.engine.jvm import prebuilt_engine_jar

    jar = prebuilt_engine_jar()
    return None if jar is None else str(jar)
