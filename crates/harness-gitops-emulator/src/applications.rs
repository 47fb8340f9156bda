//! Application operations (`/gitops/api/v1/agents/{agent}/applications…`).
//!
//! Applications are project-scoped. They are Argo CD Application objects: the server owns
//! `metadata.uid`, `resourceVersion`, `generation`, `creationTimestamp` and `status`; an
//! update copies `spec`, labels, annotations and finalizers from the request (Argo CD's
//! `updateApp`).

use serde_json::{json, Map, Value};

use super::agent;
use super::common::{already_exists, envelope, list_body, not_found, same_repo_url, str_of};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::query::Query;
use super::schema::{APP_CREATE_REQUEST, APP_UPDATE_REQUEST};
use super::scope::Key;
use super::store::{AppEntry, State, Ts};
use super::validate::check_msg;

/// Namespace given to applications that do not name one (Argo CD's default namespace).
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// Metadata keys a client may set; the rest of `v1ObjectMeta` is server-owned.
const CLIENT_METADATA: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
];

/// Metadata keys an update copies from the request (Argo CD `updateApp`).
const UPDATED_METADATA: &[&str] = &["labels", "annotations", "finalizers"];

/// The Argo application object of an entry with its status at `now`.
pub fn argo_object(e: &AppEntry, now: Ts, delay: std::time::Duration) -> Value {
    let mut app = e.app.clone();
    app.insert("status".into(), agent::app_status(e, now, delay));
    Value::Object(app)
}

/// The `servicev1Application` of an entry at `now`.
pub fn render(e: &AppEntry, now: Ts, delay: std::time::Duration) -> Value {
    let mut out = envelope(&e.key, "name", e.created_at, e.last_modified_at);
    if !e.cluster_id.is_empty() {
        out.insert("clusterIdentifier".into(), json!(e.cluster_id));
    }
    if !e.repo_id.is_empty() {
        out.insert("repoIdentifier".into(), json!(e.repo_id));
    }
    out.insert("app".into(), argo_object(e, now, delay));
    if e.skip_repo_validation {
        out.insert("skipRepoValidation".into(), json!(true));
    }
    if !e.repo_ids.is_empty() {
        out.insert("repoIdentifiers".into(), json!(e.repo_ids));
    }
    // createdAt/lastModifiedAt after app, as the document orders them; order is cosmetic.
    let created = out.remove("createdAt");
    let modified = out.remove("lastModifiedAt");
    if let (Some(c), Some(m)) = (created, modified) {
        out.insert("createdAt".into(), c);
        out.insert("lastModifiedAt".into(), m);
    }
    Value::Object(out)
}

/// A string field of the stored `app.<part>` object (`spec`, `metadata`), `""` if absent.
fn app_str<'a>(e: &'a AppEntry, part: &str, field: &str) -> &'a str {
    e.app
        .get(part)
        .and_then(|p| p.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn require_project(req: &ApiRequest) -> ApiResult<()> {
    if req.scope.org.is_empty() || req.scope.project.is_empty() {
        return Err(ApiError::invalid(
            "applications are project-scoped: orgIdentifier and projectIdentifier are required",
        ));
    }
    Ok(())
}

/// Kubernetes object names are DNS-1123 subdomains.
fn check_name(name: &str) -> ApiResult<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let ends_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if name.len() > 253
        || !ok_chars
        || !ends_ok(name.as_bytes().first())
        || !ends_ok(name.as_bytes().last())
    {
        return Err(ApiError::invalid(format!(
            "invalid value for field \"application.metadata.name\": \"{name}\" is not a valid Kubernetes name \
             (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)"
        )));
    }
    Ok(())
}

