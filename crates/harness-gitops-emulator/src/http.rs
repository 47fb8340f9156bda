//! The HTTP server: connection handling, fault injection, latency, authentication, scope
//! checks and dispatch to the entity handlers.
//!
//! Built directly on hyper so that a request can end with no response at all: the service
//! returns an error and hyper closes the connection (how `--fault-rate` and
//! `--fault-after-rate` drop connections).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::error::{ApiError, ApiResult};
use super::faults::{ArmedAction, ArmedFaults, Before, Faults};
use super::query::Query;
use super::routes::{self, Op, Route};
use super::scope::{AgentLevel, Key, Scope};
use super::store::{Store, Ts};
use super::{
    admin, agents, applications, appsets, certificates, clusters, gpgkeys, log, repo_creds,
    repositories,
};
use super::{mappings, projects};
use crate::secret::Secret;

/// Largest accepted request body.
const BODY_LIMIT: usize = 8 << 20;

/// How long in-flight requests get to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(5);

/// The counters of `GET /_emulator/requests`.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Every routed API request per operation name, faulted ones included.
    pub requests: BTreeMap<&'static str, u64>,
    /// Requests per operation name whose change was committed (creates applied, …).
    pub applied: BTreeMap<&'static str, u64>,
    /// Injected faults by kind: 503, 429, drop before the change, drop after it.
    pub unavailable: u64,
    pub too_many_requests: u64,
    pub drop_before: u64,
    pub drop_after: u64,
    /// Armed faults that fired, by `armed.<op>.<error|dropAfter>`.
    pub armed: BTreeMap<String, u64>,
}

/// Shared state of a running emulator.
pub struct Ctx {
    pub api_key: Secret,
    pub account_id: String,
    pub sync_delay: Duration,
    pub delete_delay: Duration,
    pub latency: Duration,
    pub store: Store,
    pub faults: Faults,
    /// Faults armed through the admin API, not fired yet.
    pub armed: ArmedFaults,
    pub counts: Mutex<Counts>,
    /// TCP connections accepted (API and admin).
    pub connections: AtomicU64,
    /// Generator for application uids (separate from the fault generator so faults stay
    /// reproducible).
    pub ids: Mutex<fastrand::Rng>,
    /// The emulator's own base URL (`http://HOST:PORT`), for the manifests'
    /// `AGENT_HTTP_TARGET`.
    pub base_url: String,
    /// An agent reads DISCONNECTED this long after its last heartbeat.
    pub agent_heartbeat_timeout: Duration,
    /// `--agent-version`: what the latest agent version returns to on `/_emulator/reset`.
    pub agent_version_default: crate::AgentVersion,
    /// The latest agent version now (`--agent-version`, `POST /_emulator/agent-version`).
    pub agent_version: std::sync::RwLock<crate::AgentVersion>,
    /// The emulated Harness secret manager (`POST /_emulator/secrets`): secret reference
    /// (`account.<id>`, `org.<id>`, `<id>`) → value; what cluster `secretExpressions` resolve to.
    pub secrets: std::sync::RwLock<Secrets>,
    /// What the ApplicationSet git generator reads (`--git-tree`, `POST /_emulator/git-tree`).
    pub git_trees: std::sync::RwLock<crate::appset_gen::GitTrees>,
    /// `--git-tree`'s trees: what `/_emulator/reset` returns to.
    pub git_trees_default: crate::appset_gen::GitTrees,
}

/// Secrets of the emulated Harness secret manager, by reference.
pub type Secrets = std::collections::BTreeMap<String, Secret>;

