//! The emulator's shared state and the request pipeline: admin endpoints, latency,
//! authentication, routing, authorization, request counting, dispatch and access logs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::http::{error_response, json_response, text, text_not_found, Body, Query};
use crate::rbac::{self, Attributes, UserInfo};
use crate::router::{self, Route};
use crate::status::ApiError;
use crate::store::Store;
use crate::{api, auth, discovery, persist};

/// Request bodies above this size are refused (the API server's limit is 3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Shared state of a running emulator.
pub struct App {
    store: Mutex<Store>,
    pub data_path: Option<PathBuf>,
    pub token_delay: Duration,
    pub latency: Duration,
    pub log_requests: bool,
    counts: Mutex<BTreeMap<String, u64>>,
    /// `host:port` the server listens on (for `/api`'s serverAddressByClientCIDRs).
    pub address: OnceLock<String>,
}

impl App {
    pub fn new(
        store: Store,
        data_path: Option<PathBuf>,
        token_delay: Duration,
        latency: Duration,
        log_requests: bool,
    ) -> Self {
        Self {
            store: Mutex::new(store),
            data_path,
            token_delay,
            latency,
            log_requests,
            counts: Mutex::new(BTreeMap::new()),
            address: OnceLock::new(),
        }
    }

    /// The store, recovering from a poisoned lock (a panic elsewhere must not take the
    /// server down with it).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the state to `--data` (if set) atomically. Called with the lock held, after a
    /// change and before its response.
    pub fn persist(&self, store: &Store) -> Result<(), ApiError> {
        let Some(path) = &self.data_path else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(&store.snapshot())
            .map_err(|e| ApiError::internal(format!("serializing state: {e}")))?;
        persist::write_atomic(path, &bytes).map_err(|e| {
            eprintln!("kube-api-emulator: cannot write {}: {e}", path.display());
            ApiError::internal(format!("cannot persist the emulator state: {e}"))
        })
    }

    /// Adds one to a request counter (`GET /_emulator/requests`).
    pub fn count(&self, key: String) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry(key).or_insert(0) += 1;
    }

    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Everything a handler needs from the request.
pub struct Ctx {
    pub method: Method,
    pub path: String,
    pub query: Query,
    pub accept: String,
    pub content_type: String,
    pub body: hyper::body::Bytes,
    pub user: UserInfo,
    /// The `User-Agent` header (the default field manager of updates is its product name).
    pub user_agent: String,
}

fn header(req: &Request<Incoming>, name: http::header::HeaderName) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn accepts_json(accept: &str) -> bool {
    accept.is_empty()
        || accept.split(',').any(|r| {
            let media = r.split(';').next().unwrap_or("").trim();
            matches!(media, "application/json" | "*/*" | "application/*")
        })
}