fn obj(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Checks the Argo CD spec rules: a project (mandatory since Argo CD 2.12), a destination
/// with server or name (not both), and a repoURL on every source.
fn check_spec(spec: &Map<String, Value>) -> ApiResult<()> {
    if str_of(spec, "project").is_empty() {
        return Err(ApiError::invalid(
            "field \"application.spec.project\" (the Argo CD project) is required; use \"default\" if unsure",
        ));
    }
    let dest = obj(spec.get("destination"));
    match (
        str_of(&dest, "server").is_empty(),
        str_of(&dest, "name").is_empty(),
    ) {
        (true, true) => {
            return Err(ApiError::invalid(
                "field \"application.spec.destination\" needs a server (or a cluster name)",
            ))
        }
        (false, false) => {
            return Err(ApiError::invalid(
                "application destination can't have both name and server defined; set only one",
            ))
        }
        _ => {}
    }
    let spec_v = Value::Object(spec.clone());
    let (srcs, multi) = agent::sources(&spec_v);
    if srcs.is_empty() {
        return Err(ApiError::invalid(
            "field \"application.spec.source\" (or \"sources\") is required",
        ));
    }
    for (i, s) in srcs.iter().enumerate() {
        if s.get("repoURL")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            let field = if multi {
                format!("application.spec.sources[{i}].repoURL")
            } else {
                "application.spec.source.repoURL".into()
            };
            return Err(ApiError::invalid(format!("field \"{field}\" is required")));
        }
    }
    Ok(())
}

/// The Harness links of a create or update request.
struct Links {
    cluster_id: Option<String>,
    repo_id: Option<String>,
    repo_ids: Option<Vec<String>>,
    skip: Option<bool>,
}

impl Links {
    fn from_query(q: &Query) -> Links {
        Links {
            cluster_id: q.opt("clusterIdentifier").map(str::to_string),
            repo_id: q.opt("repoIdentifier").map(str::to_string),
            repo_ids: q
                .has("repoIdentifiers")
                .then(|| q.list("repoIdentifiers").to_vec()),
            skip: q
                .has("skipRepoValidation")
                .then(|| q.bool("skipRepoValidation")),
        }
    }

    /// Applies the given links over `e` (a link not in the request keeps its value).
    fn apply(&self, e: &mut AppEntry) {
        if let Some(c) = &self.cluster_id {
            e.cluster_id.clone_from(c);
        }
        if let Some(r) = &self.repo_id {
            e.repo_id.clone_from(r);
        }
        if let Some(r) = &self.repo_ids {
            e.repo_ids.clone_from(r);
        }
        if let Some(s) = self.skip {
            e.skip_repo_validation = s;
        }
    }
}

/// Checks the links of `e` against the state: the cluster exists, the named repositories
/// exist, and (unless `skipRepoValidation`) every source URL is a repository known to the
/// agent in the application's project or a parent scope.
fn check_links(state: &State, e: &AppEntry) -> ApiResult<()> {
    let key = &e.key;
    let chain = key.scope.chain();
    let where_ = format!(
        "on agent \"{}\" in {} or its parent scopes",
        key.agent,
        key.scope.describe()
    );
    if !e.cluster_id.is_empty()
        && !state.clusters.values().any(|c| {
            c.key.agent == key.agent && c.key.id == e.cluster_id && chain.contains(&c.key.scope)
        })
    {
        return Err(ApiError::invalid(format!(
            "cluster \"{}\" (clusterIdentifier) not found {where_}",
            e.cluster_id
        )));
    }
    let repos: Vec<_> = state
        .repositories
        .values()
        .filter(|r| r.key.agent == key.agent && chain.contains(&r.key.scope))
        .collect();
    for id in std::iter::once(&e.repo_id)
        .chain(&e.repo_ids)
        .filter(|i| !i.is_empty())
    {
        if !repos.iter().any(|r| &r.key.id == id) {
            return Err(ApiError::invalid(format!(
                "repository \"{id}\" (repoIdentifier) not found {where_}"
            )));
        }
    }
    if e.skip_repo_validation {
        return Ok(());
    }
    let spec = e.app.get("spec").cloned().unwrap_or(Value::Null);
    for s in agent::sources(&spec).0 {
        let url = s.get("repoURL").and_then(Value::as_str).unwrap_or("");
        if !repos
            .iter()
            .any(|r| same_repo_url(str_of(&r.repo, "repo"), url))
        {
            return Err(ApiError::invalid(format!(
                "repository {url} is not registered {where_}; create the repository first, \
                 or set skipRepoValidation=true"
            )));
        }
    }
    Ok(())
}

