//! Protocol tests over real HTTPS against an in-process emulator: every verb, the Status
//! reasons, conflicts, selectors, authentication, RBAC, the token controller, watches, the
//! admin endpoints.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{assert_status, start, start_with};
use kube_api_emulator::Config;
use serde_json::{json, Value};

const SA: &str = "/api/v1/namespaces/kube-system/serviceaccounts";
const CR: &str = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
const CRB: &str = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

fn sa(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
}

fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}

#[tokio::test]
async fn discovery_and_health() {
    let e = start().await;
    let v = e.get("/version").await;
    assert_eq!(v.status, 200);
    assert_eq!(v.body["gitVersion"], "v1.30.0");
    assert_eq!(v.body["major"], "1");
    let api = e.get("/api").await;
    assert_eq!(api.body["kind"], "APIVersions");
    assert_eq!(api.body["versions"], json!(["v1"]));
    let v1 = e.get("/api/v1").await;
    let names: Vec<&str> = v1.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "configmaps",
            "namespaces",
            "pods",
            "pods/status",
            "secrets",
            "serviceaccounts",
            "services",
            "services/status"
        ]
    );
    let apis = e.get("/apis").await;
    assert_eq!(apis.body["kind"], "APIGroupList");
    let groups: Vec<&str> = apis.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "apps",
            "autoscaling",
            "batch",
            "networking.k8s.io",
            "policy",
            "apiextensions.k8s.io",
            "rbac.authorization.k8s.io",
            "authorization.k8s.io",
            "authentication.k8s.io"
        ]
    );
    let rbac = e.get("/apis/rbac.authorization.k8s.io").await;
    assert_eq!(rbac.body["kind"], "APIGroup");
    assert_eq!(
        rbac.body["preferredVersion"]["groupVersion"],
        "rbac.authorization.k8s.io/v1"
    );
    let rbac_v1 = e.get("/apis/rbac.authorization.k8s.io/v1").await;
    let cr = rbac_v1.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "clusterroles")
        .unwrap()
        .clone();
    assert_eq!(cr["namespaced"], false);
    assert_eq!(cr["kind"], "ClusterRole");
    let authz = e.get("/apis/authorization.k8s.io/v1").await;
    assert!(authz.text.contains("selfsubjectaccessreviews"));

    // Aggregated discovery when asked for, with its content type.
    let t = e.admin().to_owned();
    let agg = e
        .client
        .get(e.url("/apis"))
        .bearer_auth(&t)
        .header(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        agg.headers()["content-type"],
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    let agg: Value = agg.json().await.unwrap();
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    // apps/v1: daemonsets first, namespaced, with its status subresource.
    let first = &agg["items"][0]["versions"][0]["resources"][0];
    assert_eq!(
        (&first["resource"], &first["scope"]),
        (&json!("daemonsets"), &json!("Namespaced"))
    );
    assert_eq!(first["subresources"][0]["subresource"], "status");

    // What is not served.
    assert_eq!(e.get("/openapi/v2").await.status, 404);
    let nf = e.get("/nope").await;
    assert_eq!((nf.status, nf.text.as_str()), (404, "404 page not found\n"));
    assert_status(
        &e.get("/api/v1/nodes").await,
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    assert_eq!(e.get("/openapi/v3").await.status, 200);

    // Health needs no token; everything else does; a wrong token is refused everywhere.
    assert_eq!(e.call("GET", "/readyz", None, None, None).await.status, 200);
    assert_eq!(e.call("GET", "/healthz", None, None, None).await.text, "ok");
    assert_status(
        &e.call("GET", "/version", None, None, None).await,
        401,
        "Unauthorized",
        "Unauthorized",
    );
    assert_status(
        &e.call("GET", "/api", None, None, None).await,
        401,
        "Unauthorized",
        "Unauthorized",
    );
    assert_status(
        &e.call("GET", "/api/v1/namespaces", Some("wrong"), None, None)
            .await,
        401,
        "Unauthorized",
        "Unauthorized",
    );
    assert_status(
        &e.call("GET", "/healthz", Some("wrong"), None, None).await,
        401,
        "Unauthorized",
        "Unauthorized",
    );
}

#[tokio::test]
async fn service_account_lifecycle_and_metadata() {
    let e = start().await;
    let ns = e.get("/api/v1/namespaces").await;
    assert_eq!(ns.body["kind"], "NamespaceList");
    let names: Vec<&str> = ns.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    for want in ["default", "kube-system", "kube-public"] {
        assert!(names.contains(&want), "{names:?}");
    }

    let c = e.post(SA, &sa("deployer")).await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert_eq!(c.body["kind"], "ServiceAccount");
    assert_eq!(c.body["apiVersion"], "v1");
    let meta = &c.body["metadata"];
    assert_eq!(meta["namespace"], "kube-system");
    assert!(is_uuid_v4(meta["uid"].as_str().unwrap()), "{meta}");
    let ts = meta["creationTimestamp"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
        "{ts}"
    );
    let rv1: u64 = meta["resourceVersion"].as_str().unwrap().parse().unwrap();
    assert!(
        meta.get("generation").is_none(),
        "ServiceAccounts have no generation"
    );

    let g = e.get(&format!("{SA}/deployer")).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body, c.body);

    // A list carries kind, apiVersion and the current resourceVersion.
    let l = e.get(SA).await;
    assert_eq!(l.body["kind"], "ServiceAccountList");
    assert_eq!(l.body["apiVersion"], "v1");
    let list_rv: u64 = l.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(list_rv >= rv1);
    assert!(l.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["metadata"]["name"] == "deployer"));
    // The all-namespaces list path.
    let all = e.get("/api/v1/serviceaccounts").await;
    assert!(
        all.body["items"].as_array().unwrap().len() >= 5,
        "default SA per namespace + deployer"
    );

    // Update with the current resourceVersion moves it; a stale one is a Conflict.
    let mut upd = g.body.clone();
    upd["metadata"]["labels"] = json!({"team": "a"});
    let u = e.req("PUT", &format!("{SA}/deployer"), Some(&upd)).await;
    assert_eq!(u.status, 200, "{}", u.text);
    let rv2: u64 = u.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv2 > rv1);
    assert_eq!(u.body["metadata"]["uid"], meta["uid"]);
    assert_eq!(
        u.body["metadata"]["creationTimestamp"],
        meta["creationTimestamp"]
    );
    let stale = e.req("PUT", &format!("{SA}/deployer"), Some(&upd)).await;
    assert_status(&stale, 409, "Conflict", "Operation cannot be fulfilled on serviceaccounts \"deployer\": the object has been modified; please apply your changes to the latest version and try again");
    assert_eq!(
        stale.body["details"],
        json!({"name": "deployer", "kind": "serviceaccounts"})
    );
    // Without a resourceVersion an update is unconditional.
    let mut uncond = upd.clone();
    uncond["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    uncond["automountServiceAccountToken"] = json!(false);
    assert_eq!(
        e.req("PUT", &format!("{SA}/deployer"), Some(&uncond))
            .await
            .status,
        200
    );
    // A no-op update keeps the resourceVersion.
    let cur = e.get(&format!("{SA}/deployer")).await.body;
    let same = e.req("PUT", &format!("{SA}/deployer"), Some(&cur)).await;
    assert_eq!(
        same.body["metadata"]["resourceVersion"],
        cur["metadata"]["resourceVersion"]
    );
    // Name mismatch on the URL.
    assert_status(
        &e.req("PUT", &format!("{SA}/other"), Some(&cur)).await,
        400,
        "BadRequest",
        "the name of the object (deployer) does not match the name on the URL (other)",
    );
    // Updating a missing ServiceAccount is NotFound (no create-on-update for this type).
    let mut ghost = sa("ghost");
    ghost["metadata"]["namespace"] = json!("kube-system");
    assert_status(
        &e.req("PUT", &format!("{SA}/ghost"), Some(&ghost)).await,
        404,
        "NotFound",
        "serviceaccounts \"ghost\" not found",
    );

    // Delete answers a Success Status; then NotFound.
    let d = e
        .req(
            "DELETE",
            &format!("{SA}/deployer"),
            Some(&json!({"propagationPolicy": "Background"})),
        )
        .await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body["kind"], "Status");
    assert_eq!(d.body["status"], "Success");
    assert_eq!(d.body["details"]["name"], "deployer");
    assert_eq!(d.body["details"]["kind"], "serviceaccounts");
    assert_eq!(d.body["details"]["uid"], meta["uid"]);
    assert_status(
        &e.get(&format!("{SA}/deployer")).await,
        404,
        "NotFound",
        "serviceaccounts \"deployer\" not found",
    );
    let again = e.req("DELETE", &format!("{SA}/deployer"), None).await;
    assert_status(
        &again,
        404,
        "NotFound",
        "serviceaccounts \"deployer\" not found",
    );
    assert_eq!(
        again.body["details"],
        json!({"name": "deployer", "kind": "serviceaccounts"})
    );
}

