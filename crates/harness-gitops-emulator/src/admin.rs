//! Test-only admin endpoints under `/_emulator/` (no API key; loopback peers only; never
//! delayed or faulted). See the crate docs of [`crate`] for the list.

use std::net::SocketAddr;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Map, Value};

use super::applications;
use super::clusters;
use super::error::{ApiError, ApiResult};
use super::http::{read_json, Ctx};
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
];

/// Handles one admin request; the answer is `(status, JSON body)`.
pub async fn handle(ctx: &Ctx, peer: SocketAddr, req: Request<Incoming>) -> (StatusCode, Value) {
    if !peer.ip().to_canonical().is_loopback() {
        let e =
            ApiError::permission_denied("the /_emulator/ admin API only answers loopback clients");
        return (e.status, e.body());
    }
    match admin(ctx, req).await {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => (e.status, e.body()),
    }
}

async fn admin(ctx: &Ctx, req: Request<Incoming>) -> ApiResult<Value> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let method = req.method().clone();
    let sub = path.strip_prefix("/_emulator/").unwrap_or("");
    match (&method, sub) {
        (&Method::GET, "state") => Ok(dump(ctx).await),
        (&Method::GET, "requests") => {
            let counts = ctx.counts.lock().unwrap_or_else(|p| p.into_inner()).clone();
            Ok(Value::Object(
                counts
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect(),
            ))
        }
        (&Method::POST, "reset") => {
            ctx.store
                .write(|s| {
                    *s = State::default();
                    Ok(())
                })
                .await?;
            ctx.counts.lock().unwrap_or_else(|p| p.into_inner()).clear();
            Ok(json!({}))
        }
        (&Method::PATCH | &Method::DELETE, kind) => {
            let kind = Kind::parse(kind).ok_or_else(|| not_found(&path))?;
            let key = key_of(ctx, &req, kind)?;
            if method == Method::DELETE {
                delete(ctx, kind, key).await
            } else {
                let patch = read_json(req.into_body()).await?.ok_or_else(|| {
                    ApiError::invalid("PATCH needs a JSON merge patch (RFC 7386) body")
                })?;
                patch_entity(ctx, kind, key, &patch).await
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

/// Everything, secrets in clear: `{repositories: [...], clusters: [...], applications: [...]}`
/// in the `servicev1*` shapes.
async fn dump(ctx: &Ctx) -> Value {
    let now = Ts::now();
    ctx.store
        .read(|s| {
            json!({
                "repositories": s.repositories.values().map(|e| repositories::render(e, true)).collect::<Vec<_>>(),
                "clusters": s.clusters.values().map(|e| clusters::render(e, s, true)).collect::<Vec<_>>(),
                "applications": s.applications.values()
                    .map(|e| applications::render(e, now, ctx.sync_delay)).collect::<Vec<_>>(),
            })
        })
        .await
}

fn key_of(ctx: &Ctx, req: &Request<Incoming>, kind: Kind) -> ApiResult<Key> {
    let q = Query::parse(req.uri().query(), KEY_PARAMS)?;
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
/// validates the result against the document, and answers the entity (secrets in clear).
/// Computed parts (`connectionState`, cluster `info`, application `status`) stay computed.
async fn patch_entity(ctx: &Ctx, kind: Kind, key: Key, patch: &Value) -> ApiResult<Value> {
    let now = Ts::now();
    let delay = ctx.sync_delay;
    let check = |stored: &Map<String, Value>| -> ApiResult<Map<String, Value>> {
        let mut v = Value::Object(stored.clone());
        merge_patch(&mut v, patch);
        Ok(check_msg(&v, kind.schema(), kind_field(kind))?)
    };
    ctx.store
        .write(|s| match kind {
            Kind::Repositories => {
                let mut e = s
                    .repositories
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| missing(kind, &key))?;
                e.repo = check(&e.repo)?;
                e.repo.remove("connectionState");
                e.last_modified_at = now;
                s.repositories.insert(key.clone(), e.clone());
                Ok(repositories::render(&e, true))
            }
            Kind::Clusters => {
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
                Ok(clusters::render(&e, s, true))
            }
            Kind::Applications => {
                let mut e = s
                    .applications
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| missing(kind, &key))?;
                let mut app = check(&e.app)?;
                app.remove("status");
                app.remove("operation");
                let spec = app.get("spec").cloned();
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
                if let Some(spec) = spec {
                    e.app.insert("spec".into(), spec);
                }
                s.applications.insert(key.clone(), e.clone());
                Ok(applications::render(&e, now, delay))
            }
        })
        .await
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
