//! Component tests of `harness::Client` against a scripted fake Harness server on 127.0.0.1:
//! every request is checked against the script (method, path, query) and against the auth
//! rules (x-api-key present, no Authorization, User-Agent), and the server plays scripted
//! failures (5xx, 429 + Retry-After, dropped connections, hangs, HTML pages).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness_gitops_client::models::*;
use harness_gitops_client::Secret;
use harness_gitops_client::{
    AgentScope, AppQuery, ApplicationDeleteOptions, Client, ClientConfig, ClusterUpdateOptions,
    DeleteOptions, Error, RetryBackoff, Scope,
};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const KEY: &str = "pat.K3Y.s3cr3t-api-key";
const ACCOUNT: &str = "ACC1";
/// Every test finishes well within this, or fails.
const TEST_LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The fake server
// ---------------------------------------------------------------------------------------------

/// What the fake does with a request.
#[derive(Clone)]
enum Reply {
    Json(u16, Value),
    /// JSON plus extra response headers.
    JsonHeaders(u16, Value, Vec<(&'static str, &'static str)>),
    /// A proxy's HTML page.
    Html(u16),
    /// A YAML body (`application/yaml`).
    Yaml(&'static str),
    /// Read the whole request, then close the connection without answering.
    Drop,
    /// Never answer.
    Hang,
}

struct Step {
    method: &'static str,
    path: String,
    /// Exact query pairs besides accountIdentifier/routingId (which every request must carry),
    /// compared order-insensitively.
    query: Vec<(String, String)>,
    reply: Reply,
}

/// A request as the fake saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    body: Vec<u8>,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Step>,
    seen: Vec<Seen>,
    problems: Vec<String>,
}

struct Fake {
    base: String,
    state: Arc<Mutex<State>>,
}

