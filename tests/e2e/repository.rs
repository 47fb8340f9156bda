//! `harness_gitops_repository` through its whole life with the real CLI and the emulator.
//! Every step checks Terraform's state (`show -json`) and the emulator's own view.

use crate::support::*;
use serde_json::{json, Value as Json};

const URL: &str = "https://github.com/acme/ml-manifests.git";

fn config(emu: &Emulator, identifier: &str, extra: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}}

resource "harness_gitops_repository" "manifests" {{
  identifier = "{identifier}"
  url        = "{URL}"
  name       = "ml-manifests"
{extra}}}
"#,
        url = emu.url
    )
}

fn only_repo(emu: &Emulator) -> Json {
    let repos = emu.repositories();
    assert_eq!(
        repos.len(),
        1,
        "exactly one repository expected in the emulator: {repos:#?}"
    );
    repos[0].clone()
}

fn key(identifier: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", "default"),
        ("projectIdentifier", "mlplatform"),
        ("agentIdentifier", "mlagent"),
        ("identifier", identifier),
    ]
}

#[test]
fn lifecycle() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let addr = "harness_gitops_repository.manifests";

    // Create.
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  password = \"hunter2-initial\"\n",
    ));
    tf.apply();
    let st = tf.resource(addr);
    assert_eq!(st["id"], "default/mlplatform/mlagent/manifests");
    assert_eq!(
        st["org_id"], "default",
        "org_id inherited from the provider"
    );
    assert_eq!(st["connection_status"], "Successful");
    assert_eq!(st["connection_type"], "HTTPS", "derived from the password");
    assert_eq!(
        st["password"], "hunter2-initial",
        "state keeps the configured value, not the mask"
    );
    let remote = only_repo(&emu);
    assert_eq!(remote["repository"]["repo"], URL);
    assert_eq!(
        remote["repository"]["password"], "hunter2-initial",
        "the real password reached the API"
    );
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // Update in place.
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  password = \"hunter2-initial\"\n  insecure = true\n",
    ));
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(change["actions"], json!(["update"]));
    tf.apply();
    assert_eq!(only_repo(&emu)["repository"]["insecure"], true);
    assert_eq!(tf.resource(addr)["insecure"], true);
    assert!(tf.plan_is_empty(), "plan after update must be empty");

    // Changing the identifier plans a replacement.
    tf.write(&config(
        &emu,
        "manifests_v2",
        "  username = \"bot\"\n  password = \"hunter2-initial\"\n  insecure = true\n",
    ));
    let plan = tf.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        json!(["delete", "create"])
    );
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  password = \"hunter2-initial\"\n  insecure = true\n",
    ));

    // Drift behind Terraform's back is detected and corrected.
    emu.admin(
        reqwest::Method::PATCH,
        "repositories",
        &key("manifests"),
        Some(json!({"name": "renamed-by-hand", "insecure": false})),
    );
    assert!(!tf.plan_is_empty(), "drift must show up in the plan");
    tf.apply();
    let remote = only_repo(&emu);
    assert_eq!(remote["repository"]["name"], "ml-manifests");
    assert_eq!(remote["repository"]["insecure"], true);
    assert!(tf.plan_is_empty());

    // Deleted behind its back: the plan re-creates it.
    emu.admin(
        reqwest::Method::DELETE,
        "repositories",
        &key("manifests"),
        None,
    );
    assert!(emu.repositories().is_empty());
    let plan = tf.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        json!(["create"])
    );
    tf.apply();
    only_repo(&emu);

    // Import into an empty state: the plan then shows no change except the secret the API
    // cannot return (it comes back masked).
    tf.ok(&["state", "rm", addr]);
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        addr,
        "default/mlplatform/mlagent/manifests",
    ]);
    let st = tf.resource(addr);
    assert_eq!(st["identifier"], "manifests");
    assert_eq!(st["url"], URL);
    assert_eq!(st["username"], "bot");
    assert!(st["password"].is_null(), "a masked secret is not imported");
    let plan = tf.plan_json();
    let ch = &plan["resource_changes"][0]["change"];
    assert_eq!(ch["actions"], json!(["update"]));
    let (before, after, unknown) = (&ch["before"], &ch["after"], &ch["after_unknown"]);
    let changed: Vec<&String> = before
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| unknown[k.as_str()] != true && before[k.as_str()] != after[k.as_str()])
        .collect();
    assert_eq!(
        changed,
        vec!["password"],
        "after import only the secret may differ"
    );
    tf.apply();
    assert!(
        tf.plan_is_empty(),
        "plan after import + apply must be empty"
    );

    // Switch to a write-only password.
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  insecure = true\n  password_wo = \"rotated-1\"\n  password_wo_version = 1\n",
    ));
    tf.apply();
    assert_eq!(only_repo(&emu)["repository"]["password"], "rotated-1");
    assert!(
        tf.plan_is_empty(),
        "plan after switching to password_wo must be empty"
    );
    let st = tf.resource(addr);
    assert!(
        st["password_wo"].is_null(),
        "write-only value never in state"
    );
    let raw_state = std::fs::read_to_string(tf.dir.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw_state.contains("rotated-1"),
        "write-only value leaked into the state file"
    );

    // Rotation: a new write-only value is sent only when its version changes.
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  insecure = true\n  password_wo = \"rotated-2\"\n  password_wo_version = 1\n",
    ));
    assert!(
        tf.plan_is_empty(),
        "a write-only value alone cannot be diffed"
    );
    tf.write(&config(
        &emu,
        "manifests",
        "  username = \"bot\"\n  insecure = true\n  password_wo = \"rotated-2\"\n  password_wo_version = 2\n",
    ));
    tf.apply();
    assert_eq!(only_repo(&emu)["repository"]["password"], "rotated-2");
    let raw_state = std::fs::read_to_string(tf.dir.path().join("terraform.tfstate")).unwrap();
    assert!(!raw_state.contains("rotated-2"));

    // Destroy leaves nothing behind.
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        emu.repositories().is_empty(),
        "destroy must remove the repository: {:#?}",
        emu.repositories()
    );
}

