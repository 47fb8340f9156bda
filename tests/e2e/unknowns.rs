//! Values that come from other resources' outputs, unknown while Terraform plans: resource
//! attributes (scope, URL, credentials) and the provider's own configuration. Each plan must
//! promise only what apply keeps, and a second plan must be empty.

use crate::support::*;

fn provider_block(emu: &Emulator, key_expr: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = {key_expr}
}}
"#,
        url = emu.url
    )
}

#[test]
fn scope_url_and_credentials_from_other_resources_apply_and_plan_clean() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    // terraform_data's `output` is unknown until apply: every value read from it is unknown
    // while the repositories are planned.
    tf.write(&format!(
        r#"{provider}
resource "terraform_data" "inputs" {{
  input = {{
    account_agent = "account.agent1"
    project_agent = "mlagent"
    org           = "default"
    project       = "mlplatform"
    url           = "https://github.com/acme/ml-manifests.git"
    ssh_url       = "git@github.com:acme/ml-charts.git"
    token         = "tok-from-another-resource"
    key           = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n"
  }}
}}

# Account scope from an output: the import ID cannot be known at plan time.
resource "harness_gitops_repository" "account" {{
  identifier          = "r1"
  agent_id            = terraform_data.inputs.output.account_agent
  url                 = terraform_data.inputs.output.url
  username            = "bot"
  password_wo         = terraform_data.inputs.output.token
  password_wo_version = 1
}}

# Project scope from outputs; the connection type derives from unknown credentials.
resource "harness_gitops_repository" "project" {{
  identifier            = "r2"
  agent_id              = terraform_data.inputs.output.project_agent
  org_id                = terraform_data.inputs.output.org
  project_id            = terraform_data.inputs.output.project
  url                   = terraform_data.inputs.output.ssh_url
  ssh_private_key_wo    = terraform_data.inputs.output.key
  ssh_private_key_wo_version = 1
  argo_project          = "default"
}}

output "ids" {{
  value = [harness_gitops_repository.account.id, harness_gitops_repository.project.id]
}}
"#,
        provider = provider_block(&emu, &format!("\"{API_KEY}\""))
    ));
    let plan = tf.plan_json();
    for rc in plan["resource_changes"].as_array().unwrap() {
        if rc["type"] != "harness_gitops_repository" {
            continue;
        }
        let unknown = &rc["change"]["after_unknown"];
        assert_eq!(
            unknown["id"], true,
            "{}: the id is planned unknown",
            rc["address"]
        );
        assert_eq!(
            unknown["connection_type"], true,
            "{}: derived from unknown credentials",
            rc["address"]
        );
    }
    tf.apply();
    let account = tf.resource("harness_gitops_repository.account");
    assert_eq!(account["id"], "account.agent1/r1");
    assert_eq!(account["connection_type"], "HTTPS");
    let project = tf.resource("harness_gitops_repository.project");
    assert_eq!(project["id"], "default/mlplatform/mlagent/r2");
    assert_eq!(project["connection_type"], "SSH");
    assert!(tf.plan_is_empty(), "second plan must be empty");
    assert_eq!(emu.repositories().len(), 2);
}

#[test]
fn provider_defaults_from_another_resource_are_inherited_once_known() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"resource "terraform_data" "scope" {{
  input = {{ agent = "mlagent", org = "default", project = "mlplatform" }}
}}

provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = terraform_data.scope.output.agent
  org_id     = terraform_data.scope.output.org
  project_id = terraform_data.scope.output.project
}}

resource "harness_gitops_repository" "r" {{
  identifier = "r3"
  url        = "https://github.com/acme/ml-manifests.git"
}}
"#,
        url = emu.url
    ));
    tf.apply();
    let r = tf.resource("harness_gitops_repository.r");
    assert_eq!(r["agent_id"], "mlagent");
    assert_eq!(r["id"], "default/mlplatform/mlagent/r3");
    assert!(tf.plan_is_empty());
}

#[test]
fn provider_configuration_known_only_at_apply_refreshes_plans_and_destroys() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    // The API key comes from another resource, replaced whenever `rev` changes: in those
    // runs the provider's own configuration is unknown while Terraform plans and refreshes.
    let config = |rev: u32| {
        format!(
            r#"variable "rev" {{
  default = {rev}
}}

resource "terraform_data" "key" {{
  input            = "{API_KEY}"
  triggers_replace = [var.rev]
}}

{provider}
resource "harness_gitops_repository" "r" {{
  identifier = "r4"
  agent_id   = "account.agent1"
  url        = "https://github.com/acme/ml-manifests.git"
  name       = "before"
}}
"#,
            provider = provider_block(&emu, "terraform_data.key.output")
        )
    };
    tf.write(&config(1));
    tf.apply();
    assert_eq!(emu.repositories().len(), 1);
    assert!(tf.plan_is_empty());

    // Drift behind Terraform's back, then a run where the key is replaced: the refresh
    // cannot call Harness, keeps the recorded state and says so; the plan still works.
    emu.admin(
        reqwest::Method::PATCH,
        "repositories",
        &[("agentIdentifier", "account.agent1"), ("identifier", "r4")],
        Some(serde_json::json!({"name": "changed-behind-terraform"})),
    );
    tf.write(&config(2));
    let out = tf.run(&["plan", "-no-color", "-input=false"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "plan must work while the provider configuration is unknown:\n{text}"
    );
    assert!(
        text.contains("State Not Refreshed"),
        "the skipped refresh is reported:\n{text}"
    );
    // Apply: the provider is configured with known values as soon as the key exists.
    tf.apply();
    // With the key known again the drift shows and is corrected.
    assert!(
        !tf.plan_is_empty(),
        "drift is planned once the configuration is known"
    );
    tf.apply();
    assert_eq!(emu.repositories()[0]["repository"]["name"], "before");

    // Destroy while the key is being replaced again: nothing is left behind.
    tf.write(&config(3));
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        emu.repositories().is_empty(),
        "destroy leaves nothing: {:?}",
        emu.repositories()
    );
}

#[test]
fn an_unknown_kubernetes_block_does_not_stop_harness_refreshes() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let config = |rev: u32| {
        format!(
            r#"resource "terraform_data" "cluster" {{
  input            = "https://127.0.0.1:6443"
  triggers_replace = [{rev}]
}}

provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  kubernetes = {{
    host = terraform_data.cluster.output
  }}
}}

resource "harness_gitops_repository" "r" {{
  identifier = "r5"
  agent_id   = "account.agent1"
  url        = "https://github.com/acme/ml-manifests.git"
}}
"#,
            url = emu.url
        )
    };
    tf.write(&config(1));
    tf.apply();
    emu.admin(
        reqwest::Method::DELETE,
        "repositories",
        &[("agentIdentifier", "account.agent1"), ("identifier", "r5")],
        None,
    );
    // The Kubernetes host is unknown in this run, the Harness settings are not: the refresh
    // still sees the deletion and plans the re-create.
    tf.write(&config(2));
    let out = tf.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("harness_gitops_repository.r will be created"),
        "{text}"
    );
    assert!(!text.contains("State Not Refreshed"), "{text}");
}
