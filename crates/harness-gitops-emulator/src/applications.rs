//! Application operations (`/gitops/api/v1/agents/{agent}/applications…`).
//!
//! Applications are project-scoped. They are Argo CD Application objects: the server owns
//! `metadata.uid`, `resourceVersion`, `generation`, `creationTimestamp`,
//! `deletionTimestamp` and `status`; an update copies `spec`, labels, annotations and
//! finalizers from the request (Argo CD's `updateApp`). The status comes from the emulated
//! controller ([`super::sync`]).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::agent;
use super::common::{already_exists, envelope, list_body, not_found, same_repo_url, str_of};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::query::Query;
use super::schema::{APP_CREATE_REQUEST, APP_SYNC_REQUEST, APP_UPDATE_REQUEST};
use super::scope::Key;
use super::store::{AppEntry, Deletion, State, SyncState, Ts};
use super::sync;
use super::validate::check_msg;

/// Namespace given to applications that do not name one (Argo CD's default namespace).
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// The finalizer that makes a delete cascade to the managed resources, and its variants.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

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

/// The Argo application object of an entry at `now`: stored metadata and spec, the
/// computed `status`, and the top-level `operation` while one runs.
pub fn argo_object(e: &AppEntry, now: Ts) -> Value {
    let mut app = e.app.clone();
    let (status, operation) = sync::observe(e, now);
    app.insert("status".into(), status);
    if let Some(op) = operation {
        app.insert("operation".into(), op);
    }
    Value::Object(app)
}

/// The `servicev1Application` of an entry at `now`.
pub fn render(e: &AppEntry, now: Ts) -> Value {
    let mut out = envelope(&e.key, "name", e.created_at, e.last_modified_at);
    if !e.cluster_id.is_empty() {
        out.insert("clusterIdentifier".into(), json!(e.cluster_id));
    }
    if !e.repo_id.is_empty() {
        out.insert("repoIdentifier".into(), json!(e.repo_id));
    }
    out.insert("app".into(), argo_object(e, now));
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

/// The stored key of the application `key` names (its `ns` ignored) in the Kubernetes
/// namespace `ns`, or in any namespace when `ns` is empty (the first by namespace). Argo CD
/// names an application by namespace and name: two of one name in two namespaces are two.
pub fn resolve(state: &State, key: &Key, ns: &str) -> Option<Key> {
    state
        .applications
        .keys()
        .find(|k| {
            k.scope == key.scope
                && k.agent == key.agent
                && k.id == key.id
                && (ns.is_empty() || k.ns == ns)
        })
        .cloned()
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
/// from `app`. A changed spec is a change for the controller (a new comparison and, with
/// automated sync, a new sync); an unchanged spec starts nothing.
pub fn apply_update(
    state: &mut State,
    e: &mut AppEntry,
    app: &Map<String, Value>,
    now: Ts,
    delay: Duration,
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
    if spec_changed {
        sync::on_change(e, now, delay);
        super::projects::check_kinds(state, e, now);
    }
    e.last_modified_at = now;
}

fn being_deleted(e: &AppEntry) -> ApiError {
    ApiError::failed_precondition(format!(
        "application \"{}\" is being deleted (metadata.deletionTimestamp is set); wait until it is gone",
        e.key.id
    ))
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
        ns: str_of(&meta, "namespace").to_string(),
    };
    let (now, delay) = (req.now, ctx.sync_delay);
    let uid = ctx.new_uid();
    let out = ctx
        .store
        .write(|s| {
            let entry = match s.applications.get(&key).map(|a| (**a).clone()) {
                Some(e) if e.deletion.is_some() => {
                    return Err(ApiError::already_exists(format!(
                        "entity already exists: application \"{}\" is being deleted on agent \"{}\" \
                         (object is being deleted: applications.argoproj.io \"{}\" already exists); \
                         wait until it is gone",
                        key.id, key.agent, key.id
                    )))
                }
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
                        sync: SyncState::default(),
                        deletion: None,
                    };
                    links.apply(&mut e);
                    bump_metadata(s, &mut e, false);
                    sync::on_change(&mut e, now, delay);
                    super::projects::check_kinds(s, &mut e, now);
                    e
                }
            };
            check_links(s, &entry)?;
            check_unique(s, &entry)?;
            let mut entry = entry;
            super::projects::admit(s, &mut entry, now)?;
            let out = render(&entry, now);
            s.applications.insert(key.clone(), Arc::new(entry));
            Ok(out)
        })
        .await?;
    req.applied(ctx);
    Ok(out)
}

