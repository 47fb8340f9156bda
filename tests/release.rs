//! Release checks (issue 10).
//!
//! In the default suite: `--version` reports version, commit and protocol; every file that
//! names the version or the release layout agrees (Cargo.toml, `.goreleaser.yml`,
//! `terraform-registry-manifest.json`, CHANGELOG.md, the guides, `proto/`); `.goreleaser.yml`
//! is valid against GoReleaser's published JSON schema (vendored in `release/`); the static-pie
//! ELF check rejects a dynamically linked binary (this machine's own debug build).
//!
//! On a built release (ignored by default: it needs `scripts/release.sh`, the static glibc and
//! several minutes; `.ci/run` builds it and runs them):
//!
//! ```sh
//! HARNESS_RELEASE_DIR=target/release-ci/dist HARNESS_RELEASE_KEY=target/release-ci/key.asc \
//!   cargo test --test release -- --ignored
//! ```
//!
//! the Linux binary is a static-pie executable (no interpreter, no shared library, Linux 3.10
//! suffices), resolves names through /etc/hosts and DNS, reports its commit, and performs the
//! go-plugin handshake.

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

    // Two rust builds of the provider package, binary named as the registry wants: Linux with
    // cargo and the static glibc (scripts/build-provider.sh builds those static-pie), macOS and
    // Windows with cargo-zigbuild. Both through the same tool, flags and environment.
    let builds = g["builds"].as_array().expect("builds");
    assert_eq!(builds.len(), 2, "two builds: Linux (static) and the others");
    let mut platforms: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ids = Vec::new();
    for i in 0..builds.len() {
        let at = |key: &str| format!("/builds/{i}/{key}");
        ids.push(str_at(&g, &at("id")).to_owned());
        assert_eq!(str_at(&g, &at("builder")), "rust");
        let tool = str_at(&g, &at("tool"));
        assert_eq!(tool, "./scripts/build-provider.sh");
        assert!(
            root().join(tool).is_file(),
            "the build tool {tool} exists in the repository"
        );
        for (os, _) in [("linux", ""), ("windows", "")] {
            let binary = render(str_at(&g, &at("binary")), os, "amd64");
            let ext = if os == "windows" { ".exe" } else { "" };
            assert_eq!(format!("{binary}{ext}"), binary_in_zip(os));
        }
        let flags = strings_at(&g, &at("flags"));
        for f in [
            "--release".to_owned(),
            "--locked".to_owned(),
            format!("--package={NAME}"),
            format!("--bin={NAME}"),
        ] {
            assert!(flags.contains(&f), "build flag {f} in {flags:?}");
        }
        let env = strings_at(&g, &at("env"));
        assert!(
            env.contains(&"RELEASE_VERSION={{ .Version }}".to_owned())
                && env.contains(&"TERRAFORM_PROVIDER_HARNESS_COMMIT={{ .FullCommit }}".to_owned()),
            "the build passes the tag's version (checked against Cargo.toml) and the commit: {env:?}"
        );
        let command = str_at(&g, &at("command"));
        for t in strings_at(&g, &at("targets")) {
            let arch = match t.split('-').next().unwrap() {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => panic!("unexpected architecture in {t} ({other})"),
            };
            let os = if t.contains("-linux-") {
                assert!(
                    t.ends_with("-linux-gnu") && command == "build",
                    "Linux target {t} is built static with `cargo build` (command {command}), \
                     without a glibc suffix"
                );
                "linux"
            } else if t.ends_with("-apple-darwin") {
                "darwin"
            } else if t.contains("-windows-") {
                "windows"
            } else {
                panic!("unexpected target {t}")
            };
            if os != "linux" {
                assert_eq!(command, "zigbuild", "{t} is built with cargo-zigbuild");
            }
            assert!(
                platforms.insert((os.to_owned(), arch.to_owned())),
                "{t}: one build per platform"
            );
        }
    }
    // Every platform the issue names.
    let wanted: BTreeSet<(String, String)> = ["linux", "darwin", "windows"]
        .iter()
        .flat_map(|os| ["amd64", "arm64"].map(|a| (os.to_string(), a.to_string())))
        .collect();
    assert_eq!(
        platforms, wanted,
        "targets cover {{linux,darwin,windows}} x {{amd64,arm64}}"
    );
    let mut archived = strings_at(&g, "/archives/0/ids");
    archived.sort();
    ids.sort();
    assert_eq!(archived, ids, "the archive takes every build");

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
// ELF: a static-pie executable
// ---------------------------------------------------------------------------------------------

