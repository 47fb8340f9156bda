#!/usr/bin/env bash
# The build step of a release, shared by GoReleaser (`tool:` in .goreleaser.yml) and
# scripts/release.sh:
#
#   scripts/build-provider.sh zigbuild --target=TRIPLE[.GLIBC] [--release | --profile=NAME] [cargo flags...]
#
# runs `cargo zigbuild ...` with the commit recorded for `--version`
# (TERRAFORM_PROVIDER_HARNESS_COMMIT), then copies the built executable to the name the
# Terraform registry format wants, terraform-provider-harness_v<version>[.exe], in the same
# directory: target/<TRIPLE>/<profile>/. GoReleaser's rust builder picks the binary up there.
#
# RELEASE_VERSION (set by GoReleaser from the tag) must equal the version in Cargo.toml, except in
# a snapshot (RELEASE_SNAPSHOT=true: `goreleaser release --snapshot`), which names the file after
# GoReleaser's snapshot version.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-harness

die() { echo "build-provider.sh: $*" >&2; exit 1; }

# The version of the provider package
# (cargo resolves `version.workspace = true` from [workspace.package]).
version=$(cargo pkgid --manifest-path "$root/Cargo.toml" -p terraform-provider-harness | sed 's/.*[@#]//')
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "no version for terraform-provider-harness from cargo pkgid ($version)"
# The version in the binary's file name: GoReleaser's (from the tag) when it runs us.
file_version=${RELEASE_VERSION:-$version}
if [[ "$file_version" != "$version" ]]; then
  if [[ "${RELEASE_SNAPSHOT:-false}" == true ]]; then
    echo "build-provider.sh: snapshot $file_version of Cargo.toml version $version" >&2
  else
    die "the release version $file_version (from the tag) differs from Cargo.toml's $version; bump Cargo.toml (RELEASING.md)"
  fi
fi

[[ $# -ge 1 ]] || die "usage: $0 zigbuild --target=TRIPLE [--release|--profile=NAME] [cargo flags...]"

target="" profile=dev
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --target=*) target=${args[i]#--target=} ;;
    --target) target=${args[i + 1]:-} ;;
    --release | -r) profile=release ;;
    --profile=*) profile=${args[i]#--profile=} ;;
    --profile) profile=${args[i + 1]:-} ;;
  esac
done
[[ -n "$target" ]] || die "--target=TRIPLE is required (e.g. x86_64-unknown-linux-gnu.2.17)"
triple=${target%%.*} # cargo-zigbuild's glibc suffix (.2.17) is not part of the output directory
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir=$profile ;;
esac
ext=""
[[ "$triple" == *windows* ]] && ext=.exe

if [[ -z "${TERRAFORM_PROVIDER_HARNESS_COMMIT:-}" ]]; then
  commit=$(git -C "$root" rev-parse HEAD 2>/dev/null) || die "not a git checkout: set TERRAFORM_PROVIDER_HARNESS_COMMIT"
  if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit-dirty"
  fi
  export TERRAFORM_PROVIDER_HARNESS_COMMIT=$commit
fi

echo "==> cargo $* (version $version, commit $TERRAFORM_PROVIDER_HARNESS_COMMIT)" >&2
(cd "$root" && cargo "$@")

target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
out="$target_dir/$triple/$profile_dir"
[[ -x "$out/$name$ext" ]] || die "cargo did not produce $out/$name$ext"
cp -f "$out/$name$ext" "$out/${name}_v$file_version$ext"
echo "$out/${name}_v$file_version$ext"
