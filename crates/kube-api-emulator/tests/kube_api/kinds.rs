//! The kinds a GitOps agent's manifest carries besides the apps/v1 and core ones: batch/v1
//! CronJob and Job, networking.k8s.io/v1 Ingress, policy/v1 PodDisruptionBudget,
//! autoscaling/v2 HorizontalPodAutoscaler, and read-only core/v1 Pods. Through kube-rs
//! (discovery, `pinned_kind`, server-side apply, list, watch, delete), kubectl (`apply
//! --server-side` of a multi-document file, `get`) and persistence across a restart.
//! kubectl must be installed (`KUBECTL`, or `kubectl` on PATH).

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, DeleteParams, GroupVersionKind, ListParams, Patch, PatchParams};
use kube::discovery::{pinned_kind, Discovery, Scope};
use kube_api_emulator::Config;
use serde_json::{json, Value};

use crate::common::{self, kube_client, kubectl_run as kubectl};

fn quiet(data: Option<PathBuf>) -> Config {
    Config {
        log_requests: false,
        agent_heartbeat_interval: Duration::ZERO,
        data,
        ..Config::default()
    }
}

fn objects() -> Vec<(GroupVersionKind, &'static str, Value)> {
    vec![
        (
            GroupVersionKind::gvk("batch", "v1", "CronJob"),
            "cronjobs",
            json!({"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": "cleanup", "namespace": "agent", "labels": {"app": "gitops"}},
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [{"name": "c", "image": "busybox:1.36"}]}}}}}}),
        ),
        (
            GroupVersionKind::gvk("batch", "v1", "Job"),
            "jobs",
            json!({"apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": "migrate", "namespace": "agent", "labels": {"app": "gitops"}},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox:1.36"}]}}}}),
        ),
        (
            GroupVersionKind::gvk("networking.k8s.io", "v1", "Ingress"),
            "ingresses",
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": "web", "namespace": "agent", "labels": {"app": "gitops"}},
                "spec": {"rules": [{"host": "agent.example.com", "http": {"paths": [{"path": "/",
                    "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
        ),
        (
            GroupVersionKind::gvk("policy", "v1", "PodDisruptionBudget"),
            "poddisruptionbudgets",
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": "agent", "namespace": "agent", "labels": {"app": "gitops"}},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "gitops"}}}}),
        ),
        (
            GroupVersionKind::gvk("autoscaling", "v2", "HorizontalPodAutoscaler"),
            "horizontalpodautoscalers",
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "repo", "namespace": "agent", "labels": {"app": "gitops"}},
                "spec": {"minReplicas": 1, "maxReplicas": 3,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "repo"},
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50}}}]}}),
        ),
    ]
}

