//! The contract the conformance tests check against: the facts of the official documents
//! (Harness's GitOps OpenAPI document, Argo CD's Application, AppProject and ApplicationSet
//! CRDs), extracted without their prose and committed under `contract/` at the repository root,
//! so that nothing in the build or the tests reads outside the checkout.
//!
//! What is kept: for the OpenAPI document, every path with its methods, `operationId`,
//! parameters (`name`, `in`, `required`, `schema`, `style`, `explode`), request bodies and
//! responses (their media types and schemas), and every component; for a CRD, its names,
//! scope and versions with their `openAPIV3Schema`. In a schema, the keywords that say what a
//! value is (`type`, `format`, `enum`, `properties`, `items`, `additionalProperties`, `$ref`,
//! `required`, `default`, the composition keywords, bounds and patterns, Kubernetes' structural
//! `x-kubernetes-*` markers and the rules of `x-kubernetes-validations`). What is dropped:
//! descriptions, titles, summaries, tags, examples, printer columns and validation messages.
//! Each drop is counted, so that a new keyword in a newer document shows up in the summary.
//!
//! The output is canonical ([`render`]): keys sorted, one-space indentation (the
//! ApplicationSet CRD nests 35 levels deep), a value on one line when its text is at most
//! [`WIDTH`] characters. [`check`] regenerates the contract from the
//! documents in memory and lists every difference with its path.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

/// One official document and the file of its contract.
pub struct Source {
    /// The document, relative to the directory given (e.g. `../shared`).
    pub document: &'static str,
    /// Its contract, relative to `contract/`.
    pub contract: &'static str,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An OpenAPI 3.0 document (JSON).
    OpenApi,
    /// A Kubernetes CustomResourceDefinition (YAML).
    Crd,
}

/// Every document the contract is made of.
pub const SOURCES: &[Source] = &[
    Source {
        document: "harness-gitops-openapi.json",
        contract: "harness-gitops-openapi.json",
        kind: Kind::OpenApi,
    },
    Source {
        document: "argocd/application-crd.yaml",
        contract: "argocd/application-crd.json",
        kind: Kind::Crd,
    },
    Source {
        document: "argocd/appproject-crd.yaml",
        contract: "argocd/appproject-crd.json",
        kind: Kind::Crd,
    },
    Source {
        document: "argocd/applicationset-crd.yaml",
        contract: "argocd/applicationset-crd.json",
        kind: Kind::Crd,
    },
];

/// The longest text of a value [`render`] writes on one line (indentation not counted).
pub const WIDTH: usize = 100;

/// Keywords dropped, counted by the kind of object they were in (`schema.description`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dropped(pub BTreeMap<String, usize>);

impl Dropped {
    fn add(&mut self, context: &str, key: &str) {
        *self.0.entry(format!("{context}.{key}")).or_default() += 1;
    }

    /// `schema.description ×504, ...`, or `nothing`.
    pub fn summary(&self) -> String {
        if self.0.is_empty() {
            return "nothing".into();
        }
        let parts: Vec<String> = self.0.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        parts.join(", ")
    }
}

type Result<T> = std::result::Result<T, String>;

// ---- schemas ------------------------------------------------------------------------------

/// Schema keywords whose value is kept as it is.
const SCHEMA_VALUES: &[&str] = &[
    "$ref",
    "type",
    "format",
    "enum",
    "required",
    "default",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "discriminator",
];

/// The fields of an `x-kubernetes-validations` rule that are facts (its `message` is prose).
const VALIDATION_RULE: &[&str] = &["rule", "fieldPath", "reason", "optionalOldSelf"];

