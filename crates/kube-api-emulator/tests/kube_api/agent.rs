//! The GitOps agent runner: with the agent's Deployment, ConfigMap and Secret applied through
//! kube-rs server-side apply, the emulated cluster sends heartbeats to a fake Harness endpoint
//! (a tiny hyper server in this test), keeps the agent's Pods and the Deployment's status,
//! crash-loops on a 401, and stops when the Deployment is deleted. Synchronisation is by
//! polling with deadlines on what the endpoint recorded and on the API.

use std::convert::Infallible;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube_api_emulator::Config;
use serde_json::{json, Value};

use crate::common::{kube_client, kubectl_bin};

/// One heartbeat as the fake Harness received it.
#[derive(Clone, Debug)]
struct Beat {
    path: String,
    authorization: String,
    body: Value,
}

/// A fake Harness heartbeat endpoint: records requests, answers `status`.
struct FakeHarness {
    url: String,
    beats: Arc<Mutex<Vec<Beat>>>,
    status: Arc<AtomicU16>,
}

impl FakeHarness {
    async fn start() -> Self {
        Self::start_with(None).await
    }

    /// Over https with `tls` (a server configuration) when given.
    async fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/gitops", listener.local_addr().unwrap());
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let beats = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (b, s) = (beats.clone(), status.clone());
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (b, s) = (b.clone(), s.clone());
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<Incoming>| {
                        let (b, s) = (b.clone(), s.clone());
                        async move {
                            let path = req.uri().path().to_owned();
                            let authorization = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned();
                            let bytes = req.into_body().collect().await.unwrap().to_bytes();
                            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                            b.lock().unwrap().push(Beat {
                                path,
                                authorization,
                                body,
                            });
                            let code = s.load(Ordering::SeqCst);
                            let text = if code == 401 {
                                r#"{"code":"UNAUTHORIZED","message":"This is an unauthorized agent"}"#
                            } else {
                                "{}"
                            };
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(code)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(text)))
                                    .unwrap(),
                            )
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(a) => {
                            // A client that does not trust the certificate fails the handshake.
                            if let Ok(tls) = a.accept(tcp).await {
                                let _ = http.serve_connection(TokioIo::new(tls), svc).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(tcp), svc).await;
                        }
                    }
                });
            }
        });
        Self { url, beats, status }
    }

    fn beats(&self) -> Vec<Beat> {
        self.beats.lock().unwrap().clone()
    }
}

/// Polls `f` until it returns Some, or panics after `secs` seconds with `what`.
async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const TOKEN: &str = "agent-token-1234";

