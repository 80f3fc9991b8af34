"""fit(): a Spark DataFrame in, a SynthModel out, in two passes over the data.

Pass 1 (profile.py) decides each column's kind and marginal; pass 2 (joint.py) counts what the
joint structure and the string shapes need; the rest happens on the driver on bounded sums.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from itertools import accumulate

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.errors import ArgumentError, InputDataError
from spark_synth.fit.block import choose_block, gaussian_like, orient_forest
from spark_synth.fit.budget import check_max_model_mb, within_budget
from spark_synth.fit.dependence import (
    candidate_pairs,
    chow_liu_edges,
    conditional_table,
    correlation_from_sums,
    description_length,
    mutual_information,
)
from spark_synth.fit.emails import email_columns, fit_from_names, name_columns
from spark_synth.fit.formats import FormatInput, follow_formats
from spark_synth.fit.frequent import count_frequent, frequent_candidates
from spark_synth.fit.grids import share_beyond_plateaus
from spark_synth.fit.joint import JointStats, collect_joint_stats, copula_spec, pair_is_counted
from spark_synth.fit.kinds import check_kind_override, choose_kind, numeric_map_sources
from spark_synth.fit.network import MAX_PARENTS, MIN_GAIN, code_count, count_triples, with_second_parents
from spark_synth.fit.network import candidates as network_candidates
from spark_synth.fit.network import choose as choose_second_parents
from spark_synth.fit.patterns import build_pattern, without_kept
from spark_synth.fit.places import fit_places, place_candidates, state_column
from spark_synth.fit.profile import QUANTILE_GRID, ColumnProfile, profile_columns
from spark_synth.fit.regression import candidates as regression_candidates
from spark_synth.fit.regression import code_null_shares
from spark_synth.fit.regression_pairs import choose as choose_regressions
from spark_synth.fit.regression_pairs import pair_candidates
from spark_synth.fit.row_order import IdRange, Ordered, fit_row_order
from spark_synth.fit.rules import (
    DEFAULT_SHARE,
    check_declared,
    declared_rules,
    eligible_columns,
    find_rules,
    merge_rules,
    tabled_columns,
    tied_pairs,
)
from spark_synth.fit.sampling import lowest_hashes
from spark_synth.fit.semantic import SEMANTIC_TYPES, split_type, validated_type
from spark_synth.fit.statistics import ROW_SALT, ROW_SKETCH, TableStatistics, rule_json, shaping_options
from spark_synth.fit.tails import safe_tail_quantiles
from spark_synth.fit.types import supported_fields
from spark_synth.fit.within import WithinEdge, eligible, within_quantiles
from spark_synth.fit.words import fit_words, word_candidates, word_type
from spark_synth.io.progress import progress
from spark_synth.io.session import require_spark
from spark_synth.model.correlation import describe_tree_gap, model_tree_gap
from spark_synth.model.formats import can_follow
from spark_synth.model.io import SynthModel
from spark_synth.model.marginals import TAIL_CUTS
from spark_synth.model.schema import (
    FORMAT_NAME,
    SCHEMA_VERSION,
    UNIT_BY_FAMILY,
    CategoricalColumn,
    ConstantColumn,
    Copula,
    Dependency,
    IdColumn,
    NullColumn,
    NumericColumn,
    PatternColumn,
    Privacy,
    QuantileFunction,
    SynthModelFile,
    TableInfo,
    UniqueColumn,
    Vocabulary,
    generation_order,
    is_ordered,
    written_elsewhere,
)
from spark_synth.model.types import family, from_unscaled
from spark_synth.model.validators import TYPE_CHECKS, WORD_VALIDATORS
from spark_synth.model.vocabulary import VOCABULARIES, detect_vocabulary, forced_vocabulary, is_gendered
from spark_synth.names import alias, aliases, check_unique_names
from spark_synth.version import __version__

log = logging.getLogger(__name__)

DEFAULT_MIN_COUNT = 5
ALL_PAIRS_MAX = 64
CANDIDATE_PARTNERS = 8
WIDE_CELL_BUDGET = 4_000_000
TIED_WEIGHT = 1e3  # added to a tied pair's mutual information (nats; no pair has near that much)
# With max_parents > 1 (max_parents=1 keeps the tree as it was), a pair under
# FitOptions.min_mutual_information still becomes a tree edge when it holds at least this much
# and more than its table costs (BIC: log(n)/(2n) per cell seen): CPS1988's education ~ region ~
# ethnicity, 0.005-0.02 nats on 28,155 rows, were left as lone roots before.
WEAK_EDGE_MI = 0.005
MAX_REGRESSOR_NULLS = 0.01  # a line that decides its child's nulls needs a regressor this rarely null
# and a child null at least this often. Where most rows are null, whether the child is there is
# most of what it carries (weather's gust, in 20 % of the hours); where few are, the plain line
# covers most rows already, and the null boundary sits in the line's tail, where the generated
# regressor's spread inside a parent code (which the fit cannot see) moves it most: weather's
# pressure, 10 % null, came out 11.6 % null and 0.009 lower in Column Shapes.
MIN_NULLS_DECIDED = 0.5
# With max_parents > 1, a pair whose table holds more cells than this pays for them (BIC) before
# it competes for a tree edge: flights' month ~ tailnum (4,000 tail numbers by 12 months) won
# its edge on mutual information alone and took 414 KiB of the 2 MiB budget, which then cut
# second parents worth more (a carrier's departure times). A pair of binned numbers (30 x 30) or a
# hundred categories by a number stays under it and keeps today's choice.
WIDE_EDGE_CELLS = 4096


@dataclass(frozen=True)
class FitOptions:
    """min_count: privacy threshold k, no value or table cell seen fewer times is stored.
    max_categories: most categories kept per column. bins: equal-probability bins coding numbers
    in dependency tables. min_mutual_information: weakest dependency worth a conditional table."""

    table: str = "table"
    min_count: int = DEFAULT_MIN_COUNT
    max_categories: int = 5000
    bins: int = 32
    min_mutual_information: float = 0.02
    kinds: dict[str, str] = field(default_factory=dict)
    exclude_unsupported: bool = False
    root: str | None = None  # a column the generator drives (relational child counts): no parent
    # Which numeric children get their own quantiles inside each parent code (fit/within.py):
    # "categorical" parents only, "all" (numeric parents' bins too) or "none".
    within: str = "categorical"
    # "auto" (default): where the tree loses correlation and a block of numeric columns sampled
    # from the full Gaussian copula gains likelihood over the tables it replaces, that block
    # (fit/block.py); "none": always the tree.
    block: str = "auto"
    # "auto" (default): a pattern column's format (null, shape or text) follows the copula column
    # it depends on most (fit/formats.py); "none": formats are drawn independently of the row and
    # nothing is read across columns or words (no word patterns, e-mails from names or places:
    # the plain character patterns of before issue 14, the baseline of scripts/people_bench.py).
    formats: str = "auto"
    # "auto" (default): rules that hold in >= rule_share of the real rows (null patterns,
    # orderings, identities, calendar dates, dependencies; fit/rules.py) hold in every generated
    # row; "none": no search (pass 9 skipped).
    rules: str = "auto"
    rule_share: float = DEFAULT_SHARE
    # Rules the user declares as text ("end >= start"; model/rules.py RULE_SYNTAX): kept when the
    # real rows satisfy them in >= rule_share (else refused with the share, unless force_rules).
    declared_rules: tuple[str, ...] = ()
    force_rules: bool = False
    # The most parents a column's codes depend on: 1 is the Chow-Liu tree; 2 (default) lets a
    # child of the tree take a second parent where it pays (fit/network.py).
    max_parents: int = 2
    # The model file's size budget in MiB (fit/budget.py): second parents are left out, least
    # gain per byte first, to stay within it. None: the default budget, which bounds second
    # parents only; a number: also refuses a model whose tree alone is larger.
    max_model_mb: float | None = None


def fit_table(df: DataFrame, options: FitOptions = FitOptions(), statistics: dict | None = None) -> SynthModel:
    """Fit `df` by position: every Spark expression names the positional aliases (names.py), so
    dots, backticks and names differing only in case cannot confuse Spark's resolver; the model
    keeps the real names. `statistics`, if given, receives what the fit counted under "table"
    (fit/statistics.py), for merging with other slices' (fit/merge.py)."""
    table = options.table
    require_spark(df.sparkSession.version, "fit")
    if options.min_count < 1:
        raise ArgumentError(f"min_count must be at least 1 (the privacy threshold k), got {options.min_count!r}")
    check_max_parents(options.max_parents)
    check_max_model_mb(options.max_model_mb)
    check_unique_names(df.columns, table)
    supported = supported_fields(df.schema, table, options.exclude_unsupported)
    if not supported:
        raise InputDataError(f"table {table}: no column of a supported type to model")
    unknown = sorted(set(options.kinds) - {f.name for f in supported})
    if unknown:
        raise InputDataError(
            f"table {table}: kind overrides name unknown columns {unknown}; columns are {[f.name for f in supported]}"
        )
    by_field = {f.name: f for f in supported}
    for name, kind in options.kinds.items():  # a bad kind, type or locale is refused before any Spark work
        check_kind_override(name, family(by_field[name].dataType), kind, table)
    declared = check_declared(list(options.declared_rules), {f.name: f.dataType.json() for f in supported}, table)
    names = [f.name for f in supported]
    positions = [i for i, f in enumerate(df.schema.fields) if family(f.dataType) is not None]
    frame = df.toDF(*aliases(len(df.columns))).select(*[alias(i) for i in positions]).toDF(*aliases(len(names)))
    fields = list(frame.schema.fields)
    wants_categories = {n for n, k in options.kinds.items() if k == "categorical"}
    with progress(frame.sparkSession, f"fit {table}: pass 1 (profile of {len(fields)} columns)"):
        rows, profiles = profile_columns(frame, fields, names, options.max_categories, wants_categories)
    if rows == 0:
        raise InputDataError(f"table {table} is empty: there is nothing to learn from; check the input path/filter")
    first = preliminary_columns(profiles, options)
    stats = _joint_stats(frame, table, rows, first.copula_entries, [p.alias for p in first.strings], options)
    spec = assemble(frame, rows, profiles, first, stats, options, declared)
    codes = numeric_map_sources(spec.rules, spec.columns, options.kinds)
    if codes:  # codes that other columns follow: counted again as categories (fit/kinds.py)
        log.info("fit %s: %s determine other columns: fitted again as categories", table, ", ".join(codes))
        options = replace(options, kinds={**options.kinds, **dict.fromkeys(codes, "categorical")})
        with progress(frame.sparkSession, f"fit {table}: pass 1 again (codes {', '.join(codes)} as categories)"):
            rows, profiles = profile_columns(
                frame, fields, names, options.max_categories, wants_categories | set(codes)
            )
        first = preliminary_columns(profiles, options)
        stats = _joint_stats(frame, table, rows, first.copula_entries, [p.alias for p in first.strings], options)
        spec = assemble(frame, rows, profiles, first, stats, options, declared)
    if statistics is not None:  # what fit/merge.py needs to combine this fit with other slices'
        with progress(frame.sparkSession, f"fit {table}: statistics (a sketch of row hashes)"):
            hashes = lowest_hashes(frame, [F.col(c) for c in frame.columns], ROW_SKETCH, ROW_SALT)
        statistics["table"] = TableStatistics(
            table=table,
            options=shaping_options(options),
            fields=[
                {"name": n, "spark_type": f.dataType.json(), "nullable": f.nullable} for n, f in zip(names, fields)
            ],
            rows=rows,
            profiles=profiles,
            copula_entries=first.copula_entries,
            strings=[p.name for p in first.strings],
            joint=stats,
            rules=[rule_json(r) for r in spec.rules],
            row_hashes=hashes,
        )
    return SynthModel(spec)


