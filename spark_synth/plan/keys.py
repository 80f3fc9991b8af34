"""Primary and foreign keys as key programs in the plan: computed by the engine from the row
index, never looked up, so a table is generated without joins or shuffles and a task needs only
its rows. The programs' semantics are in docs/plan.md ("Key columns"); Keys.java runs them.

- permute(index, n, stream): (a * index + b) mod n, a bijection of [0, n) whose a and b the
  engine derives from (seed, stream) (UniqueKeys.affine), exact in 64-bit integers.
- primary key of row j: integers start + j (sequential) or start + permute(j); strings the
  mixed-radix digits of permute(j) in the learned per-position alphabets; composite keys the
  mixed-radix digits of j (last component fastest), each digit made a value by its component:
  a reference is the parent key of permute(digit) over the parent's rows (distinct digits,
  distinct parents), a sequence start + step * digit, a category the digit-th learned value.
- foreign key of a child row: the row's stratum (a permutation of the rows) decides whether it
  references a parent, is a faithful orphan or is null, in exact shares; referencing strata
  become a parent rank (most referenced first): the tail through its popularity curve, then a
  block per small child count c with c strata per parent (exact shares of parents with 0, 1, 2
  ... children; independent draws or a Weyl sequence, used before, turned many one-child parents
  into childless ones); parent index = permute(rank) (popular parents spread over the table),
  key = the parent's key program at that index. Faithful orphans use indexes n, n+1, ... which
  no parent has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spark_synth.errors import GenerateError
from spark_synth.model.keyspace import KeyShape, class_alphabet, lengths_vary, modulus, widened, with_room
from spark_synth.model.relational import CompositeKey, ForeignKey, KeyComponent, PrimaryKey, share_grid
from spark_synth.model.schema import CLASS_CHARS, PatternModel
from spark_synth.model.types import parse_spark_type
from spark_synth.seeding import stream_key

Node = dict[str, Any]
ROW: Node = {"op": "row"}


def permute(index: Node, n: int, stream: str) -> Node:
    return {"op": "permute", "stream": stream_key(stream), "n": max(n, 1), "of": index}


def foreign_key_stream(table: str, columns: list[str]) -> str:
    return f"{table}.{'+'.join(columns)}.fk"


def driving_rank(parent_rows: int, child: str, columns: list[str]) -> dict[str, int]:
    """The plan's `driven` entry of a parent's child-count column: the engine recovers a parent
    row's popularity rank by undoing the permutation of ranks of this foreign key's stream."""
    return {"stream": stream_key(foreign_key_stream(child, columns)), "rows": parent_rows}


# parent table name -> (its primary key, its generated row count)
ParentKeys = Callable[[str], tuple[PrimaryKey | CompositeKey, int]]


def key_with_room(
    table: str, key: PrimaryKey | CompositeKey, pattern: PatternModel | None, rows: int
) -> PrimaryKey | CompositeKey:
    """The key as generated for `rows` rows: a string key's learned alphabets (privacy-filtered,
    so 54 two-letter species ids may keep room for a dozen) widened to their character class,
    lengthened only if the real keys vary in length (model/keyspace.py); else a GenerateError
    that says how many rows fit."""
    if not (isinstance(key, PrimaryKey) and key.kind == "string") or _room(key) >= rows:
        return key
    learned = KeyShape(tuple(key.alphabets), tuple(_position_class(a) for a in key.alphabets))
    roomy = with_room([learned], rows, lengthen=lengths_vary(pattern))
    if roomy is None:
        widest = modulus(widened([learned]))
        raise GenerateError(
            f"table {table!r}: primary key {key.column!r} has {len(key.alphabets)}-character keys with room for "
            f"{widest:,} distinct values (every position widened to its character class), {rows:,} rows requested. "
            f"The real keys all have {len(key.alphabets)} characters, so longer ones would not look real: generate "
            f"at most {widest:,} rows of {table!r} (a smaller --scale or --rows)"
        )
    return key.model_copy(update={"alphabets": list(roomy[0].alphabets)})


def _position_class(alphabet: str) -> str | None:
    """The character class (A, a, 9) all of a position's characters belong to, None otherwise."""
    for cls in CLASS_CHARS:
        allowed = set(class_alphabet(cls))
        if alphabet and set(alphabet) <= allowed:
            return cls
    return None


