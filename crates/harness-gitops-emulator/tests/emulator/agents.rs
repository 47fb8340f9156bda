//! Agents against the document (`contract/`): CRUD, paging and filters, scope rules, the token
//! lifecycle of the manifests (with and without `privateKey`, rotation, refusal), the
//! manifest's shape (managed, connected, skipCrds, namespaced), Helm overrides, the
//! heartbeat (good and bad token, timeout to DISCONNECTED), the reported version and
//! `upgradeAvailable` against the latest version (`--agent-version`,
//! `POST /_emulator/agent-version`) and the `rotateAgentTokenAfterManifest` fault.

use crate::emulator_support::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const AGENTS: &str = "/api/v1/agents";
const AGENT: &str = "/api/v1/agents/{identifier}";
const UPDATE: &str = "/api/v1/agents/{agent.identifier}";
const UNIQUE: &str = "/api/v1/agents/{identifier}/unique";
const CREDENTIALS: &str = "/api/v1/agents/{identifier}/credentials";

fn acc() -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT), ("routingId", ACCOUNT)]
}

fn proj() -> Vec<(&'static str, &'static str)> {
    let mut q = acc();
    q.extend([("orgIdentifier", "o1"), ("projectIdentifier", "p1")]);
    q
}

fn agent_body(id: &str, ty: &str) -> Value {
    json!({
        "accountIdentifier": ACCOUNT, "orgIdentifier": "o1", "projectIdentifier": "p1",
        "identifier": id, "name": format!("{id} name"), "type": ty,
        "description": "d", "tags": {"team": "a"},
        "metadata": {"namespace": "gitops", "highAvailability": false}
    })
}

async fn create(api: &Api, id: &str, ty: &str) -> Value {
    let a = api
        .call(
            Method::POST,
            AGENTS,
            &[],
            &proj(),
            Some(&agent_body(id, ty)),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}

fn token(agent: &Value) -> String {
    agent["credentials"]["privateKey"]
        .as_str()
        .expect("credentials.privateKey")
        .to_string()
}

/// A raw call (YAML answers are not JSON): status and text.
async fn raw(
    emu: &Emulator,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> (StatusCode, String, String) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/gitops{path}", emu.url))
        .header("x-api-key", KEY)
        .query(query);
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, resp.text().await.expect("body"))
}

async fn post_yaml(emu: &Emulator, id: &str, query: Value) -> (StatusCode, String) {
    let mut body = json!({"accountIdentifier": ACCOUNT, "orgIdentifier": "o1", "projectIdentifier": "p1", "agentIdentifier": id});
    for (k, v) in query.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, ctype, text) = raw(
        emu,
        Method::POST,
        &format!("/api/v1/agents/{id}/deployment-spec/yaml"),
        &acc(),
        Some(&body),
    )
    .await;
    if status == StatusCode::OK {
        assert_eq!(ctype, "application/yaml");
    }
    (status, text)
}

/// The documents of a manifest, each checked for apiVersion, kind, metadata.name and (for
/// namespaced kinds) metadata.namespace.
fn documents(yaml: &str, ns: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let v: Value = serde::Deserialize::deserialize(doc).expect("each document parses");
        if v.is_null() {
            continue;
        }
        let kind = v["kind"].as_str().expect("kind").to_string();
        assert!(v["apiVersion"].is_string(), "{v}");
        assert!(v["metadata"]["name"].is_string(), "{v}");
        let cluster_scoped = matches!(
            kind.as_str(),
            "CustomResourceDefinition" | "ClusterRole" | "ClusterRoleBinding"
        );
        if cluster_scoped {
            assert!(v["metadata"]["namespace"].is_null(), "{v}");
        } else {
            assert_eq!(v["metadata"]["namespace"], json!(ns), "{v}");
        }
        assert_ne!(kind, "Namespace", "Harness does not create the namespace");
        out.push(v);
    }
    out
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == json!(kind) && d["metadata"]["name"] == json!(name))
}

fn embedded_token(docs: &[Value]) -> String {
    find(docs, "Secret", "gitops-agent").expect("token secret")["stringData"]["GITOPS_AGENT_TOKEN"]
        .as_str()
        .expect("GITOPS_AGENT_TOKEN")
        .to_string()
}

async fn heartbeat(emu: &Emulator, id: &str, token: &str) -> (StatusCode, Value) {
    heartbeat_version(emu, id, token, "0.101.0").await
}

