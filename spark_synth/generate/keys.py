"""Primary and foreign keys as Spark column expressions of the row index: computed, never
looked up, so a table is generated without joins or shuffles and a task needs only its rows.

- uniform(seed, stream, row, draw): xxhash64 of (seed, stream, draw, row) -> [0, 1).
- permutation(index, n): (a * index + b) mod n with gcd(a, n) = 1, a bijection of [0, n) with
  seed-derived a and b; a < 2^63 / n keeps the product exact in 64-bit integers.
- primary key of row j: integers start + j (sequential) or start + permutation(j); strings the
  mixed-radix digits of permutation(j) in the learned per-position alphabets; composite keys the
  mixed-radix digits of j (last component fastest), each digit made a value by its component:
  a reference is the parent key of permutation(digit) over the parent's rows (distinct digits,
  distinct parents), a sequence start + step * digit, a category the digit-th learned value.
- foreign key of a child row: parent rank from the popularity curve at a low-discrepancy point
  of the row (weyl), parent index =
  permutation(rank) (popular parents spread over the table), key = the parent's key expression.
  Faithful orphans use indexes n, n+1, ... which no parent has.
"""

from __future__ import annotations

import math
import random

from typing import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.errors import GenerateError
from spark_synth.model.keyspace import KeyShape, class_alphabet, lengths_vary, modulus, widened, with_room
from spark_synth.model.relational import CompositeKey, ForeignKey, KeyComponent, PrimaryKey
from spark_synth.model.schema import CLASS_CHARS, PatternModel
from spark_synth.model.types import parse_spark_type
from spark_synth.seeding import stable_key

TWO_53 = float(1 << 53)


def uniform(seed: int, stream: str, row: Column, draw: int) -> Column:
    bits = F.xxhash64(F.lit(seed), F.lit(stream), F.lit(draw), row)
    return F.pmod(bits, F.lit(1 << 53)).cast("double") / F.lit(TWO_53)


PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)


def weyl(seed: int, stream: str, row: Column) -> Column:
    """frac(offset + row * alpha) with alpha = frac(sqrt(prime)) picked per stream: a low-discrepancy
    sequence, so each parent receives close to its expected number of children (independent draws
    would add Poisson noise and turn many one-child parents into childless ones). Different
    streams use different square roots, which keeps them jointly equidistributed. The row is
    split at 2^26 so the products keep full double precision for any realistic row index."""
    key = stable_key(f"{seed}/{stream}/weyl")
    alpha = math.sqrt(PRIMES[key % len(PRIMES)]) % 1.0
    beta = (alpha * (1 << 26)) % 1.0
    offset = (key >> 11) / float(1 << 53)
    high = F.floor(row.cast("double") / F.lit(float(1 << 26)))
    low = row.cast("double") - high * F.lit(float(1 << 26))
    value = F.lit(offset) + high * F.lit(beta) + low * F.lit(alpha)
    return value - F.floor(value)


