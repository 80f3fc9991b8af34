"""Mistaken and hostile inputs, each run as a user runs it (a fresh `spark-synth` process, or a
Python snippet for the API and the data source), each classified:

- clear: exit 2, one line (plus a hint line at most), no traceback, the expected words;
- ok: a case expected to succeed did (exit 0);
- traceback / silently wrong (exit 0 where a refusal was due, or the wrong words) / hang (no
  answer within the timeout).

    python scripts/mistakes_sweep.py [--only SUBSTRING] [--timeout 300]

Writes docs/results/mistakes.md (and .json). Cases marked `spark` start Spark (slower); the others
must be refused before Spark starts. tests/test_mistakes.py runs the pre-Spark cases in-process.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from results import publish  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]  # CLI arguments, or ("python", CODE) for a snippet
    expect: str  # words of the clear message; "" for a case that must succeed
    spark: bool = False  # starts Spark before it can answer


def cli(name: str, *argv: str, expect: str, spark: bool = False) -> Case:
    return Case(name, tuple(argv), expect, spark)


def py(name: str, code: str, expect: str) -> Case:
    return Case(name, ("python", code), expect, True)


GEN = ("generate", "--model", "{m}")
FIT = ("fit", "{t}/table.parquet")


def cases() -> list[Case]:
    out = [
        # generate: numbers
        cli("rows 0", *GEN, "--rows", "0", "--format", "noop", expect="--rows must be between 1"),
        cli("rows negative", *GEN, "--rows", "-5", "--format", "noop", expect="--rows must be between 1"),
        cli("rows 2**63", *GEN, "--rows", "9223372036854775808", "--format", "noop", expect="--rows must be between"),
        cli("rows 2**62+1", *GEN, "--rows", str(2**62 + 1), "--format", "noop", expect="--rows must be between"),
        cli("rows word", *GEN, "--rows", "ten", "--format", "noop", expect="--rows takes a whole number"),
        cli("rows fraction", *GEN, "--rows", "1.5", "--format", "noop", expect="--rows takes a whole number"),
        cli("rows empty", *GEN, "--rows", "", "--format", "noop", expect="--rows takes a whole number"),
        cli("rows missing", *GEN, "--format", "noop", expect="--rows is required"),
        cli("partitions 0", *GEN, "--rows", "5", "--partitions", "0", "--format", "noop", expect="--partitions must"),
        cli("partitions -3", *GEN, "--rows", "5", "--partitions", "-3", "--format", "noop", expect="--partitions must"),
        cli("partitions word", *GEN, "--rows", "5", "--partitions", "x", "--format", "noop", expect="invalid int"),
        cli("seed 2**63", *GEN, "--rows", "5", "--seed", str(2**63), "--format", "noop", expect="--seed must be"),
        cli(
            "seed -2**63-1", *GEN, "--rows", "5", "--seed", str(-(2**63) - 1), "--format", "noop", expect="--seed must"
        ),
        cli("seed word", *GEN, "--rows", "5", "--seed", "abc", "--format", "noop", expect="invalid int"),
        cli(
            "scale on single",
            *GEN,
            "--rows",
            "5",
            "--scale",
            "2",
            "--format",
            "noop",
            expect="--scale is for relational",
        ),
        cli("format xlsx", *GEN, "--rows", "5", "--format", "xlsx", expect="invalid choice: 'xlsx'"),
        cli("no output", *GEN, "--rows", "5", expect="--output PATH is required"),
        # generate: model files
        cli(
            "model missing",
            "generate",
            "--model",
            "{t}/nope.json",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="does not exist",
        ),
        cli(
            "model folder", "generate", "--model", "{t}/folder", "--rows", "5", "--format", "noop", expect="is a folder"
        ),
        cli(
            "model parquet",
            "generate",
            "--model",
            "{t}/one.parquet",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="is a Parquet file",
        ),
        cli(
            "model zip",
            "generate",
            "--model",
            "{t}/model.zip",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="is a zip file",
        ),
        cli(
            "model empty",
            "generate",
            "--model",
            "{t}/empty.json",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="model file",
        ),
        cli(
            "model truncated",
            "generate",
            "--model",
            "{t}/truncated.json",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="model file",
        ),
        cli(
            "model newer",
            "generate",
            "--model",
            "{t}/newer.json",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="model file",
        ),
        cli(
            "model yaml", "generate", "--model", "{t}/job.yaml", "--rows", "5", "--format", "noop", expect="model file"
        ),
        cli(
            "model list json",
            "generate",
            "--model",
            "{t}/list.json",
            "--rows",
            "5",
            "--format",
            "noop",
            expect="model file",
        ),
        # generate: conditions and shares
        cli("where unknown column", *GEN, "--rows", "5", "--where", "nope = 3", "--format", "noop", expect="nope"),
        cli(
            "where bad syntax",
            *GEN,
            "--rows",
            "5",
            "--where",
            "arr_delay >>= 3",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli(
            "where contradiction",
            *GEN,
            "--rows",
            "5",
            "--where",
            "arr_delay between 9 and 3",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli(
            "where outside range",
            *GEN,
            "--rows",
            "5",
            "--where",
            "arr_delay >= 99999",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli("where unknown value", *GEN, "--rows", "5", "--where", "origin = ZZZ", "--format", "noop", expect="origin"),
        cli(
            "rebalance sum",
            *GEN,
            "--rows",
            "5",
            "--rebalance",
            "origin=JFK:0.8,EWR:0.5",
            "--format",
            "noop",
            expect="shares must sum to 1",
        ),
        cli("rebalance unknown", *GEN, "--rows", "5", "--rebalance", "nope=a:1", "--format", "noop", expect="nope"),
        cli("rebalance syntax", *GEN, "--rows", "5", "--rebalance", "origin", "--format", "noop", expect="rebalance"),
        # generate: outputs (need Spark for the file system)
        cli("output exists", *GEN, "--rows", "5", "--output", "{t}/folder", expect="already exists", spark=True),
        cli("output under a file", *GEN, "--rows", "5", "--output", "{t}/job.yaml/x", expect="is a file", spark=True),
        cli("generate ok", *GEN, "--rows", "50", "--output", "{t}/gen_ok", expect="", spark=True),
        # fit
        cli("fit input missing", "fit", "{t}/nope.parquet", "--model", "{t}/m2.json", expect="does not exist"),
        cli("fit no input", "fit", "--model", "{t}/m2.json", expect="give the input path"),
        cli("fit both inputs", *FIT, "--table", "db.t", "--model", "{t}/m2.json", expect="give the input path"),
        cli("fit min-count 0", *FIT, "--model", "{t}/m2.json", "--min-count", "0", expect="--min-count must be"),
        cli("fit min-count -1", *FIT, "--model", "{t}/m2.json", "--min-count", "-1", expect="--min-count must be"),
        cli("fit min-count word", *FIT, "--model", "{t}/m2.json", "--min-count", "k", expect="invalid int"),
        cli("fit model in missing folder", *FIT, "--model", "{t}/nowhere/m.json", expect="does not exist; create it"),
        cli("fit model is folder", *FIT, "--model", "{t}/folder", expect="is a folder"),
        cli("fit format xlsx", *FIT, "--model", "{t}/m2.json", "--format", "xlsx", expect="invalid choice"),
        cli("fit within bad", *FIT, "--model", "{t}/m2.json", "--within", "some", expect="invalid choice"),
        cli("fit kind syntax", *FIT, "--model", "{t}/m2.json", "--kind", "origin", expect="--kind takes COLUMN=KIND"),
        cli(
            "fit rule with none", *FIT, "--model", "{t}/m2.json", "--rules", "none", "--rule", "a <= b", expect="--rule"
        ),
        cli(
            "fit config missing", "fit", "--config", "{t}/nope.yaml", "--model", "{t}/m2.json", expect="does not exist"
        ),
        cli("fit mixed folder", "fit", "{t}/mixed", "--model", "{t}/m2.json", expect="several formats", spark=True),
        cli(
            "fit format contradicts",
            *FIT,
            "--model",
            "{t}/m2.json",
            "--format",
            "csv",
            expect="holds parquet files",
            spark=True,
        ),
        cli(
            "fit not parquet", "fit", "{t}/garbage.parquet", "--model", "{t}/m2.json", expect="cannot read", spark=True
        ),
        cli(
            "fit kind unknown column",
            *FIT,
            "--model",
            "{t}/m2.json",
            "--kind",
            "nope=pattern",
            expect="nope",
            spark=True,
        ),
        cli("fit kind bogus", *FIT, "--model", "{t}/m2.json", "--kind", "origin=bogus", expect="bogus", spark=True),
        cli(
            "fit table missing",
            "fit",
            "--table",
            "nodb.nope",
            "--model",
            "{t}/m2.json",
            expect="not in the catalog",
            spark=True,
        ),
        cli("fit empty table", "fit", "{t}/empty.parquet", "--model", "{t}/m2.json", expect="empty", spark=True),
        cli("fit ok", *FIT, "--model", "{t}/m_ok.json", expect="", spark=True),
        # run (job configs)
        cli("run config missing", "run", "--config", "{t}/nope.yaml", "--date", "2026-11-20", expect="does not exist"),
        cli("run bad date", "run", "--config", "{t}/job.yaml", "--date", "2026-13-01", expect="--date must be a date"),
        cli("run no date", "run", "--config", "{t}/job.yaml", expect="give either --date"),
        cli(
            "run from after to",
            "run",
            "--config",
            "{t}/job.yaml",
            "--from",
            "2026-11-22",
            "--to",
            "2026-11-20",
            expect="--from",
        ),
        cli(
            "run date and range",
            "run",
            "--config",
            "{t}/job.yaml",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-21",
            expect="give either --date",
        ),
    ]
    words = {"format": "xlsx", "model": "nope.json", "time_column": "nope", "where": "nope"}
    for field, value in JOB_FIELDS:
        spark = field == "format"  # only the cluster knows its data sources
        out.append(
            cli(
                f"job {field}={value}",
                "run",
                "--config",
                f"{{t}}/job_{field}.yaml",
                "--date",
                "2026-11-20",
                expect=words.get(field, field),
                spark=spark,
            )
        )
    out += [
        cli("job yaml syntax", "run", "--config", "{t}/broken.yaml", "--date", "2026-11-20", expect="broken.yaml"),
        cli("job no tables", "run", "--config", "{t}/notables.yaml", "--date", "2026-11-20", expect="tables"),
        cli("run ok", "run", "--config", "{t}/job.yaml", "--date", "2026-11-20", expect="", spark=True),
        # evaluate
        cli(
            "evaluate real missing",
            "evaluate",
            "--real",
            "{t}/nope",
            "--synthetic",
            "{t}/table.parquet",
            "--report",
            "{t}/r",
            expect="does not exist",
        ),
        cli(
            "evaluate report is file",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/table.parquet",
            "--report",
            "{t}/job.yaml",
            expect="is a file",
        ),
        cli(
            "evaluate report under file",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/table.parquet",
            "--report",
            "{t}/job.yaml/r",
            expect="is a file",
        ),
        cli(
            "evaluate format csv on parquet",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/table.parquet",
            "--format",
            "csv",
            "--report",
            "{t}/r",
            expect="holds parquet files",
            spark=True,
        ),
        cli(
            "evaluate target unknown",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/table.parquet",
            "--target",
            "nope",
            "--report",
            "{t}/r",
            expect="target column 'nope'",
            spark=True,
        ),
        cli(
            "evaluate schemas differ",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/other.parquet",
            "--report",
            "{t}/r",
            expect="no column in common",
            spark=True,
        ),
        cli(
            "evaluate empty synthetic",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/empty_flights.parquet",
            "--report",
            "{t}/r",
            expect="synthetic table is empty",
            spark=True,
        ),
        cli(
            "evaluate model parquet",
            "evaluate",
            "--real",
            "{t}/table.parquet",
            "--synthetic",
            "{t}/table.parquet",
            "--model",
            "{t}/one.parquet",
            "--report",
            "{t}/r",
            expect="is a Parquet file",
        ),
        # infer-keys, rules, clean, engine-jar, unknown commands
        cli(
            "infer-keys same name",
            "infer-keys",
            "{t}/a/customers.parquet",
            "{t}/b/customers.parquet",
            "--output",
            "{t}/s.yaml",
            expect="both table 'customers'",
        ),
        cli(
            "infer-keys output folder",
            "infer-keys",
            "{t}/a/customers.parquet",
            "--output",
            "{t}/folder",
            expect="is a folder",
        ),
        cli(
            "infer-keys output missing folder",
            "infer-keys",
            "{t}/a/customers.parquet",
            "--output",
            "{t}/nowhere/s.yaml",
            expect="does not exist; create it",
        ),
        cli(
            "infer-keys input missing",
            "infer-keys",
            "{t}/nope.parquet",
            "--output",
            "{t}/s.yaml",
            expect="does not exist",
        ),
        cli("rules model missing", "rules", "{t}/nope.json", expect="does not exist"),
        cli("rules model parquet", "rules", "{t}/one.parquet", expect="is a Parquet file"),
        cli("rules model folder", "rules", "{t}/folder", expect="is a folder"),
        cli("clean plain folder", "clean", "{t}/folder", expect="not a spark_synth output", spark=True),
        cli("rules ok", "rules", "{m}", expect=""),
        cli("engine-jar ok", "engine-jar", expect=""),
        cli("where empty", *GEN, "--rows", "5", "--where", "", "--format", "noop", expect="condition"),
        cli(
            "where number word",
            *GEN,
            "--rows",
            "5",
            "--where",
            "arr_delay >= soon",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli(
            "where two ops",
            *GEN,
            "--rows",
            "5",
            "--where",
            "arr_delay >= 3 <= 9",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli(
            "rebalance negative",
            *GEN,
            "--rows",
            "5",
            "--rebalance",
            "origin=JFK:-0.2,EWR:1.2",
            "--format",
            "noop",
            expect="share of",
        ),
        cli(
            "rebalance unknown value",
            *GEN,
            "--rows",
            "5",
            "--rebalance",
            "origin=ZZZ:1",
            "--format",
            "noop",
            expect="ZZZ",
        ),
        cli(
            "rebalance number column",
            *GEN,
            "--rows",
            "5",
            "--rebalance",
            "arr_delay=3:1",
            "--format",
            "noop",
            expect="arr_delay",
        ),
        cli("run from only", "run", "--config", "{t}/job.yaml", "--from", "2026-11-20", expect="give either --date"),
        cli("run to only", "run", "--config", "{t}/job.yaml", "--to", "2026-11-20", expect="give either --date"),
        cli(
            "run date with time",
            "run",
            "--config",
            "{t}/job.yaml",
            "--date",
            "2026-11-20T01:00",
            expect="--date must be a date",
        ),
        cli("fit rule syntax", *FIT, "--model", "{t}/m2.json", "--rule", "arr_delay <=", expect="rule", spark=True),
        cli(
            "generate csv ok", *GEN, "--rows", "40", "--format", "csv", "--output", "{t}/gen_csv", expect="", spark=True
        ),
        cli("clean missing path", "clean", "{t}/never", expect="not a spark_synth output", spark=True),
        cli("unknown command", "bogus", expect="invalid choice: 'bogus'"),
        cli("unknown option", "generate", "--modle", "x", expect="required: --model"),
        cli("no command", expect="the following arguments are required"),
        cli("demo rows word", "demo", "--rows", "x", expect="invalid int"),
    ]
    # lake tables: Delta Lake and Iceberg (this sweep runs on a Spark without their connectors)
    lake_gen = (*GEN, "--rows", "5")
    out += [
        cli(
            "append to files",
            *lake_gen,
            "--output",
            "{t}/x",
            "--mode",
            "append",
            expect="--mode append needs a transactional table",
        ),
        cli(
            "iceberg without table",
            *lake_gen,
            "--format",
            "iceberg",
            "--output",
            "{t}/x",
            expect="give --table CATALOG.DB.NAME",
        ),
        cli("table with parquet", *lake_gen, "--table", "a.b", "--output", "{t}/x", expect="give --format delta"),
        cli(
            "delta output and table",
            *lake_gen,
            "--format",
            "delta",
            "--output",
            "{t}/x",
            "--table",
            "a.b",
            expect="one of them",
        ),
        cli("version on parquet", *FIT, "--model", "{t}/m2.json", "--version", "3", expect="--version and --as-of"),
        cli("conf without =", "--conf", "nokey", *lake_gen, "--format", "noop", expect="--conf 'nokey'"),
        cli("conf not spark", "--conf", "a=b", *lake_gen, "--format", "noop", expect="with a Spark key"),
        cli("job iceberg no table", "run", "--config", "{t}/job_iceberg.yaml", "--date", "2026-11-20", expect="table:"),
        cli(
            "delta without connector",
            *lake_gen,
            "--format",
            "delta",
            "--output",
            "{t}/dl",
            expect="no Delta Lake connector",
            spark=True,
        ),
        cli(
            "iceberg without connector",
            "fit",
            "--format",
            "iceberg",
            "--table",
            "lake.db.t",
            "--model",
            "{t}/m2.json",
            expect="no Apache Iceberg connector",
            spark=True,
        ),
        cli(
            "job delta without connector",
            "run",
            "--config",
            "{t}/job_delta.yaml",
            "--date",
            "2026-11-20",
            expect="no Delta Lake connector",
            spark=True,
        ),
        cli(
            "delta table read as parquet",
            "fit",
            "{t}/deltalike",
            "--model",
            "{t}/m2.json",
            expect="is a Delta table",
            spark=True,
        ),
    ]
    # the data source and the API
    ds = "from spark_synth.io import get_spark; s = get_spark('sweep', 'local[1]'); import spark_synth; spark_synth.register(s)\n"
    reader = ds + "r = s.read.format('spark_synth').option('model', '{m}')\n"
    out += [
        py("ds unknown option", reader + "r.option('rows', 5).option('sed', 1).load().count()", "unknown option 'sed'"),
        py(
            "ds rows 2**63",
            reader + "r.option('rows', '9223372036854775808').load().count()",
            "option 'rows' takes a whole number",
        ),
        py("ds rows 0", reader + "r.option('rows', 0).load().count()", "option 'rows' must be positive"),
        py("ds rows word", reader + "r.option('rows', 'ten').load().count()", "option 'rows' takes a whole number"),
        py("ds rows missing", reader + "r.load().count()", "'rows'"),
        py(
            "ds seed word",
            reader + "r.option('rows', 5).option('seed', 'x').load().count()",
            "option 'seed' takes a whole number",
        ),
        py(
            "ds model missing",
            ds + "s.read.format('spark_synth').option('model', '{t}/nope.json').option('rows', 5).load().count()",
            "does not exist",
        ),
        py(
            "ds model parquet",
            ds + "s.read.format('spark_synth').option('model', '{t}/one.parquet').option('rows', 5).load().count()",
            "Parquet file",
        ),
        py("ds ok", reader + "assert r.option('rows', 7).load().count() == 7", ""),
        py(
            "api rows 0",
            "import spark_synth as ss\nfrom spark_synth.io import get_spark\nss.generate(get_spark('x', 'local[1]'), ss.load_model('{m}'), rows=0)",
            "rows must be a positive integer",
        ),
        py(
            "api rows 2**63",
            "import spark_synth as ss\nfrom spark_synth.io import get_spark\nss.generate(get_spark('x', 'local[1]'), ss.load_model('{m}'), rows=2**63)",
            "rows must be at most",
        ),
        py("api load folder", "import spark_synth as ss\nss.load_model('{t}/folder')", "is a folder"),
        py(
            "api min_count 0",
            "import spark_synth as ss\nfrom spark_synth.io import get_spark\ns = get_spark('x', 'local[1]')\nss.fit(s.read.parquet('{t}/table.parquet'), min_count=0)",
            "min_count",
        ),
    ]
    api = "import spark_synth as ss\nfrom spark_synth.io import get_spark\ns = get_spark('x', 'local[1]')\n"
    table = api + "df = s.read.parquet('{t}/table.parquet')\n"
    model = api + "m = ss.load_model('{m}')\n"
    out += [
        py("api fit within bogus", table + "ss.fit(df, within='some')", "within must be"),
        py("api fit rule_share 2", table + "ss.fit(df, rule_share=2)", "rule_share must be between 0.5 and 1"),
        py("api fit min_count text", table + "ss.fit(df, min_count='5')", "min_count (the privacy threshold k)"),
        py("api fit max_categories 0", table + "ss.fit(df, max_categories=0)", "max_categories"),
        py("api fit a path", api + "ss.fit('{t}/table.parquet')", "fit takes a Spark DataFrame, not str"),
        py("api fit kind bogus", table + "ss.fit(df, kinds={{'origin': 'bogus'}})", "kind 'bogus'"),
        py("api fit kind unknown column", table + "ss.fit(df, kinds={{'nope': 'pattern'}})", "unknown columns"),
        py("api generate partitions 0", model + "ss.generate(s, m, 10, partitions=0)", "partitions must be"),
        py("api generate seed -1", model + "ss.generate(s, m, 10, seed=-1)", "seed must be"),
        py("api generate a path", api + "ss.generate(s, '{m}', 10)", "load it first"),
        py("api generate where unknown", model + "ss.generate(s, m, 10, where={{'nope': 1}})", "no such column"),
        py("api generate_schema single", model + "ss.generate_schema(s, m)", "takes a relational model"),
        py("api save into missing folder", model + "m.save('{t}/nowhere/m.json')", "does not exist; create it"),
        py("api save onto a folder", model + "m.save('{t}/folder')", "is a folder"),
        py("api load parquet", "import spark_synth as ss\nss.load_model('{t}/one.parquet')", "is a Parquet file"),
        py(
            "api evaluate target unknown",
            table + "ss.evaluate(df, df, target='nope')",
            "target column 'nope' is not in the tables",
        ),
    ]
    return out


def fixtures(root: Path, spark=None) -> dict[str, str]:
    """Files the cases point at: a small real table, a model fitted on it, broken model files,
    folders, job configs with one mistaken field each. With no session given, one is started
    and stopped here (the sweep's own processes start theirs)."""
    import shutil

    from spark_synth import fit
    from spark_synth.io import get_spark

    own = spark is None
    spark = spark or get_spark("mistakes sweep fixtures", "local[2]", {"spark.ui.enabled": "false"})
    sample = ROOT / "spark_synth" / "samples" / "flights_sample.parquet"
    table = spark.read.parquet(str(sample)).limit(3000)
    table.write.parquet(str(root / "table.parquet"))
    table.limit(0).write.parquet(str(root / "empty_flights.parquet"))
    spark.range(0).write.parquet(str(root / "empty.parquet"))
    spark.range(5).toDF("other").write.parquet(str(root / "other.parquet"))
    model = fit(spark.read.parquet(str(root / "table.parquet")), table="flights")
    model.save(root / "m.json")
    first = next((root / "table.parquet").glob("*.parquet"))
    (root / "mixed").mkdir()
    shutil.copy(first, root / "mixed" / "a.parquet")
    (root / "mixed" / "b.csv").write_text("x\n1\n")
    shutil.copy(first, root / "one.parquet")  # a Parquet file (not a folder)
    (root / "garbage.parquet").write_bytes(b"not parquet at all\n")
    for side in ("a", "b"):
        (root / side).mkdir()
        shutil.copytree(root / "table.parquet", root / side / "customers.parquet")
    shutil.copytree(root / "table.parquet", root / "deltalike")  # Parquet files and a Delta log
    (root / "deltalike" / "_delta_log").mkdir()
    if own:
        spark.stop()
    return plain_fixtures(root)


def plain_fixtures(root: Path) -> dict[str, str]:
    """The files no case needs Spark to make: broken model files, folders, job configs with one
    mistaken field each (root must hold m.json, a model). Also used by tests/test_mistakes.py."""
    text = (root / "m.json").read_text()
    (root / "truncated.json").write_text(text[: len(text) // 2])
    (root / "newer.json").write_text(text.replace('"schema_version": 2', '"schema_version": 99'))
    (root / "empty.json").write_text("")
    (root / "list.json").write_text("[1, 2]")
    (root / "model.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    (root / "folder").mkdir()
    job = "output: lake\nformat: parquet\ntables:\n  flights: {model: m.json, rows_per_day: 100}\n"
    (root / "job.yaml").write_text(job)
    (root / "job_iceberg.yaml").write_text(job.replace("format: parquet", "format: iceberg"))
    (root / "job_delta.yaml").write_text(job.replace("format: parquet", "format: delta"))
    (root / "broken.yaml").write_text("output: lake\ntables: [unclosed\n")
    (root / "notables.yaml").write_text("output: lake\n")
    for field, value in JOB_FIELDS:
        if field in ("rows_per_day", "model"):
            body = job.replace("model: m.json" if field == "model" else "rows_per_day: 100", f"{field}: {value}")
        elif field in ("time_column", "where"):
            body = job.replace("rows_per_day: 100}", f"rows_per_day: 100, {field}: {value}}}")
        else:
            body = f"{field}: {value}\n" + job.replace(
                "format: parquet\n", "" if field == "format" else "format: parquet\n"
            )
        (root / f"job_{field}.yaml").write_text(body)
    return {"t": str(root), "m": str(root / "m.json")}


JOB_FIELDS = [
    ("format", "xlsx"),
    ("rows_per_day", "0"),
    ("seed", "abc"),
    ("unknown_field", "1"),
    ("max_rows_per_file", "-1"),
    ("compression", "lzma9"),
    ("model", "nope.json"),
    ("time_column", "nope"),
    ("where", "['nope = 1']"),
    ("change_data_feed", "true"),
]


def classify(case: Case, where: dict[str, str], timeout: float) -> tuple[str, str, float]:
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    if case.argv[:1] == ("python",):
        command = [sys.executable, "-c", case.argv[1].format(**where)]
    else:
        command = [
            sys.executable,
            "-m",
            "spark_synth.cli",
            "--master",
            "local[1]",
            *(a.format(**where) for a in case.argv),
        ]
    started = time.time()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=where["t"])
    except subprocess.TimeoutExpired:
        return "hang", f"no answer in {timeout:.0f} s", time.time() - started
    seconds = time.time() - started
    err = "\n".join(line for line in done.stderr.splitlines() if not _noise(line))
    expect = case.expect.format(**where)
    if not case.expect:
        return (
            ("ok", "", seconds)
            if done.returncode == 0
            else ("traceback" if "Traceback" in err else "failed", err[-300:], seconds)
        )
    if case.argv[:1] == ("python",):  # the API raises; the words are what counts
        if done.returncode == 0:
            return "silently wrong", "succeeded", seconds
        return ("clear", _last(err), seconds) if expect in err else ("unclear", _last(err), seconds)
    if "Traceback" in err:
        return "traceback", _last(err), seconds
    if done.returncode == 0:
        return "silently wrong", "exit 0", seconds
    lines = [line for line in err.splitlines() if line.strip()]
    if done.returncode == 2 and expect in err and len(lines) <= 2:
        return "clear", lines[0] if lines else "", seconds
    return "unclear", f"exit {done.returncode}: " + " | ".join(lines[-3:])[:300], seconds


PROGRESS = re.compile(r"^\d\d:\d\d:\d\d ")  # spark_synth's own progress lines (logging), not the answer


def _noise(line: str) -> bool:
    return bool(PROGRESS.match(line)) or any(
        w in line for w in ("WARN", "log4j", "setLogLevel", "incubator", "restricted mode", "INFO")
    )


def _last(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mistakes-"))
    where = fixtures(root)
    chosen = [c for c in cases() if args.only in c.name]
    counts: dict[str, int] = {}
    rows = []
    for i, case in enumerate(chosen, 1):
        verdict, said, seconds = classify(case, where, args.timeout)
        counts[verdict] = counts.get(verdict, 0) + 1
        rows.append(
            {"case": case.name, "verdict": verdict, "said": said.replace(str(root), "…"), "seconds": round(seconds, 1)}
        )
        print(
            f"{i:3}/{len(chosen)} {verdict:<14} {case.name:<34} {seconds:5.1f} s  {said.replace(str(root), '…')[:150]}",
            flush=True,
        )
    bad = sum(n for v, n in counts.items() if v not in ("clear", "ok"))
    print(f"\n{len(chosen)} cases: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())) + f"; not clear: {bad}")
    return {"cases": len(chosen), "counts": counts, "rows": rows}


def headline(r: dict) -> list[dict]:
    c = r["counts"]
    bad = r["cases"] - c.get("clear", 0) - c.get("ok", 0)
    return [
        {
            "what": f"mistaken inputs ({r['cases']} cases): clear refusals or correct successes",
            "figure": f"{r['cases'] - bad} of {r['cases']}",
            "baseline": f"tracebacks {c.get('traceback', 0)}, silently wrong {c.get('silently wrong', 0)}, hangs {c.get('hang', 0)}",
        }
    ]


if __name__ == "__main__":
    publish("mistakes", "Mistaken and hostile inputs: what each gets", main, headline)
