"""The JVM generation engine: Java sources compiled into a jar that ships inside the wheel.

Why Java: generation must outpace Spark's own rand() columns by a useful fraction, and any
Python sampler is capped by the Arrow hand-off to the JVM (about 2 M rows/s for a 19-column table
on 2 cores, measured). The engine writes straight into Spark's columnar batches instead.

Where the jar comes from, first match wins:
1. SPARK_SYNTH_ENGINE_JAR: a jar you point at (checked to be one);
2. the jar inside the installed package (`spark_synth/jars/`, compiled when the wheel was built;
   nothing is compiled at run time, a Java runtime is enough);
3. in a source checkout only: compiled with the JDK's javac against the installed PySpark on first
   use, into ~/.cache/spark_synth (or SPARK_SYNTH_ENGINE_DIR), named by a digest of the sources.
`spark-synth engine-jar` prints the path, for `spark-submit --jars "$(spark-synth engine-jar)"`.
"""

from __future__ import annotations

import os
import zipfile
from importlib import resources
from pathlib import Path

from spark_synth.engine.jvm.build import EngineBuildError, build_jar, jar_spark_version, source_digest, sources
from spark_synth.errors import GenerateError
from spark_synth.sessions import is_connect

ENGINE_CLASS = "org.sparksynth.engine.SynthDataSource"
SERVER_OPS_CLASS = "org.sparksynth.engine.ServerOps"
ENGINE_SHORT_NAME = "spark_synth_engine"
ENGINE_ENTRY = "org/sparksynth/engine/SynthDataSource.class"
OVERRIDE = "SPARK_SYNTH_ENGINE_JAR"


def bundled_jar() -> Path | None:
    """The jar shipped inside the installed package, if this is an installed wheel."""
    folder = resources.files("spark_synth") / "jars"
    if not folder.is_dir():
        return None
    jars = sorted(
        Path(str(p)) for p in folder.iterdir() if p.name.startswith("spark-synth-engine") and p.name.endswith(".jar")
    )
    return jars[-1] if jars else None


def _checkout_jar() -> Path | None:
    """Where a source checkout keeps its compiled jar (None outside a checkout)."""
    files = sources()
    if not files:
        return None
    cache = Path(os.environ.get("SPARK_SYNTH_ENGINE_DIR") or Path.home() / ".cache" / "spark_synth")
    return cache / f"spark-synth-engine-{source_digest(files)}.jar"


def engine_jar(build: bool = True) -> Path:
    """The engine jar (see the module docstring); in a source checkout it is compiled when
    `build` allows and it is missing."""
    override = os.environ.get(OVERRIDE)
    if override:
        return _checked(Path(override))
    bundled = bundled_jar()
    if bundled is not None:
        return bundled
    compiled = _checkout_jar()
    if compiled is not None and (compiled.is_file() or build):
        if not compiled.is_file():
            try:
                build_jar(compiled)
            except EngineBuildError as exc:
                raise GenerateError(f"{exc}; or set {OVERRIDE} to a prebuilt engine jar") from None
        return compiled
    raise GenerateError(
        "this spark_synth has no generation engine: install the spark_synth wheel (it carries the engine jar) "
        f"or set {OVERRIDE} to an engine jar built by `spark-synth engine-jar` elsewhere"
    )


def prebuilt_engine_jar() -> Path | None:
    """The engine jar if one exists without compiling anything (None otherwise)."""
    try:
        return engine_jar(build=False)
    except GenerateError:
        return None


def _checked(path: Path) -> Path:
    if not path.is_file():
        raise GenerateError(f"{OVERRIDE}={path} does not exist; point it at a spark_synth engine jar or unset it")
    try:
        with zipfile.ZipFile(path) as archive:
            archive.getinfo(ENGINE_ENTRY)
    except (zipfile.BadZipFile, KeyError):
        raise GenerateError(
            f"{OVERRIDE}={path} is not a spark_synth engine jar (no {ENGINE_ENTRY}); point it at "
            "the jar `spark-synth engine-jar` prints, or unset it"
        ) from None
    return path