/// A schema without its prose; `at` names it in errors.
pub fn schema(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "schema", dropped, |key, x, at, dropped| {
        Ok(match key {
            "properties" | "patternProperties" | "definitions" => {
                Some(each_entry(x, at, dropped, schema)?)
            }
            "items" if x.is_array() => Some(each_item(x, at, dropped, schema)?),
            "items" | "not" => Some(schema(x, at, dropped)?),
            "additionalProperties" if x.is_boolean() => Some(x.clone()),
            "additionalProperties" => Some(schema(x, at, dropped)?),
            "allOf" | "anyOf" | "oneOf" => Some(each_item(x, at, dropped, schema)?),
            "x-kubernetes-validations" => Some(each_item(x, at, dropped, |rule, at, dropped| {
                pick(
                    rule,
                    at,
                    "x-kubernetes-validations",
                    dropped,
                    |k, r, _, _| Ok(VALIDATION_RULE.contains(&k).then(|| r.clone())),
                )
            })?),
            k if SCHEMA_VALUES.contains(&k) || k.starts_with("x-kubernetes-") => Some(x.clone()),
            _ => None,
        })
    })
}

// ---- the OpenAPI document -----------------------------------------------------------------

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The contract of an OpenAPI 3.0 document.
pub fn openapi(doc: &Value, dropped: &mut Dropped) -> Result<Value> {
    let out = pick(doc, "", "document", dropped, |key, x, at, dropped| {
        Ok(match key {
            "openapi" => Some(x.clone()),
            "info" => Some(pick(x, at, "info", dropped, |k, v, _, _| {
                Ok(matches!(k, "title" | "version").then(|| v.clone()))
            })?),
            "paths" => Some(each_entry(x, at, dropped, path_item)?),
            "components" => Some(pick(x, at, "components", dropped, |k, v, at, dropped| {
                Ok(match k {
                    "schemas" => Some(each_entry(v, at, dropped, schema)?),
                    "requestBodies" => Some(each_entry(v, at, dropped, request_body)?),
                    "parameters" => Some(each_entry(v, at, dropped, parameter)?),
                    "responses" => Some(each_entry(v, at, dropped, response)?),
                    _ => None,
                })
            })?),
            _ => None,
        })
    })?;
    for needed in ["openapi", "paths"] {
        if out.get(needed).is_none() {
            return Err(format!("not an OpenAPI document: no `{needed}`"));
        }
    }
    Ok(out)
}

fn path_item(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "path", dropped, |key, x, at, dropped| {
        Ok(match key {
            m if METHODS.contains(&m) => Some(operation(x, at, dropped)?),
            "parameters" => Some(each_item(x, at, dropped, parameter)?),
            "$ref" => Some(x.clone()),
            _ => None,
        })
    })
}

fn operation(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "operation", dropped, |key, x, at, dropped| {
        Ok(match key {
            "operationId" | "deprecated" => Some(x.clone()),
            "parameters" => Some(each_item(x, at, dropped, parameter)?),
            "requestBody" => Some(request_body(x, at, dropped)?),
            "responses" => Some(each_entry(x, at, dropped, response)?),
            _ => None,
        })
    })
}

fn parameter(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "parameter", dropped, |key, x, at, dropped| {
        Ok(match key {
            "$ref" | "name" | "in" | "required" | "style" | "explode" | "deprecated"
            | "allowEmptyValue" | "allowReserved" => Some(x.clone()),
            "schema" => Some(schema(x, at, dropped)?),
            "content" => Some(content(x, at, dropped)?),
            _ => None,
        })
    })
}

fn request_body(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "requestBody", dropped, |key, x, at, dropped| {
        Ok(match key {
            "$ref" | "required" => Some(x.clone()),
            "content" => Some(content(x, at, dropped)?),
            _ => None,
        })
    })
}

fn response(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "response", dropped, |key, x, at, dropped| {
        Ok(match key {
            "$ref" => Some(x.clone()),
            "content" => Some(content(x, at, dropped)?),
            _ => None,
        })
    })
}

fn content(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    each_entry(v, at, dropped, |media, at, dropped| {
        pick(media, at, "mediaType", dropped, |key, x, at, dropped| {
            Ok(match key {
                "schema" => Some(schema(x, at, dropped)?),
                _ => None,
            })
        })
    })
}

// ---- CRDs -----------------------------------------------------------------------------------

