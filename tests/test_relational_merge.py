"""Relational models merge table by table (fit/relational_merge.py): slices of a schema that keep
each parent with its children, fitted apart with `fit --config --stats` and merged, give the model
a fit of their union gives, up to the sketches' error; mistakes are refused before anything is
written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F

from spark_synth import generate_schema, merge
from spark_synth.cli import main
from spark_synth.fit.relational_merge import mixture_quantiles
from spark_synth.model.relational import load_relational as load_model

CONFIG = """name: shops
tables:
  shops: {path: shops.parquet, primary_key: shop_id}
  visits:
    path: visits.parquet
    primary_key: visit_id
    foreign_keys:
      - {column: shop_id, references: shops}
"""


def write_schema(spark, folder, shops: pd.DataFrame, visits: pd.DataFrame, config: str = CONFIG):
    folder.mkdir(parents=True, exist_ok=True)
    spark.createDataFrame(shops).write.parquet(str(folder / "shops.parquet"))
    spark.createDataFrame(visits).write.parquet(str(folder / "visits.parquet"))
    (folder / "s.yaml").write_text(config)
    return folder / "s.yaml"


@pytest.fixture(scope="module")
def sliced(spark, tmp_path_factory):
    """1,200 shops with 0..8 visits each (and 15 busy shops with 40-80), a few visits without a
    shop; slice one holds the odd shops with their visits, slice two the even ones."""
    root = tmp_path_factory.mktemp("relational_merge")
    rng = np.random.default_rng(11)
    shops = pd.DataFrame({"shop_id": np.arange(1, 1201), "region": rng.choice(["n", "s", "e", "w"], 1200)})
    counts = rng.choice(np.arange(9), 1200, p=[0.30, 0.24, 0.17, 0.12, 0.07, 0.04, 0.03, 0.02, 0.01])
    counts[rng.choice(1200, 15, replace=False)] = rng.integers(40, 81, 15)
    owner = np.repeat(shops["shop_id"].to_numpy(), counts).astype("float64")
    owner[rng.random(len(owner)) < 0.03] = np.nan  # visits without a shop: null foreign keys
    visits = pd.DataFrame(
        {"visit_id": 1 + rng.permutation(len(owner)), "shop_id": owner, "minutes": rng.integers(1, 90, len(owner))}
    )
    paths = {"union": write_schema(spark, root / "union", shops, visits)}
    odd_shop = shops["shop_id"] % 2 == 1
    # a visit without a shop goes with its own visit id's parity
    odd_visit = np.where(visits["shop_id"].isna(), visits["visit_id"] % 2 == 1, visits["shop_id"] % 2 == 1)
    paths["one"] = write_schema(spark, root / "one", shops[odd_shop], visits[odd_visit])
    paths["two"] = write_schema(spark, root / "two", shops[~odd_shop], visits[~odd_visit])
    out = {k: root / f"{k}" for k in ("union_model", "one_stats", "two_stats", "merged", "merged_stats")}
    assert main(["fit", "--config", str(paths["union"]), "--model", str(out["union_model"])]) == 0
    for part in ("one", "two"):
        assert main(["fit", "--config", str(paths[part]), "--model", str(root / f"{part}.json"), "--stats", str(out[f"{part}_stats"])]) == 0  # fmt: skip
    argv = ["merge", str(out["one_stats"]), str(out["two_stats"]), "--model", str(out["merged"])]
    assert main([*argv, "--stats", str(out["merged_stats"])]) == 0
    return {"root": root, "paths": paths, "real_counts": counts, **out}


def test_merged_schema_matches_a_fit_of_the_union(sliced):
    union, merged = load_model(str(sliced["union_model"])), load_model(str(sliced["merged"]))
    assert {n: t.rows for n, t in merged.tables.items()} == {n: t.rows for n, t in union.tables.items()}
    # the key: 1, 2, 3 ... over the union, though each slice holds every other number
    for name in ("shops", "visits"):
        assert merged.tables[name].primary_key == union.tables[name].primary_key
        assert merged.tables[name].primary_key.sequential
    fk, fk_union = merged.tables["visits"].foreign_keys[0], union.tables["visits"].foreign_keys[0]
    assert fk.null_fraction == pytest.approx(fk_union.null_fraction, abs=1e-12)
    assert fk.orphan_fraction == fk_union.orphan_fraction == 0.0
    # exact histograms add up: the same small counts kept, with the same shares
    assert [s.children for s in fk.small_counts] == [s.children for s in fk_union.small_counts] == list(range(9))
    assert [s.share for s in fk.small_counts] == pytest.approx([s.share for s in fk_union.small_counts], abs=1e-12)
    # the busy shops' counts and the whole distribution: a mixture of the slices' quantiles
    # (as distributions: the share of parents with at most x children, at every x, within 0.02)
    merged_q, union_q = np.asarray(fk.children_per_parent), np.asarray(fk_union.children_per_parent)
    grid = np.unique(np.concatenate([merged_q, union_q]))
    share_at_most = [np.searchsorted(q, grid, side="right") / len(q) for q in (merged_q, union_q)]
    assert np.max(np.abs(share_at_most[0] - share_at_most[1])) <= 0.02
    assert np.max(np.abs(np.subtract(fk.tail_rank_at_share, fk_union.tail_rank_at_share))) <= 0.05
    assert np.max(np.abs(np.subtract(fk.rank_at_share, fk_union.rank_at_share))) <= 0.02
    assert merged.tables["shops"].child_count == union.tables["shops"].child_count is not None
    categories = {c.name: c for c in merged.models["shops"].columns}
    assert set(categories["region"].values) == {"n", "s", "e", "w"}


def test_merged_schema_generates_resolving_keys_and_real_child_counts(spark, sliced):
    model = load_model(str(sliced["merged"]))
    tables = generate_schema(spark, model, scale=1, seed=4)
    shops, visits = tables["shops"], tables["visits"]
    assert shops.select("shop_id").distinct().count() == shops.count() == 1200
    referencing = visits.where(F.col("shop_id").isNotNull())
    assert referencing.join(shops, "shop_id", "left_anti").count() == 0
    per_shop = (
        shops.join(referencing.groupBy("shop_id").count(), "shop_id", "left")
        .select(F.coalesce("count", F.lit(0)).alias("n"))
        .toPandas()["n"]
        .to_numpy()
    )
    real = np.bincount(sliced["real_counts"], minlength=100)[:9] / 1200
    assert np.abs(np.bincount(per_shop, minlength=100)[:9] / 1200 - real).max() <= 0.03


def test_update_adds_a_schema_slice_as_merge_does(sliced):
    root = sliced["root"]
    argv = ["fit", "--config", str(sliced["paths"]["two"]), "--update", str(sliced["one_stats"])]
    assert main([*argv, "--model", str(root / "updated"), "--stats", str(root / "updated_stats")]) == 0
    assert (root / "updated").read_bytes() == sliced["merged"].read_bytes()
    assert (root / "updated_stats").read_bytes() == sliced["merged_stats"].read_bytes()


def test_schema_merge_mistakes_are_refused_with_the_difference_named(spark, sliced, tmp_path, capsys):
    one = str(sliced["one_stats"])
    out = tmp_path / "m.json"
    # the same slice twice: every table's rows overlap
    assert main(["merge", one, one, "--model", str(out)]) == 2
    err = capsys.readouterr().err
    assert "table shops" in err and "in both" in err and not out.exists()
    # a table's statistics beside a schema's
    table_stats = tmp_path / "t.stats.json"
    raw = json.loads(sliced["one_stats"].read_text())["tables"][0]["statistics"]
    table_stats.write_text(json.dumps(raw))
    assert main(["merge", one, str(table_stats), "--model", str(out)]) == 2
    assert "schema" in capsys.readouterr().err and not out.exists()
    with pytest.raises(Exception, match="schema"):
        merge(one, str(table_stats))
    # a table fit cannot --update a schema's statistics
    assert (
        main(["fit", str(sliced["paths"]["one"].parent / "shops.parquet"), "--model", str(out), "--update", one]) == 2
    )
    assert "schema" in capsys.readouterr().err and not out.exists()
    # slices of different schemas: here the visits' key is declared on another column
    other = json.loads(sliced["two_stats"].read_text())
    other["tables"][1]["primary_key"]["column"] = "minutes"
    other_stats = tmp_path / "other.stats"
    other_stats.write_text(json.dumps(other))
    assert main(["merge", one, str(other_stats), "--model", str(out)]) == 2
    err = capsys.readouterr().err
    assert "different schemas" in err and "visits" in err and not out.exists()
    other = json.loads(sliced["two_stats"].read_text())
    other["min_count"] = 3
    other_stats.write_text(json.dumps(other))
    assert main(["merge", one, str(other_stats), "--model", str(out)]) == 2
    assert "min_count 3" in capsys.readouterr().err and not out.exists()
    # a composite key's distinct counts do not add up: refused before any work
    composite = CONFIG.replace("primary_key: visit_id", "primary_key: [visit_id, minutes]")
    (sliced["paths"]["one"].parent / "c.yaml").write_text(composite)
    argv = [
        "fit",
        "--config",
        str(sliced["paths"]["one"].parent / "c.yaml"),
        "--model",
        str(out),
        "--stats",
        str(tmp_path / "c"),
    ]
    assert main(argv) == 2
    assert "composite primary key" in capsys.readouterr().err and not out.exists()


def test_mixture_quantiles_of_equal_parts_are_the_parts():
    """Spark-free: mixing a distribution with itself changes nothing; two point masses split by weight."""
    q = list(np.quantile(np.random.default_rng(2).gamma(2.0, 3.0, 5000), np.linspace(0, 1, 101)))
    assert np.max(np.abs(np.subtract(mixture_quantiles([(q, 1.0), (q, 3.0)]), q))) <= 0.5
    mixed = mixture_quantiles([([0.0, 0.0], 4.0), ([10.0, 10.0], 1.0)], points=5)
    assert mixed == [0.0, 0.0, 0.0, 0.0, 10.0]  # 80 % of the mass at 0: the 0.75 quantile is 0
