//! Project mappings, v2 API (`/gitops/api/v2/agents/{agent}/appprojectsmapping…`, reference
//! harness-gitops-more.md §5.2): which Harness project an Argo CD project belongs to. One
//! mapping per Argo project on an agent's Argo CD instance, with a server identifier.
//!
//! Create and update carry the scope in the body (the document gives them no query
//! parameters); get, delete and list take it in the query as every other operation.

use http::Request;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::str_of;
use super::error::{ApiError, ApiResult};
use super::http::{read_json, ApiRequest, Ctx};
use super::routes::{Op, Route};
use super::schema::{Msg, Ty};
use super::scope::{AgentLevel, Key, Scope};
use super::store::Ts;
use super::validate::check_msg;

/// A stored mapping: `key.scope` is the Harness project, `key.id` the Argo project name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingEntry {
    pub key: Key,
    pub identifier: String,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// `v1AppProjectMappingCreateRequestV2`.
pub static CREATE_REQUEST: Msg = Msg {
    name: "v1AppProjectMappingCreateRequestV2",
    fields: &[
        ("agentIdentifier", Ty::Str),
        ("accountIdentifier", Ty::Str),
        ("orgIdentifier", Ty::Str),
        ("projectIdentifier", Ty::Str),
        ("argoProjectName", Ty::Str),
    ],
};

/// `v1AppProjectMappingQueryV2`.
pub static UPDATE_REQUEST: Msg = Msg {
    name: "v1AppProjectMappingQueryV2",
    fields: &[
        ("identifier", Ty::Str),
        ("agentIdentifier", Ty::Str),
        ("accountIdentifier", Ty::Str),
        ("orgIdentifier", Ty::Str),
        ("projectIdentifier", Ty::Str),
        ("argoProjectName", Ty::Str),
    ],
};

/// `v1AppProjectMappingV2` (the document spells `ArgoProjectName` with a capital A).
pub fn render(e: &MappingEntry) -> Value {
    json!({
        "identifier": e.identifier,
        "accountIdentifier": e.key.scope.account,
        "orgIdentifier": e.key.scope.org,
        "projectIdentifier": e.key.scope.project,
        "agentIdentifier": e.key.agent,
        "ArgoProjectName": e.key.id,
        "createdAt": e.created_at.rfc3339(),
        "lastModifiedAt": e.last_modified_at.rfc3339(),
    })
}

fn not_found(agent: &str, what: &str) -> ApiError {
    ApiError::not_found(format!(
        "project mapping {what} not found on agent \"{agent}\""
    ))
}

