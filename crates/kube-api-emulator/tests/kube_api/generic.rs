//! REST-level tests of the kinds beyond the core set: CustomResourceDefinitions (validation,
//! discovery, custom resources, deletion, persistence), generation and the status
//! subresource, managed fields of Updates, and server-side apply's Status errors.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{assert_status, start};
use kube_api_emulator::child::{ChildEmulator, SpawnOptions};
use serde_json::{json, Value};

const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const WIDGETS: &str = "/apis/example.com/v1/namespaces/default/widgets";

fn crd(scope: &str) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": scope,
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
            {"name": "v1beta1", "served": true, "storage": false}
        ]}})
}

fn widget(name: &str, size: i64) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget",
           "metadata": {"name": name}, "spec": {"size": size}, "status": {"phase": "ignored"}})
}

#[tokio::test]
async fn crd_validation_messages() {
    let e = start().await;
    let mut bad = crd("Global");
    bad["metadata"]["name"] = json!("gadgets.example.com");
    bad["spec"]["versions"][0]["storage"] = json!(false);
    let r = e.post(CRDS, &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["reason"], "Invalid");
    let msg = r.body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("CustomResourceDefinition.apiextensions.k8s.io \"gadgets.example.com\" is invalid: [metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group, spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\", spec.versions: Invalid value: "),
        "{msg}"
    );
    assert!(
        msg.ends_with(": must have exactly one version marked as storage version]"),
        "{msg}"
    );
    let causes: Vec<&str> = r.body["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(causes, ["metadata.name", "spec.scope", "spec.versions"]);

    let mut no_names = crd("Namespaced");
    no_names["spec"]["names"] = json!({});
    no_names["spec"]["group"] = json!("example");
    let r = e.post(CRDS, &no_names).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let msg = r.body["message"].as_str().unwrap();
    for part in [
        "spec.group: Invalid value: \"example\": should be a domain with at least one dot",
        "spec.names.plural: Required value",
        "spec.names.kind: Required value",
    ] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    // Nothing was registered: the group is unknown.
    let r = e.get(WIDGETS).await;
    assert_eq!((r.status, r.text.as_str()), (404, "404 page not found\n"));
}

