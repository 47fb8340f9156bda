//! CustomResourceDefinitions (`apiextensions.k8s.io/v1`): validation of their basic shape
//! with the API server's field paths and messages, the status the API server gives an
//! accepted definition (`NamesAccepted`, `Established`), and the resource types a stored
//! definition registers (one per served version).
//!
//! Not checked or not used: `spec.versions[*].schema` (custom resources are stored as sent,
//! no pruning, no defaulting, no validation beyond object metadata), `conversion` (every
//! served version reads and writes the same objects, which keep the `apiVersion` they were
//! written with), `additionalPrinterColumns` (tables show Name and Age), `categories`.

use serde_json::{json, Value};

use crate::resources::{self, CustomType, ResourceType};
use crate::status::Cause;
use crate::util::meta_str;
use crate::validate::{dns1123_label_error, dns1123_subdomain_error};

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or("")
}

fn versions(crd: &Value) -> &[Value] {
    crd["spec"]["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The types a definition serves: one per version with `served: true`.
pub fn served_types(crd: &Value) -> Vec<&'static ResourceType> {
    let names = &crd["spec"]["names"];
    let short: Vec<String> = names["shortNames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let plural = s(names, &["plural"]);
    let singular = match s(names, &["singular"]) {
        "" => s(names, &["kind"]).to_ascii_lowercase(),
        x => x.to_owned(),
    };
    versions(crd)
        .iter()
        .filter(|v| v["served"].as_bool() == Some(true))
        .map(|v| {
            resources::intern_custom(&CustomType {
                group: s(crd, &["spec", "group"]),
                version: s(v, &["name"]),
                plural,
                singular: &singular,
                kind: s(names, &["kind"]),
                namespaced: s(crd, &["spec", "scope"]) == "Namespaced",
                short_names: &short,
                status_subresource: v["subresources"]["status"].is_object(),
            })
        })
        .collect()
}

/// Defaults: `names.singular` (the kind in lower case), `names.listKind`
/// (`<Kind>List`), `conversion.strategy: None`.
pub fn apply_defaults(crd: &mut Value) {
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if !kind.is_empty() {
            if names
                .get("singular")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                names.insert("singular".into(), json!(kind.to_ascii_lowercase()));
            }
            if names
                .get("listKind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                names.insert("listKind".into(), json!(format!("{kind}List")));
            }
        }
    }
    if !spec.contains_key("conversion") {
        spec.insert("conversion".into(), json!({"strategy": "None"}));
    }
}

