//! kube-rs server-side apply against the emulator: a CustomResourceDefinition registers a
//! type kube-rs discovers (plain discovery documents), custom resources through
//! `Api<DynamicObject>`, apps/v1 Deployments, conflicts between field managers and `force`.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{Discovery, Scope};
use kube_api_emulator::Config;
use serde_json::json;

use crate::common::{api_error, kube_client};

#[tokio::test]
async fn kube_rs_server_side_apply() {
    let emu = kube_api_emulator::start(Config {
        log_requests: false,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = kube_client(&emu.admin_kubeconfig()).await;

    // A cluster-scoped definition, applied.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "appprojects.argoproj.io"},
        "spec": {"group": "argoproj.io", "scope": "Cluster",
            "names": {"plural": "appprojects", "kind": "AppProject"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}}]}
    }))
    .unwrap();
    let applied = crds
        .patch(
            "appprojects.argoproj.io",
            &PatchParams::apply("harness"),
            &Patch::Apply(&crd),
        )
        .await
        .expect("CRD applied");
    let status_names = applied
        .status
        .as_ref()
        .and_then(|s| s.accepted_names.as_ref());
    assert_eq!(status_names.map(|n| n.kind.as_str()), Some("AppProject"));
    assert_eq!(
        applied.spec.names.singular.as_deref(),
        Some("appproject"),
        "defaulted"
    );

    // kube-rs discovery (plain APIGroupList / APIResourceList) finds it.
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let (ar, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk(
            "argoproj.io",
            "v1alpha1",
            "AppProject",
        ))
        .expect("AppProject discovered");
    assert_eq!(ar.plural, "appprojects");
    assert_eq!(caps.scope, Scope::Cluster);
    assert!(caps.subresources.iter().any(|(s, _)| s.plural == "status"));

    // Custom resources through Api<DynamicObject>.
    let projects: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let p = |desc: &str| {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
               "metadata": {"name": "harness"}, "spec": {"description": desc, "sourceRepos": ["*"]},
               "status": {"ignored": true}})
    };
    let created = projects
        .patch(
            "harness",
            &PatchParams::apply("harness"),
            &Patch::Apply(p("one")),
        )
        .await
        .expect("created by apply");
    assert_eq!(created.data["spec"]["description"], "one");
    assert!(
        created.data.get("status").is_none(),
        "status is the status subresource's"
    );
    assert_eq!(created.metadata.generation, Some(1));
    let mf = created.metadata.managed_fields.as_ref().unwrap();
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("harness"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));
    assert_eq!(
        mf[0].fields_v1.as_ref().unwrap().0,
        json!({"f:spec": {"f:description": {}, "f:sourceRepos": {}}})
    );
    // Re-applying the same configuration changes nothing.
    let again = projects
        .patch(
            "harness",
            &PatchParams::apply("harness"),
            &Patch::Apply(p("one")),
        )
        .await
        .unwrap();
    assert_eq!(
        again.metadata.resource_version,
        created.metadata.resource_version
    );

    // Another manager: a conflict, then forced.
    let err = api_error(
        projects
            .patch(
                "harness",
                &PatchParams::apply("other"),
                &Patch::Apply(p("two")),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"harness\": .spec.description"
    );
    let forced = projects
        .patch(
            "harness",
            &PatchParams::apply("other").force(),
            &Patch::Apply(p("two")),
        )
        .await
        .expect("forced");
    assert_eq!(forced.data["spec"]["description"], "two");
    assert_eq!(forced.metadata.generation, Some(2));
    let owners: Vec<(String, bool)> = forced
        .metadata
        .managed_fields
        .unwrap()
        .iter()
        .map(|e| {
            let f = &e.fields_v1.as_ref().unwrap().0;
            (
                e.manager.clone().unwrap(),
                f["f:spec"].get("f:description").is_some(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [("harness".to_owned(), false), ("other".to_owned(), true)]
    );

    // A Deployment: apply creates it in an existing namespace only.
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d = |replicas: i32, image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "agent", "labels": {"app": "agent", "tier": "x"}},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "agent"}},
                        "template": {"metadata": {"labels": {"app": "agent"}},
                                     "spec": {"containers": [{"name": "agent", "image": image}]}}}})
    };
    let missing_ns: Api<Deployment> = Api::namespaced(client.clone(), "nowhere");
    let err = api_error(
        missing_ns
            .patch(
                "agent",
                &PatchParams::apply("harness"),
                &Patch::Apply(d(1, "a")),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (err.code, err.message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );
    let dep = deploys
        .patch(
            "agent",
            &PatchParams::apply("harness"),
            &Patch::Apply(d(2, "a")),
        )
        .await
        .unwrap();
    let st = dep.status.as_ref().unwrap();
    assert_eq!(
        (st.ready_replicas, st.observed_generation),
        (Some(2), Some(1))
    );
    // The manager stops applying the label "tier" and spec.replicas: both are removed, as
    // nobody else owns them, and replicas is defaulted again (1), as the API server does.
    let mut fewer = d(2, "b");
    fewer["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("tier");
    fewer["spec"].as_object_mut().unwrap().remove("replicas");
    let dep = deploys
        .patch(
            "agent",
            &PatchParams::apply("harness"),
            &Patch::Apply(fewer),
        )
        .await
        .unwrap();
    let labels = dep.metadata.labels.clone().unwrap();
    assert_eq!(labels.get("tier"), None);
    assert_eq!(dep.spec.as_ref().unwrap().replicas, Some(1));
    assert_eq!(dep.metadata.generation, Some(2));

    // Deleting the definition deletes its objects and stops serving the type.
    crds.delete("appprojects.argoproj.io", &DeleteParams::default())
        .await
        .unwrap();
    let err = api_error(projects.get("harness").await.unwrap_err());
    assert_eq!(err.code, 404);
    let gvk_gone = Discovery::new(client.clone()).run().await.unwrap();
    assert!(gvk_gone
        .resolve_gvk(&GroupVersionKind::gvk(
            "argoproj.io",
            "v1alpha1",
            "AppProject"
        ))
        .is_none());
}
