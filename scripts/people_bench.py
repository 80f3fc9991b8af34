"""Generation speed of a people table with six semantic columns (issue 14, item 2): the shared
`peeps` table (given and family names, state, e-mail, phone) plus a `person_id` UUID column, fitted
with its types (names drawn from public vocabularies, e-mails built from the row's names) against
the same table fitted with its names, state and e-mail as plain patterns (`kind: pattern`, the
baseline),
in the same run: rows/s to the `noop` sink, best of --repeats runs, interleaved. Also prints the share of generated
e-mails built from the row's own names and whether they are unique. Not a test: it reads
../shared/data; the figures go to docs/results/people.md.

    python scripts/people_bench.py [--data ../shared/data] [--rows 2000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

import numpy as np  # noqa: E402
from results import publish  # noqa: E402

from spark_synth import fit, generate  # noqa: E402
from spark_synth.io import get_spark, read_table  # noqa: E402
from spark_synth.model.emails import build_local, fold  # noqa: E402


def typed_columns(model) -> dict[str, str]:
    """column -> its semantic type (a vocabulary or a validator type)."""
    out = {}
    for c in model.spec.columns:
        vocabulary = getattr(c, "vocabulary", None)
        name = vocabulary.name if vocabulary is not None else getattr(c, "semantic", None)
        if name:
            out[c.name] = name + (" (from names)" if getattr(c, "from_names", None) else "")
    return out


def speeds(spark, models: dict, rows: int, repeats: int) -> dict[str, float]:
    """Best rows/s of each model to noop; runs interleaved, so a noisy machine slows both alike."""
    best = {name: float("inf") for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            started = time.perf_counter()
            generate(spark, model, rows, seed=1).write.format("noop").mode("overwrite").save()
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: rows / seconds for name, seconds in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    spark = get_spark("spark_synth people_bench", "local[2]", {"spark.ui.enabled": "false"})
    real = read_table(spark, str(Path(args.data) / "great_tables" / "peeps.parquet")).toPandas()
    rng = np.random.default_rng(0)
    real["person_id"] = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(len(real))]
    frame = spark.createDataFrame(real)
    typed = fit(frame, table="peeps")
    types = typed_columns(typed)
    print(f"typed columns ({len(types)}): " + ", ".join(f"{c}: {t}" for c, t in types.items()))
    # The baseline draws the columns whose generation the types change (vocabulary words, e-mails
    # from names, word shapes) as plain character patterns; phone and UUID columns generate alike either way.
    plain = fit(
        frame,
        table="peeps",
        kinds={c: "pattern" for c in ("name_given", "name_family", "state_prov", "email_addr", "city", "address")},
    )
    sample = generate(spark, typed, 20_000, seed=3).toPandas()
    built = typed.column("email_addr").from_names
    if built is not None:
        made = np.mean(
            [
                e.split("@")[0].rstrip("0123456789")
                in {
                    build_local(t, fold(g or ""), fold(f or ""), p, q)
                    for t in built.templates
                    for p in map(int, built.given_prefix)
                    for q in map(int, built.family_prefix)
                }
                for e, g, f in zip(sample["email_addr"], sample["name_given"], sample["name_family"])
            ]
        )
        print(
            f"e-mails built from the row's names: {made:.1%} of 20,000; unique: "
            f"{sample['email_addr'].nunique() == len(sample)}"
        )
    rates = speeds(spark, {"typed": typed, "plain": plain}, args.rows, args.repeats)
    fast, slow = rates["typed"], rates["plain"]
    print(
        f"generation to noop, {args.rows:,} rows, best of {args.repeats}: typed {fast / 1e6:.2f} M rows/s, "
        f"plain patterns {slow / 1e6:.2f} M rows/s (ratio {fast / slow:.2f})"
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    result = publish("people", "Typed string columns against the same columns as plain patterns", main)
    raise SystemExit(result if isinstance(result, int) else 0)
