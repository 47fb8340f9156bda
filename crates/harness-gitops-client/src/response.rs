//! Reading responses: the JSON check, the grpc-gateway error body, `Retry-After`, the
//! soft-deleted check and typed decoding.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::error::{one_line, Error, Operation};

/// A 2xx response whose body is JSON (or empty).
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The grpc-gateway error body (`gatewayruntimeError`), leniently.
#[derive(serde::Deserialize, Default)]
struct GatewayError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

pub(crate) fn api_error(operation: Box<Operation>, status: u16, body: &[u8]) -> Error {
    let parsed: GatewayError = serde_json::from_slice(body).unwrap_or_default();
    let code = parsed.code.as_ref().and_then(|c| match c {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let message = parsed
        .message
        .filter(|m| !m.trim().is_empty())
        .or(parsed.error)
        .unwrap_or_default();
    Error::Api {
        operation,
        status,
        code: code.and_then(|c| i32::try_from(c).ok()),
        message: one_line(&message),
        attempts: 1,
    }
}

/// `Retry-After` as delay-seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored (backoff
/// applies instead).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Does the JSON body have a non-null `key`? (A 200 without it means soft-deleted:
/// harness-gitops-api.md §2.1, §2.4.)
pub(crate) fn has_entity(body: &[u8], key: &str) -> bool {
    // Only the top-level keys and whether each is null: the values are skipped, not built.
    serde_json::from_slice::<std::collections::HashMap<String, Option<serde::de::IgnoredAny>>>(body)
        .ok()
        .and_then(|m| m.get(key).map(Option::is_some))
        .unwrap_or(false)
}

pub(crate) fn decode<T: DeserializeOwned>(op: &Operation, reply: &Reply) -> Result<T, Error> {
    let body: &[u8] = if reply.body.is_empty() {
        b"{}"
    } else {
        &reply.body
    };
    // The fast decoder first; only a failure is decoded again, tracking the path of the field
    // at fault for the error (path tracking costs on every response otherwise).
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
        operation: Box::new(op.clone()),
        status: reply.status,
        path: e.path().to_string(),
        detail: one_line(&e.into_inner().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn entity_presence() {
        assert!(has_entity(br#"{"repository":{"repo":"x"}}"#, "repository"));
        assert!(!has_entity(br#"{"identifier":"x"}"#, "repository"));
        assert!(!has_entity(br#"{"repository":null}"#, "repository"));
    }

    #[test]
    fn api_error_reads_code_and_message() {
        let op = Box::new(Operation {
            action: "get",
            kind: "cluster",
            target: None,
            agent: "a".into(),
        });
        let e = api_error(
            op.clone(),
            404,
            br#"{"error":"e","code":5,"message":"not found","details":[]}"#,
        );
        assert!(e.is_not_found());
        assert_eq!(e.server_message(), Some("not found"));
        let e = api_error(op, 400, br#"{"error":"only error"}"#);
        assert_eq!(e.server_message(), Some("only error"));
        assert_eq!(e.grpc_code(), None);
    }
}
