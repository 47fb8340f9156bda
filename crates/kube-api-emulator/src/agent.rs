//! The GitOps agent runner: the emulated cluster "runs" a Harness GitOps agent installed into
//! it, as a real cluster would run the agent's pod.
//!
//! Every `--agent-heartbeat-interval` (default 1 s; 0 disables the runner) a background task
//! looks in every namespace for the agent's install: Deployment `gitops-agent` (apps/v1),
//! ConfigMap `gitops-agent` and Secret `gitops-agent` (key `GITOPS_AGENT_TOKEN`; the store
//! keeps `stringData` merged into `data`). When all three exist and the Deployment asks for
//! at least one replica, it acts as the agent's pod:
//!
//! * it POSTs `<AGENT_HTTP_TARGET>/agent/v1/heartbeat` (http or https; for https it trusts
//!   the PEM in Secret `<GITOPS_AGENT_IDENTIFIER>-ca` key `ca.bundle` of that namespace when
//!   present, else the system roots) with `Authorization: Bearer <token>` and the JSON body
//!   `{accountIdentifier, orgIdentifier, projectIdentifier, agentIdentifier, version,
//!   components}` ([`heartbeat_body`]); `version` is the tag of the `gitops-agent`
//!   container image without a leading `v`; each Argo CD component is `HEALTHY` when a
//!   Deployment or StatefulSet of the namespace carries `app.kubernetes.io/name=<value of
//!   its ConfigMap key>`, else `UNHEALTHY` with a message saying what is missing;
//! * it keeps `spec.replicas` Pod objects named `gitops-agent-<10 chars>-<5 chars>` (the
//!   template's labels plus `pod-template-hash`; the annotation
//!   [`OWNER_ANNOTATION`] names the Deployment's uid). A 200 answer makes them Running and
//!   Ready; a 401, any other error answer or a connection failure puts them into
//!   `CrashLoopBackOff` (`lastState.terminated` carries the agent's last log line,
//!   `restartCount` counts failures), as the agent exits on those;
//! * it writes the Deployment's `status` (`readyReplicas`, `availableReplicas`,
//!   `unavailableReplicas`, the `Available` condition with reason
//!   `MinimumReplicasAvailable` or `MinimumReplicasUnavailable`).
//!
//! The request counters (`GET /_emulator/requests`, `Handle::request_counts`) count the
//! runner's work: `agent passes` (completed passes), `agent heartbeat <namespace>` (sent
//! heartbeats, answered or not) and `agent heartbeat failed <namespace>` (those that made
//! the agent crash).
//!
//! Deleting the Deployment, the ConfigMap or the Secret (or the namespace) stops the
//! heartbeats; the next pass removes the Pods. A changed pod template (another image) gets
//! new Pods. Simplifications: one heartbeat per interval per install whatever the replica
//! count, no crash-loop back-off (a failing agent is retried every interval), no
//! ReplicaSet objects. The token is never logged.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::app::App;
use crate::resources::{CONFIG_MAPS, DEPLOYMENTS, NAMESPACES, PODS, SECRETS, STATEFUL_SETS};
use crate::store::Store;
use crate::util::{meta_str, now_rfc3339};
use crate::validate::secret_data;

/// The name of the agent's Deployment, ConfigMap and Secret.
pub const AGENT_NAME: &str = "gitops-agent";
/// The Secret key holding the agent's token.
pub const TOKEN_KEY: &str = "GITOPS_AGENT_TOKEN";
/// The annotation naming the uid of the Deployment a Pod belongs to.
pub const OWNER_ANNOTATION: &str = "kube-api-emulator.local/deployment-uid";
/// The heartbeat path under `AGENT_HTTP_TARGET`.
pub const HEARTBEAT_PATH: &str = "/agent/v1/heartbeat";
/// The 401 log line of the agent.
pub const UNAUTHORIZED_LINE: &str =
    "This is an unauthorized agent. Sleeping for 15 minutes and then shutting down";

