#!/usr/bin/env bash
# Builds and signs the registry release files for ONE platform without GoReleaser: the same
# names and contents as .goreleaser.yml produces (RELEASING.md), for a self-hosted registry, a
# local test of the install path (tests/install.rs) or CI (.ci/run).
#
# Usage: scripts/release.sh [--out DIR] [--target TRIPLE] [--profile NAME] [--binary PATH]
#
#   --target TRIPLE  Rust target. Default: this host's, e.g. x86_64-unknown-linux-gnu. Linux builds
#                    are static-pie executables linked by the system C compiler against its static
#                    glibc (libc.a; scripts/build-provider.sh); other targets build with
#                    cargo-zigbuild.
#   --profile NAME   cargo profile for the build (default: release). .ci/run uses release-check
#                    (Cargo.toml says what it trades).
#   --binary PATH    package an already built executable instead of building one (the platform is
#                    then --target's, or this host's). The tests package the debug build this way.
#   --out DIR        where the files go (default: target/release-dist). Emptied first.
#
# Environment:
#   GPG_FINGERPRINT  (required) the key that signs the SHA256SUMS file (fingerprint or key ID).
#   GNUPGHOME        the keyring, as usual for gpg.
#   GPG_PASSPHRASE   the key's passphrase, if it has one: handed to gpg on a file descriptor, never
#                    put on a command line or printed.
#   TERRAFORM_PROVIDER_HARNESS_COMMIT  the commit `--version` reports (default: git HEAD).
#
# Output (X.Y.Z is Cargo.toml's version):
#   terraform-provider-harness_X.Y.Z_<os>_<arch>.zip   holding terraform-provider-harness_vX.Y.Z[.exe]
#   terraform-provider-harness_X.Y.Z_manifest.json     copy of terraform-registry-manifest.json
#   terraform-provider-harness_X.Y.Z_SHA256SUMS        SHA-256 of the zip and the manifest
#   terraform-provider-harness_X.Y.Z_SHA256SUMS.sig    binary detached GPG signature
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-harness

die() { echo "release.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is needed: $2"; }

out="$root/target/release-dist" target="" profile=release binary=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --target) target=${2:?--target needs a Rust target triple}; shift 2 ;;
    --profile) profile=${2:?--profile needs a cargo profile name}; shift 2 ;;
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

need zip "install it (Debian/Ubuntu: apt-get install zip)"
need gpg "install GnuPG (Debian/Ubuntu: apt-get install gnupg)"
need sha256sum "it is part of GNU coreutils"
[[ -n "${GPG_FINGERPRINT:-}" ]] || die "set GPG_FINGERPRINT to the signing key's fingerprint (gpg --list-secret-keys)"

# (cargo resolves `version.workspace = true` from [workspace.package]).
version=$(cargo pkgid --manifest-path "$root/Cargo.toml" -p terraform-provider-harness | sed 's/.*[@#]//')
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "no version for terraform-provider-harness from cargo pkgid ($version)"

[[ -n "$target" ]] || target=$(rustc -vV | sed -n 's/^host: //p')
triple=${target%%.*}
case "$triple" in
  *-linux-*) os=linux ;;
  *-apple-darwin) os=darwin ;;
  *-windows-*) os=windows ;;
  *) die "cannot name the platform of $triple" ;;
esac
case "$triple" in
  x86_64-*) arch=amd64 ;;
  aarch64-*) arch=arm64 ;;
  i686-* | i586-*) arch=386 ;;
  *) die "cannot name the architecture of $triple" ;;
esac
ext=""
[[ "$os" == windows ]] && ext=.exe

if [[ -z "$binary" ]]; then
  if [[ "$os" == linux ]]; then
    # Static: cargo build with the system C compiler (scripts/build-provider.sh says why).
    build=build
  else
    build=zigbuild
    command -v cargo-zigbuild >/dev/null || die "cargo-zigbuild is needed to build for $target: pip install cargo-zigbuild ziglang (or cargo install --locked cargo-zigbuild, with zig on PATH)"
  fi
  binary=$("$root/scripts/build-provider.sh" "$build" --locked "--target=$target" "--profile=$profile" \
    --package=$name --bin=$name | tail -1)
fi
[[ -f "$binary" ]] || die "no executable at $binary"

rm -rf "$out"
mkdir -p "$out/.stage"
prefix="${name}_$version"
inner="${name}_v$version$ext"
zipname="${prefix}_${os}_${arch}.zip"

# A reproducible zip: fixed file time (the commit's), no extra attributes, no directory entries.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
cp "$binary" "$out/.stage/$inner"
chmod 0755 "$out/.stage/$inner"
touch -d "@$epoch" "$out/.stage/$inner"
(cd "$out/.stage" && TZ=UTC zip -q -X -D "../$zipname" "$inner")
rm -rf "$out/.stage"

cp "$root/terraform-registry-manifest.json" "$out/${prefix}_manifest.json"
(cd "$out" && sha256sum -- "$zipname" "${prefix}_manifest.json" | LC_ALL=C sort -k2 >"${prefix}_SHA256SUMS")

# The public registry rejects ECC keys (RSA or DSA only); say so before anyone uploads.
algo=$(gpg --batch --with-colons --list-secret-keys -- "$GPG_FINGERPRINT" 2>/dev/null | awk -F: '$1 == "sec" {print $4; exit}') ||
  true
[[ -n "$algo" ]] || die "no secret key $GPG_FINGERPRINT in ${GNUPGHOME:-~/.gnupg}"
if [[ "$algo" != 1 && "$algo" != 17 ]]; then
  echo "release.sh: WARNING: key $GPG_FINGERPRINT is not RSA or DSA (algorithm $algo); the public Terraform registry will refuse it" >&2
fi

sign=(gpg --batch --yes --local-user "$GPG_FINGERPRINT" --output "$out/${prefix}_SHA256SUMS.sig" --detach-sign "$out/${prefix}_SHA256SUMS")
if [[ -n "${GPG_PASSPHRASE:-}" ]]; then
  "${sign[0]}" --pinentry-mode loopback --passphrase-fd 3 "${sign[@]:1}" 3< <(printf '%s' "$GPG_PASSPHRASE") ||
    die "gpg could not sign with $GPG_FINGERPRINT"
else
  "${sign[@]}" || die "gpg could not sign with $GPG_FINGERPRINT"
fi
gpg --batch --verify "$out/${prefix}_SHA256SUMS.sig" "$out/${prefix}_SHA256SUMS" 2>/dev/null ||
  die "the signature just made does not verify"

echo "==> $out (version $version, $os/$arch, signed by $GPG_FINGERPRINT)"
(cd "$out" && stat -c '    %s bytes  %n' -- "$zipname" "${prefix}_manifest.json" "${prefix}_SHA256SUMS" "${prefix}_SHA256SUMS.sig")
