//! Adopting what was made in the Harness UI, as a new user does: a repository, a cluster and
//! an application created through the API directly, adopted with `import` blocks and
//! `terraform plan -generate-config-out`, applied, then destroyed. The generated
//! configuration has no references between the three, so Terraform deletes them in
//! parallel; the cluster's and repository's deletes are refused while the application is
//! being deleted, and must be retried until it is gone. Also: an operation's `timeouts`
//! bound every call it makes, not only its waits.

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::support::*;

const ORG: &str = "default";
const PROJECT: &str = "mlplatform";
const AGENT: &str = "mlagent";
const REPO_URL: &str = "https://github.com/acme-ml/training.git";
const SERVER: &str = "https://gpu.acme-ml.example.com";

fn provider_block(endpoint: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint    = "{endpoint}"
  account_id  = "{ACCOUNT}"
  api_key     = "{API_KEY}"
  org_id      = "{ORG}"
  project_id  = "{PROJECT}"
  agent_id    = "{AGENT}"
  max_retries = 10
}}
"#
    )
}

/// A call to the emulator's API as the Harness UI would make it.
fn ui_call(emu: &Emulator, path: &str, query: &[(&str, &str)], body: Json) {
    let mut q = vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJECT),
    ];
    q.extend_from_slice(query);
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/gitops/api/v1/agents/{AGENT}/{path}", emu.url))
        .header("x-api-key", API_KEY)
        .query(&q)
        .json(&body)
        .send()
        .expect("UI call");
    let status = resp.status();
    assert!(
        status.is_success(),
        "POST {path}: {status} {}",
        resp.text().unwrap_or_default()
    );
}

/// The repository `training`, the cluster `gpu` and the application `trainer` that deploys
/// from one to the other, made "in the UI".
fn made_in_the_ui(emu: &Emulator) {
    ui_call(
        emu,
        "repositories",
        &[("identifier", "training")],
        json!({"repo": {"repo": REPO_URL, "connectionType": "HTTPS_ANONYMOUS"}}),
    );
    ui_call(
        emu,
        "clusters",
        &[("identifier", "gpu")],
        json!({"cluster": {
            "server": SERVER,
            "name": "gpu",
            "config": {"bearerToken": "ui-made-token-Zq8", "tlsClientConfig": {"insecure": true}}
        }}),
    );
    ui_call(
        emu,
        "applications",
        &[("clusterIdentifier", "gpu"), ("repoIdentifier", "training")],
        json!({"application": {
            "metadata": {
                "name": "trainer",
                "finalizers": ["resources-finalizer.argocd.argoproj.io"]
            },
            "spec": {
                "project": "default",
                "source": {"repoURL": REPO_URL, "path": "trainer", "targetRevision": "HEAD"},
                "destination": {"server": SERVER, "namespace": "training"},
                "syncPolicy": {"automated": {}}
            }
        }}),
    );
}

fn count(state: &Json, kind: &str) -> usize {
    state[kind].as_array().map_or(0, Vec::len)
}

