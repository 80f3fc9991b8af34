"""Merging fits of disjoint slices (the days of a lake) into one model, from their statistics.

What adds up exactly: row and null counts, extremes, the off-grid counts behind grids and
granularity, frequent values' counts (exact for values each slice listed; a value beyond a
slice's list counts only where it was listed, so the privacy threshold sees at most the true
count), string shapes, and the bucket counts behind quantiles. Buckets are re-cut in the layout
a fit of the union would use (measured from the union's minimum), so a merged quantile is within
one of those buckets of the union's: exact for whole numbers less than 2,048 units above the
minimum, within 0.27 % of the distance beyond (fit/histogram.py).

What is re-expressed: each slice counted its dependency tables in its own codes (its bins and
category lists). A slice code is spread over the merged codes by the slice's own marginal (the
share of the bin's mass that falls in each merged bin; a category goes to its own code, the
slice's rare remainder to the merged codes of its listed values by their counts). Where slices
agree, that is the identity; where bins differ, dependence inside one bin is taken as flat.

Then the same driver code as a fit (fit/fitter.py assemble) builds the model from the sums: the
privacy threshold applies to the merged counts (a value rare in every slice but frequent overall
is kept; one seen fewer than k times in total is not). The passes that read the rows themselves
(words, e-mails, places, values inside categories, formats) are not in the statistics: a merged
model leaves them out. Rules are kept when every slice found them (a rule that holds in each
slice holds in their union), with the row-weighted share.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from itertools import accumulate

import numpy as np
from pydantic import TypeAdapter
from pyspark.sql import types as T
from scipy import sparse

from spark_synth.errors import InputDataError
from spark_synth.fit.fitter import FitOptions, assemble, preliminary_columns
from spark_synth.fit.histogram import Histogram, quantiles
from spark_synth.fit.joint import JointStats, in_key_order, pair_is_counted, scale_from_spec
from spark_synth.fit.profile import (
    DOUBLE_STEP_SHARE,
    EXACT_BUCKETS,
    QUANTILE_GRID,
    ColumnProfile,
    profile_from_aggregates,
    top_size,
)
from spark_synth.fit.sampling import HASH_RANGE
from spark_synth.fit.statistics import COUNT_TABLES, ROW_SKETCH, TableStatistics, rule_json
from spark_synth.model.io import SynthModel
from spark_synth.model.marginals import cdf_right
from spark_synth.model.rules import Rule

log = logging.getLogger(__name__)

OVERLAP_LIMIT = 0.5  # share of the smaller slice's distinct rows also in another: refused above


def merge_statistics(slices: list[TableStatistics], names: list[str], allow_overlap: bool = False):
    """(model, merged statistics) of slices fitted apart; `names` name them in messages."""
    if not slices:
        raise InputDataError("merge needs at least one statistics file")
    check_compatible(slices, names)
    if not allow_overlap:
        check_disjoint(slices, names)
    first_stats = slices[0]
    options = FitOptions(
        table=first_stats.table,
        **{k: tuple(v) if k == "declared_rules" else v for k, v in first_stats.options.items()},
    )
    rows = sum(s.rows for s in slices)
    profiles = [merge_profiles([s.profiles[c] for s in slices], options) for c in range(len(first_stats.fields))]
    first = preliminary_columns(profiles, options)
    joint = merge_joint(slices, first.copula_entries, [p.name for p in first.strings], options.bins)
    rules = merge_rules(slices)
    spec = assemble(None, rows, profiles, first, joint, options, [], rules=rules)
    merged = TableStatistics(
        table=first_stats.table,
        options=first_stats.options,
        fields=first_stats.fields,
        rows=rows,
        slices=sum(s.slices for s in slices),
        source=next((s.source for s in reversed(slices) if s.source), None),
        profiles=profiles,
        copula_entries=first.copula_entries,
        strings=[p.name for p in first.strings],
        joint=joint,
        rules=[rule_json(r) for r in rules],
        row_hashes=sorted(set().union(*[s.row_hashes for s in slices]))[:ROW_SKETCH],
    )
    return SynthModel(spec), merged


# ------------------------------------------------------------------------------ checks


def check_compatible(slices: list[TableStatistics], names: list[str]) -> None:
    """Same columns and types, same fit options: else a message naming the difference. (Table names
    may differ: a fit names a table after its path, and each day of a lake has its own.)"""
    base, base_name = slices[0], names[0]
    for s, name in zip(slices[1:], names[1:]):
        ours = {f["name"]: f["spark_type"] for f in base.fields}
        theirs = {f["name"]: f["spark_type"] for f in s.fields}
        missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        if missing or extra:
            raise InputDataError(
                f"table {s.table}: {name} and {base_name} have different columns "
                f"(only in {base_name}: {missing}; only in {name}: {extra}); refit both with one schema"
            )
        changed = [c for c in ours if ours[c] != theirs[c]]
        if changed:
            c = changed[0]
            raise InputDataError(
                f"table {s.table}, column {c!r}: type {theirs[c]} in {name} but {ours[c]} in {base_name}; "
                "a changed column type needs a full refit"
            )
        if [f["name"] for f in s.fields] != [f["name"] for f in base.fields]:
            raise InputDataError(
                f"table {s.table}: {name} has the columns in another order than {base_name}; refit with one order"
            )
        for option, value in base.options.items():
            if s.options.get(option) != value:
                raise InputDataError(
                    f"table {s.table}: {name} was fitted with {option}={s.options.get(option)!r}, "
                    f"{base_name} with {value!r}; slices merge only when fitted with the same options"
                )


def check_slice_schema(previous: TableStatistics, fields: list[tuple[str, str]], update: str) -> None:
    """Before fitting a slice to add to `previous` (update=): the same columns with the same
    types, so that a changed type is named before any Spark work, not after the fit."""
    ours = {f["name"]: f["spark_type"] for f in previous.fields}
    theirs = dict(fields)
    missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    if missing or extra:
        raise InputDataError(
            f"table {previous.table}: this slice and {update} have different columns (only in {update}: {missing}; "
            f"only in this slice: {extra}); refit the whole table with one schema"
        )
    for name, spark_type in ours.items():
        if theirs[name] != spark_type:
            raise InputDataError(
                f"table {previous.table}, column {name!r}: type {theirs[name]} in this slice but {spark_type} in "
                f"{update}; a changed column type needs a full refit"
            )


def check_disjoint(slices: list[TableStatistics], names: list[str]) -> None:
    """Refuse slices that share most of their rows (the same day fitted twice, a day inside a
    week), estimated from the bottom-k sketches of row hashes. Equal rows do recur across real
    slices (a small lookup table): allow_overlap passes them."""
    for a in range(len(slices)):
        for b in range(a + 1, len(slices)):
            shared = shared_share(slices[a].row_hashes, slices[b].row_hashes)
            if shared > OVERLAP_LIMIT:
                raise InputDataError(
                    f"table {slices[a].table}: {names[a]} and {names[b]} overlap (about {shared:.0%} of the "
                    "smaller slice's distinct rows are in both); merge disjoint slices, or pass "
                    "allow_overlap (--allow-overlap) when equal rows recur across slices"
                )


def shared_share(first: list[int], second: list[int]) -> float:
    """Estimated share of the smaller set's distinct rows found in the other (bottom-k sketches)."""
    if not first or not second:
        return 0.0
    a, b = set(first), set(second)
    union = sorted(a | b)[:ROW_SKETCH]
    both = sum(1 for h in union if h in a and h in b) / len(union)
    sizes = [_distinct_estimate(sorted(x)) for x in (first, second)]
    union_size = _distinct_estimate(union)
    return min(1.0, both * union_size / max(min(sizes), 1.0))


