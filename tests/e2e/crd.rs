//! Holds application bodies against Argo CD's Application CRD (its committed contract,
//! `contract/argocd/application-crd.json`: the source of truth for field names and types,
//! extracted from the official CRD; see contract/README.md).
//!
//! The Harness API carries the protobuf-JSON form of the document, which differs from the
//! CRD's Kubernetes form in a few known places (the emulator's `tests/emulator/crd.rs`
//! pins them): int64 fields are strings (`revisionHistoryLimit`, `retry.limit`,
//! `backoff.factor`), plugin parameters wrap `array` and `map` in an object of the same name,
//! and a Kustomize patch `target` nests `resId.gvk` where the CRD is flat. A body is turned
//! into the CRD's form at those places, then validated: every key known to the schema,
//! every type right, every required field present.
//!
//! Also compiled into the provider's unit tests (`#[path]`), which check `to_api` directly.

use serde_json::{Map, Value as Json};

/// The CRD's `openAPIV3Schema` of the served version.
pub fn crd_schema() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contract/argocd/application-crd.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("the Argo CD CRD's contract is committed at {path}: {e} (see contract/README.md)")
    });
    let crd: Json = serde_json::from_str(&text).expect("the CRD's contract is JSON");
    assert_eq!(
        crd["spec"]["names"]["kind"], "Application",
        "an Application CRD"
    );
    let schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    assert!(
        schema["properties"]["spec"]["properties"]["sources"].is_object(),
        "the CRD's spec schema was found"
    );
    schema
}

/// The Kubernetes object metadata fields an application body may carry.
fn metadata_schema() -> Json {
    let strings = serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}});
    serde_json::json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": strings,
            "annotations": strings,
            "finalizers": {"type": "array", "items": {"type": "string"}},
        }
    })
}

/// An application body (`{"metadata": ..., "spec": ...}`, document form) in the CRD's form.
pub fn to_crd_form(app: &Json) -> Json {
    fn int(v: &mut Json) {
        if let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok()) {
            *v = Json::from(n);
        }
    }
    fn source(s: &mut Json) {
        if let Some(params) = s
            .pointer_mut("/plugin/parameters")
            .and_then(Json::as_array_mut)
        {
            for p in params {
                for k in ["array", "map"] {
                    if let Some(inner) = p.get(k).and_then(|w| w.get(k)).cloned() {
                        p[k] = inner;
                    }
                }
            }
        }
        if let Some(patches) = s
            .pointer_mut("/kustomize/patches")
            .and_then(Json::as_array_mut)
        {
            for p in patches {
                let Some(t) = p.get("target").and_then(Json::as_object).cloned() else {
                    continue;
                };
                let mut flat = Map::new();
                for (k, v) in &t {
                    if k != "resId" {
                        flat.insert(k.clone(), v.clone());
                    }
                }
                if let Some(id) = t.get("resId").and_then(Json::as_object) {
                    for (k, v) in id {
                        match (k.as_str(), v.as_object()) {
                            ("gvk", Some(gvk)) => flat.extend(gvk.clone()),
                            _ => {
                                flat.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
                p["target"] = Json::Object(flat);
            }
        }
    }
    let mut out = app.clone();
    if let Some(spec) = out.get_mut("spec") {
        if let Some(v) = spec.get_mut("revisionHistoryLimit") {
            int(v);
        }
        if let Some(v) = spec.pointer_mut("/syncPolicy/retry/limit") {
            int(v);
        }
        if let Some(v) = spec.pointer_mut("/syncPolicy/retry/backoff/factor") {
            int(v);
        }
        if let Some(s) = spec.get_mut("source") {
            source(s);
        }
        if let Some(list) = spec.get_mut("sources").and_then(Json::as_array_mut) {
            list.iter_mut().for_each(source);
        }
    }
    out
}

/// What is wrong with an application body (document form) by the CRD; empty when nothing.
/// Checks `metadata` and `spec`; the body may hold nothing else.
pub fn violations(schema: &Json, app: &Json) -> Vec<String> {
    let crd = to_crd_form(app);
    let mut out = Vec::new();
    let Some(obj) = crd.as_object() else {
        return vec!["the application is not an object".into()];
    };
    for k in obj.keys() {
        if k != "metadata" && k != "spec" {
            out.push(format!("{k}: a client does not send this"));
        }
    }
    check(&metadata_schema(), &crd["metadata"], "metadata", &mut out);
    check(
        &schema["properties"]["spec"],
        &crd["spec"],
        "spec",
        &mut out,
    );
    out
}

fn type_ok(ty: &str, v: &Json) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.as_i64().is_some(),
        "number" => v.is_number(),
        _ => false,
    }
}

fn check(schema: &Json, v: &Json, path: &str, out: &mut Vec<String>) {
    if v.is_null() {
        out.push(format!("{path}: null (a body leaves an unset field out)"));
        return;
    }
    if let Some(any) = schema.get("anyOf").and_then(Json::as_array) {
        if !any.iter().any(|s| {
            let mut o = Vec::new();
            check(s, v, path, &mut o);
            o.is_empty()
        }) {
            out.push(format!(
                "{path}: {v} matches none of {}",
                Json::Array(any.clone())
            ));
        }
        return;
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true))
        && !(v.is_string() || v.as_i64().is_some())
    {
        out.push(format!("{path}: {v} is neither an integer nor a string"));
        return;
    }
    if let Some(ty) = schema.get("type").and_then(Json::as_str) {
        if !type_ok(ty, v) {
            out.push(format!("{path}: {v} is not of type {ty}"));
            return;
        }
    }
    if let Some(items) = v.as_array() {
        for (i, x) in items.iter().enumerate() {
            check(&schema["items"], x, &format!("{path}[{i}]"), out);
        }
        return;
    }
    let Some(m) = v.as_object() else { return };
    for r in schema
        .get("required")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
    {
        if !m.contains_key(r) {
            out.push(format!("{path}.{r}: required by the CRD, missing"));
        }
    }
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true)) {
        return;
    }
    let props = schema.get("properties").and_then(Json::as_object);
    let extra = schema.get("additionalProperties").filter(|a| a.is_object());
    for (k, x) in m {
        let child = format!("{path}.{k}");
        match (props.and_then(|p| p.get(k)), extra) {
            (Some(s), _) => check(s, x, &child, out),
            (None, Some(s)) => check(s, x, &child, out),
            (None, None) => out.push(format!("{child}: not a field of the CRD")),
        }
    }
}
