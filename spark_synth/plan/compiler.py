"""Compiling a model into the generation plan the JVM engine executes.

The engine (spark_synth/engine/jvm, Java) only looks things up: everything statistical is
derived here from the model file with the same code the fit used (UniformScale), and written as
flat JSON arrays. The copula is sampled as a Gaussian *tree* (the Chow-Liu tree of the model):
1. the tree roots (copula columns that are no one's child: usually one, plus a relational
   parent's driven child count) get standard normals, draw 0 of the column's counter-based
   stream (seed, column key, row) through the inverse normal CDF, correlated among themselves
   by the Cholesky factor of their correlation sub-matrix; u = Phi(z). A root that follows the
   row's position (model `rises_with`, plan `position` {rho, rows}; first in the factor) takes
   rho * Phi^-1((row + 0.5) / rows) + sqrt(1 - rho^2) * that normal instead, so an id column,
   written in row order, keeps its real order against it;
2. every Chow-Liu child, in dependency order, takes draw 0 of its stream as a uniform and uses
   it to draw its code from P(child | parent code) (a parent code without a table row falls
   back to the child's marginal) — or, for a child with a second parent (model
   `second_parent`, plan `second`), from P(child | both codes) where that pair of codes has a
   stored row, with the same uniform; a numeric child of a numeric parent then places itself inside
   its code at rho * parent position + sqrt(1 - rho^2) * own position (normal scale), so tails
   stay together (long departure delays with long arrival delays);
3. u -> code (null / category / bin) -> value: categories by index, rare remainder from the
   pattern, numbers through the quantile function, rounded and clipped:
   - doubles ("exact": false): Q(p) by linear interpolation, rounded to `step` or
     `decimal_places`; with `grid_step`, draw 1 of the column's stream decides (uniform <
     `grid_share`) whether the value is rounded to that coarser grid instead; a row whose
     parent code's `within` entry has `grid_share` uses that entry's grid in place of the
     column's (share 0: no coarser grid), in its function and in its tails alike;
   - exact columns ("exact": true; integers, dates as days, timestamps as microseconds,
     decimals as unscaled integers, all JSON integers): between stored points v_i, v_(i+1) at
     probabilities p_i, p_(i+1) the value is v_i + rint(t * (v_(i+1) - v_i)), t = (p - p_i) /
     (p_(i+1) - p_i), in 64-bit (or, past 2^63, arbitrary-precision) integer arithmetic, then
     rounded to the nearest multiple of `granularity` (ties up) and clipped to [min, max].
4. a pattern or unique column whose format follows the row (model `follows`) is one more
   categorical leaf, appended after the tree: its code (null, a shape, the text, a vocabulary
   group) is drawn like a child's, and its string from that code's *variant* (docs/plan.md §7).
A pair that is not a tree edge is therefore correlated through the tree path between the two
columns rather than by its own entry of the copula matrix: one uniform per child instead of a
normal, a dense Cholesky and a residual CDF (about 30 % of the engine's time per row), and
on flights no loss in SDMetrics' Column Pair Trends (docs/model.md).
Columns outside the copula use draw 0 of their own stream for the null flag
(uniform < null_fraction) and:
- "pattern": a string from the pattern (draw 1 picks the shape, or the text model when it
  falls in the last cell; draw 2 the prefix; draw 2 + p the character at position p; text:
  draw 2 the length Q(u) rounded, draws 3 + p the characters from `chars`, a-z when empty);
- "constant": its one value ("decimal": its exact digits as a string);
- "id": start + row * step;
- "unique": a bijection of the row index. With x = mix(stream ^ UNIQUE_SALT) (Rng.mix), the
  permutation of [0, n) is i -> (a * i + b) mod n, where a starts at 1 + x mod (top - 1),
  top = max(2, min(n, (2^63 - n) / n)), and steps up (wrapping to 1 below top) until
  gcd(a, n) = 1, and b = mix(x) mod n; for a block's inner permutation x = mix(x + block + 1).
  Integers: start + permutation_n(row), n = `modulus`. Strings: j = permutation_n(row) falls in
  the block [start, start + size) of one shape; m = j - start goes through that block's own
  scramble over min(capacity, 2^62) (docs/plan.md §8: a bijection that changes every digit
  from one row to the next) and is written in mixed radix (last position fastest)
  in the shape's alphabets. Distinct rows give distinct j, hence distinct strings. A unique
  column without shapes ("text") draws free text like a pattern, then writes j in mixed radix
  over its last `digits` characters in `alphabet` (padding short texts with alphabet[0]).
- "compose": an e-mail built from the row's written name columns (model `from_names`), after
  every other column: template, prefix lengths, digits and domain from draws 2-6 and 7+ (a unique
  column: the row's scramble in `unique_width` digits instead), the column's own pattern for
  the other rows (docs/plan.md §8).
- "place" (any string column, with its own source): in rows whose state column holds a state
  of the geo table (and whose postcode, when the table has a postcode rule, came out ZIP-shaped),
  a ZIP code of that state or its city, the same ZIP code for every part (docs/plan.md §8).
ENGINE_VERSION changes whenever the same plan would give different rows (or a new field would
be ignored by an older engine: v8 added "compose" and "place", v9 word positions, v10 rules,
v12 a parent code's own grid in `within`, v13 a child's second parent, `second`, v14 a number's
regression on another, `regression`, v15 a root that follows the row's position, `position`,
v16 a regression drawn from bands of the regressor's score, `regression.bands`, or on a second
regressor, `regression.also`, v17 the second regressor standardized inside the parent code, v18
a line that also decides the child's nulls, `regression.with_nulls`).
- "rules" (docs/plan.md §12), after every column of the row is written: null patterns until
  none changes the row, orderings (the row's values of a group sorted into its columns),
  computed columns (map, linear, div, mod, calendar) in dependency order.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from spark_synth.errors import GenerateError
from spark_synth.model.correlation import nearest_correlation
from spark_synth.model.formats import format_category
from spark_synth.model.io import SynthModel, dependency_order
from spark_synth.model.keyspace import (
    MAX_MODULUS,
    block_sizes,
    block_starts,
    describe,
    key_shapes,
    lengths_vary,
    modulus,
    shape_with_room,
    widened,
    with_room,
)
from spark_synth.model.marginals import UniformScale, rounding_step
from spark_synth.model.places import place_values, us_places
from spark_synth.model.schema import (
    CLASS_CHARS,
    WORD_CHARS,
    CategoricalColumn,
    ConstantColumn,
    IdColumn,
    NullColumn,
    NumericColumn,
    PatternColumn,
    PatternModel,
    Regression,
    RowOrder,
    UniqueColumn,
    Vocabulary,
    WordSlot,
)
from spark_synth.model.vocabulary import MAX_WORDS, rare_words, words_of_label
from spark_synth.model.words import word_shape
from spark_synth.plan.rules import compile_rules
from spark_synth.plan.steer.conditions import Condition
from spark_synth.plan.steer.ranges import Span, clipped
from spark_synth.plan.steer.tree import ConditionedTree, condition_tree
from spark_synth.seeding import stream_key

ENGINE_VERSION = 18
log = logging.getLogger(__name__)
_INDEPENDENT_SOURCES: dict[type, str] = {
    NullColumn: "null",
    PatternColumn: "pattern",
    ConstantColumn: "constant",
    IdColumn: "id",
    UniqueColumn: "unique",
}


def output_schema(model: SynthModel) -> str:
    """The output's Spark schema as `StructType.json()` writes it, built without PySpark: the
    model stores each column's `DataType.json()`; a string with a collation other than the
    default is written as "string" with the collation in the field's metadata, as Spark does."""
    fields = []
    for column in model.columns:
        data_type, metadata = json.loads(column.spark_type), {}
        if isinstance(data_type, str) and data_type.startswith("string collate "):
            collation = data_type[len("string collate ") :]
            data_type = "string"
            if collation != "UTF8_BINARY":
                provider = "spark" if collation.startswith("UTF8") else "icu"
                metadata = {COLLATIONS: {column.name: f"{provider}.{collation}"}}
        fields.append({"metadata": metadata, "name": column.name, "nullable": column.nullable, "type": data_type})
    return json.dumps({"fields": fields, "type": "struct"}, separators=(",", ":"), sort_keys=True)


