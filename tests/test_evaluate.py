"""Evaluation on Spark agrees with the sdmetrics package on small tables (within 0.01)."""

from __future__ import annotations

import warnings

import pytest

from spark_synth import InputDataError, generate
from spark_synth.evaluation import column_pair_trends, column_shapes, evaluate

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


def test_report_files_keys_and_errors(spark, small_tables, tmp_path):
    import json

    import spark_synth

    real, synthetic = small_tables
    report = spark_synth.evaluate(real, synthetic, target="origin")
    path = report.save(tmp_path)
    details = json.loads(path.read_text())
    assert {
        "score",
        "column_shapes",
        "column_pair_trends",
        "column_pair_trends_all_pairs",
        "columns",
        "pairs",
        "null_rates",
        "report_version",
        "privacy",
        "utility",
        "distributions",
    } <= set(details)
    assert 0.5 < details["score"] <= 1.0
    assert [c["score"] for c in details["columns"]] == sorted(c["score"] for c in details["columns"])
    assert details["distributions"]["origin"]["labels"][:3] != []
    assert sum(details["distributions"]["distance"]["real"]) == pytest.approx(1.0, abs=1e-6)
    assert details["utility"]["task"] == "classification" and 0 <= details["utility"]["synthetic_score"] <= 1
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") >= len(COLUMNS) + 2 and "Worst column pairs" in page and "<script" not in page
    with pytest.raises(InputDataError, match="target column 'nope'"):
        evaluate(real, synthetic, target="nope")
    with pytest.raises(InputDataError, match=r"missing \['origin'\]"):
        evaluate(real, synthetic.drop("origin"))
    with pytest.raises(InputDataError, match="synthetic table is empty"):
        evaluate(real, synthetic.limit(0))
    with pytest.raises(InputDataError, match="real table is empty"):
        evaluate(real.limit(0), synthetic)
    with pytest.raises(InputDataError, match="no column in common"):
        evaluate(real, synthetic.toDF(*[f"x_{c}" for c in synthetic.columns]))
    with pytest.raises(InputDataError, match=r"different types \['distance'\]"):
        evaluate(real, synthetic.withColumn("distance", synthetic["distance"].cast("string")))
    assert {"about", "pair_pictures"} <= set(details) and details["about"]["real_rows"] == real.count()


def test_a_report_path_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    from spark_synth.cli import main
    from spark_synth.evaluation.report import check_report_path

    taken = tmp_path / "report.json"
    taken.write_text("{}")
    for path in (taken, taken / "inner"):
        with pytest.raises(InputDataError, match="is a file, but a report is a directory"):
            check_report_path(path)
    check_report_path(tmp_path / "new" / "dir")  # does not exist yet: fine
    real = tmp_path / "real.parquet"
    real.mkdir()
    code = main(["evaluate", "--real", str(real), "--synthetic", str(real), "--report", str(taken)])
    assert code == 2 and "is a file" in capsys.readouterr().err
    assert taken.read_text() == "{}"


def test_a_saved_report_replaces_the_files_whole(small_tables, tmp_path, monkeypatch):
    """A crash while writing leaves the previous report, never a half-written one."""
    import spark_synth.evaluation.report as report_module

    real, synthetic = small_tables
    report = evaluate(real, synthetic)
    report.save(tmp_path)
    before = {n: (tmp_path / n).read_text() for n in ("report.json", "report.html")}

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(report_module.os, "replace", crash)
    with pytest.raises(OSError):
        report.save(tmp_path)
    assert {n: (tmp_path / n).read_text() for n in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json"]


def test_privacy_checks(spark, flights, flights_model):
    from spark_synth import fit
    from spark_synth.evaluation.privacy import audit_model, exact_copies

    assert audit_model(flights, flights_model) == []
    leaky = fit(flights.limit(2000), min_count=1)  # k=1 stores rare values on purpose
    findings = audit_model(flights, leaky, min_count=5)
    assert findings and all(f["real_count"] < 5 for f in findings)
    real = flights.select("carrier", "origin", "flight").limit(500)
    copied = real.limit(50).union(
        generate(spark, flights_model, rows=150, seed=2).select("carrier", "origin", "flight")
    )
    stats = exact_copies(real, copied)
    assert stats["synthetic_rows"] == 200 and stats["copied_rows"] >= 50


@pytest.mark.parametrize("seed", range(3))
def test_distance_to_closest_record_matches_sdmetrics(seed):
    """Our numpy DCR equals sdmetrics' calculate_dcr on random mixed tables with nulls."""
    import numpy as np
    import pandas as pd
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    from spark_synth.evaluation.distance import dcr

    rng = np.random.default_rng(seed)

    def table(n):
        x = rng.normal(size=n)
        x[rng.random(n) < 0.1] = np.nan
        k = rng.integers(0, 4, n).astype(float)
        return pd.DataFrame({"x": x, "k": k, "c": rng.choice(["a", "b", None], n)})

    data, reference = table(120), table(300)
    metadata = {"columns": {"x": {"sdtype": "numerical"}, "k": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}}}
    expected = calculate_dcr(data, reference, metadata).to_numpy()
    assert np.allclose(dcr(data, reference, ["x", "k"]), expected, atol=1e-12)


def test_dcr_sees_copied_rows(spark, flights, flights_model):
    from spark_synth.evaluation.distance import distance_to_closest_record

    real = flights.select("dep_delay", "distance", "carrier", "origin")
    honest = distance_to_closest_record(
        real, generate(spark, flights_model, rows=3000, seed=5).select(*real.columns), rows=300, reference_rows=2000
    )
    assert honest["synthetic_zero_share"] < 0.5 and honest["holdout_rows"] == 300
    leaked = distance_to_closest_record(real, real, rows=300, reference_rows=29_000)
    assert leaked["synthetic_zero_share"] > honest["synthetic_zero_share"]
    assert leaked["closer_than_holdout_probability"] > 0.5 > honest["closer_than_holdout_probability"]


def test_utility_scores_a_two_class_target_with_auc(spark):
    """A yes/no target gets an AUC for both trainings (a kept unknown-label class once gave the
    classifier three raw predictions and the evaluator refused them)."""
    import numpy as np
    import pandas as pd

    from spark_synth.evaluation.utility import utility

    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 2000)
    frame = pd.DataFrame(
        {
            "x": x,
            "group": rng.choice(["a", "b"], 2000),
            "flag": np.where(x + rng.normal(0, 0.5, 2000) > 1.2, "yes", "no"),
        }
    )
    real = spark.createDataFrame(frame)
    result = utility(real, spark.createDataFrame(frame.sample(frac=1.0, random_state=1)), "flag", seed=3)
    assert result["task"] == "classification"
    for name in ("real", "synthetic"):
        assert 0.85 < result["scores"][name]["auc"] <= 1.0
