//! Cluster operations (`/gitops/api/v1/agents/{agent}/clusters…`).
//!
//! The connection state is computed on every answer: a loopback server is checked for real
//! by the emulated agent ([`super::kube`]), outside the store lock; any other server follows
//! the `.invalid` convention.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::agent::{self, ClusterConn};
use super::common::{
    already_exists, envelope, keep_masked, list_body, mask, not_found, same_server, str_of, taken,
    CLUSTER_SECRETS,
};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx, Secrets};
use super::kube;
use super::schema::{CLUSTER_CREATE_REQUEST, CLUSTER_UPDATE_REQUEST};
use super::scope::{check_identifier, Key};
use super::store::{ClusterEntry, State, Ts};
use super::validate::check_msg;

/// Fields the agent computes; what a client sends for them is ignored.
const COMPUTED: &[&str] = &["info", "connectionState", "serverVersion"];

/// Names `updatedFields` (and `updateMask.paths`) may hold: the cluster's own fields plus
/// the Harness `tags` and `secretExpressions` (what the Go provider sends, reference §3.2).
const UPDATABLE: &[&str] = &[
    "server",
    "name",
    "config",
    "namespaces",
    "shard",
    "clusterResources",
    "project",
    "labels",
    "annotations",
    "refreshRequestedAt",
    "type",
    "tags",
    "secretExpressions",
];

/// `config.clusterConnectionType` values (reference §2.2 and the Go provider's docs).
pub const CONNECTION_TYPES: &[&str] = &[
    "IN_CLUSTER",
    "SERVICE_ACCOUNT",
    "USERNAME_PASSWORD",
    "TLS_CLIENT_CERT",
    "EXEC_PROVIDER",
    "IRSA",
];

/// How many loopback clusters a list checks at once.
const PARALLEL_CHECKS: usize = 16;

/// The connection the agent reports for `e` now: a real check for a loopback server, else
/// the convention (attempted at the last change).
pub async fn connection(ctx: &Ctx, e: &ClusterEntry, now: Ts) -> ClusterConn {
    connection_with(&ctx.secrets_now(), e, now).await
}

/// [`connection`] with the emulated secret manager's secrets given.
async fn connection_with(secrets: &Secrets, e: &ClusterEntry, now: Ts) -> ClusterConn {
    let server = str_of(&e.cluster, "server");
    if kube::is_loopback(server) {
        let (cluster, left) =
            kube::resolve_secret_expressions(&e.cluster, &e.secret_expressions, secrets);
        ClusterConn::probed(kube::probe(&cluster, &left).await, now)
    } else {
        ClusterConn::by_convention(server, e.last_modified_at)
    }
}

/// The `servicev1Cluster` of an entry; secrets masked unless `clear`.
pub fn render(e: &ClusterEntry, conn: &ClusterConn, applications: usize, clear: bool) -> Value {
    let mut out = envelope(&e.key, "identifier", e.created_at, e.last_modified_at);
    out.insert("cluster".into(), argo_object(e, conn, applications, clear));
    if !e.tags.is_empty() {
        out.insert("tags".into(), Value::Object(e.tags.clone()));
    }
    Value::Object(out)
}

/// Renders many entries (with their application counts), checking loopback servers
/// concurrently; `full` gives `servicev1Cluster`s, else raw Argo objects (list items). The
/// admin dump adds `secretExpressions` (`with_expressions`).
pub async fn render_all(
    ctx: &Ctx,
    items: Vec<(ClusterEntry, usize)>,
    now: Ts,
    clear: bool,
    full: bool,
    with_expressions: bool,
) -> Vec<Value> {
    let one = move |e: &ClusterEntry, conn: &ClusterConn, apps: usize| {
        let mut v = if full {
            render(e, conn, apps, clear)
        } else {
            argo_object(e, conn, apps, clear)
        };
        if with_expressions && !e.secret_expressions.is_empty() {
            if let Some(m) = v.as_object_mut() {
                m.insert(
                    "secretExpressions".into(),
                    Value::Object(e.secret_expressions.clone()),
                );
            }
        }
        v
    };
    let mut conns: Vec<Option<ClusterConn>> = vec![None; items.len()];
    let secrets = Arc::new(ctx.secrets_now());
    let limit = Arc::new(Semaphore::new(PARALLEL_CHECKS));
    let mut checks = JoinSet::new();
    for (i, (e, _)) in items.iter().enumerate() {
        if kube::is_loopback(str_of(&e.cluster, "server")) {
            let (limit, e, secrets) = (limit.clone(), e.clone(), secrets.clone());
            checks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (i, connection_with(&secrets, &e, now).await)
            });
        }
    }
    while let Some(done) = checks.join_next().await {
        if let Ok((i, conn)) = done {
            conns[i] = Some(conn);
        }
    }
    items
        .iter()
        .zip(conns)
        .map(|((e, apps), conn)| {
            let server = str_of(&e.cluster, "server");
            let conn = conn.unwrap_or_else(|| {
                if kube::is_loopback(server) {
                    ClusterConn {
                        result: Err(
                            "unable to connect to cluster: the connection check ended abnormally"
                                .into(),
                        ),
                        version: None,
                        api_versions: Vec::new(),
                        attempted_at: now,
                    }
                } else {
                    ClusterConn::by_convention(server, e.last_modified_at)
                }
            });
            one(e, &conn, *apps)
        })
        .collect()
}

