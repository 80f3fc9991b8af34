"""Scale: the flights model generated at 10^6 .. 10^9 rows, written to Parquet, on 1 and 2 cores
and a standalone cluster, and fitted on 10^6 .. 10^8 rows next to Spark's own summary().

Every measurement runs in a fresh Python and JVM (`--one`), so its peak memory (VmHWM of the JVM,
ru_maxrss of Python) is its own; the parent never starts Spark. Each first does the same work on
a few thousand rows, untimed: the JIT and the engine's first plan are a fixed cost per JVM. What is printed and written to
docs/results/scale.md (with scale.svg and scale.json):

- generate to `noop` and to Parquet (zstd, snappy): seconds, rows/s, time(10N)/time(N) (goal
  <= 10.5) and peak memory (goal: flat);
- the same rows on local[1] and local[2] (goal: >= 1.8x) and on the CI's standalone cluster of
  two 1-core workers (rows/s per core beside local's);
- fit on Parquet data generated from the model once per size, next to `df.summary()` and one
  plain aggregation (a count per column) over the same data in the same run (goals: fit <= 1x
  summary, <= 15x the plain aggregation), peak driver memory and the model's size.

    python scripts/scale_bench.py                       # the full run: 10^9 rows, ~1 hour here
    python scripts/scale_bench.py --noop 1e6,1e7 --parquet 1e6 --fit 1e6 --cores-rows 1e6 --no-cluster
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
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

FLIGHTS = ROOT.parent / "shared" / "data" / "nycflights13" / "flights.parquet"
SAMPLE = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"


# ------------------------------------------------------------------ one measurement (child process)


def _descendant_jvms(root: int) -> list[int]:
    """Java processes below `root` (the py4j gateway's JVM under its launcher)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found = []
    for pid in parents:
        p = pid
        while p in parents and p != root and p > 1:
            p = parents[p]
        if p == root and pid != root:
            try:
                if b"java" in (Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]):
                    found.append(pid)
            except OSError:
                continue
    return found


def _peak_kib(pid: int) -> int:
    """VmHWM (peak resident set) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _executor_peaks() -> list[int]:
    """Peak RSS (KiB) of the cluster's executor JVMs (started by the workers, not by us)."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"CoarseGrainedExecutorBackend" in (entry / "cmdline").read_bytes():
                    peaks.append(_peak_kib(int(entry.name)))
            except OSError:
                continue
    return peaks


