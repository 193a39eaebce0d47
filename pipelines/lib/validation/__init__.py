"""Checking rows against their data contract: DuckDB SQL on every row, GX at the boundary."""
