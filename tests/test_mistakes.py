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
LATE = [c for c in mistakes_sweep.cases() if c.spark]


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


@pytest.fixture(scope="module")
def spark_files(spark, tmp_path_factory):
    """What the sweep's Spark cases point at, made with the suite's session."""
    return mistakes_sweep.fixtures(tmp_path_factory.mktemp("mistakes"), spark)


@pytest.mark.slow
@pytest.mark.parametrize("case", LATE, ids=[c.name for c in LATE])
def test_a_mistake_found_by_spark_is_one_clear_line(spark, spark_files, capsys, monkeypatch, case):
    """The sweep's cases that need Spark to answer (a data source, the data itself, an output
    that exists), in-process on the suite's session: the sweep runs each in a fresh process."""
    monkeypatch.chdir(spark_files["t"])
    if case.argv[:1] == ("python",):  # the API and the data source: the error's own words
        code = case.argv[1].format(**spark_files)
        if not case.expect:
            exec(code, {})
            return
        with pytest.raises(Exception) as raised:
            exec(code, {})
        said = str(raised.value)
        assert case.expect.format(**spark_files) in said, said
        assert "spark_synth" in type(raised.value).__module__ or "spark_synth" in said, said
        return
    code = main([a.format(**spark_files) for a in case.argv])
    err = "\n".join(
        line for line in capsys.readouterr().err.splitlines() if line.strip() and not mistakes_sweep._noise(line)
    )
    if not case.expect:
        assert code == 0, err
        return
    assert code == 2, err
    assert case.expect.format(**spark_files) in err and "Traceback" not in err, err
    assert len(err.splitlines()) <= 2, err


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


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"PAR1\x00\x81\xffPAR1", "a Parquet file"), (b"PK\x03\x04\x14\x00", "a zip file"), (b"\xff\xfe{", "not text")],
)
def test_the_data_source_names_a_model_file_of_the_wrong_kind(monkeypatch, capsys, data, kind):
    """The JVM data source hands the model's raw bytes to `spark_synth.plan.main` on stdin: a
    Parquet file given as `model` is named as one, not reported as bad JSON."""
    import io

    from spark_synth.plan import main as plan_main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert plan_main.main(["--model", "-", "--name", "s3://bucket/m.json", "--rows", "10"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"model file s3://bucket/m.json is {kind}, not a model (a JSON file written by `spark-synth fit --model`)"
    )
