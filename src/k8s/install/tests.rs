use super::*;
use crate::k8s::connect::{connect, Target};
use harness_gitops_client::Secret as SecretText;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};

const TOKEN: &str = "s3cr3t-agent-token-value";

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.harness.io
spec:
  group: example.harness.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

fn manifest_yaml() -> String {
    format!(
        "# the agent
---
apiVersion: example.harness.io/v1
kind: Widget
metadata: {{name: w1}}
spec: {{size: 3}}
---
{CRD}---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: gitops-agent}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: gitops-agent}}
rules:
- apiGroups: [\"\"]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: gitops-agent}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: gitops-agent}}
subjects:
- {{kind: ServiceAccount, name: gitops-agent}}
---
apiVersion: v1
kind: Secret
metadata: {{name: gitops-agent}}
stringData:
  GITOPS_AGENT_TOKEN: {TOKEN}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: gitops-agent}}
  data: {{LOG_LEVEL: info}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: gitops-agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: agent, image: harness/gitops-agent:v1}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: gitops-agent-redis}}
spec:
  serviceName: gitops-agent-redis
  selector: {{matchLabels: {{app: redis}}}}
  template:
    metadata: {{labels: {{app: redis}}}}
    spec:
      containers: [{{name: redis, image: redis:7}}]
---
apiVersion: v1
kind: Service
metadata: {{name: gitops-agent-redis}}
spec:
  selector: {{app: redis}}
  ports: [{{port: 6379}}]
"
    )
}

// ---------------------------------------------------------------- parse

#[test]
fn parse_skips_empty_documents_and_expands_lists() {
    let m = Manifest::parse(&manifest_yaml()).unwrap();
    let kinds: Vec<String> = m.objects().iter().map(|o| o.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            "Widget",
            "CustomResourceDefinition",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Secret",
            "ConfigMap",
            "Deployment",
            "StatefulSet",
            "Service"
        ]
    );
    assert!(m.objects().iter().all(|o| o.namespace.is_none()));
    assert!(Manifest::parse("").unwrap().is_empty());
    assert!(Manifest::parse("# nothing\n---\n---\n").unwrap().is_empty());
}