/// Create and update: the scope from the body, checked as the query scope is elsewhere.
pub async fn body_scoped(ctx: &Ctx, route: Route, req: Request<Incoming>) -> ApiResult<Value> {
    // Only the gateway's `routingId`: the document gives these operations no query.
    for (name, _) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        if name != "routingId" {
            return Err(ApiError::invalid(format!(
                "unknown query parameter \"{name}\"; this operation accepts: routingId"
            )));
        }
    }
    let raw = read_json(req.into_body()).await?.ok_or_else(|| {
        ApiError::invalid(format!("{} needs a JSON request body", route.op.name()))
    })?;
    let msg = if route.op == Op::MappingCreate {
        &CREATE_REQUEST
    } else {
        &UPDATE_REQUEST
    };
    let body = check_msg(&raw, msg, "")?;
    let account = str_of(&body, "accountIdentifier");
    if account != ctx.account_id {
        return Err(ApiError::permission_denied(format!(
            "accountIdentifier \"{account}\" is not the account of this API key; use the account id the key belongs to"
        )));
    }
    let scope = Scope {
        account: account.to_string(),
        org: str_of(&body, "orgIdentifier").to_string(),
        project: str_of(&body, "projectIdentifier").to_string(),
    };
    if scope.org.is_empty() || scope.project.is_empty() {
        return Err(ApiError::invalid(
            "orgIdentifier and projectIdentifier are required: a mapping names the Harness project",
        ));
    }
    scope.check_agent(&route.agent, AgentLevel::of(&route.agent)?)?;
    let agent = str_of(&body, "agentIdentifier");
    if !agent.is_empty() && agent != route.agent {
        return Err(ApiError::invalid(format!(
            "agentIdentifier \"{agent}\" differs from the agent in the path \"{}\"",
            route.agent
        )));
    }
    let argo = str_of(&body, "argoProjectName").to_string();
    if argo.is_empty() {
        return Err(ApiError::invalid("argoProjectName is required"));
    }
    let key = Key {
        scope,
        agent: route.agent.clone(),
        id: argo.clone(),
        ns: String::new(),
    };
    let now = Ts::now();
    let fresh = ctx.new_uid().replace('-', "")[..24].to_string();
    let op = route.op;
    let path_id = route.id.clone().unwrap_or_default();
    let body_id = str_of(&body, "identifier").to_string();
    let entry = ctx
        .store
        .write(|s| {
            let same = s
                .mappings
                .values()
                .find(|m| m.key.id == argo && m.key.instance() == key.instance())
                .cloned();
            let entry = if op == Op::MappingCreate {
                if let Some(m) = same {
                    return Err(ApiError::already_exists(format!(
                        "entity already exists: Argo project \"{argo}\" of agent \"{}\" is already mapped to {} (mapping {})",
                        key.agent,
                        m.key.scope.describe(),
                        m.identifier
                    )));
                }
                MappingEntry {
                    key: key.clone(),
                    identifier: fresh,
                    created_at: now,
                    last_modified_at: now,
                }
            } else {
                if !body_id.is_empty() && body_id != path_id {
                    return Err(ApiError::invalid(format!(
                        "identifier \"{body_id}\" differs from the identifier in the path \"{path_id}\""
                    )));
                }
                let old = s
                    .mappings
                    .values()
                    .find(|m| m.identifier == path_id && m.key.agent == key.agent)
                    .cloned()
                    .ok_or_else(|| not_found(&key.agent, &format!("\"{path_id}\"")))?;
                if old.key.id != argo {
                    return Err(ApiError::invalid(format!(
                        "mapping \"{path_id}\" is of Argo project \"{}\", not \"{argo}\"",
                        old.key.id
                    )));
                }
                s.mappings.remove(&old.key);
                MappingEntry {
                    key: key.clone(),
                    identifier: old.identifier,
                    created_at: old.created_at,
                    last_modified_at: now,
                }
            };
            s.mappings.insert(key.clone(), entry.clone());
            Ok(entry)
        })
        .await?;
    ctx.count_applied(op);
    Ok(render(&entry))
}

fn find<'s>(
    s: &'s super::store::State,
    req: &ApiRequest,
    identifier: &str,
) -> Option<&'s MappingEntry> {
    let argo = req.query.str("argoProjectName");
    s.mappings.values().find(|m| {
        m.key.agent == req.route.agent
            && m.key.scope == req.scope
            && m.identifier == identifier
            && (argo.is_empty() || m.key.id == argo)
    })
}

/// `GET /api/v2/agents/{agent}/appprojectsmapping/{identifier}`.
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.route.id.clone().unwrap_or_default();
    ctx.store
        .read(|s| find(s, &req, &id).map(render))
        .await
        .ok_or_else(|| not_found(&req.route.agent, &format!("\"{id}\"")))
}

/// `DELETE /api/v2/agents/{agent}/appprojectsmapping/{identifier}`.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.route.id.clone().unwrap_or_default();
    ctx.store
        .write(|s| {
            let key = find(s, &req, &id)
                .map(|m| m.key.clone())
                .ok_or_else(|| not_found(&req.route.agent, &format!("\"{id}\"")))?;
            s.mappings.remove(&key);
            Ok(())
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}

/// `GET /api/v2/agents/{agent}/appprojectsmappings`: the agent's mappings in the scope,
/// filtered by `identifier` and `argoProjectName`.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let q = &req.query;
    let items: Vec<Value> = ctx
        .store
        .read(|s| {
            s.mappings
                .values()
                .filter(|m| m.key.agent == req.route.agent && m.key.scope == req.scope)
                .filter(|m| q.admits("identifier", |i| m.identifier == i))
                .filter(|m| q.admits("argoProjectName", |n| m.key.id == n))
                .map(render)
                .collect()
        })
        .await;
    let mut out = Map::new();
    if !items.is_empty() {
        out.insert("appProjectMappings".into(), Value::Array(items));
    }
    Ok(Value::Object(out))
}
