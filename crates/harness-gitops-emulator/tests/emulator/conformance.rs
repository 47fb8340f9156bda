//! Conformance of `harness-gitops-emulator` with the Harness GitOps OpenAPI document:
//! full CRUD runs per kind over real HTTP against the real binary, every response body
//! validated against the document's schema for its operation and status, plus the
//! service rules the emulator promises (auth, errors, masking, scopes, sync simulation,
//! admin API).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::emulator_support::*;
use futures::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const AGENT: &str = "account.agent1";
const ORG: &str = "org1";
const PROJECT: &str = "proj1";

fn acc() -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT)]
}

fn proj() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJECT),
    ]
}

fn with<'a>(
    mut base: Vec<(&'a str, &'a str)>,
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.extend_from_slice(more);
    base
}

fn rfc3339(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(
        v.as_str().unwrap_or_else(|| panic!("not a string: {v}")),
        &Rfc3339,
    )
    .unwrap_or_else(|e| panic!("not RFC 3339: {v} ({e})"))
}

async fn create_repo(
    api: &Api,
    agent: &str,
    query: &[(&str, &str)],
    id: &str,
    url: &str,
) -> Answer {
    let q = with(query.to_vec(), &[("identifier", id)]);
    api.call(
        Method::POST,
        REPOS,
        &[("agentIdentifier", agent)],
        &q,
        Some(&json!({"repo": {"repo": url, "connectionType": "HTTPS_ANONYMOUS"}})),
    )
    .await
}

async fn create_cluster(
    api: &Api,
    agent: &str,
    query: &[(&str, &str)],
    id: &str,
    server: &str,
) -> Answer {
    let q = with(query.to_vec(), &[("identifier", id)]);
    let body = json!({"cluster": {"server": server, "config": {"bearerToken": "tok"}}});
    api.call(
        Method::POST,
        CLUSTERS,
        &[("agentIdentifier", agent)],
        &q,
        Some(&body),
    )
    .await
}

fn app_body(name: &str, repo_url: &str, path: &str) -> Value {
    json!({"application": {
        "metadata": {"name": name, "labels": {"team": "a"}},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
            "source": {"repoURL": repo_url, "path": path, "targetRevision": "main"},
            "syncPolicy": {"automated": {"prune": true}}
        }
    }})
}

#[tokio::test]
async fn repository_crud_matches_the_document() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let one = [("agentIdentifier", AGENT), ("identifier", "repo1")];
    let url = "https://github.com/example/app.git";
    let body = json!({"repo": {"repo": url, "username": "u", "password": "pw", "sshPrivateKey": "key",
        "connectionType": "HTTPS", "insecure": false, "githubAppID": "0042"}});
    let created = api
        .call(
            Method::POST,
            REPOS,
            &agent,
            &with(proj(), &[("identifier", "repo1")]),
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let r = &created.body;
    assert_eq!(
        (r["accountIdentifier"].clone(), r["orgIdentifier"].clone()),
        (json!(ACCOUNT), json!(ORG))
    );
    assert_eq!(
        (r["projectIdentifier"].clone(), r["agentIdentifier"].clone()),
        (json!(PROJECT), json!(AGENT))
    );
    assert_eq!(r["identifier"], "repo1");
    let repo = &r["repository"];
    assert_eq!(repo["repo"], url);
    assert_eq!(repo["password"], MASK, "password must come back masked");
    assert_eq!(repo["sshPrivateKey"], MASK);
    assert_eq!(repo["username"], "u");
    assert_eq!(repo["type"], "git", "type defaults to git");
    assert_eq!(repo["githubAppID"], "42", "int64 as a canonical string");
    assert!(repo.get("insecure").is_none(), "protobuf JSON omits false");
    assert_eq!(repo["connectionState"]["status"], "Successful");
    let created_at = rfc3339(&r["createdAt"]);
    assert_eq!(rfc3339(&r["lastModifiedAt"]), created_at);

    let got = api.call(Method::GET, REPO, &one, &proj(), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, created.body, "GET answers what create answered");

    let listed = api.call(Method::GET, REPOS, &agent, &proj(), None).await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
    assert_eq!(listed.body["items"][0]["password"], MASK);
    let elsewhere = api.call(Method::GET, REPOS, &agent, &acc(), None).await;
    assert!(
        elsewhere.body.get("items").is_none(),
        "account scope lists no project repository: {}",
        elsewhere.body
    );

    // Update: the mask sent back keeps the stored secret; a changed field is applied.
    let upd = json!({"repo": {"repo": url, "username": "u2", "password": MASK, "connectionType": "HTTPS"}});
    let updated = api.call(Method::PUT, REPO, &one, &proj(), Some(&upd)).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["repository"]["username"], "u2");
    assert!(
        updated.body["repository"].get("sshPrivateKey").is_none(),
        "PUT replaces the object"
    );
    assert_eq!(rfc3339(&updated.body["createdAt"]), created_at);
    assert!(rfc3339(&updated.body["lastModifiedAt"]) > created_at);
    let state = emu.admin_get("state?secrets=clear").await;
    assert_eq!(
        state["repositories"][0]["repository"]["password"], "pw",
        "the stored secret was kept"
    );

    let moved = json!({"repo": {"repo": "https://github.com/example/other.git"}});
    api.call(Method::PUT, REPO, &one, &proj(), Some(&moved))
        .await
        .assert_error(400, 3, "cannot change");

    let ok = api
        .call(
            Method::POST,
            REPO_VALIDATE,
            &agent,
            &proj(),
            Some(&json!({"repo": url})),
        )
        .await;
    assert_eq!(ok.body["status"], "Successful");
    let bad = api
        .call(
            Method::POST,
            REPO_VALIDATE,
            &agent,
            &proj(),
            Some(&json!({"repo": "https://git.example.invalid/x"})),
        )
        .await;
    assert_eq!(bad.body["status"], "Failed");
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("no such host"),
        "{}",
        bad.body
    );
    let by_id = api
        .call(
            Method::POST,
            REPO_VALIDATE,
            &agent,
            &with(proj(), &[("identifier", "repo1")]),
            Some(&json!({})),
        )
        .await;
    assert_eq!(by_id.body["status"], "Successful");

    let deleted = api
        .call(
            Method::DELETE,
            REPO,
            &one,
            &with(proj(), &[("forceDelete", "true")]),
            None,
        )
        .await;
    assert_eq!((deleted.status, deleted.body), (StatusCode::OK, json!({})));
    api.call(Method::GET, REPO, &one, &proj(), None)
        .await
        .assert_error(404, 5, "repo1");
    api.call(Method::DELETE, REPO, &one, &proj(), None)
        .await
        .assert_error(404, 5, "not found");

    let failing = create_repo(
        &api,
        AGENT,
        &acc(),
        "broken",
        "git@git.example.invalid:org/repo.git",
    )
    .await;
    assert_eq!(
        failing.body["repository"]["connectionState"]["status"],
        "Failed"
    );
    assert_eq!(
        *api.validated.lock().unwrap(),
        13,
        "every answer above was validated"
    );
}

