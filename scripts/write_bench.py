"""The write path: the flights model generated to Parquet against Spark writing the very same rows
from memory, in the same run, and where a generated row's time goes.

Spark part (local[2], one JVM; each timing the best of --repeat, the two sides interleaved):
- generate N rows to `noop` and to Parquet (snappy, zstd);
- the same N rows, materialised once in Spark's in-memory cache (untimed), written to `noop` and
  to Parquet: ratio = cached time / generated time (the issue's goal for Parquet: >= 0.85x).
JMH part (the harness pinned in scripts/jmh/pom.xml, fetched from Maven Central once into
~/.cache/spark_synth; never in the wheel): the engine's per-row loop for the flights plan on one
thread, sampling alone and sampling plus the conversion to UnsafeRows Spark does before a writer
(scripts/jmh/src/.../EngineLoopBench.java); then the sampler's own clock, stage by stage
(StageTimes.java: each tree column's draw and written values, the rules ...).

From both, each step's cost per row in core-time (2 busy cores: 2 x seconds / rows), and the
generation cost per row at which the Parquet ratio would reach 0.85x. Written to
docs/results/write_path.md and .json.

    python scripts/write_bench.py                   # 5 M rows, JMH included (~6 min here)
    python scripts/write_bench.py --rows 1e6 --no-jmh
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import Tee, table, write_results  # noqa: E402

FLIGHTS = ROOT.parent / "shared" / "data" / "nycflights13" / "flights.parquet"
SAMPLE = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"
JMH_POM = ROOT / "scripts" / "jmh" / "pom.xml"
JMH_SOURCES = ROOT / "scripts" / "jmh" / "src"
GOAL = 0.85
CORES = 2


# ------------------------------------------------------------------ JMH


def jmh_jars() -> Path:
    """The pinned JMH jars, fetched by Maven once per pom into the user's cache."""
    digest = hashlib.sha256(JMH_POM.read_bytes()).hexdigest()[:16]
    target = Path.home() / ".cache" / "spark_synth" / f"jmh-{digest}"
    if (target / ".done").exists():
        return target
    if shutil.which("mvn") is None:
        raise SystemExit("write bench: the JMH part needs Maven on PATH (or run with --no-jmh)")
    work = Path(tempfile.mkdtemp(prefix="jmh_fetch_"))
    done = subprocess.run(
        ["mvn", "-q", "-B", "-C", "-f", str(JMH_POM), "dependency:copy-dependencies",
         "-DincludeScope=runtime", f"-DoutputDirectory={work / 'jars'}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"write bench: Maven could not fetch JMH:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(work / "jars"), target)
    (target / ".done").write_text(digest)
    shutil.rmtree(work, ignore_errors=True)
    return target


JMH_RUN = ["-f", "2", "-wi", "5", "-w", "3s", "-i", "6", "-r", "2s", "-t", "1"]


def compile_harness(work: Path) -> str:
    """The classpath of the compiled harness (scripts/jmh/src), the engine jar and Spark's jars."""
    import pyspark

    from spark_synth.engine.jvm import engine_jar

    jars = jmh_jars()
    spark_jars = Path(pyspark.__file__).parent / "jars"
    classes = work / "jmh_classes"
    classes.mkdir(parents=True, exist_ok=True)
    classpath = f"{engine_jar()}:{spark_jars}/*:{jars}/*"
    processors = ":".join(str(p) for p in sorted(jars.glob("*.jar")))
    sources = [str(p) for p in JMH_SOURCES.rglob("*.java")]
    subprocess.run(["javac", "-d", str(classes), "-cp", classpath, "-processorpath", processors, *sources], check=True)
    return f"{classes}:{classpath}"


def run_jmh(plan_file: Path, classpath: str, work: Path) -> dict[str, dict[str, float]]:
    """ns per row of each EngineLoopBench benchmark (score and its 99.9 % error), one thread."""
    out = work / "jmh.json"
    command = [
        "java", "-cp", classpath, "org.openjdk.jmh.Main", "EngineLoopBench", "-p", f"planFile={plan_file}",
        *JMH_RUN, "-rf", "json", "-rff", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"write bench: JMH failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    scores = {}
    for entry in json.loads(out.read_text()):
        name = entry["benchmark"].rsplit(".", 1)[1]
        metric = entry["primaryMetric"]
        scores[name] = {"ns_per_row": metric["score"], "error": metric["scoreError"]}
    return scores


def stage_times(plan_file: Path, classpath: str) -> dict[str, float]:
    """ns per row of each of the sampler's stages, one thread (StageTimes.java)."""
    done = subprocess.run(
        ["java", "-Dspark_synth.engine.stageTimes=true", "-cp", classpath, "org.sparksynth.engine.StageTimes",
         str(plan_file), "3000"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"write bench: StageTimes failed:\n{done.stderr[-2000:]}")
    return {line.split("\t")[0]: float(line.split("\t")[1]) for line in done.stdout.splitlines() if "\t" in line}


def print_stages(stages: dict[str, float]) -> None:
    """The stages grouped by what they do, then the costliest ten."""
    total = stages.pop("total")
    groups: dict[str, float] = {}
    for stage, ns in stages.items():
        group = stage.split(" ")[0] if stage.startswith(("draw ", "write ")) else stage
        groups[group] = groups.get(group, 0.0) + ns
    names = {"draw": "tree columns drawn (codes, places)", "write": "tree columns written (values from codes)"}
    print(f"\nThe sampler stage by stage (StageTimes, one thread, its own clock; total {total:.0f} ns/row):\n")
    rows = [
        [names.get(g, g), f"{ns:.0f}", f"{ns / total:.0%}"] for g, ns in sorted(groups.items(), key=lambda x: -x[1])
    ]
    print(table(["stage", "ns / row", "share"], rows))
    print("\ncostliest single stages: " + ", ".join(f"{k} {v:.0f}" for k, v in list(stages.items())[:10]) + " (ns/row)")


# ------------------------------------------------------------------ Spark


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def spark_part(model_path: Path, plan_path: Path, rows: int, codecs: list[str], repeat: int, work: Path) -> dict:
    """Generated against cached rows to noop and Parquet; the model is fitted here too."""
    from pyspark import StorageLevel

    from spark_synth import fit, generate, load_model
    from spark_synth.io import get_spark
    from spark_synth.plan.compiler import compile_plan

    conf = {"spark.driver.memory": "8g", "spark.ui.enabled": "false"}
    spark = get_spark("write_bench", master=f"local[{CORES}]", conf=conf, quiet=True)
    if not model_path.exists():
        source = FLIGHTS if FLIGHTS.exists() else SAMPLE
        fit(spark.read.parquet(str(source)), table="flights").save(str(model_path))
    model = load_model(str(model_path))
    plan_path.write_text(compile_plan(model, rows), encoding="utf-8")
    generated = generate(spark, model, rows=rows, seed=7)
    generated.write.format("noop").mode("overwrite").save()  # warm-up: the JIT and the plan, once per JVM
    cached = generate(spark, model, rows=rows, seed=7).persist(StorageLevel.MEMORY_ONLY)
    fill = timed(lambda: cached.write.format("noop").mode("overwrite").save())
    cached_bytes = sum(
        info.memSize()
        for info in spark.sparkContext._jsc.sc().getRDDStorageInfo()  # bounded: one entry per cached RDD
    )
    print(f"{rows:,} rows of the flights model, local[{CORES}]; the cache filled in {fill:.1f} s "
          f"({cached_bytes / 2**20:,.0f} MiB in memory)")  # fmt: skip
    sinks: list[tuple[str, str | None]] = [("noop", None)] + [("parquet", c) for c in codecs]
    best: dict[str, float] = {}
    for _ in range(repeat):
        for sink, codec in sinks:
            for side, frame in (("generated", generated), ("cached", cached)):
                key = f"{side}_{sink}{'_' + codec if codec else ''}"
                if sink == "noop":
                    seconds = timed(lambda f=frame: f.write.format("noop").mode("overwrite").save())
                else:
                    target = str(work / key)
                    seconds = timed(
                        lambda f=frame, t=target, c=codec: f.write.mode("overwrite").option("compression", c).parquet(t)
                    )
                best[key] = min(best.get(key, float("inf")), seconds)
    cached.unpersist()
    spark.stop()
    return {"rows": rows, "seconds": best, "cache_fill_s": fill, "cached_mib": cached_bytes / 2**20}


# ------------------------------------------------------------------ the page


def core_us(seconds: float, rows: int) -> float:
    """Core-microseconds per row with CORES busy cores."""
    return CORES * seconds / rows * 1e6


def report(spark: dict, jmh: dict | None, codecs: list[str]) -> dict:
    rows = spark["rows"]
    s = spark["seconds"]
    lines = []
    for sink in ["noop"] + [f"parquet_{c}" for c in codecs]:
        g, c = s[f"generated_{sink}"], s[f"cached_{sink}"]
        lines.append([sink.replace("_", " "), f"{g:.1f} s", f"{rows / g / 1e6:.2f}", f"{c:.1f} s",
                      f"{rows / c / 1e6:.2f}", f"**{c / g:.2f}x**"])  # fmt: skip
    print()
    print(table(["sink", "generated", "M rows/s", "Spark writing the same rows from memory", "M rows/s",
                 "ratio (cached / generated time)"], lines))  # fmt: skip
    steps = {
        "spark_rows": core_us(s["cached_noop"], rows),
        "generation": core_us(s["generated_noop"] - s["cached_noop"], rows),
    }
    for codec in codecs:
        steps[f"encode_{codec}"] = core_us(s[f"cached_parquet_{codec}"] - s["cached_noop"], rows)
    print("\nWhere a row's time goes, in core-microseconds per row (2 busy cores; from the same run):\n")
    step_rows = [
        ["Spark handing cached rows to a writer (cached -> noop)", f"{steps['spark_rows']:.2f}"],
        ["generation beyond that (generated -> noop, less the above)", f"{steps['generation']:.2f}"],
    ]
    for codec in codecs:
        step_rows.append([f"Parquet encoding and writing, {codec} (cached -> Parquet, less cached -> noop)",
                          f"{steps[f'encode_{codec}']:.2f}"])  # fmt: skip
    if jmh:
        sample = jmh["sample"]["ns_per_row"] / 1000
        to_rows = jmh["sampleToRows"]["ns_per_row"] / 1000
        step_rows += [
            [f"  JMH, one thread: the engine's sampling into column vectors (± {jmh['sample']['error']:.0f} ns)",
             f"{sample:.2f}"],
            [f"  JMH, one thread: conversion of those rows to UnsafeRows (sampleToRows - sample, ± "
             f"{jmh['sampleToRows']['error']:.0f} ns)", f"{to_rows - sample:.2f}"],
        ]  # fmt: skip
    print(table(["step", "µs·core / row"], step_rows))
    needed = {}
    print(f"\nFor Parquet at {GOAL}x, generation through Spark (generated -> noop) may cost at most "
          f"(cached -> Parquet) / {GOAL} - encoding per row:\n")  # fmt: skip
    need_rows = []
    for codec in codecs:
        budget = core_us(s[f"cached_parquet_{codec}"], rows) / GOAL - steps[f"encode_{codec}"]
        now = core_us(s["generated_noop"], rows)
        needed[codec] = {"budget_us": budget, "now_us": now}
        need_rows.append([codec, f"{now:.2f}", f"{budget:.2f}", f"{now / budget:.2f}x"])
    print(table(["codec", "generated -> noop now", "at most, for 0.85x", "speed-up needed"], need_rows))
    checks = ", ".join(
        f"{codec} {core_us(s['generated_noop'], rows) + steps[f'encode_{codec}']:.2f} predicted, "
        f"{core_us(s[f'generated_parquet_{codec}'], rows):.2f} measured"
        for codec in codecs
    )
    print(f"\n(The arithmetic adds the steps: generated -> Parquet in µs·core/row, {checks}.)")
    return {"steps_us_per_row": steps, "needed": needed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="5e6")
    parser.add_argument("--codecs", default="snappy,zstd")
    parser.add_argument("--repeat", type=int, default=3, help="timings per measurement (the best is kept)")
    parser.add_argument("--model", default=None, help="a flights model file (default: fitted here)")
    parser.add_argument("--no-jmh", action="store_true", help="skip the JMH part (needs Maven and a JDK)")
    args = parser.parse_args()
    rows = int(float(args.rows))
    codecs = [c for c in args.codecs.split(",") if c]
    work = Path(tempfile.mkdtemp(prefix="write_bench_"))
    model_path = Path(args.model) if args.model else work / "flights.model.json"
    plan_path = work / "flights.plan.json"
    try:
        with Tee() as printed:
            spark = spark_part(model_path, plan_path, rows, codecs, args.repeat, work)
            jmh, stages = None, None
            if not args.no_jmh:
                classpath = compile_harness(work)
                jmh = run_jmh(plan_path, classpath, work)
                print(
                    f"JMH (EngineLoopBench, 1 thread, `{' '.join(JMH_RUN)}`): "
                    + ", ".join(f"{k} {v['ns_per_row']:.0f} ± {v['error']:.0f} ns/row" for k, v in jmh.items())
                )
                stages = stage_times(plan_path, classpath)
            derived = report(spark, jmh, codecs)
            if stages:
                print_stages(dict(stages))
        write_results(
            "write_path",
            "The write path: generated rows to Parquet against Spark writing the same rows",
            "```\n" + printed.text().strip("\n") + "\n```\n",
            data={"spark": spark, "jmh": jmh, "stages_ns_per_row": stages, **derived},
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
