"""Pass 2 over the data: joint sufficient statistics, computed in numpy inside each Spark task.

Each task turns its Arrow batches into codes and normal scores (spark_synth.model.marginals) and
accumulates, for the whole partition:
- the code counts of every copula column (exact category counts for the privacy threshold);
- a contingency table of codes for each counted pair of copula columns (mutual information,
  Chow-Liu tree and conditional tables): every pair on narrow tables, chosen candidates on wide
  ones (see spark_synth.fit.fitter);
- sums and cross-products of normal scores (the Gaussian-copula correlation);
- shape, character and prefix counts of string columns, their lengths and characters.
It emits them as rows (kind, a, b, x, y, key, n, s, v) that one Spark groupBy sums (v: a row of
the cross-product matrix, summed element-wise). The result is bounded by the number of cells,
never by the row count, and is read back as a stream.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.fit.patterns import MAX_PATTERN_LENGTH, count_shapes, count_text
from spark_synth.model.marginals import UniformScale, normal_scores
from spark_synth.model.schema import CategoricalColumn, NumericColumn, QuantileFunction
from spark_synth.model.types import parse_spark_type
from spark_synth.names import quote
from spark_synth.sql.encodings import category_codes, unit_values

MAX_CODES_ANY_PARTNER = 256
MAX_CODES_HIGH_CARDINALITY_PARTNER = 64
MAX_SMALL_TABLE = 1 << 16  # cells: counted densely (bincount), cheap whatever the columns
STATS_SCHEMA = "kind string, a int, b int, x long, y long, key string, n long, s double, v array<double>"
SUM_VECTORS = (
    "aggregate(collect_list(v), array_repeat(0D, coalesce(max(size(v)), 0)), "
    "(acc, x) -> zip_with(acc, x, (p, q) -> p + q))"
)


@dataclass
class JointStats:
    rows: int = 0
    code_counts: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    pair_counts: dict[tuple[int, int], dict[tuple[int, int], int]] = field(default_factory=lambda: defaultdict(dict))
    score_sums: dict[int, float] = field(default_factory=dict)
    score_products: dict[tuple[int, int], float] = field(default_factory=dict)
    shape_counts: dict[int, dict] = field(default_factory=lambda: defaultdict(dict))
    char_counts: dict[int, dict] = field(default_factory=lambda: defaultdict(dict))
    prefix_counts: dict[int, dict] = field(default_factory=lambda: defaultdict(dict))
    length_counts: dict[int, dict] = field(default_factory=lambda: defaultdict(dict))
    text_char_counts: dict[int, dict] = field(default_factory=lambda: defaultdict(dict))


def copula_spec(column: NumericColumn | CategoricalColumn, family: str, alias: str) -> dict:
    """Plain-JSON description of a (preliminary) copula column for the executors; `alias` is its
    positional name in the fitted frame."""
    return {"family": family, "input": alias, "column": column.model_dump(mode="json")}


def collect_joint_stats(
    df: DataFrame,
    copula: list[dict],
    string_columns: list[str],
    bins: int,
    pairs: list[tuple[int, int]] | None = None,
    moments: bool = True,
) -> JointStats:
    """Run pass 2: one mapInArrow over the data plus one groupBy, then stream the sums back.
    `string_columns` are aliases; `pairs` the copula pairs to tabulate (None: every pair
    pair_is_counted allows); moments=False skips the normal-score sums."""
    spec = json.dumps(
        {
            "copula": copula,
            "strings": string_columns,
            "bins": bins,
            "moments": moments,
            "pairs": None if pairs is None else [list(p) for p in pairs],
        }
    )
    inputs = list(dict.fromkeys([c["input"] for c in copula] + list(string_columns)))
    projected = df.select(*[F.col(quote(n)) for n in inputs])

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _partition_stats(json.loads(spec), batches)

    stats = (
        projected.mapInArrow(task, STATS_SCHEMA)
        .groupBy("kind", "a", "b", "x", "y", "key")
        .agg(F.sum("n").alias("n"), F.sum("s").alias("s"), F.expr(SUM_VECTORS).alias("v"))
    )
    result = JointStats()
    for row in stats.toLocalIterator():  # bounded: one row per statistic cell, streamed
        _absorb(result, row)
    return in_key_order(result)


def in_key_order(result: JointStats) -> JointStats:
    """Every table in key order: rows stream back in the order tasks finished, and whatever
    iterates these tables (ties between equally strong parents, float sums) must see the same
    order for the same data."""
    for name in (
        "code_counts",
        "pair_counts",
        "shape_counts",
        "char_counts",
        "prefix_counts",
        "length_counts",
        "text_char_counts",
    ):
        tables = getattr(result, name)
        ordered = defaultdict(dict, {k: _sorted(tables[k]) for k in sorted(tables)})
        setattr(result, name, ordered)
    result.score_sums = dict(sorted(result.score_sums.items()))
    result.score_products = dict(sorted(result.score_products.items()))
    return result


def _sorted(table: dict) -> dict:
    """The table in key order: natural where the keys compare (codes, tuples of codes), by
    their text where they mix types (shapes and None)."""
    try:
        return dict(sorted(table.items()))
    except TypeError:
        return dict(sorted(table.items(), key=lambda item: repr(item[0])))


def _absorb(result: JointStats, row) -> None:
    kind, a, b, x, y, key, n, s, v = row
    if kind == "rows":
        result.rows = int(n)
    elif kind == "codes":  # counts of codes 0, 1, ... of copula column a
        result.code_counts[a] = {code: int(c) for code, c in enumerate(v) if c}
    # One table may come back both ways: as a vector from the partitions where it is dense and
    # as cells from those where it is mostly empty. Both add up (assigning lost the other
    # partitions' rows when the same table arrived both ways).
    elif kind == "pair":
        table = result.pair_counts[(a, b)]
        table[(x, y)] = table.get((x, y), 0) + int(n)
    elif kind == "pairs":  # a dense table: cell x * width + y, width in `x`
        counts = np.asarray(v)
        table = result.pair_counts[(a, b)]
        for c in np.flatnonzero(counts):
            cell = (int(c // x), int(c % x))
            table[cell] = table.get(cell, 0) + int(counts[c])
    elif kind == "sum":
        result.score_sums[a] = float(s)
    elif kind == "products":  # row a of the upper triangle: columns a, a+1, ...
        for offset, value in enumerate(v):
            result.score_products[(a, a + offset)] = float(value)
    elif kind == "shape":
        result.shape_counts[a][key] = int(n)
    elif kind == "char":
        result.char_counts[a][(key, int(x), chr(int(y)))] = int(n)
    elif kind == "prefix":
        shape, prefix = key.split("\x1f", 1)
        result.prefix_counts[a][(shape, prefix)] = int(n)
    elif kind == "length":
        result.length_counts[a][int(x)] = int(n)
    elif kind == "textchar":
        result.text_char_counts[a][chr(int(y))] = int(n)


# ----------------------------------------------------------------------------------------------
# Executor side
# ----------------------------------------------------------------------------------------------


def scale_from_spec(entry: dict, bins: int) -> UniformScale:
    """The codes a copula entry was counted in (its bins or categories): pass 2's, and fit/merge.py's
    to re-express one slice's codes in another's."""
    raw = entry["column"]
    if raw["kind"] in ("categorical", "boolean"):
        column = CategoricalColumn.model_construct(**raw)
    else:
        raw = dict(raw, quantiles=QuantileFunction.model_construct(**raw["quantiles"]))
        column = NumericColumn.model_construct(**raw)
    return UniformScale(column, bins)


def _partition_stats(spec: dict, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    bins = spec["bins"]
    entries = spec["copula"]
    scales = [scale_from_spec(e, bins) for e in entries]
    types = [parse_spark_type(e["column"]["spark_type"]) for e in entries]
    d = len(entries)
    if spec["pairs"] is None:
        counted_pairs = [
            (i, j)
            for i in range(d)
            for j in range(i + 1, d)
            if pair_is_counted(scales[i].n_codes, scales[j].n_codes, not scales[i].numeric, not scales[j].numeric)
        ]
    else:
        counted_pairs = [tuple(p) for p in spec["pairs"]]
    # Small tables are counted densely (bincount), large ones sparsely (unique + merge).
    dense_pairs = {
        (i, j): np.zeros(scales[i].n_codes * scales[j].n_codes, dtype=np.int64)
        for i, j in counted_pairs
        if scales[i].n_codes * scales[j].n_codes <= 1 << 16
    }
    rows = 0
    code_counts = [np.zeros(s.n_codes, dtype=np.int64) for s in scales]
    pair_keys: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    sums = np.zeros(d)
    products = np.zeros((d, d))
    strings = spec["strings"]
    shapes = [defaultdict(int) for _ in strings]
    chars = [defaultdict(int) for _ in strings]
    prefixes = [defaultdict(int) for _ in strings]
    lengths = [defaultdict(int) for _ in strings]
    text_chars = [defaultdict(int) for _ in strings]

    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        rows += n
        codes = np.empty((n, d), dtype=np.int64)
        scores = np.empty((n, d)) if spec["moments"] else None
        for j, (entry, scale) in enumerate(zip(entries, scales)):
            codes[:, j], u = codes_and_u(batch.column(entry["input"]), entry, scale, types[j])
            if scores is not None:
                scores[:, j] = normal_scores(u)
            code_counts[j] += np.bincount(codes[:, j], minlength=scale.n_codes)
        if scores is not None:
            sums += scores.sum(axis=0)
            products += scores.T @ scores
        for i, j in counted_pairs:
            combined = codes[:, i] * scales[j].n_codes + codes[:, j]
            if (i, j) in dense_pairs:
                dense_pairs[(i, j)] += np.bincount(combined, minlength=len(dense_pairs[(i, j)]))
                continue
            pair_keys[(i, j)].append(np.unique(combined, return_counts=True))
            if len(pair_keys[(i, j)]) >= 16:
                pair_keys[(i, j)] = [merge_counts(pair_keys[(i, j)])]
        for s, name in enumerate(strings):
            column = batch.column(name).drop_null()
            if not len(column):
                continue
            everything = column.to_numpy(zero_copy_only=False).astype(str)
            length_n, text_n = count_text(everything)
            for key, c in length_n.items():
                lengths[s][key] += c
            for key, c in text_n.items():
                text_chars[s][key] += c
            short = everything[np.char.str_len(everything) <= MAX_PATTERN_LENGTH]
            if len(short):
                shape_n, char_n, prefix_n = count_shapes(short)
                for key, c in shape_n.items():
                    shapes[s][key] += c
                for key, c in char_n.items():
                    chars[s][key] += c
                for key, c in prefix_n.items():
                    prefixes[s][key] += c

    if rows == 0:
        return
    out = _StatsBuilder()
    out.add("rows", n=[rows])
    for j in range(d):
        out.add_vector("codes", a=j, v=code_counts[j])
    if spec["moments"]:
        out.add("sum", a=np.arange(d), s=sums)
        for i in range(d):
            out.add_vector("products", a=i, v=products[i, i:])
    # Dense tables travel as one vector each (element-wise sums in Spark: few rows to read back).
    for (i, j), table in dense_pairs.items():
        if np.count_nonzero(table) * 4 >= len(table):
            out.add_vector("pairs", a=i, v=table, b=j, x=scales[j].n_codes)
        else:  # mostly empty (few rows, many codes): only the cells seen
            pair_keys[(i, j)] = [(np.flatnonzero(table), table[table > 0])]
    for (i, j), parts in pair_keys.items():
        keys, counts = merge_counts(parts)
        out.add("pair", a=i, b=j, x=keys // scales[j].n_codes, y=keys % scales[j].n_codes, n=counts)
    for s in range(len(strings)):  # one add per kind of count: no per-item Python calls
        out.add("shape", a=s, key=list(shapes[s]), n=list(shapes[s].values()))
        out.add(
            "char",
            a=s,
            x=[pos for _, pos, _ in chars[s]],
            y=[ord(char) for *_, char in chars[s]],
            key=[shape for shape, _, _ in chars[s]],
            n=list(chars[s].values()),
        )
        out.add(
            "prefix", a=s, key=[shape + "\x1f" + prefix for shape, prefix in prefixes[s]], n=list(prefixes[s].values())
        )
        out.add("length", a=s, x=list(lengths[s]), n=list(lengths[s].values()))
        out.add("textchar", a=s, y=[ord(char) for char in text_chars[s]], n=list(text_chars[s].values()))
    yield out.batch()


def codes_and_u(array: pa.Array, entry: dict, scale: UniformScale, spark_type) -> tuple[np.ndarray, np.ndarray]:
    """A copula column's codes (null, categories or bins) and the u of each row, from Arrow."""
    if scale.numeric:
        values, is_null = unit_values(array, spark_type)
        return scale.numeric_codes_and_u(values, is_null)
    codes = category_codes(array, entry["column"]["values"])
    return codes, scale.code_midpoints(codes)


