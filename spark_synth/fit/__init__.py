"""Fit side: Spark aggregations over the real table -> sufficient statistics -> model file."""

from spark_synth.fit.fitter import DEFAULT_MIN_COUNT, FitOptions, fit_table

__all__ = ["FitOptions", "fit_table", "DEFAULT_MIN_COUNT"]
