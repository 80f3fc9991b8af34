"""The plan compiler without Spark: what every engine reads must be well formed and the same for
the same request (docs/plan.md). Runs on a model file fitted once (tests/fixtures)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from spark_synth.errors import GenerateError
from spark_synth.model.io import SynthModel
from spark_synth.plan.compiler import ENGINE_VERSION, compile_plan, output_schema
from spark_synth.plan.request import Scan, check_id_space, check_rows, check_run, plan_request
from spark_synth.plan.steer.conditions import conditions_of

ROWS = 10_000


@pytest.fixture(scope="module")
def plan(sample_model) -> dict:
    return json.loads(compile_plan(sample_model, ROWS))


def test_the_plan_is_strict_json_and_the_same_every_time(sample_model):
    text = compile_plan(sample_model, ROWS)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the plan"))  # no NaN or Infinity
    assert text == compile_plan(sample_model, ROWS)


def test_every_column_has_its_entry_in_order(sample_model, plan):
    assert plan["engine_version"] == ENGINE_VERSION
    assert [c["name"] for c in plan["columns"]] == [c.name for c in sample_model.columns]
    assert len({c["key"] for c in plan["columns"]}) == len(plan["columns"])  # one stream per column
    for entry, column in zip(plan["columns"], sample_model.columns):
        assert 0.0 <= entry["null_fraction"] <= 1.0, column.name


def test_conditional_tables_are_distributions(plan):
    variables = plan["copula"]["variables"]
    by_index = {v["index"]: v for v in variables}
    for v in variables:
        edges = np.asarray(v["edges"])
        # (cumulative sums of stored shares: the last edges may differ from 1 by a rounding step)
        assert edges[0] == 0.0 and edges[-1] == pytest.approx(1.0) and np.all(np.diff(edges) >= -1e-12), v["column"]
        table = v["conditional"]
        if table is None:
            continue
        codes = len(by_index[v["parent"]]["edges"]) - 1
        assert len(table["row_start"]) == codes + 1 and table["row_start"][-1] == len(table["children"])
        for p in range(codes):
            start, end = table["row_start"][p], table["row_start"][p + 1]
            if end > start:  # a row: child codes ascending, cumulative ending at exactly 1
                assert table["cumulative"][end - 1] == 1.0
                assert np.all(np.diff(table["cumulative"][start:end]) >= 0)
                assert np.all(np.diff(table["children"][start:end]) > 0)
                assert max(table["children"][start:end]) < len(v["edges"]) - 1


def test_the_roots_factor_is_a_cholesky_factor_of_a_correlation(plan):
    d = plan["copula"]["dimension"]
    factor = np.asarray(plan["copula"]["cholesky"]).reshape(d, d)
    assert np.allclose(factor, np.tril(factor)) and np.all(np.diag(factor) > 0)
    assert np.allclose(np.diag(factor @ factor.T), 1.0)  # unit variances
    roots = sorted(v["root"] for v in plan["copula"]["variables"] if v["root"] is not None)
    assert roots == list(range(d))


def test_rules_point_at_columns(sample_model, plan):
    assert len(plan["rules"]) >= 1
    width = len(sample_model.columns)
    for rule in plan["rules"]:
        numbers = [x for k, x in rule.items() if k in ("column", "target", "source", "clock", "minutes")]
        assert all(0 <= x < width for x in numbers), rule


def test_a_condition_warps_one_root_and_leaves_the_schema(sample_model, plan):
    conditioned = json.loads(compile_plan(sample_model, ROWS, conditions=conditions_of(sample_model, ["carrier = UA"])))
    warps = [v for v in conditioned["copula"]["variables"] if v["warp"] is not None]
    assert len(warps) == 1 and warps[0]["root"] == 0
    assert conditioned["schema"] == plan["schema"] and conditioned["columns"] == plan["columns"]


def test_a_plain_request_is_one_scan_of_the_plain_plan(sample_model):
    assert plan_request(sample_model, ROWS) == [Scan(compile_plan(sample_model, ROWS), ROWS)]
    scans = plan_request(sample_model, ROWS, where=["dep_time is null"])
    assert len(scans) == 2 and sum(s.rows for s in scans) == ROWS and scans[1].first == scans[0].rows


@pytest.mark.parametrize(
    "rows, seed, partitions, message",
    [
        (0, 0, None, "rows must be a positive integer"),
        (True, 0, None, "rows must be a positive integer"),
        (10, -1, None, "seed"),
        (10, 0, 0, "partitions must be a positive integer"),
    ],
)
def test_bad_requests_are_refused(rows, seed, partitions, message):
    with pytest.raises(GenerateError, match=message):
        check_rows(rows)
        check_run(seed, partitions)


def test_ids_that_would_overflow_their_type_are_refused(sample_model):
    raw = sample_model.to_dict()
    raw["columns"].append(
        {"name": "n", "kind": "id", "spark_type": '"byte"', "nullable": False, "start": 100, "step": 1}
    )
    model = SynthModel.from_dict(raw)
    check_id_space(model, 28)
    with pytest.raises(GenerateError, match="ids up to 128, beyond its maximum 127"):
        check_id_space(model, 29)


@pytest.mark.parametrize(
    "spark_type",
    [
        '"long"',
        '"decimal(38,18)"',
        '"timestamp_ntz"',
        '"varchar(10)"',
        '"char(3)"',
        '"string collate UTF8_LCASE"',
        '"string collate UNICODE_CI"',
        '"string collate UTF8_BINARY"',
        '"date"',
        '"float"',
        '"boolean"',
    ],
)
def test_the_output_schema_is_what_spark_writes(spark_type):
    """Built without PySpark, compared with PySpark's own StructType.json() (no session needed)."""
    from pyspark.sql import types as T

    columns = [
        SimpleNamespace(name="a.b`c", spark_type=spark_type, nullable=True),
        SimpleNamespace(name="n", spark_type='"long"', nullable=False),
    ]
    expected = T.StructType(
        [T.StructField(c.name, T._parse_datatype_json_string(c.spark_type), c.nullable) for c in columns]
    ).json()
    assert output_schema(SimpleNamespace(columns=columns)) == expected
