#!/usr/bin/env bash
# The build step of a release, shared by GoReleaser (`tool:` in .goreleaser.yml) and
# scripts/release.sh:
#
#   scripts/build-provider.sh build    --target=TRIPLE [--release | --profile=NAME] [cargo flags...]   # Linux
#   scripts/build-provider.sh zigbuild --target=TRIPLE [--release | --profile=NAME] [cargo flags...]   # macOS, Windows
#
# runs `cargo build ...` or `cargo zigbuild ...` with the commit recorded for `--version`
# (TERRAFORM_PROVIDER_HARNESS_COMMIT), then copies the built executable to the name the
# Terraform registry format wants, terraform-provider-harness_v<version>[.exe], in the same
# directory: target/<TRIPLE>/<profile>/. GoReleaser's rust builder picks the binary up there.
#
# Linux (*-linux-gnu) builds are static-pie executables: `cargo build` with
# `-C target-feature=+crt-static`, linked by the system C compiler against its static glibc
# (libc.a; Debian/Ubuntu: libc6-dev). They need no C library at run time. zig cannot link glibc
# statically, so `zigbuild` and cargo-zigbuild's glibc suffix (`.2.17`) are refused for Linux.
# Cross builds for aarch64 use aarch64-linux-gnu-gcc and its static glibc (Debian/Ubuntu:
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross) unless CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER
# and CC_aarch64_unknown_linux_gnu name others. The result is checked: no program interpreter,
# no shared library (readelf), or the build fails.
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

[[ $# -ge 1 ]] || die "usage: $0 build|zigbuild --target=TRIPLE [--release|--profile=NAME] [cargo flags...]"

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
[[ -n "$target" ]] || die "--target=TRIPLE is required (e.g. x86_64-unknown-linux-gnu)"
triple=${target%%.*} # cargo-zigbuild's glibc suffix (.2.17) is not part of the output directory
command=$1
static=""
case "$triple" in
  *-linux-gnu*)
    [[ "$target" == "$triple" ]] ||
      die "$target: Linux releases are static (glibc linked in), so a glibc version suffix means nothing; use --target=$triple"
    [[ "$command" == build ]] ||
      die "Linux releases are built with \`cargo build\` and the system C compiler's static glibc (zig cannot link glibc statically): use \`$0 build --target=$triple ...\`"
    static="static-pie, system C compiler"
    # With an explicit --target, RUSTFLAGS reach the target's crates only, not build scripts
    # and proc-macros (which must stay dynamic).
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static"
    host=$(rustc -vV | sed -n 's/^host: //p')
    if [[ "$triple" == aarch64-* && "$host" != aarch64-* ]]; then
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}
      export CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}
      export AR_aarch64_unknown_linux_gnu=${AR_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-ar}
      command -v "$CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER" >/dev/null ||
        die "$CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER is needed to link $triple statically (Debian/Ubuntu: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
    fi
    command -v readelf >/dev/null || die "readelf is needed to check the static build (apt-get install binutils)"
    ;;
esac
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

echo "==> cargo $* (version $version, commit $TERRAFORM_PROVIDER_HARNESS_COMMIT${static:+, $static})" >&2
(cd "$root" && cargo "$@")

target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
out="$target_dir/$triple/$profile_dir"
[[ -x "$out/$name$ext" ]] || die "cargo did not produce $out/$name$ext"
if [[ -n "$static" ]]; then
  # A static-pie executable: no PT_INTERP, no DT_NEEDED. Anything else would need a C library
  # at run time, which is what this build exists to avoid.
  headers=$(LC_ALL=C readelf --program-headers --wide "$out/$name$ext") || die "readelf cannot read $out/$name$ext"
  dynamic=$(LC_ALL=C readelf --dynamic --wide "$out/$name$ext") || die "readelf cannot read $out/$name$ext"
  [[ "$headers" != *INTERP* ]] ||
    die "$out/$name$ext has a program interpreter: not static (is libc.a installed? Debian/Ubuntu: libc6-dev)"
  [[ "$dynamic" != *"(NEEDED)"* ]] || die "$out/$name$ext needs shared libraries: not static"
fi
cp -f "$out/$name$ext" "$out/${name}_v$file_version$ext"
echo "$out/${name}_v$file_version$ext"