COLLATIONS = "__COLLATIONS"  # Spark's field metadata key for string collations


def compile_plan(
    model: SynthModel,
    rows: int,
    driven: dict[str, dict[str, int]] | None = None,
    keys: dict[str, dict] | None = None,
    conditions: list[Condition] | None = None,
) -> str:
    """The JSON plan for spark_synth_engine to make `rows` rows (see module docstring; only
    unique columns depend on the row count, for their room). `driven` maps a copula column
    (a relational parent's hidden child count, fitted as a tree root) to the foreign key that
    drives it, {stream, rows}: the engine sets its normal to Phi^-1(1 - (rank + 0.5) / rows), rank
    = the row's place before that key's permutation, instead of drawing it. It must be a tree root
    (the fit makes it the root of the Chow-Liu tree), so every other column is drawn given it.
    `keys` maps key columns to their programs (plan/keys.py), written instead of the column's
    own values. `conditions` (plan/steer/conditions.py) reweight the tree's tables and warp the
    conditioned root's uniform, which goes first in the Cholesky factor (docs/plan.md §13)."""
    spec = model.spec
    copula_names = list(spec.copula.columns) if spec.copula else []
    driven = driven or {}
    unknown = sorted(set(driven) - set(copula_names))
    if unknown:
        raise ValueError(f"driven columns {unknown} are not copula columns of the model")
    if any(d.child in driven for d in spec.dependencies):
        raise ValueError("a driven column must not be a dependency-tree child (fit it as the root)")
    unknown = sorted(set(keys or {}) - {c.name for c in model.columns})
    if unknown:
        raise ValueError(f"key programs for {unknown}, which are not columns of the model")
    tree = condition_tree(model, conditions or [])
    seconds = kept_second_parents(spec.dependencies, tree, conditions or [])
    # A key column writes its key program, not its drawn value: no score to regress on.
    seconds -= {
        d.child for d in spec.dependencies if d.regression is not None and set(d.extra_parents) & set(keys or {})
    }
    dropped = [d.child for d in spec.dependencies if d.extra_parent is not None and d.child not in seconds]
    if dropped:
        log.info(
            "conditions: %s drawn given their tree parent only (the conditions reach them through the network: "
            "their second parents are left out, so the conditioned counts stay exact; docs/plan.md §13)",
            ", ".join(dropped),
        )
    if tree is not None and driven:
        raise ValueError("conditions on a table whose root is driven by its children are not supported")
    ordered = row_order(model, tree, driven, keys or {})
    first = list(tree.warps) if tree is not None else list(driven) or ([ordered.column] if ordered else [])
    copula_names = [n for n in copula_names if n in first] + [n for n in copula_names if n not in first]
    position = {c.name: i for i, c in enumerate(model.columns)}
    following = [
        c
        for c in model.columns
        if _follows(c, rows) and c.name not in (keys or {}) and getattr(c, "from_names", None) is None
    ]
    plan = {
        "engine_version": ENGINE_VERSION,
        "schema": output_schema(model),
        "copula": _copula(model, copula_names, position, driven, following, tree, seconds, ordered, rows),
        "columns": [
            {
                **(
                    _following_column(c, rows)
                    if c in following
                    else _column(c, c.name in copula_names, rows, tree.spans.get(c.name) if tree else None)
                ),
                "key_program": (keys or {}).get(c.name),
                "compose": _compose(c, position, rows) if c.name not in (keys or {}) else None,
                "place": _place(c, model, position, rows) if c.name not in (keys or {}) else None,
            }
            for c in model.columns
        ],
        "rules": compile_rules(model, position, set(keys or {}), tree.null_own if tree else None),
    }
    return json.dumps(plan, separators=(",", ":"), allow_nan=False)