/// Query filters shared by get and list: `query.project` (any of), `query.appNamespace`.
fn visible(e: &AppEntry, q: &Query) -> bool {
    let projects = q.list("query.project");
    let ns = app_str(e, "metadata", "namespace");
    (projects.is_empty() || projects.iter().any(|p| p == app_str(e, "spec", "project")))
        && q.admits("query.appNamespace", |n| n == ns)
}

/// `GET …/applications/{name}` (AgentApplicationService_Get). `query.project` and
/// `query.appNamespace` restrict the match; `query.refresh`, `query.resourceVersion`,
/// `query.selector`, `query.repo` and `fetchFromHarness` are accepted (the status is always
/// current, so a refresh changes nothing).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let key = req.path_key();
    let now = Ts::now();
    let ns = req.query.str("query.appNamespace").to_string();
    ctx.store
        .read(|s| {
            resolve(s, &key, &ns)
                .and_then(|k| s.applications.get(&k))
                .filter(|e| visible(e, &req.query))
                .map(|e| render(e, now))
        })
        .await
        .ok_or_else(|| not_found("application", &key))
}

/// One requirement of a Kubernetes label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Requirement {
    fn matches(&self, labels: &Map<String, Value>) -> bool {
        let label = |k: &str| labels.get(k).and_then(Value::as_str);
        match self {
            Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| vs.iter().all(|v| v != l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
        }
    }
}

/// Parses a Kubernetes label selector (`k=v`, `k==v`, `k!=v`, `k in (a,b)`,
/// `k notin (a,b)`, `k`, `!k`, comma-separated; commas inside parentheses belong to a set).
fn parse_selector(selector: &str) -> ApiResult<Vec<Requirement>> {
    let bad = |term: &str, why: &str| {
        ApiError::invalid(format!(
            "query.selector: unable to parse requirement \"{term}\": {why}"
        ))
    };
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    let key_ok = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    };
    let mut out = Vec::new();
    for raw in terms {
        let term = raw.trim();
        if term.is_empty() {
            continue;
        }
        let set = |rest: &str| -> ApiResult<Vec<String>> {
            let inner = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| bad(term, "a set must be in parentheses, e.g. (a,b)"))?;
            Ok(inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect())
        };
        let words: Vec<&str> = term.splitn(3, char::is_whitespace).collect();
        let req = if let Some(rest) = term.strip_prefix('!') {
            Requirement::NotExists(rest.trim().to_string())
        } else if words.len() >= 2 && words[1] == "in" {
            Requirement::In(
                words[0].to_string(),
                set(words.get(2).copied().unwrap_or(""))?,
            )
        } else if words.len() >= 2 && words[1] == "notin" {
            Requirement::NotIn(
                words[0].to_string(),
                set(words.get(2).copied().unwrap_or(""))?,
            )
        } else if let Some((k, v)) = term.split_once("!=") {
            Requirement::NotEquals(k.trim().to_string(), v.trim().to_string())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            Requirement::Equals(k.trim().to_string(), v.trim().to_string())
        } else if term.contains(['<', '>', '(', ')', ' ']) {
            return Err(bad(
                term,
                "use k=v, k==v, k!=v, k in (a,b), k notin (a,b), k or !k",
            ));
        } else {
            Requirement::Exists(term.to_string())
        };
        let key = match &req {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::NotExists(k) => k,
        };
        if !key_ok(key) {
            return Err(bad(
                term,
                "the label key is empty or has invalid characters",
            ));
        }
        out.push(req);
    }
    Ok(out)
}

