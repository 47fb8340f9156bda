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
    // Faults before and after changes make the client retry, look up and re-send; a failed
    // connection, a 409 and a refused key give error diagnostics. None of it may echo a
    // secret. The error paths run against an emulator without faults, so each one surely runs.
    let faulty = Emulator::start(&[
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.1",
        "--seed",
        "7",
    ]);
    let clean = Emulator::start(&[]);
    let secrets = [
        "fault-path-password-Kk2",
        "fault-path-wo-Pp9",
        "-----BEGIN OPENSSH PRIVATE KEY-----faultkey",
    ];
    let cfg = |emu: &Emulator, key: &str, extra: &str| {
        format!(
            r#"provider "harness" {{
  endpoint    = "{url}"
  account_id  = "{ACCOUNT}"
  api_key     = "{key}"
  agent_id    = "account.mlagent"
  max_retries = 10
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
{extra}"#,
            url = emu.url,
            p = secrets[0],
            k = secrets[2],
        )
    };
    let unreachable = format!(
        "resource \"harness_gitops_repository\" \"unreachable\" {{\n  identifier = \"unreachable\"\n  url = \"https://git.invalid/acme/x.git\"\n  username = \"bot\"\n  password_wo = \"{}\"\n  password_wo_version = 1\n}}\n",
        secrets[1]
    );
    let dup = format!(
        "resource \"harness_gitops_repository\" \"dup\" {{\n  identifier = \"plain0\"\n  url = \"https://github.com/acme/other.git\"\n  username = \"bot\"\n  password = \"{}\"\n}}\n",
        secrets[0]
    );
    let mut transcript = String::new();
    let mut run = |tf: &Tf, args: &[&str]| {
        let out = tf.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        transcript.push_str(&text);
        (out.status.success(), text)
    };
    let apply = ["apply", "-auto-approve", "-no-color", "-input=false"];

    // Faults: the whole life of the repositories through retries and lookups.
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    tf.write(&cfg(&faulty, API_KEY, ""));
    let (ok, text) = run(&tf, &apply);
    assert!(ok, "faults are retried away:\n{text}");
    assert!(
        faulty.faults_fired() > 0,
        "faults fired: {}",
        faulty.counters()
    );
    assert_eq!(
        faulty.applied("repositories.create"),
        4,
        "no duplicate: {}",
        faulty.counters()
    );
    let (ok, text) = run(
        &tf,
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
    );
    assert!(ok, "{text}");

    // Errors, without faults so each path surely runs.
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    tf.write(&cfg(&clean, API_KEY, &unreachable));
    let (ok, text) = run(&tf, &apply);
    assert!(
        !ok && text.contains("GitOps Repository Connection Failed"),
        "the .invalid host fails the apply:\n{text}"
    );
    tf.write(&cfg(&clean, API_KEY, &dup));
    let (ok, text) = run(&tf, &apply);
    assert!(
        !ok && text.contains("already exists"),
        "a duplicate identifier is a 409:\n{text}"
    );
    tf.write(&cfg(&clean, "pat.wrong.key.Wr0ngK3y", ""));
    let (ok, text) = run(&tf, &["plan", "-no-color", "-input=false"]);
    assert!(
        !ok && text.contains("401"),
        "a wrong key fails the refresh:\n{text}"
    );

    assert!(
        transcript.contains("[TRACE] provider.terraform-provider-harness"),
        "TRACE provider logs were expected"
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
