"""`spark-synth` command line: parses arguments and calls the library (no logic of its own)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from importlib import resources
from pathlib import Path

from spark_synth.errors import SparkSynthError

log = logging.getLogger("spark_synth")

DEMO_ROWS = 10_000_000


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet = None
    # Only a process of its own (not a notebook, not a test capturing stderr) gets the filter.
    if not args.verbose and sys.stderr is sys.__stderr__ and not _spark_running():
        from spark_synth.io.quiet import StderrFilter

        quiet = StderrFilter()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=quiet is not None,
    )
    logging.getLogger("py4j").setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        _check_numbers(args)
        return args.run(args)
    except SparkSynthError as exc:
        print(f"spark-synth: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if quiet is not None:
            quiet.close()


def _spark_running() -> bool:
    """In a process that already has a Spark session (tests, notebooks) the CLI leaves stderr alone."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession() is not None


def _spark(args, name: str, conf: dict[str, str] | None = None):
    from spark_synth.io import get_spark

    return get_spark(
        name, args.master, {**_settings(args.conf), **(conf or {})}, quiet=not args.verbose, remote=args.remote
    )


def _settings(pairs: list[str]) -> dict[str, str]:
    """--conf KEY=VALUE pairs, checked before Spark starts."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not key.startswith("spark."):
            raise SparkSynthError(
                f"--conf {pair!r}: write KEY=VALUE with a Spark key, e.g. --conf spark.sql.shuffle.partitions=8"
            )
        out[key.strip()] = value
    return out


def _require_files(*paths: str | None) -> None:
    """Missing local inputs are reported before Spark starts (paths with a scheme, such as
    s3a:// or hdfs://, are checked by Spark)."""
    for path in paths:
        if path and "://" not in path and not Path(path).exists():
            raise SparkSynthError(f"input {path} does not exist; check the path")


class Parser(argparse.ArgumentParser):
    """argparse's mistakes as one line and a hint, not the whole usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n  (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="spark-synth",
        description="Learn a table's statistical shape with Spark and generate look-alike rows "
        "at cluster scale (the same rows for the same seed on any cluster).",
    )
    parser.add_argument("--master", help="Spark master (default: from spark-submit, else local[*])")
    parser.add_argument(
        "--remote", help="Spark Connect server, e.g. sc://host:15002 or local[2] (default: $SPARK_REMOTE)"
    )
    parser.add_argument("--verbose", action="store_true", help="show Spark's own log lines")
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting for the session, as spark-submit --conf (e.g. an Iceberg catalog); repeatable",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = sub.add_parser("fit", help="learn a model file from a real table (or a schema)")
    fit.add_argument("input", nargs="?", help="path of the real table")
    fit.add_argument("--model", required=True, help="model file to write (JSON)")
    fit.add_argument(
        "--format",
        choices=["parquet", "orc", "csv", "json", "delta", "iceberg"],
        help="input format (default: from extension, else parquet); delta and iceberg need their connector",
    )
    fit.add_argument("--table", help="read DB.NAME (Iceberg: CATALOG.DB.NAME) from the catalog instead of a path")
    fit.add_argument(
        "--version",
        type=int,
        help="Delta or Iceberg: fit this table version (Delta's version, Iceberg's snapshot id; default: the latest)",
    )
    fit.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help="Delta or Iceberg: fit the version current at this time, e.g. 2026-12-01T08:00:00",
    )
    fit.add_argument(
        "--min-count",
        type=int,
        default=5,
        help="privacy threshold k: values/cells seen fewer times are not stored (default 5)",
    )
    fit.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="COLUMN=KIND",
        help="override a column's kind, e.g. zip=pattern, or name a string column's type, e.g. tz=time_zone, mail=email, first=given_name:de_DE (a vocabulary with its locales)",
    )
    fit.add_argument(
        "--exclude-unsupported",
        action="store_true",
        help="leave binary/map/array/struct columns out instead of failing",
    )
    fit.add_argument(
        "--within",
        choices=["categorical", "all", "none"],
        default="categorical",
        help="numbers get their own quantiles inside each code of their dependency-tree parent: "
        "categorical parents (default), also numeric parents' bins (all; larger models), or none",
    )
    fit.add_argument(
        "--block",
        choices=["none", "auto"],
        default="auto",
        help="auto (default): sample numeric columns whose correlations the dependency tree misses "
        "(shares of a whole) from the full Gaussian copula where that fits better; none: the tree",
    )
    fit.add_argument(
        "--formats",
        choices=["none", "auto"],
        default="auto",
        help="auto (default): a string column's format (phone format, postcode shape, null) follows "
        "the column it depends on most, e.g. the country; none: formats drawn independently",
    )
    fit.add_argument(
        "--rules",
        choices=["none", "auto"],
        default="auto",
        help="auto (default): rules that hold in >= 99.9%% of the real rows (B null when A is null, "
        "A <= B, hour = time div 100, (origin, dest) -> distance, valid dates) hold in every "
        "generated row; none: no search",
    )
    fit.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="RULE",
        help='declare a rule, e.g. "end >= start", "total = net + tax", "hour = time div 100", '
        '"(origin, dest) -> distance", "b is null when a is null" (repeatable)',
    )
    fit.add_argument(
        "--force-rule",
        action="store_true",
        help="keep declared rules that the real data breaks in more than 0.1%% of rows",
    )
    fit.add_argument(
        "--max-parents",
        type=int,
        default=2,
        metavar="D",
        help="the most columns one column depends on: 1 is a dependency tree; 2 (default) adds a second "
        "parent where the data pays for its larger table; 3 lets a number follow two other numbers",
    )
    fit.add_argument(
        "--max-model-mb",
        type=float,
        default=None,
        metavar="MB",
        help="the model file's size budget in MiB: second parents are left out to stay within it, and a "
        "tree alone larger is refused (default: 2 MiB for second parents only)",
    )
    fit.add_argument(
        "--config", help="relational schema config (YAML): fit all its tables and keys into one model file"
    )
    fit.add_argument(
        "--stats",
        metavar="PATH",
        help="also write the fit's statistics (JSON; they keep rare values: keep them with the data) "
        "for `spark-synth merge` and --update",
    )
    fit.add_argument(
        "--update",
        metavar="STATS",
        help="statistics of the slices fitted so far (of a schema with --config): the model written is their "
        "merge with this slice "
        "(--stats receives the merged statistics)",
    )
    fit.set_defaults(run=run_fit)

    merge = sub.add_parser("merge", help="merge fits of disjoint slices (tables or schemas)")
    merge.add_argument("statistics", nargs="+", metavar="STATS", help="statistics files (fit --stats)")
    merge.add_argument("--model", required=True, help="model file to write (JSON)")
    merge.add_argument("--stats", metavar="PATH", help="also write the merged statistics")
    merge.add_argument(
        "--allow-overlap",
        action="store_true",
        help="merge slices that share most of their rows (equal rows that recur across slices)",
    )
    merge.set_defaults(run=run_merge)

    gen = sub.add_parser("generate", help="generate synthetic rows from a model file")
    gen.add_argument("--model", required=True)
    gen.add_argument(
        "--rows",
        help="rows to generate; relational models: N for the largest table or TABLE=N, the other tables in proportion",
    )
    gen.add_argument("--scale", type=float, help="relational models: rows = scale x real rows per table (default 1)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--output", help="output path (not needed for --format noop)")
    gen.add_argument(
        "--format",
        default="parquet",
        choices=["parquet", "orc", "csv", "json", "noop", "delta", "iceberg"],
        help="output format (default parquet); delta and iceberg write one commit and need their connector",
    )
    gen.add_argument("--table", help="delta or iceberg: write this catalog table (Iceberg: CATALOG.DB.NAME)")
    gen.add_argument("--partitions", type=int, help="number of Spark partitions (output is the same for any value)")
    gen.add_argument(
        "--mode",
        default="error",
        choices=["error", "overwrite", "append"],
        help="error: the output must not exist; overwrite: replace it; append: add rows (delta and iceberg only)",
    )
    gen.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="CONDITION",
        help="every row satisfies it, the other columns follow the model given it (repeatable): "
        '"carrier = UA", "origin in (JFK, LGA)", "tailnum is null", "tailnum is not null", '
        '"arr_delay >= 60", "time_hour between 2013-06-01 and 2013-06-30"; relational models: '
        '"TABLE: CONDITION"',
    )
    gen.add_argument(
        "--rebalance",
        metavar="COLUMN=VALUE:SHARE,...",
        help='the column takes exactly these shares of the rows, e.g. "status=1:0.5,0:0.5"',
    )
    gen.set_defaults(run=run_generate)

    run = sub.add_parser("run", help="scheduled generation: one date's partitions per job config")
    run.add_argument("--config", required=True, help="job config (YAML)")
    run.add_argument("--date", help="the date to generate, YYYY-MM-DD")
    run.add_argument("--from", dest="date_from", help="backfill: first date")
    run.add_argument("--to", dest="date_to", help="backfill: last date (inclusive)")
    run.set_defaults(run=run_job_command)

    inf = sub.add_parser("infer-keys", help="propose primary and foreign keys as a schema config")
    inf.add_argument("paths", nargs="+", help="table files (Parquet/ORC/CSV/JSON); the file name is the table name")
    inf.add_argument("--output", required=True, help="schema config (YAML) to write")
    inf.add_argument("--name", default="schema")
    inf.set_defaults(run=run_infer_keys)

    ev = sub.add_parser("evaluate", help="score synthetic against real data (report.json/.html)")
    ev.add_argument("--real", required=True, help="path of the real table")
    ev.add_argument("--synthetic", required=True, help="path of the synthetic table")
    ev.add_argument(
        "--format",
        choices=["parquet", "orc", "csv", "json"],
        help="format of both (default: from extension, else parquet)",
    )
    ev.add_argument("--model", help="model file to audit: values stored in it seen fewer than k times in the real data")
    ev.add_argument("--target", help="column to predict for the utility score (Spark ML, real vs synthetic training)")
    ev.add_argument("--report", required=True, help="directory for report.json and report.html")
    ev.set_defaults(run=run_evaluate)

    rules = sub.add_parser("rules", help="list the rules a model makes every generated row satisfy")
    rules.add_argument("model", help="model file (single table or relational)")
    rules.set_defaults(run=run_rules)

    clean = sub.add_parser("clean", help="remove what killed writes left beside an output")
    clean.add_argument("path", help="an output path spark_synth writes (a --output, or a table's date directory)")
    clean.set_defaults(run=run_clean)

    jar = sub.add_parser("engine-jar", help="print the engine jar's path (for spark-submit --jars)")
    jar.set_defaults(run=run_engine_jar)

    demo = sub.add_parser("demo", help="fit the bundled flights sample, generate, evaluate")
    demo.add_argument("--rows", type=int, default=DEMO_ROWS)
    demo.add_argument("--output", default="out/demo")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(run=run_demo)
    return parser


def run_fit(args) -> int:
    from spark_synth.api import fit
    from spark_synth.fit.budget import check_max_model_mb
    from spark_synth.fit.fitter import check_max_parents
    from spark_synth.io import read_table
    from spark_synth.io.connectors import LAKE_FORMATS
    from spark_synth.io.lake_tables import read_lake

    kinds = dict(_parse_kind(k) for k in args.kind)
    check_max_parents(args.max_parents)
    check_max_model_mb(args.max_model_mb)
    if args.rule and args.rules == "none":
        raise SparkSynthError("--rule declares rules alongside the search; leave out --rules none to declare them")
    if args.config:
        _require_files(args.config, *([args.update] if args.update else []))
        _check_output_file(args.model, "--model")
        if args.stats:
            _check_output_file(args.stats, "--stats")
        return _fit_schema(args)
    if args.update:
        _require_files(args.update)
    for option, path in (("--stats", args.stats),):
        if path:
            _check_output_file(path, option)
    if (args.input is None) == (args.table is None):
        raise SparkSynthError("give the input path or --table DB.NAME (or --config SCHEMA.yaml)")
    lake = args.format in LAKE_FORMATS
    if (args.version is not None or args.as_of is not None) and not lake:
        raise SparkSynthError(
            "--version and --as-of pin a Delta or Iceberg table's version: give --format delta or iceberg"
        )
    _require_files(args.input)
    _check_output_file(args.model, "--model")
    spark = _spark(args, "spark_synth fit")
    if lake:
        df = read_lake(spark, args.format, args.input, args.table, args.version, args.as_of, _since(args))
    else:
        df = read_table(spark, args.input, args.format, args.table)
    started = time.time()
    model = fit(
        df,
        table=args.table or Path(args.input).stem,
        min_count=args.min_count,
        kinds=kinds,
        exclude_unsupported=args.exclude_unsupported,
        within=args.within,
        block=args.block,
        formats=args.formats,
        rules=list(args.rule) or args.rules,
        force_rules=args.force_rule,
        max_parents=args.max_parents,
        max_model_mb=args.max_model_mb,
        stats=args.stats,
        update=args.update,
    )
    model.save(args.model)
    log.info(
        "fitted %d columns of %d rows in %.1f s -> %s (%d bytes)",
        len(model.columns),
        model.spec.table.row_count,
        time.time() - started,
        args.model,
        Path(args.model).stat().st_size,
    )
    return 0


def _since(args) -> int | None:
    """fit --update on the lake table the statistics were fitted on: only the rows appended
    after the version they record."""
    if not args.update:
        return None
    from spark_synth.fit.statistics import load_statistics

    source = load_statistics(args.update).source
    location = args.table if args.table is not None else str(args.input)
    if source is None or (source["format"], source["location"]) != (args.format, location):
        return None
    return int(source["version"])


def run_merge(args) -> int:
    from spark_synth.api import merge
    from spark_synth.model.relational import RelationalModel

    _require_files(*args.statistics)
    _check_output_file(args.model, "--model")
    if args.stats:
        _check_output_file(args.stats, "--stats")
    model = merge(*args.statistics, stats=args.stats, allow_overlap=args.allow_overlap)
    model.save(args.model)
    rows = (
        sum(t.rows for t in model.tables.values()) if isinstance(model, RelationalModel) else model.spec.table.row_count
    )
    log.info("merged %d slices' statistics (%d rows) -> %s", len(args.statistics), rows, args.model)
    return 0


def run_generate(args) -> int:
    from spark_synth.api import generate, load_model
    from spark_synth.io import write_output
    from spark_synth.io.lake_writes import write_lake
    from spark_synth.model.relational import is_relational_file, load_relational
    from spark_synth.plan.schema import check_schema_where, table_conditions
    from spark_synth.plan.steer.parts import check_steering
    from spark_synth.plan.steer.rebalance import parse_rebalance

    if is_relational_file(args.model):
        if args.rebalance:
            raise SparkSynthError("--rebalance is for single-table models in this version")
        model = load_relational(args.model)
        where = table_conditions(args.where, model)
        check_schema_where(model, where)  # before Spark starts
        _check_schema_destination(args)
        return _generate_schema(_spark(args, "spark_synth generate"), args, model, where)
    if args.rows is None:
        raise SparkSynthError("--rows is required for a single-table model")
    if args.scale is not None:
        raise SparkSynthError("--scale is for relational models; give --rows for a single-table model")
    rows = _row_count(args.rows)  # a mistaken number first: it needs no file
    model = load_model(args.model)
    lake = _check_destination(args)
    rebalance = parse_rebalance(args.rebalance) if args.rebalance else None
    check_steering(model, rows, args.where, rebalance)  # bad conditions and shares: before Spark starts
    spark = _spark(args, "spark_synth generate")
    df = generate(
        spark, model, rows=rows, seed=args.seed, partitions=args.partitions, where=args.where, rebalance=rebalance
    )
    started = time.time()
    if lake:
        target = write_lake(df, args.format, args.output, args.table, args.mode, rows=rows)
    else:
        write_output(df, args.output, args.format, args.mode, rows=rows)
        target = args.output if args.format != "noop" else "noop sink"
    elapsed = time.time() - started
    log.info("generated %s rows in %.1f s (%s rows/s) -> %s", f"{rows:,}", elapsed, f"{rows / elapsed:,.0f}", target)
    return 0


def _check_destination(args) -> bool:
    """Where generate writes, checked before Spark starts; whether it is a lake table."""
    from spark_synth.io.connectors import LAKE_FORMATS

    if args.format not in LAKE_FORMATS:
        if args.table is not None:
            raise SparkSynthError("--table writes a Delta or Iceberg table: give --format delta or iceberg")
        if args.mode == "append":
            raise SparkSynthError(
                f"--mode append needs a transactional table (--format delta or iceberg); {args.format} output is "
                "written whole, with --mode error or overwrite"
            )
        if args.output is None and args.format != "noop":
            raise SparkSynthError("--output PATH is required (or --format noop)")
        return False
    if args.format == "iceberg" and args.table is None:
        raise SparkSynthError("--format iceberg writes a catalog table: give --table CATALOG.DB.NAME")
    if (args.output is None) == (args.table is None):
        raise SparkSynthError(f"--format {args.format}: give --output PATH or --table NAME, one of them")
    return True


def run_rules(args) -> int:
    """Print each table's rules with the share of real rows that satisfied each (no Spark)."""
    from spark_synth.api import load_model
    from spark_synth.model.relational import is_relational_file, load_relational

    _require_files(args.model)
    if is_relational_file(args.model):
        specs = [(t.name, t.model) for t in load_relational(args.model).spec.tables]
    else:
        model = load_model(args.model)
        specs = [(model.spec.table.name, model.spec)]
    for table, spec in specs:
        print(f"{table}: {len(spec.rules)} rule{'s' if len(spec.rules) != 1 else ''}")
        for rule in spec.rules:
            print(f"  {100 * rule.share:8.3f} %  {rule.form:<10} {rule.text()}")
    print(
        "(share: real rows with the rule's columns non-null that satisfied it; edit the model's `rules` "
        "section to drop or add one)"
    )
    return 0


def run_job_command(args) -> int:
    import datetime as dt

    from spark_synth.io.job_config import load_job_config
    from spark_synth.lake.schedule import catalog_settings, check_job, dates_between, register_tables, run_job

    def parse(text: str, flag: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise SparkSynthError(f"{flag} must be a date like 2026-11-23, got {text!r}") from None

    if args.date and not (args.date_from or args.date_to):
        dates = [parse(args.date, "--date")]
    elif args.date_from and args.date_to and not args.date:
        dates = dates_between(parse(args.date_from, "--from"), parse(args.date_to, "--to"))
    else:
        raise SparkSynthError("give either --date D or both --from D1 and --to D2")
    config, base = load_job_config(args.config)
    checked = check_job(config, base)  # model files, names, conditions: before Spark starts
    spark = _spark(args, "spark_synth run", catalog_settings(config, base))
    started = time.time()
    results = run_job(spark, config, base, dates, checked)
    if config.catalog.enabled:
        for table in register_tables(spark, config, base):
            print(f"registered {table}: query it with spark.sql('SELECT ... FROM {table}')")
    print(f"{'table':<12} {'date':<10} {'rows':>12} {'seconds':>8} {'rows/s':>12}")
    for r in results:
        print(f"{r.table:<12} {r.date.isoformat():<10} {r.rows:>12,} {r.seconds:>8.1f} {r.rows / r.seconds:>12,.0f}")
    total = sum(r.rows for r in results)
    print(f"{'total':<23} {total:>12,} {time.time() - started:>8.1f} {total / (time.time() - started):>12,.0f}")
    return 0


def run_infer_keys(args) -> int:
    from spark_synth.fit.infer_keys import infer_keys, paths_by_name, to_config
    from spark_synth.io import read_table

    _require_files(*args.paths)
    _check_output_file(args.output, "--output")
    paths = paths_by_name(args.paths)  # two files of one name: refused before Spark starts
    spark = _spark(args, "spark_synth infer-keys")
    tables = {name: read_table(spark, path) for name, path in paths.items()}
    proposal = infer_keys(tables)
    out = Path(args.output)
    relative = {n: os.path.relpath(Path(p).resolve(), out.resolve().parent) for n, p in paths.items()}
    out.write_text(to_config(proposal, relative, args.name), encoding="utf-8")
    for name, p in proposal.items():
        fks = ", ".join(f"{fk['column']} -> {fk['references']}" for fk in p["foreign_keys"]) or "-"
        print(f"{name:<12} primary key {p['primary_key'] or '-':<12} foreign keys {fks}")
    print(f"-> {out} (review it, then: spark-synth fit --config {out} --model M.json)")
    return 0


def run_evaluate(args) -> int:
    from spark_synth.api import load_model
    from spark_synth.evaluation import evaluate
    from spark_synth.evaluation.report import check_report_path
    from spark_synth.io import read_table

    _require_files(args.real, args.synthetic)
    check_report_path(args.report)
    model = load_model(args.model) if args.model else None
    spark = _spark(args, "spark_synth evaluate")
    real = read_table(spark, args.real, args.format)
    synthetic = read_table(spark, args.synthetic, args.format)
    about = {"real": args.real, "synthetic": args.synthetic, "model": args.model}
    report = evaluate(real, synthetic, model, target=args.target, about=about)
    path = report.save(args.report)
    d = report.details
    print(
        f"score {d['score']:.3f}  Column Shapes {d['column_shapes']:.3f}  "
        f"Column Pair Trends {d['column_pair_trends']:.3f}  -> {path}, {path.with_name('report.html')}"
    )
    if d["utility"]:
        u = d["utility"]
        print(
            f"utility ({u['metric']} predicting {u['target']}): real {u['real_score']:.3f}  "
            f"synthetic {u['synthetic_score']:.3f}  ratio {u['ratio']:.3f}"
        )
    return 0


def run_clean(args) -> int:
    """Hold the path's lease (refused while a live run writes it), then remove the staging and
    set-aside directories dead runs left beside it (a set-aside output with nothing in its place is
    moved back). A path with none of these beside it is not a spark_synth output: refused."""
    from spark_synth.io.files import ServerFiles
    from spark_synth.io.lease import leased
    from spark_synth.io.staging import leftovers, remove_leftovers
    from spark_synth.io.writers import hidden_sibling

    lease_path = hidden_sibling(args.path, "lease")
    spark = _spark(args, "spark_synth clean")
    files = ServerFiles(spark)
    if not leftovers(files, args.path):
        raise SparkSynthError(
            f"{args.path} has no spark_synth staging, set-aside copy or lease beside it: it is not a spark_synth "
            "output, or it is clean; nothing was removed"
        )
    with leased(files, args.path, lease_path):
        done = remove_leftovers(files, args.path)
    for line in done:
        print(line)
    print(f"{args.path}: {len(done)} left-over director{'y' if len(done) == 1 else 'ies'} handled")
    return 0


def run_engine_jar(args) -> int:
    """`spark-submit --jars "$(spark-synth engine-jar)" ...`: the jar installed with the package
    (or SPARK_SYNTH_ENGINE_JAR; compiled first in a source checkout)."""
    from spark_synth.engine.jvm import engine_jar

    print(engine_jar())
    return 0


def run_demo(args) -> int:
    from spark_synth.api import fit, generate
    from spark_synth.evaluation import evaluate
    from spark_synth.io import write_output

    spark = _spark(args, "spark_synth demo")
    sample = str(resources.files("spark_synth") / "samples" / "flights_sample.parquet")
    real = spark.read.parquet(sample)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    model = fit(real, table="flights_sample")
    model_path = out / "flights.model.json"
    model.save(model_path)
    print(
        f"fitted {real.count():,} real rows in {time.time() - started:.1f} s -> {model_path} "
        f"({model_path.stat().st_size:,} bytes)"
    )
    started = time.time()
    data_path = str((out / "flights_synthetic").resolve())
    write_output(
        generate(spark, model, rows=args.rows, seed=args.seed), data_path, "parquet", "overwrite", rows=args.rows
    )
    elapsed = time.time() - started
    print(f"generated {args.rows:,} rows in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s) -> {data_path}")
    synthetic = spark.read.parquet(data_path)
    about = {
        "real": "the bundled flights sample",
        "synthetic": f"{out.name}/flights_synthetic",
        "model": f"{out.name}/{model_path.name}",
    }
    report = evaluate(real, synthetic.limit(max(real.count(), 1)), model, target="arr_delay", about=about)
    report.save(out / "report")
    print("\nfidelity (real sample vs as many generated rows, 1 = identical; SDMetrics definitions):")
    for s in sorted(report.shapes, key=lambda s: s.score):
        print(f"  {s.column:<16} {s.metric:<13} {s.score:.3f}")
    worst = sorted((p for p in report.pairs if p.meets_filter), key=lambda p: p.score)[:5]
    print(
        "  weakest strongly related pairs: "
        + ", ".join(f"{a}~{b} {p.score:.2f}" for p in worst for a, b in [p.columns])
    )
    d = report.details
    print(
        f"  Column Shapes {d['column_shapes']:.3f}   Column Pair Trends {d['column_pair_trends']:.3f} "
        f"(all pairs {d['column_pair_trends_all_pairs']:.3f})   -> {out / 'report'}/report.json, report.html"
    )
    copies = d["privacy"]["exact_copies"]
    print(
        f"privacy: {copies['copied_rows']:,} of {copies['synthetic_rows']:,} generated rows equal a real row; "
        f"model values seen fewer than k times: {len(d['privacy']['model_audit'])}"
    )
    dcr = d["privacy"]["distance_to_closest_record"]
    print(
        f"         distance to closest real record, median: synthetic {dcr['synthetic_median']:.4f} vs "
        f"real hold-out {dcr['holdout_median']:.4f}"
    )
    u = d["utility"]
    print(
        f"utility: {u['model']} predicting {u['target']}: {u['metric']} trained on real {u['real_score']:.3f}, "
        f"on synthetic {u['synthetic_score']:.3f} (ratio {u['ratio']:.3f}) on a real hold-out"
    )
    return 0


def _fit_schema(args) -> int:
    from spark_synth.fit.relational import fit_schema
    from spark_synth.fit.relational_merge import SchemaStatistics, load_any_statistics, merge_schema_statistics
    from spark_synth.io.schema_config import load_schema_config

    config, base_dir = load_schema_config(args.config)
    previous = None
    if args.update:  # refused before Spark starts: a table's statistics, another version, a damaged file
        previous = load_any_statistics(args.update)
        if not isinstance(previous, SchemaStatistics):
            raise SparkSynthError(
                f"{args.update} holds one table's statistics; --config --update takes a schema's (fit --config --stats)"
            )
    spark = _spark(args, "spark_synth fit")
    started = time.time()
    counted: dict | None = {} if args.stats or previous is not None else None
    model = fit_schema(
        spark,
        config,
        base_dir,
        min_count=args.min_count,
        statistics=counted,
        max_parents=args.max_parents,
        max_model_mb=args.max_model_mb,
    )
    if counted is not None:
        statistics = SchemaStatistics(**counted["schema"])
        if previous is not None:
            model, statistics = merge_schema_statistics([previous, statistics], [args.update, "this slice"])
        if args.stats:
            statistics.save(args.stats)
    model.save(args.model)
    print(f"fitted {len(model.tables)} tables in {time.time() - started:.1f} s -> {args.model}")
    return 0


def _row_count(text: str) -> int:
    from spark_synth.plan.request import MAX_ROWS

    try:
        rows = int(text)
    except ValueError:
        raise SparkSynthError(f"--rows takes a whole number of rows, got {text!r}") from None
    if not 1 <= rows <= MAX_ROWS:
        raise SparkSynthError(f"--rows must be between 1 and 2**62 = {MAX_ROWS:,}, got {rows:,}")
    return rows


# Whole-number options and their ranges, checked before any command starts Spark.
NUMBER_RANGES = {
    "min_count": ("--min-count", 1, 2**31 - 1),
    "partitions": ("--partitions", 1, 2**31 - 1),
    "seed": ("--seed", -(2**63), 2**63 - 1),
}


def _check_numbers(args) -> None:
    for attr, (flag, low, high) in NUMBER_RANGES.items():
        value = getattr(args, attr, None)
        if value is not None and not low <= value <= high:
            raise SparkSynthError(f"{flag} must be between {low:,} and {high:,}, got {value:,}")


def _check_output_file(path: str, what: str) -> None:
    """A file the command will write at the end: its folder must exist and it must not be a folder,
    checked before the work rather than after it."""
    from spark_synth.model.io import check_file_to_write

    check_file_to_write(Path(path), what)


def _check_schema_destination(args) -> bool:
    """Where a relational model's tables go, checked before Spark starts; whether to lake tables."""
    from spark_synth.io.connectors import LAKE_FORMATS

    lake = args.format in LAKE_FORMATS
    if lake and args.format == "iceberg" and args.table is None:
        raise SparkSynthError(
            "--format iceberg with a relational model: give --table CATALOG.DB (one table per model table)"
        )
    if args.table is not None and not lake:
        raise SparkSynthError("--table writes Delta or Iceberg tables: give --format delta or iceberg")
    if args.mode == "append" and not lake:
        raise SparkSynthError("--mode append needs transactional tables (--format delta or iceberg)")
    if args.output is None and args.table is None and args.format != "noop":
        raise SparkSynthError("--output DIR is required (one sub-directory per table)")
    return lake


def _generate_schema(spark, args, model, where: dict | None = None) -> int:
    from spark_synth.api import generate_schema
    from spark_synth.io import write_output
    from spark_synth.io.lake_writes import write_lake
    from spark_synth.plan.schema import scale_for_rows, table_rows

    lake = _check_schema_destination(args)
    if args.rows is not None and args.scale is not None:
        raise SparkSynthError("give --rows or --scale, not both")
    scale = 1.0 if args.scale is None else args.scale
    if args.rows is not None:
        table, _, count = args.rows.rpartition("=")
        scale = scale_for_rows(model, _row_count(count), table or None)
    rows = table_rows(model, scale)
    frames = generate_schema(spark, model, scale, args.seed, args.partitions, where)
    total_started = time.time()
    for name, df in frames.items():
        started = time.time()
        target = None if args.output is None else str(Path(args.output) / name)
        if lake:
            target = write_lake(
                df,
                args.format,
                target,
                None if args.table is None else f"{args.table}.{name}",
                args.mode,
                rows=rows[name],
            )
        else:
            write_output(df, target, args.format, args.mode, rows=rows[name])
        elapsed = time.time() - started
        print(
            f"{name:<12} {rows[name]:>12,} rows  {elapsed:6.1f} s  {rows[name] / elapsed:>12,.0f} rows/s"
            + (f"  -> {target}" if target else "")
        )
    print(f"total {sum(rows.values()):,} rows in {time.time() - total_started:.1f} s")
    return 0


def _parse_kind(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise SparkSynthError(f"--kind takes COLUMN=KIND, got {text!r}")
    name, kind = text.split("=", 1)
    return name, kind


if __name__ == "__main__":
    sys.exit(main())
