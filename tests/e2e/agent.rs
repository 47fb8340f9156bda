//! `harness_gitops_agent` with the real CLI, the Harness emulator and the Kubernetes API
//! emulator, which "runs" an installed agent: once its Deployment, ConfigMap and token Secret
//! exist it heartbeats to the Harness emulator with that token, so Harness reports the agent
//! connected only when the provider really installed it with the right credentials.

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::cluster::Kube;
use crate::support::*;

const NS: &str = "gitops-agent";

fn provider(emu: &Emulator) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
}}
"#,
        url = emu.url
    )
}

/// The agent with `install` reaching the cluster through `connection` (HCL attributes).
fn agent(connection: &str, extra: &str) -> String {
    format!(
        r#"
resource "harness_gitops_agent" "ml" {{
  identifier = "mlagent"
  name       = "ml-agent"
  type       = "MANAGED_ARGO_PROVIDER"
  namespace  = "{NS}"
  install = {{
{connection}
  }}
{extra}
  timeouts {{
    create = "2m"
    update = "2m"
  }}
}}
"#
    )
}

fn kubeconfig(kube: &Kube) -> String {
    format!("    config_path = \"{}\"", kube.kubeconfig.display())
}

/// The agents in the Harness emulator's dump.
fn agents(emu: &Emulator) -> Vec<Json> {
    emu.state()["agents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Every object in the agent's namespace and every cluster-scoped object the install made,
/// as `kind/name`.
fn installed_in_cluster(kube: &Kube) -> Vec<String> {
    let out = kube.kubectl(&[
        "get",
        "deployments,statefulsets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,networkpolicies,cronjobs",
        "-n",
        NS,
        "-o",
        "name",
    ]);
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let crds = kube.ok(&["get", "crd", "-o", "name"]);
    names.extend(
        crds.lines()
            .filter(|l| l.contains("argoproj.io"))
            .map(str::to_string),
    );
    let ns = kube.kubectl(&["get", "namespace", NS, "-o", "name"]);
    if ns.status.success() {
        names.push(String::from_utf8_lossy(&ns.stdout).trim().to_string());
    }
    names.sort();
    names
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// From empty emulators: the agent is created and installed, connects with its own token,
/// the second plan is empty, an object deleted behind Terraform's back is applied again, the
/// agent imports, and destroy leaves both emulators without a trace of it.
#[test]
fn agent_installed_from_nothing_heartbeats_restores_drift_imports_and_destroys_clean() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    assert!(
        installed_in_cluster(&kube).is_empty(),
        "an empty cluster to start"
    );
    let tf = Tf::new();
    tf.write(&format!(
        "{}{}\noutput \"agent_id\" {{ value = harness_gitops_agent.ml.prefixed_identifier }}\n",
        provider(&emu),
        agent(&kubeconfig(&kube), "")
    ));
    let out = tf.apply();
    let warnings = out.matches("Warning:").count();
    let dev_overrides = out
        .matches("Warning: Provider development overrides")
        .count();
    assert_eq!(
        warnings, dev_overrides,
        "no warning of the provider's own: {out}"
    );
    let state = tf.resource("harness_gitops_agent.ml");
    assert_eq!(state["connection_status"], "CONNECTED", "{state:#}");
    assert_eq!(state["prefixed_identifier"], "mlagent");
    assert_eq!(state["id"], "default/mlplatform/mlagent");
    for c in [
        "gitops_agent",
        "repo_server",
        "app_controller",
        "redis",
        "appset_controller",
    ] {
        assert_eq!(state["health"][c]["status"], "HEALTHY", "{c}: {state:#}");
    }
    assert!(
        state["agent_token"].is_null(),
        "the token is not in state unless exported"
    );
    let objects = state["install"]["objects"].as_array().unwrap().clone();
    assert!(
        objects
            .iter()
            .any(|o| o["kind"] == "Deployment" && o["name"] == "gitops-agent")
            && objects
                .iter()
                .any(|o| o["kind"] == "Namespace" && o["name"] == NS)
            && objects
                .iter()
                .any(|o| o["kind"] == "CustomResourceDefinition"),
        "{objects:#?}"
    );
    assert_eq!(state["install"]["version"], state["version"]);
    // What the provider applied is what the cluster has, made by the provider's field manager.
    let dep: Json = serde_json::from_str(&kube.ok(&[
        "get",
        "deployment",
        "gitops-agent",
        "-n",
        NS,
        "-o",
        "json",
        "--show-managed-fields",
    ]))
    .unwrap();
    assert!(
        dep["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["manager"] == "terraform-provider-harness"),
        "{:#}",
        dep["metadata"]["managedFields"]
    );
    // Harness saw the agent with the token it issued at create: no second token was made.
    let a = agents(&emu);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(
        emu.applied("agents.credentials"),
        0,
        "no token was regenerated"
    );
    // No secret anywhere in the state file but the sensitive install token (none here).
    let token = kube.ok(&[
        "get",
        "secret",
        "gitops-agent",
        "-n",
        NS,
        "-o",
        "jsonpath={.data.GITOPS_AGENT_TOKEN}",
    ]);
    let raw = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !token.is_empty() && !raw.contains(&token),
        "the agent token stays out of state"
    );

    assert!(tf.plan_is_empty(), "second plan is empty");

    // Drift: an object deleted outside Terraform is planned back and applied again.
    kube.ok(&["delete", "configmap", "argocd-cm", "-n", NS]);
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "harness_gitops_agent.ml")
        .unwrap()
        .clone();
    assert_eq!(change["change"]["actions"], json!(["update"]), "{change:#}");
    tf.apply();
    assert!(
        kube.get("configmap", "argocd-cm", Some(NS)).is_some(),
        "restored"
    );
    assert!(tf.plan_is_empty(), "empty after the restore");

    // Import into a fresh working directory: the same agent, install left to the config.
    let tf2 = Tf::new();
    tf2.write(&format!(
        "{}\nresource \"harness_gitops_agent\" \"ml\" {{\n  identifier = \"mlagent\"\n  name = \"ml-agent\"\n  type = \"MANAGED_ARGO_PROVIDER\"\n  namespace = \"{NS}\"\n}}\n",
        provider(&emu)
    ));
    tf2.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "harness_gitops_agent.ml",
        "default/mlplatform/mlagent",
    ]);
    let imported = tf2.resource("harness_gitops_agent.ml");
    assert_eq!(imported["prefixed_identifier"], "mlagent");
    assert_eq!(imported["connection_status"], "CONNECTED");
    assert!(tf2.plan_is_empty(), "an imported agent plans no change");
    // The imported copy must not delete the agent: forget it.
    tf2.ok(&["state", "rm", "-no-color", "harness_gitops_agent.ml"]);

    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty(), "the agent is deleted in Harness");
    assert_eq!(
        installed_in_cluster(&kube),
        Vec::<String>::new(),
        "the install is removed"
    );
}