#[test]
fn parse_errors_name_the_document() {
    let e = Manifest::parse("---\n# c\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
        .unwrap_err();
    assert_eq!(e.document, 2, "{e}");
    assert!(e.to_string().contains("metadata.name is missing"), "{e}");
    let e = Manifest::parse("apiVersion: v1\nmetadata: {name: x}\n").unwrap_err();
    assert_eq!((e.document, e.problem.as_str()), (1, "kind is missing"));
    let e = Manifest::parse("kind: X\nmetadata: {name: x}\n").unwrap_err();
    assert_eq!(e.problem, "apiVersion is missing");
    let e =
        Manifest::parse("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret}\n")
            .unwrap_err();
    assert_eq!((e.document, e.item), (1, Some(1)));
    let e = Manifest::parse("- a\n- b\n").unwrap_err();
    assert!(e.problem.starts_with("not an object"), "{e}");
    let e = Manifest::parse(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: x\ndata: {TOKEN}: [\n"
    ))
    .unwrap_err();
    assert!(!e.to_string().contains(TOKEN), "{e}");
}

#[test]
fn debug_hides_documents() {
    let m = Manifest::parse(&manifest_yaml()).unwrap();
    let d = format!("{m:?}");
    assert!(!d.contains(TOKEN), "{d}");
    assert!(!d.contains("GITOPS_AGENT_TOKEN"), "{d}");
    assert!(d.contains("v1/Secret") && d.contains("gitops-agent"), "{d}");
}

#[test]
fn installed_string_form_round_trips_and_orders_by_phase() {
    let d = Installed {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("harness".into()),
        name: "gitops-agent".into(),
    };
    assert_eq!(d.to_string(), "apps/v1/Deployment/harness/gitops-agent");
    assert_eq!(d.to_string().parse::<Installed>().unwrap(), d);
    let crd: Installed =
        "apiextensions.k8s.io/v1/CustomResourceDefinition//widgets.example.harness.io"
            .parse()
            .unwrap();
    assert_eq!(crd.namespace, None);
    let ns = Installed::namespace("harness");
    assert_eq!(ns.to_string(), "v1/Namespace//harness");
    assert_eq!(ns.to_string().parse::<Installed>().unwrap(), ns);
    let cm: Installed = "v1/ConfigMap/harness/x".parse().unwrap();
    let mut all = vec![d.clone(), cm.clone(), ns.clone(), crd.clone()];
    all.sort();
    assert_eq!(all, vec![crd, ns, cm, d]);
    for bad in [
        "",
        "a/b",
        "v1/ConfigMap/ns/",
        "/v1/ConfigMap/ns/x",
        "a//v1/K/ns/x",
    ] {
        assert!(bad.parse::<Installed>().is_err(), "{bad:?}");
    }
    let json = serde_json::to_string(&all[0]).unwrap();
    assert_eq!(serde_json::from_str::<Installed>(&json).unwrap(), all[0]);
}

#[test]
fn conflicts_are_read_from_causes_or_the_message() {
    let mut s = kube::core::Status::failure(
        "Apply failed with 1 conflict: conflict with \"kubectl\" using v1: .data.LOG_LEVEL",
        "Conflict",
    );
    s.code = 409;
    assert_eq!(
        conflicts_of(&s),
        vec![FieldConflict {
            field: ".data.LOG_LEVEL".into(),
            manager: "kubectl".into()
        }]
    );
    s.details = Some(kube::core::response::StatusDetails {
        causes: vec![kube::core::response::StatusCause {
            reason: "FieldManagerConflict".into(),
            message: "conflict with \"helm\" using apps/v1".into(),
            field: ".spec.replicas".into(),
        }],
        name: String::new(),
        group: String::new(),
        kind: String::new(),
        uid: String::new(),
        retry_after_seconds: 0,
    });
    assert_eq!(conflicts_of(&s)[0].manager, "helm");
}

// ---------------------------------------------------------------- against the emulator

struct Cluster {
    _h: kube_api_emulator::Handle,
    conn: Connection,
}

async fn cluster() -> Cluster {
    let h = kube_api_emulator::start(kube_api_emulator::Config {
        log_requests: false,
        ..Default::default()
    })
    .await
    .expect("emulator");
    let conn = connect(&Target {
        host: Some(h.url().to_string()),
        token: Some(SecretText::new(h.admin_token())),
        ca_pem: Some(h.ca_pem().to_string()),
        ..Default::default()
    })
    .await
    .expect("connect");
    Cluster { _h: h, conn }
}

fn installer(c: &Cluster) -> Installer<'_> {
    Installer::new(
        &c.conn,
        CancellationToken::new(),
        Some(std::time::Instant::now() + Duration::from_secs(60)),
    )
}

fn cm_api(c: &Cluster, ns: &str) -> Api<ConfigMap> {
    Api::namespaced(c.conn.client.clone(), ns)
}

#[tokio::test]
async fn namespace_is_created_only_when_missing() {
    let c = cluster().await;
    let i = installer(&c);
    assert!(i.ensure_namespace("harness").await.unwrap());
    assert!(!i.ensure_namespace("harness").await.unwrap());
    assert!(!i.ensure_namespace("default").await.unwrap());
    let ns: Namespace = Api::all(c.conn.client.clone())
        .get("harness")
        .await
        .unwrap();
    assert_eq!(
        ns.metadata
            .labels
            .unwrap()
            .get(MANAGED_BY_LABEL)
            .map(String::as_str),
        Some(MANAGED_BY)
    );
}