#[tokio::test]
async fn cluster_crud_matches_the_document() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", "org.agent2")];
    let one = [("agentIdentifier", "org.agent2"), ("identifier", "c1")];
    let q = vec![("accountIdentifier", ACCOUNT), ("orgIdentifier", ORG)];
    let body = json!({"cluster": {"server": "https://k8s.example.com:6443/", "namespaces": ["a", "b"],
        "config": {"bearerToken": "tok", "tlsClientConfig": {"keyData": "a2V5", "certData": "Y2VydA==", "caData": "Y2E="}}},
        "tags": {"env": "dev"}});
    let created = api
        .call(
            Method::POST,
            CLUSTERS,
            &agent,
            &with(q.clone(), &[("identifier", "c1")]),
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let c = &created.body["cluster"];
    assert_eq!(
        c["server"], "https://k8s.example.com:6443",
        "trailing slash trimmed like Argo CD"
    );
    assert_eq!(
        c["name"], "https://k8s.example.com:6443",
        "name defaults to the server"
    );
    assert_eq!(c["config"]["bearerToken"], MASK);
    assert_eq!(c["config"]["tlsClientConfig"]["keyData"], MASK_BYTES);
    assert_eq!(c["config"]["tlsClientConfig"]["certData"], MASK_BYTES);
    assert_eq!(
        c["config"]["tlsClientConfig"]["caData"], "Y2E=",
        "the CA is not a secret"
    );
    assert_eq!(c["info"]["connectionState"]["status"], "Successful");
    assert_eq!(c["info"]["serverVersion"], "1.30");
    assert_eq!(created.body["tags"], json!({"env": "dev"}));

    let got = api.call(Method::GET, CLUSTER, &one, &q, None).await;
    assert_eq!(got.body, created.body);
    let listed = api
        .call(
            Method::GET,
            CLUSTERS,
            &agent,
            &with(
                q.clone(),
                &[("query.server", "https://k8s.example.com:6443")],
            ),
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );

    // updatedFields: only the named fields change.
    let partial = json!({"cluster": {"server": "https://k8s.example.com:6443", "name": "prod"}, "updatedFields": ["name"]});
    let updated = api
        .call(
            Method::PUT,
            CLUSTER,
            &one,
            &with(q.clone(), &[("forceUpdate", "true")]),
            Some(&partial),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["cluster"]["name"], "prod");
    assert_eq!(
        updated.body["cluster"]["namespaces"],
        json!(["a", "b"]),
        "fields not named stay"
    );
    assert_eq!(
        updated.body["cluster"]["config"]["bearerToken"], MASK,
        "the token stays"
    );
    let bad_field = json!({"cluster": {}, "updatedFields": ["colour"]});
    api.call(Method::PUT, CLUSTER, &one, &q, Some(&bad_field))
        .await
        .assert_error(400, 3, "colour");

    // Without updatedFields the cluster is replaced; the masked token sent back is kept.
    let full = json!({"cluster": {"server": "https://api.cluster.invalid", "config": {"bearerToken": MASK}}});
    let replaced = api.call(Method::PUT, CLUSTER, &one, &q, Some(&full)).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let rc = &replaced.body["cluster"];
    assert!(rc.get("namespaces").is_none());
    assert_eq!(rc["info"]["connectionState"]["status"], "Failed");
    assert!(
        rc["info"].get("serverVersion").is_none(),
        "an unreachable cluster has no version"
    );
    assert!(replaced.body.get("tags").is_none(), "tags replaced by none");
    let state = emu.admin_get("state?secrets=clear").await;
    assert_eq!(
        state["clusters"][0]["cluster"]["config"]["bearerToken"],
        "tok"
    );

    let deleted = api
        .call(
            Method::DELETE,
            CLUSTER,
            &one,
            &with(q.clone(), &[("forceDelete", "true"), ("query.server", "x")]),
            None,
        )
        .await;
    assert_eq!(deleted.body, json!({}));
    api.call(Method::GET, CLUSTER, &one, &q, None)
        .await
        .assert_error(404, 5, "c1");
}

