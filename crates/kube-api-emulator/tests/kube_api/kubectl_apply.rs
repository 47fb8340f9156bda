//! The real kubectl against the emulator: `apply --server-side` of a CustomResourceDefinition
//! and its custom resources (`kubectl get applications.argoproj.io`), apps/v1 Deployments,
//! ConfigMaps and Services, a conflict between two field managers and `--force-conflicts`.
//! kubectl must be installed (`KUBECTL`, or `kubectl` on PATH): a missing kubectl fails.

use std::path::PathBuf;
use std::time::Duration;

use kube_api_emulator::child::{ChildEmulator, SpawnOptions};
use serde_json::Value;

use crate::common::kubectl_run;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: applications.argoproj.io
spec:
  group: argoproj.io
  names:
    kind: Application
    listKind: ApplicationList
    plural: applications
    shortNames: [app, apps]
    singular: application
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources: {}
"#;

const APP: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
"#;

fn deployment(replicas: u32) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: argocd
  labels:
    app: agent
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: harness/gitops-agent:v0.1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: agent-config
  namespace: argocd
data:
  GITOPS_AGENT_NAME: test
---
apiVersion: v1
kind: Service
metadata:
  name: agent
  namespace: argocd
spec:
  selector:
    app: agent
  ports:
  - port: 8080
"#
    )
}

#[test]
fn kubectl_server_side_apply_crds_and_conflicts() {
    let cache = tempfile::tempdir().unwrap();
    let emu = ChildEmulator::spawn(SpawnOptions {
        binary: Some(PathBuf::from(env!("CARGO_BIN_EXE_kube-api-emulator"))),
        token_delay: Some(Duration::from_millis(300)),
        quiet: true,
        ..Default::default()
    })
    .expect("emulator starts");
    let kc = emu.kubeconfig_path();
    let k = |args: &[&str], stdin: Option<&str>| {
        let (code, stdout, stderr) = kubectl_run(kc, cache.path(), args, stdin);
        Out {
            code,
            stdout,
            stderr,
        }
    };
    let ok = |args: &[&str], stdin: Option<&str>| {
        let o = k(args, stdin);
        assert_eq!(
            o.code, 0,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            o.stdout, o.stderr
        );
        o.stdout
    };

    // Before the CRD: kubectl does not know the type.
    let unknown = k(&["get", "applications.argoproj.io", "-A"], None);
    assert_ne!(unknown.code, 0);
    assert!(
        unknown
            .stderr
            .contains("the server doesn't have a resource type"),
        "{}",
        unknown.stderr
    );

    ok(&["create", "namespace", "argocd"], None);
    let applied = ok(&["apply", "--server-side", "-f", "-"], Some(CRD));
    assert!(
        applied.contains("customresourcedefinition.apiextensions.k8s.io/applications.argoproj.io serverside-applied"),
        "{applied}"
    );
    ok(
        &[
            "wait",
            "--for=condition=Established",
            "crd/applications.argoproj.io",
            "--timeout=20s",
        ],
        None,
    );
    // A new kubectl process (fresh discovery, the cache dir is shared) applies a custom resource.
    let applied = ok(&["apply", "--server-side", "-f", "-"], Some(APP));
    assert!(
        applied.contains("application.argoproj.io/guestbook serverside-applied"),
        "{applied}"
    );
    let list = ok(&["get", "applications.argoproj.io", "-n", "argocd"], None);
    let header: Vec<&str> = list.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "AGE"], "{list}");
    assert!(list.lines().any(|l| l.starts_with("guestbook ")), "{list}");
    // The short name from the definition works too.
    let json = ok(
        &[
            "get",
            "app",
            "guestbook",
            "-n",
            "argocd",
            "-o",
            "json",
            "--show-managed-fields",
        ],
        None,
    );
    let app: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(app["spec"]["source"]["path"], "guestbook");
    assert_eq!(app["metadata"]["generation"], 1);
    assert_eq!(app["metadata"]["managedFields"][0]["manager"], "kubectl");
    assert_eq!(app["metadata"]["managedFields"][0]["operation"], "Apply");

    // apps/v1, a ConfigMap and a Service in one server-side apply.
    let applied = ok(&["apply", "--server-side", "-f", "-"], Some(&deployment(1)));
    for line in [
        "deployment.apps/agent serverside-applied",
        "configmap/agent-config serverside-applied",
        "service/agent serverside-applied",
    ] {
        assert!(applied.contains(line), "{line} in:\n{applied}");
    }
    let deploys = ok(&["get", "deployments", "-n", "argocd"], None);
    assert!(
        deploys.lines().any(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            c.len() == 5 && c[..4] == ["agent", "1/1", "1", "1"]
        }),
        "{deploys}"
    );
    ok(
        &[
            "rollout",
            "status",
            "deployment/agent",
            "-n",
            "argocd",
            "--timeout=20s",
        ],
        None,
    );

    // Another manager changes spec.replicas: a conflict with kubectl's apply...
    let conflict = k(
        &["apply", "--server-side", "--field-manager=other", "-f", "-"],
        Some(&deployment(3)),
    );
    assert_ne!(conflict.code, 0, "{}", conflict.stdout);
    assert!(
        conflict
            .stderr
            .contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{}",
        conflict.stderr
    );
    let replicas = ok(
        &[
            "get",
            "deploy",
            "agent",
            "-n",
            "argocd",
            "-o",
            "jsonpath={.spec.replicas} {.metadata.generation}",
        ],
        None,
    );
    assert_eq!(replicas, "1 1");
    // ...and --force-conflicts takes the field.
    ok(
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&deployment(3)),
    );
    let json = ok(
        &[
            "get",
            "deploy",
            "agent",
            "-n",
            "argocd",
            "-o",
            "json",
            "--show-managed-fields",
        ],
        None,
    );
    let d: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(d["metadata"]["generation"], 2);
    assert_eq!(d["status"]["readyReplicas"], 3);
    let mf = d["metadata"]["managedFields"].as_array().unwrap();
    let owner = |m: &str| {
        mf.iter()
            .find(|e| e["manager"] == m)
            .map(|e| e["fieldsV1"]["f:spec"].get("f:replicas").is_some())
    };
    assert_eq!(owner("other"), Some(true));
    assert_eq!(owner("kubectl"), Some(false));

    // An Update (kubectl patch; the emulator has no scale subresource for kubectl scale)
    // takes the field from the appliers: now applying 3 conflicts with the patcher.
    ok(
        &[
            "patch",
            "deploy",
            "agent",
            "-n",
            "argocd",
            "--type=merge",
            "-p",
            r#"{"spec":{"replicas":2}}"#,
        ],
        None,
    );
    let conflict = k(
        &["apply", "--server-side", "--field-manager=other", "-f", "-"],
        Some(&deployment(3)),
    );
    assert!(
        conflict.stderr.contains(
            "Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: .spec.replicas"
        ),
        "{}",
        conflict.stderr
    );

    // Deleting the definition deletes its objects and the type.
    ok(&["delete", "crd", "applications.argoproj.io"], None);
    let gone = k(&["get", "applications.argoproj.io", "-A"], None);
    assert_ne!(gone.code, 0, "{}", gone.stdout);
}