/// `GET …/applications` (AgentApplicationService_List): the agent's applications in the
/// requested project, each with its status as GET returns it, filtered by `query.name`,
/// `query.project` (any of), `query.repo` (any source), `query.selector` (label selector)
/// and `query.appNamespace`. `query.refresh`, `query.resourceVersion` and
/// `fetchFromHarness` are accepted and change nothing. One pass over the agent's
/// applications: cheap for thousands.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let q = &req.query;
    let selector = parse_selector(q.str("query.selector"))?;
    let now = Ts::now();
    let (items, rv) = ctx
        .store
        .read(|s| {
            let mut items = Vec::new();
            for e in s.applications.values() {
                if e.key.scope != req.scope || e.key.agent != req.route.agent || !visible(e, q) {
                    continue;
                }
                if !q.admits("query.name", |n| n == e.key.id) {
                    continue;
                }
                let url_ok = q.admits("query.repo", |u| {
                    let spec = e.app.get("spec").unwrap_or(&Value::Null);
                    agent::sources(spec).0.iter().any(|s| {
                        same_repo_url(s.get("repoURL").and_then(Value::as_str).unwrap_or(""), u)
                    })
                });
                if !url_ok {
                    continue;
                }
                let empty = Map::new();
                let labels = e
                    .app
                    .get("metadata")
                    .and_then(|m| m.get("labels"))
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                if !selector.iter().all(|r| r.matches(labels)) {
                    continue;
                }
                items.push(argo_object(e, now));
            }
            (items, s.resource_version)
        })
        .await;
    Ok(list_body(json!({"resourceVersion": rv.to_string()}), items))
}

/// `PUT …/applications/{name}` (AgentApplicationService_Update). The body's
/// `metadata.name`, when given, must be the path name. Link query parameters that are
/// given replace the stored ones. An application being deleted cannot be updated.
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
    let body_ns = app
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let out = ctx
        .store
        .write(|s| {
            let key = resolve(s, &key, &body_ns).ok_or_else(|| not_found("application", &key))?;
            let mut e = s
                .applications
                .get(&key)
                .map(|a| (**a).clone())
                .ok_or_else(|| not_found("application", &key))?;
            if e.deletion.is_some() {
                return Err(being_deleted(&e));
            }
            links.apply(&mut e);
            apply_update(s, &mut e, &app, now, delay);
            check_links(s, &e)?;
            super::projects::admit(s, &mut e, now)?;
            let out = render(&e, now);
            s.applications.insert(key.clone(), Arc::new(e));
            Ok(out)
        })
        .await?;
    req.applied(ctx);
    Ok(out)
}

/// Whether the application carries the resources finalizer (any of its variants).
fn has_resources_finalizer(e: &AppEntry) -> bool {
    e.app
        .get("metadata")
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|f| f == RESOURCES_FINALIZER || f.starts_with(&format!("{RESOURCES_FINALIZER}/")))
}

