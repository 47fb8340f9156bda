//! Argo CD's Application CRD (`shared/argocd/application-crd.yaml`) against the Harness
//! GitOps OpenAPI document, where the emulator follows the document (the conformance tests
//! pin the emulator's table to the document). Every difference between the two is listed
//! here and in the crate docs ("Where the document and Argo CD's CRD differ"); a new one
//! (a newer CRD or document) fails this test until it is looked at and documented.

mod emulator_support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use emulator_support::contract;
use serde_json::{Map, Value};

// ---- a reader for the block YAML that controller-gen writes --------------------------

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Parses block-style YAML (mappings, sequences, plain and quoted scalars, `|`/`>` block
/// scalars, continuation lines) into JSON; scalars stay strings. Enough for a CRD.
fn parse_yaml(src: &str) -> Value {
    let lines: Vec<Line> = src
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter(|l| *l != "---")
        .map(|l| Line {
            indent: l.len() - l.trim_start().len(),
            text: l.trim(),
        })
        .collect();
    let mut i = 0;
    block(&lines, &mut i, 0)
}

fn block(lines: &[Line], i: &mut usize, indent: usize) -> Value {
    if lines[*i].text.starts_with('-') {
        seq(lines, i, indent)
    } else {
        map(lines, i, indent, None)
    }
}

fn scalar(s: &str) -> Value {
    let t = s.trim();
    let unquoted = t
        .strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .unwrap_or(t);
    Value::String(unquoted.to_string())
}

/// Skips continuation lines (more indented than `indent`).
fn skip_deeper(lines: &[Line], i: &mut usize, indent: usize) {
    while *i < lines.len() && lines[*i].indent > indent {
        *i += 1;
    }
}

/// A mapping at `indent`; `first` is the text of a first entry that followed `- `.
fn map(lines: &[Line], i: &mut usize, indent: usize, first: Option<&str>) -> Value {
    let mut out = Map::new();
    let mut pending = first;
    loop {
        let text = match pending.take() {
            Some(t) => t,
            None => {
                if *i >= lines.len()
                    || lines[*i].indent != indent
                    || lines[*i].text.starts_with("- ")
                    || lines[*i].text == "-"
                {
                    break;
                }
                let t = lines[*i].text;
                *i += 1;
                t
            }
        };
        let (key, rest) = match text.split_once(": ") {
            Some((k, r)) => (k, r.trim()),
            None => (text.trim_end_matches(':'), ""),
        };
        let key = scalar(key).as_str().unwrap_or_default().to_string();
        let value = if rest.is_empty() {
            let nested = *i < lines.len()
                && (lines[*i].indent > indent
                    || (lines[*i].indent == indent && lines[*i].text.starts_with('-')));
            if nested {
                let child = lines[*i].indent;
                block(lines, i, child)
            } else {
                Value::Null
            }
        } else if rest.starts_with('|') || rest.starts_with('>') {
            skip_deeper(lines, i, indent);
            Value::String(String::new())
        } else {
            skip_deeper(lines, i, indent);
            scalar(rest)
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

fn seq(lines: &[Line], i: &mut usize, indent: usize) -> Value {
    let mut out = Vec::new();
    while *i < lines.len() && lines[*i].indent == indent && lines[*i].text.starts_with('-') {
        let rest = lines[*i].text[1..].trim_start();
        *i += 1;
        if rest.is_empty() {
            let child = lines[*i].indent;
            out.push(block(lines, i, child));
        } else if rest.contains(": ") || rest.ends_with(':') {
            out.push(map(lines, i, indent + 2, Some(rest)));
        } else {
            skip_deeper(lines, i, indent);
            out.push(scalar(rest));
        }
    }
    Value::Array(out)
}

// ---- the comparison ------------------------------------------------------------------

/// Compares a CRD schema node with the document's schema, collecting
/// `schema.field: what` lines.
fn compare(crd: &Value, doc: &Value, name: &str, out: &mut BTreeSet<String>, depth: usize) {
    assert!(depth < 40, "schema nesting deeper than 40 at {name}");
    let schemas = &contract().doc["components"]["schemas"];
    let (doc, name) = match doc.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let n = r.rsplit('/').next().unwrap_or_default();
            (&schemas[n], n.to_string())
        }
        None => (doc, name.to_string()),
    };
    if crd["type"] == "array" {
        compare(&crd["items"], &doc["items"], &name, out, depth + 1);
        return;
    }
    let (Some(cp), Some(dp)) = (
        crd.get("properties").and_then(Value::as_object),
        doc.get("properties").and_then(Value::as_object),
    ) else {
        return;
    };
    for k in cp.keys().filter(|k| !dp.contains_key(*k)) {
        out.insert(format!("{name}.{k}: only in the CRD"));
    }
    for k in dp.keys().filter(|k| !cp.contains_key(*k)) {
        out.insert(format!("{name}.{k}: only in the document"));
    }
    for (k, c) in cp {
        let Some(d) = dp.get(k) else { continue };
        let ct = c["type"].as_str().unwrap_or("");
        let resolved = match d.get("$ref").and_then(Value::as_str) {
            Some(r) => &schemas[r.rsplit('/').next().unwrap_or_default()],
            None => d,
        };
        let dt = resolved["type"].as_str().unwrap_or("");
        let df = resolved["format"].as_str().unwrap_or("");
        let note = match (ct, c["format"].as_str().unwrap_or(""), dt, df) {
            ("integer", _, "string", "int64") => {
                Some("integer in the CRD, int64 string in the document")
            }
            ("string", "date-time", "object", _) if d.get("$ref").is_some() => {
                Some("RFC 3339 string in the CRD, v1Time object in the document")
            }
            ("array", _, "object", _) => {
                Some("array in the CRD, wrapped in an object in the document")
            }
            ("object", _, "object", _)
                if c.get("additionalProperties").is_some()
                    && resolved.get("properties").is_some() =>
            {
                Some("map in the CRD, wrapped in an object in the document")
            }
            ("object", _, "object", _) | ("", _, _, _) => None,
            (a, _, b, _) if a != b => {
                out.insert(format!("{name}.{k}: {a} in the CRD, {b} in the document"));
                None
            }
            _ => None,
        };
        if let Some(n) = note {
            out.insert(format!("{name}.{k}: {n}"));
            continue;
        }
        compare(c, d, &format!("{name}.{k}"), out, depth + 1);
    }
}

/// The differences, as the crate docs list them.
const KNOWN: &[&str] = &[
    "applicationsApplicationSource.ksonnet: only in the document",
    "applicationsApplicationSource.tagPrefix: only in the CRD",
    "applicationsApplicationSourceDirectory.disableExtensionFilter: only in the CRD",
    "applicationsApplicationSourceKustomize.commonAnnotationsEnvsubst: only in the CRD",
    "applicationsApplicationSourceKustomize.ignoreMissingComponents: only in the CRD",
    "applicationsApplicationSourceKustomize.labelIncludeTemplates: only in the CRD",
    "applicationsApplicationSourcePluginParameter.array: array in the CRD, wrapped in an object in the document",
    "applicationsApplicationSourcePluginParameter.map: map in the CRD, wrapped in an object in the document",
    "applicationsApplicationSpec.revisionHistoryLimit: integer in the CRD, int64 string in the document",
    "applicationsApplicationSpec.sourceHydrator: only in the CRD",
    "applicationsApplicationStatus.observedAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsApplicationStatus.reconciledAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsApplicationStatus.sourceHydrator: only in the CRD",
    "applicationsApplicationSummary.isAppOfApps: only in the CRD",
    "applicationsApplicationCondition.lastTransitionTime: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsApplicationCondition.lastTransitionTimeTs: only in the document",
    "applicationsBackoff.factor: integer in the CRD, int64 string in the document",
    "applicationsHealthStatus.lastTransitionTime: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsKustomizeSelector.group: only in the CRD",
    "applicationsKustomizeSelector.kind: only in the CRD",
    "applicationsKustomizeSelector.name: only in the CRD",
    "applicationsKustomizeSelector.namespace: only in the CRD",
    "applicationsKustomizeSelector.resId: only in the document",
    "applicationsKustomizeSelector.version: only in the CRD",
    "applicationsOperationState.finishedAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsOperationState.finishedAtTs: only in the document",
    "applicationsOperationState.retryCount: integer in the CRD, int64 string in the document",
    "applicationsOperationState.startedAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsOperationState.startedAtTs: only in the document",
    "applicationsResourceResult.images: only in the CRD",
    "applicationsResourceStatus.syncWave: integer in the CRD, int64 string in the document",
    "applicationsRetryStrategy.limit: integer in the CRD, int64 string in the document",
    "applicationsRetryStrategy.refresh: only in the CRD",
    "applicationsRevisionHistory.deployStartedAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsRevisionHistory.deployStartedAtTs: only in the document",
    "applicationsRevisionHistory.deployedAt: RFC 3339 string in the CRD, v1Time object in the document",
    "applicationsRevisionHistory.deployedAtTs: only in the document",
    "applicationsRevisionHistory.id: integer in the CRD, int64 string in the document",
    "applicationsSyncOperation.autoHealAttemptsCount: integer in the CRD, int64 string in the document",
    "applicationsSyncPolicyAutomated.enabled: only in the CRD",
];

#[test]
fn the_crd_and_the_document_differ_only_where_documented() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/argocd/application-crd.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the CRD is needed at {} ({e})", path.display()));
    let crd = parse_yaml(&text);
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(
        crd["spec"]["names"]["kind"], "Application",
        "the reader found the CRD's names"
    );
    let props = &schema["properties"];
    assert!(
        props["spec"]["properties"]["syncPolicy"]["properties"]["automated"].is_object(),
        "the reader found nested properties"
    );
    let mut found = BTreeSet::new();
    for (part, name) in [
        ("spec", "applicationsApplicationSpec"),
        ("status", "applicationsApplicationStatus"),
        ("operation", "applicationsOperation"),
    ] {
        let doc = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
        compare(&props[part], &doc, name, &mut found, 0);
    }
    let known: BTreeSet<String> = KNOWN.iter().map(|s| s.to_string()).collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "the CRD/document differences changed; document them in the crate docs and here.\n\
         new: {new:#?}\nno longer found: {gone:#?}"
    );
}
