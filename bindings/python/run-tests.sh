#!/usr/bin/env bash
# Builds the fixbook Python package with pip (maturin backend), installs it into a venv and
# runs the pytest suite against the installed package. Runnable from any folder.
#
#   bindings/python/run-tests.sh [pytest args...]
#
# Environment:
#   CARGO_TARGET_DIR   cargo's target folder (default: the workspace's target/); the venv
#                      lives in it too, as python-venv/
#   FIXBOOK_PY_PROFILE cargo profile of the extension: dev (default: fastest build; the
#                      engine's dev artifacts are shared with `cargo build`/`cargo test`)
#                      or release
#   PYTHON             the interpreter to make the venv from (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
caller_cwd="$(pwd)"

# One target folder for cargo, maturin and the venv. pip runs maturin in bindings/python,
# so a relative CARGO_TARGET_DIR is made absolute first.
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$caller_cwd/$target" ;; esac
mkdir -p "$target"
export CARGO_TARGET_DIR="$target"

profile="${FIXBOOK_PY_PROFILE:-dev}"
venv="$target/python-venv"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "venv in $venv"
"${PYTHON:-python3}" -m venv "$venv"
# the build backend (maturin) must be on PATH for pip's --no-build-isolation build
export PATH="$venv/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install --quiet 'maturin>=1.9.4,<2' pytest mypy
# the [spark] extra's pins (pyproject.toml), for fixbook.spark and Engine.diagnose_arrow
"$venv/bin/python" -m pip install --quiet 'pyspark==4.0.1' 'pyarrow==21.0.0' 'pandas==2.3.3'

# pyspark 4 needs Java 17 or later: Debian's openjdk-17-jdk-headless when `java` is missing
if ! command -v java >/dev/null 2>&1; then
    step "apt-get install openjdk-17-jdk-headless (for the Spark tests)"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
fi

step "pip install ./bindings/python (cargo profile $profile)"
# --no-build-isolation: the venv's maturin builds, with a stable interpreter path, so
# pyo3's build script is not re-run on every install. --strip keeps the debug wheel small.
(cd "$root" && MATURIN_PEP517_ARGS="--profile $profile --strip" \
    "$venv/bin/python" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps \
    ./bindings/python)

# The CLI is only needed to compare JSON with `fixbook search --json`; when it cannot be
# built, that test is skipped (FIXBOOK_CLI=none) rather than run against a stale binary.
step "cargo build -p fixbook-cli (for the JSON comparison test)"
if command -v cargo >/dev/null && (cd "$root" && cargo build --quiet -p fixbook-cli); then
    export FIXBOOK_CLI="$target/debug/fixbook"
else
    echo "warning: fixbook-cli did not build; the CLI JSON comparison will be skipped" >&2
    export FIXBOOK_CLI=none
fi

step "pytest against the installed package"
# run from an empty folder so `import fixbook` can only find the installed package
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
"$venv/bin/python" -m pytest -p no:cacheprovider -ra "$here/tests" "$@"
