//! ApplicationSet operations (`/gitops/api/v1/applicationset…`, `POST …/applicationsets`)
//! and the emulated ApplicationSet controller.
//!
//! A set is project-scoped, on the agent of the `agentIdentifier` query parameter (the list:
//! of the body). Its Harness `identifier` is a UUID the emulator assigns (the path id of get
//! and delete; a name there is not found, as the document names the UUID); create and update
//! name the set by `applicationset.metadata.name` (namespace `argocd` unless given).
//!
//! Every create and update runs the controller at once (module [`super::appset_gen`]): the
//! generated applications are real applications of the store in the set's scope and agent,
//! owned by the set (`metadata.ownerReferences`), synced by the emulated Argo CD like any
//! other; `status.resources` and `status.applicationStatus` show their sync and health on
//! every read.

use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::applications::{self, Put, DEFAULT_NAMESPACE};
use super::appset_gen::{self, ClusterInfo, Env, GenError, GitTrees};
use super::common::str_of;
use super::error::{ApiError, ApiResult};
use super::http::{read_json, ApiRequest, Ctx};
use super::routes::Route;
use super::schema::{
    APPSET_CREATE_REQUEST, APPSET_GENERATE_REQUEST, APPSET_QUERY, MATRIX_GENERATOR, MERGE_GENERATOR,
};
use super::scope::{AgentLevel, Key, Scope};
use super::store::{State, Ts};
use super::sync;
use super::validate::check_msg;

/// A stored ApplicationSet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSetEntry {
    /// Scope, agent, `metadata.name` and `metadata.namespace`.
    pub key: Key,
    /// The Harness identifier (a UUID).
    pub identifier: String,
    /// Normalised `applicationsApplicationSet` with `metadata` and `spec` only.
    pub appset: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
    /// The applications the last reconcile left owned by the set.
    #[serde(default)]
    pub generated: Vec<Key>,
    /// Why the last reconcile did not do everything (the `ErrorOccurred` condition).
    #[serde(default)]
    pub errors: Vec<String>,
    /// When the last reconcile ran.
    pub reconciled_at: Ts,
}

const KIND: &str = "applicationset";
const POLICIES: &[&str] = &["create-only", "create-update", "create-delete", "sync"];

fn require_project(scope: &Scope) -> ApiResult<()> {
    if scope.org.is_empty() || scope.project.is_empty() {
        return Err(ApiError::invalid(
            "applicationsets are project-scoped: orgIdentifier and projectIdentifier are required",
        ));
    }
    Ok(())
}

