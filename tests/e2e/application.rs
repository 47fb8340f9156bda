//! `harness_gitops_application` through its whole life with the real CLI and the emulator,
//! each step its own assertion, checked in Terraform's state and in the emulator's own view.
//! The lifecycle runs through a recording proxy, and every application body the provider
//! sent is held against Argo CD's CRD at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crd;
use crate::support::*;
use serde_json::{json, Value as Json};

const MANIFESTS: &str = "https://github.com/acme-ml/pipeline-manifests.git";
const CHARTS: &str = "https://charts.acme-ml.dev/serving";
const SHA: &str = "3f786850e387550fdab836ed7e6dc881de23001b";

// ---- a recording proxy: every request the provider sends, as sent ------------------------

/// A request the provider sent.
#[derive(Clone, Debug)]
struct Sent {
    method: String,
    target: String,
    body: Vec<u8>,
}

/// An HTTP/1.1 proxy on loopback that forwards every request to the emulator and records
/// it, so a test sees the bodies exactly as the provider sent them.
struct Recorder {
    url: String,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Recorder {
    fn start(upstream: &str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let (log, upstream) = (sent.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (log, upstream) = (log.clone(), upstream.clone());
                std::thread::spawn(move || serve(conn, &upstream, &log));
            }
        });
        Recorder { url, sent }
    }

    /// The bodies of application creates and updates, in order.
    fn application_bodies(&self) -> Vec<Json> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|s| {
                (s.method == "POST" || s.method == "PUT")
                    && s.target.contains("/applications")
                    && !s.target.contains("/sync")
            })
            .map(|s| serde_json::from_slice(&s.body).expect("a JSON body"))
            .collect()
    }
}

/// Serves one keep-alive connection: request by request, forwarded and answered.
fn serve(conn: TcpStream, upstream: &str, log: &Mutex<Vec<Sent>>) {
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("proxy client");
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_string(), target.to_string());
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    len = v.parse().unwrap_or(0);
                }
                if !["host", "content-length", "connection"].contains(&k.as_str()) {
                    headers.push((k, v));
                }
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        log.lock().unwrap().push(Sent {
            method: method.clone(),
            target: target.clone(),
            body: body.clone(),
        });
        let mut req = http.request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            format!("{upstream}{target}"),
        );
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let Ok(resp) = req.body(body).send() else {
            return;
        };
        let status = resp.status();
        let kept: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(k, _)| ["content-type", "retry-after"].contains(&k.as_str()))
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let bytes = resp.bytes().unwrap_or_default();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            bytes.len()
        );
        for (k, v) in kept {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&bytes).is_err() {
            return;
        }
    }
}

// ---- helpers --------------------------------------------------------------------------------

/// The provider block, with the project scope as defaults.
fn provider_block(endpoint: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint    = "{endpoint}"
  account_id  = "{ACCOUNT}"
  api_key     = "{API_KEY}"
  org_id      = "default"
  project_id  = "mlplatform"
  agent_id    = "mlagent"
  max_retries = 10
}}
"#
    )
}

/// The provider block and the two repositories the applications deploy from.
fn provider(endpoint: &str) -> String {
    format!(
        r#"{}
resource "harness_gitops_repository" "manifests" {{
  identifier = "manifests"
  url        = "{MANIFESTS}"
}}

resource "harness_gitops_repository" "charts" {{
  identifier = "serving_charts"
  name       = "serving"
  type       = "helm"
  url        = "{CHARTS}"
}}
"#,
        provider_block(endpoint)
    )
}

/// The `training` application: one Git source at `path` and `revision`, automated sync.
/// `extra` goes inside the resource (e.g. `wait`, `timeouts`).
fn training(path: &str, revision: &str, sync_extra: &str, extra: &str) -> String {
    format!(
        r#"
resource "harness_gitops_application" "training" {{
  name         = "training"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  finalizers   = ["resources-finalizer.argocd.argoproj.io"]
  labels       = {{ team = "ml" }}
  destination = {{
    server    = "https://kubernetes.default.svc"
    namespace = "ml-training"
  }}
  sources = [{{
    repo_url        = harness_gitops_repository.manifests.url
    path            = "{path}"
    target_revision = "{revision}"
  }}]
  sync_policy = {{
    automated    = {{ prune = true, self_heal = true }}
    sync_options = ["CreateNamespace=true", "PruneLast=true"]{sync_extra}
  }}
{extra}}}
"#
    )
}

const WAIT: &str = "  wait = {}\n  timeouts {\n    create = \"2m\"\n    update = \"2m\"\n    delete = \"2m\"\n  }\n";