/// The Argo CD components of the heartbeat and the ConfigMap keys naming them.
pub const COMPONENTS: &[(&str, &str)] = &[
    ("argoRepoServer", "GITOPS_ARGOCD_REPO"),
    ("argoAppController", "GITOPS_ARGOCD_APP_CONTROLLER"),
    ("argoRedisServer", "GITOPS_ARGOCD_REDIS"),
    ("argoAppSetController", "GITOPS_ARGOCD_APPSET_CONTROLLER"),
];

/// One install found in a namespace, read under the store lock.
struct Install {
    namespace: String,
    deployment_uid: String,
    /// `pod-template-hash`: derived from the Deployment's uid and pod template.
    hash: String,
    replicas: i64,
    template: Value,
    target: String,
    token: String,
    ca_bundle: Option<String>,
    body: Value,
}

/// What one heartbeat came to.
enum Outcome {
    Healthy,
    /// The agent's last log line before it exits.
    Failed(String),
}

/// Starts the runner on the current runtime (None when `interval` is zero). It ends when
/// the emulator is gone or the returned task is aborted.
pub fn spawn(app: &Arc<App>, interval: Duration) -> Option<tokio::task::JoinHandle<()>> {
    if interval.is_zero() {
        return None;
    }
    let weak: Weak<App> = Arc::downgrade(app);
    Some(tokio::spawn(async move {
        let mut clients: BTreeMap<Option<String>, reqwest::Client> = BTreeMap::new();
        let mut last: BTreeMap<String, bool> = BTreeMap::new();
        loop {
            tokio::time::sleep(interval).await;
            let Some(app) = weak.upgrade() else { return };
            pass(&app, interval, &mut clients, &mut last).await;
        }
    }))
}

/// One pass: find installs, heartbeat each, write Pods and Deployment status.
async fn pass(
    app: &App,
    interval: Duration,
    clients: &mut BTreeMap<Option<String>, reqwest::Client>,
    last: &mut BTreeMap<String, bool>,
) {
    let installs = find_installs(&app.store());
    let mut results = Vec::new();
    for inst in installs {
        let outcome = if inst.replicas > 0 {
            Some(heartbeat(&inst, interval, clients).await)
        } else {
            None
        };
        if app.log_requests {
            // State changes only, never the token.
            let healthy = matches!(outcome, Some(Outcome::Healthy));
            if last.insert(inst.namespace.clone(), healthy) != Some(healthy) {
                match &outcome {
                    Some(Outcome::Healthy) => eprintln!(
                        "kube-api-emulator: gitops agent in {}: heartbeat accepted",
                        inst.namespace
                    ),
                    Some(Outcome::Failed(line)) => eprintln!(
                        "kube-api-emulator: gitops agent in {}: {line}",
                        inst.namespace
                    ),
                    None => {}
                }
            }
        }
        match &outcome {
            Some(Outcome::Healthy) => app.count(format!("agent heartbeat {}", inst.namespace)),
            Some(Outcome::Failed(_)) => {
                app.count(format!("agent heartbeat {}", inst.namespace));
                app.count(format!("agent heartbeat failed {}", inst.namespace));
            }
            None => {}
        }
        results.push((inst, outcome));
    }
    let mut store = app.store();
    let mut changed = false;
    let mut keep: Vec<(String, String)> = Vec::new();
    for (inst, outcome) in &results {
        // The install may have gone while the heartbeat was in flight.
        let current = store
            .get(&DEPLOYMENTS, &inst.namespace, AGENT_NAME)
            .is_some_and(|d| meta_str(d, "uid") == inst.deployment_uid);
        if !current {
            continue;
        }
        keep.push((inst.namespace.clone(), inst.deployment_uid.clone()));
        changed |= sync_pods(&mut store, inst, outcome.as_ref());
    }
    changed |= remove_orphans(&mut store, &keep, &results);
    if changed {
        let _ = app.persist(&store);
    }
    drop(store);
    app.count("agent passes".into());
}

fn config_value<'a>(cm: &'a Value, key: &str) -> Option<&'a str> {
    cm.get("data")
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
}

