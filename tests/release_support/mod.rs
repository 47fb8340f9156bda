//! Shared by `tests/release.rs` and `tests/install.rs`: the release's file names, the tools
//! the release path uses (gpg, zip, readelf, sha256sum), a throwaway GPG keyring, and running
//! `scripts/release.sh`. Depends only on the built binaries and public tools.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const NAME: &str = "terraform-provider-harness";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const PROVIDER_BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-harness");
/// The registry namespace and type of the provider (`harness-gitops/harness`).
pub const NAMESPACE: &str = "harness-gitops";
pub const TYPE: &str = "harness";

/// Where the release checks of `.ci/run` find a built release (`scripts/release.sh --out`).
pub const ENV_RELEASE_DIR: &str = "HARNESS_RELEASE_DIR";
/// The ASCII-armoured public key that signed the release in `HARNESS_RELEASE_DIR`.
pub const ENV_RELEASE_KEY: &str = "HARNESS_RELEASE_KEY";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The file names of one release, as the registries want them.
pub fn zip_name(os: &str, arch: &str) -> String {
    format!("{NAME}_{VERSION}_{os}_{arch}.zip")
}
pub fn binary_in_zip(os: &str) -> String {
    let ext = if os == "windows" { ".exe" } else { "" };
    format!("{NAME}_v{VERSION}{ext}")
}
pub fn manifest_name() -> String {
    format!("{NAME}_{VERSION}_manifest.json")
}
pub fn sums_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS")
}
pub fn sig_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS.sig")
}

/// The registry's name for this machine's platform (`linux_amd64`).
pub fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        "windows" => "windows",
        other => panic!("no registry platform name for OS {other}"),
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no registry platform name for architecture {other}"),
    };
    (os, arch)
}

/// Fails loudly, with how to install it, when a tool the release path needs is missing.
pub fn require_tool(tool: &str, install: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "the release tests need `{tool}` on PATH; install it: {install}"
    );
}

/// How long one command of the release path may take (`scripts/release.sh` builds release
/// binaries, which takes many minutes on a loaded machine).
pub const COMMAND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs a command to completion, within [`COMMAND_DEADLINE`]; panics (with its output) if it
/// cannot start or does not end in time.
pub fn run(cmd: &mut Command) -> Output {
    let what = format!("{cmd:?}");
    tfplugin::testing::output_within(cmd, &what, COMMAND_DEADLINE)
}

/// Runs a command and panics with its output unless it succeeds; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// SHA-256 of a file, in hex, by `sha256sum` (coreutils).
pub fn sha256_hex(path: &Path) -> String {
    require_tool("sha256sum", "it is part of GNU coreutils");
    let out = run_ok(Command::new("sha256sum").arg(path));
    let hex = out.split_whitespace().next().unwrap_or_default().to_owned();
    assert_eq!(hex.len(), 64, "sha256sum output {out:?}");
    hex
}

/// `SHA256SUMS` as file name → hex digest (GoReleaser and sha256sum write `<hex>  <name>`).
pub fn parse_sums(text: &str) -> BTreeMap<String, String> {
    let mut sums = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (Some(hex), Some(file), None) = (parts.next(), parts.next(), parts.next()) else {
            panic!("malformed SHA256SUMS line {line:?}");
        };
        assert!(
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "malformed digest in {line:?}"
        );
        assert!(
            sums.insert(
                file.trim_start_matches('*').to_owned(),
                hex.to_ascii_lowercase()
            )
            .is_none(),
            "{file} listed twice"
        );
    }
    sums
}

/// A key in a throwaway keyring.
#[derive(Clone, Debug)]
pub struct GpgKey {
    pub fingerprint: String,
    /// The 16-hex-digit long key ID Terraform reports ("self-signed, key ID ...").
    pub key_id: String,
}

/// A throwaway GnuPG home in a temporary directory; its agent is stopped on drop.
pub struct Gpg {
    pub home: tempfile::TempDir,
}