/// The multi-source `serving` application: a Helm chart whose values file comes from the
/// Git repository (`ref`).
fn serving() -> String {
    r#"
resource "harness_gitops_application" "serving" {
  name         = "model-serving"
  argo_project = "default"
  repo_ids     = [harness_gitops_repository.manifests.identifier, harness_gitops_repository.charts.identifier]
  destination = {
    server    = "https://kubernetes.default.svc"
    namespace = "ml-serving"
  }
  sources = [
    {
      repo_url        = harness_gitops_repository.charts.url
      chart           = "model-server"
      target_revision = "1.4.2"
      helm = {
        release_name = "model-server"
        value_files  = ["$values/serving/values-prod.yaml"]
        values       = "replicas: 2\nresources:\n  limits:\n    nvidia.com/gpu: 1\n"
        parameters   = [{ name = "image.tag", value = "v7" }]
      }
    },
    {
      repo_url        = harness_gitops_repository.manifests.url
      target_revision = "main"
      ref             = "values"
    },
  ]
  sync_policy = { automated = {} }
  wait        = {}
}
"#
    .to_string()
}

fn apps(emu: &Emulator) -> Vec<Json> {
    emu.state()["applications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn app(emu: &Emulator, name: &str) -> Json {
    apps(emu)
        .into_iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("application {name} not in the emulator: {:#?}", apps(emu)))
}

fn key(name: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("orgIdentifier", "default"),
        ("projectIdentifier", "mlplatform"),
        ("agentIdentifier", "mlagent"),
        ("name", name),
    ]
}

/// `text` with every run of whitespace made one space (Terraform wraps long messages).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const APPLY: [&str; 4] = ["apply", "-auto-approve", "-no-color", "-input=false"];

/// The planned change of resource `addr` in `show -json` of a plan.
fn change_of(plan: &Json, addr: &str) -> Json {
    plan["resource_changes"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr).cloned())
        .unwrap_or_else(|| panic!("{addr} not in the plan: {plan}"))
}