#[tokio::test]
async fn status_reasons() {
    let e = start().await;
    assert_eq!(e.post(SA, &sa("dup")).await.status, 201);
    let dup = e.post(SA, &sa("dup")).await;
    assert_status(
        &dup,
        409,
        "AlreadyExists",
        "serviceaccounts \"dup\" already exists",
    );
    assert_eq!(
        dup.body["details"],
        json!({"name": "dup", "kind": "serviceaccounts"})
    );
    let dup_cr = json!({"metadata": {"name": "r"}, "rules": []});
    assert_eq!(e.post(CR, &dup_cr).await.status, 201);
    let r = e.post(CR, &dup_cr).await;
    assert_status(
        &r,
        409,
        "AlreadyExists",
        "clusterroles.rbac.authorization.k8s.io \"r\" already exists",
    );
    assert_eq!(r.body["details"]["group"], "rbac.authorization.k8s.io");

    // Invalid: a missing name, a bad name, with causes.
    let missing = e.post(SA, &json!({"metadata": {}})).await;
    assert_status(&missing, 422, "Invalid", "ServiceAccount \"\" is invalid: metadata.name: Required value: name or generateName is required");
    assert_eq!(missing.body["details"]["kind"], "ServiceAccount");
    assert_eq!(
        missing.body["details"]["causes"],
        json!([{"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"}])
    );
    let bad = e.post(SA, &sa("Bad_Name")).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["reason"], "Invalid");
    assert!(bad.body["message"].as_str().unwrap().starts_with("ServiceAccount \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of"), "{}", bad.text);
    assert_eq!(
        bad.body["details"]["causes"][0]["reason"],
        "FieldValueInvalid"
    );
    let two = e.post(CRB, &json!({"metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"},
        "subjects": [{"kind": "ServiceAccount", "name": "s"}]})).await;
    assert_status(&two, 422, "Invalid", "ClusterRoleBinding.rbac.authorization.k8s.io \"b\" is invalid: [roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\", subjects[0].namespace: Required value]");

    // BadRequest: malformed JSON, wrong types, namespace mismatch, bad selectors, strict fields.
    let t = e.admin().to_owned();
    let malformed = e
        .client
        .post(e.url(SA))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["reason"], "BadRequest");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("couldn't get version/kind; json parse error"));
    assert_status(
        &e.post(SA, &json!({"metadata": {"name": 5}})).await,
        400,
        "BadRequest",
        "ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string",
    );
    assert_status(
        &e.post(
            SA,
            &json!({"metadata": {"name": "x", "namespace": "default"}}),
        )
        .await,
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    );
    assert_eq!(
        e.get(&format!("{SA}?labelSelector=app%20in%20prod"))
            .await
            .status,
        400
    );
    assert_status(
        &e.get(&format!("{SA}?fieldSelector=spec.x%3D1")).await,
        400,
        "BadRequest",
        "field label not supported: spec.x",
    );
    let strict = e
        .post(
            &format!("{SA}?fieldValidation=Strict"),
            &json!({"metadata": {"name": "s", "bogus": 1}, "extra": 2}),
        )
        .await;
    assert_status(&strict, 400, "BadRequest", "ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: strict decoding error: unknown field \"metadata.bogus\", unknown field \"extra\"");
    let warn = e
        .post(SA, &json!({"metadata": {"name": "w", "bogus": 1}}))
        .await;
    assert_eq!(warn.status, 201);
    assert_eq!(
        warn.headers["warning"],
        "299 - \"unknown field \\\"metadata.bogus\\\"\""
    );
    assert!(
        warn.body["metadata"].get("bogus").is_none(),
        "unknown fields are dropped"
    );

    // MethodNotAllowed: POST to a named object, PUT to a collection.
    assert_status(
        &e.post(&format!("{SA}/dup"), &sa("dup")).await,
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    );
    assert_status(
        &e.req("PUT", SA, Some(&sa("dup"))).await,
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    );
    assert_status(
        &e.post("/api/v1/serviceaccounts", &sa("dup")).await,
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    );

    // A namespaced object in a missing namespace: NotFound for the namespace.
    let nons = e
        .post("/api/v1/namespaces/nowhere/serviceaccounts", &sa("x"))
        .await;
    assert_status(&nons, 404, "NotFound", "namespaces \"nowhere\" not found");
    assert_eq!(
        nons.body["details"],
        json!({"name": "nowhere", "kind": "namespaces"})
    );

    // UnsupportedMediaType for an unknown patch type.
    let p = e
        .patch(&format!("{SA}/dup"), "application/xml", &json!({}))
        .await;
    assert_eq!(p.status, 415);
    assert_eq!(p.body["reason"], "UnsupportedMediaType");

    // Protected namespaces.
    assert_status(
        &e.req("DELETE", "/api/v1/namespaces/kube-system", None)
            .await,
        403,
        "Forbidden",
        "namespaces \"kube-system\" is forbidden: this namespace may not be deleted",
    );
}

