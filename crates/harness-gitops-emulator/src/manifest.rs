//! The agent's Kubernetes manifest and Helm overrides, as Harness serves them (reference
//! §1.5): multi-document YAML, every namespaced object in the query's namespace (which
//! Harness does not create; CRDs, ClusterRoles and ClusterRoleBindings have none), ordered so that applying top to bottom works (CRDs, RBAC, config, workloads).

use serde_json::{json, Map, Value};

/// What a manifest is made of.
pub struct ManifestInput<'a> {
    pub account: &'a str,
    pub org: &'a str,
    pub project: &'a str,
    pub identifier: &'a str,
    pub name: &'a str,
    pub agent_type: &'a str,
    pub namespace: &'a str,
    pub high_availability: bool,
    pub namespaced: bool,
    pub skip_crds: bool,
    /// Base64 CA chain (`caData`), or empty.
    pub ca_data: &'a str,
    pub token: &'a str,
    /// `AGENT_HTTP_TARGET`: the emulator's base URL + `/gitops`.
    pub http_target: &'a str,
    pub version: &'a str,
    /// `v1Proxy` fields given.
    pub proxy: &'a Map<String, Value>,
}

const AGENT: &str = "gitops-agent";

fn meta(name: &str, ns: &str, labels: Option<&str>) -> Value {
    let mut m = json!({"name": name, "namespace": ns});
    if let Some(app) = labels {
        m["labels"] = json!({"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "argocd"});
    }
    m
}

fn crd(plural: &str, kind: &str, short: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.argoproj.io"), "labels": {"app.kubernetes.io/part-of": "argocd"}},
        "spec": {
            "group": "argoproj.io",
            "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": kind.to_ascii_lowercase(), "shortNames": [short]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": {},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "required": ["metadata", "spec"],
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "operation": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }}
            }]
        }
    })
}

fn rules_all() -> Value {
    json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
}

fn deployment(name: &str, ns: &str, image: &str, replicas: u32, extra: Value) -> Value {
    let mut container = json!({"name": name, "image": image, "imagePullPolicy": "IfNotPresent"});
    if let (Some(c), Some(e)) = (container.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            c.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, ns, Some(name)),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {"serviceAccountName": name, "containers": [container]}
            }
        }
    })
}

fn service(name: &str, ns: &str, port: u16) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns, Some(name)),
        "spec": {
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "main", "port": port, "targetPort": port, "protocol": "TCP"}]
        }
    })
}

fn config_map(name: &str, ns: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, ns, None), "data": data})
}

fn network_policy(name: &str, ns: &str, port: u16) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(&format!("{name}-network-policy"), ns, None),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}]
        }
    })
}

