"""Compiling the engine's Java sources into a jar: at wheel build time (setup.py) and, in a source
checkout only, on first use. Standard library only, no package imports: setup.py loads this
file by path in a build environment that has PySpark and a JDK but none of spark_synth's
runtime dependencies.

The jar's manifest records the Spark version it was compiled against (`Spark-Version`); the
runtime refuses to load it into another Spark major line, naming both versions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "src"
MANIFEST_SPARK_VERSION = "Spark-Version"


class EngineBuildError(Exception):
    """The engine could not be compiled (no JDK, no Spark jars, a compile error)."""


def sources(root: Path = SOURCES) -> dict[str, bytes]:
    """Relative path -> content of every engine source file; empty without a source tree."""
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and (path.suffix == ".java" or name.startswith("META-INF/")):
            found[name] = path.read_bytes()
    return found


def source_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name, content in files.items():
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def spark_jars() -> tuple[str, str]:
    """(classpath of the installed PySpark's jars, its version)."""
    try:
        import pyspark
    except ImportError as exc:
        raise EngineBuildError(
            "building the engine needs PySpark installed (its jars are the compile classpath)"
        ) from exc
    jars = Path(pyspark.__file__).parent / "jars"
    if not jars.is_dir():
        raise EngineBuildError(
            f"PySpark at {jars.parent} has no jars/ directory to compile against; "
            "install PySpark from PyPI to build the engine"
        )
    return str(jars / "*"), pyspark.__version__


def build_jar(target: Path, files: dict[str, bytes] | None = None) -> Path:
    """Compile `files` (default: this source tree) into the jar `target`, atomically."""
    files = sources() if files is None else files
    if not files:
        raise EngineBuildError("no engine sources to compile (not a source checkout)")
    javac = shutil.which("javac")
    if javac is None:
        raise EngineBuildError(
            "compiling spark_synth's engine needs a JDK 17 (javac on PATH), e.g. "
            "apt-get install openjdk-17-jdk-headless"
        )
    classpath, spark_version = spark_jars()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spark_synth_engine_") as work:
        src, classes = Path(work) / "src", Path(work) / "classes"
        for name, content in files.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(content)
        java_files = sorted(str(p) for p in src.rglob("*.java"))
        result = subprocess.run(
            [
                javac,
                "--release",
                "17",
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-d",
                str(classes),
                "-cp",
                classpath,
                *java_files,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise EngineBuildError(f"compiling spark_synth's engine failed:\n{result.stderr[-4000:]}")
        staging = target.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(staging, "w", zipfile.ZIP_DEFLATED) as jar:
            jar.writestr(
                "META-INF/MANIFEST.MF",
                "Manifest-Version: 1.0\r\n"
                "Implementation-Title: spark_synth engine\r\n"
                f"Implementation-Version: {source_digest(files)}\r\n"
                f"{MANIFEST_SPARK_VERSION}: {spark_version}\r\n\r\n",
            )
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
            for path in sorted((src / "META-INF").rglob("*")):
                if path.is_file():
                    jar.write(path, path.relative_to(src).as_posix())
        os.replace(staging, target)  # atomic: concurrent builders never see half a jar
    return target


def jar_spark_version(jar: Path) -> str | None:
    """The Spark version a jar was compiled against (its manifest), None if it says nothing."""
    with zipfile.ZipFile(jar) as archive:
        try:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
        except KeyError:
            return None
    for line in manifest.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == MANIFEST_SPARK_VERSION:
            return value.strip()
    return None