/// A failed install fails fast, names why, and keeps the agent (tainted) with what was
/// applied, so nothing is lost: a bad token (rotated behind the install's back), then an
/// unreachable cluster.
#[test]
fn a_failed_install_fails_fast_and_keeps_the_agent() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    tf.write(&format!(
        "{}{}",
        provider(&emu),
        agent(&kubeconfig(&kube), "")
    ));
    emu.arm(json!({"op": "agents.deployYaml.post", "rotateAgentTokenAfterManifest": true}));
    let started = std::time::Instant::now();
    let err = flat(&tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]));
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "failed fast, not at the 2m timeout: {:?}",
        started.elapsed()
    );
    assert!(
        err.contains("GitOps Agent Not Healthy") && err.contains("unauthorized agent"),
        "{err}"
    );
    assert!(err.contains("with harness_gitops_agent.ml"), "{err}");
    let state = tf.resource("harness_gitops_agent.ml");
    assert!(
        !state["install"]["objects"].as_array().unwrap().is_empty(),
        "{state:#}"
    );
    let raw: Json = serde_json::from_str(
        &std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    assert_eq!(raw["resources"][0]["instances"][0]["status"], "tainted");
    assert_eq!(agents(&emu).len(), 1);
    // Destroy removes the installed objects and the agent even so.
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
    assert_eq!(installed_in_cluster(&kube), Vec::<String>::new());

    // An unreachable cluster: fails at once, the agent is kept.
    let tf = Tf::new();
    tf.write(&format!(
        "{}{}",
        provider(&emu),
        agent(
            "    host = \"https://127.0.0.1:1\"\n    token = \"x\"\n    insecure = true",
            ""
        )
    ));
    let err = flat(&tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]));
    assert!(
        err.contains("Unable to Install the GitOps Agent") && err.contains("127.0.0.1:1"),
        "{err}"
    );
    assert_eq!(
        agents(&emu).len(),
        1,
        "the agent exists in Harness and in state"
    );
    assert_eq!(
        tf.resource("harness_gitops_agent.ml")["identifier"],
        "mlagent"
    );
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
}

