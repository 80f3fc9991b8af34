"""Lake table formats Spark reads through a connector: Delta Lake and Apache Iceberg.

Neither ships with Spark, and each connector is built for one Spark line (Delta 4.3 for Spark
4.1, Iceberg's `iceberg-spark-runtime-4.1`): a jar on the wrong line fails deep inside Spark
with a Scala stack trace. So this module is the one pinned list (CONNECTORS, LAKE_PYSPARK) that
`scripts/setup.sh` fetches with Maven into a local cache, that `get_spark` puts on the classpath
of the sessions the project starts (only when the session's Spark line matches), and that every
clear error names (the coordinates a cluster adds with `--packages`). The connectors are never
dependencies of the wheel: on a user's cluster they come from the platform.

    python -m spark_synth.io.connectors pom        # the Maven project setup.sh copies jars with
    python -m spark_synth.io.connectors pyspark    # the PySpark of the lake test environment
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from spark_synth.errors import InputDataError

LAKE_PYSPARK = "4.1.4"  # the newest Spark both connectors below are built for (tested: tests/test_lake.py)
SETUP = "bash scripts/setup.sh (needs Maven and Maven Central)"


@dataclass(frozen=True)
class Connector:
    format: str  # the name Spark's readers and writers take
    title: str
    coordinates: str  # groupId:artifactId:version, as `spark-submit --packages` takes it
    spark_line: str  # the Spark minor version the jar is built for
    extension: str  # its SQL session extension (MERGE, time travel, procedures)
    probe: str  # a class on the classpath exactly when the connector is
    settings: dict[str, str] = field(default_factory=dict)  # what else a session needs


CONNECTORS = {
    "delta": Connector(
        "delta",
        "Delta Lake",
        "io.delta:delta-spark_2.13:4.3.1",
        "4.1",
        "io.delta.sql.DeltaSparkSessionExtension",
        "io.delta.tables.DeltaTable",
        {"spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog"},
    ),
    "iceberg": Connector(
        "iceberg",
        "Apache Iceberg",
        "org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.12.0",
        "4.1",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "org.apache.iceberg.spark.SparkCatalog",
    ),
}
LAKE_FORMATS = tuple(CONNECTORS)
# Groups Spark already ships (Hadoop, Parquet, Jackson, logging, compression codecs, Scala): the
# connectors' copies of them would shadow Spark's own, so the cache leaves them out.
SPARK_PROVIDES = (
    "org.apache.hadoop,org.apache.parquet,com.fasterxml.jackson.core,com.fasterxml.jackson.datatype,"
    "org.apache.logging.log4j,org.slf4j,org.xerial.snappy,com.github.luben,org.roaringbitmap,io.airlift,"
    "org.scala-lang,commons-logging,com.google.code.findbugs,javax.annotation"
)


def cache_dir() -> Path:
    """Where setup.sh puts the connector jars: SPARK_SYNTH_CONNECTORS_DIR, else ~/.cache/spark_synth."""
    configured = os.environ.get("SPARK_SYNTH_CONNECTORS_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "spark_synth" / "connectors"
    return base / f"spark-{LAKE_PYSPARK.rsplit('.', 1)[0]}"


def cached_jars() -> list[Path]:
    folder = cache_dir()
    return sorted(folder.glob("*.jar")) if folder.is_dir() else []


def spark_line(version: str) -> str:
    return ".".join(version.split(".")[:2])


def session_settings(spark_version: str, settings: dict[str, str]) -> dict[str, str]:
    """`settings` plus the cached connectors (jars, SQL extensions, Delta's catalog) when there are
    any and they are built for this Spark line; unchanged otherwise (a session on another line
    starts as before, and asking it for `delta` gets require_format's message)."""
    jars = cached_jars()
    lines = {c.spark_line for c in CONNECTORS.values()}
    if not jars or spark_line(spark_version) not in lines:
        return settings
    out = dict(settings)
    listed = [j for j in out.get("spark.jars", "").split(",") if j]
    out["spark.jars"] = ",".join(listed + [str(j) for j in jars])
    extensions = [e for e in out.get("spark.sql.extensions", "").split(",") if e]
    for connector in CONNECTORS.values():
        if connector.extension not in extensions:
            extensions.append(connector.extension)
        for key, value in connector.settings.items():
            out.setdefault(key, value)
    out["spark.sql.extensions"] = ",".join(extensions)
    return out


def has_class(spark, name: str) -> bool | None:
    """Whether the session's JVM loads `name` (None: cannot tell, e.g. through Spark Connect)."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:
        return None
    try:
        jvm.java.lang.Class.forName(name, False, jvm.Thread.currentThread().getContextClassLoader())
        return True
    except Exception:  # py4j wraps ClassNotFoundException
        return False


def require_format(spark, fmt: str, option: str = "--format") -> Connector:
    """The connector of `fmt`, checked to be usable by this session before any work: absent, or
    built for another Spark line than the session's, is a clear error naming the coordinates and
    the set-up step (not a Scala stack trace halfway through a write)."""
    connector = CONNECTORS[fmt]
    running = spark_line(spark.version)
    loaded = has_class(spark, connector.probe)
    if loaded is False:
        where = (
            f"fetch it for the project's own sessions with {SETUP}"
            if running == connector.spark_line
            else f"the pinned {connector.coordinates} is for Spark {connector.spark_line}: run there "
            f"(scripts/setup.sh makes .venv-lake with PySpark {LAKE_PYSPARK})"
        )
        raise InputDataError(
            f"{option} {fmt}: this Spark {spark.version} session has no {connector.title} connector; start it "
            f"with --packages {connector.coordinates} or a cluster's {connector.title} runtime built for Spark "
            f"{running}; {where}"
        )
    built = built_for(fmt, _jar_of(spark, connector.probe)) if loaded else None
    if built is not None and built != running:
        raise InputDataError(
            f"{option} {fmt}: the session's {connector.title} connector is built for Spark {built}, and the "
            f"session runs Spark {spark.version}; use the connector built for Spark {running} (this project "
            f"tests {connector.coordinates} on Spark {connector.spark_line})"
        )
    return connector


def require_iceberg_catalog(spark, table: str, option: str = "--table") -> None:
    """An Iceberg table lives in an Iceberg catalog: CATALOG.DB.NAME names one configured with
    Iceberg's class (DB.NAME: the session catalog, which must then be Iceberg's). Checked before
    the read or write, so the answer is this, not Spark's 'requires a single-part namespace'."""
    parts = table.split(".")
    catalog = parts[0] if len(parts) >= 3 else "spark_catalog"
    implementation = spark.conf.get(f"spark.sql.catalog.{catalog}", None) or ""
    if "iceberg" not in implementation.lower():
        raise InputDataError(
            f"{option} {table}: no Iceberg catalog {catalog!r} is configured in this session; set "
            f"spark.sql.catalog.{catalog}=org.apache.iceberg.spark.SparkCatalog with its type and warehouse "
            "(spark-synth --conf KEY=VALUE, spark-submit --conf, or spark-defaults.conf)"
        )


# Which Spark line each Delta Lake release line is built against (read from their POMs).
DELTA_SPARK_LINES = {"4.0": "4.0", "4.1": "4.1", "4.2": "4.1", "4.3": "4.1", "4.4": "4.2"}


def built_for(fmt: str, jar: str) -> str | None:
    """The Spark line a connector jar is built for, from its file name (None: cannot tell)."""
    name = jar.rstrip("/").rsplit("/", 1)[-1]
    if fmt == "iceberg":
        found = re.search(r"iceberg-spark-runtime-(\d+\.\d+)_", name)
        return found.group(1) if found else None
    found = re.search(r"delta-spark_2\.13-(\d+\.\d+)\.", name)
    return DELTA_SPARK_LINES.get(found.group(1)) if found else None


def _jar_of(spark, name: str) -> str:
    jvm = spark._jvm
    try:
        loader = jvm.Thread.currentThread().getContextClassLoader()
        source = jvm.java.lang.Class.forName(name, False, loader).getProtectionDomain().getCodeSource()
        return "" if source is None else str(source.getLocation().toString())
    except Exception:
        return ""


def maven_project() -> str:
    """A Maven project whose runtime dependencies are the connectors (setup.sh copies them)."""
    dependencies = "\n".join(
        "    <dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version></dependency>".format(
            *c.coordinates.split(":")
        )
        for c in CONNECTORS.values()
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n'
        "  <groupId>spark_synth</groupId><artifactId>lake-connectors</artifactId><version>1</version>\n"
        f"  <packaging>pom</packaging>\n  <dependencies>\n{dependencies}\n  </dependencies>\n</project>\n"
    )


def main(argv: list[str]) -> int:
    answers = {
        "pom": maven_project,
        "pyspark": lambda: LAKE_PYSPARK,
        "dir": lambda: str(cache_dir()),
        "excludes": lambda: SPARK_PROVIDES,
    }
    if len(argv) != 1 or argv[0] not in answers:
        print(f"usage: python -m spark_synth.io.connectors {{{'|'.join(answers)}}}", file=sys.stderr)
        return 2
    print(answers[argv[0]]().rstrip("\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
