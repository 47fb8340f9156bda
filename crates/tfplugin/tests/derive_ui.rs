//! Compile-time checks of `#[derive(Model)]`: what must not compile does not, with the
//! message in `ui/*.stderr`, and the supported uses compile and run.
//!
//! Each `tests/ui/*.rs` case is compiled by `rustc` directly (no cargo project per case): with
//! the crate's edition, `--extern tfplugin=` the `libtfplugin-*.rlib` cargo built for this very
//! test (found in the test binary's own `target/<profile>/deps`) and `-L dependency=` that
//! folder for tfplugin's own dependencies. The rustc is `$RUSTC` when set, else `rustc` on
//! `PATH` (under cargo, rustup's proxy picks the toolchain cargo runs with: `RUSTUP_TOOLCHAIN`);
//! an rlib built by another rustc is refused by rustc itself (E0514), so the test fails.
//!
//! - `pass_*.rs` is built as a binary and run: it must compile and exit 0 (its `main` asserts).
//! - `fail_*.rs` is type-checked (`--emit=metadata`): it must fail, and its stderr, normalised
//!   as [`normalise`] describes, must equal the committed `fail_*.stderr`.
//!
//! Regenerate the snapshots with `UPDATE_UI=1 cargo test -p tfplugin --test derive_ui` after a
//! deliberate change, and read the diff: each must still show the derive's own message.
//!
//! No rlib or no rustc fails the test (it never skips).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate's folder: rustc runs there on `tests/ui/NAME.rs`, so messages name that path.
const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn derive_model_compile_checks() {
    let deps = deps_dir();
    let rlib = tfplugin_rlib(&deps);
    let edition = crate_edition();
    let rustc = std::env::var_os("RUSTC")
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "rustc".into());
    let update = std::env::var_os("UPDATE_UI").is_some_and(|v| !v.is_empty() && v != "0");
    let out_dir = tempfile::tempdir().expect("a temporary folder for the compiled cases");

    let cases = cases();
    let passes = cases.iter().filter(|c| c.starts_with("pass_")).count();
    assert!(
        passes > 0 && passes < cases.len(),
        "tests/ui must hold pass_*.rs and fail_*.rs cases, found {cases:?}"
    );

    // The cases are independent: compile them in parallel, report every failure at the end.
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|name| {
                let (rustc, rlib, deps, edition, out_dir) =
                    (&rustc, &rlib, &deps, &edition, out_dir.path());
                s.spawn(move || {
                    let mut base = Command::new(rustc);
                    base.current_dir(CRATE_DIR)
                        .arg("--edition")
                        .arg(edition)
                        .arg("--crate-name")
                        .arg(name)
                        .arg("--crate-type")
                        .arg("bin")
                        .arg("--extern")
                        .arg(format!("tfplugin={}", rlib.display()))
                        .arg("-L")
                        .arg(format!("dependency={}", deps.display()))
                        .args(["--color", "never", "--error-format", "human"])
                        .arg(format!("tests/ui/{name}.rs"));
                    if name.starts_with("pass_") {
                        check_pass(name, base, out_dir)
                    } else {
                        check_fail(name, base, out_dir, update)
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&cases)
            .filter_map(|(h, name)| match h.join() {
                Ok(r) => r.err(),
                Err(_) => Some(format!("{name}: the checking thread panicked")),
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} derive UI cases failed (compiled by `{}` against {}):\n\n{}",
        failures.len(),
        cases.len(),
        Path::new(&rustc).display(),
        rlib.display(),
        failures.join("\n\n")
    );
}

/// `pass_*.rs`: compiles to a binary, which runs and exits 0.
fn check_pass(name: &str, mut rustc: Command, out_dir: &Path) -> Result<(), String> {
    let exe = out_dir.join(name);
    // No debug info in the output: linking is most of a case's time.
    let out = run(rustc.arg("-C").arg("strip=debuginfo").arg("-o").arg(&exe))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: must compile but rustc failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let ran = run(&mut Command::new(&exe))?;
    if !ran.status.success() {
        return Err(format!(
            "{name}: compiled, but running it failed ({}):\n{}{}",
            ran.status,
            String::from_utf8_lossy(&ran.stdout),
            String::from_utf8_lossy(&ran.stderr)
        ));
    }
    Ok(())
}

/// `fail_*.rs`: type-checking fails, with the normalised stderr of `fail_*.stderr`.
fn check_fail(name: &str, mut rustc: Command, out_dir: &Path, update: bool) -> Result<(), String> {
    let rmeta = out_dir.join(format!("lib{name}.rmeta"));
    let out = run(rustc.arg("--emit=metadata").arg("-o").arg(&rmeta))?;
    let actual = normalise(&String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        return Err(format!(
            "{name}: must not compile, but rustc accepted it; its stderr:\n{actual}"
        ));
    }
    if out.status.code() != Some(1) {
        // 101 is an internal compiler error, a signal has no code: not the derive's message.
        return Err(format!(
            "{name}: rustc ended with {}:\n{actual}",
            out.status
        ));
    }
    let snapshot = Path::new(CRATE_DIR).join(format!("tests/ui/{name}.stderr"));
    if update {
        std::fs::write(&snapshot, &actual)
            .map_err(|e| format!("{name}: writing {}: {e}", snapshot.display()))?;
        eprintln!("UPDATE_UI: wrote {}", snapshot.display());
        return Ok(());
    }
    let expected = std::fs::read_to_string(&snapshot).map_err(|e| {
        format!(
            "{name}: no snapshot {} ({e}); rustc's normalised stderr is below, write it with \
             UPDATE_UI=1 after checking it:\n{actual}",
            snapshot.display()
        )
    })?;
    if expected != actual {
        return Err(format!(
            "{name}: the compile error differs from tests/ui/{name}.stderr \
             (UPDATE_UI=1 rewrites it after a deliberate change)\n\
             --- expected\n{expected}\n--- actual\n{actual}\n--- first difference: {}",
            first_difference(&expected, &actual)
        ));
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    for line in 1.. {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "only in trailing newlines".into(),
            (x, y) => return format!("line {line}: expected {x:?}, actual {y:?}"),
        }
    }
    unreachable!()
}

/// Makes rustc's stderr comparable across machines and unrelated edits:
///
/// 1. the closing summary lines (`error: aborting due to N previous errors`, `For more
///    information about …`, `Some errors have detailed explanations: …`) are dropped, and so
///    are blank lines at the end;
/// 2. `and 12 others` (the count of other trait impls in the dependency graph) becomes
///    `and $N others`;
/// 3. a location (`-->` / `:::`) outside `tests/ui/` loses its `:line:col`, and its path the
///    workspace prefix (`crates/tfplugin/src/typed.rs` becomes `src/typed.rs`), so that edits
///    to the crate's sources do not change the snapshots; the standard library's paths become
///    `$RUST/…`.
///
/// Everything else, the messages and the spans in the case itself, is compared as is.
fn normalise(stderr: &str) -> String {
    let workspace = Path::new(CRATE_DIR)
        .parent()
        .and_then(Path::parent)
        .map(|p| format!("{}/", p.display()))
        .unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if line.starts_with("error: aborting due to")
            || line.starts_with("For more information about")
            || line.starts_with("Some errors have detailed explanations")
        {
            continue;
        }
        let mut line = line.to_string();
        if let Some(i) = line.rfind("and ") {
            let rest = &line[i + 4..];
            if let Some(n) = rest.strip_suffix(" others") {
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                    line = format!("{}and $N others", &line[..i]);
                }
            }
        }
        for arrow in ["--> ", "::: "] {
            let Some(i) = line.find(arrow) else { continue };
            if !line[..i].trim().is_empty() {
                continue;
            }
            let (indent, loc) = line.split_at(i + arrow.len());
            if loc.starts_with("tests/ui/") {
                continue;
            }
            let mut path = loc.strip_prefix(workspace.as_str()).unwrap_or(loc);
            path = path.strip_prefix("crates/tfplugin/").unwrap_or(path);
            let mut path = path.to_string();
            if let Some(rest) = path.strip_prefix("/rustc/") {
                if let Some((_hash, tail)) = rest.split_once('/') {
                    path = format!("$RUST/{tail}");
                }
            } else if let Some((_, tail)) = path.split_once("/lib/rustlib/src/rust/") {
                path = format!("$RUST/{tail}");
            }
            // Drop `:line:col` (or `:line`).
            for _ in 0..2 {
                if let Some((head, tail)) = path.rsplit_once(':') {
                    if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                        path = head.to_string();
                    }
                }
            }
            line = format!("{indent}{path}");
        }
        lines.push(line.trim_end().to_string());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The test binary's own folder: `target/<profile>/deps`, where cargo put its dependencies.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .expect("the test binary's folder")
        .to_path_buf();
    assert!(
        dir.file_name().is_some_and(|n| n == "deps"),
        "the test binary {} is not in a cargo `deps` folder: run it with `cargo test -p tfplugin \
         --test derive_ui`",
        exe.display()
    );
    dir
}