/// The resource `addr` in the state file, tainted or not.
fn state_entry(tf: &Tf, addr: &str) -> Json {
    let st = tf.state();
    st["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr).cloned())
        .unwrap_or_else(|| panic!("{addr} not in state: {st}"))
}

// ---- the lifecycle ---------------------------------------------------------------------------

#[test]
fn lifecycle() {
    let emu = Emulator::start(&["--sync-delay", "2s", "--delete-delay", "2s"]);
    let proxy = Recorder::start(&emu.url);
    let tf = Tf::new();
    let base = provider(&proxy.url);
    let addr = "harness_gitops_application.training";
    let write = |body: &str| tf.write(&format!("{base}{body}"));

    // 1. Create with wait: the apply returns once Argo CD reports Synced and Healthy.
    write(&training("training/base", "main", "", WAIT));
    let started = Instant::now();
    tf.apply();
    let took = started.elapsed();
    let st = tf.resource(addr);
    assert_eq!(st["sync_status"], "Synced", "{st:#}");
    assert_eq!(st["health_status"], "Healthy");
    assert_eq!(st["operation_phase"], "Succeeded");
    assert_eq!(st["id"], "default/mlplatform/mlagent/training");
    assert!(
        st["reconciled_at"]
            .as_str()
            .is_some_and(|r| r.ends_with('Z')),
        "{st:#}"
    );
    assert!(
        took >= Duration::from_secs(2),
        "the apply waited for the 2 s sync: {took:?}"
    );
    let remote = app(&emu, "training");
    assert_eq!(remote["app"]["status"]["sync"]["status"], "Synced");
    assert_eq!(remote["app"]["spec"]["source"]["path"], "training/base");
    assert_eq!(remote["repoIdentifier"], "manifests");
    assert!(
        st["sync_policy"]["retry"].is_null(),
        "unset objects are null in state"
    );

    // 2. The second plan is empty.
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // 3. A multi-source application: a Helm chart with its values from the Git repository.
    write(&format!(
        "{}{}",
        training("training/base", "main", "", WAIT),
        serving()
    ));
    tf.apply();
    let sv = tf.resource("harness_gitops_application.serving");
    assert_eq!(sv["sync_status"], "Synced");
    assert_eq!(sv["health_status"], "Healthy");
    let revisions: Vec<&str> = sv["synced_revision"]
        .as_str()
        .unwrap_or("")
        .split(',')
        .collect();
    assert_eq!(revisions.len(), 2, "one revision per source: {sv:#}");
    assert_eq!(revisions[0], "1.4.2", "the chart version");
    let remote = app(&emu, "model-serving");
    assert_eq!(remote["app"]["spec"]["sources"][1]["ref"], "values");
    assert_eq!(remote["app"]["spec"]["sources"][0]["chart"], "model-server");
    assert!(remote["app"]["spec"].get("source").is_none());
    assert_eq!(
        remote["repoIdentifiers"],
        json!(["manifests", "serving_charts"])
    );
    assert!(
        tf.plan_is_empty(),
        "plan after the multi-source app must be empty"
    );

    // 4. An update of target_revision waits for a reconcile newer than the update.
    let before = tf.resource(addr)["reconciled_at"]
        .as_str()
        .unwrap()
        .to_string();
    write(&format!(
        "{}{}",
        training("training/base", SHA, "", WAIT),
        serving()
    ));
    let started = Instant::now();
    tf.apply();
    let took = started.elapsed();
    let st = tf.resource(addr);
    assert_eq!(st["synced_revision"], SHA, "{st:#}");
    assert_eq!(st["sync_status"], "Synced");
    assert!(
        st["reconciled_at"].as_str().unwrap() > before.as_str(),
        "reconciled after the update: {} > {before}",
        st["reconciled_at"]
    );
    assert!(
        took >= Duration::from_secs(2),
        "the update waited for its sync: {took:?}"
    );
    let remote = app(&emu, "training");
    assert_eq!(remote["app"]["status"]["sync"]["revision"], SHA);
    assert!(tf.plan_is_empty());

    // 5. A source that fails to sync fails the apply fast, with Argo CD's message; the
    //    application stays in state with the new spec.
    write(&format!(
        "{}{}",
        training("training/fail-sync", SHA, "", WAIT),
        serving()
    ));
    let started = Instant::now();
    let text = flat(&tf.fails(&APPLY));
    let took = started.elapsed();
    assert!(text.contains("GitOps Application Sync Failed"), "{text}");
    assert!(
        text.contains("one or more objects failed to apply"),
        "Argo CD's message: {text}"
    );
    assert!(
        took < Duration::from_secs(60),
        "failed fast, not at the 2 m timeout: {took:?}"
    );
    let entry = state_entry(&tf, addr);
    assert_ne!(entry["tainted"], true, "an update is not tainted");
    assert_eq!(entry["values"]["sources"][0]["path"], "training/fail-sync");
    assert_eq!(entry["values"]["operation_phase"], "Failed");
    assert_eq!(
        app(&emu, "training")["app"]["spec"]["source"]["path"],
        "training/fail-sync"
    );
    // Fixed, it syncs again.
    write(&format!(
        "{}{}",
        training("training/base", SHA, "", WAIT),
        serving()
    ));
    tf.apply();
    assert_eq!(tf.resource(addr)["sync_status"], "Synced");

    // 6. Drift behind Terraform's back is planned, and corrected.
    emu.admin(
        reqwest::Method::PATCH,
        "applications",
        &key("training"),
        Some(json!({"spec": {"source": {"path": "training/hand-edited"}, "syncPolicy": {"syncOptions": ["PruneLast=true"]}}})),
    );
    let plan = tf.plan_json();
    let change = change_of(&plan, addr);
    assert_eq!(change["change"]["actions"], json!(["update"]), "{change:#}");
    assert_eq!(
        change["change"]["before"]["sources"][0]["path"],
        "training/hand-edited"
    );
    assert_eq!(
        change["change"]["after"]["sources"][0]["path"],
        "training/base"
    );
    tf.apply();
    let remote = app(&emu, "training");
    assert_eq!(remote["app"]["spec"]["source"]["path"], "training/base");
    assert_eq!(
        remote["app"]["spec"]["syncPolicy"]["syncOptions"],
        json!(["CreateNamespace=true", "PruneLast=true"])
    );
    assert!(
        tf.plan_is_empty(),
        "plan after correcting drift must be empty"
    );

    // 7. Deleted behind Terraform's back: the plan re-creates it.
    let mut deleted = key("training");
    deleted.push(("accountIdentifier", ACCOUNT));
    emu.admin(reqwest::Method::DELETE, "applications", &deleted, None);
    let plan = tf.plan_json();
    let change = change_of(&plan, addr);
    assert_eq!(change["change"]["actions"], json!(["create"]));
    tf.apply();
    assert_eq!(
        app(&emu, "training")["app"]["status"]["sync"]["status"],
        "Synced"
    );
    assert!(tf.plan_is_empty());

    // 8. Ctrl-C during a long wait (a sync retried forever) returns promptly, with the
    //    updated application in state.
    write(&format!(
        "{}{}",
        training(
            "training/fail-sync-forever",
            SHA,
            "\n    retry        = { limit = -1 }",
            "  wait = {}\n  timeouts {\n    update = \"10m\"\n  }\n"
        ),
        serving()
    ));
    let updates = emu.applied("applications.update");
    let mut child = tf
        .command(&APPLY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start terraform apply");
    poll_until(
        "the update reached the emulator",
        Duration::from_secs(120),
        || {
            assert!(child.try_wait().unwrap().is_none(), "terraform ended early");
            emu.applied("applications.update") > updates
        },
    );
    assert_eq!(
        app(&emu, "training")["app"]["spec"]["source"]["path"],
        "training/fail-sync-forever"
    );
    // The wait is polling the endless sync (retried every 2 s): two polls after the update.
    let updated = application_polls(&emu.counters());
    poll_until("the wait polled twice", Duration::from_secs(60), || {
        assert!(child.try_wait().unwrap().is_none(), "terraform ended early");
        application_polls(&emu.counters()) >= updated + 2
    });
    let interrupted = Instant::now();
    let pid = child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let out = wait_within(
        child,
        "terraform apply (interrupted)",
        Duration::from_secs(60),
    );
    let took = interrupted.elapsed();
    eprintln!("terraform returned {took:?} after SIGINT");
    let text = flat(&text_of(&out));
    assert!(!out.status.success(), "an interrupted apply fails: {text}");
    assert!(
        took < crate::reliability::CTRL_C_BOUND,
        "returned within {:?} of Ctrl-C: {took:?}\n{text}",
        crate::reliability::CTRL_C_BOUND
    );
    assert!(
        text.contains("Wait For GitOps Application Interrupted"),
        "{text}"
    );
    let entry = state_entry(&tf, addr);
    assert_eq!(
        entry["values"]["sources"][0]["path"], "training/fail-sync-forever",
        "in state"
    );
    assert_eq!(entry["values"]["operation_phase"], "Running");
    // Back to a good source: the endless sync is replaced by one of the new target.
    write(&format!(
        "{}{}",
        training("training/base", SHA, "", WAIT),
        serving()
    ));
    tf.apply();
    assert_eq!(tf.resource(addr)["sync_status"], "Synced");

    // 9. Import: the state rebuilt from Harness alone. `wait` and `timeouts` are Terraform's
    //    own settings, which an import cannot know, so the configuration leaves them out here.
    tf.ok(&["state", "rm", addr]);
    write(&format!(
        "{}{}",
        training("training/base", SHA, "", ""),
        serving()
    ));
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        addr,
        "default/mlplatform/mlagent/training",
    ]);
    let st = tf.resource(addr);
    assert_eq!(st["sources"][0]["path"], "training/base");
    assert_eq!(
        st["finalizers"],
        json!(["resources-finalizer.argocd.argoproj.io"])
    );
    assert_eq!(st["repo_id"], "manifests");

    // 10. The plan after import is empty.
    assert!(tf.plan_is_empty(), "plan after import must be empty");

    // 11. Destroy (cascade): Argo CD deletes the resources first (the finalizer, 2 s), the
    //     destroy waits until the applications are gone, and nothing is left. A create of
    //     the same name right after cannot collide.
    let started = Instant::now();
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the cascading delete was waited for"
    );
    assert!(apps(&emu).is_empty(), "{:#?}", apps(&emu));
    assert!(emu.repositories().is_empty());
    tf.apply();
    assert_eq!(apps(&emu).len(), 2, "re-created at once, no collision");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(apps(&emu).is_empty() && emu.repositories().is_empty());

    // Every application body the provider sent fits Argo CD's CRD.
    let bodies = proxy.application_bodies();
    assert!(
        bodies.len() >= 8,
        "creates and updates were recorded: {}",
        bodies.len()
    );
    let schema = crd::crd_schema();
    for b in &bodies {
        assert!(b["application"]["metadata"]["name"].is_string(), "{b:#}");
        let v = crd::violations(&schema, &b["application"]);
        assert!(v.is_empty(), "{v:#?}\n{b:#}");
    }
}

