//! The resource verbs: get, list, watch, create, update, patch, delete, deletecollection,
//! and the review types (SelfSubjectAccessReview, SelfSubjectRulesReview,
//! SelfSubjectReview).

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, Response};
use http_body_util::BodyExt;
use hyper::body::Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, mpsc};

use crate::app::{App, Ctx};
use crate::http::{error_response, json_response, Body, ChannelBody};
use crate::managed;
use crate::rbac::{self, Attributes, UserInfo};
use crate::resources::{self, ResourceType, NAMESPACES, SECRETS, SERVICE_ACCOUNTS};
use crate::router::ResourceRequest;
use crate::schema;
use crate::selectors::{self, FieldTerm, LabelSelector};
use crate::status::{delete_success, ApiError, Cause};
use crate::store::Store;
use crate::table;
use crate::tokens::{self, TokenJob};
use crate::util::{self, meta_mut, meta_str};
use crate::validate::{self, SA_NAME_ANNOTATION, SA_TOKEN_TYPE, SA_UID_ANNOTATION};

/// A successful answer.
struct Outcome {
    status: u16,
    body: Value,
    warnings: Vec<String>,
}

impl Outcome {
    fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            warnings: Vec::new(),
        }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

pub fn handle(app: &Arc<App>, ctx: &Ctx, rr: &ResourceRequest, verb: &str) -> Response<Body> {
    if !rr.subresource.is_empty() {
        let status = rr.subresource == "status" && rr.rt.status_subresource && !rr.name.is_empty();
        if !status {
            return error_response(&ApiError::no_such_resource());
        }
        if !matches!(verb, "get" | "update" | "patch") {
            return error_response(&ApiError::method_not_allowed());
        }
        // A type clients may not write (Pods) has a read-only status too.
        if verb != "get" && !rr.rt.verbs.contains(&"update") {
            return error_response(&ApiError::method_not_allowed());
        }
    } else if rr.rt.stored && !rr.rt.verbs.contains(&verb) {
        // A verb the type does not offer (writes of Pods, deletecollection of Namespaces).
        return error_response(&ApiError::method_not_allowed());
    }
    if !rr.rt.stored {
        if ctx.method != Method::POST || !rr.name.is_empty() {
            return error_response(&ApiError::method_not_allowed());
        }
        return finish(ctx, rr.rt, review(app, ctx, rr), false);
    }
    if verb == "watch" {
        return watch(app, ctx, rr);
    }
    let mut jobs = Vec::new();
    let result = match verb {
        "get" => get(app, ctx, rr),
        "list" => list(app, ctx, rr),
        "create" => create(app, ctx, rr, &mut jobs),
        "update" => update(app, ctx, rr, &mut jobs),
        "patch" => patch(app, ctx, rr, &mut jobs),
        "delete" => delete(app, ctx, rr),
        "deletecollection" => delete_collection(app, ctx, rr),
        _ => Err(ApiError::method_not_allowed()),
    };
    for job in jobs {
        tokens::schedule(app.clone(), job);
    }
    finish(ctx, rr.rt, result, matches!(verb, "get" | "list"))
}

fn finish(ctx: &Ctx, rt: &ResourceType, result: Result<Outcome>, tabular: bool) -> Response<Body> {
    match result {
        Err(e) => error_response(&e),
        Ok(o) => {
            let mut resp = if tabular
                && table::wants_table(&ctx.accept)
                && o.body.get("kind").and_then(Value::as_str) != Some("Status")
            {
                let include = ctx.query.get("includeObject").unwrap_or("");
                let (items, meta) = if o.body.get("items").is_some() {
                    (
                        o.body["items"].as_array().cloned().unwrap_or_default(),
                        o.body.get("metadata").cloned().unwrap_or(json!({})),
                    )
                } else {
                    let rv = meta_str(&o.body, "resourceVersion").to_owned();
                    (vec![o.body.clone()], json!({"resourceVersion": rv}))
                };
                json_response(
                    o.status,
                    &table::render(rt, &items, meta, include),
                    table::CONTENT_TYPE,
                )
            } else {
                json_response(o.status, &o.body, "application/json")
            };
            for w in &o.warnings {
                let v = format!("299 - {}", serde_json::to_string(w).unwrap_or_default());
                if let Ok(v) = HeaderValue::from_str(&v) {
                    resp.headers_mut().append("warning", v);
                }
            }
            resp
        }
    }
}

// ---------------------------------------------------------------------------------------
// Request options

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

fn field_validation(ctx: &Ctx) -> Result<FieldValidation> {
    match ctx.query.get("fieldValidation").unwrap_or("") {
        "" | "Warn" => Ok(FieldValidation::Warn),
        "Strict" => Ok(FieldValidation::Strict),
        "Ignore" => Ok(FieldValidation::Ignore),
        other => Err(ApiError::bad_request(format!(
            "fieldValidation: Invalid value: {other:?}: fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\""
        ))),
    }
}

fn dry_run(ctx: &Ctx) -> Result<bool> {
    let values: Vec<&str> = ctx
        .query
        .0
        .iter()
        .filter(|(k, _)| k == "dryRun")
        .map(|(_, v)| v.as_str())
        .collect();
    match values.as_slice() {
        [] => Ok(false),
        ["All"] => Ok(true),
        [other, ..] => Err(ApiError::bad_request(format!(
            "dryRun: Unsupported value: {other:?}: supported values: \"All\""
        ))),
    }
}

fn media_type(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The request body as JSON: a JSON body, or a Kubernetes protobuf body decoded into the
/// same JSON.
fn parse_body(ctx: &Ctx) -> Result<Value> {
    match media_type(&ctx.content_type).as_str() {
        "" | "application/json" => parse_json(&ctx.body),
        ct if ct == crate::proto::CONTENT_TYPE => {
            crate::proto::decode_object(&ctx.body, schema::for_kind).map_err(|e| {
                ApiError::bad_request(format!("unable to decode the protobuf body: {e}"))
            })
        }
        _ => Err(ApiError::unsupported_media_type(
            "application/json, application/vnd.kubernetes.protobuf",
        )),
    }
}

fn parse_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}

