//! `harness_gitops_app_project` and `harness_gitops_app_project_mapping` with the real CLI
//! and the emulator: an ML platform project (GPU namespaces, a nightly deny window for
//! training, roles), its mapping and an application in it; values from other resources'
//! outputs; reordered sets; drift; import; a forbidden application; destroy.

use crate::support::*;
use serde_json::{json, Value as Json};

const AGENT: &str = "mlagent";

fn project_block(destinations: &str, windows: &str) -> String {
    format!(
        r#"
resource "terraform_data" "gpu" {{
  input = {{ server = "https://gpu.example.com", pool = "gpu-*" }}
}}

resource "harness_gitops_app_project" "ml" {{
  name         = "ml"
  description  = "ML platform: training and serving on GPU nodes"
  source_repos = ["https://github.com/acme/ml-*"]
  destinations = [{destinations}]
  cluster_resource_whitelist = [{{ group = "", kind = "Namespace" }}]
  namespace_resource_blacklist = [{{ group = "", kind = "ResourceQuota" }}]
  roles = [{{
    name     = "trainer"
    policies = ["p, proj:ml:trainer, applications, sync, ml/*, allow"]
    groups   = ["ml-team"]
  }}]
  sync_windows = [{windows}]
  orphaned_resources = {{ warn = true }}
  labels = {{ team = "ml" }}
}}

resource "harness_gitops_app_project_mapping" "ml" {{
  argo_project_name = harness_gitops_app_project.ml.name
}}
"#
    )
}

const DESTS: &str = r#"
    { server = terraform_data.gpu.output.server, namespace = terraform_data.gpu.output.pool },
    { name = "in-cluster", namespace = "ml-serving" },
  "#;
const DESTS_REORDERED: &str = r#"
    { name = "in-cluster", namespace = "ml-serving" },
    { server = terraform_data.gpu.output.server, namespace = terraform_data.gpu.output.pool },
  "#;
const WINDOWS: &str = r#"
    { kind = "deny", schedule = "0 22 * * *", duration = "8h", namespaces = ["gpu-*"], time_zone = "UTC" },
    { kind = "allow", schedule = "0 6 * * 1-5", duration = "16h", applications = ["serving-*"] },
  "#;
const WINDOWS_REORDERED: &str = r#"
    { kind = "allow", schedule = "0 6 * * 1-5", duration = "16h", applications = ["serving-*"] },
    { kind = "deny", schedule = "0 22 * * *", duration = "8h", namespaces = ["gpu-*"], time_zone = "UTC" },
  "#;

fn app_block(name: &str, repo: &str, namespace: &str) -> String {
    format!(
        r#"
resource "harness_gitops_application" "{name}" {{
  name                 = "{name}"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  destination = {{
    server    = terraform_data.gpu.output.server
    namespace = "{namespace}"
  }}
  sources = [{{
    repo_url        = "{repo}"
    path            = "jobs"
    target_revision = "main"
  }}]
}}
"#
    )
}

fn config(emu: &Emulator, body: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "{AGENT}"
}}
{body}"#,
        url = emu.url
    )
}

fn scope_query() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", "default"),
        ("projectIdentifier", "mlplatform"),
    ]
}

/// A call of the Harness API itself (what another tool or a person would do).
fn api(emu: &Emulator, method: reqwest::Method, path: &str, body: Option<&Json>) -> (u16, Json) {
    let mut req = reqwest::blocking::Client::new()
        .request(method, format!("{}/gitops/api/{path}", emu.url))
        .header("x-api-key", API_KEY)
        .query(&scope_query());
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().expect("API call");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Json::Null))
}

fn remote_project(emu: &Emulator) -> (u16, Json) {
    api(
        emu,
        reqwest::Method::GET,
        &format!("v1/agents/{AGENT}/projects/ml"),
        None,
    )
}

