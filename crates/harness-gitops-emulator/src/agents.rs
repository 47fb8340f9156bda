//! GitOps agents (`/gitops/api/v1/agents[/{identifier}…]`): CRUD, the token
//! (`credentials.privateKey`), the manifests that embed it, and the agent-facing heartbeat.
//!
//! The token lifecycle is Harness's, lock-out bug included: a manifest or Helm-overrides
//! request with `privateKey` equal to the current token embeds it unchanged; without
//! `privateKey` the token is regenerated (a running agent is locked out) and the new one is
//! embedded; another `privateKey` is refused. Tokens are never logged.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::common::str_of;
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::manifest::{self, ManifestInput};
use super::schema::{AGENT, AGENT_METADATA, AGENT_YAML_QUERY, HEARTBEAT};
use super::scope::{check_identifier, Key, Scope};
use super::store::{AgentEntry, Heartbeat, Ts};
use super::validate::check_msg;
use crate::AgentVersion;

/// The version an agent reports: that of its last heartbeat, if it sent one Harness can read
/// (`MAJOR.MINOR.PATCH`, a leading `v` tolerated).
fn reported_version(e: &AgentEntry) -> Option<AgentVersion> {
    let hb = e.heartbeat.as_ref()?;
    let v = hb.version.trim();
    v.strip_prefix('v').unwrap_or(v).parse().ok()
}

/// The message of a heartbeat with a wrong token (the agent's own log line starts so).
pub const UNAUTHORIZED_AGENT: &str = "This is an unauthorized agent";

const TYPES: &[&str] = &[
    "CONNECTED_ARGO_PROVIDER",
    "MANAGED_ARGO_PROVIDER",
    "HOSTED_ARGO_PROVIDER",
];

/// Component names of `v1AgentHealth` and of a heartbeat's `components`.
const COMPONENTS: &[&str] = &[
    "harnessGitopsAgent",
    "argoRepoServer",
    "argoAppController",
    "argoRedisServer",
    "argoAppSetController",
];

fn agent_key(scope: &Scope, id: &str) -> Key {
    Key {
        scope: scope.clone(),
        agent: String::new(),
        id: id.to_string(),
        ns: String::new(),
    }
}

fn missing(key: &Key) -> ApiError {
    ApiError::not_found(format!(
        "agent \"{}\" not found in {}",
        key.id,
        key.scope.describe()
    ))
}

/// A new random token: 32 random bytes, base64 (the official provider says the private key
/// is base64).
fn new_token(ctx: &Ctx) -> String {
    let bytes: Vec<u8> = {
        let mut rng = ctx.ids.lock().unwrap_or_else(|p| p.into_inner());
        (0..32).map(|_| rng.u8(..)).collect()
    };
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn prefixed(key: &Key) -> String {
    if key.scope.org.is_empty() {
        format!("account.{}", key.id)
    } else if key.scope.project.is_empty() {
        format!("org.{}", key.id)
    } else {
        key.id.clone()
    }
}

fn level(key: &Key) -> &'static str {
    if key.scope.org.is_empty() {
        "ACCOUNT"
    } else if key.scope.project.is_empty() {
        "ORG"
    } else {
        "PROJECT"
    }
}

fn v1_time(t: Ts) -> Value {
    let mut m = Map::new();
    m.insert("seconds".into(), json!(t.0.unix_timestamp().to_string()));
    if t.0.nanosecond() != 0 {
        m.insert("nanos".into(), json!(t.0.nanosecond()));
    }
    Value::Object(m)
}