/// The tag of an image reference without a leading `v` (`harness/gitops-agent:v0.101.0`
/// gives `0.101.0`; no tag gives `latest`).
pub fn image_version(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    let tag = last.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest");
    tag.strip_prefix('v').unwrap_or(tag).to_owned()
}

fn agent_image(template: &Value) -> String {
    let containers = template["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    containers
        .iter()
        .find(|c| c["name"] == AGENT_NAME)
        .or_else(|| containers.first())
        .and_then(|c| c["image"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// A component's health: a Deployment or StatefulSet labelled with its name.
fn component(store: &Store, ns: &str, cm: &Value, key: &str) -> Value {
    let Some(name) = config_value(cm, key) else {
        return json!({"status": "UNHEALTHY",
            "message": format!("{key} is not set in ConfigMap {AGENT_NAME} in namespace {ns}")});
    };
    let labelled =
        |o: &&Value| o["metadata"]["labels"]["app.kubernetes.io/name"].as_str() == Some(name);
    let found = store.list(&DEPLOYMENTS, Some(ns)).any(|o| labelled(&o))
        || store.list(&STATEFUL_SETS, Some(ns)).any(|o| labelled(&o));
    if found {
        json!({"status": "HEALTHY", "message": ""})
    } else {
        json!({"status": "UNHEALTHY", "message": format!(
            "no Deployment or StatefulSet labelled app.kubernetes.io/name={name} in namespace {ns}")})
    }
}

/// The heartbeat's JSON body for the install in `ns`.
pub fn heartbeat_body(store: &Store, ns: &str, cm: &Value, template: &Value) -> Value {
    let mut components = Map::new();
    components.insert(
        "harnessGitopsAgent".into(),
        json!({"status": "HEALTHY", "message": ""}),
    );
    for (name, key) in COMPONENTS {
        components.insert((*name).into(), component(store, ns, cm, key));
    }
    let v = |k: &str| config_value(cm, k).unwrap_or("");
    json!({
        "accountIdentifier": v("GITOPS_ACCOUNT_IDENTIFIER"),
        "orgIdentifier": v("GITOPS_ORG_IDENTIFIER"),
        "projectIdentifier": v("GITOPS_PROJECT_IDENTIFIER"),
        "agentIdentifier": v("GITOPS_AGENT_IDENTIFIER"),
        "version": image_version(&agent_image(template)),
        "components": components,
    })
}

/// A short stable hash in the API server's name alphabet (FNV-1a of `input`).
fn name_hash(input: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in input.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (0..len)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            if h == 0 {
                h = 0x9e37_79b9_7f4a_7c15;
            }
            c
        })
        .collect()
}

fn find_installs(store: &Store) -> Vec<Install> {
    let namespaces: Vec<String> = store
        .list(&NAMESPACES, None)
        .map(|n| meta_str(n, "name").to_owned())
        .collect();
    let mut out = Vec::new();
    for ns in namespaces {
        let (Some(dep), Some(cm), Some(secret)) = (
            store.get(&DEPLOYMENTS, &ns, AGENT_NAME),
            store.get(&CONFIG_MAPS, &ns, AGENT_NAME),
            store.get(&SECRETS, &ns, AGENT_NAME),
        ) else {
            continue;
        };
        let token = secret_data(secret, TOKEN_KEY)
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .unwrap_or_default();
        let template = dep["spec"]["template"].clone();
        let uid = meta_str(dep, "uid").to_owned();
        let agent_id = config_value(cm, "GITOPS_AGENT_IDENTIFIER").unwrap_or("");
        let ca_bundle = store
            .get(&SECRETS, &ns, &format!("{agent_id}-ca"))
            .and_then(|s| secret_data(s, "ca.bundle"))
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        out.push(Install {
            hash: name_hash(&format!("{uid}{template}"), 10),
            deployment_uid: uid,
            replicas: dep["spec"]["replicas"].as_i64().unwrap_or(1),
            target: config_value(cm, "AGENT_HTTP_TARGET")
                .unwrap_or("")
                .to_owned(),
            token,
            ca_bundle,
            body: heartbeat_body(store, &ns, cm, &template),
            template,
            namespace: ns,
        });
    }
    out
}

fn client_for(
    ca: Option<&String>,
    interval: Duration,
    clients: &mut BTreeMap<Option<String>, reqwest::Client>,
) -> Result<reqwest::Client, String> {
    if let Some(c) = clients.get(&ca.cloned()) {
        return Ok(c.clone());
    }
    let timeout = interval.clamp(Duration::from_secs(2), Duration::from_secs(10));
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout);
    if let Some(pem) = ca {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| format!("invalid ca.bundle: {e}"))?;
        b = b.tls_certs_only(certs);
    }
    let c = b.build().map_err(|e| format!("HTTP client: {e}"))?;
    clients.insert(ca.cloned(), c.clone());
    Ok(c)
}