// ---- values from other resources ----------------------------------------------------------

#[test]
fn values_from_other_resources_apply_and_plan_clean() {
    let emu = Emulator::start(&["--sync-delay", "1s"]);
    let tf = Tf::new();
    // terraform_data's `output` is unknown until apply: the scope, the revision, the
    // namespace and the URL are unknown while the application is planned; the application
    // takes its agent and URL from the repository's attributes, unknown until it is created.
    tf.write(&format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
}}

resource "terraform_data" "inputs" {{
  input = {{
    agent     = "mlagent"
    org       = "default"
    project   = "mlplatform"
    revision  = "v1.2.0"
    namespace = "ml-from-outputs"
    url       = "{MANIFESTS}"
  }}
}}

resource "harness_gitops_repository" "manifests" {{
  identifier = "manifests"
  agent_id   = terraform_data.inputs.output.agent
  org_id     = terraform_data.inputs.output.org
  project_id = terraform_data.inputs.output.project
  url        = terraform_data.inputs.output.url
}}

resource "harness_gitops_application" "app" {{
  name         = "from-outputs"
  agent_id     = harness_gitops_repository.manifests.agent_id
  org_id       = terraform_data.inputs.output.org
  project_id   = terraform_data.inputs.output.project
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  destination = {{
    server    = "https://kubernetes.default.svc"
    namespace = terraform_data.inputs.output.namespace
  }}
  sources = [{{
    repo_url        = harness_gitops_repository.manifests.url
    path            = "training"
    target_revision = terraform_data.inputs.output.revision
  }}]
  sync_policy = {{ automated = {{}} }}
  wait        = {{ health = false }}
}}