/// The objects of the manifest, in apply order.
pub fn objects(i: &ManifestInput<'_>) -> Vec<Value> {
    let ns = i.namespace;
    let managed = i.agent_type == "MANAGED_ARGO_PROVIDER";
    let mut docs = Vec::new();
    // 1. CRDs (managed Argo CD only).
    if managed && !i.skip_crds {
        docs.push(crd("applications", "Application", "app"));
        docs.push(crd("applicationsets", "ApplicationSet", "appset"));
        docs.push(crd("appprojects", "AppProject", "appproj"));
    }
    // 2. RBAC.
    let mut sas = vec![AGENT];
    if managed {
        sas.extend([
            "argocd-application-controller",
            "argocd-applicationset-controller",
            "argocd-repo-server",
            "argocd-redis",
            "argocd-server",
            "gitops-agent-upgrader",
        ]);
    }
    for sa in &sas {
        docs.push(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(sa, ns, None)}),
        );
    }
    for sa in &sas {
        docs.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": meta(sa, ns, None), "rules": rules_all()
        }));
        docs.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta(sa, ns, None),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]
        }));
    }
    if !i.namespaced {
        let mut cluster = vec![(i.identifier.to_string(), AGENT)];
        if managed {
            cluster.push((
                "argocd-application-controller-default".into(),
                "argocd-application-controller",
            ));
            cluster.push(("argocd-repo-server-default".into(), "argocd-repo-server"));
        }
        for (name, sa) in cluster {
            // Cluster-scoped: no namespace.
            docs.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": name}, "rules": rules_all()
            }));
            docs.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]
            }));
        }
    }
    // 3. Config: secrets and config maps.
    docs.push(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": meta(AGENT, ns, None),
        "stringData": {"GITOPS_AGENT_TOKEN": i.token}
    }));
    if !i.ca_data.is_empty() {
        docs.push(json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta(&format!("{}-ca", i.identifier), ns, None),
            "data": {"ca.bundle": i.ca_data}
        }));
    }
    let mut data = Map::new();
    let mut put = |k: &str, v: &str| {
        data.insert(k.to_string(), json!(v));
    };
    put("GITOPS_ACCOUNT_IDENTIFIER", i.account);
    put("GITOPS_AGENT_IDENTIFIER", i.identifier);
    put("GITOPS_AGENT_NAME", i.name);
    if !i.org.is_empty() {
        put("GITOPS_ORG_IDENTIFIER", i.org);
    }
    if !i.project.is_empty() {
        put("GITOPS_PROJECT_IDENTIFIER", i.project);
    }
    put("AGENT_HTTP_TARGET", i.http_target);
    put("GITOPS_SERVICE_PROTOCOL", "HTTP1");
    put(
        "GITOPS_SERVICE_HTTP_TLS_ENABLED",
        if i.http_target.starts_with("https:") {
            "true"
        } else {
            "false"
        },
    );
    if !i.ca_data.is_empty() {
        put("GITOPS_SERVICE_HTTP_CERT_FILES", "/etc/ssl/certs/ca.bundle");
    }
    put(
        "GITOPS_AGENT_AVAILABILITY_MODE",
        if i.high_availability { "HA" } else { "NON-HA" },
    );
    put("GITOPS_ARGOCD_REPO", "argocd-repo-server");
    put(
        "GITOPS_ARGOCD_APP_CONTROLLER",
        "argocd-application-controller",
    );
    put("GITOPS_ARGOCD_REDIS", "argocd-redis");
    put(
        "GITOPS_ARGOCD_APPSET_CONTROLLER",
        "argocd-applicationset-controller",
    );
    put("ARGOCD_SERVER_REPO_SERVER", "argocd-repo-server:8081");
    put("REDIS_SERVER", "argocd-redis:6379");
    put("GITOPS_AGENT_VERSION", i.version);
    put("LOG_LEVEL", "INFO");
    let proxy = |k: &str| i.proxy.get(k).and_then(Value::as_str).unwrap_or("");
    if !proxy("http").is_empty() {
        put("HTTP_PROXY", proxy("http"));
    }
    if !proxy("https").is_empty() {
        put("HTTPS_PROXY", proxy("https"));
    }
    if !proxy("username").is_empty() {
        put("PROXY_USERNAME", proxy("username"));
    }
    if i.proxy.get("skipSSLVerify").and_then(Value::as_bool) == Some(true) {
        put("PROXY_SKIP_SSL_VERIFY", "true");
    }
    docs.push(config_map(AGENT, ns, Value::Object(data)));
    if !proxy("password").is_empty() {
        docs.push(json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta(&format!("{AGENT}-proxy"), ns, None),
            "stringData": {"PROXY_PASSWORD": proxy("password")}
        }));
    }
    if managed {
        docs.push(config_map(
            "gitops-agent-upgrader",
            ns,
            json!({"config.yaml": "dryRun: false\n"}),
        ));
        docs.push(config_map(
            "argocd-cm",
            ns,
            json!({"application.instanceLabelKey": "argocd.argoproj.io/instance"}),
        ));
        docs.push(config_map(
            "argocd-cmd-params-cm",
            ns,
            json!({"server.insecure": "true"}),
        ));
        docs.push(config_map(
            "argocd-rbac-cm",
            ns,
            json!({"policy.default": "role:readonly"}),
        ));
        docs.push(config_map("argocd-ssh-known-hosts-cm", ns, json!({"ssh_known_hosts": "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"})));
        docs.push(config_map("argocd-tls-certs-cm", ns, json!({})));
        docs.push(config_map("argocd-gpg-keys-cm", ns, json!({})));
        docs.push(json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta("argocd-secret", ns, Some("argocd-secret")),
            "data": {}
        }));
    }
    // 4. Workloads, services, policies.
    let mut env_from = vec![
        json!({"configMapRef": {"name": AGENT}}),
        json!({"secretRef": {"name": AGENT}}),
    ];
    if !proxy("password").is_empty() {
        env_from.push(json!({"secretRef": {"name": format!("{AGENT}-proxy")}}));
    }
    docs.push(deployment(
        AGENT,
        ns,
        &format!("harness/gitops-agent:v{}", i.version),
        if i.high_availability { 2 } else { 1 },
        json!({
            "command": ["/app/agent"],
            "envFrom": env_from,
            "ports": [{"name": "health", "containerPort": 8090}, {"name": "metrics", "containerPort": 2112}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8090}},
            "livenessProbe": {"httpGet": {"path": "/healthz?full=true", "port": 8090}}
        }),
    ));
    if managed {
        let argo = "quay.io/argoproj/argocd:v2.14.13";
        let replicas = if i.high_availability { 2 } else { 1 };
        docs.push(deployment(
            "argocd-repo-server",
            ns,
            argo,
            replicas,
            json!({"command": ["argocd-repo-server"], "ports": [{"containerPort": 8081}]}),
        ));
        docs.push(deployment("argocd-redis", ns, "redis:7.0.15-alpine", 1, json!({"args": ["--save", "", "--appendonly", "no"], "ports": [{"containerPort": 6379}]})));
        docs.push(deployment("argocd-applicationset-controller", ns, argo, 1, json!({"command": ["argocd-applicationset-controller"], "ports": [{"containerPort": 7000}]})));
        docs.push(deployment(
            "argocd-server",
            ns,
            argo,
            1,
            json!({"command": ["argocd-server"], "ports": [{"containerPort": 8080}]}),
        ));
        let controller = "argocd-application-controller";
        docs.push(json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": meta(controller, ns, Some(controller)),
            "spec": {
                "replicas": 1,
                "serviceName": controller,
                "selector": {"matchLabels": {"app.kubernetes.io/name": controller}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": controller}},
                    "spec": {"serviceAccountName": controller, "containers": [{
                        "name": controller, "image": argo, "command": ["argocd-application-controller"],
                        "ports": [{"containerPort": 8082}]
                    }]}
                }
            }
        }));
        docs.push(service("argocd-repo-server", ns, 8081));
        docs.push(service("argocd-redis", ns, 6379));
        docs.push(service("argocd-applicationset-controller", ns, 7000));
        docs.push(service("argocd-server", ns, 80));
        docs.push(service(controller, ns, 8082));
        docs.push(network_policy(controller, ns, 8082));
        docs.push(network_policy("argocd-applicationset-controller", ns, 7000));
        docs.push(network_policy("argocd-repo-server", ns, 8081));
        docs.push(network_policy("argocd-redis", ns, 6379));
        docs.push(json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta("gitops-agent-upgrader", ns, Some("gitops-agent-upgrader")),
            "spec": {
                "schedule": "0 */4 * * *",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {"spec": {"template": {"spec": {
                    "serviceAccountName": "gitops-agent-upgrader",
                    "restartPolicy": "Never",
                    "containers": [{"name": "gitops-agent-upgrader", "image": format!("harness/gitops-agent-upgrader:v{}", i.version)}]
                }}}}
            }
        }));
    }
    docs
}