#[test]
fn connection_failure_keeps_the_object_in_state_tainted() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"provider "harness" {{
  endpoint   = "{}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
}}

resource "harness_gitops_repository" "broken" {{
  identifier = "broken"
  agent_id   = "account.mlagent"
  url        = "https://git.unreachable.invalid/acme/x.git"
}}
"#,
        emu.url
    ));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(text.contains("Connection Failed"), "{text}");
    // The created object is in state, tainted, and in the emulator exactly once.
    let st = tf.state();
    let r = &st["values"]["root_module"]["resources"][0];
    assert_eq!(r["address"], "harness_gitops_repository.broken");
    assert_eq!(r["tainted"], true, "{st}");
    assert_eq!(emu.repositories().len(), 1);
    // Fixing the URL replaces it.
    let fixed = std::fs::read_to_string(tf.dir.path().join("main.tf")).unwrap();
    tf.write_file(
        "main.tf",
        &fixed.replace("git.unreachable.invalid", "github.com"),
    );
    tf.apply();
    let repos = emu.repositories();
    assert_eq!(repos.len(), 1, "{repos:#?}");
    assert_eq!(
        repos[0]["repository"]["repo"],
        "https://github.com/acme/x.git"
    );
}

#[test]
fn apply_survives_thirty_percent_faults_without_duplicates() {
    let emu = Emulator::start(&[
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.1",
        "--seed",
        "7",
    ]);
    let tf = Tf::new();
    let mut body = format!(
        "provider \"harness\" {{\n  endpoint    = \"{}\"\n  account_id  = \"{ACCOUNT}\"\n  api_key     = \"{API_KEY}\"\n  agent_id    = \"account.mlagent\"\n  max_retries = 10\n}}\n",
        emu.url
    );
    for i in 0..8 {
        body.push_str(&format!(
            "\nresource \"harness_gitops_repository\" \"r{i}\" {{\n  identifier = \"repo_{i}\"\n  url        = \"https://github.com/acme/repo-{i}.git\"\n}}\n"
        ));
    }
    tf.write(&body);
    tf.apply();
    let repos = emu.repositories();
    let mut ids: Vec<String> = repos
        .iter()
        .map(|r| r["identifier"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("repo_{i}")).collect();
    assert_eq!(ids, expected, "every repository present");
    // The store is keyed by identifier, so it cannot show duplicates: the emulator's count
    // of creates it actually applied can. And the faults must really have fired.
    assert_eq!(
        emu.applied("repositories.create"),
        8,
        "each repository created exactly once: {}",
        emu.counters()
    );
    assert!(emu.faults_fired() > 0, "faults fired: {}", emu.counters());
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(emu.repositories().is_empty());
}

#[test]
fn data_source_reads_without_secrets() {
    let emu = Emulator::start(&["--sync-delay", "0s"]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"{}
data "harness_gitops_repository" "read" {{
  identifier = harness_gitops_repository.manifests.identifier
}}

output "read_url" {{
  value = data.harness_gitops_repository.read.url
}}
output "read_status" {{
  value = data.harness_gitops_repository.read.connection_status
}}
"#,
        config(
            &emu,
            "manifests",
            "  username = \"bot\"\n  password = \"hunter2\"\n"
        )
    ));
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(out["read_url"]["value"], URL);
    assert_eq!(out["read_status"]["value"], "Successful");
    let st = tf.state();
    let ds = st["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "data")
        .cloned()
        .unwrap();
    assert!(
        ds["values"].get("password").is_none(),
        "the data source has no secret attributes: {ds}"
    );
    assert_eq!(ds["values"]["username"], "bot");
}

#[test]
fn import_block_generates_a_config_that_validates_and_plans_clean() {
    let emu = Emulator::start(&[]);
    let provider = format!(
        "provider \"harness\" {{\n  endpoint   = \"{}\"\n  account_id = \"{ACCOUNT}\"\n  api_key    = \"{API_KEY}\"\n}}\n",
        emu.url
    );
    // Something created outside this configuration: an SSH repository with a key, and a
    // Helm repository.
    let outside = Tf::new();
    outside.write(&format!(
        "{provider}\nresource \"harness_gitops_repository\" \"ssh\" {{\n  identifier      = \"ssh_repo\"\n  agent_id        = \"account.mlagent\"\n  url             = \"git@github.com:acme/ml.git\"\n  ssh_private_key = \"-----BEGIN OPENSSH PRIVATE KEY-----x\"\n}}\n\nresource \"harness_gitops_repository\" \"helm\" {{\n  identifier = \"charts\"\n  agent_id   = \"account.mlagent\"\n  type       = \"helm\"\n  name       = \"charts\"\n  url        = \"https://charts.acme-ml.dev\"\n}}\n"
    ));
    outside.apply();

    let tf = Tf::new();
    tf.write(&format!(
        "{provider}\nimport {{\n  to = harness_gitops_repository.ssh\n  id = \"account.mlagent/ssh_repo\"\n}}\n\nimport {{\n  to = harness_gitops_repository.helm\n  id = \"account.mlagent/charts\"\n}}\n"
    ));
    let out = tf.run(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    assert!(
        out.status.success(),
        "plan with -generate-config-out failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = std::fs::read_to_string(tf.dir.path().join("generated.tf")).unwrap();
    assert!(
        generated.contains("harness_gitops_repository"),
        "{generated}"
    );
    assert!(
        !generated.contains("OPENSSH"),
        "a secret must not be generated into configuration"
    );
    tf.ok(&["validate", "-no-color"]);
    // Importing changes nothing remotely; apply records both objects.
    let plan = tf.plan_json();
    for rc in plan["resource_changes"].as_array().unwrap() {
        let actions = &rc["change"]["actions"];
        assert!(
            actions == &json!(["no-op"])
                || actions == &json!(["update"])
                    && rc["address"] == "harness_gitops_repository.ssh",
            "unexpected plan for {}: {actions}",
            rc["address"]
        );
    }
    tf.apply();
    assert_eq!(emu.repositories().len(), 2);
}

#[test]
fn existing_repository_is_adopted_with_upsert_and_explained_without() {
    let emu = Emulator::start(&[]);
    let provider = format!(
        "provider \"harness\" {{\n  endpoint   = \"{}\"\n  account_id = \"{ACCOUNT}\"\n  api_key    = \"{API_KEY}\"\n  agent_id   = \"account.mlagent\"\n}}\n",
        emu.url
    );
    let outside = Tf::new();
    outside.write(&format!(
        "{provider}\nresource \"harness_gitops_repository\" \"r\" {{\n  identifier = \"shared\"\n  url        = \"https://github.com/acme/shared.git\"\n}}\n"
    ));
    outside.apply();

    let tf = Tf::new();
    let cfg = |upsert: bool| {
        format!(
            "{provider}\nresource \"harness_gitops_repository\" \"r\" {{\n  identifier = \"shared\"\n  url        = \"https://github.com/acme/shared.git\"\n  name       = \"adopted\"\n  upsert     = {upsert}\n}}\n"
        )
    };
    tf.write(&cfg(false));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        text.contains("already exists")
            && text.contains("account.mlagent/shared")
            && text.contains("upsert"),
        "{text}"
    );
    tf.write(&cfg(true));
    tf.apply();
    let repos = emu.repositories();
    assert_eq!(repos.len(), 1, "adopted, not duplicated: {repos:#?}");
    assert_eq!(repos[0]["repository"]["name"], "adopted");
    assert!(tf.plan_is_empty());
}

#[test]
fn create_and_update_never_call_read() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let gets = |emu: &Emulator| {
        emu.counters()["requests"]["repositories.get"]
            .as_u64()
            .unwrap_or(0)
    };
    tf.write(&config(&emu, "no_reads", ""));
    tf.apply();
    assert_eq!(
        gets(&emu),
        0,
        "a create fills computed values from its own reply: {}",
        emu.counters()
    );
    tf.write(&config(&emu, "no_reads", "  username = \"changed\"\n"));
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    assert_eq!(emu.applied("repositories.update"), 1);
    assert_eq!(
        gets(&emu),
        0,
        "an update fills computed values from its own reply: {}",
        emu.counters()
    );
    // A refresh is exactly one GET per resource.
    assert!(tf.plan_is_empty());
    assert_eq!(gets(&emu), 1, "{}", emu.counters());
}

/// An API error on update keeps the prior state: the refused update fails the apply with the
/// API's message, Terraform's state and the remote repository keep the prior values, and the
/// next apply succeeds.
#[test]
fn an_api_error_on_update_keeps_the_prior_state() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let addr = "harness_gitops_repository.manifests";
    tf.write(&config(&emu, "manifests", ""));
    tf.apply();
    assert_eq!(tf.resource(addr)["enable_lfs"], false);

    tf.write(&config(&emu, "manifests", "  enable_lfs = true\n"));
    update_refused_keeps_prior_state(&emu, &tf, addr, "GitOps Repository", "repositories.update");
    assert!(
        only_repo(&emu)["repository"]["enableLfs"].is_null(),
        "the refused update changed nothing remotely"
    );

    tf.apply();
    assert_eq!(tf.resource(addr)["enable_lfs"], true);
    assert_eq!(only_repo(&emu)["repository"]["enableLfs"], true);
    assert!(tf.plan_is_empty(), "plan after the retried update is empty");
}