output "app" {{
  value = {{
    id     = harness_gitops_application.app.id
    status = harness_gitops_application.app.sync_status
  }}
}}
"#,
        url = emu.url
    ));
    let plan = tf.plan_json();
    let rc = change_of(&plan, "harness_gitops_application.app");
    let unknown = &rc["change"]["after_unknown"];
    for a in ["id", "sync_status", "agent_id", "org_id", "project_id"] {
        assert_eq!(unknown[a], true, "{a} is planned unknown: {unknown:#}");
    }
    assert_eq!(unknown["sources"][0]["repo_url"], true);
    assert_eq!(unknown["sources"][0]["target_revision"], true);
    assert_eq!(unknown["destination"]["namespace"], true);
    tf.apply();
    let st = tf.resource("harness_gitops_application.app");
    assert_eq!(st["id"], "default/mlplatform/mlagent/from-outputs");
    assert_eq!(st["sync_status"], "Synced");
    assert_eq!(st["sources"][0]["target_revision"], "v1.2.0");
    assert_eq!(st["destination"]["namespace"], "ml-from-outputs");
    assert!(tf.plan_is_empty(), "second plan must be empty");
    let remote = app(&emu, "from-outputs");
    assert_eq!(remote["app"]["spec"]["source"]["targetRevision"], "v1.2.0");
}

// ---- faults ---------------------------------------------------------------------------------

#[test]
fn apply_under_thirty_percent_faults_creates_each_application_once() {
    let emu = Emulator::start(&[
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.1",
        "--seed",
        "11",
        "--sync-delay",
        "1s",
    ]);
    let tf = Tf::new();
    let mut body = provider(&emu.url);
    for i in 0..4 {
        // Half wait for an automated sync, half start a manual sync on apply.
        let policy = if i % 2 == 0 {
            "  sync_policy = { automated = {} }\n  wait = {}\n"
        } else {
            "  sync_on_apply = true\n  wait = { health = false }\n"
        };
        body.push_str(&format!(
            r#"
resource "harness_gitops_application" "a{i}" {{
  name         = "pipeline-{i}"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  destination  = {{ server = "https://kubernetes.default.svc", namespace = "ml-{i}" }}
  sources      = [{{ repo_url = harness_gitops_repository.manifests.url, path = "pipelines/{i}" }}]
{policy}}}
"#
        ));
    }
    tf.write(&body);
    tf.apply();
    let mut names: Vec<String> = apps(&emu)
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        (0..4).map(|i| format!("pipeline-{i}")).collect::<Vec<_>>()
    );
    // The store is keyed by name, so it cannot show duplicates: the emulator's count of the
    // creates it applied can. And the faults must really have fired.
    assert_eq!(
        emu.applied("applications.create"),
        4,
        "each application created exactly once: {}",
        emu.counters()
    );
    assert!(emu.faults_fired() > 0, "faults fired: {}", emu.counters());
    for i in 0..4 {
        let st = tf.resource(&format!("harness_gitops_application.a{i}"));
        assert_eq!(st["sync_status"], "Synced", "a{i}: {st:#}");
    }
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(apps(&emu).is_empty());
}

// ---- import with generated configuration ------------------------------------------------------

