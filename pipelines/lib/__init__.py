"""Plain, testable functions behind the Dagster assets."""
