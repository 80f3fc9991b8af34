"""Formats that follow the row: per string column, the share of generated rows whose format sits
with a country it sits with in the real data — formats drawn independently (`formats="none"`,
before) against formats that follow the row (`"auto"`, the default) — and Column Shapes of both.

A row's format is its value's shape (digits 9, letters A/a, other characters kept; null is a
format of its own), so a Belgian phone number in the US format, a US state next to a Polish
country code or a UK postcode next to BEL count as mismatches. Rows whose country is not a real
one are left out of the share (rare countries drawn from a vocabulary). Not a test: it reads
../shared/data; the figures go to docs/results/formats.md.

    python scripts/formats_bench.py [--data ../shared/data] [--seed 7] [--rows 5000] [--show]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

import pandas as pd  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.evaluation.shapes import column_shapes  # noqa: E402
from spark_synth.io import get_spark, read_table  # noqa: E402
from spark_synth.model.schema import PatternColumn, UniqueColumn  # noqa: E402

# table -> the column formats are compared against
TABLES = {"great_tables/peeps": "country", "airportsdata/airports": "country"}


def shape(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return re.sub("[a-z]", "a", re.sub("[A-Z]", "A", re.sub("[0-9]", "9", str(value))))


def agreement(real: pd.DataFrame, synthetic: pd.DataFrame, column: str, parent: str) -> float:
    seen = set(zip(real[parent], real[column].map(shape)))
    known = synthetic[synthetic[parent].isin(set(real[parent]))]
    return float(pd.Series([(p, shape(v)) in seen for p, v in zip(known[parent], known[column])]).mean())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=5000, help="generated rows (unique shapes need the room)")
    parser.add_argument("--show", action="store_true", help="print 10 real and 10 generated rows of each table")
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth formats_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    for name, parent in TABLES.items():
        real = read_table(spark, str(Path(args.data) / f"{name}.parquet"))
        real_pd = real.toPandas()
        results = {}
        for formats in ("none", "auto"):
            model = fit(real, table=Path(name).stem, formats=formats)
            synthetic = generate(spark, model, rows=args.rows, seed=args.seed).cache()
            shapes = {s.column: s.score for s in column_shapes(real, synthetic)}
            synthetic_pd = synthetic.toPandas()
            columns = [
                c
                for c in model.spec.columns
                if isinstance(c, PatternColumn | UniqueColumn) and c.spark_type == '"string"' and c.name != parent
            ]
            results[formats] = {
                c.name: (
                    agreement(real_pd, synthetic_pd, c.name, parent),
                    shapes.get(c.name),
                    getattr(c, "follows", None),
                )
                for c in columns
            }
            if args.show and formats == "auto":
                print(real_pd.head(10).to_string(index=False))
                print(synthetic_pd.head(10).to_string(index=False))
            synthetic.unpersist()
        print(f"{name} ({args.rows:,} rows, formats compared by {parent})", flush=True)
        for column, (after, shape_after, follows) in results["auto"].items():
            before, shape_before, _ = results["none"][column]
            parent_of = f"follows {follows.parent}" if follows else "independent"
            print(
                f"  {column:<14} {parent_of:<20} agreement {before:7.2%} -> {after:7.2%}   "
                f"shape {shape_before:.3f} -> {shape_after:.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    result = publish("formats", "Formats that follow the row", main)
    raise SystemExit(result if isinstance(result, int) else 0)