#[test]
fn import_block_generates_a_config_that_validates_and_plans_clean() {
    let emu = Emulator::start(&["--sync-delay", "0s"]);
    // Made outside this configuration: an application with most of the spec set.
    let outside = Tf::new();
    outside.write(&format!(
        r#"{}
resource "harness_gitops_application" "outside" {{
  name         = "imported"
  argo_project = "default"
  repo_ids     = [harness_gitops_repository.manifests.identifier, harness_gitops_repository.charts.identifier]
  labels       = {{ team = "ml" }}
  annotations  = {{ note = "made elsewhere" }}
  destination  = {{ name = "in-cluster", namespace = "ml" }}
  sources = [
    {{
      repo_url        = harness_gitops_repository.charts.url
      chart           = "model-server"
      target_revision = "1.4.2"
      helm = {{
        values_object = yamlencode({{ replicas = 2, image = {{ tag = "v7" }} }})
        parameters    = [{{ name = "a", value = "1", force_string = true }}]
        skip_crds     = true
      }}
    }},
    {{
      repo_url = harness_gitops_repository.manifests.url
      path     = "overlays/prod"
      kustomize = {{
        images       = ["trainer=ghcr.io/acme/trainer:v2"]
        common_labels = {{ team = "ml" }}
        patches = [{{
          patch  = "- op: replace\n  path: /spec/replicas\n  value: 3\n"
          target = {{ kind = "Deployment", name = "trainer" }}
        }}]
      }}
    }},
  ]
  sync_policy = {{
    automated    = {{ prune = true }}
    sync_options = ["CreateNamespace=true"]
    retry = {{
      limit   = 3
      backoff = {{ duration = "5s", factor = 2, max_duration = "1m" }}
    }}
    managed_namespace_metadata = {{ labels = {{ owner = "ml" }} }}
  }}
  ignore_differences = [{{ group = "apps", kind = "Deployment", json_pointers = ["/spec/replicas"] }}]
  info                   = [{{ name = "owner", value = "ml-platform" }}]
  revision_history_limit = 3
}}
"#,
        provider(&emu.url)
    ));
    outside.apply();

    let tf = Tf::new();
    tf.write(&format!(
        "{}\nimport {{\n  to = harness_gitops_application.imported\n  id = \"default/mlplatform/mlagent/imported\"\n}}\n",
        provider_block(&emu.url)
    ));
    let out = tf.run(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    assert!(
        out.status.success(),
        "plan with -generate-config-out failed:\n{}",
        text_of(&out)
    );
    let generated = std::fs::read_to_string(tf.dir.path().join("generated.tf")).unwrap();
    assert!(
        generated.contains("harness_gitops_application"),
        "{generated}"
    );
    assert!(
        generated.contains("model-server") && generated.contains("overlays/prod"),
        "{generated}"
    );
    tf.ok(&["validate", "-no-color"]);
    let plan = tf.plan_json();
    for rc in plan["resource_changes"].as_array().unwrap() {
        if rc["type"] == "harness_gitops_application" {
            assert_eq!(rc["change"]["actions"], json!(["no-op"]), "{rc:#}");
            assert_eq!(
                rc["change"]["importing"]["id"],
                "default/mlplatform/mlagent/imported"
            );
        }
    }
    tf.apply();
    assert!(tf.plan_is_empty(), "plan after importing must be empty");
    assert_eq!(apps(&emu).len(), 1);
}

// ---- manual sync on apply, data source, secrets ----------------------------------------------

#[test]
fn a_manual_application_syncs_on_apply_and_the_data_source_reads_it_without_leaking_secrets() {
    let emu = Emulator::start(&["--sync-delay", "1s"]);
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let password = "manual-sync-repo-password-Jj5";
    let values = "secretish-helm-values-Vv3";
    tf.write(&format!(
        r#"{}
resource "harness_gitops_repository" "private" {{
  identifier          = "private"
  url                 = "https://github.com/acme-ml/private.git"
  username            = "bot"
  password_wo         = "{password}"
  password_wo_version = 1
}}

resource "harness_gitops_application" "manual" {{
  name          = "manual"
  argo_project  = "default"
  repo_id       = harness_gitops_repository.private.identifier
  destination   = {{ server = "https://kubernetes.default.svc", namespace = "ml" }}
  sources = [{{
    repo_url = harness_gitops_repository.private.url
    path     = "chart"
    helm     = {{ values = "token: {values}" }}
  }}]
  sync_on_apply = true
  wait          = {{}}
}}

data "harness_gitops_application" "read" {{
  name = harness_gitops_application.manual.name
}}

output "read" {{
  value = {{
    path   = data.harness_gitops_application.read.sources[0].path
    sync   = data.harness_gitops_application.read.sync_status
    health = data.harness_gitops_application.read.health_status
  }}
}}
"#,
        provider(&emu.url)
    ));
    let out = tf.run(&APPLY);
    let mut transcript = text_of(&out);
    let mut logs = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{transcript}");
    let st = tf.resource("harness_gitops_application.manual");
    assert_eq!(
        st["sync_status"], "Synced",
        "synced by sync_on_apply: {st:#}"
    );
    assert_eq!(st["health_status"], "Healthy");
    let remote = app(&emu, "manual");
    assert!(
        remote["app"]["spec"].get("syncPolicy").is_none(),
        "a manual application"
    );
    assert_eq!(
        remote["app"]["status"]["operationState"]["operation"]["initiatedBy"]["username"],
        format!("x-api-key:{ACCOUNT}"),
        "the sync was requested through the API"
    );
    let output: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(output["read"]["value"]["path"], "chart");
    assert_eq!(output["read"]["value"]["sync"], "Synced");
    assert_eq!(output["read"]["value"]["health"], "Healthy");
    let ds = tf.state()["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "data")
        .cloned()
        .unwrap();
    assert!(ds["values"].get("wait").is_none() && ds["values"].get("upsert").is_none());
    let out = tf.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    transcript.push_str(&text_of(&out));
    logs.push_str(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "plan must be empty: {}",
        text_of(&out)
    );
    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    logs.push_str(&String::from_utf8_lossy(&out.stderr));
    transcript.push_str(&text_of(&out));
    assert!(out.status.success(), "{transcript}");

    assert!(
        transcript.contains("[TRACE] provider.terraform-provider-harness"),
        "TRACE provider logs were expected"
    );
    for s in [password, API_KEY] {
        assert!(
            !transcript.contains(s),
            "secret {s:?} leaked into output or logs"
        );
    }
    // Request bodies never reach the provider's logs (stderr), so neither do Helm values.
    assert!(
        logs.contains("[TRACE] provider.terraform-provider-harness"),
        "the logs are on stderr"
    );
    assert!(!logs.contains(values), "a request body was logged");
    assert!(apps(&emu).is_empty());
}

// ---- the ml-pipeline module, used as the example uses it ---------------------------------

#[test]
fn the_ml_platform_example_applies_its_module_and_plans_clean() {
    let emu = Emulator::start(&["--sync-delay", "1s"]);
    let mut tf = Tf::new();
    tf.env("HARNESS_ENDPOINT", &emu.url)
        .env("HARNESS_ACCOUNT_ID", ACCOUNT)
        .env("HARNESS_PLATFORM_API_KEY", API_KEY);
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let module = tf.path().join("modules/ml-pipeline");
    std::fs::create_dir_all(&module).unwrap();
    for f in std::fs::read_dir(examples.join("modules/ml-pipeline")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, module.join(f.file_name().unwrap())).unwrap();
    }
    let main = std::fs::read_to_string(examples.join("ml-platform/main.tf")).unwrap();
    assert!(
        main.contains("\"../modules/ml-pipeline\""),
        "the example uses the module"
    );
    tf.write_file(
        "main.tf",
        &main.replace("\"../modules/ml-pipeline\"", "\"./modules/ml-pipeline\""),
    );
    tf.ok(&["get", "-no-color"]);
    tf.ok(&["validate", "-no-color"]);
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    let pipelines = &out["pipelines"]["value"];
    for name in ["feature-pipeline", "training", "model-serving"] {
        assert_eq!(pipelines[name]["sync"], "Synced", "{name}: {pipelines:#}");
        assert_eq!(
            pipelines[name]["health"], "Healthy",
            "{name}: {pipelines:#}"
        );
        assert_eq!(
            pipelines[name]["id"],
            format!("default/mlplatform/mlagent/{name}")
        );
    }
    assert_eq!(pipelines["model-serving"]["revision"], "1.4.2");
    assert_eq!(apps(&emu).len(), 3);
    assert_eq!(emu.repositories().len(), 2);
    assert!(tf.plan_is_empty(), "second plan must be empty");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(apps(&emu).is_empty() && emu.repositories().is_empty());
}

#[test]
fn applications_waiting_together_share_one_poll_per_round() {
    // Twelve applications created together wait out the same 4 s sync. Each polling its own
    // GET would cost each of them several requests; the provider's shared watch makes one
    // list call per round for all of them.
    let emu = Emulator::start(&["--sync-delay", "4s"]);
    let tf = Tf::new();
    let mut body = provider(&emu.url);
    body.push_str(
        r#"
resource "harness_gitops_application" "a" {
  count        = 12
  name         = "waiter-${count.index}"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  destination  = { server = "https://kubernetes.default.svc", namespace = "ml-${count.index}" }
  sources      = [{ repo_url = harness_gitops_repository.manifests.url, path = "pipelines/${count.index}" }]
  sync_policy  = { automated = {} }
  wait         = {}
}
"#,
    );
    tf.write(&body);
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-parallelism=12",
    ]);
    for i in 0..12 {
        let st = tf.resource(&format!("harness_gitops_application.a[{i}]"));
        assert_eq!(
            (st["sync_status"].as_str(), st["health_status"].as_str()),
            (Some("Synced"), Some("Healthy")),
            "a[{i}]"
        );
    }
    let c = emu.counters();
    let n = |op: &str| c["requests"][op].as_u64().unwrap_or(0);
    let polls = n("applications.get") + n("applications.list");
    assert!(
        n("applications.list") > 0,
        "the waits were observed with list calls: {c}"
    );
    assert!(
        polls < 12,
        "fewer poll requests than applications ({polls} for 12 waiting 4 s): {c}"
    );
    eprintln!("12 applications waited 4 s with {polls} poll requests: {c}");
}

