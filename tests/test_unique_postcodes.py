"""A column unique in the real data stays unique when a place rule ties it to the state (issue 36,
item 5): one row per ZIP code, generated at 3x its rows, repeats none."""

from __future__ import annotations

import re

import pytest
from fixtures.tables import postal_codes

from spark_synth import GenerateError, fit, generate


def test_a_unique_postcode_stays_unique_then_says_its_room(spark):
    real = postal_codes(rows=3_000, seed=5)
    model = fit(spark.createDataFrame(real), table="zips")
    assert model.column("zip").kind == "unique"
    assert model.column("city").place is not None, "the city still follows the state"
    made = generate(spark, model, rows=3 * len(real), seed=1).toPandas()
    assert made.zip.is_unique
    assert made.zip.str.fullmatch(r"[0-9]{5}").all()
    with pytest.raises(GenerateError, match="room for") as refused:
        generate(spark, model, rows=10**6, seed=1)
    room = int(re.search(r"room for ([0-9,]+)", str(refused.value)).group(1).replace(",", ""))
    assert 3 * len(real) <= room < 10**6
