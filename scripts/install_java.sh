#!/usr/bin/env bash
# Install a Java runtime for pyspark (the Spark engine: make test-spark / make install-spark), only
# when `java` is missing (idempotent). Debian's OpenJDK 17 headless JRE: Spark 4 runs on 17 or 21.
# Unlike the browser (a smoke test that may be skipped), Spark cannot run without it: fail loudly.
set -euo pipefail
exec bash "$(dirname "$0")/apt_install.sh" java openjdk-17-jre-headless fail \
    "a Java 17 or 21 runtime: Spark cannot run without it"