/// Applications on the same agent that point at this cluster (by id or destination server).
pub fn applications_count(e: &ClusterEntry, state: &State) -> usize {
    let server = str_of(&e.cluster, "server");
    state
        .applications
        .values()
        .filter(|a| a.key.instance() == e.key.instance())
        .filter(|a| {
            let dest = a
                .app
                .get("spec")
                .and_then(|s| s.get("destination"))
                .and_then(|d| d.get("server"));
            a.cluster_id == e.key.id
                || dest
                    .and_then(Value::as_str)
                    .is_some_and(|d| same_server(d, server))
        })
        .count()
}

fn argo_object(e: &ClusterEntry, conn: &ClusterConn, applications: usize, clear: bool) -> Value {
    let mut c = e.cluster.clone();
    if !clear {
        mask(&mut c, CLUSTER_SECRETS);
    }
    agent::add_cluster_info(&mut c, conn, applications);
    Value::Object(c)
}

/// `secretExpressions` of a validated body: credential field → Harness secret reference
/// (`account.<id>`, `org.<id>` or `<id>`). `None` when the body has none.
fn secret_expressions(body: &Map<String, Value>) -> ApiResult<Option<Map<String, Value>>> {
    let Some(Value::Object(m)) = body.get("secretExpressions") else {
        return Ok(None);
    };
    for (field, reference) in m {
        if !kube::SECRET_EXPRESSION_FIELDS.contains(&field.as_str()) {
            return Err(ApiError::invalid(format!(
                "invalid value for field \"secretExpressions\": \"{field}\" is not a credential field; use one of {}",
                kube::SECRET_EXPRESSION_FIELDS.join(", ")
            )));
        }
        let r = reference.as_str().unwrap_or("");
        let Some(r) = kube::secret_reference(r) else {
            return Err(ApiError::invalid(format!(
                "invalid value for field \"secretExpressions\": {field}: {r:?} is neither a secret \
                 reference nor <+secrets.getValue(\"<reference>\")>"
            )));
        };
        let id = r
            .strip_prefix("account.")
            .or_else(|| r.strip_prefix("org."))
            .unwrap_or(r);
        check_identifier(
            &format!("secretExpressions[\"{field}\"] secret reference"),
            id,
        )?;
    }
    Ok(Some(m.clone()))
}

/// Applies Argo CD's normalisation and the rules every write shares to a cluster object.
fn normalise(req: &ApiRequest, mut c: Map<String, Value>) -> ApiResult<Map<String, Value>> {
    for k in COMPUTED {
        c.remove(*k);
    }
    let server = str_of(&c, "server").trim_end_matches('/').to_string();
    if server.is_empty() {
        return Err(ApiError::invalid(
            "field \"cluster.server\" (the Kubernetes API server URL) is required",
        ));
    }
    // Argo CD trims a trailing slash from the server and names an unnamed cluster after it.
    c.insert("server".into(), json!(server));
    if str_of(&c, "name").is_empty() {
        c.insert("name".into(), json!(server));
    }
    if !str_of(&c, "project").is_empty() && req.scope.project.is_empty() {
        return Err(ApiError::invalid(
            "project_id is required when creating cluster in project, cannot set argocd project for account level cluster",
        ));
    }
    let kind = c
        .get("config")
        .and_then(|k| k.get("clusterConnectionType"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !kind.is_empty() && !CONNECTION_TYPES.contains(&kind) {
        return Err(ApiError::invalid(format!(
            "invalid value for field \"cluster.config.clusterConnectionType\": \"{kind}\" is not one of {}",
            CONNECTION_TYPES.join(", ")
        )));
    }
    Ok(c)
}

/// With IRSA the agent authenticates with its IAM role: stored static credentials would be
/// sent along and are refused (the failure behind the Go provider's issue #1400). Checked
/// after masked secrets were replaced by the stored ones.
fn check_connection_type(c: &Map<String, Value>) -> ApiResult<()> {
    let Some(config) = c.get("config").and_then(Value::as_object) else {
        return Ok(());
    };
    if str_of(config, "clusterConnectionType") != "IRSA" {
        return Ok(());
    }
    let set: Vec<&str> = ["username", "password", "bearerToken"]
        .into_iter()
        .filter(|k| !str_of(config, k).is_empty())
        .collect();
    if set.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "cluster.config: clusterConnectionType IRSA authenticates with the agent's IAM role, \
         but the cluster also has {}; remove them (a masked value sent back keeps the stored one)",
        set.join(", ")
    )))
}