/// The status of an accepted definition (`status` is the API server's to write; the
/// emulator's establishing controller is synchronous).
pub fn set_status(crd: &mut Value) {
    let names = crd["spec"]["names"].clone();
    let stored: Vec<Value> = versions(crd)
        .iter()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .map(|v| v["name"].clone())
        .collect();
    let prior: Vec<Value> = crd["status"]["storedVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut stored_versions = prior;
    for v in stored {
        if !stored_versions.contains(&v) {
            stored_versions.push(v);
        }
    }
    let now = crate::util::now_rfc3339();
    let cond = |ty: &str, reason: &str, message: &str| json!({"type": ty, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
    crd["status"] = json!({
        "conditions": [
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": names,
        "storedVersions": stored_versions,
    });
}

fn names_causes(names: &Value, causes: &mut Vec<Cause>) {
    let path = "spec.names";
    let plural = s(names, &["plural"]);
    if plural.is_empty() {
        causes.push(Cause::required(format!("{path}.plural"), ""));
    } else if let Some(e) = dns1123_label_error(plural) {
        causes.push(Cause::invalid(format!("{path}.plural"), &json!(plural), &e));
    }
    let singular = s(names, &["singular"]);
    if !singular.is_empty() {
        if let Some(e) = dns1123_label_error(singular) {
            causes.push(Cause::invalid(
                format!("{path}.singular"),
                &json!(singular),
                &e,
            ));
        }
    }
    let kind = s(names, &["kind"]);
    if kind.is_empty() {
        causes.push(Cause::required(format!("{path}.kind"), ""));
    } else if kind.contains(|c: char| !c.is_ascii_alphanumeric()) {
        causes.push(Cause::invalid(
            format!("{path}.kind"),
            &json!(kind),
            "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?",
        ));
    }
    let list_kind = s(names, &["listKind"]);
    if !list_kind.is_empty() && list_kind == kind {
        causes.push(Cause::invalid(
            format!("{path}.listKind"),
            &json!(list_kind),
            "kind and listKind may not be the same",
        ));
    }
    if let Some(short) = names["shortNames"].as_array() {
        for (i, v) in short.iter().enumerate() {
            let sn = v.as_str().unwrap_or("");
            if let Some(e) = dns1123_label_error(sn) {
                causes.push(Cause::invalid(format!("{path}.shortNames[{i}]"), v, &e));
            }
        }
    }
}

/// Validates a definition about to be stored (`old` on update), as
/// `ValidateCustomResourceDefinition` does for the fields the emulator uses.
pub fn validate(crd: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let spec = &crd["spec"];
    let group = s(spec, &["group"]);
    let plural = s(spec, &["names", "plural"]);
    let name = meta_str(crd, "name");
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(Cause::invalid(
            "metadata.name",
            &json!(name),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    if group.is_empty() {
        causes.push(Cause::required("spec.group", ""));
    } else if let Some(e) = dns1123_subdomain_error(group) {
        causes.push(Cause::invalid("spec.group", &json!(group), &e));
    } else if group.split('.').count() < 2 {
        causes.push(Cause::invalid(
            "spec.group",
            &json!(group),
            "should be a domain with at least one dot",
        ));
    }
    let scope = s(spec, &["scope"]);
    match scope {
        "Cluster" | "Namespaced" => {}
        "" => causes.push(Cause::required("spec.scope", "")),
        other => causes.push(Cause::not_supported(
            "spec.scope",
            &json!(other),
            &["Cluster", "Namespaced"],
        )),
    }
    names_causes(&spec["names"], &mut causes);
    let versions = versions(crd);
    if versions.is_empty() {
        causes.push(Cause::invalid(
            "spec.versions",
            &json!("null"),
            "must have exactly one version marked as storage version",
        ));
    }
    let mut storage = 0;
    let mut seen: Vec<&str> = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let path = format!("spec.versions[{i}]");
        let vname = s(v, &["name"]);
        if vname.is_empty() {
            causes.push(Cause::required(format!("{path}.name"), ""));
        } else if let Some(e) = dns1123_label_error(vname) {
            causes.push(Cause::invalid(format!("{path}.name"), &json!(vname), &e));
        } else if seen.contains(&vname) {
            causes.push(Cause {
                reason: "FieldValueDuplicate",
                field: format!("{path}.name"),
                message: format!("Duplicate value: {vname:?}"),
            });
        }
        seen.push(vname);
        if v["storage"].as_bool() == Some(true) {
            storage += 1;
        }
    }
    if !versions.is_empty() && storage != 1 {
        causes.push(Cause::invalid(
            "spec.versions",
            &crd["spec"]["versions"],
            "must have exactly one version marked as storage version",
        ));
    }
    if !versions.is_empty() && !versions.iter().any(|v| v["served"].as_bool() == Some(true)) {
        causes.push(Cause::invalid(
            "spec.versions",
            &crd["spec"]["versions"],
            "must have at least one version marked as served",
        ));
    }
    if let Some(old) = old {
        for (field, path) in [
            ("spec.group", &["spec", "group"][..]),
            ("spec.names.plural", &["spec", "names", "plural"][..]),
        ] {
            if s(old, path) != s(crd, path) {
                causes.push(Cause::invalid(
                    field,
                    &json!(s(crd, path)),
                    "field is immutable",
                ));
            }
        }
        if s(old, &["spec", "scope"]) != scope {
            causes.push(Cause::invalid(
                "spec.scope",
                &json!(scope),
                "field is immutable",
            ));
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({"metadata": {"name": "widgets.example.com"}, "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": true, "storage": true}]}})
    }

    #[test]
    fn valid_definition_registers_its_types() {
        let mut c = crd();
        apply_defaults(&mut c);
        assert!(validate(&c, None).is_empty());
        let types = served_types(&c);
        assert_eq!(types.len(), 1);
        assert_eq!(
            (
                types[0].resource,
                types[0].kind,
                types[0].singular,
                types[0].namespaced
            ),
            ("widgets", "Widget", "widget", true)
        );
        // Identical registrations share one type.
        assert!(std::ptr::eq(types[0], served_types(&c)[0]));
    }

    #[test]
    fn invalid_definitions() {
        let mut c = crd();
        c["metadata"]["name"] = json!("gadgets.example.com");
        c["spec"]["scope"] = json!("Global");
        c["spec"]["versions"] = json!([{"name": "v1", "served": true, "storage": false}]);
        let msgs: Vec<String> = validate(&c, None)
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(msgs[0], "metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group");
        assert_eq!(msgs[1], "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"");
        assert!(
            msgs[2].starts_with("spec.versions: Invalid value: ")
                && msgs[2].ends_with("must have exactly one version marked as storage version"),
            "{msgs:?}"
        );
        assert_eq!(msgs.len(), 3);
    }
}
