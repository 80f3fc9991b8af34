"""The plan is the contract (docs/plan.md): random streams, null flags and relational key programs
recomputed in pure Python from the document agree with the Java engine row for row. A second
engine written from the document would pass the same checks."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from spark_synth import fit, generate
from spark_synth.api import generate_schema
from spark_synth.plan.compiler import compile_plan
from spark_synth.plan.schema import table_keys, table_programs, table_rows

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
DRAW_STEP = 0xD1B54A32D192ED03
KEY_SALT = 0x2545F4914F6CDD1D


# --- docs/plan.md §3 -------------------------------------------------------------------------
def mix(z: int) -> int:
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def stream(seed: int, key: int) -> int:
    return mix(mix(seed + GOLDEN) ^ (key & M64))


def bits(s: int, j: int, k: int = 0) -> int:
    b = mix(s + (j + 1) * GOLDEN)
    return b if k == 0 else mix(b + k * DRAW_STEP)


def uniform(b: int) -> float:
    return (b >> 11) * 2.0**-53


def signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


# --- §8 affine ---------------------------------------------------------------------------------
def affine(x: int, n: int) -> tuple[int, int, int]:
    if n <= 1:
        return 1, 0, max(n, 1)
    top = max(2, min(n, ((1 << 63) - 1 - n + 1) // n))
    a = 1 + signed(x) % (top - 1)
    while math.gcd(a, n) != 1:
        a = a + 1 if a + 1 < top else 1
    return a, signed(mix(x)) % n, n


def scramble(i: int, n: int, key: int) -> int:
    if n <= 1:
        return 0
    k = (n - 1).bit_length()
    mask, shift, y = (1 << k) - 1, (k + 1) // 2, i
    while True:
        for r in range(3):
            round_key = mix(key + r)
            y = (y * (round_key | 1)) & mask
            y ^= y >> shift
            y = (y + (round_key >> 7)) & mask
        if y < n:
            return y


# --- §10 key programs ----------------------------------------------------------------------------
def index(node: dict, seed: int, j: int) -> int:
    op = node["op"]
    if op == "row":
        return j
    if op == "permute":
        a, b, n = affine(mix(stream(seed, node["stream"]) ^ KEY_SALT), node["n"])
        return (a * index(node["of"], seed, j) + b) % n
    if op == "digit":
        x = index(node["of"], seed, j) // node["divisor"]
        return x % node["size"] if node["size"] else x
    if op == "spare":
        u = uniform(bits(stream(seed, node["stream"]), j, node["draw"]))
        return node["start"] + math.floor(u * node["range"])
    if op == "popular":
        x = index(node["of"], seed, j)
        if x < node["tail_children"] and node["tail_rows"] > 0:
            w = (x + 0.5) / node["tail_children"]
            shares, ranks = node["shares"], node["ranks"]
            lo, hi = 0, len(shares) - 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if shares[mid] <= w else (lo, mid)
            f = ranks[lo] + (w - shares[lo]) / (shares[hi] - shares[lo]) * (ranks[hi] - ranks[lo])
            return min(math.floor(f * node["tail_rows"]), node["tail_rows"] - 1)
        if node["small_children"] == 0:
            return min(math.floor((x + 0.5) / node["count"] * node["rows"]), node["rows"] - 1)
        y = (x - node["tail_children"]) % node["small_children"]
        count, first_rank, first_child = [b for b in node["blocks"] if b[2] <= y][-1]
        return min(first_rank + (y - first_child) // count, node["rows"] - 1)
    raise AssertionError(f"unknown index op {op}")


def value(node: dict, seed: int, j: int):
    i = index(node["of"], seed, j)
    if node["op"] == "number":
        return node["start"] + node["step"] * i
    if node["op"] == "string":
        chars = []
        for alphabet in reversed(node["alphabets"]):
            chars.append(chr(alphabet[i % len(alphabet)]))
            i //= len(alphabet)
        return "".join(reversed(chars))
    return node["values"][i]


def key_value(program: dict, seed: int, j: int):
    split = program["split"]
    x = index(split["of"], seed, j) if split else 0
    if split is None or x < split["referencing"]:
        return value(program["value"], seed, j)
    if x < split["referencing"] + split["orphans"]:
        return value(program["orphan"] or program["value"], seed, j)
    return None


# --- checks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 77])
def test_key_programs_match_the_document(spark, star, seed):
    _, model = star
    rows = table_rows(model, 1.5)
    keys = table_keys(model, rows)
    tables = generate_schema(spark, model, scale=1.5, seed=seed, partitions=3)
    checked = 0
    for name in model.tables:
        _, programs = table_programs(model, name, rows, keys)
        plan = json.loads(compile_plan(model.models[name], rows[name], None, programs))
        for column in plan["columns"]:
            program = column["key_program"]
            if program is None:
                continue
            engine = [r[0] for r in tables[name].select(column["name"]).collect()]
            expected = [key_value(program, seed, j) for j in range(rows[name])]
            assert engine == expected, f"{name}.{column['name']}"
            checked += 1
    assert checked >= 5  # 3 primary keys, orders' two foreign keys, returns' orphan-bearing one


def test_null_flags_follow_the_column_streams(spark):
    """Columns outside the copula are null where draw 0 of their own stream is below their null
    fraction: each column has its own stream key (a plan that lost them would repeat one)."""
    frame = pd.DataFrame(
        {
            "note": [None if i % 7 == 0 else f"n{i * 7919 % 100003:06d}x" for i in range(700)],
            "code": [None if i % 4 == 0 else f"Q{i:05d}" for i in range(700)],
        }
    )
    model = fit(spark.createDataFrame(frame), table="notes")
    seed, rows = 5, 3000
    plan = json.loads(compile_plan(model, rows))
    out = generate(spark, model, rows, seed).toPandas()
    independent = [c for c in plan["columns"] if c["source"] != "copula" and c["null_fraction"] > 0]
    assert len({c["key"] for c in plan["columns"]}) == len(plan["columns"])
    assert independent
    for column in independent:
        expected = [uniform(bits(stream(seed, column["key"]), j)) < column["null_fraction"] for j in range(rows)]
        assert out[column["name"]].isna().tolist() == expected, column["name"]
