"""The model's size budget (`max_model_mb`): second parents only while the model stays within it.

A second parent (a table or a regression, fit/network.py and fit/regression.py) buys dependence
with bytes. The budget keeps the model file small enough to ship and review: when the fitted
model is over it, the second parents that gain least per byte are left out until it fits; the
tree itself (every column's marginal, its one parent's table) is never cut, since without it
the generator would be wrong, not just coarser.

Two kinds of budget:
- the default (max_model_mb=None: DEFAULT_MAX_MODEL_MB) bounds the structure search only: a
  table whose tree alone is larger (a 1,000-column table's correlation matrix) keeps its tree,
  with a log line saying so, exactly as before second parents existed;
- a budget the user sets is a promise: a tree alone over it is refused with a clear error naming
  the table, its largest parts and the size it needs.
"""

from __future__ import annotations

import logging
import math

from spark_synth.errors import ArgumentError
from spark_synth.model.json_text import model_json
from spark_synth.model.schema import Dependency, SynthModelFile

log = logging.getLogger(__name__)

DEFAULT_MAX_MODEL_MB = 2.0
MIB = 1 << 20
EXTRA_FIELDS = ("second_parent", "second_table", "second_rest", "regression")
LARGEST_PARTS = 3


def check_max_model_mb(value: object) -> None:
    """None (the default budget) or a positive number of MiB; a clear error otherwise."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ArgumentError(f"max_model_mb must be a positive number of MiB, got {value!r}")


def model_bytes(spec: SynthModelFile) -> int:
    """The size of the model file as SynthModel.save writes it."""
    return len(_json(spec.model_dump(mode="json", exclude_none=True)))


def within_budget(spec: SynthModelFile, max_model_mb: float | None, gains: dict[str, float]) -> SynthModelFile:
    """`spec` with its second parents cut, least gain per byte first, until the file fits the
    budget; `gains` are each child's second parent's net gain (nats per row). A set budget that
    even the tree exceeds is refused (ArgumentError); the default one is logged."""
    limit = (DEFAULT_MAX_MODEL_MB if max_model_mb is None else max_model_mb) * MIB
    size = model_bytes(spec)
    if size <= limit:
        return spec
    extras = [d for d in spec.dependencies if d.extra_parent is not None]
    cost = {d.child: _extra_bytes(d) for d in extras}
    cut: set[str] = set()
    for d in sorted(extras, key=lambda d: (gains.get(d.child, 0.0) / max(cost[d.child], 1), d.child)):
        if size <= limit:
            break
        cut.add(d.child)
        size -= cost[d.child]
    if cut:
        log.info(
            "fit %s: second parents of %s left out to keep the model within %.2f MiB",
            spec.table.name,
            ", ".join(sorted(cut)),
            limit / MIB,
        )
        spec = spec.model_copy(
            update={
                "dependencies": [
                    d.model_copy(update=dict.fromkeys(EXTRA_FIELDS)) if d.child in cut else d for d in spec.dependencies
                ]
            }
        )
    size = model_bytes(spec)
    if size > limit:
        parts = ", ".join(f"{name} ({n / 1024:,.0f} KiB)" for name, n in largest_parts(spec))
        message = (
            f"table {spec.table.name}: the model needs {size / MIB:.2f} MiB without any second parent, over "
            f"max_model_mb={limit / MIB:g}; its largest parts: {parts}"
        )
        if max_model_mb is not None:
            raise ArgumentError(
                f"{message}. Set max_model_mb to at least {math.ceil(size / MIB * 100) / 100:g}, or fit fewer "
                "columns (a high-cardinality column's categories, a wide table's correlations)"
            )
        log.info("%s: kept (the default budget bounds second parents only)", message)
    return spec


def largest_parts(spec: SynthModelFile) -> list[tuple[str, int]]:
    """The LARGEST_PARTS largest parts of the file: columns, dependencies, the copula, rules."""
    parts = [(f"column {c.name}", len(_json(c.model_dump(mode="json", exclude_none=True)))) for c in spec.columns]
    parts += [
        (f"dependency {d.parent} -> {d.child}", len(_json(d.model_dump(mode="json", exclude_none=True))))
        for d in spec.dependencies
    ]
    if spec.copula is not None:
        parts.append(("the copula's correlations", len(_json(spec.copula.model_dump(mode="json", exclude_none=True)))))
    if spec.rules:
        parts.append(("rules", len(_json([r.model_dump(mode="json", exclude_none=True) for r in spec.rules]))))
    return sorted(parts, key=lambda p: -p[1])[:LARGEST_PARTS]


def _extra_bytes(d: Dependency) -> int:
    whole = d.model_dump(mode="json", exclude_none=True)
    plain = {k: v for k, v in whole.items() if k not in EXTRA_FIELDS}
    return len(_json(whole)) - len(_json(plain))


def _json(value) -> bytes:
    return model_json(value).encode()