fn agent_objects(target: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "configmap",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "gitops-agent", "namespace": "harness-gitops"},
                "data": {"AGENT_HTTP_TARGET": target, "GITOPS_ACCOUNT_IDENTIFIER": "acct",
                    "GITOPS_ORG_IDENTIFIER": "default", "GITOPS_AGENT_IDENTIFIER": "myagent",
                    "GITOPS_ARGOCD_REPO": "argocd-repo-server",
                    "GITOPS_ARGOCD_APP_CONTROLLER": "argocd-application-controller",
                    "GITOPS_ARGOCD_REDIS": "argocd-redis"}}),
        ),
        (
            "secret",
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "gitops-agent", "namespace": "harness-gitops"},
                "type": "Opaque", "stringData": {"GITOPS_AGENT_TOKEN": TOKEN}}),
        ),
        (
            "deployment",
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "gitops-agent", "namespace": "harness-gitops"},
                "spec": {"replicas": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "myagent"}},
                    "template": {"metadata": {"labels": {"app.kubernetes.io/name": "myagent"}},
                        "spec": {"containers": [{"name": "gitops-agent",
                            "image": "harness/gitops-agent:v0.101.0"}]}}}}),
        ),
        (
            "repo",
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "argocd-repo-server", "namespace": "harness-gitops",
                    "labels": {"app.kubernetes.io/name": "argocd-repo-server"}},
                "spec": {"selector": {"matchLabels": {"app": "repo"}},
                    "template": {"metadata": {"labels": {"app": "repo"}},
                        "spec": {"containers": [{"name": "r", "image": "argocd"}]}}}}),
        ),
        (
            "controller",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": {"name": "argocd-application-controller", "namespace": "harness-gitops",
                    "labels": {"app.kubernetes.io/name": "argocd-application-controller"}},
                "spec": {"selector": {"matchLabels": {"app": "ctl"}},
                    "template": {"metadata": {"labels": {"app": "ctl"}},
                        "spec": {"containers": [{"name": "c", "image": "argocd"}]}}}}),
        ),
    ]
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let cache = kubeconfig.with_file_name("cache");
    let out = Command::new(kubectl_bin())
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .arg("--cache-dir")
        .arg(cache)
        .arg("--request-timeout=20s")
        .args(args)
        .output()
        .expect("kubectl is required for this test: install it on PATH or set KUBECTL");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn available(d: &Deployment) -> Option<(String, String)> {
    let c = d
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Available")?;
    Some((c.status.clone(), c.reason.clone().unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_runs_the_gitops_agent() {
    let harness = FakeHarness::start().await;
    let emu = kube_api_emulator::start(Config {
        log_requests: false,
        agent_heartbeat_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = kube_client(&emu.admin_kubeconfig()).await;
    let apply = PatchParams::apply("harness-provider");
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns.patch(
        "harness-gitops",
        &apply,
        &Patch::Apply(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "harness-gitops"}})),
    )
    .await
    .unwrap();
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "harness-gitops");
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), "harness-gitops");
    let deps: Api<Deployment> = Api::namespaced(client.clone(), "harness-gitops");
    let sts: Api<k8s_openapi::api::apps::v1::StatefulSet> =
        Api::namespaced(client.clone(), "harness-gitops");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "harness-gitops");
    for (what, obj) in agent_objects(&harness.url) {
        let name = obj["metadata"]["name"].as_str().unwrap().to_owned();
        match what {
            "configmap" => drop(cms.patch(&name, &apply, &Patch::Apply(&obj)).await.unwrap()),
            "secret" => drop(
                secrets
                    .patch(&name, &apply, &Patch::Apply(&obj))
                    .await
                    .unwrap(),
            ),
            "controller" => drop(sts.patch(&name, &apply, &Patch::Apply(&obj)).await.unwrap()),
            _ => drop(
                deps.patch(&name, &apply, &Patch::Apply(&obj))
                    .await
                    .unwrap(),
            ),
        }
    }

    // Heartbeats arrive with the token, the identifiers, the version and the components.
    let beat = eventually(10, "a heartbeat", || async {
        harness.beats().first().cloned()
    })
    .await;
    assert_eq!(beat.path, "/gitops/agent/v1/heartbeat");
    assert_eq!(beat.authorization, format!("Bearer {TOKEN}"));
    let b = &beat.body;
    assert_eq!(b["accountIdentifier"], "acct");
    assert_eq!(b["orgIdentifier"], "default");
    assert_eq!(b["projectIdentifier"], "");
    assert_eq!(b["agentIdentifier"], "myagent");
    assert_eq!(b["version"], "0.101.0");
    let healthy = json!({"status": "HEALTHY", "message": ""});
    assert_eq!(b["components"]["harnessGitopsAgent"], healthy);
    assert_eq!(b["components"]["argoRepoServer"], healthy);
    assert_eq!(b["components"]["argoAppController"], healthy);
    assert_eq!(
        b["components"]["argoRedisServer"],
        json!({"status": "UNHEALTHY", "message":
            "no Deployment or StatefulSet labelled app.kubernetes.io/name=argocd-redis in namespace harness-gitops"})
    );
    assert_eq!(
        b["components"]["argoAppSetController"]["status"],
        "UNHEALTHY"
    );
    assert!(b["components"]["argoAppSetController"]["message"]
        .as_str()
        .unwrap()
        .contains("GITOPS_ARGOCD_APPSET_CONTROLLER"));

    // The agent's Pod runs and is ready; the Deployment is available.
    let pod = eventually(10, "a ready agent pod", || async {
        let list = pods
            .list(&ListParams::default().labels("app.kubernetes.io/name=myagent"))
            .await
            .unwrap();
        list.items.into_iter().find(|p| {
            p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                && p.status
                    .as_ref()
                    .unwrap()
                    .container_statuses
                    .as_ref()
                    .unwrap()[0]
                    .ready
        })
    })
    .await;
    let name = pod.metadata.name.clone().unwrap();
    let parts: Vec<&str> = name.split('-').collect();
    assert_eq!(parts.len(), 4, "{name}");
    assert_eq!((parts[0], parts[1]), ("gitops", "agent"));
    assert_eq!((parts[2].len(), parts[3].len()), (10, 5), "{name}");
    let st = pod.status.as_ref().unwrap();
    let cs = &st.container_statuses.as_ref().unwrap()[0];
    assert_eq!(cs.name, "gitops-agent");
    assert!(cs.state.as_ref().unwrap().running.is_some());
    assert!(st
        .conditions
        .as_ref()
        .unwrap()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True"));
    let d = deps.get("gitops-agent").await.unwrap();
    assert_eq!(d.status.as_ref().unwrap().ready_replicas, Some(1));
    assert_eq!(
        available(&d),
        Some(("True".into(), "MinimumReplicasAvailable".into()))
    );

    // kubectl sees the pod.
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, emu.admin_kubeconfig()).unwrap();
    let kc2 = kc.clone();
    let out = tokio::task::spawn_blocking(move || {
        kubectl(&kc2, &["get", "pods", "-n", "harness-gitops"])
    })
    .await
    .unwrap();
    assert!(out.starts_with("NAME"), "{out}");
    assert!(
        out.contains(&name) && out.contains("1/1") && out.contains("Running"),
        "{out}"
    );

    // Clients may not write Pods, but may delete them: a new one replaces it.
    let err = pods
        .patch(
            &name,
            &apply,
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Pod"})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 405),
        "{err:?}"
    );
    pods.delete(&name, &DeleteParams::default()).await.unwrap();
    let replacement = eventually(10, "a replacement pod", || async {
        let list = pods.list(&ListParams::default()).await.unwrap();
        list.items
            .into_iter()
            .find(|p| p.metadata.name.as_deref() != Some(name.as_str()))
    })
    .await;
    assert!(replacement
        .metadata
        .name
        .unwrap()
        .starts_with(&format!("gitops-agent-{}-", parts[2])));

    // A 401 crash-loops the agent: CrashLoopBackOff with its last log line, the Deployment
    // unavailable.
    harness.status.store(401, Ordering::SeqCst);
    let pod = eventually(10, "a crash-looping agent pod", || async {
        let list = pods.list(&ListParams::default()).await.unwrap();
        list.items.into_iter().find(|p| {
            let cs = &p
                .status
                .as_ref()
                .unwrap()
                .container_statuses
                .as_ref()
                .unwrap()[0];
            cs.state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                == Some("CrashLoopBackOff")
        })
    })
    .await;
    let cs = &pod
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert!(!cs.ready);
    assert!(cs.restart_count >= 1);
    let waiting = cs.state.as_ref().unwrap().waiting.as_ref().unwrap();
    assert_eq!(
        waiting.message.as_deref(),
        Some("back-off restarting failed container")
    );
    let term = cs.last_state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert_eq!(term.exit_code, 1);
    assert_eq!(term.reason.as_deref(), Some("Error"));
    assert_eq!(
        term.message.as_deref(),
        Some("This is an unauthorized agent. Sleeping for 15 minutes and then shutting down")
    );
    let d = eventually(10, "an unavailable deployment", || async {
        let d = deps.get("gitops-agent").await.unwrap();
        (available(&d).map(|a| a.0) == Some("False".into())).then_some(d)
    })
    .await;
    assert_eq!(
        available(&d),
        Some(("False".into(), "MinimumReplicasUnavailable".into()))
    );
    assert_eq!(d.status.as_ref().unwrap().ready_replicas, Some(0));
    assert_eq!(d.status.as_ref().unwrap().unavailable_replicas, Some(1));
    // A write of the crash-looping agent's Deployment does not make it ready.
    let mut relabelled = agent_objects(&harness.url)[2].1.clone();
    relabelled["metadata"]["labels"] = json!({"team": "gitops"});
    let d = deps
        .patch("gitops-agent", &apply, &Patch::Apply(&relabelled))
        .await
        .unwrap();
    assert_eq!(
        available(&d),
        Some(("False".into(), "MinimumReplicasUnavailable".into()))
    );
    // Restarts keep counting.
    let before = cs.restart_count;
    eventually(10, "another restart", || async {
        let list = pods.list(&ListParams::default()).await.unwrap();
        let n = list.items[0]
            .status
            .as_ref()
            .unwrap()
            .container_statuses
            .as_ref()
            .unwrap()[0]
            .restart_count;
        (n > before).then_some(())
    })
    .await;
    let kc2 = kc.clone();
    let out = tokio::task::spawn_blocking(move || {
        kubectl(&kc2, &["get", "pods", "-n", "harness-gitops"])
    })
    .await
    .unwrap();
    assert!(
        out.contains("0/1") && out.contains("CrashLoopBackOff"),
        "{out}"
    );

    // Recovery: a 200 makes it ready again.
    harness.status.store(200, Ordering::SeqCst);
    eventually(10, "an available deployment again", || async {
        let d = deps.get("gitops-agent").await.unwrap();
        (available(&d).map(|a| a.0) == Some("True".into())).then_some(())
    })
    .await;

    // Deleting the Deployment stops the heartbeats and removes its Pods.
    deps.delete("gitops-agent", &DeleteParams::default())
        .await
        .unwrap();
    eventually(10, "the agent pods removed", || async {
        pods.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
            .then_some(())
    })
    .await;
    // Once the Pods are gone no pass finds the install (passes run one after another), so
    // the count is final; a few more intervals confirm it.
    let count = harness.beats().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        harness.beats().len(),
        count,
        "no heartbeat after the deletion"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_connection_failure_crash_loops_and_deleting_the_secret_stops_the_agent() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/gitops", closed.local_addr().unwrap());
    drop(closed);
    let emu = kube_api_emulator::start(Config {
        log_requests: false,
        agent_heartbeat_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = kube_client(&emu.admin_kubeconfig()).await;
    let apply = PatchParams::apply("harness-provider");
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns.patch(
        "harness-gitops",
        &apply,
        &Patch::Apply(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "harness-gitops"}})),
    )
    .await
    .unwrap();
    let objs = agent_objects(&target);
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "harness-gitops");
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), "harness-gitops");
    let deps: Api<Deployment> = Api::namespaced(client.clone(), "harness-gitops");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "harness-gitops");
    cms.patch("gitops-agent", &apply, &Patch::Apply(&objs[0].1))
        .await
        .unwrap();
    deps.patch("gitops-agent", &apply, &Patch::Apply(&objs[2].1))
        .await
        .unwrap();
    secrets
        .patch("gitops-agent", &apply, &Patch::Apply(&objs[1].1))
        .await
        .unwrap();
    let pod = eventually(10, "a crash-looping agent pod", || async {
        let list = pods.list(&ListParams::default()).await.unwrap();
        list.items.into_iter().find(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .and_then(|cs| cs[0].last_state.as_ref())
                .and_then(|l| l.terminated.as_ref())
                .is_some()
        })
    })
    .await;
    let cs = &pod
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    let msg = cs
        .last_state
        .as_ref()
        .unwrap()
        .terminated
        .as_ref()
        .unwrap()
        .message
        .clone()
        .unwrap();
    assert!(
        msg.starts_with(&format!("failed to reach {target}: ")),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN));
    // Deleting the Secret stops the agent: its Pods go.
    secrets
        .delete("gitops-agent", &DeleteParams::default())
        .await
        .unwrap();
    eventually(10, "the agent pods removed", || async {
        pods.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
            .then_some(())
    })
    .await;
    emu.shutdown().await;
}

