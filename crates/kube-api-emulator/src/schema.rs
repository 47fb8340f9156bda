//! The fields of each served kind, so the emulator decodes bodies as the API server's typed
//! decoder does: wrong JSON types are a 400, unknown fields are dropped (and reported per
//! `fieldValidation`: `Strict` 400, `Warn` a `Warning` header, `Ignore` nothing), and `null`
//! means "absent".

use serde_json::{Map, Value};

/// A field's type.
#[derive(Debug)]
pub enum Node {
    Str,
    Bool,
    Int,
    /// `[]byte`: a base64 string in JSON.
    Bytes,
    /// `metav1.Time`: an RFC 3339 string.
    Time,
    Obj(&'static Struct),
    Map(&'static Node),
    List(&'static Node),
    /// Free-form (kept as sent).
    Any,
}

/// A Go struct: its name (for error messages) and its JSON fields.
#[derive(Debug)]
pub struct Struct {
    pub go_name: &'static str,
    /// JSON name, protobuf field number (0: not in the protobuf message, e.g. TypeMeta), type.
    pub fields: &'static [(&'static str, u32, Node)],
}

impl Node {
    fn go_type(&self) -> String {
        match self {
            Node::Str | Node::Time => "string".into(),
            Node::Bool => "bool".into(),
            Node::Int => "int64".into(),
            Node::Bytes => "[]uint8".into(),
            Node::Obj(s) => format!("v1.{}", s.go_name),
            Node::Map(inner) => format!("map[string]{}", inner.go_type()),
            Node::List(inner) => format!("[]{}", inner.go_type()),
            Node::Any => "interface {}".into(),
        }
    }
}

pub static OWNER_REFERENCE: Struct = Struct {
    go_name: "OwnerReference",
    fields: &[
        ("apiVersion", 5, Node::Str),
        ("kind", 1, Node::Str),
        ("name", 3, Node::Str),
        ("uid", 4, Node::Str),
        ("controller", 6, Node::Bool),
        ("blockOwnerDeletion", 7, Node::Bool),
    ],
};

pub static OBJECT_META: Struct = Struct {
    go_name: "ObjectMeta",
    fields: &[
        ("name", 1, Node::Str),
        ("generateName", 2, Node::Str),
        ("namespace", 3, Node::Str),
        ("selfLink", 4, Node::Str),
        ("uid", 5, Node::Str),
        ("resourceVersion", 6, Node::Str),
        ("generation", 7, Node::Int),
        ("creationTimestamp", 8, Node::Time),
        ("deletionTimestamp", 9, Node::Time),
        ("deletionGracePeriodSeconds", 10, Node::Int),
        ("labels", 11, Node::Map(&Node::Str)),
        ("annotations", 12, Node::Map(&Node::Str)),
        (
            "ownerReferences",
            13,
            Node::List(&Node::Obj(&OWNER_REFERENCE)),
        ),
        ("finalizers", 14, Node::List(&Node::Str)),
        ("managedFields", 17, Node::List(&Node::Any)),
    ],
};

static OBJECT_REFERENCE: Struct = Struct {
    go_name: "ObjectReference",
    fields: &[
        ("kind", 1, Node::Str),
        ("namespace", 2, Node::Str),
        ("name", 3, Node::Str),
        ("uid", 4, Node::Str),
        ("apiVersion", 5, Node::Str),
        ("resourceVersion", 6, Node::Str),
        ("fieldPath", 7, Node::Str),
    ],
};

static LOCAL_OBJECT_REFERENCE: Struct = Struct {
    go_name: "LocalObjectReference",
    fields: &[("name", 1, Node::Str)],
};

pub static SERVICE_ACCOUNT: Struct = Struct {
    go_name: "ServiceAccount",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("secrets", 2, Node::List(&Node::Obj(&OBJECT_REFERENCE))),
        (
            "imagePullSecrets",
            3,
            Node::List(&Node::Obj(&LOCAL_OBJECT_REFERENCE)),
        ),
        ("automountServiceAccountToken", 4, Node::Bool),
    ],
};

