//! Test support for providers built on this framework (cargo feature `testing`):
//! * [`Terraform`]: a working directory driving the real `terraform` binary against a
//!   provider under test, through `dev_overrides` (a built binary) or `TF_REATTACH_PROVIDERS`
//!   (a provider served in this process, see [`crate::transport::serve_in_process`]);
//! * [`assert_unknowns_refine`]: the generic check that a plan made while configuration
//!   values are unknown is refined, not contradicted, by the plan made once they are known
//!   (Terraform's "inconsistent final plan" rule), for every configurable attribute.
//!
//! Nothing here skips: a missing `terraform` binary fails the test, saying so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::plan;
use crate::resource::Resource;
use crate::server::plan_resource;
use crate::tf::schema::{Constraint, Schema};
use crate::tf::{AttributePath, Diagnostics, PathStep, Value};

/// The terraform binary: `$TERRAFORM` when set, else `terraform` on `PATH`. Panics, naming
/// both, when neither gives one.
pub fn terraform_bin() -> PathBuf {
    find_binary("terraform", "TERRAFORM")
}

/// A tool the tests run (e.g. `kubectl`): the path in the environment variable `env` when it
/// is set (e.g. `KUBECTL`), else the first executable `name` on `PATH`.
///
/// # Panics
/// When `env` names a missing file, or `name` is on no `PATH` entry; the message names both
/// ways to provide it. Nothing skips: a test that needs the tool fails without it.
pub fn find_binary(name: &str, env: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{env}={} does not name a file; point {env} at the {name} binary, or unset it to use {name} from PATH",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .unwrap_or_else(|| {
            panic!(
                "the tests need {name}: it is on no PATH entry ({}); install it or set {env} to its path",
                std::env::var("PATH").unwrap_or_default()
            )
        })
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// How long one terraform command may take in [`Terraform::run`] before the test fails.
pub const TERRAFORM_DEADLINE: Duration = Duration::from_secs(300);

/// Runs `cmd` (stdin empty, stdout and stderr captured) like [`Command::output`], but within
/// `limit`: a child still running then is killed and the test fails naming `what`, so one
/// hang fails one test instead of the whole run.
pub fn output_within(cmd: &mut Command, what: &str, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    wait_within(child, what, limit)
}

/// Waits for `child` (spawned with piped stdout and stderr, or either) and collects its output
/// like [`std::process::Child::wait_with_output`], but within `limit`: a child still running
/// then is killed and the test fails naming `what` and showing what it printed so far.
pub fn wait_within(mut child: Child, what: &str, limit: Duration) -> Output {
    fn reader<R: std::io::Read + Send + 'static>(r: Option<R>) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        if let Some(mut r) = r {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = r.read_to_end(&mut buf);
                let _ = tx.send(buf);
            });
        } else {
            let _ = tx.send(Vec::new());
        }
        rx
    }
    let (out, err) = (reader(child.stdout.take()), reader(child.stderr.take()));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => panic!("waiting for {what}: {e}"),
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            // Output so far; a grandchild may still hold the pipes, so do not wait long.
            let grace = Duration::from_secs(2);
            let so = out.recv_timeout(grace).unwrap_or_default();
            let se = err.recv_timeout(grace).unwrap_or_default();
            let tail = |b: &[u8]| {
                let t = String::from_utf8_lossy(b);
                let cut = (t.len().saturating_sub(4000)..t.len())
                    .find(|&i| t.is_char_boundary(i))
                    .unwrap_or(t.len());
                t[cut..].to_string()
            };
            panic!(
                "{what} did not finish within {limit:?} and was killed\n--- stdout (end)\n{}\n--- stderr (end)\n{}",
                tail(&so),
                tail(&se)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The child has exited: its pipes close unless a grandchild holds them.
    let collect = |rx: mpsc::Receiver<Vec<u8>>, which: &str| {
        rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            panic!("{what} exited ({status}) but its {which} stayed open 30 s (a process it started still holds it)")
        })
    };
    let stdout = collect(out, "stdout");
    let stderr = collect(err, "stderr");
    Output {
        status,
        stdout,
        stderr,
    }
}

/// How Terraform finds the provider under test.
pub enum Install {
    /// `dev_overrides` pointing at the directory holding the provider binary.
    DevOverride(PathBuf),
    /// A `TF_REATTACH_PROVIDERS` value (from [`crate::transport::InProcess::reattach`]).
    Reattach(String),
}

/// A Terraform working directory with a private CLI configuration and a clean environment.
pub struct Terraform {
    pub dir: tempfile::TempDir,
    source: String,
    local_name: String,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
    /// Environment variable prefixes not inherited from the test process (besides `TF_`).
    strip_prefixes: Vec<String>,
}

