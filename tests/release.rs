//! Release checks (issue 10).
//!
//! In the default suite: `--version` reports version, commit and protocol; every file that
//! names the version or the release layout agrees (Cargo.toml, `.goreleaser.yml`,
//! `terraform-registry-manifest.json`, CHANGELOG.md, the guides, `proto/`); `.goreleaser.yml`
//! is valid against GoReleaser's published JSON schema (vendored in `release/`); the ELF check
//! rejects a binary linked against a newer glibc (this machine's own debug build).
//!
//! On a built release (ignored by default: it needs `scripts/release.sh`, cargo-zigbuild and
//! several minutes; `.ci/run` builds it and runs them):
//!
//! ```sh
//! HARNESS_RELEASE_DIR=target/release-ci/dist HARNESS_RELEASE_KEY=target/release-ci/key.asc \
//!   cargo test --test release -- --ignored
//! ```
//!
//! the Linux binary needs at most GLIBC_2.17, links nothing beyond the C runtime, reports its
//! commit, and performs the go-plugin handshake.

mod release_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use release_support::*;
use serde_json::Value as Json;

// ---------------------------------------------------------------------------------------------
// --version
// ---------------------------------------------------------------------------------------------

/// `--version` of a provider binary, split into (version line, commit, protocol line).
fn version_output(bin: &Path) -> (String, String, String) {
    let out = run_ok(Command::new(bin).arg("--version"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "three lines from --version: {out:?}");
    let commit = lines[1]
        .strip_prefix("commit ")
        .unwrap_or_else(|| panic!("second line names the commit: {out:?}"));
    (lines[0].to_owned(), commit.to_owned(), lines[2].to_owned())
}

/// The tfplugin6 minor version `proto/tfplugin6.proto` is written against (its header says
/// `"6.N"`).
fn proto_minor() -> u32 {
    let proto = std::fs::read_to_string(root().join("proto/tfplugin6.proto")).unwrap();
    let header: String = proto.lines().take_while(|l| l.starts_with("//")).collect();
    let at = header
        .find("\"6.")
        .unwrap_or_else(|| panic!("proto/tfplugin6.proto's header names the \"6.N\" contract"));
    header[at + 3..]
        .split('"')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number after \"6. in {header:?}"))
}

#[test]
fn version_reports_version_commit_and_protocols() {
    let (first, commit, protocol) = version_output(Path::new(PROVIDER_BIN));
    assert_eq!(first, format!("{NAME} {VERSION}"));
    // A test build is not stamped by scripts/release.sh (that is checked on the release
    // binary below), unless the environment of this build set the variable.
    match option_env!("TERRAFORM_PROVIDER_HARNESS_COMMIT") {
        Some(c) => assert_eq!(commit, c),
        None => assert!(commit.starts_with("unknown"), "{commit}"),
    }
    assert_eq!(
        protocol,
        format!(
            "plugin protocol 6.{} (supported protocol versions: 6)",
            proto_minor()
        )
    );
}

// ---------------------------------------------------------------------------------------------
// One version, one layout, everywhere
// ---------------------------------------------------------------------------------------------

fn goreleaser_config() -> Json {
    let text = std::fs::read_to_string(root().join(".goreleaser.yml")).expect(".goreleaser.yml");
    serde_yaml_ng::from_str(&text).expect(".goreleaser.yml is YAML")
}

/// Renders the GoReleaser name templates this project uses; anything else is a failure (a
/// new template construct must be taught here, not silently passed).
fn render(template: &str, os: &str, arch: &str) -> String {
    let out = template
        .replace("{{ .ProjectName }}", NAME)
        .replace("{{ .Version }}", VERSION)
        .replace("{{ .Os }}", os)
        .replace("{{ .Arch }}", arch);
    assert!(
        !out.contains("{{"),
        "unknown template construct in {template:?}"
    );
    out
}

fn str_at<'a>(v: &'a Json, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!(".goreleaser.yml has no string at {pointer}"))
}