impl Ctx {
    /// A copy of the emulated secret manager's secrets.
    pub fn secrets_now(&self) -> Secrets {
        self.secrets
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The latest agent version now.
    pub fn latest_agent_version(&self) -> crate::AgentVersion {
        *self.agent_version.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `v` the latest agent version (the store's copy is the caller's).
    pub fn set_latest_agent_version(&self, v: crate::AgentVersion) {
        *self
            .agent_version
            .write()
            .unwrap_or_else(|p| p.into_inner()) = v;
    }

    /// A new random RFC 4122 version-4 UUID (Kubernetes `metadata.uid`).
    pub fn new_uid(&self) -> String {
        let (a, b) = {
            let mut rng = self.ids.lock().unwrap_or_else(|p| p.into_inner());
            (rng.u64(..), rng.u64(..))
        };
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    /// A few random lowercase alphanumerics (Kubernetes `generateName` suffix).
    pub fn random_suffix(&self) -> String {
        let mut rng = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        (0..5)
            .map(|_| rng.alphanumeric().to_ascii_lowercase())
            .collect()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self, op: Op) {
        *self.counts().requests.entry(op.name()).or_insert(0) += 1;
    }

    /// Counts a committed change of operation `op`.
    pub fn count_applied(&self, op: Op) {
        *self.counts().applied.entry(op.name()).or_insert(0) += 1;
    }

    /// A snapshot of the counters and the connection count.
    pub fn snapshot(&self) -> (Counts, u64) {
        (
            self.counts().clone(),
            self.connections.load(Ordering::Relaxed),
        )
    }

    /// Forgets every count.
    pub fn reset_counts(&self) {
        *self.counts() = Counts::default();
        self.connections.store(0, Ordering::Relaxed);
    }
}

/// A validated API request, ready for an entity handler.
pub struct ApiRequest {
    pub route: Route,
    pub scope: Scope,
    pub query: Query,
    /// The JSON body for operations that take one, else `Null`.
    pub body: Value,
    /// The time the request is handled at.
    pub now: Ts,
}

impl ApiRequest {
    /// The key of entity `id` in the request's scope and agent.
    pub fn key(&self, id: &str) -> Key {
        Key {
            scope: self.scope.clone(),
            agent: self.route.agent.clone(),
            id: id.to_string(),
            ns: String::new(),
        }
    }

    /// The key of the entity named in the path.
    pub fn path_key(&self) -> Key {
        self.key(self.route.id.as_deref().unwrap_or(""))
    }

    /// Records that this request's change was committed.
    pub fn applied(&self, ctx: &Ctx) {
        ctx.count_applied(self.route.op);
    }
}

/// The service error that makes hyper close the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped without a response (fault injection)")]
pub struct Dropped;

type Resp = Response<Full<Bytes>>;

/// A JSON response.
pub fn json_response(status: StatusCode, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An `application/yaml` response (the agent manifests).
fn yaml_response(text: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/yaml"),
    );
    resp
}

fn error_response(e: &ApiError) -> Resp {
    json_response(e.status, &e.body())
}

/// Reads a JSON body (at most 8 MiB). `Ok(None)` for an empty body.
///
/// # Errors
/// 413 when too large, 400 when unreadable or not JSON.
pub async fn read_json(body: Incoming) -> ApiResult<Option<Value>> {
    let collected = Limited::new(body, BODY_LIMIT)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ApiError::too_large(format!("request body is larger than {BODY_LIMIT} bytes"))
            } else {
                ApiError::invalid(format!("cannot read the request body: {e}"))
            }
        })?;
    let bytes = collected.to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ApiError::invalid(format!("request body is not valid JSON: {e}")))
}

/// Accepts connections until `shutdown` turns true, then lets in-flight requests finish
/// (up to 5 s) and returns.
pub async fn serve(listener: TcpListener, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    ctx.connections.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(builder.clone(), stream, peer, ctx.clone(), shutdown.clone()));
                }
                Err(e) => {
                    log(format_args!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drained =
        tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        log(format_args!(
            "connections still open after {DRAIN:?}; closing them"
        ));
        conns.abort_all();
    }
}

