"""Realism and identity per string column (the evaluation's section, issue 14 item 7): each typed
column's validator pass rate on generated and real values, the share of generated values equal to
a real one and, for columns drawn from a vocabulary, the share chance explains.

    python scripts/realism_bench.py [--data ../shared/data] [--seed 7] [--rows 5000]

Not a test: it reads ../shared/data; the figures go to docs/results/realism.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import publish  # noqa: E402

from spark_synth import evaluate, fit, generate  # noqa: E402
from spark_synth.io import get_spark, read_table  # noqa: E402

TABLES = ["great_tables/peeps", "airportsdata/airports"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--tables", nargs="*", default=TABLES)
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth realism_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    for name in args.tables:
        real = read_table(spark, str(Path(args.data) / f"{name}.parquet"))
        model = fit(real, table=Path(name).stem)
        synthetic = generate(spark, model, rows=args.rows, seed=args.seed)
        realism = evaluate(real, synthetic, model).details["realism"]
        print(f"{name} ({args.rows:,} rows, seed {args.seed})", flush=True)
        for column, r in realism.items():
            valid = "" if "type" not in r else f"{r['type']:<17} valid {r['valid']:7.2%} (real {r['valid_real']:7.2%})"
            chance = f"  by chance {r['chance_equal']:6.2%}" if "chance_equal" in r else ""
            print(f"  {column:<14} {valid:<50} equal to a real value {r['equal_to_real']:6.2%}{chance}", flush=True)
    return 0


if __name__ == "__main__":
    result = publish("realism", "Realism and identity of typed string columns", main)
    raise SystemExit(result if isinstance(result, int) else 0)
