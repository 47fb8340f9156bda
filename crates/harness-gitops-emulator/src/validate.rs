//! Body validation against the schema table, with protobuf-JSON normalisation.
//!
//! The real service decodes bodies into protobuf messages, so after a round trip a zero
//! value (`""`, `false`, `0`, `"0"`, an empty list or map, an enum's first value) cannot
//! be told apart from an absent key and is not emitted again. [`check_msg`] mirrors that:
//! it rejects what the document does not allow and returns the value as the service would
//! store it. Messages that are present but empty (`"automated": {}`) are kept, because
//! protobuf keeps message presence (and Argo CD gives `automated: {}` a meaning).

use std::fmt;

use base64::Engine as _;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::schema::{Msg, Ty};

/// A body that does not match the document: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the offending field, e.g. `repo.githubAppID` or `application.spec.sources[0]`.
    pub path: String,
    /// What is wrong, phrased so the caller knows what to send instead.
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "invalid request body: {}", self.problem)
        } else {
            write!(
                f,
                "invalid value for field \"{}\": {}",
                self.path, self.problem
            )
        }
    }
}

fn err(path: &str, problem: impl Into<String>) -> FieldError {
    FieldError {
        path: path.to_string(),
        problem: problem.into(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Validates the JSON object `value` against `msg` and returns it normalised (zero values
/// dropped, int64 strings in canonical form).
///
/// # Errors
/// [`FieldError`] naming the first key that is unknown to the document, has the wrong JSON
/// type, or holds an unparsable int64, base64 or RFC 3339 value. `path` prefixes the names.
pub fn check_msg(
    value: &Value,
    msg: &'static Msg,
    path: &str,
) -> Result<Map<String, Value>, FieldError> {
    let Value::Object(obj) = value else {
        return Err(err(
            path,
            format!(
                "expected an object ({}), got {}",
                msg.name,
                json_kind(value)
            ),
        ));
    };
    let mut out = Map::new();
    for (key, v) in obj {
        let p = child(path, key);
        let Some(ty) = msg.field(key) else {
            return Err(err(
                &p,
                format!(
                    "unknown field: {} has no key \"{key}\"; its keys are: {}",
                    msg.name,
                    msg.fields
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if let Some(norm) = check(v, ty, &p)? {
            out.insert(key.clone(), norm);
        }
    }
    Ok(out)
}

/// Validates one value; `Ok(None)` means "valid, but the protobuf zero value".
fn check(v: &Value, ty: &Ty, path: &str) -> Result<Option<Value>, FieldError> {
    if v.is_null() {
        return Err(err(path, "null is not allowed here; omit the key instead"));
    }
    let mismatch = |want: &str| err(path, format!("expected {want}, got {}", json_kind(v)));
    match ty {
        Ty::Str => match v {
            Value::String(s) => Ok((!s.is_empty()).then(|| v.clone())),
            _ => Err(mismatch("a string")),
        },
        Ty::Bool => match v {
            Value::Bool(b) => Ok(b.then(|| v.clone())),
            _ => Err(mismatch("a boolean (true or false)")),
        },
        Ty::I32 => match v {
            Value::Number(n) => match n.as_i64().filter(|i| i32::try_from(*i).is_ok()) {
                Some(0) => Ok(None),
                Some(i) => Ok(Some(Value::from(i))),
                None => Err(err(path, format!("expected a 32-bit integer, got {n}"))),
            },
            _ => Err(mismatch("a number (int32)")),
        },
        Ty::I64 => match v {
            Value::String(s) => match s.parse::<i64>() {
                Ok(0) => Ok(None),
                Ok(i) => Ok(Some(Value::String(i.to_string()))),
                Err(_) => Err(err(path, format!("expected a decimal 64-bit integer inside a string, got \"{s}\""))),
            },
            Value::Number(_) => Err(err(
                path,
                "expected an int64 encoded as a JSON string (protobuf JSON, e.g. \"5\"), got a number",
            )),
            _ => Err(mismatch("an int64 encoded as a JSON string")),
        },
        Ty::Bytes => match v {
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => {
                if decode_base64(s).is_some() {
                    Ok(Some(v.clone()))
                } else {
                    Err(err(path, "expected base64 text (protobuf bytes)"))
                }
            }
            _ => Err(mismatch("a base64 string")),
        },
        Ty::DateTime => match v {
            Value::String(s) => match OffsetDateTime::parse(s, &Rfc3339) {
                Ok(_) => Ok(Some(v.clone())),
                Err(_) => Err(err(path, format!("expected an RFC 3339 timestamp, got \"{s}\""))),
            },
            _ => Err(mismatch("an RFC 3339 timestamp string")),
        },
        Ty::Enum(values) => match v {
            Value::String(s) => match values.iter().position(|x| x == s) {
                Some(0) => Ok(None),
                Some(_) => Ok(Some(v.clone())),
                None => Err(err(path, format!("\"{s}\" is not one of {}", values.join(", ")))),
            },
            _ => Err(mismatch(&format!("one of the strings {}", values.join(", ")))),
        },
        Ty::List(item) => match v {
            Value::Array(items) if items.is_empty() => Ok(None),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, x) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    // A zero element stays in a repeated field.
                    out.push(check(x, item, &p)?.unwrap_or_else(|| x.clone()));
                }
                Ok(Some(Value::Array(out)))
            }
            _ => Err(mismatch("an array")),
        },
        Ty::Map(item) => match v {
            Value::Object(m) if m.is_empty() => Ok(None),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    let p = format!("{path}[\"{k}\"]");
                    out.insert(k.clone(), check(x, item, &p)?.unwrap_or_else(|| x.clone()));
                }
                Ok(Some(Value::Object(out)))
            }
            _ => Err(mismatch("an object (map)")),
        },
        Ty::Struct => match v {
            Value::Object(_) => Ok(Some(v.clone())),
            _ => Err(mismatch("an object")),
        },
        Ty::Msg(m) => Ok(Some(Value::Object(check_msg(v, m, path)?))),
    }
}

/// Decodes protobuf-JSON bytes: standard or URL-safe base64, padded or not.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{APP_CREATE_REQUEST, REPO_CREATE_REQUEST};
    use serde_json::json;

    #[test]
    fn unknown_key_is_named_with_its_path() {
        let e = check_msg(
            &json!({"repo": {"repo": "x", "colour": 1}}),
            &REPO_CREATE_REQUEST,
            "",
        )
        .unwrap_err();
        assert_eq!(e.path, "repo.colour");
        assert!(e.to_string().contains("repo.colour"), "{e}");
    }

    #[test]
    fn int64_must_be_a_string() {
        let e = check_msg(
            &json!({"repo": {"githubAppID": 5}}),
            &REPO_CREATE_REQUEST,
            "",
        )
        .unwrap_err();
        assert_eq!(e.path, "repo.githubAppID");
        let ok = check_msg(
            &json!({"repo": {"githubAppID": "0005"}}),
            &REPO_CREATE_REQUEST,
            "",
        )
        .unwrap();
        assert_eq!(ok["repo"]["githubAppID"], json!("5"));
    }

    #[test]
    fn zero_values_are_dropped_but_empty_messages_kept() {
        let v = json!({"application": {"spec": {"project": "", "syncPolicy": {"automated": {"prune": false}},
            "sources": [], "info": [{"name": "", "value": "v"}]}}, "upsert": false});
        let out = check_msg(&v, &APP_CREATE_REQUEST, "").unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"application": {"spec": {"syncPolicy": {"automated": {}}, "info": [{"value": "v"}]}}})
        );
    }

    #[test]
    fn null_and_wrong_types_are_rejected() {
        let e = check_msg(&json!({"upsert": null}), &REPO_CREATE_REQUEST, "").unwrap_err();
        assert_eq!(e.path, "upsert");
        let e = check_msg(&json!({"upsert": "true"}), &REPO_CREATE_REQUEST, "").unwrap_err();
        assert!(e.problem.contains("boolean"), "{e}");
        let e = check_msg(&json!({"genType": "NOPE"}), &REPO_CREATE_REQUEST, "").unwrap_err();
        assert!(e.problem.contains("AWS_ECR"), "{e}");
        let e = check_msg(&json!([]), &REPO_CREATE_REQUEST, "").unwrap_err();
        assert!(
            e.to_string().contains("repositoriesRepoCreateRequest"),
            "{e}"
        );
    }
}