/// Decodes an object body for `rt`: JSON, matching apiVersion/kind (defaulted when
/// absent), field types; unknown fields dropped and reported per `fieldValidation`.
fn decode_object(
    rt: &ResourceType,
    v: &Value,
    fv: FieldValidation,
    warnings: &mut Vec<String>,
) -> Result<Value> {
    if !v.is_object() {
        return Err(ApiError::bad_request(format!(
            "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
            match v { Value::Array(_) => "array", Value::String(_) => "string", Value::Number(_) => "number", Value::Bool(_) => "bool", _ => "null" }
        )));
    }
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if !api_version.is_empty() && api_version != rt.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    if !kind.is_empty() && kind != rt.kind {
        return Err(ApiError::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {}: the kind in the data ({kind}) does not match the expected kind ({})",
            rt.version, rt.kind, rt.kind
        )));
    }
    if rt.schemaless {
        return decode_schemaless(rt, v);
    }
    let Some(s) = schema::for_kind(rt.kind) else {
        return Err(ApiError::internal(format!("no schema for {}", rt.kind)));
    };
    let decoded = schema::decode(s, v).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version {:?} cannot be handled as a {}: {e}",
            rt.kind, rt.version, rt.kind
        ))
    })?;
    if !decoded.unknown.is_empty() {
        let msgs: Vec<String> = decoded
            .unknown
            .iter()
            .map(|f| format!("unknown field {f:?}"))
            .collect();
        match fv {
            FieldValidation::Strict => {
                return Err(ApiError::bad_request(format!(
                    "{} in version {:?} cannot be handled as a {}: strict decoding error: {}",
                    rt.kind,
                    rt.version,
                    rt.kind,
                    msgs.join(", ")
                )))
            }
            FieldValidation::Warn => warnings.extend(msgs),
            FieldValidation::Ignore => {}
        }
    }
    let mut obj = decoded.value;
    type_meta_first(&mut obj, rt);
    Ok(obj)
}

/// Sets the object's `kind` and `apiVersion` to `rt`'s and puts them first, as the server
/// serializes them.
fn type_meta_first(obj: &mut Value, rt: &ResourceType) {
    if let Some(m) = obj.as_object_mut() {
        let mut out = Map::new();
        out.insert("kind".into(), json!(rt.kind));
        out.insert("apiVersion".into(), json!(rt.api_version()));
        for (k, val) in std::mem::take(m) {
            if k != "kind" && k != "apiVersion" {
                out.insert(k, val);
            }
        }
        *m = out;
    }
}

/// Decodes an object of a kind without a field schema (custom resources among them): kept
/// as sent, but metadata must decode as ObjectMeta's string fields and string maps.
fn decode_schemaless(rt: &ResourceType, v: &Value) -> Result<Value> {
    let bad = |path: &str, what: &str, got: &Value| {
        ApiError::bad_request(format!(
            "{} in version {:?} cannot be handled as a {}: json: cannot unmarshal {} into Go struct field {path} of type {what}",
            rt.kind,
            rt.version,
            rt.kind,
            match got { Value::Array(_) => "array", Value::Object(_) => "object", Value::String(_) => "string", Value::Number(_) => "number", Value::Bool(_) => "bool", Value::Null => "null" }
        ))
    };
    let mut obj = v.clone();
    if let Some(meta) = obj.get_mut("metadata") {
        if meta.is_null() {
            *meta = json!({});
        }
        let Some(m) = meta.as_object_mut() else {
            return Err(bad("ObjectMeta.metadata", "v1.ObjectMeta", meta));
        };
        m.retain(|_, v| !v.is_null());
        for f in [
            "name",
            "namespace",
            "generateName",
            "resourceVersion",
            "uid",
        ] {
            if let Some(x) = m.get(f).filter(|x| !x.is_string()) {
                return Err(bad(&format!("ObjectMeta.metadata.{f}"), "string", x));
            }
        }
        for f in ["labels", "annotations"] {
            if let Some(x) = m.get(f) {
                let ok = x
                    .as_object()
                    .is_some_and(|o| o.values().all(|v| v.is_string() || v.is_null()));
                if !ok {
                    return Err(bad(
                        &format!("ObjectMeta.metadata.{f}"),
                        "map[string]string",
                        x,
                    ));
                }
            }
        }
    }
    type_meta_first(&mut obj, rt);
    Ok(obj)
}