/// The contract of a CustomResourceDefinition.
pub fn crd(doc: &Value, dropped: &mut Dropped) -> Result<Value> {
    if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
        return Err("not a CustomResourceDefinition (its `kind` says otherwise)".into());
    }
    pick(doc, "", "crd", dropped, |key, x, at, dropped| {
        Ok(match key {
            "apiVersion" | "kind" => Some(x.clone()),
            "metadata" => Some(pick(x, at, "metadata", dropped, |k, v, _, _| {
                Ok((k == "name").then(|| v.clone()))
            })?),
            "spec" => Some(pick(x, at, "crd.spec", dropped, |k, v, at, dropped| {
                Ok(match k {
                    "group" | "scope" | "names" | "conversion" | "preserveUnknownFields" => {
                        Some(v.clone())
                    }
                    "versions" => Some(each_item(v, at, dropped, crd_version)?),
                    _ => None,
                })
            })?),
            _ => None,
        })
    })
}

fn crd_version(v: &Value, at: &str, dropped: &mut Dropped) -> Result<Value> {
    pick(v, at, "version", dropped, |key, x, at, dropped| {
        Ok(match key {
            "name" | "served" | "storage" | "deprecated" | "subresources" => Some(x.clone()),
            "schema" => Some(pick(
                x,
                at,
                "version.schema",
                dropped,
                |k, s, at, dropped| {
                    Ok(match k {
                        "openAPIV3Schema" => Some(schema(s, at, dropped)?),
                        _ => None,
                    })
                },
            )?),
            _ => None,
        })
    })
}

// ---- walking --------------------------------------------------------------------------------

/// The path of `key` under `at`, as [`diff`] writes it.
pub fn join(at: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    match (at.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{at}.{key}"),
        (_, false) => format!("{at}[{}]", Value::String(key.to_string())),
    }
}

/// The entries of object `v` that `keep` returns a value for; the others are counted as
/// dropped under `context`.
fn pick(
    v: &Value,
    at: &str,
    context: &str,
    dropped: &mut Dropped,
    mut keep: impl FnMut(&str, &Value, &str, &mut Dropped) -> Result<Option<Value>>,
) -> Result<Value> {
    let Value::Object(m) = v else {
        return Err(format!(
            "{}: expected an object ({context}), found {}",
            display(at),
            kind_of(v)
        ));
    };
    let mut out = Map::new();
    for (k, x) in m {
        match keep(k, x, &join(at, k), dropped)? {
            Some(kept) => {
                out.insert(k.clone(), kept);
            }
            None => dropped.add(context, k),
        }
    }
    Ok(Value::Object(out))
}

/// Every value of object `v` through `f` (a map of names: paths, properties, components).
fn each_entry(
    v: &Value,
    at: &str,
    dropped: &mut Dropped,
    mut f: impl FnMut(&Value, &str, &mut Dropped) -> Result<Value>,
) -> Result<Value> {
    let Value::Object(m) = v else {
        return Err(format!(
            "{}: expected an object, found {}",
            display(at),
            kind_of(v)
        ));
    };
    let mut out = Map::new();
    for (k, x) in m {
        out.insert(k.clone(), f(x, &join(at, k), dropped)?);
    }
    Ok(Value::Object(out))
}

