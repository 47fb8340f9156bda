//! Argo CD project operations (`/gitops/api/v1/agents/{agent}/projects…`, reference
//! harness-gitops-more.md §5.1) and what a project enforces on the agent's applications
//! (rules in [`super::project_rules`]).
//!
//! A project is the raw Argo object, keyed by its name on the agent's Argo CD instance (one
//! name per instance, whatever the Harness scope). `default` is not stored: it allows
//! everything, as in Argo CD's stock install.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::{already_exists, list_body, not_found, str_of};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::project_rules;
use super::schema::{Msg, Ty, OBJECT_META};
use super::scope::Key;
use super::store::{AppEntry, State, Ts};
use super::validate::check_msg;

/// A stored project: `metadata` (name, namespace, labels, annotations, uid, ...) and `spec`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectEntry {
    pub key: Key,
    pub metadata: Map<String, Value>,
    pub spec: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

// ---- the document's schemas (appprojects*, projects*) --------------------------------

const STRS: Ty = Ty::List(&Ty::Str);

static GROUP_KIND: Msg = Msg {
    name: "v1GroupKind",
    fields: &[("group", Ty::Str), ("kind", Ty::Str)],
};
static DESTINATION: Msg = Msg {
    name: "appprojectsApplicationDestination",
    fields: &[
        ("server", Ty::Str),
        ("namespace", Ty::Str),
        ("name", Ty::Str),
    ],
};
static DESTINATION_SA: Msg = Msg {
    name: "appprojectsApplicationDestinationServiceAccount",
    fields: &[
        ("server", Ty::Str),
        ("namespace", Ty::Str),
        ("defaultServiceAccount", Ty::Str),
    ],
};
static JWT_TOKEN: Msg = Msg {
    name: "appprojectsJWTToken",
    fields: &[("iat", Ty::I64), ("exp", Ty::I64), ("id", Ty::Str)],
};
static JWT_TOKENS: Msg = Msg {
    name: "appprojectsJWTTokens",
    fields: &[("items", Ty::List(&Ty::Msg(&JWT_TOKEN)))],
};
static ROLE: Msg = Msg {
    name: "appprojectsProjectRole",
    fields: &[
        ("name", Ty::Str),
        ("description", Ty::Str),
        ("policies", STRS),
        ("jwtTokens", Ty::List(&Ty::Msg(&JWT_TOKEN))),
        ("groups", STRS),
    ],
};
static ORPHANED_KEY: Msg = Msg {
    name: "appprojectsOrphanedResourceKey",
    fields: &[("group", Ty::Str), ("kind", Ty::Str), ("name", Ty::Str)],
};
static ORPHANED: Msg = Msg {
    name: "appprojectsOrphanedResourcesMonitorSettings",
    fields: &[
        ("warn", Ty::Bool),
        ("ignore", Ty::List(&Ty::Msg(&ORPHANED_KEY))),
    ],
};
static SYNC_WINDOW: Msg = Msg {
    name: "appprojectsSyncWindow",
    fields: &[
        ("kind", Ty::Str),
        ("schedule", Ty::Str),
        ("duration", Ty::Str),
        ("applications", STRS),
        ("namespaces", STRS),
        ("clusters", STRS),
        ("manualSync", Ty::Bool),
        ("timeZone", Ty::Str),
    ],
};
static SIGNATURE_KEY: Msg = Msg {
    name: "appprojectsSignatureKey",
    fields: &[("keyID", Ty::Str)],
};
const GROUP_KINDS: Ty = Ty::List(&Ty::Msg(&GROUP_KIND));
/// `appprojectsAppProjectSpec`.
pub static PROJECT_SPEC: Msg = Msg {
    name: "appprojectsAppProjectSpec",
    fields: &[
        ("sourceRepos", STRS),
        ("destinations", Ty::List(&Ty::Msg(&DESTINATION))),
        ("description", Ty::Str),
        ("roles", Ty::List(&Ty::Msg(&ROLE))),
        ("clusterResourceWhitelist", GROUP_KINDS),
        ("namespaceResourceBlacklist", GROUP_KINDS),
        ("orphanedResources", Ty::Msg(&ORPHANED)),
        ("syncWindows", Ty::List(&Ty::Msg(&SYNC_WINDOW))),
        ("namespaceResourceWhitelist", GROUP_KINDS),
        ("signatureKeys", Ty::List(&Ty::Msg(&SIGNATURE_KEY))),
        ("clusterResourceBlacklist", GROUP_KINDS),
        ("sourceNamespaces", STRS),
        ("permitOnlyProjectScopedClusters", Ty::Bool),
        (
            "destinationServiceAccounts",
            Ty::List(&Ty::Msg(&DESTINATION_SA)),
        ),
    ],
};
static PROJECT_STATUS: Msg = Msg {
    name: "appprojectsAppProjectStatus",
    fields: &[("jwtTokensByRole", Ty::Map(&Ty::Msg(&JWT_TOKENS)))],
};
/// `appprojectsAppProject`.
pub static PROJECT: Msg = Msg {
    name: "appprojectsAppProject",
    fields: &[
        ("metadata", Ty::Msg(&OBJECT_META)),
        ("spec", Ty::Msg(&PROJECT_SPEC)),
        ("status", Ty::Msg(&PROJECT_STATUS)),
    ],
};
/// `projectsProjectCreateRequest`.
pub static PROJECT_CREATE_REQUEST: Msg = Msg {
    name: "projectsProjectCreateRequest",
    fields: &[("project", Ty::Msg(&PROJECT)), ("upsert", Ty::Bool)],
};
/// `projectsProjectUpdateRequest`.
pub static PROJECT_UPDATE_REQUEST: Msg = Msg {
    name: "projectsProjectUpdateRequest",
    fields: &[("project", Ty::Msg(&PROJECT))],
};