fn parse_selectors(ctx: &Ctx, rt: &ResourceType) -> Result<(LabelSelector, Vec<FieldTerm>)> {
    let labels = selectors::parse_label_selector(ctx.query.get("labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let mut supported = vec!["metadata.name", "metadata.namespace"];
    if rt.kind == "Secret" {
        supported.push("type");
    }
    if rt.kind == "Namespace" {
        supported.push("status.phase");
    }
    let fields =
        selectors::parse_field_selector(ctx.query.get("fieldSelector").unwrap_or(""), &supported)
            .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn selected(obj: &Value, labels: &LabelSelector, fields: &[FieldTerm]) -> bool {
    let l = util::meta_map(obj, "labels").into_iter().collect();
    labels.matches(&l)
        && selectors::fields_match(fields, |f| match f {
            "metadata.name" => meta_str(obj, "name").to_owned(),
            "metadata.namespace" => meta_str(obj, "namespace").to_owned(),
            "type" => obj["type"].as_str().unwrap_or("").to_owned(),
            "status.phase" => obj["status"]["phase"].as_str().unwrap_or("").to_owned(),
            _ => String::new(),
        })
}

/// For namespaced types, the namespace of the request ("" = all namespaces).
fn list_scope(rr: &ResourceRequest) -> Option<&str> {
    (rr.rt.namespaced && rr.namespaced_path).then_some(rr.namespace.as_str())
}

/// The namespace an object of this request lives in ("" for cluster-scoped types).
fn object_ns(rr: &ResourceRequest) -> &str {
    if rr.rt.namespaced {
        &rr.namespace
    } else {
        ""
    }
}

// ---------------------------------------------------------------------------------------
// get, list

fn get(app: &App, _ctx: &Ctx, rr: &ResourceRequest) -> Result<Outcome> {
    let store = app.store();
    let obj = store
        .get(rr.rt, object_ns(rr), &rr.name)
        .ok_or_else(|| ApiError::not_found(rr.rt, &rr.name))?;
    Ok(Outcome::ok(200, obj.clone()))
}

fn list(app: &App, ctx: &Ctx, rr: &ResourceRequest) -> Result<Outcome> {
    let (labels, fields) = parse_selectors(ctx, rr.rt)?;
    let limit: usize = match ctx.query.get("limit") {
        None | Some("") => 0,
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::bad_request(format!("limit: Invalid value: {l:?}")))?,
    };
    let start_after: Option<String> = match ctx.query.get("continue") {
        None | Some("") => None,
        Some(token) => Some(decode_continue(token)?),
    };
    let store = app.store();
    let matching: Vec<&Value> = store
        .list(rr.rt, list_scope(rr))
        .filter(|o| selected(o, &labels, &fields))
        .filter(|o| match &start_after {
            None => true,
            Some(after) => continue_key(o).as_str() > after.as_str(),
        })
        .collect();
    let rv = store.resource_version().to_string();
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(rv));
    let items: Vec<Value> = if limit > 0 && matching.len() > limit {
        let page: Vec<Value> = matching[..limit].iter().map(|v| (*v).clone()).collect();
        let last = continue_key(&page[limit - 1]);
        meta.insert("continue".into(), json!(encode_continue(&last, &rv)));
        meta.insert("remainingItemCount".into(), json!(matching.len() - limit));
        page
    } else {
        matching.into_iter().cloned().collect()
    };
    Ok(Outcome::ok(
        200,
        json!({
            "kind": rr.rt.list_kind(),
            "apiVersion": rr.rt.api_version(),
            "metadata": meta,
            "items": items,
        }),
    ))
}

fn continue_key(o: &Value) -> String {
    format!("{}/{}", meta_str(o, "namespace"), meta_str(o, "name"))
}

fn encode_continue(key: &str, rv: &str) -> String {
    util::b64(
        json!({"v": "meta.k8s.io/v1", "rv": rv, "start": key})
            .to_string()
            .as_bytes(),
    )
    .replace('+', "-")
    .replace('/', "_")
}

fn decode_continue(token: &str) -> Result<String> {
    let std = token.replace('-', "+").replace('_', "/");
    util::unb64(&std)
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("start").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))
}

// ---------------------------------------------------------------------------------------
// watch

/// Whether two types name the same stored objects (the versions of one custom resource do).
fn same_resource(a: &ResourceType, b: &ResourceType) -> bool {
    std::ptr::eq(a, b) || (a.group == b.group && a.resource == b.resource)
}

