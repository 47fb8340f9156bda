//! `harness_gitops_repository_credentials` (Argo CD credential templates) with the real CLI
//! and the emulator: one template for `https://github.com/acme-ml/` with a write-only token,
//! three repositories under it without credentials of their own that connect through it.

use crate::support::*;
use serde_json::{json, Value as Json};

const TOKENS: [&str; 2] = ["ghp_template_token_V1x9", "ghp_template_token_rotated_Q7"];
const CREDS: &str = "harness_gitops_repository_credentials.acme";
const REPOS: [&str; 3] = ["model-a", "model-b", "features"];

fn config(emu: &Emulator, token: &str, version: u32, username: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "account.mlagent"
}}

# The prefix comes from another resource's output: unknown until apply on the first run.
resource "terraform_data" "org" {{
  input = "acme-ml"
}}

resource "harness_gitops_repository_credentials" "acme" {{
  identifier          = "acme"
  url                 = "https://github.com/${{terraform_data.org.output}}/"
  username            = "{username}"
  password_wo         = "{token}"
  password_wo_version = {version}
}}

resource "harness_gitops_repository" "ml" {{
  for_each   = toset({repos})
  identifier = replace(each.key, "-", "_")
  url        = "${{harness_gitops_repository_credentials.acme.url}}${{each.key}}.git"
}}

data "harness_gitops_repository_credentials" "acme" {{
  identifier = harness_gitops_repository_credentials.acme.identifier
}}

output "template_username" {{
  value = data.harness_gitops_repository_credentials.acme.username
}}
"#,
        url = emu.url,
        repos = json!(REPOS),
    )
}

/// The templates in the emulator's dump (secrets in clear).
fn templates(emu: &Emulator) -> Vec<Json> {
    emu.state()["repoCreds"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn remote_password(emu: &Emulator) -> Json {
    let t = templates(emu);
    assert_eq!(t.len(), 1, "one template expected: {t:#?}");
    t[0]["repoCreds"]["password"].clone()
}

fn check_repositories_inherit(tf: &Tf) {
    for name in REPOS {
        let st = tf.resource(&format!("harness_gitops_repository.ml[\"{name}\"]"));
        assert_eq!(st["inherited_creds"], true, "{name}: {st}");
        assert_eq!(st["connection_status"], "Successful", "{name}: {st}");
        assert!(
            st["password"].is_null() && st["username"].is_null(),
            "{name}: no own credentials"
        );
        assert_eq!(st["url"], format!("https://github.com/acme-ml/{name}.git"));
    }
}

/// Everything Terraform wrote to disk in `tf`'s folder but the configuration (state, backups,
/// saved plans, the provider's TRACE log).
fn files_text(tf: &Tf) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(tf.dir.path()).expect("read the folder") {
        let path = entry.expect("entry").path();
        // The configuration itself (`*.tf`) holds the token, as the user wrote it.
        if path.is_file() && path.extension().is_none_or(|e| e != "tf") {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).unwrap_or_default(),
            ));
        }
    }
    out
}

/// Changes the template behind Terraform's back through the public API (as someone in the
/// Harness UI would): the username; the mask keeps the stored token.
fn drift_username(emu: &Emulator) {
    let resp = reqwest::blocking::Client::new()
        .put(format!(
            "{}/gitops/api/v1/agents/account.mlagent/repocreds/acme",
            emu.url
        ))
        .query(&[("accountIdentifier", ACCOUNT)])
        .header("x-api-key", API_KEY)
        .json(
            &json!({"creds": {"url": "https://github.com/acme-ml/", "username": "edited-by-hand",
            "password": "********"}}),
        )
        .send()
        .expect("drift request");
    assert!(resp.status().is_success(), "{:?}", resp.text());
}

