"""The JVM generation engine: Java sources shipped in the package, compiled once into a jar.

Why Java: generation must outpace Spark's own rand() columns by a useful fraction, and any
Python sampler is capped by the Arrow hand-off to the JVM (about 2 M rows/s for a 19-column table
on 2 cores, measured). The engine writes straight into Spark's columnar batches instead.

The jar is built with the JDK's javac against the installed PySpark's jars the first time it is
needed (a few seconds), into ~/.cache/spark_synth (or SPARK_SYNTH_ENGINE_DIR), named by a digest
of the sources so a changed engine is rebuilt. SPARK_SYNTH_ENGINE_JAR points at a prebuilt jar
instead (clusters without a JDK on the driver).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from spark_synth.errors import GenerateError

ENGINE_CLASS = "org.sparksynth.engine.SynthDataSource"
ENGINE_SHORT_NAME = "spark_synth_engine"


def _sources() -> dict[str, bytes]:
    """Relative path -> content of every engine source file (works inside a --py-files zip)."""
    found: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, name + "/")
            elif child.name.endswith(".java") or name.startswith("META-INF/"):
                found[name] = child.read_bytes()

    walk(resources.files(__name__) / "src", "")
    return dict(sorted(found.items()))


def source_digest() -> str:
    digest = hashlib.sha256()
    for name, content in _sources().items():
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def _pyspark_classpath() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "jars" / "*")


def engine_jar() -> Path:
    """Path of a built engine jar matching these sources; builds it on first use."""
    override = os.environ.get("SPARK_SYNTH_ENGINE_JAR")
    if override:
        if not Path(override).is_file():
            raise GenerateError(f"SPARK_SYNTH_ENGINE_JAR={override} does not exist")
        return Path(override)
    cache = Path(os.environ.get("SPARK_SYNTH_ENGINE_DIR") or Path.home() / ".cache" / "spark_synth")
    jar = cache / f"spark-synth-engine-{source_digest()}.jar"
    if not jar.is_file():
        build_jar(jar)
    return jar


def build_jar(target: Path) -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise GenerateError(
            "spark_synth's generation engine is compiled once with a JDK, but javac is not on PATH. "
            "Install a JDK 17 (e.g. apt-get install openjdk-17-jdk-headless) or set "
            "SPARK_SYNTH_ENGINE_JAR to a jar built by `spark-synth engine-jar` elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spark_synth_engine_") as work:
        src, classes = Path(work) / "src", Path(work) / "classes"
        for name, content in _sources().items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(content)
        java_files = sorted(str(p) for p in src.rglob("*.java"))
        result = subprocess.run([javac, "--release", "17", "-nowarn", "-encoding", "UTF-8", "-d", str(classes),
                                 "-cp", _pyspark_classpath(), *java_files], capture_output=True, text=True)
        if result.returncode != 0:
            raise GenerateError(f"compiling spark_synth's engine failed:\n{result.stderr[-4000:]}")
        staging = target.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(staging, "w", zipfile.ZIP_DEFLATED) as jar:
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
            for path in sorted((src / "META-INF").rglob("*")):
                if path.is_file():
                    jar.write(path, path.relative_to(src).as_posix())
        os.replace(staging, target)  # atomic: concurrent builders never see half a jar
    return target


def ensure_engine(spark) -> None:
    """Make the engine class loadable in this session (ADD JAR if the session started without
    it), or fail with what to do."""
    utils = spark._jvm.org.apache.spark.util.Utils
    if utils.classIsLoadable(ENGINE_CLASS):
        return
    jar = engine_jar()
    spark.sql(f"ADD JAR '{jar}'")
    if not utils.classIsLoadable(ENGINE_CLASS):
        raise GenerateError(
            f"the Spark session cannot load spark_synth's engine ({ENGINE_CLASS}). Start Spark with "
            f"--jars {jar} (the path `spark-synth engine-jar` prints), or create the session with "
            "spark_synth.io.get_spark()")
