//! Applications against the real binary: the emulated controller's sync and health rules
//! (manual and automated sync, the sync endpoint, `reconciledAt`, `fail-sync`, retries),
//! finalizer-aware deletes, the full Argo CD spec round trip, and listing a thousand
//! applications in one call. Every answer of `Api::call` is validated against the document.

use std::time::{Duration, Instant};

use crate::emulator_support::*;
use futures::StreamExt as _;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";
const ORG: &str = "org1";
const PROJECT: &str = "proj1";
const URL: &str = "https://github.com/example/apps.git";

fn proj() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJECT),
    ]
}

fn skip() -> Vec<(&'static str, &'static str)> {
    let mut q = proj();
    q.push(("skipRepoValidation", "true"));
    q
}

fn app(name: &str, path: &str, automated: bool) -> Value {
    let mut spec = json!({
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
        "source": {"repoURL": URL, "path": path, "targetRevision": "main"},
    });
    if automated {
        spec["syncPolicy"] = json!({"automated": {"prune": true}});
    }
    json!({"application": {"metadata": {"name": name, "labels": {"team": "a"}}, "spec": spec}})
}

async fn create(api: &Api, body: &Value) -> Value {
    let ans = api
        .call(
            Method::POST,
            APPS,
            &[("agentIdentifier", AGENT)],
            &skip(),
            Some(body),
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    ans.body
}

async fn get(api: &Api, name: &str) -> Answer {
    api.call(
        Method::GET,
        APP_GET,
        &[("agentIdentifier", AGENT), ("query.name", name)],
        &proj(),
        None,
    )
    .await
}

async fn status(api: &Api, name: &str) -> Value {
    let ans = get(api, name).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    ans.body["app"]["status"].clone()
}

async fn put(api: &Api, name: &str, body: &Value) -> Answer {
    api.call(
        Method::PUT,
        APP_PUT,
        &[
            ("agentIdentifier", AGENT),
            ("request.application.metadata.name", name),
        ],
        &skip(),
        Some(body),
    )
    .await
}

async fn sync(api: &Api, name: &str, body: &Value) -> Answer {
    api.call(
        Method::POST,
        APP_SYNC,
        &[("agentIdentifier", AGENT), ("request.name", name)],
        &proj(),
        Some(body),
    )
    .await
}

async fn delete(api: &Api, name: &str, extra: &[(&str, &str)]) -> Answer {
    let mut q = proj();
    q.extend_from_slice(extra);
    api.call(
        Method::DELETE,
        APP_DELETE,
        &[("agentIdentifier", AGENT), ("request.name", name)],
        &q,
        None,
    )
    .await
}

fn secs(v: &Value) -> i64 {
    v["seconds"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a v1Time: {v}"))
}

/// Generous bound for waits on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn manual_app_stays_out_of_sync_until_the_sync_endpoint_is_called() {
    let emu = Emulator::start(&["--sync-delay", "700ms"]).await;
    let api = emu.api();
    let created = create(&api, &app("manual", "apps/manual", false)).await;
    let s = &created["app"]["status"];
    assert_eq!(s["sync"]["status"], "OutOfSync", "{s}");
    assert_eq!(s["health"]["status"], "Missing", "nothing deployed yet");
    assert!(s.get("operationState").is_none(), "no sync started: {s}");
    let compared_at = secs(&s["reconciledAt"]);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let s = status(&api, "manual").await;
    assert_eq!(
        (s["sync"]["status"].clone(), s["health"]["status"].clone()),
        (json!("OutOfSync"), json!("Missing")),
        "three sync delays later a manual app is still waiting: {s}"
    );
    assert!(s.get("operationState").is_none());

    let started = Instant::now();
    let ans = sync(&api, "manual", &json!({"prune": true})).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let st = &ans.body["app"]["status"];
    assert_eq!(st["operationState"]["phase"], "Running", "{st}");
    assert_eq!(st["health"]["status"], "Progressing");
    assert_eq!(
        ans.body["app"]["operation"]["initiatedBy"]["username"],
        format!("x-api-key:{ACCOUNT}"),
        "the top-level operation is there while it runs"
    );
    sync(&api, "manual", &json!({})).await.assert_error(
        400,
        9,
        "another operation is already in progress",
    );

    let done = eventually(WAIT, "the requested sync to finish", || async {
        let s = status(&api, "manual").await;
        (s["operationState"]["phase"] != "Running").then_some(s)
    })
    .await;
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "it took the sync delay"
    );
    assert_eq!(done["operationState"]["phase"], "Succeeded", "{done}");
    assert_eq!(done["sync"]["status"], "Synced");
    assert_eq!(done["health"]["status"], "Healthy");
    let revision = done["sync"]["revision"].as_str().unwrap_or("").to_string();
    assert_eq!(revision.len(), 40, "{done}");
    assert_eq!(
        done["operationState"]["syncResult"]["revision"],
        revision.as_str()
    );
    assert_eq!(done["operationState"]["operation"]["sync"]["prune"], true);
    assert!(done["operationState"]["finishedAt"].is_object());
    assert_eq!(done["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(done["history"][0]["revision"], revision.as_str());
    assert!(secs(&done["reconciledAt"]) >= compared_at);
    assert!(get(&api, "manual").await.body["app"]
        .get("operation")
        .is_none());

    // Syncing another revision deploys it; the app is then OutOfSync with its target.
    let ans = sync(
        &api,
        "manual",
        &json!({"revision": "v0.9", "name": "manual"}),
    )
    .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let pinned = eventually(WAIT, "the pinned sync", || async {
        let s = status(&api, "manual").await;
        (s["operationState"]["phase"] == "Succeeded"
            && s["history"].as_array().map(Vec::len) == Some(2))
        .then_some(s)
    })
    .await;
    assert_eq!(pinned["sync"]["status"], "OutOfSync", "{pinned}");
    assert_eq!(
        pinned["sync"]["revision"],
        revision.as_str(),
        "compared with main"
    );
    assert_ne!(pinned["history"][1]["revision"], revision.as_str());
    assert_eq!(pinned["history"][1]["id"], "1");

    // A drift on a manual app: OutOfSync again, compared at once, no sync started.
    let key = format!(
        "applications?orgIdentifier={ORG}&projectIdentifier={PROJECT}&agentIdentifier={AGENT}&name=manual"
    );
    let drift = emu
        .admin(
            Method::PATCH,
            &key,
            Some(&json!({"spec": {"source": {"path": "apps/drifted"}}})),
        )
        .await
        .expect("drift");
    assert_eq!(drift.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s = status(&api, "manual").await;
    assert_eq!(s["sync"]["status"], "OutOfSync", "{s}");
    assert_eq!(
        s["operationState"]["phase"], "Succeeded",
        "the last sync, not a new one"
    );
    assert_eq!(
        s["health"]["status"], "Healthy",
        "what runs is still healthy"
    );

    sync(&api, "manual", &json!({"name": "other"}))
        .await
        .assert_error(400, 3, "differs");
    sync(&api, "nothing", &json!({}))
        .await
        .assert_error(404, 5, "nothing");
    sync(&api, "manual", &json!({"project": "elsewhere"}))
        .await
        .assert_error(404, 5, "manual");
    sync(&api, "manual", &json!({"prune": "yes"}))
        .await
        .assert_error(400, 3, "\"prune\"");
    let counts = emu.counters().await;
    assert_eq!(counts["applied"]["applications.sync"], 2, "{counts}");
    assert_eq!(counts["requests"]["applications.sync"], 7, "{counts}");
}

#[tokio::test]
async fn automated_app_syncs_after_the_delay_and_updates_move_reconciled_at_only_when_done() {
    let emu = Emulator::start(&["--sync-delay", "800ms"]).await;
    let api = emu.api();
    let started = Instant::now();
    let created = create(&api, &app("auto", "apps/auto", true)).await;
    let s = &created["app"]["status"];
    assert_eq!(
        (
            s["sync"]["status"].clone(),
            s["health"]["status"].clone(),
            s["operationState"]["phase"].clone()
        ),
        (json!("OutOfSync"), json!("Progressing"), json!("Running")),
        "{s}"
    );
    assert_eq!(
        s["operationState"]["operation"]["initiatedBy"]["automated"],
        true
    );
    assert!(
        s.get("reconciledAt").is_none(),
        "no reconcile finished yet: {s}"
    );
    let synced = eventually(WAIT, "the automated sync", || async {
        let s = status(&api, "auto").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(synced["health"]["status"], "Healthy");
    assert_eq!(synced["operationState"]["phase"], "Succeeded");
    let reconciled = synced["reconciledAt"].clone();
    let op_started = synced["operationState"]["startedAt"].clone();

    // An update that leaves the spec alone starts nothing and moves nothing.
    let mut relabelled = app("auto", "apps/auto", true);
    relabelled["application"]["metadata"]["labels"] = json!({"team": "b"});
    let ans = put(&api, "auto", &relabelled).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(ans.body["app"]["metadata"]["generation"], "1");
    assert_eq!(ans.body["app"]["status"]["reconciledAt"], reconciled);
    assert_eq!(
        ans.body["app"]["status"]["operationState"]["startedAt"],
        op_started
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let s = status(&api, "auto").await;
    assert_eq!(
        s["reconciledAt"], reconciled,
        "no reconcile for an unchanged spec"
    );
    assert_eq!(s["sync"]["status"], "Synced");

    // A spec change: the old reconciledAt stays until the new sync has finished.
    let mut changed = relabelled.clone();
    changed["application"]["spec"]["source"]["targetRevision"] = json!("v2");
    tokio::time::sleep(Duration::from_millis(1100)).await; // a new second for reconciledAt
    let ans = put(&api, "auto", &changed).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let us = &ans.body["app"]["status"];
    assert_eq!(ans.body["app"]["metadata"]["generation"], "2");
    assert_eq!(us["sync"]["status"], "OutOfSync", "{us}");
    assert_eq!(us["operationState"]["phase"], "Running");
    assert_eq!(us["reconciledAt"], reconciled, "not reconciled yet");
    let resynced = eventually(WAIT, "the new sync", || async {
        let s = status(&api, "auto").await;
        if s["operationState"]["phase"] == "Running" {
            assert_eq!(
                s["reconciledAt"], reconciled,
                "moved before the sync ended: {s}"
            );
        }
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert!(
        secs(&resynced["reconciledAt"]) > secs(&reconciled),
        "{resynced}"
    );
    assert_eq!(
        resynced["operationState"]["syncResult"]["source"]["targetRevision"],
        "v2"
    );
    assert_eq!(resynced["history"].as_array().map(Vec::len), Some(2));

    // A change that needs no sync (info only) is reconciled at once, with no operation.
    let mut info = changed.clone();
    info["application"]["spec"]["info"] = json!([{"name": "owner", "value": "team-b"}]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ans = put(&api, "auto", &info).await;
    let is = &ans.body["app"]["status"];
    assert_eq!(is["sync"]["status"], "Synced", "{is}");
    assert!(secs(&is["reconciledAt"]) > secs(&resynced["reconciledAt"]));
    assert_eq!(
        is["operationState"]["startedAt"], resynced["operationState"]["startedAt"],
        "no new operation"
    );

    // A drift of the spec behind the client's back is a change too.
    let key = format!(
        "applications?orgIdentifier={ORG}&projectIdentifier={PROJECT}&agentIdentifier={AGENT}&name=auto"
    );
    let drift = emu
        .admin(
            Method::PATCH,
            &key,
            Some(&json!({"spec": {"source": {"targetRevision": "v3"}}})),
        )
        .await
        .expect("drift");
    assert_eq!(drift.status(), 200);
    let drifted: Value = drift.json().await.expect("JSON");
    let ds = &drifted["app"]["status"];
    assert_eq!(ds["operationState"]["phase"], "Running", "{ds}");
    assert_eq!(
        ds["reconciledAt"], is["reconciledAt"],
        "not until the sync ends"
    );
    let healed = eventually(WAIT, "the sync after the drift", || async {
        let s = status(&api, "auto").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert_eq!(
        healed["operationState"]["syncResult"]["source"]["targetRevision"],
        "v3"
    );
    let info = healed["history"].as_array().map(Vec::len);
    assert_eq!(info, Some(3));

    // Argo CD refuses a manual sync to another revision of an automated app.
    sync(&api, "auto", &json!({"revision": "v1"}))
        .await
        .assert_error(400, 9, "Cannot sync to v1: auto-sync currently set to v3");
    let ok = sync(&api, "auto", &json!({"revision": "v1", "dryRun": true})).await;
    assert_eq!(ok.status, 200, "a dry run may: {}", ok.body);
}

#[tokio::test]
async fn fail_sync_fails_fast_with_argo_cds_message_and_retries_as_configured() {
    let emu = Emulator::start(&["--sync-delay", "500ms"]).await;
    let api = emu.api();
    let started = Instant::now();
    create(&api, &app("broken", "apps/fail-sync/x", true)).await;
    let failed = eventually(WAIT, "the failing sync to end", || async {
        let s = status(&api, "broken").await;
        (s["operationState"]["phase"] != "Running").then_some(s)
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "a failing sync ends, it does not hang: {:?}",
        started.elapsed()
    );
    assert_eq!(failed["operationState"]["phase"], "Failed", "{failed}");
    let message = failed["operationState"]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("one or more objects failed to apply, reason: ")
            && message.contains("fail-sync"),
        "{message}"
    );
    assert_eq!(failed["sync"]["status"], "OutOfSync");
    assert_eq!(failed["health"]["status"], "Degraded");
    assert_eq!(failed["conditions"][0]["type"], "SyncError");
    assert!(
        failed.get("history").is_none(),
        "a failed sync is not history"
    );
    // Argo CD does not retry the same failed target on its own.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = status(&api, "broken").await;
    assert_eq!(
        later["operationState"]["startedAt"],
        failed["operationState"]["startedAt"]
    );
    assert_eq!(later["operationState"]["phase"], "Failed");

    // A requested sync of it fails again; with a retry strategy after limit+1 attempts.
    let t = Instant::now();
    let ans = sync(
        &api,
        "broken",
        &json!({"retryStrategy": {"limit": "2", "backoff": {"duration": "1s"}}}),
    )
    .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let retried = eventually(WAIT, "the retried sync to end", || async {
        let s = status(&api, "broken").await;
        (s["operationState"]["phase"] != "Running").then_some(s)
    })
    .await;
    assert!(
        t.elapsed() >= Duration::from_millis(1400),
        "three attempts of 500 ms"
    );
    assert_eq!(retried["operationState"]["phase"], "Failed");
    assert_eq!(retried["operationState"]["retryCount"], "2");
    assert!(
        retried["operationState"]["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("(retried 2 times)."),
        "{retried}"
    );

    // Fixing the path is a change: the automated sync succeeds.
    let ans = put(&api, "broken", &app("broken", "apps/fixed", true)).await;
    assert_eq!(
        ans.body["app"]["status"]["operationState"]["phase"],
        "Running"
    );
    let fixed = eventually(WAIT, "the fixed sync", || async {
        let s = status(&api, "broken").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert_eq!(fixed["health"]["status"], "Healthy");
    assert!(fixed.get("conditions").is_none(), "{fixed}");
}

fn with_finalizer(name: &str) -> Value {
    let mut body = app(name, "apps/x", false);
    body["application"]["metadata"]["finalizers"] =
        json!(["resources-finalizer.argocd.argoproj.io"]);
    body
}

#[tokio::test]
async fn cascading_delete_with_the_finalizer_waits_and_other_deletes_do_not() {
    let emu = Emulator::start(&["--sync-delay", "0s", "--delete-delay", "1500ms"]).await;
    let api = emu.api();
    create(&api, &with_finalizer("slow")).await;
    let t = Instant::now();
    let ans = delete(&api, "slow", &[]).await;
    assert_eq!((ans.status.as_u16(), ans.body.clone()), (200, json!({})));
    let during = get(&api, "slow").await;
    assert_eq!(
        during.status, 200,
        "still there while resources are deleted"
    );
    assert!(
        during.body["app"]["metadata"]["deletionTimestamp"].is_object(),
        "{}",
        during.body
    );
    let listed = api
        .call(
            Method::GET,
            APPS,
            &[("agentIdentifier", AGENT)],
            &proj(),
            None,
        )
        .await;
    assert!(listed.body["items"][0]["metadata"]["deletionTimestamp"].is_object());
    api.call(
        Method::POST,
        APPS,
        &[("agentIdentifier", AGENT)],
        &skip(),
        Some(&with_finalizer("slow")),
    )
    .await
    .assert_error(409, 6, "being deleted");
    let mut upsert = with_finalizer("slow");
    upsert["upsert"] = json!(true);
    api.call(
        Method::POST,
        APPS,
        &[("agentIdentifier", AGENT)],
        &skip(),
        Some(&upsert),
    )
    .await
    .assert_error(409, 6, "being deleted");
    put(&api, "slow", &with_finalizer("slow"))
        .await
        .assert_error(400, 9, "being deleted");
    sync(&api, "slow", &json!({}))
        .await
        .assert_error(400, 9, "being deleted");
    let again = delete(&api, "slow", &[]).await;
    assert_eq!(again.status, 200, "deleting again is fine");
    eventually(WAIT, "the application to be gone", || async {
        (get(&api, "slow").await.status == 404).then_some(())
    })
    .await;
    assert!(
        t.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        emu.counters().await["applied"]["applications.delete"],
        1,
        "the repeated delete changed nothing"
    );
    create(&api, &with_finalizer("slow")).await;

    // These go at once.
    for (name, extra, finalizer) in [
        ("nocascade", vec![("request.cascade", "false")], true),
        (
            "strip",
            vec![("options.removeExistingFinalizers", "true")],
            true,
        ),
        ("forced", vec![("options.forceDelete", "true")], true),
        ("plain", vec![], false),
        (
            "background",
            vec![
                ("request.cascade", "true"),
                ("request.propagationPolicy", "background"),
                ("options.removeExistingFinalizers", "true"),
            ],
            true,
        ),
    ] {
        let body = if finalizer {
            with_finalizer(name)
        } else {
            app(name, "apps/x", false)
        };
        create(&api, &body).await;
        let ans = delete(&api, name, &extra).await;
        assert_eq!(ans.status, 200, "{name}: {}", ans.body);
        get(&api, name).await.assert_error(404, 5, name);
    }

    // forceDelete also ends a pending deletion.
    delete(&api, "slow", &[]).await;
    assert_eq!(get(&api, "slow").await.status, 200);
    delete(&api, "slow", &[("options.forceDelete", "true")]).await;
    get(&api, "slow").await.assert_error(404, 5, "slow");
}

#[tokio::test]
async fn the_whole_argo_cd_spec_is_stored_and_returned() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]).await;
    let api = emu.api();
    let spec = json!({
        "project": "team-a",
        "destination": {"name": "in-cluster", "namespace": "web"},
        "sources": [
            {"repoURL": "https://charts.example.com", "chart": "web", "targetRevision": "1.2.3",
             "helm": {"valueFiles": ["$values/web.yaml"], "releaseName": "web", "values": "a: 1",
                      "parameters": [{"name": "image.tag", "value": "v1", "forceString": true}],
                      "fileParameters": [{"name": "cfg", "path": "cfg.json"}],
                      "passCredentials": true, "ignoreMissingValueFiles": true, "skipCrds": true,
                      "skipTests": true, "skipSchemaValidation": true, "version": "v3",
                      "valuesObject": {"replicas": 2, "nested": {"list": [1, "two"]}},
                      "namespace": "web", "kubeVersion": "1.30", "apiVersions": ["v1"]}},
            {"repoURL": URL, "ref": "values", "targetRevision": "main"},
            {"repoURL": URL, "path": "kustomize", "targetRevision": "0123456789abcdef0123456789abcdef01234567",
             "name": "overlay",
             "kustomize": {"namePrefix": "p-", "nameSuffix": "-s", "images": ["nginx=nginx:1.27", "redis:7"],
                           "commonLabels": {"app": "web"}, "commonAnnotations": {"a": "b"},
                           "forceCommonLabels": true, "forceCommonAnnotations": true, "namespace": "web",
                           "replicas": [{"name": "web", "count": "3"}],
                           "patches": [{"patch": "- op: add", "target": {"resId": {"gvk": {"group": "apps",
                               "version": "v1", "kind": "Deployment"}, "name": "web", "namespace": "web"},
                               "labelSelector": "app=web"}, "options": {"allowNameChange": true}}],
                           "components": ["../c"], "labelWithoutSelector": true, "version": "v5",
                           "kubeVersion": "1.30", "apiVersions": ["apps/v1"]}},
            {"repoURL": URL, "path": "jsonnet", "targetRevision": "main",
             "directory": {"recurse": true, "include": "*.jsonnet", "exclude": "test/*",
                           "jsonnet": {"extVars": [{"name": "env", "value": "prod", "code": true}],
                                       "tlas": [{"name": "t", "value": "1"}], "libs": ["vendor"]}}},
            {"repoURL": URL, "path": "plugin", "targetRevision": "main",
             "plugin": {"name": "cmp", "env": [{"name": "E", "value": "1"}],
                        "parameters": [{"name": "p", "string": "s"},
                                       {"name": "m", "map": {"map": {"k": "v"}}},
                                       {"name": "a", "array": {"array": ["x", "y"]}}]}}
        ],
        "syncPolicy": {
            "automated": {"prune": true, "selfHeal": true, "allowEmpty": true},
            "syncOptions": ["CreateNamespace=true", "PruneLast=true"],
            "retry": {"limit": "5", "backoff": {"duration": "5s", "factor": "2", "maxDuration": "3m"}},
            "managedNamespaceMetadata": {"labels": {"l": "1"}, "annotations": {"a": "2"}}
        },
        "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "name": "web", "namespace": "web",
            "jsonPointers": ["/spec/replicas"], "jqPathExpressions": [".spec.x"],
            "managedFieldsManagers": ["kube-controller-manager"]}],
        "info": [{"name": "docs", "value": "https://example.com"}],
        "revisionHistoryLimit": "3"
    });
    let metadata = json!({"name": "full", "namespace": "argocd", "labels": {"team": "a"},
        "annotations": {"note": "x"},
        "finalizers": ["resources-finalizer.argocd.argoproj.io/background"]});
    // Zero values are accepted and dropped, as protobuf JSON does.
    let mut sent_spec = spec.clone();
    sent_spec["sources"][1]["path"] = json!("");
    sent_spec["syncPolicy"]["automated"]["allowEmpty"] = json!(false);
    let body = json!({"application": {"metadata": metadata, "spec": sent_spec}});
    let mut expected = spec.clone();
    expected["syncPolicy"]["automated"] = json!({"prune": true, "selfHeal": true});
    let created = create(&api, &body).await;
    assert_eq!(created["app"]["spec"], expected);
    for k in ["name", "namespace", "labels", "annotations", "finalizers"] {
        assert_eq!(created["app"]["metadata"][k], metadata[k], "metadata.{k}");
    }
    let got = get(&api, "full").await;
    assert_eq!(got.body["app"]["spec"], expected);
    let listed = api
        .call(
            Method::GET,
            APPS,
            &[("agentIdentifier", AGENT)],
            &proj(),
            None,
        )
        .await;
    assert_eq!(listed.body["items"][0]["spec"], expected);
    let synced = eventually(WAIT, "the multi-source sync", || async {
        let s = status(&api, "full").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert_eq!(
        synced["sourceTypes"],
        json!(["Helm", "Directory", "Kustomize", "Directory", "Plugin"])
    );
    let revisions = synced["sync"]["revisions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(revisions.len(), 5, "{synced}");
    assert_eq!(revisions[0], "1.2.3", "a chart syncs to its version");
    assert_eq!(revisions[2], "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(
        synced["summary"]["images"],
        json!(["nginx:1.27", "redis:7"])
    );
    assert_eq!(
        synced["sync"]["comparedTo"]["ignoreDifferences"],
        expected["ignoreDifferences"]
    );
    assert_eq!(synced["history"][0]["sources"], expected["sources"]);
}

#[tokio::test]
async fn one_list_call_watches_a_thousand_applications() {
    const N: usize = 1000;
    // Long enough that the automated half is still syncing when the list below runs, even on
    // a loaded machine; the end of the test polls for the syncs to finish.
    const SYNC_DELAY: Duration = Duration::from_secs(20);
    let emu = Emulator::start(&["--sync-delay", "20s"]).await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/gitops/api/v1/agents/{AGENT}/applications?accountIdentifier={ACCOUNT}&orgIdentifier={ORG}\
         &projectIdentifier={PROJECT}&skipRepoValidation=true",
        emu.url
    );
    let first_create = Instant::now();
    let t = first_create;
    futures::stream::iter(0..N)
        .for_each_concurrent(8, |i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let mut body = app(&format!("app-{i:04}"), "apps/x", i % 2 == 0);
                body["application"]["metadata"]["labels"] =
                    json!({"team": if i % 4 < 2 { "a" } else { "b" }, "n": i.to_string()});
                let r = http
                    .post(&url)
                    .header("x-api-key", KEY)
                    .json(&body)
                    .send()
                    .await
                    .expect("create");
                assert_eq!(r.status(), 200, "app-{i:04}");
            }
        })
        .await;
    eprintln!("{N} creates in {:?}", t.elapsed());
    let api = emu.api();
    let list = |extra: Vec<(&'static str, &'static str)>| {
        let api = &api;
        async move {
            let mut q = proj();
            q.extend(extra);
            let t = Instant::now();
            let ans = api
                .call(Method::GET, APPS, &[("agentIdentifier", AGENT)], &q, None)
                .await;
            assert_eq!(ans.status, 200, "{}", ans.body);
            (
                ans.body["items"].as_array().cloned().unwrap_or_default(),
                t.elapsed(),
            )
        }
    };
    // The list call itself, without the test's schema validation.
    let t = Instant::now();
    let raw = http
        .get(format!(
            "{}/gitops/api/v1/agents/{AGENT}/applications?accountIdentifier={ACCOUNT}&orgIdentifier={ORG}&projectIdentifier={PROJECT}",
            emu.url
        ))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("list");
    let raw: Value = raw.json().await.expect("JSON");
    let took = t.elapsed();
    eprintln!("listing {N} applications took {took:?}");
    assert_eq!(raw["items"].as_array().map(Vec::len), Some(N));
    assert!(
        took < Duration::from_secs(3),
        "one list of {N} took {took:?}"
    );

    let (items, _) = list(vec![]).await;
    assert_eq!(items.len(), N);
    assert!(
        first_create.elapsed() < SYNC_DELAY,
        "creating and listing took {:?}, past the sync delay: the statuses below cannot be \
         those of syncing applications",
        first_create.elapsed()
    );
    for item in &items {
        let s = &item["status"];
        let name = item["metadata"]["name"].as_str().unwrap_or("");
        let i: usize = name.trim_start_matches("app-").parse().expect("index");
        assert!(s["sync"]["status"].is_string(), "{name}: no status");
        // Status as GET gives it: automated apps are syncing, manual ones wait.
        let want = if i % 2 == 0 { "Progressing" } else { "Missing" };
        assert_eq!(s["health"]["status"], want, "{name}");
    }
    let one = get(&api, "app-0007").await;
    let listed = items
        .iter()
        .find(|i| i["metadata"]["name"] == "app-0007")
        .expect("app-0007 listed");
    assert_eq!(
        listed["status"]["health"],
        one.body["app"]["status"]["health"]
    );
    assert_eq!(listed["metadata"], one.body["app"]["metadata"]);

    let count = |v: Vec<(&'static str, &'static str)>| async { list(v).await.0.len() };
    assert_eq!(count(vec![("query.selector", "team=a")]).await, N / 2);
    assert_eq!(
        count(vec![("query.selector", "team in (a,b),n notin (1,2,3)")]).await,
        N - 3
    );
    assert_eq!(
        count(vec![("query.selector", "team!=a,!missing")]).await,
        N / 2
    );
    assert_eq!(count(vec![("query.name", "app-0999")]).await, 1);
    assert_eq!(count(vec![("query.project", "default")]).await, N);
    assert_eq!(
        count(vec![
            ("query.project", "other"),
            ("query.project", "default")
        ])
        .await,
        N
    );
    assert_eq!(count(vec![("query.project", "other")]).await, 0);
    assert_eq!(
        count(vec![("query.repo", "https://github.com/example/apps")]).await,
        N
    );
    assert_eq!(
        count(vec![("query.repo", "https://github.com/example/x")]).await,
        0
    );
    assert_eq!(count(vec![("query.appNamespace", "argocd")]).await, N);
    assert_eq!(count(vec![("query.appNamespace", "elsewhere")]).await, 0);
    assert_eq!(
        count(vec![
            ("query.refresh", "hard"),
            ("fetchFromHarness", "true")
        ])
        .await,
        N
    );
    api.call(
        Method::GET,
        APPS,
        &[("agentIdentifier", AGENT)],
        &{
            let mut q = proj();
            q.push(("query.selector", "team in a"));
            q
        },
        None,
    )
    .await
    .assert_error(400, 3, "query.selector");

    // After the delay every automated app is Synced in the same single call (polled: the
    // delay runs from each create).
    let synced = || async {
        let (items, _) = list(vec![("query.selector", "team=a")]).await;
        items
            .iter()
            .filter(|i| i["status"]["sync"]["status"] == "Synced")
            .count()
    };
    let deadline = Instant::now() + SYNC_DELAY + Duration::from_secs(60);
    let mut n = synced().await;
    while n < N / 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        n = synced().await;
    }
    assert_eq!(n, N / 4, "the automated half of team a");
}

fn in_namespace(name: &str, ns: &str) -> Value {
    let mut body = app(name, "apps/web", false);
    body["application"]["metadata"]["namespace"] = json!(ns);
    body
}

async fn get_in(api: &Api, name: &str, ns: &str) -> Answer {
    let mut q = proj();
    q.push(("query.appNamespace", ns));
    api.call(
        Method::GET,
        APP_GET,
        &[("agentIdentifier", AGENT), ("query.name", name)],
        &q,
        None,
    )
    .await
}

#[tokio::test]
async fn applications_of_one_name_in_two_namespaces_are_two() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let a = create(&api, &in_namespace("web", "team-a")).await;
    let b = create(&api, &in_namespace("web", "team-b")).await;
    assert_ne!(a["app"]["metadata"]["uid"], b["app"]["metadata"]["uid"]);
    // The same namespace again is a conflict.
    let again = api
        .call(
            Method::POST,
            APPS,
            &[("agentIdentifier", AGENT)],
            &skip(),
            Some(&in_namespace("web", "team-a")),
        )
        .await;
    assert_ne!(again.status, 200, "{}", again.body);

    for ns in ["team-a", "team-b"] {
        let got = get_in(&api, "web", ns).await;
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.body["app"]["metadata"]["namespace"], ns);
    }
    assert_eq!(get_in(&api, "web", "team-c").await.status, 404);

    // A sync names the namespace it means.
    let ans = sync(
        &api,
        "web",
        &json!({"name": "web", "appNamespace": "team-b"}),
    )
    .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(ans.body["app"]["metadata"]["namespace"], "team-b");
    let a_status = get_in(&api, "web", "team-a").await.body["app"]["status"].clone();
    assert!(a_status.get("operationState").is_none(), "{a_status}");

    // Deleting one leaves the other.
    let gone = delete(
        &api,
        "web",
        &[
            ("request.appNamespace", "team-a"),
            ("request.cascade", "false"),
        ],
    )
    .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(get_in(&api, "web", "team-a").await.status, 404);
    assert_eq!(get_in(&api, "web", "team-b").await.status, 200);
    let wrong = delete(&api, "web", &[("request.appNamespace", "team-a")]).await;
    assert_eq!(wrong.status, 404, "not there in team-a: {}", wrong.body);
    assert_eq!(get_in(&api, "web", "team-b").await.status, 200);
}
