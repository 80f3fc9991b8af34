"""Places agree with the row (issue 14, item 3): when the real postcodes and cities agree with the
row's US state, generated rows draw a ZIP code of their state and that ZIP code's city from the
public geo table; rows of other countries (Australia also has a "WA") keep their own formats."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spark_synth import fit, generate
from spark_synth.generate.plan import PLACE_SUFFIX, compile_plan
from spark_synth.model.places import state_of_zip, us_places
from spark_synth.model.schema import SynthModelFile
from spark_synth.seeding import stream_key
from test_plan_contract import bits, stream, uniform

US_STATES = ["CA", "TX", "NY", "WA", "OH"]
AU_STATES = ["WA", "NSW", "VIC"]


def people(rows: int, seed: int, agree: bool = True) -> pd.DataFrame:
    """Americans whose ZIP code and city belong to their state (or, agree=False, to a random
    state), and Australians with four-digit postcodes."""
    rng = np.random.default_rng(seed)
    places = us_places()
    out = []
    for _ in range(rows):
        if rng.random() < 0.7:
            state = str(rng.choice(US_STATES))
            where = state if agree else str(rng.choice(sorted(places)))
            zip_code, city, _ = places[where][rng.integers(len(places[where]))]
            out.append(("USA", state, zip_code, city))
        else:
            out.append(("AUS", str(rng.choice(AU_STATES)), f"{rng.integers(2000, 7000)}",
                        "".join(rng.choice(list("abcdefgh"), 7)).title()))
    frame = pd.DataFrame(out, columns=["country", "state", "postcode", "city"])
    return frame.assign(age=rng.integers(18, 90, rows))


@pytest.fixture(scope="module")
def model(spark):
    return fit(spark.createDataFrame(people(800, 3)), table="people")


def test_the_fit_learns_that_postcode_and_city_follow_the_state(spark, model):
    assert model.column("postcode").place.part == "postcode" and model.column("postcode").place.state == "state"
    # Australian "WA" rows count for the city (their cities are not Washington's): 0.7 / (0.7 + 0.1)
    assert model.column("city").place.part == "city" and model.column("city").place.share == pytest.approx(0.875, abs=0.03)
    random_places = fit(spark.createDataFrame(people(800, 3, agree=False)), table="people")
    assert random_places.column("postcode").place is None and random_places.column("city").place is None
    assert fit(spark.createDataFrame(people(300, 3)), formats="none").column("city").place is None


def test_generated_places_agree_with_the_state_and_the_plan(spark, model):
    rows, seed = 3000, 5
    out = generate(spark, model, rows, seed=seed, partitions=3).toPandas()
    pd.testing.assert_frame_equal(out, generate(spark, model, rows, seed=seed, partitions=1).toPandas())
    us = out[out["country"] == "USA"]
    shaped = us["postcode"].str.fullmatch(r"[0-9]{5}")
    assert shaped.mean() > 0.9
    placed = us[shaped & us["state"].isin(set(us_places()))]
    assert (placed["postcode"].map(state_of_zip()) == placed["state"]).all()
    city_of = {z: c for rows_ in us_places().values() for z, c, _ in rows_}
    assert (placed["city"] == placed["postcode"].map(city_of)).all()  # the ZIP code's own city
    australians = out[(out["country"] == "AUS") & out["postcode"].notna()]
    assert australians["postcode"].str.fullmatch(r"[0-9]{4}").all()  # "WA" rows keep their own format

    plan = json.loads(compile_plan(model, rows))
    spec = next(c for c in plan["columns"] if c["name"] == "postcode")["place"]
    assert spec["key"] == stream_key("state" + PLACE_SUFFIX)
    s = stream(seed, spec["key"])
    for j, row in placed.head(300).iterrows():
        k = spec["states"].index(row["state"])
        first, count = spec["start"][k], spec["start"][k + 1] - spec["start"][k]
        assert row["postcode"] == spec["values"][first + min(int(uniform(bits(s, j)) * count), count - 1)], j


def test_model_file_checks_places(model):
    data = json.loads(model.to_json())
    city = next(c for c in data["columns"] if c["name"] == "city")
    city["place"]["state"] = "age"
    with pytest.raises(ValueError, match="place reads 'age', which is not another string column"):
        SynthModelFile.model_validate(data)
    city["place"] = {"state": "state", "part": "street", "share": 1.0}
    with pytest.raises(ValueError, match="place.part"):
        SynthModelFile.model_validate(data)