/// Handles one request.
pub async fn handle(app: Arc<App>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let raw_query = req.uri().query().map(str::to_owned);
    let (resp, who) = handle_inner(&app, req, peer).await;
    if app.log_requests {
        // Paths and queries carry no credentials; the Authorization header is never logged.
        let q = raw_query.map(|q| format!("?{q}")).unwrap_or_default();
        eprintln!(
            "kube-api-emulator: {method} {path}{q} {} {who} {}ms",
            resp.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    resp
}

async fn handle_inner(
    app: &Arc<App>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> (Response<Body>, String) {
    let path = req.uri().path().to_owned();
    let authz = header(&req, http::header::AUTHORIZATION);
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return (
            crate::admin::handle(app, &req, &path, &authz, peer),
            "admin-endpoint".into(),
        );
    }
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    let types = app.store().types();
    let route = router::route(&path, &types);

    // Authentication: a bearer token, or no credentials at all for the health endpoints.
    let user = match auth::bearer(&authz) {
        Some(token) => match auth::authenticate(&app.store(), token) {
            Some(u) => Some(u),
            None => return (error_response(&ApiError::unauthorized()), "-".into()),
        },
        None if authz.is_empty() && matches!(route, Route::Health) => None,
        None => return (error_response(&ApiError::unauthorized()), "-".into()),
    };
    let who = user
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_else(|| "system:anonymous".into());
    let Some(user) = user else {
        return (text(200, "ok"), who);
    };

    let method = req.method().clone();
    let query = Query::parse(req.uri().query());
    let accept = header(&req, http::header::ACCEPT);
    let content_type = header(&req, http::header::CONTENT_TYPE);
    let user_agent = header(&req, http::header::USER_AGENT);

    // Authorization attributes and the request counter key.
    let attrs = match &route {
        Route::Resource(rr) => {
            let verb = match (&method, rr.name.is_empty()) {
                (&Method::GET, true) if query.flag("watch") => "watch",
                (&Method::GET, true) => "list",
                (&Method::GET, false) if query.flag("watch") => "watch",
                (&Method::GET, false) => "get",
                (&Method::POST, _) => "create",
                (&Method::PUT, _) => "update",
                (&Method::PATCH, _) => "patch",
                (&Method::DELETE, true) => "deletecollection",
                (&Method::DELETE, false) => "delete",
                _ => return (error_response(&ApiError::method_not_allowed()), who),
            };
            Attributes {
                verb: verb.into(),
                resource_request: true,
                api_group: rr.rt.group.into(),
                resource: rr.rt.resource.into(),
                subresource: rr.subresource.clone(),
                namespace: rr.namespace.clone(),
                name: rr.name.clone(),
                path: path.clone(),
            }
        }
        _ => Attributes {
            verb: method.as_str().to_ascii_lowercase(),
            path: path.clone(),
            ..Default::default()
        },
    };
    app.count(if attrs.resource_request {
        let sub = if attrs.subresource.is_empty() {
            String::new()
        } else {
            format!("/{}", attrs.subresource)
        };
        format!("{} {}{sub}", attrs.verb, attrs.resource)
    } else {
        format!("{} {}", attrs.verb, path)
    });
    let decision = rbac::authorize(&*app.store(), &user, &attrs);
    if !decision.allowed {
        return (
            error_response(&forbidden(&user, &attrs, &decision.reason, &route)),
            who,
        );
    }

    if !accepts_json(&accept) && !matches!(route, Route::Health | Route::Unknown | Route::OpenApiV2)
    {
        return (error_response(&ApiError::not_acceptable()), who);
    }

    // Bodies: only what the verbs read, bounded.
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let err = if too_large {
                ApiError::too_large()
            } else {
                ApiError::bad_request(format!("reading the request body: {e}"))
            };
            return (error_response(&err), who);
        }
    };
    let ctx = Ctx {
        method,
        path,
        query,
        accept,
        content_type,
        body,
        user,
        user_agent,
    };
    let resp = match route {
        Route::Health => text(200, "ok"),
        Route::Version => get_only(&ctx, || {
            json_response(200, &discovery::version(), "application/json")
        }),
        Route::CoreVersions => {
            get_only(&ctx, || match discovery::aggregated_version(&ctx.accept) {
                Some(v) => discovery_response(
                    discovery::aggregated(&types, true, v),
                    &discovery::aggregated_content_type(v),
                ),
                None => discovery_response(
                    discovery::core_versions(app.address.get().map(String::as_str).unwrap_or("")),
                    "application/json",
                ),
            })
        }
        Route::Groups => get_only(&ctx, || match discovery::aggregated_version(&ctx.accept) {
            Some(v) => discovery_response(
                discovery::aggregated(&types, false, v),
                &discovery::aggregated_content_type(v),
            ),
            None => discovery_response(discovery::groups(&types), "application/json"),
        }),
        Route::Group(g) => get_only(&ctx, || match discovery::group(&types, &g) {
            Some(doc) => discovery_response(doc, "application/json"),
            None => text_not_found(),
        }),
        Route::GroupVersion(g, v) => get_only(&ctx, || {
            discovery_response(discovery::group_version(&types, &g, &v), "application/json")
        }),
        Route::OpenApiV3Root => get_only(&ctx, || {
            json_response(200, &discovery::openapi_v3_root(&types), "application/json")
        }),
        Route::OpenApiV3(g, v) => {
            get_only(&ctx, || match discovery::openapi_v3_doc(&types, &g, &v) {
                Some(doc) => json_response(200, &doc, "application/json"),
                None => text_not_found(),
            })
        }
        // The emulator publishes OpenAPI v3 only; clients fall back to it (or skip).
        Route::OpenApiV2 | Route::Unknown => text_not_found(),
        Route::UnknownResource => error_response(&ApiError::no_such_resource()),
        Route::Resource(rr) => api::handle(app, &ctx, &rr, &attrs.verb),
    };
    (resp, who)
}

fn get_only(ctx: &Ctx, f: impl FnOnce() -> Response<Body>) -> Response<Body> {
    if ctx.method == Method::GET || ctx.method == Method::HEAD {
        f()
    } else {
        error_response(&ApiError::method_not_allowed())
    }
}

fn discovery_response(v: Value, content_type: &str) -> Response<Body> {
    let mut r = json_response(200, &v, content_type);
    r.headers_mut()
        .insert(http::header::VARY, http::HeaderValue::from_static("Accept"));
    r
}

/// The 403 the authorization filter writes.
fn forbidden(user: &UserInfo, a: &Attributes, reason: &str, route: &Route) -> ApiError {
    let suffix = if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    };
    if !a.resource_request {
        return ApiError::forbidden(
            None,
            "",
            "",
            "",
            &format!(
                "User {:?} cannot {} path {:?}{suffix}",
                user.name, a.verb, a.path
            ),
        );
    }
    let resource = if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    };
    let why = if a.namespace.is_empty() {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} at the cluster scope{suffix}",
            user.name, a.verb, resource, a.api_group
        )
    } else {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} in the namespace {:?}{suffix}",
            user.name, a.verb, resource, a.api_group, a.namespace
        )
    };
    let rt = match route {
        Route::Resource(rr) => Some(rr.rt),
        _ => None,
    };
    ApiError::forbidden(rt, &a.api_group, &a.resource, &a.name, &why)
}

/// A JSON value for admin and diagnostics output.
pub fn state_json(app: &App) -> Value {
    let store = app.store();
    let objects: Vec<Value> = store
        .all()
        .map(|(resource, o)| {
            let mut o = o.clone();
            // Secret values (tokens among them) never leave through this endpoint.
            if resource == "secrets" {
                if let Some(data) = o.get_mut("data").and_then(Value::as_object_mut) {
                    for v in data.values_mut() {
                        let n = v
                            .as_str()
                            .and_then(crate::util::unb64)
                            .map(|b| b.len())
                            .unwrap_or(0);
                        *v = json!(format!("<redacted: {n} bytes>"));
                    }
                }
            }
            json!({"resource": resource, "object": o})
        })
        .collect();
    json!({
        "resourceVersion": store.resource_version().to_string(),
        "counts": store.counts(),
        "objects": objects,
    })
}