/// An API error on update keeps the prior state: the training application's source path
/// changes, the emulator refuses the update once; the apply fails with the API's message,
/// Terraform's state and the remote application keep the prior path (and its sync), and the
/// next apply succeeds and waits for the new sync.
#[test]
fn an_api_error_on_update_keeps_the_prior_state() {
    let emu = Emulator::start(&["--sync-delay", "1s", "--delete-delay", "0"]);
    let tf = Tf::new();
    let addr = "harness_gitops_application.training";
    tf.write(&format!(
        "{}{}",
        provider(&emu.url),
        training("training/base", SHA, "", WAIT)
    ));
    tf.apply();
    assert_eq!(tf.resource(addr)["sync_status"], "Synced");

    tf.write(&format!(
        "{}{}",
        provider(&emu.url),
        training("training/gpu", SHA, "", WAIT)
    ));
    update_refused_keeps_prior_state(&emu, &tf, addr, "GitOps Application", "applications.update");
    let remote = app(&emu, "training");
    assert_eq!(
        remote["app"]["spec"]["source"]["path"], "training/base",
        "the refused update changed nothing remotely"
    );
    assert_eq!(remote["app"]["status"]["sync"]["status"], "Synced");

    tf.apply();
    let st = tf.resource(addr);
    assert_eq!(st["sources"][0]["path"], "training/gpu");
    assert_eq!(st["sync_status"], "Synced");
    assert_eq!(
        app(&emu, "training")["app"]["spec"]["source"]["path"],
        "training/gpu"
    );
    assert!(tf.plan_is_empty(), "plan after the retried update is empty");
}

