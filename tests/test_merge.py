"""Merging fits of disjoint slices: the merged model against a fit of the union, the privacy
threshold after merging (both directions), --update, and the mistakes a user can make."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from scipy.stats import ks_2samp

from spark_synth import InputDataError, fit, generate, merge
from spark_synth.cli import main
from spark_synth.fit.statistics import load_statistics

K = 5
CARRIERS = ["AA", "B6", "DL", "UA", "WN"]


def _slice(seed: int, rows: int, first_day: date) -> pd.DataFrame:
    """One day-range of a table: a carrier that moves an amount, an hour that sets the minutes,
    a grade with planted rare values, a code pattern, dates of the slice's own range, nulls."""
    rng = np.random.default_rng(seed)
    carrier = rng.choice(CARRIERS, rows, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    shift = {c: i * 0.6 for i, c in enumerate(CARRIERS)}
    amount = np.round(rng.lognormal(2.0 + np.array([shift[c] for c in carrier]), 0.4), 2)
    hour = rng.integers(5, 23, rows)
    grade = rng.choice(["low", "mid", "high"], rows, p=[0.5, 0.3, 0.2]).astype(object)
    return pd.DataFrame(
        {
            "carrier": carrier,
            "amount": np.where(rng.random(rows) < 0.05, np.nan, amount),
            "hour": hour,
            "minutes": hour * 60 + rng.integers(0, 60, rows),
            "grade": grade,
            "code": [
                f"{chr(65 + int(a))}{int(b):03d}" for a, b in zip(rng.integers(0, 6, rows), rng.integers(0, 999, rows))
            ],
            "day": [first_day + timedelta(days=int(d)) for d in rng.integers(0, 28, rows)],
        }
    )


def _plant(df: pd.DataFrame, value: str, times: int, start: int) -> pd.DataFrame:
    df = df.copy()
    df.loc[start : start + times - 1, "grade"] = value
    return df


@pytest.fixture(scope="module")
def slices(spark, tmp_path_factory):
    """Two disjoint slices with their statistics, and a fit of their union."""
    folder = tmp_path_factory.mktemp("merge")
    first = _slice(1, 3000, date(2026, 1, 1))
    second = _slice(2, 3000, date(2026, 2, 1))
    first = _plant(_plant(_plant(first, "both3", 3, 0), "total4", 2, 10), "alone4", 4, 20)
    second = _plant(_plant(second, "both3", 3, 0), "total4", 2, 10)
    frames = [spark.createDataFrame(d) for d in (first, second)]
    paths = [folder / "first.stats.json", folder / "second.stats.json"]
    models = [fit(f, table="t", min_count=K, stats=p) for f, p in zip(frames, paths)]
    union = fit(frames[0].unionByName(frames[1]), table="t", min_count=K)
    return {"frames": frames, "paths": paths, "models": models, "union": union, "folder": folder}


def _columns(model) -> dict:
    return {c["name"]: c for c in json.loads(model.to_json())["columns"]}


def _edges(model, strength: float) -> set:
    """The tree's edges whose mutual information reaches `strength` (weaker ones are noise a few
    rows can flip: at 6,000 rows a binned pair of independent columns shows ~0.02 nats)."""
    return {frozenset((d.parent, d.child)) for d in model.spec.dependencies if d.mutual_information >= strength}


def test_merged_model_matches_a_fit_of_the_union(spark, slices):
    merged = merge(*slices["paths"])
    union = slices["union"]
    ours, theirs = _columns(merged), _columns(union)
    assert {n: c["kind"] for n, c in ours.items()} == {n: c["kind"] for n, c in theirs.items()}
    assert merged.spec.table.row_count == union.spec.table.row_count == 6000
    # Counts add exactly: the categories, their shares and the null share.
    for name in ("carrier", "grade"):
        assert ours[name]["values"] == theirs[name]["values"]
        assert ours[name]["probabilities"] == pytest.approx(theirs[name]["probabilities"], abs=1e-9)
    assert ours["amount"]["null_fraction"] == theirs["amount"]["null_fraction"]
    # Whole numbers (minutes, days) within 2,048 units of the minimum: the same quantiles exactly.
    for name in ("minutes", "day"):
        assert ours[name]["quantiles"]["values"] == theirs[name]["quantiles"]["values"], name
    # Doubles: within one bucket of the union's layout (0.27 % of the distance from the minimum).
    low = theirs["amount"]["min"]
    got, want = (np.array(c["amount"]["quantiles"]["values"]) for c in (ours, theirs))
    assert np.all(np.abs(got - want) <= 0.003 * (want - low) + 0.011)
    # The same structure: the tree's edges where the data has dependence (carrier -> amount, hour -> minutes).
    assert _edges(merged, 0.1) == _edges(union, 0.1)
    assert {frozenset(("carrier", "amount")), frozenset(("hour", "minutes"))} <= _edges(merged, 0.1)
    # Data generated from both: Column Shapes (the mean of the per-column scores) >= 0.99, each >= 0.98.
    # (A weak noise edge, day ~ amount at 6,000 rows, is drawn from tables whose cells under k are
    # left out; re-expressed in new bins, a merged table has more such cells than the union's.)
    a = generate(spark, merged, rows=100_000, seed=3).toPandas()
    b = generate(spark, union, rows=100_000, seed=4).toPandas()
    scores = {}
    for name in a.columns:
        x, y = a[name].dropna(), b[name].dropna()
        if name == "code":  # thousands of rare codes: compare their shapes' first letters
            x, y = x.str[0], y.str[0]
        if name in ("carrier", "grade", "code"):
            shares = pd.concat([x.value_counts(normalize=True), y.value_counts(normalize=True)], axis=1).fillna(0)
            score = 1 - 0.5 * (shares.iloc[:, 0] - shares.iloc[:, 1]).abs().sum()
        else:
            x, y = (pd.to_datetime(v).astype("int64") if name == "day" else v for v in (x, y))
            score = 1 - ks_2samp(x.to_numpy(float), y.to_numpy(float)).statistic
        scores[name] = score
    assert np.mean(list(scores.values())) >= 0.99 and min(scores.values()) >= 0.98, scores


def test_privacy_threshold_applies_after_merging(slices):
    """both3: 3 rows in each slice (under k=5 in each) and 6 in total: kept once merged, as a fit
    of the union keeps it. total4: 2 + 2 rows: rare in total, never kept. alone4: 4 rows in one
    slice only: not kept."""
    for model in slices["models"]:
        assert "both3" not in _columns(model)["grade"]["values"]
    merged = merge(*slices["paths"])
    values = _columns(merged)["grade"]["values"]
    assert "both3" in values
    assert "total4" not in values and "alone4" not in values
    assert "total4" not in merged.to_json() and "alone4" not in merged.to_json()
    assert values == _columns(slices["union"])["grade"]["values"]
    statistics = load_statistics(slices["paths"][0])
    assert ("alone4", 4) in next(p.top for p in statistics.profiles if p.name == "grade")  # the statistics keep them


def _edited(path, tmp_path, name: str, change) -> str:
    raw = json.loads(path.read_text())
    change(raw)
    out = tmp_path / name
    out.write_text(json.dumps(raw))
    return str(out)


def test_merge_refuses_mismatched_or_overlapping_slices_with_clear_errors(slices, tmp_path, capsys):
    first, second = (str(p) for p in slices["paths"])

    def retype(raw):
        raw["fields"][2]["spark_type"] = '"double"'

    def drop_column(raw):
        raw["fields"] = raw["fields"][:-1]

    def other_k(raw):
        raw["options"]["min_count"] = 10

    cases = [
        (_edited(slices["paths"][1], tmp_path, "retyped.json", retype), "column 'hour': type"),
        (_edited(slices["paths"][1], tmp_path, "fewer.json", drop_column), "different columns"),
        (_edited(slices["paths"][1], tmp_path, "k10.json", other_k), "min_count=10"),
        (first, "overlap"),
    ]
    for other, message in cases:
        with pytest.raises(InputDataError, match=message):
            merge(first, other)
        model = tmp_path / "m.json"
        assert main(["merge", first, other, "--model", str(model)]) == 2
        err = capsys.readouterr().err
        assert message.split(":")[0] in err and "Traceback" not in err
        assert not model.exists()
    slices["models"][0].save(tmp_path / "model.json")
    with pytest.raises(InputDataError, match="is a model file"):
        merge(first, tmp_path / "model.json")
    future = _edited(slices["paths"][1], tmp_path, "v9.json", lambda raw: raw.update(schema_version=9))
    with pytest.raises(InputDataError, match="schema version 9"):
        merge(first, future)
    assert merge(first, first, allow_overlap=True).spec.table.row_count == 6000
    # --update with a column whose type changed: named before the slice is fitted
    retyped = slices["frames"][1].withColumn("hour", F.col("hour").cast("double"))
    with pytest.raises(InputDataError, match="column 'hour': type"):
        fit(retyped, table="t", min_count=K, update=first, stats=tmp_path / "never.json")
    assert not (tmp_path / "never.json").exists()


def test_cli_update_adds_a_slice_and_its_statistics_merge_again(spark, slices, tmp_path):
    """spark-synth fit NEW --update STATS: the model is the merge of STATS with NEW's own
    statistics, and the merged statistics merge again to the same model."""
    data = tmp_path / "second.parquet"
    slices["frames"][1].write.parquet(str(data))
    merged_stats, model = tmp_path / "merged.stats.json", tmp_path / "m.json"
    argv = ["fit", str(data), "--update", str(slices["paths"][0]), "--stats", str(merged_stats)]
    assert main([*argv, "--model", str(model), "--min-count", str(K)]) == 0
    expected = merge(*slices["paths"])
    assert json.loads(model.read_text()) == json.loads(expected.to_json())
    assert merge(merged_stats).to_json() == expected.to_json()
    assert load_statistics(merged_stats).slices == 2
    merged = tmp_path / "again.json"
    assert main(["merge", str(merged_stats), "--model", str(merged)]) == 0
    assert json.loads(merged.read_text())["table"]["row_count"] == 6000