/// Metadata a client may set; the rest is the server's.
const CLIENT_METADATA: &[&str] = &["name", "namespace", "labels", "annotations", "finalizers"];

/// The namespace Argo CD keeps its projects in.
const NAMESPACE: &str = "argocd";

/// The Argo object of an entry.
pub fn render(e: &ProjectEntry) -> Value {
    json!({"metadata": e.metadata, "spec": e.spec, "status": {}})
}

fn obj(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Argo CD's own checks of a project (name, description, roles, windows, destinations).
fn check_project(name: &str, spec: &Map<String, Value>) -> ApiResult<()> {
    if name.is_empty() {
        return Err(ApiError::invalid(
            "field \"project.metadata.name\" (the Argo CD project name) is required",
        ));
    }
    let dns = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !dns {
        return Err(ApiError::invalid(format!(
            "invalid project name \"{name}\": must be a DNS subdomain (lower case letters, digits, '-' and '.')"
        )));
    }
    if str_of(spec, "description").chars().count() > 255 {
        return Err(ApiError::invalid(
            "spec.description: must be at most 255 characters",
        ));
    }
    let mut roles = std::collections::BTreeSet::new();
    for (i, r) in spec
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let rn = r.get("name").and_then(Value::as_str).unwrap_or("");
        if rn.is_empty() {
            return Err(ApiError::invalid(format!(
                "spec.roles[{i}].name: role name is required"
            )));
        }
        if !roles.insert(rn.to_string()) {
            return Err(ApiError::invalid(format!("role '{rn}' already exists")));
        }
        for p in r
            .get("policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let p = p.as_str().unwrap_or("");
            let parts: Vec<&str> = p.split(',').map(str::trim).collect();
            if parts.len() < 5 || parts[0] != "p" {
                return Err(ApiError::invalid(format!(
                    "invalid policy rule '{p}': must be of the form: 'p, sub, res, act, obj, eft'"
                )));
            }
            let sub = format!("proj:{name}:{rn}");
            if parts[1] != sub {
                return Err(ApiError::invalid(format!(
                    "invalid policy rule '{p}': policy subject must be: '{sub}', not '{}'",
                    parts[1]
                )));
            }
        }
    }
    for (i, d) in spec
        .get("destinations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let d = obj(Some(d));
        if str_of(&d, "server").is_empty() && str_of(&d, "name").is_empty() {
            return Err(ApiError::invalid(format!(
                "spec.destinations[{i}]: a destination needs a server or a name"
            )));
        }
    }
    project_rules::check_windows(spec).map_err(ApiError::invalid)
}