fn cluster_of(body: &Map<String, Value>) -> Option<Map<String, Value>> {
    body.get("cluster").and_then(Value::as_object).cloned()
}

/// Argo CD keys clusters by server URL inside one agent.
fn check_unique(state: &State, key: &Key, c: &Map<String, Value>) -> ApiResult<()> {
    let server = str_of(c, "server");
    let clash = state.clusters.values().find(|e| {
        e.key != *key
            && e.key.instance() == key.instance()
            && same_server(str_of(&e.cluster, "server"), server)
    });
    match clash {
        Some(e) => Err(taken("cluster", server, key, &e.key)),
        None => Ok(()),
    }
}

fn tags_of(body: &Map<String, Value>) -> Map<String, Value> {
    body.get("tags")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `POST …/clusters?identifier=` (AgentClusterService_Create).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.query.str("identifier").to_string();
    check_identifier("query parameter identifier", &id)?;
    let body = check_msg(&req.body, &CLUSTER_CREATE_REQUEST, "")?;
    let cluster = cluster_of(&body).ok_or_else(|| {
        ApiError::invalid("field \"cluster\" is required: send {\"cluster\": {\"server\": \"<url>\", \"config\": {...}}}")
    })?;
    let mut cluster = normalise(&req, cluster)?;
    let tags = tags_of(&body);
    let expressions = secret_expressions(&body)?.unwrap_or_default();
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let key = req.key(&id);
    let now = req.now;
    let (entry, apps) = ctx
        .store
        .write(|s| {
            let old = s.clusters.get(&key);
            if old.is_some() && !upsert {
                return Err(already_exists("cluster", &key));
            }
            keep_masked(&mut cluster, old.map(|e| &e.cluster), CLUSTER_SECRETS);
            check_connection_type(&cluster)?;
            check_unique(s, &key, &cluster)?;
            let entry = ClusterEntry {
                key: key.clone(),
                cluster,
                tags,
                secret_expressions: expressions,
                created_at: old.map_or(now, |e| e.created_at),
                last_modified_at: now,
            };
            s.clusters.insert(key.clone(), entry.clone());
            let apps = applications_count(&entry, s);
            Ok((entry, apps))
        })
        .await?;
    req.applied(ctx);
    let conn = connection(ctx, &entry, Ts::now()).await;
    Ok(render(&entry, &conn, apps, false))
}

/// `GET …/clusters/{identifier}` (AgentClusterService_Get). A loopback server is checked
/// again on every GET.
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let (entry, apps) = ctx
        .store
        .read(|s| {
            s.clusters
                .get(&key)
                .map(|e| (e.clone(), applications_count(e, s)))
        })
        .await
        .ok_or_else(|| not_found("cluster", &key))?;
    let conn = connection(ctx, &entry, Ts::now()).await;
    Ok(render(&entry, &conn, apps, false))
}

