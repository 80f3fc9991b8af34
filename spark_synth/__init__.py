"""spark_synth: learn a table's statistical shape with Spark, generate look-alike data at scale.

    from spark_synth import fit, generate, load_model
    model = fit(df)
    model.save("flights.model.json"); model = load_model("flights.model.json")
    out = generate(spark, model, rows=10**9, seed=7)
    out = spark.read.format("spark_synth").option("model", "flights.model.json").option("rows", 10**9).load()
    report = evaluate(real_df, out, model, target="arr_delay"); report.save("report/")

evaluate and Report are imported on first use: Spark's Python workers import this package
for fit/ and model/, and should not pay for evaluation's SciPy and Spark ML imports (~1 s).
"""

from __future__ import annotations

# `fit` names both the function and the subpackage: importing the API last binds the function.
from spark_synth.api import fit, generate, generate_schema, load_model, merge, read_lake, register
from spark_synth.errors import ArgumentError, GenerateError, InputDataError, ModelFileError, SparkSynthError
from spark_synth.model.io import SynthModel
from spark_synth.moved import install as _install_moved
from spark_synth.version import __version__

_install_moved()

__all__ = [
    "fit",
    "generate",
    "generate_schema",
    "load_model",
    "merge",
    "read_lake",
    "register",
    "evaluate",
    "Report",
    "SynthModel",
    "SparkSynthError",
    "InputDataError",
    "ModelFileError",
    "GenerateError",
    "ArgumentError",
    "__version__",
]


def __getattr__(name: str):
    if name in ("evaluate", "Report"):
        from spark_synth import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'spark_synth' has no attribute {name!r}")
