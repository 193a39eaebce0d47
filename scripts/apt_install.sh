#!/usr/bin/env bash
# Install a Debian package when the command it provides is missing (idempotent), as root or
# through sudo. Shared by install_java.sh and install_browser.sh.
#
#   scripts/apt_install.sh COMMAND PACKAGE fail|skip WHY
#
# When the package cannot be installed (no apt-get, not root and no sudo): `fail` exits 1 (the
# caller cannot run without it), `skip` exits 0 after saying WHY (a test that skips itself).
set -euo pipefail

if [ "$#" -ne 4 ] || { [ "$3" != fail ] && [ "$3" != skip ]; }; then
    echo "usage: $0 COMMAND PACKAGE fail|skip WHY" >&2
    exit 2
fi
command_name=$1
package=$2
when_impossible=$3
why=$4
caller=apt_install

if command -v "$command_name" >/dev/null 2>&1; then
    exit 0
fi
cannot() {
    echo "$caller: no $command_name and $1: install $package ($why)" >&2
    if [ "$when_impossible" = fail ]; then exit 1; fi
    exit 0
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || cannot "not root and no sudo"
    SUDO="sudo"
fi
echo "$caller: installing Debian's $package"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$package" >/dev/null
command -v "$command_name" >/dev/null 2>&1 || { echo "$caller: $package installed no $command_name" >&2; exit 1; }
