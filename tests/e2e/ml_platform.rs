//! Issue 18's whole scenario with the real CLI: an ML platform project whose repositories come
//! from one Git organisation through a credential template, whose destinations are GPU
//! namespaces of a cluster and which denies syncs of training jobs at night, with its mapping
//! and applications in it, and a GPU cluster that belongs to it; every input from another
//! resource's output; an empty second plan;
//! a reordered set is no change; destroy leaves nothing.

use serde_json::Value as Json;

use crate::support::*;

fn config(emu: &Emulator, destinations: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}}

# Values known only during apply, as other resources' outputs.
resource "terraform_data" "org" {{
  input = {{ prefix = "https://github.com/acme-ml/", gpu = "https://gpu.acme-ml.dev" }}
}}

resource "harness_gitops_repository_credentials" "org" {{
  identifier          = "acme_ml"
  url                 = terraform_data.org.output.prefix
  username            = "ml-bot"
  password_wo         = "org-token-not-a-secret"
  password_wo_version = 1
}}

resource "harness_gitops_repository" "code" {{
  for_each   = toset(["training", "serving"])
  identifier = each.key
  url        = "${{harness_gitops_repository_credentials.org.url}}${{each.key}}.git"
}}

resource "harness_gitops_app_project" "ml" {{
  name         = "ml"
  description  = "ML platform: training and serving on GPU nodes"
  source_repos = ["${{terraform_data.org.output.prefix}}*"]
  destinations = {destinations}
  namespace_resource_whitelist = [{{ group = "*", kind = "*" }}]
  sync_windows = [{{
    kind         = "deny"
    schedule     = "0 22 * * *"
    duration     = "8h"
    applications = ["training-*"]
    manual_sync  = true
    time_zone    = "UTC"
  }}]
}}

# The GPU cluster belongs to the project (its name from the project's output).
resource "harness_gitops_cluster" "gpu" {{
  identifier              = "gpu"
  name                    = "gpu"
  server                  = terraform_data.org.output.gpu
  bearer_token_wo         = "gpu-token-not-a-secret"
  bearer_token_wo_version = 1
  argo_project            = harness_gitops_app_project.ml.name
}}

resource "harness_gitops_app_project_mapping" "ml" {{
  argo_project_name = harness_gitops_app_project.ml.name
}}

resource "harness_gitops_application" "app" {{
  for_each     = harness_gitops_repository.code
  name         = "${{each.key}}-pipeline"
  argo_project = harness_gitops_app_project.ml.name
  repo_id      = each.value.identifier
  cluster_id   = harness_gitops_cluster.gpu.identifier
  destination  = {{ server = harness_gitops_cluster.gpu.server, namespace = "gpu-${{each.key}}" }}
  sources      = [{{ repo_url = each.value.url, path = "deploy", target_revision = "main" }}]
  depends_on   = [harness_gitops_app_project_mapping.ml]
}}
"#,
        url = emu.url
    )
}

const DESTINATIONS: &str = r#"[
    { server = terraform_data.org.output.gpu, namespace = "gpu-training" },
    { server = terraform_data.org.output.gpu, namespace = "gpu-serving" },
    { name = "in-cluster", namespace = "ml-monitoring" },
  ]"#;

const REORDERED: &str = r#"[
    { name = "in-cluster", namespace = "ml-monitoring" },
    { server = terraform_data.org.output.gpu, namespace = "gpu-serving" },
    { server = terraform_data.org.output.gpu, namespace = "gpu-training" },
  ]"#;

fn count(state: &Json, kind: &str) -> usize {
    state[kind].as_array().map_or(0, Vec::len)
}

#[test]
fn ml_platform_project_with_a_template_deny_window_and_applications() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&config(&emu, DESTINATIONS));
    tf.apply();
    for name in ["training", "serving"] {
        let repo = tf.resource(&format!("harness_gitops_repository.code[\"{name}\"]"));
        assert_eq!(repo["inherited_creds"], true, "{repo:#}");
        assert_eq!(repo["connection_status"], "Successful", "{repo:#}");
        let app = tf.resource(&format!("harness_gitops_application.app[\"{name}\"]"));
        assert_eq!(app["argo_project"], "ml");
    }
    let state = emu.state();
    assert_eq!(count(&state, "repositories"), 2);
    assert_eq!(count(&state, "applications"), 2);
    assert_eq!(count(&state, "repoCreds"), 1);
    assert_eq!(count(&state, "projects"), 1);
    assert_eq!(count(&state, "projectMappings"), 1);
    assert_eq!(count(&state, "clusters"), 1);
    assert_eq!(
        state["clusters"][0]["cluster"]["project"], "ml",
        "the cluster names the project: {:#}",
        state["clusters"][0]
    );
    assert_eq!(
        tf.resource("harness_gitops_cluster.gpu")["argo_project"],
        "ml"
    );
    let raw = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw.contains("org-token-not-a-secret") && !raw.contains("gpu-token-not-a-secret"),
        "the template's and the cluster's tokens are write-only"
    );
    assert!(tf.plan_is_empty(), "second plan is empty");
    tf.write(&config(&emu, REORDERED));
    assert!(
        tf.plan_is_empty(),
        "a reordered set of destinations is no change"
    );
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    emu.assert_holds_nothing();
}
