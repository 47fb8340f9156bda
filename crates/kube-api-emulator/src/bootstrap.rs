//! What a new cluster has: the namespaces `default`, `kube-system`, `kube-public` and
//! `kube-node-lease` (each with a `default` ServiceAccount), and the bootstrap RBAC roles
//! and bindings that the API server keeps in place at every start.

use serde_json::{json, Value};

use crate::resources::{
    ResourceType, CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, NAMESPACES, RBAC_GROUP, SERVICE_ACCOUNTS,
};
use crate::store::Store;
use crate::util::{new_uid, now_rfc3339};

pub const INITIAL_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

fn meta(name: &str, namespace: &str) -> Value {
    let mut m = json!({"name": name, "uid": new_uid(), "creationTimestamp": now_rfc3339()});
    if !namespace.is_empty() {
        m["namespace"] = json!(namespace);
    }
    m
}

fn bootstrap_meta(name: &str) -> Value {
    let mut m = meta(name, "");
    m["labels"] = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
    m["annotations"] = json!({"rbac.authorization.kubernetes.io/autoupdate": "true"});
    m
}

pub fn put_default_service_account(store: &mut Store, namespace: &str) {
    store.put(
        &SERVICE_ACCOUNTS,
        json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta("default", namespace)}),
    );
}

fn ensure(store: &mut Store, rt: &'static ResourceType, obj: Value) {
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_owned();
    if store.get(rt, "", &name).is_none() {
        store.put(rt, obj);
    }
}

/// The bootstrap cluster roles. `admin`, `edit` and `view` are cut down to the resources the
/// emulator serves (and, as on a real cluster, `view` does not read Secrets).
fn cluster_roles() -> Vec<(&'static str, Value)> {
    let read = json!(["get", "list", "watch"]);
    let write = json!(["create", "delete", "deletecollection", "patch", "update"]);
    vec![
        (
            "cluster-admin",
            json!([
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]}
            ]),
        ),
        (
            "system:discovery",
            json!([
                {"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}
            ]),
        ),
        (
            "system:basic-user",
            json!([
                {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"]},
                {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}
            ]),
        ),
        (
            "system:public-info-viewer",
            json!([
                {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}
            ]),
        ),
        (
            "view",
            json!([
                {"apiGroups": [""], "resources": ["namespaces", "serviceaccounts"], "verbs": read}
            ]),
        ),
        (
            "edit",
            json!([
                {"apiGroups": [""], "resources": ["namespaces"], "verbs": read},
                {"apiGroups": [""], "resources": ["serviceaccounts", "secrets"], "verbs": read},
                {"apiGroups": [""], "resources": ["serviceaccounts", "secrets"], "verbs": write}
            ]),
        ),
        (
            "admin",
            json!([
                {"apiGroups": [""], "resources": ["namespaces"], "verbs": read},
                {"apiGroups": [""], "resources": ["serviceaccounts", "secrets"], "verbs": read},
                {"apiGroups": [""], "resources": ["serviceaccounts", "secrets"], "verbs": write},
                {"apiGroups": [RBAC_GROUP], "resources": ["roles", "rolebindings"], "verbs": read},
                {"apiGroups": [RBAC_GROUP], "resources": ["roles", "rolebindings"], "verbs": write}
            ]),
        ),
    ]
}

fn cluster_role_bindings() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("cluster-admin", vec!["system:masters"]),
        ("system:discovery", vec!["system:authenticated"]),
        ("system:basic-user", vec!["system:authenticated"]),
        (
            "system:public-info-viewer",
            vec!["system:authenticated", "system:unauthenticated"],
        ),
    ]
}

/// Seeds a new store, and restores missing bootstrap RBAC objects in any store.
pub fn seed(store: &mut Store, fresh: bool) {
    if fresh {
        for ns in INITIAL_NAMESPACES {
            let mut obj = json!({
                "kind": "Namespace", "apiVersion": "v1", "metadata": meta(ns, ""),
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}
            });
            obj["metadata"]["labels"] = json!({"kubernetes.io/metadata.name": ns});
            store.put(&NAMESPACES, obj);
            put_default_service_account(store, ns);
        }
    }
    for (name, rules) in cluster_roles() {
        ensure(
            store,
            &CLUSTER_ROLES,
            json!({
                "kind": "ClusterRole", "apiVersion": format!("{RBAC_GROUP}/v1"),
                "metadata": bootstrap_meta(name), "rules": rules
            }),
        );
    }
    for (name, groups) in cluster_role_bindings() {
        let subjects: Vec<Value> = groups
            .iter()
            .map(|g| json!({"kind": "Group", "apiGroup": RBAC_GROUP, "name": g}))
            .collect();
        ensure(
            store,
            &CLUSTER_ROLE_BINDINGS,
            json!({
                "kind": "ClusterRoleBinding", "apiVersion": format!("{RBAC_GROUP}/v1"),
                "metadata": bootstrap_meta(name),
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name},
                "subjects": subjects
            }),
        );
    }
}
