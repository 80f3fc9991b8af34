"""The neural side-by-side for scripts/dependence_bench.py (issue 37): MOSTLY AI's open engine
(`mostlyai-engine`, TabularARGN on CPU, default settings, a stated training budget) trained on
each table and sampled to the real row count, written as Parquet for the bench to score with the
same metrics, in the same page.

Runs in its own virtual environment, never imported by the package (a benchmark-only anchor):

    bash scripts/neural_anchor.sh                       # makes .venv-mostly, then runs this
    .venv-mostly/bin/python scripts/neural_anchor.py --out /tmp/neural --minutes 4 TABLE=PATH ...

Each TABLE=PATH is a Parquet file or directory (the bench writes the real rows there first).
Per table it writes OUT/<TABLE>/synthetic.parquet and OUT/<TABLE>/run.json (training budget,
fit and sample seconds, package version).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd


def run(label: str, source: Path, out: Path, minutes: float, seed: int) -> dict:
    from mostlyai import engine
    from mostlyai.engine import TabularARGN

    real = pd.read_parquet(source)
    target = out / label.replace("/", "__")
    target.mkdir(parents=True, exist_ok=True)
    engine.set_random_state(seed)
    started = time.perf_counter()
    model = TabularARGN(max_training_time=minutes, workspace_dir=target / "workspace", verbose=0)
    model.fit(real)
    fitted = time.perf_counter() - started
    started = time.perf_counter()
    synthetic = model.sample(n_samples=len(real))
    sampled = time.perf_counter() - started
    synthetic = synthetic[list(real.columns)].astype(real.dtypes.to_dict(), errors="ignore")
    synthetic.to_parquet(target / "synthetic.parquet", index=False)
    record = {
        "table": label,
        "rows": len(real),
        "training_minutes": minutes,
        "fit_seconds": round(fitted, 1),
        "sample_seconds": round(sampled, 1),
        "engine": f"mostlyai-engine {engine.__version__}",
    }
    (target / "run.json").write_text(json.dumps(record, indent=1))
    return record


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--minutes", type=float, default=4.0, help="training budget per table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("tables", nargs="+", help="LABEL=PATH of a Parquet file or directory")
    args = parser.parse_args()
    failures = 0
    for item in args.tables:
        label, _, path = item.partition("=")
        try:
            print(json.dumps(run(label, Path(path), Path(args.out), args.minutes, args.seed)), flush=True)
        except Exception as exc:  # one table's failure is reported, the others still run
            failures += 1
            print(json.dumps({"table": label, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
