#!/usr/bin/env bash
# Fails (exit 1, naming file and line) when a test, build script, bench, script, CI file or Cargo
# manifest refers to a path outside the checkout: the reference folder beside our own checkouts
# (`../shared`), a machine path (`/work/...`, `/home/...`, `/Users/...`, `/root/...`), or a
# relative path whose `..` steps climb above the repository root.
#
#   scripts/check-outside-paths.sh              # check this checkout
#   scripts/check-outside-paths.sh ROOT         # check another tree
#   scripts/check-outside-paths.sh --self-test  # prove it catches planted references
#
# What is scanned: every Cargo.toml, build.rs and .cargo/config.toml; the .rs, .toml, .sh,
# .py files and the extensionless scripts under tests/, benches/, bench/, scripts/, fuzz/,
# .ci/ and .github/ anywhere in the tree; unit-test files (tests.rs, src/**/tests/**).
# How `..` is resolved: in Rust, from the crate root (what `cargo test` and
# CARGO_MANIFEST_DIR start from), except in `#[path]` and `include*!`, which start from the
# file's folder; in Cargo.toml, from its folder; elsewhere, from the file's folder.
# Documentation (*.md) is not scanned. A line may opt out with `outside-paths: allow`.
set -euo pipefail
CHECK_OUTSIDE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECK_OUTSIDE_SELF="scripts/$(basename "${BASH_SOURCE[0]}")"
export CHECK_OUTSIDE_ROOT CHECK_OUTSIDE_SELF
exec python3 - "$@" <<'PY'
import os
import re
import subprocess
import sys
import tempfile

SCANNED_DIRS = {"tests", "benches", "bench", "scripts", "fuzz", ".ci", ".github"}
CODE_EXT = {".rs", ".toml", ".sh", ".py", ".bash", ".yml", ".yaml"}
ALWAYS = {"Cargo.toml", "build.rs"}
SKIP_DIRS = {".git", "target", "node_modules"}
SELF = os.environ.get("CHECK_OUTSIDE_SELF", "scripts/check-outside-paths.sh")

ABSOLUTE = re.compile(r"(?<![\w.$-])(/work/|/home/[A-Za-z0-9_.-]+|/Users/[A-Za-z0-9_.-]+|/root/)")
SHARED = re.compile(r"\.\./(\.\./)*shared(/|\b)")
# A `..` chain; one after an escaped quote (`\"../x`) is text the code writes (a Terraform
# module source in a generated configuration), not a path it opens.
UPS = re.compile(r"(?<![\w.])(?<!\\\")((?:\.\./)+|(?:\.\.\\)+)")
RUST_FILE_RELATIVE = re.compile(r"#\[path\s*=|include(_str|_bytes)?!\s*\(")