/// `DELETE …/applications/{name}` (AgentApplicationService_Delete).
///
/// Checks the options as Argo CD does (`request.propagationPolicy` is `foreground` or
/// `background` and cannot be combined with `request.cascade=false`); `request.project`
/// and `request.appNamespace` must match the application when given. A cascading delete
/// (`request.cascade` absent or true) of an application with the resources finalizer sets
/// `metadata.deletionTimestamp`; the application is gone `--delete-delay` later. A
/// non-cascading delete, `options.removeExistingFinalizers=true`,
/// `options.forceDelete=true` (the SDK's; not in the document), or an application without
/// the finalizer: gone at once (also for one already being deleted).
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
    let cascade = !q.has("request.cascade") || q.bool("request.cascade");
    if !policy.is_empty() && !cascade {
        return Err(ApiError::invalid(
            "cannot set propagation policy when cascading is disabled",
        ));
    }
    let at_once =
        !cascade || q.bool("options.removeExistingFinalizers") || q.bool("options.forceDelete");
    let key = req.path_key();
    let project = q.str("request.project");
    let namespace = q.str("request.appNamespace");
    let (now, delay) = (req.now, ctx.delete_delay);
    let changed = ctx
        .store
        .write(|s| {
            let key = resolve(s, &key, namespace).ok_or_else(|| not_found("application", &key))?;
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
            let waits = !at_once && has_resources_finalizer(e) && !delay.is_zero();
            match (e.deletion.is_some(), waits) {
                // Already being deleted: deleting again changes nothing (as in Kubernetes).
                (true, true) => Ok(false),
                (false, true) => {
                    let mut e = (**e).clone();
                    e.deletion = Some(Deletion {
                        requested_at: now,
                        gone_at: now.plus(delay),
                    });
                    if let Some(Value::Object(m)) = e.app.get_mut("metadata") {
                        m.insert("deletionTimestamp".into(), now.v1_time());
                    }
                    bump_metadata(s, &mut e, false);
                    s.applications.insert(key.clone(), Arc::new(e));
                    Ok(true)
                }
                (_, false) => {
                    s.applications.remove(&key);
                    Ok(true)
                }
            }
        })
        .await?;
    if changed {
        req.applied(ctx);
    }
    Ok(json!({}))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// `POST …/applications/{name}/sync` (AgentApplicationService_Sync): starts a sync