/// The oldest Linux kernel the release must start on: the kernels of the distributions of the
/// former glibc 2.17 baseline (CentOS/RHEL 7 ship 3.10). A static glibc refuses to run on a
/// kernel older than the minimum it was configured with, which its ELF note NT_GNU_ABI_TAG
/// records (Debian's glibc: 3.2.0).
const OLDEST_KERNEL: (u32, u32, u32) = (3, 10, 0);

/// What the kernel and a dynamic loader would ask of a binary.
#[derive(Debug, Clone)]
struct ElfFacts {
    /// The ELF header's `Type:` (`DYN (Position-Independent Executable file)`, `EXEC ...`).
    elf_type: String,
    /// The PT_INTERP program header's loader: the binary is dynamically linked.
    interpreter: Option<String>,
    /// DT_NEEDED entries.
    needed: Vec<String>,
    /// Undefined symbols of the dynamic symbol table (a shared library must provide them).
    undefined: Vec<String>,
    /// The minimum kernel of the NT_GNU_ABI_TAG note (`OS: Linux, ABI: 3.2.0`).
    min_kernel: Option<(u32, u32, u32)>,
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

fn elf_facts(bin: &Path) -> ElfFacts {
    let header = readelf(&["--file-header", "--wide"], bin);
    assert!(
        header.contains("ELF"),
        "{} is not an ELF file",
        bin.display()
    );
    let elf_type = header
        .lines()
        .find_map(|l| l.trim().strip_prefix("Type:"))
        .unwrap_or_else(|| panic!("no Type: in readelf's header of {}", bin.display()))
        .trim()
        .to_owned();
    let programs = readelf(&["--program-headers", "--wide"], bin);
    let has_interp = programs
        .lines()
        .any(|l| l.split_whitespace().next() == Some("INTERP"));
    let interpreter = has_interp.then(|| {
        programs
            .lines()
            .find_map(|l| l.split("program interpreter: ").nth(1))
            .map(|s| s.trim_end_matches(']').to_owned())
            .unwrap_or_else(|| "(unnamed)".to_owned())
    });
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
    let mut undefined = Vec::new();
    for line in readelf(&["--dyn-syms", "--wide"], bin).lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // Num: Value Size Type Bind Vis Ndx Name [(verindex)]
        if cols.len() >= 8 && cols[0].ends_with(':') && cols[6] == "UND" {
            undefined.push(cols[7].to_owned());
        }
    }
    let notes = readelf(&["--notes", "--wide"], bin);
    let min_kernel = notes.lines().find_map(|l| {
        let abi = l.split("OS: Linux, ABI: ").nth(1)?;
        let mut n = abi.trim().split('.').map(|p| p.parse::<u32>().ok());
        Some((n.next()??, n.next()??, n.next()??))
    });
    ElfFacts {
        elf_type,
        interpreter,
        needed,
        undefined,
        min_kernel,
    }
}

/// Everything that keeps the binary from being a static-pie executable that starts on every
/// kernel since [`OLDEST_KERNEL`]; empty when it is one.
fn static_pie_violations(facts: &ElfFacts) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(interp) = &facts.interpreter {
        problems.push(format!(
            "has a program interpreter ({interp}): dynamically linked"
        ));
    }
    if !facts.needed.is_empty() {
        problems.push(format!("needs shared libraries {:?}", facts.needed));
    }
    if !facts.undefined.is_empty() {
        let mut some = facts.undefined.clone();
        some.truncate(5);
        problems.push(format!(
            "{} undefined dynamic symbols (e.g. {some:?}) that only a shared library could provide",
            facts.undefined.len()
        ));
    }
    if !facts.elf_type.starts_with("DYN") {
        problems.push(format!(
            "ELF type {}: not position-independent (a static-pie executable is DYN)",
            facts.elf_type
        ));
    }
    match facts.min_kernel {
        None => problems.push(
            "no NT_GNU_ABI_TAG note: the minimum kernel of its C library is unknown".to_owned(),
        ),
        Some(k) if k > OLDEST_KERNEL => problems.push(format!(
            "needs Linux {}.{}.{} or newer (> {}.{}.{}, the baseline's oldest kernel)",
            k.0, k.1, k.2, OLDEST_KERNEL.0, OLDEST_KERNEL.1, OLDEST_KERNEL.2
        )),
        Some(_) => {}
    }
    problems
}

