"""Mistaken command lines get one clear line and exit 2 before Spark starts (these are `unit`
tests: the marker's guard fails any of them that starts Spark)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from spark_synth.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import mistakes_sweep  # noqa: E402

EARLY = [c for c in mistakes_sweep.cases() if not c.spark]


@pytest.fixture
def files(tmp_path):
    """What the sweep's pre-Spark cases point at, made without Spark (the model: a fixture)."""
    with gzip.open(ROOT / "tests" / "fixtures" / "models" / "flights_sample.model.json.gz", "rt") as handle:
        (tmp_path / "m.json").write_text(handle.read())
    for name in ("table.parquet", "one.parquet", "a/customers.parquet", "b/customers.parquet"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"PAR1" + b"\x00\x81\xff" * 20 + b"PAR1")
    return mistakes_sweep.plain_fixtures(tmp_path)


@pytest.mark.parametrize("case", EARLY, ids=[c.name for c in EARLY])
def test_a_mistake_is_one_clear_line_before_spark_starts(files, capsys, monkeypatch, case):
    """The sweep's cases that need no Spark, in-process: the `unit` marker's guard fails any that
    starts Spark."""
    monkeypatch.chdir(files["t"])
    try:
        code = main([a.format(**files) for a in case.argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    if not case.expect:
        assert code == 0, err
        return
    assert code == 2, err
    assert case.expect.format(**files) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2, err


def test_inputs_of_mixed_or_mistaken_formats_are_named(spark, tmp_path):
    from spark_synth import InputDataError
    from spark_synth.io import read_table

    mixed = tmp_path / "mixed"
    spark.range(3).write.parquet(str(mixed / "p"))
    (mixed / "a.parquet").write_bytes((next((mixed / "p").glob("*.parquet"))).read_bytes())
    (mixed / "b.csv").write_text("id\n1\n")
    (mixed / "c.json").write_text('{"id": 1}\n')
    with pytest.raises(InputDataError, match=r"holds files of several formats: .*b.csv \(csv\).*c.json \(json\)"):
        read_table(spark, str(mixed))
    parquet = mixed / "p"
    with pytest.raises(InputDataError, match=r"--format csv, but .* holds parquet files .*give --format parquet"):
        read_table(spark, str(parquet), "csv")
    assert read_table(spark, str(parquet)).count() == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rows": "10", "sed": "3"}, "unknown option 'sed'; the options are model, rows, seed, partitions"),
        ({"rows": "9223372036854775808"}, "option 'rows' takes a whole number from 1 to"),
        ({"rows": "0"}, "option 'rows' must be positive"),
        ({"rows": "10", "seed": "seven"}, "option 'seed' takes a whole number"),
    ],
)
def test_data_source_options_are_checked_by_name_and_range(spark, flights_model, tmp_path, options, message):
    from spark_synth import register

    register(spark)
    model = tmp_path / "m.json"
    flights_model.save(model)
    reader = spark.read.format("spark_synth").option("model", str(model)).options(**options)
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        reader.load().count()
