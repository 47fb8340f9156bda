//! Argo CD's Application CRD against the Harness GitOps OpenAPI document (both as their
//! committed contracts, `contract/argocd/application-crd.json` and
//! `contract/harness-gitops-openapi.json`: see contract/README.md), where the emulator follows the document (the conformance tests
//! pin the emulator's table to the document). Every difference between the two is listed
//! here and in the crate docs ("Where the document and Argo CD's CRD differ"); a new one
//! (a newer CRD or document) fails this test until it is looked at and documented.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::emulator_support::contract;
use serde_json::Value;

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
        .join("../../contract/argocd/application-crd.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the CRD's contract is committed at {} ({e}): see contract/README.md",
            path.display()
        )
    });
    let crd: Value = serde_json::from_str(&text).expect("the CRD's contract is JSON");
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(
        crd["spec"]["names"]["kind"], "Application",
        "the CRD's names"
    );
    let props = &schema["properties"];
    assert!(
        props["spec"]["properties"]["syncPolicy"]["properties"]["automated"].is_object(),
        "the CRD's nested properties"
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