fn strings_at(v: &Json, pointer: &str) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Json::as_array)
        .unwrap_or_else(|| panic!(".goreleaser.yml has no list at {pointer}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn goreleaser_config_produces_the_registry_layout() {
    let g = goreleaser_config();
    assert_eq!(g["version"], 2, "GoReleaser v2 configuration");
    assert_eq!(
        str_at(&g, "/project_name"),
        NAME,
        "project_name is the package"
    );

    // One rust build of the provider package, binary named as the registry wants.
    let builds = g["builds"].as_array().expect("builds");
    assert_eq!(builds.len(), 1, "one build");
    assert_eq!(str_at(&g, "/builds/0/builder"), "rust");
    assert_eq!(str_at(&g, "/builds/0/command"), "zigbuild");
    let tool = str_at(&g, "/builds/0/tool");
    assert!(
        root().join(tool).is_file(),
        "the build tool {tool} exists in the repository"
    );
    for (os, _) in [("linux", ""), ("windows", "")] {
        let binary = render(str_at(&g, "/builds/0/binary"), os, "amd64");
        let ext = if os == "windows" { ".exe" } else { "" };
        assert_eq!(format!("{binary}{ext}"), binary_in_zip(os));
    }
    let flags = strings_at(&g, "/builds/0/flags");
    for f in [
        "--release".to_owned(),
        "--locked".to_owned(),
        format!("--package={NAME}"),
        format!("--bin={NAME}"),
    ] {
        assert!(flags.contains(&f), "build flag {f} in {flags:?}");
    }
    let env = strings_at(&g, "/builds/0/env");
    assert!(
        env.contains(&"RELEASE_VERSION={{ .Version }}".to_owned())
            && env.contains(&"TERRAFORM_PROVIDER_HARNESS_COMMIT={{ .FullCommit }}".to_owned()),
        "the build passes the tag's version (checked against Cargo.toml) and the commit: {env:?}"
    );

    // Every platform the issue names; Linux at the glibc 2.17 baseline.
    let targets: BTreeSet<String> = strings_at(&g, "/builds/0/targets").into_iter().collect();
    let platforms: BTreeSet<(String, String)> = targets
        .iter()
        .map(|t| {
            let triple = t.split('.').next().unwrap();
            let arch = match triple.split('-').next().unwrap() {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => panic!("unexpected architecture in {t} ({other})"),
            };
            let os = if triple.contains("-linux-") {
                assert!(
                    t.ends_with(".2.17"),
                    "Linux target {t} pins glibc 2.17 (cargo-zigbuild suffix .2.17)"
                );
                "linux"
            } else if triple.ends_with("-apple-darwin") {
                "darwin"
            } else if triple.contains("-windows-") {
                "windows"
            } else {
                panic!("unexpected target {t}")
            };
            (os.to_owned(), arch.to_owned())
        })
        .collect();
    let wanted: BTreeSet<(String, String)> = ["linux", "darwin", "windows"]
        .iter()
        .flat_map(|os| ["amd64", "arm64"].map(|a| (os.to_string(), a.to_string())))
        .collect();
    assert_eq!(
        platforms, wanted,
        "targets cover {{linux,darwin,windows}} x {{amd64,arm64}}"
    );

    // Zip per platform holding only the binary.
    assert_eq!(strings_at(&g, "/archives/0/formats"), ["zip"]);
    for (os, arch) in &wanted {
        assert_eq!(
            format!(
                "{}.zip",
                render(str_at(&g, "/archives/0/name_template"), os, arch)
            ),
            zip_name(os, arch)
        );
    }
    let files = strings_at(&g, "/archives/0/files");
    assert!(
        files
            .iter()
            .all(|glob| glob.starts_with("none")
                && !root().join(glob.trim_end_matches('*')).exists()),
        "archives hold the binary only (a files glob that matches nothing): {files:?}"
    );

    // SHA256SUMS over the zips and the manifest, signed (binary, detached).
    assert_eq!(
        render(str_at(&g, "/checksum/name_template"), "", ""),
        sums_name()
    );
    assert_eq!(str_at(&g, "/checksum/algorithm"), "sha256");
    for extra in ["/checksum/extra_files/0", "/release/extra_files/0"] {
        assert_eq!(
            str_at(&g, &format!("{extra}/glob")),
            "terraform-registry-manifest.json"
        );
        assert_eq!(
            render(str_at(&g, &format!("{extra}/name_template")), "", ""),
            manifest_name()
        );
    }
    assert_eq!(str_at(&g, "/signs/0/artifacts"), "checksum");
    let args = strings_at(&g, "/signs/0/args");
    assert!(
        args.contains(&"--detach-sign".to_owned())
            && !args.iter().any(|a| a == "--armor" || a == "-a"),
        "binary detached signature: {args:?}"
    );
    assert!(
        args.contains(&"{{ .Env.GPG_FINGERPRINT }}".to_owned()),
        "signs with the imported key: {args:?}"
    );
    // GoReleaser's default signature name is "${artifact}.sig".
    assert!(
        g.pointer("/signs/0/signature").is_none(),
        "default signature name (<sums>.sig, i.e. {})",
        sig_name()
    );
}

#[test]
fn manifest_changelog_and_guides_agree_with_cargo_toml() {
    // The registry manifest: protocol 6 exactly as --version reports it.
    let manifest: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("terraform-registry-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["version"], 1);
    let (_, _, protocol) = version_output(Path::new(PROVIDER_BIN));
    let majors = protocol
        .split("supported protocol versions: ")
        .nth(1)
        .and_then(|s| s.strip_suffix(')'))
        .expect("protocol versions in --version");
    let listed: Vec<String> = manifest["metadata"]["protocol_versions"]
        .as_array()
        .expect("metadata.protocol_versions")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let from_version: Vec<String> = majors.split(", ").map(|m| format!("{m}.0")).collect();
    assert_eq!(listed, from_version, "manifest protocols vs --version");

    // CHANGELOG.md: the newest section is this version.
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).expect("CHANGELOG.md");
    let newest = changelog
        .lines()
        .find(|l| l.starts_with("## "))
        .expect("a version section in CHANGELOG.md");
    let heading_version = newest[3..].split_whitespace().next().unwrap();
    assert_eq!(
        heading_version, VERSION,
        "CHANGELOG.md's newest section ({newest}) is Cargo.toml's version"
    );

    // Version constraints in the docs, the examples and the README are `~> MAJOR.MINOR` of this
    // version (and the guides show at least one).
    let mut parts = VERSION.split('.');
    let want = format!("~> {}.{}", parts.next().unwrap(), parts.next().unwrap());
    let mut pins = 0;
    let mut files = vec![root().join("README.md")];
    files.extend(markdown_files(&root().join("docs")));
    files.extend(markdown_files(&root().join("examples")));
    for page in files {
        let guide = page.starts_with(root().join("docs/guides"));
        let text = std::fs::read_to_string(&page).unwrap();
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("version") {
                let Some(value) = rest.trim_start().strip_prefix('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                if value.starts_with("~>") {
                    assert_eq!(value, want, "{}: {line}", page.display());
                    pins += usize::from(guide);
                }
            }
        }
    }
    assert!(pins > 0, "the guides show a version constraint ({want})");
}

fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(markdown_files(&p));
        } else if p.extension().is_some_and(|x| x == "md" || x == "tf") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Issue 10 item 9: configurations spell the provider `harness-gitops/harness`, which each
/// tool resolves on its own registry.
#[test]
fn docs_and_examples_use_the_short_source_address() {
    let mut files = vec![root().join("README.md")];
    files.extend(markdown_files(&root().join("docs")));
    files.extend(markdown_files(&root().join("examples")));
    let mut seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines() {
            let t = line.trim().trim_start_matches('#').trim();
            let Some(rest) = t.strip_prefix("source") else {
                continue;
            };
            let Some(value) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let value = value
                .trim()
                .trim_end_matches([',', '}'])
                .trim()
                .trim_matches('"');
            if value.ends_with("harness-gitops/harness") {
                assert_eq!(
                    value,
                    "harness-gitops/harness",
                    "{}: use the short source address: {line}",
                    f.display()
                );
                seen += 1;
            }
        }
    }
    assert!(
        seen >= 3,
        "README, docs and examples declare the provider ({seen} found)"
    );
}

// ---------------------------------------------------------------------------------------------
// .goreleaser.yml against GoReleaser's published schema
// ---------------------------------------------------------------------------------------------

fn goreleaser_schema() -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("release/goreleaser.schema.json")).unwrap(),
    )
    .expect("vendored schema is JSON");
    jsonschema::validator_for(&schema).expect("the vendored schema compiles")
}