#[tokio::test]
async fn patches_and_apply() {
    let e = start().await;
    let created = e
        .post(
            SA,
            &json!({"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}}),
        )
        .await;
    let rv0 = created.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{SA}/p");

    let m = e
        .patch(
            &path,
            "application/merge-patch+json",
            &json!({"metadata": {"labels": {"a": null, "c": "3"}}}),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    assert_eq!(m.body["metadata"]["labels"], json!({"b": "2", "c": "3"}));
    assert_ne!(m.body["metadata"]["resourceVersion"], rv0);

    let j = e
        .patch(
            &path,
            "application/json-patch+json",
            &json!([
                {"op": "add", "path": "/metadata/annotations", "value": {"note": "x"}},
                {"op": "replace", "path": "/metadata/labels/b", "value": "20"}
            ]),
        )
        .await;
    assert_eq!(j.status, 200, "{}", j.text);
    assert_eq!(j.body["metadata"]["labels"]["b"], "20");
    assert_eq!(j.body["metadata"]["annotations"]["note"], "x");
    let jf = e
        .patch(
            &path,
            "application/json-patch+json",
            &json!([{"op": "test", "path": "/metadata/labels/b", "value": "nope"}]),
        )
        .await;
    assert_eq!(jf.status, 422, "{}", jf.text);

    let s = e
        .patch(
            &path,
            "application/strategic-merge-patch+json",
            &json!({"secrets": [{"name": "s1"}], "metadata": {"labels": {"d": "4"}}}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let s = e
        .patch(
            &path,
            "application/strategic-merge-patch+json",
            &json!({"secrets": [{"name": "s2"}]}),
        )
        .await;
    assert_eq!(
        s.body["secrets"],
        json!([{"name": "s1"}, {"name": "s2"}]),
        "merged by name"
    );

    // A patch carrying a stale resourceVersion is a Conflict.
    let c = e
        .patch(
            &path,
            "application/merge-patch+json",
            &json!({"metadata": {"resourceVersion": rv0, "labels": {"z": "1"}}}),
        )
        .await;
    assert_status(&c, 409, "Conflict", "Operation cannot be fulfilled on serviceaccounts \"p\": the object has been modified; please apply your changes to the latest version and try again");
    // Patching a missing object is NotFound.
    assert_status(
        &e.patch(
            &format!("{SA}/none"),
            "application/merge-patch+json",
            &json!({}),
        )
        .await,
        404,
        "NotFound",
        "serviceaccounts \"none\" not found",
    );

    // Server-side apply: fieldManager required; creates, then owns what it applies (a label
    // the manager stops applying goes; tests/apply.rs covers the rules).
    let body = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "applied", "labels": {"x": "1"}}});
    let no_fm = e
        .patch(
            &format!("{SA}/applied"),
            "application/apply-patch+yaml",
            &body,
        )
        .await;
    assert_status(&no_fm, 422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
    let a1 = e
        .patch(
            &format!("{SA}/applied?fieldManager=test"),
            "application/apply-patch+yaml",
            &body,
        )
        .await;
    assert_eq!(a1.status, 201, "{}", a1.text);
    let a2 = e.patch(&format!("{SA}/applied?fieldManager=test"), "application/apply-patch+yaml",
        &json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "applied", "labels": {"y": "2"}}})).await;
    assert_eq!(a2.status, 200, "{}", a2.text);
    assert_eq!(a2.body["metadata"]["labels"], json!({"y": "2"}));
    assert_eq!(a2.body["metadata"]["uid"], a1.body["metadata"]["uid"]);

    // dryRun: validated, answered, not stored.
    let dry = e.post(&format!("{SA}?dryRun=All"), &sa("dry")).await;
    assert_eq!(dry.status, 201);
    assert_eq!(e.get(&format!("{SA}/dry")).await.status, 404);

    // generateName.
    let g = e
        .post(SA, &json!({"metadata": {"generateName": "gen-"}}))
        .await;
    assert_eq!(g.status, 201, "{}", g.text);
    let name = g.body["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    // Create-on-update for RBAC types.
    let put = e
        .req(
            "PUT",
            &format!("{CR}/made-by-put"),
            Some(&json!({"metadata": {"name": "made-by-put"}, "rules": []})),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
}

#[tokio::test]
async fn label_and_field_selectors_and_paging() {
    let e = start().await;
    for (name, labels) in [
        ("one", json!({"app": "x", "env": "prod"})),
        ("two", json!({"app": "x", "env": "dev"})),
        ("three", json!({"app": "y"})),
        ("four", json!({})),
    ] {
        let b = json!({"metadata": {"name": name, "labels": labels}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}});
        assert_eq!(e.post(CRB, &b).await.status, 201);
    }
    let names = |r: &common::Resp| -> Vec<String> {
        let mut v: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .filter(|n| ["one", "two", "three", "four"].contains(&n.as_str()))
            .collect();
        v.sort();
        v
    };
    let q = |sel: &str| {
        format!(
            "{CRB}?labelSelector={}",
            sel.replace(' ', "%20")
                .replace('=', "%3D")
                .replace('!', "%21")
                .replace(',', "%2C")
        )
    };
    assert_eq!(names(&e.get(&q("app=x")).await), ["one", "two"]);
    assert_eq!(names(&e.get(&q("app==x")).await), ["one", "two"]);
    assert_eq!(names(&e.get(&q("app!=x")).await), ["four", "three"]);
    assert_eq!(names(&e.get(&q("env in (prod,qa)")).await), ["one"]);
    assert_eq!(
        names(&e.get(&q("env notin (prod)")).await),
        ["four", "three", "two"]
    );
    assert_eq!(names(&e.get(&q("env")).await), ["one", "two"]);
    assert_eq!(names(&e.get(&q("!env,app")).await), ["three"]);
    assert_eq!(
        names(
            &e.get(&format!("{CRB}?fieldSelector=metadata.name%3Dtwo"))
                .await
        ),
        ["two"]
    );
    assert_eq!(
        names(
            &e.get(&format!(
                "{CRB}?fieldSelector=metadata.name!%3Dtwo&labelSelector=app"
            ))
            .await
        ),
        ["one", "three"]
    );
    let secrets = e
        .get("/api/v1/secrets?fieldSelector=metadata.namespace%3Dkube-system")
        .await;
    assert_eq!(secrets.status, 200);

    // limit / continue.
    let p1 = e.get(&format!("{CRB}?limit=2")).await;
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 2);
    let cont = p1.body["metadata"]["continue"].as_str().unwrap().to_owned();
    let total = e.get(CRB).await.body["items"].as_array().unwrap().len();
    assert_eq!(p1.body["metadata"]["remainingItemCount"], total - 2);
    let p2 = e.get(&format!("{CRB}?limit=100&continue={cont}")).await;
    assert_eq!(p2.body["items"].as_array().unwrap().len(), total - 2);
    assert!(p2.body["metadata"].get("continue").is_none());
}