#[tokio::test]
async fn apply_present_remove_round_trip() {
    let c = cluster().await;
    let i = installer(&c);
    let m = Manifest::parse(&manifest_yaml()).unwrap();
    assert!(i.ensure_namespace("harness").await.unwrap());
    let applied = i.apply(&m, "harness").await.unwrap();
    let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "apiextensions.k8s.io/v1/CustomResourceDefinition//widgets.example.harness.io",
            "v1/ServiceAccount/harness/gitops-agent",
            "v1/Secret/harness/gitops-agent",
            "v1/ConfigMap/harness/gitops-agent",
            "rbac.authorization.k8s.io/v1/Role/harness/gitops-agent",
            "rbac.authorization.k8s.io/v1/RoleBinding/harness/gitops-agent",
            "v1/Service/harness/gitops-agent-redis",
            "example.harness.io/v1/Widget/harness/w1",
            "apps/v1/Deployment/harness/gitops-agent",
            "apps/v1/StatefulSet/harness/gitops-agent-redis",
        ]
    );
    let phases: Vec<u8> = applied.iter().map(Installed::phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");

    // Removal: workloads and custom resources first, then services, bindings, roles,
    // service accounts/config/secrets, the namespace, definitions last.
    let mut with_ns = applied.clone();
    with_ns.push(Installed::namespace("harness"));
    let kinds: Vec<&str> = removal_order(&with_ns)
        .iter()
        .map(|o| o.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "Widget",
            "StatefulSet",
            "Deployment",
            "Service",
            "RoleBinding",
            "Role",
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Namespace",
            "CustomResourceDefinition"
        ]
    );

    // Our field manager only.
    let cm = cm_api(&c, "harness").get("gitops-agent").await.unwrap();
    let managers: Vec<String> = cm
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.manager)
        .collect();
    assert_eq!(managers, [FIELD_MANAGER]);

    // Idempotent.
    let before = cm_api(&c, "harness").get("gitops-agent").await.unwrap();
    let again = i.apply(&m, "harness").await.unwrap();
    assert_eq!(again, applied);
    let after = cm_api(&c, "harness").get("gitops-agent").await.unwrap();
    assert_eq!(
        before.metadata.resource_version,
        after.metadata.resource_version
    );

    // Drift: deleted outside.
    assert_eq!(i.present(&applied).await.unwrap(), applied);
    cm_api(&c, "harness")
        .delete("gitops-agent", &DeleteParams::default())
        .await
        .unwrap();
    let present = i.present(&applied).await.unwrap();
    assert_eq!(present.len(), applied.len() - 1);
    assert!(!present.iter().any(|o| o.kind == "ConfigMap"));

    // A foreign object in the namespace is left alone; the namespace we made is not in
    // the list here, so it stays too.
    let foreign = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some("someone-elses".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    cm_api(&c, "harness")
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    i.remove(&applied).await.unwrap();
    assert!(i.present(&applied).await.unwrap().is_empty());
    assert!(cm_api(&c, "harness")
        .get_opt("someone-elses")
        .await
        .unwrap()
        .is_some());
    // Removing again is fine (everything missing, the CRD's kind no longer served).
    i.remove(&applied).await.unwrap();

    // With the namespace we created in the list, it goes too.
    let mut with_ns = i.apply(&m, "harness").await.unwrap();
    with_ns.push(Installed::namespace("harness"));
    i.remove(&with_ns).await.unwrap();
    let nss: Api<Namespace> = Api::all(c.conn.client.clone());
    assert!(nss.get_opt("harness").await.unwrap().is_none());
}

#[tokio::test]
async fn a_namespace_we_did_not_create_is_never_deleted() {
    let c = cluster().await;
    let i = installer(&c);
    let nss: Api<Namespace> = Api::all(c.conn.client.clone());
    nss.create(
        &PostParams::default(),
        &Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some("theirs".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!i.ensure_namespace("theirs").await.unwrap());
    let m = Manifest::parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").unwrap();
    let mut applied = i.apply(&m, "theirs").await.unwrap();
    applied.push(Installed::namespace("theirs"));
    i.remove(&applied).await.unwrap();
    assert!(nss.get_opt("theirs").await.unwrap().is_some());
    assert!(cm_api(&c, "theirs").get_opt("a").await.unwrap().is_none());
}

#[tokio::test]
async fn other_namespaces_and_cluster_scope_are_kept_as_written() {
    let c = cluster().await;
    let i = installer(&c);
    i.ensure_namespace("harness").await.unwrap();
    i.ensure_namespace("other").await.unwrap();
    let m = Manifest::parse(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: other}\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agent-cr, namespace: ignored}\nrules: []\n",
    )
    .unwrap();
    let applied = i.apply(&m, "harness").await.unwrap();
    let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "v1/ConfigMap/other/a",
            "rbac.authorization.k8s.io/v1/ClusterRole//agent-cr"
        ]
    );
    assert!(cm_api(&c, "other").get_opt("a").await.unwrap().is_some());
}