pub static SECRET: Struct = Struct {
    go_name: "Secret",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("immutable", 5, Node::Bool),
        ("data", 2, Node::Map(&Node::Bytes)),
        ("stringData", 4, Node::Map(&Node::Str)),
        ("type", 3, Node::Str),
    ],
};

static NAMESPACE_SPEC: Struct = Struct {
    go_name: "NamespaceSpec",
    fields: &[("finalizers", 1, Node::List(&Node::Str))],
};

static NAMESPACE_STATUS: Struct = Struct {
    go_name: "NamespaceStatus",
    fields: &[
        ("phase", 1, Node::Str),
        ("conditions", 2, Node::List(&Node::Any)),
    ],
};

pub static NAMESPACE: Struct = Struct {
    go_name: "Namespace",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("spec", 2, Node::Obj(&NAMESPACE_SPEC)),
        ("status", 3, Node::Obj(&NAMESPACE_STATUS)),
    ],
};

pub static POLICY_RULE: Struct = Struct {
    go_name: "PolicyRule",
    fields: &[
        ("verbs", 1, Node::List(&Node::Str)),
        ("apiGroups", 2, Node::List(&Node::Str)),
        ("resources", 3, Node::List(&Node::Str)),
        ("resourceNames", 4, Node::List(&Node::Str)),
        ("nonResourceURLs", 5, Node::List(&Node::Str)),
    ],
};

static AGGREGATION_RULE: Struct = Struct {
    go_name: "AggregationRule",
    fields: &[("clusterRoleSelectors", 1, Node::List(&Node::Any))],
};

pub static ROLE: Struct = Struct {
    go_name: "Role",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("rules", 2, Node::List(&Node::Obj(&POLICY_RULE))),
    ],
};

pub static CLUSTER_ROLE: Struct = Struct {
    go_name: "ClusterRole",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("rules", 2, Node::List(&Node::Obj(&POLICY_RULE))),
        ("aggregationRule", 3, Node::Obj(&AGGREGATION_RULE)),
    ],
};

static SUBJECT: Struct = Struct {
    go_name: "Subject",
    fields: &[
        ("kind", 1, Node::Str),
        ("apiGroup", 2, Node::Str),
        ("name", 3, Node::Str),
        ("namespace", 4, Node::Str),
    ],
};

static ROLE_REF: Struct = Struct {
    go_name: "RoleRef",
    fields: &[
        ("apiGroup", 1, Node::Str),
        ("kind", 2, Node::Str),
        ("name", 3, Node::Str),
    ],
};

pub static ROLE_BINDING: Struct = Struct {
    go_name: "RoleBinding",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("subjects", 2, Node::List(&Node::Obj(&SUBJECT))),
        ("roleRef", 3, Node::Obj(&ROLE_REF)),
    ],
};

pub static CLUSTER_ROLE_BINDING: Struct = Struct {
    go_name: "ClusterRoleBinding",
    fields: ROLE_BINDING.fields,
};

static RESOURCE_ATTRIBUTES: Struct = Struct {
    go_name: "ResourceAttributes",
    fields: &[
        ("namespace", 1, Node::Str),
        ("verb", 2, Node::Str),
        ("group", 3, Node::Str),
        ("version", 4, Node::Str),
        ("resource", 5, Node::Str),
        ("subresource", 6, Node::Str),
        ("name", 7, Node::Str),
        ("fieldSelector", 8, Node::Any),
        ("labelSelector", 9, Node::Any),
    ],
};

static NON_RESOURCE_ATTRIBUTES: Struct = Struct {
    go_name: "NonResourceAttributes",
    fields: &[("path", 1, Node::Str), ("verb", 2, Node::Str)],
};

