"""Shared query, formatting and language helpers for the pages."""