#[tokio::test]
async fn application_crud_matches_the_document() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]).await;
    let api = emu.api();
    let url = "https://github.com/example/apps.git";
    assert_eq!(
        create_repo(&api, AGENT, &acc(), "apps", url).await.status,
        200
    );
    assert_eq!(
        create_cluster(
            &api,
            AGENT,
            &acc(),
            "incluster",
            "https://kubernetes.default.svc"
        )
        .await
        .status,
        200
    );
    let agent = [("agentIdentifier", AGENT)];
    let q = with(
        proj(),
        &[
            ("clusterIdentifier", "incluster"),
            ("repoIdentifier", "apps"),
        ],
    );
    let created = api
        .call(
            Method::POST,
            APPS,
            &agent,
            &q,
            Some(&app_body("guestbook", url, "guestbook")),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let b = &created.body;
    assert_eq!(
        (
            b["name"].clone(),
            b["clusterIdentifier"].clone(),
            b["repoIdentifier"].clone()
        ),
        (json!("guestbook"), json!("incluster"), json!("apps"))
    );
    let meta = &b["app"]["metadata"];
    assert_eq!(meta["namespace"], "argocd");
    assert_eq!(meta["generation"], "1");
    let uid = meta["uid"].as_str().unwrap_or("").to_string();
    assert_eq!(uid.len(), 36, "uid is a UUID: {uid}");
    let rv1: u64 = meta["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("resourceVersion");
    assert_eq!(
        b["app"]["spec"]["syncPolicy"],
        json!({"automated": {"prune": true}})
    );

    let get = [("agentIdentifier", AGENT), ("query.name", "guestbook")];
    let got = api.call(Method::GET, APP_GET, &get, &proj(), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["app"]["spec"], b["app"]["spec"]);
    let wrong_project = api
        .call(
            Method::GET,
            APP_GET,
            &get,
            &with(proj(), &[("query.project", "other")]),
            None,
        )
        .await;
    wrong_project.assert_error(404, 5, "guestbook");

    let listed = api
        .call(
            Method::GET,
            APPS,
            &agent,
            &with(proj(), &[("query.selector", "team=a"), ("query.repo", url)]),
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
    let none = api
        .call(
            Method::GET,
            APPS,
            &agent,
            &with(proj(), &[("query.selector", "team=b")]),
            None,
        )
        .await;
    assert!(none.body.get("items").is_none());

    let mut changed = app_body("guestbook", url, "guestbook");
    changed["application"]["spec"]["source"]["targetRevision"] = json!("v2");
    let put = [
        ("agentIdentifier", AGENT),
        ("request.application.metadata.name", "guestbook"),
    ];
    let updated = api
        .call(Method::PUT, APP_PUT, &put, &proj(), Some(&changed))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let um = &updated.body["app"]["metadata"];
    assert_eq!(um["uid"], json!(uid), "uid survives updates");
    assert_eq!(um["generation"], "2", "a spec change bumps generation");
    let rv2: u64 = um["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("resourceVersion");
    assert!(rv2 > rv1);
    assert_eq!(
        updated.body["app"]["spec"]["source"]["targetRevision"],
        "v2"
    );
    let mut renamed = changed.clone();
    renamed["application"]["metadata"]["name"] = json!("other");
    api.call(Method::PUT, APP_PUT, &put, &proj(), Some(&renamed))
        .await
        .assert_error(400, 3, "renamed");

    let del = [("agentIdentifier", AGENT), ("request.name", "guestbook")];
    let bad_policy = with(proj(), &[("request.propagationPolicy", "sideways")]);
    api.call(Method::DELETE, APP_DELETE, &del, &bad_policy, None)
        .await
        .assert_error(400, 3, "propagation policy");
    let no_cascade = with(
        proj(),
        &[
            ("request.propagationPolicy", "foreground"),
            ("request.cascade", "false"),
        ],
    );
    api.call(Method::DELETE, APP_DELETE, &del, &no_cascade, None)
        .await
        .assert_error(400, 3, "cascading is disabled");
    let opts = with(
        proj(),
        &[
            ("request.cascade", "true"),
            ("request.propagationPolicy", "background"),
            ("options.removeExistingFinalizers", "true"),
        ],
    );
    let deleted = api
        .call(Method::DELETE, APP_DELETE, &del, &opts, None)
        .await;
    assert_eq!((deleted.status, deleted.body), (StatusCode::OK, json!({})));
    api.call(Method::GET, APP_GET, &get, &proj(), None)
        .await
        .assert_error(404, 5, "guestbook");
}

/// (request schema, method, path, path params, query, JSON pointers to override, keys to remove)
struct BodyCase {
    method: Method,
    template: &'static str,
    params: Vec<(&'static str, &'static str)>,
    query: Vec<(&'static str, &'static str)>,
    overrides: Vec<(&'static str, Value)>,
    removals: Vec<(&'static str, &'static str)>,
    /// A pointer whose subtree another case already checks field by field (same schema).
    shared: Option<&'static str>,
}

fn body_cases() -> Vec<BodyCase> {
    let agent = ("agentIdentifier", AGENT);
    let url = json!("https://github.com/example/max.git");
    let server = json!("https://max.example.com");
    vec![
        BodyCase {
            method: Method::POST,
            template: REPOS,
            params: vec![agent],
            query: with(proj(), &[("identifier", "max1")]),
            overrides: vec![("/repo/repo", url.clone()), ("/repo/type", json!("git"))],
            shared: None,
            removals: vec![],
        },
        BodyCase {
            method: Method::PUT,
            template: REPO,
            params: vec![agent, ("identifier", "max1")],
            query: proj(),
            overrides: vec![("/repo/repo", url.clone()), ("/repo/type", json!("helm"))],
            shared: Some("/repo"),
            removals: vec![],
        },
        BodyCase {
            method: Method::POST,
            template: REPO_VALIDATE,
            params: vec![agent],
            query: proj(),
            overrides: vec![("/repo", url)],
            shared: None,
            removals: vec![],
        },
        BodyCase {
            method: Method::POST,
            template: CLUSTERS,
            params: vec![agent],
            query: with(proj(), &[("identifier", "cmax")]),
            overrides: vec![
                ("/cluster/server", server.clone()),
                (
                    "/cluster/config/clusterConnectionType",
                    json!("SERVICE_ACCOUNT"),
                ),
            ],
            shared: None,
            removals: vec![],
        },
        BodyCase {
            method: Method::PUT,
            template: CLUSTER,
            params: vec![agent, ("identifier", "cmax")],
            query: proj(),
            overrides: vec![
                ("/cluster/server", server),
                (
                    "/cluster/config/clusterConnectionType",
                    json!("SERVICE_ACCOUNT"),
                ),
                ("/updatedFields", json!(["name", "config", "labels"])),
                ("/updateMask/paths", json!(["annotations"])),
            ],
            shared: Some("/cluster"),
            removals: vec![],
        },
        BodyCase {
            method: Method::POST,
            template: APPS,
            params: vec![agent],
            query: with(proj(), &[("skipRepoValidation", "true")]),
            overrides: vec![],
            shared: None,
            removals: vec![("/application/spec/destination", "name")],
        },
        BodyCase {
            method: Method::PUT,
            template: APP_PUT,
            params: vec![agent, ("request.application.metadata.name", "x")],
            query: with(proj(), &[("skipRepoValidation", "true")]),
            overrides: vec![],
            shared: Some("/application"),
            removals: vec![("/application/spec/destination", "name")],
        },
        BodyCase {
            method: Method::POST,
            template: APP_SYNC,
            params: vec![agent, ("request.name", "x")],
            query: proj(),
            // The application "x" of the cases above has one source (sources[0]).
            overrides: vec![("/sourcePositions", json!(["1"]))],
            shared: None,
            removals: vec![],
        },
    ]
}

fn build_body(contract: &Contract, case: &BodyCase) -> (String, Value) {
    let schema = contract.request_schema(&case.method, case.template);
    let mut body = contract.maximal(&schema);
    for (p, v) in &case.overrides {
        set_at(&mut body, p, v.clone());
    }
    for (p, k) in &case.removals {
        body.pointer_mut(p)
            .and_then(Value::as_object_mut)
            .and_then(|o| o.remove(*k))
            .expect("removal target");
    }
    (schema, body)
}

/// Every property of every request schema is accepted (the hand-written table covers the
/// document) and echoed in a response that matches the document.
#[tokio::test]
async fn maximal_bodies_are_accepted_and_answered_per_the_document() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let contract = contract();
    for case in body_cases() {
        let (schema, mut body) = build_body(&contract, &case);
        for extra in sdk_extras(&schema) {
            assert_eq!(extra, "secretExpressions");
            body[extra] = json!({"bearerToken": "account.cluster_token", "caData": "org.ca"});
        }
        let ans = api
            .call(
                case.method.clone(),
                case.template,
                &case.params,
                &case.query,
                Some(&body),
            )
            .await;
        assert_eq!(ans.status, 200, "{schema}: {}", ans.body);
        match schema.as_str() {
            "repositoriesRepoCreateRequest" | "repositoriesRepoUpdateRequest" => {
                let sent = body["repo"].as_object().expect("repo");
                for (k, v) in sent {
                    let got = &ans.body["repository"][k];
                    match k.as_str() {
                        "connectionState" | "inheritedCreds" => {}
                        "password"
                        | "sshPrivateKey"
                        | "tlsClientCertData"
                        | "tlsClientCertKey"
                        | "githubAppPrivateKey" => {
                            assert_eq!(got, MASK, "{schema}: {k}")
                        }
                        _ => assert_eq!(got, v, "{schema}: repo.{k} echoed"),
                    }
                }
            }
            "applicationsApplicationCreateRequest" | "applicationsApplicationUpdateRequest" => {
                assert_eq!(
                    ans.body["app"]["spec"], body["application"]["spec"],
                    "{schema}: spec echoed"
                );
                let meta = &ans.body["app"]["metadata"];
                for k in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if schema.ends_with("CreateRequest") || k != "ownerReferences" {
                        assert_eq!(meta[k], body["application"]["metadata"][k], "{schema}: {k}");
                    }
                }
            }
            "applicationsApplicationSyncRequest" => {
                let op = &ans.body["app"]["status"]["operationState"]["operation"];
                assert_eq!(op["sync"]["dryRun"], true, "{}", ans.body);
                assert_eq!(op["sync"]["prune"], true);
                assert_eq!(op["sync"]["syncOptions"], body["syncOptions"]["items"]);
                assert_eq!(op["sync"]["syncStrategy"], body["strategy"]);
                assert_eq!(op["sync"]["resources"], body["resources"]);
                assert_eq!(op["sync"]["manifests"], body["manifests"]);
                assert_eq!(op["info"], body["infos"]);
                assert_eq!(op["retry"], body["retryStrategy"]);
                assert_eq!(
                    op["initiatedBy"]["username"],
                    format!("x-api-key:{ACCOUNT}")
                );
            }
            "clustersClusterCreateRequest" | "clustersClusterUpdateRequest" => {
                assert!(
                    ans.body.get("secretExpressions").is_none(),
                    "the document's servicev1Cluster has no secretExpressions"
                );
            }
            _ => {}
        }
    }
}

/// Every field of every request body is type-checked and every message refuses unknown
/// keys, with a 400 (code 3) naming the field.
#[tokio::test]
async fn every_request_field_is_checked_and_named() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let contract = contract();
    // (case, broken body, field the error must name, keys the message must list)
    let mut probes: Vec<(usize, Value, String, Option<Vec<String>>)> = Vec::new();
    let cases = body_cases();
    for (i, case) in cases.iter().enumerate() {
        let (schema, body) = build_body(&contract, case);
        for node in contract.nodes(&schema, &body) {
            if case
                .shared
                .is_some_and(|p| node.pointer.starts_with(&format!("{p}/")))
            {
                continue;
            }
            if !node.path.is_empty() {
                let mut broken = body.clone();
                set_at(&mut broken, &node.pointer, node.wrong.clone());
                probes.push((i, broken, node.path.clone(), None));
            }
            if node.message {
                let mut extra = body.clone();
                let target = if node.pointer.is_empty() {
                    Some(&mut extra)
                } else {
                    extra.pointer_mut(&node.pointer)
                };
                target
                    .and_then(Value::as_object_mut)
                    .expect("message node")
                    .insert("zzUnknown".into(), json!(1));
                let field = if node.path.is_empty() {
                    "zzUnknown".to_string()
                } else {
                    format!("{}.zzUnknown", node.path)
                };
                let mut keys = node.keys.clone();
                if node.pointer.is_empty() {
                    keys.extend(sdk_extras(&schema).into_iter().map(str::to_string));
                }
                probes.push((i, extra, field, Some(keys)));
            }
        }
    }
    let checked = probes.len();
    assert!(checked > 1500, "only {checked} field checks");
    let started = std::time::Instant::now();
    let api_ref = &api;
    let cases_ref = &cases;
    futures::stream::iter(probes)
        .for_each_concurrent(4, |(i, body, field, keys)| async move {
            let case = &cases_ref[i];
            let ans = api_ref
                .call(
                    case.method.clone(),
                    case.template,
                    &case.params,
                    &case.query,
                    Some(&body),
                )
                .await;
            ans.assert_error(400, 3, &format!("\"{field}\""));
            if let Some(keys) = keys {
                // The emulator's table lists exactly the document's keys for this schema.
                let msg = ans.body["message"].as_str().unwrap_or("");
                let listed: BTreeSet<&str> = msg
                    .rsplit("its keys are: ")
                    .next()
                    .unwrap_or("")
                    .split(", ")
                    .collect();
                let expected: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
                assert_eq!(listed, expected, "keys of the schema at {field}");
            }
        })
        .await;
    eprintln!("{checked} field checks in {:?}", started.elapsed());
    // Not JSON, not an object, no body.
    let agent = [("agentIdentifier", AGENT)];
    let q = with(acc(), &[("identifier", "r")]);
    api.call(Method::POST, REPOS, &agent, &q, Some(&json!([1])))
        .await
        .assert_error(400, 3, "repositoriesRepoCreateRequest");
    api.call(Method::POST, REPOS, &agent, &q, None)
        .await
        .assert_error(400, 3, "JSON request body");
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/gitops/api/v1/agents/{AGENT}/repositories?accountIdentifier={ACCOUNT}&identifier=r",
            emu.url
        ))
        .header("x-api-key", KEY)
        .body("{nope")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), 400);
}

