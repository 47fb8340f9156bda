//! `harness-gitops-emulator` as a process: command line, start-up line, signals,
//! persistence across SIGKILL, fault injection and latency.

mod emulator_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use emulator_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::task::JoinSet;

const AGENT: &str = "account.agent1";

/// Runs the binary to its exit; a run that has not exited after 10 s (e.g. an emulator that
/// started where it should have refused to) is killed and fails the test.
fn run_cli(args: &[&str]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = std::process::Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{BIN} {args:?} did not exit within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn help_and_usage_errors() {
    let help = run_cli(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "--listen",
        "--allow-remote",
        "--api-key",
        "--account-id",
        "--data",
        "SECRETS ARE STORED IN CLEAR",
        "--sync-delay",
        "--delete-delay",
        "--latency",
        "--fault-rate",
        "--fault-after-rate",
        "--seed",
        "500ms",
        ".invalid",
        "fail-sync",
        "********",
        "x-api-key",
        "secrets=clear",
        "applied",
        "connections",
        "secretExpressions",
        "resources-finalizer.argocd.argoproj.io",
        "/sync",
        "GET    /_emulator/state",
        "GET    /_emulator/requests",
        "POST   /_emulator/reset",
        "PATCH  /_emulator/",
        "DELETE /_emulator/",
        "LISTENING http://",
        "--git-tree",
        "POST   /_emulator/git-tree",
        "/gitops/api/v1/applicationset",
        "preserveResourcesOnDeletion",
    ] {
        assert!(text.contains(needle), "--help does not mention {needle:?}");
    }
    for (args, needle) in [
        (vec!["--api-key", "K"], "--account-id is required"),
        (vec!["--account-id", "A"], "--api-key is required"),
        (
            vec![
                "--api-key",
                "K",
                "--account-id",
                "A",
                "--listen",
                "0.0.0.0:0",
            ],
            "--allow-remote",
        ),
        (
            vec!["--api-key", "K", "--account-id", "A", "--sync-delay", "2x"],
            "--sync-delay",
        ),
        (
            vec!["--api-key", "K", "--account-id", "A", "--fault-rate", "1.5"],
            "--fault-rate",
        ),
        (
            vec!["--api-key", "K", "--account-id", "A", "--frobnicate"],
            "--frobnicate",
        ),
    ] {
        let out = run_cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle),
            "{args:?}: stderr {err:?} lacks {needle:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
}

#[tokio::test]
async fn starts_with_the_listening_line_and_stops_cleanly_on_signals() {
    for signal in ["TERM", "INT"] {
        // Emulator::start checks the first stdout line is `LISTENING http://127.0.0.1:PORT`.
        let emu = Emulator::start(&[]).await;
        let ans = emu
            .api()
            .call(
                Method::GET,
                REPOS,
                &[("agentIdentifier", AGENT)],
                &[("accountIdentifier", ACCOUNT)],
                None,
            )
            .await;
        assert_eq!(ans.status, 200, "serving right after LISTENING");
        assert_eq!(
            emu.signal_and_wait(signal).await,
            Some(0),
            "exit status after SIG{signal}"
        );
    }
}

async fn create_repo_raw(api: &Api, id: String) -> Result<(), String> {
    let url = format!("{}/gitops/api/v1/agents/{AGENT}/repositories", api.base);
    let resp = api
        .http
        .post(url)
        .query(&[("accountIdentifier", ACCOUNT), ("identifier", id.as_str())])
        .header("x-api-key", KEY)
        .json(&json!({"repo": {"repo": format!("https://github.com/example/{id}.git")}}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status() == 200 {
        Ok(())
    } else {
        Err(format!("status {}", resp.status()))
    }
}

#[tokio::test]
async fn acknowledged_changes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("state.json");
    let data_arg = data.to_str().expect("utf-8 path").to_string();
    let emu = Emulator::start(&[
        "--data",
        &data_arg,
        "--sync-delay",
        "0s",
        "--latency",
        "10ms",
    ])
    .await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let proj = [
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", "o"),
        ("projectIdentifier", "p"),
    ];
    let url = "https://github.com/example/kept.git";
    let repo_body = json!({"repo": {"repo": url, "password": "secret"}});
    let repo = api
        .call(
            Method::POST,
            REPOS,
            &agent,
            &[("accountIdentifier", ACCOUNT), ("identifier", "kept")],
            Some(&repo_body),
        )
        .await;
    assert_eq!(repo.status, 200);
    let cluster_body =
        json!({"cluster": {"server": "https://k8s.example.com", "config": {"bearerToken": "t"}}});
    let cluster = api
        .call(
            Method::POST,
            CLUSTERS,
            &agent,
            &[("accountIdentifier", ACCOUNT), ("identifier", "c")],
            Some(&cluster_body),
        )
        .await;
    assert_eq!(cluster.status, 200);
    let app_body = json!({"application": {"metadata": {"name": "kept"}, "spec": {"project": "default",
        "destination": {"server": "https://k8s.example.com", "namespace": "n"},
        "source": {"repoURL": url, "path": "x", "targetRevision": "main"}}}});
    let app = api
        .call(Method::POST, APPS, &agent, &proj, Some(&app_body))
        .await;
    assert_eq!(app.status, 200, "{}", app.body);
    // The cluster now counts the application.
    let cluster = api
        .call(
            Method::GET,
            CLUSTER,
            &[("agentIdentifier", AGENT), ("identifier", "c")],
            &[("accountIdentifier", ACCOUNT)],
            None,
        )
        .await;
    assert_eq!(cluster.body["cluster"]["info"]["applicationsCount"], "1");

    // A manual app: request its sync (instant with --sync-delay 0s).
    let sync = [("agentIdentifier", AGENT), ("request.name", "kept")];
    let requested = api
        .call(Method::POST, APP_SYNC, &sync, &proj, Some(&json!({})))
        .await;
    assert_eq!(requested.status, 200, "{}", requested.body);
    let app_get = [("agentIdentifier", AGENT), ("query.name", "kept")];
    let synced = api.call(Method::GET, APP_GET, &app_get, &proj, None).await;
    assert_eq!(
        synced.body["app"]["status"]["sync"]["status"], "Synced",
        "{}",
        synced.body
    );

    // Many concurrent creates; SIGKILL once some are acknowledged and others in flight.
    let mut inflight = JoinSet::new();
    for i in 0..40 {
        let api = emu.api();
        inflight.spawn(async move {
            let id = format!("r{i}");
            (id.clone(), create_repo_raw(&api, id).await)
        });
    }
    let mut acknowledged = Vec::new();
    while let Some(done) = inflight.join_next().await {
        let (id, result) = done.expect("task");
        if result.is_ok() {
            acknowledged.push(id);
        }
        if acknowledged.len() >= 15 {
            break;
        }
    }
    emu.kill_hard().await;
    while let Some(done) = inflight.join_next().await {
        // A request that finished before the kill was acknowledged too.
        if let (id, Ok(())) = done.expect("task") {
            acknowledged.push(id);
        }
    }
    assert!(
        acknowledged.len() >= 15,
        "only {} creates acknowledged",
        acknowledged.len()
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&data)
            .expect("data file exists")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the data file holds secrets");
    }

    let emu = Emulator::start(&["--data", &data_arg, "--sync-delay", "0s"]).await;
    let api = emu.api();
    let got = api
        .call(
            Method::GET,
            REPO,
            &[("agentIdentifier", AGENT), ("identifier", "kept")],
            &[("accountIdentifier", ACCOUNT)],
            None,
        )
        .await;
    assert_eq!(
        got.body, repo.body,
        "repository unchanged across the restart"
    );
    let got = api
        .call(
            Method::GET,
            CLUSTER,
            &[("agentIdentifier", AGENT), ("identifier", "c")],
            &[("accountIdentifier", ACCOUNT)],
            None,
        )
        .await;
    assert_eq!(
        got.body, cluster.body,
        "cluster unchanged across the restart"
    );
    let got = api
        .call(
            Method::GET,
            APP_GET,
            &[("agentIdentifier", AGENT), ("query.name", "kept")],
            &proj,
            None,
        )
        .await;
    assert_eq!(got.body["app"]["metadata"], synced.body["app"]["metadata"]);
    assert_eq!(got.body["app"]["spec"], app.body["app"]["spec"]);
    assert_eq!(
        got.body["app"]["status"], synced.body["app"]["status"],
        "the controller's state (sync, reconciledAt, history) survived the restart"
    );
    assert_eq!(got.body["createdAt"], app.body["createdAt"]);
    for id in &acknowledged {
        let ans = api
            .call(
                Method::GET,
                REPO,
                &[("agentIdentifier", AGENT), ("identifier", id)],
                &[("accountIdentifier", ACCOUNT)],
                None,
            )
            .await;
        assert_eq!(
            ans.status, 200,
            "acknowledged repository {id} lost: {}",
            ans.body
        );
    }
    let state = emu.admin_get("state?secrets=clear").await;
    assert_eq!(
        state["repositories"][0]["repository"]["password"], "secret",
        "secrets persisted"
    );
    // A new change after the restart keeps counting resourceVersions from the file.
    let mut upd = app_body.clone();
    upd["application"]["spec"]["source"]["path"] = json!("y");
    let put = [
        ("agentIdentifier", AGENT),
        ("request.application.metadata.name", "kept"),
    ];
    let ans = api
        .call(Method::PUT, APP_PUT, &put, &proj, Some(&upd))
        .await;
    assert_eq!(
        ans.body["app"]["metadata"]["resourceVersion"], "3",
        "create 1, sync request 2, this update 3"
    );
}

#[tokio::test]
async fn a_bad_data_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("state.json");
    std::fs::write(&data, "{broken").expect("write");
    let out = run_cli(&[
        "--api-key",
        "K",
        "--account-id",
        "A",
        "--data",
        data.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid emulator state"));
    let nowhere = dir.path().join("missing-dir/state.json");
    let out = run_cli(&[
        "--api-key",
        "K",
        "--account-id",
        "A",
        "--data",
        nowhere.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unwritable data location fails the start"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create data file"));
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    Unavailable,
    TooMany,
    Dropped,
}

async fn list_outcomes(emu: &Emulator, n: usize) -> Vec<Outcome> {
    // One connection per request, so a dropped connection cannot be retried transparently.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let c = contract();
    let mut out = Vec::new();
    for _ in 0..n {
        let resp = http
            .get(format!(
                "{}/gitops/api/v1/agents/{AGENT}/repositories?accountIdentifier={ACCOUNT}",
                emu.url
            ))
            .header("x-api-key", KEY)
            .send()
            .await;
        let Ok(resp) = resp else {
            out.push(Outcome::Dropped);
            continue;
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap_or("").to_string());
        let body: Value = resp.json().await.expect("JSON body");
        out.push(match status {
            200 => Outcome::Ok,
            503 => {
                assert_eq!(body["code"], 14, "{body}");
                c.assert_valid("gatewayruntimeError", &body, "503");
                Outcome::Unavailable
            }
            429 => {
                assert_eq!(body["code"], 8, "{body}");
                assert_eq!(
                    retry_after.as_deref(),
                    Some("1"),
                    "429 carries Retry-After: 1"
                );
                c.assert_valid("gatewayruntimeError", &body, "429");
                Outcome::TooMany
            }
            other => panic!("unexpected status {other}: {body}"),
        });
    }
    out
}

#[tokio::test]
async fn faults_are_reproducible_with_a_seed() {
    let n = 48;
    let emu = Emulator::start(&["--fault-rate", "0.5", "--seed", "42"]).await;
    let first = list_outcomes(&emu, n).await;
    let counts = emu.counters().await;
    assert_eq!(
        counts["requests"]["repositories.list"], n,
        "one request per call, no hidden retries"
    );
    let seen = |o: Outcome| first.iter().filter(|x| **x == o).count();
    assert_eq!(
        counts["faults"],
        json!({
            "before.unavailable": seen(Outcome::Unavailable),
            "before.tooManyRequests": seen(Outcome::TooMany),
            "before.drop": seen(Outcome::Dropped),
            "after.drop": 0,
        }),
        "the fault counters match what the client saw"
    );
    assert!(
        counts["connections"].as_u64().unwrap_or(0) >= n as u64,
        "one connection per request without pooling: {counts}"
    );
    let kinds: BTreeSet<String> = first.iter().map(|o| format!("{o:?}")).collect();
    assert_eq!(kinds.len(), 4, "all outcomes appear in {first:?}");
    let faulted = first.iter().filter(|o| **o != Outcome::Ok).count();
    assert!(
        (12..=36).contains(&faulted),
        "{faulted} of {n} faulted at rate 0.5"
    );
    let again = Emulator::start(&["--fault-rate", "0.5", "--seed", "42"]).await;
    assert_eq!(
        list_outcomes(&again, n).await,
        first,
        "same seed, same faults"
    );
    let other = Emulator::start(&["--fault-rate", "0.5", "--seed", "43"]).await;
    assert_ne!(
        list_outcomes(&other, n).await,
        first,
        "another seed, other faults"
    );
    // The admin API is never faulted.
    for _ in 0..20 {
        emu.admin_get("state").await;
    }
}

#[tokio::test]
async fn faults_before_change_nothing_and_faults_after_keep_the_change() {
    let before = Emulator::start(&["--fault-rate", "1", "--seed", "1"]).await;
    let api = before.api();
    for i in 0..12 {
        let r = create_repo_raw(&api, format!("f{i}")).await;
        assert!(r.is_err(), "request {i} was not faulted");
    }
    assert_eq!(
        before.admin_get("state").await["repositories"],
        json!([]),
        "a fault before the change changes nothing"
    );
    let counts = before.counters().await;
    assert_eq!(counts["requests"]["repositories.create"], 12);
    assert!(
        counts["applied"].get("repositories.create").is_none(),
        "nothing applied: {counts}"
    );
    let faults = &counts["faults"];
    let before_total: u64 = [
        "before.unavailable",
        "before.tooManyRequests",
        "before.drop",
    ]
    .iter()
    .map(|k| faults[*k].as_u64().unwrap_or(0))
    .sum();
    assert_eq!(before_total, 12, "{counts}");

    let after = Emulator::start(&["--fault-after-rate", "1", "--seed", "1"]).await;
    let api = after.api();
    let err = create_repo_raw(&api, "late".into())
        .await
        .expect_err("the connection must drop");
    assert!(
        !err.starts_with("status"),
        "no response at all was expected, got {err}"
    );
    let state = after.admin_get("state").await;
    assert_eq!(
        state["repositories"].as_array().map(Vec::len),
        Some(1),
        "the change was applied: {state}"
    );
    assert_eq!(state["repositories"][0]["identifier"], "late");
    let counts = after.counters().await;
    assert_eq!(counts["applied"]["repositories.create"], 1);
    assert_eq!(counts["faults"]["after.drop"], 1);
}

/// What one create attempt returned.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    Created,
    Conflict,
    Failed,
}

async fn create_attempt(api: &Api, id: &str, upsert: bool) -> Attempt {
    let url = format!("{}/gitops/api/v1/agents/{AGENT}/repositories", api.base);
    let body =
        json!({"repo": {"repo": format!("https://github.com/example/{id}.git")}, "upsert": upsert});
    let resp = api
        .http
        .post(url)
        .query(&[("accountIdentifier", ACCOUNT), ("identifier", id)])
        .header("x-api-key", KEY)
        .json(&body)
        .send()
        .await;
    match resp.map(|r| r.status().as_u16()) {
        Ok(200) => Attempt::Created,
        Ok(409) => Attempt::Conflict,
        _ => Attempt::Failed,
    }
}

/// Whether the repository exists, asking again through faults.
async fn exists(api: &Api, id: &str) -> bool {
    let url = format!(
        "{}/gitops/api/v1/agents/{AGENT}/repositories/{id}",
        api.base
    );
    for _ in 0..100 {
        let resp = api
            .http
            .get(&url)
            .query(&[("accountIdentifier", ACCOUNT)])
            .header("x-api-key", KEY)
            .send()
            .await;
        match resp.map(|r| r.status().as_u16()) {
            Ok(200) => return true,
            Ok(404) => return false,
            _ => {}
        }
    }
    panic!("no answer about {id} in 100 tries");
}

/// Under faults, a client that looks before it retries creates each entity exactly once,
/// and the applied-create counter proves it; a client that blindly retries with upsert
/// applies some creates twice, and the same counter shows that (a dump keyed by
/// identifier cannot).
#[tokio::test]
async fn applied_counts_prove_each_entity_was_created_exactly_once() {
    const N: usize = 20;
    let args = [
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.25",
        "--seed",
        "7",
    ];
    let careful = Emulator::start(&args).await;
    let api = careful.api();
    for i in 0..N {
        let id = format!("once{i}");
        let mut tries = 0;
        loop {
            tries += 1;
            assert!(tries < 100, "{id}: no create in 100 tries");
            match create_attempt(&api, &id, false).await {
                Attempt::Created | Attempt::Conflict => break,
                Attempt::Failed if exists(&api, &id).await => break,
                Attempt::Failed => {}
            }
        }
    }
    let counts = careful.counters().await;
    assert_eq!(
        counts["applied"]["repositories.create"], N,
        "each repository created exactly once: {counts}"
    );
    let attempts = counts["requests"]["repositories.create"]
        .as_u64()
        .unwrap_or(0);
    assert!(attempts > N as u64, "faults forced retries: {counts}");
    let faults = &counts["faults"];
    for kind in [
        "before.unavailable",
        "before.tooManyRequests",
        "before.drop",
        "after.drop",
    ] {
        assert!(
            faults[kind].as_u64().unwrap_or(0) > 0,
            "no {kind} fault fired: {counts}"
        );
    }
    assert_eq!(
        careful.admin_get("state").await["repositories"]
            .as_array()
            .map(Vec::len),
        Some(N)
    );

    let naive = Emulator::start(&args).await;
    let api = naive.api();
    for i in 0..N {
        let id = format!("once{i}");
        let mut tries = 0;
        while create_attempt(&api, &id, true).await != Attempt::Created {
            tries += 1;
            assert!(tries < 100, "{id}: no create in 100 tries");
        }
    }
    let counts = naive.counters().await;
    let applied = counts["applied"]["repositories.create"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        applied > N as u64,
        "blind upsert retries after dropped answers apply creates twice: {counts}"
    );
    assert_eq!(
        naive.admin_get("state").await["repositories"]
            .as_array()
            .map(Vec::len),
        Some(N),
        "the dump, keyed by identifier, cannot show the duplicates"
    );
}

/// The connection counter shows whether a client reuses its connections.
#[tokio::test]
async fn connection_counter_shows_reuse() {
    let emu = Emulator::start(&[]).await;
    let get = |http: reqwest::Client| {
        let url = format!(
            "{}/gitops/api/v1/agents/{AGENT}/repositories?accountIdentifier={ACCOUNT}",
            emu.url
        );
        async move {
            for _ in 0..20 {
                let r = http
                    .get(&url)
                    .header("x-api-key", KEY)
                    .send()
                    .await
                    .expect("GET");
                assert_eq!(r.status(), 200);
            }
        }
    };
    let connections = || async { emu.counters().await["connections"].as_u64().expect("count") };
    let c0 = connections().await;
    get(reqwest::Client::new()).await;
    let c1 = connections().await;
    // One pooled connection plus the admin call's own.
    assert!(
        c1 - c0 <= 3,
        "20 pooled requests took {} connections",
        c1 - c0
    );
    let no_pool = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    get(no_pool).await;
    let c2 = connections().await;
    assert!(
        c2 - c1 >= 20,
        "20 unpooled requests took {} connections",
        c2 - c1
    );
}

#[tokio::test]
async fn latency_delays_api_requests_only() {
    let emu = Emulator::start(&["--latency", "2s"]).await;
    let api = emu.api();
    let t = Instant::now();
    let ans = api
        .call(
            Method::GET,
            REPOS,
            &[("agentIdentifier", AGENT)],
            &[("accountIdentifier", ACCOUNT)],
            None,
        )
        .await;
    assert_eq!(ans.status, 200);
    assert!(
        t.elapsed() >= Duration::from_secs(2),
        "answered after {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    emu.admin_get("requests").await;
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "admin delayed {:?}",
        t.elapsed()
    );
}
