#!/usr/bin/env bash
# Reliability scorecard (issue 11): builds the release binaries, runs every reliability scenario
# at full size (bench/reliability.py: faults, SIGKILL, Ctrl-C, concurrency, fuzzing, secrets,
# transport, and the fast reliability tests of the normal suite), records every run in
# bench/results/reliability.json (rewritten after each run) and renders RELIABILITY.md from it.
#
#   bench/reliability.sh                         # everything: 3 runs each, SIGKILL 10, suites 3 passes:
#                                                # about 35 min on 2 idle cores after the release build
#   bench/reliability.sh --runs 1 --kill-runs 2 --fuzz-seconds 60 --only faults,kill   # a subset, quicker
#   bench/reliability.sh --only concurrency --merge --reason "why"
#                                                # rerun scenarios into the saved JSON: their runs are
#                                                # replaced, the superseded ones kept under `reruns`,
#                                                # and the report names the rerun, its commit and reason
#   python3 bench/reliability.py --render-only --json bench/results/reliability.json
#                                                # re-render RELIABILITY.md from the saved figures
#
# Every verdict is computed from the figures against bench/targets.py; python3 -m unittest
# discover -s bench -p 'test_*.py' proves the verdicts follow the figures.
# Needs terraform (TERRAFORM, else on PATH) and python3; the fuzz step needs a
# nightly toolchain and cargo-fuzz (installed with `cargo install cargo-fuzz --locked` if missing;
# when that is impossible RELIABILITY.md says "not run" and why, and that row is not met).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p terraform-provider-harness -p harness-gitops-emulator -p kube-api-emulator
exec python3 bench/reliability.py --bin-dir "${CARGO_TARGET_DIR:-target}/release" "$@"