fn text_of(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn objects_made_in_the_ui_are_adopted_with_generated_config_and_destroyed() {
    // Cascading deletes take 3 s: the cluster's and repository's deletes, sent in parallel,
    // are refused while the application is being deleted.
    let emu = Emulator::start(&["--delete-delay", "3s", "--sync-delay", "0s"]);
    made_in_the_ui(&emu);
    let before = emu.state();
    assert_eq!(
        (
            count(&before, "repositories"),
            count(&before, "clusters"),
            count(&before, "applications")
        ),
        (1, 1, 1),
        "{before:#}"
    );

    let tf = Tf::new();
    let id = |name: &str| format!("{ORG}/{PROJECT}/{AGENT}/{name}");
    tf.write(&format!(
        "{}
import {{
  to = harness_gitops_repository.training
  id = \"{}\"
}}

import {{
  to = harness_gitops_cluster.gpu
  id = \"{}\"
}}

import {{
  to = harness_gitops_application.trainer
  id = \"{}\"
}}
",
        provider_block(&emu.url),
        id("training"),
        id("gpu"),
        id("trainer"),
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
    let generated = std::fs::read_to_string(tf.path().join("generated.tf")).unwrap();
    // What makes the destroy hard: literal ids, no references between the three.
    assert!(
        generated.contains("cluster_id") && generated.contains("\"gpu\""),
        "{generated}"
    );
    assert!(
        !generated.contains("harness_gitops_cluster.")
            && !generated.contains("harness_gitops_repository."),
        "the generated configuration has no references:\n{generated}"
    );
    assert!(
        !generated.contains("ui-made-token-Zq8"),
        "a secret must not be generated into configuration"
    );

    // The generated configuration is applicable as it is.
    tf.ok(&["validate", "-no-color"]);
    tf.apply();
    let adopted = tf.state();
    for addr in [
        "harness_gitops_repository.training",
        "harness_gitops_cluster.gpu",
        "harness_gitops_application.trainer",
    ] {
        assert!(
            tfplugin::testing::find_resource(&adopted["values"]["root_module"], addr).is_some(),
            "{addr} adopted: {adopted:#}"
        );
    }
    // Adopted, not made again (the one create of each is the UI's).
    for op in [
        "repositories.create",
        "clusters.create",
        "applications.create",
    ] {
        assert_eq!(emu.applied(op), 1, "{op}");
    }

    // Destroy: all three deleted in parallel; the cluster and the repository wait for the
    // application to be gone.
    let started = Instant::now();
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    let after = emu.state();
    assert_eq!(
        (
            count(&after, "repositories"),
            count(&after, "clusters"),
            count(&after, "applications")
        ),
        (0, 0, 0),
        "{after:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "destroy took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_cluster_still_used_fails_to_delete_naming_its_applications_and_force_delete() {
    let emu = Emulator::start(&["--sync-delay", "0s"]);
    made_in_the_ui(&emu);
    let tf = Tf::new();
    tf.write(&format!(
        "{}
import {{
  to = harness_gitops_cluster.gpu
  id = \"{ORG}/{PROJECT}/{AGENT}/gpu\"
}}
",
        provider_block(&emu.url)
    ));
    let out = tf.run(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    assert!(out.status.success(), "{}", text_of(&out));
    tf.apply();
    // The application is not Terraform's and stays: the delete is refused for good.
    let started = Instant::now();
    let text = tf.fails(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Unable to Delete GitOps Cluster")
            && flat.contains("cluster is used by 1 application(s)")
            && flat.contains("\"trainer\"")
            && flat.contains("force_delete = true"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "gave up after {:?}",
        started.elapsed()
    );
    assert_eq!(count(&emu.state(), "clusters"), 1, "the cluster stays");
}

#[test]
fn a_short_create_timeout_bounds_a_slow_call_and_the_object_is_kept_tainted() {
    // Every API request takes 4 s; the create may take 1 s.
    let emu = Emulator::start(&["--latency", "4s"]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"{}
resource "harness_gitops_cluster" "slow" {{
  identifier   = "slow"
  server       = "{SERVER}"
  bearer_token = "slow-token-Pp2"
  timeouts {{
    create = "1s"
  }}
}}
"#,
        provider_block(&emu.url)
    ));
    let started = Instant::now();
    let text = tf.fails(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let took = started.elapsed();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("create cluster \"slow\"") && flat.contains("`timeouts.create`"),
        "the error names the operation and the timeout:\n{text}"
    );
    // Without the bound the call would run on the 60 s request timeout.
    assert!(took < Duration::from_secs(20), "apply took {took:?}");
    // The create may have been applied: it is recorded (tainted), never lost.
    let state = tf.state();
    let recorded = tfplugin::testing::find_resource(
        &state["values"]["root_module"],
        "harness_gitops_cluster.slow",
    );
    assert!(recorded.is_some(), "{state:#}");
}
