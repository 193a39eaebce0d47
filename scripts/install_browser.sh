#!/usr/bin/env bash
# Install Debian's Chromium for the browser smoke test, only when it is missing (idempotent).
# Playwright cannot download its own browser here; tests/test_browser.py drives this binary.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no chromium and no apt-get; the browser test will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser: not root and no sudo; the browser test will be skipped" >&2
        exit 0
    fi
fi
echo "install_browser: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