def _copula(
    model: SynthModel,
    names: list[str],
    position: dict[str, int],
    driven: dict,
    following: list,
    tree: ConditionedTree | None = None,
    seconds: frozenset[str] = frozenset(),
    ordered: RowOrder | None = None,
    rows: int = 0,
) -> dict:
    """Variables in dependency order; the Cholesky factor covers the tree roots only, in the
    order of `names` (driven columns, the conditioned root or the root that follows the row's
    position first), and each root carries its place in it."""
    if not names:
        return {"dimension": 0, "cholesky": [], "variables": []}
    spec = model.spec
    copula = model.copula
    stored = list(copula.columns)
    order = [stored.index(n) for n in names]
    correlation = np.asarray(copula.correlation, dtype=np.float64)[np.ix_(order, order)]
    index = {name: j for j, name in enumerate(names)}
    scales = {n: UniformScale(model.column(n), copula.bins) for n in names}
    cut = tree.origin if tree else {}  # columns a range cuts (steer/tree.py cut_codes)
    cut_edges = tree.edges if tree else {}
    edges = {n: np.asarray(cut_edges[n]) if n in cut else scales[n].edges for n in names}
    codes = {n: len(edges[n]) - 1 for n in names}
    dependencies = {d.child: d for d in spec.dependencies}
    numeric_parents = {d.parent for d in spec.dependencies if scales[d.parent].numeric}
    regressors = {
        on for d in spec.dependencies if d.regression is not None and d.child in seconds for on in d.extra_parents
    }
    roots = [n for n in names if n not in dependencies]
    variables = []
    for name in dependency_order(spec):
        variable = {
            "index": index[name],
            "column": position[name],
            "edges": edges[name].tolist(),
            "keep_position": name in numeric_parents,
            "keep_score": name in regressors,
            "conditional": None,
            "within": None,
            "driven": driven.get(name),
            "root": roots.index(name) if name in roots else None,
            "warp": _warp(tree, name),
            "position": {"rho": ordered.rho, "rows": rows} if ordered and ordered.column == name else None,
        }
        dependency = dependencies.get(name)
        if dependency is not None:
            parent = dependency.parent
            table = tree.tables.get(name, dependency.table) if tree else dependency.table
            variable.update(
                parent=index[parent],
                rho=float(correlation[index[name], index[parent]]),
                parent_numeric=parent in numeric_parents,
                conditional=conditional_table(table, codes[parent]),
                # a cut child's values come from its u alone, so its codes bound them
                within=None
                if name in cut
                else within_functions(
                    recoded_rows(dependency.within, cut.get(parent)), codes[parent], model.column(name)
                ),
            )
            if dependency.second_parent is not None and name in seconds:  # under conditions: §13
                variable["second"] = second_conditional(
                    dependency.second_table or {},
                    dependency.second_rest or {},
                    index[dependency.second_parent],
                    codes[dependency.second_parent],
                    variable["conditional"],
                )
            if dependency.regression is not None and name in seconds:
                variable["regression"] = regression_plan(
                    dependency.regression, index, codes[parent], variable["conditional"]
                )
        variables.append(variable)
    for column in following:  # formats that follow the row: categorical leaves after the tree
        parent = column.follows.parent
        scale = UniformScale(format_category(column, column.follows.marginal), copula.bins)
        variables.append(
            {
                "index": len(variables),
                "column": position[column.name],
                "edges": scale.edges.tolist(),
                "keep_position": False,
                "conditional": conditional_table(recoded_rows(column.follows.table, cut.get(parent)), codes[parent]),
                "within": None,
                "driven": None,
                "root": None,
                "parent": index[parent],
                "rho": 0.0,
                "parent_numeric": parent in numeric_parents,
            }
        )
    at_roots = [index[n] for n in roots]
    block = correlation[np.ix_(at_roots, at_roots)]
    conditioned = len(tree.warps) if tree else 0  # the first roots; independent in the plan (§13)
    block[:conditioned, :conditioned] = np.eye(conditioned)
    # Stored correlations are rounded: repair the roots' block so Cholesky always succeeds.
    factor = np.linalg.cholesky(nearest_correlation(block))
    factor[:conditioned, :conditioned] = np.eye(conditioned)  # exactly: each conditioned root is its own warp
    return {"dimension": len(roots), "cholesky": factor.ravel().tolist(), "variables": variables}


def row_order(model: SynthModel, tree: ConditionedTree | None, driven: dict, keys: dict) -> RowOrder | None:
    """The root that follows the row's position (model RowOrder), or None: under conditions
    (their counts come from the tree's warped root, which the position would bend), with a
    driven root, or where the id column writes a key program instead of start + row * step, the
    order is left out (logged) and the root draws its own normal."""
    for column in model.columns:
        order = getattr(column, "rises_with", None)
        if order is None:
            continue
        if tree is not None or driven or column.name in keys:
            why = "conditions" if tree is not None else "a driven root" if driven else "a key program"
            log.info(
                "%s: %s is drawn without the row order of %s (%s)",
                model.spec.table.name,
                order.column,
                column.name,
                why,
            )
            return None
        return order
    return None


def _warp(tree: ConditionedTree | None, name: str) -> dict | None:
    if tree is None or name not in tree.warps:
        return None
    cumulative, edges = tree.warps[name]
    return {"from": cumulative, "to": edges}