fn remote_mappings(emu: &Emulator) -> Vec<Json> {
    let (_, body) = api(
        emu,
        reqwest::Method::GET,
        &format!("v2/agents/{AGENT}/appprojectsmappings"),
        None,
    );
    body["appProjectMappings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn ml_platform_project_lifecycle() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let project = "harness_gitops_app_project.ml";
    let mapping = "harness_gitops_app_project_mapping.ml";
    let main = format!(
        "{}{}",
        project_block(DESTS, WINDOWS),
        app_block(
            "training",
            "https://github.com/acme/ml-training.git",
            "gpu-training"
        )
    );

    // Create: the project, its mapping and an application in it.
    tf.write(&config(&emu, &main));
    tf.apply();
    let st = tf.resource(project);
    assert_eq!(st["id"], "default/mlplatform/mlagent/ml");
    assert_eq!(st["destinations"].as_array().unwrap().len(), 2);
    let (status, remote) = remote_project(&emu);
    assert_eq!(status, 200, "{remote}");
    assert_eq!(
        remote["spec"]["sourceRepos"],
        json!(["https://github.com/acme/ml-*"])
    );
    assert!(
        remote["spec"]["destinations"]
            .as_array()
            .unwrap()
            .contains(&json!({"server": "https://gpu.example.com", "namespace": "gpu-*"})),
        "the destination server came from terraform_data's output: {remote}"
    );
    assert_eq!(remote["spec"]["syncWindows"].as_array().unwrap().len(), 2);
    let m = tf.resource(mapping);
    assert_eq!(m["argo_project_name"], "ml");
    assert!(m["identifier"].as_str().is_some_and(|s| !s.is_empty()));
    let mappings = remote_mappings(&emu);
    assert_eq!(mappings.len(), 1, "{mappings:?}");
    assert_eq!(mappings[0]["ArgoProjectName"], "ml");
    assert_eq!(
        tf.resource("harness_gitops_application.training")["argo_project"],
        "ml"
    );
    assert_eq!(emu.applied("projects.create"), 1);
    assert_eq!(emu.applied("projectMappings.create"), 1);
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // Reordered sets (destinations, sync windows) are no change.
    tf.write(&config(
        &emu,
        &format!(
            "{}{}",
            project_block(DESTS_REORDERED, WINDOWS_REORDERED),
            app_block(
                "training",
                "https://github.com/acme/ml-training.git",
                "gpu-training"
            )
        ),
    ));
    assert!(
        tf.plan_is_empty(),
        "reordering destinations and sync windows must plan no change"
    );
    tf.write(&config(&emu, &main));

    // An application outside the project's rules fails at apply, naming the rule.
    let forbidden = format!(
        "{main}{}",
        app_block("website", "https://github.com/acme/website.git", "gpu-web")
    );
    tf.write(&config(&emu, &forbidden));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "application repo https://github.com/acme/website.git is not permitted in project 'ml'"
        ),
        "the apply names Argo CD's reason:\n{text}"
    );
    let outside = format!(
        "{main}{}",
        app_block("website", "https://github.com/acme/ml-web.git", "default")
    );
    tf.write(&config(&emu, &outside));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("application destination server 'https://gpu.example.com' and namespace 'default' do not match any of the allowed destinations in project 'ml'"),
        "the apply names Argo CD's reason:\n{text}"
    );
    tf.write(&config(&emu, &main));
    assert!(tf.plan_is_empty(), "the refused application left nothing");

    // Drift through the API: the plan shows it and the apply restores the configuration.
    let (_, mut remote) = remote_project(&emu);
    remote["spec"]["description"] = json!("changed by hand");
    remote["spec"]["sourceRepos"] = json!(["*"]);
    let body = json!({"project": {"metadata": {"name": "ml", "labels": remote["metadata"]["labels"]}, "spec": remote["spec"]}});
    let (status, answer) = api(
        &emu,
        reqwest::Method::PUT,
        &format!("v1/agents/{AGENT}/projects/ml"),
        Some(&body),
    );
    assert_eq!(status, 200, "{answer}");
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == project)
        .expect("the project drifted");
    assert_eq!(change["change"]["actions"], json!(["update"]));
    tf.apply();
    let (_, remote) = remote_project(&emu);
    assert_eq!(
        remote["spec"]["description"],
        "ML platform: training and serving on GPU nodes"
    );
    assert_eq!(
        remote["spec"]["sourceRepos"],
        json!(["https://github.com/acme/ml-*"])
    );
    assert!(tf.plan_is_empty());

    // The mapping deleted behind Terraform's back: planned back and re-created.
    let id = tf.resource(mapping)["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, answer) = api(
        &emu,
        reqwest::Method::DELETE,
        &format!("v2/agents/{AGENT}/appprojectsmapping/{id}"),
        None,
    );
    assert_eq!(status, 200, "{answer}");
    assert!(remote_mappings(&emu).is_empty());
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == mapping)
        .expect("the mapping is planned");
    assert_eq!(change["change"]["actions"], json!(["create"]));
    tf.apply();
    assert_eq!(remote_mappings(&emu).len(), 1);
    assert!(tf.plan_is_empty());

    // Import of both types into an empty state: nothing to change afterwards.
    tf.ok(&["state", "rm", project, mapping]);
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        project,
        "default/mlplatform/mlagent/ml",
    ]);
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        mapping,
        "default/mlplatform/mlagent/ml",
    ]);
    assert_eq!(tf.resource(project)["roles"][0]["name"], "trainer");
    assert!(tf.resource(mapping)["identifier"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(tf.plan_is_empty(), "plan after import must be empty");

    // The data sources read what the resources made.
    tf.write(&config(
        &emu,
        &format!(
            "{main}\ndata \"harness_gitops_app_project\" \"ml\" {{\n  name = harness_gitops_app_project.ml.name\n}}\n\
             data \"harness_gitops_app_project_mapping\" \"ml\" {{\n  argo_project_name = harness_gitops_app_project_mapping.ml.argo_project_name\n}}\n\
             output \"windows\" {{ value = length(data.harness_gitops_app_project.ml.sync_windows) }}\n\
             output \"mapping\" {{ value = data.harness_gitops_app_project_mapping.ml.identifier }}\n"
        ),
    ));
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(out["windows"]["value"], 2, "{out}");
    assert_eq!(out["mapping"]["value"], tf.resource(mapping)["identifier"]);

    // Destroy leaves nothing.
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(remote_project(&emu).0, 404);
    assert!(remote_mappings(&emu).is_empty());
    emu.assert_holds_nothing();
}

/// A sync inside a deny window is refused with Argo CD's message; `manual_sync` lets a
/// manual sync (`sync_on_apply`) through.
#[test]
fn deny_window_refuses_sync_on_apply() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let body = |manual: bool| {
        format!(
            r#"
resource "harness_gitops_app_project" "ml" {{
  name         = "ml"
  source_repos = ["*"]
  destinations = [{{ server = "*", namespace = "*" }}]
  sync_windows = [{{
    kind         = "deny"
    schedule     = "* * * * *"
    duration     = "1h"
    applications = ["*"]
    manual_sync  = {manual}
  }}]
}}

resource "harness_gitops_application" "training" {{
  name                 = "training"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  sync_on_apply        = true
  destination = {{
    server    = "https://gpu.example.com"
    namespace = "gpu-training"
  }}
  sources = [{{
    repo_url        = "https://github.com/acme/ml-training.git"
    path            = "jobs"
    target_revision = "main"
  }}]
}}
"#
        )
    };
    tf.write(&config(&emu, &body(false)));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("cannot sync: blocked by sync window"),
        "the apply names Argo CD's reason:\n{text}"
    );
    tf.write(&config(&emu, &body(true)));
    tf.apply();
    assert!(emu.applied("applications.sync") >= 1, "{}", emu.counters());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(remote_project(&emu).0, 404);
}