fn obj(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

fn spec_of(e: &AppSetEntry) -> Map<String, Value> {
    obj(e.appset.get("spec"))
}

fn invalid(e: GenError) -> ApiError {
    ApiError::invalid(format!("invalid applicationset: {}", e.message()))
}

/// Checks the set of a create, update or generate body and returns its metadata (client
/// keys only, namespace defaulted) and spec.
fn check_set(body: &Map<String, Value>) -> ApiResult<(Map<String, Value>, Map<String, Value>)> {
    let set = match body.get("applicationset") {
        Some(Value::Object(a)) => a.clone(),
        _ => {
            return Err(ApiError::invalid(
                "field \"applicationset\" is required: send {\"applicationset\": {\"metadata\": {...}, \"spec\": {...}}}",
            ))
        }
    };
    if body.get("yaml").is_some() {
        return Err(ApiError::unimplemented(
            "field \"yaml\" (an ApplicationSet as YAML) is not implemented by harness-gitops-emulator; send \"applicationset\"",
        ));
    }
    let mut meta = obj(set.get("metadata"));
    meta.retain(|k, _| {
        ["name", "namespace", "labels", "annotations", "finalizers"].contains(&k.as_str())
    });
    let name = str_of(&meta, "name");
    if name.is_empty() {
        return Err(ApiError::invalid(
            "field \"applicationset.metadata.name\" is required",
        ));
    }
    check_k8s_name(name, "applicationset.metadata.name")?;
    if str_of(&meta, "namespace").is_empty() {
        meta.insert("namespace".into(), json!(DEFAULT_NAMESPACE));
    }
    let spec = obj(set.get("spec"));
    if spec.get("template").is_none() {
        return Err(ApiError::invalid(
            "field \"applicationset.spec.template\" is required",
        ));
    }
    let generators = spec
        .get("generators")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    appset_gen::check_structure(&generators).map_err(invalid)?;
    check_nested_bodies(&generators)?;
    if let Some(policy) = spec
        .get("syncPolicy")
        .and_then(|p| p.get("applicationsSync"))
        .and_then(Value::as_str)
    {
        if !POLICIES.contains(&policy) {
            return Err(ApiError::invalid(format!(
                "field \"applicationset.spec.syncPolicy.applicationsSync\": \"{policy}\" is not one of {}",
                POLICIES.join(", ")
            )));
        }
    }
    if let Some(t) = spec
        .get("strategy")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
    {
        if !["AllAtOnce", "RollingSync"].contains(&t) {
            return Err(ApiError::invalid(format!(
                "field \"applicationset.spec.strategy.type\": \"{t}\" is not AllAtOnce or RollingSync"
            )));
        }
    }
    Ok((meta, spec))
}

/// A nested matrix or merge (`v1JSON`) must be a matrix/merge generator of the document.
fn check_nested_bodies(generators: &[Value]) -> ApiResult<()> {
    for (i, g) in generators.iter().enumerate() {
        for kind in ["matrix", "merge"] {
            let Some(children) = g
                .get(kind)
                .and_then(|m| m.get("generators"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for (j, c) in children.iter().enumerate() {
                for inner in ["matrix", "merge"] {
                    if let Some(raw) = c.get(inner) {
                        let path = format!(
                            "applicationset.spec.generators[{i}].{kind}.generators[{j}].{inner}"
                        );
                        let v = appset_gen::raw_json(raw)
                            .map_err(|e| ApiError::invalid(format!("field \"{path}\": {e}")))?;
                        let msg = if inner == "matrix" {
                            &MATRIX_GENERATOR
                        } else {
                            &MERGE_GENERATOR
                        };
                        check_msg(&v, msg, &path)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_k8s_name(name: &str, field: &str) -> ApiResult<()> {
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
            "invalid value for field \"{field}\": \"{name}\" is not a valid Kubernetes name \
             (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)"
        )));
    }
    Ok(())
}

/// The clusters the clusters generator of a set on `key`'s agent sees: the agent's clusters
/// in the set's project and its parent scopes.
fn clusters_for(state: &State, key: &Key) -> Vec<ClusterInfo> {
    let chain = key.scope.chain();
    state
        .clusters
        .values()
        .filter(|c| c.key.agent == key.agent && chain.contains(&c.key.scope))
        .map(|c| ClusterInfo {
            name: str_of(&c.cluster, "name").to_string(),
            server: str_of(&c.cluster, "server").to_string(),
            project: str_of(&c.cluster, "project").to_string(),
            labels: obj(c.cluster.get("labels")),
            annotations: obj(c.cluster.get("annotations")),
        })
        .collect()
}

/// One application the set generates: its key, metadata and spec.
struct Desired {
    key: Key,
    meta: Map<String, Value>,
    spec: Map<String, Value>,
}

/// Runs the generators and renders the template. `Err(Invalid)`: the set cannot run at all;
/// `Err(Failed)`: a condition.
fn desired(
    state: &State,
    key: &Key,
    meta: &Map<String, Value>,
    spec: &Map<String, Value>,
    git: &GitTrees,
) -> Result<Vec<Desired>, GenError> {
    let options: Vec<&str> = spec
        .get("goTemplateOptions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let clusters = clusters_for(state, key);
    let env = Env {
        clusters: &clusters,
        git,
        go_template: spec
            .get("goTemplate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        missing_key_error: options.contains(&"missingkey=error"),
    };
    if !str_of(spec, "templatePatch").trim().is_empty() {
        return Err(GenError::Failed(
            "spec.templatePatch is not supported by harness-gitops-emulator".into(),
        ));
    }
    let generators = spec
        .get("generators")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let base = spec.get("template").cloned().unwrap_or_else(|| json!({}));
    let ns = str_of(meta, "namespace").to_string();
    let set_name = str_of(meta, "name").to_string();
    let mut out: Vec<Desired> = Vec::new();
    for g in appset_gen::generate(&generators, &env)? {
        let mut t = g.template.unwrap_or_else(|| json!({}));
        appset_gen::fill_missing(&mut t, &base);
        let rendered = appset_gen::render_value(&t, &g.params, &env)?;
        let tmeta = obj(rendered.get("metadata"));
        let name = str_of(&tmeta, "name").to_string();
        if name.is_empty() {
            return Err(GenError::Failed(
                "application name is empty: set template.metadata.name".into(),
            ));
        }
        if out.iter().any(|d| d.key.id == name) {
            return Err(GenError::Failed(format!(
                "ApplicationSet {set_name} contains applications with duplicate name: {name}"
            )));
        }
        let mut app_meta = Map::new();
        app_meta.insert("name".into(), json!(name));
        app_meta.insert("namespace".into(), json!(ns));
        for k in ["labels", "annotations", "finalizers"] {
            if let Some(v) = tmeta.get(k).filter(|v| !appset_gen_empty(v)) {
                app_meta.insert(k.into(), v.clone());
            }
        }
        out.push(Desired {
            key: Key {
                scope: key.scope.clone(),
                agent: key.agent.clone(),
                id: name,
                ns: ns.clone(),
            },
            meta: app_meta,
            spec: obj(rendered.get("spec")),
        });
    }
    Ok(out)
}

fn appset_gen_empty(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

fn set_uid(e: &AppSetEntry) -> String {
    e.appset
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Whether the application at `key` is owned by the set `uid`.
fn owned_by(state: &State, key: &Key, uid: &str) -> Option<bool> {
    let a = state.applications.get(key)?;
    Some(
        a.app
            .get("metadata")
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid)),
    )
}

/// The emulated controller: generates, then creates, updates and deletes the set's
/// applications as its `syncPolicy.applicationsSync` allows. Generation failures and
/// refused applications become the set's errors; `Err` only for a set that cannot run.
fn reconcile(
    state: &mut State,
    e: &mut AppSetEntry,
    git: &GitTrees,
    now: Ts,
    delay: Duration,
    mut uid: impl FnMut() -> String,
) -> ApiResult<()> {
    let meta = obj(e.appset.get("metadata"));
    let spec = spec_of(e);
    e.reconciled_at = now;
    let wanted = match desired(state, &e.key, &meta, &spec, git) {
        Ok(w) => w,
        Err(GenError::Invalid(m)) => return Err(invalid(GenError::Invalid(m))),
        Err(GenError::Failed(m)) => {
            // Argo CD changes nothing when generation fails.
            e.errors = vec![m];
            e.generated.retain(|k| state.applications.contains_key(k));
            return Ok(());
        }
    };
    let policy = spec
        .get("syncPolicy")
        .and_then(|p| p.get("applicationsSync"))
        .and_then(Value::as_str)
        .unwrap_or("sync");
    let may_update = matches!(policy, "sync" | "create-update");
    let may_delete = matches!(policy, "sync" | "create-delete");
    let owner = set_uid(e);
    let owner_ref = json!([{
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "name": e.key.id,
        "uid": owner,
        "controller": true,
        "blockOwnerDeletion": true,
    }]);
    let mut errors = Vec::new();
    let mut generated = Vec::new();
    for d in wanted {
        if owned_by(state, &d.key, &owner) == Some(false) {
            errors.push(format!(
                "application {} already exists and is not owned by ApplicationSet {}: not updated",
                d.key.id, e.key.id
            ));
            continue;
        }
        let mut m = d.meta;
        m.insert("ownerReferences".into(), owner_ref.clone());
        match applications::put_generated(state, &d.key, m, d.spec, may_update, uid(), now, delay) {
            Ok(Put::Created | Put::Updated | Put::Unchanged) => generated.push(d.key),
            Err(err) => {
                let present = state.applications.contains_key(&d.key);
                errors.push(format!(
                    "failed to create or update application {}: {}",
                    d.key.id, err.message
                ));
                if present {
                    generated.push(d.key);
                }
            }
        }
    }
    for old in std::mem::take(&mut e.generated) {
        if generated.contains(&old) || !state.applications.contains_key(&old) {
            continue;
        }
        if may_delete {
            applications::delete_generated(state, &old, now, delay);
        } else {
            generated.push(old);
        }
    }
    e.generated = generated;
    e.errors = errors;
    Ok(())
}

/// The set's status, from its applications at `now`.
fn status(state: &State, e: &AppSetEntry, now: Ts) -> Value {
    let at = e.reconciled_at.v1_time();
    let mut resources = Vec::new();
    let mut app_status = Vec::new();
    for k in &e.generated {
        let Some(a) = state.applications.get(k) else {
            continue;
        };
        let (st, _) = sync::observe(a, now);
        let sync_status = st
            .pointer("/sync/status")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string();
        let health = st
            .pointer("/health/status")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string();
        resources.push(json!({
            "group": "argoproj.io",
            "version": "v1alpha1",
            "kind": "Application",
            "namespace": k.ns,
            "name": k.id,
            "status": sync_status,
            "health": {"status": health},
        }));
        let (s, msg) = if health == "Healthy" {
            (
                "Healthy",
                "Application resource is already Healthy, updating status from Waiting to Healthy.",
            )
        } else {
            ("Progressing", "Application resource became Progressing, updating status from Pending to Progressing.")
        };
        app_status.push(json!({
            "application": k.id,
            "lastTransitionTime": now.v1_time(),
            "message": msg,
            "status": s,
        }));
    }
    let conditions = if e.errors.is_empty() {
        json!([
            {"type": "ErrorOccurred", "status": "False", "reason": "ApplicationSetUpToDate",
             "message": "All applications have been generated successfully", "lastTransitionTime": at},
            {"type": "ParametersGenerated", "status": "True", "reason": "ParametersGenerated",
             "message": "Successfully generated parameters for all Applications", "lastTransitionTime": at},
            {"type": "ResourcesUpToDate", "status": "True", "reason": "ApplicationSetUpToDate",
             "message": "All applications have been generated successfully", "lastTransitionTime": at},
        ])
    } else {
        let msg = e.errors.join("; ");
        json!([
            {"type": "ErrorOccurred", "status": "True", "reason": "ApplicationGenerationFromParamsError",
             "message": msg, "lastTransitionTime": at},
            {"type": "ResourcesUpToDate", "status": "False", "reason": "ApplicationGenerationFromParamsError",
             "message": msg, "lastTransitionTime": at},
        ])
    };
    let mut out = Map::new();
    out.insert("conditions".into(), conditions);
    if !app_status.is_empty() {
        out.insert("applicationStatus".into(), Value::Array(app_status));
    }
    if !resources.is_empty() {
        out.insert("resources".into(), Value::Array(resources));
    }
    Value::Object(out)
}

/// The Argo object of a set at `now`.
fn argo_object(state: &State, e: &AppSetEntry, now: Ts) -> Value {
    let mut set = e.appset.clone();
    set.insert("status".into(), status(state, e, now));
    Value::Object(set)
}

/// `servicev1ApplicationSet`.
fn render(state: &State, e: &AppSetEntry, now: Ts) -> Value {
    let mut out = Map::new();
    out.insert("identifier".into(), json!(e.identifier));
    out.insert("accountIdentifier".into(), json!(e.key.scope.account));
    out.insert("orgIdentifier".into(), json!(e.key.scope.org));
    out.insert("projectIdentifier".into(), json!(e.key.scope.project));
    out.insert("agentIdentifier".into(), json!(e.key.agent));
    out.insert("createdAt".into(), json!(e.created_at.rfc3339()));
    out.insert("lastModifiedAt".into(), json!(e.last_modified_at.rfc3339()));
    out.insert("appset".into(), argo_object(state, e, now));
    Value::Object(out)
}

/// The dump of `GET /_emulator/state`.
pub fn dump(state: &State, now: Ts) -> Vec<Value> {
    state
        .appsets
        .values()
        .map(|e| render(state, e, now))
        .collect()
}

fn key_of(req: &ApiRequest, meta: &Map<String, Value>) -> Key {
    Key {
        scope: req.scope.clone(),
        agent: req.route.agent.clone(),
        id: str_of(meta, "name").to_string(),
        ns: str_of(meta, "namespace").to_string(),
    }
}

/// Argo CD names a set by namespace and name, unique per agent (Argo CD instance).
fn check_unique(state: &State, key: &Key) -> ApiResult<()> {
    match state.appsets.values().find(|o| {
        o.key != *key
            && o.key.instance() == key.instance()
            && o.key.id == key.id
            && o.key.ns == key.ns
    }) {
        Some(o) => Err(ApiError::already_exists(format!(
            "entity already exists: applicationset \"{}\" already exists on agent \"{}\" in {}",
            key.id,
            key.agent,
            o.key.scope.describe()
        ))),
        None => Ok(()),
    }
}

fn bump(state: &mut State, e: &mut AppSetEntry, spec_changed: bool) {
    let rv = state.bump_resource_version();
    if let Some(Value::Object(m)) = e.appset.get_mut("metadata") {
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

/// Writes `meta`/`spec` into `e` (Argo CD's update rule: spec, labels, annotations,
/// finalizers).
fn apply(e: &mut AppSetEntry, meta: &Map<String, Value>, spec: Map<String, Value>) -> bool {
    let changed = e.appset.get("spec") != Some(&Value::Object(spec.clone()));
    e.appset.insert("spec".into(), Value::Object(spec));
    if let Some(Value::Object(m)) = e.appset.get_mut("metadata") {
        for k in ["labels", "annotations", "finalizers"] {
            match meta.get(k) {
                Some(v) => m.insert(k.into(), v.clone()),
                None => m.remove(k),
            };
        }
    }
    changed
}

fn git_now(ctx: &Ctx) -> GitTrees {
    ctx.git_trees
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// `POST /api/v1/applicationset` (ApplicationSetService_Create); `upsert` replaces an
/// existing set of the name, `dryRun` answers what would be stored without storing it.
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req.scope)?;
    let body = check_msg(&req.body, &APPSET_CREATE_REQUEST, "")?;
    let (meta, spec) = check_set(&body)?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let dry_run = body.get("dryRun").and_then(Value::as_bool).unwrap_or(false);
    let key = key_of(&req, &meta);
    let (now, delay) = (req.now, ctx.sync_delay);
    let git = git_now(ctx);
    let (identifier, k8s_uid) = (ctx.new_uid(), ctx.new_uid());
    let run = |s: &mut State| -> ApiResult<Value> {
        check_unique(s, &key)?;
        let mut e = match s.appsets.get(&key).cloned() {
            Some(_) if !upsert => return Err(super::common::already_exists(KIND, &key)),
            Some(mut e) => {
                let changed = apply(&mut e, &meta, spec.clone());
                bump(s, &mut e, changed);
                e.last_modified_at = now;
                e
            }
            None => {
                let mut m = meta.clone();
                m.insert("uid".into(), json!(k8s_uid));
                m.insert("generation".into(), json!("1"));
                m.insert("creationTimestamp".into(), now.v1_time());
                let mut e = AppSetEntry {
                    key: key.clone(),
                    identifier: identifier.clone(),
                    appset: [
                        ("metadata".to_string(), Value::Object(m)),
                        ("spec".to_string(), Value::Object(spec.clone())),
                    ]
                    .into_iter()
                    .collect(),
                    created_at: now,
                    last_modified_at: now,
                    generated: Vec::new(),
                    errors: Vec::new(),
                    reconciled_at: now,
                };
                bump(s, &mut e, false);
                e
            }
        };
        reconcile(s, &mut e, &git, now, delay, || ctx.new_uid())?;
        let out = render(s, &e, now);
        s.appsets.insert(key.clone(), e);
        Ok(out)
    };
    if dry_run {
        return ctx.store.read(|s| run(&mut s.clone())).await;
    }
    let out = ctx.store.write(run).await?;
    req.applied(ctx);
    Ok(out)
}

/// `PUT /api/v1/applicationset` (ApplicationSetService_Update): the set named by the body
/// (in its namespace when given), regenerated.
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req.scope)?;
    let body = check_msg(&req.body, &APPSET_CREATE_REQUEST, "")?;
    let given_ns = body
        .get("applicationset")
        .and_then(|a| a.get("metadata"))
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let (meta, spec) = check_set(&body)?;
    let dry_run = body.get("dryRun").and_then(Value::as_bool).unwrap_or(false);
    let wanted = key_of(&req, &meta);
    let (now, delay) = (req.now, ctx.sync_delay);
    let git = git_now(ctx);
    let run = |s: &mut State| -> ApiResult<Value> {
        let key = s
            .appsets
            .keys()
            .find(|k| {
                k.scope == wanted.scope
                    && k.agent == wanted.agent
                    && k.id == wanted.id
                    && (given_ns.is_empty() || k.ns == given_ns)
            })
            .cloned()
            .ok_or_else(|| super::common::not_found(KIND, &wanted))?;
        let mut e = s
            .appsets
            .get(&key)
            .cloned()
            .ok_or_else(|| super::common::not_found(KIND, &wanted))?;
        let changed = apply(&mut e, &meta, spec.clone());
        bump(s, &mut e, changed);
        e.last_modified_at = now;
        reconcile(s, &mut e, &git, now, delay, || ctx.new_uid())?;
        let out = render(s, &e, now);
        s.appsets.insert(key, e);
        Ok(out)
    };
    if dry_run {
        return ctx.store.read(|s| run(&mut s.clone())).await;
    }
    let out = ctx.store.write(run).await?;
    req.applied(ctx);
    Ok(out)
}

fn find<'s>(state: &'s State, req: &ApiRequest) -> Option<&'s AppSetEntry> {
    let id = req.route.id.as_deref().unwrap_or("");
    state
        .appsets
        .values()
        .find(|e| e.key.scope == req.scope && e.key.agent == req.route.agent && e.identifier == id)
}

fn missing(req: &ApiRequest) -> ApiError {
    ApiError::not_found(format!(
        "applicationset with identifier \"{}\" not found in {} on agent \"{}\"",
        req.route.id.as_deref().unwrap_or(""),
        req.scope.describe(),
        req.route.agent
    ))
}

/// `GET /api/v1/applicationset/{identifier}` (ApplicationSetService_Get); `fetchMode` is
/// accepted (the emulator's status is always current).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req.scope)?;
    let now = Ts::now();
    ctx.store
        .read(|s| find(s, &req).map(|e| render(s, e, now)))
        .await
        .ok_or_else(|| missing(&req))
}

/// `DELETE /api/v1/applicationset/{identifier}` (ApplicationSetService_Delete): answers
/// `{project, applicationset}`. The set's applications go too (cascading), unless
/// `syncPolicy.preserveResourcesOnDeletion`: then they stay, no longer owned.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req.scope)?;
    let (now, delay) = (req.now, ctx.delete_delay);
    let out = ctx
        .store
        .write(|s| {
            let e = find(s, &req).cloned().ok_or_else(|| missing(&req))?;
            let whole = Value::Object(e.appset.clone());
            let out = json!({
                "project": whole.pointer("/spec/template/spec/project").cloned().unwrap_or(json!("")),
                "applicationset": argo_object(s, &e, now),
            });
            let preserve = whole
                .pointer("/spec/syncPolicy/preserveResourcesOnDeletion")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let uid = set_uid(&e);
            for k in &e.generated {
                if preserve {
                    applications::orphan(s, k, &uid);
                } else {
                    applications::delete_generated(s, k, now, delay);
                }
            }
            s.appsets.remove(&e.key);
            Ok(out)
        })
        .await?;
    req.applied(ctx);
    let mut out = out;
    if out["project"] == json!("") {
        if let Some(o) = out.as_object_mut() {
            o.remove("project");
        }
    }
    Ok(out)
}

/// `POST /api/v1/applicationset/generate` (ApplicationSetService_Generate): the
/// applications the set would generate now, nothing stored. A generation failure is a 400
/// with Argo CD's message.
pub async fn generate(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    require_project(&req.scope)?;
    let body = check_msg(&req.body, &APPSET_GENERATE_REQUEST, "")?;
    let (meta, spec) = check_set(&body)?;
    let key = key_of(&req, &meta);
    let git = git_now(ctx);
    let apps = ctx
        .store
        .read(|s| desired(s, &key, &meta, &spec, &git))
        .await
        .map_err(|e| {
            ApiError::invalid(format!("error generating applications: {}", e.message()))
        })?;
    let items: Vec<Value> = apps
        .into_iter()
        .map(|d| json!({"metadata": d.meta, "spec": d.spec}))
        .collect();
    let mut out = Map::new();
    if !items.is_empty() {
        out.insert("applications".into(), Value::Array(items));
    }
    Ok(Value::Object(out))
}

/// `POST /api/v1/applicationsets` (ApplicationSetService_List): the scope and the agent in
/// the body (`v1ApplicationSetQuery`; the query takes only the gateway's `routingId`), the
/// sets of exactly that scope (of the agent when given), filtered by `searchTerm` (name
/// contains, any case), sorted by name, paged (`pageSize` default 10).
pub async fn list(ctx: &Ctx, route: Route, req: Request<Incoming>) -> ApiResult<Value> {
    let _ = route;
    for (name, value) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        if name != "routingId" {
            return Err(ApiError::invalid(format!(
                "unknown query parameter \"{name}\"; this operation accepts: routingId"
            )));
        }
        if value != ctx.account_id {
            return Err(ApiError::invalid(format!(
                "routingId \"{value}\" must equal accountIdentifier \"{}\"",
                ctx.account_id
            )));
        }
    }
    let raw = read_json(req.into_body())
        .await?
        .ok_or_else(|| ApiError::invalid("applicationsets.list needs a JSON request body"))?;
    let body = check_msg(&raw, &APPSET_QUERY, "")?;
    let account = str_of(&body, "accountIdentifier");
    if account.is_empty() {
        return Err(ApiError::invalid("field \"accountIdentifier\" is required"));
    }
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
    if !scope.project.is_empty() && scope.org.is_empty() {
        return Err(ApiError::invalid(
            "projectIdentifier was given without orgIdentifier; a project is always inside an org, send both",
        ));
    }
    let agent = str_of(&body, "agentIdentifier").to_string();
    if !agent.is_empty() {
        AgentLevel::of(&agent)?;
    }
    let search = str_of(&body, "searchTerm").to_ascii_lowercase();
    let int = |k: &str| body.get(k).and_then(Value::as_i64);
    let size = usize::try_from(int("pageSize").filter(|n| *n > 0).unwrap_or(10)).unwrap_or(10);
    let index = usize::try_from(int("pageIndex").filter(|n| *n >= 0).unwrap_or(0)).unwrap_or(0);
    let now = Ts::now();
    let all: Vec<Value> = ctx
        .store
        .read(|s| {
            s.appsets
                .values()
                .filter(|e| e.key.scope == scope)
                .filter(|e| agent.is_empty() || e.key.agent == agent)
                .filter(|e| search.is_empty() || e.key.id.to_ascii_lowercase().contains(&search))
                .map(|e| render(s, e, now))
                .collect()
        })
        .await;
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip(index.saturating_mul(size))
        .take(size)
        .collect();
    let mut out = Map::new();
    if page.is_empty() {
        out.insert("empty".into(), json!(true));
    } else {
        out.insert("pageItemCount".into(), json!(page.len()));
        out.insert("content".into(), Value::Array(page));
    }
    if total > 0 {
        out.insert("totalItems".into(), json!(total));
        out.insert("totalPages".into(), json!(total.div_ceil(size)));
    }
    out.insert("pageSize".into(), json!(size));
    if index > 0 {
        out.insert("pageIndex".into(), json!(index));
    }
    Ok(Value::Object(out))
}

/// Parses the `--git-tree` / `POST /_emulator/git-tree` document:
/// `{"<repoURL>": {"<revision>": ["dir/path", {"path": "f.json", "content": "{...}"}]}}`.
///
/// # Errors
/// A message naming what is not of that shape.
pub fn parse_git_trees(v: &Value) -> Result<GitTrees, String> {
    let Value::Object(repos) = v else {
        return Err("expected an object {repoURL: {revision: [paths...]}}".into());
    };
    let mut out = GitTrees::new();
    for (url, revs) in repos {
        let Value::Object(revs) = revs else {
            return Err(format!(
                "{url}: expected an object {{revision: [paths...]}}"
            ));
        };
        let mut r = std::collections::BTreeMap::new();
        for (rev, entries) in revs {
            let Value::Array(entries) = entries else {
                return Err(format!("{url} {rev}: expected an array of paths"));
            };
            for e in entries {
                let ok = e.is_string()
                    || (e.get("path").is_some_and(Value::is_string)
                        && e.get("content").is_none_or(Value::is_string));
                if !ok {
                    return Err(format!(
                        "{url} {rev}: each entry is a directory path or {{\"path\": \"...\", \"content\": \"...\"}}"
                    ));
                }
            }
            r.insert(rev.clone(), entries.clone());
        }
        out.insert(url.clone(), r);
    }
    Ok(out)
}
