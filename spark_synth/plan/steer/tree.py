"""The dependency tree given the conditions (issue 16; docs/plan.md §13): exact, no rejection.

Each condition (plan/steer/conditions.py) is evidence over its column's codes (1 for a code it
allows, 0 otherwise); a range first cuts its column's codes where its values begin and end, so
each code lies wholly inside or outside it. Evidence passes up the tree to the root of its part
(belief propagation over the conditional tables: a child's message to its parent is
sum_c P(c | p) * lambda_c(c)), so a condition on a child moves its parent and, through it,
every other column. Every child on the way gets its table reweighted, P*(c | p) proportional to
P(c | p) * lambda_c(c), and the root's uniform is warped onto the codes it may take, each in
proportion to its posterior mass; the root goes first in the Cholesky factor, so its normal is
its own and the other roots follow it through their correlations. Conditions in several
independent parts warp each part's root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spark_synth.errors import GenerateError
from spark_synth.model.io import SynthModel
from spark_synth.model.marginals import UniformScale
from spark_synth.model.schema import CategoricalColumn, NumericColumn
from spark_synth.plan.steer.conditions import RARE, Condition
from spark_synth.plan.steer.ranges import Span, u_interval


@dataclass
class ConditionedTree:
    """What the plan changes: each reweighted or re-coded child's table (model form: parent code
    -> child code -> probability), the conditioned root (first in the Cholesky factor) and its
    warp; for every column a range cuts, its new code edges and each new code's old code
    (`origin`); each numeric condition's span (the plan clips to it) and the null rules' `own`
    chances the conditions fix (0: never null on its own, 1: always null)."""

    tables: dict[str, dict[str, dict[str, float]]]
    root: str | None
    warp_from: list[float]
    warp_to: list[float]
    edges: dict[str, list[float]] = field(default_factory=dict)
    origin: dict[str, list[int]] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    null_own: dict[str, float] = field(default_factory=dict)
    mass: float = 1.0  # the conditions' probability under the tree (its drawn codes)
    warps: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)  # every conditioned root's


def condition_tree(
    model: SynthModel, conditions: list[Condition], impossible_ok: bool = False
) -> ConditionedTree | None:
    """Belief propagation over the model's dependency tree (see the module docstring).
    `impossible_ok`: conditions of probability 0 give a tree of mass 0 instead of an error (for
    computing chances, never for a plan)."""
    if not conditions:
        return None
    spec = model.spec
    names = list(model.copula.columns)
    edges = {n: UniformScale(model.column(n), model.copula.bins).edges for n in names}
    spans = {c.column: c.span for c in conditions if c.span is not None}
    origin: dict[str, np.ndarray] = {}
    bounds: dict[str, tuple[float, float]] = {}  # each range's [u_low, u_high]
    for name, span in spans.items():
        if span.values and (span.low is not None or span.high is not None):
            bounds[name] = u_interval(model.column(name), span)
            edges[name], origin[name] = cut_codes(edges[name], bounds[name])
    parent_of = {d.child: d for d in spec.dependencies}
    children: dict[str, list[str]] = {n: [] for n in names}
    for d in spec.dependencies:
        children[d.parent].append(d.child)
    lam = {n: np.ones(len(edges[n]) - 1) for n in names}
    for condition in conditions:
        lam[condition.column] = lam[condition.column] * _evidence(
            model.column(condition.column), condition, edges[condition.column], bounds.get(condition.column)
        )

    def root_of(name: str) -> str:
        while name in parent_of:
            name = parent_of[name].parent
        return name

    roots = sorted({root_of(c.column) for c in conditions}, key=names.index)
    _check_independent(model, roots, {r: sorted(c.column for c in conditions if root_of(c.column) == r) for r in roots})
    tables: dict[str, dict[str, dict[str, float]]] = {}
    for d in spec.dependencies:
        if d.child in origin or d.parent in origin:
            tables[d.child] = recoded(
                d.table,
                origin.get(d.parent),
                origin.get(d.child),
                UniformScale(model.column(d.child), model.copula.bins).edges,
                edges[d.child],
            )
    for name in (n for r in roots for n in _post_order(r, children)):  # children before their parent
        dependency = parent_of.get(name)
        if dependency is not None and not (np.all(lam[name] == lam[name][0]) and lam[name][0] > 0):
            tables[name], message = _reweighted(
                tables.get(name, dependency.table), lam[name], len(edges[dependency.parent]) - 1, np.diff(edges[name])
            )
            lam[dependency.parent] = lam[dependency.parent] * message
    warps: dict[str, tuple[list[float], list[float]]] = {}
    mass = 1.0
    for root in roots:
        posterior = np.diff(edges[root]) * lam[root]
        mass *= float(posterior.sum())
        if posterior.sum() <= 0 and impossible_ok:
            return ConditionedTree(tables={}, root=root, warp_from=[], warp_to=[], mass=0.0)
        if posterior.sum() <= 0:
            raise GenerateError(
                "the conditions cannot hold together under the model (probability 0): "
                f"{'; '.join(_describe(model, c) for c in conditions)}"
            )
        cumulative = np.concatenate([[0.0], np.cumsum(posterior / posterior.sum())])
        cumulative[-1] = 1.0
        warps[root] = (cumulative.tolist(), edges[root].tolist())
    null_own = {name: (0.0 if not span.null else 1.0) for name, span in spans.items() if span.null != span.values}
    first = roots[0]
    return ConditionedTree(
        mass=mass,
        tables=tables,
        root=first,
        warp_from=warps[first][0],
        warp_to=warps[first][1],
        warps=warps,
        edges={n: edges[n].tolist() for n in origin},
        origin={n: o.tolist() for n, o in origin.items()},
        spans=spans,
        null_own=null_own,
    )


def _reweighted(
    table: dict[str, dict[str, float]], weights: np.ndarray, parent_codes: int, marginal: np.ndarray
) -> tuple[dict[str, dict[str, float]], np.ndarray]:
    """A child's table given the evidence below it, P(c | p) * lambda(c) normalized per parent
    code, and its message to the parent, sum_c P(c | p) * lambda(c); a parent code without a row
    uses the child's marginal, as the engine does."""
    message = np.zeros(parent_codes)
    out: dict[str, dict[str, float]] = {}
    for p in range(parent_codes):
        row = table.get(str(p))
        cells = {int(c): q for c, q in row.items()} if row else {c: float(m) for c, m in enumerate(marginal) if m > 0}
        weighted = {c: q * weights[c] for c, q in cells.items() if q * weights[c] > 0}
        total = sum(weighted.values())
        message[p] = total / max(sum(cells.values()), 1e-300)
        if total > 0:
            out[str(p)] = {str(c): w / total for c, w in sorted(weighted.items())}
    return out, message