/// Each operation accepts exactly the document's query parameters (plus the gateway's
/// `routingId`), and names an unknown one.
#[tokio::test]
async fn query_parameters_are_those_of_the_document() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let contract = contract();
    for (method, template, id_param) in operations() {
        let doc_params = contract.query_params(&method, template);
        let mut params = vec![("agentIdentifier", AGENT)];
        if let Some(p) = id_param {
            params.push((p, "qp1"));
        }
        let mut query: Vec<(String, String)> = vec![("routingId".into(), ACCOUNT.into())];
        for (name, is_bool, is_array) in &doc_params {
            let v = match name.as_str() {
                "accountIdentifier" => ACCOUNT,
                "orgIdentifier" => ORG,
                "projectIdentifier" => PROJECT,
                _ if *is_bool => "true",
                _ => "qp1",
            };
            query.push((name.clone(), v.into()));
            if *is_array {
                query.push((name.clone(), "second".into()));
            }
        }
        let q: Vec<(&str, &str)> = query
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let body = (method == Method::POST || method == Method::PUT).then(|| json!({}));
        let ans = api
            .call(method.clone(), template, &params, &q, body.as_ref())
            .await;
        let msg = ans.body["message"].as_str().unwrap_or("");
        assert!(
            !msg.contains("query parameter"),
            "{method} {template} refused a document parameter: {msg}"
        );

        let mut bogus = q.clone();
        bogus.push(("zzBogus", "1"));
        let ans = api
            .call(method.clone(), template, &params, &bogus, body.as_ref())
            .await;
        ans.assert_error(400, 3, "\"zzBogus\"");
        let msg = ans.body["message"].as_str().unwrap_or("");
        let accepted: BTreeSet<&str> = msg
            .rsplit("accepts: ")
            .next()
            .unwrap_or("")
            .split(", ")
            .collect();
        let mut expected: BTreeSet<&str> = doc_params.iter().map(|(n, _, _)| n.as_str()).collect();
        expected.insert("routingId");
        expected.extend(sdk_extras(&format!("{method} {template}")));
        assert_eq!(
            accepted, expected,
            "{method} {template}: accepted parameters differ from the document"
        );
    }
    let agent = [("agentIdentifier", AGENT)];
    api.call(
        Method::GET,
        REPOS,
        &agent,
        &with(acc(), &[("query.forceRefresh", "maybe")]),
        None,
    )
    .await
    .assert_error(400, 3, "query.forceRefresh");
    api.call(
        Method::GET,
        REPOS,
        &agent,
        &with(acc(), &[("orgIdentifier", "a"), ("orgIdentifier", "b")]),
        None,
    )
    .await
    .assert_error(400, 3, "orgIdentifier");
    api.call(
        Method::GET,
        REPOS,
        &agent,
        &with(acc(), &[("routingId", "other")]),
        None,
    )
    .await
    .assert_error(400, 3, "routingId");
}

