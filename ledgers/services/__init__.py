"""Writes of the ledger app: the monthly ledger, rectification items and the plan's tasks."""
