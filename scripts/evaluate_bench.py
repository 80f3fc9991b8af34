"""The evaluation report's time on the demo data, against a baseline checkout in the same run.

    python scripts/evaluate_bench.py [--baseline COMMIT] [--repeats 3]

The demo's data (the bundled flights sample, a model fitted on it and as many generated rows) is
made once; then `evaluate` + `Report.save` runs in a fresh process for this tree and for the
baseline commit (a temporary git worktree) in turn, `--repeats` times each, each process timing
its second evaluation (the first warms the JVM). The ratio this / baseline is the figure; the page
goes to docs/results/evaluate.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import publish  # noqa: E402

TIMED = r"""
import json, sys, time
from pathlib import Path
from spark_synth.api import load_model
from spark_synth.evaluation import evaluate
from spark_synth.io import get_spark

data = Path(sys.argv[1])
spark = get_spark("evaluate_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"})
real = spark.read.parquet(str(data / "real.parquet"))
synthetic = spark.read.parquet(str(data / "synthetic.parquet"))
model = load_model(data / "model.json")
times = []
for attempt in range(2):
    started = time.perf_counter()
    evaluate(real, synthetic, model, target="arr_delay").save(data / f"report-{attempt}")
    times.append(time.perf_counter() - started)
print(json.dumps({"seconds": times[-1]}))
"""


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="803758d", help="commit to compare with (before issue 31)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="evaluate_bench-"))
    baseline_tree = work / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-f", "--detach", str(baseline_tree), args.baseline],
        check=True,
        capture_output=True,
    )
    try:
        _prepare(work / "data", args.rows)
        trees = {"this tree": ROOT, f"baseline {args.baseline}": baseline_tree}
        seconds: dict[str, list[float]] = {name: [] for name in trees}
        for attempt in range(args.repeats):
            for name, tree in trees.items():
                seconds[name].append(_timed(tree, work / "data"))
                print(f"run {attempt + 1}/{args.repeats}  {name:<20} {seconds[name][-1]:6.1f} s", flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline_tree)], check=False)
    this, base = (statistics.median(v) for v in seconds.values())
    print(f"\nmedian: this tree {this:.1f} s, baseline {base:.1f} s, ratio {this / base:.3f}")
    return {"seconds": seconds, "this": this, "baseline": base, "ratio": this / base, "rows": args.rows}


def _prepare(data: Path, rows: int) -> None:
    """The demo's inputs: the bundled sample, a model fitted on it, `rows` generated rows."""
    from importlib import resources

    from spark_synth import fit, generate
    from spark_synth.io import get_spark

    spark = get_spark("evaluate_bench data", "local[2]", {"spark.ui.enabled": "false"})
    real = spark.read.parquet(str(resources.files("spark_synth") / "samples" / "flights_sample.parquet"))
    model = fit(real, table="flights_sample")
    data.mkdir(parents=True)
    model.save(data / "model.json")
    real.write.parquet(str(data / "real.parquet"))
    generate(spark, model, rows=rows, seed=1).write.parquet(str(data / "synthetic.parquet"))
    spark.stop()


def _timed(tree: Path, data: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run([sys.executable, "-c", TIMED, str(data)], env=env, capture_output=True, text=True, cwd=tree)
    if done.returncode:
        raise SystemExit(f"evaluation in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def headline(r: dict) -> list[dict]:
    return [
        {
            "what": f"evaluation report, demo data ({r['rows']:,} rows each side)",
            "figure": f"{r['this']:.1f} s",
            "baseline": f"before issue 31: {r['baseline']:.1f} s",
            "ratio": f"{r['ratio']:.2f}×",
        }
    ]


if __name__ == "__main__":
    publish("evaluate", "Evaluation report time on the demo data, against the code before issue 31", main, headline)
