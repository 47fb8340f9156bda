//! The built-in kinds whose fields the emulator does not schema-check (ConfigMap, Service,
//! apps/v1 Deployment, StatefulSet, DaemonSet): their defaults, the few validations the
//! API server would certainly apply, and the status their controllers would write.
//!
//! Workload status is written by the emulator on every write of the main resource, as if
//! every pod were scheduled and ready at once: a Deployment or StatefulSet reports
//! `spec.replicas` (default 1) replicas ready, updated and available, with
//! `observedGeneration` the current generation; a DaemonSet reports one node (one pod
//! scheduled and ready). Writes through `/status` are stored as sent and last until the
//! next write of the main resource. A Service gets a `clusterIP` from 10.96.0.0/16 (kept on
//! updates) unless it asks for `None`.

use serde_json::{json, Map, Value};

use crate::resources::ResourceType;
use crate::status::Cause;
use crate::util::meta_str;

fn set_default(m: &mut Map<String, Value>, k: &str, v: Value) {
    if m.get(k).is_none_or(Value::is_null) {
        m.insert(k.into(), v);
    }
}

/// Defaults of the kinds above; `old` is the stored object on an update.
pub fn apply_defaults(rt: &ResourceType, obj: &mut Value, old: Option<&Value>) {
    if rt.custom {
        return;
    }
    match rt.kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            let kind = rt.kind;
            let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
                return;
            };
            if kind != "DaemonSet" {
                set_default(spec, "replicas", json!(1));
            }
            set_default(spec, "revisionHistoryLimit", json!(10));
            match kind {
                "Deployment" => {
                    set_default(spec, "progressDeadlineSeconds", json!(600));
                    set_default(
                        spec,
                        "strategy",
                        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                    );
                }
                "StatefulSet" => {
                    set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                    set_default(
                        spec,
                        "updateStrategy",
                        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                    );
                }
                _ => {
                    set_default(
                        spec,
                        "updateStrategy",
                        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
                    );
                }
            }
        }
        "Service" => {
            let old_ip = old.map(|o| o["spec"]["clusterIP"].clone());
            let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
                return;
            };
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            let ip = match (spec.get("clusterIP").and_then(Value::as_str), old_ip) {
                (Some(ip), _) if !ip.is_empty() => json!(ip),
                (_, Some(old)) if old.is_string() => old,
                _ => {
                    let mut b = [0u8; 2];
                    crate::util::secure_random(&mut b);
                    json!(format!("10.96.{}.{}", b[0], b[1].max(2)))
                }
            };
            spec.insert("clusterIP".into(), ip.clone());
            spec.insert("clusterIPs".into(), json!([ip]));
            set_default(spec, "ipFamilies", json!(["IPv4"]));
            set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
            set_default(spec, "internalTrafficPolicy", json!("Cluster"));
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    set_default(p, "protocol", json!("TCP"));
                    if let Some(port) = p.get("port").cloned() {
                        set_default(p, "targetPort", port);
                    }
                }
            }
            if obj.get("status").is_none() {
                obj["status"] = json!({"loadBalancer": {}});
            }
        }
        _ => {}
    }
}

fn go_string_map(m: &Map<String, Value>) -> String {
    let items: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or("")))
        .collect();
    format!("map[string]string{{{}}}", items.join(", "))
}

/// Validation of the workload kinds: a selector, matching the template's labels (the
/// `matchLabels` part), and non-negative replicas.
pub fn validate(rt: &ResourceType, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if rt.custom || !matches!(rt.kind, "Deployment" | "StatefulSet" | "DaemonSet") {
        return causes;
    }
    let spec = &obj["spec"];
    if let Some(r) = spec["replicas"].as_i64() {
        if r < 0 {
            causes.push(Cause::invalid(
                "spec.replicas",
                &json!(r),
                "must be greater than or equal to 0",
            ));
        }
    }
    let selector = &spec["selector"];
    let match_labels = selector["matchLabels"].as_object();
    let has_exprs = selector["matchExpressions"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    if match_labels.is_none_or(Map::is_empty) && !has_exprs {
        causes.push(Cause::required("spec.selector", ""));
        return causes;
    }
    let empty = Map::new();
    let labels = spec["template"]["metadata"]["labels"]
        .as_object()
        .unwrap_or(&empty);
    if let Some(ml) = match_labels {
        if ml.iter().any(|(k, v)| labels.get(k) != Some(v)) {
            causes.push(Cause::invalid(
                "spec.template.metadata.labels",
                &json!(go_string_map(labels)),
                "`selector` does not match template `labels`",
            ));
        }
    }
    causes
}

/// Keeps a condition's transition time when its status did not change.
fn keep_times(status: &mut Value, old: Option<&Value>) {
    let Some(old_conds) = old
        .and_then(|o| o.get("status"))
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
    else {
        return;
    };
    if let Some(conds) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        for c in conds.iter_mut() {
            if let Some(o) = old_conds
                .iter()
                .find(|o| o["type"] == c["type"] && o["status"] == c["status"])
            {
                for t in ["lastTransitionTime", "lastUpdateTime"] {
                    if let Some(v) = o.get(t) {
                        c[t] = v.clone();
                    }
                }
            }
        }
    }
}

/// Writes the status the controllers would (see the module doc); `old` is the stored object
/// on an update, whose condition times are kept.
pub fn set_status(rt: &ResourceType, obj: &mut Value, old: Option<&Value>) {
    if rt.custom {
        return;
    }
    let gen = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let now = crate::util::now_rfc3339();
    let mut status = match rt.kind {
        "Deployment" => {
            let name = meta_str(obj, "name");
            let mut st = json!({"observedGeneration": gen});
            if replicas > 0 {
                for k in [
                    "replicas",
                    "updatedReplicas",
                    "readyReplicas",
                    "availableReplicas",
                ] {
                    st[k] = json!(replicas);
                }
            }
            st["conditions"] = json!([
                {"type": "Available", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
                 "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                {"type": "Progressing", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
                 "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{name}-emulated\" has successfully progressed.")}
            ]);
            st
        }
        "StatefulSet" => {
            let rev = format!("{}-emulated", meta_str(obj, "name"));
            json!({"observedGeneration": gen, "replicas": replicas, "readyReplicas": replicas,
                   "currentReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas,
                   "currentRevision": rev, "updateRevision": rev, "collisionCount": 0})
        }
        "DaemonSet" => json!({"observedGeneration": gen, "currentNumberScheduled": 1,
            "desiredNumberScheduled": 1, "numberAvailable": 1, "numberMisscheduled": 0,
            "numberReady": 1, "updatedNumberScheduled": 1}),
        _ => return,
    };
    keep_times(&mut status, old);
    // The GitOps agent's Deployment: while the agent runner reports it unavailable (the
    // agent crash-loops), a write of the Deployment does not make it ready; the runner's
    // next pass writes the status again.
    if rt.kind == "Deployment" && meta_str(obj, "name") == crate::agent::AGENT_NAME {
        if let Some(old_status) = old.map(|o| &o["status"]) {
            let unavailable = old_status["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Available" && c["status"] == "False")
            });
            if unavailable {
                let mut kept = old_status.clone();
                kept["observedGeneration"] = json!(gen);
                status = kept;
            }
        }
    }
    obj["status"] = status;
}

/// The CustomResourceDefinition status, condition times kept across updates.
pub fn set_crd_status(obj: &mut Value, old: Option<&Value>) {
    crate::crd::set_status(obj);
    if let Some(st) = obj.get_mut("status") {
        keep_times(st, old);
    }
}
