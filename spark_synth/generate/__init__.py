"""Generate side: compile the model into a plan (plan.py), run it in the JVM engine (jvm/),
planned as row ranges per partition (planner.py)."""

from spark_synth.generate.planner import generate_dataframe

__all__ = ["generate_dataframe"]