/// The connection the agent has now: CONNECTED within `timeout` of its last heartbeat,
/// DISCONNECTED after it, CONNECTED_STATUS_UNSET before the first.
fn health(e: &AgentEntry, now: Ts, timeout: std::time::Duration) -> Value {
    let mut h = Map::new();
    match &e.heartbeat {
        None => {
            h.insert("connectionStatus".into(), json!("CONNECTED_STATUS_UNSET"));
        }
        Some(hb) => {
            h.insert("lastHeartbeat".into(), json!(hb.at.rfc3339()));
            let connected = now <= hb.at.plus(timeout);
            h.insert(
                "connectionStatus".into(),
                json!(if connected {
                    "CONNECTED"
                } else {
                    "DISCONNECTED"
                }),
            );
            for (k, v) in &hb.components {
                h.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(h)
}

/// The `v1Agent` answer; `credentials` only with `with_credentials`.
fn render(ctx: &Ctx, e: &AgentEntry, now: Ts, with_credentials: bool) -> Value {
    let mut m = Map::new();
    let k = &e.key;
    m.insert("accountIdentifier".into(), json!(k.scope.account));
    if !k.scope.org.is_empty() {
        m.insert("orgIdentifier".into(), json!(k.scope.org));
    }
    if !k.scope.project.is_empty() {
        m.insert("projectIdentifier".into(), json!(k.scope.project));
    }
    m.insert("identifier".into(), json!(k.id));
    m.insert("name".into(), json!(e.name));
    if !e.description.is_empty() {
        m.insert("description".into(), json!(e.description));
    }
    m.insert("type".into(), json!(e.agent_type));
    if !e.metadata.is_empty() {
        m.insert("metadata".into(), Value::Object(e.metadata.clone()));
    }
    if !e.tags.is_empty() {
        m.insert("tags".into(), Value::Object(e.tags.clone()));
    }
    m.insert("health".into(), health(e, now, ctx.agent_heartbeat_timeout));
    if with_credentials {
        m.insert(
            "credentials".into(),
            json!({"privateKey": e.private_key, "publicKey": e.public_key}),
        );
    }
    // `version`: the last heartbeat's (absent before one); `upgradeAvailable` when it is
    // older than the latest version. int64 as strings, zero values omitted (protobuf JSON).
    if let Some(v) = reported_version(e) {
        let mut version = Map::new();
        for (name, n) in [("major", v.major), ("minor", v.minor), ("patch", v.patch)] {
            if n != 0 {
                version.insert(name.into(), json!(n.to_string()));
            }
        }
        m.insert("version".into(), Value::Object(version));
        if v < ctx.latest_agent_version() {
            m.insert("upgradeAvailable".into(), json!(true));
        }
    }
    m.insert("scope".into(), json!(level(k)));
    if !e.operator.is_empty() {
        m.insert("operator".into(), json!(e.operator));
    }
    m.insert("prefixedIdentifier".into(), json!(prefixed(k)));
    m.insert("createdAt".into(), v1_time(e.created_at));
    m.insert("lastModifiedAt".into(), v1_time(e.last_modified_at));
    Value::Object(m)
}

/// The agent's scope from a `v1Agent` body; a query scope that disagrees is refused.
fn body_scope(ctx: &Ctx, req: &ApiRequest, body: &Map<String, Value>) -> ApiResult<Scope> {
    let account = str_of(body, "accountIdentifier");
    if !account.is_empty() && account != ctx.account_id {
        return Err(ApiError::permission_denied(format!(
            "accountIdentifier \"{account}\" is not the account of this API key"
        )));
    }
    let scope = Scope {
        account: ctx.account_id.clone(),
        org: str_of(body, "orgIdentifier").to_string(),
        project: str_of(body, "projectIdentifier").to_string(),
    };
    for (what, q, b) in [
        ("orgIdentifier", &req.scope.org, &scope.org),
        ("projectIdentifier", &req.scope.project, &scope.project),
    ] {
        if !q.is_empty() && q != b {
            return Err(ApiError::invalid(format!(
                "{what} \"{q}\" in the query differs from \"{b}\" in the body"
            )));
        }
    }
    check_scope(&scope)?;
    Ok(scope)
}

/// A project is always inside an org.
pub fn check_scope(scope: &Scope) -> ApiResult<()> {
    if !scope.project.is_empty() && scope.org.is_empty() {
        return Err(ApiError::invalid(
            "projectIdentifier was given without orgIdentifier; a project is always inside an org, send both",
        ));
    }
    Ok(())
}

fn check_type(t: &str) -> ApiResult<()> {
    if TYPES.contains(&t) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "type \"{t}\" is not an agent type; use one of {}",
            TYPES.join(", ")
        )))
    }
}

