"""The engine's speed on flights against an older checkout's, in one run (issue 36: no more than
5 % slower). Each side fits flights once with its own code, then the sides take turns: a fresh
Spark session per turn loads that side's model and generates ROWS rows to the noop sink, timed
from the first action to the last. Turns alternate so machine drift hits both sides alike.

    python scripts/engine_ab.py [--before REV] [--rows 5000000] [--turns 4]
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
FLIGHTS = ROOT.parent / "shared" / "data" / "nycflights13" / "flights.parquet"

from results import commit, publish, table  # noqa: E402

FIT = """
import sys, os
sys.path.insert(0, sys.argv[1])
from spark_synth import fit
from spark_synth.io import get_spark
spark = get_spark("ab fit", "local[2]", {"spark.ui.enabled": "false"})
fit(spark.read.parquet(sys.argv[2]), table="flights").save(sys.argv[3])
"""
TURN = """
import sys, time, json
sys.path.insert(0, sys.argv[1])
from spark_synth import generate
from spark_synth.io import get_spark, write_output
from spark_synth.model.io import load_model
spark = get_spark("ab turn", "local[2]", {"spark.ui.enabled": "false"})
model = load_model(sys.argv[2])
rows = int(sys.argv[3])
write_output(generate(spark, model, rows=100_000, seed=9), None, "noop")  # JIT and engine warm
started = time.perf_counter()
write_output(generate(spark, model, rows=rows, seed=1), None, "noop")
print(json.dumps({"rows_per_s": rows / (time.perf_counter() - started)}))
"""


def _python(code: str, *args: str) -> str:
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_SYNTH_RESULTS="off")
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False, timeout=1800
    )
    if done.returncode != 0:
        raise SystemExit(f"a turn failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="b8f5b7e", help="the older checkout (a git revision)")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    if not FLIGHTS.exists():
        print(f"no {FLIGHTS}: this bench reads the shared flights table", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.before], check=True)
        try:
            sides = {"before": old, "after": ROOT}
            models = {}
            for name, checkout in sides.items():
                models[name] = str(Path(tmp) / f"{name}.model.json")
                _python(FIT, str(checkout), str(FLIGHTS), models[name])
            rates: dict[str, list[float]] = {name: [] for name in sides}
            for turn in range(args.turns):
                for name in sides if turn % 2 == 0 else reversed(list(sides)):
                    out = json.loads(_python(TURN, str(sides[name]), models[name], str(args.rows)))
                    rates[name].append(out["rows_per_s"])
                    print(f"turn {turn + 1} {name:<6} {out['rows_per_s']:,.0f} rows/s", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    rows = []
    for name in ("before", "after"):
        r = rates[name]
        rows.append([name, f"{max(r):,.0f}", f"{statistics.median(r):,.0f}", ", ".join(f"{x:,.0f}" for x in r)])
    best = max(rates["after"]) / max(rates["before"])
    median = statistics.median(rates["after"]) / statistics.median(rates["before"])
    print()
    print(f"before = {args.before}, after = {commit()}; {args.rows:,} flights rows to noop per turn, local[2]\n")
    print(table(["side", "best rows/s", "median rows/s", "every turn"], rows))
    print(f"\nafter / before: best {best:.3f}x, median {median:.3f}x")
    return 0


if __name__ == "__main__":
    result = publish("engine_ab", "The engine on flights against an older checkout, turn by turn", main)
    raise SystemExit(result if isinstance(result, int) else 0)