fn watch(app: &Arc<App>, ctx: &Ctx, rr: &ResourceRequest) -> Response<Body> {
    let (labels, fields) = match parse_selectors(ctx, rr.rt) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let mut fields = fields;
    if !rr.name.is_empty() {
        fields.push(FieldTerm {
            field: "metadata.name".into(),
            value: rr.name.clone(),
            negated: false,
        });
    }
    let timeout = ctx
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800);
    let as_table = table::wants_table(&ctx.accept);
    let include = ctx.query.get("includeObject").unwrap_or("").to_owned();
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let rt: &'static ResourceType = rr.rt;
    let scope: Option<String> = list_scope(rr).map(str::to_owned);
    let matches = move |o: &Value| {
        scope
            .as_deref()
            .is_none_or(|ns| meta_str(o, "namespace") == ns)
            && selected(o, &labels, &fields)
    };
    let render = move |kind: &str, o: &Value| -> Bytes {
        let object = if as_table && kind != "ERROR" && kind != "BOOKMARK" {
            let rv = meta_str(o, "resourceVersion").to_owned();
            table::render(
                rt,
                std::slice::from_ref(o),
                json!({"resourceVersion": rv}),
                &include,
            )
        } else {
            o.clone()
        };
        let mut line =
            serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    };

    // Initial events and the subscription are taken under one lock, so nothing is missed.
    let (initial, mut rx, mut last_rv): (
        Vec<Bytes>,
        broadcast::Receiver<crate::store::Event>,
        u64,
    ) = {
        let store = app.store();
        let rx = store.subscribe();
        let current = store.resource_version();
        let initial = match ctx.query.get("resourceVersion").unwrap_or("") {
            "" | "0" => store
                .list(rt, None)
                .filter(|o| matches(o))
                .map(|o| render("ADDED", o))
                .collect(),
            rv => match rv.parse::<u64>().ok().and_then(|n| store.events_since(n)) {
                Some(events) => events
                    .into_iter()
                    .filter(|e| same_resource(e.rt, rt) && matches(&e.object))
                    .map(|e| render(e.kind, &e.object))
                    .collect(),
                None => {
                    let status =
                        ApiError::gone(format!("too old resource version: {rv} ({current})"))
                            .to_status();
                    vec![render("ERROR", &status)]
                }
            },
        };
        let mut initial = initial;
        if ctx.query.flag("sendInitialEvents") {
            // The end of the initial events, as a streaming list expects it.
            initial.push(render(
                "BOOKMARK",
                &json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": {
                    "resourceVersion": current.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"}}}),
            ));
        }
        (initial, rx, current)
    };
    let expired = initial.len() == 1 && initial[0].starts_with(b"{\"type\":\"ERROR\"");
    let (tx, body_rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if expired {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    let b = render("BOOKMARK", &json!({"kind": rt.kind, "apiVersion": rt.api_version(),
                        "metadata": {"resourceVersion": last_rv.to_string()}}));
                    if tx.send(b).await.is_err() { return; }
                }
                ev = rx.recv() => match ev {
                    Ok(e) => {
                        last_rv = e.rv;
                        if same_resource(e.rt, rt) && matches(&e.object) && tx.send(render(e.kind, &e.object)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let status = ApiError::gone("the watch fell behind the event stream; start a new watch").to_status();
                        let _ = tx.send(render("ERROR", &status)).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    let mut resp = Response::new(ChannelBody(body_rx).boxed());
    let ct = if as_table {
        table::CONTENT_TYPE
    } else {
        "application/json"
    };
    if let Ok(v) = HeaderValue::from_str(ct) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    resp
}

// ---------------------------------------------------------------------------------------
// create

fn create(app: &App, ctx: &Ctx, rr: &ResourceRequest, jobs: &mut Vec<TokenJob>) -> Result<Outcome> {
    if !rr.name.is_empty() || (rr.rt.namespaced && !rr.namespaced_path) {
        return Err(ApiError::method_not_allowed());
    }
    let fv = field_validation(ctx)?;
    let dry = dry_run(ctx)?;
    let mut warnings = Vec::new();
    let obj = decode_object(rr.rt, &parse_body(ctx)?, fv, &mut warnings)?;
    let manager = update_manager(ctx)?;
    let mut store = app.store();
    let created = create_object(
        app,
        &mut store,
        rr.rt,
        &rr.namespace,
        obj,
        WriteOpts {
            user: &ctx.user,
            dry,
            fields: Fields::Update(&manager),
        },
        jobs,
    )?;
    Ok(Outcome {
        status: 201,
        body: created,
        warnings,
    })
}

/// Who writes, and whether only as a dry run.
#[derive(Clone, Copy)]
struct WriteOpts<'a> {
    user: &'a UserInfo,
    dry: bool,
    fields: Fields<'a>,
}

/// How a write records managed fields.
#[derive(Clone, Copy)]
enum Fields<'a> {
    /// An Update by this manager.
    Update(&'a str),
    /// A server-side apply: the entries computed by [`managed::apply`].
    Apply(&'a [managed::Entry]),
}

/// The field manager of a non-apply write: `fieldManager`, else the product name of the
/// User-Agent (`kubectl`, `kube`), as the API server defaults it.
fn update_manager(ctx: &Ctx) -> Result<String> {
    let m = ctx.query.get("fieldManager").unwrap_or("");
    if m.len() > 128 {
        return Err(field_manager_too_long());
    }
    if !m.is_empty() {
        return Ok(m.to_owned());
    }
    let ua = ctx.user_agent.split('/').next().unwrap_or("").trim();
    Ok(ua.chars().take(128).collect())
}

fn field_manager_too_long() -> ApiError {
    ApiError::invalid(
        "PatchOptions.meta.k8s.io",
        "meta.k8s.io",
        "PatchOptions",
        "",
        vec![Cause {
            reason: "FieldValueTooLong",
            field: "fieldManager".into(),
            message: "Too long: may not be more than 128 bytes".into(),
        }],
    )
}

/// Server-maintained parts of a stored object: generation, controller-written status and
/// managed fields. `old` is the stored object on an update.
fn finish_write(rt: &ResourceType, obj: &mut Value, old: Option<&Value>, fields: Fields<'_>) {
    if rt.generation {
        let old_gen = old
            .and_then(|o| o["metadata"]["generation"].as_i64())
            .unwrap_or(0);
        let strip = |o: &Value| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("metadata");
                m.remove("status");
            }
            o
        };
        let gen = match old {
            Some(o) if strip(o) == strip(obj) && old_gen > 0 => old_gen,
            _ => old_gen + 1,
        };
        meta_mut(obj).insert("generation".into(), json!(gen));
    }
    if rt.kind == "CustomResourceDefinition" && !rt.custom {
        crate::workloads::set_crd_status(obj, old);
    } else {
        crate::workloads::set_status(rt, obj, old);
    }
    let entries = match fields {
        Fields::Update(manager) => managed::record_update(rt, old, obj, manager),
        Fields::Apply(entries) => entries.to_vec(),
    };
    managed::write(obj, &entries);
}

/// Creates a decoded object in `namespace` (ignored for cluster-scoped types).
fn create_object(
    app: &App,
    store: &mut Store,
    rt: &'static ResourceType,
    namespace: &str,
    mut obj: Value,
    opts: WriteOpts<'_>,
    jobs: &mut Vec<TokenJob>,
) -> Result<Value> {
    let (user, dry) = (opts.user, opts.dry);
    if rt.status_subresource {
        // The status of a new object is the server's (its controllers') to write.
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    if rt.namespaced {
        let body_ns = meta_str(&obj, "namespace");
        if !body_ns.is_empty() && body_ns != namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    if !meta_str(&obj, "resourceVersion").is_empty() {
        // What the storage layer answers (a 500 with the Unknown reason).
        return Err(ApiError::new(
            500,
            "",
            "resourceVersion should not be set on objects to be created",
        ));
    }
    {
        let meta = meta_mut(&mut obj);
        if rt.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        for f in [
            "uid",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
        ] {
            meta.remove(f);
        }
    }
    let gen = meta_str(&obj, "generateName").to_owned();
    if meta_str(&obj, "name").is_empty() && !gen.is_empty() {
        let mut name = format!("{gen}{}", util::name_suffix());
        for _ in 0..8 {
            if store.get(rt, namespace_of(rt, namespace), &name).is_none() {
                break;
            }
            name = format!("{gen}{}", util::name_suffix());
        }
        meta_mut(&mut obj).insert("name".into(), json!(name));
    }
    validate::apply_defaults(rt, &mut obj);
    crate::workloads::apply_defaults(rt, &mut obj, None);
    if std::ptr::eq(rt, &resources::CRDS) {
        crate::crd::apply_defaults(&mut obj);
    }
    let name = meta_str(&obj, "name").to_owned();
    check_escalation(store, user, rt, namespace, &name, &obj)?;
    let mut causes = validate::validate(rt, &obj, None);
    causes.extend(crate::workloads::validate(rt, &obj));
    if std::ptr::eq(rt, &resources::CRDS) {
        causes.extend(crate::crd::validate(&obj, None));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid_object(rt, &name, causes));
    }
    if rt.namespaced && store.get(&NAMESPACES, "", namespace).is_none() {
        return Err(ApiError::not_found(&NAMESPACES, namespace));
    }
    if store.get(rt, namespace_of(rt, namespace), &name).is_some() {
        return Err(ApiError::already_exists(rt, &name));
    }
    {
        let meta = meta_mut(&mut obj);
        meta.insert("uid".into(), json!(util::new_uid()));
        meta.insert("creationTimestamp".into(), json!(util::now_rfc3339()));
    }
    finish_write(rt, &mut obj, None, opts.fields);
    if dry {
        return Ok(obj);
    }
    let stored = store.put(rt, obj);
    after_write(store, rt, &stored, jobs);
    app.persist(store)?;
    Ok(stored)
}

fn namespace_of<'a>(rt: &ResourceType, ns: &'a str) -> &'a str {
    if rt.namespaced {
        ns
    } else {
        ""
    }
}

