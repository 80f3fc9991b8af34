"""Digests of generated rows and compiled plans, to prove a change did not move a single row.

    python scripts/digest.py --out out/digest/before.json             # fits the models once, then digests
    python scripts/digest.py --models out/digest --out out/digest/after.json   # the same model files again
    python scripts/digest.py --compare out/digest/before.json out/digest/after.json

Each case is a model file, a request (rows, seed, conditions, rebalancing, relational scale) and
the order-free digest of the rows it generates: the row count, and the sum and xor of a 64-bit
hash of every row (Spark's xxhash64 over all columns). It also records the SHA-256 of every plan
the request compiles, which is what an engine reads. A refactoring that leaves every digest equal
left the rows alone. The models are fitted only when missing (fits are not bit-reproducible:
sketches merge in task order), so before/after runs must share --models.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import table, write_results  # noqa: E402

CASES = [  # (name, rows, seed, where, rebalance)
    ("plain", 1_000_000, 7, None, None),
    ("range", 100_000, 3, ["arr_delay >= 60"], None),
    ("value_and_set", 100_000, 4, ["carrier = UA", "origin in (JFK, LGA)"], None),
    ("null_split", 100_000, 5, ["dep_time is null"], None),
    ("rebalanced", 100_000, 6, None, {"origin": {"JFK": 0.5, "LGA": 0.3, "EWR": 0.2}}),
]


def row_digest(df) -> dict:
    from pyspark.sql import functions as F

    hashed = df.select(F.xxhash64(*[F.col(f"`{c}`") for c in df.columns]).alias("h"))
    row = hashed.agg(
        F.count("h").alias("n"), F.sum(F.col("h").cast("decimal(38,0)")).alias("sum"), F.bit_xor("h").alias("xor")
    ).first()
    return {"rows": row["n"], "sum": str(row["sum"]), "xor": row["xor"]}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digests(spark, models: Path) -> dict:
    from spark_synth import fit, generate, generate_schema, load_model
    from spark_synth.fit.relational import fit_schema
    from spark_synth.io.schema_config import load_schema_config
    from spark_synth.model.relational import load_relational
    from spark_synth.plan.request import plan_request
    from spark_synth.plan.schema import plan_schema

    flights_model = models / "flights.model.json"
    if not flights_model.exists():
        model = fit(spark.read.parquet(str(ROOT / "data" / "nycflights13" / "flights.parquet")), table="flights")
        model.save(flights_model)
    schema_model = models / "nyc.model.json"
    if not schema_model.exists():
        config, base = load_schema_config(str(ROOT / "conf" / "nycflights13.yaml"))
        fit_schema(spark, config, base).save(schema_model)
    model = load_model(flights_model)
    out = {"models": {p.name: sha(p.read_text()) for p in (flights_model, schema_model)}, "cases": {}}
    for name, rows, seed, where, rebalance in CASES:
        started = time.time()
        plans = [sha(scan.plan) for scan in plan_request(model, rows, where, rebalance, "UTC")]
        out["cases"][name] = {
            "plans": plans,
            **row_digest(generate(spark, model, rows, seed, where=where, rebalance=rebalance)),
        }
        print(f"{name:<16} {out['cases'][name]['rows']:>9,} rows  {time.time() - started:5.1f} s", flush=True)
    schema = load_relational(schema_model)
    plans = [sha(scan.plan) for scan in plan_schema(schema, 1.0).values()]
    for name, df in generate_schema(spark, schema, 1.0, 7).items():
        out["cases"][f"schema.{name}"] = row_digest(df)
    out["cases"]["schema.plans"] = {"plans": plans}
    print("relational schema at scale 1 done", flush=True)
    return out


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    same = a["cases"] == b["cases"] and a["models"] == b["models"]
    for name in sorted(set(a["cases"]) | set(b["cases"])):
        verdict = "same" if a["cases"].get(name) == b["cases"].get(name) else "DIFFERENT"
        print(f"{name:<24} {verdict}")
    print("every digest equal" if same else "digests differ")
    return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default=str(ROOT / "out" / "digest"), help="folder of the model files (fitted if missing)"
    )
    parser.add_argument("--out", help="where to write the digests (JSON)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    from spark_synth.io import get_spark

    models = Path(args.models)
    models.mkdir(parents=True, exist_ok=True)
    spark = get_spark("spark_synth digest", "local[2]", {"spark.ui.enabled": "false"})
    result = digests(spark, models)
    text = json.dumps(result, indent=1, sort_keys=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    rows = [
        [name, case.get("rows", ""), case.get("sum", ""), case.get("xor", ""), len(case.get("plans", []))]
        for name, case in sorted(result["cases"].items())
    ]
    write_results(
        "digest",
        "Digests of generated rows and compiled plans",
        "Models (SHA-256 of the files these digests were made from): "
        + ", ".join(f"`{k}` `{v[:16]}…`" for k, v in result["models"].items())
        + "\n\n"
        + table(["case", "rows", "sum of row hashes", "xor of row hashes", "plans"], rows)
        + "\n\nA change that leaves every row and plan alone leaves this table as it is for the same model "
        "files: compare two runs' `--out` files with `python scripts/digest.py --compare BEFORE AFTER`.",
        data=result,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