#[tokio::test]
async fn kube_rs_discovery_apply_list_watch_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let e = common::start_with(quiet(Some(data.clone()))).await;
    let client = kube_client(&e.handle.admin_kubeconfig()).await;
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns.patch(
        "agent",
        &PatchParams::apply("harness"),
        &Patch::Apply(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "agent"}}),
        ),
    )
    .await
    .unwrap();

    // Discovery (plain documents) and pinned_kind find every kind, with a status subresource.
    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    for (gvk, plural, _) in objects() {
        let (ar, caps) = discovery.resolve_gvk(&gvk).expect("discovered");
        assert_eq!(ar.plural, plural);
        assert_eq!(caps.scope, Scope::Namespaced);
        assert!(caps.subresources.iter().any(|(s, _)| s.plural == "status"));
        let (pinned, _) = pinned_kind(&client, &gvk).await.expect("pinned_kind");
        assert_eq!(pinned.plural, plural);
    }
    let (pods, _) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Pod"))
        .expect("pods discovered");
    assert_eq!(pods.plural, "pods");

    // Server-side apply through typed APIs: created with managedFields and a generation.
    let apply = PatchParams::apply("harness");
    let objs = objects();
    let cj: CronJob = Api::namespaced(client.clone(), "agent")
        .patch("cleanup", &apply, &Patch::Apply(&objs[0].2))
        .await
        .unwrap();
    assert_eq!(cj.spec.as_ref().unwrap().schedule, "*/5 * * * *");
    let mf = cj.metadata.managed_fields.as_ref().unwrap();
    assert_eq!(
        (mf[0].manager.as_deref(), mf[0].operation.as_deref()),
        (Some("harness"), Some("Apply"))
    );
    assert_eq!(cj.metadata.generation, Some(1));
    let jobs: Api<Job> = Api::namespaced(client.clone(), "agent");
    jobs.patch("migrate", &apply, &Patch::Apply(&objs[1].2))
        .await
        .unwrap();
    let ing: Ingress = Api::namespaced(client.clone(), "agent")
        .patch("web", &apply, &Patch::Apply(&objs[2].2))
        .await
        .unwrap();
    assert_eq!(
        ing.spec.unwrap().rules.unwrap()[0].host.as_deref(),
        Some("agent.example.com")
    );
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), "agent");
    pdbs.patch("agent", &apply, &Patch::Apply(&objs[3].2))
        .await
        .unwrap();
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "agent");
    let hpa = hpas
        .patch("repo", &apply, &Patch::Apply(&objs[4].2))
        .await
        .unwrap();
    assert_eq!(hpa.spec.as_ref().unwrap().max_replicas, 3);

    // A changed apply moves the generation; another manager conflicts.
    let mut changed = objs[4].2.clone();
    changed["spec"]["maxReplicas"] = json!(5);
    let hpa2 = hpas
        .patch("repo", &apply, &Patch::Apply(&changed))
        .await
        .unwrap();
    assert_eq!(hpa2.metadata.generation, Some(2));
    let mut other = objs[4].2.clone();
    other["spec"]["maxReplicas"] = json!(7);
    match hpas
        .patch("repo", &PatchParams::apply("other"), &Patch::Apply(&other))
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 409);
            assert!(s.message.contains(".spec.maxReplicas"), "{}", s.message);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    // List with a label selector; watch from a resourceVersion sees a deletion.
    let listed = jobs
        .list(&ListParams::default().labels("app=gitops"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let rv = listed.metadata.resource_version.clone().unwrap();
    jobs.delete("migrate", &DeleteParams::default())
        .await
        .unwrap();
    let w = e
        .get(&format!(
            "/apis/batch/v1/namespaces/agent/jobs?watch=1&resourceVersion={rv}&timeoutSeconds=1"
        ))
        .await;
    assert_eq!(w.status, 200);
    let events: Vec<Value> = w
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{}", w.text);
    assert_eq!(events[0]["type"], "DELETED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "migrate");
    jobs.patch("migrate", &apply, &Patch::Apply(&objs[1].2))
        .await
        .unwrap();

    // Pods are not writable by clients: 405 MethodNotAllowed.
    let pod_api: Api<Pod> = Api::namespaced(client.clone(), "agent");
    match pod_api
        .patch(
            "p",
            &apply,
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "x"}]}}),
            ),
        )
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (405, "MethodNotAllowed"))
        }
        other => panic!("expected 405, got {other:?}"),
    }
    assert!(pod_api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());

    // Persistence: a restart on the same --data keeps every object.
    e.handle.shutdown().await;
    let emu = kube_api_emulator::start(quiet(Some(data))).await.unwrap();
    let client = kube_client(&emu.admin_kubeconfig()).await;
    for (gvk, _, obj) in objects() {
        let (ar, _) = pinned_kind(&client, &gvk).await.unwrap();
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), "agent", &ar);
        let got = api
            .get(obj["metadata"]["name"].as_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{} kept: {e}", gvk.kind));
        assert!(got.data["spec"].is_object(), "{}", gvk.kind);
        assert!(got.metadata.managed_fields.is_some());
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_server_side_apply_and_get() {
    let emu = kube_api_emulator::start(quiet(None)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, emu.admin_kubeconfig()).unwrap();
    let cache = dir.path().join("cache");
    let mut docs =
        vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "agent"}})];
    docs.extend(objects().into_iter().map(|(_, _, o)| o));
    // One JSON document per file, applied as a directory (in file-name order).
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).unwrap();
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(manifests.join(format!("{i:02}.json")), d.to_string()).unwrap();
    }
    let (kc2, cache2) = (kc.clone(), cache.clone());
    let m = manifests.to_str().unwrap().to_owned();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        kubectl(
            &kc2,
            &cache2,
            &[
                "apply",
                "--server-side",
                "--field-manager=harness",
                "-f",
                &m,
            ],
            None,
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    for line in [
        "namespace/agent serverside-applied",
        "cronjob.batch/cleanup serverside-applied",
        "job.batch/migrate serverside-applied",
        "ingress.networking.k8s.io/web serverside-applied",
        "poddisruptionbudget.policy/agent serverside-applied",
        "horizontalpodautoscaler.autoscaling/repo serverside-applied",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    let (kc2, cache2) = (kc.clone(), cache.clone());
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        kubectl(
            &kc2,
            &cache2,
            &[
                "get",
                "cj,jobs,ing,pdb,hpa,pods",
                "-n",
                "agent",
                "-o",
                "name",
            ],
            None,
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "cronjob.batch/cleanup",
            "job.batch/migrate",
            "ingress.networking.k8s.io/web",
            "poddisruptionbudget.policy/agent",
            "horizontalpodautoscaler.autoscaling/repo",
        ]
    );
    // A Table for `kubectl get` (default output).
    let (kc2, cache2) = (kc.clone(), cache.clone());
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        kubectl(&kc2, &cache2, &["get", "hpa", "repo", "-n", "agent"], None)
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.starts_with("NAME"), "{out}");
    emu.shutdown().await;
}