/// The stored project an application names, on the application's Argo CD instance.
pub fn project_of<'s>(state: &'s State, app: &Key, name: &str) -> Option<&'s ProjectEntry> {
    state
        .projects
        .values()
        .find(|p| p.key.id == name && p.key.instance() == app.instance())
}

fn app_spec(e: &AppEntry) -> Map<String, Value> {
    obj(e.app.get("spec"))
}

/// Refuses an application its project does not permit (repositories, destinations), and
/// holds an automated sync this write would start inside a blocking sync window (it starts
/// at the next change after the window). The `default` project and unknown ones admit all.
pub fn admit(state: &State, e: &mut AppEntry, now: Ts) -> ApiResult<()> {
    let spec = app_spec(e);
    let Some(p) = project_of(state, &e.key, str_of(&spec, "project")) else {
        return Ok(());
    };
    let clusters = |name: &str| {
        state
            .clusters
            .values()
            .find(|c| c.key.instance() == e.key.instance() && str_of(&c.cluster, "name") == name)
            .map(|c| str_of(&c.cluster, "server").to_string())
    };
    if let Some(why) = project_rules::refusal(&p.key.id, &p.spec, &spec, clusters) {
        return Err(ApiError::invalid(why));
    }
    let started_now = e
        .sync
        .operation
        .as_ref()
        .is_some_and(|o| o.automated && o.started_at == now);
    if started_now && blocked(state, e, false, now).is_some() {
        let before = state
            .applications
            .get(&e.key)
            .and_then(|old| old.sync.operation.clone());
        e.sync.operation = before;
        e.sync.reconciled_at = Some(now);
    }
    Ok(())
}

/// Fails the sync of `e` started at `now` when its project does not permit a kind it
/// deploys (`namespaceResourceWhitelist`/`Blacklist`, cluster ones for cluster-scoped
/// kinds), with Argo CD's message.
pub fn check_kinds(state: &State, e: &mut AppEntry, now: Ts) {
    let spec = app_spec(e);
    let Some(p) = project_of(state, &e.key, str_of(&spec, "project")) else {
        return;
    };
    if let Some(why) = project_rules::kind_refusal(&p.key.id, &p.spec, super::sync::DEPLOYED_KINDS)
    {
        super::sync::refuse(&mut e.sync, now, why);
    }
}

/// Why a sync of `e` (manual or automated) is blocked by its project's windows at `now`.
pub fn blocked(state: &State, e: &AppEntry, manual: bool, now: Ts) -> Option<String> {
    let spec = app_spec(e);
    let p = project_of(state, &e.key, str_of(&spec, "project"))?;
    let dest = obj(spec.get("destination"));
    let cluster = match str_of(&dest, "server") {
        "" => str_of(&dest, "name"),
        s => s,
    };
    project_rules::sync_blocked(
        &p.spec,
        &e.key.id,
        str_of(&dest, "namespace"),
        cluster,
        manual,
        now.0,
    )
}

/// A project's name, metadata and spec.
type Parts = (String, Map<String, Value>, Map<String, Value>);

/// The project object of a create/update body, split and checked.
fn from_body(body: &Map<String, Value>) -> ApiResult<Parts> {
    let project = obj(body.get("project"));
    let mut meta = obj(project.get("metadata"));
    meta.retain(|k, _| CLIENT_METADATA.contains(&k.as_str()));
    let name = str_of(&meta, "name").to_string();
    let spec = obj(project.get("spec"));
    check_project(&name, &spec)?;
    let ns = str_of(&meta, "namespace");
    if ns.is_empty() {
        meta.insert("namespace".into(), json!(NAMESPACE));
    } else if ns != NAMESPACE {
        return Err(ApiError::invalid(format!(
            "project.metadata.namespace \"{ns}\" is not the agent's namespace \"{NAMESPACE}\""
        )));
    }
    Ok((name, meta, spec))
}