def coded_with_ties(
    array: pa.Array, entry: dict, scale: UniformScale, spark_type
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """codes_and_u, and the u interval each row's value spans: its point mass's for a number (its
    u twice without one), its code's for a category; one decode of the batch's column."""
    if scale.numeric:
        values, is_null = unit_values(array, spark_type)
        return scale.numeric_codes_u_and_ties(values, is_null)
    codes = category_codes(array, entry["column"]["values"])
    return codes, scale.code_midpoints(codes), (scale.edges[codes], scale.edges[codes + 1])


def pair_is_counted(codes_i: int, codes_j: int, categorical_i: bool, categorical_j: bool) -> bool:
    """Which pairs get a contingency table. A high-cardinality column (more than
    MAX_CODES_ANY_PARTNER codes, e.g. 4,000 tail numbers) is only paired with low-cardinality
    categorical columns, or with any column when the table stays within MAX_SMALL_TABLE cells (a
    country's 170 codes with a time zone's 257): its table with a binned number would cost
    ~codes x bins cells for little gain, and the model must stay small."""
    if max(codes_i, codes_j) <= MAX_CODES_ANY_PARTNER or codes_i * codes_j <= MAX_SMALL_TABLE:
        return True
    low, low_is_categorical = (codes_j, categorical_j) if codes_i > codes_j else (codes_i, categorical_i)
    return low_is_categorical and low <= MAX_CODES_HIGH_CARDINALITY_PARTNER


class _StatsBuilder:
    """Collects statistics column-wise (numpy arrays, no per-row Python) into one batch."""

    FIELDS = (
        ("kind", pa.string()),
        ("a", pa.int32()),
        ("b", pa.int32()),
        ("x", pa.int64()),
        ("y", pa.int64()),
        ("key", pa.string()),
        ("n", pa.int64()),
        ("s", pa.float64()),
    )

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []
        self.vectors: list[tuple[str, int, np.ndarray]] = []

    def add(self, kind: str, a=0, b=0, x=0, y=0, key: str | list[str] = "", n=0, s=0.0) -> None:
        """Rows of one kind: every argument a scalar or an array (all arrays of one length)."""
        keys = np.asarray(key, dtype=object)
        sizes = [np.size(v) for v in (a, b, x, y, n, s)] + [keys.size]
        if 0 in sizes:  # an empty array argument: nothing to add (e.g. no copula columns)
            return
        length = max(sizes)
        values = dict(a=a, b=b, x=x, y=y, n=n, s=s)
        part = {name: np.broadcast_to(np.asarray(v), (length,)) for name, v in values.items()}
        part["kind"] = np.full(length, kind, dtype=object)
        part["key"] = np.broadcast_to(keys, (length,))
        self.parts.append(part)

    def add_vector(self, kind: str, a: int, v: np.ndarray, b: int = 0, x: int = 0) -> None:
        """One row whose `v` Spark sums element-wise (rows of the same key have equal lengths)."""
        self.vectors.append((kind, a, b, x, np.asarray(v, dtype=np.float64)))

    def batch(self) -> pa.RecordBatch:
        columns = {
            name: [np.concatenate([p[name] for p in self.parts])] if self.parts else [] for name, _ in self.FIELDS
        }
        if self.vectors:
            extra = len(self.vectors)
            for name, values in (
                ("kind", [k for k, *_ in self.vectors]),
                ("a", [a for _, a, *_ in self.vectors]),
                ("b", [b for _, _, b, _, _ in self.vectors]),
                ("x", [x for *_, x, _ in self.vectors]),
                ("y", [0] * extra),
                ("key", [""] * extra),
                ("n", [0] * extra),
                ("s", [0.0] * extra),
            ):
                columns[name].append(np.asarray(values, dtype=object if name in ("kind", "key") else None))
        arrays = [pa.array(np.concatenate(columns[name]), type=t) for name, t in self.FIELDS]
        scalars = sum(len(p["a"]) for p in self.parts)
        offsets = np.concatenate([[0], np.cumsum([0] * scalars + [len(v) for *_, v in self.vectors])])
        values = np.concatenate([v for *_, v in self.vectors]) if self.vectors else np.zeros(0)
        vectors = pa.ListArray.from_arrays(
            pa.array(offsets, type=pa.int32()),
            pa.array(values, type=pa.float64()),
            mask=pa.array([True] * scalars + [False] * len(self.vectors)),
        )
        schema = pa.schema(list(self.FIELDS) + [("v", pa.list_(pa.float64()))])
        return pa.RecordBatch.from_arrays(arrays + [vectors], schema=schema)


def merge_counts(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=counts).astype(np.int64)