/// Every element of array `v` through `f`.
fn each_item(
    v: &Value,
    at: &str,
    dropped: &mut Dropped,
    mut f: impl FnMut(&Value, &str, &mut Dropped) -> Result<Value>,
) -> Result<Value> {
    let Value::Array(a) = v else {
        return Err(format!(
            "{}: expected an array, found {}",
            display(at),
            kind_of(v)
        ));
    };
    a.iter()
        .enumerate()
        .map(|(i, x)| f(x, &format!("{at}[{i}]"), dropped))
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn display(at: &str) -> &str {
    if at.is_empty() {
        "the document"
    } else {
        at
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---- canonical text ---------------------------------------------------------------------------

/// The canonical text of a contract: keys sorted, one-space indentation, a value on one line
/// when its text is at most [`WIDTH`] characters, a final newline.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, 0, &mut out);
    out.push('\n');
    out
}

/// `v` on one line, keys sorted.
fn inline(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}: {}", Value::String(k.clone()), inline(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// Writes `v`, its lines indented by `indent`.
fn write_value(v: &Value, indent: usize, out: &mut String) {
    let one = inline(v);
    let spread = match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if !spread || one.len() <= WIDTH {
        out.push_str(&one);
        return;
    }
    let inner = " ".repeat(indent + 1);
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                let key = Value::String((*k).clone()).to_string();
                out.push_str(&inner);
                out.push_str(&key);
                out.push_str(": ");
                write_value(&m[*k], indent + 1, out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        Value::Array(a) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&inner);
                write_value(x, indent + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        _ => unreachable!("scalars are written inline"),
    }
}

// ---- comparing ----------------------------------------------------------------------------------

/// Every difference between `committed` and `expected` (freshly extracted), one line each:
/// `path: ...`.
pub fn diff(at: &str, committed: &Value, expected: &Value, out: &mut Vec<String>) {
    match (committed, expected) {
        (Value::Object(c), Value::Object(e)) => {
            let mut keys: Vec<&String> = c.keys().chain(e.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let path = join(at, k);
                match (c.get(k), e.get(k)) {
                    (Some(x), Some(y)) => diff(&path, x, y, out),
                    (Some(x), None) => out.push(format!(
                        "{path}: in the contract ({}), not in the document",
                        short(x)
                    )),
                    (None, Some(y)) => out.push(format!(
                        "{path}: in the document ({}), not in the contract",
                        short(y)
                    )),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(c), Value::Array(e)) if c.len() == e.len() => {
            for (i, (x, y)) in c.iter().zip(e).enumerate() {
                diff(&format!("{at}[{i}]"), x, y, out);
            }
        }
        _ if committed != expected => out.push(format!(
            "{}: the contract has {}, the document {}",
            display(at),
            short(committed),
            short(expected)
        )),
        _ => {}
    }
}

fn short(v: &Value) -> String {
    let s = inline(v);
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

// ---- files ----------------------------------------------------------------------------------------

/// The contract of one document file.
pub fn extract_file(source: &Source, dir: &Path, dropped: &mut Dropped) -> Result<Value> {
    let path = dir.join(source.document);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: Value = match source.kind {
        Kind::OpenApi => serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?,
        Kind::Crd => serde_yaml_ng::from_str(&text)
            .map_err(|e| format!("{} is not YAML: {e}", path.display()))?,
    };
    match source.kind {
        Kind::OpenApi => openapi(&doc, dropped),
        Kind::Crd => crd(&doc, dropped),
    }
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// Extracts every document of `documents` and writes the contract under `contract`.
pub fn extract(documents: &Path, contract: &Path) -> Result<Dropped> {
    let mut dropped = Dropped::default();
    let mut texts = Vec::new();
    for source in SOURCES {
        let v = extract_file(source, documents, &mut dropped)?;
        texts.push((contract.join(source.contract), render(&v)));
    }
    for (path, text) in texts {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(dropped)
}

/// The differences between the committed contract under `contract` and the one extracted from
/// `documents`, each line naming the file and the path; empty when they agree byte for byte.
pub fn check(documents: &Path, contract: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut dropped = Dropped::default();
    for source in SOURCES {
        let expected = extract_file(source, documents, &mut dropped)?;
        let text = render(&expected);
        let path = contract.join(source.contract);
        let file = format!("contract/{}", source.contract);
        let committed = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                found.push(format!("{file}: cannot read it ({e})"));
                continue;
            }
        };
        if committed == text {
            continue;
        }
        let parsed: Value = match serde_json::from_str(&committed) {
            Ok(v) => v,
            Err(e) => {
                found.push(format!("{file}: not JSON ({e})"));
                continue;
            }
        };
        let mut lines = Vec::new();
        diff("", &parsed, &expected, &mut lines);
        if lines.is_empty() {
            found.push(format!(
                "{file}: same content, but not in the canonical form `extract` writes"
            ));
        }
        found.extend(lines.into_iter().map(|l| format!("{file}: {l}")));
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
