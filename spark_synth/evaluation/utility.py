"""Utility: does a model trained on synthetic data do as well as one trained on real data?

The real table is split 80/20 (seeded). The same Spark ML pipeline is trained once on the real
80 % and once on the synthetic table, and both are scored on the real 20 %: R^2 for a numeric
target (linear regression), accuracy and, for two classes, AUC for a categorical one (logistic
regression). The ratio synthetic/real near 1 means "no significant difference" for this task.
Features: every other numeric/datetime column (median-imputed) and every string/boolean column
with at most MAX_LEVELS values (one-hot); wider strings (ids, tail numbers) are left out.
"""

from __future__ import annotations

import logging

from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator, RegressionEvaluator
from pyspark.ml.feature import Imputer, OneHotEncoder, StringIndexer, VectorAssembler
from pyspark.ml.regression import LinearRegression
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.errors import InputDataError
from spark_synth.model.types import family
from spark_synth.names import quote
from spark_synth.sql.encodings import NUMERIC_FAMILIES, numeric_expression

log = logging.getLogger(__name__)
MAX_LEVELS = 64
CLASSIFICATION_FAMILIES = ("string", "boolean")


def utility(real: DataFrame, synthetic: DataFrame, target: str, seed: int = 0, label: str | None = None) -> dict:
    """`label`: the target's name for messages (evaluate passes positional aliases as columns)."""
    label = label or target
    if target not in real.columns:
        raise InputDataError(
            f"target column {label!r} is not in the real table (columns: {real.columns}); "
            "pass --target with one of them"
        )
    families = {f.name: family(f.dataType) for f in real.schema.fields}
    if families[target] not in CLASSIFICATION_FAMILIES + NUMERIC_FAMILIES:
        raise InputDataError(
            f"target column {label!r} has type {dict(real.dtypes)[target]}; "
            "choose a numeric, datetime, string or boolean column"
        )
    task = "classification" if families[target] in CLASSIFICATION_FAMILIES else "regression"
    numeric = [c for c, f in families.items() if c != target and f in NUMERIC_FAMILIES]
    candidates = [c for c, f in families.items() if c != target and f in CLASSIFICATION_FAMILIES]
    if candidates:
        levels = real.agg(*[F.approx_count_distinct(quote(c)).alias(c) for c in candidates]).first()
        categorical = [c for c in candidates if levels[c] <= MAX_LEVELS]
    else:
        categorical = []
    if not numeric and not categorical:
        raise InputDataError(f"no usable feature columns to predict {label!r}")
    prepare = _prepared(target, task, numeric, categorical, families)
    train, holdout = prepare(real).randomSplit([0.8, 0.2], seed=seed)
    train, holdout = train.cache(), holdout.cache()
    synthetic_train = prepare(synthetic)
    stages = _pipeline(task, numeric, categorical)
    scores = {}
    for name, data in (("real", train), ("synthetic", synthetic_train)):
        log.info("evaluate: utility, training on %s data (%s of %r)", name, task, label)
        fitted = Pipeline(stages=stages).fit(data)
        scores[name] = _score(task, fitted.transform(holdout))
    train.unpersist()
    holdout.unpersist()
    metric = "r2" if task == "regression" else "accuracy"
    real_score, synthetic_score = scores["real"][metric], scores["synthetic"][metric]
    return {
        "target": target,
        "task": task,
        "model": "LinearRegression" if task == "regression" else "LogisticRegression",
        "metric": metric,
        "real_score": real_score,
        "synthetic_score": synthetic_score,
        "ratio": synthetic_score / real_score if real_score else float("nan"),
        "scores": scores,
        "features": {"numeric": numeric, "categorical": categorical},
        "split": f"real 80 % train / 20 % hold-out, seed {seed}",
    }


def _prepared(target, task, numeric, categorical, families):
    def prepare(df: DataFrame) -> DataFrame:
        columns = [numeric_expression(c, families[c]).alias(c) for c in numeric]
        columns += [F.col(quote(c)).cast("string").alias(c) for c in categorical]
        label = (
            F.col(quote(target)).cast("string")
            if task == "classification"
            else numeric_expression(target, families[target])
        )
        return df.select(*columns, label.alias("__label")).where(F.col("__label").isNotNull())

    return prepare


def _pipeline(task: str, numeric: list[str], categorical: list[str]) -> list:
    stages: list = []
    features = []
    if numeric:
        stages.append(Imputer(inputCols=numeric, outputCols=[f"__imp_{c}" for c in numeric], strategy="median"))
        features += [f"__imp_{c}" for c in numeric]
    if categorical:
        stages.append(
            StringIndexer(inputCols=categorical, outputCols=[f"__idx_{c}" for c in categorical], handleInvalid="keep")
        )
        stages.append(
            OneHotEncoder(
                inputCols=[f"__idx_{c}" for c in categorical],
                outputCols=[f"__oh_{c}" for c in categorical],
                handleInvalid="keep",
            )
        )
        features += [f"__oh_{c}" for c in categorical]
    stages.append(VectorAssembler(inputCols=features, outputCol="__features", handleInvalid="keep"))
    if task == "regression":
        stages.append(LinearRegression(featuresCol="__features", labelCol="__label", regParam=0.01))
    else:
        # "skip": a label the training rows never show is left out of the score. ("keep" would add an
        # unknown-label class, so a two-class target got three raw predictions and no AUC.)
        stages.append(StringIndexer(inputCol="__label", outputCol="__label_index", handleInvalid="skip"))
        stages.append(LogisticRegression(featuresCol="__features", labelCol="__label_index", maxIter=50, regParam=0.01))
    return stages


def _score(task: str, predictions: DataFrame) -> dict:
    if task == "regression":
        evaluator = RegressionEvaluator(labelCol="__label", predictionCol="prediction")
        return {
            "r2": evaluator.evaluate(predictions, {evaluator.metricName: "r2"}),
            "rmse": evaluator.evaluate(predictions, {evaluator.metricName: "rmse"}),
        }
    accuracy = MulticlassClassificationEvaluator(
        labelCol="__label_index", predictionCol="prediction", metricName="accuracy"
    ).evaluate(predictions)
    out = {"accuracy": accuracy}
    if predictions.select("__label_index").distinct().count() == 2:
        out["auc"] = BinaryClassificationEvaluator(labelCol="__label_index", rawPredictionCol="rawPrediction").evaluate(
            predictions
        )
    return out