#[test]
fn a_kind_the_project_does_not_permit_fails_the_wait_naming_it() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    tf.write(&config(
        &emu,
        r#"
resource "harness_gitops_app_project" "ml" {
  name                         = "ml"
  source_repos                 = ["*"]
  destinations                 = [{ server = "*", namespace = "*" }]
  namespace_resource_whitelist = [{ group = "", kind = "Service" }]
}

resource "harness_gitops_application" "training" {
  name                 = "training"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  destination = {
    server    = "https://gpu.example.com"
    namespace = "gpu-training"
  }
  sources = [{
    repo_url        = "https://github.com/acme/ml-training.git"
    path            = "jobs"
    target_revision = "main"
  }]
  sync_policy = { automated = {} }
  wait        = {}
  timeouts {
    create = "2m"
  }
}
"#,
    ));
    let started = std::time::Instant::now();
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("resource apps:Deployment is not permitted in project ml"),
        "the apply names the kind the project refuses:\n{text}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the wait fails fast, not at its timeout: {:?}",
        started.elapsed()
    );
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}

fn project_gets(emu: &Emulator) -> u64 {
    emu.counters()["requests"]["projects.get"]
        .as_u64()
        .unwrap_or(0)
}

/// An application its project forbids fails at plan time when the project exists (Argo CD's
/// reason at the attribute), one project read serving every application of the plan; with
/// the project created in the same apply, the plan passes and the apply fails with Argo CD's
/// reason, creating no application.
#[test]
fn a_forbidden_application_fails_at_plan_when_its_project_exists() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let project = r#"
resource "harness_gitops_app_project" "ml" {
  name         = "ml"
  source_repos = ["https://github.com/acme/ml-*"]
  destinations = [{ server = "https://gpu.example.com", namespace = "gpu-*" }]
}
"#;
    let permitted = r#"