/// The check must be able to fail: this machine's ordinary build (the test build) is
/// dynamically linked against the system glibc, and each rule rejects what it should.
#[cfg(target_os = "linux")]
#[test]
fn elf_check_rejects_a_dynamically_linked_binary() {
    let facts = elf_facts(Path::new(PROVIDER_BIN));
    let problems = static_pie_violations(&facts);
    assert!(
        problems.iter().any(|p| p.contains("program interpreter"))
            && problems.iter().any(|p| p.contains("libc.so.6"))
            && problems
                .iter()
                .any(|p| p.contains("undefined dynamic symbols")),
        "the dynamically linked test build must be rejected for its interpreter, its libc.so.6 \
         and its undefined symbols; violations: {problems:?}\n{facts:?}"
    );
    // Each rule alone, on facts that otherwise pass.
    let clean = ElfFacts {
        elf_type: "DYN (Position-Independent Executable file)".to_owned(),
        interpreter: None,
        needed: Vec::new(),
        undefined: Vec::new(),
        min_kernel: Some((3, 2, 0)),
    };
    assert_eq!(static_pie_violations(&clean), Vec::<String>::new());
    type Break = fn(&mut ElfFacts);
    let cases: [(&str, Break); 6] = [
        ("program interpreter", |f| {
            f.interpreter = Some("/lib64/ld-linux-x86-64.so.2".into())
        }),
        ("libssl.so.3", |f| f.needed.push("libssl.so.3".into())),
        ("undefined dynamic symbols", |f| {
            f.undefined.push("getaddrinfo@GLIBC_2.2.5".into())
        }),
        ("not position-independent", |f| {
            f.elf_type = "EXEC (Executable file)".into()
        }),
        ("needs Linux 4.4.0", |f| f.min_kernel = Some((4, 4, 0))),
        ("no NT_GNU_ABI_TAG", |f| f.min_kernel = None),
    ];
    for (want, break_it) in cases {
        let mut f = clean.clone();
        break_it(&mut f);
        let problems = static_pie_violations(&f);
        assert!(
            problems.len() == 1 && problems[0].contains(want),
            "{want}: {problems:?}"
        );
    }
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
fn release_binary_is_static_pie() {
    let (_tmp, bin) = release_binary();
    let facts = elf_facts(&bin);
    let problems = static_pie_violations(&facts);
    assert!(
        problems.is_empty(),
        "the release binary is not a portable static-pie executable:\n  {}\n{facts:?}",
        problems.join("\n  ")
    );
    let k = facts.min_kernel.unwrap();
    eprintln!(
        "release binary: {}, no interpreter, no shared library, Linux {}.{}.{} or newer",
        facts.elf_type, k.0, k.1, k.2
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

// ---------------------------------------------------------------------------------------------
// Name resolution of the static binary (a user, mount and network namespace of its own)
// ---------------------------------------------------------------------------------------------

/// Set in the re-executed test process that runs inside the namespace.
const ENV_NAMESPACE_CHILD: &str = "HARNESS_RELEASE_RESOLUTION_CHILD";
const RESOLUTION_TEST: &str = "release_binary_resolves_names_from_etc_hosts_and_dns";
/// Names of the namespace's /etc/hosts and of its DNS server (both answer 127.0.0.1).
const HOSTS_NAME: &str = "harness-hosts-file.test";
const DNS_NAME: &str = "harness-dns-only.test";
const UNKNOWN_NAME: &str = "harness-nowhere.test";
const RESOLUTION_KEY: &str = "pat.resolution.0123456789abcdef.not-a-real-key";

/// A static glibc has the `files` and `dns` NSS sources built in (glibc >= 2.34) and loads any
/// other source of /etc/nsswitch.conf with dlopen (the system's own libnss_*.so.2, beside a
/// second, private libc). So the release binary, in a namespace with its own /etc/hosts,
/// /etc/resolv.conf (a DNS server on 127.0.0.1:53 of this test) and /etc/nsswitch.conf, must
/// reach the emulator through a name from /etc/hosts and through a name only DNS knows, with
/// the `hosts:` lines of Debian (`files dns`) and of Fedora/Ubuntu desktops (modules that are
/// loaded, or missing, before `dns`), and must fail for a name nobody knows. The provider runs
/// under Terraform (a filesystem mirror, nothing from the network) and reads a data source: the
/// Harness client (reqwest) resolves the endpoint through getaddrinfo, as kube-rs's connector
/// (hyper-util's GaiResolver) resolves a Kubernetes API host.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a release built by scripts/release.sh, terraform, and unprivileged user namespaces (unshare): HARNESS_RELEASE_DIR=... cargo test --test release -- --ignored (.ci/run does)"]
fn release_binary_resolves_names_from_etc_hosts_and_dns() {
    if std::env::var_os(ENV_NAMESPACE_CHILD).is_some() {
        resolution_in_namespace();
        return;
    }
    release_dir();
    require_tool("unshare", "apt-get install util-linux");
    require_tool("mount", "apt-get install mount");
    require_tool("ip", "apt-get install iproute2");
    let out = run(Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "--net", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "--nocapture", "--test-threads=1"])
        .arg(RESOLUTION_TEST)
        .env(ENV_NAMESPACE_CHILD, "1"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(
        out.status.success()
            && text.contains(&format!("test {RESOLUTION_TEST} ... ok"))
            && text.contains("test result: ok. 1 passed"),
        "the resolution test did not pass in its namespace (it needs unprivileged user \
         namespaces: `unshare --user --map-root-user --mount --net true` must work; Ubuntu 24.04: \
         sysctl kernel.apparmor_restrict_unprivileged_userns=0): {}",
        out.status
    );
}

/// Inside the namespace: loopback up, this test's /etc files, a DNS server, the emulator and
/// Terraform with the release binary.
fn resolution_in_namespace() {
    run_ok(Command::new("ip").args(["link", "set", "lo", "up"]));
    let etc = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = etc.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let hosts = file(
        "hosts",
        &format!("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 {HOSTS_NAME}\n"),
    );
    let resolv = file(
        "resolv.conf",
        "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n",
    );
    let nsswitch = file("nsswitch.conf", "hosts: files dns\n");
    for (ours, system) in [
        (&hosts, "/etc/hosts"),
        (&resolv, "/etc/resolv.conf"),
        (&nsswitch, "/etc/nsswitch.conf"),
    ] {
        run_ok(Command::new("mount").arg("--bind").arg(ours).arg(system));
        assert_eq!(
            std::fs::read_to_string(system).unwrap(),
            std::fs::read_to_string(ours).unwrap(),
            "{system} is this test's"
        );
    }
    let queries = dns_server();

    let emulator = harness_gitops_emulator::start_background_with_args([
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        RESOLUTION_KEY,
        "--account-id",
        "resolution",
    ])
    .expect("start harness-gitops-emulator");
    let port = emulator
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .unwrap_or_else(|| panic!("a port in {}", emulator.url()));
    let counters_url = format!("{}/_emulator/requests", emulator.url());
    let emulator_requests = || -> u64 {
        let body: Json = reqwest::blocking::Client::new()
            .get(&counters_url)
            .header("x-api-key", RESOLUTION_KEY)
            .send()
            .and_then(|r| r.json())
            .expect("emulator counters");
        body["requests"]
            .as_object()
            .map(|m| m.values().filter_map(Json::as_u64).sum())
            .unwrap_or(0)
    };

    // Terraform with the release binary from a filesystem mirror.
    let (tmp, bin) = release_binary();
    let (os, arch) = host_platform();
    let work = tmp.path().join("tf");
    let pkg = work.join(format!(
        "mirror/registry.terraform.io/{NAMESPACE}/{TYPE}/{VERSION}/{os}_{arch}"
    ));
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(&bin, pkg.join(binary_in_zip(os))).unwrap();
    let source = format!("registry.terraform.io/{NAMESPACE}/{TYPE}");
    let cli_config = work.join("cli.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{source}\"]\n  }}\n  direct {{\n    exclude = [\"{source}\"]\n  }}\n}}\n",
            work.join("mirror").display()
        ),
    )
    .unwrap();
    let config = work.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    harness = {{ source = "{NAMESPACE}/{TYPE}" }}
  }}
}}
variable "endpoint" {{ type = string }}
provider "harness" {{
  endpoint        = var.endpoint
  account_id      = "resolution"
  api_key         = "{RESOLUTION_KEY}"
  max_retries     = 0
  request_timeout = "20s"
}}
data "harness_gitops_agent" "probe" {{
  identifier = "resolutionprobe"
}}
"#
        ),
    )
    .unwrap();
    let terraform = |args: &[&str]| -> (bool, String) {
        let mut cmd = Command::new(tfplugin::testing::terraform_bin());
        cmd.current_dir(&config)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &work)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        let out = tfplugin::testing::output_within(
            &mut cmd,
            &format!("terraform {}", args.join(" ")),
            Duration::from_secs(180),
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = terraform(&["init", "-input=false", "-no-color"]);
    assert!(ok, "terraform init from the mirror:\n{text}");

    // A lookup error of the provider's HTTP client (getaddrinfo's, as the diagnostic shows
    // its root cause), in Terraform's output wrapped at 78 columns.
    let resolution_error = |text: &str| {
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        t.contains("failed to lookup address") || t.contains("dns error")
    };
    let plan = |host: &str| -> (u64, String) {
        let before = emulator_requests();
        let endpoint = format!("-var=endpoint=http://{host}:{port}");
        let (_, text) = terraform(&["plan", "-input=false", "-no-color", &endpoint]);
        (emulator_requests() - before, text)
    };
    let nsswitch_lines = [
        // Debian, containers: both sources are built into the static glibc.
        "files dns",
        // Fedora-like: myhostname, mdns4_minimal and resolve are loaded with dlopen (missing
        // here: skipped as unavailable); systemd is present on Debian and is loaded.
        "files myhostname mdns4_minimal [NOTFOUND=return] systemd resolve [!UNAVAIL=return] dns",
    ];
    for line in nsswitch_lines {
        std::fs::write(&nsswitch, format!("hosts: {line}\n")).unwrap();
        for (host, from_dns) in [(HOSTS_NAME, false), (DNS_NAME, true)] {
            let asked_before = queries
                .lock()
                .unwrap()
                .iter()
                .filter(|q| **q == host)
                .count();
            let (requests, text) = plan(host);
            eprintln!("--- hosts: {line}; endpoint {host}: {requests} emulator request(s)\n{text}");
            assert!(
                requests > 0 && !resolution_error(&text),
                "with `hosts: {line}` the release binary must reach the emulator as {host} \
                 ({}):\n{text}",
                if from_dns { "DNS" } else { "/etc/hosts" }
            );
            let asked = queries
                .lock()
                .unwrap()
                .iter()
                .filter(|q| **q == host)
                .count()
                - asked_before;
            if from_dns {
                assert!(
                    asked > 0,
                    "{host} was resolved through the test's DNS server"
                );
            } else {
                assert_eq!(asked, 0, "{host} came from /etc/hosts, not DNS");
            }
        }
        // And a name nobody knows is a lookup error (after DNS was asked), not a request.
        let (requests, text) = plan(UNKNOWN_NAME);
        assert!(
            requests == 0 && resolution_error(&text),
            "with `hosts: {line}`, {UNKNOWN_NAME} must fail to resolve:\n{text}"
        );
        assert!(
            queries.lock().unwrap().iter().any(|q| q == UNKNOWN_NAME),
            "{UNKNOWN_NAME} was asked of DNS"
        );
    }
}