/// operation, answered with the application (operation `Running`). Refused (400, code 9)
/// while another operation runs, while the application is being deleted, and, as Argo CD
/// refuses it, a `revision` other than the source's `targetRevision` on an application
/// with automated sync (unless `dryRun`). `revision` (single source) or
/// `revisions`+`sourcePositions` (1-based, multi-source) choose what is deployed;
/// `prune`, `strategy`, `resources`, `manifests`, `syncOptions`, `infos` and
/// `retryStrategy` are recorded in the operation (`retryStrategy.limit` governs retries
/// of a failing sync); `name`, `project` and `appNamespace` must match when given.
pub async fn sync(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req)?;
    let body = check_msg(&req.body, &APP_SYNC_REQUEST, "")?;
    let key = req.path_key();
    let body_name = str_of(&body, "name");
    if !body_name.is_empty() && body_name != key.id {
        return Err(ApiError::invalid(format!(
            "name \"{body_name}\" differs from the application in the path \"{}\"",
            key.id
        )));
    }
    let dry_run = body.get("dryRun").and_then(Value::as_bool).unwrap_or(false);
    let revisions = strings(body.get("revisions"));
    let positions = strings(body.get("sourcePositions"));
    if revisions.len() != positions.len() {
        return Err(ApiError::invalid(
            "sourcePositions and revisions must have the same number of entries",
        ));
    }
    let mut extra = Map::new();
    if body.get("prune").and_then(Value::as_bool).unwrap_or(false) {
        extra.insert("prune".into(), json!(true));
    }
    for (from, to) in [
        ("strategy", "syncStrategy"),
        ("resources", "resources"),
        ("manifests", "manifests"),
    ] {
        if let Some(v) = body.get(from) {
            extra.insert(to.into(), v.clone());
        }
    }
    let options = strings(body.get("syncOptions").and_then(|o| o.get("items")));
    if !options.is_empty() {
        extra.insert("syncOptions".into(), json!(options));
    }
    let request = sync::Request {
        username: format!("x-api-key:{}", ctx.account_id),
        automated: false,
        dry_run,
        sync: extra,
        info: body
            .get("infos")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        retry: body.get("retryStrategy").cloned(),
    };
    let project = str_of(&body, "project").to_string();
    let namespace = str_of(&body, "appNamespace").to_string();
    let (now, delay) = (req.now, ctx.sync_delay);
    let out = ctx
        .store
        .write(|s| {
            let key = resolve(s, &key, &namespace).ok_or_else(|| not_found("application", &key))?;
            let mut e = s
                .applications
                .get(&key)
                .map(|a| (**a).clone())
                .ok_or_else(|| not_found("application", &key))?;
            if (!project.is_empty() && project != app_str(&e, "spec", "project"))
                || (!namespace.is_empty() && namespace != app_str(&e, "metadata", "namespace"))
            {
                return Err(not_found("application", &key));
            }
            if e.deletion.is_some() {
                return Err(being_deleted(&e));
            }
            let spec = e.app.get("spec").cloned().unwrap_or(Value::Null);
            sync::settle(&mut e.sync, now, &spec);
            if sync::running(&e.sync) {
                return Err(ApiError::failed_precondition(
                    "another operation is already in progress",
                ));
            }
            let auto = sync::automated(&spec);
            let mut target = sync::target_of(&spec);
            let mut pin = |index: usize, revision: &str| -> ApiResult<()> {
                let Some(source) = target.sources.get(index) else {
                    return Err(ApiError::invalid(format!(
                        "source position {} is out of range (the application has {} sources)",
                        index + 1,
                        target.sources.len()
                    )));
                };
                let current = source
                    .get("targetRevision")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if revision == current {
                    return Ok(());
                }
                if auto && !dry_run {
                    return Err(ApiError::failed_precondition(format!(
                        "Cannot sync to {revision}: auto-sync currently set to {current}"
                    )));
                }
                let mut pinned = source.clone();
                pinned["targetRevision"] = json!(revision);
                if let Some(r) = target.revisions.get_mut(index) {
                    *r = agent::revision_of(&pinned);
                }
                Ok(())
            };
            let revision = str_of(&body, "revision");
            if !revision.is_empty() {
                pin(0, revision)?;
            }
            for (p, r) in positions.iter().zip(&revisions) {
                let pos: usize = p.parse().unwrap_or(0);
                if pos == 0 {
                    return Err(ApiError::invalid(
                        "sourcePositions are 1-based: the first source is 1",
                    ));
                }
                pin(pos - 1, r)?;
            }
            if let Some(why) = super::projects::blocked(s, &e, true, now) {
                return Err(ApiError::permission_denied(why));
            }
            sync::start(&mut e.sync, &key.id, target, request, now, delay);
            super::projects::check_kinds(s, &mut e, now);
            bump_metadata(s, &mut e, false);
            let out = render(&e, now);
            s.applications.insert(key.clone(), Arc::new(e));
            Ok(out)
        })
        .await?;
    req.applied(ctx);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Map<String, Value> {
        json!({"team": "a", "tier": "web"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn matches(selector: &str) -> bool {
        parse_selector(selector)
            .unwrap()
            .iter()
            .all(|r| r.matches(&labels()))
    }

    #[test]
    fn selectors() {
        assert!(matches("team=a,tier"));
        assert!(matches("team==a,!env"));
        assert!(!matches("team!=a"));
        assert!(matches("team in (a, b),tier notin (db)"));
        assert!(!matches("team in (b,c)"));
        assert!(matches("env notin (prod)"));
        assert!(matches(""));
        assert!(parse_selector("team in a").is_err());
        assert!(parse_selector("x > 3").is_err());
        assert!(parse_selector("=a").is_err());
    }

    #[test]
    fn names() {
        assert!(check_name("my-app.v1").is_ok());
        assert!(check_name("My-App").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("").is_err());
    }
}

/// What an ApplicationSet's reconcile did to one generated application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Updated,
    Unchanged,
}

/// Creates or updates an application the ApplicationSet controller generated (module
/// `appsets`): `meta` holds name, namespace, labels, annotations, finalizers and the owner
/// reference; `update` false leaves an existing one as it is (`create-only`,
/// `create-delete`). The rules of a create apply (name, spec, uniqueness, the Argo project);
/// repositories are not looked up (the controller writes Applications directly, not through
/// Harness). Nothing changes on error.
#[allow(clippy::too_many_arguments)]
pub fn put_generated(
    state: &mut State,
    key: &Key,
    meta: Map<String, Value>,
    spec: Map<String, Value>,
    update: bool,
    uid: String,
    now: Ts,
    delay: Duration,
) -> ApiResult<Put> {
    check_name(&key.id)?;
    check_spec(&spec)?;
    let (entry, put) = match state.applications.get(key).map(|a| (**a).clone()) {
        Some(e) if e.deletion.is_some() => return Err(being_deleted(&e)),
        Some(_) if !update => return Ok(Put::Unchanged),
        Some(mut e) => {
            let before = e.app.clone();
            let new_app: Map<String, Value> = [
                ("metadata".to_string(), Value::Object(meta.clone())),
                ("spec".to_string(), Value::Object(spec)),
            ]
            .into_iter()
            .collect();
            let same_meta = UPDATED_METADATA
                .iter()
                .chain(&["ownerReferences"])
                .all(|k| before.get("metadata").and_then(|m| m.get(*k)) == meta.get(*k));
            if before.get("spec") == new_app.get("spec") && same_meta {
                return Ok(Put::Unchanged);
            }
            apply_update(state, &mut e, &new_app, now, delay);
            if let Some(Value::Object(m)) = e.app.get_mut("metadata") {
                match meta.get("ownerReferences") {
                    Some(o) => m.insert("ownerReferences".into(), o.clone()),
                    None => m.remove("ownerReferences"),
                };
            }
            (e, Put::Updated)
        }
        None => {
            let mut meta = meta;
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
                skip_repo_validation: true,
                created_at: now,
                last_modified_at: now,
                sync: SyncState::default(),
                deletion: None,
            };
            bump_metadata(state, &mut e, false);
            sync::on_change(&mut e, now, delay);
            super::projects::check_kinds(state, &mut e, now);
            (e, Put::Created)
        }
    };
    check_unique(state, &entry)?;
    let mut entry = entry;
    super::projects::admit(state, &mut entry, now)?;
    state.applications.insert(key.clone(), Arc::new(entry));
    Ok(put)
}