def permutation_parameters(n: int, seed: int, stream: str) -> tuple[int, int]:
    """(a, b) of the bijection index -> (a * index + b) mod n, derived from (seed, stream, n)."""
    if n <= 1:
        return 1, 0
    rng = random.Random(stable_key(f"{seed}/{stream}/{n}"))
    top = max(2, min(n, ((1 << 63) - n) // n))  # a * (n - 1) + b stays below 2^63
    a = rng.randrange(1, top)
    while math.gcd(a, n) != 1:
        a = rng.randrange(1, top)
    return a, rng.randrange(0, n)


def permutation(index: Column, n: int, seed: int, stream: str) -> Column:
    if n <= 1:
        return F.lit(0).cast("long")
    a, b = permutation_parameters(n, seed, stream)
    return F.pmod(index.cast("long") * F.lit(a) + F.lit(b), F.lit(n))


def foreign_key_stream(table: str, columns: list[str]) -> str:
    return f"{table}.{'+'.join(columns)}.fk"


def popularity_rank(parent_rows: int, seed: int, child: str, columns: list[str]) -> dict[str, int]:
    """How the engine recovers a parent's popularity rank under a foreign key from its row index:
    rank = inverse * (index - offset) mod rows, undoing the key's permutation of ranks."""
    a, b = permutation_parameters(parent_rows, seed, foreign_key_stream(child, columns))
    return {"inverse": pow(a, -1, parent_rows) if parent_rows > 1 else 0, "offset": b, "rows": parent_rows}


# parent table name -> (its primary key, its generated row count)
ParentKeys = Callable[[str], tuple[PrimaryKey | CompositeKey, int]]


def key_with_room(table: str, key: PrimaryKey | CompositeKey, pattern: PatternModel | None,
                  rows: int) -> PrimaryKey | CompositeKey:
    """The key as generated for `rows` rows: a string key's learned alphabets (privacy-filtered,
    so 54 two-letter species ids may keep room for a dozen) widened to their character class,
    lengthened only if the real keys vary in length (model/keyspace.py); else a GenerateError
    that says how many rows fit."""
    if not (isinstance(key, PrimaryKey) and key.kind == "string") or key.capacity >= rows:
        return key
    learned = KeyShape(tuple(key.alphabets), tuple(_position_class(a) for a in key.alphabets))
    roomy = with_room([learned], rows, lengthen=lengths_vary(pattern))
    if roomy is None:
        widest = modulus(widened([learned]))
        raise GenerateError(
            f"table {table!r}: primary key {key.column!r} has {len(key.alphabets)}-character keys with room for "
            f"{widest:,} distinct values (every position widened to its character class), {rows:,} rows requested. "
            f"The real keys all have {len(key.alphabets)} characters, so longer ones would not look real: generate "
            f"at most {widest:,} rows of {table!r} (a smaller --scale or --rows)")
    return key.model_copy(update={"alphabets": list(roomy[0].alphabets)})


def _position_class(alphabet: str) -> str | None:
    """The character class (A, a, 9) all of a position's characters belong to, None otherwise."""
    for cls in CLASS_CHARS:
        allowed = set(class_alphabet(cls))
        if alphabet and set(alphabet) <= allowed:
            return cls
    return None


def check_key_space(table: str, key: PrimaryKey | CompositeKey, spark_type: str | None, rows: int,
                    parents: ParentKeys | None = None) -> None:
    """Refuses a row count the key cannot make unique values for, naming what to change (string
    keys get their room from key_with_room first)."""
    if isinstance(key, CompositeKey):
        _check_composite_space(table, key, rows, parents)
        return
    if key.kind == "string":
        if key.capacity < rows:
            raise GenerateError(f"table {table!r}: primary key {key.column!r} has room for {key.capacity:,} keys, "
                                f"{rows:,} rows requested; lower the scale")
        return
    limit = parse_spark_type(spark_type).limits()[1]
    if key.start + rows - 1 > limit:
        raise GenerateError(f"table {table!r}: primary key {key.column!r} would need values up to "
                            f"{key.start + rows - 1:,}, beyond its type's maximum {limit:,}; lower the scale")


def _check_composite_space(table: str, key: CompositeKey, rows: int, parents: ParentKeys | None) -> None:
    for component, size in zip(key.components, key.sizes(rows)):
        room = None
        if component.kind == "reference" and parents is not None:
            room = parents(component.parent)[1]
        elif component.kind == "category":
            room = len(component.values)
        if room is not None and size > room:
            raise GenerateError(
                f"table {table!r}: composite key component {component.column!r} needs {size:,} distinct values for "
                f"{rows:,} rows but has {room:,} ({component.kind}); lower the scale or move a component with room "
                "to grow (a sequence) first in the key")


def digits(index: Column, sizes: list[int]) -> list[Column]:
    """Mixed-radix digits of index (last size fastest); the first digit is not wrapped."""
    out = []
    divisor = 1
    for position in range(len(sizes) - 1, -1, -1):
        quotient = index if divisor == 1 else ((index - F.pmod(index, F.lit(divisor))) / F.lit(divisor)).cast("long")
        out.append(quotient if position == 0 else F.pmod(quotient, F.lit(sizes[position])))
        divisor *= sizes[position]
    return out[::-1]


def key_values(key: PrimaryKey | CompositeKey, index: Column, rows: int, seed: int, table: str,
               parents: ParentKeys) -> list[Column]:
    """The primary key column value(s) of row `index` of `table` (which has `rows` rows), raw:
    sequence components on their numeric scale (see typed())."""
    if not isinstance(key, CompositeKey):
        return [key_of_index(key, index, rows, seed, table)]
    return [_component_value(c, d, seed, table, parents)
            for c, d in zip(key.components, digits(index, key.sizes(rows)))]


def _component_value(component: KeyComponent, digit: Column, seed: int, table: str, parents: ParentKeys) -> Column:
    if component.kind == "sequence":
        return F.lit(component.start) + digit * F.lit(component.step)
    if component.kind == "category":
        return F.element_at(F.array(*[F.lit(v) for v in component.values]), digit.cast("int") + 1)
    parent_key, parent_rows = parents(component.parent)
    parent_index = permutation(digit, parent_rows, seed, f"{table}.{component.column}.group")
    return key_of_index(parent_key, parent_index, parent_rows, seed, component.parent)


def typed(value: Column, data_type: T.DataType) -> Column:
    """A key value in its column's type; numbers on the model's scale become dates (days) and
    timestamps (microseconds) exactly, not through seconds."""
    if isinstance(data_type, T.DateType):
        return F.date_from_unix_date(value.cast("int"))
    if isinstance(data_type, T.TimestampType):
        return F.timestamp_micros(value.cast("long"))
    if isinstance(data_type, T.TimestampNTZType):
        return F.timestamp_add("MICROSECOND", value.cast("long"), F.lit("1970-01-01 00:00:00").cast("timestamp_ntz"))
    return value.cast(data_type)


def key_of_index(key: PrimaryKey, index: Column, rows: int, seed: int, table: str) -> Column:
    """The primary key of parent index `index` in a table of `rows` rows (bijective)."""
    if key.kind == "integer":
        position = index if key.sequential else permutation(index, rows, seed, f"{table}.{key.column}.pk")
        return F.lit(key.start) + position
    return encode(key, permutation(index, rows, seed, f"{table}.{key.column}.pk"))


def encode(key: PrimaryKey, number: Column) -> Column:
    """Mixed-radix digits of `number` in the key's alphabets (last position varies fastest)."""
    sizes = [len(a) for a in key.alphabets]
    divisor = 1
    divisors = []
    for size in reversed(sizes):
        divisors.append(divisor)
        divisor = min(divisor * size, 1 << 62)
    divisors.reverse()
    parts = []
    for alphabet, size, div in zip(key.alphabets, sizes, divisors):
        if size == 1:
            parts.append(F.lit(alphabet))
            continue
        # exact integer division (numbers stay below 2^53): subtract the remainder first
        quotient = ((number - F.pmod(number, F.lit(div))) / F.lit(div)).cast("long")
        digit = F.pmod(quotient, F.lit(size))
        parts.append(F.lit(alphabet).substr(digit + F.lit(1), F.lit(1)))
    return F.concat(*parts)


def add_foreign_key(df: DataFrame, fk: ForeignKey, parents: ParentKeys, row: Column, seed: int,
                    table: str, target: Callable[[str], str] = str) -> DataFrame:
    """df with the fk's column(s) replaced by the computed foreign key. Intermediate values are
    staged as columns so each is computed once (a single nested expression would repeat the
    hash and the table lookup in every digit of the key)."""
    parent_key, parent_rows = parents(fk.parent)
    stream = foreign_key_stream(table, fk.columns)
    points = len(fk.rank_at_share) - 1
    grid = F.array(*[F.lit(float(x)) for x in fk.rank_at_share])
    scaled, cell, rank, index, number, spare = (f"__fk_{name}" for name in
                                                ("scaled", "cell", "rank", "index", "number", "spare"))
    # The stored shares are 1 - (1 - t)^3 at t = k/points: map u back to t (fit/relational.py).
    t = F.lit(1.0) - F.pow(F.lit(1.0) - weyl(seed, stream, row), F.lit(1.0 / 3.0))
    df = df.withColumn(scaled, F.least(t * F.lit(float(points)), F.lit(points - 1e-9)))
    df = df.withColumn(cell, F.floor(F.col(scaled)).cast("int"))
    lower = F.element_at(grid, F.col(cell) + 1)
    fraction = lower + (F.col(scaled) - F.col(cell)) * (F.element_at(grid, F.col(cell) + 2) - lower)
    df = df.withColumn(rank, F.least(F.floor(fraction * F.lit(parent_rows)).cast("long"), F.lit(parent_rows - 1)))
    df = df.withColumn(index, permutation(F.col(rank), parent_rows, seed, stream))
    if isinstance(parent_key, PrimaryKey) and parent_key.kind == "string":
        df = df.withColumn(number, permutation(F.col(index), parent_rows, seed, f"{fk.parent}.{parent_key.column}.pk"))
        values = [encode(parent_key, F.col(number))]
    else:
        values = key_values(parent_key, F.col(index), parent_rows, seed, fk.parent, parents)
    if fk.orphans == "faithful" and fk.orphan_fraction > 0:
        df = df.withColumn(spare, uniform(seed, stream, row, 3))
        outside = _outside_values(parent_key, parent_rows, F.col(spare), values)
        if outside is not None:
            orphan = uniform(seed, stream, row, 2) < F.lit(fk.orphan_fraction)
            values = [F.when(orphan, o).otherwise(v) for o, v in zip(outside, values)]
    if fk.null_fraction > 0:
        null = uniform(seed, stream, row, 0) < F.lit(fk.null_fraction)
        values = [F.when(null, F.lit(None)).otherwise(v) for v in values]
    df = df.withColumns({target(c): typed(v, df.schema[target(c)].dataType) for c, v in zip(fk.columns, values)})
    return df.drop(scaled, cell, rank, index, number, spare)


def add_primary_key(df: DataFrame, key: PrimaryKey | CompositeKey, rows: int, row: Column, seed: int, table: str,
                    parents: ParentKeys, target: Callable[[str], str] = str) -> DataFrame:
    """df with the key's column(s) computed; `target` names a key column in df (streams always
    use the model's names, so a child computes exactly its parent's keys)."""
    if isinstance(key, PrimaryKey) and key.kind == "string":
        number = "__pk_number"
        column = target(key.column)
        df = df.withColumn(number, permutation(row, rows, seed, f"{table}.{key.column}.pk"))
        df = df.withColumn(column, encode(key, F.col(number)).cast(df.schema[column].dataType))
        return df.drop(number)
    values = key_values(key, row, rows, seed, table, parents)
    return df.withColumns({target(c): typed(v, df.schema[target(c)].dataType) for c, v in zip(key.columns, values)})


def _outside_values(key: PrimaryKey | CompositeKey, parent_rows: int, u: Column,
                    values: list[Column]) -> list[Column] | None:
    """Key values no generated parent has (None: the key has no room outside its parents)."""
    if isinstance(key, PrimaryKey):
        outside = _outside_key(key, parent_rows, u)
        return None if outside is None else [outside]
    # A sequence component past its last generated value: start + step * (size + something).
    sizes = key.sizes(parent_rows)
    for position in range(len(key.components) - 1, -1, -1):
        component = key.components[position]
        if component.kind == "sequence":
            size = sizes[position]
            beyond = F.lit(component.start) + (F.lit(size) + F.floor(u * F.lit(float(size))).cast("long")) \
                * F.lit(component.step)
            return [beyond if i == position else v for i, v in enumerate(values)]
    return None


def _outside_key(key: PrimaryKey, parent_rows: int, u: Column) -> Column | None:
    """A key no generated parent has: index parent_rows + something, not permuted."""
    if key.kind == "integer":
        return F.lit(key.start + parent_rows) + F.floor(u * F.lit(float(max(parent_rows, 1)))).cast("long")
    spare = key.capacity - parent_rows
    if spare <= 0:
        return None
    # Parent keys are encode(permutation(j)) for j < rows, i.e. all numbers below parent_rows.
    return encode(key, F.lit(parent_rows) + F.floor(u * F.lit(float(min(spare, 1 << 52)))).cast("long"))