/// The whole chain with values known only during apply: the kubeconfig path comes from
/// another resource, the cluster and repository take the agent's `prefixed_identifier`, and
/// the application deployed through the installed agent ends Synced and Healthy.
#[test]
fn an_agent_from_unknown_inputs_serves_a_cluster_repository_and_application() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s", "--sync-delay", "200ms"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    tf.write(&format!(
        r#"{provider}
resource "terraform_data" "kube" {{
  input = "{kc}"
}}
{agent}
resource "harness_gitops_repository" "manifests" {{
  identifier = "manifests"
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  url        = "https://github.com/acme-ml/pipeline-manifests.git"
}}

resource "harness_gitops_cluster" "ml" {{
  identifier = "ml"
  agent_id   = harness_gitops_agent.ml.prefixed_identifier
  bootstrap  = {{ config_path = terraform_data.kube.output }}
}}

resource "harness_gitops_application" "pipeline" {{
  name         = "ml-pipeline"
  agent_id     = harness_gitops_agent.ml.prefixed_identifier
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  cluster_id   = harness_gitops_cluster.ml.identifier
  destination  = {{ server = harness_gitops_cluster.ml.server, namespace = "ml" }}
  sources      = [{{ repo_url = harness_gitops_repository.manifests.url, path = "training", target_revision = "main" }}]
  sync_policy  = {{ automated = {{}}, sync_options = ["CreateNamespace=true"] }}
  wait         = {{}}
}}
"#,
        provider = provider(&emu),
        kc = kube.kubeconfig.display(),
        agent = agent("    config_path = terraform_data.kube.output", ""),
    ));
    let plan = tf.plan_json();
    let planned = plan["planned_values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "harness_gitops_agent.ml")
        .unwrap()
        .clone();
    assert_eq!(
        planned["values"]["prefixed_identifier"], "mlagent",
        "known at plan time: {planned:#}"
    );
    tf.apply();
    let app = tf.resource("harness_gitops_application.pipeline");
    assert_eq!(
        (app["sync_status"].as_str(), app["health_status"].as_str()),
        (Some("Synced"), Some("Healthy"))
    );
    assert_eq!(
        tf.resource("harness_gitops_agent.ml")["connection_status"],
        "CONNECTED"
    );
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["agents", "repositories", "clusters", "applications"] {
        assert!(
            state[k].as_array().is_none_or(|a| a.is_empty()),
            "{k} left behind: {:#}",
            state[k]
        );
    }
    assert_eq!(installed_in_cluster(&kube), Vec::<String>::new());
}