/// An application in its own namespace with its status in depth: the deployed resources
/// with their sync and health, the external URL of the summary, the last operation's times
/// and retry count; the second plan is empty; an update plans the status unknown; a new
/// namespace replaces the application.
#[test]
fn app_namespace_and_status_in_depth() {
    let emu = Emulator::start(&["--sync-delay", "1s"]);
    let tf = Tf::new();
    let addr = "harness_gitops_application.web";
    let config = |namespace: &str, path: &str| {
        format!(
            r#"{}
resource "harness_gitops_application" "web" {{
  name          = "web"
  app_namespace = "{namespace}"
  argo_project  = "default"
  repo_id       = harness_gitops_repository.manifests.identifier
  annotations   = {{ "link.argocd.argoproj.io/external-link" = "https://web.example.com" }}
  destination = {{
    server    = "https://kubernetes.default.svc"
    namespace = "web"
  }}
  sources = [{{
    repo_url        = harness_gitops_repository.manifests.url
    path            = "{path}"
    target_revision = "main"
  }}]
  sync_policy = {{ automated = {{}} }}
{WAIT}}}
"#,
            provider(&emu.url)
        )
    };
    tf.write(&config("team-web", "web/base"));
    tf.apply();
    let st = tf.resource(addr);
    assert_eq!(st["app_namespace"], "team-web", "{st:#}");
    assert_eq!(app(&emu, "web")["app"]["metadata"]["namespace"], "team-web");
    let kinds: Vec<(&str, &str, &str, &str, &str, &str)> = st["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("resources: {st:#}"))
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap_or("");
            (
                f("group"),
                f("kind"),
                f("namespace"),
                f("name"),
                f("sync_status"),
                f("health_status"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("apps", "Deployment", "web", "web", "Synced", "Healthy"),
            ("", "Service", "web", "web", "Synced", "Healthy"),
        ]
    );
    assert_eq!(st["external_urls"], json!(["https://web.example.com"]));
    assert_eq!(st["conditions"], json!([]));
    assert_eq!(st["operation_retry_count"], 0);
    let (started, finished) = (
        st["operation_started_at"].as_str().unwrap_or(""),
        st["operation_finished_at"].as_str().unwrap_or(""),
    );
    assert!(
        started.ends_with('Z') && finished.ends_with('Z') && started <= finished,
        "{st:#}"
    );
    assert!(tf.plan_is_empty(), "second plan empty");

    // An update plans the status unknown, and the apply fills it in again.
    tf.write(&config("team-web", "web/v2"));
    let plan = tf.plan_json();
    let change = change_of(&plan, addr)["change"].clone();
    assert_eq!(change["actions"], json!(["update"]), "{change:#}");
    for attr in [
        "resources",
        "conditions",
        "images",
        "external_urls",
        "operation_started_at",
    ] {
        assert_eq!(
            change["after_unknown"][attr],
            json!(true),
            "{attr}: {change:#}"
        );
    }
    tf.apply();
    assert_eq!(tf.resource(addr)["resources"][0]["sync_status"], "Synced");
    assert!(tf.plan_is_empty());

    // Another namespace: a new application.
    tf.write(&config("team-other", "web/v2"));
    let change = change_of(&tf.plan_json(), addr)["change"].clone();
    assert_eq!(change["actions"], json!(["delete", "create"]), "{change:#}");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}

/// Two applications named `web` in two Kubernetes namespaces of one agent.
fn two_webs(namespaces: &[&str]) -> String {
    let mut out = String::new();
    for ns in namespaces {
        out.push_str(&format!(
            r#"
resource "harness_gitops_application" "{ns}" {{
  name          = "web"
  app_namespace = "{ns}"
  argo_project  = "default"
  repo_id       = harness_gitops_repository.manifests.identifier
  destination   = {{ server = "https://kubernetes.default.svc", namespace = "{ns}-web" }}
  sources = [{{
    repo_url = harness_gitops_repository.manifests.url
    path     = "web"
  }}]
  sync_on_apply = true
{WAIT}}}
"#
        ));
    }
    out
}

fn webs(emu: &Emulator) -> Vec<String> {
    let mut ns: Vec<String> = apps(emu)
        .into_iter()
        .filter(|a| a["name"] == "web")
        .map(|a| {
            a["app"]["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    ns.sort();
    ns
}

#[test]
fn one_name_in_two_namespaces_is_two_applications() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    let base = provider(&emu.url);
    tf.write(&format!("{base}{}", two_webs(&["team-a", "team-b"])));
    tf.apply();
    assert_eq!(webs(&emu), vec!["team-a", "team-b"]);
    for ns in ["team-a", "team-b"] {
        let st = tf.resource(&format!("harness_gitops_application.{ns}"));
        assert_eq!(st["app_namespace"], ns);
    }
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // Destroying one leaves the other.
    tf.write(&format!("{base}{}", two_webs(&["team-b"])));
    tf.apply();
    assert_eq!(webs(&emu), vec!["team-b"]);
    assert!(tf.plan_is_empty(), "plan after removing one must be empty");
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(webs(&emu).is_empty());
}