def _distinct_estimate(hashes: list[int]) -> float:
    """Distinct rows behind a bottom-k sketch: all of them while it is not full."""
    if len(hashes) < ROW_SKETCH:
        return float(len(hashes))
    return (ROW_SKETCH - 1) / ((hashes[ROW_SKETCH - 1] + 1) / HASH_RANGE)


# ------------------------------------------------------------------------------ pass 1


SMALLEST = {"min", "minlen"}
LARGEST = {"max", "maxlen"}
ESTIMATED = {"top", "distinct"}  # merged from the slices' lists (merge_top, _merged_distinct)
# Every other pass-1 aggregate is a count (n, trues, nan, inf, off-grid dp*, off-granularity g*): added.


def merge_profiles(profiles: list[ColumnProfile], options: FitOptions) -> ColumnProfile:
    """One column's profile of the union, from the slices' aggregates, lists and buckets."""
    base = profiles[0]
    aggregates = {}
    for name in base.aggregates:
        values = [p.aggregates.get(name) for p in profiles]
        present = [v for v in values if v is not None]
        if name in SMALLEST:
            aggregates[name] = min(present) if present else None
        elif name in LARGEST:
            aggregates[name] = max(present) if present else None
        elif name in ESTIMATED:
            aggregates[name] = None
        else:
            aggregates[name] = sum(int(v) for v in present)
    rows = sum(p.rows for p in profiles)
    field = T.StructField(base.alias, T._parse_datatype_json_string(base.spark_type), base.nullable)
    merged = profile_from_aggregates(0, field, base.name, {f"__c0_{k}": v for k, v in aggregates.items()}, rows)
    merged.aggregates = {k: v for k, v in aggregates.items() if v is not None}
    merged.nullable = any(p.nullable for p in profiles)
    if base.family not in ("boolean",) and any(p.top is not None for p in profiles):
        size = top_size(field, options.max_categories, options.kinds.get(base.name) == "categorical")
        merged.top = merge_top([p.top or [] for p in profiles], size)
    if base.family in ("integral", "string"):
        merged.distinct = _merged_distinct(profiles, merged)
        merged.aggregates["distinct"] = merged.distinct
    merged.unique = _merged_unique(profiles, merged)
    _merged_quantiles(profiles, merged)
    return merged