fn object(body: &Map<String, Value>, key: &str) -> Map<String, Value> {
    body.get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// An agent in the admin dump: with `credentials`, the private key masked unless `clear`.
pub fn render_for_dump(ctx: &Ctx, e: &AgentEntry, now: Ts, clear: bool) -> Value {
    let mut v = render(ctx, e, now, true);
    if !clear {
        v["credentials"]["privateKey"] = json!(super::common::MASK);
    }
    v
}

/// `POST /api/v1/agents`.
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &AGENT, "")?;
    let scope = body_scope(ctx, &req, &body)?;
    let id = str_of(&body, "identifier").to_string();
    check_identifier("identifier", &id)?;
    let name = str_of(&body, "name").to_string();
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name is required"));
    }
    let agent_type = str_of(&body, "type").to_string();
    check_type(&agent_type)?;
    let mut metadata = object(&body, "metadata");
    metadata.remove("deployedApplicationCount");
    let key = agent_key(&scope, &id);
    let entry = AgentEntry {
        key: key.clone(),
        name,
        description: str_of(&body, "description").to_string(),
        agent_type,
        metadata,
        tags: object(&body, "tags"),
        operator: str_of(&body, "operator").to_string(),
        private_key: new_token(ctx),
        public_key: new_token(ctx),
        created_at: req.now,
        last_modified_at: req.now,
        heartbeat: None,
    };
    let stored = ctx
        .store
        .write(|s| {
            if s.agents.contains_key(&key) {
                return Err(ApiError::already_exists(format!(
                    "entity already exists: agent \"{id}\" already exists in {}",
                    scope.describe()
                )));
            }
            s.agents.insert(key.clone(), entry.clone());
            Ok(entry)
        })
        .await?;
    req.applied(ctx);
    Ok(render(ctx, &stored, req.now, true))
}

fn path_key(req: &ApiRequest) -> ApiResult<Key> {
    check_scope(&req.scope)?;
    Ok(agent_key(&req.scope, req.route.id.as_deref().unwrap_or("")))
}

/// `GET /api/v1/agents/{identifier}`.
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = path_key(&req)?;
    let found = ctx.store.read(|s| s.agents.get(&key).cloned()).await;
    let e = found.ok_or_else(|| missing(&key))?;
    Ok(render(ctx, &e, req.now, req.query.bool("withCredentials")))
}

/// `GET /api/v1/agents/{identifier}/unique`.
pub async fn unique(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = path_key(&req)?;
    let taken = ctx.store.read(|s| s.agents.contains_key(&key)).await;
    Ok(if taken {
        json!({})
    } else {
        json!({"unique": true})
    })
}

/// `PUT /api/v1/agents/{agent.identifier}`: only `tags`, `metadata` (whole), `description`
/// and `type` are applied (the document's description of the operation).
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &AGENT, "")?;
    let scope = body_scope(ctx, &req, &body)?;
    let id = req.route.id.clone().unwrap_or_default();
    let in_body = str_of(&body, "identifier");
    if !in_body.is_empty() && in_body != id {
        return Err(ApiError::invalid(format!(
            "identifier \"{in_body}\" in the body differs from \"{id}\" in the path"
        )));
    }
    let agent_type = str_of(&body, "type").to_string();
    if !agent_type.is_empty() {
        check_type(&agent_type)?;
    }
    let mut metadata = object(&body, "metadata");
    metadata.remove("deployedApplicationCount");
    check_msg(
        &Value::Object(metadata.clone()),
        &AGENT_METADATA,
        "metadata",
    )?;
    let key = agent_key(&scope, &id);
    let now = req.now;
    let stored = ctx
        .store
        .write(|s| {
            let e = s.agents.get_mut(&key).ok_or_else(|| missing(&key))?;
            e.tags = object(&body, "tags");
            e.metadata = metadata;
            e.description = str_of(&body, "description").to_string();
            if !agent_type.is_empty() {
                e.agent_type = agent_type;
            }
            e.last_modified_at = now;
            Ok(e.clone())
        })
        .await?;
    req.applied(ctx);
    Ok(render(ctx, &stored, now, false))
}

/// `DELETE /api/v1/agents/{identifier}`: answers the deleted agent.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = path_key(&req)?;
    let gone = ctx
        .store
        .write(|s| s.agents.remove(&key).ok_or_else(|| missing(&key)))
        .await?;
    req.applied(ctx);
    Ok(render(ctx, &gone, req.now, false))
}

fn page_param(req: &ApiRequest, name: &str, default: usize) -> ApiResult<usize> {
    match req.query.opt(name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::invalid(format!("{name} \"{v}\" is not a whole number"))),
    }
}

