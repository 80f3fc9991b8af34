"""Wheel builds compile the JVM generation engine into the package (spark_synth/jars/), so an
installed spark_synth needs only a Java runtime: nothing is compiled on users' machines. Building
needs a JDK 17 (javac) and PySpark (a build requirement: its jars are the compile classpath).
Editable installs (a source checkout) compile on first use instead."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def engine_builder():
    """spark_synth/engine/jvm/build.py, loaded by path: the package's runtime dependencies are
    not in the build environment."""
    spec = importlib.util.spec_from_file_location(
        "spark_synth_engine_build", ROOT / "spark_synth" / "engine" / "jvm" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithEngine(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        builder = engine_builder()
        target = (
            Path(self.build_lib) / "spark_synth" / "jars" / f"spark-synth-engine-{self.distribution.get_version()}.jar"
        )
        try:
            builder.build_jar(target, builder.sources(ROOT / "spark_synth" / "engine" / "jvm" / "src"))
        except builder.EngineBuildError as exc:
            raise SystemExit(f"building spark_synth's wheel: {exc}") from None


setup(cmdclass={"build_py": BuildPyWithEngine})
