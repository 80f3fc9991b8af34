"""Steering what is generated: conditions, ranges, rebalancing (docs/plan.md §13).

parts.py is the entry point (a request -> row ranges, each with its conditions); conditions.py
parses and checks conditions and moves them through the rules; ranges.py maps a range onto the
u scale; tree.py conditions the dependency tree; null_branches.py splits a null the rules decide
into its causes; rebalance.py allocates exact shares.
"""
