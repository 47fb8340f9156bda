//! Secrets never appear in provider logs (at TRACE), in CLI output or in plans.

use crate::support::*;

#[test]
fn full_lifecycle_at_trace_leaks_no_secret() {
    let emu = Emulator::start(&[]);
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let secrets = [
        "hunter2-plain-password",
        "wo-password-Zx81",
        "-----BEGIN EC PRIVATE KEY-----tlskeymaterial",
    ];
    let cfg = |version: u32, wo: &str| {
        format!(
            r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "account.mlagent"
}}

resource "harness_gitops_repository" "plain" {{
  identifier = "plain"
  url        = "https://github.com/acme/plain.git"
  username   = "bot"
  password   = "{p}"
  tls_client_cert_key = "{k}"
}}

resource "harness_gitops_repository" "wo" {{
  identifier          = "wo"
  url                 = "https://github.com/acme/wo.git"
  username            = "bot"
  password_wo         = "{wo}"
  password_wo_version = {version}
}}
"#,
            url = emu.url,
            p = secrets[0],
            k = secrets[2]
        )
    };
    tf.write(&cfg(1, secrets[1]));
    let mut transcript = String::new();
    for args in [
        vec!["plan", "-no-color", "-input=false"],
        vec!["apply", "-auto-approve", "-no-color", "-input=false"],
        vec!["plan", "-no-color", "-input=false", "-refresh=true"],
    ] {
        let out = tf.run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        transcript.push_str(&String::from_utf8_lossy(&out.stdout));
        transcript.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // The secrets did reach the API, so their absence below means something.
    let repos = emu.repositories();
    let password_of = |id: &str| {
        let r = repos
            .iter()
            .find(|r| r["identifier"] == id)
            .expect("repository in emulator");
        r["repository"]["password"].clone()
    };
    assert_eq!(password_of("plain"), secrets[0]);
    assert_eq!(password_of("wo"), secrets[1]);
    tf.write(&cfg(2, "wo-password-rotated-Qq7"));
    let out = tf.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(out.status.success());
    transcript.push_str(&String::from_utf8_lossy(&out.stdout));
    transcript.push_str(&String::from_utf8_lossy(&out.stderr));
    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(out.status.success());
    transcript.push_str(&String::from_utf8_lossy(&out.stdout));
    transcript.push_str(&String::from_utf8_lossy(&out.stderr));

    // Terraform relays the provider's hclog lines into its own log format.
    assert!(
        transcript.contains("[TRACE] provider.terraform-provider-harness: call done"),
        "TRACE provider logs were expected in the transcript"
    );
    for s in secrets.iter().chain(&["wo-password-rotated-Qq7", API_KEY]) {
        assert!(
            !transcript.contains(s),
            "secret {s:?} leaked into terraform output or provider logs"
        );
    }
    assert!(emu.repositories().is_empty(), "destroy removed everything");
}