def recoded_rows(rows: dict, origin: list[int] | None) -> dict:
    """Rows keyed by parent code, re-keyed for a parent whose codes a range cut: each new code
    keeps its old code's row."""
    if origin is None:
        return rows
    return {str(p): rows[str(o)] for p, o in enumerate(origin) if str(o) in rows}


def conditional_table(table: dict[str, dict[str, float]], parent_codes: int) -> dict:
    """P(child code | parent code) as flat rows: parent p's cells are row_start[p] until
    row_start[p + 1], with their child codes and cumulative probabilities (ending at exactly 1).
    A parent without cells (privacy-filtered) has an empty row: the engine falls back to the
    child's marginal."""
    row_start, cumulative, children = [0], [], []  # type: list[int], list[float], list[int]
    for parent in range(parent_codes):
        row = table.get(str(parent))
        if row:
            cells = sorted(row.items(), key=lambda kv: int(kv[0]))
            cum = np.cumsum([p for _, p in cells], dtype=np.float64)
            cum /= cum[-1]
            cum[-1] = 1.0
            cumulative.extend(cum.tolist())
            children.extend(int(c) for c, _ in cells)
        row_start.append(len(children))
    return {"row_start": row_start, "cumulative": cumulative, "children": children}


def kept_second_parents(
    dependencies: list, tree: ConditionedTree | None, conditions: list[Condition]
) -> frozenset[str]:
    """The children whose second parent the plan keeps: all without conditions; under conditions
    those none of whose descendants in the network (through first and second parents alike) holds
    evidence (a condition, a reweighted table, a warped root, a cut code) and whose parents' codes
    no range cuts. Such a child's subtree sums to 1 whatever its table, so the tree's propagation
    is exact for the rest and the child, drawn from P(child | both parents' drawn codes), is exact
    too (docs/plan.md §13)."""
    with_second = {d.child for d in dependencies if d.extra_parent is not None}
    if tree is None:
        return frozenset(with_second)
    evidence = set(tree.tables) | set(tree.warps) | set(tree.origin) | set(tree.spans) | set(tree.null_own)
    evidence |= {c.column for c in conditions}
    below: dict[str, set[str]] = {}
    for d in dependencies:
        below.setdefault(d.parent, set()).add(d.child)
        for extra in d.extra_parents:
            below.setdefault(extra, set()).add(d.child)

    def reaches_evidence(name: str, seen: set[str]) -> bool:
        if name in evidence:
            return True
        seen.add(name)
        return any(reaches_evidence(c, seen) for c in below.get(name, ()) if c not in seen)

    by_child = {d.child: d for d in dependencies}
    return frozenset(
        child
        for child in with_second
        if not reaches_evidence(child, set())
        and by_child[child].parent not in tree.origin
        and not set(by_child[child].extra_parents) & set(tree.origin)
    )


def regression_plan(regression: Regression, index: dict[str, int], parent_codes: int, first: dict) -> dict:
    """A child's regression on another number (docs/plan.md §6 step 3c), per parent code: the
    regressor's mean and scale (0 and 1 where the model has none) and the child's null share in
    its row of the first table (-1 where the row is empty: the marginal's, which the engine has),
    its bands (null: the Gaussian pair copula) and its second regressor (`index`: variable
    indices by column)."""
    null_share = []
    for p in range(parent_codes):
        start, end = first["row_start"][p], first["row_start"][p + 1]
        if start == end:
            null_share.append(-1.0)
        else:
            null_share.append(float(first["cumulative"][start]) if first["children"][start] == 0 else 0.0)
    return {
        "parent": index[regression.on],
        "rho": regression.rho,
        "mean": [regression.mean.get(str(p), 0.0) for p in range(parent_codes)],
        "scale": [regression.scale.get(str(p), 1.0) for p in range(parent_codes)],
        "null_share": null_share,
        "bands": None if regression.bands is None else regression.bands.model_dump(),
        "with_nulls": regression.with_nulls,
        "also": None
        if regression.also is None
        else {
            "parent": index[regression.also.on],
            "rho": regression.also.rho,
            "beta": regression.also.beta,
            "spread": regression.also.spread,
            "mean": [regression.also.mean.get(str(p), 0.0) for p in range(parent_codes)],
            "scale": [regression.also.scale.get(str(p), 1.0) for p in range(parent_codes)],
        },
    }


def second_conditional(
    table: dict[str, dict[str, float]], rest: dict[str, dict[str, float]], parent: int, parent_codes: int, first: dict
) -> dict:
    """P(child code | parent code a, second parent code b) as flat rows (docs/plan.md §6): one per
    stored (a, b) in ascending `keys` a * parent_codes + b — its stored cells, and the rest of its
    mass spread as the rest row of a (else the first table's row a) — then one rest row per parent
    code a of the first table (empty where the model has none: the first table draws), and per
    cell `first_cell`: the cell of row a of the first table with the same child code (-1: none),
    where a number's place inside its parent code's own function is measured."""

    def first_row(a: int) -> dict[int, float]:
        start, end = first["row_start"][a], first["row_start"][a + 1]
        probabilities = np.diff(np.asarray(first["cumulative"][start:end], dtype=np.float64), prepend=0.0)
        return dict(zip(first["children"][start:end], probabilities.tolist()))

    rows: list[tuple[int, int, dict[str, float]]] = []
    for key, row in table.items():
        first_code, second_code = key.split(",")
        rows.append((int(first_code), int(second_code), row))
    keys: list[int] = []
    row_start: list[int] = [0]
    cumulative: list[float] = []
    children: list[int] = []
    first_cell: list[int] = []

    def add_row(a: int, mixed: dict[int, float]) -> None:
        start = first["row_start"][a]
        own = {child: start + i for i, child in enumerate(first["children"][start : first["row_start"][a + 1]])}
        cells = sorted((c, p) for c, p in mixed.items() if p > 0)
        if cells:
            cum = np.cumsum([p for _, p in cells], dtype=np.float64)
            cum /= cum[-1]
            cum[-1] = 1.0
            cumulative.extend(cum.tolist())
            for child, _ in cells:
                children.append(child)
                first_cell.append(own.get(child, -1))
        row_start.append(len(children))

    for a, b, row in sorted(rows, key=lambda r: (r[0], r[1])):
        mixed = {int(c): float(p) for c, p in row.items()}
        left = 1.0 - sum(mixed.values())
        spread = {int(c): float(p) for c, p in rest[str(a)].items()} if str(a) in rest else first_row(a)
        if left > 1e-9:  # the row's rare cells' mass
            for child, p in spread.items():
                mixed[child] = mixed.get(child, 0.0) + left * p
        keys.append(a * parent_codes + b)
        add_row(a, mixed)
    for a in range(len(first["row_start"]) - 1):
        add_row(a, {int(c): float(p) for c, p in rest.get(str(a), {}).items()})
    return {
        "parent": parent,
        "codes": parent_codes,
        "keys": keys,
        "row_start": row_start,
        "cumulative": cumulative,
        "children": children,
        "first_cell": first_cell,
    }


