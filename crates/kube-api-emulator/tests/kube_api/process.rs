//! The binary as other crates' tests run it: the LISTENING line, `--help`, the kubeconfig
//! file, SIGTERM, and persistence across SIGKILL and restart with the same `--data`.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use kube_api_emulator::child::{ChildEmulator, SpawnOptions};
use serde_json::{json, Value};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kube-api-emulator"))
}

fn opts() -> SpawnOptions {
    SpawnOptions {
        binary: Some(bin()),
        token_delay: Some(Duration::from_millis(100)),
        quiet: true,
        ..Default::default()
    }
}

async fn call(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    method: reqwest::Method,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request completes");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Runs a command that must end at once (`--help`, a usage error) within 30 s; a hang fails the
/// test naming the command instead of blocking the run.
fn output_within(cmd: &mut Command) -> std::process::Output {
    let what = format!("{cmd:?}");
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("{what} did not end within 30 s and was killed");
        }
    }
}

#[test]
fn help_documents_conventions_and_simplifications() {
    let out = output_within(Command::new(bin()).arg("--help"));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--listen",
        "--kubeconfig-out",
        "--token",
        "--data",
        "--token-delay",
        "--latency",
        "LISTENING https://127.0.0.1:PORT",
        "DELIBERATE SIMPLIFICATIONS",
        "/_emulator/requests",
        "mode 0600",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}");
    }
    let bad = output_within(Command::new(bin()).arg("--listen").arg("0.0.0.0:0"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a loopback address"));
}

#[tokio::test]
async fn listening_line_kubeconfig_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let mut emu = ChildEmulator::spawn(SpawnOptions {
        kubeconfig_out: Some(kc.clone()),
        ..opts()
    })
    .expect("spawn");
    assert!(emu.url().starts_with("https://127.0.0.1:"), "{}", emu.url());
    let mode = std::fs::metadata(&kc).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&kc).unwrap();
    for needle in [
        "certificate-authority-data:",
        "current-context: kube-api-emulator",
        &format!("server: \"{}\"", emu.url()),
        &format!("token: \"{}\"", emu.admin_token()),
    ] {
        assert!(
            text.contains(needle),
            "kubeconfig lacks {needle:?}:\n{text}"
        );
    }
    let client = common::client_for(emu.ca_pem());
    let (s, v) = call(
        &client,
        &format!("{}/version", emu.url()),
        emu.admin_token(),
        reqwest::Method::GET,
        None,
    )
    .await;
    assert_eq!((s, v["gitVersion"].as_str()), (200, Some("v1.30.0")));
    assert!(emu.terminate(), "SIGTERM exits cleanly with status 0");
}

#[tokio::test]
async fn state_survives_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let kc = dir.path().join("kubeconfig");
    let mut first = ChildEmulator::spawn(SpawnOptions {
        data: Some(data.clone()),
        kubeconfig_out: Some(kc.clone()),
        token: Some("admin-token-1".into()),
        ..opts()
    })
    .expect("spawn");
    let client = common::client_for(first.ca_pem());
    let base = first.url().to_owned();
    let sa = format!("{base}/api/v1/namespaces/default/serviceaccounts");
    let (s, _) = call(
        &client,
        &sa,
        "admin-token-1",
        reqwest::Method::POST,
        Some(json!({"metadata": {"name": "keeper", "labels": {"k": "v"}}})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = call(&client, &format!("{base}/api/v1/namespaces/default/secrets"), "admin-token-1", reqwest::Method::POST,
        Some(json!({"metadata": {"name": "keeper-token", "annotations": {"kubernetes.io/service-account.name": "keeper"}}, "type": "kubernetes.io/service-account-token"}))).await;
    assert_eq!(s, 201);
    let mut sa_token = String::new();
    for _ in 0..100 {
        let (_, v) = call(
            &client,
            &format!("{base}/api/v1/namespaces/default/secrets/keeper-token"),
            "admin-token-1",
            reqwest::Method::GET,
            None,
        )
        .await;
        if let Some(t) = v["data"]["token"].as_str() {
            sa_token = String::from_utf8(kube_api_emulator::util::unb64(t).unwrap()).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!sa_token.is_empty(), "token issued");
    let (_, before) = call(
        &client,
        &format!("{sa}/keeper"),
        "admin-token-1",
        reqwest::Method::GET,
        None,
    )
    .await;
    let ca_before = first.ca_pem().to_owned();
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the state file is private");
    first.kill();

    // Restart on the same data file without --token: the admin token, the CA, the objects and
    // the issued service-account token are all still valid.
    let second = ChildEmulator::spawn(SpawnOptions {
        data: Some(data.clone()),
        kubeconfig_out: Some(kc.clone()),
        token: None,
        ..opts()
    })
    .expect("respawn");
    let persisted: Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    assert_eq!(persisted["admin_token"], "admin-token-1");
    assert_eq!(second.ca_pem(), ca_before, "same CA after restart");
    // The old client (trusting the old CA) still verifies the new server certificate.
    let base2 = second.url().to_owned();
    assert_eq!(
        second.admin_token(),
        "admin-token-1",
        "the kubeconfig of the restart carries the persisted admin token"
    );
    let admin = second.admin_token().to_owned();
    let (s, after) = call(
        &client,
        &format!("{base2}/api/v1/namespaces/default/serviceaccounts/keeper"),
        &admin,
        reqwest::Method::GET,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    let (s, who) = call(
        &client,
        &format!("{base2}/apis/authentication.k8s.io/v1/selfsubjectreviews"),
        &sa_token,
        reqwest::Method::POST,
        Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(
        who["status"]["userInfo"]["username"],
        "system:serviceaccount:default:keeper"
    );
    // The resourceVersion counter continues.
    let (s, created) = call(
        &client,
        &format!("{base2}/api/v1/namespaces/default/serviceaccounts"),
        &admin,
        reqwest::Method::POST,
        Some(json!({"metadata": {"name": "later"}})),
    )
    .await;
    assert_eq!(s, 201);
    let rv_before: u64 = before["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rv_after: u64 = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv_after > rv_before);
}