/// Argo CD application names are unique per agent namespace, whatever the Harness project.
fn check_unique(state: &State, e: &AppEntry) -> ApiResult<()> {
    let ns = |a: &AppEntry| app_str(a, "metadata", "namespace").to_string();
    match state.applications.values().find(|o| {
        o.key != e.key
            && o.key.instance() == e.key.instance()
            && o.key.id == e.key.id
            && ns(o) == ns(e)
    }) {
        Some(o) => Err(ApiError::already_exists(format!(
            "entity already exists: application \"{}\" already exists on agent \"{}\" in {}",
            e.key.id,
            e.key.agent,
            o.key.scope.describe()
        ))),
        None => Ok(()),
    }
}

/// The application object of a validated request body.
fn app_of(body: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
    match body.get("application") {
        Some(Value::Object(a)) => Ok(a.clone()),
        _ => Err(ApiError::invalid(
            "field \"application\" is required: send {\"application\": {\"metadata\": {...}, \"spec\": {...}}}",
        )),
    }
}

/// Restarts the emulated sync of `e` at `now`, remembering when the previous one finished.
fn restart_sync(e: &mut AppEntry, now: Ts, delay: std::time::Duration) {
    let finished = agent::sync_finished_at(e, delay);
    if finished <= now {
        e.previous_reconciled_at = Some(finished);
    }
    e.sync_started_at = now;
}

fn bump_metadata(state: &mut State, e: &mut AppEntry, spec_changed: bool) {
    let rv = state.bump_resource_version();
    let meta = e.app.entry("metadata").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.insert("resourceVersion".into(), json!(rv));
        if spec_changed {
            let g = m
                .get("generation")
                .and_then(Value::as_str)
                .and_then(|g| g.parse::<i64>().ok())
                .unwrap_or(0);
            m.insert("generation".into(), json!((g + 1).to_string()));
        }
    }
}

/// Applies the Argo CD update rule to `e`: spec, labels, annotations and finalizers come
/// from `app`; the sync restarts. Returns whether the spec changed.
pub fn apply_update(
    state: &mut State,
    e: &mut AppEntry,
    app: &Map<String, Value>,
    now: Ts,
    delay: std::time::Duration,
) {
    let new_spec = app.get("spec").cloned().unwrap_or_else(|| json!({}));
    let spec_changed = e.app.get("spec") != Some(&new_spec);
    e.app.insert("spec".into(), new_spec);
    let incoming = obj(app.get("metadata"));
    if let Some(Value::Object(meta)) = e.app.get_mut("metadata") {
        for k in UPDATED_METADATA {
            match incoming.get(*k) {
                Some(v) => meta.insert((*k).to_string(), v.clone()),
                None => meta.remove(*k),
            };
        }
    }
    bump_metadata(state, e, spec_changed);
    restart_sync(e, now, delay);
    e.last_modified_at = now;
}