def merge_top(lists: list[list[tuple]], size: int) -> list[tuple]:
    """Frequent values of the union: counts summed by value, ordered by (count, value text) as a
    fit orders a complete list, cut at `size`."""
    counts: dict = {}
    for top in lists:
        for value, n in top:
            counts[value] = counts.get(value, 0) + int(n)
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:size]


def _complete(p: ColumnProfile) -> bool:
    return p.top is not None and sum(n for _, n in p.top) == p.non_null


def _merged_distinct(profiles: list[ColumnProfile], merged: ColumnProfile) -> int:
    """Exact when every slice listed all its values; else the slices' estimates added, less the
    values listed in more than one (at most the non-null rows)."""
    if all(_complete(p) for p in profiles):
        return len(merged.top or [])
    listed = defaultdict(int)
    for p in profiles:
        for value, _ in p.top or []:
            listed[value] += 1
    repeated = sum(times - 1 for times in listed.values())
    return max(0, min(merged.non_null, sum(p.distinct for p in profiles) - repeated))


def _merged_unique(profiles: list[ColumnProfile], merged: ColumnProfile) -> bool:
    """Unique in the union: unique in every slice, no value listed twice, and (whole numbers)
    ranges that do not meet. Strings from different slices are not compared beyond their lists."""
    if not all(p.unique for p in profiles):
        return False
    if merged.top and merged.top[0][1] > 1:
        return False
    if merged.family == "integral":
        spans = sorted((p.min, p.max) for p in profiles if p.min is not None)
        return all(low[1] < high[0] for low, high in zip(spans, spans[1:]))
    return True


def _merged_quantiles(profiles: list[ColumnProfile], merged: ColumnProfile) -> None:
    """The quantile grid of the union from the slices' buckets re-cut in its own layout."""
    if merged.family in ("string", "boolean") or merged.min is None:
        return
    if merged.min == merged.max:
        merged.quantiles = [merged.min] * len(QUANTILE_GRID)
        return
    exact = merged.type.exact
    if exact:
        unit, shift = 1.0, [None if p.min is None else float(p.min - merged.min) for p in profiles]
        origin = 0.0
    else:
        unit = max((merged.max / 2 - merged.min / 2) * DOUBLE_STEP_SHARE, 5e-324)
        shift, origin = [0.0] * len(profiles), merged.min
    lows, highs, counts = [], [], []
    for p, offset in zip(profiles, shift):
        h = p.histogram
        if h is None:  # a constant slice: all its values at its minimum
            if p.min is None or p.non_null == p.nan_count + p.inf_count:
                continue
            at = float(p.min - merged.min) if exact else float(p.min)
            h = Histogram(np.array([p.non_null - p.nan_count - p.inf_count]), np.array([at]), np.array([at]))
            offset = 0.0
        lows.append(h.lows + offset)
        highs.append(h.highs + offset)
        counts.append(h.counts)
    histogram = rebucket(np.concatenate(lows), np.concatenate(highs), np.concatenate(counts), origin, unit, exact)
    merged.histogram = histogram
    values = quantiles(histogram, QUANTILE_GRID).tolist()
    if exact:
        values = [min(max(merged.min + int(round(q)), merged.min), merged.max) for q in values]
    merged.quantiles = list(accumulate(values, max))


