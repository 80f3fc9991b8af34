"""Module paths that moved, answered with where they went instead of a bare ModuleNotFoundError.

Until 0.1.0 the plan compiler, steering, the JVM engine and the scheduled job lived together in
`spark_synth.generate`; they now live in layers of their own (docs/architecture.md), and
`spark_synth.generate` is only the public `generate()` function. An old import such as
`from spark_synth.generate.relational import generate_schema` fails with the new path.
"""

from __future__ import annotations

import importlib.abc

MOVED = {
    "spark_synth.generate.plan": "spark_synth.plan.compiler (compile_plan)",
    "spark_synth.generate.plan_main": "spark_synth.plan.main",
    "spark_synth.generate.planner": "spark_synth.plan.request (plan_request) and spark_synth.engine.run (run)",
    "spark_synth.generate.rules": "spark_synth.plan.rules",
    "spark_synth.generate.keys": "spark_synth.plan.keys",
    "spark_synth.generate.relational": "spark_synth.generate_schema, and spark_synth.plan.schema for the planning",
    "spark_synth.generate.conditions": "spark_synth.plan.steer.conditions",
    "spark_synth.generate.ranges": "spark_synth.plan.steer.ranges",
    "spark_synth.generate.tree_conditions": "spark_synth.plan.steer.tree",
    "spark_synth.generate.null_branches": "spark_synth.plan.steer.null_branches",
    "spark_synth.generate.rebalance": "spark_synth.plan.steer.rebalance and spark_synth.plan.steer.parts",
    "spark_synth.generate.schedule": "spark_synth.lake.schedule",
    "spark_synth.generate.jvm": "spark_synth.engine.jvm",
}


class MovedModules(importlib.abc.MetaPathFinder):
    """Refuses an old module path with the new one (asked only for names under spark_synth.generate)."""

    def find_spec(self, fullname: str, path=None, target=None):
        if not fullname.startswith("spark_synth.generate"):
            return None
        # Python asks for the parent first, so the old package's name answers with every move.
        moves = [(fullname, MOVED[fullname])] if fullname in MOVED else list(MOVED.items())
        raise ModuleNotFoundError(
            "the spark_synth.generate package was split into layers (spark_synth.generate is now the generate() "
            "function): " + "; ".join(f"{old} -> {new}" for old, new in moves) + " (docs/architecture.md)",
            name=fullname,
        )


def install() -> None:
    import sys

    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
