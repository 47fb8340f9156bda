//! What the provider reads of an installed GitOps agent in its cluster: the token its Secret
//! holds (so an install can be applied again without issuing a new token), why its pod is
//! failing (a wait fails fast with the agent's own last words), and the version a manifest
//! installs.

use harness_gitops_client::Secret;
use k8s_openapi::api::core::v1::{Pod, Secret as KubeSecret};
use kube::api::{Api, ListParams};

use super::error::{classify, Op};
use super::{Connection, K8sError};

/// The name of the agent's Deployment, ConfigMap and token Secret in every manifest.
pub const AGENT: &str = "gitops-agent";
/// The key of the token in the agent's Secret.
pub const TOKEN_KEY: &str = "GITOPS_AGENT_TOKEN";
/// Waiting reasons that mean the pod will not become ready by itself.
const FAILING: [&str; 6] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
];

fn op(verb: &'static str, resource: &'static str, ns: &str, name: &str) -> Op {
    Op {
        verb,
        resource,
        group: "",
        namespace: ns.to_string(),
        name: name.to_string(),
    }
}

/// The token the installed agent's Secret holds, `None` when there is no such Secret or key.
pub async fn installed_token(conn: &Connection, ns: &str) -> Result<Option<Secret>, K8sError> {
    let api: Api<KubeSecret> = Api::namespaced(conn.client.clone(), ns);
    let got = tokio::time::timeout(conn.request_timeout, api.get_opt(AGENT))
        .await
        .map_err(|_| K8sError::Interrupted {
            op: format!("{} on the Kubernetes API", op("get", "secrets", ns, AGENT)),
            why: "no answer within the provider's `request_timeout`".into(),
        })?
        .map_err(|e| classify(&conn.server, op("get", "secrets", ns, AGENT), e))?;
    let Some(s) = got else { return Ok(None) };
    let from_data = s
        .data
        .as_ref()
        .and_then(|d| d.get(TOKEN_KEY))
        .and_then(|b| String::from_utf8(b.0.clone()).ok());
    let from_string = s
        .string_data
        .as_ref()
        .and_then(|d| d.get(TOKEN_KEY))
        .cloned();
    Ok(from_data
        .or(from_string)
        .filter(|t| !t.is_empty())
        .map(Secret::new))
}

/// Why the agent's pod cannot run, when one of its containers is in a failing state: the
/// pod, the container, the reason and the last message it left (e.g. "This is an
/// unauthorized agent"). `None` while nothing is failing (starting is not failing).
pub async fn agent_pod_failure(conn: &Connection, ns: &str) -> Result<Option<String>, K8sError> {
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let lp = ListParams::default().labels(&format!("app.kubernetes.io/name={AGENT}"));
    let pods = tokio::time::timeout(conn.request_timeout, api.list(&lp))
        .await
        .map_err(|_| K8sError::Interrupted {
            op: format!("{} on the Kubernetes API", op("list", "pods", ns, "")),
            why: "no answer within the provider's `request_timeout`".into(),
        })?
        .map_err(|e| classify(&conn.server, op("list", "pods", ns, ""), e))?;
    Ok(pods.items.iter().find_map(pod_failure))
}

/// The failure of one pod, if any of its containers is failing.
pub fn pod_failure(p: &Pod) -> Option<String> {
    let name = p.metadata.name.as_deref().unwrap_or("?");
    let statuses = p.status.as_ref()?.container_statuses.as_ref()?;
    statuses.iter().find_map(|c| {
        let waiting = c.state.as_ref()?.waiting.as_ref()?;
        let reason = waiting.reason.as_deref()?;
        if !FAILING.contains(&reason) {
            return None;
        }
        let last = c
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.message.as_deref())
            .filter(|m| !m.is_empty())
            .or(waiting.message.as_deref())
            .unwrap_or("no message");
        Some(format!(
            "pod {name:?}, container {:?}: {reason} (restarted {} times): {last}",
            c.name, c.restart_count
        ))
    })
}

/// The agent version a manifest installs: the tag of the `gitops-agent` Deployment's first
/// image, without a leading `v` (`harness/gitops-agent:v0.101.0` → `0.101.0`).
pub fn manifest_version(yaml: &str) -> Option<String> {
    use serde::Deserialize as _;
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let Ok(v) = serde_json::Value::deserialize(doc) else {
            continue;
        };
        if v["kind"] != "Deployment" || v["metadata"]["name"] != AGENT {
            continue;
        }
        let image = v["spec"]["template"]["spec"]["containers"][0]["image"].as_str()?;
        let tag = image.rsplit_once(':').map(|(_, t)| t)?;
        if tag.contains('/') {
            return None;
        }
        return Some(tag.trim_start_matches('v').to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, PodStatus,
    };

    fn pod(reason: &str, last: Option<&str>) -> Pod {
        Pod {
            metadata: kube::api::ObjectMeta {
                name: Some("gitops-agent-abc".into()),
                ..Default::default()
            },
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: "gitops-agent".into(),
                    restart_count: 3,
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.into()),
                            message: Some("back-off".into()),
                        }),
                        ..Default::default()
                    }),
                    last_state: last.map(|m| ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code: 1,
                            message: Some(m.into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_crash_loop_is_a_failure_with_the_agents_last_words() {
        let f = pod_failure(&pod(
            "CrashLoopBackOff",
            Some("This is an unauthorized agent"),
        ))
        .unwrap();
        assert!(
            f.contains("CrashLoopBackOff")
                && f.contains("unauthorized agent")
                && f.contains("3 times"),
            "{f}"
        );
        let f = pod_failure(&pod("ImagePullBackOff", None)).unwrap();
        assert!(f.contains("back-off"), "{f}");
        assert_eq!(
            pod_failure(&pod("ContainerCreating", None)),
            None,
            "starting is not failing"
        );
        assert_eq!(pod_failure(&Pod::default()), None);
    }

    #[test]
    fn the_version_is_the_agent_images_tag() {
        let yaml = "kind: ConfigMap\nmetadata: {name: gitops-agent}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gitops-agent}\n\
                    spec: {template: {spec: {containers: [{name: a, image: 'harness/gitops-agent:v0.101.0'}]}}}\n";
        assert_eq!(manifest_version(yaml).as_deref(), Some("0.101.0"));
        assert_eq!(manifest_version("kind: ConfigMap\n"), None);
        assert_eq!(
            manifest_version("kind: Deployment\nmetadata: {name: gitops-agent}\nspec: {template: {spec: {containers: [{image: 'reg:5000/agent'}]}}}\n"),
            None,
            "a registry port is not a tag"
        );
    }
}
