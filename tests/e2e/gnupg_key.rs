//! `harness_gitops_gnupg_key` (and its data source) through its whole life with the real CLI
//! and the emulator: the key text from another resource's output, the key ID and
//! fingerprint Argo CD reports, a re-wrapped key that is no change, drift, import, destroy.

use crate::support::*;
use serde_json::{json, Value as Json};

/// A public key made once with `gpg --batch --quick-gen-key`; gpg reports this fingerprint.
const KEY: &str = include_str!("fixtures/gnupg-test-key.asc");
const FINGERPRINT: &str = "6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC";
const KEY_ID: &str = "C524E8E8F92D08BC";
const AGENT: &str = "account.gpgagent";
const ADDR: &str = "harness_gitops_gnupg_key.signer";

fn provider(emu: &Emulator) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "{AGENT}"
}}

resource "terraform_data" "key" {{
  input = <<-EOT
{KEY}EOT
}}
"#,
        url = emu.url
    )
}

/// The key from `terraform_data` (unknown at the first plan) and the data source reading it.
fn config(emu: &Emulator, key_data: &str) -> String {
    format!(
        r#"{}
resource "harness_gitops_gnupg_key" "signer" {{
  key_data = {key_data}
}}

data "harness_gitops_gnupg_key" "read" {{
  key_id = harness_gitops_gnupg_key.signer.key_id
}}

output "fingerprint" {{
  value = data.harness_gitops_gnupg_key.read.fingerprint
}}
"#,
        provider(emu)
    )
}

/// The fixture re-wrapped at 48 columns and indented, with an armor header and no
/// checksum line, as an HCL heredoc.
fn rewrapped_heredoc() -> String {
    let body: String = KEY
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.starts_with('=') && !l.trim().is_empty())
        .collect();
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(48)
        .map(|c| format!("      {}", std::str::from_utf8(c).unwrap()))
        .collect();
    format!(
        "<<-EOT\n    -----BEGIN PGP PUBLIC KEY BLOCK-----\n    Comment: re-exported\n\n{}\n    -----END PGP PUBLIC KEY BLOCK-----\n  EOT",
        lines.join("\n")
    )
}

/// A call of the GnuPG key API as another client would make it.
fn api(emu: &Emulator, method: reqwest::Method, path: &str) -> (u16, Json) {
    let resp = reqwest::blocking::Client::new()
        .request(
            method,
            format!("{}/gitops/api/v1/agents/{AGENT}/{path}", emu.url),
        )
        .header("x-api-key", API_KEY)
        .query(&[("accountIdentifier", ACCOUNT)])
        .send()
        .expect("API call");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Json::Null))
}

fn action(plan: &Json, addr: &str) -> Json {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == addr)
        .map(|c| c["change"]["actions"].clone())
        .unwrap_or(Json::Null)
}

#[test]
fn lifecycle() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();

    // Create from another resource's output.
    tf.write(&config(&emu, "terraform_data.key.output"));
    let plan = tf.plan_json();
    assert_eq!(action(&plan, ADDR), json!(["create"]));
    tf.apply();
    let st = tf.resource(ADDR);
    assert_eq!(st["key_id"], KEY_ID);
    assert_eq!(st["fingerprint"], FINGERPRINT);
    assert_eq!(st["owner"], "Terraform Test <tf-test@example.com>");
    assert_eq!(st["sub_type"], "ed25519");
    assert_eq!(st["id"], format!("{AGENT}/{KEY_ID}"));
    assert_eq!(st["key_data"], KEY, "the configured text is kept");
    let (status, remote) = api(&emu, reqwest::Method::GET, &format!("gpgkeys/{KEY_ID}"));
    assert_eq!(status, 200, "{remote}");
    assert_eq!(st["fingerprint"], remote["fingerprint"]);
    assert_eq!(st["key_id"], remote["keyID"]);
    assert_eq!(st["trust"], remote["trust"]);
    let out = tf.state();
    assert_eq!(
        out["values"]["outputs"]["fingerprint"]["value"],
        FINGERPRINT
    );
    assert_eq!(emu.applied("gpgkeys.create"), 1);
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // The same key re-wrapped, re-indented, with a header: no change.
    tf.write(&config(&emu, &rewrapped_heredoc()));
    assert!(tf.plan_is_empty(), "a re-wrapped key must be no change");
    tf.apply();
    assert_eq!(tf.resource(ADDR)["key_data"], KEY);
    assert_eq!(emu.applied("gpgkeys.create"), 1, "nothing was sent");
    tf.write(&config(&emu, "terraform_data.key.output"));

    // Deleted behind Terraform's back: re-created.
    let (status, _) = api(&emu, reqwest::Method::DELETE, &format!("gpgkeys/{KEY_ID}"));
    assert_eq!(status, 200);
    let plan = tf.plan_json();
    assert_eq!(action(&plan, ADDR), json!(["create"]));
    tf.apply();
    assert_eq!(emu.applied("gpgkeys.create"), 2);
    assert!(tf.plan_is_empty());

    // A key the agent already has is refused without upsert, with the import ID to use.
    tf.ok(&["state", "rm", ADDR]);
    let err = tf.fails(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(err.contains("GnuPG Key Already Exists"), "{err}");
    assert!(err.contains(&format!("{AGENT}/{KEY_ID}")), "{err}");

    // Import.
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        ADDR,
        &format!("{AGENT}/{KEY_ID}"),
    ]);
    let st = tf.resource(ADDR);
    assert_eq!(st["fingerprint"], FINGERPRINT);
    assert!(tf.plan_is_empty(), "plan after import must be empty");

    // Destroy leaves nothing.
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    let (_, list) = api(&emu, reqwest::Method::GET, "gpgkeys");
    assert!(list.get("items").is_none(), "{list}");
    assert_eq!(emu.applied("gpgkeys.delete"), 2);
    emu.assert_holds_nothing();
}

#[test]
fn a_private_key_is_refused_at_its_attribute() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        "{}\nresource \"harness_gitops_gnupg_key\" \"bad\" {{\n  key_data = \"-----BEGIN PGP PRIVATE KEY BLOCK-----\\n\\nlQ==\\n-----END PGP PRIVATE KEY BLOCK-----\"\n}}\n",
        provider(&emu)
    ));
    let err = tf.fails(&["plan", "-input=false", "-no-color"]);
    assert!(err.contains("Invalid GnuPG Public Key"), "{err}");
    assert!(err.contains("key_data"), "{err}");
    assert_eq!(emu.applied("gpgkeys.create"), 0);
}
