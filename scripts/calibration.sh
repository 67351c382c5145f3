#!/usr/bin/env bash
# Prints the reliability table of the engine's confidence over the pack tests and the dev
# queries (see docs/calibration.md for how to read it). Debug build: it runs in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -p fixbook --example calibration
