//! Test-only admin endpoints under `/_emulator/` (see the crate docs of [`crate`] for the
//! list). Never delayed or faulted. Every request must come from a loopback peer, be
//! addressed to a loopback name (`Host`: `localhost`, `127.0.0.0/8`, `[::1]`; defeats DNS
//! rebinding) and carry the API key (`x-api-key`, the `--api-key` value). Secrets are masked
//! unless the request asks for them with `secrets=clear`.

use std::net::{IpAddr, SocketAddr};

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Map, Value};

use super::applications;
use super::clusters;
use super::error::{ApiError, ApiResult};
use super::http::{key_matches, read_json, Ctx};
use super::query::{Param, Query};
use super::repositories;
use super::schema::{Msg, APPLICATION, CLUSTER, REPOSITORY};
use super::scope::{Key, Scope};
use super::store::{State, Ts};
use super::validate::check_msg;

/// The entity kinds the admin API can patch or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Repositories,
    Clusters,
    Applications,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "repositories" => Some(Kind::Repositories),
            "clusters" => Some(Kind::Clusters),
            "applications" => Some(Kind::Applications),
            _ => None,
        }
    }
    fn schema(self) -> &'static Msg {
        match self {
            Kind::Repositories => &REPOSITORY,
            Kind::Clusters => &CLUSTER,
            Kind::Applications => &APPLICATION,
        }
    }
}

const KEY_PARAMS: &[(&str, Param)] = &[
    ("agentIdentifier", Param::Str),
    ("identifier", Param::Str),
    ("name", Param::Str),
    ("secrets", Param::Str),
];

const STATE_PARAMS: &[(&str, Param)] = &[("secrets", Param::Str)];

/// Whether `host` (a `Host` header or URI authority, port optional) names the loopback.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The gate every admin request passes: loopback peer, loopback `Host`, the API key.
fn admit(ctx: &Ctx, peer: SocketAddr, req: &Request<Incoming>) -> ApiResult<()> {
    if !peer.ip().to_canonical().is_loopback() {
        return Err(ApiError::permission_denied(
            "the /_emulator/ admin API only answers loopback clients",
        ));
    }
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    if !loopback_host(&host) {
        return Err(ApiError::permission_denied(format!(
            "the /_emulator/ admin API only answers requests addressed to a loopback name \
             (Host localhost, 127.0.0.0/8 or [::1]); got Host \"{host}\" (DNS rebinding protection)"
        )));
    }
    match req.headers().get("x-api-key") {
        None => Err(ApiError::unauthenticated(
            "the /_emulator/ admin API needs the x-api-key header with the --api-key value",
        )),
        Some(v) if !key_matches(v.as_bytes(), ctx.api_key.expose().as_bytes()) => Err(
            ApiError::unauthenticated("invalid API key in the x-api-key header"),
        ),
        Some(_) => Ok(()),
    }
}

/// Handles one admin request; the answer is `(status, JSON body)`.
pub async fn handle(ctx: &Ctx, peer: SocketAddr, req: Request<Incoming>) -> (StatusCode, Value) {
    let answer = match admit(ctx, peer, &req) {
        Ok(()) => admin(ctx, req).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => (e.status, e.body()),
    }
}

/// `secrets=clear` asks for secrets in clear; absent or `masked` keeps them masked.
fn clear_secrets(q: &Query) -> ApiResult<bool> {
    match q.str("secrets") {
        "" | "masked" => Ok(false),
        "clear" => Ok(true),
        other => Err(ApiError::invalid(format!(
            "query parameter secrets must be clear or masked, got \"{other}\""
        ))),
    }
}