/// A DNS server on 127.0.0.1:53 (UDP) for the namespace: A records of [`DNS_NAME`] are
/// 127.0.0.1, its other types have no data, every other name does not exist. Returns the
/// (lower-case) names asked, in order.
fn dns_server() -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let socket =
        std::net::UdpSocket::bind("127.0.0.1:53").expect("bind 127.0.0.1:53 in the namespace");
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let q = &buf[..n];
            // Header (12 bytes), then one question: labels, 0, type, class.
            let mut i = 12;
            let mut labels = Vec::new();
            while i < n && q[i] != 0 && q[i] < 64 {
                let len = q[i] as usize;
                if i + 1 + len > n {
                    break;
                }
                labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + len]).to_ascii_lowercase());
                i += 1 + len;
            }
            if n < 12 || i + 5 > n {
                continue;
            }
            let name = labels.join(".");
            let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
            log.lock().unwrap().push(name.clone());
            let question = &q[12..i + 5];
            let known = name == DNS_NAME;
            let answer = known && qtype == 1;
            let mut r = Vec::with_capacity(64);
            r.extend_from_slice(&q[0..2]); // ID
            r.extend_from_slice(&(if known { 0x8180u16 } else { 0x8183 }).to_be_bytes()); // NOERROR / NXDOMAIN
            r.extend_from_slice(&1u16.to_be_bytes());
            r.extend_from_slice(&u16::from(answer).to_be_bytes());
            r.extend_from_slice(&[0, 0, 0, 0]);
            r.extend_from_slice(question);
            if answer {
                r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
            }
            let _ = socket.send_to(&r, peer);
        }
    });
    asked
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
        "release_binary_is_static_pie",
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
