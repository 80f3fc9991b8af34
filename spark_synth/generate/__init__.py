"""Generate side: plan row ranges per partition, sample blocks in numpy, emit Arrow batches."""

from spark_synth.generate.planner import generate_dataframe

__all__ = ["generate_dataframe"]