def files(root):
    """The files of the tree: git's view (tracked and untracked, not ignored) or a walk."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True,
        ).stdout.decode()
        if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
            return sorted({f for f in out.split("\0") if f and os.path.isfile(os.path.join(root, f))})
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
        for n in names:
            found.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(found)


def scanned(rel, root):
    parts = rel.split("/")
    name = parts[-1]
    if name in ALWAYS or rel.endswith(".cargo/config.toml") or rel.endswith(".cargo/config"):
        return True
    if name.endswith(".md"):
        return False
    ext = os.path.splitext(name)[1]
    in_dir = any(p in SCANNED_DIRS for p in parts[:-1])
    unit_tests = name == "tests.rs" or ("src" in parts[:-1] and "tests" in parts[:-1])
    if not (in_dir or unit_tests):
        return False
    if ext in CODE_EXT:
        return True
    if ext == "":
        try:
            with open(os.path.join(root, rel), "rb") as f:
                return f.read(2) == b"#!"
        except OSError:
            return False
    return False


def crate_root(rel, root):
    """The folder (relative to root, '' for root) of the nearest Cargo.toml above rel."""
    d = os.path.dirname(rel)
    while True:
        if os.path.isfile(os.path.join(root, d, "Cargo.toml")):
            return d
        if not d:
            return ""
        d = os.path.dirname(d)


def depth(folder):
    return 0 if not folder else len(folder.split("/"))


def check_file(rel, root):
    path = os.path.join(root, rel)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    name = os.path.basename(rel)
    here = os.path.dirname(rel)
    crate = crate_root(rel, root) if rel.endswith(".rs") else here
    found = []
    for n, line in enumerate(lines, 1):
        if "outside-paths: allow" in line:
            continue
        m = ABSOLUTE.search(line)
        if m:
            found.append((n, f"machine path {m.group(1)!r}", line))
            continue
        m = SHARED.search(line)
        if m:
            found.append((n, f"the reference folder beside the checkout ({m.group(0)!r})", line))
            continue
        base = here if (rel.endswith(".rs") and RUST_FILE_RELATIVE.search(line)) else crate
        if name == "Cargo.toml":
            base = here
        for m in UPS.finditer(line):
            ups = m.group(1).count("..")
            if ups > depth(base):
                where = base or "the repository root"
                found.append((n, f"{m.group(1)!r} climbs {ups} folder(s) from {where}, above the checkout", line))
                break
    return found


def run(root):
    root = os.path.abspath(root)
    problems = []
    for rel in files(root):
        rel = rel.replace(os.sep, "/")
        if rel == SELF:
            continue  # this checker: its self-test plants the references it looks for
        if scanned(rel, root):
            for n, why, line in check_file(rel, root):
                problems.append(f"{rel}:{n}: {why}: {line.strip()}")
    return problems


def self_test():
    """Plants one reference of each kind in a small tree and checks each is named, and that
    the clean version of the same tree passes."""
    clean = {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
        "crates/a/Cargo.toml": '[package]\nname = "a"\n[dependencies]\nb = { path = "../b" }\n',
        "crates/a/build.rs": 'fn main() { println!("cargo:rerun-if-changed=../../proto"); }\n',
        "crates/a/tests/t.rs": 'const C: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contract/x.json");\n',
        "crates/a/src/x/tests.rs": '#[path = "../../../../tests/e2e/crd.rs"]\nmod crd;\n',
        "scripts/run.sh": '#!/bin/sh\ncd "$(dirname "$0")/.."\n',
        "tests/e2e/m.rs": 'let p = concat!(env!("CARGO_MANIFEST_DIR"), "/contract/a.json");\n'
        'let tf = "module \\"m\\" { source = \\"../modules/m\\" }";\n',
        "docs/notes.md": "Facts are in ../shared/ and /work/shared (docs are not scanned).\n",
        "src/lib.rs": '// not a test: "../../../x" is not scanned\n',
        ".ci/run": "#!/bin/sh\ncd target/q/run && . ../env.sh\n",
    }
    planted = {
        "crates/a/tests/t.rs": (2, 'let s = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/doc.json");'),
        "crates/a/tests/u.rs": (1, 'let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../elsewhere/x");'),
        "crates/a/build.rs": (2, 'const P: &str = "/work/shared/x.proto";'),
        "crates/a/Cargo.toml": (5, 'c = { path = "../../../c" }'),
        "crates/a/src/x/tests.rs": (3, '#[path = "../../../../../y.rs"]'),
        "tests/e2e/m.rs": (2, 'let p = "/home/alice/project/x";'),
        "scripts/run.sh": (3, 'cat ../shared/README.md'),
        "bench/b.py": (1, 'open("/Users/bob/data.json")'),
        ".ci/run": (2, 'ls ../../x'),
    }
    ok = True
    with tempfile.TemporaryDirectory() as d:
        def write(files):
            for rel, text in files.items():
                p = os.path.join(d, rel)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as f:
                    f.write(text)
        write(clean)
        got = run(d)
        if got:
            print("self-test: the clean tree was flagged:\n  " + "\n  ".join(got))
            ok = False
        for rel, (n, line) in planted.items():
            text = clean.get(rel, "")
            lines = text.splitlines()
            lines.insert(n - 1, line)
            write({rel: "\n".join(lines) + "\n"})
        got = run(d)
        for rel, (n, _) in planted.items():
            if not any(g.startswith(f"{rel}:{n}: ") for g in got):
                print(f"self-test: the planted reference at {rel}:{n} was missed")
                ok = False
        if len(got) != len(planted):
            print("self-test: expected exactly the planted references, got:\n  " + "\n  ".join(got))
            ok = False
    print("self-test: " + ("ok (the clean tree passes, each planted reference is named)" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if argv[:1] == ["--self-test"]:
        return self_test()
    if argv[:1] in (["-h"], ["--help"]):
        print("usage: scripts/check-outside-paths.sh [ROOT | --self-test]")
        return 0
    root = argv[0] if argv else os.environ["CHECK_OUTSIDE_ROOT"]
    problems = run(root)
    if problems:
        print("paths outside the checkout (tests, build scripts and scripts must only read inside it):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("no test, build script, bench, script or manifest refers to a path outside the checkout")
    return 0


sys.exit(main(sys.argv[1:]))
PY