#[tokio::test]
async fn authentication_and_account_errors() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    api.with_key(None)
        .call(Method::GET, REPOS, &agent, &acc(), None)
        .await
        .assert_error(401, 16, "x-api-key");
    api.with_key(Some("wrong"))
        .call(Method::GET, REPOS, &agent, &acc(), None)
        .await
        .assert_error(401, 16, "invalid API key");
    api.with_key(Some("wrong"))
        .call(
            Method::POST,
            REPOS,
            &agent,
            &with(acc(), &[("identifier", "r")]),
            Some(&json!({"repo": {"repo": "https://x/y"}})),
        )
        .await
        .assert_error(401, 16, "invalid API key");
    api.call(Method::GET, REPOS, &agent, &[], None)
        .await
        .assert_error(400, 3, "accountIdentifier");
    api.call(
        Method::GET,
        REPOS,
        &agent,
        &[("accountIdentifier", "other")],
        None,
    )
    .await
    .assert_error(403, 7, "other");
    let state = emu.admin_get("state").await;
    assert_eq!(
        state["repositories"],
        json!([]),
        "a refused create stored nothing"
    );
}

#[tokio::test]
async fn conflicts_upsert_and_agent_uniqueness() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let url = "https://github.com/example/dup.git";
    let first = create_repo(&api, AGENT, &proj(), "dup", url).await;
    assert_eq!(first.status, 200);
    create_repo(&api, AGENT, &proj(), "dup", url)
        .await
        .assert_error(409, 6, "entity already exists");
    let agent = [("agentIdentifier", AGENT)];
    let q = with(proj(), &[("identifier", "dup")]);
    let upsert = json!({"repo": {"repo": url, "username": "new"}, "upsert": true});
    let replaced = api
        .call(Method::POST, REPOS, &agent, &q, Some(&upsert))
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["repository"]["username"], "new");
    assert_eq!(
        replaced.body["createdAt"], first.body["createdAt"],
        "upsert keeps createdAt"
    );
    // Argo CD keys repositories by URL (and Argo project) per agent, across Harness scopes.
    create_repo(
        &api,
        AGENT,
        &acc(),
        "dup2",
        "https://github.com/example/dup",
    )
    .await
    .assert_error(409, 6, "entity already exists");
    assert_eq!(
        create_repo(&api, "account.agent9", &acc(), "dup2", url)
            .await
            .status,
        200,
        "another agent is another Argo CD"
    );

    assert_eq!(
        create_cluster(&api, AGENT, &acc(), "c1", "https://k8s:6443")
            .await
            .status,
        200
    );
    create_cluster(&api, AGENT, &acc(), "c1", "https://other:6443")
        .await
        .assert_error(409, 6, "entity already exists");
    create_cluster(&api, AGENT, &proj(), "c2", "https://k8s:6443/")
        .await
        .assert_error(409, 6, "already registered");

    assert_eq!(
        create_repo(
            &api,
            AGENT,
            &acc(),
            "apps",
            "https://github.com/example/apps"
        )
        .await
        .status,
        200
    );
    let body = app_body("web", "https://github.com/example/apps", "web");
    assert_eq!(
        api.call(Method::POST, APPS, &agent, &proj(), Some(&body))
            .await
            .status,
        200
    );
    api.call(Method::POST, APPS, &agent, &proj(), Some(&body))
        .await
        .assert_error(409, 6, "entity already exists");
    let other_project = vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", "proj2"),
    ];
    api.call(Method::POST, APPS, &agent, &other_project, Some(&body))
        .await
        .assert_error(409, 6, "entity already exists");
    let mut up = body.clone();
    up["upsert"] = json!(true);
    up["application"]["spec"]["source"]["path"] = json!("web2");
    let ans = api
        .call(Method::POST, APPS, &agent, &proj(), Some(&up))
        .await;
    assert_eq!(ans.body["app"]["spec"]["source"]["path"], "web2");
    assert_eq!(ans.body["app"]["metadata"]["generation"], "2");
}

