"""Mistaken command lines get one clear line and exit 2 before Spark starts (these are `unit`
tests: the marker's guard fails any of them that starts Spark)."""

from __future__ import annotations

import pytest

from spark_synth.cli import main


@pytest.fixture
def files(tmp_path):
    (tmp_path / "table.parquet").write_bytes(b"PAR1" + b"\x00\x81\xff" * 20 + b"PAR1")
    (tmp_path / "folder").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "customers.parquet").write_bytes(b"PAR1")
    (tmp_path / "b" / "customers.parquet").write_bytes(b"PAR1")
    return tmp_path


CASES = [
    (
        ["generate", "--model", "{t}/table.parquet", "--rows", "10", "--output", "{t}/o"],
        "is a Parquet file, not a model",
    ),
    (["generate", "--model", "{t}/folder", "--rows", "10", "--output", "{t}/o"], "is a folder; give the model's JSON"),
    (["rules", "{t}/table.parquet"], "is a Parquet file, not a model"),
    (["generate", "--model", "{t}/m.json", "--rows", "9223372036854775808"], "--rows must be between 1 and 2**62"),
    (["generate", "--model", "{t}/m.json", "--rows", "0"], "--rows must be between 1 and 2**62"),
    (["generate", "--model", "{t}/m.json", "--rows", "ten"], "--rows takes a whole number of rows, got 'ten'"),
    (["generate", "--model", "{t}/m.json", "--rows", "5", "--partitions", "0"], "--partitions must be between 1"),
    (["generate", "--model", "{t}/m.json", "--rows", "5", "--seed", str(2**63)], "--seed must be between"),
    (["fit", "{t}/table.parquet", "--model", "{t}/m.json", "--min-count", "0"], "--min-count must be between 1"),
    (["fit", "{t}/table.parquet", "--model", "{t}/nowhere/m.json"], "the folder {t}/nowhere does not exist"),
    (["fit", "{t}/table.parquet", "--model", "{t}/folder"], "--model {t}/folder is a folder"),
    (
        ["infer-keys", "{t}/a/customers.parquet", "{t}/b/customers.parquet", "--output", "{t}/s.yaml"],
        "are both table 'customers'",
    ),
    (["infer-keys", "{t}/a/customers.parquet", "--output", "{t}/folder"], "--output {t}/folder is a folder"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(c[0][:2]) + f" #{i}" for i, c in enumerate(CASES)])
def test_a_mistake_is_one_clear_line_before_spark_starts(files, capsys, argv, message):
    code = main([a.format(t=files) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message.format(t=files) in err and "Traceback" not in err
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