def _distance(x: np.ndarray, origin: float, exact: bool) -> np.ndarray:
    """Exact columns' cells are already distances; doubles measure half-distances (profile._cell)."""
    return x if exact else x / 2 - origin / 2


def _bucket(v: np.ndarray) -> np.ndarray:
    """fit/histogram.bucket_of in numpy, on distances in units."""
    linear, slices = EXACT_BUCKETS.linear, EXACT_BUCKETS.slices
    with np.errstate(divide="ignore"):
        log_bucket = linear + np.floor((np.log(np.maximum(v, 1e-300)) - math.log(linear)) * (slices / math.log(2.0)))
    return np.where(v < linear, np.floor(v), log_bucket).astype(np.int64)


def rebucket(
    lows: np.ndarray, highs: np.ndarray, counts: np.ndarray, origin: float, unit: float, exact: bool
) -> Histogram:
    """Cells (smallest, largest, count) of several slices as one histogram in the union's
    buckets: cells within one bucket add (count, smallest, largest); a cell across several is
    shared among them by the length of value range each holds."""
    b_low = _bucket(_distance(lows, origin, exact) / unit)
    b_high = _bucket(_distance(highs, origin, exact) / unit)
    keys, lo_out, hi_out, n_out = [b_low[b_low == b_high]], [lows[b_low == b_high]], [highs[b_low == b_high]], []
    n_out.append(counts[b_low == b_high].astype(np.float64))
    for i in np.flatnonzero(b_low != b_high):
        edges = [lows[i]]
        for b in range(int(b_low[i]) + 1, int(b_high[i]) + 1):
            edges.append(_value_at(b, origin, unit, exact))
        edges.append(highs[i])
        widths = np.diff(edges)
        shares = widths / widths.sum() if widths.sum() > 0 else np.full(len(widths), 1.0 / len(widths))
        keys.append(np.arange(int(b_low[i]), int(b_high[i]) + 1))
        lo_out.append(np.array(edges[:-1]))
        hi_out.append(np.array(edges[1:]))
        n_out.append(counts[i] * shares)
    key, lo, hi, n = (np.concatenate(x) for x in (keys, lo_out, hi_out, n_out))
    order = np.lexsort([lo, key])
    key, lo, hi, n = key[order], lo[order], hi[order], n[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    return Histogram(
        counts=np.add.reduceat(n, starts),
        lows=np.minimum.reduceat(lo, starts),
        highs=np.maximum.reduceat(hi, starts),
    )


def _value_at(b: int, origin: float, unit: float, exact: bool) -> float:
    """Where bucket b starts, as a cell value (a distance for exact columns, a double else)."""
    linear, slices = EXACT_BUCKETS.linear, EXACT_BUCKETS.slices
    d = b * unit if b <= linear else linear * unit * 2.0 ** ((b - linear) / slices)
    return d if exact else 2 * d + origin


# ------------------------------------------------------------------------------ pass 2


def merge_joint(slices: list[TableStatistics], entries: list[dict], strings: list[str], bins: int) -> JointStats:
    """The slices' pass-2 tables, each re-expressed in the merged codes, added up."""
    names = [entry_name(e) for e in entries]
    position = {n: j for j, n in enumerate(names)}
    scales = [scale_from_spec(e, bins) for e in entries]
    counted = None  # name pairs every slice tabulated
    for s in slices:
        pairs = {
            frozenset((entry_name(s.copula_entries[i]), entry_name(s.copula_entries[j])))
            for i, j in s.joint.pair_counts
        }
        counted = pairs if counted is None else counted & pairs
    out = JointStats(rows=sum(s.joint.rows for s in slices))
    pair_sums: dict[tuple[int, int], sparse.csr_matrix] = {}
    for s in slices:
        by_name = {p.name: p for p in s.profiles}
        moved = {}
        for i, entry in enumerate(s.copula_entries):
            j = position.get(entry_name(entry))
            if j is None:
                continue
            counts = s.joint.code_counts.get(i, {})
            moved[i] = code_transform(entry, entries[j], bins, by_name[entry_name(entry)].top or [], counts)
            old = np.zeros(moved[i].shape[0])
            for code, n in counts.items():
                old[code] += n
            new = old @ moved[i]
            table = out.code_counts[j]
            for code in np.flatnonzero(new):
                table[int(code)] = table.get(int(code), 0.0) + float(new[code])
            if i in s.joint.score_sums:
                out.score_sums[j] = out.score_sums.get(j, 0.0) + s.joint.score_sums[i]
        for (i, k), cells in s.joint.pair_counts.items():
            a, b = entry_name(s.copula_entries[i]), entry_name(s.copula_entries[k])
            if i not in moved or k not in moved or frozenset((a, b)) not in counted:
                continue
            ti, tk = moved[i], moved[k]
            rows, cols = zip(*cells) if cells else ((), ())
            old = sparse.csr_matrix((list(cells.values()), (rows, cols)), shape=(ti.shape[0], tk.shape[0]))
            new = sparse.csr_matrix(ti.T) @ old @ sparse.csr_matrix(tk)
            key = (position[a], position[b])
            if key[0] > key[1]:
                key, new = (key[1], key[0]), new.T
            pair_sums[key] = pair_sums[key] + new if key in pair_sums else sparse.csr_matrix(new)
        for (i, k), v in s.joint.score_products.items():
            a, b = entry_name(s.copula_entries[i]), entry_name(s.copula_entries[k])
            if a in position and b in position:
                key = tuple(sorted((position[a], position[b])))
                out.score_products[key] = out.score_products.get(key, 0.0) + v
        string_at = {name: t for t, name in enumerate(strings)}
        for t, name in enumerate(s.strings):
            if name not in string_at:
                continue
            for table_name in COUNT_TABLES:
                target = getattr(out, table_name)[string_at[name]]
                for key, n in getattr(s.joint, table_name).get(t, {}).items():
                    target[key] = target.get(key, 0) + n
    categorical = [not scale.numeric for scale in scales]
    for (i, k), table in sorted(pair_sums.items()):
        if not pair_is_counted(scales[i].n_codes, scales[k].n_codes, categorical[i], categorical[k]):
            continue
        coo = table.tocoo()
        out.pair_counts[(i, k)] = {
            (int(a), int(b)): _settled(n) for a, b, n in zip(coo.row, coo.col, coo.data) if n > 1e-9
        }
    for table in out.code_counts.values():
        for code, n in table.items():
            table[code] = _settled(n)
    return in_key_order(out)


def _settled(n: float) -> float | int:
    """A re-expressed count: whole when it is whole up to rounding (3/7 of 7 rows is 3 rows, not
    2.9999999999999996, which the threshold k = 3 would refuse)."""
    whole = round(n)
    return int(whole) if abs(n - whole) < 1e-6 else float(n)


def entry_name(entry: dict) -> str:
    """The real column name of a pass-2 column entry (fit/joint.py copula_spec)."""
    return entry["column"]["name"]


def code_transform(old: dict, new: dict, bins: int, top: list[tuple], counts: dict[int, float]) -> np.ndarray:
    """Matrix (old codes x new codes): the share of each old code's rows in each new code. Null
    stays null; the rest follows the slice's own marginal (see the module docstring)."""
    before, after = scale_from_spec(old, bins), scale_from_spec(new, bins)
    out = np.zeros((before.n_codes, after.n_codes))
    out[0, 0] = 1.0
    listed = dict(top)
    for code in range(1, before.n_codes):
        mass = float(counts.get(code, 0.0))
        if before.numeric:
            lo, hi = _interval(before.cuts, code)
            out[code] = _from_interval(before, after, lo, hi, listed, mass)
        else:
            values = old["column"]["values"]
            if code <= len(values):
                out[code] = _from_value(after, values[code - 1])
            else:  # the slice's rare remainder: its listed values by their counts, the rest to "other"
                out[code] = _from_remainder(after, set(values), listed, mass)
    return out


def _interval(cuts: np.ndarray, code: int) -> tuple[float, float]:
    """Values of numeric code `code`: (lo, hi] (fit/joint.py codes with searchsorted 'left')."""
    lo = float(cuts[code - 2]) if code >= 2 else -math.inf
    hi = float(cuts[code - 1]) if code - 1 < len(cuts) else math.inf
    return lo, hi


def _other_code(scale) -> int:
    return scale.n_codes - 1


def _from_value(after, value) -> np.ndarray:
    row = np.zeros(after.n_codes)
    if after.numeric:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[1 + int(np.searchsorted(after.cuts, float(value), side="left"))] = 1.0
        else:
            row[1:] = np.diff(after.edges)[1:] / max(1e-300, np.diff(after.edges)[1:].sum())
        return row
    values = after.column.values
    row[values.index(value) + 1 if value in values else _other_code(after)] = 1.0
    return row


def _from_remainder(after, known: set, listed: dict, mass: float) -> np.ndarray:
    row = np.zeros(after.n_codes)
    if mass <= 0:
        row[_other_code(after) if not after.numeric else 1] = 1.0
        return row
    placed = 0.0
    for value, n in listed.items():
        if value in known:
            continue
        share = min(n / mass, 1.0 - placed)
        if share <= 0:
            break
        row += share * _from_value(after, value)
        placed += share
    rest = 1.0 - placed
    if rest > 1e-12:
        if after.numeric:
            spread = np.diff(after.edges)[1:]
            row[1:] += rest * spread / max(1e-300, spread.sum())
        else:
            row[_other_code(after)] += rest
    return row


def _from_interval(before, after, lo: float, hi: float, listed: dict, mass: float) -> np.ndarray:
    row = np.zeros(after.n_codes)
    qf = before.column.quantiles

    def cdf(x: float) -> float:
        return 0.0 if x == -math.inf else 1.0 if x == math.inf else float(cdf_right(qf, np.array([x]))[0])

    if after.numeric:
        whole = cdf(hi) - cdf(lo)
        for code in range(1, after.n_codes):
            a, b = _interval(after.cuts, code)
            if whole > 0:
                row[code] = max(0.0, cdf(min(hi, b)) - cdf(max(lo, a))) / whole
        if row.sum() <= 0:  # no mass by the slice's marginal: the new code holding the interval's end
            at = hi if hi != math.inf else lo
            row[1 + int(np.searchsorted(after.cuts, at, side="left"))] = 1.0
        return row / row.sum()
    inside = {v: n for v, n in listed.items() if isinstance(v, (int, float)) and lo < v <= hi}
    return _from_remainder(after, set(), inside, mass)


def merge_rules(slices: list[TableStatistics]) -> list:
    """Rules every slice found, with the row-weighted share; a map's pairs are the union of the
    slices' (dropped if two slices map one source to different targets)."""
    adapter = TypeAdapter(Rule)
    found = [[adapter.validate_python(r) for r in s.rules] for s in slices]
    rows = [s.rows for s in slices]
    merged = []
    for rule in found[0]:
        same = [next((r for r in rules if _rule_key(r) == _rule_key(rule)), None) for rules in found]
        if any(r is None for r in same):
            log.info("merge: rule %s was not found in every slice: left out", rule.text())
            continue
        share = sum(r.share * n for r, n in zip(same, rows)) / sum(rows)
        if rule.form == "map":
            pairs: dict = {}
            for r in same:
                for pair in r.pairs:
                    key = tuple((type(v).__name__, v) for v in pair.when)
                    if pairs.setdefault(key, pair).then != pair.then:
                        pairs = {}
                        break
                if not pairs:
                    break
            if not pairs:
                log.info("merge: rule %s maps a value differently in two slices: left out", rule.text())
                continue
            rule = rule.model_copy(update={"pairs": [pairs[k] for k in sorted(pairs, key=repr)]})
        merged.append(rule.model_copy(update={"share": round(min(share, 1.0), 9)}))
    return merged


def _rule_key(rule) -> str:
    raw = rule.model_dump(mode="json", exclude={"share", "pairs"})
    return repr(sorted(raw.items()))
