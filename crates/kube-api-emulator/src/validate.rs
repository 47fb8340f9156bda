//! Defaulting and validation of the served kinds, with the API server's field paths and
//! messages (422 Invalid causes).

use serde_json::{json, Map, Value};

use crate::resources::{ResourceType, RBAC_GROUP};
use crate::selectors::{label_value_error, qualified_name_error};
use crate::status::Cause;
use crate::util::{meta_str, unb64};

pub const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
pub const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
pub const SA_UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Why `s` is not a DNS-1123 subdomain (object names of most kinds), if it is not.
pub fn dns1123_subdomain_error(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    if s.split('.').all(is_label) {
        None
    } else {
        Some(SUBDOMAIN_MSG.into())
    }
}

/// Why `s` is not a DNS-1123 label (namespace names), if it is not.
pub fn dns1123_label_error(s: &str) -> Option<String> {
    if s.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    if is_label(s) {
        None
    } else {
        Some(LABEL_MSG.into())
    }
}

/// Why `s` is not a valid path segment name (RBAC object names), if it is not.
pub fn path_segment_error(s: &str) -> Option<String> {
    if s == "." || s == ".." {
        return Some(format!("may not be '{s}'"));
    }
    for bad in ["/", "%"] {
        if s.contains(bad) {
            return Some(format!("may not contain '{bad}'"));
        }
    }
    None
}

/// The name rule of a type.
pub fn name_error(rt: &ResourceType, name: &str) -> Option<String> {
    match if rt.custom { "" } else { rt.kind } {
        "Namespace" => dns1123_label_error(name),
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => path_segment_error(name),
        _ => dns1123_subdomain_error(name),
    }
}

/// Fills the defaults the API server applies on create and update.
pub fn apply_defaults(rt: &ResourceType, obj: &mut Value) {
    if rt.custom {
        return;
    }
    let name = meta_str(obj, "name").to_owned();
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    match rt.kind {
        "Namespace" => {
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if let Some(spec) = spec.as_object_mut() {
                spec.entry("finalizers")
                    .or_insert_with(|| json!(["kubernetes"]));
            }
            let status = map.entry("status").or_insert_with(|| json!({}));
            if let Some(status) = status.as_object_mut() {
                status.entry("phase").or_insert_with(|| json!("Active"));
            }
            // The namespace strategy keeps this label equal to the name.
            let meta = crate::util::meta_mut(obj);
            let labels = meta.entry("labels").or_insert_with(|| json!({}));
            if let Some(l) = labels.as_object_mut() {
                l.insert("kubernetes.io/metadata.name".into(), Value::String(name));
            }
        }
        "Secret" => {
            // stringData is write-only: merged into data (base64) and dropped.
            if let Some(Value::Object(sd)) = map.remove("stringData") {
                let data = map.entry("data").or_insert_with(|| json!({}));
                if !data.is_object() {
                    *data = json!({});
                }
                if let Some(d) = data.as_object_mut() {
                    for (k, v) in sd {
                        let s = v.as_str().unwrap_or("");
                        d.insert(k, Value::String(crate::util::b64(s.as_bytes())));
                    }
                }
            }
            if map
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                map.insert("type".into(), json!("Opaque"));
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            if let Some(Value::Array(subjects)) = map.get_mut("subjects") {
                for s in subjects {
                    let Some(s) = s.as_object_mut() else { continue };
                    let has_group = s.get("apiGroup").and_then(Value::as_str).is_some();
                    if !has_group {
                        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
                        let group = match kind {
                            "ServiceAccount" => "",
                            "User" | "Group" => RBAC_GROUP,
                            _ => continue,
                        };
                        s.insert("apiGroup".into(), json!(group));
                    }
                }
            }
        }
        _ => {}
    }
    // Go omits empty label and annotation maps.
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in ["labels", "annotations"] {
            if meta
                .get(f)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                meta.remove(f);
            }
        }
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn meta_causes(obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    for (field, is_label) in [("labels", true), ("annotations", false)] {
        let Some(m) = obj
            .get("metadata")
            .and_then(|m| m.get(field))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (k, v) in m {
            if let Some(e) = qualified_name_error(k) {
                causes.push(Cause::invalid(format!("metadata.{field}"), &json!(k), &e));
            }
            if is_label {
                if let Some(e) = label_value_error(v.as_str().unwrap_or("")) {
                    causes.push(Cause::invalid(format!("metadata.{field}"), v, &e));
                }
            }
        }
    }
    causes
}

