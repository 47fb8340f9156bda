//! Test-only admin endpoints under `/_emulator/` (see the crate docs of [`crate`] for the
//! list). Never delayed or faulted. Every request must come from a loopback peer, be
//! addressed to a loopback name (`Host`: `localhost`, `127.0.0.0/8`, `[::1]`; defeats DNS
//! rebinding) and carry the API key (`x-api-key`, the `--api-key` value). Secrets are masked
//! unless the request asks for them with `secrets=clear`.

use std::net::{IpAddr, SocketAddr};

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Map, Value};

use super::agents;
use super::applications;
use super::clusters;
use super::error::{code, ApiError, ApiResult};
use super::faults::{Armed, ArmedAction};
use super::http::{key_matches, read_json, Ctx};
use super::query::{Param, Query};
use super::repositories;
use super::routes::Op;
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
            ctx.set_latest_agent_version(ctx.agent_version_default);
            *ctx.git_trees.write().unwrap_or_else(|p| p.into_inner()) =
                ctx.git_trees_default.clone();
            ctx.reset_counts();
            ctx.armed.clear();
            Ok(json!({}))
        }
        (&Method::GET, "agent-version") => {
            Ok(json!({"version": ctx.latest_agent_version().to_string()}))
        }
        (&Method::POST, "agent-version") => {
            let body = read_json(req.into_body()).await?.ok_or_else(|| {
                ApiError::invalid(
                    "POST /_emulator/agent-version needs a JSON body, e.g. {\"version\": \"0.102.0\"}",
                )
            })?;
            let v = agent_version_body(&body)?;
            ctx.store
                .write(|s| {
                    s.agent_version = Some(v);
                    Ok(())
                })
                .await?;
            ctx.set_latest_agent_version(v);
            crate::log(format_args!("latest agent version set to {v}"));
            Ok(json!({"version": v.to_string()}))
        }
        (&Method::POST, "faults") => {
            let body = read_json(req.into_body()).await?.ok_or_else(|| {
                ApiError::invalid("POST /_emulator/faults needs a JSON body, e.g. {\"op\": \"repositories.update\", \"error\": {\"status\": 400, \"message\": \"...\"}}")
            })?;
            ctx.armed.arm(armed_fault(&body)?);
            Ok(json!({"pending": ctx.armed.pending()}))
        }
        (&Method::POST, "secrets") => {
            let body = read_json(req.into_body()).await?.ok_or_else(|| {
                ApiError::invalid("POST /_emulator/secrets needs a JSON body, e.g. {\"reference\": \"account.k8s_token\", \"value\": \"...\"}")
            })?;
            let (Some(reference), Some(value)) = (
                body.get("reference").and_then(Value::as_str),
                body.get("value").and_then(Value::as_str),
            ) else {
                return Err(ApiError::invalid(
                    "POST /_emulator/secrets needs string fields \"reference\" and \"value\"",
                ));
            };
            ctx.secrets
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(reference.to_string(), crate::secret::Secret::new(value));
            Ok(json!({"reference": reference}))
        }
        (&Method::DELETE, "faults") => Ok(json!({"disarmed": ctx.armed.clear()})),
        (&Method::GET, "git-tree") => Ok(serde_json::to_value(
            &*ctx.git_trees.read().unwrap_or_else(|p| p.into_inner()),
        )
        .unwrap_or_else(|_| json!({}))),
        (&Method::POST, "git-tree") => {
            let body = read_json(req.into_body()).await?.ok_or_else(|| {
                ApiError::invalid("POST /_emulator/git-tree needs a JSON body, e.g. {\"https://github.com/o/r\": {\"HEAD\": [\"apps/web\"]}}")
            })?;
            let trees = crate::appsets::parse_git_trees(&body).map_err(ApiError::invalid)?;
            let repos = trees.len();
            *ctx.git_trees.write().unwrap_or_else(|p| p.into_inner()) = trees;
            Ok(json!({"repositories": repos}))
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

/// `POST /_emulator/agent-version` body: exactly `{"version": "MAJOR.MINOR.PATCH"}`.
fn agent_version_body(body: &Value) -> ApiResult<crate::AgentVersion> {
    let obj = body.as_object().ok_or_else(|| {
        ApiError::invalid("the body must be a JSON object: {\"version\": \"0.102.0\"}")
    })?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "version") {
        return Err(ApiError::invalid(format!(
            "unknown key \"{k}\" in the body; the only key is version"
        )));
    }
    let v = obj
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("version is required, a string such as \"0.102.0\""))?;
    v.parse()
        .map_err(|e: crate::BadVersion| ApiError::invalid(format!("version: {e}")))
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(format!(
        "no admin endpoint at {path}; see `harness-gitops-emulator --help` for GET /_emulator/state, \
         GET /_emulator/requests, POST /_emulator/reset, POST|DELETE /_emulator/faults, \
         GET|POST /_emulator/agent-version, \
         PATCH|DELETE /_emulator/{{repositories|clusters|applications}}"
    ))
}