/// An ECR registry with a token generator: sent as `genType`/`ecrGen`/`refreshInterval`,
/// the second plan is empty, a change of the interval updates in place, the switch to GCR
/// is refused at its path before anything is sent, removing the generator sends `UNSET`.
#[test]
fn an_ecr_token_generator_end_to_end() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let ecr = "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let write = |generator: &str| {
        tf.write(&format!(
            r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}}

resource "harness_gitops_repository" "charts" {{
  identifier = "charts"
  url        = "{ecr}"
  type       = "oci"
  name       = "charts"
{generator}}}
"#,
            url = emu.url
        ))
    };
    let with_interval = |interval: &str| {
        format!(
            r#"  gen_type         = "AWS_ECR"
  refresh_interval = "{interval}"
  ecr_gen = {{
    region = "us-east-1"
    role   = "arn:aws:iam::123456789012:role/charts"
    secret_ref = {{
      aws_access_key_id     = "AKIAEXAMPLE"
      aws_secret_access_key = "ecr-secret-key"
    }}
  }}
"#
        )
    };
    write(&with_interval("1h"));
    tf.apply();
    let r = only_repo(&emu);
    assert_eq!(r["genType"], "AWS_ECR", "{r}");
    assert_eq!(r["refreshInterval"], "1h");
    assert_eq!(r["ecrGen"]["region"], "us-east-1");
    assert_eq!(r["ecrGen"]["role"], "arn:aws:iam::123456789012:role/charts");
    assert_eq!(r["ecrGen"]["secretRef"]["awsAccessKeyID"], "AKIAEXAMPLE");
    assert_eq!(
        r["ecrGen"]["secretRef"]["awsSecretAccessKey"],
        "ecr-secret-key"
    );
    let v = tf.resource("harness_gitops_repository.charts");
    assert_eq!(v["gen_type"], "AWS_ECR");
    assert_eq!(v["ecr_gen"]["region"], "us-east-1");
    assert!(tf.plan_is_empty(), "second plan empty");
    let plan = tf.ok(&["plan", "-no-color", "-input=false"]);
    assert!(!plan.contains("ecr-secret-key"));

    write(&with_interval("30m"));
    let out = tf.apply();
    assert!(out.contains("1 changed"), "{out}");
    assert_eq!(only_repo(&emu)["refreshInterval"], "30m");
    assert!(tf.plan_is_empty());

    // The wrong registry for GCR: refused at plan, nothing sent.
    let updates = emu.applied("repositories.update");
    write(
        r#"  gen_type = "GOOGLE_GCR"
  gcr_gen = {
    project_id = "p"
    access_key = "{}"
  }
"#,
    );
    let err = tf.fails(&["plan", "-no-color", "-input=false"]);
    assert!(err.contains("Not A GCR Registry"), "{err}");
    assert_eq!(emu.applied("repositories.update"), updates);

    write("");
    tf.apply();
    let r = only_repo(&emu);
    assert!(
        r.get("ecrGen").is_none() && r["genType"].as_str().unwrap_or("UNSET") == "UNSET",
        "the generator is gone: {r}"
    );
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}