fn schema_errors(v: &jsonschema::Validator, config: &Json) -> Vec<String> {
    v.iter_errors(config)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn goreleaser_config_is_valid_against_the_vendored_schema() {
    let v = goreleaser_schema();
    let config = goreleaser_config();
    let errors = schema_errors(&v, &config);
    assert!(errors.is_empty(), ".goreleaser.yml: {errors:#?}");

    // The validation can fail: a misspelt key and a wrong type are each rejected.
    let mut typo = config.clone();
    typo["builds"][0]["binray"] = typo["builds"][0]["binary"].take();
    assert!(
        !schema_errors(&v, &typo).is_empty(),
        "a misspelt key must be rejected"
    );
    let mut wrong_type = config.clone();
    wrong_type["checksum"]["extra_files"] = Json::from("terraform-registry-manifest.json");
    assert!(
        !schema_errors(&v, &wrong_type).is_empty(),
        "a string where a list is due must be rejected"
    );
}

// ---------------------------------------------------------------------------------------------
// ELF: glibc baseline and dynamic dependencies
// ---------------------------------------------------------------------------------------------

/// The newest glibc symbol version a portable Linux release may need.
const GLIBC_BASELINE: (u32, u32) = (2, 17);
/// Shared libraries a release may link: the C runtime and nothing else.
const ALLOWED_LIBRARIES: [&str; 7] = [
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libgcc_s.so.1",
    "ld-linux",
];

/// What the dynamic linker will ask of a binary.
#[derive(Debug)]
struct ElfFacts {
    /// Undefined dynamic symbols with a GLIBC_x.y version: (symbol, version).
    glibc_symbols: Vec<(String, (u32, u32))>,
    /// DT_NEEDED entries.
    needed: Vec<String>,
}

fn readelf(args: &[&str], bin: &Path) -> String {
    require_tool(
        "readelf",
        "apt-get install binutils (it comes with the C toolchain Rust links with)",
    );
    run_ok(
        Command::new("readelf")
            .args(args)
            .arg(bin)
            .env("LC_ALL", "C"),
    )
}

/// Lists the versioned symbols of the dynamic symbol table (`readelf --dyn-syms`, whose name
/// column reads `memcpy@GLIBC_2.14 (3)`) and the DT_NEEDED entries (`readelf --dynamic`).
fn elf_facts(bin: &Path) -> ElfFacts {
    let header = readelf(&["--file-header", "--wide"], bin);
    assert!(
        header.contains("ELF"),
        "{} is not an ELF file",
        bin.display()
    );
    let mut glibc_symbols = Vec::new();
    for line in readelf(&["--dyn-syms", "--wide"], bin).lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // Num: Value Size Type Bind Vis Ndx Name [(verindex)]
        if cols.len() < 8 || !cols[0].ends_with(':') || cols[6] != "UND" {
            continue;
        }
        let name = cols[7];
        let Some(at) = name.find('@') else { continue };
        let version = name[at..].trim_start_matches('@');
        if let Some(v) = version.strip_prefix("GLIBC_") {
            let mut nums = v.split('.').map(|n| n.parse::<u32>());
            let parsed = match (nums.next(), nums.next()) {
                (Some(Ok(major)), Some(Ok(minor))) => (major, minor),
                (Some(Ok(major)), None) => (major, 0),
                _ => panic!("unparsable glibc version in {line:?}"),
            };
            glibc_symbols.push((name[..at].to_owned(), parsed));
        }
    }
    let needed = readelf(&["--dynamic", "--wide"], bin)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .map(|l| {
            l.split('[')
                .nth(1)
                .and_then(|s| s.split(']').next())
                .unwrap_or_else(|| panic!("NEEDED line without [library]: {l:?}"))
                .to_owned()
        })
        .collect();
    ElfFacts {
        glibc_symbols,
        needed,
    }
}

/// Everything that stops the binary from running on a glibc-2.17 system; empty when it runs.
fn portability_violations(facts: &ElfFacts) -> Vec<String> {
    let mut problems = Vec::new();
    if facts.glibc_symbols.is_empty() {
        problems.push("no GLIBC-versioned symbols found: not a dynamically linked glibc binary, or readelf's output was not understood".to_owned());
    }
    let mut newer: Vec<&(String, (u32, u32))> = facts
        .glibc_symbols
        .iter()
        .filter(|(_, v)| *v > GLIBC_BASELINE)
        .collect();
    newer.sort_by_key(|(s, v)| (std::cmp::Reverse(*v), s.clone()));
    for (sym, (major, minor)) in newer {
        problems.push(format!(
            "{sym} needs GLIBC_{major}.{minor} (> GLIBC_{}.{})",
            GLIBC_BASELINE.0, GLIBC_BASELINE.1
        ));
    }
    for lib in &facts.needed {
        if !ALLOWED_LIBRARIES
            .iter()
            .any(|a| lib == a || (a.starts_with("ld-linux") && lib.starts_with(a)))
        {
            problems.push(format!("links {lib}, beyond the C runtime"));
        }
    }
    problems
}

