"""Places agree with the row (issue 14, item 3): when the real postcodes and cities agree with the
row's US state, generated rows draw a ZIP code of their state and that ZIP code's city from the
public geo table; rows of other countries (Australia also has a "WA") keep their own formats."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_emails import model_file_with
from test_plan_contract import bits, mix, scramble, stream, uniform

from spark_synth import fit, generate
from spark_synth.fit.places import national_digits
from spark_synth.model.places import _table, state_of_zip, us_places
from spark_synth.model.schema import SynthModelFile
from spark_synth.model.validators import VALIDATORS
from spark_synth.plan.compiler import PLACE_SUFFIX, compile_plan
from spark_synth.seeding import stream_key

UNIQUE_SALT = 0x5F3759DF9E3779B9

US_STATES = ["CA", "TX", "NY", "WA", "OH"]
AU_STATES = ["WA", "NSW", "VIC"]


def people(rows: int, seed: int, agree: bool = True) -> pd.DataFrame:
    """Americans whose ZIP code, city and phone area code belong to their state (or, agree=False,
    to a random state), and Australians with four-digit postcodes; phone numbers are unique."""
    rng = np.random.default_rng(seed)
    places = _table()
    out = []
    for i in range(rows):
        tail = f"{200 + i % 800}-{1000 + i:04d}"[-8:]  # unique last 7 digits
        if rng.random() < 0.7:
            state = str(rng.choice(US_STATES))
            where = state if agree else str(rng.choice(sorted(places)))
            zip_code, city, _, codes = places[where][rng.integers(len(places[where]))]
            out.append(("USA", state, zip_code, city, f"{codes[0] if codes else 212}-{tail}"))
        else:
            out.append(
                (
                    "AUS",
                    str(rng.choice(AU_STATES)),
                    f"{rng.integers(2000, 7000)}",
                    "".join(rng.choice(list("abcdefgh"), 7)).title(),
                    f"0{rng.integers(2, 9)} {tail}",
                )
            )
    frame = pd.DataFrame(out, columns=["country", "state", "postcode", "city", "phone"])
    return frame.assign(age=rng.integers(18, 90, rows))


@pytest.fixture(scope="module")
def model(spark):
    return fit(spark.createDataFrame(people(800, 3)), table="people")


def test_the_fit_learns_that_postcode_and_city_follow_the_state(spark, model):
    assert model.column("postcode").place.part == "postcode" and model.column("postcode").place.state == "state"
    # Australian "WA" rows count for the city (their cities are not Washington's): 0.7 / (0.7 + 0.1)
    assert model.column("city").place.part == "city" and model.column("city").place.share == pytest.approx(
        0.875, abs=0.03
    )
    assert model.column("phone").kind == "unique" and model.column("phone").place.part == "area_code"
    random_places = fit(spark.createDataFrame(people(800, 3, agree=False)), table="people")
    assert all(random_places.column(c).place is None for c in ("postcode", "city", "phone"))
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
    codes_of = {z: set(codes) for rows_ in _table().values() for z, _, _, codes in rows_}
    # (a few ZIP codes have no area code: those numbers keep theirs)
    assert all(
        p.replace("-", "")[:3] in codes_of[z] or not codes_of[z] for p, z in zip(placed["phone"], placed["postcode"])
    )
    assert out["phone"].nunique() == out["phone"].notna().sum()  # still unique (by construction)
    assert out.loc[out["country"] == "USA", "phone"].map(VALIDATORS["phone_nanp"]).all()
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
    phone = next(c for c in plan["columns"] if c["name"] == "phone")["place"]
    assert phone["unique_tail"] == 8_000_000 and phone["key"] == spec["key"]
    checked = 0
    for j, value in out["phone"].head(200).items():
        digits = national_digits(value)
        if digits is not None:  # NANP-shaped: the last 7 digits are the row's scramble
            m = scramble(j, 8_000_000, mix(s ^ UNIQUE_SALT))
            assert digits[3:] == f"{2 + m // 1_000_000}{m % 1_000_000:06d}", j
            checked += 1
    assert checked > 100


def test_model_file_checks_places(model):
    data, city = model_file_with(model, "city")
    city["place"]["state"] = "age"
    with pytest.raises(ValueError, match="place reads 'age', which is not another string column"):
        SynthModelFile.model_validate(data)
    city["place"] = {"state": "state", "part": "street", "share": 1.0}
    with pytest.raises(ValueError, match="place.part"):
        SynthModelFile.model_validate(data)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("240-783-7630", "2407837630"),
        ("(240) 783 7630", "2407837630"),
        ("+1 240.783.7630", "2407837630"),
        ("12407837630", "2407837630"),
        ("0490 73 65", None),
        ("22407837630", None),
        ("240-783-763x", None),
        ("0490 73 65 40", "0490736540"),  # ten digits of any country: only rows with a US state get an area code
    ],
)
def test_nanp_numbers_are_recognised_as_the_engine_does(value, expected):
    assert national_digits(value) == expected