def check_key_space(
    table: str, key: PrimaryKey | CompositeKey, spark_type: str | None, rows: int, parents: ParentKeys | None = None
) -> None:
    """Refuses a row count the key cannot make unique values for, naming what to change (string
    keys get their room from key_with_room first)."""
    if isinstance(key, CompositeKey):
        _check_composite_space(table, key, rows, parents)
        return
    if key.kind == "string":
        if _room(key) < rows:
            raise GenerateError(
                f"table {table!r}: primary key {key.column!r} has room for {key.capacity:,} keys, "
                f"{rows:,} rows requested; lower the scale"
            )
        return
    assert spark_type is not None, "an integer key's type bounds it"
    limit = parse_spark_type(spark_type).bounds()[1]
    if key.start + rows - 1 > limit:
        raise GenerateError(
            f"table {table!r}: primary key {key.column!r} would need values up to "
            f"{key.start + rows - 1:,}, beyond its type's maximum {limit:,}; lower the scale"
        )


def _check_composite_space(table: str, key: CompositeKey, rows: int, parents: ParentKeys | None) -> None:
    for component, size in zip(key.components, key.sizes(rows)):
        room = None
        if component.kind == "reference" and parents is not None:
            room = parents(_parent_of(component))[1]
        elif component.kind == "category":
            room = len(component.values)
        if room is not None and size > room:
            raise GenerateError(
                f"table {table!r}: composite key component {component.column!r} needs {size:,} distinct values for "
                f"{rows:,} rows but has {room:,} ({component.kind}); lower the scale or move a component with room "
                "to grow (a sequence) first in the key"
            )


def digits(index: Node, sizes: list[int]) -> list[Node]:
    """Mixed-radix digits of index (last size fastest); the first digit is not wrapped (size 0)."""
    out = []
    divisor = 1
    for position in range(len(sizes) - 1, -1, -1):
        out.append({"op": "digit", "divisor": divisor, "size": 0 if position == 0 else sizes[position], "of": index})
        divisor *= sizes[position]
    return out[::-1]


def number(start: int, step: int, index: Node) -> Node:
    return {"op": "number", "start": start, "step": step, "of": index}


def key_values(key: PrimaryKey | CompositeKey, index: Node, rows: int, table: str, parents: ParentKeys) -> list[Node]:
    """The primary key column value(s) of row `index` of `table` (which has `rows` rows);
    numbers on the model's scale (days, microseconds), which the engine writes in the column's type."""
    if not isinstance(key, CompositeKey):
        return [key_of_index(key, index, rows, table)]
    return [_component_value(c, d, table, parents) for c, d in zip(key.components, digits(index, key.sizes(rows)))]


def _component_value(component: KeyComponent, digit: Node, table: str, parents: ParentKeys) -> Node:
    if component.kind == "sequence":
        return number(component.start, component.step, digit)
    if component.kind == "category":
        return {"op": "category", "values": list(component.values), "of": digit}
    parent = _parent_of(component)
    parent_key, parent_rows = parents(parent)
    assert isinstance(parent_key, PrimaryKey), "a composite key's reference names a single-column key"
    parent_index = permute(digit, parent_rows, f"{table}.{component.column}.group")
    return key_of_index(parent_key, parent_index, parent_rows, parent)


def _room(key: PrimaryKey) -> int:
    """How many distinct values a string key has room for (its capacity)."""
    assert key.capacity is not None, "string keys count their room"
    return key.capacity


def _parent_of(component: KeyComponent) -> str:
    assert component.parent is not None, "model/relational.py: a reference names its parent"
    return component.parent


def key_of_index(key: PrimaryKey, index: Node, rows: int, table: str) -> Node:
    """The primary key of parent index `index` in a table of `rows` rows (bijective)."""
    if key.kind == "integer":
        return number(key.start, 1, index if key.sequential else permute(index, rows, f"{table}.{key.column}.pk"))
    return encode(key, permute(index, rows, f"{table}.{key.column}.pk"))


def encode(key: PrimaryKey, index: Node) -> Node:
    """Mixed-radix digits of the index in the key's alphabets (last position varies fastest)."""
    return {"op": "string", "alphabets": [[ord(c) for c in a] for a in key.alphabets], "of": index}


def primary_key_programs(key: PrimaryKey | CompositeKey, rows: int, table: str, parents: ParentKeys) -> dict[str, Node]:
    """Column name -> key program of a table's primary key."""
    values = key_values(key, ROW, rows, table, parents)
    return {column: {"value": value, "orphan": None, "split": None} for column, value in zip(key.columns, values)}


