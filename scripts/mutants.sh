#!/usr/bin/env bash
# Mutation testing of tfplugin's core (issue 15): the plan pipeline (plan/), the value and codec
# modules of tf/ and the typed layer, against tfplugin's unit tests (`cargo test -p tfplugin
# --lib`). RELIABILITY.md shows the last recorded score, from bench/results/mutants.json, which
# also holds the exact commands of that run.
#
#   scripts/mutants.sh                                         # everything, two jobs
#   scripts/mutants.sh -f crates/tfplugin/src/plan/check.rs    # only mutants of that file
#   scripts/mutants.sh --shard 1/3                             # one slice of the list
#   scripts/mutants.sh --list                                  # what would be tested
#
# Further options pass on to cargo-mutants (recorded with 27.1.0: `cargo install cargo-mutants`).
# The first build in cargo-mutants' scratch copy is a cold one (several minutes); each mutant
# then rebuilds tfplugin's unit-test binary in the `mutants` profile (Cargo.toml: the test
# profile without debug info). Results: target/mutants.out/ (outcomes.json, missed.txt, ...).
# `-C --lib` reaches both cargo commands (the build and the test run); after `--` it would reach
# the test binaries instead, and --cargo-test-arg only the test run (the build would link every
# integration test of the crate for each mutant).
set -euo pipefail
cd "$(dirname "$0")/.."
exec nice -n "${MUTANTS_NICE:-5}" cargo mutants -p tfplugin --profile mutants -C --lib \
  -f 'crates/tfplugin/src/plan/**' \
  -f crates/tfplugin/src/tf/value.rs \
  -f 'crates/tfplugin/src/tf/codec/**' \
  -f crates/tfplugin/src/typed.rs \
  -f 'crates/tfplugin/src/typed/**' \
  -j "${MUTANTS_JOBS:-2}" --no-shuffle \
  --timeout 30 --build-timeout 300 \
  -o "${MUTANTS_OUT:-target}" \
  "$@"