/// `GET /api/v1/agents`: the agents of exactly the query's scope, filtered by `identifier`,
/// `name`, `type` (`AGENT_TYPE_UNSET`: any) and `searchTerm` (identifier or name contains
/// it, any case), sorted by identifier, paged (`pageSize` default 10).
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    check_scope(&req.scope)?;
    let size = page_param(&req, "pageSize", 10)?.max(1);
    let index = page_param(&req, "pageIndex", 0)?;
    let id = req.query.str("identifier").to_string();
    let name = req.query.str("name").to_string();
    let ty = req.query.str("type").to_string();
    let term = req.query.str("searchTerm").to_ascii_lowercase();
    let scope = req.scope.clone();
    let matching: Vec<AgentEntry> = ctx
        .store
        .read(|s| {
            s.agents
                .values()
                .filter(|e| e.key.scope == scope)
                .filter(|e| id.is_empty() || e.key.id == id)
                .filter(|e| name.is_empty() || e.name == name)
                .filter(|e| ty.is_empty() || ty == "AGENT_TYPE_UNSET" || e.agent_type == ty)
                .filter(|e| {
                    term.is_empty()
                        || e.key.id.to_ascii_lowercase().contains(&term)
                        || e.name.to_ascii_lowercase().contains(&term)
                })
                .cloned()
                .collect()
        })
        .await;
    let total = matching.len();
    let pages = total.div_ceil(size);
    let content: Vec<Value> = matching
        .iter()
        .skip(index.saturating_mul(size))
        .take(size)
        .map(|e| render(ctx, e, req.now, false))
        .collect();
    let mut out = Map::new();
    let count = content.len();
    if !content.is_empty() {
        out.insert("content".into(), Value::Array(content));
    }
    for (k, v) in [
        ("totalPages", pages),
        ("totalItems", total),
        ("pageItemCount", count),
        ("pageSize", size),
        ("pageIndex", index),
    ] {
        if v != 0 {
            out.insert(k.into(), json!(v));
        }
    }
    if count == 0 {
        out.insert("empty".into(), json!(true));
    }
    Ok(Value::Object(out))
}

/// `POST /api/v1/agents/{identifier}/credentials`: a new token; the old one stops working.
pub async fn regenerate(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = path_key(&req)?;
    let token = new_token(ctx);
    let now = req.now;
    let stored = ctx
        .store
        .write(|s| {
            let e = s.agents.get_mut(&key).ok_or_else(|| missing(&key))?;
            e.private_key = token;
            e.last_modified_at = now;
            Ok(e.clone())
        })
        .await?;
    req.applied(ctx);
    Ok(render(ctx, &stored, now, true))
}

/// The manifest query, from the GET query string or the POST body.
struct YamlQuery {
    scope: Scope,
    namespace: String,
    skip_crds: bool,
    ca_data: String,
    private_key: Option<String>,
    proxy: Map<String, Value>,
}

fn yaml_query(ctx: &Ctx, req: &ApiRequest) -> ApiResult<YamlQuery> {
    if req.route.op.has_body() {
        let body = check_msg(&req.body, &AGENT_YAML_QUERY, "")?;
        let scope = body_scope(ctx, req, &body)?;
        let agent = str_of(&body, "agentIdentifier");
        let id = req.route.id.as_deref().unwrap_or("");
        if !agent.is_empty() && agent != id {
            return Err(ApiError::invalid(format!(
                "agentIdentifier \"{agent}\" in the body differs from \"{id}\" in the path"
            )));
        }
        Ok(YamlQuery {
            scope,
            namespace: str_of(&body, "namespace").to_string(),
            skip_crds: body
                .get("skipCrds")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ca_data: str_of(&body, "caData").to_string(),
            private_key: body
                .get("privateKey")
                .and_then(Value::as_str)
                .map(str::to_string),
            proxy: object(&body, "proxy"),
        })
    } else {
        check_scope(&req.scope)?;
        let q = &req.query;
        let mut proxy = Map::new();
        for k in ["http", "https", "username", "password"] {
            let v = q.str(&format!("proxy.{k}"));
            if !v.is_empty() {
                proxy.insert(k.into(), json!(v));
            }
        }
        if q.bool("proxy.skipSSLVerify") {
            proxy.insert("skipSSLVerify".into(), json!(true));
        }
        Ok(YamlQuery {
            scope: req.scope.clone(),
            namespace: q.str("namespace").to_string(),
            skip_crds: q.bool("skipCrds"),
            ca_data: q.str("caData").to_string(),
            private_key: q.opt("privateKey").map(str::to_string),
            proxy,
        })
    }
}

