"""Deterministic sample data for the CCHC warehouse: `python -m pipelines.sample_data --out DIR`.

See docs/sample_data.md for the files, their layouts, the deliberate mismatches and the
`--dirty` faults.
"""