/// The glibc of this machine, from `ldd --version` ("ldd (Debian GLIBC 2.36-9) 2.36").
fn host_glibc() -> (u32, u32) {
    let out = run_ok(Command::new("ldd").arg("--version"));
    let first = out.lines().next().unwrap_or_default();
    let v = first.split_whitespace().last().unwrap_or_default();
    let mut nums = v.split('.').map(|n| n.parse::<u32>().ok());
    match (nums.next().flatten(), nums.next().flatten()) {
        (Some(a), Some(b)) => (a, b),
        _ => panic!("cannot read the glibc version from `ldd --version`: {first:?}"),
    }
}

/// The check must be able to fail: this machine's ordinary build (Debian 12, glibc 2.36) uses
/// symbols newer than 2.17, and the check has to say which.
#[cfg(target_os = "linux")]
#[test]
fn elf_check_rejects_a_binary_built_against_a_newer_glibc() {
    let host = host_glibc();
    assert!(
        host > (2, 33),
        "this test proves the check on a host build that needs a glibc newer than 2.17, which \
         glibc {}.{} builds do not reliably do; run it on glibc >= 2.34 (Debian 12 has 2.36)",
        host.0,
        host.1
    );
    let facts = elf_facts(Path::new(PROVIDER_BIN));
    let problems = portability_violations(&facts);
    assert!(
        problems.iter().any(|p| p.contains("needs GLIBC_2.")),
        "the host build must be rejected for its glibc symbols; violations: {problems:?}\n{facts:?}"
    );
    // And the newest symbol it reports is a real one from the dynamic table.
    let newest = facts.glibc_symbols.iter().map(|(_, v)| *v).max().unwrap();
    assert!(newest > GLIBC_BASELINE && newest <= host, "{newest:?}");
    // The dependency rule rejects a library outside the C runtime too.
    let mut extra = facts;
    extra.needed.push("libssl.so.3".to_owned());
    assert!(
        portability_violations(&extra)
            .iter()
            .any(|p| p.contains("libssl.so.3")),
        "an extra library is rejected"
    );
}

// ---------------------------------------------------------------------------------------------
// A built release (HARNESS_RELEASE_DIR)
// ---------------------------------------------------------------------------------------------

/// The release directory `.ci/run` built with `scripts/release.sh`; fails loudly when unset.
fn release_dir() -> PathBuf {
    let dir = std::env::var_os(ENV_RELEASE_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
            "{ENV_RELEASE_DIR} must name a directory built by scripts/release.sh (see .ci/run); \
             these tests check that build"
        )
        });
    assert!(
        dir.is_dir(),
        "{ENV_RELEASE_DIR}={} is not a directory",
        dir.display()
    );
    dir
}