/// Rotation is explicit and versioned: changing `credentials_version` issues a new token in
/// Harness, applies it to the installed Secret, and the agent stays connected; exporting the
/// token puts it in state only as a sensitive value.
#[test]
fn rotating_credentials_reinstalls_the_token_and_the_agent_reconnects() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    tf.write(&format!(
        "{}{}",
        provider(&emu),
        agent(
            &kubeconfig(&kube),
            "  credentials_version = \"1\"\n  export_token = true\n"
        )
    ));
    tf.apply();
    let first = tf.resource("harness_gitops_agent.ml")["agent_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!first.is_empty());
    let show = tf.ok(&["show", "-no-color"]);
    assert!(
        !show.contains(&first) && show.contains("(sensitive value)"),
        "{show}"
    );
    tf.write(&format!(
        "{}{}",
        provider(&emu),
        agent(
            &kubeconfig(&kube),
            "  credentials_version = \"2\"\n  export_token = true\n"
        )
    ));
    tf.apply();
    let second = tf.resource("harness_gitops_agent.ml");
    let token = second["agent_token"].as_str().unwrap();
    assert_ne!(token, first, "a new token");
    assert_eq!(emu.applied("agents.credentials"), 1);
    assert_eq!(second["connection_status"], "CONNECTED", "{second:#}");
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
}

/// For users who install with their own tools: the deploy YAML and Helm values are read with
/// the agent's current token (no new token is issued, so a running agent is not locked out),
/// the data source finds the agent, and the ephemeral credentials hand the token to a
/// write-only argument without it ever reaching plan or state.
#[test]
fn deploy_yaml_data_source_and_ephemeral_credentials_never_issue_or_store_a_token() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"{provider}
resource "harness_gitops_agent" "byoa" {{
  identifier = "byoa"
  name       = "existing-argocd"
  type       = "CONNECTED_ARGO_PROVIDER"
  namespace  = "argocd"
}}

data "harness_gitops_agent" "byoa" {{
  identifier = harness_gitops_agent.byoa.identifier
}}

data "harness_gitops_agent_deploy_yaml" "byoa" {{
  identifier = harness_gitops_agent.byoa.identifier
  namespace  = "argocd"
  skip_crds  = true
}}

ephemeral "harness_gitops_agent_credentials" "byoa" {{
  id = harness_gitops_agent.byoa.id
}}

# Any write-only argument takes the ephemeral token; here a repository's password.
resource "harness_gitops_repository" "r" {{
  identifier          = "r"
  agent_id            = data.harness_gitops_agent.byoa.prefixed_identifier
  url                 = "https://github.com/acme-ml/private.git"
  username            = "agent"
  password_wo         = ephemeral.harness_gitops_agent_credentials.byoa.token
  password_wo_version = 1
}}