/// `GET /_emulator/requests`: `{requests: {op: n}, applied: {op: n}, faults: {...},
/// connections: n}`.
fn counters(ctx: &Ctx) -> Value {
    let (c, connections) = ctx.snapshot();
    let map = |m: &std::collections::BTreeMap<&'static str, u64>| -> Value {
        Value::Object(m.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
    };
    let mut faults = json!({
        "before.unavailable": c.unavailable,
        "before.tooManyRequests": c.too_many_requests,
        "before.drop": c.drop_before,
        "after.drop": c.drop_after,
    });
    if let Value::Object(f) = &mut faults {
        for (k, v) in &c.armed {
            f.insert(k.clone(), json!(v));
        }
    }
    json!({
        "requests": map(&c.requests),
        "applied": map(&c.applied),
        "faults": faults,
        "armedPending": ctx.armed.pending(),
        "connections": connections,
    })
}

/// Everything: `{repositories: [...], clusters: [...], applications: [...], agents: [...]}`
/// in the `servicev1*` / `v1Agent` shapes (clusters with their `secretExpressions`, if any;
/// repositories with their generator fields `genType`, `ecrGen`, `gcrGen`, `refreshInterval`;
/// agents with `credentials`), secrets masked unless `clear`. Loopback clusters are checked as a GET would.
async fn dump(ctx: &Ctx, clear: bool) -> Value {
    let now = Ts::now();
    let (repos, cluster_items, apps, agent_values) = ctx
        .store
        .read(|s| {
            (
                s.repositories
                    .values()
                    .map(|e| repositories::render_with_generator(e, clear, s))
                    .collect::<Vec<_>>(),
                s.clusters
                    .values()
                    .map(|e| (e.clone(), clusters::applications_count(e, s)))
                    .collect::<Vec<_>>(),
                s.applications
                    .values()
                    .map(|e| applications::render(e, now))
                    .collect::<Vec<_>>(),
                s.agents
                    .values()
                    .map(|e| agents::render_for_dump(ctx, e, now, clear))
                    .collect::<Vec<_>>(),
            )
        })
        .await;
    let cluster_values = clusters::render_all(ctx, cluster_items, now, clear, true, true).await;
    let mut out = json!({"repositories": repos, "clusters": cluster_values, "applications": apps, "agents": agent_values});
    // Repository credential templates, when there are any (`servicev1RepositoryCredentials`).
    let creds = ctx
        .store
        .read(|s| {
            s.repo_creds
                .values()
                .map(|e| crate::repo_creds::render(e, clear))
                .collect::<Vec<_>>()
        })
        .await;
    if !creds.is_empty() {
        out["repoCreds"] = Value::Array(creds);
    }
    // ApplicationSets, when there are any (`servicev1ApplicationSet`, status included).
    let appsets = ctx.store.read(|s| crate::appsets::dump(s, now)).await;
    if !appsets.is_empty() {
        out["applicationsets"] = Value::Array(appsets);
    }
    out
}

