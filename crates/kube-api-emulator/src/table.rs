//! Server-side printing: `meta.k8s.io/v1` `Table` responses (what `kubectl get` asks for),
//! with the columns the API server prints for each served kind.

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::resources::ResourceType;
use crate::util::{human_duration, meta_str, parse_rfc3339};

/// Whether an `Accept` header asks for a Table (before any plain JSON range).
pub fn wants_table(accept: &str) -> bool {
    for range in accept.split(',') {
        let params: Vec<&str> = range.split(';').map(str::trim).collect();
        let media = params.first().copied().unwrap_or("");
        if media == "application/json"
            && params.contains(&"as=Table")
            && params.contains(&"g=meta.k8s.io")
            && (params.contains(&"v=v1") || params.contains(&"v=v1beta1"))
        {
            return true;
        }
        if media == "application/json" || media == "*/*" {
            return false;
        }
    }
    false
}

pub const CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

fn col(name: &str, ty: &str, format: &str, desc: &str, priority: u8) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": desc, "priority": priority})
}

fn columns(rt: &ResourceType) -> Vec<Value> {
    let name = col(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace.",
        0,
    );
    let age = col("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0);
    match if rt.custom { "" } else { rt.kind } {
        "Namespace" => vec![name, col("Status", "string", "", "The status of the namespace", 0), age],
        "ServiceAccount" => vec![name, col("Secrets", "string", "", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", 0), age],
        "Secret" => vec![
            name,
            col("Type", "string", "", "The type of the secret", 0),
            col("Data", "string", "", "The number of entries in the data", 0),
            age,
        ],
        "Role" | "ClusterRole" => vec![name, col("Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0)],
        "RoleBinding" | "ClusterRoleBinding" => vec![
            name,
            col("Role", "string", "", "Role reference", 0),
            age,
            col("Users", "string", "", "Users in the roleBinding", 1),
            col("Groups", "string", "", "Groups in the roleBinding", 1),
            col("ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1),
        ],
        "ConfigMap" => vec![name, col("Data", "string", "", "The number of entries in the data", 0), age],
        "Pod" => vec![
            name,
            col("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0),
            col("Status", "string", "", "The aggregate status of the containers in this pod.", 0),
            col("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
            age,
        ],
        "Deployment" => vec![
            name,
            col("Ready", "string", "", "Number of the pod with ready state", 0),
            col("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0),
            col("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
            age,
        ],
        _ => vec![name, age],
    }
}

fn age(obj: &Value, now: OffsetDateTime) -> String {
    match parse_rfc3339(meta_str(obj, "creationTimestamp")) {
        Some(t) => human_duration((now - t).whole_seconds()),
        None => "<unknown>".into(),
    }
}

fn cells(rt: &ResourceType, obj: &Value, now: OffsetDateTime) -> Vec<Value> {
    let name = json!(meta_str(obj, "name"));
    match if rt.custom { "" } else { rt.kind } {
        "Namespace" => vec![
            name,
            json!(obj["status"]["phase"].as_str().unwrap_or("")),
            json!(age(obj, now)),
        ],
        "ServiceAccount" => vec![
            name,
            json!(obj["secrets"].as_array().map(Vec::len).unwrap_or(0)),
            json!(age(obj, now)),
        ],
        "Secret" => vec![
            name,
            json!(obj["type"].as_str().unwrap_or("")),
            json!(obj["data"].as_object().map(|m| m.len()).unwrap_or(0)),
            json!(age(obj, now)),
        ],
        "Role" | "ClusterRole" => vec![name, json!(meta_str(obj, "creationTimestamp"))],
        "RoleBinding" | "ClusterRoleBinding" => {
            let subjects = obj["subjects"].as_array().cloned().unwrap_or_default();
            let pick = |kind: &str| {
                subjects
                    .iter()
                    .filter(|s| s["kind"] == kind)
                    .map(|s| {
                        let n = s["name"].as_str().unwrap_or("");
                        if kind == "ServiceAccount" {
                            format!("{}/{n}", s["namespace"].as_str().unwrap_or(""))
                        } else {
                            n.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    obj["roleRef"]["kind"].as_str().unwrap_or(""),
                    obj["roleRef"]["name"].as_str().unwrap_or("")
                )),
                json!(age(obj, now)),
                json!(pick("User")),
                json!(pick("Group")),
                json!(pick("ServiceAccount")),
            ]
        }
        "ConfigMap" => vec![
            name,
            json!(
                obj["data"].as_object().map(|m| m.len()).unwrap_or(0)
                    + obj["binaryData"].as_object().map(|m| m.len()).unwrap_or(0)
            ),
            json!(age(obj, now)),
        ],
        "Pod" => {
            let cs = obj["status"]["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = cs.iter().filter(|c| c["ready"] == true).count();
            let total = obj["spec"]["containers"]
                .as_array()
                .map(|c| c.len())
                .unwrap_or(cs.len());
            let waiting = cs
                .iter()
                .find_map(|c| c["state"]["waiting"]["reason"].as_str());
            let status = waiting
                .or_else(|| obj["status"]["phase"].as_str())
                .unwrap_or("Pending");
            let restarts: i64 = cs.iter().filter_map(|c| c["restartCount"].as_i64()).sum();
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts),
                json!(age(obj, now)),
            ]
        }
        "Deployment" => {
            let n = |k: &str| obj["status"][k].as_i64().unwrap_or(0);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    n("readyReplicas"),
                    obj["spec"]["replicas"].as_i64().unwrap_or(0)
                )),
                json!(n("updatedReplicas")),
                json!(n("availableReplicas")),
                json!(age(obj, now)),
            ]
        }
        _ => vec![name, json!(age(obj, now))],
    }
}

/// A Table of `objects`; `include_object` is the `includeObject` query parameter
/// (`None`, `Object`, default `PartialObjectMetadata`).
pub fn render(
    rt: &ResourceType,
    objects: &[Value],
    list_meta: Value,
    include_object: &str,
) -> Value {
    let now = OffsetDateTime::now_utc();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let object = match include_object {
                "None" => Value::Null,
                "Object" => o.clone(),
                _ => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o.get("metadata").cloned().unwrap_or(json!({}))
                }),
            };
            let mut row = json!({"cells": cells(rt, o, now)});
            if !object.is_null() {
                row["object"] = object;
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns(rt),
        "rows": rows
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::CLUSTER_ROLE_BINDINGS;

    #[test]
    fn negotiation_and_rows() {
        assert!(wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
        assert!(!wants_table("application/json"));
        let crb = json!({"metadata": {"name": "b", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}, {"kind": "User", "name": "u"}]});
        let t = render(&CLUSTER_ROLE_BINDINGS, &[crb], json!({}), "");
        assert_eq!(t["rows"][0]["cells"][1], "ClusterRole/view");
        assert_eq!(t["rows"][0]["cells"][5], "ns/sa");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }
}
