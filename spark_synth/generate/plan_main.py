"""Command-line compilation of a model into the engine's plan (for the JVM data source)."""

from __future__ import annotations

from spark_synth.generate.plan import compile_plan


def main(argv: list[str] | None = None) -> int:
    """`python -m spark_synth.generate.plan_main --model M.json --rows N`: the plan JSON on stdout.
    The JVM data source "spark_synth" runs this on the driver, so spark.read.format("spark_synth")
    compiles a model with exactly the code the Python API uses."""
    import argparse
    import sys

    from spark_synth.errors import SparkSynthError
    from spark_synth.generate.planner import check_key_space
    from spark_synth.model.io import load_model
    from spark_synth.model.relational import is_relational_file

    parser = argparse.ArgumentParser(prog="python -m spark_synth.generate.plan_main")
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", required=True)
    args = parser.parse_args(argv)
    try:
        if is_relational_file(args.model):
            raise SparkSynthError("the spark_synth data source reads single-table models; generate a relational "
                                  "model with spark_synth.generate.relational.generate_schema or `spark-synth generate`")
        rows = int(args.rows) if args.rows.strip().isdigit() else 0
        if rows <= 0:
            raise SparkSynthError(f"option 'rows' must be a positive integer, got {args.rows!r}")
        model = load_model(args.model)
        check_key_space(model, rows)
        plan = compile_plan(model, rows)
    except SparkSynthError as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 2
    sys.stdout.write(plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
