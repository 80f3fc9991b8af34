"""Command-line compilation of a model into the engine's plan (for the JVM data source)."""

from __future__ import annotations

from spark_synth.plan.compiler import compile_plan


def main(argv: list[str] | None = None) -> int:
    """`python -m spark_synth.plan.main --model M.json --rows N`: the plan JSON on stdout
    (`--model -`: the model JSON on stdin). The JVM data source "spark_synth" runs this on the
    driver with the model it read from any Hadoop file system, so spark.read.format("spark_synth")
    compiles a model with exactly the code the Python API uses."""
    import argparse
    import json
    import sys

    from spark_synth.errors import SparkSynthError
    from spark_synth.model.io import SynthModel, model_text, read_model_text
    from spark_synth.model.relational import is_relational
    from spark_synth.plan.request import check_id_space

    parser = argparse.ArgumentParser(prog="python -m spark_synth.plan.main")
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--name", help="the model's path, for messages, when it comes on stdin")
    args = parser.parse_args(argv)
    try:
        name = args.name or args.model
        text = model_text(sys.stdin.buffer.read(), name) if args.model == "-" else read_model_text(args.model)
        try:
            relational = is_relational(json.loads(text))
        except json.JSONDecodeError:
            relational = False  # from_json below names the problem
        if relational:
            raise SparkSynthError(
                "the spark_synth data source reads single-table models; generate a relational "
                "model with spark_synth.generate_schema or `spark-synth generate`"
            )
        rows = int(args.rows) if args.rows.strip().isdigit() else 0
        if rows <= 0:
            raise SparkSynthError(f"option 'rows' must be a positive integer, got {args.rows!r}")
        model = SynthModel.from_json(text, name)
        check_id_space(model, rows)
        plan = compile_plan(model, rows)
    except SparkSynthError as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 2
    sys.stdout.write(plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
