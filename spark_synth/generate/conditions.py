"""Conditions on what is generated (issue 16): exact, without rejection.

A condition keeps a categorical column of the copula to some of its values (or to null / not
null). The compiler turns the conditions into a plan of the same shape (docs/plan.md §13):

- each condition is evidence over the column's codes (1 for a code it allows, 0 otherwise);
- evidence passes up the dependency tree to the root of its part (belief propagation over the
  conditional tables: a child's message to its parent is sum_c P(c | p) * lambda_c(c)), so a
  condition on a child moves its parent and, through it, every other column;
- every child on the way gets its table reweighted, P*(c | p) proportional to P(c | p) *
  lambda_c(c): the tree draws the other columns *given* the conditions;
- the root's uniform is warped onto the codes it may take, each in proportion to its posterior
  mass (prior mass * lambda); the root goes first in the Cholesky factor, so its normal is its
  own and the other roots follow it through their correlations.

Every row then satisfies the conditions by construction, at the speed of an unconditioned plan;
a condition on a column a rule writes moves to the columns the rule reads (`_through_rules`).
Not yet: ranges on numbers and dates, conditions in two parts of the model the tree does not
connect, rebalancing; each is refused with a message that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from spark_synth.errors import GenerateError
from spark_synth.model.io import SynthModel
from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import CategoricalColumn

NULL = None  # a condition's value for "is null"


class _Rare:
    """A condition's value for the column's rare values (seen < k times, drawn as shapes): only
    conditions moved through a rule allow them, never one a user writes."""

    def __repr__(self) -> str:
        return "<rare values>"


RARE = _Rare()


@dataclass(frozen=True)
class Condition:
    """`column` takes one of `values` (model values; None stands for null)."""

    column: str
    values: tuple


_NAME = r"`(?:[^`]|``)+`|[^\s=<>!(),]+"
_TEXT_FORMS = [
    (re.compile(rf"^({_NAME})\s+is\s+not\s+null$", re.I), "not null"),
    (re.compile(rf"^({_NAME})\s+is\s+null$", re.I), "null"),
    (re.compile(rf"^({_NAME})\s+in\s*\((.*)\)$", re.I), "in"),
    (re.compile(rf"^({_NAME})\s*=\s*(.+)$"), "="),
]
WHERE_SYNTAX = ("column = value", "column in (a, b)", "column is null", "column is not null")


def parse_where(where: Any) -> list[tuple[str, Any]]:
    """(column, wanted) pairs from the API's dict ({"carrier": "UA"}, {"origin": ["JFK", "LGA"]},
    {"dep_time": None}) or the CLI's texts ("carrier = UA", "origin in (JFK, LGA)", "x is null");
    `wanted` is a value, a list of values, None (null) or the string "not null"."""
    if where is None:
        return []
    if isinstance(where, dict):
        where = list(where.items())
    if isinstance(where, str):
        where = [where]
    out = []
    for text in where:
        if isinstance(text, tuple) and len(text) == 2:  # (column, wanted): a dict item
            column, wanted = text
            out.append((str(column), list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else wanted))
            continue
        t = " ".join(str(text).split())
        for pattern, form in _TEXT_FORMS:
            m = pattern.match(t)
            if m is None:
                continue
            column = _unquote(m[1])
            if form == "not null":
                out.append((column, "not null"))
            elif form == "null":
                out.append((column, None))
            elif form == "in":
                out.append((column, [_unquote_value(v) for v in m[2].split(",") if v.strip()]))
            else:
                out.append((column, _unquote_value(m[2])))
            break
        else:
            raise GenerateError(f"condition {text!r} is not understood; write one of: {', '.join(WHERE_SYNTAX)} "
                                "(quote odd column names in backticks, values with commas in single quotes)")
    return out


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _unquote_value(text: str) -> str:
    text = text.strip()
    return text[1:-1].replace("''", "'") if len(text) >= 2 and text[0] == text[-1] == "'" else text


def conditions_of(model: SynthModel, where: Any) -> list[Condition]:
    """Check `where` against the model: one Condition per column (two on one column meet)."""
    keys = {c.name for c in model.columns if c.kind in ("id", "unique")}
    names = [c.name for c in model.columns]
    by_column: dict[str, set] = {}
    for column, wanted in parse_where(where):
        if column not in names:
            raise GenerateError(f"condition on {column!r}: the model has no such column; columns are {names}")
        spec = model.column(column)
        if column in keys:
            raise GenerateError(f"condition on {column!r}: it is a key column (unique values); condition other columns")
        if not isinstance(spec, CategoricalColumn) or spec.name not in _copula_columns(model):
            raise GenerateError(
                f"condition on {column!r}: conditions on {spec.kind} columns are not supported yet; this version "
                "conditions categorical columns (a value, a set, null / not null)")
        if getattr(spec, "place", None) is not None or getattr(spec, "from_names", None) is not None:
            raise GenerateError(f"condition on {column!r}: its values are written after the draw (a place or "
                                "an e-mail from names); condition the columns they follow")
        allowed = _allowed(spec, wanted, model.spec.privacy.min_count)
        by_column[column] = allowed if column not in by_column else by_column[column] & allowed
        if not by_column[column]:
            raise GenerateError(f"conditions on {column!r} contradict each other: no value satisfies all of them")
    _with_pair_partners(model, by_column)
    _through_rules(model, by_column)
    return [Condition(c, tuple(sorted(v, key=lambda x: (x is not None, str(x))))) for c, v in by_column.items()]


def _through_rules(model: SynthModel, by_column: dict[str, set]) -> None:
    """Rules run after the draw (docs/plan.md §12) and may change a conditioned column; the
    condition then moves to what they read, so every row still satisfies it:
    - `A -> C` (a mapping from one source): C in S keeps A to the values the mapping sends into
      S, or holds no value for (those keep the drawn C), or null; not to A's rare values;
    - `C is null when A is null`: a condition that leaves C non-null keeps A non-null;
    - any other rule writing C (a computed column, an ordering, a calendar's day): refused."""
    copula = _copula_columns(model)
    changed = True
    while changed:  # a source's new condition may itself meet a rule
        changed = False
        for rule in model.spec.rules:
            written = [c for c in rule.writes() if c in by_column]
            if not written:
                continue
            target = written[0]
            if rule.form == "null_with":
                if None in by_column[target]:
                    continue
                source = rule.when_null
                changed |= _keep(model, by_column, source, _not_null(model, source, rule), copula, rule)
            elif rule.form == "map" and len(rule.sources) == 1:
                source = model.column(rule.sources[0])
                if not isinstance(source, CategoricalColumn):
                    raise GenerateError(f"condition on {target!r}: the rule {rule.text()!r} computes it from a "
                                        f"{source.kind} column; condition {source.name!r} instead")
                sent = {_held(source, p.when[0]): p.then for p in rule.pairs}
                # (not RARE: a rare value is drawn as a shape, which may spell a key the mapping holds)
                allowed = {v for v in source.values if v not in sent or sent[v] in by_column[target]} | {None}
                changed |= _keep(model, by_column, source.name, allowed, copula, rule)
            else:
                raise GenerateError(f"condition on {target!r}: the rule {rule.text()!r} computes its value after "
                                    "the draw; condition the columns it reads instead")


def _not_null(model: SynthModel, column: str, rule) -> set:
    spec = model.column(column)
    if not isinstance(spec, CategoricalColumn):
        raise GenerateError(f"condition: the rule {rule.text()!r} makes the conditioned column null wherever "
                            f"{column!r} is, a {spec.kind} column conditions cannot reach yet")
    return set(spec.values) | {RARE}


def _keep(model: SynthModel, by_column: dict[str, set], column: str, allowed: set, copula: set, rule) -> bool:
    """Narrow `column`'s condition to `allowed`; whether it changed. Refuses a column outside the
    copula or a condition left with no value."""
    if column not in copula:
        raise GenerateError(f"condition: the rule {rule.text()!r} reads {column!r}, which conditions cannot reach")
    spec = model.column(column)
    before = by_column.get(column, set(spec.values) | {None, RARE})
    after = before & allowed
    if not after:
        raise GenerateError(f"the conditions cannot hold together with the rule {rule.text()!r}: "
                            f"no value of {column!r} is left")
    by_column[column] = after
    return after != before


def _with_pair_partners(model: SynthModel, by_column: dict[str, set]) -> None:
    """A condition on one source of a pair mapping ((origin, dest) -> distance) keeps the other
    source to the values the mapping pairs with it: `dest = HNL` flies only from the origins that
    fly there, even where the tree does not link the two columns directly."""
    copula = _copula_columns(model)
    for rule in model.spec.rules:
        if rule.form != "map" or len(rule.sources) != 2 or not set(rule.sources) <= copula:
            continue
        for i, j in ((0, 1), (1, 0)):
            given, other = rule.sources[i], rule.sources[j]
            column = model.column(other)
            if given not in by_column or not isinstance(column, CategoricalColumn):
                continue
            partners = {_held(column, p.when[j]) for p in rule.pairs if p.when[i] in by_column[given]} - {_MISSING}
            if None in by_column[given]:
                continue  # a null source is outside the mapping: nothing to say about its partner
            by_column[other] = by_column.get(other, set(column.values) | {None}) & partners
            if not by_column[other]:
                raise GenerateError(f"conditions on {given!r} and {other!r} contradict the rule {rule.text()!r}: "
                                    "no pair of real rows has both")


def _copula_columns(model: SynthModel) -> set[str]:
    return set(model.spec.copula.columns) if model.spec.copula else set()


def _allowed(column: CategoricalColumn, wanted: Any, k: int) -> set:
    """The model values (None: null) a condition allows; GenerateError for a value it does not hold."""
    if isinstance(wanted, str) and wanted == "not null":
        return set(column.values)
    if wanted is None:
        if column.null_fraction <= 0:
            raise GenerateError(f"condition {column.name!r} is null: the column was never null in the real data")
        return {None}
    values = wanted if isinstance(wanted, list) else [wanted]
    if not values:
        raise GenerateError(f"condition on {column.name!r}: an empty set of values")
    out = set()
    for value in values:
        found = _held(column, value)
        if found is _MISSING:
            raise GenerateError(
                f"condition on {column.name!r}: {value!r} is not a value the model holds ({len(column.values)} "
                f"values, e.g. {column.values[:5]}); it was never seen, or seen fewer than k = {k} times and "
                "left out by the privacy threshold")
        out.add(found)
    return out


_MISSING = object()


def _held(column: CategoricalColumn, value: Any) -> Any:
    """The model value equal to `value` (texts from the CLI match by their text)."""
    for v in column.values:
        if v == value and type(v) is type(value) or (isinstance(value, str) and _text(v) == value):
            return v
    for v in column.values:
        if v == value and not isinstance(v, bool) and not isinstance(value, bool):
            return v
    return _MISSING


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# --- the tree given the conditions --------------------------------------------------------------

@dataclass
class ConditionedTree:
    """What the plan changes: each reweighted child's table (model form: parent code -> child code
    -> probability), the conditioned root (first in the Cholesky factor) and its warp."""

    tables: dict[str, dict[str, dict[str, float]]]
    root: str | None
    warp_from: list[float]
    warp_to: list[float]


def condition_tree(model: SynthModel, conditions: list[Condition]) -> ConditionedTree | None:
    """Belief propagation over the model's dependency tree (see the module docstring)."""
    if not conditions:
        return None
    spec = model.spec
    names = list(spec.copula.columns)
    scales = {n: UniformScale(model.column(n), spec.copula.bins) for n in names}
    parent_of = {d.child: d for d in spec.dependencies}
    children: dict[str, list[str]] = {n: [] for n in names}
    for d in spec.dependencies:
        children[d.parent].append(d.child)
    lam = {n: np.ones(scales[n].n_codes) for n in names}
    for condition in conditions:
        lam[condition.column] = lam[condition.column] * _evidence(model.column(condition.column), condition)

    def root_of(name: str) -> str:
        while name in parent_of:
            name = parent_of[name].parent
        return name

    roots = {root_of(c.column) for c in conditions}
    if len(roots) > 1:
        parts = {r: sorted(c.column for c in conditions if root_of(c.column) == r) for r in roots}
        raise GenerateError(
            "conditions on columns in parts of the model the dependency tree does not connect "
            f"({'; '.join(', '.join(v) for v in parts.values())}) are not supported yet: condition one part")
    root = roots.pop()
    order = _post_order(root, children)  # children before their parent
    tables: dict[str, dict[str, dict[str, float]]] = {}
    for name in order:
        dependency = parent_of.get(name)
        if dependency is None:
            continue
        weights = lam[name]
        if np.all(weights == weights[0]) and weights[0] > 0:
            continue  # nothing below it is conditioned
        parent_codes = scales[dependency.parent].n_codes
        marginal = np.diff(scales[name].edges)
        message = np.zeros(parent_codes)
        table: dict[str, dict[str, float]] = {}
        for p in range(parent_codes):
            row = dependency.table.get(str(p))
            cells = ({int(c): q for c, q in row.items()} if row else
                     {c: float(m) for c, m in enumerate(marginal) if m > 0})  # the engine's fallback: the marginal
            weighted = {c: q * weights[c] for c, q in cells.items() if q * weights[c] > 0}
            total = sum(weighted.values())
            message[p] = total / max(sum(cells.values()), 1e-300)
            if total > 0:
                table[str(p)] = {str(c): w / total for c, w in sorted(weighted.items())}
        tables[name] = table
        lam[dependency.parent] = lam[dependency.parent] * message
    prior = np.diff(scales[root].edges)
    posterior = prior * lam[root]
    if posterior.sum() <= 0:
        raise GenerateError("the conditions cannot hold together under the model (probability 0): "
                            f"{'; '.join(_describe(c) for c in conditions)}")
    cumulative = np.concatenate([[0.0], np.cumsum(posterior / posterior.sum())])
    cumulative[-1] = 1.0
    return ConditionedTree(tables=tables, root=root, warp_from=cumulative.tolist(),
                           warp_to=scales[root].edges.tolist())


def _evidence(column: CategoricalColumn, condition: Condition) -> np.ndarray:
    """1 for the codes the condition allows: code 0 is null, code i + 1 the i-th value, the last
    the rare values' remainder (RARE)."""
    out = np.zeros(len(column.values) + 2)
    for value in condition.values:
        out[0 if value is None else -1 if value is RARE else column.values.index(value) + 1] = 1.0
    return out


def _post_order(root: str, children: dict[str, list[str]]) -> list[str]:
    out, stack = [], [(root, False)]
    while stack:
        name, done = stack.pop()
        if done:
            out.append(name)
            continue
        stack.append((name, True))
        stack.extend((c, False) for c in children[name])
    return out


def _describe(condition: Condition) -> str:
    shown = ["null" if v is None else repr(v) for v in condition.values]
    return f"{condition.column} in ({', '.join(shown)})"