#[tokio::test]
async fn custom_resources_served_and_deleted_with_their_definition() {
    let e = start().await;
    let r = e.post(CRDS, &crd("Namespaced")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["metadata"]["generation"], 1);
    assert_eq!(r.body["spec"]["names"]["singular"], "widget");
    assert_eq!(r.body["spec"]["names"]["listKind"], "WidgetList");
    let conds: Vec<(&str, &str)> = r.body["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(conds, [("NamesAccepted", "True"), ("Established", "True")]);
    assert_eq!(r.body["status"]["storedVersions"], json!(["v1"]));

    // Discovery, plain and aggregated.
    let g = e.get("/apis/example.com").await;
    assert_eq!(g.body["kind"], "APIGroup");
    assert_eq!(g.body["preferredVersion"]["version"], "v1");
    assert_eq!(g.body["versions"].as_array().unwrap().len(), 2);
    let rl = e.get("/apis/example.com/v1").await;
    let names: Vec<&str> = rl.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["widgets", "widgets/status"]);
    assert_eq!(rl.body["resources"][0]["shortNames"], json!(["wd"]));
    let agg: Value = e
        .client
        .get(e.url("/apis"))
        .bearer_auth(e.admin())
        .header(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = agg["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "example.com")
        .expect("example.com in aggregated discovery");
    assert_eq!(item["versions"][0]["resources"][0]["scope"], "Namespaced");
    assert_eq!(item["versions"][1]["version"], "v1beta1");
    let root = e.get("/openapi/v3").await;
    assert!(
        root.body["paths"]["apis/example.com/v1"].is_object(),
        "{}",
        root.text
    );

    let rv_before = e.get(WIDGETS).await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    // Create: status dropped (status subresource), generation 1.
    let c = e.post(WIDGETS, &widget("w1", 1)).await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert_eq!(c.body["metadata"]["generation"], 1);
    assert!(c.body.get("status").is_none(), "{}", c.text);
    assert_eq!(c.body["apiVersion"], "example.com/v1");
    // Unknown fields are kept (no schema pruning).
    assert_eq!(c.body["spec"]["size"], 1);
    // A watch from before the create (through the other version) sees it.
    let w = e
        .get(&format!(
            "/apis/example.com/v1beta1/namespaces/default/widgets?watch=1&resourceVersion={rv_before}&timeoutSeconds=1"
        ))
        .await;
    let first: Value = serde_json::from_str(w.text.lines().next().unwrap_or("")).unwrap();
    assert_eq!(first["type"], "ADDED", "{}", w.text);
    assert_eq!(first["object"]["metadata"]["name"], "w1");
    // A metadata-only change keeps the generation; a spec change moves it.
    let mut u = c.body.clone();
    u["metadata"]["labels"] = json!({"a": "b"});
    let u1 = e.req("PUT", &format!("{WIDGETS}/w1"), Some(&u)).await;
    assert_eq!(u1.status, 200, "{}", u1.text);
    assert_eq!(u1.body["metadata"]["generation"], 1);
    let mut u = u1.body.clone();
    u["spec"]["size"] = json!(2);
    u["status"] = json!({"phase": "main resource cannot set it"});
    let u2 = e.req("PUT", &format!("{WIDGETS}/w1"), Some(&u)).await;
    assert_eq!(u2.body["metadata"]["generation"], 2);
    assert!(u2.body.get("status").is_none());
    // The status subresource writes the status only.
    let mut st = u2.body.clone();
    st["status"] = json!({"phase": "Ready"});
    st["spec"]["size"] = json!(99);
    let s = e
        .req("PUT", &format!("{WIDGETS}/w1/status"), Some(&st))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.body["status"]["phase"], "Ready");
    assert_eq!(s.body["spec"]["size"], 2);
    assert_eq!(s.body["metadata"]["generation"], 2);
    let p = e
        .patch(
            &format!("{WIDGETS}/w1/status"),
            "application/merge-patch+json",
            &json!({"status": {"phase": "Degraded"}}),
        )
        .await;
    assert_eq!(p.body["status"]["phase"], "Degraded", "{}", p.text);
    // Custom resources take no strategic merge patch, as on the API server.
    assert_status(
        &e.patch(&format!("{WIDGETS}/w1"), "application/strategic-merge-patch+json", &json!({})).await,
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
    // A version without the status subresource has none.
    assert_status(
        &e.get("/apis/example.com/v1beta1/namespaces/default/widgets/w1/status")
            .await,
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    // ...but reads the same objects.
    let other = e
        .get("/apis/example.com/v1beta1/namespaces/default/widgets")
        .await;
    assert_eq!(
        other.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        other.text
    );
    // Errors name the custom resource.
    assert_status(
        &e.get(&format!("{WIDGETS}/none")).await,
        404,
        "NotFound",
        "widgets.example.com \"none\" not found",
    );
    let dup = e.post(WIDGETS, &widget("w1", 1)).await;
    assert_status(
        &dup,
        409,
        "AlreadyExists",
        "widgets.example.com \"w1\" already exists",
    );
    let bad = e.post(WIDGETS, &widget("Bad_Name", 1)).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.body["message"].as_str().unwrap().starts_with(
            "Widget.example.com \"Bad_Name\" is invalid: metadata.name: Invalid value"
        ),
        "{}",
        bad.text
    );

    // The spec is immutable where the API server says so.
    let mut changed = e.get(&format!("{CRDS}/widgets.example.com")).await.body;
    changed["spec"]["scope"] = json!("Cluster");
    let r = e
        .req(
            "PUT",
            &format!("{CRDS}/widgets.example.com"),
            Some(&changed),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "CustomResourceDefinition.apiextensions.k8s.io \"widgets.example.com\" is invalid: spec.scope: Invalid value: \"Cluster\": field is immutable"
    );

    // Deleting the definition deletes the objects and the type.
    let d = e
        .req("DELETE", &format!("{CRDS}/widgets.example.com"), None)
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    let r = e.get(WIDGETS).await;
    assert_eq!(r.status, 404);
    let state = e.get("/_emulator/state").await;
    assert!(
        !state.body["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["object"]["metadata"]["name"] == "w1"),
        "{}",
        state.text
    );
    // The test endpoint names built-in types by their plural, custom ones with their group.
    let resources: Vec<&str> = state.body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["resource"].as_str().unwrap())
        .collect();
    assert!(resources.contains(&"clusterroles"), "{resources:?}");
    assert!(
        !resources.contains(&"customresourcedefinitions"),
        "deleted: {resources:?}"
    );
    // Re-created, it serves an empty collection.
    assert_eq!(e.post(CRDS, &crd("Namespaced")).await.status, 201);
    let r = e.get(WIDGETS).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
}

#[tokio::test]
async fn cluster_scoped_custom_resources_and_namespace_deletion() {
    let e = start().await;
    assert_eq!(e.post(CRDS, &crd("Cluster")).await.status, 201);
    let c = e
        .post("/apis/example.com/v1/widgets", &widget("global", 1))
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert!(c.body["metadata"].get("namespace").is_none());
    let r = e.get(WIDGETS).await;
    assert_eq!(
        r.status, 404,
        "a cluster-scoped type has no namespaced path"
    );
    let state = e.get("/_emulator/state").await;
    assert!(
        state.body["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["resource"] == "widgets.example.com"),
        "{}",
        state.text
    );
    assert_eq!(state.body["counts"]["widgets.example.com"], 1);

    // A namespaced type's objects go with their namespace.
    let e = start().await;
    assert_eq!(e.post(CRDS, &crd("Namespaced")).await.status, 201);
    assert_eq!(
        e.post("/api/v1/namespaces", &json!({"metadata": {"name": "tmp"}}))
            .await
            .status,
        201
    );
    let w = e
        .post(
            "/apis/example.com/v1/namespaces/tmp/widgets",
            &widget("w", 1),
        )
        .await;
    assert_eq!(w.status, 201, "{}", w.text);
    assert_eq!(
        e.req("DELETE", "/api/v1/namespaces/tmp", None).await.status,
        200
    );
    let all = e.get("/apis/example.com/v1/widgets").await;
    assert_eq!(all.body["items"], json!([]), "{}", all.text);
}

#[tokio::test]
async fn workloads_managed_fields_and_apply_errors() {
    let e = start().await;
    const CM: &str = "/api/v1/namespaces/default/configmaps";
    // A create records an Update entry, maps marked "." as the API server does.
    let c = e
        .post(
            &format!("{CM}?fieldManager=creator"),
            &json!({"metadata": {"name": "c"}, "data": {"a": "1"}}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    let mf = &c.body["metadata"]["managedFields"];
    assert_eq!(mf.as_array().unwrap().len(), 1, "{}", c.text);
    assert_eq!(mf[0]["manager"], "creator");
    assert_eq!(mf[0]["operation"], "Update");
    assert_eq!(mf[0]["apiVersion"], "v1");
    assert_eq!(mf[0]["fieldsType"], "FieldsV1");
    assert_eq!(mf[0]["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}}}));

    // Apply conflicts with the Update manager: the Status as the API server sends it.
    let apply = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": v}});
    let r = e
        .patch(
            &format!("{CM}/c?fieldManager=applier"),
            "application/apply-patch+yaml",
            &apply("2"),
        )
        .await;
    assert_status(
        &r,
        409,
        "Conflict",
        "Apply failed with 1 conflict: conflict with \"creator\" using v1: .data.a",
    );
    assert_eq!(
        r.body["details"]["causes"],
        json!([{"reason": "FieldManagerConflict", "message": "conflict with \"creator\" using v1", "field": ".data.a"}])
    );
    // The same value is no conflict: shared ownership.
    let r = e
        .patch(
            &format!("{CM}/c?fieldManager=applier"),
            "application/apply-patch+yaml",
            &apply("1"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // force is for apply only, and must be a boolean.
    let r = e
        .patch(
            &format!("{CM}/c?force=true"),
            "application/merge-patch+json",
            &json!({}),
        )
        .await;
    assert_status(
        &r,
        422,
        "Invalid",
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
    );
    let r = e
        .patch(
            &format!("{CM}/c?fieldManager=x&force=yes"),
            "application/apply-patch+yaml",
            &apply("1"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Apply creates only in an existing namespace.
    let r = e
        .patch(
            "/api/v1/namespaces/nowhere/configmaps/c?fieldManager=x",
            "application/apply-patch+yaml",
            &apply("1"),
        )
        .await;
    assert_status(&r, 404, "NotFound", "namespaces \"nowhere\" not found");

    // Deployments: defaults, validation, emulated status, generation.
    const D: &str = "/apis/apps/v1/namespaces/default/deployments";
    let dep = json!({"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "d"}},
        "template": {"metadata": {"labels": {"app": "other"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let r = e.post(D, &dep).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Deployment.apps \"d\" is invalid: spec.template.metadata.labels: Invalid value: \"map[string]string{\\\"app\\\":\\\"other\\\"}\": `selector` does not match template `labels`"
    );
    let mut dep = dep;
    dep["spec"]["template"]["metadata"]["labels"] = json!({"app": "d"});
    let r = e.post(D, &dep).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 1);
    assert_eq!(r.body["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(r.body["metadata"]["generation"], 1);
    assert_eq!(r.body["status"]["availableReplicas"], 1);
    assert_eq!(r.body["status"]["observedGeneration"], 1);
    let s = e
        .patch(
            &format!("{D}/d"),
            "application/strategic-merge-patch+json",
            &json!({"spec": {"replicas": 4}}),
        )
        .await;
    assert_eq!(s.body["metadata"]["generation"], 2, "{}", s.text);
    assert_eq!(s.body["status"]["readyReplicas"], 4);
    assert_eq!(s.body["status"]["observedGeneration"], 2);

    // NetworkPolicies (Argo CD's manifests carry them) are stored, with a generation.
    let np = e
        .patch(
            "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/np?fieldManager=m",
            "application/apply-patch+yaml",
            &json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
        )
        .await;
    assert_eq!(np.status, 201, "{}", np.text);
    assert_eq!(np.body["metadata"]["generation"], 1);

    // Services get a cluster IP that updates keep.
    const SVC: &str = "/api/v1/namespaces/default/services";
    let svc = e
        .post(SVC, &json!({"metadata": {"name": "s"}, "spec": {"selector": {"app": "d"}, "ports": [{"port": 80}]}}))
        .await;
    assert_eq!(svc.status, 201, "{}", svc.text);
    let ip = svc.body["spec"]["clusterIP"].as_str().unwrap().to_owned();
    assert!(ip.starts_with("10.96."), "{ip}");
    assert_eq!(svc.body["spec"]["ports"][0]["targetPort"], 80);
    assert_eq!(svc.body["spec"]["ports"][0]["protocol"], "TCP");
    let mut u = svc.body.clone();
    u["spec"].as_object_mut().unwrap().remove("clusterIP");
    u["spec"]["ports"] = json!([{"port": 81}]);
    let u = e.req("PUT", &format!("{SVC}/s"), Some(&u)).await;
    assert_eq!(u.body["spec"]["clusterIP"], ip.as_str(), "{}", u.text);
}

#[tokio::test]
async fn custom_types_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let opts = || SpawnOptions {
        binary: Some(PathBuf::from(env!("CARGO_BIN_EXE_kube-api-emulator"))),
        token_delay: Some(Duration::from_millis(100)),
        quiet: true,
        data: Some(data.clone()),
        token: Some("admin".into()),
        ..Default::default()
    };
    let mut first = ChildEmulator::spawn(opts()).expect("spawn");
    let client = common::client_for(first.ca_pem());
    let post = |base: String, path: &str, body: Value| {
        let c = client.clone();
        let url = format!("{base}{path}");
        async move {
            c.post(url)
                .bearer_auth("admin")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post(first.url().to_owned(), CRDS, crd("Namespaced")).await,
        201
    );
    assert_eq!(
        post(first.url().to_owned(), WIDGETS, widget("kept", 3)).await,
        201
    );
    first.kill();
    let second = ChildEmulator::spawn(opts()).expect("respawn");
    let got: Value = client
        .get(format!("{}{WIDGETS}/kept", second.url()))
        .bearer_auth("admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["spec"]["size"], 3, "{got}");
}