/// Controllers that react synchronously to a write.
fn after_write(
    store: &mut Store,
    rt: &'static ResourceType,
    obj: &Value,
    jobs: &mut Vec<TokenJob>,
) {
    let kind = if rt.custom { "" } else { rt.kind };
    match kind {
        // The service account controller gives every namespace a `default` ServiceAccount.
        "Namespace" => {
            let ns = meta_str(obj, "name").to_owned();
            if store.get(&SERVICE_ACCOUNTS, &ns, "default").is_none() {
                crate::bootstrap::put_default_service_account(store, &ns);
            }
        }
        "Secret" if obj.get("type").and_then(Value::as_str) == Some(SA_TOKEN_TYPE) => {
            jobs.push(TokenJob::for_secret(obj));
        }
        // The establishing controller: the definition's types are served at once.
        "CustomResourceDefinition" if !rt.custom => store.register_crd(obj),
        _ => {}
    }
}

/// RBAC escalation prevention, as the RBAC registries enforce it: a Role or ClusterRole may
/// only grant permissions its author holds (or the author may `escalate` it); a binding may
/// only reference a role whose permissions its author holds (or the author may `bind` it).
fn check_escalation(
    store: &Store,
    user: &UserInfo,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
    obj: &Value,
) -> Result<()> {
    if user.is_master() || rt.group != resources::RBAC_GROUP {
        return Ok(());
    }
    let ns = namespace_of(rt, namespace);
    let attrs = |verb: &str, resource: &str, rname: &str| Attributes {
        verb: verb.into(),
        resource_request: true,
        api_group: resources::RBAC_GROUP.into(),
        resource: resource.into(),
        namespace: ns.into(),
        name: rname.into(),
        ..Default::default()
    };
    let rules: Vec<Value> = match rt.kind {
        "Role" | "ClusterRole" => {
            if rbac::authorize(store, user, &attrs("escalate", rt.resource, name)).allowed {
                return Ok(());
            }
            obj.get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let kind = obj["roleRef"]["kind"].as_str().unwrap_or("");
            let role_name = obj["roleRef"]["name"].as_str().unwrap_or("");
            let (role_rt, role) = if kind == "Role" {
                (
                    &resources::ROLES,
                    store.get(&resources::ROLES, ns, role_name),
                )
            } else {
                (
                    &resources::CLUSTER_ROLES,
                    store.get(&resources::CLUSTER_ROLES, "", role_name),
                )
            };
            if rbac::authorize(store, user, &attrs("bind", role_rt.resource, role_name)).allowed {
                return Ok(());
            }
            let Some(role) = role else {
                return Err(ApiError::not_found(role_rt, role_name));
            };
            role.get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }
        _ => return Ok(()),
    };
    let missing = rbac::uncovered_rules(store, user, ns, &rules);
    if missing.is_empty() {
        return Ok(());
    }
    let groups: Vec<String> = user.groups.iter().map(|g| format!("{g:?}")).collect();
    Err(ApiError::forbidden(
        Some(rt),
        rt.group,
        rt.resource,
        name,
        &format!(
            "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
            user.name,
            groups.join(" "),
            missing.join("\n")
        ),
    ))
}

// ---------------------------------------------------------------------------------------
// update, patch

fn check_identity(rr: &ResourceRequest, obj: &Value) -> Result<()> {
    let name = meta_str(obj, "name");
    if name != rr.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            rr.name
        )));
    }
    if rr.rt.namespaced {
        let ns = meta_str(obj, "namespace");
        if !ns.is_empty() && ns != rr.namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    Ok(())
}

fn update(app: &App, ctx: &Ctx, rr: &ResourceRequest, jobs: &mut Vec<TokenJob>) -> Result<Outcome> {
    if rr.name.is_empty() {
        return Err(ApiError::method_not_allowed());
    }
    let fv = field_validation(ctx)?;
    let dry = dry_run(ctx)?;
    let mut warnings = Vec::new();
    let obj = decode_object(rr.rt, &parse_body(ctx)?, fv, &mut warnings)?;
    check_identity(rr, &obj)?;
    let manager = update_manager(ctx)?;
    let mut store = app.store();
    let Some(old) = store.get(rr.rt, object_ns(rr), &rr.name).cloned() else {
        if rr.rt.create_on_update && rr.subresource.is_empty() {
            let created = create_object(
                app,
                &mut store,
                rr.rt,
                &rr.namespace,
                without_rv(obj),
                WriteOpts {
                    user: &ctx.user,
                    dry,
                    fields: Fields::Update(&manager),
                },
                jobs,
            )?;
            return Ok(Outcome {
                status: 201,
                body: created,
                warnings,
            });
        }
        return Err(ApiError::not_found(rr.rt, &rr.name));
    };
    let updated = update_object(
        app,
        &mut store,
        rr,
        obj,
        &old,
        WriteOpts {
            user: &ctx.user,
            dry,
            fields: Fields::Update(&manager),
        },
        jobs,
    )?;
    Ok(Outcome {
        status: 200,
        body: updated,
        warnings,
    })
}

fn without_rv(mut obj: Value) -> Value {
    meta_mut(&mut obj).remove("resourceVersion");
    obj
}

