"""Rules (issue 15): found in the real rows, stored readable in the model, satisfied by every
generated row by construction, and reproduced from docs/plan.md §12 alone."""

from __future__ import annotations

import calendar
import copy
import json

import numpy as np
import pandas as pd
import pytest

from spark_synth import ModelFileError, fit, generate
from spark_synth.cli import main
from spark_synth.model import SynthModel
from spark_synth.model.rules import Linear, Order, Term, order_groups, rule_order
from spark_synth.sql.rules import rule_counts

# --- Spark-free: the model's rules section ---------------------------------------------------------


def small_model(rules: list[dict]) -> dict:
    def integer(name: str, low: int, high: int) -> dict:
        return {
            "name": name,
            "spark_type": '"long"',
            "kind": "integer",
            "quantiles": {"probabilities": [0.0, 1.0], "values": [low, high]},
            "min": low,
            "max": high,
        }

    return {
        "format": "spark_synth.model",
        "schema_version": 2,
        "created_by": "test",
        "table": {"name": "t", "row_count": 100},
        "privacy": {"min_count": 5},
        "columns": [
            integer("a", 0, 10),
            integer("b", 0, 10),
            integer("c", 0, 20),
            {
                "name": "s",
                "spark_type": '"string"',
                "kind": "categorical",
                "values": ["x", "y"],
                "probabilities": [0.5, 0.5],
            },
            {
                "name": "when",
                "spark_type": '"date"',
                "kind": "datetime",
                "quantiles": {"probabilities": [0.0, 1.0], "values": [0, 100]},
                "min": 0,
                "max": 100,
                "unit": "day",
            },
        ],
        "rules": rules,
    }


def test_hand_written_rules_load_and_read_well():
    model = SynthModel.from_dict(
        small_model(
            [
                {
                    "form": "linear",
                    "target": "c",
                    "terms": [{"column": "a", "coefficient": 1}, {"column": "b", "coefficient": -2}],
                    "constant": 3,
                },
                {"form": "null_with", "column": "b", "when_null": "a"},
                {
                    "form": "map",
                    "sources": ["a"],
                    "target": "s",
                    "pairs": [{"when": [1], "then": "x"}, {"when": [2], "then": "y"}],
                },
            ]
        )
    )
    assert [r.text() for r in model.spec.rules] == ["c = a - 2*b + 3", "b is null when a is null", "a -> s (2 values)"]
    assert model.spec.rules[0].share == 1.0


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"form": "order", "low": "a", "high": "nope"}, "unknown column 'nope'"),
        ({"form": "order", "low": "a", "high": "when"}, "same type"),
        ({"form": "div", "target": "s", "source": "a", "divisor": 10}, "column 's' is \"string\""),
        (
            {"form": "map", "sources": ["a"], "target": "s", "pairs": [{"when": ["one"], "then": "x"}]},
            "'one' is not a value of column 'a'",
        ),
        ({"form": "linear", "target": "a", "terms": [{"column": "a", "coefficient": 1}]}, "computed from itself"),
        ({"form": "calendar", "month": "a", "day": "s"}, "the calendar form needs"),
        ({"form": "sum", "target": "a"}, "form"),
    ],
)
def test_bad_hand_written_rules_are_named(rule, message):
    with pytest.raises(ModelFileError, match=message):
        SynthModel.from_dict(small_model([rule]))


def test_a_cycle_of_rules_is_refused():
    with pytest.raises(ModelFileError, match="cycle"):
        SynthModel.from_dict(
            small_model(
                [
                    {"form": "div", "target": "a", "source": "c", "divisor": 2},
                    {"form": "linear", "target": "c", "terms": [{"column": "a", "coefficient": 2}]},
                ]
            )
        )


def test_two_rules_for_one_column_are_refused():
    with pytest.raises(ModelFileError, match="already computed"):
        SynthModel.from_dict(
            small_model(
                [
                    {"form": "div", "target": "a", "source": "c", "divisor": 2},
                    {"form": "mod", "target": "a", "source": "c", "divisor": 7},
                ]
            )
        )