output "kinds" {{
  value = [for d in split("\n---\n", data.harness_gitops_agent_deploy_yaml.byoa.yaml) : try(yamldecode(d).kind, "")]
  sensitive = true
}}
"#,
        provider = provider(&emu)
    ));
    let plan = tf.ok(&["plan", "-no-color", "-input=false", "-out=tfplan"]);
    assert!(!plan.contains("GITOPS_AGENT_TOKEN"), "{plan}");
    tf.ok(&["apply", "-no-color", "-input=false", "tfplan"]);
    let clear = emu.state();
    let agent = clear["agents"].as_array().unwrap()[0].clone();
    let token = agent["credentials"]["privateKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!token.is_empty());
    assert_eq!(
        emu.applied("agents.credentials"),
        0,
        "no new token was issued"
    );
    // The manifest embeds the agent's current token, and has no CRD (skip_crds).
    let ds = tf.resource("data.harness_gitops_agent_deploy_yaml.byoa");
    let yaml = ds["yaml"].as_str().unwrap();
    let kinds: Vec<String> = yaml
        .split("\n---")
        .filter_map(|d| serde_yaml_ng::from_str::<Json>(d).ok())
        .filter_map(|d| d["kind"].as_str().map(str::to_string))
        .collect();
    assert!(
        kinds.iter().any(|k| k == "Deployment")
            && !kinds.iter().any(|k| k == "CustomResourceDefinition"),
        "{kinds:?}"
    );
    assert!(
        yaml.contains(&token),
        "the manifest carries the current token"
    );
    assert!(ds["helm_values"].as_str().unwrap().contains(&token));
    let kinds = tf.ok(&["output", "-json", "kinds"]);
    assert!(
        kinds.contains("ConfigMap") && kinds.contains("Secret"),
        "{kinds}"
    );
    // The ephemeral token reached Harness as the repository's password...
    let repo = clear["repositories"].as_array().unwrap()[0].clone();
    assert_eq!(
        repo["repository"]["password"].as_str(),
        Some(token.as_str()),
        "{repo:#}"
    );
    // ...and is neither in the saved plan nor in the state, except in the deploy YAML's
    // sensitive outputs (a data source result is state).
    let show_plan = tf.ok(&["show", "-json", "tfplan"]);
    assert!(!show_plan.contains(&token), "the token is not in the plan");
    let state: Json = serde_json::from_str(
        &std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    for r in state["resources"].as_array().unwrap() {
        let text = r.to_string();
        if r["type"] == "harness_gitops_agent_deploy_yaml" {
            continue;
        }
        assert!(!text.contains(&token), "{} holds the token", r["type"]);
    }
    assert_eq!(
        tf.resource("data.harness_gitops_agent.byoa")["prefixed_identifier"],
        "byoa"
    );
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
}

/// A newer agent version in Harness changes nothing until the user opts in with
/// `install.upgrade`; then the apply installs the new manifest and waits until the new agent
/// reports its version.
#[test]
fn a_newer_agent_version_upgrades_the_install_only_when_opted_in() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    tf.write(&format!(
        "{}{}",
        provider(&emu),
        agent(&kubeconfig(&kube), "")
    ));
    tf.apply();
    let before = tf.resource("harness_gitops_agent.ml");
    assert_eq!(before["version"], "0.101.0");
    assert_eq!(before["upgrade_available"], false);

    emu.set_agent_version("0.102.0");
    assert!(tf.plan_is_empty(), "no opt-in: the installed version stays");
    tf.ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ]);
    assert_eq!(
        tf.resource("harness_gitops_agent.ml")["upgrade_available"],
        true
    );

    let opted = agent(&format!("{}\n    upgrade = true", kubeconfig(&kube)), "");
    tf.write(&format!("{}{}", provider(&emu), opted));
    tf.apply();
    let after = tf.resource("harness_gitops_agent.ml");
    assert_eq!(after["version"], "0.102.0", "{after:#}");
    assert_eq!(after["install"]["version"], "0.102.0");
    assert_eq!(after["upgrade_available"], false);
    let image = kube.ok(&[
        "get",
        "deployment",
        "gitops-agent",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert!(image.ends_with(":v0.102.0"), "{image}");
    assert!(tf.plan_is_empty(), "upgraded, nothing left to do");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}

/// The `ml-pipeline` module creates and installs its own agent when given `agent` (and the
/// provider names none): the pipelines deploy through it.
#[test]
fn the_ml_pipeline_module_creates_and_installs_its_agent() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s", "--sync-delay", "200ms"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let module = tf.path().join("modules/ml-pipeline");
    std::fs::create_dir_all(&module).unwrap();
    for f in std::fs::read_dir(examples.join("modules/ml-pipeline")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, module.join(f.file_name().unwrap())).unwrap();
    }
    tf.write(&format!(
        r#"{provider}
module "ml" {{
  source = "./modules/ml-pipeline"
  agent = {{
    identifier = "mlagent"
    name       = "ml-agent"
    install    = {{ config_path = "{kc}" }}
  }}
  repositories = {{
    manifests = {{ url = "https://github.com/acme-ml/pipeline-manifests.git" }}
  }}
  pipelines = {{
    training = {{ repository = "manifests", path = "training", namespace = "ml-training" }}
  }}
}}

output "agent_id" {{ value = module.ml.agent_id }}
output "apps" {{ value = module.ml.applications }}
"#,
        provider = provider(&emu),
        kc = kube.kubeconfig.display()
    ));
    tf.ok(&["get", "-no-color"]);
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(out["agent_id"]["value"], "mlagent");
    assert_eq!(out["apps"]["value"]["training"]["health"], "Healthy", "{out:#}");
    assert_eq!(
        tf.resource("module.ml.harness_gitops_agent.this[0]")["connection_status"],
        "CONNECTED"
    );
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
    assert_eq!(installed_in_cluster(&kube), Vec::<String>::new());
}

