#!/usr/bin/env bash
# The performance scorecard: builds the release a user installs (scripts/release.sh: the signed
# registry files of this platform, here with a throwaway GnuPG key) and the emulators, then
# measures, with the binary unzipped from the release archive, startup, plan and
# apply of mixed resources side by side with terraform_data, API load (including waiting
# applications), latency, memory and the codec into bench/results/scorecard.json, and renders
# BENCHMARKS.md (table, verdicts and notes) from it and the saved records in bench/results/.
#
#   bench/scorecard.sh [--runs R] [--sizes 100,1000] [--startup-runs N] [--no-codec]
#   python3 bench/scorecard.py --render-only [--json bench/results/scorecard.json]   # re-render only
#
# Takes about an hour on 2 idle cores (the N = 1000 runs dominate). Needs terraform (TERRAFORM, else
# on PATH), python3, openssl, GNU time (/usr/bin/time), and what scripts/release.sh needs (gpg,
# zip, unzip, the C compiler's static glibc). Run it on an
# otherwise idle machine: the figures are wall and CPU times.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /usr/bin/time ]] || { echo "bench/scorecard.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
# The Harness emulator (the provider measured is the release archive's, built below).
cargo build --release --locked -p harness-gitops-emulator >&2
target="${CARGO_TARGET_DIR:-target}"
[[ "$target" == /* ]] || target="$PWD/$target"

# The release archive, exactly as a user installs it: scripts/release.sh (profile release,
# static-pie on Linux), signed by a throwaway key in a temporary keyring.
for tool in gpg zip unzip; do
  command -v "$tool" >/dev/null || { echo "bench/scorecard.sh needs $tool (scripts/release.sh builds the release archive)" >&2; exit 1; }
done
dist="$target/scorecard/release"
GNUPGHOME=$(mktemp -d /tmp/scorecard-gpg.XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-generate-key "terraform-provider-harness scorecard <scorecard@example.invalid>" rsa2048 sign 1d
GPG_FINGERPRINT=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" {print $10; exit}')
export GPG_FINGERPRINT
scripts/release.sh --out "$dist/files" >&2
zip=$(echo "$dist"/files/terraform-provider-harness_*_linux_*.zip)
[[ -f "$zip" ]] || { echo "bench/scorecard.sh: no Linux archive in $dist/files" >&2; exit 1; }
rm -rf "${dist:?}/bin"
mkdir -p "$dist/bin"
unzip -q "$zip" -d "$dist/bin"
provider=$(echo "$dist"/bin/terraform-provider-harness_v*)
[[ -x "$provider" ]] || { echo "bench/scorecard.sh: $zip holds no provider binary" >&2; exit 1; }
kind=$(file -b "$provider" 2>/dev/null | grep -o 'static-pie linked\|statically linked\|dynamically linked' || echo "ELF")

python3 bench/scorecard.py --provider "$provider" \
  --provider-build "the binary of the release archive $(basename "$zip") built by scripts/release.sh, $kind" \
  --emulator "$target/release/harness-gitops-emulator" "$@"