/// Replaces `old` with `obj` (decoded), enforcing preconditions, immutable server fields
/// and validation. An update that changes nothing keeps the resourceVersion.
fn update_object(
    app: &App,
    store: &mut Store,
    rr: &ResourceRequest,
    mut obj: Value,
    old: &Value,
    opts: WriteOpts<'_>,
    jobs: &mut Vec<TokenJob>,
) -> Result<Value> {
    let (user, dry) = (opts.user, opts.dry);
    let rt = rr.rt;
    let rv = meta_str(&obj, "resourceVersion");
    if !rv.is_empty() && rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::conflict(rt, &rr.name, ApiError::MODIFIED));
    }
    let uid = meta_str(&obj, "uid");
    if !uid.is_empty() && uid != meta_str(old, "uid") {
        return Err(ApiError::conflict(
            rt,
            &rr.name,
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta_str(old, "uid")
            ),
        ));
    }
    {
        let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
        let meta = meta_mut(&mut obj);
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
        ] {
            match old_meta.get(f) {
                Some(v) => meta.insert(f.into(), v.clone()),
                None => meta.remove(f),
            };
        }
        for f in [
            "selfLink",
            "generation",
            "managedFields",
            "resourceVersion",
            "generateName",
        ] {
            meta.remove(f);
        }
        if let Some(g) = old_meta.get("generateName") {
            meta.insert("generateName".into(), g.clone());
        }
    }
    if rr.subresource == "status" {
        // Only the status changes through the status subresource.
        let status = obj.get("status").cloned();
        obj = old.clone();
        meta_mut(&mut obj).remove("resourceVersion");
        if let Some(m) = obj.as_object_mut() {
            match status {
                Some(st) => m.insert("status".into(), st),
                None => m.remove("status"),
            };
        }
        if without_rv(old.clone()) == obj {
            return Ok(old.clone());
        }
        if dry {
            meta_mut(&mut obj).insert(
                "resourceVersion".into(),
                json!(meta_str(old, "resourceVersion")),
            );
            return Ok(obj);
        }
        let stored = store.put(rt, obj);
        app.persist(store)?;
        return Ok(stored);
    }
    if rt.status_subresource {
        // The main resource does not write the status.
        if let Some(m) = obj.as_object_mut() {
            match old.get("status") {
                Some(v) => m.insert("status".into(), v.clone()),
                None => m.remove("status"),
            };
        }
    }
    if rt.kind == "Namespace" {
        // Status and finalizers of a namespace change through their own subresources.
        if let Some(m) = obj.as_object_mut() {
            for f in ["spec", "status"] {
                match old.get(f) {
                    Some(v) => m.insert(f.into(), v.clone()),
                    None => m.remove(f),
                };
            }
        }
    }
    validate::apply_defaults(rt, &mut obj);
    crate::workloads::apply_defaults(rt, &mut obj, Some(old));
    if std::ptr::eq(rt, &resources::CRDS) {
        crate::crd::apply_defaults(&mut obj);
    }
    check_escalation(store, user, rt, &rr.namespace, &rr.name, &obj)?;
    let mut causes = validate::validate(rt, &obj, Some(old));
    causes.extend(crate::workloads::validate(rt, &obj));
    if std::ptr::eq(rt, &resources::CRDS) {
        causes.extend(crate::crd::validate(&obj, Some(old)));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid_object(rt, &rr.name, causes));
    }
    finish_write(rt, &mut obj, Some(old), opts.fields);
    if without_rv(old.clone()) == obj {
        return Ok(old.clone());
    }
    if dry {
        meta_mut(&mut obj).insert(
            "resourceVersion".into(),
            json!(meta_str(old, "resourceVersion")),
        );
        return Ok(obj);
    }
    let stored = store.put(rt, obj);
    after_write(store, rt, &stored, jobs);
    app.persist(store)?;
    Ok(stored)
}

fn patch(app: &App, ctx: &Ctx, rr: &ResourceRequest, jobs: &mut Vec<TokenJob>) -> Result<Outcome> {
    if rr.name.is_empty() {
        return Err(ApiError::method_not_allowed());
    }
    let kind = media_type(&ctx.content_type);
    let accepted = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json";
    if !matches!(
        kind.as_str(),
        "application/json-patch+json"
            | "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/apply-patch+yaml"
    ) {
        return Err(ApiError::unsupported_media_type(accepted));
    }
    if rr.rt.custom && kind == "application/strategic-merge-patch+json" {
        // Custom resources have no strategic merge patch (no patch strategies to follow).
        return Err(ApiError::unsupported_media_type(
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        ));
    }
    let fv = field_validation(ctx)?;
    let dry = dry_run(ctx)?;
    let apply = kind == "application/apply-patch+yaml";
    let field_manager = ctx.query.get("fieldManager").unwrap_or("");
    if apply && field_manager.is_empty() {
        return Err(ApiError::invalid(
            "PatchOptions.meta.k8s.io",
            "meta.k8s.io",
            "PatchOptions",
            "",
            vec![Cause::required(
                "fieldManager",
                "is required for apply patch",
            )],
        ));
    }
    if field_manager.len() > 128 {
        return Err(field_manager_too_long());
    }
    let force = match ctx.query.get("force") {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "force: Invalid value: {other:?}: must be \"true\" or \"false\""
            )))
        }
    };
    if !apply && force {
        return Err(ApiError::invalid(
            "PatchOptions.meta.k8s.io",
            "meta.k8s.io",
            "PatchOptions",
            "",
            vec![Cause::forbidden(
                "force",
                "may not be specified for non-apply patch",
            )],
        ));
    }
    if apply && !rr.subresource.is_empty() {
        return Err(ApiError::unsupported_media_type(
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (the emulator has no server-side apply for subresources)",
        ));
    }
    let manager = if apply {
        field_manager.to_owned()
    } else {
        update_manager(ctx)?
    };
    let patch_body: Value = serde_json::from_slice(&ctx.body).map_err(|e| {
        if apply {
            ApiError::bad_request(format!(
                "error decoding YAML: the emulator takes apply bodies in JSON (a YAML subset) only: {e}"
            ))
        } else {
            ApiError::bad_request(format!("error decoding patch: {e}"))
        }
    })?;
    let mut warnings = Vec::new();
    let mut store = app.store();
    let current = store.get(rr.rt, object_ns(rr), &rr.name).cloned();
    if apply {
        if patch_body
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            || patch_body
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
        {
            return Err(ApiError::bad_request(
                "invalid object type: /, Kind= (apply patches need apiVersion and kind)",
            ));
        }
        let obj = decode_object(rr.rt, &patch_body, fv, &mut warnings)?;
        check_identity(rr, &obj)?;
        let (merged, entries) = managed::apply(rr.rt, current.as_ref(), &obj, &manager, force)
            .map_err(|c| {
                let mut e = ApiError::new(409, "Conflict", c.message());
                e.details = Some(json!({"causes": c.causes()}));
                e
            })?;
        let opts = WriteOpts {
            user: &ctx.user,
            dry,
            fields: Fields::Apply(&entries),
        };
        let Some(current) = current else {
            let created = create_object(
                app,
                &mut store,
                rr.rt,
                &rr.namespace,
                without_rv(merged),
                opts,
                jobs,
            )?;
            return Ok(Outcome {
                status: 201,
                body: created,
                warnings,
            });
        };
        // The applied resourceVersion, if any, is a precondition.
        let mut merged = merged;
        match meta_str(&obj, "resourceVersion") {
            "" => {
                meta_mut(&mut merged).remove("resourceVersion");
            }
            rv => {
                meta_mut(&mut merged).insert("resourceVersion".into(), json!(rv));
            }
        }
        let merged = decode_object(rr.rt, &merged, FieldValidation::Ignore, &mut Vec::new())?;
        let updated = update_object(app, &mut store, rr, merged, &current, opts, jobs)?;
        return Ok(Outcome {
            status: 200,
            body: updated,
            warnings,
        });
    }
    let Some(current) = current else {
        return Err(ApiError::not_found(rr.rt, &rr.name));
    };
    let mut patched = current.clone();
    match kind.as_str() {
        "application/json-patch+json" => {
            patch_fail(crate::patch::json_patch(&mut patched, &patch_body))?
        }
        "application/strategic-merge-patch+json" => patch_fail(
            crate::patch::strategic_merge_patch(&mut patched, &patch_body),
        )?,
        _ => {
            if !patch_body.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: a merge patch must be a JSON object",
                ));
            }
            crate::patch::merge_patch(&mut patched, &patch_body)
        }
    }
    // A patch that leaves metadata.resourceVersion unchanged is unconditional; one that sets
    // it is a precondition.
    if meta_str(&patched, "resourceVersion") == meta_str(&current, "resourceVersion") {
        meta_mut(&mut patched).remove("resourceVersion");
    }
    let obj = decode_object(rr.rt, &patched, fv, &mut warnings)?;
    check_identity(rr, &obj)?;
    let updated = update_object(
        app,
        &mut store,
        rr,
        obj,
        &current,
        WriteOpts {
            user: &ctx.user,
            dry,
            fields: Fields::Update(&manager),
        },
        jobs,
    )?;
    Ok(Outcome {
        status: 200,
        body: updated,
        warnings,
    })
}