/// Unpacks the host platform's zip of the release into a temporary directory.
fn release_binary() -> (tempfile::TempDir, PathBuf) {
    let (os, arch) = host_platform();
    let zip = release_dir().join(zip_name(os, arch));
    assert!(zip.is_file(), "{} is missing", zip.display());
    let tmp = tempfile::tempdir().unwrap();
    unzip_into(&zip, tmp.path());
    let bin = tmp.path().join(binary_in_zip(os));
    assert!(
        bin.is_file(),
        "{} holds {}",
        zip.display(),
        binary_in_zip(os)
    );
    (tmp, bin)
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a release built by scripts/release.sh: HARNESS_RELEASE_DIR=... cargo test --test release -- --ignored (.ci/run does)"]
fn release_binary_needs_glibc_2_17_and_only_the_c_runtime() {
    let (_tmp, bin) = release_binary();
    let facts = elf_facts(&bin);
    let problems = portability_violations(&facts);
    assert!(
        problems.is_empty(),
        "the release binary is not portable:\n  {}",
        problems.join("\n  ")
    );
    let newest = facts.glibc_symbols.iter().map(|(_, v)| *v).max().unwrap();
    eprintln!(
        "release binary: {} GLIBC-versioned symbols, newest GLIBC_{}.{}; needs {:?}",
        facts.glibc_symbols.len(),
        newest.0,
        newest.1,
        facts.needed
    );
}

#[test]
#[ignore = "needs a release built by scripts/release.sh: HARNESS_RELEASE_DIR=... cargo test --test release -- --ignored (.ci/run does)"]
fn release_binary_reports_its_commit_and_performs_the_handshake() {
    let (tmp, bin) = release_binary();
    let (first, commit, protocol) = version_output(&bin);
    assert_eq!(first, format!("{NAME} {VERSION}"));
    let sha = commit.trim_end_matches("-dirty");
    assert!(
        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        "a release names its full commit, got {commit:?}"
    );
    assert!(protocol.starts_with("plugin protocol 6."), "{protocol}");

    // The go-plugin handshake, as Terraform starts it: cookie, protocol offer, socket dir.
    let sockets = tempfile::tempdir_in(tmp.path()).unwrap();
    let mut child = Command::new(&bin)
        .env_clear()
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_UNIX_SOCKET_DIR", sockets.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the release binary");
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
    });
    // Bounded: a binary that never prints its handshake fails this test, not the run.
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(read) => read.expect("handshake line"),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no handshake line from {} within 60 s", bin.display());
        }
    };
    let elapsed = started.elapsed();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert!(
        fields.len() >= 5 && fields[0] == "1" && fields[1] == "6" && fields[4] == "grpc",
        "go-plugin handshake `1|6|<network>|<addr>|grpc|...`, got {line:?}"
    );
    if fields[2] == "unix" {
        let socket = Path::new(fields[3]);
        assert!(socket.starts_with(sockets.path()), "{line}");
        std::os::unix::net::UnixStream::connect(socket)
            .expect("the provider listens on its socket");
    } else {
        assert_eq!(fields[2], "tcp", "{line}");
        std::net::TcpStream::connect(fields[3]).expect("the provider listens on its port");
    }
    assert!(
        elapsed < Duration::from_secs(10),
        "handshake took {elapsed:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// The release workflow: the project's checks gate the build, the build makes a draft, the
/// drafted linux/amd64 binary passes the ELF and handshake tests (run by exact name), and only
/// then is the draft published; the release toolchain is the one CI checks with.
#[test]
fn release_workflow_gates_a_draft_on_the_checks_with_ci_s_toolchain() {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let wf: Json = serde_yaml_ng::from_str(&text).expect("release.yml is YAML");
    let jobs = &wf["jobs"];
    let needs = |job: &str| jobs[job]["needs"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        needs("goreleaser"),
        "checks",
        "the build waits for the checks"
    );
    assert_eq!(
        needs("verify"),
        "goreleaser",
        "the binary is checked after the build"
    );
    assert_eq!(
        needs("publish"),
        "verify",
        "publishing waits for the binary's checks"
    );
    let steps = |job: &str| {
        jobs[job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["run"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        steps("checks").contains("bash .ci/run"),
        "the checks are .ci/run"
    );
    let verify = steps("verify");
    for test in [
        "release_binary_needs_glibc_2_17_and_only_the_c_runtime",
        "release_binary_reports_its_commit_and_performs_the_handshake",
    ] {
        assert!(verify.contains(test), "verify runs {test}");
    }
    assert!(verify.contains("--exact"), "by exact name");
    assert!(
        steps("publish").contains("--draft=false"),
        "publish turns the draft into the release"
    );
    assert_eq!(
        goreleaser_config()["release"]["draft"],
        true,
        "GoReleaser makes a draft"
    );

    // GoReleaser >= 2.15 builds cargo-zigbuild's versioned targets.
    let v = wf["env"]["GORELEASER_VERSION"]
        .as_str()
        .expect("pinned GoReleaser");
    let mut parts = v
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap());
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    assert!(
        major == 2 && minor >= 15,
        "GoReleaser {v} is older than v2.15.0"
    );

    // The container's cargo-zigbuild, the zig and the Rust of the build are CI's.
    let reqs = std::fs::read_to_string(root().join("release/requirements.txt")).unwrap();
    let pin = |name: &str| {
        reqs.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}==")))
            .unwrap_or_else(|| panic!("{name} pinned in release/requirements.txt"))
            .trim()
            .to_string()
    };
    let image = jobs["goreleaser"]["container"]["image"].as_str().unwrap();
    assert_eq!(
        image,
        format!(
            "ghcr.io/rust-cross/cargo-zigbuild:{}",
            pin("cargo-zigbuild")
        ),
        "the release container is the cargo-zigbuild CI checks with"
    );
    let build = steps("goreleaser");
    assert!(build.contains("release/rust-toolchain") && build.contains("release/requirements.txt"));
    let rust = std::fs::read_to_string(root().join("release/rust-toolchain")).unwrap();
    assert_eq!(
        rust.trim().split('.').count(),
        3,
        "an exact Rust version: {rust}"
    );
}