/// The full error chain of a request error (reqwest's own message is terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(&format!(": {inner}"));
        src = inner.source();
    }
    s
}

async fn heartbeat(
    inst: &Install,
    interval: Duration,
    clients: &mut BTreeMap<Option<String>, reqwest::Client>,
) -> Outcome {
    let target = inst.target.trim_end_matches('/');
    if target.is_empty() {
        return Outcome::Failed(format!(
            "AGENT_HTTP_TARGET is not set in ConfigMap {AGENT_NAME}"
        ));
    }
    let client = match client_for(inst.ca_bundle.as_ref(), interval, clients) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("failed to reach {target}: {e}")),
    };
    let url = format!("{target}{HEARTBEAT_PATH}");
    let sent = client
        .post(&url)
        .bearer_auth(&inst.token)
        .json(&inst.body)
        .send()
        .await;
    match sent {
        Err(e) => Outcome::Failed(format!("failed to reach {target}: {}", error_chain(&e))),
        Ok(r) if r.status().as_u16() == 200 => Outcome::Healthy,
        Ok(r) if r.status().as_u16() == 401 => Outcome::Failed(UNAUTHORIZED_LINE.to_owned()),
        Ok(r) => {
            let code = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            let text: String = text.chars().take(200).collect();
            Outcome::Failed(format!("heartbeat failed with status {code}: {text}"))
        }
    }
}

/// The pod status after a heartbeat (None: none yet), from the previous one.
fn pod_status(old: Option<&Value>, outcome: Option<&Outcome>, start: &str, now: &str) -> Value {
    let restarts = old
        .and_then(|o| o["status"]["containerStatuses"][0]["restartCount"].as_i64())
        .unwrap_or(0);
    let old_cs = old.map(|o| o["status"]["containerStatuses"][0].clone());
    let mut st = json!({"phase": "Running", "hostIP": "10.244.0.1", "podIP": "10.244.0.10",
        "podIPs": [{"ip": "10.244.0.10"}], "startTime": start, "qosClass": "BestEffort"});
    let (ready, cs) = match outcome {
        None => {
            st["phase"] = json!("Pending");
            (
                false,
                json!({"name": AGENT_NAME, "ready": false, "started": false,
                "restartCount": restarts, "state": {"waiting": {"reason": "ContainerCreating"}}}),
            )
        }
        Some(Outcome::Healthy) => {
            let started_at = old_cs
                .as_ref()
                .and_then(|c| {
                    c["state"]["running"]["startedAt"]
                        .as_str()
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| now.to_owned());
            let mut cs = json!({"name": AGENT_NAME, "ready": true, "started": true,
                "restartCount": restarts, "state": {"running": {"startedAt": started_at}}});
            if let Some(ls) = old_cs.as_ref().and_then(|c| c.get("lastState")) {
                cs["lastState"] = ls.clone();
            }
            (true, cs)
        }
        Some(Outcome::Failed(line)) => {
            let started_at = old_cs
                .as_ref()
                .and_then(|c| {
                    c["state"]["running"]["startedAt"]
                        .as_str()
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| now.to_owned());
            (
                false,
                json!({"name": AGENT_NAME, "ready": false, "started": false,
                "restartCount": restarts + 1,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off restarting failed container"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": line,
                    "startedAt": started_at, "finishedAt": now}}}),
            )
        }
    };
    let image = old
        .map(|o| agent_image(&json!({"spec": o["spec"].clone()})))
        .unwrap_or_default();
    let mut cs = cs;
    cs["image"] = json!(image);
    let t = |ty: &str, ok: bool| {
        let mut c = json!({"type": ty, "status": if ok { "True" } else { "False" }, "lastTransitionTime": now});
        if !ok {
            c["reason"] = json!("ContainersNotReady");
            c["message"] = json!(format!("containers with unready status: [{AGENT_NAME}]"));
        }
        c
    };
    let mut conds = vec![
        json!({"type": "PodScheduled", "status": "True", "lastTransitionTime": start}),
        json!({"type": "Initialized", "status": "True", "lastTransitionTime": start}),
        t("ContainersReady", ready),
        t("Ready", ready),
    ];
    // Keep transition times of conditions whose status did not change.
    if let Some(old_conds) = old.and_then(|o| o["status"]["conditions"].as_array()) {
        for c in conds.iter_mut() {
            if let Some(o) = old_conds
                .iter()
                .find(|o| o["type"] == c["type"] && o["status"] == c["status"])
            {
                c["lastTransitionTime"] = o["lastTransitionTime"].clone();
            }
        }
    }
    st["conditions"] = json!(conds);
    st["containerStatuses"] = json!([cs]);
    st
}

