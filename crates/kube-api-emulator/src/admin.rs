//! Test and admin endpoints (not part of the Kubernetes API): `GET /_emulator/requests`
//! (request counts by `"<verb> <resource>"`) and `GET /_emulator/state` (the stored objects,
//! Secret values redacted). Both need the admin token and a loopback peer.

use std::net::SocketAddr;

use http::{Method, Request, Response};
use hyper::body::Incoming;
use serde_json::json;

use crate::app::{state_json, App};
use crate::http::{error_response, json_response, text_not_found, Body};
use crate::status::ApiError;
use crate::util::ct_eq;

pub fn handle(
    app: &App,
    req: &Request<Incoming>,
    path: &str,
    authz: &str,
    peer: SocketAddr,
) -> Response<Body> {
    if !peer.ip().is_loopback() {
        return error_response(&ApiError::forbidden(
            None,
            "",
            "",
            "",
            "the emulator's admin endpoints answer loopback peers only",
        ));
    }
    let Some(token) = crate::auth::bearer(authz) else {
        return error_response(&ApiError::unauthorized());
    };
    let admin = app.store().admin_token.clone();
    if !ct_eq(token.as_bytes(), admin.as_bytes()) {
        let valid_other = crate::auth::authenticate(&app.store(), token).is_some();
        return error_response(&if valid_other {
            ApiError::forbidden(
                None,
                "",
                "",
                "",
                "the emulator's admin endpoints need the admin token",
            )
        } else {
            ApiError::unauthorized()
        });
    }
    if req.method() != Method::GET {
        return error_response(&ApiError::method_not_allowed());
    }
    match path.trim_end_matches('/') {
        "/_emulator/requests" => {
            json_response(200, &json!(app.request_counts()), "application/json")
        }
        "/_emulator/state" => json_response(200, &state_json(app), "application/json"),
        _ => text_not_found(),
    }
}