#[tokio::test]
async fn scope_rules_are_enforced() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let org_only = vec![("accountIdentifier", ACCOUNT), ("orgIdentifier", ORG)];
    let project_only = vec![
        ("accountIdentifier", ACCOUNT),
        ("projectIdentifier", PROJECT),
    ];
    let url = "https://github.com/example/s.git";
    create_repo(&api, "agent3", &org_only, "r", url)
        .await
        .assert_error(400, 3, "projectIdentifier are required");
    create_repo(&api, "agent3", &acc(), "r", url)
        .await
        .assert_error(400, 3, "project-level agent");
    create_repo(&api, "org.agent3", &acc(), "r", url)
        .await
        .assert_error(400, 3, "orgIdentifier is required");
    create_repo(&api, "account.agent3", &project_only, "r", url)
        .await
        .assert_error(400, 3, "without orgIdentifier");
    create_repo(&api, "org.", &org_only, "r", url)
        .await
        .assert_error(400, 3, "no agent id");
    assert_eq!(
        create_repo(&api, "agent3", &proj(), "r", url).await.status,
        200
    );
    assert_eq!(
        create_repo(&api, "org.agent3", &org_only, "r", url)
            .await
            .status,
        200
    );
    create_repo(&api, AGENT, &acc(), "bad-id", url)
        .await
        .assert_error(400, 3, "not a valid Harness identifier");
    let agent = [("agentIdentifier", AGENT)];
    let argo_project =
        json!({"repo": {"repo": "https://github.com/example/p.git", "project": "team"}});
    api.call(Method::POST, REPOS, &agent, &with(org_only.clone(), &[("identifier", "p")]), Some(&argo_project))
        .await
        .assert_error(
            400,
            3,
            "project_id is required when creating repo in project, cannot set argocd project for account level repo",
        );
    assert_eq!(
        api.call(
            Method::POST,
            REPOS,
            &agent,
            &with(proj(), &[("identifier", "p")]),
            Some(&argo_project)
        )
        .await
        .status,
        200
    );
    // The same identifier in another scope is another entity.
    let get = [("agentIdentifier", "agent3"), ("identifier", "r")];
    assert_eq!(
        api.call(Method::GET, REPO, &get, &proj(), None)
            .await
            .status,
        200
    );
    let other = vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", "proj9"),
    ];
    api.call(Method::GET, REPO, &get, &other, None)
        .await
        .assert_error(404, 5, "not found");
}

#[tokio::test]
async fn application_rules_are_enforced() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let url = "https://github.com/example/rules.git";
    let org_only = vec![("accountIdentifier", ACCOUNT), ("orgIdentifier", ORG)];
    // A repository in the org scope serves the project's applications.
    assert_eq!(
        create_repo(&api, AGENT, &org_only, "orgrepo", url)
            .await
            .status,
        200
    );
    let body = app_body("a1", url, "p");
    api.call(Method::POST, APPS, &agent, &org_only, Some(&body))
        .await
        .assert_error(400, 3, "projectIdentifier are required");
    let mut no_project = body.clone();
    no_project["application"]["spec"]["project"] = json!("");
    api.call(Method::POST, APPS, &agent, &proj(), Some(&no_project))
        .await
        .assert_error(400, 3, "spec.project");
    let mut two_dest = body.clone();
    two_dest["application"]["spec"]["destination"]["name"] = json!("in-cluster");
    api.call(Method::POST, APPS, &agent, &proj(), Some(&two_dest))
        .await
        .assert_error(400, 3, "both name and server");
    let unknown = app_body("a2", "https://github.com/example/unknown.git", "p");
    api.call(Method::POST, APPS, &agent, &proj(), Some(&unknown))
        .await
        .assert_error(400, 3, "not registered");
    let skip = with(proj(), &[("skipRepoValidation", "true")]);
    let skipped = api
        .call(Method::POST, APPS, &agent, &skip, Some(&unknown))
        .await;
    assert_eq!(skipped.status, 200, "{}", skipped.body);
    assert_eq!(skipped.body["skipRepoValidation"], true);
    let missing_ids = with(
        proj(),
        &[("repoIdentifiers", "orgrepo"), ("repoIdentifiers", "nope")],
    );
    api.call(Method::POST, APPS, &agent, &missing_ids, Some(&body))
        .await
        .assert_error(400, 3, "\"nope\"");
    api.call(
        Method::POST,
        APPS,
        &agent,
        &with(proj(), &[("clusterIdentifier", "nope")]),
        Some(&body),
    )
    .await
    .assert_error(400, 3, "cluster \"nope\"");
    let ids = with(
        proj(),
        &[
            ("repoIdentifiers", "orgrepo"),
            ("repoIdentifiers", "orgrepo"),
        ],
    );
    let ok = api
        .call(Method::POST, APPS, &agent, &ids, Some(&body))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["repoIdentifiers"], json!(["orgrepo", "orgrepo"]));
    let mut bad_name = body.clone();
    bad_name["application"]["metadata"]["name"] = json!("Bad_Name");
    api.call(Method::POST, APPS, &agent, &proj(), Some(&bad_name))
        .await
        .assert_error(400, 3, "Kubernetes name");
    let mut generated = body.clone();
    generated["application"]["metadata"] = json!({"generateName": "gen-"});
    let gen = api
        .call(Method::POST, APPS, &agent, &proj(), Some(&generated))
        .await;
    assert!(
        gen.body["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("gen-") && n.len() == 9),
        "{}",
        gen.body
    );
    // Multi-source: every source must be known.
    let mut multi = app_body("multi", url, "p");
    multi["application"]["spec"]["sources"] = json!([
        {"repoURL": url, "path": "a", "targetRevision": "main"},
        {"repoURL": "https://github.com/example/unknown.git", "path": "b", "targetRevision": "main"}
    ]);
    api.call(Method::POST, APPS, &agent, &proj(), Some(&multi))
        .await
        .assert_error(400, 3, "unknown.git");
}

async fn app_status(api: &Api, name: &str) -> Value {
    let get = [("agentIdentifier", AGENT), ("query.name", name)];
    let ans = api.call(Method::GET, APP_GET, &get, &proj(), None).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    ans.body["app"]["status"].clone()
}