async fn heartbeat_version(
    emu: &Emulator,
    id: &str,
    token: &str,
    version: &str,
) -> (StatusCode, Value) {
    let body = json!({
        "accountIdentifier": ACCOUNT, "orgIdentifier": "o1", "projectIdentifier": "p1",
        "agentIdentifier": id, "version": version,
        "components": {
            "harnessGitopsAgent": {"status": "HEALTHY", "message": "ok"},
            "argoRepoServer": {"status": "HEALTHY"},
            "argoAppController": {"status": "UNHEALTHY", "message": "crash loop"},
            "argoRedisServer": {"status": "HEALTHY"},
            "argoAppSetController": {"status": "HEALTHY"}
        }
    });
    let resp = reqwest::Client::new()
        .post(format!("{}/gitops/agent/v1/heartbeat", emu.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("heartbeat");
    let status = resp.status();
    (status, resp.json().await.expect("JSON"))
}

#[tokio::test]
async fn agent_crud_matches_the_document() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let created = create(&api, "a1", "MANAGED_ARGO_PROVIDER").await;
    assert_eq!(created["prefixedIdentifier"], json!("a1"));
    assert_eq!(created["scope"], json!("PROJECT"));
    assert!(
        created.get("version").is_none() && created.get("upgradeAvailable").is_none(),
        "no version before the first heartbeat: {created}"
    );
    assert_eq!(
        created["health"]["connectionStatus"],
        json!("CONNECTED_STATUS_UNSET")
    );
    assert!(!token(&created).is_empty());
    api.call(
        Method::POST,
        AGENTS,
        &[],
        &proj(),
        Some(&agent_body("a1", "MANAGED_ARGO_PROVIDER")),
    )
    .await
    .assert_error(409, 6, "already exists");

    let id = [("identifier", "a1")];
    let got = api.call(Method::GET, AGENT, &id, &proj(), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(
        got.body.get("credentials").is_none(),
        "no credentials without withCredentials"
    );
    let mut q = proj();
    q.push(("withCredentials", "true"));
    let got = api.call(Method::GET, AGENT, &id, &q, None).await;
    assert_eq!(token(&got.body), token(&created));

    // Update applies tags, metadata (whole), description and type; not the name.
    let mut body = agent_body("a1", "CONNECTED_ARGO_PROVIDER");
    body["name"] = json!("renamed");
    body["tags"] = json!({"team": "b"});
    body["metadata"] = json!({"namespace": "other", "isNamespaced": true});
    body["description"] = json!("");
    let upd = api
        .call(
            Method::PUT,
            UPDATE,
            &[("agent.identifier", "a1")],
            &proj(),
            Some(&body),
        )
        .await;
    assert_eq!(upd.status, StatusCode::OK, "{}", upd.body);
    assert_eq!(upd.body["name"], json!("a1 name"));
    assert_eq!(upd.body["type"], json!("CONNECTED_ARGO_PROVIDER"));
    assert_eq!(upd.body["tags"], json!({"team": "b"}));
    assert_eq!(
        upd.body["metadata"],
        json!({"namespace": "other", "isNamespaced": true})
    );
    assert!(upd.body.get("description").is_none());

    let u = api.call(Method::GET, UNIQUE, &id, &proj(), None).await;
    assert_eq!(u.body, json!({}), "taken: unique false (omitted)");
    let u = api
        .call(Method::GET, UNIQUE, &[("identifier", "zz")], &proj(), None)
        .await;
    assert_eq!(u.body, json!({"unique": true}));

    let d = api.call(Method::DELETE, AGENT, &id, &proj(), None).await;
    assert_eq!(d.status, StatusCode::OK);
    api.call(Method::DELETE, AGENT, &id, &proj(), None)
        .await
        .assert_error(404, 5, "not found");
    api.call(Method::GET, AGENT, &id, &proj(), None)
        .await
        .assert_error(404, 5, "not found");
}

#[tokio::test]
async fn agent_validation_scope_and_list() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let mut bad = agent_body("a1", "MANAGED_ARGO_PROVIDER");
    bad["type"] = json!("AGENT_TYPE_UNSET");
    api.call(Method::POST, AGENTS, &[], &proj(), Some(&bad))
        .await
        .assert_error(400, 3, "agent type");
    let mut bad = agent_body("a1", "MANAGED_ARGO_PROVIDER");
    bad["nope"] = json!(1);
    api.call(Method::POST, AGENTS, &[], &proj(), Some(&bad))
        .await
        .assert_error(400, 3, "nope");
    let mut bad = agent_body("1bad", "MANAGED_ARGO_PROVIDER");
    bad["identifier"] = json!("1-bad");
    api.call(Method::POST, AGENTS, &[], &proj(), Some(&bad))
        .await
        .assert_error(400, 3, "not a valid Harness identifier");
    let mut bad = agent_body("a1", "MANAGED_ARGO_PROVIDER");
    bad.as_object_mut().unwrap().remove("orgIdentifier");
    api.call(Method::POST, AGENTS, &[], &acc(), Some(&bad))
        .await
        .assert_error(400, 3, "without orgIdentifier");

    // Account and org agents, and prefixed identifiers.
    let mut account = agent_body("acct", "CONNECTED_ARGO_PROVIDER");
    account.as_object_mut().unwrap().remove("orgIdentifier");
    account.as_object_mut().unwrap().remove("projectIdentifier");
    let a = api
        .call(Method::POST, AGENTS, &[], &acc(), Some(&account))
        .await;
    assert_eq!(a.body["prefixedIdentifier"], json!("account.acct"));
    assert_eq!(a.body["scope"], json!("ACCOUNT"));
    let mut org = agent_body("orgy", "CONNECTED_ARGO_PROVIDER");
    org.as_object_mut().unwrap().remove("projectIdentifier");
    let a = api
        .call(Method::POST, AGENTS, &[], &acc(), Some(&org))
        .await;
    assert_eq!(a.body["prefixedIdentifier"], json!("org.orgy"));

    for i in 0..12 {
        create(
            &api,
            &format!("p{i:02}"),
            if i % 2 == 0 {
                "MANAGED_ARGO_PROVIDER"
            } else {
                "CONNECTED_ARGO_PROVIDER"
            },
        )
        .await;
    }
    let page = api.call(Method::GET, AGENTS, &[], &proj(), None).await;
    assert_eq!(
        page.body["content"].as_array().unwrap().len(),
        10,
        "default page size 10"
    );
    assert_eq!(page.body["totalItems"], json!(12));
    assert_eq!(page.body["totalPages"], json!(2));
    let mut q = proj();
    q.extend([("pageIndex", "1"), ("pageSize", "10")]);
    let page = api.call(Method::GET, AGENTS, &[], &q, None).await;
    assert_eq!(page.body["content"].as_array().unwrap().len(), 2);
    let mut q = proj();
    q.extend([("type", "CONNECTED_ARGO_PROVIDER"), ("pageSize", "100")]);
    let page = api.call(Method::GET, AGENTS, &[], &q, None).await;
    assert_eq!(page.body["totalItems"], json!(6));
    let mut q = proj();
    q.push(("searchTerm", "P1"));
    let page = api.call(Method::GET, AGENTS, &[], &q, None).await;
    assert_eq!(page.body["totalItems"], json!(2), "p10, p11");
    let mut q = proj();
    q.push(("name", "p03 name"));
    let page = api.call(Method::GET, AGENTS, &[], &q, None).await;
    assert_eq!(page.body["content"][0]["identifier"], json!("p03"));
    let mut q = proj();
    q.push(("searchTerm", "nothing"));
    let page = api.call(Method::GET, AGENTS, &[], &q, None).await;
    assert_eq!(page.body, json!({"pageSize": 10, "empty": true}));
    let page = api.call(Method::GET, AGENTS, &[], &acc(), None).await;
    assert_eq!(
        page.body["totalItems"],
        json!(1),
        "exactly the account scope"
    );
    api.call(
        Method::GET,
        AGENTS,
        &[],
        &[("accountIdentifier", ACCOUNT), ("bogus", "1")],
        None,
    )
    .await
    .assert_error(400, 3, "bogus");
    let counts = emu.counters().await;
    assert_eq!(counts["requests"]["agents.list"], json!(8));
}

#[tokio::test]
async fn token_lifecycle_of_the_manifests() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let t0 = token(&create(&api, "a1", "MANAGED_ARGO_PROVIDER").await);

    // With the current token: embedded unchanged, nothing rotates.
    let (status, yaml) =
        post_yaml(&emu, "a1", json!({"namespace": "gitops", "privateKey": t0})).await;
    assert_eq!(status, StatusCode::OK, "{yaml}");
    assert_eq!(embedded_token(&documents(&yaml, "gitops")), t0);
    let (status, _) = heartbeat(&emu, "a1", &t0).await;
    assert_eq!(status, StatusCode::OK);

    // Another token: refused, nothing changes.
    let (status, text) = post_yaml(
        &emu,
        "a1",
        json!({"namespace": "gitops", "privateKey": "d3Jvbmc="}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("privateKey does not match"), "{text}");
    assert!(!text.contains(&t0), "the token is never echoed");

    // Without a token: regenerated (the installed agent is locked out).
    let (status, yaml) = post_yaml(&emu, "a1", json!({"namespace": "gitops"})).await;
    assert_eq!(status, StatusCode::OK);
    let t1 = embedded_token(&documents(&yaml, "gitops"));
    assert_ne!(t1, t0);
    let (status, body) = heartbeat(&emu, "a1", &t0).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], json!("This is an unauthorized agent"));
    assert_eq!(body["code"], json!(16));
    assert_eq!(heartbeat(&emu, "a1", &t1).await.0, StatusCode::OK);

    // GET deploy.yaml with the token as a query parameter, and Helm overrides.
    let mut q = proj();
    q.extend([("namespace", "gitops"), ("privateKey", t1.as_str())]);
    let (status, ctype, yaml) =
        raw(&emu, Method::GET, "/api/v1/agents/a1/deploy.yaml", &q, None).await;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::OK, "application/yaml")
    );
    assert_eq!(embedded_token(&documents(&yaml, "gitops")), t1);
    let (status, _, values) = raw(
        &emu,
        Method::GET,
        "/api/v1/agents/a1/helm-overrides",
        &q,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_yaml_ng::from_str(&values).expect("values parse");
    assert_eq!(v["harness"]["secrets"]["agentSecret"], json!(t1));
    assert_eq!(v["harness"]["identity"]["agentIdentifier"], json!("a1"));
    assert_eq!(v["harness"]["identity"]["projectIdentifier"], json!("p1"));
    assert_eq!(
        v["harness"]["configMap"]["http"]["agentHttpTarget"],
        json!(format!("{}/gitops", emu.url))
    );

    // Explicit rotation.
    let r = api
        .call(
            Method::POST,
            CREDENTIALS,
            &[("identifier", "a1")],
            &proj(),
            None,
        )
        .await;
    let t2 = token(&r.body);
    assert_ne!(t2, t1);
    assert_eq!(heartbeat(&emu, "a1", &t1).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(heartbeat(&emu, "a1", &t2).await.0, StatusCode::OK);
    assert_eq!(heartbeat(&emu, "zz", &t2).await.0, StatusCode::NOT_FOUND);

    // The fault: the manifest's token is rotated right after it is served.
    let armed = emu
        .admin(
            Method::POST,
            "faults",
            Some(&json!({"op": "agents.deployYaml.post", "rotateAgentTokenAfterManifest": true})),
        )
        .await
        .expect("arm");
    assert_eq!(armed.status(), StatusCode::OK);
    let (status, yaml) =
        post_yaml(&emu, "a1", json!({"namespace": "gitops", "privateKey": t2})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(embedded_token(&documents(&yaml, "gitops")), t2);
    assert_eq!(
        heartbeat(&emu, "a1", &t2).await.0,
        StatusCode::UNAUTHORIZED,
        "installed with a bad token"
    );
    let counts = emu.counters().await;
    assert_eq!(
        counts["faults"]["armed.agents.deployYaml.post.rotateAgentTokenAfterManifest"],
        json!(1)
    );
}

#[tokio::test]
async fn heartbeat_sets_health_and_times_out_to_disconnected() {
    let emu = Emulator::start(&["--agent-heartbeat-timeout", "1s"]).await;
    let api = emu.api();
    let t = token(&create(&api, "a1", "MANAGED_ARGO_PROVIDER").await);
    let id = [("identifier", "a1")];
    let before = api.call(Method::GET, AGENT, &id, &proj(), None).await;
    assert_eq!(
        before.body["health"],
        json!({"connectionStatus": "CONNECTED_STATUS_UNSET"})
    );
    assert_eq!(heartbeat(&emu, "a1", &t).await, (StatusCode::OK, json!({})));
    let after = api.call(Method::GET, AGENT, &id, &proj(), None).await;
    let h = &after.body["health"];
    assert_eq!(h["connectionStatus"], json!("CONNECTED"));
    assert_eq!(
        h["harnessGitopsAgent"],
        json!({"status": "HEALTHY", "message": "ok"})
    );
    assert_eq!(h["argoAppController"]["status"], json!("UNHEALTHY"));
    assert_eq!(
        after.body["version"],
        json!({"minor": "101"}),
        "the heartbeat's 0.101.0, zero values omitted"
    );
    assert!(
        after.body.get("upgradeAvailable").is_none(),
        "0.101.0 is the latest"
    );
    assert!(h["lastHeartbeat"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    eventually(
        std::time::Duration::from_secs(10),
        "DISCONNECTED",
        || async {
            let a = api.call(Method::GET, AGENT, &id, &proj(), None).await;
            (a.body["health"]["connectionStatus"] == json!("DISCONNECTED")).then_some(())
        },
    )
    .await;
    // A heartbeat without a token, or for a body the convention does not know.
    let resp = reqwest::Client::new()
        .post(format!("{}/gitops/agent/v1/heartbeat", emu.url))
        .json(&json!({"accountIdentifier": ACCOUNT, "orgIdentifier": "o1", "projectIdentifier": "p1", "agentIdentifier": "a1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let counts = emu.counters().await;
    assert_eq!(counts["requests"]["agents.heartbeat"], json!(2));
}

#[tokio::test]
async fn manifest_shapes() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let managed = token(&create(&api, "m1", "MANAGED_ARGO_PROVIDER").await);
    let (status, yaml) = post_yaml(
        &emu,
        "m1",
        json!({"namespace": "gitops", "privateKey": managed, "caData": "Y2E=",
               "proxy": {"http": "http://proxy:3128", "password": "pw"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{yaml}");
    let docs = documents(&yaml, "gitops");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    let first = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    let last = |k: &str| kinds.iter().rposition(|x| *x == k).unwrap();
    assert!(last("CustomResourceDefinition") < first("ServiceAccount"));
    assert!(last("RoleBinding") < first("ConfigMap"));
    assert!(last("ConfigMap") < first("Deployment"));
    for crd in [
        "applications.argoproj.io",
        "applicationsets.argoproj.io",
        "appprojects.argoproj.io",
    ] {
        let c = find(&docs, "CustomResourceDefinition", crd).expect(crd);
        assert_eq!(c["apiVersion"], json!("apiextensions.k8s.io/v1"));
        assert_eq!(
            c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["type"],
            json!("object")
        );
    }
    for (kind, name) in [
        ("ServiceAccount", "gitops-agent"),
        ("Role", "gitops-agent"),
        ("RoleBinding", "gitops-agent"),
        ("ClusterRole", "m1"),
        ("ClusterRoleBinding", "m1"),
        ("Secret", "m1-ca"),
        ("Deployment", "argocd-repo-server"),
        ("Deployment", "argocd-redis"),
        ("Deployment", "argocd-applicationset-controller"),
        ("Deployment", "argocd-server"),
        ("StatefulSet", "argocd-application-controller"),
        ("Service", "argocd-repo-server"),
        ("ConfigMap", "argocd-cm"),
        ("ConfigMap", "argocd-cmd-params-cm"),
        ("ConfigMap", "argocd-rbac-cm"),
        ("ConfigMap", "argocd-ssh-known-hosts-cm"),
        ("ConfigMap", "argocd-tls-certs-cm"),
        ("ConfigMap", "argocd-gpg-keys-cm"),
        ("Secret", "argocd-secret"),
        ("NetworkPolicy", "argocd-redis-network-policy"),
        ("CronJob", "gitops-agent-upgrader"),
    ] {
        assert!(find(&docs, kind, name).is_some(), "{kind} {name}");
    }
    assert_eq!(
        find(&docs, "Secret", "m1-ca").unwrap()["data"]["ca.bundle"],
        json!("Y2E=")
    );
    assert_eq!(
        find(&docs, "CronJob", "gitops-agent-upgrader").unwrap()["apiVersion"],
        json!("batch/v1")
    );
    for name in ["argocd-repo-server", "argocd-redis", "argocd-server"] {
        let d = find(&docs, "Deployment", name).unwrap();
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/name"],
            json!(name)
        );
    }
    let cm = &find(&docs, "ConfigMap", "gitops-agent").unwrap()["data"];
    assert_eq!(cm["GITOPS_ACCOUNT_IDENTIFIER"], json!(ACCOUNT));
    assert_eq!(cm["GITOPS_AGENT_IDENTIFIER"], json!("m1"));
    assert_eq!(cm["GITOPS_ORG_IDENTIFIER"], json!("o1"));
    assert_eq!(cm["GITOPS_PROJECT_IDENTIFIER"], json!("p1"));
    assert_eq!(
        cm["AGENT_HTTP_TARGET"],
        json!(format!("{}/gitops", emu.url))
    );
    assert_eq!(cm["GITOPS_SERVICE_PROTOCOL"], json!("HTTP1"));
    assert_eq!(cm["GITOPS_AGENT_AVAILABILITY_MODE"], json!("NON-HA"));
    assert_eq!(cm["GITOPS_ARGOCD_REPO"], json!("argocd-repo-server"));
    assert_eq!(
        cm["GITOPS_ARGOCD_APP_CONTROLLER"],
        json!("argocd-application-controller")
    );
    assert_eq!(cm["GITOPS_ARGOCD_REDIS"], json!("argocd-redis"));
    assert_eq!(
        cm["GITOPS_ARGOCD_APPSET_CONTROLLER"],
        json!("argocd-applicationset-controller")
    );
    assert_eq!(cm["HTTP_PROXY"], json!("http://proxy:3128"));
    assert!(!yaml.contains("\"pw\"") || find(&docs, "Secret", "gitops-agent-proxy").is_some());
    let agent = find(&docs, "Deployment", "gitops-agent").unwrap();
    assert_eq!(
        agent["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        json!("gitops-agent")
    );
    assert_eq!(
        agent["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        json!("gitops-agent")
    );
    let c = &agent["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], json!("harness/gitops-agent:v0.101.0"));
    assert_eq!(
        c["envFrom"][0]["configMapRef"]["name"],
        json!("gitops-agent")
    );
    assert_eq!(c["envFrom"][1]["secretRef"]["name"], json!("gitops-agent"));
    assert_eq!(agent["spec"]["replicas"], json!(1));

    // skipCrds.
    let (_, yaml) = post_yaml(
        &emu,
        "m1",
        json!({"namespace": "ns2", "privateKey": managed, "skipCrds": true}),
    )
    .await;
    let docs = documents(&yaml, "ns2");
    assert!(docs
        .iter()
        .all(|d| d["kind"] != json!("CustomResourceDefinition")));
    assert!(find(&docs, "StatefulSet", "argocd-application-controller").is_some());

    // Connected (bring your own Argo CD), HA and namespaced: only the agent's objects.
    let mut body = agent_body("c1", "CONNECTED_ARGO_PROVIDER");
    body["metadata"] = json!({"namespace": "byoa", "highAvailability": true, "isNamespaced": true});
    let created = api
        .call(Method::POST, AGENTS, &[], &proj(), Some(&body))
        .await;
    let t = token(&created.body);
    let (status, yaml) = post_yaml(&emu, "c1", json!({"privateKey": t})).await;
    assert_eq!(status, StatusCode::OK, "namespace from metadata: {yaml}");
    let docs = documents(&yaml, "byoa");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Secret",
            "ConfigMap",
            "Deployment"
        ]
    );
    let cm = &find(&docs, "ConfigMap", "gitops-agent").unwrap()["data"];
    assert_eq!(cm["GITOPS_AGENT_AVAILABILITY_MODE"], json!("HA"));
    assert_eq!(
        find(&docs, "Deployment", "gitops-agent").unwrap()["spec"]["replicas"],
        json!(2)
    );

    // No namespace anywhere: refused.
    let mut body = agent_body("n1", "CONNECTED_ARGO_PROVIDER");
    body["metadata"] = json!({});
    let t = token(
        &api.call(Method::POST, AGENTS, &[], &proj(), Some(&body))
            .await
            .body,
    );
    let (status, text) = post_yaml(&emu, "n1", json!({"privateKey": t})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("namespace is required"), "{text}");
}

#[tokio::test]
async fn agents_persist_with_the_rest_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let data = data.to_str().unwrap();
    let t = {
        let emu = Emulator::start(&["--data", data]).await;
        let t = token(&create(&emu.api(), "a1", "MANAGED_ARGO_PROVIDER").await);
        emu.kill_hard().await;
        t
    };
    let emu = Emulator::start(&["--data", data]).await;
    let dump = emu.admin_get("state").await;
    assert_eq!(dump["agents"][0]["identifier"], json!("a1"));
    assert_eq!(dump["agents"][0]["credentials"]["privateKey"], json!(MASK));
    let dump = emu.admin_get("state?secrets=clear").await;
    assert_eq!(dump["agents"][0]["credentials"]["privateKey"], json!(t));
    let mut q = proj();
    q.push(("withCredentials", "true"));
    let got = emu
        .api()
        .call(Method::GET, AGENT, &[("identifier", "a1")], &q, None)
        .await;
    assert_eq!(token(&got.body), t);
}

/// Every query parameter the document lists for the agent operations is accepted (a name
/// outside the document is refused, as for the other kinds).
#[tokio::test]
async fn agent_query_parameters_are_those_of_the_document() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let t = token(&create(&api, "a1", "MANAGED_ARGO_PROVIDER").await);
    let c = contract();
    for (method, template) in [
        (Method::GET, AGENTS),
        (Method::GET, AGENT),
        (Method::GET, UNIQUE),
        (Method::GET, "/api/v1/agents/{agentIdentifier}/deploy.yaml"),
        (
            Method::GET,
            "/api/v1/agents/{agentIdentifier}/helm-overrides",
        ),
    ] {
        for (name, boolean, _) in c.query_params(&method, template) {
            let value = match name.as_str() {
                "accountIdentifier" | "routingId" => ACCOUNT.to_string(),
                "orgIdentifier" => "o1".into(),
                "projectIdentifier" => "p1".into(),
                "privateKey" => t.clone(),
                "namespace" => "gitops".into(),
                "pageSize" | "pageIndex" => "0".into(),
                _ if boolean => "false".into(),
                _ => String::new(),
            };
            let mut q: Vec<(String, String)> = proj()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            if template.contains("{agentIdentifier}") {
                // Without the current token every manifest call would rotate it.
                q.push(("privateKey".into(), t.clone()));
            }
            q.retain(|(k, _)| *k != name);
            q.push((name.clone(), value));
            let path = template
                .replace("{identifier}", "a1")
                .replace("{agentIdentifier}", "a1");
            let query: Vec<(&str, &str)> =
                q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let (status, _, text) = raw(&emu, method.clone(), &path, &query, None).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{method} {template} ?{name}: {text}"
            );
        }
    }
    let (status, _, text) = raw(
        &emu,
        Method::GET,
        "/api/v1/agents/a1/deploy.yaml",
        &[("accountIdentifier", ACCOUNT), ("bogus", "x")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
}

/// Bodies using every property of `v1Agent` and `v1AgentYamlQuery` (the emulator's schema
/// table against the document), and every request field checked and named.
#[tokio::test]
async fn maximal_agent_bodies_are_accepted_and_fields_are_checked() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let c = contract();
    let mut body = c.maximal("v1Agent");
    for (k, v) in [
        ("accountIdentifier", json!(ACCOUNT)),
        ("orgIdentifier", json!("o1")),
        ("projectIdentifier", json!("p1")),
        ("identifier", json!("max1")),
        ("type", json!("MANAGED_ARGO_PROVIDER")),
    ] {
        body[k] = v;
    }
    body["metadata"]["namespace"] = json!("gitops");
    let a = api
        .call(Method::POST, AGENTS, &[], &proj(), Some(&body))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["tags"], body["tags"]);
    assert_eq!(
        a.body["metadata"]["mappedProjects"],
        body["metadata"]["mappedProjects"]
    );
    assert!(
        a.body["health"]["connectionStatus"] == json!("CONNECTED_STATUS_UNSET"),
        "computed, not as sent"
    );
    let t = token(&a.body);
    let upd = api
        .call(
            Method::PUT,
            UPDATE,
            &[("agent.identifier", "max1")],
            &proj(),
            Some(&body),
        )
        .await;
    assert_eq!(upd.status, StatusCode::OK, "{}", upd.body);

    let mut q = c.maximal("v1AgentYamlQuery");
    for (k, v) in [
        ("accountIdentifier", json!(ACCOUNT)),
        ("orgIdentifier", json!("o1")),
        ("projectIdentifier", json!("p1")),
        ("agentIdentifier", json!("max1")),
        ("privateKey", json!(t)),
        ("namespace", json!("gitops")),
        ("caData", json!("Y2E=")),
    ] {
        q[k] = v;
    }
    for path in [
        "/api/v1/agents/max1/deployment-spec/yaml",
        "/api/v1/agents/max1/helm-overrides",
    ] {
        let (status, _, text) = raw(&emu, Method::POST, path, &acc(), Some(&q)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {text}");
    }

    // Every field of a create body is checked: a wrong type is refused, naming it.
    let nodes = c.nodes("v1Agent", &body);
    assert!(nodes.len() > 20, "{}", nodes.len());
    for n in nodes {
        let mut bad = body.clone();
        bad["identifier"] = json!("fresh");
        set_at(&mut bad, &n.pointer, n.wrong.clone());
        let a = api
            .call(Method::POST, AGENTS, &[], &proj(), Some(&bad))
            .await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{} = {}: {}",
            n.pointer,
            n.wrong,
            a.body
        );
    }
}

/// `POST /_emulator/agent-version` with `body`: status and JSON answer.
async fn set_agent_version(emu: &Emulator, body: &Value) -> (StatusCode, Value) {
    let resp = emu
        .admin(Method::POST, "agent-version", Some(body))
        .await
        .expect("admin request");
    let status = resp.status();
    (status, resp.json().await.expect("JSON"))
}

/// The `gitops-agent` Deployment's image in a manifest fetched now (with the agent's
/// current token, so nothing rotates).
async fn manifest_image(emu: &Emulator, id: &str, token: &str) -> String {
    let (status, yaml) = post_yaml(emu, id, json!({"privateKey": token})).await;
    assert_eq!(status, StatusCode::OK, "{yaml}");
    let docs = documents(&yaml, "gitops");
    find(&docs, "Deployment", "gitops-agent").expect("agent Deployment")["spec"]["template"]["spec"]
        ["containers"][0]["image"]
        .as_str()
        .expect("image")
        .to_string()
}

/// The Helm overrides' `agent.image` fetched now.
async fn overrides_image(emu: &Emulator, id: &str, token: &str) -> Value {
    let mut q = proj();
    q.push(("privateKey", token));
    let (status, _, yaml) = raw(
        emu,
        Method::GET,
        &format!("/api/v1/agents/{id}/helm-overrides"),
        &q,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{yaml}");
    let v: Value = serde_yaml_ng::from_str(&yaml).expect("overrides parse");
    v["agent"]["image"].clone()
}

/// The upgrade a Terraform provider performs: the agent heartbeats the old version, Harness
/// gets a newer one (upgradeAvailable), the manifest fetched then carries the new image, and
/// once that image heartbeats the new version nothing is left to upgrade.
#[tokio::test]
async fn upgrade_available_follows_the_latest_agent_version() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let t = token(&create(&api, "a1", "MANAGED_ARGO_PROVIDER").await);
    let id = [("identifier", "a1")];
    let get = || async { api.call(Method::GET, AGENT, &id, &proj(), None).await.body };
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.101.0"})
    );
    assert_eq!(
        manifest_image(&emu, "a1", &t).await,
        "harness/gitops-agent:v0.101.0"
    );
    assert_eq!(
        overrides_image(&emu, "a1", &t).await,
        json!({"repository": "harness/gitops-agent", "tag": "v0.101.0"})
    );

    assert_eq!(heartbeat(&emu, "a1", &t).await.0, StatusCode::OK);
    let a = get().await;
    assert_eq!(a["version"], json!({"minor": "101"}));
    assert!(a.get("upgradeAvailable").is_none(), "{a}");

    // Harness releases 0.102.0.
    assert_eq!(
        set_agent_version(&emu, &json!({"version": "0.102.0"})).await,
        (StatusCode::OK, json!({"version": "0.102.0"}))
    );
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.102.0"})
    );
    let a = get().await;
    assert_eq!(
        a["version"],
        json!({"minor": "101"}),
        "still the installed one"
    );
    assert_eq!(a["upgradeAvailable"], json!(true));
    // The list and the admin dump say so too.
    let listed = api.call(Method::GET, AGENTS, &[], &proj(), None).await;
    assert_eq!(listed.body["content"][0]["upgradeAvailable"], json!(true));
    let dump = emu.admin_get("state").await;
    assert_eq!(dump["agents"][0]["upgradeAvailable"], json!(true));

    // The manifest fetched now carries the new image (and GITOPS_AGENT_VERSION).
    assert_eq!(
        manifest_image(&emu, "a1", &t).await,
        "harness/gitops-agent:v0.102.0"
    );
    let (_, yaml) = post_yaml(&emu, "a1", json!({"privateKey": t})).await;
    let docs = documents(&yaml, "gitops");
    assert_eq!(
        find(&docs, "ConfigMap", "gitops-agent").unwrap()["data"]["GITOPS_AGENT_VERSION"],
        json!("0.102.0")
    );
    let upgrader = find(&docs, "CronJob", "gitops-agent-upgrader").unwrap();
    assert_eq!(
        upgrader["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
        json!("harness/gitops-agent-upgrader:v0.102.0")
    );
    assert_eq!(
        overrides_image(&emu, "a1", &t).await,
        json!({"repository": "harness/gitops-agent", "tag": "v0.102.0"})
    );

    // The new image heartbeats its version: up to date.
    assert_eq!(
        heartbeat_version(&emu, "a1", &t, "0.102.0").await.0,
        StatusCode::OK
    );
    let a = get().await;
    assert_eq!(a["version"], json!({"minor": "102"}));
    assert!(a.get("upgradeAvailable").is_none(), "{a}");

    // Newer than the latest (a pre-release image): nothing to upgrade either; a major
    // version shows all three fields; a numeric, not textual, comparison.
    assert_eq!(
        heartbeat_version(&emu, "a1", &t, "1.0.3").await.0,
        StatusCode::OK
    );
    let a = get().await;
    assert_eq!(a["version"], json!({"major": "1", "patch": "3"}));
    assert!(a.get("upgradeAvailable").is_none(), "{a}");
    assert_eq!(
        heartbeat_version(&emu, "a1", &t, "0.99.0").await.0,
        StatusCode::OK
    );
    assert_eq!(get().await["upgradeAvailable"], json!(true), "0.99 < 0.102");
    // A version Harness cannot read: no version, no upgrade.
    assert_eq!(
        heartbeat_version(&emu, "a1", &t, "latest").await.0,
        StatusCode::OK
    );
    let a = get().await;
    assert!(
        a.get("version").is_none() && a.get("upgradeAvailable").is_none(),
        "{a}"
    );

    // Reset forgets the admin-set version: back to --agent-version.
    let resp = emu.admin(Method::POST, "reset", None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.101.0"})
    );
}

#[tokio::test]
async fn agent_version_flag_sets_the_latest_version() {
    let emu = Emulator::start(&["--agent-version", "0.105.2"]).await;
    let api = emu.api();
    let t = token(&create(&api, "a1", "CONNECTED_ARGO_PROVIDER").await);
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.105.2"})
    );
    assert_eq!(
        manifest_image(&emu, "a1", &t).await,
        "harness/gitops-agent:v0.105.2"
    );
    assert_eq!(heartbeat(&emu, "a1", &t).await.0, StatusCode::OK);
    let a = api
        .call(Method::GET, AGENT, &[("identifier", "a1")], &proj(), None)
        .await;
    assert_eq!(a.body["upgradeAvailable"], json!(true), "0.101.0 < 0.105.2");
}

#[tokio::test]
async fn agent_version_admin_endpoint_validates_and_is_guarded() {
    let emu = Emulator::start(&[]).await;
    for (body, needle) in [
        (json!({"version": "v0.102.0"}), "not an agent version"),
        (json!({"version": "0.102"}), "not an agent version"),
        (json!({"version": "0.102.0-rc1"}), "not an agent version"),
        (json!({"version": ""}), "not an agent version"),
        (json!({"version": 102}), "version is required"),
        (json!({}), "version is required"),
        (
            json!({"version": "0.102.0", "image": "x"}),
            "unknown key \"image\"",
        ),
        (json!(["0.102.0"]), "JSON object"),
    ] {
        let (status, answer) = set_agent_version(&emu, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["code"], json!(3), "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle)),
            "{body}: {answer} lacks {needle:?}"
        );
    }
    let no_body = emu
        .admin(Method::POST, "agent-version", None)
        .await
        .unwrap();
    assert_eq!(no_body.status(), StatusCode::BAD_REQUEST);

    let url = format!("{}/_emulator/agent-version", emu.url);
    let http = reqwest::Client::new();
    let body = json!({"version": "0.200.0"});
    let no_key = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);
    let wrong = http
        .post(&url)
        .header("x-api-key", "wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let rebinding = http
        .post(&url)
        .header("x-api-key", KEY)
        .header("host", "evil.example.com")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), StatusCode::FORBIDDEN);
    let no_key_get = http.get(&url).send().await.unwrap();
    assert_eq!(no_key_get.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.101.0"}),
        "nothing refused changed it"
    );
    // Any valid version is accepted, an older one included.
    assert_eq!(
        set_agent_version(&emu, &json!({"version": "0.100.7"})).await,
        (StatusCode::OK, json!({"version": "0.100.7"}))
    );
}

#[tokio::test]
async fn agent_version_persists_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let data = data.to_str().unwrap();
    {
        let emu = Emulator::start(&["--data", data]).await;
        let t = token(&create(&emu.api(), "a1", "MANAGED_ARGO_PROVIDER").await);
        assert_eq!(heartbeat(&emu, "a1", &t).await.0, StatusCode::OK);
        let (status, _) = set_agent_version(&emu, &json!({"version": "0.102.0"})).await;
        assert_eq!(status, StatusCode::OK);
        emu.kill_hard().await;
    }
    // The persisted admin-set version wins over --agent-version; the heartbeat's version
    // is kept with the agent.
    let emu = Emulator::start(&["--data", data, "--agent-version", "0.101.5"]).await;
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.102.0"})
    );
    let a = emu
        .api()
        .call(Method::GET, AGENT, &[("identifier", "a1")], &proj(), None)
        .await;
    assert_eq!(a.body["version"], json!({"minor": "101"}));
    assert_eq!(a.body["upgradeAvailable"], json!(true));
    // After a reset (which persists) a restart uses the flag again.
    let resp = emu.admin(Method::POST, "reset", None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    emu.kill_hard().await;
    let emu = Emulator::start(&["--data", data, "--agent-version", "0.101.5"]).await;
    assert_eq!(
        emu.admin_get("agent-version").await,
        json!({"version": "0.101.5"})
    );
}
