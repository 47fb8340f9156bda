//! The end-to-end harness every resource test uses: the real `terraform` binary driving the
//! provider binary through `dev_overrides`, against a real `harness-gitops-emulator` on
//! loopback. Nothing is mocked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value as Json;

/// The provider's source address in every test and example configuration.
pub const SOURCE: &str = "registry.terraform.io/harness-gitops/harness";
pub const API_KEY: &str = "pat.e2e.0123456789abcdef.s3cr3t-api-key";
pub const ACCOUNT: &str = "e2eaccount";

/// The terraform binary: $TERRAFORM or /usr/local/bin/terraform. Fails loudly when absent.
pub fn terraform_bin() -> PathBuf {
    let p = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/terraform"));
    assert!(
        p.exists(),
        "end-to-end tests need the terraform CLI at {} (set TERRAFORM to another path); it is missing",
        p.display()
    );
    p
}

/// An emulator running on a thread of this test process (stopped on drop). It is the
/// same code as the `harness-gitops-emulator` binary, started from its library.
pub struct Emulator {
    _running: harness_gitops_emulator::Background,
    pub url: String,
    http: reqwest::blocking::Client,
}

impl Emulator {
    /// Starts the emulator with extra arguments (e.g. `--fault-rate 0.3`).
    pub fn start(extra: &[&str]) -> Emulator {
        let args = [
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            API_KEY,
            "--account-id",
            ACCOUNT,
        ]
        .iter()
        .chain(extra)
        .copied();
        let running = harness_gitops_emulator::start_background_with_args(args)
            .unwrap_or_else(|e| panic!("start the emulator with {extra:?}: {e}"));
        Emulator {
            url: running.url().to_string(),
            _running: running,
            http: reqwest::blocking::Client::new(),
        }
    }

    /// The admin dump of everything stored.
    pub fn state(&self) -> Json {
        self.http
            .get(format!("{}/_emulator/state", self.url))
            .send()
            .and_then(|r| r.json())
            .expect("emulator state")
    }

    /// Repositories in the dump.
    pub fn repositories(&self) -> Vec<Json> {
        self.state()["repositories"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Sends an admin request (drift or delete behind Terraform's back).
    pub fn admin(
        &self,
        method: reqwest::Method,
        kind: &str,
        query: &[(&str, &str)],
        body: Option<Json>,
    ) {
        let mut req = self
            .http
            .request(method, format!("{}/_emulator/{kind}", self.url))
            .query(query);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("emulator admin call");
        assert!(
            resp.status().is_success(),
            "admin call failed: {} {}",
            resp.status(),
            resp.text().unwrap_or_default()
        );
    }
}

/// A Terraform working directory with a private CLI config and a clean environment.
pub struct Tf {
    pub dir: tempfile::TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

impl Tf {
    pub fn new() -> Tf {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-harness"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir.display()
            ),
        )
        .expect("write cli config");
        Tf {
            dir,
            cli_config,
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for every later terraform run.
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// Writes main.tf (with the required_providers block prepended).
    pub fn write(&self, body: &str) {
        let tf = format!("terraform {{\n  required_providers {{\n    harness = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n{body}");
        std::fs::write(self.dir.path().join("main.tf"), tf).expect("write main.tf");
    }

    /// Writes a file as given (for configurations with their own `terraform` block).
    pub fn write_file(&self, name: &str, body: &str) {
        std::fs::write(self.dir.path().join(name), body).expect("write file");
    }

    /// Runs terraform with `args`; returns the output whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(terraform_bin());
        cmd.current_dir(self.dir.path()).args(args).env_clear();
        for (k, v) in std::env::vars() {
            // Inherited TF_*, HARNESS_* and KUBECONFIG would change what we test.
            if !(k.starts_with("TF_")
                || k.starts_with("HARNESS_")
                || k == "KUBECONFIG"
                || k.starts_with("CHECKPOINT"))
            {
                cmd.env(k, v);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let out = cmd.output().expect("run terraform");
        eprintln!(
            "terraform {} ({} ms, status {})",
            args.join(" "),
            start.elapsed().as_millis(),
            out.status
        );
        out
    }

    /// Runs terraform and panics with its output unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let (so, se) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success(),
            "terraform {} failed\n--- stdout\n{so}\n--- stderr\n{se}",
            args.join(" ")
        );
        so.into_owned()
    }

    /// Runs terraform expecting failure; returns stdout+stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "terraform {} should have failed\n{text}",
            args.join(" ")
        );
        text
    }

    pub fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `plan -detailed-exitcode`: true when the plan is empty, panics on errors.
    pub fn plan_is_empty(&self) -> bool {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        match out.status.code() {
            Some(0) => true,
            Some(2) => {
                eprintln!("non-empty plan:\n{}", String::from_utf8_lossy(&out.stdout));
                false
            }
            _ => {
                panic!(
                    "terraform plan failed\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )
            }
        }
    }

    /// Saves a plan and returns `terraform show -json` of it.
    pub fn plan_json(&self) -> Json {
        self.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        serde_json::from_str(&self.ok(&["show", "-json", "tfplan"])).expect("plan json")
    }

    /// `terraform show -json` of the state.
    pub fn state(&self) -> Json {
        serde_json::from_str(&self.ok(&["show", "-json"])).expect("state json")
    }

    /// The attribute values of resource `addr` in the state.
    pub fn resource(&self, addr: &str) -> Json {
        let st = self.state();
        find_resource(&st["values"]["root_module"], addr)
            .unwrap_or_else(|| panic!("{addr} not in state: {st}"))
    }
}

fn find_resource(module: &Json, addr: &str) -> Option<Json> {
    module["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == addr)
        .map(|r| r["values"].clone())
}