fn step(method: &'static str, path: &str, query: &[(&str, &str)], reply: Reply) -> Step {
    Step {
        method,
        path: path.to_string(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        reply,
    }
}

impl Fake {
    async fn start(script: Vec<Step>) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            ..Default::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let kill = Arc::new(Notify::new());
                    let kill_in_handler = kill.clone();
                    let service = hyper::service::service_fn(move |req| {
                        handle(state.clone(), kill_in_handler.clone(), req)
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = kill.notified() => {} // dropping `conn` closes the socket
                    }
                });
            }
        });
        Fake {
            base: format!("http://{addr}/gateway"),
            state,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    fn count(&self, method: &str) -> usize {
        self.seen().iter().filter(|s| s.method == method).count()
    }

    /// Fails the test if any request broke a rule or the script was not fully played.
    fn finish(&self) {
        let st = self.state.lock().unwrap();
        assert!(
            st.problems.is_empty(),
            "fake server saw problems:\n{}",
            st.problems.join("\n")
        );
        let left: Vec<String> = st
            .script
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect();
        assert!(left.is_empty(), "scripted requests never came: {left:?}");
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    kill: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let headers = req.headers().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();

    let reply = {
        let mut st = state.lock().unwrap();
        let mut problems = Vec::new();
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
            problems.push(format!("{method} {path}: x-api-key missing or wrong"));
        }
        if headers.contains_key("authorization") {
            problems.push(format!("{method} {path}: an Authorization header was sent"));
        }
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ua.starts_with("terraform-provider-harness/") {
            problems.push(format!("{method} {path}: User-Agent {ua:?}"));
        }
        let mut rest: Vec<(String, String)> = Vec::new();
        let (mut account, mut routing) = (0, 0);
        for (k, v) in &query {
            match k.as_str() {
                "accountIdentifier" if v == ACCOUNT => account += 1,
                "routingId" if v == ACCOUNT => routing += 1,
                _ => rest.push((k.clone(), v.clone())),
            }
        }
        // The ApplicationSet list carries its scope in the body: only `routingId` is sent.
        let body_scoped = path.ends_with("/applicationsets");
        if body_scoped && (account != 0 || routing != 1) {
            problems.push(format!(
                "{method} {path}: only routingId={ACCOUNT} expected: {query:?}"
            ));
        } else if !body_scoped && (account != 1 || routing != 1) {
            problems.push(format!("{method} {path}: accountIdentifier/routingId must both be {ACCOUNT} once: {query:?}"));
        }
        let reply = match st.script.pop_front() {
            None => {
                problems.push(format!(
                    "unexpected request {method} {path} {query:?} (script exhausted)"
                ));
                Reply::Json(
                    418,
                    json!({"code": 2, "message": "fake: unexpected request"}),
                )
            }
            Some(expected) => {
                let mut want = expected.query.clone();
                want.sort();
                rest.sort();
                if expected.method != method || expected.path != path || want != rest {
                    problems.push(format!(
                        "expected {} {} {:?}\n     got {method} {path} {rest:?}",
                        expected.method, expected.path, want
                    ));
                }
                expected.reply
            }
        };
        st.problems.extend(problems);
        st.seen.push(Seen { method, body });
        reply
    };

    let json_response = |status: u16, v: &Value, extra: &[(&str, &str)]| {
        let mut b = Response::builder()
            .status(status)
            .header("content-type", "application/json");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        b.body(Full::new(Bytes::from(v.to_string())))
            .expect("response")
    };
    Ok(match reply {
        Reply::Json(status, v) => json_response(status, &v, &[]),
        Reply::JsonHeaders(status, v, extra) => json_response(status, &v, &extra),
        Reply::Html(status) => Response::builder()
            .status(status)
            .header("content-type", "text/html; charset=utf-8")
            .body(Full::new(Bytes::from_static(
                b"<html><body><h1>Bad Gateway</h1></body></html>",
            )))
            .expect("response"),
        Reply::Yaml(text) => Response::builder()
            .status(200)
            .header("content-type", "application/yaml")
            .body(Full::new(Bytes::from_static(text.as_bytes())))
            .expect("response"),
        Reply::Drop => {
            kill.notify_one();
            std::future::pending().await
        }
        Reply::Hang => std::future::pending().await,
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const FAST: RetryBackoff = RetryBackoff {
    initial: Duration::from_millis(10),
    max: Duration::from_millis(40),
};

fn config(endpoint: &str) -> ClientConfig {
    ClientConfig {
        endpoint: endpoint.to_string(),
        account_id: ACCOUNT.to_string(),
        api_key: Secret::new(KEY),
        request_timeout: Duration::from_secs(10),
        max_retries: 3,
    }
}

fn client(fake: &Fake) -> Client {
    Client::with_backoff(config(&fake.base), CancellationToken::new(), FAST).expect("client")
}

const REPOS: &str = "/gateway/gitops/api/v1/agents/account.ag1/repositories";

fn repo_body(id: &str) -> Value {
    json!({
        "accountIdentifier": ACCOUNT, "agentIdentifier": "account.ag1", "identifier": id,
        "repository": {"repo": "https://github.com/o/r", "connectionType": "HTTPS_ANONYMOUS", "password": "*****"},
        "createdAt": "2024-01-01T00:00:00Z"
    })
}

fn not_found() -> Reply {
    Reply::Json(
        404,
        json!({"error": "not found", "code": 5, "message": "repository not found", "details": []}),
    )
}

fn create_request() -> RepositoryCreateRequest {
    RepositoryCreateRequest {
        upsert: Some(false),
        repo: Some(Repository {
            repo: Some("https://github.com/o/r".into()),
            connection_type: Some("HTTPS".into()),
            username: Some("u".into()),
            password: Some(Secret::new("repo-password-123")),
            insecure: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("test exceeded its time limit")
}

/// No error text may carry the API key or request-body secrets.
fn assert_clean(e: &Error) {
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(KEY) && !text.contains("s3cr3t"),
        "API key in error: {text}"
    );
    assert!(
        !text.contains("repo-password-123"),
        "request body secret in error: {text}"
    );
    assert!(!e.to_string().contains('\n'), "error is not one line: {e}");
}

// ---------------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn repository_crud_sends_exact_requests() {
    bounded(async {
        let fake = Fake::start(vec![
            step(
                "POST",
                REPOS,
                &[("identifier", "r1")],
                Reply::Json(200, repo_body("r1")),
            ),
            step(
                "GET",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(200, repo_body("r1")),
            ),
            step(
                "PUT",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(200, repo_body("r1")),
            ),
            step(
                "GET",
                REPOS,
                &[],
                Reply::Json(200, json!({"items": [{"repo": "https://github.com/o/r"}]})),
            ),
            step(
                "DELETE",
                &format!("{REPOS}/r1"),
                &[("forceDelete", "true")],
                Reply::Json(200, json!({})),
            ),
            step(
                "DELETE",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(200, json!({})),
            ),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::account("account.ag1");
        let repos = c.repositories();
        let created = repos
            .create(&scope, "r1", &create_request())
            .await
            .expect("create");
        assert_eq!(created.identifier.as_deref(), Some("r1"));
        let got = repos.get(&scope, "r1").await.expect("get");
        assert_eq!(
            got.repository.unwrap().connection_type.as_deref(),
            Some("HTTPS_ANONYMOUS")
        );
        let update = RepositoryUpdateRequest {
            repo: create_request().repo,
            ..Default::default()
        };
        repos.update(&scope, "r1", &update).await.expect("update");
        let list = repos.list(&scope).await.expect("list");
        assert_eq!(list.items.unwrap().len(), 1);
        repos
            .delete(&scope, "r1", DeleteOptions { force_delete: true })
            .await
            .expect("delete");
        repos
            .delete(&scope, "r1", DeleteOptions::default())
            .await
            .expect("delete");
        fake.finish();

        let seen = fake.seen();
        // Explicit false and the password are on the wire (the Go client cannot send false).
        let body = seen[0].json();
        assert_eq!(body["upsert"], json!(false));
        assert_eq!(body["repo"]["insecure"], json!(false));
        assert_eq!(body["repo"]["password"], json!("repo-password-123"));
        assert_eq!(seen[2].json()["repo"]["insecure"], json!(false));
        assert!(
            seen[1].body.is_empty() && seen[4].body.is_empty(),
            "GET/DELETE carry no body"
        );
    })
    .await
}

#[tokio::test]
async fn project_scope_and_percent_encoding() {
    bounded(async {
        let path = "/gateway/gitops/api/v1/agents/agent%201/clusters/my%20id%2Fx%3F";
        let fake = Fake::start(vec![step(
            "GET",
            path,
            &[("orgIdentifier", "o 1"), ("projectIdentifier", "p&1")],
            Reply::Json(
                200,
                json!({"identifier": "my id/x?", "cluster": {"server": "https://k"}}),
            ),
        )])
        .await;
        let c = client(&fake);
        let got = c
            .clusters()
            .get(&Scope::project("o 1", "p&1", "agent 1"), "my id/x?")
            .await
            .expect("get");
        assert_eq!(got.cluster.unwrap().server.as_deref(), Some("https://k"));
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn unusable_path_segments_and_scopes_are_refused_before_sending() {
    bounded(async {
        let fake = Fake::start(vec![]).await;
        let c = client(&fake);
        for id in ["", ".", ".."] {
            let e = c
                .repositories()
                .get_opt(&Scope::account("account.a"), id)
                .await
                .unwrap_err();
            assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
        }
        let e = c
            .repositories()
            .list(&Scope::account(""))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("agent identifier is empty"), "{e}");
        let e = c
            .applications()
            .get(&Scope::org("o", "org.a"), "app")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("project-scoped"), "{e}");
        assert!(fake.seen().is_empty());
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn cluster_update_sends_updated_fields_and_force_update() {
    bounded(async {
        let path = "/gateway/gitops/api/v1/agents/org.ag/clusters/c1";
        let ok = Reply::Json(
            200,
            json!({"identifier": "c1", "cluster": {"server": "https://k"}}),
        );
        let fake = Fake::start(vec![
            step(
                "PUT",
                path,
                &[("orgIdentifier", "o"), ("forceUpdate", "true")],
                ok.clone(),
            ),
            step("DELETE", path, &[("orgIdentifier", "o")], not_found()),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::org("o", "org.ag");
        let old = Cluster {
            server: Some("https://k".into()),
            name: Some("a".into()),
            ..Default::default()
        };
        let req = ClusterUpdateRequest {
            cluster: Some(Cluster {
                name: Some("b".into()),
                cluster_resources: Some(false),
                ..old.clone()
            }),
            ..Default::default()
        }
        .with_updated_fields_from(&old, None, None);
        c.clusters()
            .update_with(
                &scope,
                "c1",
                &req,
                ClusterUpdateOptions { force_update: true },
            )
            .await
            .expect("update");
        // 404 + code 5 on delete: already gone.
        c.clusters()
            .delete(&scope, "c1", DeleteOptions::default())
            .await
            .expect("delete of a gone cluster");
        fake.finish();
        let body = fake.seen()[0].json();
        assert_eq!(body["updatedFields"], json!(["name", "clusterResources"]));
        assert_eq!(body["cluster"]["clusterResources"], json!(false));
    })
    .await
}

#[tokio::test]
async fn application_query_parameters_and_name_check() {
    bounded(async {
        let apps = "/gateway/gitops/api/v1/agents/ag/applications";
        let body = json!({"name": "app1", "app": {"metadata": {"name": "app1"}, "spec": {"project": "default"}}});
        let q: &[(&str, &str)] = &[
            ("orgIdentifier", "o"),
            ("projectIdentifier", "p"),
            ("clusterIdentifier", "c1"),
            ("repoIdentifiers", "r1"),
            ("repoIdentifiers", "r2"),
            ("skipRepoValidation", "true"),
        ];
        let fake = Fake::start(vec![
            step("POST", apps, q, Reply::Json(200, body.clone())),
            step("PUT", &format!("{apps}/app1"), &[("orgIdentifier", "o"), ("projectIdentifier", "p"), ("clusterIdentifier", "c1"), ("repoIdentifier", "r1")], Reply::Json(200, body.clone())),
            step(
                "DELETE",
                &format!("{apps}/app1"),
                &[("orgIdentifier", "o"), ("projectIdentifier", "p"), ("request.cascade", "false"), ("options.forceDelete", "true")],
                Reply::Json(200, json!({})),
            ),
            step("DELETE", &format!("{apps}/app1"), &[("orgIdentifier", "o"), ("projectIdentifier", "p")], Reply::Json(200, json!({}))),
            step("POST", &format!("{apps}/app1/sync"), &[("orgIdentifier", "o"), ("projectIdentifier", "p")], Reply::Json(200, body.clone())),
            // In a namespace: get, delete and sync name it.
            step("GET", &format!("{apps}/app1"), &[("orgIdentifier", "o"), ("projectIdentifier", "p"), ("query.appNamespace", "team-a")], Reply::Json(200, body.clone())),
            step("GET", &format!("{apps}/app1"), &[("orgIdentifier", "o"), ("projectIdentifier", "p")], Reply::Json(200, body.clone())),
            step(
                "DELETE",
                &format!("{apps}/app1"),
                &[("orgIdentifier", "o"), ("projectIdentifier", "p"), ("request.appNamespace", "team-a")],
                Reply::Json(200, json!({})),
            ),
            step("POST", &format!("{apps}/app1/sync"), &[("orgIdentifier", "o"), ("projectIdentifier", "p")], Reply::Json(200, body.clone())),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::project("o", "p", "ag");
        let app = Application {
            metadata: Some(ObjectMeta { name: Some("app1".into()), ..Default::default() }),
            spec: Some(ApplicationSpec {
                project: Some("default".into()),
                sync_policy: Some(SyncPolicy {
                    automated: Some(SyncPolicyAutomated { prune: Some(false), self_heal: Some(true), allow_empty: None }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let query = AppQuery {
            cluster_identifier: Some("c1".into()),
            repo_identifier: None,
            repo_identifiers: vec!["r1".into(), "r2".into()],
            skip_repo_validation: true,
        };
        let create = ApplicationCreateRequest { application: Some(app.clone()), validate: Some(false), ..Default::default() };
        let got = c.applications().create(&scope, "app1", &query, &create).await.expect("create");
        assert_eq!(got.app.unwrap().metadata.unwrap().name.as_deref(), Some("app1"));

        let update_query = AppQuery { cluster_identifier: Some("c1".into()), repo_identifier: Some("r1".into()), ..Default::default() };
        let update = ApplicationUpdateRequest { application: Some(app.clone()), ..Default::default() };
        c.applications().update(&scope, "app1", &update_query, &update).await.expect("update");
        let opts = ApplicationDeleteOptions { force_delete: true, cascade: Some(false), ..Default::default() };
        c.applications().delete(&scope, "app1", opts).await.expect("delete");
        c.applications().delete(&scope, "app1", DeleteOptions::default()).await.expect("delete");
        let sync = ApplicationSyncRequest {
            name: Some("app1".into()),
            prune: Some(false),
            sync_options: Some(SyncOptions { items: Some(vec!["CreateNamespace=true".into()]) }),
            ..Default::default()
        };
        c.applications().sync(&scope, "app1", &sync).await.expect("sync");

        assert!(c.applications().get_opt_in(&scope, "app1", Some("team-a")).await.expect("get").is_some());
        assert!(c.applications().get_opt_in(&scope, "app1", Some("")).await.expect("get").is_some());
        let opts = ApplicationDeleteOptions { app_namespace: Some("team-a".into()), ..Default::default() };
        c.applications().delete(&scope, "app1", opts).await.expect("delete");
        let sync_in = ApplicationSyncRequest { name: Some("app1".into()), app_namespace: Some("team-a".into()), ..Default::default() };
        c.applications().sync(&scope, "app1", &sync_in).await.expect("sync");

        // The body name must match the addressed name; refused before sending.
        let e = c.applications().create(&scope, "other", &query, &create).await.unwrap_err();
        assert!(matches!(e, Error::InvalidRequest { .. }) && e.to_string().contains("differs"), "{e}");
        fake.finish();
        let sent = fake.seen()[0].json();
        assert_eq!(sent["validate"], json!(false));
        assert_eq!(sent["application"]["spec"]["syncPolicy"]["automated"], json!({"prune": false, "selfHeal": true}));
        let synced = fake.seen()[4].json();
        assert_eq!(synced, json!({"name": "app1", "prune": false, "syncOptions": {"items": ["CreateNamespace=true"]}}));
        assert_eq!(fake.seen()[8].json(), json!({"name": "app1", "appNamespace": "team-a"}));
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Not found and soft-deleted
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn not_found_soft_deleted_and_other_404s() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![
            step("GET", &r1, &[], not_found()),
            step("GET", &r1, &[], not_found()),
            // 200 without `repository`: soft-deleted (PL-23765).
            step(
                "GET",
                &r1,
                &[],
                Reply::Json(
                    200,
                    json!({"identifier": "r1", "accountIdentifier": ACCOUNT}),
                ),
            ),
            // 404 that is not gRPC NotFound (e.g. unknown agent): an error, not "gone".
            step(
                "GET",
                &r1,
                &[],
                Reply::Json(404, json!({"code": 2, "message": "agent not registered"})),
            ),
            step(
                "DELETE",
                &r1,
                &[],
                Reply::Json(404, json!({"code": 2, "message": "agent not registered"})),
            ),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::account("account.ag1");
        assert!(c
            .repositories()
            .get_opt(&scope, "r1")
            .await
            .expect("get_opt")
            .is_none());
        let e = c.repositories().get(&scope, "r1").await.unwrap_err();
        assert!(
            e.is_not_found() && e.to_string().contains("not found"),
            "{e}"
        );
        assert!(c
            .repositories()
            .get_opt(&scope, "r1")
            .await
            .expect("soft-deleted")
            .is_none());
        let e = c.repositories().get_opt(&scope, "r1").await.unwrap_err();
        assert_eq!((e.status(), e.grpc_code()), (Some(404), Some(2)));
        assert!(
            e.to_string().contains("agent not registered")
                && e.to_string().contains("scope prefix"),
            "{e}"
        );
        let e = c
            .repositories()
            .delete(&scope, "r1", DeleteOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(404));
        fake.finish();
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retries_503_then_succeeds() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let unavailable = Reply::Json(503, json!({"code": 14, "message": "unavailable"}));
        let fake = Fake::start(vec![
            step("GET", &r1, &[], unavailable.clone()),
            step("GET", &r1, &[], Reply::Html(502)),
            step("GET", &r1, &[], Reply::Json(504, json!({}))),
            step("GET", &r1, &[], Reply::Json(200, repo_body("r1"))),
        ])
        .await;
        let got = client(&fake)
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .expect("get after retries");
        assert_eq!(got.identifier.as_deref(), Some("r1"));
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn retries_are_bounded_by_max_retries() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let unavailable = Reply::Json(503, json!({"code": 14, "message": "upstream down"}));
        let fake = Fake::start(
            (0..3)
                .map(|_| step("GET", &r1, &[], unavailable.clone()))
                .collect(),
        )
        .await;
        let mut cfg = config(&fake.base);
        cfg.max_retries = 2;
        let c = Client::with_backoff(cfg, CancellationToken::new(), FAST).unwrap();
        let e = c
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(503));
        assert!(
            e.to_string().contains("upstream down") && e.to_string().contains("after 3 attempts"),
            "{e}"
        );
        assert_clean(&e);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![
            step(
                "GET",
                &r1,
                &[],
                Reply::JsonHeaders(
                    429,
                    json!({"code": 8, "message": "slow down"}),
                    vec![("retry-after", "1")],
                ),
            ),
            step("GET", &r1, &[], Reply::Json(200, repo_body("r1"))),
        ])
        .await;
        let start = Instant::now();
        client(&fake)
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .expect("get");
        let waited = start.elapsed();
        // The backoff alone is ≤ 40 ms; Retry-After asked for 1 s.
        assert!(
            waited >= Duration::from_millis(950),
            "Retry-After not honoured: {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_gives_up_at_once() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![step(
            "GET",
            &r1,
            &[],
            Reply::JsonHeaders(
                429,
                json!({"code": 8, "message": "quota"}),
                vec![("retry-after", "3600")],
            ),
        )])
        .await;
        let start = Instant::now();
        let e = client(&fake)
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(e.status(), Some(429));
        assert!(e.to_string().contains("rate limiting"), "{e}");
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_create_is_resolved_by_lookup_without_second_post() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", REPOS, &[("identifier", "r1")], Reply::Drop),
            step(
                "GET",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(200, repo_body("r1")),
            ),
        ])
        .await;
        let got = client(&fake)
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .expect("create resolved by lookup");
        assert_eq!(got.identifier.as_deref(), Some("r1"));
        assert_eq!(
            fake.count("POST"),
            1,
            "a second POST could duplicate the repository"
        );
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_create_whose_lookup_fails_says_the_create_is_unresolved() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", REPOS, &[("identifier", "r1")], Reply::Drop),
            step(
                "GET",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(500, json!({"code": 13, "message": "internal error"})),
            ),
        ])
        .await;
        let e = client(&fake)
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .expect_err("neither the create nor the lookup answered");
        assert!(matches!(e, Error::CreateUnresolved { .. }), "{e}");
        assert!(
            e.is_create_unresolved(),
            "the caller must record the object"
        );
        assert!(e.to_string().contains("may have been applied"), "{e}");
        assert_eq!(
            fake.count("POST"),
            1,
            "never a second POST while unresolved"
        );
        assert_clean(&e);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_create_not_applied_is_sent_again() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", REPOS, &[("identifier", "r1")], Reply::Drop),
            step("GET", &format!("{REPOS}/r1"), &[], not_found()),
            step(
                "POST",
                REPOS,
                &[("identifier", "r1")],
                Reply::Json(200, repo_body("r1")),
            ),
        ])
        .await;
        client(&fake)
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .expect("create");
        fake.finish();
        let posts: Vec<Seen> = fake
            .seen()
            .into_iter()
            .filter(|s| s.method == "POST")
            .collect();
        assert_eq!(
            posts[0].body, posts[1].body,
            "the retry re-sends the same body"
        );
    })
    .await
}

#[tokio::test]
async fn conflict_after_an_ambiguous_attempt_is_resolved_by_lookup() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![
            step(
                "POST",
                REPOS,
                &[("identifier", "r1")],
                Reply::Json(503, json!({"code": 14, "message": "busy"})),
            ),
            step("GET", &r1, &[], not_found()), // not visible yet
            step(
                "POST",
                REPOS,
                &[("identifier", "r1")],
                Reply::Json(409, json!({"code": 6, "message": "entity already exists"})),
            ),
            step("GET", &r1, &[], Reply::Json(200, repo_body("r1"))),
        ])
        .await;
        let got = client(&fake)
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .expect("create");
        assert_eq!(got.identifier.as_deref(), Some("r1"));
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn conflict_on_a_clean_first_attempt_is_an_error() {
    bounded(async {
        let fake = Fake::start(vec![step(
            "POST",
            REPOS,
            &[("identifier", "r1")],
            Reply::Json(409, json!({"code": 6, "message": "entity already exists"})),
        )])
        .await;
        let e = client(&fake)
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .unwrap_err();
        assert!(e.is_already_exists(), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("entity already exists") && text.contains("import"),
            "{text}"
        );
        assert!(
            text.starts_with("create repository \"r1\" (agent \"account.ag1\")"),
            "{text}"
        );
        assert_clean(&e);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn timed_out_create_is_resolved_by_lookup_within_the_deadline() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", REPOS, &[("identifier", "r1")], Reply::Hang),
            step(
                "GET",
                &format!("{REPOS}/r1"),
                &[],
                Reply::Json(200, repo_body("r1")),
            ),
        ])
        .await;
        let mut cfg = config(&fake.base);
        cfg.request_timeout = Duration::from_millis(1200);
        let c = Client::with_backoff(cfg, CancellationToken::new(), FAST).unwrap();
        let start = Instant::now();
        let got = c
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .expect("create");
        assert_eq!(got.identifier.as_deref(), Some("r1"));
        assert!(
            start.elapsed() < Duration::from_millis(2500),
            "deadline overrun: {:?}",
            start.elapsed()
        );
        assert_eq!(fake.count("POST"), 1);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn hanging_server_gives_a_timeout_error() {
    bounded(async {
        let fake = Fake::start(vec![step("GET", &format!("{REPOS}/r1"), &[], Reply::Hang)]).await;
        let mut cfg = config(&fake.base);
        cfg.request_timeout = Duration::from_millis(500);
        let c = Client::with_backoff(cfg, CancellationToken::new(), FAST).unwrap();
        let start = Instant::now();
        let e = c
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
        assert!(
            start.elapsed() < Duration::from_millis(2500),
            "{:?}",
            start.elapsed()
        );
        assert!(e.to_string().contains("within 0.5s"), "{e}");
        fake.finish();
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cancellation_mid_retry_returns_promptly() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let unavailable = Reply::Json(503, json!({"code": 14, "message": "unavailable"}));
        let fake = Fake::start(vec![step("GET", &r1, &[], unavailable)]).await;
        let cancel = CancellationToken::new();
        // Long backoff: without cancellation the call would sleep for seconds.
        let slow = RetryBackoff {
            initial: Duration::from_secs(8),
            max: Duration::from_secs(8),
        };
        let c = Client::with_backoff(config(&fake.base), cancel.clone(), slow).unwrap();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stopper.cancel();
        });
        let start = Instant::now();
        let e = c
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert!(e.is_cancelled(), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(e.to_string().contains("provider is stopping"), "{e}");
        // Later calls fail at once, without a request.
        let e = c
            .clone()
            .repositories()
            .list(&Scope::account("account.ag1"))
            .await
            .unwrap_err();
        assert!(e.is_cancelled());
        assert_eq!(fake.seen().len(), 1);
        fake.finish();
    })
    .await
}

/// Runs a create whose POST hangs until the client is cancelled 200 ms in, then answers
/// the lookup that follows with `lookup`.
async fn cancelled_create(lookup: Reply) -> (Fake, Result<RepositoryResponse, Error>, Duration) {
    let fake = Fake::start(vec![
        step("POST", REPOS, &[("identifier", "r1")], Reply::Hang),
        step("GET", &format!("{REPOS}/r1"), &[], lookup),
    ])
    .await;
    let cancel = CancellationToken::new();
    let c = Client::with_backoff(config(&fake.base), cancel.clone(), FAST).unwrap();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stopper.cancel();
    });
    let start = Instant::now();
    let got = c
        .repositories()
        .create(&Scope::account("account.ag1"), "r1", &create_request())
        .await;
    (fake, got, start.elapsed())
}

#[tokio::test]
async fn a_create_cancelled_in_flight_that_reached_harness_is_found_not_orphaned() {
    bounded(async {
        let (fake, got, elapsed) = cancelled_create(Reply::Json(200, repo_body("r1"))).await;
        let got = got.expect("the lookup finds the object the cancelled create made");
        assert_eq!(got.identifier.as_deref(), Some("r1"));
        assert_eq!(fake.count("POST"), 1);
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn a_create_cancelled_in_flight_whose_lookup_hangs_says_it_is_unresolved() {
    bounded(async {
        let (fake, got, elapsed) = cancelled_create(Reply::Hang).await;
        let e = got.unwrap_err();
        assert!(matches!(e, Error::CancelledUnresolved { .. }), "{e}");
        assert!(e.to_string().contains("import it"), "{e}");
        assert!(
            elapsed < harness_gitops_client::CANCELLED_CREATE_LOOKUP + Duration::from_secs(2),
            "the lookup is bounded: {elapsed:?}"
        );
        assert_clean(&e);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn cancellation_of_an_in_flight_request() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", REPOS, &[("identifier", "r1")], Reply::Hang),
            // The create's outcome is unknown: one lookup, which finds nothing.
            step("GET", &format!("{REPOS}/r1"), &[], not_found()),
        ])
        .await;
        let cancel = CancellationToken::new();
        let c = Client::with_backoff(config(&fake.base), cancel.clone(), FAST).unwrap();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            stopper.cancel();
        });
        let start = Instant::now();
        let e = c
            .repositories()
            .create(&Scope::account("account.ag1"), "r1", &create_request())
            .await
            .unwrap_err();
        assert!(e.is_cancelled(), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        fake.finish();
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Error messages
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn auth_errors_tell_what_to_check_and_are_not_retried() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![
            step(
                "GET",
                &r1,
                &[],
                Reply::Json(401, json!({"code": 16, "message": "Invalid API token"})),
            ),
            step(
                "POST",
                REPOS,
                &[("identifier", "r1")],
                Reply::Json(
                    403,
                    json!({"code": 7, "message": "missing permission core_gitops_repository_edit"}),
                ),
            ),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::account("account.ag1");
        let e = c.repositories().get(&scope, "r1").await.unwrap_err();
        let text = e.to_string();
        assert_eq!(e.status(), Some(401));
        assert!(
            text.contains("`api_key`")
                && text.contains("HARNESS_PLATFORM_API_KEY")
                && text.contains("Invalid API token"),
            "{text}"
        );
        assert_clean(&e);
        let e = c
            .repositories()
            .create(&scope, "r1", &create_request())
            .await
            .unwrap_err();
        let text = e.to_string();
        assert_eq!((e.status(), e.grpc_code()), (Some(403), Some(7)));
        assert!(
            text.contains("`account_id`")
                && text.contains("HARNESS_ACCOUNT_ID")
                && text.contains("permission"),
            "{text}"
        );
        assert!(text.contains("core_gitops_repository_edit"), "{text}");
        assert_eq!(
            e.server_message(),
            Some("missing permission core_gitops_repository_edit")
        );
        assert_clean(&e);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn html_bodies_name_the_endpoint_setting() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![
            step("GET", &r1, &[], Reply::Html(200)),
            step("GET", &r1, &[], Reply::Html(404)),
        ])
        .await;
        let c = client(&fake);
        let scope = Scope::account("account.ag1");
        for status in [200, 404] {
            let e = c.repositories().get(&scope, "r1").await.unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, Error::NotJson { .. }), "{e:?}");
            assert_eq!(e.status(), Some(status));
            assert!(
                text.contains("non-JSON") && text.contains("text/html"),
                "{text}"
            );
            assert!(
                text.contains("`endpoint`")
                    && text.contains("HARNESS_ENDPOINT")
                    && text.contains(&fake.base),
                "{text}"
            );
            assert_clean(&e);
        }
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn redirects_are_not_followed() {
    bounded(async {
        let r1 = format!("{REPOS}/r1");
        let fake = Fake::start(vec![step(
            "GET",
            &r1,
            &[],
            Reply::JsonHeaders(
                302,
                json!({}),
                vec![("location", "http://127.0.0.1:1/elsewhere")],
            ),
        )])
        .await;
        let e = client(&fake)
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Redirect { status: 302, .. }), "{e:?}");
        assert!(e.to_string().contains("HARNESS_ENDPOINT"), "{e}");
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn connect_errors_name_the_endpoint() {
    bounded(async {
        // A port that was just free: nothing listens there.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/gateway", listener.local_addr().unwrap());
        drop(listener);
        let c = Client::with_backoff(config(&endpoint), CancellationToken::new(), FAST).unwrap();
        let e = c
            .clusters()
            .list(&Scope::account("account.ag1"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Connect { attempts: 4, .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("cannot connect to") && text.contains(&endpoint),
            "{text}"
        );
        assert!(
            text.contains("`endpoint`")
                && text.contains("HARNESS_ENDPOINT")
                && text.contains("after 4 attempts"),
            "{text}"
        );
        assert_clean(&e);
    })
    .await
}

#[tokio::test]
async fn undecodable_success_body_names_the_field() {
    bounded(async {
        let fake = Fake::start(vec![step(
            "GET",
            &format!("{REPOS}/r1"),
            &[],
            Reply::Json(
                200,
                json!({"identifier": "r1", "repository": {"insecure": "yes"}}),
            ),
        )])
        .await;
        let e = client(&fake)
            .repositories()
            .get(&Scope::account("account.ag1"), "r1")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        assert!(e.to_string().contains("repository.insecure"), "{e}");
        fake.finish();
    })
    .await
}

#[test]
fn config_is_validated() {
    let bad = |mutate: fn(&mut ClientConfig)| {
        let mut c = config("https://app.harness.io/gateway");
        mutate(&mut c);
        Client::new(c, CancellationToken::new())
            .unwrap_err()
            .to_string()
    };
    assert!(bad(|c| c.endpoint = "ftp://x".into()).contains("HARNESS_ENDPOINT"));
    assert!(bad(|c| c.endpoint = "app.harness.io".into()).contains("not a URL"));
    assert!(bad(|c| c.account_id = String::new()).contains("HARNESS_ACCOUNT_ID"));
    assert!(bad(|c| c.api_key = Secret::new("")).contains("HARNESS_PLATFORM_API_KEY"));
    let text = bad(|c| c.api_key = Secret::new("abc\n"));
    assert!(text.contains("header") && !text.contains("abc"), "{text}");
    assert!(bad(|c| c.request_timeout = Duration::ZERO).contains("timeout"));
    let c = Client::new(
        config("https://app.harness.io/gateway/"),
        CancellationToken::new(),
    )
    .unwrap();
    assert_eq!(c.endpoint(), "https://app.harness.io/gateway");
    let debug = format!("{c:?} {:?}", config("https://x"));
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

// ---------------------------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------------------------

const AGENTS: &str = "/gateway/gitops/api/v1/agents";
const AGENT_TOKEN: &str = "agent-private-key-T0K3N";

fn agent_body(id: &str) -> Value {
    json!({
        "accountIdentifier": ACCOUNT, "orgIdentifier": "o1", "projectIdentifier": "p1",
        "identifier": id, "name": id, "type": "MANAGED_ARGO_PROVIDER",
        "credentials": {"privateKey": AGENT_TOKEN},
        "version": {"major": "0", "minor": "101", "patch": "0"},
        "prefixedIdentifier": id, "createdAt": {"seconds": "1700000000", "nanos": 5}
    })
}

fn new_agent(id: &str) -> Agent {
    Agent {
        identifier: Some(id.into()),
        org_identifier: Some("o1".into()),
        project_identifier: Some("p1".into()),
        name: Some(id.into()),
        r#type: Some(agent_type::MANAGED_ARGO_PROVIDER.into()),
        metadata: Some(AgentMetadata {
            namespace: Some("gitops".into()),
            high_availability: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn agent_crud_sends_exact_requests() {
    bounded(async {
        let scoped = [("orgIdentifier", "o1"), ("projectIdentifier", "p1")];
        let with_creds = [
            ("orgIdentifier", "o1"),
            ("projectIdentifier", "p1"),
            ("withCredentials", "true"),
        ];
        let fake = Fake::start(vec![
            step("POST", AGENTS, &scoped, Reply::Json(200, agent_body("a1"))),
            step(
                "GET",
                &format!("{AGENTS}/a1"),
                &with_creds,
                Reply::Json(200, agent_body("a1")),
            ),
            step(
                "GET",
                &format!("{AGENTS}/a1"),
                &scoped,
                Reply::Json(200, agent_body("a1")),
            ),
            step(
                "GET",
                &format!("{AGENTS}/gone"),
                &scoped,
                Reply::Json(404, json!({"code": 5, "message": "agent not found"})),
            ),
            step(
                "PUT",
                &format!("{AGENTS}/a1"),
                &scoped,
                Reply::Json(200, agent_body("a1")),
            ),
            step(
                "DELETE",
                &format!("{AGENTS}/a1"),
                &scoped,
                Reply::Json(200, json!({})),
            ),
            step(
                "DELETE",
                &format!("{AGENTS}/a1"),
                &scoped,
                Reply::Json(404, json!({"code": 5, "message": "agent not found"})),
            ),
            step(
                "POST",
                &format!("{AGENTS}/a1/credentials"),
                &scoped,
                Reply::Json(200, agent_body("a1")),
            ),
        ])
        .await;
        let c = client(&fake);
        let agents = c.agents();
        let scope = AgentScope::project("o1", "p1");
        let created = agents.create(&new_agent("a1")).await.expect("create");
        assert_eq!(
            created.credentials.unwrap().private_key.unwrap().expose(),
            AGENT_TOKEN
        );
        let got = agents.get(&scope, "a1", true).await.expect("get");
        assert_eq!(got.version.unwrap().minor, Some(Int64(101)));
        assert!(agents
            .get_opt(&scope, "a1", false)
            .await
            .expect("get_opt")
            .is_some());
        assert!(agents
            .get_opt(&scope, "gone", false)
            .await
            .expect("get_opt")
            .is_none());
        agents.update(&new_agent("a1")).await.expect("update");
        agents.delete(&scope, "a1").await.expect("delete");
        agents
            .delete(&scope, "a1")
            .await
            .expect("delete of a missing agent");
        agents
            .regenerate_credentials(&scope, "a1")
            .await
            .expect("regenerate");
        fake.finish();

        let seen = fake.seen();
        let body = seen[0].json();
        assert_eq!(
            body["accountIdentifier"],
            json!(ACCOUNT),
            "account from the config"
        );
        assert_eq!(body["identifier"], json!("a1"));
        assert_eq!(body["metadata"]["highAvailability"], json!(false));
        assert_eq!(seen[4].json()["identifier"], json!("a1"));
        assert!(seen[7].body.is_empty(), "credentials carries no body");
    })
    .await
}

#[tokio::test]
async fn agent_list_reads_every_page() {
    bounded(async {
        let page = |i: i32, ids: &[&str]| {
            let content: Vec<Value> = ids.iter().map(|id| agent_body(id)).collect();
            Reply::Json(
                200,
                json!({"content": content, "totalPages": 2, "pageIndex": i, "pageSize": 100}),
            )
        };
        let fake = Fake::start(vec![
            step(
                "GET",
                AGENTS,
                &[
                    ("orgIdentifier", "o1"),
                    ("pageIndex", "0"),
                    ("pageSize", "100"),
                ],
                page(0, &["a", "b"]),
            ),
            step(
                "GET",
                AGENTS,
                &[
                    ("orgIdentifier", "o1"),
                    ("pageIndex", "1"),
                    ("pageSize", "100"),
                ],
                page(1, &["c"]),
            ),
        ])
        .await;
        let c = client(&fake);
        let all = c.agents().list(&AgentScope::org("o1")).await.expect("list");
        let ids: Vec<_> = all.iter().filter_map(|a| a.identifier.as_deref()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_agent_create_is_resolved_by_lookup() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", AGENTS, &[], Reply::Drop),
            step(
                "GET",
                &format!("{AGENTS}/a1"),
                &[("withCredentials", "true")],
                Reply::Json(200, agent_body("a1")),
            ),
        ])
        .await;
        let c = client(&fake);
        let mut agent = new_agent("a1");
        agent.org_identifier = None;
        agent.project_identifier = None;
        let created = c.agents().create(&agent).await.expect("create resolved");
        assert_eq!(created.identifier.as_deref(), Some("a1"));
        assert_eq!(fake.count("POST"), 1, "no second POST");
        fake.finish();
    })
    .await
}

const MANIFEST: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gitops-agent\nstringData:\n  GITOPS_AGENT_TOKEN: agent-private-key-T0K3N\n";

#[tokio::test]
async fn agent_manifests_are_secrets_and_send_the_query_body() {
    bounded(async {
        let fake = Fake::start(vec![
            step(
                "POST",
                &format!("{AGENTS}/a1/deployment-spec/yaml"),
                &[],
                Reply::Yaml(MANIFEST),
            ),
            step(
                "POST",
                &format!("{AGENTS}/a1/helm-overrides"),
                &[],
                Reply::Json(200, json!(MANIFEST)),
            ),
            step(
                "POST",
                &format!("{AGENTS}/a1/deployment-spec/yaml"),
                &[],
                Reply::Json(
                    400,
                    json!({"code": 3, "message": "the private key does not match"}),
                ),
            ),
        ])
        .await;
        let c = client(&fake);
        let query = AgentYamlQuery {
            namespace: Some("gitops".into()),
            skip_crds: Some(false),
            private_key: Some(Secret::new(AGENT_TOKEN)),
            proxy: Some(AgentProxy {
                http: Some("http://proxy:3128".into()),
                password: Some(Secret::new("proxy-pw-123")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let agents = c.agents();
        let scope = AgentScope::account();
        let yaml = agents
            .deploy_yaml(&scope, "a1", &query)
            .await
            .expect("yaml");
        assert_eq!(yaml.expose(), MANIFEST);
        assert!(!format!("{yaml:?}").contains(AGENT_TOKEN));
        let values = agents
            .helm_overrides(&scope, "a1", &query)
            .await
            .expect("overrides");
        assert_eq!(
            values.expose(),
            MANIFEST,
            "a JSON string reply is unwrapped"
        );
        let e = agents
            .deploy_yaml(&scope, "a1", &query)
            .await
            .expect_err("refused");
        assert_eq!(e.status(), Some(400));
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains(AGENT_TOKEN) && !text.contains("proxy-pw-123"),
            "{text}"
        );
        assert!(text.contains("agent \"a1\""), "{text}");
        fake.finish();

        let body = fake.seen()[0].json();
        assert_eq!(body["agentIdentifier"], json!("a1"));
        assert_eq!(body["accountIdentifier"], json!(ACCOUNT));
        assert_eq!(body["namespace"], json!("gitops"));
        assert_eq!(body["skipCrds"], json!(false));
        assert_eq!(body["privateKey"], json!(AGENT_TOKEN));
        assert_eq!(body["proxy"]["password"], json!("proxy-pw-123"));
        assert!(body.get("orgIdentifier").is_none());
    })
    .await
}

#[tokio::test]
async fn agent_calls_refuse_unusable_identifiers() {
    bounded(async {
        let fake = Fake::start(vec![]).await;
        let c = client(&fake);
        let agents = c.agents();
        let e = agents
            .create(&Agent::default())
            .await
            .expect_err("no identifier");
        assert!(e.to_string().contains("identifier is empty"), "{e}");
        let e = agents
            .get(&AgentScope::account(), "..", false)
            .await
            .expect_err("dot-dot");
        assert!(e.to_string().contains("not usable"), "{e}");
        let bad = AgentScope {
            org: None,
            project: Some("p".into()),
        };
        let e = agents.list(&bad).await.expect_err("project without org");
        assert!(e.to_string().contains("without an org"), "{e}");
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_application_create_looks_the_application_up_in_its_namespace() {
    bounded(async {
        let apps = "/gateway/gitops/api/v1/agents/ag/applications";
        let body =
            json!({"name": "app1", "app": {"metadata": {"name": "app1", "namespace": "team-a"}}});
        let fake = Fake::start(vec![
            step(
                "POST",
                apps,
                &[("orgIdentifier", "o"), ("projectIdentifier", "p")],
                Reply::Drop,
            ),
            step(
                "GET",
                &format!("{apps}/app1"),
                &[
                    ("orgIdentifier", "o"),
                    ("projectIdentifier", "p"),
                    ("query.appNamespace", "team-a"),
                ],
                Reply::Json(200, body),
            ),
        ])
        .await;
        let app = Application {
            metadata: Some(ObjectMeta {
                name: Some("app1".into()),
                namespace: Some("team-a".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let create = ApplicationCreateRequest {
            application: Some(app),
            ..Default::default()
        };
        let got = client(&fake)
            .applications()
            .create(
                &Scope::project("o", "p", "ag"),
                "app1",
                &AppQuery::default(),
                &create,
            )
            .await
            .expect("create resolved by lookup");
        assert_eq!(
            got.app.unwrap().metadata.unwrap().namespace.as_deref(),
            Some("team-a")
        );
        assert_eq!(fake.count("POST"), 1);
        fake.finish();
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// ApplicationSets
// ---------------------------------------------------------------------------------------------

const APPSET: &str = "/gateway/gitops/api/v1/applicationset";
const APPSETS: &str = "/gateway/gitops/api/v1/applicationsets";
const APPSET_QUERY: &[(&str, &str)] = &[
    ("orgIdentifier", "o"),
    ("projectIdentifier", "p"),
    ("agentIdentifier", "ag"),
];

fn appset_body(id: &str, name: &str) -> Value {
    json!({
        "identifier": id, "accountIdentifier": ACCOUNT, "orgIdentifier": "o",
        "projectIdentifier": "p", "agentIdentifier": "ag", "futureField": 1,
        "appset": {
            "metadata": {"name": name},
            "spec": {
                "generators": [{"list": {"elements": [{"raw": "eyJlbnYiOiJkZXYifQ=="}, {"env": "prod"}]}}],
                "strategy": {"type": "RollingSync", "rollingSync": {"steps": [{"maxUpdate": "25%"}, {"maxUpdate": 2}]}},
                "template": {"metadata": {"name": "{{env}}"}, "spec": {"project": "default"}}
            }
        }
    })
}

fn appset_request(name: &str) -> ApplicationSetCreateRequest {
    ApplicationSetCreateRequest {
        upsert: Some(false),
        applicationset: Some(ApplicationSet {
            metadata: Some(ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            }),
            spec: Some(ApplicationSetSpec {
                generators: Some(vec![ApplicationSetGenerator {
                    list: Some(ListGenerator {
                        elements: Some(vec![RawJson::from_value(&json!({"env": "dev"}))]),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                strategy: Some(ApplicationSetStrategy {
                    strategy_type: Some("RollingSync".into()),
                    rolling_sync: Some(ApplicationSetRolloutStrategy {
                        steps: Some(vec![ApplicationSetRolloutStep {
                            max_update: Some(IntOrString::parse("25%")),
                            ..Default::default()
                        }]),
                    }),
                }),
                template: Some(ApplicationSetTemplate {
                    metadata: Some(ApplicationSetTemplateMeta {
                        name: Some("{{env}}".into()),
                        ..Default::default()
                    }),
                    spec: Some(ApplicationSpec {
                        project: Some("default".into()),
                        ..Default::default()
                    }),
                }),
                ..Default::default()
            }),
            status: None,
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn applicationset_calls_send_exact_requests() {
    bounded(async {
        let fake = Fake::start(vec![
            step(
                "POST",
                APPSET,
                APPSET_QUERY,
                Reply::Json(200, appset_body("u-1", "web")),
            ),
            step(
                "GET",
                &format!("{APPSET}/u-1"),
                APPSET_QUERY,
                Reply::Json(200, appset_body("u-1", "web")),
            ),
            step(
                "PUT",
                APPSET,
                APPSET_QUERY,
                Reply::Json(200, appset_body("u-1", "web")),
            ),
            step(
                "POST",
                APPSETS,
                &[],
                Reply::Json(
                    200,
                    json!({"content": [appset_body("u-1", "web")], "totalItems": 1, "pageIndex": 0}),
                ),
            ),
            step(
                "POST",
                &format!("{APPSET}/generate"),
                APPSET_QUERY,
                Reply::Json(
                    200,
                    json!({"applications": [{"metadata": {"name": "dev"}, "spec": {"project": "default"}}]}),
                ),
            ),
            step(
                "DELETE",
                &format!("{APPSET}/u-1"),
                APPSET_QUERY,
                Reply::Json(200, json!({"project": "default"})),
            ),
            step("GET", &format!("{APPSET}/u-1"), APPSET_QUERY, not_found()),
            step("DELETE", &format!("{APPSET}/u-1"), APPSET_QUERY, not_found()),
        ])
        .await;
        let c = client(&fake);
        let sets = c.applicationsets();
        let scope = Scope::project("o", "p", "ag");
        let created = sets
            .create(&scope, "web", &appset_request("web"))
            .await
            .expect("create");
        assert_eq!(created.identifier.as_deref(), Some("u-1"));
        let spec = created.appset.unwrap().spec.unwrap();
        let elements = spec.generators.unwrap()[0]
            .list
            .clone()
            .unwrap()
            .elements
            .unwrap();
        assert_eq!(elements[0].value().unwrap(), json!({"env": "dev"}));
        assert_eq!(elements[1].value().unwrap(), json!({"env": "prod"}));
        let steps = spec.strategy.unwrap().rolling_sync.unwrap().steps.unwrap();
        assert_eq!(steps[0].max_update.as_ref().unwrap().text().as_deref(), Some("25%"));
        assert_eq!(steps[1].max_update.as_ref().unwrap().text().as_deref(), Some("2"));
        sets.get(&scope, "u-1").await.expect("get");
        sets.update(&scope, "web", &appset_request("web"))
            .await
            .expect("update");
        let page = sets
            .list(
                &scope,
                &ApplicationSetQuery {
                    page_size: Some(10),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(page.content.unwrap().len(), 1);
        let generated = sets
            .generate(
                &scope,
                &ApplicationSetGenerateRequest {
                    applicationset: appset_request("web").applicationset,
                    yaml: None,
                },
            )
            .await
            .expect("generate");
        assert_eq!(generated.applications.unwrap().len(), 1);
        sets.delete(&scope, "u-1").await.expect("delete");
        assert!(sets.get_opt(&scope, "u-1").await.expect("get_opt").is_none());
        sets.delete(&scope, "u-1").await.expect("delete of a gone set");

        let seen = fake.seen();
        let create = seen[0].json();
        assert_eq!(create["upsert"], json!(false));
        let raw = create["applicationset"]["spec"]["generators"][0]["list"]["elements"][0]["raw"]
            .as_str()
            .expect("elements go as {raw: base64}")
            .to_string();
        assert_eq!(
            serde_json::from_slice::<Value>(
                &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, raw).unwrap()
            )
            .unwrap(),
            json!({"env": "dev"})
        );
        assert_eq!(
            create["applicationset"]["spec"]["strategy"]["rollingSync"]["steps"][0]["maxUpdate"],
            json!({"type": "1", "strVal": "25%"})
        );
        let list = seen[3].json();
        assert_eq!(
            list,
            json!({"accountIdentifier": ACCOUNT, "orgIdentifier": "o", "projectIdentifier": "p",
                   "agentIdentifier": "ag", "pageSize": 10})
        );
        assert_eq!(seen[4].json()["applicationset"]["metadata"]["name"], json!("web"));
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn applicationset_scope_and_name_are_checked_before_sending() {
    bounded(async {
        let fake = Fake::start(vec![]).await;
        let c = client(&fake);
        let sets = c.applicationsets();
        let e = sets
            .get(&Scope::org("o", "ag"), "u-1")
            .await
            .expect_err("org scope");
        assert!(e.to_string().contains("project-scoped"), "{e}");
        let e = sets
            .create(
                &Scope::project("o", "p", "ag"),
                "api",
                &appset_request("web"),
            )
            .await
            .expect_err("name differs");
        assert!(e.to_string().contains("differs"), "{e}");
        assert!(fake.seen().is_empty());
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_applicationset_create_is_resolved_by_a_list_lookup() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", APPSET, APPSET_QUERY, Reply::Drop),
            step(
                "POST",
                APPSETS,
                &[],
                Reply::Json(
                    200,
                    json!({"content": [appset_body("u-0", "web-old"), appset_body("u-7", "web")]}),
                ),
            ),
        ])
        .await;
        let got = client(&fake)
            .applicationsets()
            .create(
                &Scope::project("o", "p", "ag"),
                "web",
                &appset_request("web"),
            )
            .await
            .expect("create resolved by lookup");
        assert_eq!(got.identifier.as_deref(), Some("u-7"));
        let seen = fake.seen();
        assert_eq!(seen.len(), 2, "a second create could duplicate the set");
        assert_eq!(seen[1].json()["searchTerm"], json!("web"));
        fake.finish();
    })
    .await
}

#[tokio::test]
async fn dropped_applicationset_create_not_applied_is_sent_again() {
    bounded(async {
        let fake = Fake::start(vec![
            step("POST", APPSET, APPSET_QUERY, Reply::Drop),
            step(
                "POST",
                APPSETS,
                &[],
                Reply::Json(200, json!({"content": [appset_body("u-0", "web-old")]})),
            ),
            step(
                "POST",
                APPSET,
                APPSET_QUERY,
                Reply::Json(200, appset_body("u-8", "web")),
            ),
        ])
        .await;
        let got = client(&fake)
            .applicationsets()
            .create(
                &Scope::project("o", "p", "ag"),
                "web",
                &appset_request("web"),
            )
            .await
            .expect("create sent again");
        assert_eq!(got.identifier.as_deref(), Some("u-8"));
        fake.finish();
    })
    .await
}
