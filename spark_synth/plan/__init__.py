"""The plan compiler: a model (and a user's request) -> the plan document every engine executes.

Pure Python (numpy, no Spark): it can be run and unit-tested anywhere. docs/plan.md is the
contract; compiler.py writes one table's plan, rules.py and keys.py its rules and key programs,
steer/ turns conditions and rebalancing into plan edits and row ranges, request.py and
schema.py compile a whole request (one table, or a relational schema) into engine scans, and
main.py is the command the JVM data source runs to compile a model it read.
"""
