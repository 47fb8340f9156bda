//! Cluster operations (`/gitops/api/v1/agents/{agent}/clusters…`).

use serde_json::{json, Map, Value};

use super::agent;
use super::common::{
    already_exists, envelope, keep_masked, list_body, mask, not_found, same_server, str_of, taken,
    CLUSTER_SECRETS,
};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::schema::{CLUSTER_CREATE_REQUEST, CLUSTER_UPDATE_REQUEST};
use super::scope::{check_identifier, Key};
use super::store::{ClusterEntry, State};
use super::validate::check_msg;

/// Fields the agent computes; what a client sends for them is ignored.
const COMPUTED: &[&str] = &["info", "connectionState", "serverVersion"];

/// Names `updatedFields` (and `updateMask.paths`) may hold: the cluster's own fields plus
/// the Harness `tags`.
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
];

/// The `servicev1Cluster` of an entry; secrets masked unless `clear`.
pub fn render(e: &ClusterEntry, state: &State, clear: bool) -> Value {
    let mut out = envelope(&e.key, "identifier", e.created_at, e.last_modified_at);
    out.insert("cluster".into(), argo_object(e, state, clear));
    if !e.tags.is_empty() {
        out.insert("tags".into(), Value::Object(e.tags.clone()));
    }
    Value::Object(out)
}

/// Applications on the same agent that point at this cluster (by id or destination server).
fn applications_count(e: &ClusterEntry, state: &State) -> usize {
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

fn argo_object(e: &ClusterEntry, state: &State, clear: bool) -> Value {
    let mut c = e.cluster.clone();
    if !clear {
        mask(&mut c, CLUSTER_SECRETS);
    }
    agent::add_cluster_info(&mut c, e.last_modified_at, applications_count(e, state));
    Value::Object(c)
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
    Ok(c)
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

/// `POST …/clusters?identifier=` (AgentClusterService_Create).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.query.str("identifier").to_string();
    check_identifier("query parameter identifier", &id)?;
    let body = check_msg(&req.body, &CLUSTER_CREATE_REQUEST, "")?;
    let cluster = cluster_of(&body).ok_or_else(|| {
        ApiError::invalid("field \"cluster\" is required: send {\"cluster\": {\"server\": \"<url>\", \"config\": {...}}}")
    })?;
    let mut cluster = normalise(&req, cluster)?;
    let tags = body
        .get("tags")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let key = req.key(&id);
    let now = req.now;
    ctx.store
        .write(|s| {
            let old = s.clusters.get(&key);
            if old.is_some() && !upsert {
                return Err(already_exists("cluster", &key));
            }
            keep_masked(&mut cluster, old.map(|e| &e.cluster), CLUSTER_SECRETS);
            check_unique(s, &key, &cluster)?;
            let entry = ClusterEntry {
                key: key.clone(),
                cluster,
                tags,
                created_at: old.map_or(now, |e| e.created_at),
                last_modified_at: now,
            };
            s.clusters.insert(key.clone(), entry.clone());
            Ok(render(&entry, s, false))
        })
        .await
}

/// `GET …/clusters/{identifier}` (AgentClusterService_Get).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .read(|s| s.clusters.get(&key).map(|e| render(e, s, false)))
        .await
        .ok_or_else(|| not_found("cluster", &key))
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
    let items: Vec<Value> = ctx
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
                .map(|e| argo_object(e, s, false))
                .collect()
        })
        .await;
    Ok(list_body(json!({}), items))
}

/// `PUT …/clusters/{identifier}` (AgentClusterService_Update). With `updatedFields` (or
/// `updateMask.paths`) only the named fields are copied from the request (a named field
/// missing from the request is cleared); without them the cluster and tags are replaced.
/// `forceUpdate` is accepted and changes nothing in the emulator.
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
    let tags = body
        .get("tags")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let now = req.now;
    ctx.store
        .write(|s| {
            let old = s.clusters.get(&key).ok_or_else(|| not_found("cluster", &key))?.clone();
            let (cluster, tags) = if fields.is_empty() {
                let c = incoming.clone().ok_or_else(|| {
                    ApiError::invalid("field \"cluster\" is required (or name the fields to change in updatedFields)")
                })?;
                (c, tags.clone())
            } else {
                let src = incoming.clone().unwrap_or_default();
                let mut c = old.cluster.clone();
                let mut t = old.tags.clone();
                for f in &fields {
                    if f == "tags" {
                        t = tags.clone();
                    } else if let Some(v) = src.get(f) {
                        c.insert(f.clone(), v.clone());
                    } else {
                        c.remove(f);
                    }
                }
                (c, t)
            };
            let mut cluster = normalise(&req, cluster)?;
            keep_masked(&mut cluster, Some(&old.cluster), CLUSTER_SECRETS);
            check_unique(s, &key, &cluster)?;
            let entry = ClusterEntry { cluster, tags, last_modified_at: now, ..old };
            s.clusters.insert(key.clone(), entry.clone());
            Ok(render(&entry, s, false))
        })
        .await
}

/// `DELETE …/clusters/{identifier}` (AgentClusterService_Delete). `forceDelete` is
/// accepted; with an always-reachable emulated agent it changes nothing.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .write(|s| {
            s.clusters
                .remove(&key)
                .map(|_| ())
                .ok_or_else(|| not_found("cluster", &key))
        })
        .await?;
    Ok(json!({}))
}