/// Validates an object about to be stored (`old` on update). Empty means valid.
pub fn validate(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = meta_str(obj, "name");
    if name.is_empty() {
        causes.push(Cause::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if let Some(e) = name_error(rt, name) {
        causes.push(Cause::invalid("metadata.name", &json!(name), &e));
    }
    causes.extend(meta_causes(obj));
    match if rt.custom { "" } else { rt.kind } {
        "Secret" => validate_secret(obj, old, &mut causes),
        "Role" | "ClusterRole" => validate_rules(obj, rt.kind == "Role", &mut causes),
        "RoleBinding" | "ClusterRoleBinding" => {
            validate_binding(obj, old, rt.kind == "ClusterRoleBinding", &mut causes)
        }
        _ => {}
    }
    causes
}

fn validate_secret(obj: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or("Opaque");
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for k in data.keys() {
            let ok = !k.is_empty()
                && k.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if !ok || k == "." || k == ".." {
                causes.push(Cause::invalid(
                    format!("data[{k}]"),
                    &json!(k),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                ));
            }
        }
    }
    if ty == SA_TOKEN_TYPE
        && crate::util::annotation(obj, SA_NAME_ANNOTATION)
            .unwrap_or("")
            .is_empty()
    {
        causes.push(Cause::required(
            format!("metadata.annotations[{SA_NAME_ANNOTATION}]"),
            "",
        ));
    }
    if let Some(old) = old {
        let old_ty = old.get("type").and_then(Value::as_str).unwrap_or("Opaque");
        if old_ty != ty {
            causes.push(Cause::invalid("type", &json!(ty), "field is immutable"));
        }
        if old.get("immutable") == Some(&Value::Bool(true)) {
            if obj.get("data") != old.get("data") {
                causes.push(Cause::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                ));
            }
            if obj.get("immutable") != Some(&Value::Bool(true)) {
                causes.push(Cause::forbidden(
                    "immutable",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
    }
}

fn validate_rules(obj: &Value, namespaced: bool, causes: &mut Vec<Cause>) {
    let Some(rules) = obj.get("rules").and_then(Value::as_array) else {
        return;
    };
    for (i, rule) in rules.iter().enumerate() {
        let f = |x: &str| format!("rules[{i}].{x}");
        let verbs = str_list(rule.get("verbs"));
        let groups = rule.get("apiGroups").and_then(Value::as_array);
        let resources = str_list(rule.get("resources"));
        let urls = str_list(rule.get("nonResourceURLs"));
        if verbs.is_empty() {
            causes.push(Cause::required(
                f("verbs"),
                "verbs must contain at least one value",
            ));
        }
        if !urls.is_empty() {
            if namespaced {
                causes.push(Cause::invalid(
                    f("nonResourceURLs"),
                    &json!(urls),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if groups.is_some_and(|g| !g.is_empty()) || !resources.is_empty() {
                causes.push(Cause::invalid(
                    f("nonResourceURLs"),
                    &json!(urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if groups.is_none_or(|g| g.is_empty()) {
            causes.push(Cause::required(
                f("apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if resources.is_empty() {
            causes.push(Cause::required(
                f("resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
}

fn role_ref_go(v: Option<&Value>) -> String {
    let g = |k: &str| {
        v.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    format!(
        "rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}",
        g("apiGroup"),
        g("kind"),
        g("name")
    )
}

fn validate_binding(obj: &Value, old: Option<&Value>, cluster: bool, causes: &mut Vec<Cause>) {
    let role_ref = obj.get("roleRef");
    let rr = |k: &str| {
        role_ref
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if rr("apiGroup") != RBAC_GROUP {
        causes.push(Cause::not_supported(
            "roleRef.apiGroup",
            &json!(rr("apiGroup")),
            &[RBAC_GROUP],
        ));
    }
    let kind = rr("kind");
    if cluster && kind != "ClusterRole" {
        causes.push(Cause::not_supported(
            "roleRef.kind",
            &json!(kind),
            &["ClusterRole"],
        ));
    } else if !cluster && kind != "Role" && kind != "ClusterRole" {
        causes.push(Cause::not_supported(
            "roleRef.kind",
            &json!(kind),
            &["Role", "ClusterRole"],
        ));
    }
    if rr("name").is_empty() {
        causes.push(Cause::required("roleRef.name", ""));
    } else if let Some(e) = path_segment_error(&rr("name")) {
        causes.push(Cause::invalid("roleRef.name", &json!(rr("name")), &e));
    }
    if let Some(subjects) = obj.get("subjects").and_then(Value::as_array) {
        for (i, s) in subjects.iter().enumerate() {
            let f = |x: &str| format!("subjects[{i}].{x}");
            let get = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let name = get("name");
            if name.is_empty() {
                causes.push(Cause::required(f("name"), ""));
            }
            match get("kind").as_str() {
                "ServiceAccount" => {
                    if !get("apiGroup").is_empty() {
                        causes.push(Cause::not_supported(
                            f("apiGroup"),
                            &json!(get("apiGroup")),
                            &[""],
                        ));
                    }
                    if !name.is_empty() {
                        if let Some(e) = dns1123_subdomain_error(&name) {
                            causes.push(Cause::invalid(f("name"), &json!(name), &e));
                        }
                    }
                    if cluster && get("namespace").is_empty() {
                        causes.push(Cause::required(f("namespace"), ""));
                    }
                }
                "User" | "Group" => {
                    if get("apiGroup") != RBAC_GROUP {
                        causes.push(Cause::not_supported(
                            f("apiGroup"),
                            &json!(get("apiGroup")),
                            &[RBAC_GROUP],
                        ));
                    }
                }
                other => causes.push(Cause::not_supported(
                    f("kind"),
                    &json!(other),
                    &["ServiceAccount", "User", "Group"],
                )),
            }
        }
    }
    if let Some(old) = old {
        if old.get("roleRef") != role_ref {
            causes.push(Cause {
                reason: "FieldValueInvalid",
                field: "roleRef".into(),
                message: format!(
                    "Invalid value: {}: cannot change roleRef",
                    role_ref_go(role_ref)
                ),
            });
        }
    }
}

/// Whether a stored secret's data decodes (used by the token controller and authenticator).
pub fn secret_data(obj: &Value, key: &str) -> Option<Vec<u8>> {
    obj.get("data")
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
        .and_then(unb64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CLUSTER_ROLE_BINDINGS, NAMESPACES, ROLES, SECRETS, SERVICE_ACCOUNTS};

    #[test]
    fn names() {
        assert!(dns1123_subdomain_error("a.b-c").is_none());
        assert!(dns1123_subdomain_error("Bad_Name").is_some());
        assert!(dns1123_label_error("a.b").is_some());
        assert!(path_segment_error("system:admin").is_none());
        assert!(path_segment_error("a/b").is_some());
        let c = validate(
            &SERVICE_ACCOUNTS,
            &json!({"metadata": {"name": "Bad_Name"}}),
            None,
        );
        assert_eq!(c[0].field, "metadata.name");
        assert!(c[0]
            .message
            .starts_with("Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
        assert!(validate(&NAMESPACES, &json!({"metadata": {"name": "ok-ns"}}), None).is_empty());
    }

    #[test]
    fn secrets_and_defaults() {
        let mut s = json!({"metadata": {"name": "s"}, "stringData": {"a": "hi"}});
        apply_defaults(&SECRETS, &mut s);
        assert_eq!(s["data"]["a"], "aGk=");
        assert_eq!(s["type"], "Opaque");
        assert!(s.get("stringData").is_none());
        let tok = json!({"metadata": {"name": "t"}, "type": SA_TOKEN_TYPE});
        let c = validate(&SECRETS, &tok, None);
        assert_eq!(
            c[0].field,
            "metadata.annotations[kubernetes.io/service-account.name]"
        );
        let changed = json!({"metadata": {"name": "t"}, "type": "Opaque"});
        let c = validate(&SECRETS, &changed, Some(&json!({"type": "x"})));
        assert_eq!(
            c[0].message,
            "Invalid value: \"Opaque\": field is immutable"
        );
    }

    #[test]
    fn rbac() {
        let c = validate(
            &ROLES,
            &json!({"metadata": {"name": "r"}, "rules": [{"verbs": [], "resources": ["pods"]}]}),
            None,
        );
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["rules[0].verbs", "rules[0].apiGroups"]);
        let mut crb = json!({"metadata": {"name": "b"}, "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "x"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}, {"kind": "User", "name": "u"}]});
        apply_defaults(&CLUSTER_ROLE_BINDINGS, &mut crb);
        assert_eq!(crb["subjects"][1]["apiGroup"], RBAC_GROUP);
        let c = validate(&CLUSTER_ROLE_BINDINGS, &crb, None);
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["roleRef.kind", "subjects[0].namespace"]);
    }
}