/// Another field manager owns a field of an installed object: applying the install again
/// reports the object, the field and the manager, and never takes the field over.
#[test]
fn a_field_owned_by_another_manager_is_reported_never_forced() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    tf.write(&format!("{}{}", provider(&emu), agent(&kubeconfig(&kube), "")));
    tf.apply();
    // kubectl takes LOG_LEVEL of the agent's ConfigMap (forcing it away from the provider).
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cm.yaml");
    std::fs::write(
        &f,
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gitops-agent\n  namespace: {NS}\ndata:\n  LOG_LEVEL: debug\n"),
    )
    .unwrap();
    kube.ok(&["apply", "--server-side", "--force-conflicts", "--field-manager=ops-team", "-f", f.to_str().unwrap()]);
    // Something makes the install apply again: a deleted object.
    kube.ok(&["delete", "configmap", "argocd-cm", "-n", NS]);
    let err = flat(&tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]));
    assert!(
        err.contains("Unable to Install the GitOps Agent")
            && err.contains("gitops-agent")
            && err.contains("LOG_LEVEL")
            && err.contains("ops-team"),
        "{err}"
    );
    let cm = kube.ok(&["get", "configmap", "gitops-agent", "-n", NS, "-o", "jsonpath={.data.LOG_LEVEL}"]);
    assert_eq!(cm, "debug", "the other manager's value stays");
    assert_eq!(agents(&emu).len(), 1, "the agent is kept");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(agents(&emu).is_empty());
}

/// At TRACE, neither the agent's token (in the manifest, the Secret, the heartbeat) nor the
/// Kubernetes admin token appears in the provider's logs or the CLI's output, through an
/// install, a rotation and a destroy.
#[test]
fn install_and_rotation_at_trace_leak_no_token() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "3s"]);
    let kube = Kube::start(Duration::from_millis(200));
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let conn = format!(
        "    host = \"{}\"\n    token = \"{}\"\n    cluster_ca_certificate = <<-EOT\n{}EOT",
        kube.url, kube.admin_token, kube.ca_pem
    );
    let mut transcript = String::new();
    let mut tokens = Vec::new();
    for version in ["1", "2"] {
        tf.write(&format!(
            "{}{}",
            provider(&emu),
            agent(&conn, &format!("  credentials_version = \"{version}\"\n"))
        ));
        let out = tf.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        transcript.push_str(&String::from_utf8_lossy(&out.stdout));
        transcript.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let b64 = kube.ok(&["get", "secret", "gitops-agent", "-n", NS, "-o", "jsonpath={.data.GITOPS_AGENT_TOKEN}"]);
        use base64::Engine as _;
        let t = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap()).unwrap();
        tokens.push(t);
    }
    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    transcript.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(transcript.contains("TRACE") || transcript.contains("[TRACE]"), "TRACE logs were captured");
    assert_ne!(tokens[0], tokens[1], "rotated");
    for t in tokens.iter().chain([&kube.admin_token]) {
        assert!(!t.is_empty() && !transcript.contains(t.as_str()), "a token leaked into the logs");
    }
}
