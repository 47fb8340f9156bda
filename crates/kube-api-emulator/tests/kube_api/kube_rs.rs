//! kube-rs (`kube` + `k8s-openapi`, rustls on aws-lc-rs) against the emulator, configured
//! from the kubeconfig the emulator writes, with TLS verified against the emulator CA.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use kube_api_emulator::Config;
use serde_json::json;

use crate::common::api_error;

async fn client_from_kubeconfig(yaml: &str) -> Client {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    let kc = Kubeconfig::read_from(&path).expect("kubeconfig parses");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    assert!(!cfg.accept_invalid_certs, "TLS is verified");
    assert_eq!(
        cfg.root_cert.as_ref().map(Vec::len),
        Some(1),
        "the emulator CA is the trust root"
    );
    Client::try_from(cfg).expect("client")
}

#[tokio::test]
async fn kube_rs_service_accounts_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let kc_path = dir.path().join("admin.kubeconfig");
    let emu = kube_api_emulator::start(Config {
        kubeconfig_out: Some(kc_path.clone()),
        token_delay: Duration::from_millis(100),
        log_requests: false,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client_from_kubeconfig(&std::fs::read_to_string(&kc_path).unwrap()).await;
    let version = client.apiserver_version().await.expect("/version");
    assert_eq!(version.git_version, "v1.30.0");

    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "kube-system");
    let mut sa = ServiceAccount::default();
    sa.metadata.name = Some("rs".into());
    sa.metadata.labels = Some([("app".to_string(), "rs".to_string())].into());
    let created = sas
        .create(&PostParams::default(), &sa)
        .await
        .expect("create");
    let uid = created.metadata.uid.clone().expect("uid");
    assert_eq!(created.metadata.namespace.as_deref(), Some("kube-system"));
    let got = sas.get("rs").await.expect("get");
    assert_eq!(got.metadata.uid.as_deref(), Some(uid.as_str()));
    let listed = sas
        .list(&ListParams::default().labels("app=rs"))
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert!(listed.metadata.resource_version.is_some());
    let all: Api<ServiceAccount> = Api::all(client.clone());
    assert!(all.list(&ListParams::default()).await.unwrap().items.len() >= 5);

    // Merge patch and server-side apply.
    let merged = sas
        .patch(
            "rs",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"merged": "yes"}}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(merged.metadata.labels.as_ref().unwrap()["merged"], "yes");
    let applied = sas
        .patch(
            "rs",
            &PatchParams::apply("kube-rs-test"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "rs", "annotations": {"applied": "1"}}})),
        )
        .await
        .expect("apply patch");
    assert_eq!(
        applied.metadata.annotations.as_ref().unwrap()["applied"],
        "1"
    );
    let fresh = sas
        .patch(
            "rs-applied",
            &PatchParams::apply("kube-rs-test").force(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "rs-applied"}})),
        )
        .await
        .expect("apply creates");
    assert!(fresh.metadata.uid.is_some());

    // Errors as kube-rs types them.
    assert!(sas.get_opt("missing").await.expect("get_opt").is_none());
    let nf = api_error(sas.get("missing").await.unwrap_err());
    assert_eq!((nf.code, nf.reason.as_str()), (404, "NotFound"));
    assert_eq!(nf.message, "serviceaccounts \"missing\" not found");
    let dup = api_error(sas.create(&PostParams::default(), &sa).await.unwrap_err());
    assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));
    let mut stale = got.clone();
    stale.metadata.labels = Some([("stale".to_string(), "1".to_string())].into());
    let conflict = api_error(
        sas.replace("rs", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(conflict.is_conflict());
    let bad = api_error(
        sas.create(&PostParams::default(), &ServiceAccount::default())
            .await
            .unwrap_err(),
    );
    assert_eq!((bad.code, bad.reason.as_str()), (422, "Invalid"));

    // Delete answers a Status for ServiceAccounts and the object for namespaces.
    let deleted = sas
        .delete("rs", &DeleteParams::background())
        .await
        .expect("delete");
    let status = deleted.right().expect("a Status");
    assert_eq!(status.details.as_ref().unwrap().uid, uid);
    assert!(sas.get_opt("rs").await.unwrap().is_none());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut ns = Namespace::default();
    ns.metadata.name = Some("kube-rs".into());
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("namespace");
    let gone = namespaces
        .delete("kube-rs", &DeleteParams::default())
        .await
        .expect("delete namespace");
    assert!(
        gone.left().is_some(),
        "a namespace delete answers the namespace"
    );
    let in_missing = api_error(
        Api::<ServiceAccount>::namespaced(client.clone(), "kube-rs")
            .create(&PostParams::default(), &sa)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (in_missing.code, in_missing.message.as_str()),
        (404, "namespaces \"kube-rs\" not found")
    );

    // A service-account token: a client built from a kubeconfig carrying it gets 403s.
    let mut sa2 = ServiceAccount::default();
    sa2.metadata.name = Some("limited".into());
    sas.create(&PostParams::default(), &sa2).await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "kube-system");
    let mut tok = Secret::default();
    tok.metadata.name = Some("limited-token".into());
    tok.metadata.annotations = Some(
        [(
            "kubernetes.io/service-account.name".to_string(),
            "limited".to_string(),
        )]
        .into(),
    );
    tok.type_ = Some("kubernetes.io/service-account-token".into());
    secrets.create(&PostParams::default(), &tok).await.unwrap();
    let mut token = None;
    for _ in 0..100 {
        let s = secrets.get("limited-token").await.unwrap();
        if let Some(t) = s.data.as_ref().and_then(|d| d.get("token")) {
            token = Some(String::from_utf8(t.0.clone()).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.expect("token issued");
    let limited = client_from_kubeconfig(&kube_api_emulator::kubeconfig::render(
        emu.url(),
        emu.ca_pem(),
        "limited",
        &token,
        "kube-system",
    ))
    .await;
    let forbidden = api_error(
        Api::<ClusterRole>::all(limited.clone())
            .list(&ListParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (forbidden.code, forbidden.reason.as_str()),
        (403, "Forbidden")
    );
    assert!(forbidden.is_forbidden());
    assert_eq!(
        forbidden.message,
        "clusterroles.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:kube-system:limited\" cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"
    );
}

#[tokio::test]
async fn kube_rs_refuses_a_server_outside_the_trusted_ca() {
    let a = kube_api_emulator::start(Config {
        log_requests: false,
        ..Config::default()
    })
    .await
    .unwrap();
    let b = kube_api_emulator::start(Config {
        log_requests: false,
        ..Config::default()
    })
    .await
    .unwrap();
    // A's CA and token, B's URL: the TLS handshake must fail (B's certificate is not signed
    // by A's CA), which proves the client verifies against the configured CA.
    let yaml = kube_api_emulator::kubeconfig::render(
        b.url(),
        a.ca_pem(),
        "admin",
        a.admin_token(),
        "default",
    );
    let client = client_from_kubeconfig(&yaml).await;
    let err = client
        .apiserver_version()
        .await
        .expect_err("untrusted server certificate");
    assert!(
        !matches!(err, kube::Error::Api(_)),
        "a TLS error, not an API answer: {err:?}"
    );
    // With the right CA the same request succeeds.
    let ok = client_from_kubeconfig(&b.admin_kubeconfig()).await;
    assert_eq!(ok.apiserver_version().await.unwrap().git_version, "v1.30.0");
}