#[tokio::test]
async fn https_targets_trust_the_agent_ca_secret() {
    let ca = kube_api_emulator::tls::CaMaterial::generate().unwrap();
    // The emulator's own server configuration (a certificate for 127.0.0.1 signed by `ca`),
    // limited to HTTP/1.1 as the fake endpoint speaks only that.
    let mut tls = (*ca.server_config().unwrap()).clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let harness = FakeHarness::start_with(Some(Arc::new(tls))).await;
    let emu = kube_api_emulator::start(Config {
        log_requests: false,
        agent_heartbeat_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = kube_client(&emu.admin_kubeconfig()).await;
    let apply = PatchParams::apply("harness-provider");
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns.patch(
        "harness-gitops",
        &apply,
        &Patch::Apply(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "harness-gitops"}})),
    )
    .await
    .unwrap();
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "harness-gitops");
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), "harness-gitops");
    let deps: Api<Deployment> = Api::namespaced(client.clone(), "harness-gitops");
    let objs = agent_objects(&harness.url);
    cms.patch("gitops-agent", &apply, &Patch::Apply(&objs[0].1))
        .await
        .unwrap();
    secrets
        .patch("gitops-agent", &apply, &Patch::Apply(&objs[1].1))
        .await
        .unwrap();
    deps.patch("gitops-agent", &apply, &Patch::Apply(&objs[2].1))
        .await
        .unwrap();
    // Without `<agent>-ca` the system roots do not trust the test CA: the agent crash-loops.
    eventually(10, "a failed https heartbeat", || async {
        emu.request_counts()
            .get("agent heartbeat failed harness-gitops")
            .copied()
    })
    .await;
    assert!(harness.beats().is_empty());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "harness-gitops");
    let msg = eventually(10, "the pod's last log line", || async {
        let list = pods.list(&ListParams::default()).await.unwrap();
        let p = list.items.into_iter().next()?;
        let cs = p.status?.container_statuses?.into_iter().next()?;
        cs.last_state?.terminated?.message
    })
    .await;
    assert!(
        msg.starts_with(&format!("failed to reach {}: ", harness.url)),
        "{msg}"
    );
    // With the CA bundle in Secret `myagent-ca` the heartbeat goes through.
    secrets
        .patch(
            "myagent-ca",
            &apply,
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "myagent-ca", "namespace": "harness-gitops"},
                "stringData": {"ca.bundle": ca.cert_pem}})),
        )
        .await
        .unwrap();
    let beat = eventually(10, "an https heartbeat", || async {
        harness.beats().first().cloned()
    })
    .await;
    assert_eq!(beat.path, "/gitops/agent/v1/heartbeat");
    assert_eq!(beat.authorization, format!("Bearer {TOKEN}"));
    eventually(10, "an available agent deployment", || async {
        let d = deps.get("gitops-agent").await.unwrap();
        (available(&d).map(|a| a.0) == Some("True".into())).then_some(())
    })
    .await;
    emu.shutdown().await;
}