impl Gpg {
    pub fn new() -> Gpg {
        require_tool("gpg", "apt-get install gnupg (Debian/Ubuntu)");
        // Short path: gpg-agent's socket lives in the home and socket paths are limited to ~100
        // bytes.
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("temporary GNUPGHOME");
        // gpg warns about (and agents refuse) a home that others can read.
        std::fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod 700 GNUPGHOME");
        Gpg { home }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path())
            .args(["--batch", "--no-tty", "--quiet"]);
        c
    }

    /// Generates an RSA signing key (the public registry takes RSA or DSA, not ECC) protected
    /// by `passphrase`, which goes to gpg on stdin, never on a command line.
    pub fn generate(&self, uid: &str, passphrase: &str) -> GpgKey {
        let mut child = self
            .cmd()
            .args([
                "--pinentry-mode",
                "loopback",
                "--passphrase-fd",
                "0",
                "--quick-generate-key",
                uid,
                "rsa2048",
                "sign",
                "never",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gpg --quick-generate-key");
        child
            .stdin
            .take()
            .expect("gpg stdin")
            .write_all(passphrase.as_bytes())
            .expect("passphrase to gpg");
        let out = tfplugin::testing::wait_within(
            child,
            "gpg --quick-generate-key",
            std::time::Duration::from_secs(300),
        );
        assert!(
            out.status.success(),
            "gpg could not generate a key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = run_ok(
            self.cmd()
                .args(["--with-colons", "--list-secret-keys", uid]),
        );
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| f.len() == 40))
            .unwrap_or_else(|| panic!("no fingerprint in {listing}"))
            .to_owned();
        let key_id = fingerprint[24..].to_owned();
        GpgKey {
            fingerprint,
            key_id,
        }
    }

    /// The ASCII-armoured public key, as a registry serves it.
    pub fn armor(&self, key: &GpgKey) -> String {
        let armor = run_ok(self.cmd().args(["--armor", "--export", &key.fingerprint]));
        assert!(armor.contains("BEGIN PGP PUBLIC KEY BLOCK"), "{armor}");
        armor
    }

    /// Imports an armoured public key; returns its fingerprint and key ID.
    pub fn import(&self, armor_file: &Path) -> GpgKey {
        run_ok(self.cmd().arg("--import").arg(armor_file));
        let shown = run_ok(
            self.cmd()
                .args(["--with-colons", "--import-options", "show-only", "--import"])
                .arg(armor_file),
        );
        let fingerprint = shown
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| f.len() == 40))
            .unwrap_or_else(|| panic!("no fingerprint in {shown}"))
            .to_owned();
        let key_id = fingerprint[24..].to_owned();
        GpgKey {
            fingerprint,
            key_id,
        }
    }

    /// Verifies a detached signature; returns the fingerprint of the key that made it, or the
    /// status lines when it does not verify.
    pub fn verify(&self, sig: &Path, data: &Path) -> Result<String, String> {
        let out = run(self
            .cmd()
            .args(["--status-fd", "1", "--verify"])
            .arg(sig)
            .arg(data));
        let status = String::from_utf8_lossy(&out.stdout).into_owned();
        let valid = status
            .lines()
            .find_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        match (out.status.success(), valid) {
            (true, Some(fpr)) => Ok(fpr),
            _ => Err(format!("{status}{}", String::from_utf8_lossy(&out.stderr))),
        }
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs `scripts/release.sh` with `args`, signing with `key` from `gpg` (passphrase through
/// `GPG_PASSPHRASE`); panics with its output on failure and checks that the passphrase
/// appears nowhere in it. Returns stdout and stderr.
pub fn release_sh(args: &[&str], gpg: &Gpg, key: &GpgKey, passphrase: &str) -> String {
    require_tool("zip", "apt-get install zip (Debian/Ubuntu)");
    let out = run(Command::new(root().join("scripts/release.sh"))
        .args(args)
        .env("GNUPGHOME", gpg.home.path())
        .env("GPG_FINGERPRINT", &key.fingerprint)
        .env("GPG_PASSPHRASE", passphrase));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(passphrase),
        "scripts/release.sh printed the GPG passphrase"
    );
    assert!(
        out.status.success(),
        "scripts/release.sh {args:?} failed ({}):\n{text}",
        out.status
    );
    text
}

/// The names in a zip archive, by `unzip -Z1`.
pub fn zip_entries(zip: &Path) -> Vec<String> {
    require_tool("unzip", "apt-get install unzip (Debian/Ubuntu)");
    run_ok(Command::new("unzip").arg("-Z1").arg(zip))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Extracts a zip into `dir` (keeping the Unix permissions it records).
pub fn unzip_into(zip: &Path, dir: &Path) {
    require_tool("unzip", "apt-get install unzip (Debian/Ubuntu)");
    run_ok(Command::new("unzip").arg("-q").arg(zip).arg("-d").arg(dir));
}
