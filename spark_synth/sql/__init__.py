"""Spark column expressions that fit and evaluation share: how values become numbers and codes
(encodings.py) and how a rule is checked on a table's rows (rules.py), so a rule is counted
the same way when it is found and when it is reported."""