INDEPENDENT_BELOW = 0.1


def _check_independent(model: SynthModel, roots: list[str], columns: dict[str, list[str]]) -> None:
    """Conditions in several parts of the model warp each part's root on its own, exact when the
    roots are independent: the plan drops the correlation between them, refused above
    INDEPENDENT_BELOW (a correlated pair would need a joint truncated normal)."""
    stored = list(model.copula.columns)
    correlation = np.asarray(model.copula.correlation, dtype=np.float64)
    for i, a in enumerate(roots):
        for b in roots[i + 1 :]:
            r = float(correlation[stored.index(a), stored.index(b)])
            if abs(r) >= INDEPENDENT_BELOW:
                raise GenerateError(
                    f"conditions on {', '.join(columns[a])} and on {', '.join(columns[b])} fall in two parts of the "
                    f"model whose roots ({a}, {b}) are correlated (r = {r:.2f}); conditions on correlated parts are "
                    "not supported yet: condition one of them"
                )


def cut_codes(edges: np.ndarray, cuts: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """`edges` with the points `cuts` added where they fall strictly inside a code, and for each
    new code the old code it lies in."""
    extra = [u for u in cuts if 0.0 < u < 1.0 and not np.any(edges == u)]
    new = np.unique(np.concatenate([edges, extra]))
    mids = (new[:-1] + new[1:]) / 2
    old_code = np.minimum(np.searchsorted(edges, mids, side="right") - 1, len(edges) - 2)
    return new, old_code


def recoded(
    table: dict[str, dict[str, float]],
    parent_origin: np.ndarray | None,
    child_origin: np.ndarray | None,
    child_old_edges: np.ndarray,
    child_new_edges: np.ndarray,
) -> dict[str, dict[str, float]]:
    """A dependency table on cut codes: a cut parent code repeats its old row; a cut child cell
    shares its probability among its new codes by their width on the u scale (the engine places a
    child uniformly inside its cell)."""
    rows = range(len(parent_origin)) if parent_origin is not None else [int(p) for p in table]
    out: dict[str, dict[str, float]] = {}
    for p in rows:
        row = table.get(str(int(parent_origin[p])) if parent_origin is not None else str(p))
        if not row:
            continue
        if child_origin is None:
            out[str(p)] = dict(row)
            continue
        old_width = np.diff(child_old_edges)
        new_width = np.diff(child_new_edges)
        cells: dict[str, float] = {}
        for code, q in row.items():
            parts = np.flatnonzero(child_origin == int(code))
            for part in parts:
                share = new_width[part] / old_width[int(code)] if old_width[int(code)] > 0 else float(part == parts[0])
                if q * share > 0:
                    cells[str(int(part))] = q * share
        out[str(p)] = cells
    return out


def _evidence(
    column: CategoricalColumn | NumericColumn,
    condition: Condition,
    edges: np.ndarray,
    bounds: tuple[float, float] | None,
) -> np.ndarray:
    """1 for the codes the condition allows. Categorical: code 0 is null, code i + 1 the i-th
    value, the last the rare values' remainder (RARE). Numeric: code 0 is null, the others
    (already cut at the range's ends) are allowed when they lie inside the range."""
    if condition.span is not None:
        span = condition.span
        out = np.zeros(len(edges) - 1)
        out[0] = float(span.null)
        if span.values:
            u_low, u_high = bounds or (edges[1], 1.0)
            mids = (edges[1:-1] + edges[2:]) / 2
            out[1:] = (mids >= u_low) & (mids <= u_high)
        return out
    assert isinstance(column, CategoricalColumn), "a condition on a number's values is a span"
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


def _describe(model: SynthModel, condition: Condition) -> str:
    if condition.span is not None:
        return f"{condition.column} {condition.span.describe(model.column(condition.column))}"
    shown = ["null" if v is None else repr(v) for v in condition.values]
    return f"{condition.column} in ({', '.join(shown)})"
