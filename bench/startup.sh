#!/usr/bin/env bash
# Builds the provider in release mode and measures exec → handshake line, on-CPU time and RSS
# at that moment, with AutoMTLS on (P-521 client certificate, as Terraform runs it) and off.
#
#   bench/startup.sh [RUNS] [LABEL]      (default 200 runs per scenario)
#
# The build is whatever `cargo build --release` produces with the current environment, so
# build-time settings can be compared, e.g.
#   AWS_LC_SYS_NO_JITTER_ENTROPY=1 bench/startup.sh
#   AWS_LC_SYS_NO_JITTER_ENTROPY=1 RUSTFLAGS="-C target-feature=+crt-static" \
#     CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu bench/startup.sh
# (use a separate CARGO_TARGET_DIR for RUSTFLAGS experiments: they rebuild everything).
#
# Needs python3 and openssl (for the P-521 client certificate); a C compiler is optional (the
# "floor" row: a trivial C program, the cost of spawning anything on this machine).
# Writes bench/results/last-run.{md,json}; bench/results/startup.md is the curated record.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
label="${2:-$(git rev-parse --short HEAD) $(date -u +%Y-%m-%dT%H:%MZ)}"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --bin terraform-provider-harness >&2
bin="$target_dir/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release/terraform-provider-harness"
python3 bench/startup.py "$bin" --runs "$runs" --label "$label" \
  --out bench/results/last-run.md --json bench/results/last-run.json >/dev/null
cat bench/results/last-run.md
