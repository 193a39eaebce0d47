#!/usr/bin/env bash
# Install Debian's Chromium for the browser smoke test, only when it is missing (idempotent).
# Playwright cannot download its own browser here; tests/test_browser.py drives this binary.
set -euo pipefail
exec bash "$(dirname "$0")/apt_install.sh" chromium chromium skip \
    "the browser test will be skipped"