/// The manifest (`deploy.yaml`, `deployment-spec/yaml`) or Helm overrides
/// (`helm-overrides`): YAML text (as a JSON string value, answered as `application/yaml`).
/// `rotate_after`: the armed fault `rotateAgentTokenAfterManifest`.
pub async fn manifest(ctx: &Ctx, req: ApiRequest, rotate_after: bool) -> ApiResult<Value> {
    let q = yaml_query(ctx, &req)?;
    let key = agent_key(&q.scope, req.route.id.as_deref().unwrap_or(""));
    let fresh = new_token(ctx);
    let later = new_token(ctx);
    let now = req.now;
    let private_key = q.private_key.clone().filter(|k| !k.is_empty());
    let (entry, token) = ctx
        .store
        .write(|s| {
            let e = s.agents.get_mut(&key).ok_or_else(|| missing(&key))?;
            let token = match &private_key {
                Some(given) if super::http::key_matches(given.as_bytes(), e.private_key.as_bytes()) => {
                    given.clone()
                }
                Some(_) => {
                    return Err(ApiError::invalid(format!(
                        "privateKey does not match the current credentials of agent \"{}\"; pass the \
                         agent's current token, or omit privateKey to regenerate it (the running agent \
                         is then locked out until the new manifest is applied)",
                        key.id
                    )))
                }
                None => {
                    e.private_key = fresh;
                    e.last_modified_at = now;
                    e.private_key.clone()
                }
            };
            let entry = e.clone();
            if rotate_after {
                e.private_key = later;
                e.last_modified_at = now;
            }
            Ok((entry, token))
        })
        .await?;
    let namespace = if q.namespace.is_empty() {
        str_of(&entry.metadata, "namespace").to_string()
    } else {
        q.namespace.clone()
    };
    if namespace.is_empty() {
        return Err(ApiError::invalid(
            "namespace is required (the namespace the agent is installed in; it must already exist)",
        ));
    }
    let input = ManifestInput {
        account: &entry.key.scope.account,
        org: &entry.key.scope.org,
        project: &entry.key.scope.project,
        identifier: &entry.key.id,
        name: &entry.name,
        agent_type: &entry.agent_type,
        namespace: &namespace,
        high_availability: entry
            .metadata
            .get("highAvailability")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        namespaced: entry
            .metadata
            .get("isNamespaced")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        skip_crds: q.skip_crds,
        ca_data: &q.ca_data,
        token: &token,
        http_target: &format!("{}/gitops", ctx.base_url),
        version: &ctx.latest_agent_version().to_string(),
        proxy: &q.proxy,
    };
    let text = match req.route.op {
        super::routes::Op::AgentOverridesGet | super::routes::Op::AgentOverridesPost => {
            manifest::helm_overrides(&input)
        }
        _ => manifest::deploy_yaml(&input),
    };
    req.applied(ctx);
    Ok(Value::String(text))
}

/// `POST /gitops/agent/v1/heartbeat` (emulator convention): `Authorization: Bearer <token>`.
pub async fn heartbeat(ctx: &Ctx, bearer: Option<&str>, body: &Value, now: Ts) -> ApiResult<Value> {
    let body = check_msg(body, &HEARTBEAT, "")?;
    let account = str_of(&body, "accountIdentifier");
    if account != ctx.account_id {
        return Err(ApiError::unauthenticated(format!(
            "{UNAUTHORIZED_AGENT}: accountIdentifier \"{account}\" is not this account"
        )));
    }
    let scope = Scope {
        account: account.to_string(),
        org: str_of(&body, "orgIdentifier").to_string(),
        project: str_of(&body, "projectIdentifier").to_string(),
    };
    check_scope(&scope)?;
    let id = str_of(&body, "agentIdentifier").to_string();
    if id.is_empty() {
        return Err(ApiError::invalid("agentIdentifier is required"));
    }
    let key = agent_key(&scope, &id);
    let components = object(&body, "components");
    let version = str_of(&body, "version").to_string();
    let token = bearer.unwrap_or("").to_string();
    ctx.store
        .write(|s| {
            let e = s.agents.get_mut(&key).ok_or_else(|| missing(&key))?;
            if token.is_empty()
                || !super::http::key_matches(token.as_bytes(), e.private_key.as_bytes())
            {
                return Err(ApiError::unauthenticated(UNAUTHORIZED_AGENT));
            }
            let mut shown = Map::new();
            for c in COMPONENTS {
                if let Some(v) = components.get(*c) {
                    shown.insert((*c).to_string(), v.clone());
                }
            }
            e.heartbeat = Some(Heartbeat {
                at: now,
                version,
                components: shown,
            });
            Ok(())
        })
        .await?;
    Ok(json!({}))
}