@dataclass
class Preliminary:
    """Each column's marginal before pass 2, and what pass 2 counts: `copula_entries` (the
    columns coded into dependency tables, fit/joint.py) and `strings` (the string columns whose
    shapes are counted). A fit's statistics keep it: their tables are counted in these codes."""

    columns: dict[str, object]
    copula_names: list[str]
    copula_entries: list[dict]
    strings: list[ColumnProfile]


def preliminary_columns(profiles: list[ColumnProfile], options: FitOptions) -> Preliminary:
    """Kinds and first marginals from pass 1 alone."""
    first = Preliminary({}, [], [], [])
    for p in profiles:
        kind = choose_kind(p, options.table, options.min_count, options.max_categories, options.kinds.get(p.name))
        column = _marginal_column(p, kind, options)
        first.columns[p.name] = column
        if kind in ("continuous", "integer", "decimal", "datetime", "categorical", "boolean"):
            first.copula_names.append(p.name)
            first.copula_entries.append(copula_spec(column, p.family, p.alias))
        if p.family == "string" and (
            kind in ("pattern", "unique") or (kind == "categorical" and column.other_probability > 1e-9)
        ):
            first.strings.append(p)  # shapes for patterns and for categories' rare remainder
    return first


def assemble(
    frame: DataFrame | None,
    rows: int,
    profiles: list[ColumnProfile],
    first: Preliminary,
    stats: JointStats,
    options: FitOptions,
    declared: list[dict],
    rules: list | None = None,
) -> SynthModelFile:
    """The model from pass 1 and pass 2's statistics. With `frame`, the later passes read the
    data (words, e-mails, places, rules, values inside categories, formats); without one (a
    merge of statistics, fit/merge.py) they are left out and `rules` are the merged ones."""
    table = options.table
    columns = dict(first.columns)
    copula_names = first.copula_names
    shape_counts = {p.name: stats.shape_counts[s] for s, p in enumerate(first.strings)}
    for s, p in enumerate(first.strings):
        pattern = build_pattern(
            stats.shape_counts[s],
            stats.char_counts[s],
            stats.prefix_counts[s],
            options.min_count,
            stats.length_counts[s],
            stats.text_char_counts[s],
        )
        stub = columns[p.name]
        if isinstance(stub, PatternColumn):
            columns[p.name] = PatternColumn(
                **dict(
                    _common_fields(stub),
                    kind=stub.kind,
                    pattern=pattern,
                    vocabulary=_pattern_vocabulary(p, options, options.table),
                )
            )
        elif isinstance(stub, UniqueColumn):
            columns[p.name] = UniqueColumn(**dict(_common_fields(stub), kind=stub.kind, pattern=pattern))
        else:
            columns[p.name] = stub.model_copy(update={"pattern": pattern})

    by_name = {p.name: p for p in profiles}
    code_maps: dict[int, np.ndarray] = {}
    for j, name in enumerate(copula_names):
        column = columns[name]
        if isinstance(column, CategoricalColumn):
            columns[name], code_maps[j] = _final_categorical(
                column, by_name[name], stats.code_counts[j], options, shape_counts.get(name, {})
            )

    _with_semantic_types(columns, profiles, options)
    if frame is not None:
        _with_words(frame, table, columns, by_name, rows, options)
        _with_frequent_words(frame, table, columns, by_name, options)
    # A categorical column whose every value turned out rare left the copula (it is a pattern now).
    keep = [j for j, n in enumerate(copula_names) if isinstance(columns[n], NumericColumn | CategoricalColumn)]
    if frame is not None:
        _with_emails_from_names(frame, table, columns, by_name, rows, options)
        _with_places(frame, table, columns, by_name, options)
        rules = _rules(
            frame, table, columns, by_name, rows, options, declared
        )  # before the tree: it ties their columns
    rules = list(rules or [])
    copula, dependencies = None, []
    gains: dict[str, float] = {}
    if keep:
        numeric = {n for n in copula_names if isinstance(columns[n], NumericColumn)}
        tied = tied_pairs(rules)
        candidates = {n for n in numeric if gaussian_like(columns[n])} - tabled_columns(rules)
        ordered = None
        if frame is not None and options.max_parents > 1 and options.root is None:
            ordered = _row_order(frame, rows, columns, by_name, [copula_names[j] for j in keep], options)
        tree_options = replace(options, root=ordered.order.column) if ordered else options
        copula, dependencies, strength = _joint_model(
            stats, copula_names, keep, code_maps, tree_options, numeric, candidates, tied
        )
        if ordered is not None:
            columns[ordered.id_column] = columns[ordered.id_column].model_copy(update={"rises_with": ordered.order})
        if frame is not None:
            dependencies = _with_within(frame, table, dependencies, columns, by_name, options)
            if options.max_parents > 1:
                dependencies, gains = _with_second_parents(
                    frame, table, rows, dependencies, columns, by_name, copula, strength, options, tied
                )
            _with_formats(frame, table, columns, by_name, copula, options)
    spec = SynthModelFile(
        format=FORMAT_NAME,
        schema_version=SCHEMA_VERSION,
        created_by=f"spark_synth {__version__}",
        table=TableInfo(name=table, row_count=rows),
        privacy=Privacy(min_count=options.min_count),
        columns=[columns[p.name] for p in profiles],
        copula=copula,
        dependencies=dependencies,
        rules=rules,
    )
    spec = within_budget(spec, options.max_model_mb, gains)
    log.info("fit %s: %s", table, describe_tree_gap(model_tree_gap(spec)))  # where a tree loses dependence
    return spec