def loads_into(built: str, running: str) -> bool:
    """Whether a jar compiled against Spark `built` runs on Spark `running`: the same major line,
    or Spark 3.5 for a 4.x jar (the engine uses only APIs 3.5 and 4.x share: measured, same rows)."""
    major = running.split(".")[0]
    return major == built.split(".")[0] or (built.startswith("4.") and running.startswith("3.5."))


def check_spark_line(jar: Path, spark_version: str) -> None:
    """A jar compiled against one Spark line does not load into another: say so."""
    built = jar_spark_version(jar)
    if built and not loads_into(built, spark_version):
        raise GenerateError(
            f"spark_synth's engine jar {jar} was built for Spark {built} and does not load into this session's "
            f"Spark {spark_version}: run spark_synth on Spark 3.5 or 4.x, or set {OVERRIDE} to an engine jar "
            f"built for Spark {spark_version.split('.')[0]}.x"
        )


def ensure_engine(spark) -> None:
    """Make the engine loadable in this session, or fail with what to do. Classic: ADD JAR if the
    session started without it. Spark Connect: the jar goes to the server as a session artifact
    (spark.addArtifacts) unless the server has it already (--jars)."""
    if is_connect(spark):
        _ensure_engine_connect(spark)
        return
    utils = spark._jvm.org.apache.spark.util.Utils
    if utils.classIsLoadable(ENGINE_CLASS):
        return  # on the classpath already (--jars, get_spark): the engine checks its Spark line itself
    jar = engine_jar()
    check_spark_line(jar, spark.version)
    spark.sql(f"ADD JAR '{jar}'")
    if not utils.classIsLoadable(ENGINE_CLASS):
        raise GenerateError(
            f"the Spark session cannot load spark_synth's engine ({ENGINE_CLASS}). Start Spark with "
            f"--jars {jar} (the path `spark-synth engine-jar` prints), or create the session with "
            "spark_synth.io.get_spark()"
        )


_CONNECT_READY: set[str] = set()  # Connect session ids whose server loads the engine


def _ensure_engine_connect(spark) -> None:
    if spark.session_id in _CONNECT_READY:
        return
    versions = _server_engine_versions(spark)
    if versions is None:
        jar = engine_jar()
        check_spark_line(jar, spark.version)
        try:
            spark.addArtifacts(str(jar))
        except Exception as exc:  # the server's refusal comes as one of several gRPC/Spark errors
            raise GenerateError(
                f"the Spark Connect server did not accept spark_synth's engine jar ({_first_line(exc)}); start "
                f"the server with --jars {jar} (the path `spark-synth engine-jar` prints) or allow session "
                "artifacts"
            ) from None
        versions = _server_engine_versions(spark)
        if versions is None:
            raise GenerateError(
                f"the Spark Connect server cannot load spark_synth's engine after receiving {jar}; start the server "
                "with --jars pointing at that jar (`spark-synth engine-jar`)"
            )
    built, running = versions
    if built not in ("", "null") and not loads_into(built, running):
        raise GenerateError(
            f"the Spark Connect server loads a spark_synth engine built for Spark {built}, but runs Spark {running}; "
            f"give the server the engine jar of a spark_synth built for Spark {running.split('.')[0]}.x"
        )
    _CONNECT_READY.add(spark.session_id)


def _server_engine_versions(spark) -> tuple[str, str] | None:
    """(Spark the engine was built for, Spark the server runs), or None when the server has no engine."""
    from pyspark.errors import PySparkException

    try:
        result = spark.read.format(SERVER_OPS_CLASS).option("op", "version").load().collect()[0][0]  # bounded: 1 row
    except PySparkException as exc:  # the server's ClassNotFound arrives as an UnknownException
        if "DATA_SOURCE_NOT_FOUND" in str(exc):
            return None
        raise
    built, _, running = result.partition(" ")
    return built, running


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