async fn connection(
    builder: auto::Builder<TokioExecutor>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    mut shutdown: watch::Receiver<bool>,
) {
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let ctx = ctx.clone();
        // Handled in its own task: a client that goes away cannot cancel a change half-way
        // (between persisting and updating the live state).
        async move {
            tokio::spawn(handle(ctx, peer, req))
                .await
                .unwrap_or(Err(Dropped))
        }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    if *shutdown.borrow() {
        conn.as_mut().graceful_shutdown();
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn handle(ctx: Arc<Ctx>, peer: SocketAddr, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let result = if path == "/_emulator" || path.starts_with("/_emulator/") {
        let (status, body) = admin::handle(&ctx, peer, req).await;
        Ok(json_response(status, &body))
    } else {
        api(&ctx, req).await
    };
    let ms = started.elapsed().as_millis();
    match &result {
        Ok(r) => log(format_args!(
            "{method} {path} -> {} ({ms} ms)",
            r.status().as_u16()
        )),
        Err(_) => log(format_args!(
            "{method} {path} -> connection dropped, no response ({ms} ms)"
        )),
    }
    result
}

async fn api(ctx: &Ctx, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let route = routes::route(req.method(), req.uri().path());
    if let Ok(r) = &route {
        ctx.count(r.op);
    }
    if !ctx.latency.is_zero() {
        tokio::time::sleep(ctx.latency).await;
    }
    let decision = ctx.faults.draw();
    {
        let mut c = ctx.counts();
        match decision.before {
            Before::Pass => {}
            Before::Unavailable => c.unavailable += 1,
            Before::TooManyRequests => c.too_many_requests += 1,
            Before::Drop => c.drop_before += 1,
        }
    }
    match decision.before {
        Before::Pass => {}
        Before::Unavailable => {
            return Ok(error_response(&ApiError::unavailable(
                "service unavailable (fault injected by harness-gitops-emulator --fault-rate); retry later",
            )))
        }
        Before::TooManyRequests => {
            let mut resp = error_response(&ApiError::too_many_requests(
                "too many requests (fault injected by harness-gitops-emulator --fault-rate); retry after 1 s",
            ));
            resp.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(resp);
        }
        Before::Drop => return Err(Dropped),
    }
    let yaml = route.as_ref().is_ok_and(|r| r.op.is_yaml());
    let armed = match &route {
        Ok(r) => ctx.armed.take(r.op.name()).inspect(|a| {
            *ctx.counts()
                .armed
                .entry(format!("armed.{}.{}", r.op.name(), a.kind()))
                .or_insert(0) += 1;
        }),
        Err(_) => None,
    };
    if let Some(ArmedAction::Error(e)) = &armed {
        return Ok(error_response(e));
    }
    let rotate = armed == Some(ArmedAction::RotateAgentTokenAfterManifest);
    let result = process(ctx, route, req, rotate).await;
    if armed == Some(ArmedAction::DropAfter) {
        return Err(Dropped);
    }
    if decision.drop_after {
        ctx.counts().drop_after += 1;
        return Err(Dropped);
    }
    Ok(match result {
        Ok(Value::String(text)) if yaml => yaml_response(text),
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => error_response(&e),
    })
}

/// Constant-time comparison of the presented key with the configured one.
pub fn key_matches(given: &[u8], want: &[u8]) -> bool {
    if given.len() != want.len() {
        return false;
    }
    given
        .iter()
        .zip(want)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

async fn process(
    ctx: &Ctx,
    route: ApiResult<Route>,
    req: Request<Incoming>,
    rotate_after_manifest: bool,
) -> ApiResult<Value> {
    if route.as_ref().is_ok_and(|r| r.op == Op::AgentHeartbeat) {
        // The agent-facing side: the agent token, not an API key.
        Query::parse(req.uri().query(), &[])?;
        let bearer = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let body = read_json(req.into_body())
            .await?
            .ok_or_else(|| ApiError::invalid("agents.heartbeat needs a JSON request body"))?;
        return agents::heartbeat(ctx, bearer.as_deref(), &body, Ts::now()).await;
    }
    match req.headers().get("x-api-key") {
        None => return Err(ApiError::unauthenticated(
            "missing x-api-key header: send a Harness API key (PAT or SAT) in the x-api-key header",
        )),
        Some(v) if !key_matches(v.as_bytes(), ctx.api_key.expose().as_bytes()) => {
            return Err(ApiError::unauthenticated(
                "invalid API key in the x-api-key header",
            ))
        }
        Some(_) => {}
    }
    let mut route = route?;
    if route.op.scope_in_body() {
        return mappings::body_scoped(ctx, route, req).await;
    }
    if route.op == Op::AppSetList {
        return appsets::list(ctx, route, req).await;
    }
    let query = Query::parse(req.uri().query(), &route.op.params())?;
    if route.op.agent_in_query() {
        route.agent = query.str("agentIdentifier").to_string();
        if route.agent.is_empty() {
            return Err(ApiError::invalid(
                "query parameter agentIdentifier is required",
            ));
        }
    }
    let account = query.str("accountIdentifier");
    if account.is_empty() {
        return Err(ApiError::invalid(
            "query parameter accountIdentifier is required",
        ));
    }
    if account != ctx.account_id {
        return Err(ApiError::permission_denied(format!(
            "accountIdentifier \"{account}\" is not the account of this API key; use the account id the key belongs to"
        )));
    }
    if let Some(r) = query.opt("routingId") {
        if r != account {
            return Err(ApiError::invalid(format!(
                "routingId \"{r}\" must equal accountIdentifier \"{account}\""
            )));
        }
    }
    let scope = Scope {
        account: account.to_string(),
        org: query.str("orgIdentifier").to_string(),
        project: query.str("projectIdentifier").to_string(),
    };
    if route.op.is_agent() || route.op == Op::CredsList {
        agents::check_scope(&scope)?;
    } else {
        scope.check_agent(&route.agent, AgentLevel::of(&route.agent)?)?;
    }
    let body = if route.op.has_body() {
        read_json(req.into_body()).await?.ok_or_else(|| {
            ApiError::invalid(format!("{} needs a JSON request body", route.op.name()))
        })?
    } else {
        Value::Null
    };
    let api = ApiRequest {
        route,
        scope,
        query,
        body,
        now: Ts::now(),
    };
    dispatch(ctx, api, rotate_after_manifest).await
}

async fn dispatch(ctx: &Ctx, req: ApiRequest, rotate_after_manifest: bool) -> ApiResult<Value> {
    match req.route.op {
        Op::RepoCreate => repositories::create(ctx, req).await,
        Op::RepoList => repositories::list(ctx, req).await,
        Op::RepoGet => repositories::get(ctx, req).await,
        Op::RepoUpdate => repositories::update(ctx, req).await,
        Op::RepoDelete => repositories::delete(ctx, req).await,
        Op::RepoValidate => repositories::validate(ctx, req).await,
        Op::CredsCreate => repo_creds::create(ctx, req).await,
        Op::CredsGet => repo_creds::get(ctx, req).await,
        Op::CredsUpdate => repo_creds::update(ctx, req).await,
        Op::CredsDelete => repo_creds::delete(ctx, req).await,
        Op::CredsForUrl => repo_creds::for_url(ctx, req).await,
        Op::CredsList => repo_creds::list(ctx, req).await,
        Op::ClusterCreate => clusters::create(ctx, req).await,
        Op::ClusterList => clusters::list(ctx, req).await,
        Op::ClusterGet => clusters::get(ctx, req).await,
        Op::ClusterUpdate => clusters::update(ctx, req).await,
        Op::ClusterDelete => clusters::delete(ctx, req).await,
        Op::AppCreate => applications::create(ctx, req).await,
        Op::AppList => applications::list(ctx, req).await,
        Op::AppGet => applications::get(ctx, req).await,
        Op::AppUpdate => applications::update(ctx, req).await,
        Op::AppDelete => applications::delete(ctx, req).await,
        Op::AppSync => applications::sync(ctx, req).await,
        Op::CertCreate => certificates::create(ctx, req).await,
        Op::CertList => certificates::list(ctx, req).await,
        Op::CertDelete => certificates::delete(ctx, req).await,
        Op::GpgCreate => gpgkeys::create(ctx, req).await,
        Op::GpgList => gpgkeys::list(ctx, req).await,
        Op::GpgGet => gpgkeys::get(ctx, req).await,
        Op::GpgDelete => gpgkeys::delete(ctx, req).await,
        Op::AgentCreate => agents::create(ctx, req).await,
        Op::AgentList => agents::list(ctx, req).await,
        Op::AgentGet => agents::get(ctx, req).await,
        Op::AgentUpdate => agents::update(ctx, req).await,
        Op::AgentDelete => agents::delete(ctx, req).await,
        Op::AgentUnique => agents::unique(ctx, req).await,
        Op::AgentCredentials => agents::regenerate(ctx, req).await,
        Op::AgentDeployYamlGet
        | Op::AgentDeployYamlPost
        | Op::AgentOverridesGet
        | Op::AgentOverridesPost => agents::manifest(ctx, req, rotate_after_manifest).await,
        Op::ProjectCreate => projects::create(ctx, req).await,
        Op::ProjectList => projects::list(ctx, req).await,
        Op::ProjectGet => projects::get(ctx, req).await,
        Op::ProjectUpdate => projects::update(ctx, req).await,
        Op::ProjectDelete => projects::delete(ctx, req).await,
        Op::MappingGet => mappings::get(ctx, req).await,
        Op::MappingDelete => mappings::delete(ctx, req).await,
        Op::MappingList => mappings::list(ctx, req).await,
        Op::AppSetCreate => appsets::create(ctx, req).await,
        Op::AppSetUpdate => appsets::update(ctx, req).await,
        Op::AppSetGet => appsets::get(ctx, req).await,
        Op::AppSetDelete => appsets::delete(ctx, req).await,
        Op::AppSetGenerate => appsets::generate(ctx, req).await,
        // Handled in `process` (body-scoped).
        Op::MappingCreate | Op::MappingUpdate | Op::AppSetList => Err(ApiError::internal(
            "a body-scoped operation reached dispatch",
        )),
        // Handled in `process` (no API key).
        Op::AgentHeartbeat => Err(ApiError::internal("heartbeat reached dispatch")),
    }
}