def _rules(
    frame: DataFrame,
    table: str,
    columns: dict,
    by_name: dict[str, ColumnProfile],
    rows: int,
    options: FitOptions,
    declared: list[dict],
) -> list:
    """Pass 9 (fit/rules.py): rules that hold in the real rows, to hold in every generated one:
    the declared ones (counted), then those the search finds."""
    eligible = eligible_columns(columns, by_name)
    searched = options.rules != "none" and len(eligible) >= 2
    if not searched and not declared:
        return []
    with progress(frame.sparkSession, f"fit {table}: pass 9 (rules among {len(eligible)} columns)"):
        kept = declared_rules(
            frame, declared, by_name, options.min_count, options.rule_share, options.force_rules, table
        )
        found = (
            find_rules(frame, eligible, rows, options.min_count, written_elsewhere(columns), options.rule_share)
            if searched
            else []
        )
    rules = merge_rules(kept, found, written_elsewhere(columns), table)
    for rule in rules:
        log.info("fit %s: rule %s (%.4f%% of real rows)", table, rule.text(), 100 * rule.share)
    return rules


def _with_within(
    frame: DataFrame,
    table: str,
    dependencies: list[Dependency],
    columns: dict,
    by_name: dict[str, ColumnProfile],
    options: FitOptions,
) -> list[Dependency]:
    """Pass 4 (fit/within.py): each numeric child's quantiles inside its parent's codes."""
    chosen = [
        d
        for d in dependencies
        if options.within != "none"
        and eligible(columns[d.parent], columns[d.child])
        and (options.within == "all" or isinstance(columns[d.parent], CategoricalColumn))
    ]
    if not chosen:
        return dependencies
    edges = [
        WithinEdge(by_name[d.parent].alias, columns[d.parent], by_name[d.child].alias, columns[d.child], options.bins)
        for d in chosen
    ]
    with progress(frame.sparkSession, f"fit {table}: pass 4 (values inside {len(edges)} parents' categories)"):
        found = within_quantiles(frame, edges, options.min_count)
    within = {(d.parent, d.child): {c: q for c, q in f.items() if c in d.table} for d, f in zip(chosen, found)}
    return [
        d.model_copy(update={"within": within[(d.parent, d.child)]}) if (d.parent, d.child) in within else d
        for d in dependencies
    ]