def within_functions(within: dict, parent_codes: int, child: NumericColumn) -> list | None:
    """The child's quantile function inside each parent code (null: the marginal's bins), indexed
    by parent code, with the range its tails may reach (see tail_range); None without any."""
    if not within:
        return None
    out: list[dict | None] = []
    for p in range(parent_codes):
        f = within.get(str(p))
        if f is None:
            out.append(None)
            continue
        low, high = tail_range(list(f.probabilities), list(f.values), child.exact)
        if child.exact and child.granularity > 1:  # clipped values stay on the column's grid
            low, high = -(-low // child.granularity) * child.granularity, high // child.granularity * child.granularity
        entry = {"probabilities": list(f.probabilities), "values": list(f.values), "tail_low": low, "tail_high": high}
        if f.grid_share is not None and not child.exact:  # the code's own grid, in place of the column's
            entry |= {"grid_step": f.grid_step, "grid_share": f.grid_share}
        out.append(entry)
    return out


def tail_range(probabilities: list[float], values: list, exact: bool) -> tuple:
    """Where a category's tails (its mass below the function's first probability p0 and above its
    last pN, placed in the marginal's bins) are clipped: as far beyond each end as the same mass
    next to that end reaches inside, Q(p0) - (Q(2 p0) - Q(p0)) and Q(pN) + (Q(pN) - Q(2 pN - 1)),
    so a narrow band keeps its tails near it instead of spreading over a bin it shares with
    other categories. Computed at half scale (no overflow near the largest doubles)."""
    p = np.asarray(probabilities, dtype=np.float64)
    halves = np.asarray(values, dtype=np.float64) / 2
    first, last = halves[0], halves[-1]
    low = first - (np.interp(min(2 * p[0], p[-1]), p, halves) - first)
    high = last + (last - np.interp(max(2 * p[-1] - 1, p[0]), p, halves))
    if exact:
        return int(values[0]) - int(round(float(first - low) * 2)), int(values[-1]) + int(round(float(high - last) * 2))
    return float(low * 2), float(high * 2)


def _column(column, in_copula: bool, rows: int, span: Span | None = None) -> dict:
    out = {
        "name": column.name,
        "key": stream_key(column.name),
        "null_fraction": column.null_fraction,
        "numeric": None,
        "categories": None,
        "pattern": None,
        "variants": None,
        "id": None,
        "unique": None,
    }
    if in_copula:
        out["source"] = "copula"
        if isinstance(column, NumericColumn):
            out["numeric"] = clipped(column, span, _numeric(column)) if span is not None else _numeric(column)
        elif isinstance(column, CategoricalColumn):
            out["categories"] = list(column.values)
            if column.rare_source in ("vocabulary", "kept") and column.other_probability > 0:
                out["pattern"] = compile_words(*rare_draw(column))
            elif column.pattern is not None:
                out["pattern"] = compile_pattern(column.pattern)
        else:
            raise TypeError(f"column {column.name!r} of kind {column.kind!r} cannot be a copula column")
        return out
    source = _INDEPENDENT_SOURCES.get(type(column))
    if source is None:
        raise TypeError(f"column {column.name!r} of kind {column.kind!r} must be sampled by the copula")
    out["source"] = source
    if getattr(column, "from_names", None) is not None:  # built from the row's names (§9); rest: its pattern
        out["source"] = "compose"
        if isinstance(column, PatternColumn):
            out["pattern"] = compile_pattern(column.pattern)
    elif isinstance(column, PatternColumn) and column.vocabulary is not None:
        out["pattern"] = compile_words(*vocabulary_draw(column))
    elif isinstance(column, PatternColumn):
        out["pattern"] = compile_pattern(column.pattern)
    elif isinstance(column, ConstantColumn):
        out["categories"] = [column.value]
    elif isinstance(column, IdColumn):
        out["id"] = {"start": column.start, "step": column.step}
    elif isinstance(column, UniqueColumn):
        out["unique"] = unique_plan(column, rows)
    return out


def _following_column(column: PatternColumn | UniqueColumn, rows: int) -> dict:
    """A column whose format follows the row: a copula leaf without categories whose codes past
    null are its variants (model/formats.py)."""
    return {
        "name": column.name,
        "key": stream_key(column.name),
        "source": "copula",
        "null_fraction": column.null_fraction,
        "numeric": None,
        "categories": [],
        "pattern": None,
        "variants": format_variants(column, rows),
        "id": None,
        "unique": None,
    }


def format_variants(column: PatternColumn | UniqueColumn, rows: int) -> list[dict]:
    """One variant per format code past null: each shape alone, then the text model; or each
    vocabulary group's words (at most MAX_WORDS over all groups, so the plan stays bounded); or,
    for a unique column, each shape as a bijection of the row index with room for `rows`."""
    if isinstance(column, UniqueColumn):
        variants = []
        for index, shape in enumerate(key_shapes(_pattern_of(column))):
            room = shape_with_room(shape, rows)
            assert room is not None, "_follows keeps a unique column's format only when every shape has room"
            variants.append(
                {
                    "unique_shape": {
                        "index": index,
                        "capacity": min(room.capacity, MAX_MODULUS),
                        "alphabets": [[ord(c) for c in a] for a in room.alphabets],
                    }
                }
            )
        return variants
    if column.vocabulary is not None:
        labels = column.vocabulary.labels
        budget = max(MAX_WORDS // len(labels), 1)
        null = column.follows.marginal[0] if column.follows is not None else 0.0
        shares = (
            [m / (1.0 - null) for m in column.follows.marginal[1:]]
            if column.follows is not None and null < 1.0
            else [1.0 / len(labels)] * len(labels)
        )
        owners = frequent_owners(column)
        return [
            compile_words(*vocabulary_draw(column, label, share, budget, owners))
            for label, share in zip(labels, shares)
        ]
    pattern = column.pattern
    variants = [
        compile_pattern(PatternModel(shapes=[shape.model_copy(update={"probability": 1.0})], unit=pattern.unit))
        for shape in pattern.shapes
    ]
    if pattern.text is not None:
        variants.append(compile_pattern(PatternModel(text=pattern.text.model_copy(update={"probability": 1.0}))))
    return variants


def _follows(column, rows: int) -> bool:
    """Whether a column's format follows the row in this plan: it has `follows`, and (a unique
    column) every shape has room for `rows` distinct values on its own; otherwise its values are
    drawn independently as before, which the log says."""
    if not isinstance(column, PatternColumn | UniqueColumn) or column.follows is None:
        return False
    if isinstance(column, UniqueColumn):
        short = [s for s in key_shapes(_pattern_of(column)) if shape_with_room(s, rows) is None]
        if short:
            log.warning(
                "column %r: its shape %r holds %s distinct values, fewer than the %s rows asked for, so "
                "its shapes are drawn independently of the row (unique values need the room)",
                column.name,
                "".join(a[0] if len(a) == 1 else (c or "?") for a, c in zip(short[0].alphabets, short[0].classes)),
                f"{widened(short)[0].capacity:,}",
                f"{rows:,}",
            )
            return False
    return True


def _compose(column, position: dict[str, int], rows: int) -> dict | None:
    """An e-mail built from the row's names (model EmailFromNames; docs/plan.md §9), or None. A
    unique column builds every row and ends it with the row's number over 10^unique_width."""
    built = getattr(column, "from_names", None)
    if built is None:
        return None
    unique = isinstance(column, UniqueColumn)

    def table(shares: dict[str, float], as_int: bool) -> tuple[list, list[float]]:
        return [int(k) if as_int else k for k in shares], _cumulative(list(shares.values()))

    out: dict = {
        "given": position[built.given] if built.given else -1,
        "family": position[built.family] if built.family else -1,
        "built_share": 1.0 if unique else built.share,
        "unique_width": max(UNIQUE_MIN_DIGITS, len(str(max(rows - 1, 0)))) if unique else 0,
    }
    for field, as_int in (
        ("templates", False),
        ("given_prefix", True),
        ("family_prefix", True),
        ("digits", True),
        ("domains", False),
    ):
        values, cumulative = table(getattr(built, field), as_int)
        out[field] = values
        out[{"templates": "template", "domains": "domain"}.get(field, field) + "_cumulative"] = cumulative
    return out


UNIQUE_MIN_DIGITS = 2  # a unique e-mail's number has at least this many digits


def _place(column, model: SynthModel, position: dict[str, int], rows: int) -> dict | None:
    """A postcode, city or phone area code drawn from the public geo table for the row's state
    (model PlaceRule, docs/plan.md §8 "place"), or None (a unique postcode column: its own unique
    draw, which a draw per state with replacement would repeat). Every part of one state column draws the
    same ZIP code: the draw's stream key is the state column's with a fixed suffix. A unique phone
    column's NANP numbers also get the row's scramble as their last 7 digits (unique by
    construction), which holds UNIQUE_TAIL rows; beyond, area codes are left as drawn."""
    rule = getattr(column, "place", None)
    if rule is None:
        return None
    if rule.part == "postcode" and isinstance(column, UniqueColumn):
        # Drawn per state with replacement, a table of one row per ZIP code repeated half of them
        # at 3x its rows (issue 36): a unique postcode keeps its own draw, a bijection of the row
        # over its kept shapes (unique up to their room, then unique_plan's capacity message).
        return None
    unique_tail = UNIQUE_TAIL if rule.part == "area_code" and isinstance(column, UniqueColumn) else 0
    if unique_tail and rows > unique_tail:
        log.warning(
            "column %r: its area codes follow %r only up to %s rows (unique numbers need the room); "
            "%s rows keep the drawn ones",
            column.name,
            rule.state,
            f"{UNIQUE_TAIL:,}",
            f"{rows:,}",
        )
        return None
    postcode = next(
        (
            c.name
            for c in model.columns
            if getattr(c, "place", None) is not None and c.place.state == rule.state and c.place.part == "postcode"
        ),
        None,
    )
    states = sorted(us_places())
    start, values = [0], []
    for state in states:
        values.extend(place_values(state, rule.part))
        start.append(len(values))
    return {
        "state": position[rule.state],
        "part": rule.part,
        "key": stream_key(rule.state + PLACE_SUFFIX),
        "shape_of": position[postcode] if postcode is not None else -1,
        "unique_tail": unique_tail,
        "states": states,
        "start": start,
        "values": values,
    }


UNIQUE_TAIL = 8_000_000  # NANP exchange 2-9 then 6 digits: the rows a unique phone column's tails hold
PLACE_SUFFIX = "\u0000place"  # the ZIP code draw's stream: the state column's name + this


def _numeric(column: NumericColumn) -> dict:
    common = {
        "p_null": column.null_fraction,
        "probabilities": list(column.quantiles.probabilities),
        "values": list(column.quantiles.values),
        "min": column.min,
        "max": column.max,
    }
    if column.exact:
        return {**common, "exact": True, "granularity": column.granularity}
    return {
        **common,
        "exact": False,
        "step": rounding_step(column),
        "decimal_places": column.decimal_places,
        "grid_step": column.grid_step,
        "grid_share": column.grid_share,
    }


def unique_plan(column: UniqueColumn, rows: int) -> dict:
    """Room for `rows` unique values (widened alphabets for strings), or a GenerateError that
    says how many the column can hold."""
    if column.pattern is None:  # integers; a range wider than 2^62 is not needed whole
        assert column.start is not None and column.size is not None, "schema.py: unique integers have both"
        n = min(max(column.size, rows), MAX_MODULUS)
        low, high = column.type.bounds()
        if column.start + n - 1 > high:
            raise GenerateError(
                f"column {column.name!r} holds unique {column.type.name} values from {column.start:,}; {rows:,} rows "
                f"need values up to {column.start + n - 1:,}, beyond its type's maximum {high:,}. Generate at most "
                f"{high - column.start + 1:,} rows or widen the column's type before fitting"
            )
        return {"start": column.start, "modulus": n}
    if not any(s.shape for s in column.pattern.shapes):
        return _unique_text(column, rows)
    learned = key_shapes(column.pattern)
    shapes = with_room(learned, rows, lengthen=lengths_vary(column.pattern))
    if shapes is None:
        raise GenerateError(
            f"column {column.name!r} is unique in the real data; its {describe(learned)} have room for "
            f"{modulus(widened(learned)):,} distinct values, {rows:,} rows requested. The real values all have the same "
            "length, so longer ones would not look real: generate fewer rows, or fit with "
            f"kinds={{{column.name!r}: 'pattern'}} (--kind {column.name}=pattern) to allow repeats"
        )
    n = modulus(shapes)
    return {
        "modulus": n,
        "shapes": [
            {
                "start": start,
                "size": size,
                "capacity": min(s.capacity, MAX_MODULUS),
                "alphabets": [[ord(c) for c in a] for a in s.alphabets],
            }
            for s, start, size in zip(shapes, block_starts(shapes, n), block_sizes(shapes, n))
        ],
    }


def _pattern_of(column: PatternColumn | UniqueColumn) -> PatternModel:
    """A string column's pattern: unique strings and pattern columns always have one (schema.py)."""
    assert column.pattern is not None, f"column {column.name!r} has no pattern"
    return column.pattern


def _unique_text(column: UniqueColumn, rows: int) -> dict:
    """Free text (no shape seen often enough: notes, addresses, a tiny table's codes) drawn from
    the text model, its last `digits` characters replaced by the row's number in the column's own
    characters: as few digits as `rows` distinct numbers need, never more than the text model's
    longest length (a GenerateError says how many rows fit)."""
    source = _pattern_of(column).text
    assert source is not None, "free text of a unique column comes from its text model"
    chars = sorted(source.chars) if len(source.chars) >= 2 else [chr(c) for c in range(ord("a"), ord("z") + 1)]
    longest = max(1, max(source.lengths.values))
    digits = 1
    while len(chars) ** digits < rows and digits < longest:
        digits += 1
    if len(chars) ** digits < rows:
        raise GenerateError(
            f"column {column.name!r} is unique in the real data; its strings of at most {longest} characters from "
            f"{len(chars)} characters have room for {len(chars) ** digits:,} distinct values, {rows:,} rows "
            "requested. Longer ones would not look real: generate fewer rows, or fit with "
            f"kinds={{{column.name!r}: 'pattern'}} (--kind {column.name}=pattern) to allow repeats"
        )
    text = PatternModel(text=source.model_copy(update={"probability": 1.0}))
    return {
        "modulus": min(len(chars) ** digits, MAX_MODULUS),
        "text": compile_pattern(text),
        "alphabet": [ord(c) for c in chars],
        "digits": digits,
    }


def compile_pattern(pattern: PatternModel) -> dict:
    shapes, word_lists = [], WordLists()
    for shape in pattern.shapes:
        positions = []
        for pos, dist in enumerate(shape.positions):
            if pos in shape.words:
                positions.append(word_lists.position(shape.words[pos], lower=shape.shape[pos] == "w"))
            elif dist is not None:
                positions.append(
                    {
                        "kind": "table",
                        "chars": [ord(c) for c in dist.chars],
                        "cumulative": _cumulative(list(dist.chars.values())),
                    }
                )
            elif shape.shape[pos] in CLASS_CHARS:
                first, count = CLASS_CHARS[shape.shape[pos]]
                positions.append({"kind": "class", "first": first, "count": count})
            else:
                positions.append({"kind": "literal", "char": ord(shape.shape[pos])})
        prefix_length = shape.prefix_length if shape.prefixes else 0
        compiled = {"positions": positions, "prefix_length": prefix_length}
        if prefix_length:
            compiled["prefixes"] = [[ord(c) for c in p] for p in shape.prefixes]
            compiled["prefix_cumulative"] = _cumulative(list(shape.prefixes.values()))
        shapes.append(compiled)
    out = {
        "cumulative": _cumulative(
            [s.probability for s in pattern.shapes] + ([pattern.text.probability] if pattern.text else [])
        ),
        "shapes": shapes,
        "text": None,
        "word_lists": word_lists.lists,
    }
    if pattern.text is not None:
        chars = pattern.text.chars
        out["text"] = {
            "probabilities": list(pattern.text.lengths.probabilities),
            "lengths": list(pattern.text.lengths.values),
            "chars": [ord(c) for c in chars],
            "cumulative": _cumulative(list(chars.values())) if chars else [],
        }
    return out


class WordLists:
    """A pattern's public word lists, each compiled once however many word positions draw from it."""

    def __init__(self) -> None:
        self.lists: list[list[str]] = []
        self._index: dict[tuple, int] = {}

    def position(self, slot: WordSlot, lower: bool) -> dict:
        """A "words" position (docs/plan.md §8): the kept words by share, then one cell for the
        vocabulary's single words, drawn equally (lower-cased at a 'w' position); positions with
        the same vocabulary share one list."""
        words = list(slot.words)
        shares = list(slot.words.values())
        out = {"kind": "words", "words": words, "list": -1}
        rest = 1.0 - sum(shares)
        if slot.vocabulary is not None and rest > 1e-9:
            key = (slot.vocabulary.name, tuple(slot.vocabulary.groups), lower)
            if key not in self._index:
                public = [
                    w
                    for w in rare_words(slot.vocabulary.name, slot.vocabulary.groups, [])
                    if word_shape(w)[0] in WORD_CHARS
                ]  # one word: 'Niagara Falls' would be two
                public = [w.lower() for w in public] if lower else public
                if len(public) > MAX_SLOT_WORDS:
                    public = [public[i * len(public) // MAX_SLOT_WORDS] for i in range(MAX_SLOT_WORDS)]
                if public:
                    self._index[key] = len(self.lists)
                    self.lists.append(public)
            if key in self._index:
                out["list"] = self._index[key]
                shares.append(rest)
        out["cumulative"] = _cumulative(shares) if shares else []
        return out


MAX_SLOT_WORDS = 1024  # public words one word position draws from (evenly spaced beyond): bounds the plan


def rare_draw(column: CategoricalColumn) -> tuple[list[str], list[float]]:
    """The words a categorical column's rare mass is drawn from, with their weights: the other words
    of its vocabulary's groups (equally likely), else its kept values in their proportions."""
    if column.vocabulary is not None:
        words, weights = public_words(column.vocabulary, [str(v) for v in column.values])
        if words:
            return words, weights
    return [str(v) for v in column.values], list(column.probabilities)


def public_words(vocabulary: Vocabulary, kept: list[str], limit: int = MAX_WORDS) -> tuple[list[str], list[float]]:
    """The words of a vocabulary's groups that are not kept values, equally likely (at most `limit`)."""
    words = rare_words(vocabulary.name, vocabulary.groups, kept, limit)
    return words, [1.0] * len(words)


def vocabulary_draw(
    column: PatternColumn,
    label: str | None = None,
    share: float = 1.0,
    limit: int = MAX_WORDS,
    owners: dict[str, str] | None = None,
) -> tuple[list[str], list[float]]:
    """The words of a vocabulary column, or of its variant `label` (which holds `share` of the
    non-null rows), with their weights: its frequent words (model `frequent`) in their shares,
    the rest of the mass spread equally over the other words. A frequent word belongs to the
    first of the column's variants that holds it (`owners`, frequent_owners)."""
    vocabulary = column.vocabulary
    assert vocabulary is not None, f"column {column.name!r} draws no vocabulary"
    frequent = {w: p for w, p in column.frequent.items() if label is None or (owners or {}).get(w) == label}
    if label is None:
        others = public_words(vocabulary, list(frequent), limit)[0]
    else:
        others = [w for w in label_words(vocabulary.name, label, limit)[0] if w not in frequent]
    weights = {w: p / share for w, p in frequent.items()} if share > 0 else {}
    rest = 1.0 - sum(weights.values())
    if not weights or (rest > 1e-9 and others):
        return list(weights) + others, list(weights.values()) + [max(rest, 0.0) / len(others)] * len(others)
    return list(weights), list(weights.values())


def frequent_owners(column: PatternColumn) -> dict[str, str]:
    """Frequent word -> the first of the column's variant labels whose words hold it."""
    owner: dict[str, str] = {}
    vocabulary = column.vocabulary
    assert vocabulary is not None, f"column {column.name!r} draws no vocabulary"
    for label in vocabulary.labels:
        words = set(words_of_label(vocabulary.name, label))
        for w in column.frequent:
            if w in words:
                owner.setdefault(w, label)
    return owner


def label_words(vocabulary: str, label: str, limit: int) -> tuple[list[str], list[float]]:
    """The words of one variant of a vocabulary column (a group, or a group's names of one
    gender), sorted, equally likely, at most `limit` (evenly spaced), at least one: a variant
    without words of its own draws its group's."""
    words = sorted(words_of_label(vocabulary, label)) or sorted(words_of_label(vocabulary, label.split("/")[0]))
    if len(words) > limit:
        words = [words[i * len(words) // limit] for i in range(limit)]
    return words, [1.0] * len(words)


def compile_words(words: list[str], weights: list[float]) -> dict:
    """A list of words as a plan PATTERN (§8): one shape of literal characters per word, picked by
    its weight — so a vocabulary needs no new engine feature, and it is never called per row."""
    shapes = [{"positions": [{"kind": "literal", "char": ord(c)} for c in word], "prefix_length": 0} for word in words]
    return {"cumulative": _cumulative(weights), "shapes": shapes, "text": None}


def _cumulative(probabilities: list[float]) -> list[float]:
    cum = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    return (cum / cum[-1]).tolist()