fn new_pod(inst: &Install) -> Value {
    let name = format!("{AGENT_NAME}-{}-{}", inst.hash, crate::util::name_suffix());
    let mut labels = inst.template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert("pod-template-hash".into(), json!(inst.hash));
    let mut spec = inst.template["spec"].clone();
    if !spec.is_object() {
        spec = json!({});
    }
    spec["nodeName"] = json!("kube-api-emulator");
    if spec.get("restartPolicy").is_none() {
        spec["restartPolicy"] = json!("Always");
    }
    let now = now_rfc3339();
    let mut pod = json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": name, "generateName": format!("{AGENT_NAME}-{}-", inst.hash),
            "namespace": inst.namespace, "uid": crate::util::new_uid(),
            "creationTimestamp": now, "labels": labels,
            "annotations": {OWNER_ANNOTATION: inst.deployment_uid}},
        "spec": spec,
    });
    let entries = crate::managed::record_update(&PODS, None, &pod, "kube-controller-manager");
    crate::managed::write(&mut pod, &entries);
    pod
}

fn is_agent_pod(p: &Value) -> bool {
    crate::util::annotation(p, OWNER_ANNOTATION).is_some()
}

/// Brings the install's Pods and the Deployment's status in line with the heartbeat.
/// Returns whether anything was written.
fn sync_pods(store: &mut Store, inst: &Install, outcome: Option<&Outcome>) -> bool {
    let ns = &inst.namespace;
    let mut changed = false;
    let pods: Vec<Value> = store
        .list(&PODS, Some(ns))
        .filter(|p| is_agent_pod(p))
        .cloned()
        .collect();
    let mut current = Vec::new();
    for p in pods {
        let ours = crate::util::annotation(&p, OWNER_ANNOTATION) == Some(&inst.deployment_uid)
            && p["metadata"]["labels"]["pod-template-hash"] == inst.hash.as_str();
        if ours && (current.len() as i64) < inst.replicas {
            current.push(p);
        } else {
            store.remove(&PODS, ns, meta_str(&p, "name"));
            changed = true;
        }
    }
    while (current.len() as i64) < inst.replicas {
        current.push(new_pod(inst));
    }
    let now = now_rfc3339();
    let mut ready = 0;
    for pod in current {
        let existing = store.get(&PODS, ns, meta_str(&pod, "name")).is_some();
        let start = pod["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap_or(&now)
            .to_owned();
        let old = existing.then_some(&pod);
        let mut seed = pod.clone();
        if !existing {
            seed["status"] = json!({});
        }
        let status = pod_status(Some(&seed), outcome, &start, &now);
        if status["containerStatuses"][0]["ready"] == true {
            ready += 1;
        }
        // Only a changed status is written (a steady healthy agent moves nothing).
        let unchanged = old.is_some_and(|o| same_status(&o["status"], &status));
        if !unchanged {
            let mut updated = pod.clone();
            updated["status"] = status;
            store.put(&PODS, updated);
            changed = true;
        }
    }
    if outcome.is_some() {
        changed |= write_deployment_status(store, inst, ready);
    }
    changed
}

/// Equal apart from timestamps that move on every pass.
fn same_status(a: &Value, b: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        let mut v = v.clone();
        if let Some(t) = v["containerStatuses"][0]["lastState"]["terminated"].as_object_mut() {
            t.remove("finishedAt");
        }
        v
    }
    strip(a) == strip(b)
}