static SSAR_SPEC: Struct = Struct {
    go_name: "SelfSubjectAccessReviewSpec",
    fields: &[
        ("resourceAttributes", 1, Node::Obj(&RESOURCE_ATTRIBUTES)),
        (
            "nonResourceAttributes",
            2,
            Node::Obj(&NON_RESOURCE_ATTRIBUTES),
        ),
    ],
};

pub static SELF_SUBJECT_ACCESS_REVIEW: Struct = Struct {
    go_name: "SelfSubjectAccessReview",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("spec", 2, Node::Obj(&SSAR_SPEC)),
        ("status", 3, Node::Any),
    ],
};

static SSRR_SPEC: Struct = Struct {
    go_name: "SelfSubjectRulesReviewSpec",
    fields: &[("namespace", 1, Node::Str)],
};

pub static SELF_SUBJECT_RULES_REVIEW: Struct = Struct {
    go_name: "SelfSubjectRulesReview",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("spec", 2, Node::Obj(&SSRR_SPEC)),
        ("status", 3, Node::Any),
    ],
};

pub static SELF_SUBJECT_REVIEW: Struct = Struct {
    go_name: "SelfSubjectReview",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("metadata", 1, Node::Obj(&OBJECT_META)),
        ("status", 2, Node::Any),
    ],
};

/// The schema of a kind.
pub fn for_kind(kind: &str) -> Option<&'static Struct> {
    Some(match kind {
        "Namespace" => &NAMESPACE,
        "ServiceAccount" => &SERVICE_ACCOUNT,
        "Secret" => &SECRET,
        "Role" => &ROLE,
        "ClusterRole" => &CLUSTER_ROLE,
        "RoleBinding" => &ROLE_BINDING,
        "ClusterRoleBinding" => &CLUSTER_ROLE_BINDING,
        "SelfSubjectAccessReview" => &SELF_SUBJECT_ACCESS_REVIEW,
        "SelfSubjectRulesReview" => &SELF_SUBJECT_RULES_REVIEW,
        "SelfSubjectReview" => &SELF_SUBJECT_REVIEW,
        "DeleteOptions" => &DELETE_OPTIONS,
        _ => return None,
    })
}

/// The result of decoding a body.
#[derive(Debug)]
pub struct Decoded {
    /// The object with unknown fields and nulls removed.
    pub value: Value,
    /// Unknown field paths (`spec.foo`, `rules[0].bar`), in document order.
    pub unknown: Vec<String>,
}

/// Decodes `v` against `s`. Err is the Go decoder's message for a wrong JSON type.
pub fn decode(s: &'static Struct, v: &Value) -> Result<Decoded, String> {
    let mut unknown = Vec::new();
    let value = decode_struct(s, v, "", &mut unknown)?;
    Ok(Decoded { value, unknown })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn type_error(v: &Value, go_struct: &str, path: &str, node: &Node) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {go_struct}.{path} of type {}",
        json_type(v),
        node.go_type()
    )
}