#[tokio::test]
async fn sync_status_follows_the_delay_and_fail_sync() {
    let emu = Emulator::start(&["--sync-delay", "1s"]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let url = "https://github.com/example/sync.git";
    assert_eq!(
        create_repo(&api, AGENT, &acc(), "sync", url).await.status,
        200
    );
    let created = api
        .call(
            Method::POST,
            APPS,
            &agent,
            &proj(),
            Some(&app_body("ok", url, "apps/ok")),
        )
        .await;
    let s = &created.body["app"]["status"];
    assert_eq!(
        (s["sync"]["status"].clone(), s["health"]["status"].clone()),
        (json!("OutOfSync"), json!("Progressing"))
    );
    assert_eq!(s["operationState"]["phase"], "Running");
    assert!(s.get("reconciledAt").is_none(), "never reconciled yet: {s}");
    let failing = api
        .call(
            Method::POST,
            APPS,
            &agent,
            &proj(),
            Some(&app_body("bad", url, "apps/fail-sync/x")),
        )
        .await;
    assert_eq!(failing.status, 200);

    let synced = eventually(Duration::from_secs(15), "ok to sync", || async {
        let s = app_status(&api, "ok").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert_eq!(synced["health"]["status"], "Healthy");
    assert_eq!(synced["operationState"]["phase"], "Succeeded");
    let revision = synced["sync"]["revision"].as_str().unwrap_or("");
    assert!(
        revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()),
        "revision {revision}"
    );
    let reconciled = synced["reconciledAt"]["seconds"].clone();
    assert!(reconciled.is_string(), "{synced}");

    let bad = eventually(Duration::from_secs(15), "bad to finish", || async {
        let s = app_status(&api, "bad").await;
        (s["operationState"]["phase"] != "Running").then_some(s)
    })
    .await;
    assert_eq!(bad["operationState"]["phase"], "Failed", "{bad}");
    assert_eq!(bad["health"]["status"], "Degraded");
    assert_eq!(bad["sync"]["status"], "OutOfSync");
    assert!(bad["operationState"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("fail-sync"));

    // An update restarts the sync; reconciledAt keeps the old value until it is done.
    let mut changed = app_body("ok", url, "apps/ok");
    changed["application"]["spec"]["source"]["targetRevision"] = json!("v2");
    let put = [
        ("agentIdentifier", AGENT),
        ("request.application.metadata.name", "ok"),
    ];
    let updated = api
        .call(Method::PUT, APP_PUT, &put, &proj(), Some(&changed))
        .await;
    let us = &updated.body["app"]["status"];
    assert_eq!(us["sync"]["status"], "OutOfSync");
    assert_eq!(
        us["reconciledAt"]["seconds"], reconciled,
        "previous reconciliation until the new one ends"
    );
    let resynced = eventually(Duration::from_secs(15), "ok to re-sync", || async {
        let s = app_status(&api, "ok").await;
        (s["sync"]["status"] == "Synced").then_some(s)
    })
    .await;
    assert_ne!(
        resynced["reconciledAt"]["seconds"], reconciled,
        "reconciledAt moved: {resynced}"
    );
    assert_ne!(
        resynced["sync"]["revision"].as_str(),
        Some(revision),
        "new target, new revision"
    );

    // Multi-source applications report revisions.
    let mut multi = app_body("multi", url, "a");
    multi["application"]["spec"]["sources"] = json!([
        {"repoURL": url, "path": "a", "targetRevision": "main"},
        {"repoURL": url, "path": "b/fail-sync", "targetRevision": "main"}
    ]);
    assert_eq!(
        api.call(Method::POST, APPS, &agent, &proj(), Some(&multi))
            .await
            .status,
        200
    );
    let ms = eventually(Duration::from_secs(15), "multi to finish", || async {
        let s = app_status(&api, "multi").await;
        (s["operationState"]["phase"] != "Running").then_some(s)
    })
    .await;
    assert_eq!(
        ms["operationState"]["phase"], "Failed",
        "any failing source fails the sync"
    );
    assert_eq!(
        ms["sync"]["revisions"].as_array().map(Vec::len),
        Some(2),
        "{ms}"
    );
}

#[tokio::test]
async fn admin_api_drift_delete_reset_and_counts() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let url = "https://github.com/example/drift.git";
    assert_eq!(
        create_repo(&api, AGENT, &acc(), "drift", url).await.status,
        200
    );
    assert_eq!(
        api.call(
            Method::POST,
            APPS,
            &agent,
            &proj(),
            Some(&app_body("d1", url, "p"))
        )
        .await
        .status,
        200
    );
    let key = format!("accountIdentifier={ACCOUNT}&orgIdentifier={ORG}&projectIdentifier={PROJECT}&agentIdentifier={AGENT}&name=d1");
    let patch = json!({"spec": {"source": {"targetRevision": "drifted"}}, "metadata": {"labels": {"team": null, "x": "y"}}});
    let resp = emu
        .admin(Method::PATCH, &format!("applications?{key}"), Some(&patch))
        .await
        .expect("patch");
    assert_eq!(resp.status(), 200);
    let get = [("agentIdentifier", AGENT), ("query.name", "d1")];
    let got = api.call(Method::GET, APP_GET, &get, &proj(), None).await;
    assert_eq!(
        got.body["app"]["spec"]["source"]["targetRevision"],
        "drifted"
    );
    assert_eq!(got.body["app"]["metadata"]["labels"], json!({"x": "y"}));
    assert_eq!(got.body["app"]["metadata"]["resourceVersion"], "2");

    let bad = emu
        .admin(
            Method::PATCH,
            &format!("applications?{key}"),
            Some(&json!({"spec": {"project": 5}})),
        )
        .await
        .expect("patch");
    assert_eq!(bad.status(), 400, "a drift must still match the document");

    let repo_key = format!("agentIdentifier={AGENT}&identifier=drift");
    let resp = emu
        .admin(
            Method::PATCH,
            &format!("repositories?{repo_key}"),
            Some(&json!({"username": "eve", "password": "hunter2"})),
        )
        .await
        .expect("patch");
    assert_eq!(resp.status(), 200);
    let patched: Value = resp.json().await.expect("JSON");
    assert_eq!(
        patched["repository"]["password"], MASK,
        "the admin answer masks secrets unless asked"
    );
    let clear = emu
        .admin(
            Method::PATCH,
            &format!("repositories?{repo_key}&secrets=clear"),
            Some(&json!({})),
        )
        .await
        .expect("patch");
    let clear: Value = clear.json().await.expect("JSON");
    assert_eq!(clear["repository"]["password"], "hunter2");
    let r = api
        .call(
            Method::GET,
            REPO,
            &[("agentIdentifier", AGENT), ("identifier", "drift")],
            &acc(),
            None,
        )
        .await;
    assert_eq!(r.body["repository"]["username"], "eve");

    let resp = emu
        .admin(Method::DELETE, &format!("applications?{key}"), None)
        .await
        .expect("delete");
    assert_eq!(resp.status(), 200);
    api.call(Method::GET, APP_GET, &get, &proj(), None)
        .await
        .assert_error(404, 5, "d1");
    let again = emu
        .admin(Method::DELETE, &format!("applications?{key}"), None)
        .await
        .expect("delete");
    assert_eq!(again.status(), 404);

    let counts = emu.counters().await;
    assert_eq!(counts["requests"]["repositories.create"], 1);
    assert_eq!(counts["applied"]["repositories.create"], 1);
    assert_eq!(counts["requests"]["applications.create"], 1);
    assert_eq!(counts["requests"]["applications.get"], 2);
    assert!(
        counts["applied"].get("applications.get").is_none(),
        "a GET changes nothing: {counts}"
    );
    assert_eq!(counts["requests"]["repositories.get"], 1);
    assert_eq!(
        counts["faults"],
        json!({"before.unavailable": 0, "before.tooManyRequests": 0, "before.drop": 0, "after.drop": 0})
    );
    assert!(
        counts["connections"].as_u64().is_some_and(|n| n >= 1),
        "{counts}"
    );
    let state = emu.admin_get("state").await;
    assert_eq!(state["repositories"].as_array().map(Vec::len), Some(1));
    assert_eq!(state["repositories"][0]["repository"]["password"], MASK);
    assert_eq!(state["applications"], json!([]));
    for r in state["repositories"].as_array().into_iter().flatten() {
        contract().assert_valid("servicev1Repository", r, "admin state");
    }

    let reset = emu.admin(Method::POST, "reset", None).await.expect("reset");
    assert_eq!(reset.status(), 200);
    let state = emu.admin_get("state").await;
    assert_eq!(
        state,
        json!({"repositories": [], "clusters": [], "applications": [], "agents": []})
    );
    let counts = emu.counters().await;
    assert_eq!(counts["requests"], json!({}));
    assert_eq!(counts["applied"], json!({}));
}

/// The admin API refuses requests without the key, with another key, addressed to a
/// non-loopback name (DNS rebinding), and masks secrets unless `secrets=clear`.
#[tokio::test]
async fn admin_api_needs_the_key_and_a_loopback_host() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    assert_eq!(
        create_cluster(&api, AGENT, &acc(), "c1", "https://k8s.example.com")
            .await
            .status,
        200
    );
    let http = reqwest::Client::new();
    let c = contract();
    let state_url = format!("{}/_emulator/state", emu.url);
    let refusal = |resp: reqwest::Response, status: u16, code: i64, needle: &'static str| {
        let c = c.clone();
        async move {
            assert_eq!(resp.status().as_u16(), status, "{needle}");
            let body: Value = resp.json().await.expect("JSON");
            assert_eq!(body["code"], code, "{body}");
            assert!(
                body["message"].as_str().unwrap_or("").contains(needle),
                "{body} lacks {needle:?}"
            );
            c.assert_valid("gatewayruntimeError", &body, "admin refusal");
        }
    };
    let no_key = http.get(&state_url).send().await.expect("request");
    refusal(no_key, 401, 16, "x-api-key").await;
    let wrong = http
        .get(&state_url)
        .header("x-api-key", "wrong")
        .send()
        .await
        .expect("request");
    refusal(wrong, 401, 16, "invalid API key").await;
    for (path, method) in [("reset", Method::POST), ("requests", Method::GET)] {
        let r = http
            .request(method, format!("{}/_emulator/{path}", emu.url))
            .send()
            .await
            .expect("request");
        refusal(r, 401, 16, "x-api-key").await;
    }
    for host in [
        "evil.example.com",
        "evil.example.com:80",
        "10.0.0.1",
        "127.0.0.1.nip.io",
    ] {
        let rebound = http
            .get(&state_url)
            .header("x-api-key", KEY)
            .header("host", host)
            .send()
            .await
            .expect("request");
        refusal(rebound, 403, 7, "loopback name").await;
    }
    for host in [
        "localhost",
        "localhost:1234",
        "127.0.0.1",
        "[::1]:99",
        "127.1.2.3:8",
    ] {
        let ok = http
            .get(&state_url)
            .header("x-api-key", KEY)
            .header("host", host)
            .send()
            .await
            .expect("request");
        assert_eq!(ok.status(), 200, "Host {host}");
    }
    let masked = emu.admin_get("state").await;
    assert_eq!(
        masked["clusters"][0]["cluster"]["config"]["bearerToken"],
        MASK
    );
    let clear = emu.admin_get("state?secrets=clear").await;
    assert_eq!(
        clear["clusters"][0]["cluster"]["config"]["bearerToken"],
        "tok"
    );
    let bad = emu
        .admin(Method::GET, "state?secrets=yes", None)
        .await
        .expect("request");
    assert_eq!(bad.status(), 400);
    // Nothing of the refused requests reached the state.
    assert_eq!(masked["clusters"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn other_paths_answer_in_the_error_shape() {
    let emu = Emulator::start(&[]).await;
    let http = reqwest::Client::new();
    let c = contract();
    for (method, path, status, code) in [
        (Method::GET, "/gitops/api/v1/nothing", 404, 5),
        (Method::GET, "/api/v1/agents/a/repositories", 404, 5),
        (
            Method::PATCH,
            "/gitops/api/v1/agents/account.a/clusters",
            405,
            12,
        ),
        (
            Method::POST,
            "/gitops/api/v1/agents/account.a/applications/x/rollback",
            501,
            12,
        ),
        (Method::GET, "/_emulator/nothing", 404, 5),
    ] {
        let resp = http
            .request(
                method.clone(),
                format!("{}{path}?accountIdentifier={ACCOUNT}", emu.url),
            )
            .header("x-api-key", KEY)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let body: Value = resp.json().await.expect("JSON error body");
        assert_eq!(body["code"], code, "{method} {path}: {body}");
        c.assert_valid("gatewayruntimeError", &body, path);
    }
}