def _with_second_parents(
    frame: DataFrame,
    table: str,
    rows: int,
    dependencies: list[Dependency],
    columns: dict,
    by_name: dict[str, ColumnProfile],
    copula: Copula,
    strength: dict[frozenset[str], float],
    options: FitOptions,
    tied: list[tuple[str, str]] = (),
) -> tuple[list[Dependency], dict[str, float]]:
    """Pass 5 (fit/network.py, fit/regression.py): a second parent for the children of the tree
    where it pays, by a code table or, for a number following another number, by regression
    (with max_parents=3 on two numbers, fit/regression_pairs.py); per child the one that gains
    more. Also each child's best net gain (fit/budget.py)."""
    order = generation_order(list(copula.columns), dependencies)
    codes = {n: code_count(columns[n], options.bins) for n in copula.columns}
    parent_of = {d.child: d.parent for d in dependencies}
    pairs = frozenset(frozenset(pair) for pair in tied)
    triples = network_candidates(order, parent_of, strength, codes, options.min_mutual_information, pairs)
    numeric = {n for n in copula.columns if isinstance(columns[n], NumericColumn)}
    ordered = {n for n in copula.columns if is_ordered(columns[n])} - numeric
    regressions = regression_candidates(
        order, parent_of, numeric, list(copula.columns), np.asarray(copula.correlation), codes, strength, ordered
    )
    # A mostly null child may also let the regressor decide its nulls (its nulls its lowest
    # places), where the regressor is (almost) never null: rows without it keep their draw, and
    # a child null mostly where its regressor is (a cancelled flight's arrival and air time)
    # would count its row's null share against the few rows that have both.
    regressions += [
        replace(r, with_nulls=True)
        for r in regressions
        if columns[r.child].null_fraction >= MIN_NULLS_DECIDED and columns[r.on].null_fraction <= MAX_REGRESSOR_NULLS
    ]
    if not triples and not regressions:
        return dependencies, {}
    by_child = {d.child: d for d in dependencies}
    entries = {n: copula_spec(columns[n], by_name[n].family, by_name[n].alias) for n in copula.columns}
    regressor_pairs = pair_candidates(regressions) if options.max_parents >= 3 else []
    label = f"{len(triples)} candidate triples, {len(regressions)} regressions, {len(regressor_pairs)} pairs of them"
    with progress(frame.sparkSession, f"fit {table}: pass 5 (second parents: {label})"):
        counts, sums, pair_sums = count_triples(
            frame,
            triples,
            entries,
            options.bins,
            [(r, by_child[r.child]) for r in regressions],
            [(pair, by_child[pair.child]) for pair in regressor_pairs],
        )
    tables = choose_second_parents(triples, counts, options.min_count)
    null_shares = {
        r.child: code_null_shares(by_child[r.child], codes[r.parent], columns[r.child].null_fraction)
        for r in regressions
        if r.with_nulls
    }
    fitted = choose_regressions(
        regressions, sums, regressor_pairs, pair_sums, rows, options.min_count, MIN_GAIN, null_shares
    )
    gains: dict[str, float] = {}
    for found in [*tables, *fitted]:
        gains[found.child] = max(gains.get(found.child, found.gain), found.gain)
    return with_second_parents(dependencies, tables, fitted), gains