fn patch_fail(r: std::result::Result<(), String>) -> Result<()> {
    r.map_err(|e| ApiError::new(422, "Invalid", e))
}

// ---------------------------------------------------------------------------------------
// delete

/// Namespaces the NamespaceLifecycle admission plugin never lets go.
const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

struct DeleteOptions {
    uid: Option<String>,
    resource_version: Option<String>,
    dry: bool,
}

fn delete_options(ctx: &Ctx) -> Result<DeleteOptions> {
    let mut opts = DeleteOptions {
        uid: None,
        resource_version: None,
        dry: dry_run(ctx)?,
    };
    let mut policy = ctx.query.get("propagationPolicy").map(str::to_owned);
    if !ctx.body.is_empty() {
        let body = parse_body(ctx)?;
        if !body.is_object() {
            return Err(ApiError::bad_request("DeleteOptions must be a JSON object"));
        }
        if let Some(p) = body.get("preconditions") {
            opts.uid = p.get("uid").and_then(Value::as_str).map(str::to_owned);
            opts.resource_version = p
                .get("resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        if let Some(p) = body.get("propagationPolicy").and_then(Value::as_str) {
            policy = Some(p.to_owned());
        }
        if let Some(d) = body.get("dryRun").and_then(Value::as_array) {
            for v in d {
                if v.as_str() != Some("All") {
                    return Err(ApiError::bad_request(format!(
                        "dryRun: Unsupported value: {v}: supported values: \"All\""
                    )));
                }
                opts.dry = true;
            }
        }
        if body.get("orphanDependents") == Some(&Value::Bool(true)) && policy.is_some() {
            return Err(ApiError::invalid(
                "DeleteOptions.meta.k8s.io",
                "meta.k8s.io",
                "DeleteOptions",
                "",
                vec![Cause::invalid(
                    "propagationPolicy",
                    &json!(policy),
                    "orphanDependents and deletionPropagation cannot be both set",
                )],
            ));
        }
    }
    if let Some(p) = &policy {
        if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
            return Err(ApiError::invalid(
                "DeleteOptions.meta.k8s.io",
                "meta.k8s.io",
                "DeleteOptions",
                "",
                vec![Cause::not_supported(
                    "propagationPolicy",
                    &json!(p),
                    &["Foreground", "Background", "Orphan", "nil"],
                )],
            ));
        }
    }
    Ok(opts)
}

fn delete(app: &App, ctx: &Ctx, rr: &ResourceRequest) -> Result<Outcome> {
    let opts = delete_options(ctx)?;
    let mut store = app.store();
    let obj = store
        .get(rr.rt, object_ns(rr), &rr.name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(rr.rt, &rr.name))?;
    if let Some(uid) = &opts.uid {
        if uid != meta_str(&obj, "uid") {
            return Err(ApiError::conflict(
                rr.rt,
                &rr.name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta_str(&obj, "uid")
                ),
            ));
        }
    }
    if let Some(rv) = &opts.resource_version {
        if rv != meta_str(&obj, "resourceVersion") {
            return Err(ApiError::conflict(rr.rt, &rr.name, &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}", meta_str(&obj, "resourceVersion"))));
        }
    }
    if rr.rt.kind == "Namespace" && IMMORTAL_NAMESPACES.contains(&rr.name.as_str()) {
        return Err(ApiError::forbidden(
            Some(rr.rt),
            "",
            "namespaces",
            &rr.name,
            "this namespace may not be deleted",
        ));
    }
    let body = deleted_response(rr.rt, &obj);
    if opts.dry {
        return Ok(Outcome::ok(200, body));
    }
    delete_cascading(&mut store, rr.rt, &obj);
    app.persist(&store)?;
    Ok(Outcome::ok(200, body))
}

