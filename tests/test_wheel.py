"""The package as users install it: a wheel built from the checkout, installed into a fresh
virtual environment (not editable), run with a Java runtime only (no javac on PATH)."""

from __future__ import annotations

import glob
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=900)
    wheel = pathlib.Path(glob.glob(str(work / "dist" / "spark_synth-*.whl"))[0])
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"),
                    str(wheel)], check=True, capture_output=True, timeout=1200)
    jre_only = work / "bin"  # every program of /usr/bin but the JDK's compiler
    jre_only.mkdir()
    for program in pathlib.Path("/usr/bin").iterdir():
        if not program.name.startswith("javac"):
            (jre_only / program.name).symlink_to(program)
    home = work / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_SYNTH_ENGINE_JAR",
                                                            "SPARK_SYNTH_ENGINE_DIR", "PYTHONPATH")}
    env.update(PATH=f"{venv / 'bin'}:{jre_only}", HOME=str(home), PYSPARK_PYTHON=str(venv / "bin" / "python"),
               PYSPARK_DRIVER_PYTHON=str(venv / "bin" / "python"))
    return wheel, venv, env, work


def test_wheel_carries_the_engine_and_nothing_else(installed):
    wheel = installed[0]
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("spark_synth/jars/spark-synth-engine-") and n.endswith(".jar") for n in names)
    assert "spark_synth/samples/flights_sample.parquet" in names
    assert not [n for n in names if n.startswith(("tests/", ".venv", "data/")) or n.endswith(".java")]


def test_installed_wheel_fits_generates_and_evaluates_without_a_jdk(installed):
    _, venv, env, work = installed
    run = lambda *argv: subprocess.run(list(argv), env=env, cwd=work, capture_output=True, text=True,  # noqa: E731
                                       timeout=900)
    assert shutil.which("javac", path=env["PATH"]) is None
    located = run(str(venv / "bin" / "python"), "-c", "import spark_synth; print(spark_synth.__file__)")
    assert str(venv) in located.stdout, located.stdout + located.stderr  # the wheel, not the checkout
    sample = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"
    cli = str(venv / "bin" / "spark-synth")
    jar = run(cli, "engine-jar")
    assert jar.returncode == 0 and jar.stdout.strip().startswith(str(venv)), jar.stderr
    for argv in (["fit", str(sample), "--model", "m.json"],
                 ["generate", "--model", "m.json", "--rows", "5000", "--seed", "3", "--output", "out"],
                 ["evaluate", "--real", str(sample), "--synthetic", "out", "--report", "rep"]):
        result = run(cli, "--master", "local[2]", *argv)
        assert result.returncode == 0, (argv, result.stderr[-3000:])
    assert len(glob.glob(str(work / "out" / "*.parquet"))) >= 1 and (work / "rep" / "report.html").is_file()
    assert not (work / "home" / ".cache" / "spark_synth").exists()  # nothing was compiled


def test_engine_jar_errors_say_what_to_do(tmp_path, monkeypatch):
    from spark_synth import GenerateError
    from spark_synth.generate.jvm import check_spark_line, engine_jar

    monkeypatch.setenv("SPARK_SYNTH_ENGINE_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(GenerateError, match="missing.jar does not exist; point it at a spark_synth engine jar"):
        engine_jar()
    corrupt = tmp_path / "corrupt.jar"
    corrupt.write_bytes(b"not a zip")
    monkeypatch.setenv("SPARK_SYNTH_ENGINE_JAR", str(corrupt))
    with pytest.raises(GenerateError, match="is not a spark_synth engine jar"):
        engine_jar()
    monkeypatch.delenv("SPARK_SYNTH_ENGINE_JAR")
    other_line = tmp_path / "spark35.jar"
    with zipfile.ZipFile(engine_jar()) as real, zipfile.ZipFile(other_line, "w") as fake:
        for item in real.infolist():
            data = real.read(item)
            if item.filename == "META-INF/MANIFEST.MF":
                data = re.sub(rb"Spark-Version: [^\r\n]+", b"Spark-Version: 3.5.1", data)
            fake.writestr(item, data)
    with pytest.raises(GenerateError, match=r"built for Spark 3\.5\.1, but this session runs Spark 4\.3\.0"):
        check_spark_line(other_line, "4.3.0")