def _row_order(
    frame: DataFrame,
    rows: int,
    columns: dict,
    by_name: dict[str, ColumnProfile],
    copula_names: list[str],
    options: FitOptions,
) -> Ordered | None:
    """An id column's real order against a copula column without nulls (fit/row_order.py): one
    bounded aggregation, only when the table has an id column. The column found becomes the root
    of its part of the tree."""
    ids = [
        IdRange(n, by_name[n].alias, int(by_name[n].min), int(by_name[n].max))
        for n, c in columns.items()
        if isinstance(c, IdColumn)
    ]
    candidates = [n for n in copula_names if columns[n].null_fraction == 0]
    if not ids or not candidates:
        return None
    entries = {n: copula_spec(columns[n], by_name[n].family, by_name[n].alias) for n in candidates}
    what = f"fit {options.table}: the order of {', '.join(i.name for i in ids)} against {len(candidates)} columns"
    with progress(frame.sparkSession, what):
        return fit_row_order(frame, ids, candidates, entries, options.bins, rows, options.min_count, MIN_GAIN)


def check_max_parents(max_parents: object) -> None:
    """1 (the tree), 2 or 3; a clear error for anything else, before any Spark work."""
    if isinstance(max_parents, bool) or not isinstance(max_parents, int) or not 1 <= max_parents <= 4:
        raise ArgumentError(f"max_parents must be a whole number from 1 to 4, got {max_parents!r}")
    if max_parents > MAX_PARENTS:
        raise ArgumentError(
            f"max_parents={max_parents}: this version gives a column at most {MAX_PARENTS} parents "
            f"(the tree's, a second, and for a number a second regressor); use 1 to {MAX_PARENTS}"
        )


def _with_formats(
    frame: DataFrame, table: str, columns: dict, by_name: dict[str, ColumnProfile], copula: Copula, options: FitOptions
) -> None:
    """Pass 5 (fit/formats.py): pattern and unique string columns whose format follows a copula
    column get `follows`."""
    patterns = {
        n: (by_name[n].alias, c)
        for n, c in columns.items()
        if isinstance(c, PatternColumn) or (isinstance(c, UniqueColumn) and c.pattern is not None)
    }
    if options.formats == "none" or not any(can_follow(c) for _, c in patterns.values()):
        return
    inputs = [FormatInput(n, by_name[n].alias, by_name[n].family, columns[n]) for n in copula.columns]
    with progress(frame.sparkSession, f"fit {table}: pass 5 (formats of {len(patterns)} pattern columns)"):
        found = follow_formats(frame, patterns, inputs, options.bins, options.min_count, options.min_mutual_information)
    for name, dependency in found.items():
        columns[name] = columns[name].model_copy(update={"follows": dependency})


def _joint_stats(
    frame: DataFrame, table: str, rows: int, copula_entries: list[dict], strings: list[str], options: FitOptions
) -> JointStats:
    """Pass 2. Up to ALL_PAIRS_MAX copula columns every pair is tabulated in the same pass; a
    wider table first gets the normal-score correlations, then (pass 3) tables only for each
    column's CANDIDATE_PARTNERS most correlated partners, strongest first, within a budget of
    WIDE_CELL_BUDGET table cells: the statistics (and the model) stay bounded whatever the
    width."""
    if not copula_entries and not strings:
        return JointStats(rows=rows)
    d = len(copula_entries)
    what = f"fit {table}: pass 2 (joint statistics of {d} copula and {len(strings)} string columns)"
    with progress(frame.sparkSession, what):
        stats = collect_joint_stats(
            frame, copula_entries, strings, options.bins, pairs=None if d <= ALL_PAIRS_MAX else []
        )
    if d <= ALL_PAIRS_MAX:
        return stats
    codes = [_code_count(entry, options.bins) for entry in copula_entries]
    categorical = [entry["column"]["kind"] in ("categorical", "boolean") for entry in copula_entries]
    pairs, cells = [], 0
    for i, j in candidate_pairs(correlation_from_sums(stats.rows, *_score_moments(stats, d)), CANDIDATE_PARTNERS):
        if (
            pair_is_counted(codes[i], codes[j], categorical[i], categorical[j])
            and cells + codes[i] * codes[j] <= WIDE_CELL_BUDGET
        ):
            pairs.append((i, j))
            cells += codes[i] * codes[j]
    with progress(frame.sparkSession, f"fit {table}: pass 3 (dependency tables of {len(pairs)} candidate pairs)"):
        stats.pair_counts = collect_joint_stats(
            frame, copula_entries, [], options.bins, pairs=pairs, moments=False
        ).pair_counts
    return stats


def _code_count(entry: dict, bins: int) -> int:
    column = entry["column"]
    if column["kind"] in ("categorical", "boolean"):
        return len(column["values"]) + 2
    return bins + len(TAIL_CUTS) + 1


def _score_moments(stats: JointStats, d: int) -> tuple[np.ndarray, np.ndarray]:
    sums = np.array([stats.score_sums.get(j, 0.0) for j in range(d)])
    products = np.zeros((d, d))
    for (i, j), value in stats.score_products.items():
        products[i, j] = products[j, i] = value
    return sums, products