def test_rule_order_puts_sources_first():
    late = Linear(form="linear", target="d", terms=[Term(column="c", coefficient=1)])
    early = Linear(form="linear", target="c", terms=[Term(column="a", coefficient=1), Term(column="b", coefficient=1)])
    assert rule_order([late, early]) == [early, late]


def test_orderings_sharing_columns_sort_as_one_group():
    groups = order_groups(
        [
            Order(form="order", low="b", high="c"),
            Order(form="order", low="a", high="b"),
            Order(form="order", low="x", high="y"),
        ]
    )
    assert sorted(groups) == [["a", "b", "c"], ["x", "y"]]
    with pytest.raises(ValueError, match="cycle"):
        order_groups([Order(form="order", low="a", high="b"), Order(form="order", low="b", high="a")])


# --- a table with one rule of every form -----------------------------------------------------------


def rules_table(rows: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hour = rng.integers(5, 23, rows)
    minute = rng.choice([0, 5, 10, 15, 30, 45, 59], rows)
    a, b = rng.integers(0, 500, rows), rng.integers(0, 300, rows)
    code = rng.integers(1, 41, rows)
    regions, kinds = ["north", "south", "east", "west", "mid"], ["p", "q", "r", "s"]
    region, kind = rng.integers(0, 5, rows), rng.integers(0, 4, rows)
    year, month = rng.integers(2019, 2022, rows), rng.integers(1, 13, rows)
    day = np.array([rng.integers(1, calendar.monthrange(y, m)[1] + 1) for y, m in zip(year, month)])
    low = np.round(rng.normal(50, 20, rows), 2)
    delay = rng.integers(-30, 600, rows)
    dep_minutes = (hour * 60 + minute + delay) % 1440
    x = np.where(rng.random(rows) < 0.1, np.nan, rng.normal(0, 1, rows))
    y = np.where(np.isnan(x) | (rng.random(rows) < 0.05), np.nan, rng.normal(0, 1, rows))
    return pd.DataFrame(
        {
            "sched": hour * 100 + minute,
            "hour": hour,
            "minute": minute,
            "delay": delay,
            "dep": np.where(dep_minutes == 0, 2400, (dep_minutes // 60) * 100 + dep_minutes % 60),
            "a": a,
            "b": b,
            "total": a + b,
            "code": code,
            "group": [f"G{c % 7}" for c in code],
            "region": [regions[i] for i in region],
            "kind": [kinds[i] for i in kind],
            "price": (region + 1) * 10 + kind * 10,
            "year": year,
            "month": month,
            "day": day,
            "low": low,
            "high": np.round(low + rng.exponential(10, rows), 2),
            "x": x,
            "y": y,
        }
    )


@pytest.fixture(scope="module")
def rules_real(spark):
    return spark.createDataFrame(rules_table()).replace(float("nan"), None)


@pytest.fixture(scope="module")
def rules_model(rules_real):
    return fit(rules_real, table="rules")


EXPECTED = [
    "y is null when x is null",
    "low <= high",
    "sched = 100*hour + minute",
    "total = a + b",
    "(year, month, day) is a valid date",
    "code -> group (40 values)",
    "(region, kind) -> price (20 values)",
    "dep = sched + delay minutes (HHMM clock)",
]


def test_every_form_is_found_and_holds_in_the_real_rows(rules_real, rules_model):
    texts = [r.text() for r in rules_model.spec.rules]
    assert sorted(texts) == sorted(EXPECTED)
    for rule, count in zip(rules_model.spec.rules, rule_counts(rules_real, rules_model.spec.rules)):
        assert count.rows >= 5 and count.share >= rule.share - 1e-9, rule.text()


def test_every_generated_row_satisfies_every_rule(spark, rules_model):
    synthetic = generate(spark, rules_model, 20_000, seed=5)
    for rule, count in zip(rules_model.spec.rules, rule_counts(synthetic, rules_model.spec.rules)):
        assert count.rows > 0 and count.held == count.rows, f"{rule.text()}: {count}"


def test_rules_hold_today_only_by_construction(spark, rules_model):
    """Without the rules the same model breaks most of them: the test above can fail."""
    plain = SynthModel(rules_model.spec.model_copy(update={"rules": []}))
    counts = rule_counts(generate(spark, plain, 20_000, seed=5), rules_model.spec.rules)
    assert sum(c.held < c.rows for c in counts) >= 5


def test_a_calendar_and_a_mapping_tie_their_columns_in_the_tree(spark, rules_model):
    """month and day are independent but for validity (too little information for an edge of
    their own). Tied, the tree draws (categorical) month and day from their real pairs, so even
    the same model without its rules draws hardly any impossible date."""
    edges = {frozenset((d.parent, d.child)) for d in rules_model.spec.dependencies}
    assert {frozenset(("month", "day")), frozenset(("code", "group"))} <= edges
    untied = fit(spark.createDataFrame(rules_table()).replace(float("nan"), None), table="rules", rules="none")
    assert frozenset(("month", "day")) not in {frozenset((d.parent, d.child)) for d in untied.spec.dependencies}
    calendar_rule = [r for r in rules_model.spec.rules if r.form == "calendar"]
    plain = SynthModel(rules_model.spec.model_copy(update={"rules": []}))
    count = rule_counts(generate(spark, plain, 20_000, seed=5), calendar_rule)[0]
    assert count.held >= 0.998 * count.rows, count


def test_date_and_timestamp_differences_are_found_and_hold(spark):
    """checkout = checkin + nights (dates as days) and end = start + duration minutes
    (timestamps as microseconds): found, and true in every generated row, not in the rows of
    the same model without them."""
    rng = np.random.default_rng(1)
    rows = 3000
    start = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s")
    minutes, nights = rng.integers(5, 300, rows), rng.integers(1, 15, rows)
    checkin = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, rows), unit="D")
    real = spark.createDataFrame(
        pd.DataFrame(
            {
                "start": start,
                "duration_min": minutes,
                "end": start + pd.to_timedelta(minutes, unit="m"),
                "checkin": checkin.date,
                "nights": nights,
                "checkout": (checkin + pd.to_timedelta(nights, unit="D")).date,
            }
        )
    )
    model = fit(real, table="stays")
    assert sorted(r.text() for r in model.spec.rules) == [
        "checkout = checkin + nights",
        "end = start + 60000000*duration_min",
    ]
    for count in rule_counts(generate(spark, model, 10_000, seed=2), model.spec.rules):
        assert count.rows == 10_000 and count.held == count.rows
    plain = SynthModel(model.spec.model_copy(update={"rules": []}))
    for count in rule_counts(generate(spark, plain, 10_000, seed=2), model.spec.rules):
        assert count.held < 0.5 * count.rows


def test_same_rows_on_any_partition_count(spark, rules_model):
    one = generate(spark, rules_model, 3_000, seed=9, partitions=1).collect()
    three = generate(spark, rules_model, 3_000, seed=9, partitions=3).collect()
    assert one == three


def test_the_engine_applies_rules_as_docs_plan_md_says(spark, rules_model):
    """§12 recomputed in pure Python over the rows of the same model without rules. A null cell
    a null rule reveals (its fallback value, hidden under the flag in the rows without rules) is
    checked to be non-null, the rest to be equal."""
    plain = SynthModel(rules_model.spec.model_copy(update={"rules": []}))
    drawn = generate(spark, plain, 4_000, seed=11).toPandas()
    expected, revealed = apply_rules_as_documented(drawn, rules_model, seed=11)
    actual = generate(spark, rules_model, 4_000, seed=11).toPandas()
    for name, rows in revealed.items():
        assert actual.loc[rows, name].notna().all(), name
        expected.loc[rows, name] = actual.loc[rows, name]
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def apply_rules_as_documented(frame: pd.DataFrame, model: SynthModel, seed: int) -> tuple[pd.DataFrame, dict]:
    from test_plan_contract import bits, stream, uniform

    from spark_synth.plan.compiler import compile_plan

    plan = json.loads(compile_plan(model, len(frame)))
    names = [c["name"] for c in plan["columns"]]
    rows = [dict(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]
    nulls = [r for r in plan["rules"] if r["form"] == "null_with"]
    revealed: dict[str, list[int]] = {}
    for j, row in enumerate(rows):
        values = [row[n] for n in names]
        shown = set()
        for rule in nulls:  # step 1: null on its own with probability `own`, else the fallback shows
            c = rule["column"]
            if rule["own"] < 0:
                continue
            if uniform(bits(stream(seed, rule["stream"]), j)) < rule["own"]:
                values[c] = None
            elif values[c] is None:
                values[c] = "revealed"
                shown.add(c)
        changed = True
        while changed:  # step 2: the closure
            changed = False
            for rule in nulls:
                if any(values[a] is None for a in rule["when_null"]) and values[rule["column"]] is not None:
                    values[rule["column"]] = None
                    changed = True
        for c in shown:
            if values[c] == "revealed":
                revealed.setdefault(names[c], []).append(j)
                values[c] = None
        for rule in (r for r in plan["rules"] if r["form"] != "null_with"):
            form = rule["form"]
            if form == "order":
                present = [c for c in rule["columns"] if values[c] is not None]
                for c, v in zip(present, sorted(values[c] for c in present)):
                    values[c] = v
                continue
            if form == "calendar":
                year, month, day = rule["year"], rule["month"], rule["day"]
                if None in (values[month], values[day]) or (year >= 0 and values[year] is None):
                    continue
                m, d = values[month], values[day]
                if 1 <= m <= 12 and d >= 1:
                    length = (
                        29 if m == 2 and year < 0 else calendar.monthrange(values[year] if year >= 0 else 2000, m)[1]
                    )
                    values[day] = min(d, length)
                continue
            target = rule["target"]
            if values[target] is None:
                continue
            if form == "map":
                key = [values[s] for s in rule["sources"]]
                if None not in key and key in rule["keys"]:
                    values[target] = rule["values"][rule["keys"].index(key)]
            elif form == "linear":
                terms = [(values[c], k) for c, k in rule["terms"]]
                if all(v is not None for v, _ in terms):
                    values[target] = rule["constant"] + sum(int(v) * k for v, k in terms)
            elif form == "clock" and values[rule["clock"]] is not None and values[rule["minutes"]] is not None:
                c = int(values[rule["clock"]])
                x = ((c // 100) * 60 + c % 100 + int(values[rule["minutes"]])) % 1440
                values[target] = (x // 60) * 100 + x % 60 or rule["midnight"]
            elif form in ("div", "mod") and values[rule["source"]] is not None:
                source = int(values[rule["source"]])
                values[target] = source // rule["divisor"] if form == "div" else source % rule["divisor"]
        for n, v in zip(names, values):
            row[n] = v
    expected = pd.DataFrame(rows, columns=frame.columns).astype(frame.dtypes.to_dict(), errors="ignore")
    return expected, revealed


def test_null_rules_keep_the_null_rates(spark):
    """Two columns null together and a third null whenever they are: their null rates stay the
    real ones (propagating nulls alone would add one column's nulls to another's)."""
    rng = np.random.default_rng(4)
    rows = 6000
    a = rng.normal(0, 1, rows)
    gone = rng.random(rows) < 0.06
    extra = rng.random(rows) < 0.03
    table = pd.DataFrame(
        {
            "a": np.where(gone, np.nan, a),
            "b": np.where(gone, np.nan, rng.normal(0, 1, rows)),
            "c": np.where(gone | extra, np.nan, rng.normal(0, 1, rows)),
            "d": rng.integers(0, 9, rows),
        }
    )
    real = spark.createDataFrame(table).replace(float("nan"), None)
    model = fit(real, table="nulls")
    assert {r.text() for r in model.spec.rules} >= {
        "a is null when b is null",
        "b is null when a is null",
        "c is null when a is null",
    }
    synthetic = generate(spark, model, 40_000, seed=2).toPandas()
    for column in ("a", "b", "c"):
        assert abs(synthetic[column].isna().mean() - table[column].isna().mean()) < 0.01, column
    assert (synthetic["a"].isna() == synthetic["b"].isna()).all()
    assert synthetic.loc[synthetic["a"].isna(), "c"].isna().all()


def test_a_tree_child_of_its_null_source_keeps_its_drawn_nulls(spark):
    """Weight is null where the species is (a rule), and also for some animals of a known species,
    more often in some species; sex is missing mostly where weight is. The tree joins weight to
    both, so its drawn nulls already hold the rule and follow the species and lead sex's (or the
    other way round): they stay. Drawn afresh (own > 0), they were independent of both, and sex
    came out null with weight in 30 % of rows instead of 75 %."""
    rng = np.random.default_rng(7)
    rows = 20_000
    species = rng.integers(0, 8, rows)
    no_species = rng.random(rows) < 0.03
    weight_gone = no_species | (rng.random(rows) < np.array([0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.01])[species])
    sex_gone = np.where(weight_gone, rng.random(rows) < 0.75, rng.random(rows) < 0.005) | no_species
    table = pd.DataFrame(
        {
            "species": np.where(no_species, None, np.array(list("ABCDEFGH"))[species]),
            "weight": np.where(weight_gone, np.nan, np.round(rng.gamma(4 + species, 10), 0)),
            "sex": np.where(sex_gone, None, rng.choice(["M", "F"], rows)),
        }
    )
    real = spark.createDataFrame(table).replace(float("nan"), None)
    model = fit(real, table="animals")
    assert {"weight is null when species is null"} <= {r.text() for r in model.spec.rules}
    parents = {d.child: d.parent for d in model.spec.dependencies}
    assert "weight" in (parents.get("species"), parents.get("sex")) and parents.get("weight") in ("species", None)
    made = generate(spark, model, 60_000, seed=3).toPandas()

    def with_weight(frame: pd.DataFrame) -> float:
        return float(frame.loc[frame["weight"].isna(), "sex"].isna().mean())

    assert abs(with_weight(made) - with_weight(table)) < 0.05, (with_weight(made), with_weight(table))
    for column in ("weight", "sex"):
        assert abs(made[column].isna().mean() - table[column].isna().mean()) < 0.01, column
    assert made.loc[made["species"].isna(), "weight"].isna().all()
    by_species = lambda frame: frame.groupby("species")["weight"].apply(lambda w: w.isna().mean())  # noqa: E731
    assert (by_species(made) - by_species(table)).abs().max() < 0.03


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_rule_in_random_independent_data(spark, seed):
    rng = np.random.default_rng(seed)
    rows = 3000
    table = pd.DataFrame(
        {
            "small": rng.integers(0, 12, rows),
            "day": rng.integers(1, 32, rows),
            "wide": rng.integers(-500, 500, rows),
            "other": rng.integers(-400, 600, rows),
            "level": rng.choice(list("abcde"), rows),
            "kind": rng.choice(list("xyz"), rows),
            "code": rng.integers(0, 50, rows),
            "value": rng.normal(0, 1, rows),
            "more": rng.normal(0.2, 1, rows),
            "maybe": np.where(rng.random(rows) < 0.2, np.nan, rng.normal(0, 1, rows)),
            "also": np.where(rng.random(rows) < 0.3, np.nan, rng.normal(0, 1, rows)),
        }
    )
    model = fit(spark.createDataFrame(table).replace(float("nan"), None), table="random")
    assert [r.text() for r in model.spec.rules] == []


def test_rules_can_be_switched_off(rules_real):
    assert fit(rules_real.limit(500), table="rules", rules="none").spec.rules == []


def test_rules_command_lists_them(rules_model, tmp_path, capsys):
    path = tmp_path / "m.json"
    rules_model.save(path)
    assert main(["rules", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rules: 8 rules" in out and "sched = 100*hour + minute" in out and "100.000 %" in out


def test_a_hand_edited_rule_is_applied(spark, rules_model):
    """Delete a found rule and add one: the generated rows follow the edited section."""
    raw = copy.deepcopy(rules_model.to_dict())
    raw["rules"] = [r for r in raw["rules"] if r["form"] != "linear"] + [
        {"form": "linear", "target": "total", "terms": [{"column": "a", "coefficient": 2}], "constant": 1}
    ]
    edited = SynthModel.from_dict(raw)
    rows = generate(spark, edited, 2_000, seed=1).select("a", "total").toPandas().dropna()
    assert len(rows) > 0 and (rows["total"] == 2 * rows["a"] + 1).all()


# --- declared rules ---------------------------------------------------------------------------------


def test_declared_rules_are_kept_with_their_share(rules_real):
    model = fit(
        rules_real, table="rules", rules=["high >= low", "`total` = a + b", "region -> price"], force_rules=True
    )
    by_text = {r.text(): r for r in model.spec.rules}
    assert by_text["low <= high"].share == 1.0 and by_text["total = a + b"].share == 1.0
    mapping = next(r for r in model.spec.rules if r.form == "map" and r.sources == ["region"])
    assert mapping.share < 0.5  # region alone does not decide the price: kept only because it was forced
    assert not any(r.form == "map" and r.sources == ["region", "kind"] for r in model.spec.rules)


@pytest.mark.parametrize(
    "rule, message",
    [
        ("a ~ b", "not a rule spark_synth understands"),
        ("total = a + nope", "unknown column 'nope'"),
        ("group <= total", 'column .group. is "string"; the order form needs one of'),
        ("region -> price", "holds in .* % of the real rows"),
        ("low >= high", "holds in 0.0[0-9]* % of the real rows"),
    ],
)
def test_bad_declared_rules_are_refused_by_name(rules_real, rule, message):
    from spark_synth.errors import InputDataError

    with pytest.raises(InputDataError, match=message):
        fit(rules_real, table="rules", rules=[rule])


def test_declared_cycle_is_refused(rules_real):
    from spark_synth.errors import InputDataError

    with pytest.raises(InputDataError, match="cycle"):
        fit(rules_real.limit(300), table="rules", rules=["a = total - b", "total = a + b"], force_rules=True)


def test_cli_declares_a_rule_and_exits_2_on_a_bad_one(rules_real, tmp_path, capsys):
    data = tmp_path / "t.parquet"
    rules_real.limit(500).write.parquet(str(data))
    assert (
        main(["fit", str(data), "--model", str(tmp_path / "m.json"), "--rules", "none", "--rule", "high >= low"]) == 2
    )
    assert main(["fit", str(data), "--model", str(tmp_path / "bad.json"), "--rule", "low >= high"]) == 2
    assert "holds in 0.0" in capsys.readouterr().err and not (tmp_path / "bad.json").exists()


def test_the_report_counts_each_rule_in_real_and_synthetic_rows(spark, rules_real, rules_model, tmp_path):
    from spark_synth.evaluation import evaluate

    synthetic = generate(spark, rules_model, 2_000, seed=4)
    report = evaluate(rules_real, synthetic, model=rules_model)
    rows = {r["rule"]: r for r in report.details["rules"]}
    assert set(rows) == set(EXPECTED)
    assert all(r["synthetic"] == 1.0 and r["real"] >= r["fitted_share"] - 1e-6 for r in rows.values())
    report.save(tmp_path)
    assert "<h2>Rules</h2>" in (tmp_path / "report.html").read_text()