/// The `libtfplugin-*.rlib` to compile the cases against. Cargo rebuilt tfplugin from the
/// current sources before linking this test, so the newest rlib is current; older ones (other
/// feature sets, earlier sources) may be stale, whose dependencies may be gone.
fn tfplugin_rlib(deps: &Path) -> PathBuf {
    let mut rlibs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(deps)
        .unwrap_or_else(|e| panic!("reading {}: {e}", deps.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libtfplugin-") && n.ends_with(".rlib"))
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    rlibs.sort();
    rlibs.pop().map(|(_, p)| p).unwrap_or_else(|| {
        panic!(
            "no libtfplugin-*.rlib in {}: the derive UI cases need the tfplugin cargo built \
             for this test; run `cargo test -p tfplugin --test derive_ui`",
            deps.display()
        )
    })
}

/// The `tests/ui/*.rs` cases (names without `.rs`), sorted; a file that is neither `pass_*.rs`,
/// `fail_*.rs` nor a `fail_*.stderr` of an existing case fails the test.
fn cases() -> Vec<String> {
    let dir = Path::new(CRATE_DIR).join("tests/ui");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| {
            e.expect("a tests/ui entry")
                .file_name()
                .into_string()
                .expect("UTF-8 file name")
        })
        .collect();
    names.sort();
    let cases: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".rs"))
        .map(String::from)
        .collect();
    for n in &names {
        let ok = match (n.strip_suffix(".rs"), n.strip_suffix(".stderr")) {
            (Some(c), _) => c.starts_with("pass_") || c.starts_with("fail_"),
            (_, Some(c)) => c.starts_with("fail_") && cases.iter().any(|x| x == c),
            _ => false,
        };
        assert!(
            ok,
            "tests/ui/{n}: not a pass_*.rs or fail_*.rs case, nor the .stderr of a fail_*.rs"
        );
    }
    cases
}

/// The `edition` of the crate's `[package]` (or of `[workspace.package]` when inherited).
fn crate_edition() -> String {
    fn edition_in(toml: &Path, section: &str) -> Option<String> {
        let text = std::fs::read_to_string(toml).ok()?;
        let mut in_section = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_section = line == section;
            } else if in_section {
                if let Some(v) = line.strip_prefix("edition") {
                    let v = v.trim_start();
                    if let Some(v) = v.strip_prefix('=') {
                        return Some(v.trim().trim_matches('"').to_string());
                    }
                    if v.starts_with(".workspace") {
                        return Some("workspace".into());
                    }
                }
            }
        }
        None
    }
    let manifest = Path::new(CRATE_DIR).join("Cargo.toml");
    match edition_in(&manifest, "[package]").as_deref() {
        Some("workspace") => edition_in(
            &Path::new(CRATE_DIR).join("../../Cargo.toml"),
            "[workspace.package]",
        ),
        Some(e) => Some(e.to_string()),
        None => None,
    }
    .unwrap_or_else(|| panic!("no edition in {}", manifest.display()))
}