def _marginal_column(p: ColumnProfile, kind: str, options: FitOptions):
    common = dict(name=p.name, spark_type=p.spark_type, nullable=p.nullable, null_fraction=round(p.null_fraction, 9))
    if kind == "null":
        return NullColumn(kind="null", **dict(common, null_fraction=1.0))
    if kind == "constant":
        value = p.top[0][0] if p.top else p.min
        if p.family == "integral":
            value = int(value)
        elif p.family == "decimal":
            value = str(from_unscaled(value, p.type.scale))
        return ConstantColumn(kind="constant", value=value, **common)
    if kind == "id":
        return IdColumn(kind="id", start=int(p.min), **common)
    if kind == "unique":
        if p.family == "integral":
            return UniqueColumn(kind="unique", start=int(p.min), size=int(p.max) - int(p.min) + 1, **common)
        return UniqueColumn.model_construct(kind="unique", pattern=None, **common)
    if kind == "pattern":
        return PatternColumn.model_construct(kind="pattern", pattern=None, **common)
    if kind in ("categorical", "boolean"):
        top = [(v, c) for v, c in (p.top or []) if c >= options.min_count][: options.max_categories]
        if p.family == "string":
            top.sort(key=lambda vc: (-vc[1], str(vc[0])))
        else:
            top.sort(key=lambda vc: vc[0])
        values = [v for v, _ in top]
        probabilities = [c / p.non_null for _, c in top]
        return CategoricalColumn.model_construct(
            kind=kind,
            values=values,
            probabilities=probabilities,
            other_probability=max(0.0, 1.0 - sum(probabilities)),
            pattern=None,
            **common,
        )
    unit = UNIT_BY_FAMILY[p.family]
    if p.type.exact:
        probabilities, values = list(QUANTILE_GRID), list(p.quantiles)
        values[0], values[-1] = p.min, p.max
        tails = _whole_number_tails(p, kind, options.min_count)
        if tails is not None:
            probabilities, values = tails
        return NumericColumn(
            kind=kind,
            quantiles=QuantileFunction(probabilities=probabilities, values=values),
            min=values[0],
            max=values[-1],
            granularity=p.granularity,
            unit=unit,
            **common,
        )
    probabilities, values = list(QUANTILE_GRID), list(p.quantiles)
    values[0], values[-1] = p.min, p.max
    tails = safe_tail_quantiles(p.histogram, QUANTILE_GRID, options.min_count) if p.histogram is not None else None
    if tails is not None:  # no extreme seen fewer than k times, tails extrapolated (fit/tails.py)
        probabilities, values = tails
        # Never past the real range: a short or bounded column's extrapolation may overshoot it
        # (where it does, that end is the real one, as before the tails were extrapolated).
        values = np.clip(values, float(p.min), float(p.max)).tolist()
    values = [float(x) for x in np.maximum.accumulate(np.asarray(values, dtype=np.float64))]
    decimal_places = p.decimal_places if kind == "continuous" else None
    grid = {}
    if kind == "continuous":  # rounding to a coarser grid applies to the values off its point masses
        share = share_beyond_plateaus(p.grid_step, p.grid_share, probabilities, values)
        grid = dict(grid_step=p.grid_step if share else None, grid_share=share)
    return NumericColumn(
        kind=kind,
        quantiles=QuantileFunction(probabilities=probabilities, values=values),
        min=values[0],
        max=values[-1],
        decimal_places=decimal_places,
        unit=unit,
        **grid,
        **common,
    )


def _whole_number_tails(p: ColumnProfile, kind: str, min_count: int) -> tuple[list[float], list[int]] | None:
    """An integer column's tails as a double's (fit/tails.py), in whole units inside the real
    range; None for dates, timestamps, decimals (their units and calendars need more thought)
    and for integers beyond 2^53, whose distances a double does not hold exactly."""
    if p.family != "integral" or kind != "integer" or p.histogram is None or max(abs(p.min), abs(p.max)) > 2**53:
        return None
    tails = safe_tail_quantiles(p.histogram, QUANTILE_GRID, min_count)
    if tails is None:
        return None
    probabilities, distances = tails
    values = [min(max(int(p.min) + int(round(d)), int(p.min)), int(p.max)) for d in distances]
    return probabilities, list(accumulate(values, max))


def _common_fields(column) -> dict:
    return dict(
        name=column.name, spark_type=column.spark_type, nullable=column.nullable, null_fraction=column.null_fraction
    )


def _final_categorical(
    column: CategoricalColumn,
    p: ColumnProfile,
    code_counts: dict[int, int],
    options: FitOptions,
    shape_n: dict[str, int],
) -> tuple[CategoricalColumn, np.ndarray]:
    """Apply the privacy threshold to exact pass-2 counts; returns the column and old->new codes.
    `shape_n`: the string column's shape counts (its rare values' pattern leaves the kept ones out)."""
    k = len(column.values)
    non_null = sum(n for code, n in code_counts.items() if code != 0)
    kept = [i for i in range(k) if code_counts.get(i + 1, 0) >= options.min_count]
    code_map = np.full(k + 2, len(kept) + 1, dtype=np.int64)
    code_map[0] = 0
    for new, old in enumerate(kept):
        code_map[old + 1] = new + 1
    values = [column.values[i] for i in kept]
    probabilities = [round(code_counts[i + 1] / non_null, 9) for i in kept]
    other = max(0.0, round(1.0 - sum(probabilities), 9))
    pattern = column.pattern if p.family == "string" else None
    if not kept:
        if pattern is None:
            raise InputDataError(
                f"column {column.name!r}: every value is seen fewer than min_count={options.min_count} "
                "times, so none may be stored; lower min_count or drop the column"
            )
        return PatternColumn(
            **dict(
                _common_fields(column),
                kind="pattern",
                pattern=pattern,
                vocabulary=_pattern_vocabulary(p, options, options.table),
            )
        ), code_map
    if p.family != "string" and other > 0:
        # Rare values that are not strings (numbers as categories): spread their mass instead, and
        # drop their cells from dependency tables (code -1), which must not draw a code with no values.
        scale = 1.0 / sum(probabilities)
        probabilities, other = [round(x * scale, 9) for x in probabilities], 0.0
        code_map[code_map == len(kept) + 1] = -1
    if probabilities:
        probabilities[0] = round(probabilities[0] + 1.0 - other - sum(probabilities), 9)
    if pattern is not None and kept and other > KEPT_MAX_RARE:
        pattern = without_kept(
            pattern, shape_n, {str(v): code_counts[i + 1] for v, i in zip(values, kept)}, options.min_count
        )
        if pattern is not None and (pattern.text.probability if pattern.text else 0.0) > MAX_RARE_TEXT:
            pattern = None  # words, not codes: drawn as text they come out as near-miss typos
    rare = rare_values_source(p, options, options.table, other, pattern is not None) if other > 0 else {}
    final = CategoricalColumn(
        kind=column.kind,
        name=column.name,
        spark_type=column.spark_type,
        nullable=column.nullable,
        null_fraction=column.null_fraction,
        values=values,
        probabilities=probabilities,
        other_probability=other,
        pattern=pattern if rare.get("rare_source") == "pattern" else None,
        **rare,
    )
    return final, code_map


