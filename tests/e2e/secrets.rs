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

#[test]
fn retries_faults_and_errors_at_trace_leak_no_secret() {
    // Faults before and after changes make the client retry, look up and re-send; a 409, a
    // refused key and a failed connection give error diagnostics. None of it may echo a secret.
    let emu = Emulator::start(&[
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.1",
        "--seed",
        "7",
    ]);
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let secrets = [
        "fault-path-password-Kk2",
        "fault-path-wo-Pp9",
        "-----BEGIN OPENSSH PRIVATE KEY-----faultkey",
    ];
    let cfg = |key: &str, extra: &str| {
        format!(
            r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{key}"
  agent_id   = "account.mlagent"
}}

resource "harness_gitops_repository" "plain" {{
  count      = 3
  identifier = "plain${{count.index}}"
  url        = "https://github.com/acme/plain${{count.index}}.git"
  username   = "bot"
  password   = "{p}"
}}

resource "harness_gitops_repository" "wo" {{
  identifier          = "wo"
  url                 = "git@github.com:acme/wo.git"
  ssh_private_key_wo  = "{k}"
  ssh_private_key_wo_version = 1
}}

resource "harness_gitops_repository" "unreachable" {{
  identifier          = "unreachable"
  url                 = "https://git.invalid/acme/x.git"
  username            = "bot"
  password_wo         = "{wo}"
  password_wo_version = 1
}}
{extra}"#,
            url = emu.url,
            p = secrets[0],
            k = secrets[2],
            wo = secrets[1],
        )
    };
    let mut transcript = String::new();
    let mut run = |tf: &Tf, args: &[&str]| {
        let out = tf.run(args);
        transcript.push_str(&String::from_utf8_lossy(&out.stdout));
        transcript.push_str(&String::from_utf8_lossy(&out.stderr));
        out.status.success()
    };
    tf.write(&cfg(API_KEY, ""));
    // The unreachable repository fails its connection check: the apply reports an error
    // (after retries through the faults) and records it tainted.
    assert!(
        !run(
            &tf,
            &["apply", "-auto-approve", "-no-color", "-input=false"]
        ),
        "the .invalid host fails the apply"
    );
    // A duplicate identifier: 409 from the API.
    tf.write(&cfg(
        API_KEY,
        "resource \"harness_gitops_repository\" \"dup\" {\n  identifier = \"plain0\"\n  url = \"https://github.com/acme/other.git\"\n  username = \"bot\"\n  password = \"fault-path-password-Kk2\"\n}\n",
    ));
    assert!(
        !run(
            &tf,
            &["apply", "-auto-approve", "-no-color", "-input=false"]
        ),
        "a duplicate identifier fails"
    );
    // A wrong API key: 401 on refresh.
    tf.write(&cfg("pat.wrong.key.Wr0ngK3y", ""));
    assert!(
        !run(&tf, &["plan", "-no-color", "-input=false"]),
        "a wrong key fails the refresh"
    );
    tf.write(&cfg(API_KEY, ""));
    run(
        &tf,
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
    );
    assert!(
        transcript.contains("[TRACE] provider.terraform-provider-harness"),
        "TRACE provider logs were expected"
    );
    assert!(
        transcript.contains("409") || transcript.contains("already exists"),
        "the 409 path ran"
    );
    assert!(
        transcript.contains("api_key") || transcript.contains("401"),
        "the 401 path ran"
    );
    for s in secrets
        .iter()
        .chain(&[API_KEY, "pat.wrong.key.Wr0ngK3y", "Wr0ngK3y"])
    {
        assert!(
            !transcript.contains(s),
            "secret {s:?} leaked on a retry, fault or error path"
        );
    }
}
