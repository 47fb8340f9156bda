#!/usr/bin/env bash
# The performance scorecard: builds the release binaries, then measures startup, plan and
# apply of mixed resources side by side with terraform_data, API load (including waiting
# applications), latency, memory and the codec into bench/results/scorecard.json, and renders
# BENCHMARKS.md (table, verdicts and notes) from it and the saved records in bench/results/.
#
#   bench/scorecard.sh [--runs R] [--sizes 100,1000] [--startup-runs N] [--no-codec]
#   python3 bench/scorecard.py --render-only [--json bench/results/scorecard.json]   # re-render only
#
# Takes about an hour on 2 idle cores (the N = 1000 runs dominate). Needs terraform (TERRAFORM, else
# on PATH), python3, openssl and GNU time (/usr/bin/time). Run it on an
# otherwise idle machine: the figures are wall and CPU times.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /usr/bin/time ]] || { echo "bench/scorecard.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
# The same packages (and so the same feature set) as bench/reliability.sh builds: one release
# build serves both scorecards instead of each rebuilding what the other built.
cargo build --release --locked -p terraform-provider-harness -p harness-gitops-emulator -p kube-api-emulator >&2
target="${CARGO_TARGET_DIR:-target}"
python3 bench/scorecard.py --provider "$target/release/terraform-provider-harness" \
  --emulator "$target/release/harness-gitops-emulator" "$@"
