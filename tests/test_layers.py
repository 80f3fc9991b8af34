"""The package's layers, read from its import lines (every `import`, lazy ones inside functions too).

docs/architecture.md draws them. From the bottom: the foundation (errors, seeding, the session
facts, the version), the model file (pure), the plan compiler (pure) beside the Spark expressions
fit and evaluation share, the engine, io, then fit and evaluation side by side, the public API,
the scheduled lake job, and the command line on top. A module may import its own unit or a
lower layer, never a higher one; no import circle; the plan and the model never import PySpark.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "spark_synth"

LAYERS: list[set[str]] = [
    {"errors", "seeding", "sessions", "version", "moved"},
    {"model"},
    {"plan", "names"},
    {"sql"},
    {"engine"},
    {"io"},
    {"fit", "evaluation"},
    {"api"},
    {"lake"},
    {"cli", "__init__"},
]
PURE = {"model", "plan"}  # no PySpark, so a second engine (and a unit test) can run them anywhere


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The layer unit of a module: its subpackage or top-level module (the package itself: __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path) -> list[str]:
    """Every module this file imports (absolute names; `from spark_synth import x` counts as the
    submodule x when there is one, else the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                out.append(candidate if candidate in MODULES else base)
    return out


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}
GRAPH = {
    module_name(p): sorted({m for m in imports_of(p) if m.split(".")[0] in ("spark_synth", "pyspark")}) for p in FILES
}


def layer(unit: str) -> int:
    for i, units in enumerate(LAYERS):
        if unit in units:
            return i
    raise AssertionError(
        f"spark_synth/{unit} is in no layer of tests/test_layers.py: place it (and in docs/architecture.md)"
    )


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(unit_of(module))


def test_no_import_reaches_up_a_layer():
    upward = []
    for module, imported in GRAPH.items():
        for target in imported:
            if not target.startswith("spark_synth"):
                continue
            a, b = unit_of(module), unit_of(target)
            if a != b and layer(b) >= layer(a):
                upward.append(f"{module} -> {target} ({a}: layer {layer(a)}, {b}: layer {layer(b)})")
    assert not upward, "imports from a layer to one at or above it:\n" + "\n".join(upward)


def test_only_the_top_imports_evaluation():
    importers = {
        m
        for m, imported in GRAPH.items()
        for t in imported
        if t.startswith("spark_synth.evaluation") and unit_of(m) != "evaluation"
    }
    assert importers <= {"spark_synth.cli", "spark_synth"}, importers


def test_plan_and_model_are_pure():
    impure = [
        f"{m} -> {t}"
        for m, imported in GRAPH.items()
        if unit_of(m) in PURE
        for t in imported
        if t.startswith("pyspark")
    ]
    assert not impure, impure


def test_no_import_circle():
    internal = {m: [t for t in imported if t in MODULES and t != m] for m, imported in GRAPH.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in internal[node]:
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(internal):
        if module not in state:
            visit(module, [module])
    # a package's __init__ that re-exports its submodules is not a circle of code
    circles = [c for c in circles if not _through_package_face(c)]
    assert not circles, "import circles:\n" + "\n".join(circles)


def _through_package_face(circle: str) -> bool:
    steps = circle.split(" -> ")
    return any(nxt.startswith(step + ".") for step, nxt in zip(steps, steps[1:]))


def test_old_module_paths_say_where_they_went():
    """spark_synth.generate is the generate() function; its old package's modules name their new place."""
    import importlib

    import spark_synth

    for old, new in [
        ("spark_synth.generate.relational", "spark_synth.generate_schema"),
        ("spark_synth.generate.plan", "spark_synth.plan.compiler"),
        ("spark_synth.generate.jvm", "spark_synth.engine.jvm"),
    ]:
        with pytest.raises(ModuleNotFoundError, match=new.replace(".", r"\.")):
            importlib.import_module(old)
    assert callable(spark_synth.generate) and spark_synth.generate.__module__ == "spark_synth.api"
