//! `harness_gitops_repository_certificate` through its whole life with the real CLI and the
//! emulator: an SSH known-hosts key from another resource's output and an HTTPS certificate,
//! the fingerprint and subject the API reports, whitespace that is no change, an in-place
//! data update, drift, import, destroy; the data source reads the SSH key back.

use crate::support::*;
use serde_json::{json, Value as Json};

const HOST_KEY: &str = include_str!("fixtures/ssh-test-host-key.pub");
const HOST_KEY_2: &str = include_str!("fixtures/ssh-test-host-key-2.pub");
const PEM: &str = include_str!("fixtures/https-test-cert.pem");
/// `ssh-keygen -lf fixtures/ssh-test-host-key.pub`.
const SSH_FINGERPRINT: &str = "SHA256:mV8ZkC+/7kByVEqKfcj2XQ/KrIHb9jz3cf9/woucSYM";
const AGENT: &str = "account.certagent";
const SSH: &str = "harness_gitops_repository_certificate.ssh";
const HTTPS: &str = "harness_gitops_repository_certificate.https";

fn key(line: &str) -> &str {
    line.split_whitespace().nth(1).unwrap()
}

fn config(emu: &Emulator, host_key: &str, ssh_data: &str, pem: &str) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "{AGENT}"
}}

resource "terraform_data" "host" {{
  input = {{ name = "git.example.com", key = "{host_key}" }}
}}

resource "harness_gitops_repository_certificate" "ssh" {{
  server_name   = terraform_data.host.output.name
  cert_type     = "ssh"
  cert_sub_type = "ecdsa-sha2-nistp256"
  cert_data     = {ssh_data}
}}

data "harness_gitops_repository_certificate" "read" {{
  server_name   = harness_gitops_repository_certificate.ssh.server_name
  cert_type     = harness_gitops_repository_certificate.ssh.cert_type
  cert_sub_type = harness_gitops_repository_certificate.ssh.cert_sub_type
}}

output "ssh_info" {{
  value = data.harness_gitops_repository_certificate.read.cert_info
}}

resource "harness_gitops_repository_certificate" "https" {{
  server_name = "git.example.com"
  cert_type   = "https"
  cert_data   = <<-EOT
{pem}EOT
}}
"#,
        url = emu.url
    )
}

