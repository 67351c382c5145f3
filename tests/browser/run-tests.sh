#!/usr/bin/env bash
# The agent page (`GET /` of `fixbook serve`) in a real browser: headless Chromium from
# Debian, driven by selenium through Debian's chromedriver, against the debug `fixbook`
# binary. Installs what it needs when missing. Runnable from any folder.
#
#   tests/browser/run-tests.sh [pytest args...]
#
# Environment:
#   CARGO_TARGET_DIR  cargo's target folder (default: the workspace's target/); the venv
#                     lives in it too, as browser-venv/, and the screenshots in
#                     browser-screenshots/
#   FIXBOOK_BLESS=1   also refresh docs/screenshots/ from this run
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
export CARGO_TARGET_DIR="$target"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing Debian's chromium and chromium-driver"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

venv="$target/browser-venv"
if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet \
  'selenium==4.50.0' 'pytest==8.4.2'

(cd "$root" && cargo build --quiet -p fixbook-cli)
export FIXBOOK_BIN="$target/debug/fixbook"

cd "$here"
exec "$venv/bin/pytest" -q -p no:cacheprovider "$@"
