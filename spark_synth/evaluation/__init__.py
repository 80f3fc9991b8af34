"""Evaluation: how close synthetic data is to the real data (fidelity), how little of it leaks
(privacy) and how useful it is for a model (utility), computed by Spark over all rows."""

from spark_synth.evaluation.pairs import PairScore, column_pair_trends
from spark_synth.evaluation.report import Report, evaluate
from spark_synth.evaluation.shapes import ShapeScore, column_shapes

__all__ = ["PairScore", "Report", "ShapeScore", "column_pair_trends", "column_shapes", "evaluate"]
