"""Delta Lake and Apache Iceberg through their real connectors: fits pinned to a version, writes in
one commit with every mode, daily partitions replaced by the table's own commit (and a killed
write that leaves the previous version), relational schemas per date, Delta's change data feed.

These run in .venv-lake (PySpark 4.1, the connectors fetched by scripts/setup.sh); see
tests/conftest.py for why they are skipped elsewhere and fail under CI when they cannot run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from spark_synth import fit, generate, load_model, read_lake
from spark_synth.cli import main

pytestmark = [pytest.mark.lake, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
DAYS = ["2026-11-20", "2026-11-21", "2026-11-22"]


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """An Iceberg Hadoop catalog `lake` in a temporary warehouse, namespace lake.db."""
    root = tmp_path_factory.mktemp("lake")
    for key, value in catalog_settings(root).items():
        spark.conf.set(key, value)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.db")
    return root


def catalog_settings(root: Path) -> dict[str, str]:
    return {
        "spark.sql.catalog.lake": "org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.catalog.lake.type": "hadoop",
        "spark.sql.catalog.lake.warehouse": str(root / "warehouse"),
        "spark.sql.catalog.lake.cache-enabled": "false",  # see commits made by other processes
        # Delta rebuilds a table's state in 50 tasks by default: seconds per read for a tiny test log
        "spark.databricks.delta.snapshotPartitions": "2",
    }


def delta_versions(spark, path) -> list[int]:
    return sorted(r.version for r in spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version").collect())


def iceberg_snapshots(spark, table) -> list[int]:
    return [r.snapshot_id for r in spark.table(f"{table}.history").orderBy("made_current_at").collect()]


def err_of(capsys) -> str:
    return capsys.readouterr().err.strip()


def test_a_delta_read_pins_a_version_and_names_the_mistakes(spark, flights, lake, tmp_path, capsys):
    """The fit itself, its record of the version and the refit giving the same model: the docs
    examples below (test_the_lake_docs_examples_run)."""
    path = str(tmp_path / "flights")
    flights.limit(1500).write.format("delta").save(path)  # version 0
    flights.write.format("delta").mode("append").save(path)  # version 1
    pinned = read_lake(spark, "delta", path=path, version=0)
    assert pinned.frame.count() == 1500
    assert (pinned.source["format"], pinned.source["location"], pinned.source["version"]) == ("delta", path, 0)
    assert pinned.source["committed_at"].endswith("Z")
    # refitting the pinned version gives the same bytes (exact bucket counts, no random sketch;
    # a few columns keep it quick: tests/test_deterministic_fit.py covers every kind of column)
    few = ["carrier", "origin", "dep_delay", "distance", "time_hour"]
    refits = [read_lake(spark, "delta", path=path, version=0) for _ in range(2)]
    models = [fit(replace(r, frame=r.frame.select(*few)), table="flights").to_json() for r in refits]
    assert models[0] == models[1]
    latest = read_lake(spark, "delta", path=path)  # no version given: the latest, pinned
    assert latest.source["version"] == 1 and latest.frame.count() == 1500 + flights.count()
    as_of = pinned.source["committed_at"].replace("Z", "+00:00")
    assert read_lake(spark, "delta", path=path, as_of=as_of).source["version"] == 0
    # mistakes: a version past the latest, a timestamp that is not one, the table read as Parquet
    model = str(tmp_path / "m.json")
    assert main(["fit", path, "--format", "delta", "--version", "7", "--model", model]) == 2
    assert "--version 7" in (said := err_of(capsys)) and "0 .. 1" in said
    assert main(["fit", path, "--format", "delta", "--as-of", "yesterday", "--model", model]) == 2
    assert "is not a timestamp" in err_of(capsys)
    assert main(["fit", path, "--model", model]) == 2
    said = err_of(capsys)
    assert "is a Delta table" in said and "give --format delta" in said


def test_an_iceberg_read_pins_a_snapshot(spark, flights, lake, tmp_path, capsys):
    table = "lake.db.fit_source"
    flights.limit(1000).writeTo(table).create()
    flights.writeTo(table).append()
    first, second = iceberg_snapshots(spark, table)
    pinned = read_lake(spark, "iceberg", table=table, version=first)
    assert pinned.frame.count() == 1000 and (pinned.source["format"], pinned.source["version"]) == ("iceberg", first)
    assert read_lake(spark, "iceberg", table=table).source["version"] == second
    model = str(tmp_path / "m.json")
    assert main(["fit", "--format", "iceberg", "--table", "nocatalog.db.t", "--model", model]) == 2
    assert "no Iceberg catalog 'nocatalog' is configured" in err_of(capsys)


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_generate_writes_one_commit_per_mode_and_checks_the_schema_first(
    spark, flights_model, lake, tmp_path, capsys, fmt
):
    model = tmp_path / "m.json"
    flights_model.save(model)
    if fmt == "delta":
        where, target = ["--output", str(tmp_path / "gen")], f"delta.`{tmp_path / 'gen'}`"
        versions = lambda: delta_versions(spark, tmp_path / "gen")  # noqa: E731
    else:
        where, target = ["--table", "lake.db.gen"], "lake.db.gen"
        versions = lambda: iceberg_snapshots(spark, "lake.db.gen")  # noqa: E731
    args = ["generate", "--model", str(model), "--rows", "500", "--seed", "3", "--format", fmt, *where]
    assert main(args) == 0
    expected = generate(spark, flights_model, rows=500, seed=3)
    assert spark.table(target).exceptAll(expected).count() == 0 and spark.table(target).count() == 500
    assert len(versions()) == 1
    assert main(args) == 2 and "already exists" in err_of(capsys)
    assert len(versions()) == 1
    assert main([*args, "--mode", "append"]) == 0
    assert spark.table(target).count() == 1000 and len(versions()) == 2
    assert main([*args, "--mode", "overwrite"]) == 0
    assert spark.table(target).count() == 500 and len(versions()) == 3  # replaced, history kept
    # a table with other columns: named, nothing written
    other = tmp_path / "other"
    spark.range(3).withColumn("carrier", F.lit(1)).write.format("delta").save(str(other))
    if fmt == "delta":
        clash = ["--output", str(other)]
    else:
        spark.range(3).withColumn("carrier", F.lit(1)).writeTo("lake.db.other").create()
        clash = ["--table", "lake.db.other"]
    before = spark.table(f"delta.`{other}`" if fmt == "delta" else "lake.db.other").count()
    assert main([*args[:-2], *clash, "--mode", "append"]) == 2
    said = err_of(capsys)
    assert "other columns or types" in said and "carrier is int there, string here" in said, said
    assert spark.table(f"delta.`{other}`" if fmt == "delta" else "lake.db.other").count() == before


def job(tmp_path: Path, fmt: str, rows: int = 300, extra: str = "", table: str = "daily") -> Path:
    name = f"job-{rows}.yaml"
    table = f"table: lake.db.{table}, " if fmt == "iceberg" else ""
    (tmp_path / name).write_text(
        f"seed: 7\noutput: out\nformat: {fmt}\n{extra}tables:\n"
        f"  flights: {{model: m.json, rows_per_day: {rows}, time_column: time_hour, {table}}}\n"
    )
    return tmp_path / name


def day_rows(spark, target, day):
    return sorted((tuple(r) for r in spark.table(target).where(F.col("date") == day).drop("date").collect()), key=repr)


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_a_rerun_date_is_replaced_by_one_commit_that_touches_no_other_date(spark, flights_model, lake, tmp_path, fmt):
    flights_model.save(tmp_path / "m.json")
    config = job(tmp_path, fmt, extra="change_data_feed: true\n" if fmt == "delta" else "")
    assert main(["run", "--config", str(config), "--from", DAYS[0], "--to", DAYS[-1]]) == 0
    target = f"delta.`{tmp_path / 'out' / 'flights'}`" if fmt == "delta" else "lake.db.daily"
    counts = {str(r["date"]): r["count"] for r in spark.table(target).groupBy("date").count().collect()}
    assert counts == dict.fromkeys(DAYS, 300)
    before = day_rows(spark, target, DAYS[1])
    others = other_files(spark, fmt, tmp_path, DAYS[1])
    assert main(["run", "--config", str(config), "--date", DAYS[1]]) == 0
    assert day_rows(spark, target, DAYS[1]) == before  # the same rows
    assert other_files(spark, fmt, tmp_path, DAYS[1]) == others  # no other date's file touched
    assert partitions_of_last_commit(spark, fmt, tmp_path) == {f"date={DAYS[1]}"}
    if fmt == "delta":  # the change data feed is on, and downstream readers see the rerun's changes
        properties = dict(spark.sql(f"SHOW TBLPROPERTIES {target}").collect())
        assert properties.get("delta.enableChangeDataFeed") == "true"
        changes = spark.read.format("delta").option("readChangeFeed", "true").option("startingVersion", 3)
        kinds = {r[0] for r in changes.load(str(tmp_path / "out" / "flights")).select("_change_type").collect()}
        assert kinds == {"insert", "delete"}


def other_files(spark, fmt, tmp_path, day) -> set[str]:
    if fmt == "delta":
        root = tmp_path / "out" / "flights"
        return {str(p) for p in root.rglob("*.parquet") if f"date={day}" not in str(p)}
    files = spark.table("lake.db.daily.files").select("file_path").collect()
    return {r.file_path for r in files if f"date={day}" not in r.file_path}


def partitions_of_last_commit(spark, fmt, tmp_path) -> set[str]:
    """The partitions the last commit added or removed files in."""
    if fmt == "delta":
        log = sorted((tmp_path / "out" / "flights" / "_delta_log").glob("*.json"))[-1]
        actions = [json.loads(line) for line in log.read_text().splitlines()]
        paths = [a[k]["path"] for a in actions for k in ("add", "remove") if k in a]
        return {p.split("/")[0] for p in paths}
    last = spark.table("lake.db.daily.snapshots").orderBy(F.col("committed_at").desc()).first()
    assert last.summary["changed-partition-count"] == "1"
    entries = spark.table("lake.db.daily.entries").where(F.col("snapshot_id") == last.snapshot_id)
    return {f"date={r[0]}" for r in entries.select("data_file.partition.date").distinct().collect()}


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_a_killed_date_leaves_the_previous_version_and_the_rerun_succeeds(spark, flights_model, lake, tmp_path, fmt):
    flights_model.save(tmp_path / "m.json")
    small = job(tmp_path, fmt, rows=200, table="killed")
    assert main(["run", "--config", str(small), "--date", DAYS[0]]) == 0
    target = f"delta.`{tmp_path / 'out' / 'flights'}`" if fmt == "delta" else "lake.db.killed"
    before = version_of(spark, fmt, tmp_path, target)
    big = job(tmp_path, fmt, rows=2_000_000, table="killed")
    data = tmp_path / "out" / "flights" if fmt == "delta" else lake / "warehouse" / "db" / "killed" / "data"
    seen = set(data.rglob("*.parquet"))
    process = subprocess.Popen(
        [sys.executable, "-m", "spark_synth.cli", "--master", "local[2]", *conf_args(lake), "run"]
        + ["--config", str(big), "--date", DAYS[1]],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable),
    )
    try:
        deadline = time.time() + 240
        while not (set(data.rglob("*.parquet")) - seen) and time.time() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert set(data.rglob("*.parquet")) - seen, "the job never started writing files"
        os.killpg(process.pid, signal.SIGKILL)  # mid-write: files are there, the commit is not
    finally:
        process.wait()
    assert version_of(spark, fmt, tmp_path, target) == before
    assert spark.table(target).count() == 200  # readers see the complete old state
    assert main(["run", "--config", str(small), "--date", DAYS[1]]) == 0
    counts = {str(r["date"]): r["count"] for r in spark.table(target).groupBy("date").count().collect()}
    assert counts == {DAYS[0]: 200, DAYS[1]: 200}


def conf_args(lake: Path) -> list[str]:
    return [a for key, value in catalog_settings(lake).items() for a in ("--conf", f"{key}={value}")]


def version_of(spark, fmt, tmp_path, target):
    if fmt == "delta":
        return delta_versions(spark, tmp_path / "out" / "flights")[-1]
    return iceberg_snapshots(spark, target)[-1]


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_a_relational_schema_per_date_keeps_its_keys_within_each_date(spark, star, lake, tmp_path, fmt):
    root, model = star
    namespace = ", namespace: lake.db" if fmt == "iceberg" else ""
    (tmp_path / "job.yaml").write_text(
        f"seed: 3\noutput: out\nformat: {fmt}\nschemas:\n"
        f"  star: {{model: {root / 'star.model.json'}, rows_per_day: {{orders: 400}}{namespace}}}\n"
    )
    assert main(["run", "--config", str(tmp_path / "job.yaml"), "--from", DAYS[0], "--to", DAYS[1]]) == 0
    if fmt == "delta":
        tables = {name: spark.read.format("delta").load(str(tmp_path / "out" / name)) for name in model.tables}
    else:
        tables = {name: spark.table(f"lake.db.{name}") for name in model.tables}
    assert {str(r[0]) for r in tables["orders"].select("date").distinct().collect()} == set(DAYS[:2])
    orders, customers = tables["orders"], tables["customers"]
    orphans = orders.join(customers, ["date", "customer_id"], "left_anti").count()
    assert orphans == 0  # every order's customer exists on the order's own date


def test_spark_connect_generates_into_delta_the_classic_rows(spark, flights_model, lake, tmp_path):
    flights_model.save(tmp_path / "m.json")
    table = tmp_path / "connect"
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("connect_lake_session.py")),
            str(tmp_path / "m.json"),
            str(table),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        # SPARK_TESTING: PySpark's local Connect server takes an ephemeral port (and its client
        # finds it), so this server never meets another one on 15002 (the main suite's, in CI)
        env=dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_TESTING="1"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    written = spark.read.format("delta").load(str(table))
    assert written.count() == 700 and written.exceptAll(generate(spark, flights_model, 700, seed=5)).count() == 0
    assert delta_versions(spark, table) == [0]  # one commit


def docs_blocks(language: str) -> list[str]:
    """The fenced blocks of docs/lake.md that a `<!-- run by tests/test_lake.py` comment precedes."""
    text = (ROOT / "docs" / "lake.md").read_text()
    marker = "<!-- run by tests/test_lake.py"
    blocks = []
    for part in text.split(marker)[1:]:
        fence = part.split("\n```", 1)[1]
        if fence.startswith(language):
            blocks.append(fence[len(language) :].split("\n```", 1)[0])
    return blocks


def test_the_lake_docs_examples_run(spark, flights, lake, tmp_path):
    import shlex

    (tmp_path / "lake").mkdir()
    flights.write.format("delta").save(str(tmp_path / "lake" / "flights"))
    flights.writeTo("lake.db.flights").createOrReplace()
    absolute = lambda text: text.replace("lake/", f"{tmp_path}/lake/").replace(  # noqa: E731
        "flights.model.json", f"{tmp_path}/flights.model.json"
    )
    (bash,) = docs_blocks("bash")
    try:
        for line in bash.replace("\\\n", " ").strip().splitlines():
            words = shlex.split(absolute(line).replace("iceberg.model.json", f"{tmp_path}/iceberg.model.json"))
            assert words[0] == "spark-synth" and main(words[1:]) == 0, line
    finally:
        for key, value in catalog_settings(lake).items():  # the example's --conf changed the session's
            spark.conf.set(key, value)
    assert spark.read.format("delta").load(str(tmp_path / "lake" / "synthetic")).count() == 100_000
    assert load_model(tmp_path / "iceberg.model.json").spec.table.source.format == "iceberg"
    (python,) = docs_blocks("python")
    scope = {"spark": spark}
    exec(absolute(python), scope)
    # the same version refitted: the same rows read, the same structure and source (byte-identical
    # refits are checked in test_a_delta_read_pins_a_version_and_names_the_mistakes)
    cli, api = load_model(tmp_path / "flights.model.json").spec, scope["model"].spec
    assert cli.table == api.table and [(c.name, c.kind) for c in cli.columns] == [(c.name, c.kind) for c in api.columns]
    again = read_lake(spark, "delta", path=f"{tmp_path}/lake/flights", version=0).frame
    assert again.exceptAll(flights).isEmpty() and flights.exceptAll(again).isEmpty()


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_update_reads_only_the_rows_appended_since_the_statistics(spark, flights, lake, tmp_path, capsys, fmt):
    """fit --update on the table the statistics were fitted on adds the rows appended since their
    version (a merge of the two equals the slices' own merge); a version that deleted rows in
    between is refused: a full refit is needed."""
    few = flights.select("carrier", "origin", "dep_delay", "distance")
    first, second = few.where("origin = 'JFK'").limit(1000), few.where("origin != 'JFK'").limit(1000)
    if fmt == "delta":
        path = str(tmp_path / "grow")
        first.write.format("delta").save(path)
        where = [path, "--format", "delta"]
        append = lambda df: df.write.format("delta").mode("append").save(path)  # noqa: E731
        delete = lambda: spark.sql(f"DELETE FROM delta.`{path}` WHERE carrier = 'UA'")  # noqa: E731
    else:
        table = "lake.db.grow"
        first.writeTo(table).create()
        where = ["--format", "iceberg", "--table", table]
        append = lambda df: df.writeTo(table).append()  # noqa: E731
        delete = lambda: spark.sql(f"DELETE FROM {table} WHERE carrier = 'UA'")  # noqa: E731
    s0, s1, s2 = (str(tmp_path / f"s{i}.json") for i in range(3))
    model = str(tmp_path / "m.json")
    assert main(["fit", *where, "--model", model, "--stats", s0]) == 0
    append(second)
    assert main(["fit", *where, "--update", s0, "--model", model, "--stats", s1]) == 0
    merged = load_model(model).spec
    assert (
        merged.table.row_count == 2000
        and merged.table.source.version != json.loads(Path(s0).read_text())["source"]["version"]
    )
    assert json.loads(Path(s1).read_text())["slices"] == 2
    # nothing new since s1
    assert main(["fit", *where, "--update", s1, "--model", model, "--stats", s2]) == 2
    assert "nothing was appended" in err_of(capsys)
    delete()
    assert main(["fit", *where, "--update", s1, "--model", model, "--stats", s2]) == 2
    said = err_of(capsys)
    assert "changed or removed rows" in said and "without --update" in said
    assert not Path(s2).exists()
