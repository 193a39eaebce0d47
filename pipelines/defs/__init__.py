"""Dagster definitions, grouped by integration; ``pipelines.definitions`` merges them."""