/// `POST …/applications` (AgentApplicationService_Create).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let body = check_msg(&req.body, &APP_CREATE_REQUEST, "")?;
    let app = app_of(&body)?;
    let mut meta = obj(app.get("metadata"));
    meta.retain(|k, _| CLIENT_METADATA.contains(&k.as_str()));
    let mut name = str_of(&meta, "name").to_string();
    if name.is_empty() {
        let prefix = str_of(&meta, "generateName");
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                "field \"application.metadata.name\" is required",
            ));
        }
        name = format!("{prefix}{}", ctx.random_suffix());
    }
    check_name(&name)?;
    meta.insert("name".into(), json!(name));
    if str_of(&meta, "namespace").is_empty() {
        meta.insert("namespace".into(), json!(DEFAULT_NAMESPACE));
    }
    let spec = obj(app.get("spec"));
    check_spec(&spec)?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let links = Links::from_query(&req.query);
    let key = Key {
        scope: req.scope.clone(),
        agent: req.route.agent.clone(),
        id: name.clone(),
    };
    let (now, delay) = (req.now, ctx.sync_delay);
    let uid = ctx.new_uid();
    ctx.store
        .write(|s| {
            let entry = match s.applications.get(&key).cloned() {
                Some(_) if !upsert => return Err(already_exists("application", &key)),
                Some(mut e) => {
                    let new_app: Map<String, Value> = [
                        ("metadata".to_string(), Value::Object(meta)),
                        ("spec".to_string(), Value::Object(spec)),
                    ]
                    .into_iter()
                    .collect();
                    links.apply(&mut e);
                    apply_update(s, &mut e, &new_app, now, delay);
                    e
                }
                None => {
                    meta.insert("uid".into(), json!(uid));
                    meta.insert("generation".into(), json!("1"));
                    meta.insert("creationTimestamp".into(), now.v1_time());
                    let mut e = AppEntry {
                        key: key.clone(),
                        app: [
                            ("metadata".to_string(), Value::Object(meta)),
                            ("spec".to_string(), Value::Object(spec)),
                        ]
                        .into_iter()
                        .collect(),
                        cluster_id: String::new(),
                        repo_id: String::new(),
                        repo_ids: Vec::new(),
                        skip_repo_validation: false,
                        created_at: now,
                        last_modified_at: now,
                        sync_started_at: now,
                        previous_reconciled_at: None,
                    };
                    links.apply(&mut e);
                    bump_metadata(s, &mut e, false);
                    e
                }
            };
            check_links(s, &entry)?;
            check_unique(s, &entry)?;
            s.applications.insert(key.clone(), entry.clone());
            Ok(render(&entry, now, delay))
        })
        .await
}

/// Query filters shared by get and list: `query.project` (any of), `query.appNamespace`.
fn visible(e: &AppEntry, q: &Query) -> bool {
    let projects = q.list("query.project");
    let ns = app_str(e, "metadata", "namespace");
    (projects.is_empty() || projects.iter().any(|p| p == app_str(e, "spec", "project")))
        && q.admits("query.appNamespace", |n| n == ns)
}

/// `GET …/applications/{name}` (AgentApplicationService_Get). `query.project` and
/// `query.appNamespace` restrict the match; the other parameters are accepted.
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let key = req.path_key();
    ctx.store
        .read(|s| {
            s.applications
                .get(&key)
                .filter(|e| visible(e, &req.query))
                .map(|e| render(e, req.now, ctx.sync_delay))
        })
        .await
        .ok_or_else(|| not_found("application", &key))
}