impl Terraform {
    /// A working directory for provider `source` (e.g. `registry.terraform.io/acme/widget`,
    /// local name `widget`).
    pub fn new(source: &str, local_name: &str, install: Install) -> Terraform {
        let dir = tempfile::tempdir().expect("tempdir");
        let cli_config = dir.path().join("cli.tfrc");
        let mut env = Vec::new();
        let config = match install {
            Install::DevOverride(bin_dir) => format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir.display()
            ),
            Install::Reattach(json) => {
                env.push(("TF_REATTACH_PROVIDERS".to_string(), json));
                "provider_installation {\n  direct {}\n}\n".to_string()
            }
        };
        std::fs::write(&cli_config, config).expect("write cli config");
        Terraform {
            dir,
            source: source.to_string(),
            local_name: local_name.to_string(),
            cli_config,
            env,
            strip_prefixes: Vec::new(),
        }
    }

    /// Also keeps inherited variables starting with `prefix` away from terraform (e.g. the
    /// provider's own `HARNESS_`), so only what the test sets reaches it.
    pub fn strip_env_prefix(&mut self, prefix: &str) -> &mut Self {
        self.strip_prefixes.push(prefix.to_string());
        self
    }

    /// Sets an environment variable for every later terraform run.
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes main.tf, with the `required_providers` block prepended.
    pub fn write(&self, body: &str) {
        let tf = format!(
            "terraform {{\n  required_providers {{\n    {} = {{ source = \"{}\" }}\n  }}\n}}\n\n{body}",
            self.local_name, self.source
        );
        std::fs::write(self.dir.path().join("main.tf"), tf).expect("write main.tf");
    }

    /// Writes a file as given (for configurations with their own `terraform` block).
    pub fn write_file(&self, name: &str, body: &str) {
        std::fs::write(self.dir.path().join(name), body).expect("write file");
    }

    /// The command that runs terraform with `args` here (for tests that need the child).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_bin());
        cmd.current_dir(self.dir.path()).args(args).env_clear();
        for (k, v) in std::env::vars() {
            let stripped = k.starts_with("TF_")
                || k.starts_with("CHECKPOINT")
                || k == "KUBECONFIG"
                || self
                    .strip_prefixes
                    .iter()
                    .any(|p| k.starts_with(p.as_str()));
            if !stripped {
                cmd.env(k, v);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs terraform with `args`; returns the output whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        let start = Instant::now();
        let out = output_within(
            &mut self.command(args),
            &format!("terraform {}", args.join(" ")),
            TERRAFORM_DEADLINE,
        );
        eprintln!(
            "terraform {} ({} ms, status {})",
            args.join(" "),
            start.elapsed().as_millis(),
            out.status
        );
        out
    }

    /// Runs terraform and panics with its output unless it succeeds; returns stdout.
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

    /// Runs terraform expecting failure; returns stdout and stderr together.
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

    /// `apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `plan -detailed-exitcode`: true when the plan is empty; panics on errors.
    pub fn plan_is_empty(&self) -> bool {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        match out.status.code() {
            Some(0) => true,
            Some(2) => {
                eprintln!("non-empty plan:\n{}", String::from_utf8_lossy(&out.stdout));
                false
            }
            _ => panic!(
                "terraform plan failed\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
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

    /// The attribute values of resource `addr` (e.g. `acme_widget.a`) in the root module's
    /// state.
    pub fn resource(&self, addr: &str) -> Json {
        let st = self.state();
        find_resource(&st["values"]["root_module"], addr)
            .unwrap_or_else(|| panic!("{addr} not in state: {st}"))
    }
}

/// Resource `addr` in a `show -json` module object, searching child modules too.
pub fn find_resource(module: &Json, addr: &str) -> Option<Json> {
    if let Some(r) = module["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
    {
        return Some(r["values"].clone());
    }
    module["child_modules"]
        .as_array()?
        .iter()
        .find_map(|m| find_resource(m, addr))
}

/// Every path of a configurable value in `config` (attributes the user may set, at any
/// depth, with list indexes and map keys), for [`assert_unknowns_refine`]. Set elements are
/// addressed by an index into the set's storage order (a step Terraform paths cannot take,
/// understood by [`with_unknown_at`]), so values inside set elements are made unknown too.
pub fn configurable_paths(schema: &Schema, config: &Value) -> Vec<AttributePath> {
    fn walk(
        attrs: &[crate::tf::schema::Attribute],
        blocks: &[crate::tf::schema::NestedBlock],
        v: &Value,
        base: &AttributePath,
        out: &mut Vec<AttributePath>,
    ) {
        for a in attrs {
            if a.constraint == Constraint::Computed {
                continue;
            }
            let x = v.attr(&a.name);
            let path = base.child(&a.name);
            if x.is_null() {
                continue;
            }
            out.push(path.clone());
            if let Some((_, inner)) = a.nested_attributes() {
                nested(inner, &[], true, x, &path, out);
            }
        }
        for b in blocks {
            let x = v.attr(&b.name);
            nested(
                &b.block.attributes,
                &b.block.blocks,
                false,
                x,
                &base.child(&b.name),
                out,
            );
        }
    }
    fn nested(
        attrs: &[crate::tf::schema::Attribute],
        blocks: &[crate::tf::schema::NestedBlock],
        is_attr: bool,
        x: &Value,
        path: &AttributePath,
        out: &mut Vec<AttributePath>,
    ) {
        match x {
            Value::Object(_) => walk(attrs, blocks, x, path, out),
            Value::List(items) | Value::Set(items) => {
                for (i, el) in items.iter().enumerate() {
                    let path = path.index(i as i64);
                    if is_attr && matches!(x, Value::Set(_)) {
                        // The whole element unknown (`rules = [var.rule]`); block elements
                        // are never unknown as a whole.
                        out.push(path.clone());
                    }
                    walk(attrs, blocks, el, &path, out)
                }
            }
            Value::Map(m) => {
                for (k, el) in m {
                    walk(attrs, blocks, el, &path.key(k.clone()), out)
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &schema.block.attributes,
        &schema.block.blocks,
        config,
        &AttributePath::root(),
        &mut out,
    );
    out
}

/// `v` with the value at `path` replaced by an unknown (no change if the path is absent). An
/// index step into a set takes the element at that position of its storage order.
pub fn with_unknown_at(v: &Value, path: &AttributePath) -> Value {
    fn go(v: &Value, steps: &[PathStep]) -> Value {
        let Some((first, rest)) = steps.split_first() else {
            return Value::unknown();
        };
        let mut out = v.clone();
        match (first, &mut out) {
            (PathStep::Attr(n), Value::Object(m)) => {
                if let Some(x) = m.get(n).cloned() {
                    m.insert(n.clone(), go(&x, rest));
                }
            }
            (PathStep::Key(k), Value::Map(m)) => {
                if let Some(x) = m.get(k).cloned() {
                    m.insert(k.clone(), go(&x, rest));
                }
            }
            (PathStep::Index(i), Value::List(items) | Value::Set(items)) => {
                if let Some(x) = items.get(*i as usize).cloned() {
                    items[*i as usize] = go(&x, rest);
                }
            }
            _ => {}
        }
        out
    }
    go(v, &path.0)
}

/// Asserts, for `resource` with configuration `config` (wholly known) over `prior` (null
/// for a create), that for every configurable value, the plan made while that value is
/// unknown is valid and is refined, not contradicted, by the plan made once it is known,
/// and likewise with every configurable value unknown at once, and with the provider data
/// of `unknown_provider` (e.g. provider defaults not known yet) against `provider`.
///
/// # Panics
/// With the path made unknown, the offending planned path and Terraform's message.
pub fn assert_unknowns_refine<D: Send + Sync + 'static>(
    resource: Arc<dyn Resource<D>>,
    provider: Option<&D>,
    unknown_provider: Option<&D>,
    prior: &Value,
    config: &Value,
) {
    let schema = resource.schema();
    let plan_of = |cfg: &Value, p: Option<&D>| {
        let mut d = Diagnostics::new();
        let (planned, _) = plan_resource(resource.clone(), p, prior, cfg, &mut d);
        assert!(
            !d.has_errors(),
            "{}: planning failed: {:?}",
            resource.type_name(),
            d
        );
        let v = plan::check(&schema, prior, cfg, &planned);
        assert!(
            v.is_empty(),
            "{}: invalid plan for {cfg:?}: {v:?}",
            resource.type_name()
        );
        planned
    };
    let known = plan_of(config, provider);
    let mut cases: Vec<(String, Value, Option<&D>)> = configurable_paths(&schema, config)
        .into_iter()
        .map(|p| (p.to_string(), with_unknown_at(config, &p), provider))
        .collect();
    let all_unknown = configurable_paths(&schema, config)
        .iter()
        .filter(|p| p.0.len() == 1)
        .fold(config.clone(), |v, p| with_unknown_at(&v, p));
    cases.push(("every attribute".to_string(), all_unknown, provider));
    if unknown_provider.is_some() {
        cases.push((
            "provider data".to_string(),
            config.clone(),
            unknown_provider,
        ));
    }
    for (what, cfg, p) in cases {
        let early = plan_of(&cfg, p);
        let broken = plan::check_refines(&schema, &early, &known);
        assert!(
            broken.is_empty(),
            "{}: with {what} unknown the plan promised what the final plan contradicts: {:?}",
            resource.type_name(),
            broken
                .iter()
                .map(|v| format!("{}: {}", v.path, v.message))
                .collect::<Vec<_>>()
        );
    }
}
