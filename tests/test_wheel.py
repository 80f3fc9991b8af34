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

import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    wheel = pathlib.Path(glob.glob(str(work / "dist" / "spark_synth-*.whl"))[0])
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",  # bytecode for 10,000 files of dependencies: 12 s of CPU the test never uses
            "-c",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    jre_only = work / "bin"  # every program of /usr/bin but the JDK's compiler
    jre_only.mkdir()
    for program in pathlib.Path("/usr/bin").iterdir():
        if not program.name.startswith("javac"):
            (jre_only / program.name).symlink_to(program)
    home = work / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JAVA_HOME", "SPARK_SYNTH_ENGINE_JAR", "SPARK_SYNTH_ENGINE_DIR", "PYTHONPATH")
    }
    env.update(
        PATH=f"{venv / 'bin'}:{jre_only}",
        HOME=str(home),
        PYSPARK_PYTHON=str(venv / "bin" / "python"),
        PYSPARK_DRIVER_PYTHON=str(venv / "bin" / "python"),
    )
    return wheel, venv, env, work


def test_wheel_carries_the_engine_and_nothing_else(installed):
    wheel = installed[0]
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("spark_synth/jars/spark-synth-engine-") and n.endswith(".jar") for n in names)
    assert "spark_synth/samples/flights_sample.parquet" in names
    # the public vocabularies rare values are drawn from, with their licence notice
    assert {"spark_synth/model/vocabularies/time_zone.json", "spark_synth/model/vocabularies/NOTICE"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", ".venv", "data/")) or n.endswith(".java")]


def test_installed_wheel_fits_generates_and_evaluates_without_a_jdk(installed):
    _, venv, env, work = installed

    def run(*argv):
        return subprocess.run(list(argv), env=env, cwd=work, capture_output=True, text=True, timeout=900)

    assert shutil.which("javac", path=env["PATH"]) is None
    located = run(str(venv / "bin" / "python"), "-c", "import spark_synth; print(spark_synth.__file__)")
    assert str(venv) in located.stdout, located.stdout + located.stderr  # the wheel, not the checkout
    sample = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"
    cli = str(venv / "bin" / "spark-synth")
    jar = run(cli, "engine-jar")
    assert jar.returncode == 0 and jar.stdout.strip().startswith(str(venv)), jar.stderr
    for argv in (  # the demo fits (its model serves the other commands), generates and evaluates
        ["demo", "--rows", "100000", "--output", "demo"],
        ["generate", "--model", "demo/flights.model.json", "--rows", "5000", "--seed", "3", "--output", "out"],
        [
            "generate",
            "--model",
            "demo/flights.model.json",
            "--rows",
            "2000",
            "--where",
            "arr_delay >= 60",
            "--where",
            "origin in (JFK, EWR)",
            "--output",
            "late",
        ],
        ["evaluate", "--real", str(sample), "--synthetic", "out", "--report", "rep"],
    ):
        result = run(cli, "--master", "local[2]", *argv)
        assert result.returncode == 0, (argv, result.stderr[-3000:])
    assert len(glob.glob(str(work / "out" / "*.parquet"))) >= 1 and (work / "rep" / "report.html").is_file()
    assert glob.glob(str(work / "demo" / "**" / "*.parquet"), recursive=True)
    late = pd.concat(pd.read_parquet(f) for f in glob.glob(str(work / "late" / "*.parquet")))
    assert len(late) == 2000 and (late.arr_delay >= 60).all() and set(late.origin) <= {"JFK", "EWR"}
    assert not (work / "home" / ".cache" / "spark_synth").exists()  # nothing was compiled


def test_engine_jar_errors_say_what_to_do(tmp_path, monkeypatch):
    from spark_synth import GenerateError
    from spark_synth.engine.jvm import check_spark_line, engine_jar

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
    with pytest.raises(
        GenerateError, match=r"built for Spark 3\.5\.1 and does not load into this session's Spark 4\.3\.0"
    ):
        check_spark_line(other_line, "4.3.0")


def test_fit_refuses_a_spark_without_its_sketch_functions():
    """Measured on PySpark 3.5.9: pass 1 failed with UNRESOLVED_ROUTINE kll_sketch_get_quantile_bigint."""
    from spark_synth.engine.jvm import loads_into
    from spark_synth.errors import InputDataError
    from spark_synth.io.session import require_spark

    for old in ("3.5.9", "4.0.1"):
        with pytest.raises(InputDataError, match=f"fit needs Spark 4.1 or later .* runs Spark {old}"):
            require_spark(old, "fit")
    require_spark("4.1.0", "fit")
    require_spark("4.3.0", "evaluation")
    # the engine jar, compiled against 4.x, runs on 3.5 (tests/test_spark35.py) but not on older lines
    assert loads_into("4.3.0", "3.5.9") and loads_into("4.3.0", "4.1.2")
    assert not loads_into("4.3.0", "3.4.1") and not loads_into("4.3.0", "5.0.0") and not loads_into("3.5.1", "4.3.0")


SPARK35_VENV = pathlib.Path(
    os.environ.get("SPARK_SYNTH_SPARK35_VENV") or pathlib.Path.home() / ".cache" / "spark_synth" / "venv-pyspark-3.5"
)


def spark35_venv() -> pathlib.Path:
    """A venv with PySpark 3.5 and spark_synth's other dependencies (kept between runs: the
    PySpark download is 300 MB)."""
    python = SPARK35_VENV / "bin" / "python"
    probe = (
        subprocess.run(
            [str(python), "-c", "import pyspark; print(pyspark.__version__)"], capture_output=True, text=True
        )
        if python.exists()
        else None
    )
    if probe is None or not probe.stdout.startswith("3.5."):
        shutil.rmtree(SPARK35_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(SPARK35_VENV)], check=True, timeout=300)
        pins = [
            line
            for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith(("#", "pyspark", "py4j"))
        ]
        constraints = SPARK35_VENV / "constraints.txt"
        constraints.write_text("\n".join(pins) + "\n")
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-c",
                str(constraints),
                "pyspark==3.5.*",
                "numpy",
                "scipy",
                "pandas",
                "pyarrow",
                "pydantic",
                "pyyaml",
            ],
            check=True,
            capture_output=True,
            timeout=1800,
        )
    return SPARK35_VENV