async fn admin(ctx: &Ctx, req: Request<Incoming>) -> ApiResult<Value> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let method = req.method().clone();
    let sub = path.strip_prefix("/_emulator/").unwrap_or("");
    match (&method, sub) {
        (&Method::GET, "state") => {
            let q = Query::parse(req.uri().query(), STATE_PARAMS)?;
            Ok(dump(ctx, clear_secrets(&q)?).await)
        }
        (&Method::GET, "requests") => Ok(counters(ctx)),
        (&Method::POST, "reset") => {
            ctx.store
                .write(|s| {
                    *s = State::default();
                    Ok(())
                })
                .await?;
            ctx.reset_counts();
            Ok(json!({}))
        }
        (&Method::PATCH | &Method::DELETE, kind) => {
            let kind = Kind::parse(kind).ok_or_else(|| not_found(&path))?;
            let q = Query::parse(req.uri().query(), KEY_PARAMS)?;
            let clear = clear_secrets(&q)?;
            let key = key_of(ctx, &q, kind)?;
            if method == Method::DELETE {
                delete(ctx, kind, key).await
            } else {
                let patch = read_json(req.into_body()).await?.ok_or_else(|| {
                    ApiError::invalid("PATCH needs a JSON merge patch (RFC 7386) body")
                })?;
                patch_entity(ctx, kind, key, &patch, clear).await
            }
        }
        _ => Err(not_found(&path)),
    }
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(format!(
        "no admin endpoint at {path}; see `harness-gitops-emulator --help` for GET /_emulator/state, \
         GET /_emulator/requests, POST /_emulator/reset, PATCH|DELETE /_emulator/{{repositories|clusters|applications}}"
    ))
}

/// `GET /_emulator/requests`: `{requests: {op: n}, applied: {op: n}, faults: {...},
/// connections: n}`.
fn counters(ctx: &Ctx) -> Value {
    let (c, connections) = ctx.snapshot();
    let map = |m: &std::collections::BTreeMap<&'static str, u64>| -> Value {
        Value::Object(m.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
    };
    json!({
        "requests": map(&c.requests),
        "applied": map(&c.applied),
        "faults": {
            "before.unavailable": c.unavailable,
            "before.tooManyRequests": c.too_many_requests,
            "before.drop": c.drop_before,
            "after.drop": c.drop_after,
        },
        "connections": connections,
    })
}

/// Everything: `{repositories: [...], clusters: [...], applications: [...]}` in the
/// `servicev1*` shapes (clusters with their `secretExpressions`, if any), secrets masked
/// unless `clear`. Loopback clusters are checked as a GET would.
async fn dump(ctx: &Ctx, clear: bool) -> Value {
    let now = Ts::now();
    let (repos, cluster_items, apps) = ctx
        .store
        .read(|s| {
            (
                s.repositories
                    .values()
                    .map(|e| repositories::render(e, clear))
                    .collect::<Vec<_>>(),
                s.clusters
                    .values()
                    .map(|e| (e.clone(), clusters::applications_count(e, s)))
                    .collect::<Vec<_>>(),
                s.applications
                    .values()
                    .map(|e| applications::render(e, now))
                    .collect::<Vec<_>>(),
            )
        })
        .await;
    let cluster_values = clusters::render_all(cluster_items, now, clear, true, true).await;
    json!({"repositories": repos, "clusters": cluster_values, "applications": apps})
}

fn key_of(ctx: &Ctx, q: &Query, kind: Kind) -> ApiResult<Key> {
    let agent = q.str("agentIdentifier");
    if agent.is_empty() {
        return Err(ApiError::invalid(
            "query parameter agentIdentifier is required",
        ));
    }
    let id_param = if kind == Kind::Applications {
        "name"
    } else {
        "identifier"
    };
    let id = q.str(id_param);
    if id.is_empty() {
        return Err(ApiError::invalid(format!(
            "query parameter {id_param} is required"
        )));
    }
    let account = q
        .opt("accountIdentifier")
        .filter(|a| !a.is_empty())
        .unwrap_or(&ctx.account_id);
    Ok(Key {
        scope: Scope {
            account: account.to_string(),
            org: q.str("orgIdentifier").to_string(),
            project: q.str("projectIdentifier").to_string(),
        },
        agent: agent.to_string(),
        id: id.to_string(),
    })
}