/// The multi-document manifest.
pub fn deploy_yaml(i: &ManifestInput<'_>) -> String {
    let mut out = String::new();
    for d in objects(i) {
        out.push_str("---\n");
        emit(&d, 0, &mut out);
    }
    out
}

/// The Helm values file: the identity, the token, the HTTP target and the agent image
/// (`agent.image.repository`, `agent.image.tag` = `v<version>`).
pub fn helm_overrides(i: &ManifestInput<'_>) -> String {
    let mut identity = Map::new();
    identity.insert("accountIdentifier".into(), json!(i.account));
    if !i.org.is_empty() {
        identity.insert("orgIdentifier".into(), json!(i.org));
    }
    if !i.project.is_empty() {
        identity.insert("projectIdentifier".into(), json!(i.project));
    }
    identity.insert("agentIdentifier".into(), json!(i.identifier));
    let values = json!({
        "harness": {
            "identity": identity,
            "secrets": {"agentSecret": i.token},
            "configMap": {"http": {"agentHttpTarget": i.http_target}},
        },
        "agent": {
            "highAvailability": i.high_availability,
            "namespaced": i.namespaced,
            "image": {"repository": "harness/gitops-agent", "tag": format!("v{}", i.version)},
        },
        "argo-cd": {"crds": {"install": !i.skip_crds && i.agent_type == "MANAGED_ARGO_PROVIDER"}},
        "namespace": i.namespace,
    });
    let mut out = String::new();
    emit(&values, 0, &mut out);
    out
}

/// A scalar in YAML: strings double-quoted (JSON's escapes are YAML's), the rest as JSON.
fn scalar(v: &Value) -> String {
    v.to_string()
}

/// A mapping key: plain when it cannot be read as anything but that string (Kubernetes'
/// field names, `app.kubernetes.io/name`, `GITOPS_AGENT_TOKEN`), else double-quoted.
fn plain_key(k: &str) -> String {
    let safe = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if safe {
        k.to_string()
    } else {
        scalar(&Value::String(k.to_string()))
    }
}

fn is_empty_collection(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.is_empty()) || matches!(v, Value::Array(a) if a.is_empty())
}

/// Block-style YAML of `v` at `indent` spaces.
fn emit(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let key = plain_key(k);
                match val {
                    Value::Object(_) | Value::Array(_) if !is_empty_collection(val) => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        let child = if val.is_array() { indent } else { indent + 2 };
                        emit(val, child, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(val))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        emit(item, indent + 2, &mut inner);
                        // The first line's indentation becomes "- ".
                        let rest = inner.get(indent + 2..).unwrap_or("");
                        out.push_str(&format!("{pad}- {rest}"));
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        emit(item, indent + 2, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}- {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}- []\n")),
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_nested_block_yaml() {
        let mut out = String::new();
        emit(
            &json!({"a": {"b": [1, {"c": "x: y", "d": []}], "e": {}}, "f": "quote \" here", "no": true, "1x": null}),
            0,
            &mut out,
        );
        assert_eq!(
            out,
            "a:\n  b:\n  - 1\n  - c: \"x: y\"\n    d: []\n  e: {}\nf: \"quote \\\" here\"\n\"no\": true\n\"1x\": null\n"
        );
    }
}