async fn create_token_secret(e: &common::Emu, ns: &str, name: &str, sa_name: &str) -> common::Resp {
    e.post(
        &format!("/api/v1/namespaces/{ns}/secrets"),
        &json!({"metadata": {"name": name, "annotations": {"kubernetes.io/service-account.name": sa_name}},
                "type": "kubernetes.io/service-account-token"}),
    )
    .await
}

#[tokio::test]
async fn token_controller_rbac_and_revocation() {
    let e = start().await;
    assert_eq!(e.post(SA, &sa("bot")).await.status, 201);
    let bot_uid = e.get(&format!("{SA}/bot")).await.body["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = create_token_secret(&e, "kube-system", "bot-token", "bot").await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.body["data"].get("token").is_none(),
        "filled later, not at create"
    );
    let token = e.wait_token("kube-system", "bot-token").await;
    let secret = e
        .get("/api/v1/namespaces/kube-system/secrets/bot-token")
        .await
        .body;
    assert_ne!(
        secret["metadata"]["resourceVersion"],
        created.body["metadata"]["resourceVersion"]
    );
    let ca = kube_api_emulator::util::unb64(secret["data"]["ca.crt"].as_str().unwrap()).unwrap();
    assert_eq!(String::from_utf8(ca).unwrap(), e.handle.ca_pem());
    assert_eq!(
        secret["data"]["namespace"],
        kube_api_emulator::util::b64(b"kube-system")
    );
    assert_eq!(
        secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"],
        bot_uid.as_str()
    );

    // The token authenticates; without RBAC, a Forbidden with the real message.
    let who = e
        .call(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(&token),
            None,
            Some(&json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
        )
        .await;
    assert_eq!(
        who.body["status"]["userInfo"]["username"],
        "system:serviceaccount:kube-system:bot"
    );
    assert_eq!(
        e.call("GET", "/version", Some(&token), None, None)
            .await
            .status,
        200,
        "discovery needs only a valid token"
    );
    assert_eq!(
        e.call("GET", "/apis", Some(&token), None, None)
            .await
            .status,
        200
    );
    let denied = e
        .call("POST", SA, Some(&token), None, Some(&sa("made-by-bot")))
        .await;
    assert_status(&denied, 403, "Forbidden", "serviceaccounts is forbidden: User \"system:serviceaccount:kube-system:bot\" cannot create resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\"");
    assert_eq!(denied.body["details"], json!({"kind": "serviceaccounts"}));
    let denied_get = e
        .call("GET", &format!("{SA}/bot"), Some(&token), None, None)
        .await;
    assert_status(&denied_get, 403, "Forbidden", "serviceaccounts \"bot\" is forbidden: User \"system:serviceaccount:kube-system:bot\" cannot get resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\"");
    let denied_cluster = e.call("GET", CR, Some(&token), None, None).await;
    assert_status(&denied_cluster, 403, "Forbidden", "clusterroles.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:kube-system:bot\" cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope");
    let ssar = |verb: &str, ns: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": verb, "resource": "serviceaccounts", "namespace": ns}}})
    };
    let review = e
        .call(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            Some(&token),
            None,
            Some(&ssar("create", "kube-system")),
        )
        .await;
    assert_eq!(review.status, 201);
    assert_eq!(review.body["status"]["allowed"], false);

    // A RoleBinding to a Role allows it, in that namespace only.
    let role = json!({"metadata": {"name": "sa-writer"}, "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create", "get"]}]});
    assert_eq!(
        e.post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles",
            &role
        )
        .await
        .status,
        201
    );
    let rb = json!({"metadata": {"name": "bot-writes"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "sa-writer"},
        "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "kube-system"}]});
    assert_eq!(
        e.post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings",
            &rb
        )
        .await
        .status,
        201
    );
    assert_eq!(
        e.call("POST", SA, Some(&token), None, Some(&sa("made-by-bot")))
            .await
            .status,
        201
    );
    assert_eq!(
        e.call(
            "POST",
            "/api/v1/namespaces/default/serviceaccounts",
            Some(&token),
            None,
            Some(&sa("nope"))
        )
        .await
        .status,
        403
    );
    let review = e
        .call(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            Some(&token),
            None,
            Some(&ssar("create", "kube-system")),
        )
        .await;
    assert_eq!(review.body["status"]["allowed"], true);
    assert_eq!(review.body["status"]["reason"], "RBAC: allowed by RoleBinding \"bot-writes/kube-system\" of Role \"sa-writer\" to ServiceAccount \"bot/kube-system\"");

    // A ClusterRoleBinding to the Group of all service accounts, with resourceNames.
    let cr = json!({"metadata": {"name": "read-one"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["bot-token"], "verbs": ["get"]}]});
    assert_eq!(e.post(CR, &cr).await.status, 201);
    let crb = json!({"metadata": {"name": "all-sa-read-one"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "read-one"},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}]});
    assert_eq!(e.post(CRB, &crb).await.status, 201);
    assert_eq!(
        e.call(
            "GET",
            "/api/v1/namespaces/kube-system/secrets/bot-token",
            Some(&token),
            None,
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        e.call(
            "GET",
            "/api/v1/namespaces/kube-system/secrets",
            Some(&token),
            None,
            None
        )
        .await
        .status,
        403
    );

    // Deleting the token Secret revokes the token.
    assert_eq!(
        e.req(
            "DELETE",
            "/api/v1/namespaces/kube-system/secrets/bot-token",
            None
        )
        .await
        .status,
        200
    );
    assert_status(
        &e.call("GET", "/version", Some(&token), None, None).await,
        401,
        "Unauthorized",
        "Unauthorized",
    );

    // A new token; deleting the ServiceAccount deletes its token Secrets and revokes them.
    assert_eq!(
        create_token_secret(&e, "kube-system", "bot-token-2", "bot")
            .await
            .status,
        201
    );
    assert_eq!(
        create_token_secret(&e, "kube-system", "bot-token-3", "bot")
            .await
            .status,
        201
    );
    let t2 = e.wait_token("kube-system", "bot-token-2").await;
    let _t3 = e.wait_token("kube-system", "bot-token-3").await;
    assert_ne!(t2, token);
    assert_eq!(
        e.call("GET", "/version", Some(&t2), None, None)
            .await
            .status,
        200
    );
    assert_eq!(
        e.req("DELETE", &format!("{SA}/bot"), None).await.status,
        200
    );
    assert_eq!(
        e.get("/api/v1/namespaces/kube-system/secrets/bot-token-2")
            .await
            .status,
        404
    );
    assert_eq!(
        e.get("/api/v1/namespaces/kube-system/secrets/bot-token-3")
            .await
            .status,
        404
    );
    assert_eq!(
        e.call("GET", "/version", Some(&t2), None, None)
            .await
            .status,
        401
    );

    // A token Secret for a ServiceAccount that does not exist is deleted by the controller.
    assert_eq!(
        create_token_secret(&e, "kube-system", "orphan-token", "nobody")
            .await
            .status,
        201
    );
    let mut gone = false;
    for _ in 0..100 {
        if e.get("/api/v1/namespaces/kube-system/secrets/orphan-token")
            .await
            .status
            == 404
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        gone,
        "the controller deletes a token Secret whose ServiceAccount does not exist"
    );
    // A token typed in by hand does not authenticate.
    assert_eq!(e.post(SA, &sa("manual")).await.status, 201);
    let manual = e.post("/api/v1/namespaces/kube-system/secrets", &json!({"metadata": {"name": "manual-token", "annotations": {"kubernetes.io/service-account.name": "manual"}},
        "type": "kubernetes.io/service-account-token", "stringData": {"token": "typed-by-hand"}})).await;
    assert_eq!(manual.status, 201);
    // Once the controller has been through it (it adds ca.crt and keeps the typed token),
    // the typed token still does not authenticate.
    let mut processed = false;
    for _ in 0..200 {
        let r = e
            .get("/api/v1/namespaces/kube-system/secrets/manual-token")
            .await;
        if r.body["data"]["ca.crt"].is_string() {
            assert_eq!(
                r.body["data"]["token"],
                kube_api_emulator::util::b64(b"typed-by-hand"),
                "the controller keeps a token that is there"
            );
            processed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        processed,
        "the token controller processed the typed-in token Secret"
    );
    assert_eq!(
        e.call("GET", "/version", Some("typed-by-hand"), None, None)
            .await
            .status,
        401
    );
    // Validation of token Secrets.
    let invalid = e
        .post(
            "/api/v1/namespaces/kube-system/secrets",
            &json!({"metadata": {"name": "t"}, "type": "kubernetes.io/service-account-token"}),
        )
        .await;
    assert_status(&invalid, 422, "Invalid", "Secret \"t\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value");
}

#[tokio::test]
async fn namespaces_delete_their_content() {
    let e = start().await;
    let ns = e
        .post("/api/v1/namespaces", &json!({"metadata": {"name": "team"}}))
        .await;
    assert_eq!(ns.status, 201, "{}", ns.text);
    assert_eq!(ns.body["status"]["phase"], "Active");
    assert_eq!(
        ns.body["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team"
    );
    assert_eq!(
        e.get("/api/v1/namespaces/team/serviceaccounts/default")
            .await
            .status,
        200,
        "a default ServiceAccount"
    );
    assert_eq!(
        e.post(
            "/api/v1/namespaces/team/secrets",
            &json!({"metadata": {"name": "s"}, "stringData": {"k": "v"}})
        )
        .await
        .status,
        201
    );
    let role = json!({"metadata": {"name": "r"}, "rules": []});
    assert_eq!(
        e.post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles",
            &role
        )
        .await
        .status,
        201
    );
    let d = e.req("DELETE", "/api/v1/namespaces/team", None).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body["kind"], "Namespace");
    assert_eq!(d.body["status"]["phase"], "Terminating");
    assert!(d.body["metadata"]["deletionTimestamp"].is_string());
    assert_status(
        &e.get("/api/v1/namespaces/team").await,
        404,
        "NotFound",
        "namespaces \"team\" not found",
    );
    for p in [
        "/api/v1/secrets",
        "/api/v1/serviceaccounts",
        "/apis/rbac.authorization.k8s.io/v1/roles",
    ] {
        let l = e.get(p).await;
        assert!(
            l.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["metadata"]["namespace"] != "team"),
            "{p}: {}",
            l.text
        );
    }
    let bad = e
        .post("/api/v1/namespaces", &json!({"metadata": {"name": "a.b"}}))
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .contains("a lowercase RFC 1123 label"),
        "{}",
        bad.text
    );
}