/// `POST /_emulator/faults` body: `{"op": "<operation>", "skip": n, "error": {"status": s,
/// "message": "..."}}` or `{"op": ..., "skip": n, "dropAfter": true}`.
fn armed_fault(body: &Value) -> ApiResult<Armed> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("the fault must be a JSON object"))?;
    for k in obj.keys() {
        if ![
            "op",
            "skip",
            "error",
            "dropAfter",
            "rotateAgentTokenAfterManifest",
        ]
        .contains(&k.as_str())
        {
            return Err(ApiError::invalid(format!(
                "unknown key \"{k}\" in the fault; keys: op, skip, error, dropAfter, rotateAgentTokenAfterManifest"
            )));
        }
    }
    let op = obj.get("op").and_then(Value::as_str).unwrap_or("");
    if !Op::ALL.iter().any(|o| o.name() == op) {
        return Err(ApiError::invalid(format!(
            "op \"{op}\" is not an operation; one of: {}",
            Op::ALL.map(Op::name).join(", ")
        )));
    }
    let skip = match obj.get("skip") {
        None => 0,
        Some(v) => v.as_u64().ok_or_else(|| {
            ApiError::invalid("skip must be a whole number (requests let through first)")
        })?,
    };
    if let Some(v) = obj.get("rotateAgentTokenAfterManifest") {
        if v != &Value::Bool(true) || obj.contains_key("error") || obj.contains_key("dropAfter") {
            return Err(ApiError::invalid(
                "rotateAgentTokenAfterManifest must be true and comes without error or dropAfter",
            ));
        }
        if !op.starts_with("agents.deployYaml.") && !op.starts_with("agents.helmOverrides.") {
            return Err(ApiError::invalid(
                "rotateAgentTokenAfterManifest applies to agents.deployYaml.get, agents.deployYaml.post, agents.helmOverrides.get or agents.helmOverrides.post",
            ));
        }
        return Ok(Armed {
            op: op.to_string(),
            skip,
            action: ArmedAction::RotateAgentTokenAfterManifest,
        });
    }
    let action = match (obj.get("error"), obj.get("dropAfter")) {
        (Some(e), None) => {
            let status = e.get("status").and_then(Value::as_u64).unwrap_or(0);
            let message = e.get("message").and_then(Value::as_str).unwrap_or("");
            if message.is_empty() {
                return Err(ApiError::invalid("error.message must be a non-empty string"));
            }
            let grpc = match status {
                400 => code::INVALID_ARGUMENT,
                401 => code::UNAUTHENTICATED,
                403 => code::PERMISSION_DENIED,
                404 => code::NOT_FOUND,
                409 => code::ALREADY_EXISTS,
                429 => code::RESOURCE_EXHAUSTED,
                500 => code::INTERNAL,
                501 => code::UNIMPLEMENTED,
                503 => code::UNAVAILABLE,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "error.status {status} is not one the gateway answers; use 400, 401, 403, 404, 409, 429, 500, 501 or 503"
                    )))
                }
            };
            let status = http::StatusCode::from_u16(status as u16)
                .map_err(|_| ApiError::invalid("error.status is not an HTTP status"))?;
            ArmedAction::Error(ApiError {
                status,
                code: grpc,
                message: message.to_string(),
            })
        }
        (None, Some(Value::Bool(true))) => ArmedAction::DropAfter,
        _ => {
            return Err(ApiError::invalid(
                "a fault has exactly one of error ({\"status\": s, \"message\": m}) and dropAfter (true)",
            ))
        }
    };
    Ok(Armed {
        op: op.to_string(),
        skip,
        action,
    })
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
        ns: String::new(),
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
                Kind::Applications => applications::resolve(s, &key, "")
                    .and_then(|k| s.applications.remove(&k))
                    .is_some(),
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
                    Ok(repositories::render(&e, clear, s))
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
            let conn = clusters::connection(ctx, &e, Ts::now()).await;
            Ok(clusters::render(&e, &conn, apps, clear))
        }
        Kind::Applications => {
            ctx.store
                .write(|s| {
                    let key =
                        applications::resolve(s, &key, "").ok_or_else(|| missing(kind, &key))?;
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

    /// Armed faults through the HTTP admin API: an error answered once with nothing changed,
    /// a dropped response after an applied create, counted by operation; bad faults refused.
    #[test]
    fn armed_faults_fire_once_on_the_request_they_name() {
        let emu = crate::start_background_with_args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k",
            "--account-id",
            "acc",
        ])
        .expect("emulator");
        let http = reqwest::blocking::Client::new();
        let admin = |m: reqwest::Method, path: &str, body: Option<Value>| {
            let mut r = http
                .request(m, format!("{}/_emulator/{path}", emu.url()))
                .header("x-api-key", "k");
            if let Some(b) = body {
                r = r.json(&b);
            }
            let resp = r.send().expect("admin call");
            (resp.status().as_u16(), resp.json::<Value>().expect("json"))
        };
        let create = |id: &str| {
            http.post(format!(
                "{}/gitops/api/v1/agents/account.a/repositories",
                emu.url()
            ))
            .query(&[("accountIdentifier", "acc"), ("identifier", id)])
            .header("x-api-key", "k")
            .json(&json!({"repo": {"repo": format!("https://github.com/x/{id}.git")}}))
            .send()
        };
        let stored = || {
            let (_, st) = admin(reqwest::Method::GET, "state", None);
            st["repositories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["identifier"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };

        // An error on the second create: the first passes, the second is refused with the
        // given status and message, unchanged; the third passes.
        let (status, v) = admin(
            reqwest::Method::POST,
            "faults",
            Some(json!({"op": "repositories.create", "skip": 1,
                        "error": {"status": 409, "message": "refused by the test"}})),
        );
        assert_eq!((status, &v["pending"]), (200, &json!(1)), "{v}");
        assert_eq!(create("r1").unwrap().status().as_u16(), 200);
        let refused = create("r2").unwrap();
        assert_eq!(refused.status().as_u16(), 409);
        let body: Value = refused.json().unwrap();
        assert_eq!(body["message"], "refused by the test");
        assert_eq!(body["code"], 6);
        assert_eq!(stored(), ["r1"], "the refused create changed nothing");
        assert_eq!(create("r2").unwrap().status().as_u16(), 200, "once");

        // A dropped response after an applied create.
        admin(
            reqwest::Method::POST,
            "faults",
            Some(json!({"op": "repositories.create", "dropAfter": true})),
        );
        assert!(create("r3").is_err(), "no response");
        assert!(stored().contains(&"r3".to_string()), "but applied");
        let (_, c) = admin(reqwest::Method::GET, "requests", None);
        assert_eq!(c["faults"]["armed.repositories.create.error"], 1, "{c}");
        assert_eq!(c["faults"]["armed.repositories.create.dropAfter"], 1, "{c}");
        assert_eq!(c["faults"]["after.drop"], 0, "{c}");
        assert_eq!(c["applied"]["repositories.create"], 3, "{c}");
        assert_eq!(c["armedPending"], 0, "{c}");

        // Disarmed: nothing fires.
        admin(
            reqwest::Method::POST,
            "faults",
            Some(json!({"op": "repositories.create", "dropAfter": true})),
        );
        let (_, v) = admin(reqwest::Method::DELETE, "faults", None);
        assert_eq!(v["disarmed"], 1);
        assert_eq!(create("r4").unwrap().status().as_u16(), 200);

        // Refused faults, each saying why.
        for (body, says) in [
            (
                json!({"op": "repositories.nope", "dropAfter": true}),
                "not an operation",
            ),
            (json!({"op": "repositories.create"}), "exactly one of"),
            (
                json!({"op": "repositories.create", "dropAfter": true,
                       "error": {"status": 400, "message": "m"}}),
                "exactly one of",
            ),
            (
                json!({"op": "repositories.create", "error": {"status": 418, "message": "m"}}),
                "error.status 418",
            ),
            (
                json!({"op": "repositories.create", "error": {"status": 400}}),
                "error.message",
            ),
            (
                json!({"op": "repositories.create", "dropAfter": true, "x": 1}),
                "unknown key",
            ),
        ] {
            let (status, v) = admin(reqwest::Method::POST, "faults", Some(body.clone()));
            assert_eq!(status, 400, "{body}: {v}");
            assert!(v["message"].as_str().unwrap().contains(says), "{body}: {v}");
        }
        let (_, c) = admin(reqwest::Method::GET, "requests", None);
        assert_eq!(c["armedPending"], 0, "{c}");
    }
}
