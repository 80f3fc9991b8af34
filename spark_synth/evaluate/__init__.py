"""Evaluation: how close synthetic data is to the real data, computed by Spark over all rows."""

from spark_synth.evaluate.shapes import ShapeScore, column_shapes

__all__ = ["ShapeScore", "column_shapes"]
