"""Scheduled lake generation: one partition per (table, date), reproducible and replaceable."""