/// `GET …/clusters` (AgentClusterService_List): the agent's clusters in exactly the
/// requested scope, filtered by `identifier`, `query.server`, `query.name`, `query.project`
/// and `query.id.type`/`query.id.value` (type `name` or, by default, `server`).
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let q = &req.query;
    let wants = |param: &str, have: &str| q.admits(param, |w| w == have);
    let by_id = |c: &Map<String, Value>| match (q.str("query.id.type"), q.str("query.id.value")) {
        (_, "") => true,
        ("name", v) => str_of(c, "name") == v,
        (_, v) => same_server(str_of(c, "server"), v),
    };
    let found: Vec<(ClusterEntry, usize)> = ctx
        .store
        .read(|s| {
            s.clusters
                .values()
                .filter(|e| e.key.scope == req.scope && e.key.agent == req.route.agent)
                .filter(|e| wants("identifier", &e.key.id))
                .filter(|e| {
                    q.admits("query.server", |w| {
                        same_server(w, str_of(&e.cluster, "server"))
                    })
                })
                .filter(|e| wants("query.name", str_of(&e.cluster, "name")))
                .filter(|e| wants("query.project", str_of(&e.cluster, "project")))
                .filter(|e| by_id(&e.cluster))
                .map(|e| (e.clone(), applications_count(e, s)))
                .collect()
        })
        .await;
    let items = render_all(ctx, found, Ts::now(), false, false, false).await;
    Ok(list_body(json!({}), items))
}

/// `PUT …/clusters/{identifier}` (AgentClusterService_Update). With `updatedFields` (or
/// `updateMask.paths`) only the named fields are copied from the request (a named field
/// missing from the request is cleared); without them the cluster, tags and
/// secretExpressions are replaced. `forceUpdate` is accepted and changes nothing.
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let body = check_msg(&req.body, &CLUSTER_UPDATE_REQUEST, "")?;
    let mut fields: Vec<String> = Vec::new();
    for list in [
        body.get("updatedFields"),
        body.get("updateMask").and_then(|m| m.get("paths")),
    ] {
        for f in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !UPDATABLE.contains(&f) {
                return Err(ApiError::invalid(format!(
                    "updatedFields: \"{f}\" is not an updatable cluster field; use one of {}",
                    UPDATABLE.join(", ")
                )));
            }
            fields.push(f.to_string());
        }
    }
    let incoming = cluster_of(&body);
    let tags = tags_of(&body);
    let expressions = secret_expressions(&body)?.unwrap_or_default();
    let now = req.now;
    let (entry, apps) = ctx
        .store
        .write(|s| {
            let old = s.clusters.get(&key).ok_or_else(|| not_found("cluster", &key))?.clone();
            let (cluster, tags, expressions) = if fields.is_empty() {
                let c = incoming.clone().ok_or_else(|| {
                    ApiError::invalid("field \"cluster\" is required (or name the fields to change in updatedFields)")
                })?;
                (c, tags.clone(), expressions.clone())
            } else {
                let src = incoming.clone().unwrap_or_default();
                let mut c = old.cluster.clone();
                let mut t = old.tags.clone();
                let mut x = old.secret_expressions.clone();
                for f in &fields {
                    match f.as_str() {
                        "tags" => t = tags.clone(),
                        "secretExpressions" => x = expressions.clone(),
                        _ => match src.get(f) {
                            Some(v) => {
                                c.insert(f.clone(), v.clone());
                            }
                            None => {
                                c.remove(f);
                            }
                        },
                    }
                }
                (c, t, x)
            };
            let mut cluster = normalise(&req, cluster)?;
            keep_masked(&mut cluster, Some(&old.cluster), CLUSTER_SECRETS);
            check_connection_type(&cluster)?;
            check_unique(s, &key, &cluster)?;
            let entry = ClusterEntry {
                cluster,
                tags,
                secret_expressions: expressions,
                last_modified_at: now,
                ..old
            };
            s.clusters.insert(key.clone(), entry.clone());
            let apps = applications_count(&entry, s);
            Ok((entry, apps))
        })
        .await?;
    req.applied(ctx);
    let conn = connection(ctx, &entry, Ts::now()).await;
    Ok(render(&entry, &conn, apps, false))
}

/// `DELETE …/clusters/{identifier}` (AgentClusterService_Delete). Refused (400, code 9,
/// "cluster is used by N application(s)", the real API's words) while applications use it
/// (as counted in `info.applicationsCount`, those being deleted included), unless
/// `forceDelete=true`.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let force = req.query.bool("forceDelete");
    ctx.store
        .write(|s| {
            let e = s
                .clusters
                .get(&key)
                .ok_or_else(|| not_found("cluster", &key))?;
            let users = applications_count(e, s);
            if users > 0 && !force {
                return Err(ApiError::failed_precondition(format!(
                    "cluster is used by {users} application(s)"
                )));
            }
            s.clusters.remove(&key);
            Ok(())
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}
