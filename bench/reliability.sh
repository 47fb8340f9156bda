#!/usr/bin/env bash
# Reliability scorecard (issue 11): builds the release binaries, runs every reliability scenario
# at full size (bench/reliability.py: faults, SIGKILL, Ctrl-C, concurrency, fuzzing, secrets,
# transport, and the fast reliability tests of the normal suite) and writes RELIABILITY.md.
#
#   bench/reliability.sh                         # everything: about an hour on 2 shared cores
#   bench/reliability.sh --runs 1 --fuzz-seconds 60 --only faults,cancel   # a subset, quicker
#   python3 bench/reliability.py --bin-dir target/release --render-only --json FILE --note TEXT
#                                                # rewrite RELIABILITY.md from saved figures
#
# Needs terraform (TERRAFORM, else on PATH) and python3; the fuzz step needs a
# nightly toolchain and cargo-fuzz (installed with `cargo install cargo-fuzz --locked` if missing;
# when that is impossible RELIABILITY.md says "not run" and why).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p terraform-provider-harness -p harness-gitops-emulator -p kube-api-emulator
exec python3 bench/reliability.py --bin-dir target/release "$@"