# Rare values up to this share of a column are stand-ins for its kept values (typos, variants):
# drawn from the kept values. A larger share is a population of its own (local ids next to a
# blank for 45 % of airports) whose format matters: drawn from the pattern.
KEPT_MAX_RARE = 0.05
# ... unless those rare values are mostly free text (words: plot types, product names), which drawn
# character by character come out as near-miss typos of real values: they are drawn from the kept
# values then. Codes (ids, IATA codes) have shapes of their own.
MAX_RARE_TEXT = 0.5


def rare_values_source(
    p: ColumnProfile, options: FitOptions, table: str, other: float = 0.0, has_pattern: bool = False
) -> dict:
    """How a string column's rare values are drawn: from the public vocabulary its values belong
    to; else, when they are a sliver of the column (<= KEPT_MAX_RARE), from its kept values —
    not character by character, which made near-miss typos (see model/vocabulary.py); else from
    its pattern, so a large rare population keeps its own format. Fields for CategoricalColumn."""
    vocabulary = _vocabulary_of(p, options, table)
    if vocabulary is not None:
        return {"rare_source": "vocabulary", "vocabulary": vocabulary}
    return {"rare_source": "pattern" if other > KEPT_MAX_RARE and has_pattern else "kept"}


def _pattern_vocabulary(p: ColumnProfile, options: FitOptions, table: str) -> Vocabulary | None:
    """A pattern column whose values come from a public vocabulary draws that vocabulary's words,
    unless the user asked for the pattern (kinds={col: "pattern"}: characters, as before)."""
    if options.kinds.get(p.name) == "pattern":
        return None
    vocabulary = _vocabulary_of(p, options, table)
    if (
        vocabulary is not None
        and vocabulary.name == "given_name"
        and options.formats != "none"
        and is_gendered(p.top or [])
    ):  # the row's names may follow a gender column (pass 5)
        vocabulary = vocabulary.model_copy(update={"by_gender": True})
    return vocabulary


MIN_FORCED_COVER = 0.1  # a type the user names must hold at least this share of the column's values


def _vocabulary_of(p: ColumnProfile, options: FitOptions, table: str) -> Vocabulary | None:
    forced, locales = split_type(options.kinds.get(p.name))
    if forced in VOCABULARIES:
        groups, covered = forced_vocabulary(forced, p.top or [], options.min_count)
        if covered < MIN_FORCED_COVER:
            raise InputDataError(
                f"table {table}, column {p.name!r}: type {forced!r} fits {covered:.1%} of its most frequent "
                f"values (at least {MIN_FORCED_COVER:.0%} needed); drop the override or choose another type "
                f"({', '.join(SEMANTIC_TYPES)})"
            )
        return Vocabulary(name=forced, groups=locales or groups)
    if forced in TYPE_CHECKS:
        return None
    found = detect_vocabulary(p.top or [], p.non_null, options.min_count, p.name)
    return None if found is None else Vocabulary(name=found[0], groups=found[1])


def _with_semantic_types(columns: dict, profiles: list[ColumnProfile], options: FitOptions) -> None:
    """A string column without a vocabulary gets the validator type its frequent values pass (or
    the one the user named): `semantic` in the model, for the evaluation's validity checks."""
    for p in profiles:
        column = columns[p.name]
        if (
            p.family != "string"
            or getattr(column, "vocabulary", None) is not None
            or not isinstance(column, PatternColumn | UniqueColumn | CategoricalColumn)
        ):
            continue
        semantic = validated_type(p, options.kinds.get(p.name), options.table)
        if semantic is not None:
            columns[p.name] = column.model_copy(update={"semantic": semantic})


def _with_words(
    frame: DataFrame, table: str, columns: dict, by_name: dict[str, ColumnProfile], rows: int, options: FitOptions
) -> None:
    """Pass 8 (fit/words.py), before pass 5: text made of words gets a word pattern. A unique
    column becomes a pattern column: its uniqueness was incidental (two people may share an
    address; a unique identifier has character shapes, or `kinds={col: "unique"}` keeps it)."""
    candidates = word_candidates(columns, options.kinds)
    if not candidates or options.formats == "none":
        return
    with progress(frame.sparkSession, f"fit {table}: pass 8 (words of {len(candidates)} text columns)"):
        forced = frozenset(n for n in candidates if options.kinds.get(n) in WORD_VALIDATORS)
        found = fit_words(frame, [(n, by_name[n].alias) for n in candidates], rows, options.min_count, forced)
    for name, pattern in found.items():
        semantic = options.kinds.get(name) if name in forced else word_type(name, pattern)
        columns[name] = PatternColumn(
            **_common_fields(columns[name]), kind="pattern", pattern=pattern, semantic=semantic
        )
    for name in forced - set(found):
        log.warning(
            "table %s, column %r: no word shape was seen %d times; its values keep character shapes",
            table,
            name,
            options.min_count,
        )


def _with_frequent_words(
    frame: DataFrame, table: str, columns: dict, by_name: dict[str, ColumnProfile], options: FitOptions
) -> None:
    """Pass 8, too (fit/frequent.py): a vocabulary column keeps its words seen >= k times, with
    their shares of the non-null rows."""
    candidates = frequent_candidates(columns, by_name, options.min_count)
    if not candidates:
        return
    with progress(frame.sparkSession, f"fit {table}: pass 8 (frequent words of {len(candidates)} vocabulary columns)"):
        counts = count_frequent(
            frame, {n: (by_name[n].alias, words) for n, words in candidates.items()}, options.min_count
        )
    for name, found in counts.items():
        ordered = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        shares = {w: round(n / by_name[name].non_null, 9) for w, n in ordered}
        columns[name] = columns[name].model_copy(update={"frequent": shares})