/// Reads one watch event (one line), however the stream is chunked.
async fn next_event(w: &mut reqwest::Response) -> Value {
    let mut buf = Vec::new();
    while !buf.ends_with(b"\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), w.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the watch is open");
        buf.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&buf).unwrap()
}

#[tokio::test]
async fn tables_watch_and_admin_endpoints() {
    let e = start().await;
    let t = e.admin().to_owned();
    let table = e
        .client
        .get(e.url("/api/v1/namespaces"))
        .bearer_auth(&t)
        .header(
            "accept",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        table.headers()["content-type"],
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    );
    let table: Value = table.json().await.unwrap();
    assert_eq!(table["kind"], "Table");
    let cols: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, ["Name", "Status", "Age"]);
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");

    // A watch sees a creation made after it started.
    let rv = e.get(SA).await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut w = e
        .client
        .get(e.url(&format!(
            "{SA}?watch=true&resourceVersion={rv}&timeoutSeconds=5"
        )))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(w.status().as_u16(), 200);
    assert_eq!(e.post(SA, &sa("watched")).await.status, 201);
    let ev = next_event(&mut w).await;
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["metadata"]["name"], "watched");
    assert_eq!(
        e.req("DELETE", &format!("{SA}/watched"), None).await.status,
        200
    );
    let ev = next_event(&mut w).await;
    assert_eq!(ev["type"], "DELETED");

    // A streaming list: initial ADDED events, then the initial-events-end bookmark; the
    // watch ends at timeoutSeconds.
    let w2 = e
        .client
        .get(e.url(&format!("{SA}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let text = tokio::time::timeout(Duration::from_secs(10), w2.text())
        .await
        .expect("the watch ends")
        .unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, first) = events.split_last().unwrap();
    assert!(
        !first.is_empty() && first.iter().all(|ev| ev["type"] == "ADDED"),
        "{text}"
    );
    assert_eq!(last["type"], "BOOKMARK");
    assert_eq!(
        last["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );

    // Admin endpoints: counts; state with Secret values redacted; admin token only.
    assert_eq!(
        e.post(
            "/api/v1/namespaces/default/secrets",
            &json!({"metadata": {"name": "hidden"}, "stringData": {"password": "s3cret"}})
        )
        .await
        .status,
        201
    );
    let counts = e.get("/_emulator/requests").await;
    assert_eq!(counts.status, 200);
    assert_eq!(counts.body["create serviceaccounts"], 1);
    assert_eq!(counts.body["create secrets"], 1);
    assert_eq!(counts.body["delete serviceaccounts"], 1);
    assert_eq!(counts.body["watch serviceaccounts"], 2);
    let state = e.get("/_emulator/state").await;
    assert_eq!(state.status, 200);
    assert!(
        !state
            .text
            .contains(&kube_api_emulator::util::b64(b"s3cret")),
        "secret values are redacted"
    );
    assert!(state.text.contains("<redacted: 6 bytes>"));
    assert_eq!(
        e.call("GET", "/_emulator/state", None, None, None)
            .await
            .status,
        401
    );
    assert_eq!(
        e.call("GET", "/_emulator/requests", Some("wrong"), None, None)
            .await
            .status,
        401
    );
    assert_eq!(e.handle.request_counts()["create secrets"], 1);
}

#[tokio::test]
async fn latency_delays_api_requests() {
    let e = start_with(Config {
        latency: Duration::from_millis(300),
        log_requests: false,
        ..Config::default()
    })
    .await;
    let t0 = Instant::now();
    assert_eq!(e.get("/version").await.status, 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn rbac_escalation_is_prevented() {
    let e = start().await;
    assert_eq!(e.post(SA, &sa("rbac-admin")).await.status, 201);
    assert_eq!(
        create_token_secret(&e, "kube-system", "rbac-admin-token", "rbac-admin")
            .await
            .status,
        201
    );
    let token = e.wait_token("kube-system", "rbac-admin-token").await;
    // It may manage Roles and RoleBindings in kube-system and read ServiceAccounts there.
    let role = json!({"metadata": {"name": "rbac-manager"}, "rules": [
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "get"]},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list"]}]});
    let roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles";
    let bindings = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings";
    assert_eq!(e.post(roles, &role).await.status, 201);
    let rb = json!({"metadata": {"name": "rbac-admin"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rbac-manager"},
        "subjects": [{"kind": "ServiceAccount", "name": "rbac-admin"}]});
    assert_eq!(e.post(bindings, &rb).await.status, 201);

    // Granting what it holds is fine; granting more is the real Forbidden.
    let ok = json!({"metadata": {"name": "reader"}, "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get"]}]});
    assert_eq!(
        e.call("POST", roles, Some(&token), None, Some(&ok))
            .await
            .status,
        201
    );
    let more = json!({"metadata": {"name": "secret-reader"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]});
    let denied = e.call("POST", roles, Some(&token), None, Some(&more)).await;
    assert_status(&denied, 403, "Forbidden", "roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: user \"system:serviceaccount:kube-system:rbac-admin\" (groups=[\"system:serviceaccounts\" \"system:serviceaccounts:kube-system\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}");
    // Binding a role with more permissions is refused the same way; binding one it holds works.
    assert_eq!(
        e.post(roles, &more).await.status,
        201,
        "the admin may create it"
    );
    let bind_more = json!({"metadata": {"name": "b1"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}]});
    let r = e
        .call("POST", bindings, Some(&token), None, Some(&bind_more))
        .await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("Forbidden")),
        "{}",
        r.text
    );
    let bind_ok = json!({"metadata": {"name": "b2"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}]});
    assert_eq!(
        e.call("POST", bindings, Some(&token), None, Some(&bind_ok))
            .await
            .status,
        201
    );
    // With `bind` on that role, binding it is allowed.
    let bind_perm = json!({"metadata": {"name": "may-bind"}, "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "resourceNames": ["secret-reader"], "verbs": ["bind"]}]});
    assert_eq!(e.post(roles, &bind_perm).await.status, 201);
    let rb2 = json!({"metadata": {"name": "rbac-admin-bind"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "may-bind"},
        "subjects": [{"kind": "ServiceAccount", "name": "rbac-admin"}]});
    assert_eq!(e.post(bindings, &rb2).await.status, 201);
    assert_eq!(
        e.call("POST", bindings, Some(&token), None, Some(&bind_more))
            .await
            .status,
        201
    );
}

/// A protobuf field (tag, wire type 2 or 0) with a one-byte length.
fn pb(tag: u8, wire: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(tag << 3) | wire];
    if wire == 2 {
        out.push(u8::try_from(payload.len()).unwrap());
    }
    out.extend_from_slice(payload);
    out
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut tm = pb(1, 2, api_version.as_bytes());
    tm.extend(pb(2, 2, kind.as_bytes()));
    let mut body = b"k8s\0".to_vec();
    body.extend(pb(1, 2, &tm));
    body.extend(pb(2, 2, raw));
    body
}

#[tokio::test]
async fn protobuf_request_bodies_as_typed_clients_send_them() {
    // kubectl 1.32+ sends typed objects (auth can-i, create <kind>) as protobuf.
    let e = start().await;
    let t = e.admin().to_owned();
    let post = |path: &str, body: Vec<u8>| {
        e.client
            .post(e.url(path))
            .bearer_auth(&t)
            .header("content-type", "application/vnd.kubernetes.protobuf")
            .header(
                "accept",
                "application/vnd.kubernetes.protobuf,application/json",
            )
            .body(body)
    };
    let mut labels = pb(1, 2, b"app");
    labels.extend(pb(2, 2, b"pb"));
    let mut meta = pb(1, 2, b"from-protobuf");
    meta.extend(pb(11, 2, &labels));
    let sa = pb(1, 2, &meta);
    let r = post(SA, envelope("v1", "ServiceAccount", &sa))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["metadata"]["name"], "from-protobuf");
    assert_eq!(body["metadata"]["labels"]["app"], "pb");
    assert_eq!(body["metadata"]["namespace"], "kube-system");

    let mut ra = pb(1, 2, b"kube-system");
    ra.extend(pb(2, 2, b"create"));
    ra.extend(pb(5, 2, b"serviceaccounts"));
    let spec = pb(1, 2, &ra);
    let ssar = pb(2, 2, &spec);
    let r = post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", &ssar),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["spec"]["resourceAttributes"]["verb"], "create");
    assert_eq!(body["status"]["allowed"], true);

    let r = post(SA, b"not protobuf".to_vec()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = e
        .client
        .post(e.url(SA))
        .bearer_auth(&t)
        .header("content-type", "application/yaml")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
}