#[test]
fn template_serves_repositories_without_credentials_through_its_whole_life() {
    let emu = Emulator::start(&[]);
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let log = tf.dir.path().join("provider-trace.log");
    tf.env("TF_LOG_PATH", log.to_str().unwrap());

    // Create: the prefix is unknown at plan time; the token is write-only.
    tf.write(&config(&emu, TOKENS[0], 1, "ml-bot"));
    let plan = tf.plan_json();
    let creds_change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == CREDS)
        .expect("template planned");
    assert_eq!(
        creds_change["change"]["after_unknown"]["url"], true,
        "prefix from terraform_data"
    );
    assert!(creds_change["change"]["after"]["password_wo"].is_null());
    tf.apply();
    let st = tf.resource(CREDS);
    assert_eq!(st["id"], "account.mlagent/acme");
    assert_eq!(st["url"], "https://github.com/acme-ml/");
    assert_eq!(st["username"], "ml-bot");
    assert_eq!(st["type"], "git");
    assert!(
        st["password"].is_null() && st["password_wo"].is_null(),
        "{st}"
    );
    assert_eq!(st["password_wo_version"], 1);
    assert_eq!(
        remote_password(&emu),
        TOKENS[0],
        "the token reached the API"
    );
    check_repositories_inherit(&tf);
    assert_eq!(emu.applied("repocreds.create"), 1);
    assert_eq!(emu.applied("repositories.create"), 3);
    let outputs: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(
        outputs["template_username"]["value"], "ml-bot",
        "the data source reads it"
    );
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // Rotation through password_wo_version: only the template changes.
    tf.write(&config(&emu, TOKENS[1], 2, "ml-bot"));
    let plan = tf.plan_json();
    let changed: Vec<&Json> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["change"]["actions"] != json!(["no-op"]) && c["change"]["actions"] != json!(["read"])
        })
        .map(|c| &c["address"])
        .collect();
    assert_eq!(changed, vec![&json!(CREDS)], "only the template is updated");
    tf.apply();
    assert_eq!(remote_password(&emu), TOKENS[1], "rotated token sent");
    assert_eq!(emu.applied("repocreds.update"), 1);
    check_repositories_inherit(&tf);
    assert!(tf.plan_is_empty(), "plan after rotation must be empty");

    // Drift: changed by hand, detected and corrected; the token stays.
    drift_username(&emu);
    let plan = tf.plan_json();
    let ch = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == CREDS)
        .unwrap()["change"]
        .clone();
    assert_eq!(ch["actions"], json!(["update"]));
    assert_eq!(ch["before"]["username"], "edited-by-hand");
    tf.apply();
    assert_eq!(templates(&emu)[0]["repoCreds"]["username"], "ml-bot");
    assert_eq!(remote_password(&emu), TOKENS[1]);
    assert!(
        tf.plan_is_empty(),
        "plan after correcting drift must be empty"
    );

    // Import into an empty state.
    tf.ok(&["state", "rm", CREDS]);
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        CREDS,
        "account.mlagent/acme",
    ]);
    let st = tf.resource(CREDS);
    assert_eq!(st["identifier"], "acme");
    assert_eq!(st["url"], "https://github.com/acme-ml/");
    assert_eq!(st["username"], "ml-bot");
    assert!(st["password"].is_null(), "a masked secret is not imported");
    tf.apply();
    assert!(
        tf.plan_is_empty(),
        "plan after import + apply must be empty"
    );
    check_repositories_inherit(&tf);

    // Destroy leaves nothing.
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(templates(&emu).is_empty(), "template deleted");
    assert!(emu.repositories().is_empty(), "repositories deleted");
    emu.assert_holds_nothing();

    // No token anywhere Terraform wrote: state, backups, saved plans, TRACE logs.
    let text = files_text(&tf);
    assert!(
        text.contains("[TRACE] provider.terraform-provider-harness"),
        "TRACE provider logs were expected in {}",
        log.display()
    );
    for s in TOKENS.iter().chain(&[API_KEY]) {
        assert!(
            !text.contains(s),
            "secret {s:?} leaked into state, plan or logs"
        );
    }
}

#[test]
fn repositories_under_a_template_without_complete_credentials_fail_to_connect() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "account.mlagent"
}}

resource "harness_gitops_repository_credentials" "acme" {{
  identifier = "acme"
  url        = "https://github.com/acme-ml/"
  username   = "ml-bot"
}}

resource "harness_gitops_repository" "model" {{
  identifier = "model"
  url        = "${{harness_gitops_repository_credentials.acme.url}}model.git"
}}
"#,
        url = emu.url
    ));
    let err = tf.fails(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(err.contains("authentication required"), "{err}");
    // The repository exists remotely: it is in state (tainted), not lost.
    let st = tf.resource("harness_gitops_repository.model");
    assert_eq!(st["inherited_creds"], true, "{st}");
    assert_eq!(st["connection_status"], "Failed", "{st}");
    assert_eq!(emu.repositories().len(), 1);
}
