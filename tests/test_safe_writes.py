"""Writes under races and crashes: one run per target (a lease), a publish that cannot nest, no
stale staging left behind, and what a killed run leaves handled by the next one or `clean`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from spark_synth.cli import main
from spark_synth.io.files import ServerFiles
from spark_synth.io.lease import LeaseHeld, leased
from spark_synth.io.writers import hidden_sibling, rename_warning, write_output

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rows(spark, flights_model):
    from spark_synth import generate

    # Big enough that one write holds its lease well past the races' 0.3 s head start, even on
    # a quiet machine (30,000 rows wrote in under 0.3 s once: both runs published in turn).
    return generate(spark, flights_model, rows=150_000, seed=5, partitions=4)


def _same_rows(spark, path: str, rows) -> bool:
    written = spark.read.parquet(path)
    return written.count() == rows.count() and written.exceptAll(rows).isEmpty()


def _hidden(directory: Path) -> list[str]:
    """Every name starting with '.' at or below `directory`, Spark's own checksum files aside."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob(".*") if not p.name.endswith(".crc"))


def _race(spark, rows, target: str, head_start: float) -> list[object]:
    """Two writes of one target started together (the second `head_start` s later): what each
    ended with, None for a publish."""
    outcome: list[object] = [None, None]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        if i == 1:
            time.sleep(head_start)
        try:
            write_output(rows, target, "parquet", "overwrite")
        except Exception as exc:  # the loser's refusal, checked below
            outcome[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


@pytest.mark.parametrize("existing", [False, True], ids=["missing date", "existing date"])
def test_two_runs_of_one_date_raced_publish_exactly_once(spark, rows, tmp_path, existing):
    lake = tmp_path / "lake" / "flights"
    target = str(lake / "date=2026-11-21")
    for round_, head_start in enumerate([0.0, 0.0, 0.05, 0.3]):
        if existing:
            write_output(rows.limit(10), target, "parquet", "overwrite")
        outcome = _race(spark, rows, target, head_start)
        refused = [o for o in outcome if o is not None]
        assert len(refused) == 1, (round_, outcome)
        assert isinstance(refused[0], LeaseHeld), refused[0]
        assert "is being written by another run" in str(refused[0]) and "last heartbeat" in str(refused[0])
        assert _same_rows(spark, target, rows), round_
        assert _hidden(lake) == [], "no staging, set-aside copy, lease or nested copy remains"
        write_output(rows.limit(1), f"{target}-scratch", "parquet", "overwrite")  # the next round
    assert sorted(p.name for p in lake.iterdir()) == ["date=2026-11-21", "date=2026-11-21-scratch"]


def test_the_publish_never_moves_into_an_existing_directory(spark, tmp_path):
    """Hadoop's FileSystem.rename onto a directory moves the source inside it; the publish's move
    refuses instead."""
    files = ServerFiles(spark)
    source, target = tmp_path / "new", tmp_path / "date=D"
    for d in (source, target):
        d.mkdir()
        (d / "part-0").write_text(d.name)
    assert files.move(str(source), str(target)) is False
    assert sorted(p.name for p in target.iterdir()) == ["part-0"] and (target / "part-0").read_text() == "date=D"
    assert source.is_dir()
    assert files.move(str(source), str(tmp_path / "free")) is True and (tmp_path / "free" / "part-0").is_file()


def test_a_relative_output_path_is_written_beside_the_working_directory(spark, rows):
    """A bare name ("out", as the README writes) lives in the driver's working directory, and so
    do its staging directory and lease."""
    import shutil
    import uuid

    name = f"relative-out-{uuid.uuid4().hex[:8]}"
    here = Path.cwd()  # the driver JVM's working directory: where pytest started
    dead = here / f".{name}.staging-dead00000000"
    dead.mkdir()
    try:
        write_output(rows.limit(20), name, "parquet", "error")
        assert spark.read.parquet(str(here / name)).count() == 20
        assert not dead.exists() and not list(here.glob(f".{name}*"))
    finally:
        shutil.rmtree(here / name, ignore_errors=True)
        for left in here.glob(f".{name}*"):
            shutil.rmtree(left, ignore_errors=True)


def test_leftovers_of_a_killed_write_are_removed_by_the_next_write(spark, rows, tmp_path):
    target = tmp_path / "out"
    dead = tmp_path / ".out.staging-0123456789ab"
    dead.mkdir()
    (dead / "part-00000.parquet").write_bytes(b"x" * 1000)
    write_output(rows.limit(100), str(target), "parquet", "overwrite")
    assert not dead.exists() and _hidden(tmp_path) == []
    # a replace killed after moving the old output aside: the next write finds it, not a loss
    aside = tmp_path / ".out.old-0123456789ab"
    target.rename(aside)
    files = ServerFiles(spark)
    from spark_synth.io.staging import remove_leftovers

    with leased(files, str(target), hidden_sibling(str(target), "lease")):
        done = remove_leftovers(files, str(target))
    assert done == [f"restored {aside} -> {target} (a replace was killed after moving it aside)"]
    assert spark.read.parquet(str(target)).count() == 100


def test_a_live_lease_is_refused_a_stale_or_corrupt_one_taken_over(spark, rows, tmp_path, caplog, monkeypatch):
    files = ServerFiles(spark)
    target = str(tmp_path / "out")
    lease = Path(hidden_sibling(target, "lease"))
    live_staging = tmp_path / ".out.staging-live00000000"
    with leased(files, target, str(lease)):
        live_staging.mkdir()  # a live run's staging
        with pytest.raises(LeaseHeld, match=r"being written by another run: run \w+ \(host .*, process \d+"):
            write_output(rows.limit(10), target, "parquet", "overwrite")
        assert main(["clean", target]) == 2  # clean waits for the live run too
        assert live_staging.is_dir()
    live_staging.rmdir()
    monkeypatch.setenv("SPARK_SYNTH_LEASE_STALE_SECONDS", "30")
    lease.write_text("run=deadbeef0000\nhost=elsewhere\npid=1\nstarted=2026-12-01T00:00:00Z\n")
    os.utime(lease, (time.time() - 31, time.time() - 31))
    with caplog.at_level("WARNING", logger="spark_synth.lease"):
        write_output(rows.limit(10), target, "parquet", "overwrite")
    assert any("took over the lease" in r.getMessage() and "deadbeef0000" in r.getMessage() for r in caplog.records)
    lease.write_bytes(b"\x00garbage")
    os.utime(lease, (time.time() - 10, time.time() - 10))
    caplog.clear()
    with caplog.at_level("WARNING", logger="spark_synth.lease"):
        write_output(rows.limit(10), target, "parquet", "overwrite")
    assert any("could not be read as a lease" in r.getMessage() for r in caplog.records)
    assert not lease.exists() and spark.read.parquet(target).count() == 10


def test_clean_removes_dead_staging_and_refuses_other_paths(spark, tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert main(["clean", str(tmp_path / "plain")]) == 2
    assert "not a spark_synth output" in capsys.readouterr().err
    dead = tmp_path / ".out.staging-aaaaaaaaaaaa"
    dead.mkdir()
    assert main(["clean", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"removed {dead}" in printed and not dead.exists() and _hidden(tmp_path) == []


def test_object_stores_say_what_guarantee_remains():
    assert "copying it file by file" in rename_warning("s3a://bucket/lake/flights/date=2026-11-21")
    assert rename_warning("hdfs://nn/lake/x") == "" and rename_warning("/tmp/x") == ""


@pytest.mark.slow
def test_a_killed_run_leaves_a_lease_taken_over_once_stale(spark, rows, tmp_path, flights_model, monkeypatch, caplog):
    """A real process killed mid-write: the next run is refused while the dead run's heartbeat is
    fresh, takes the lease over once it is stale, removes the dead staging and publishes."""
    model = tmp_path / "flights.model.json"
    flights_model.save(model)
    target = tmp_path / "big"
    monkeypatch.setenv("SPARK_SYNTH_LEASE_STALE_SECONDS", "8")  # the writer's heartbeat: every 2 s
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    cli = [sys.executable, "-m", "spark_synth.cli", "--master", "local[1]"]
    writer = subprocess.Popen(
        cli + ["generate", "--model", str(model), "--rows", "20000000", "--output", str(target)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not list(tmp_path.glob(".big.staging-*/*")):
            time.sleep(0.2)
        time.sleep(3)  # a heartbeat or two
        assert list(tmp_path.glob(".big.staging-*")), "the writer started writing"
    finally:
        writer.kill()
        writer.wait()
    lease = tmp_path / ".big.lease"
    assert lease.is_file() and not target.exists()
    assert time.time() - lease.stat().st_mtime < 4, "the dead run's heartbeat is fresh"
    with pytest.raises(LeaseHeld, match="being written by another run"):
        write_output(rows.limit(1000), str(target), "parquet", "error")
    time.sleep(max(0.0, 8.5 - (time.time() - lease.stat().st_mtime)))
    with caplog.at_level("WARNING", logger="spark_synth.lease"):
        write_output(rows.limit(1000), str(target), "parquet", "error")
    assert any("took over the lease" in r.getMessage() for r in caplog.records)
    assert _hidden(tmp_path) == [] and spark.read.parquet(str(target)).count() == 1000