fn missing(kind: Kind, key: &Key) -> ApiError {
    ApiError::not_found(format!("no {kind:?} entity {key:?}"))
}

async fn delete(ctx: &Ctx, kind: Kind, key: Key) -> ApiResult<Value> {
    ctx.store
        .write(|s| {
            let gone = match kind {
                Kind::Repositories => s.repositories.remove(&key).is_some(),
                Kind::Clusters => s.clusters.remove(&key).is_some(),
                Kind::Applications => s.applications.remove(&key).is_some(),
            };
            if gone {
                Ok(json!({}))
            } else {
                Err(missing(kind, &key))
            }
        })
        .await
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// Applies a merge patch to the stored Argo object (drift behind the client's back),
/// validates the result against the document, and answers the entity (secrets masked
/// unless `clear`). Computed parts (`connectionState`, cluster `info`, application
/// `status`) stay computed; a changed application spec is a change for the controller.
async fn patch_entity(
    ctx: &Ctx,
    kind: Kind,
    key: Key,
    patch: &Value,
    clear: bool,
) -> ApiResult<Value> {
    let now = Ts::now();
    let delay = ctx.sync_delay;
    let check = |stored: &Map<String, Value>| -> ApiResult<Map<String, Value>> {
        let mut v = Value::Object(stored.clone());
        merge_patch(&mut v, patch);
        Ok(check_msg(&v, kind.schema(), kind_field(kind))?)
    };
    match kind {
        Kind::Repositories => {
            ctx.store
                .write(|s| {
                    let mut e = s
                        .repositories
                        .get(&key)
                        .cloned()
                        .ok_or_else(|| missing(kind, &key))?;
                    e.repo = check(&e.repo)?;
                    e.repo.remove("connectionState");
                    e.last_modified_at = now;
                    s.repositories.insert(key.clone(), e.clone());
                    Ok(repositories::render(&e, clear))
                })
                .await
        }
        Kind::Clusters => {
            let (e, apps) = ctx
                .store
                .write(|s| {
                    let mut e = s
                        .clusters
                        .get(&key)
                        .cloned()
                        .ok_or_else(|| missing(kind, &key))?;
                    e.cluster = check(&e.cluster)?;
                    for k in ["info", "connectionState", "serverVersion"] {
                        e.cluster.remove(k);
                    }
                    e.last_modified_at = now;
                    s.clusters.insert(key.clone(), e.clone());
                    let apps = clusters::applications_count(&e, s);
                    Ok((e, apps))
                })
                .await?;
            let conn = clusters::connection(&e, Ts::now()).await;
            Ok(clusters::render(&e, &conn, apps, clear))
        }
        Kind::Applications => {
            ctx.store
                .write(|s| {
                    let mut e = s
                        .applications
                        .get(&key)
                        .map(|a| (**a).clone())
                        .ok_or_else(|| missing(kind, &key))?;
                    let mut app = check(&e.app)?;
                    app.remove("status");
                    app.remove("operation");
                    let meta = app.get("metadata").cloned();
                    applications::apply_update(s, &mut e, &app, now, delay);
                    // A drift may touch any metadata, not only what an update copies.
                    if let (Some(Value::Object(m)), Some(Value::Object(stored))) =
                        (meta, e.app.get_mut("metadata"))
                    {
                        for (k, v) in m {
                            if !["name", "resourceVersion", "generation"].contains(&k.as_str()) {
                                stored.insert(k, v);
                            }
                        }
                    }
                    let out = applications::render(&e, now);
                    s.applications.insert(key.clone(), std::sync::Arc::new(e));
                    Ok(out)
                })
                .await
        }
    }
}

fn kind_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Repositories => "repository",
        Kind::Clusters => "cluster",
        Kind::Applications => "app",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}, "n": [1]}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}, "n": [1]}));
    }
}