/// The agent's certificates as another client sees them.
fn remote(emu: &Emulator, method: reqwest::Method, query: &[(&str, &str)]) -> Vec<Json> {
    let resp = reqwest::blocking::Client::new()
        .request(
            method,
            format!("{}/gitops/api/v1/agents/{AGENT}/certificates", emu.url),
        )
        .header("x-api-key", API_KEY)
        .query(&[("accountIdentifier", ACCOUNT)])
        .query(query)
        .send()
        .expect("API call");
    assert!(resp.status().is_success(), "{}", resp.status());
    let body: Json = resp.json().unwrap();
    body["items"].as_array().cloned().unwrap_or_default()
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
    let from_output = "terraform_data.host.output.key";

    // Create: the SSH server and key from another resource's output.
    tf.write(&config(&emu, key(HOST_KEY), from_output, PEM));
    tf.apply();
    let ssh = tf.resource(SSH);
    assert_eq!(ssh["cert_info"], SSH_FINGERPRINT);
    assert_eq!(
        ssh["id"],
        format!("{AGENT}/ssh:ecdsa-sha2-nistp256:git.example.com")
    );
    let https = tf.resource(HTTPS);
    assert_eq!(https["cert_sub_type"], "ECDSA");
    assert_eq!(https["cert_info"], "O=Example,CN=git.example.com");
    assert_eq!(https["cert_data"], PEM);
    assert_eq!(https["id"], format!("{AGENT}/https:git.example.com"));
    let all = remote(&emu, reqwest::Method::GET, &[]);
    assert_eq!(all.len(), 2, "{all:?}");
    let remote_ssh = all.iter().find(|c| c["certType"] == "ssh").unwrap();
    assert_eq!(remote_ssh["certInfo"], ssh["cert_info"]);
    // Read back through the data source.
    assert_eq!(
        tf.state()["values"]["outputs"]["ssh_info"]["value"],
        SSH_FINGERPRINT
    );
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // The same key wrapped over two indented lines: no change.
    let k = key(HOST_KEY);
    let wrapped = format!("<<-EOT\n    {}\n      {}\n  EOT", &k[..50], &k[50..]);
    tf.write(&config(&emu, k, &wrapped, PEM));
    assert!(tf.plan_is_empty(), "whitespace must be no change");

    // Another key for the same server and type: updated in place.
    let second = format!("\"{}\"", key(HOST_KEY_2));
    tf.write(&config(&emu, key(HOST_KEY), &second, PEM));
    let plan = tf.plan_json();
    assert_eq!(action(&plan, SSH), json!(["update"]));
    assert_eq!(action(&plan, HTTPS), json!(["no-op"]));
    tf.apply();
    let got = remote(&emu, reqwest::Method::GET, &[("query.certType", "ssh")]);
    assert_eq!(got.len(), 1);
    assert_eq!(tf.resource(SSH)["cert_info"], got[0]["certInfo"]);
    assert_ne!(got[0]["certInfo"], SSH_FINGERPRINT);
    assert!(tf.plan_is_empty());

    // Deleted behind Terraform's back: re-created.
    let gone = remote(&emu, reqwest::Method::DELETE, &[("query.certType", "ssh")]);
    assert_eq!(gone.len(), 1);
    let plan = tf.plan_json();
    assert_eq!(action(&plan, SSH), json!(["create"]));
    tf.apply();
    assert!(tf.plan_is_empty());

    // Replaced behind Terraform's back (another key for the same server and type): the plan
    // shows the drift and the apply restores the configured key.
    use base64::Engine as _;
    let other = base64::engine::general_purpose::STANDARD.encode(key(HOST_KEY));
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/gitops/api/v1/agents/{AGENT}/certificates",
            emu.url
        ))
        .header("x-api-key", API_KEY)
        .query(&[("accountIdentifier", ACCOUNT)])
        .json(
            &json!({"certificates": {"items": [{"serverName": "git.example.com", "certType": "ssh",
            "certSubType": "ecdsa-sha2-nistp256", "certData": other}]}, "upsert": true}),
        )
        .send()
        .expect("API call");
    assert!(resp.status().is_success(), "{}", resp.status());
    let got = remote(&emu, reqwest::Method::GET, &[("query.certType", "ssh")]);
    assert_eq!(
        got[0]["certInfo"], SSH_FINGERPRINT,
        "the remote key changed"
    );
    let plan = tf.plan_json();
    assert_eq!(action(&plan, SSH), json!(["update"]), "drift is shown");
    tf.apply();
    let got = remote(&emu, reqwest::Method::GET, &[("query.certType", "ssh")]);
    assert_eq!(tf.resource(SSH)["cert_info"], got[0]["certInfo"]);
    assert_ne!(
        got[0]["certInfo"], SSH_FINGERPRINT,
        "the configured key is back"
    );
    assert!(tf.plan_is_empty());

    // Already there: refused without upsert, naming the import ID.
    tf.ok(&["state", "rm", SSH]);
    let err = tf.fails(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        err.contains(&format!("{AGENT}/ssh:ecdsa-sha2-nistp256:git.example.com")),
        "{err}"
    );

    // Import.
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        SSH,
        &format!("{AGENT}/ssh:ecdsa-sha2-nistp256:git.example.com"),
    ]);
    assert_eq!(tf.resource(SSH)["cert_data"], key(HOST_KEY_2));
    assert!(tf.plan_is_empty(), "plan after import must be empty");

    // Destroy leaves nothing.
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(remote(&emu, reqwest::Method::GET, &[]).is_empty());
    emu.assert_holds_nothing();
}

#[test]
fn a_whole_known_hosts_line_is_refused_at_cert_data() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let line = format!("\"git.example.com {}\"", HOST_KEY.trim());
    tf.write(&config(&emu, key(HOST_KEY), &line, PEM));
    let err = tf.fails(&["plan", "-input=false", "-no-color"]);
    assert!(err.contains("Invalid SSH Key"), "{err}");
    assert!(err.contains("cert_data"), "{err}");
}
