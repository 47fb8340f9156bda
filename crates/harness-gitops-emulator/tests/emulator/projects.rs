//! Argo projects and project mappings against the real binary: CRUD answers validated
//! against the document, Argo CD's checks of a project, what a project enforces on
//! applications (repositories, destinations, sync windows), counters and persistence.

use crate::emulator_support::*;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";
const ORG: &str = "org1";
const PROJ: &str = "proj1";
const ML_REPO: &str = "https://github.com/ml/training.git";
const GPU: &str = "https://gpu.example.com";

fn acc() -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT)]
}

fn proj() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJ),
    ]
}

fn skip() -> Vec<(&'static str, &'static str)> {
    let mut q = proj();
    q.push(("skipRepoValidation", "true"));
    q
}

fn ml(windows: Value) -> Value {
    json!({"project": {
        "metadata": {"name": "ml", "labels": {"team": "ml"}},
        "spec": {
            "description": "ML platform",
            "sourceRepos": ["https://github.com/ml/*"],
            "destinations": [
                {"server": GPU, "namespace": "gpu-*"},
                {"name": "in-cluster", "namespace": "ml-serving"}
            ],
            "roles": [{"name": "trainer", "policies": ["p, proj:ml:trainer, applications, sync, ml/*, allow"], "groups": ["ml-team"]}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "syncWindows": windows,
            "orphanedResources": {"warn": true, "ignore": [{"group": "", "kind": "ConfigMap", "name": "x"}]},
            "signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}],
            "sourceNamespaces": ["argocd"],
            "permitOnlyProjectScopedClusters": false
        }
    }})
}

fn app(name: &str, repo: &str, server: &str, ns: &str, automated: bool) -> Value {
    let mut spec = json!({
        "project": "ml",
        "destination": {"server": server, "namespace": ns},
        "source": {"repoURL": repo, "path": "train", "targetRevision": "main"},
    });
    if automated {
        spec["syncPolicy"] = json!({"automated": {}});
    }
    json!({"application": {"metadata": {"name": name}, "spec": spec}})
}

async fn create_project(api: &Api, body: &Value) -> Answer {
    api.call(
        Method::POST,
        PROJECTS,
        &[("agentIdentifier", AGENT)],
        &acc(),
        Some(body),
    )
    .await
}

async fn create_app(api: &Api, body: &Value) -> Answer {
    api.call(
        Method::POST,
        APPS,
        &[("agentIdentifier", AGENT)],
        &skip(),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn project_crud_and_checks() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let ans = create_project(&api, &ml(json!([]))).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(ans.body["metadata"]["name"], "ml");
    assert_eq!(ans.body["spec"]["destinations"][0]["namespace"], "gpu-*");
    let again = create_project(&api, &ml(json!([]))).await;
    again.assert_error(409, 6, "already exists");

    let one = [("agentIdentifier", AGENT), ("query.name", "ml")];
    let got = api.call(Method::GET, PROJECT_GET, &one, &acc(), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["spec"]["roles"][0]["groups"], json!(["ml-team"]));
    let list = api
        .call(
            Method::GET,
            PROJECTS,
            &[("agentIdentifier", AGENT)],
            &acc(),
            None,
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    let mut changed = ml(json!([]));
    changed["project"]["spec"]["description"] = json!("changed");
    let put = [
        ("agentIdentifier", AGENT),
        ("request.project.metadata.name", "ml"),
    ];
    let upd = api
        .call(Method::PUT, PROJECT_PUT, &put, &acc(), Some(&changed))
        .await;
    assert_eq!(upd.status, 200, "{}", upd.body);
    assert_eq!(upd.body["spec"]["description"], "changed");

    // Argo CD's checks, naming the field.
    let bad = ml(json!([{"kind": "sometimes", "schedule": "0 22 * * *", "duration": "1h"}]));
    create_project(&api, &bad)
        .await
        .assert_error(400, 3, "spec.syncWindows[0].kind");
    let bad = ml(json!([{"kind": "deny", "schedule": "0 22 * *", "duration": "1h"}]));
    create_project(&api, &bad)
        .await
        .assert_error(400, 3, "spec.syncWindows[0].schedule");
    let bad = ml(json!([{"kind": "deny", "schedule": "0 22 * * *", "duration": "8 hours"}]));
    create_project(&api, &bad)
        .await
        .assert_error(400, 3, "spec.syncWindows[0].duration");
    let mut bad = ml(json!([]));
    bad["project"]["spec"]["roles"][0]["policies"] =
        json!(["p, proj:other:trainer, applications, sync, ml/*, allow"]);
    create_project(&api, &bad)
        .await
        .assert_error(400, 3, "policy subject must be");

    let del = api
        .call(Method::DELETE, PROJECT_GET, &one, &acc(), None)
        .await;
    assert_eq!(del.status, 200, "{}", del.body);
    api.call(Method::GET, PROJECT_GET, &one, &acc(), None)
        .await
        .assert_error(404, 5, "not found");
    let counters = emu.counters().await;
    assert_eq!(
        counters["applied"]["projects.create"],
        json!(1),
        "{counters}"
    );
    assert_eq!(
        counters["applied"]["projects.delete"],
        json!(1),
        "{counters}"
    );
}

#[tokio::test]
async fn a_project_refuses_what_it_does_not_permit() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    assert_eq!(create_project(&api, &ml(json!([]))).await.status, 200);
    let ok = create_app(&api, &app("train", ML_REPO, GPU, "gpu-a", false)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    create_app(
        &api,
        &app(
            "web",
            "https://github.com/web/site.git",
            GPU,
            "gpu-a",
            false,
        ),
    )
    .await
    .assert_error(
        400,
        3,
        "application repo https://github.com/web/site.git is not permitted in project 'ml'",
    );
    create_app(&api, &app("web", ML_REPO, GPU, "default", false))
        .await
        .assert_error(
            400,
            3,
            "application destination server 'https://gpu.example.com' and namespace 'default' do not match any of the allowed destinations in project 'ml'",
        );
    // An update is checked too.
    let put = [
        ("agentIdentifier", AGENT),
        ("request.application.metadata.name", "train"),
    ];
    api.call(
        Method::PUT,
        APP_PUT,
        &put,
        &skip(),
        Some(&app("train", ML_REPO, GPU, "kube-system", false)),
    )
    .await
    .assert_error(400, 3, "do not match any of the allowed destinations");
    // The default project allows everything.
    let mut d = app(
        "free",
        "https://github.com/any/x",
        "https://any",
        "any",
        false,
    );
    d["application"]["spec"]["project"] = json!("default");
    assert_eq!(create_app(&api, &d).await.status, 200);
    // A project in use cannot be deleted.
    let one = [("agentIdentifier", AGENT), ("query.name", "ml")];
    api.call(Method::DELETE, PROJECT_GET, &one, &acc(), None)
        .await
        .assert_error(400, 9, "project is referenced by 1 applications");
}

#[tokio::test]
async fn deny_windows_block_manual_and_hold_automated_syncs() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    // Always active: fires every minute, lasts an hour.
    let always = json!([{"kind": "deny", "schedule": "* * * * *", "duration": "1h",
        "namespaces": ["gpu-*"], "timeZone": "UTC"}]);
    assert_eq!(create_project(&api, &ml(always)).await.status, 200);
    let created = create_app(&api, &app("train", ML_REPO, GPU, "gpu-a", true)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(
        created.body["app"]["operation"].is_null()
            && created.body["app"]["status"]["operationState"].is_null(),
        "an automated sync is held inside a deny window: {}",
        created.body
    );
    let sync = [("agentIdentifier", AGENT), ("request.name", "train")];
    api.call(Method::POST, APP_SYNC, &sync, &proj(), Some(&json!({})))
        .await
        .assert_error(403, 7, "cannot sync: blocked by sync window");
    // Outside the window's namespaces, syncs run.
    let serving = create_app(&api, &app("serve", ML_REPO, GPU, "gpu-serving", false)).await;
    assert_eq!(serving.status, 200);
    let mut p = ml(
        json!([{"kind": "deny", "schedule": "* * * * *", "duration": "1h",
        "applications": ["train"], "manualSync": true}]),
    );
    p["project"]["metadata"]["name"] = json!("ml");
    let put = [
        ("agentIdentifier", AGENT),
        ("request.project.metadata.name", "ml"),
    ];
    assert_eq!(
        api.call(Method::PUT, PROJECT_PUT, &put, &acc(), Some(&p))
            .await
            .status,
        200
    );
    let ok = api
        .call(Method::POST, APP_SYNC, &sync, &proj(), Some(&json!({})))
        .await;
    assert_eq!(
        ok.status, 200,
        "manualSync lets a manual sync pass: {}",
        ok.body
    );
}

#[tokio::test]
async fn mappings_v2_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let data = data.to_str().unwrap();
    let id = {
        let emu = Emulator::start(&["--data", data]).await;
        let api = emu.api();
        assert_eq!(create_project(&api, &ml(json!([]))).await.status, 200);
        let body = json!({"agentIdentifier": AGENT, "accountIdentifier": ACCOUNT,
            "orgIdentifier": ORG, "projectIdentifier": PROJ, "argoProjectName": "ml"});
        let m = api
            .call(
                Method::POST,
                MAPPINGS_V2,
                &[("agentIdentifier", AGENT)],
                &[],
                Some(&body),
            )
            .await;
        assert_eq!(m.status, 200, "{}", m.body);
        assert_eq!(m.body["ArgoProjectName"], "ml");
        let id = m.body["identifier"].as_str().unwrap().to_string();
        let state = emu.admin_get("state").await;
        assert_eq!(state["projects"][0]["metadata"]["name"], "ml", "{state}");
        assert_eq!(state["projectMappings"][0]["identifier"], id, "{state}");
        api.call(
            Method::POST,
            MAPPINGS_V2,
            &[("agentIdentifier", AGENT)],
            &[],
            Some(&body),
        )
        .await
        .assert_error(409, 6, "already mapped");
        emu.kill_hard().await;
        id
    };
    let emu = Emulator::start(&["--data", data]).await;
    let api = emu.api();
    let one = [("agentIdentifier", AGENT), ("query.name", "ml")];
    assert_eq!(
        api.call(Method::GET, PROJECT_GET, &one, &acc(), None)
            .await
            .status,
        200
    );
    let path = [("agentIdentifier", AGENT), ("identifier", id.as_str())];
    let mut q = proj();
    q.push(("argoProjectName", "ml"));
    let got = api.call(Method::GET, MAPPING_V2, &path, &q, None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["projectIdentifier"], PROJ);
    let moved = json!({"identifier": id, "agentIdentifier": AGENT, "accountIdentifier": ACCOUNT,
        "orgIdentifier": ORG, "projectIdentifier": "proj2", "argoProjectName": "ml"});
    let upd = api
        .call(Method::PUT, MAPPING_V2, &path, &[], Some(&moved))
        .await;
    assert_eq!(upd.status, 200, "{}", upd.body);
    assert_eq!(upd.body["projectIdentifier"], "proj2");
    let q2 = [
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", "proj2"),
    ];
    let list = api
        .call(
            Method::GET,
            MAPPING_LIST_V2,
            &[("agentIdentifier", AGENT)],
            &q2,
            None,
        )
        .await;
    assert_eq!(list.body["appProjectMappings"].as_array().unwrap().len(), 1);
    let del = api.call(Method::DELETE, MAPPING_V2, &path, &q2, None).await;
    assert_eq!(del.status, 200, "{}", del.body);
    api.call(Method::GET, MAPPING_V2, &path, &q2, None)
        .await
        .assert_error(404, 5, "not found");
    let state = emu.admin_get("state").await;
    assert!(state.get("projectMappings").is_none(), "{state}");
    assert_eq!(state["projects"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_sync_fails_on_a_resource_kind_its_project_does_not_permit() {
    let emu = Emulator::start(&["--sync-delay", "200ms"]).await;
    let api = emu.api();
    let mut p = ml(json!([]));
    p["project"]["spec"]["namespaceResourceWhitelist"] = json!([{"group": "", "kind": "Service"}]);
    assert_eq!(create_project(&api, &p).await.status, 200);
    let created = create_app(&api, &app("train", ML_REPO, GPU, "gpu-a", true)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let get = [("agentIdentifier", AGENT), ("query.name", "train")];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        let ans = api.call(Method::GET, APP_GET, &get, &proj(), None).await;
        assert_eq!(ans.status, 200, "{}", ans.body);
        let st = ans.body["app"]["status"].clone();
        if st["operationState"]["phase"] != "Running" && !st["operationState"].is_null() {
            break st;
        }
        assert!(std::time::Instant::now() < deadline, "no outcome: {st}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status["operationState"]["phase"], "Failed", "{status}");
    let msg = status["operationState"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        msg.contains("resource apps:Deployment is not permitted in project ml"),
        "{status}"
    );
    assert_eq!(status["sync"]["status"], "OutOfSync", "{status}");
}