#[tokio::test]
async fn conflicts_name_object_field_and_manager_and_force_nothing() {
    let c = cluster().await;
    let i = installer(&c);
    i.ensure_namespace("harness").await.unwrap();
    let theirs =
        Installer::new(&c.conn, CancellationToken::new(), None).with_field_manager("kubectl");
    let m = |v: &str| {
        Manifest::parse(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata: {{LOG_LEVEL: {v}}}\n"
        ))
        .unwrap()
    };
    theirs.apply(&m("debug"), "harness").await.unwrap();
    let e = i.apply(&m("info"), "harness").await.unwrap_err();
    let InstallError::Conflict {
        object, conflicts, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(object.to_string(), "v1/ConfigMap/harness/cfg");
    assert_eq!(
        conflicts,
        &vec![FieldConflict {
            field: ".data.LOG_LEVEL".into(),
            manager: "kubectl".into()
        }]
    );
    let s = e.to_string();
    assert!(
        s.contains("ConfigMap \"cfg\" in namespace \"harness\"")
            && s.contains(".data.LOG_LEVEL owned by field manager \"kubectl\""),
        "{s}"
    );
    let cm = cm_api(&c, "harness").get("cfg").await.unwrap();
    assert_eq!(cm.data.unwrap()["LOG_LEVEL"], "debug", "nothing forced");
}

#[tokio::test]
async fn unknown_kinds_name_api_version_and_kind() {
    let c = cluster().await;
    let i = installer(&c);
    i.ensure_namespace("harness").await.unwrap();
    let m = Manifest::parse(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\
         apiVersion: nope.example.io/v1\nkind: Gadget\nmetadata: {name: g}\n",
    )
    .unwrap();
    let mut applied = Vec::new();
    let e = i.apply_into(&m, "harness", &mut applied).await.unwrap_err();
    assert!(
        matches!(&e, InstallError::UnknownKind { document: 2, api_version, kind, .. }
            if api_version == "nope.example.io/v1" && kind == "Gadget"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("\"nope.example.io/v1\" kind \"Gadget\""),
        "{e}"
    );
    assert_eq!(
        applied.len(),
        1,
        "what was applied before the failure is reported"
    );
}

#[tokio::test]
async fn cancellation_and_deadline_stop_every_call() {
    let c = cluster().await;
    let cancel = CancellationToken::new();
    let i = Installer::new(&c.conn, cancel.clone(), None);
    cancel.cancel();
    let e = i.ensure_namespace("harness").await.unwrap_err();
    assert!(matches!(e, K8sError::Interrupted { .. }), "{e:?}");
    let past = Installer::new(
        &c.conn,
        CancellationToken::new(),
        Some(std::time::Instant::now()),
    );
    let m = Manifest::parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").unwrap();
    let e = past.apply(&m, "default").await.unwrap_err();
    assert!(
        matches!(&e, InstallError::K8s(K8sError::Interrupted { why, .. }) if why.contains("deadline")),
        "{e:?}"
    );
    let e = past
        .remove(&["v1/ConfigMap/default/a".parse().unwrap()])
        .await
        .unwrap_err();
    assert!(matches!(e, K8sError::Interrupted { .. }), "{e:?}");
}

#[tokio::test]
async fn secret_values_never_reach_errors() {
    let c = cluster().await;
    let i = installer(&c);
    i.ensure_namespace("harness").await.unwrap();
    let theirs = Installer::new(&c.conn, CancellationToken::new(), None).with_field_manager("helm");
    let secret = |v: &str| {
        Manifest::parse(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: gitops-agent}}\nstringData: {{GITOPS_AGENT_TOKEN: {v}}}\n"
        ))
        .unwrap()
    };
    theirs
        .apply(&secret("their-token-value"), "harness")
        .await
        .unwrap();
    let e = i.apply(&secret(TOKEN), "harness").await.unwrap_err();
    assert!(matches!(e, InstallError::Conflict { .. }), "{e}");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(
            !shown.contains(TOKEN) && !shown.contains("their-token-value"),
            "{shown}"
        );
        assert!(
            shown.contains("gitops-agent") && shown.contains("helm"),
            "{shown}"
        );
    }
}