/// What a delete answers: namespaces return the object (marked for deletion, `Terminating`),
/// the other types a `Success` Status, as their registries do.
fn deleted_response(rt: &ResourceType, obj: &Value) -> Value {
    if rt.kind == "Namespace" {
        let mut o = obj.clone();
        meta_mut(&mut o).insert("deletionTimestamp".into(), json!(util::now_rfc3339()));
        o["status"]["phase"] = json!("Terminating");
        o
    } else {
        delete_success(rt, meta_str(obj, "name"), meta_str(obj, "uid"))
    }
}

/// Removes an object and what goes with it: a namespace's content (the namespace
/// controller), a ServiceAccount's token Secrets (the token controller).
fn delete_cascading(store: &mut Store, rt: &'static ResourceType, obj: &Value) {
    let ns = meta_str(obj, "namespace").to_owned();
    let name = meta_str(obj, "name").to_owned();
    let kind = if rt.custom { "" } else { rt.kind };
    match kind {
        "CustomResourceDefinition" => {
            // Deleting a definition deletes its objects and stops serving its types.
            let types = store.unregister_crd(&name);
            if let Some(t) = types.first().copied() {
                let keys: Vec<(String, String)> = store
                    .list(t, None)
                    .map(|o| {
                        (
                            meta_str(o, "namespace").to_owned(),
                            meta_str(o, "name").to_owned(),
                        )
                    })
                    .collect();
                for (ns, n) in keys {
                    store.remove(t, &ns, &n);
                }
            }
        }
        "Namespace" => {
            let types: Vec<&'static ResourceType> = store.types().all().collect();
            let mut seen: Vec<String> = Vec::new();
            for t in types.into_iter().filter(|t| t.stored && t.namespaced) {
                // The versions of a custom resource share their objects.
                if seen.contains(&t.qualified_resource()) {
                    continue;
                }
                seen.push(t.qualified_resource());
                let names: Vec<String> = store
                    .list(t, Some(&name))
                    .map(|o| meta_str(o, "name").to_owned())
                    .collect();
                for n in names {
                    store.remove(t, &name, &n);
                }
            }
        }
        "ServiceAccount" => {
            let sa_uid = meta_str(obj, "uid").to_owned();
            let tokens: Vec<String> = store
                .list(&SECRETS, Some(&ns))
                .filter(|s| {
                    s.get("type").and_then(Value::as_str) == Some(SA_TOKEN_TYPE)
                        && util::annotation(s, SA_NAME_ANNOTATION) == Some(name.as_str())
                        && util::annotation(s, SA_UID_ANNOTATION)
                            .is_none_or(|u| u.is_empty() || u == sa_uid)
                })
                .map(|s| meta_str(s, "name").to_owned())
                .collect();
            for t in tokens {
                store.remove(&SECRETS, &ns, &t);
            }
        }
        _ => {}
    }
    store.remove(rt, &ns, &name);
}

fn delete_collection(app: &App, ctx: &Ctx, rr: &ResourceRequest) -> Result<Outcome> {
    if rr.rt.namespaced && !rr.namespaced_path {
        return Err(ApiError::method_not_allowed());
    }
    if rr.rt.kind == "Namespace" {
        return Err(ApiError::method_not_allowed());
    }
    let opts = delete_options(ctx)?;
    let (labels, fields) = parse_selectors(ctx, rr.rt)?;
    let mut store = app.store();
    let victims: Vec<Value> = store
        .list(rr.rt, list_scope(rr))
        .filter(|o| selected(o, &labels, &fields))
        .cloned()
        .collect();
    if !opts.dry {
        for v in &victims {
            delete_cascading(&mut store, rr.rt, v);
        }
        app.persist(&store)?;
    }
    Ok(Outcome::ok(
        200,
        json!({
            "kind": rr.rt.list_kind(),
            "apiVersion": rr.rt.api_version(),
            "metadata": {"resourceVersion": store.resource_version().to_string()},
            "items": victims,
        }),
    ))
}

// ---------------------------------------------------------------------------------------
// reviews

fn review(app: &App, ctx: &Ctx, rr: &ResourceRequest) -> Result<Outcome> {
    let fv = field_validation(ctx)?;
    let mut warnings = Vec::new();
    let mut obj = decode_object(rr.rt, &parse_body(ctx)?, fv, &mut warnings)?;
    let store = app.store();
    let user = &ctx.user;
    let status = match rr.rt.kind {
        "SelfSubjectAccessReview" => {
            let spec = obj.get("spec").cloned().unwrap_or(json!({}));
            let ra = spec.get("resourceAttributes");
            let na = spec.get("nonResourceAttributes");
            let s = |v: Option<&Value>, k: &str| {
                v.and_then(|x| x.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let attrs = match (ra, na) {
                (Some(_), None) => Attributes {
                    verb: s(ra, "verb"),
                    resource_request: true,
                    api_group: s(ra, "group"),
                    resource: s(ra, "resource"),
                    subresource: s(ra, "subresource"),
                    namespace: s(ra, "namespace"),
                    name: s(ra, "name"),
                    path: String::new(),
                },
                (None, Some(_)) => Attributes { verb: s(na, "verb"), path: s(na, "path"), ..Default::default() },
                _ => {
                    return Err(ApiError::invalid_object(rr.rt, "", vec![Cause::invalid(
                        "spec.resourceAttributes",
                        &json!("null"),
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    )]))
                }
            };
            let d = rbac::authorize(&*store, user, &attrs);
            let mut st = Map::new();
            st.insert("allowed".into(), json!(d.allowed));
            if !d.reason.is_empty() {
                st.insert("reason".into(), json!(d.reason));
            }
            Value::Object(st)
        }
        "SelfSubjectRulesReview" => {
            let ns = obj["spec"]["namespace"].as_str().unwrap_or("").to_owned();
            let (res, nonres, incomplete, err) = rbac::rules_for(&*store, user, &ns);
            let mut st =
                json!({"resourceRules": res, "nonResourceRules": nonres, "incomplete": incomplete});
            if !err.is_empty() {
                st["evaluationError"] = json!(err);
            }
            st
        }
        _ => json!({"userInfo": {"username": user.name, "uid": user.uid, "groups": user.groups}}),
    };
    if let Some(m) = obj.as_object_mut() {
        m.insert("metadata".into(), json!({"creationTimestamp": null}));
        m.insert("status".into(), status);
    }
    Ok(Outcome {
        status: 201,
        body: obj,
        warnings,
    })
}