def test_spark35_generates_the_same_rows_and_refuses_to_fit(installed, spark, flights_model):
    """Spark 3.5 (Scala 2.12): the same engine jar generates the same rows as on Spark 4; fit and
    evaluate need 4.1's sketch functions and say so."""
    from chispa import assert_df_equality

    from spark_synth import generate

    wheel, _, env, work = installed
    venv = spark35_venv()
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    env = {
        **env,
        "PATH": f"{venv / 'bin'}:{env['PATH'].split(':', 1)[1]}",
        "PYSPARK_PYTHON": str(venv / "bin" / "python"),
        "PYSPARK_DRIVER_PYTHON": str(venv / "bin" / "python"),
    }
    flights_model.save(work / "flights35.model.json")
    cli = str(venv / "bin" / "spark-synth")

    def run(*argv):
        return subprocess.run(
            [cli, "--master", "local[2]", *argv], env=env, cwd=work, capture_output=True, text=True, timeout=900
        )

    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pyspark; print(pyspark.__version__)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert version.stdout.startswith("3.5."), version.stdout + version.stderr
    made = run("generate", "--model", "flights35.model.json", "--rows", "7000", "--seed", "4", "--output", "out35")
    assert made.returncode == 0, made.stderr[-3000:]
    expected = generate(spark, flights_model, 7000, 4)
    assert_df_equality(spark.read.parquet(str(work / "out35")), expected, ignore_row_order=True, ignore_nullable=True)
    refused = run("fit", str(ROOT / "spark_synth" / "samples" / "flights_sample.parquet"), "--model", "m35.json")
    assert refused.returncode == 2 and "fit needs Spark 4.1 or later" in refused.stderr, refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr and not (work / "m35.json").exists()