resource "harness_gitops_application" "ok" {
  count                = 3
  name                 = "training-${count.index}"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  destination          = { server = "https://gpu.example.com", namespace = "gpu-${count.index}" }
  sources              = [{ repo_url = "https://github.com/acme/ml-training.git", path = "jobs" }]
}
"#;
    let forbidden = |repo: &str, namespace: &str| {
        format!(
            r#"
resource "harness_gitops_application" "website" {{
  name                 = "website"
  argo_project         = harness_gitops_app_project.ml.name
  skip_repo_validation = true
  destination          = {{ server = "https://gpu.example.com", namespace = "{namespace}" }}
  sources              = [{{ repo_url = "{repo}", path = "web" }}]
}}
"#
        )
    };
    let plan = ["plan", "-no-color", "-input=false", "-refresh=false"];
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");

    // The project exists: three permitted applications plan with one read of it.
    tf.write(&config(&emu, project));
    tf.apply();
    tf.write(&config(&emu, &format!("{project}{permitted}")));
    let before = project_gets(&emu);
    tf.ok(&plan);
    assert_eq!(
        project_gets(&emu) - before,
        1,
        "one read of the project for three applications: {}",
        emu.counters()
    );

    // A repository the project does not list: refused by the plan, at the source.
    let bad_repo = forbidden("https://github.com/acme/website.git", "gpu-web");
    tf.write(&config(&emu, &format!("{project}{permitted}{bad_repo}")));
    let text = flat(&tf.fails(&plan));
    assert!(
        text.contains(
            "application repo https://github.com/acme/website.git is not permitted in project 'ml'"
        ) && text.contains("Application Not Permitted By Its Argo CD Project")
            && text.contains("sources ="),
        "the plan names Argo CD's reason at the sources:\n{text}"
    );
    // A destination outside the project's: refused by the plan, at the destination.
    let bad_dest = forbidden("https://github.com/acme/ml-web.git", "default");
    tf.write(&config(&emu, &format!("{project}{bad_dest}")));
    let text = flat(&tf.fails(&plan));
    assert!(
        text.contains("application destination server 'https://gpu.example.com' and namespace 'default' do not match any of the allowed destinations in project 'ml'")
            && text.contains("destination ="),
        "the plan names Argo CD's reason at the destination:\n{text}"
    );
    assert_eq!(emu.applied("applications.create"), 0, "{}", emu.counters());

    // Loosening the project in the same apply admits the application: the plan cannot know
    // the new rules, so it leaves the verdict to apply, which succeeds.
    let loosened = project.replace(
        r#"source_repos = ["https://github.com/acme/ml-*"]"#,
        r#"source_repos = ["https://github.com/acme/*"]"#,
    );
    let good_site = forbidden("https://github.com/acme/website.git", "gpu-web");
    tf.write(&config(&emu, &format!("{loosened}{good_site}")));
    tf.apply();
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(remote_project(&emu).0, 404);

    // The project is created in the same apply: the plan passes (nothing to check against
    // yet); the apply fails with Argo CD's reason and creates no application.
    tf.write(&config(&emu, &format!("{project}{bad_repo}")));
    tf.ok(&["plan", "-no-color", "-input=false"]);
    let text = flat(&tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]));
    assert!(
        text.contains(
            "application repo https://github.com/acme/website.git is not permitted in project 'ml'"
        ),
        "the apply names Argo CD's reason:\n{text}"
    );
    assert_eq!(remote_project(&emu).0, 200, "the project was created");
    let apps = emu.state()["applications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(apps.is_empty(), "{apps:?}");
    // `terraform destroy` first plans the configuration (its pre-destroy refresh), where the
    // refused application is refused again; the documented way out is `-refresh=false`.
    let text = flat(&tf.fails(&["destroy", "-auto-approve", "-no-color", "-input=false"]));
    assert!(text.contains("is not permitted in project 'ml'"), "{text}");
    tf.ok(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-refresh=false",
    ]);
    assert_eq!(remote_project(&emu).0, 404);
    emu.assert_holds_nothing();
}
