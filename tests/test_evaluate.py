"""Evaluation on Spark agrees with the sdmetrics package on small tables (within 0.01)."""

from __future__ import annotations

import warnings

import pytest

from spark_synth import InputDataError, generate
from spark_synth.evaluate import column_pair_trends, column_shapes, evaluate

COLUMNS = ["dep_delay", "distance", "air_time", "carrier", "origin", "time_hour"]
NUMERIC = {"dep_delay", "distance", "air_time", "time_hour"}


@pytest.fixture(scope="module")
def small_tables(spark, flights, flights_model):
    real = flights.select(*COLUMNS).limit(800)
    synthetic = generate(spark, flights_model, rows=700, seed=13).select(*COLUMNS)
    return real, synthetic


def test_column_scores_match_sdmetrics(small_tables):
    warnings.filterwarnings("ignore")
    from sdmetrics.single_column import KSComplement, TVComplement

    real, synthetic = small_tables
    r, s = real.toPandas(), synthetic.toPandas()
    ours = {x.column: x.score for x in column_shapes(real, synthetic)}
    for column in COLUMNS:
        metric = KSComplement if column in NUMERIC else TVComplement
        expected = metric.compute(r[column], s[column])
        assert ours[column] == pytest.approx(expected, abs=0.01), column


def test_pair_scores_match_sdmetrics(small_tables):
    warnings.filterwarnings("ignore")
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity

    real, synthetic = small_tables
    r, s = real.toPandas(), synthetic.toPandas()
    for frame in (r, s):  # SDMetrics' report turns datetimes into numbers before pair metrics
        frame["time_hour"] = frame["time_hour"].astype("int64").astype(float)
    ours = {p.columns: p for p in column_pair_trends(real, synthetic)}
    assert len(ours) == len(COLUMNS) * (len(COLUMNS) - 1) // 2
    for (a, b), pair in ours.items():
        if a in NUMERIC and b in NUMERIC:
            expected = CorrelationSimilarity.compute(r[[a, b]], s[[a, b]])
            assert pair.metric == "CorrelationSimilarity"
        else:
            continuous = [c for c in (a, b) if c in NUMERIC]
            expected = ContingencySimilarity.compute(r[[a, b]], s[[a, b]], continuous_column_names=continuous)
        assert pair.score == pytest.approx(expected, abs=0.01), (a, b)


def test_report_keys_and_errors(spark, small_tables, tmp_path):
    real, synthetic = small_tables
    report = evaluate(real, synthetic)
    path = report.save(tmp_path)
    import json

    details = json.loads(path.read_text())
    assert {"score", "column_shapes", "column_pair_trends", "column_pair_trends_all_pairs", "columns",
            "pairs", "null_rates", "report_version"} <= set(details)
    assert 0.5 < details["score"] <= 1.0
    with pytest.raises(InputDataError, match=r"missing \['origin'\]"):
        evaluate(real, synthetic.drop("origin"))
    with pytest.raises(InputDataError, match="synthetic table is empty"):
        evaluate(real, synthetic.limit(0))


def test_privacy_checks(spark, flights, flights_model):
    from spark_synth import fit
    from spark_synth.evaluate.privacy import audit_model, exact_copies

    assert audit_model(flights, flights_model) == []
    leaky = fit(flights.limit(2000), min_count=1)  # k=1 stores rare values on purpose
    findings = audit_model(flights, leaky, min_count=5)
    assert findings and all(f["real_count"] < 5 for f in findings)
    real = flights.select("carrier", "origin", "flight").limit(500)
    copied = real.limit(50).union(generate(spark, flights_model, rows=150, seed=2).select("carrier", "origin", "flight"))
    stats = exact_copies(real, copied)
    assert stats["synthetic_rows"] == 200 and stats["copied_rows"] >= 50