/// A Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated.
fn selector_matches(selector: &str, labels: &Map<String, Value>) -> ApiResult<bool> {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    for term in selector.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if term.contains(" in ") || term.contains(" notin ") || term.contains('(') {
            return Err(ApiError::invalid(format!(
                "query.selector: set-based term \"{term}\" is not supported by the emulator; use k=v, k!=v, k or !k"
            )));
        }
        let ok = if let Some((k, v)) = term.split_once("!=") {
            label(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            label(k.trim()) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            label(k.trim()).is_none()
        } else {
            label(term).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `GET …/applications` (AgentApplicationService_List): the agent's applications in the
/// requested project, filtered by `query.name`, `query.project`, `query.repo`,
/// `query.selector` and `query.appNamespace`.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let q = &req.query;
    let (items, rv) = ctx
        .store
        .read(|s| -> ApiResult<(Vec<Value>, u64)> {
            let mut items = Vec::new();
            for e in s.applications.values() {
                if e.key.scope != req.scope || e.key.agent != req.route.agent || !visible(e, q) {
                    continue;
                }
                let spec = e.app.get("spec").cloned().unwrap_or(Value::Null);
                let sources = agent::sources(&spec).0;
                let url_ok = q.admits("query.repo", |u| {
                    sources.iter().any(|s| {
                        same_repo_url(s.get("repoURL").and_then(Value::as_str).unwrap_or(""), u)
                    })
                });
                if !q.admits("query.name", |n| n == e.key.id) || !url_ok {
                    continue;
                }
                let labels = obj(e.app.get("metadata").and_then(|m| m.get("labels")));
                if !selector_matches(q.str("query.selector"), &labels)? {
                    continue;
                }
                items.push(argo_object(e, req.now, ctx.sync_delay));
            }
            Ok((items, s.resource_version))
        })
        .await?;
    Ok(list_body(json!({"resourceVersion": rv.to_string()}), items))
}

/// `PUT …/applications/{name}` (AgentApplicationService_Update). The body's
/// `metadata.name`, when given, must be the path name. Link query parameters that are
/// given replace the stored ones.
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let key = req.path_key();
    let body = check_msg(&req.body, &APP_UPDATE_REQUEST, "")?;
    let app = app_of(&body)?;
    let body_name = app
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !body_name.is_empty() && body_name != key.id {
        return Err(ApiError::invalid(format!(
            "application.metadata.name \"{body_name}\" differs from the name in the path \"{}\"; \
             an application cannot be renamed",
            key.id
        )));
    }
    check_spec(&obj(app.get("spec")))?;
    let links = Links::from_query(&req.query);
    let (now, delay) = (req.now, ctx.sync_delay);
    ctx.store
        .write(|s| {
            let mut e = s
                .applications
                .get(&key)
                .cloned()
                .ok_or_else(|| not_found("application", &key))?;
            links.apply(&mut e);
            apply_update(s, &mut e, &app, now, delay);
            check_links(s, &e)?;
            s.applications.insert(key.clone(), e.clone());
            Ok(render(&e, now, delay))
        })
        .await
}

/// `DELETE …/applications/{name}` (AgentApplicationService_Delete). Checks the delete
/// options as Argo CD does (`request.propagationPolicy` is `foreground` or `background`,
/// and cannot be combined with `request.cascade=false`); `request.project` and
/// `request.appNamespace` must match the application when given. The application is gone
/// at once (no emulated finalizer wait).
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let q = &req.query;
    let policy = q.str("request.propagationPolicy").to_ascii_lowercase();
    if !policy.is_empty() && policy != "foreground" && policy != "background" {
        return Err(ApiError::invalid(format!(
            "invalid propagation policy: {}; use foreground or background",
            q.str("request.propagationPolicy")
        )));
    }
    if !policy.is_empty() && q.has("request.cascade") && !q.bool("request.cascade") {
        return Err(ApiError::invalid(
            "cannot set propagation policy when cascading is disabled",
        ));
    }
    let key = req.path_key();
    let project = q.str("request.project");
    let namespace = q.str("request.appNamespace");
    ctx.store
        .write(|s| {
            let e = s
                .applications
                .get(&key)
                .ok_or_else(|| not_found("application", &key))?;
            let spec_project = app_str(e, "spec", "project");
            let ns = app_str(e, "metadata", "namespace");
            if (!project.is_empty() && project != spec_project)
                || (!namespace.is_empty() && namespace != ns)
            {
                return Err(not_found("application", &key));
            }
            s.applications.remove(&key);
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let labels = json!({"team": "a", "tier": "web"})
            .as_object()
            .unwrap()
            .clone();
        assert!(selector_matches("team=a,tier", &labels).unwrap());
        assert!(selector_matches("team==a,!env", &labels).unwrap());
        assert!(!selector_matches("team!=a", &labels).unwrap());
        assert!(selector_matches("team in (a)", &labels).is_err());
    }

    #[test]
    fn names() {
        assert!(check_name("my-app.v1").is_ok());
        assert!(check_name("My-App").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("").is_err());
    }
}
