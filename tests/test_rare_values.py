"""Rare values are never near-miss typos of real ones (model/vocabulary.py, docs/strings.md "Rare values").

A value seen fewer than k times stays out of the model; its mass used to be drawn character by
character, which gave `America/Coicago` next to `America/Chicago`. Now the rare mass comes from the
public vocabulary the column's values belong to, else from the kept values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit, generate
from spark_synth.evaluation.realism import edit_distance, near_misses
from spark_synth.model.schema import CategoricalColumn, PatternColumn
from spark_synth.model.vocabulary import VOCABULARIES, detect_vocabulary, rare_words, vocabulary_groups


def _words(name: str) -> set[str]:
    return {w for ws in vocabulary_groups(name).values() for w in ws}


def test_vocabularies_ship_with_the_package_and_hold_what_tables_use():
    for name in VOCABULARIES:
        groups = vocabulary_groups(name)
        assert groups and all(words for words in groups.values())
    assert {"America/Chicago", "Europe/Ljubljana", "Pacific/Auckland"} <= _words("time_zone")
    assert {"US", "SI", "NZ"} <= _words("country_alpha2") and {"USA", "SVN", "NZL"} <= _words("country_alpha3")
    assert {"NSW", "ON", "NY", "QC"} <= _words("subdivision_code")
    assert {"Florida", "Nova Scotia", "Bayern"} <= _words("subdivision_name")
    assert "Côte d'Ivoire" in _words("country_name")  # the source's mojibake is repaired
    assert not [w for name in VOCABULARIES for w in _words(name) if "Ã" in w or "\ufffd" in w]
    with pytest.raises(ValueError, match="known: time_zone"):
        vocabulary_groups("star_sign")


def test_detection_needs_cover_and_names_only_groups_k_rows_came_from():
    zones = [("America/Chicago", 400), ("America/New_York", 300), ("Europe/Berlin", 40), ("Asia/Tokyo", 2)]
    name, groups = detect_vocabulary(zones, non_null=760, min_count=5)
    assert name == "time_zone" and groups == ["America", "Europe"]  # Asia: 2 rows, not revealed
    codes = [("CA", 50), ("NY", 40), ("TX", 30), ("ON", 10), ("QC", 6)]
    assert detect_vocabulary(codes, 136, 5) == ("subdivision_code", ["en_CA", "en_US"])
    assert detect_vocabulary([("USA", 10), ("DEU", 10), ("POL", 10)], 30, 5)[0] == "country_alpha3"
    # products, a few states among them, or values that hold too little of the column: no type
    assert detect_vocabulary([("Widget", 50), ("Gadget", 40), ("CA", 5)], 95, 5) is None
    assert detect_vocabulary([("CA", 5), ("NY", 5), ("TX", 5)], 1000, 5) is None
    assert detect_vocabulary([], 0, 5) is None


def test_edit_distance_and_near_misses():
    assert edit_distance("America/Coicago", "America/Chicago") == 1
    assert edit_distance("Floarda", "Florida") == 2
    assert edit_distance("kitten", "sitting") == 3 and edit_distance("a", "abcdefgh") == 4
    real = ["America/Chicago", "Florida", "Ohio"]
    assert near_misses(["America/Coicago", "Floarda", "Ohio", "Texas"], real, allowed={"Ohio"}) == {
        "America/Coicago": "America/Chicago",
        "Floarda": "Florida",
    }


def test_rare_words_leave_out_the_kept_values():
    words = rare_words("subdivision_code", ["en_AU"], ["NSW", "VIC"])
    assert "NSW" not in words and "VIC" not in words and {"QLD", "TAS", "WA"} <= set(words)
    assert words == sorted(words)
    every = list(_words("subdivision_code"))
    assert rare_words("subdivision_code", ["en_AU"], every) == []


def _hostile_table(seed: int, rows: int = 3000) -> pd.DataFrame:
    """A time zone column whose rare zones sit next to common ones, a state code column where
    almost every value is rare, and a product column whose rare values are typos of common ones."""
    rng = np.random.default_rng(seed)
    common_zones = ["America/Chicago", "America/New_York", "America/Denver", "Europe/Berlin", "Europe/Paris"]
    rare_zones = ["America/Indiana/Knox", "America/Boise", "Europe/Vaduz", "America/Regina", "Europe/Tirane"]
    zones = list(rng.choice(common_zones, rows - 3 * len(rare_zones))) + rare_zones * 3
    states = ["NY", "CA", "TX", "ON", "QC", "NSW", "VIC", "FL", "WA", "OH", "BC", "QLD", "NV", "UT", "GA"]
    common_products = ["Widget Alpha", "Widget Beta", "Gadget Gamma"]
    typos = ["Widget Alpah", "Widgte Beta", "Gadget Gamma2", "Widget Alp"]
    products = list(rng.choice(common_products, rows - 2 * len(typos))) + typos * 2
    order = rng.permutation(rows)
    return pd.DataFrame(
        {
            "tz": np.asarray(zones)[order],
            "state": [states[i % len(states)] if i < 45 else None for i in range(rows)],
            "product": np.asarray(products)[order],
            "amount": np.round(rng.lognormal(3, 1, rows), 2),
        }
    )


@pytest.mark.parametrize("seed", [3, 8])
def test_no_generated_value_is_a_near_miss_of_a_real_one(spark, seed):
    real = _hostile_table(seed)
    model = fit(spark.createDataFrame(real), table="hostile")
    by_name = {c.name: c for c in model.spec.columns}
    tz, state, product = by_name["tz"], by_name["state"], by_name["product"]
    assert isinstance(tz, CategoricalColumn) and tz.rare_source == "vocabulary"
    assert tz.vocabulary.name == "time_zone" and tz.pattern is None
    assert isinstance(state, PatternColumn) and state.vocabulary.name == "subdivision_code"
    assert isinstance(product, CategoricalColumn) and product.rare_source == "kept"
    assert not {"Widget Alpah", "America/Boise"} & set(model.to_json().split('"'))  # no rare value stored

    synthetic = generate(spark, model, rows=20_000, seed=seed, partitions=3).toPandas()
    public = {"tz": _words("time_zone"), "state": _words("subdivision_code"), "product": set()}
    for column in ("tz", "state", "product"):
        kept = set(getattr(by_name[column], "values", []))
        missed = near_misses(synthetic[column].dropna(), real[column].dropna(), kept | public[column])
        assert not missed, f"{column}: generated values that nearly copy real ones: {missed}"
    # the mass is kept: the product column's rare share now falls on its kept values
    assert set(synthetic["product"]) <= {"Widget Alpha", "Widget Beta", "Gadget Gamma"}
    rare_tz = ~synthetic["tz"].isin(tz.values)
    assert 0 < rare_tz.mean() < 0.02 and synthetic.loc[rare_tz, "tz"].str.match(r"(America|Europe)/").all()
    again = generate(spark, model, rows=20_000, seed=seed, partitions=1).toPandas()
    pd.testing.assert_frame_equal(synthetic, again)


def test_a_forced_pattern_keeps_drawing_characters(spark):
    real = _hostile_table(5)
    model = fit(spark.createDataFrame(real), table="hostile", kinds={"state": "pattern"})
    state = next(c for c in model.spec.columns if c.name == "state")
    assert isinstance(state, PatternColumn) and state.vocabulary is None


def test_an_old_model_without_a_rare_source_needs_its_pattern():
    with pytest.raises(ValueError, match="rare_source or a pattern"):
        CategoricalColumn(
            kind="categorical",
            name="c",
            spark_type='"string"',
            nullable=True,
            null_fraction=0.0,
            values=["a"],
            probabilities=[0.9],
            other_probability=0.1,
        )
    with pytest.raises(ValueError, match="go together"):
        CategoricalColumn(
            kind="categorical",
            name="c",
            spark_type='"string"',
            nullable=True,
            null_fraction=0.0,
            values=["a"],
            probabilities=[0.9],
            other_probability=0.1,
            rare_source="vocabulary",
        )


def test_open_vocabularies_need_a_hint_from_the_column_name():
    """Names are open vocabularies: 77 % of peeps' given names are in Faker's lists. A column named
    like a given name needs 40 % cover; any other column 90 %, so a label column stays a pattern."""
    counts = [("Ruth", 3), ("Marcel", 2), ("Eva", 2), ("Fanette", 1), ("Judyta", 1)]
    assert detect_vocabulary(counts, 9, 2, column="name_given")[0] == "given_name"
    assert detect_vocabulary(counts, 9, 2, column="First Name")[0] == "given_name"
    assert detect_vocabulary(counts, 9, 2, column="label") is None
    assert (
        detect_vocabulary([("Conte", 3), ("Nowak", 3), ("Smith", 3), ("Gadbois", 3)], 12, 2, column="surname")[0]
        == "family_name"
    )
    assert 0 < len(rare_words("given_name", ["en"], [])) <= 4096  # an evenly spaced subset bounds the plan


def test_a_named_type_overrides_detection_and_bad_ones_say_why(spark):
    from spark_synth import InputDataError

    rng = np.random.default_rng(2)
    zones = ["America/Chicago"] * 30 + ["Europe/Paris"] * 30 + [f"Zone {i}" for i in range(60)]  # half fit
    real = pd.DataFrame({"where": rng.permutation(zones), "n": np.arange(120), "code": np.arange(120) % 7})
    df = spark.createDataFrame(real)
    assert next(c for c in fit(df).spec.columns if c.name == "where").vocabulary is None  # 50 %: not detected
    forced = next(c for c in fit(df, kinds={"where": "time_zone"}).spec.columns if c.name == "where")
    assert forced.vocabulary.name == "time_zone" and forced.vocabulary.groups == ["America", "Europe"]
    with pytest.raises(InputDataError, match=r"'code'.*type 'time_zone' needs a string column"):
        fit(df, kinds={"code": "time_zone"})
    with pytest.raises(InputDataError, match=r"'where'.*'given_name' fits 0.0% of its most frequent values"):
        fit(df, kinds={"where": "given_name"})
    with pytest.raises(InputDataError, match=r"kind 'e-mail' does not fit.*a type: time_zone"):
        fit(df, kinds={"where": "e-mail"})
    with pytest.raises(InputDataError, match=r"'where': type 'email' fits 0.0% of its 62 most frequent"):
        fit(df, kinds={"where": "email"})


def test_the_evaluation_reports_realism_and_identity(spark, tmp_path):
    from spark_synth import evaluate

    real_pd = _hostile_table(4, rows=1200)
    real = spark.createDataFrame(real_pd)
    model = fit(real, table="hostile")
    synthetic = generate(spark, model, rows=1200, seed=4)
    realism = evaluate(real, synthetic, model).details["realism"]
    assert set(realism) == {"tz", "state", "product"}
    assert all(r["near_miss"] == 0 for r in realism.values())
    assert realism["product"]["equal_to_real"] == 1.0  # kept values only
    assert 0 < realism["tz"]["public"] < 0.05  # rare zones drawn as other public zones
    # typos of real values are caught, with examples; the same values from the real table are not
    typos = real_pd.assign(product=np.where(np.arange(1200) % 4 == 0, "Widgt Alpha", real_pd["product"]))
    report = evaluate(real, spark.createDataFrame(typos), model)
    product = report.details["realism"]["product"]
    assert (
        product["near_miss"] == pytest.approx(0.25) and ["Widgt Alpha", "Widget Alpha"] in product["near_miss_examples"]
    )
    report.save(tmp_path)
    assert "Realism and identity" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_large_rare_population_keeps_its_own_format(spark):
    """Rare values that are a large share of a column (local ids next to a blank for half the
    rows) are drawn from the pattern, not replaced by the kept blank."""
    rng = np.random.default_rng(6)
    ids = [
        f"{rng.integers(10)}{rng.integers(10)}{chr(65 + rng.integers(26))}{chr(65 + rng.integers(26))}"
        for _ in range(1500)
    ]
    frame = pd.DataFrame({"lid": ["" if i % 2 else ids[i] for i in range(1500)], "n": np.arange(1500)})
    model = fit(spark.createDataFrame(frame), table="airports")
    lid = next(c for c in model.spec.columns if c.name == "lid")
    assert lid.values == [""] and lid.rare_source == "pattern" and lid.other_probability > 0.4
    out = generate(spark, model, 4000, seed=1).toPandas()["lid"]
    coded = out[out != ""]
    assert 0.4 < len(coded) / len(out) < 0.6 and coded.str.fullmatch(r"[0-9]{2}[A-Z]{2}").all()


def test_a_large_rare_share_of_words_is_still_drawn_from_kept_values(spark):
    """Rare values that are words (plot types), even many, are not drawn character by character:
    that made near-miss typos. Only codes with shapes of their own take the pattern."""
    words = ["Short-term Krat Exclosure", "Long-term Krat Exclosure", "Spectab exclosure", "Rodent Exclosure plot"]
    frame = pd.DataFrame({"plot_type": ["Control"] * 40 + ["Rodent Exclosure"] * 30 + words * 3, "n": np.arange(82)})
    column = next(c for c in fit(spark.createDataFrame(frame), table="plots").spec.columns if c.name == "plot_type")
    assert column.other_probability > 0.1 and column.rare_source == "kept"