def _with_emails_from_names(
    frame: DataFrame, table: str, columns: dict, by_name: dict[str, ColumnProfile], rows: int, options: FitOptions
) -> None:
    """Pass 6 (fit/emails.py): e-mail columns made from the row's names get `from_names`."""
    given, family = name_columns(columns)
    emails = [n for n in email_columns(columns) if options.kinds.get(n) != "pattern"]
    if not emails or (given is None and family is None) or options.formats == "none":
        return
    with progress(frame.sparkSession, f"fit {table}: pass 6 (e-mails of {len(emails)} columns against names)"):
        for name in emails:
            names = {role: (n, by_name[n].alias) if n else None for role, n in (("given", given), ("family", family))}
            built = fit_from_names(frame, by_name[name].alias, names, rows, options.min_count)
            if built is not None:
                columns[name] = columns[name].model_copy(update={"from_names": built})


def _with_places(
    frame: DataFrame, table: str, columns: dict, by_name: dict[str, ColumnProfile], options: FitOptions
) -> None:
    """Pass 7 (fit/places.py): postcodes and cities that agree with a US state column get `place`."""
    state = state_column(columns) if options.formats != "none" else None
    if state is None:
        return
    candidates = [n for n in place_candidates(columns, state) if options.kinds.get(n) != "pattern"]
    if not candidates:
        return
    with progress(frame.sparkSession, f"fit {table}: pass 7 (places of {len(candidates)} columns against {state})"):
        found = fit_places(
            frame, (state, by_name[state].alias), [(n, by_name[n].alias) for n in candidates], options.min_count
        )
    for name, rule in found.items():
        columns[name] = columns[name].model_copy(update={"place": rule})


def wide_edge_cost(cells: int, rows: int) -> float:
    """What a pair's table costs as a tree edge (nats per row): nothing up to WIDE_EDGE_CELLS
    cells seen, then its description length, log(n)/(2n) per cell."""
    return description_length(cells, rows) if cells > WIDE_EDGE_CELLS else 0.0


def pays_as_weak_edge(mutual_information: float, cells: int, rows: int) -> bool:
    """A weak pair (under min_mutual_information) is an edge when it holds WEAK_EDGE_MI nats and
    more than its table's description length, log(n)/(2n) per cell seen."""
    return mutual_information >= WEAK_EDGE_MI and mutual_information > description_length(cells, rows)


def _joint_model(
    stats: JointStats,
    names: list[str],
    keep: list[int],
    code_maps: dict[int, np.ndarray],
    options: FitOptions,
    numeric: set[str],
    block_candidates: set[str],
    tied: list[tuple[str, str]] = (),
) -> tuple[Copula, list[Dependency], dict[frozenset[str], float]]:
    """The copula, the dependency tree and every tabulated pair's mutual information. A `tied` pair of columns (fit/rules.tied_pairs) gets
    its tree edge whatever its mutual information, so the tree draws only combinations the real
    rows have (a route that flew, a day its month has) and the rule rarely has to overwrite one."""
    corr = correlation_from_sums(stats.rows, *_score_moments(stats, len(names)))[np.ix_(keep, keep)]
    copula = Copula(
        columns=[names[j] for j in keep],
        bins=options.bins,
        correlation=[[round(float(x), 6) for x in row] for row in corr],
    )

    pairs: dict[tuple[int, int], dict[tuple[int, int], int]] = {}
    mi: dict[tuple[int, int], float] = {}
    position = {j: idx for idx, j in enumerate(keep)}
    for (i, j), table in stats.pair_counts.items():
        if i not in position or j not in position:
            continue
        remapped: dict[tuple[int, int], int] = {}
        for (a, b), n in table.items():
            a = int(code_maps[i][a]) if i in code_maps else a
            b = int(code_maps[j][b]) if j in code_maps else b
            if a >= 0 and b >= 0:
                remapped[(a, b)] = remapped.get((a, b), 0) + n
        pairs[(position[i], position[j])] = remapped
        mi[(position[i], position[j])] = mutual_information(remapped)
    dependencies = []
    root = copula.columns.index(options.root) if options.root in copula.columns else None
    index = {name: idx for idx, name in enumerate(copula.columns)}
    weights = dict(mi)
    for a, b in tied:
        pair = tuple(sorted((index.get(a, -1), index.get(b, -1))))
        if pair in weights:  # (a wide table tabulates only candidate pairs: an untabulated tie is left)
            weights[pair] += TIED_WEIGHT
    if options.max_parents > 1:
        weights = {pair: w - wide_edge_cost(len(pairs[pair]), stats.rows) for pair, w in weights.items()}
    weights = {
        pair: w
        for pair, w in weights.items()
        if w >= options.min_mutual_information
        or (options.max_parents > 1 and pays_as_weak_edge(mi[pair], len(pairs[pair]), stats.rows))
    }
    floor = min(options.min_mutual_information, WEAK_EDGE_MI)
    edges = [(p, c, mi[tuple(sorted((p, c)))]) for p, c, _ in chow_liu_edges(len(keep), weights, floor, root)]
    if options.block == "auto":  # beyond the tree: a block of columns from the full copula (fit/block.py)
        block = choose_block(
            np.asarray(copula.correlation), copula.columns, numeric, edges, mi, root, candidates=block_candidates
        )
        if block:
            edges = orient_forest(len(keep), edges, ([root] if root is not None else []) + block)
    for parent, child, weight in edges:
        first, second = min(parent, child), max(parent, child)
        table = conditional_table(pairs[(first, second)], parent == first, options.min_count)
        if table:
            dependencies.append(
                Dependency(
                    parent=copula.columns[parent],
                    child=copula.columns[child],
                    mutual_information=round(weight, 6),
                    table=table,
                )
            )
    strength = {frozenset((copula.columns[i], copula.columns[j])): value for (i, j), value in mi.items()}
    return copula, dependencies, strength