def run_one(task: dict) -> dict:
    """One measurement in this process's own Spark session; returns its figures."""
    from pyspark.sql import functions as F

    from spark_synth import fit, generate, load_model
    from spark_synth.io import get_spark

    conf = {"spark.driver.memory": "2g", "spark.ui.enabled": "false"}
    if task.get("codec"):
        conf["spark.sql.parquet.compression.codec"] = task["codec"]
    spark = get_spark("scale_bench", master=task["master"], conf=conf, quiet=True)
    out: dict = {}
    kind = task["kind"]
    if kind == "model":
        model = fit(spark.read.parquet(task["data"]), table="flights")
        model.save(task["model"])
    elif kind == "generate":
        model = load_model(task["model"])
        # Warm-up outside the timing: the engine's first plan and the JIT, a fixed cost per JVM.
        generate(spark, model, rows=20_000, seed=1).write.format("noop").mode("overwrite").save()
        started = time.time()
        df = generate(spark, model, rows=task["rows"], seed=7)
        if task["sink"] == "noop":
            df.write.format("noop").mode("overwrite").save()
        else:
            df.write.mode("overwrite").parquet(task["path"])
        out["seconds"] = time.time() - started
    elif kind in ("fit", "summary", "plain"):
        df = spark.read.parquet(task["path"])
        warm = df.limit(2000)  # warm-up outside the timing: the JIT and the first jobs of a JVM
        if kind == "fit":
            fit(warm, table="flights")
        else:
            warm.summary().collect()
        started = time.time()
        if kind == "fit":
            model = fit(df, table="flights")
            out["model_bytes"] = len(model.to_json().encode())
        elif kind == "summary":
            df.summary().collect()
        else:
            df.agg(*[F.count(F.col(c)).alias(c) for c in df.columns]).collect()
        out["seconds"] = time.time() - started
    out["jvm_peak_mib"] = round(sum(_peak_kib(p) for p in _descendant_jvms(os.getpid())) / 1024, 1)
    out["executor_peak_mib"] = [round(k / 1024, 1) for k in _executor_peaks()]
    out["python_peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    spark.stop()
    return out


def child(task: dict) -> dict:
    """Run one task in a fresh interpreter and JVM; its figures, or the error it ended with."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps(task)], capture_output=True, text=True, cwd=ROOT
    )
    result = next((json.loads(line[7:]) for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if result is None:
        raise SystemExit(f"scale bench: {task['kind']} failed:\n{done.stderr[-3000:]}")
    result["wall"] = time.time() - started
    return result


# ------------------------------------------------------------------ the bench (parent process)


def sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds / 1e6:.2f} M"


def scaling(points: list[tuple[int, float]]) -> list[str]:
    """time(10N)/time(N) beside each size after the first."""
    out = ["" for _ in points]
    for i in range(1, len(points)):
        (n0, t0), (n1, t1) = points[i - 1], points[i]
        out[i] = f"{t1 / t0:.1f} (for {n1 // n0}x)"
    return out


def svg_plot(series: dict[str, list[tuple[int, float]]], width: int = 560, height: int = 320) -> str:
    """A log-log chart of seconds against rows, one line per series (no plotting library in the
    project's environment; the marks carry <title> tooltips with the numbers)."""
    points = [p for line in series.values() for p in line]
    if not points:
        return ""
    x0, x1 = math.log10(min(p[0] for p in points)), math.log10(max(p[0] for p in points))
    y0, y1 = math.log10(min(p[1] for p in points)), math.log10(max(p[1] for p in points))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    left, bottom, right, top = 60, height - 40, width - 150, 20

    def xy(n: float, t: float) -> tuple[float, float]:
        x = left + (math.log10(n) - x0) / (x1 - x0) * (right - left)
        y = bottom - (math.log10(t) - y0) / (y1 - y0) * (bottom - top)
        return x, y

    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='sans-serif' font-size='11'>",
        f"<line x1='{left}' y1='{bottom}' x2='{right}' y2='{bottom}' stroke='#444'/>",
        f"<line x1='{left}' y1='{bottom}' x2='{left}' y2='{top}' stroke='#444'/>",
        f"<text x='{(left + right) / 2}' y='{height - 6}' text-anchor='middle'>rows (log)</text>",
        f"<text x='14' y='{(top + bottom) / 2}' transform='rotate(-90 14 {(top + bottom) / 2})' text-anchor='middle'>seconds (log)</text>",
    ]
    for e in range(math.floor(x0), math.ceil(x1) + 1):
        if x0 <= e <= x1:
            x, _ = xy(10**e, 10**y0)
            parts.append(f"<text x='{x:.1f}' y='{bottom + 14}' text-anchor='middle'>1e{e}</text>")
    for e in range(math.floor(y0), math.ceil(y1) + 1):
        if y0 <= e <= y1:
            _, y = xy(10**x0, 10**e)
            parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>{10**e:g}</text>")
    for i, (name, line) in enumerate(series.items()):
        color = colors[i % len(colors)]
        coords = [xy(n, t) for n, t in line]
        parts.append(
            f"<polyline fill='none' stroke='{color}' stroke-width='2' points='{' '.join(f'{x:.1f},{y:.1f}' for x, y in coords)}'/>"
        )
        for (n, t), (x, y) in zip(line, coords):
            parts.append(
                f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{color}'><title>{name}: {n:,} rows in {t:.1f} s</title></circle>"
            )
        parts.append(f"<text x='{right + 10}' y='{top + 14 * i + 10}' fill='{color}'>{name}</text>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--noop", default="1e6,1e7,1e8,1e9", help="row counts generated to noop")
    parser.add_argument("--parquet", default="1e6,1e7,1e8", help="row counts written to Parquet")
    parser.add_argument("--codecs", default="zstd,snappy")
    parser.add_argument("--fit", default="1e6,1e7,1e8", help="row counts fitted")
    parser.add_argument("--cores-rows", default="1e7", help="rows for local[1] vs local[2] and the cluster")
    parser.add_argument("--no-cluster", action="store_true", help="skip the standalone cluster")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--page", default="scale", help="results page name (docs/results/PAGE.md)")
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(run_one(json.loads(args.one))), flush=True)
        return

    from results import Tee, table, write_results

    work = Path(args.work or tempfile.mkdtemp(prefix="scale_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    model = str(work / "flights.model.json")
    source = FLIGHTS if FLIGHTS.exists() else SAMPLE
    data: dict = {"source": str(source.relative_to(ROOT.parent) if FLIGHTS.exists() else source.relative_to(ROOT))}
    with Tee() as printed:
        print(f"model: fitted on {data['source']}")
        child({"kind": "model", "master": "local[2]", "data": str(source), "model": model})

        print("\n## Generate to noop (local[2])\n")
        noop = []
        for n in sizes(args.noop):
            r = child({"kind": "generate", "master": "local[2]", "model": model, "rows": n, "sink": "noop"})
            noop.append({"rows": n, **r})
            print(
                f"  {n:>13,} rows: {r['seconds']:8.1f} s, {rate(n, r['seconds'])} rows/s, JVM peak {r['jvm_peak_mib']} MiB",
                flush=True,
            )
        points = [(p["rows"], p["seconds"]) for p in noop]
        rows_table = [
            [
                f"{p['rows']:,}",
                f"{p['seconds']:.1f}",
                rate(p["rows"], p["seconds"]),
                s,
                p["jvm_peak_mib"],
                p["python_peak_mib"],
            ]
            for p, s in zip(noop, scaling(points))
        ]
        print(table(["rows", "seconds", "rows/s", "time(10N)/time(N)", "JVM peak MiB", "Python peak MiB"], rows_table))
        data["noop"] = noop

        print("\n## Generate to Parquet (local[2])\n")
        parquet: dict = {}
        for codec in [c for c in args.codecs.split(",") if c and sizes(args.parquet)]:
            parquet[codec] = []
            for n in sizes(args.parquet):
                path = str(work / f"out_{codec}_{n}")
                r = write_parquet(model, n, path, codec)
                size = sum(f.stat().st_size for f in Path(path).rglob("*.parquet"))
                if codec == FIT_CODEC and n in sizes(args.fit):
                    Path(path).rename(fit_data(work, n))  # the fit section reads these rows
                else:
                    shutil.rmtree(path, ignore_errors=True)
                parquet[codec].append({"rows": n, "bytes": size, **r})
                print(
                    f"  {codec} {n:>13,} rows: {r['seconds']:8.1f} s, {rate(n, r['seconds'])} rows/s, {size / 2**20:.0f} MiB",
                    flush=True,
                )
            points = [(p["rows"], p["seconds"]) for p in parquet[codec]]
            print(
                table(
                    ["codec", "rows", "seconds", "rows/s", "time(10N)/time(N)", "MiB written", "JVM peak MiB"],
                    [
                        [
                            codec,
                            f"{p['rows']:,}",
                            f"{p['seconds']:.1f}",
                            rate(p["rows"], p["seconds"]),
                            s,
                            f"{p['bytes'] / 2**20:.0f}",
                            p["jvm_peak_mib"],
                        ]
                        for p, s in zip(parquet[codec], scaling(points))
                    ],
                )
            )
        data["parquet"] = parquet

        cores: dict = {}
        for n in sizes(args.cores_rows)[:1]:
            cores = measure_cores(model, n, not args.no_cluster)
        data["cores"] = cores

        fits = []
        if sizes(args.fit):
            print("\n## Fit, next to summary() and a plain aggregation on the same data\n")
        for n in sizes(args.fit):
            try:
                fits.append(measure_fit(model, n, work))
            except SystemExit as failed:  # the figures measured so far are still written
                print(f"  {n:>13,} rows: {failed}", flush=True)
                break
        if fits:
            print(fit_table(fits))
        data["fit"] = fits

    series = {"noop": [(p["rows"], p["seconds"]) for p in noop]}
    series.update({f"parquet {c}": [(p["rows"], p["seconds"]) for p in runs] for c, runs in parquet.items()})
    series["fit"] = [(r["rows"], r["fit"]["seconds"]) for r in fits]
    series["summary()"] = [(r["rows"], r["summary"]["seconds"]) for r in fits]
    plot = svg_plot({k: v for k, v in series.items() if v})
    picture = f"![seconds against rows]({args.page}.svg)\n\n" if plot else ""
    write_results(
        args.page,
        "Scale: generation to 10^9 rows, Parquet, cores, and the fit next to summary()",
        picture + "```\n" + printed.text() + "\n```\n",
        data=data,
    )
    if os.environ.get("SPARK_SYNTH_RESULTS") != "off" and plot:  # after the page: its stamp sees a clean tree
        (ROOT / "docs" / "results" / f"{args.page}.svg").write_text(plot, encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def measure_cores(model: str, n: int, cluster: bool) -> dict:
    """The same rows on local[1], local[2] and (optionally) the standalone cluster."""
    from results import table

    print("\n## Cores\n")
    cores = {}
    for master in ("local[1]", "local[2]"):
        cores[master] = child({"kind": "generate", "master": master, "model": model, "rows": n, "sink": "noop"})
    speedup = cores["local[1]"]["seconds"] / cores["local[2]"]["seconds"]
    lines = [
        [m, f"{n:,}", f"{r['seconds']:.1f}", rate(n, r["seconds"]), rate(n, r["seconds"] * k)]
        for (m, r), k in zip(cores.items(), (1, 2))
    ]
    if cluster:
        url = (
            subprocess.run(["bash", "scripts/cluster.sh", "start"], capture_output=True, text=True, cwd=ROOT)
            .stdout.strip()
            .splitlines()[-1]
        )
        try:
            r = child({"kind": "generate", "master": url, "model": model, "rows": n, "sink": "noop"})
        finally:
            subprocess.run(["bash", "scripts/cluster.sh", "stop"], capture_output=True, cwd=ROOT)
        cores["cluster"] = r
        lines.append(
            [
                f"cluster ({url}, 2 x 1 core)",
                f"{n:,}",
                f"{r['seconds']:.1f}",
                rate(n, r["seconds"]),
                rate(n, r["seconds"] * 2),
            ]
        )
    print(table(["master", "rows", "seconds", "rows/s", "rows/s per core"], lines))
    print(f"\nlocal[2] / local[1] speed-up: {speedup:.2f}x (goal >= 1.8)")
    return {**cores, "speedup": speedup}


def write_parquet(model: str, n: int, path: str, codec: str) -> dict:
    """n rows generated from the model and written to Parquet with `codec`, in a fresh JVM."""
    task = {"kind": "generate", "master": "local[2]", "model": model, "rows": n, "sink": "parquet"}
    return child({**task, "path": path, "codec": codec})


FIT_CODEC = "zstd"


def fit_data(work: Path, n: int) -> Path:
    """Where the n rows the fit section reads are written (once: the Parquet section's own)."""
    return work / f"fit_data_{n}"


def measure_fit(model: str, n: int, work: Path) -> dict:
    """Fit, summary() and a plain aggregation over the same n generated rows, each in its own JVM."""
    path = str(fit_data(work, n))
    if not Path(path).exists():
        write_parquet(model, n, path, FIT_CODEC)
    row: dict = {"rows": n}
    for kind in ("plain", "summary", "fit"):
        row[kind] = child({"kind": kind, "master": "local[2]", "path": path})
    shutil.rmtree(path, ignore_errors=True)
    f, s, p = row["fit"]["seconds"], row["summary"]["seconds"], row["plain"]["seconds"]
    print(
        f"  {n:>13,} rows: fit {f:.1f} s = {f / s:.2f}x summary() ({s:.1f} s) = {f / p:.1f}x plain ({p:.1f} s)",
        flush=True,
    )
    return row


def fit_table(fits: list[dict]) -> str:
    from results import table

    header = ["rows", "fit s", "summary() s", "plain aggregation s", "fit / summary", "fit / plain"]
    header += ["fit JVM peak MiB", "fit Python peak MiB", "model KiB"]
    return table(
        header,
        [
            [
                f"{r['rows']:,}",
                f"{r['fit']['seconds']:.1f}",
                f"{r['summary']['seconds']:.1f}",
                f"{r['plain']['seconds']:.1f}",
                f"{r['fit']['seconds'] / r['summary']['seconds']:.2f}",
                f"{r['fit']['seconds'] / r['plain']['seconds']:.1f}",
                r["fit"]["jvm_peak_mib"],
                r["fit"]["python_peak_mib"],
                f"{r['fit']['model_bytes'] / 1024:.0f}",
            ]
            for r in fits
        ],
    )


if __name__ == "__main__":
    main()
