//! `Status` objects: the API server's error (and deletion success) responses, with the real
//! reasons, codes and message formats.

use serde_json::{json, Map, Value};

use crate::resources::ResourceType;

/// One field error of an Invalid (422) response (`details.causes[]`).
#[derive(Debug, Clone)]
pub struct Cause {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`,
    /// `FieldValueForbidden`, `FieldValueDuplicate`, `FieldValueTooLong`.
    pub reason: &'static str,
    pub field: String,
    /// The message as printed in the cause (`Required value: ...`).
    pub message: String,
}

impl Cause {
    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        Self {
            reason: "FieldValueRequired",
            field: field.into(),
            message: if detail.is_empty() {
                "Required value".to_owned()
            } else {
                format!("Required value: {detail}")
            },
        }
    }

    /// `Invalid value: "v": detail` (the value printed as Go's `%#v` prints a string).
    pub fn invalid(field: impl Into<String>, value: &Value, detail: &str) -> Self {
        Self {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {}: {detail}", go_value(value)),
        }
    }

    pub fn not_supported(field: impl Into<String>, value: &Value, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        Self {
            reason: "FieldValueNotSupported",
            field: field.into(),
            message: format!(
                "Unsupported value: {}: supported values: {}",
                go_value(value),
                list.join(", ")
            ),
        }
    }

    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        Self {
            reason: "FieldValueForbidden",
            field: field.into(),
            message: format!("Forbidden: {detail}"),
        }
    }
}

/// A value as the API server's field errors print it (strings quoted, others as JSON).
fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// An API error, rendered as a `Status` with status `Failure`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    /// `NotFound`, `AlreadyExists`, ... ; "" (omitted) for the Unknown reason.
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

fn details(name: &str, group: &str, kind: &str) -> Value {
    let mut m = Map::new();
    if !name.is_empty() {
        m.insert("name".into(), Value::String(name.to_owned()));
    }
    if !group.is_empty() {
        m.insert("group".into(), Value::String(group.to_owned()));
    }
    if !kind.is_empty() {
        m.insert("kind".into(), Value::String(kind.to_owned()));
    }
    Value::Object(m)
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// 404 `serviceaccounts "x" not found`; details.kind is the resource, as the server sets it.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self {
            code: 404,
            reason: "NotFound",
            message: format!("{} {:?} not found", rt.qualified_resource(), name),
            details: Some(details(name, rt.group, rt.resource)),
        }
    }

    /// 404 for a path the server does not serve under `/api` or `/apis`.
    pub fn no_such_resource() -> Self {
        Self {
            code: 404,
            reason: "NotFound",
            message: "the server could not find the requested resource".into(),
            details: Some(json!({})),
        }
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self {
            code: 409,
            reason: "AlreadyExists",
            message: format!("{} {:?} already exists", rt.qualified_resource(), name),
            details: Some(details(name, rt.group, rt.resource)),
        }
    }

    /// 409 Conflict `Operation cannot be fulfilled on serviceaccounts "x": <why>`.
    pub fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self {
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on {} {:?}: {why}",
                rt.qualified_resource(),
                name
            ),
            details: Some(details(name, rt.group, rt.resource)),
        }
    }

    /// The message of a stale `resourceVersion`.
    pub const MODIFIED: &'static str = "the object has been modified; please apply your changes to the latest version and try again";

    /// 422 Invalid: `ServiceAccount "x" is invalid: field: message` (one cause) or
    /// `... is invalid: [a: m1, b: m2]`; details.kind is the Kind.
    pub fn invalid(
        qualified_kind: &str,
        group: &str,
        kind: &str,
        name: &str,
        causes: Vec<Cause>,
    ) -> Self {
        let parts: Vec<String> = causes
            .iter()
            .map(|c| {
                if c.field.is_empty() {
                    c.message.clone()
                } else {
                    format!("{}: {}", c.field, c.message)
                }
            })
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let mut d = details(name, group, kind);
        if let Some(m) = d.as_object_mut() {
            m.insert(
                "causes".into(),
                Value::Array(
                    causes
                        .iter()
                        .map(
                            |c| json!({"reason": c.reason, "message": c.message, "field": c.field}),
                        )
                        .collect(),
                ),
            );
        }
        Self {
            code: 422,
            reason: "Invalid",
            message: format!("{qualified_kind} {name:?} is invalid: {joined}"),
            details: Some(d),
        }
    }

    pub fn invalid_object(rt: &ResourceType, name: &str, causes: Vec<Cause>) -> Self {
        Self::invalid(&rt.qualified_kind(), rt.group, rt.kind, name, causes)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed() -> Self {
        Self {
            details: Some(json!({})),
            ..Self::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 as the authorization filter writes it.
    pub fn forbidden(
        rt: Option<&ResourceType>,
        group: &str,
        resource: &str,
        name: &str,
        why: &str,
    ) -> Self {
        let message = match rt {
            None if resource.is_empty() => format!("forbidden: {why}"),
            _ => {
                let qualified = if group.is_empty() {
                    resource.to_owned()
                } else {
                    format!("{resource}.{group}")
                };
                if name.is_empty() {
                    format!("{qualified} is forbidden: {why}")
                } else {
                    format!("{qualified} {name:?} is forbidden: {why}")
                }
            }
        };
        Self {
            code: 403,
            reason: "Forbidden",
            message,
            details: Some(details(name, group, resource)),
        }
    }

    /// 415 for a body in a format the verb does not take; `accepted` lists the formats.
    pub fn unsupported_media_type(accepted: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: {accepted}"),
        )
    }

    pub fn not_acceptable() -> Self {
        Self::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json",
        )
    }

    pub fn too_large() -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        )
    }

    /// 410 Gone for a watch or continue token older than the emulator's history.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {}", message.into()),
        )
    }

    /// The Status object.
    pub fn to_status(&self) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), "Status".into());
        m.insert("apiVersion".into(), "v1".into());
        m.insert("metadata".into(), json!({}));
        m.insert("status".into(), "Failure".into());
        m.insert("message".into(), Value::String(self.message.clone()));
        if !self.reason.is_empty() {
            m.insert("reason".into(), self.reason.into());
        }
        if let Some(d) = &self.details {
            m.insert("details".into(), d.clone());
        }
        m.insert("code".into(), self.code.into());
        Value::Object(m)
    }
}

/// The `Status` a successful delete of a type without `ReturnDeletedObject` answers.
pub fn delete_success(rt: &ResourceType, name: &str, uid: &str) -> Value {
    let mut d = details(name, rt.group, rt.resource);
    if let Some(m) = d.as_object_mut() {
        m.insert("uid".into(), Value::String(uid.to_owned()));
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CLUSTER_ROLES, SERVICE_ACCOUNTS};

    #[test]
    fn messages_match_the_api_server() {
        assert_eq!(
            ApiError::not_found(&SERVICE_ACCOUNTS, "x").message,
            "serviceaccounts \"x\" not found"
        );
        assert_eq!(
            ApiError::already_exists(&CLUSTER_ROLES, "y").message,
            "clusterroles.rbac.authorization.k8s.io \"y\" already exists"
        );
        let e = ApiError::invalid_object(
            &SERVICE_ACCOUNTS,
            "",
            vec![Cause::required(
                "metadata.name",
                "name or generateName is required",
            )],
        );
        assert_eq!(
            e.message,
            "ServiceAccount \"\" is invalid: metadata.name: Required value: name or generateName is required"
        );
        let s = e.to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(s["details"]["causes"][0]["reason"], "FieldValueRequired");
    }
}
