//! The end-to-end harness every resource test uses: the real `terraform` binary driving the
//! provider binary through `dev_overrides`, against a real `harness-gitops-emulator` on
//! loopback. Nothing is mocked.

use std::path::Path;
use std::time::{Duration, Instant};

use tfplugin::testing::{Install, Terraform};

use serde_json::Value as Json;

/// The provider's source address in every test and example configuration.
pub const SOURCE: &str = "registry.terraform.io/harness-gitops/harness";
pub const API_KEY: &str = "pat.e2e.0123456789abcdef.s3cr3t-api-key";
pub const ACCOUNT: &str = "e2eaccount";

pub use tfplugin::testing::{terraform_bin, wait_within};

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
            .get(format!("{}/_emulator/state?secrets=clear", self.url))
            .header("x-api-key", API_KEY)
            .send()
            .and_then(|r| r.json())
            .expect("emulator state")
    }

    /// Panics naming what the emulator still holds, of every kind it stores (repositories,
    /// templates, clusters, applications, agents, projects, mappings, certificates, GnuPG
    /// keys): "destroy leaves nothing".
    pub fn assert_holds_nothing(&self) {
        let state = self.state();
        let left: Vec<String> = state
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let n = v.as_array().map_or(0, Vec::len);
                (n > 0).then(|| format!("{n} {k}"))
            })
            .collect();
        assert!(
            left.is_empty(),
            "the emulator still holds {}: {state:#}",
            left.join(", ")
        );
    }

    /// The emulator's counters: `requests`, `applied` (state-changing requests), `faults` by
    /// kind, `connections`.
    pub fn counters(&self) -> Json {
        self.http
            .get(format!("{}/_emulator/requests", self.url))
            .header("x-api-key", API_KEY)
            .send()
            .and_then(|r| r.json())
            .expect("emulator counters")
    }

    /// How many state-changing requests of `op` (e.g. `repositories.create`) were applied.
    pub fn applied(&self, op: &str) -> u64 {
        self.counters()["applied"][op].as_u64().unwrap_or(0)
    }

    /// How many faults of any kind the emulator injected.
    pub fn faults_fired(&self) -> u64 {
        self.counters()["faults"]
            .as_object()
            .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
            .unwrap_or(0)
    }

    /// Arms a fault for one request (`POST /_emulator/faults`, see the emulator's `--help`),
    /// e.g. `json!({"op": "clusters.update", "error": {"status": 400, "message": "..."}})`.
    pub fn arm(&self, fault: Json) {
        let resp = self
            .http
            .post(format!("{}/_emulator/faults", self.url))
            .header("x-api-key", API_KEY)
            .json(&fault)
            .send()
            .expect("emulator admin call");
        assert!(
            resp.status().is_success(),
            "arming {fault} failed: {} {}",
            resp.status(),
            resp.text().unwrap_or_default()
        );
    }

    /// Makes `v` (e.g. `0.102.0`) Harness's latest agent version (`POST
    /// /_emulator/agent-version`): new manifests carry it, and agents whose last heartbeat
    /// reported an older version read `upgradeAvailable`.
    pub fn set_agent_version(&self, v: &str) {
        let resp = self
            .http
            .post(format!("{}/_emulator/agent-version", self.url))
            .header("x-api-key", API_KEY)
            .json(&serde_json::json!({ "version": v }))
            .send()
            .expect("emulator admin call");
        assert!(
            resp.status().is_success(),
            "setting the agent version {v} failed: {} {}",
            resp.status(),
            resp.text().unwrap_or_default()
        );
    }

    /// How many times the armed fault of `op` and `kind` (`error`, `dropAfter`) fired.
    pub fn armed_fired(&self, op: &str, kind: &str) -> u64 {
        self.counters()["faults"][format!("armed.{op}.{kind}")]
            .as_u64()
            .unwrap_or(0)
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
            .header("x-api-key", API_KEY)
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

/// Polls `cond` every 20 ms until it holds; fails the test naming `what` after `limit`. The
/// way tests wait for something another process does (never a fixed sleep).
pub fn poll_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many times the applications were polled (`GET` one, or list them): the wait loop's
/// requests, in an emulator's counters.
pub fn application_polls(counters: &Json) -> u64 {
    ["applications.get", "applications.list"]
        .iter()
        .map(|op| counters["requests"][op].as_u64().unwrap_or(0))
        .sum()
}

/// The "API error on update" check, with the real terraform: the configuration in `tf`
/// changes resource `addr` (of the Terraform type named by `summary`, e.g. `GitOps
/// Repository`) in place; the emulator refuses its `op` (e.g. `repositories.update`) once with
/// a 400. The apply fails saying what the API said, the refusal is what failed it, and
/// Terraform's state still holds the values it held before (the prior state). The caller
/// checks the remote object and that the next apply, the fault spent, succeeds.
pub fn update_refused_keeps_prior_state(
    emu: &Emulator,
    tf: &Tf,
    addr: &str,
    summary: &str,
    op: &str,
) {
    let prior = tf.resource(addr);
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr))
        .unwrap_or_else(|| panic!("{addr} not in the plan: {plan}"));
    assert_eq!(
        change["change"]["actions"],
        serde_json::json!(["update"]),
        "the new configuration updates {addr} in place"
    );
    let message = format!("{op} refused by the end-to-end test");
    emu.arm(serde_json::json!({"op": op, "error": {"status": 400, "message": message}}));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!("Error: Unable to Update {summary}"))
            && flat.contains(&format!("HTTP 400, gRPC code 3 InvalidArgument: {message}")),
        "the failed apply names the update and says what the API said:\n{text}"
    );
    assert_eq!(
        emu.armed_fired(op, "error"),
        1,
        "the refused {op} is what failed the apply: {}",
        emu.counters()
    );
    assert_eq!(
        tf.resource(addr),
        prior,
        "after a failed update Terraform's state keeps the prior values of {addr}"
    );
}

/// A Terraform working directory for this provider: the framework's runner
/// (`tfplugin::testing::Terraform`) with the built binary installed through `dev_overrides`
/// and inherited `HARNESS_*` variables kept away from terraform.
pub struct Tf(Terraform);

impl Tf {
    pub fn new() -> Tf {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-harness"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let mut tf = Terraform::new(SOURCE, "harness", Install::DevOverride(bin_dir));
        tf.strip_env_prefix("HARNESS_");
        Tf(tf)
    }
}

impl std::ops::Deref for Tf {
    type Target = Terraform;
    fn deref(&self) -> &Terraform {
        &self.0
    }
}

impl std::ops::DerefMut for Tf {
    fn deref_mut(&mut self) -> &mut Terraform {
        &mut self.0
    }
}
