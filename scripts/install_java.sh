#!/usr/bin/env bash
# Install a Java runtime for pyspark (the Spark engine: make test-spark / make install-spark), only
# when `java` is missing (idempotent). Debian's OpenJDK 17 headless JRE: Spark 4 runs on 17 or 21.
# Unlike the browser (a smoke test that may be skipped), Spark cannot run without it: fail loudly.
set -euo pipefail

if command -v java >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_java: no java and no apt-get: install a Java 17 or 21 runtime for Spark" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_java: no java, not root and no sudo: install openjdk-17-jre-headless" >&2
        exit 1
    fi
fi
echo "install_java: installing Debian's openjdk-17-jre-headless"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
java -version