def foreign_key_programs(fk: ForeignKey, parents: ParentKeys, table: str, rows: int) -> dict[str, Node]:
    """Column name -> key program of a foreign key of a table of `rows` rows. Each row takes one
    stratum x (a permutation of the rows): the first `referencing` strata name a parent through
    the popularity curve, the next `orphans` strata a faithful orphan (a key no generated parent
    has), the rest are null; so the null and orphan shares are exact and every parent's children
    come from the referencing rows only."""
    parent_key, parent_rows = parents(fk.parent)
    stream = foreign_key_stream(table, fk.columns)
    nulls = round(rows * fk.null_fraction)
    outside = _outside_values(parent_key, parent_rows, stream) if fk.orphans == "faithful" else None
    orphans = round((rows - nulls) * fk.orphan_fraction) if outside is not None else 0
    referencing = rows - nulls - orphans
    stratum = permute(ROW, rows, f"{stream}.stratum")
    popular = {
        "op": "popular",
        "of": stratum,
        "count": max(referencing, 1),
        "rows": parent_rows,
        **popularity(fk, referencing, parent_rows),
    }
    values = key_values(parent_key, permute(popular, parent_rows, stream), parent_rows, fk.parent, parents)
    split = {"of": stratum, "referencing": referencing, "orphans": orphans} if nulls or orphans else None
    return {
        column: {"value": value, "orphan": None if outside is None else outside[i], "split": split}
        for i, (column, value) in enumerate(zip(fk.columns, values))
    }


def popularity(fk: ForeignKey, rows: int, parent_rows: int) -> dict:
    """How child strata become parent ranks (docs/plan.md, "popular"): parents ranked most
    referenced first; the tail (parents not kept as exact small counts) takes the first
    `tail_children` strata through its popularity curve, then each block of parents with the
    same small count c takes c strata per parent, down to the childless parents, which take none.
    Parents per block are cumulative shares times the parent rows, rounded; the tail's children
    are what the blocks leave of the child rows."""
    curve = fk.tail_rank_at_share if fk.small_counts else fk.rank_at_share
    shares = share_grid(len(fk.rank_at_share)).tolist()
    small = sorted(fk.small_counts or [], key=lambda s: -s.children)
    cumulative = 1.0 - sum(s.share for s in small)
    tail_rows = round(max(cumulative, 0.0) * parent_rows)
    rank, child, blocks = tail_rows, 0, []
    for count in small:
        cumulative += count.share
        end = min(round(cumulative * parent_rows), parent_rows)
        if count.children > 0 and end > rank:
            blocks.append([count.children, rank, child])
            child += count.children * (end - rank)
        rank = max(rank, end)
    tail_children = max(rows - child, 0) if tail_rows > 0 else 0
    return {
        "shares": shares,
        "ranks": [float(x) for x in (curve or fk.rank_at_share)],
        "tail_children": tail_children,
        "tail_rows": tail_rows,
        "blocks": blocks,
        "small_children": child,
    }


def _spare(stream: str, start: int, size: int) -> Node:
    """start + floor(u * size), u = draw 3 of the foreign key's stream: an index past the parents."""
    return {"op": "spare", "stream": stream_key(stream), "draw": 3, "start": start, "range": float(size)}


def _outside_values(key: PrimaryKey | CompositeKey, parent_rows: int, stream: str) -> list[Node | None] | None:
    """Per key column, a value no generated parent has (None: unchanged); None: no room outside."""
    if isinstance(key, PrimaryKey):
        if key.kind == "integer":
            return [number(key.start, 1, _spare(stream, parent_rows, max(parent_rows, 1)))]
        spare = _room(key) - parent_rows
        if spare <= 0:
            return None
        # Parent keys are encode(permute(j)) for j < rows, i.e. all numbers below parent_rows.
        return [encode(key, _spare(stream, parent_rows, min(spare, 1 << 52)))]
    # A sequence component past its last generated value: start + step * (size + something).
    sizes = key.sizes(parent_rows)
    for position in range(len(key.components) - 1, -1, -1):
        component = key.components[position]
        if component.kind == "sequence":
            beyond = number(component.start, component.step, _spare(stream, sizes[position], sizes[position]))
            return [beyond if i == position else None for i in range(len(key.components))]
    return None
