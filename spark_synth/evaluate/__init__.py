"""Evaluation: how close synthetic data is to the real data, computed by Spark over all rows."""

from spark_synth.evaluate.pairs import PairScore, column_pair_trends
from spark_synth.evaluate.report import Report, evaluate
from spark_synth.evaluate.shapes import ShapeScore, column_shapes

__all__ = ["PairScore", "Report", "ShapeScore", "column_pair_trends", "column_shapes", "evaluate"]