fn decode_struct(
    s: &'static Struct,
    v: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Value, String> {
    let Value::Object(map) = v else {
        // The caller reports the type error with its own field context.
        return Err(String::new());
    };
    let mut out = Map::new();
    for (k, val) in map {
        let Some((_, _, node)) = s.fields.iter().find(|(name, _, _)| name == k) else {
            unknown.push(join(path, k));
            continue;
        };
        if val.is_null() {
            continue;
        }
        let fpath = join(path, k);
        let decoded = decode_node(node, val, s.go_name, &fpath, unknown)?;
        out.insert(k.clone(), decoded);
    }
    Ok(Value::Object(out))
}

fn decode_node(
    node: &Node,
    v: &Value,
    go_struct: &str,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Value, String> {
    let bad = || type_error(v, go_struct, path, node);
    match node {
        Node::Any => Ok(v.clone()),
        Node::Str => v.is_string().then(|| v.clone()).ok_or_else(bad),
        Node::Time => match v.as_str() {
            Some(s) if crate::util::parse_rfc3339(s).is_some() => Ok(v.clone()),
            Some(s) => Err(format!(
                "parsing time {s:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse {s:?} as \"2006\""
            )),
            None => Err(bad()),
        },
        Node::Bool => v.is_boolean().then(|| v.clone()).ok_or_else(bad),
        Node::Int => match v {
            Value::Number(n) if n.as_i64().is_some() => Ok(Value::from(n.as_i64().unwrap_or(0))),
            _ => Err(bad()),
        },
        Node::Bytes => match v.as_str() {
            Some(s) => match crate::util::unb64(s) {
                Some(_) => Ok(v.clone()),
                None => Err(format!("illegal base64 data at input byte {}", bad_b64_offset(s))),
            },
            None => Err(bad()),
        },
        Node::Obj(s) => {
            if !v.is_object() {
                return Err(bad());
            }
            decode_struct(s, v, path, unknown)
        }
        Node::Map(inner) => {
            let Value::Object(m) = v else { return Err(bad()) };
            let mut out = Map::new();
            for (k, val) in m {
                if val.is_null() {
                    // A null map value decodes to the zero value.
                    out.insert(k.clone(), zero(inner));
                    continue;
                }
                out.insert(k.clone(), decode_node(inner, val, go_struct, path, unknown)?);
            }
            Ok(Value::Object(out))
        }
        Node::List(inner) => {
            let Value::Array(items) = v else { return Err(bad()) };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let ipath = format!("{path}[{i}]");
                if item.is_null() {
                    out.push(zero(inner));
                    continue;
                }
                out.push(decode_node(inner, item, go_struct, &ipath, unknown)?);
            }
            Ok(Value::Array(out))
        }
    }
}

fn zero(node: &Node) -> Value {
    match node {
        Node::Str | Node::Bytes => Value::String(String::new()),
        Node::Bool => Value::Bool(false),
        Node::Int => Value::from(0),
        Node::Obj(_) | Node::Map(_) => Value::Object(Map::new()),
        Node::List(_) => Value::Array(Vec::new()),
        Node::Time | Node::Any => Value::Null,
    }
}

fn bad_b64_offset(s: &str) -> usize {
    s.bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'='))
        .unwrap_or(s.len().saturating_sub(s.len() % 4))
}

static PRECONDITIONS: Struct = Struct {
    go_name: "Preconditions",
    fields: &[("uid", 1, Node::Str), ("resourceVersion", 2, Node::Str)],
};

/// `meta.k8s.io/v1` DeleteOptions (the body of a delete).
pub static DELETE_OPTIONS: Struct = Struct {
    go_name: "DeleteOptions",
    fields: &[
        ("kind", 0, Node::Str),
        ("apiVersion", 0, Node::Str),
        ("gracePeriodSeconds", 1, Node::Int),
        ("preconditions", 2, Node::Obj(&PRECONDITIONS)),
        ("orphanDependents", 3, Node::Bool),
        ("propagationPolicy", 4, Node::Str),
        ("dryRun", 5, Node::List(&Node::Str)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_unknown_and_nulls() {
        let d = decode(
            &SERVICE_ACCOUNT,
            &json!({"metadata": {"name": "a", "creationTimestamp": null, "bogus": 1}, "extra": {"x": 1}}),
        )
        .unwrap();
        assert_eq!(d.value, json!({"metadata": {"name": "a"}}));
        assert_eq!(d.unknown, vec!["metadata.bogus", "extra"]);
    }

    #[test]
    fn type_errors_read_like_go() {
        let e = decode(&SERVICE_ACCOUNT, &json!({"metadata": {"name": 5}})).unwrap_err();
        assert_eq!(
            e,
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"
        );
        let e = decode(&SECRET, &json!({"data": {"k": "!!"}})).unwrap_err();
        assert!(e.starts_with("illegal base64 data"), "{e}");
        let d = decode(&ROLE, &json!({"rules": [{"verbs": ["get"], "x": 1}]})).unwrap();
        assert_eq!(d.unknown, vec!["rules[0].x"]);
    }
}