fn write_deployment_status(store: &mut Store, inst: &Install, ready: i64) -> bool {
    let Some(dep) = store
        .get(&DEPLOYMENTS, &inst.namespace, AGENT_NAME)
        .cloned()
    else {
        return false;
    };
    let want = inst.replicas;
    let mut st = dep["status"].clone();
    if !st.is_object() {
        st = json!({});
    }
    st["replicas"] = json!(want);
    st["updatedReplicas"] = json!(want);
    st["readyReplicas"] = json!(ready);
    st["availableReplicas"] = json!(ready);
    if ready < want {
        st["unavailableReplicas"] = json!(want - ready);
    } else if let Some(m) = st.as_object_mut() {
        m.remove("unavailableReplicas");
    }
    let available = ready >= want;
    let (status, reason, message) = if available {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let now = now_rfc3339();
    let mut conds: Vec<Value> = st["conditions"].as_array().cloned().unwrap_or_default();
    let new_cond = |old: Option<&Value>| {
        let keep = old.filter(|o| o["status"] == status);
        json!({"type": "Available", "status": status,
            "lastUpdateTime": keep.map(|o| o["lastUpdateTime"].clone()).unwrap_or(json!(now)),
            "lastTransitionTime": keep.map(|o| o["lastTransitionTime"].clone()).unwrap_or(json!(now)),
            "reason": reason, "message": message})
    };
    match conds.iter_mut().find(|c| c["type"] == "Available") {
        Some(c) => *c = new_cond(Some(c)),
        None => conds.insert(0, new_cond(None)),
    }
    st["conditions"] = json!(conds);
    if st == dep["status"] {
        return false;
    }
    let mut updated = dep;
    updated["status"] = st;
    store.put(&DEPLOYMENTS, updated);
    true
}

/// Removes agent Pods whose install is gone (Deployment, ConfigMap or Secret deleted).
fn remove_orphans(
    store: &mut Store,
    keep: &[(String, String)],
    results: &[(Install, Option<Outcome>)],
) -> bool {
    let orphans: Vec<(String, String)> = store
        .list(&PODS, None)
        .filter(|p| is_agent_pod(p))
        .filter(|p| {
            let ns = meta_str(p, "namespace");
            let uid = crate::util::annotation(p, OWNER_ANNOTATION).unwrap_or("");
            // Pods of an install whose heartbeat was in flight while it changed are left
            // to the next pass.
            let in_flight = results.iter().any(|(i, _)| i.namespace == ns)
                && !keep.iter().any(|(n, _)| n == ns);
            !in_flight && !keep.iter().any(|(n, u)| n == ns && u == uid)
        })
        .map(|p| {
            (
                meta_str(p, "namespace").to_owned(),
                meta_str(p, "name").to_owned(),
            )
        })
        .collect();
    for (ns, name) in &orphans {
        store.remove(&PODS, ns, name);
    }
    !orphans.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_hashes() {
        assert_eq!(image_version("harness/gitops-agent:v0.101.0"), "0.101.0");
        assert_eq!(image_version("reg:5000/harness/gitops-agent:0.9"), "0.9");
        assert_eq!(image_version("reg:5000/gitops-agent"), "latest");
        assert_eq!(image_version("a/b:v1.2@sha256:abc"), "1.2");
        let h = name_hash("x", 10);
        assert_eq!(h.len(), 10);
        assert_eq!(h, name_hash("x", 10));
        assert_ne!(h, name_hash("y", 10));
    }
}