fn finish(
    s: &mut State,
    key: &Key,
    mut meta: Map<String, Value>,
    spec: Map<String, Value>,
    old: Option<&ProjectEntry>,
    uid: String,
    now: Ts,
) -> ProjectEntry {
    match old {
        Some(o) => {
            for k in ["uid", "creationTimestamp"] {
                if let Some(v) = o.metadata.get(k) {
                    meta.insert(k.into(), v.clone());
                }
            }
        }
        None => {
            meta.insert("uid".into(), json!(uid));
            meta.insert("creationTimestamp".into(), now.v1_time());
        }
    }
    meta.insert("resourceVersion".into(), json!(s.bump_resource_version()));
    let entry = ProjectEntry {
        key: key.clone(),
        metadata: meta,
        spec,
        created_at: old.map_or(now, |o| o.created_at),
        last_modified_at: now,
    };
    s.projects.insert(key.clone(), entry.clone());
    entry
}

/// `POST …/projects` (AgentProjectService_Create).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &PROJECT_CREATE_REQUEST, "")?;
    let (name, meta, spec) = from_body(&body)?;
    if name == "default" {
        return Err(ApiError::already_exists(
            "existing project spec is different, use upsert flag to force update: project \"default\" is built in",
        ));
    }
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let key = req.key(&name);
    let (now, uid) = (req.now, ctx.new_uid());
    let entry =
        ctx.store
            .write(|s| {
                if let Some(other) = s.projects.values().find(|p| {
                    p.key != key && p.key.id == name && p.key.instance() == key.instance()
                }) {
                    return Err(ApiError::already_exists(format!(
                    "entity already exists: Argo project \"{name}\" exists on agent \"{}\" in {}",
                    key.agent,
                    other.key.scope.describe()
                )));
                }
                let old = s.projects.get(&key).cloned();
                if old.is_some() && !upsert {
                    return Err(already_exists("Argo project", &key));
                }
                Ok(finish(s, &key, meta, spec, old.as_ref(), uid, now))
            })
            .await?;
    req.applied(ctx);
    Ok(render(&entry))
}

/// `GET …/projects/{query.name}` (AgentProjectService_Get).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .read(|s| s.projects.get(&key).map(render))
        .await
        .ok_or_else(|| not_found("Argo project", &key))
}

/// `GET …/projects` (AgentProjectService_List), filtered by `query.name`.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let q = &req.query;
    let items = ctx
        .store
        .read(|s| {
            s.projects
                .values()
                .filter(|e| e.key.scope == req.scope && e.key.agent == req.route.agent)
                .filter(|e| q.admits("query.name", |n| e.key.id == n))
                .map(render)
                .collect()
        })
        .await;
    Ok(list_body(json!({}), items))
}

/// `PUT …/projects/{name}` (AgentProjectService_Update): replaces the project.
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let body = check_msg(&req.body, &PROJECT_UPDATE_REQUEST, "")?;
    let (name, meta, spec) = from_body(&body)?;
    if name != key.id {
        return Err(ApiError::invalid(format!(
            "project.metadata.name \"{name}\" differs from the name in the path \"{}\"; a project cannot be renamed",
            key.id
        )));
    }
    let now = req.now;
    let entry = ctx
        .store
        .write(|s| {
            let old = s
                .projects
                .get(&key)
                .cloned()
                .ok_or_else(|| not_found("Argo project", &key))?;
            Ok(finish(s, &key, meta, spec, Some(&old), String::new(), now))
        })
        .await?;
    req.applied(ctx);
    Ok(render(&entry))
}

/// `DELETE …/projects/{name}` (AgentProjectService_Delete): refused while applications use it.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .write(|s| {
            if !s.projects.contains_key(&key) {
                return Err(not_found("Argo project", &key));
            }
            let users = s
                .applications
                .values()
                .filter(|a| {
                    a.key.instance() == key.instance()
                        && a.app
                            .get("spec")
                            .and_then(|sp| sp.get("project"))
                            .and_then(Value::as_str)
                            == Some(key.id.as_str())
                })
                .count();
            if users > 0 {
                return Err(ApiError::failed_precondition(format!(
                    "project is referenced by {users} applications"
                )));
            }
            s.projects.remove(&key);
            Ok(())
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}