/// Deletes an application an ApplicationSet no longer generates (or that goes with its
/// set), as a cascading delete: with the resources finalizer it is marked and gone
/// `delay` later, else gone at once.
pub fn delete_generated(state: &mut State, key: &Key, now: Ts, delay: Duration) {
    let Some(e) = state.applications.get(key).map(|a| (**a).clone()) else {
        return;
    };
    if e.deletion.is_some() {
        return;
    }
    if has_resources_finalizer(&e) && !delay.is_zero() {
        let mut e = e;
        e.deletion = Some(Deletion {
            requested_at: now,
            gone_at: now.plus(delay),
        });
        if let Some(Value::Object(m)) = e.app.get_mut("metadata") {
            m.insert("deletionTimestamp".into(), now.v1_time());
        }
        bump_metadata(state, &mut e, false);
        state.applications.insert(key.clone(), Arc::new(e));
    } else {
        state.applications.remove(key);
    }
}

/// Removes the owner references to the set `uid` from an application (the set is deleted
/// and its applications kept).
pub fn orphan(state: &mut State, key: &Key, uid: &str) {
    let Some(mut e) = state.applications.get(key).map(|a| (**a).clone()) else {
        return;
    };
    if let Some(Value::Object(m)) = e.app.get_mut("metadata") {
        if let Some(Value::Array(refs)) = m.get_mut("ownerReferences") {
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
            if refs.is_empty() {
                m.remove("ownerReferences");
            }
        }
    }
    bump_metadata(state, &mut e, false);
    state.applications.insert(key.clone(), Arc::new(e));
}
