#!/usr/bin/env bash
# Runs every test of the project: Rust (engine, CLI, C binding crate), the packs' own
# examples through the CLI, the C test programs, a real django-helpdesk against `fixbook serve`,
# the Python package with pytest, and the agent page in headless Chromium. Installs what it
# needs (valgrind, maturin, pytest, chromium, selenium) when missing. Debug builds only.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Rust tests (engine, CLI, C binding crate)"
cargo test --quiet   # default members: engine, CLI, C binding (Python: pytest below)

step "Pack examples and lint (fixbook test / fixbook lint), shipped packs and the tutorial's"
for pack in packs/*/ docs/tutorial/*/; do
  cargo run --quiet -p fixbook-cli -- lint --deny-warnings "$pack"
  cargo run --quiet -p fixbook-cli -- test "$pack"
done

step "Pack files against the JSON Schema (taplo)"
if ! command -v taplo >/dev/null 2>&1; then
  npm install --global --silent @taplo/cli >/dev/null
fi
shopt -s globstar nullglob
taplo check packs/**/*.toml docs/tutorial/**/*.toml
shopt -u globstar nullglob

if [ -x bindings/c/run-tests.sh ] || [ -f bindings/c/run-tests.sh ]; then
  step "C binding"
  bash bindings/c/run-tests.sh
fi

step "django-helpdesk: new-ticket webhook -> fixbook serve -> internal follow-up (real helpdesk)"
bash tests/helpdesk/run.sh

if [ -f bindings/python/run-tests.sh ]; then
  step "Python binding"
  bash bindings/python/run-tests.sh
fi

step "Agent page in a real browser (headless Chromium, selenium)"
bash tests/browser/run-tests.sh

step "all test suites passed"
