//! ApplicationSets against the real binary: every answer validated against the document;
//! generators (list, clusters, git, matrix, merge, selector), both template syntaxes, the
//! generated applications (real, owned, synced), regeneration by update, the nesting limit,
//! delete (cascading or preserving), the dry-run generate, and project refusals.

mod emulator_support;

use std::time::Duration;

use base64::Engine as _;
use emulator_support::*;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";
const ORG: &str = "org1";
const PROJ: &str = "proj1";
const REPO: &str = "https://github.com/example/apps.git";

fn q() -> Vec<(&'static str, &'static str)> {
    vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJ),
        ("agentIdentifier", AGENT),
    ]
}

fn raw(v: Value) -> Value {
    json!({"raw": base64::engine::general_purpose::STANDARD.encode(v.to_string())})
}

fn elements(names: &[&str]) -> Value {
    Value::Array(names.iter().map(|n| raw(json!({"env": n}))).collect())
}

/// A template with automated sync, so generated applications become Synced and Healthy.
fn template(name: &str, path: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"owner": "appset"}},
        "spec": {
            "project": "default",
            "source": {"repoURL": REPO, "path": path, "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
            "syncPolicy": {"automated": {}}
        }
    })
}

fn set(name: &str, generators: Value, tmpl: Value) -> Value {
    json!({"applicationset": {
        "metadata": {"name": name},
        "spec": {"generators": generators, "template": tmpl}
    }})
}

async fn create(api: &Api, body: &Value) -> Answer {
    api.call(Method::POST, APPSET, &[], &q(), Some(body)).await
}

async fn apps(api: &Api) -> Vec<Value> {
    let ans = api
        .call(
            Method::GET,
            APPS,
            &[("agentIdentifier", AGENT)],
            &q()[..3],
            None,
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    ans.body["items"].as_array().cloned().unwrap_or_default()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = items
        .iter()
        .map(|a| a["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    n.sort();
    n
}

async fn get_set(api: &Api, id: &str) -> Answer {
    api.call(Method::GET, APPSET_ITEM, &[("identifier", id)], &q(), None)
        .await
}

#[tokio::test]
async fn list_generator_makes_synced_healthy_apps_and_update_regenerates() {
    let emu = Emulator::start(&["--sync-delay", "200ms"]).await;
    let api = emu.api();
    let envs = ["dev", "qa", "stage", "prod", "dr"];
    let body = set(
        "web",
        json!([{"list": {"elements": elements(&envs)}}]),
        template("{{env}}-web", "envs/{{ env }}"),
    );
    let ans = create(&api, &body).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let id = ans.body["identifier"]
        .as_str()
        .expect("identifier")
        .to_string();
    assert_eq!(ans.body["agentIdentifier"], AGENT);
    assert_eq!(ans.body["appset"]["metadata"]["namespace"], "argocd");
    let uid = ans.body["appset"]["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(uid, id, "the Harness identifier is not the Kubernetes uid");

    let items = apps(&api).await;
    assert_eq!(
        names(&items),
        vec!["dev-web", "dr-web", "prod-web", "qa-web", "stage-web"]
    );
    for a in &items {
        assert_eq!(a["metadata"]["ownerReferences"][0]["uid"], uid.as_str());
        assert_eq!(
            a["metadata"]["ownerReferences"][0]["kind"],
            "ApplicationSet"
        );
        let env = a["metadata"]["name"]
            .as_str()
            .unwrap()
            .trim_end_matches("-web");
        assert_eq!(a["spec"]["source"]["path"], format!("envs/{env}"));
        assert_eq!(a["metadata"]["labels"]["owner"], "appset");
    }
    // The set's status follows its applications to Synced and Healthy.
    let status = eventually(Duration::from_secs(10), "5 Synced+Healthy apps", || async {
        let s = get_set(&api, &id).await.body["appset"]["status"].clone();
        let res = s["resources"].as_array().cloned().unwrap_or_default();
        (res.len() == 5
            && res
                .iter()
                .all(|r| r["status"] == "Synced" && r["health"]["status"] == "Healthy"))
        .then_some(s)
    })
    .await;
    let app_status = status["applicationStatus"].as_array().unwrap();
    assert_eq!(app_status.len(), 5);
    assert!(app_status.iter().all(|a| a["status"] == "Healthy"));
    assert!(status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "ErrorOccurred" && c["status"] == "False"));

    // Remove "dr", add "perf": one deleted, one created, the others untouched.
    let before: Value = items
        .iter()
        .find(|a| a["metadata"]["name"] == "dev-web")
        .unwrap()
        .clone();
    let body = set(
        "web",
        json!([{"list": {"elements": elements(&["dev", "qa", "stage", "prod", "perf"])}}]),
        template("{{env}}-web", "envs/{{ env }}"),
    );
    let ans = api.call(Method::PUT, APPSET, &[], &q(), Some(&body)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(ans.body["identifier"], id.as_str());
    let items = apps(&api).await;
    assert_eq!(
        names(&items),
        vec!["dev-web", "perf-web", "prod-web", "qa-web", "stage-web"]
    );
    let after = items
        .iter()
        .find(|a| a["metadata"]["name"] == "dev-web")
        .unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"],
        "an unchanged application is not rewritten"
    );
    // The list finds it by name; get by name is not found (the path id is the UUID).
    let list = api
        .call(
            Method::POST,
            APPSETS,
            &[],
            &[],
            Some(&json!({"accountIdentifier": ACCOUNT, "orgIdentifier": ORG,
                         "projectIdentifier": PROJ, "agentIdentifier": AGENT, "searchTerm": "we"})),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["totalItems"], 1);
    assert_eq!(list.body["content"][0]["identifier"], id.as_str());
    get_set(&api, "web").await.assert_error(404, 5, "not found");
    let dump = emu.admin_get("state").await;
    assert_eq!(dump["applicationsets"].as_array().map_or(0, Vec::len), 1);
}

#[tokio::test]
async fn create_only_keeps_and_create_delete_removes() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let mut body = set(
        "p",
        json!([{"list": {"elements": elements(&["a", "b"])}}]),
        template("{{env}}", "x"),
    );
    body["applicationset"]["spec"]["syncPolicy"] = json!({"applicationsSync": "create-only"});
    assert_eq!(create(&api, &body).await.status, 200);
    body["applicationset"]["spec"]["generators"] =
        json!([{"list": {"elements": elements(&["a"])}}]);
    body["applicationset"]["spec"]["template"]["spec"]["source"]["path"] = json!("y");
    let ans = api.call(Method::PUT, APPSET, &[], &q(), Some(&body)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    assert_eq!(names(&items), vec!["a", "b"], "create-only deletes nothing");
    assert!(
        items.iter().all(|a| a["spec"]["source"]["path"] == "x"),
        "and updates nothing"
    );
    body["applicationset"]["spec"]["syncPolicy"] = json!({"applicationsSync": "create-delete"});
    assert_eq!(
        api.call(Method::PUT, APPSET, &[], &q(), Some(&body))
            .await
            .status,
        200
    );
    let items = apps(&api).await;
    assert_eq!(names(&items), vec!["a"]);
    assert_eq!(
        items[0]["spec"]["source"]["path"], "x",
        "create-delete updates nothing"
    );
    body["applicationset"]["spec"]["syncPolicy"] = json!({"applicationsSync": "sometimes"});
    api.call(Method::PUT, APPSET, &[], &q(), Some(&body))
        .await
        .assert_error(400, 3, "applicationsSync");
}

async fn cluster(api: &Api, id: &str, name: &str, server: &str, env: &str) {
    let q = vec![
        ("accountIdentifier", ACCOUNT),
        ("orgIdentifier", ORG),
        ("projectIdentifier", PROJ),
        ("identifier", id),
    ];
    let body = json!({"cluster": {"server": server, "name": name, "labels": {"env": env},
                                  "config": {"bearerToken": "tok"}}});
    let ans = api
        .call(
            Method::POST,
            CLUSTERS,
            &[("agentIdentifier", AGENT)],
            &q,
            Some(&body),
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
}

#[tokio::test]
async fn matrix_of_clusters_and_list_with_a_selector() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    cluster(&api, "c1", "east", "https://east.example.com", "prod").await;
    cluster(&api, "c2", "west", "https://west.example.com", "prod").await;
    cluster(&api, "c3", "lab", "https://lab.example.com", "test").await;
    let mut tmpl = template("{{name}}-{{app}}", "apps/{{app}}");
    tmpl["spec"]["destination"] =
        json!({"server": "{{server}}", "namespace": "{{metadata.labels.env}}"});
    let gens = json!([{"matrix": {"generators": [
        {"clusters": {"selector": {"matchLabels": {"env": "prod"}}}},
        {"list": {"elements": [raw(json!({"app": "api"})), raw(json!({"app": "ui"}))]}}
    ]}}]);
    let ans = create(&api, &set("m", gens, tmpl.clone())).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    assert_eq!(
        names(&items),
        vec!["east-api", "east-ui", "west-api", "west-ui"]
    );
    let east = items
        .iter()
        .find(|a| a["metadata"]["name"] == "east-ui")
        .unwrap();
    assert_eq!(
        east["spec"]["destination"]["server"],
        "https://east.example.com"
    );
    assert_eq!(east["spec"]["destination"]["namespace"], "prod");
    // A selector beside the matrix filters the combinations.
    let gens = json!([{"matrix": {"generators": [
        {"clusters": {}},
        {"list": {"elements": [raw(json!({"app": "api"})), raw(json!({"app": "ui"}))]}}
    ]}, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["ui"]}]}}]);
    let ans = create(&api, &set("m2", gens, tmpl)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let all = names(&apps(&api).await);
    for n in ["lab-ui", "east-ui", "west-ui"] {
        assert!(all.contains(&n.to_string()), "{n} in {all:?}");
    }
    assert!(!all.contains(&"lab-api".to_string()));
}

#[tokio::test]
async fn merge_overrides_by_merge_keys() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let mut tmpl = template("{{app}}", "apps/{{app}}");
    tmpl["metadata"]["annotations"] = json!({"replicas": "{{replicas}}"});
    let gens = json!([{"merge": {"mergeKeys": ["app"], "generators": [
        {"list": {"elements": [raw(json!({"app": "a", "replicas": "1"})), raw(json!({"app": "b", "replicas": "1"}))]}},
        {"list": {"elements": [raw(json!({"app": "b", "replicas": "3"})), raw(json!({"app": "z", "replicas": "9"}))]}}
    ]}}]);
    let ans = create(&api, &set("mg", gens, tmpl)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    assert_eq!(names(&items), vec!["a", "b"], "only the first child's sets");
    let replicas = |n: &str| {
        items.iter().find(|a| a["metadata"]["name"] == n).unwrap()["metadata"]["annotations"]
            ["replicas"]
            .clone()
    };
    assert_eq!(replicas("a"), "1");
    assert_eq!(replicas("b"), "3");
}

#[tokio::test]
async fn git_directories_with_exclude_and_path_params() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let tree = json!({REPO: {"HEAD": ["apps/web", "apps/api", "apps/legacy", "other/x",
                                       {"path": "config/dev.json", "content": "{\"env\": \"dev\"}"}]}});
    let r = emu
        .admin(Method::POST, "git-tree", Some(&tree))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tmpl = template("{{path.basename}}", "{{path}}");
    tmpl["metadata"]["labels"] = json!({"top": "{{path[0]}}"});
    let gens = json!([{"git": {"repoURL": REPO, "revision": "HEAD", "directories": [
        {"path": "apps/*"}, {"path": "apps/legacy", "exclude": true}
    ]}}]);
    let ans = create(&api, &set("g", gens, tmpl)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    assert_eq!(names(&items), vec!["api", "web"]);
    assert_eq!(items[0]["spec"]["source"]["path"], "apps/api");
    assert_eq!(items[0]["metadata"]["labels"]["top"], "apps");
    // Files (JSON contents) with a path parameter prefix.
    let gens = json!([{"git": {"repoURL": REPO, "files": [{"path": "config/*.json"}],
                               "pathParamPrefix": "cfg"}}]);
    let tmpl = template("conf-{{env}}", "{{cfg.path}}/{{cfg.path.filename}}");
    let ans = create(&api, &set("gf", gens, tmpl)).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    let conf = items
        .iter()
        .find(|a| a["metadata"]["name"] == "conf-dev")
        .expect("conf-dev generated");
    assert_eq!(conf["spec"]["source"]["path"], "config/dev.json");
    // An unknown revision is a condition, nothing generated.
    let gens =
        json!([{"git": {"repoURL": REPO, "revision": "v9", "directories": [{"path": "*"}]}}]);
    let ans = create(
        &api,
        &set("gx", gens, template("{{path.basename}}", "{{path}}")),
    )
    .await;
    assert_eq!(ans.status, 200);
    let cond = &ans.body["appset"]["status"]["conditions"][0];
    assert_eq!(cond["type"], "ErrorOccurred");
    assert_eq!(cond["status"], "True");
    assert!(cond["message"].as_str().unwrap().contains("v9"), "{cond}");
}

#[tokio::test]
async fn go_templates_and_missingkey_error() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let mut tmpl = template("{{ .env }}-{{ .cfg.region }}", "envs/{{ .env }}");
    tmpl["metadata"]["labels"] = json!({
        "region": "{{ index .cfg \"region\" | upper }}",
        "tier": "{{ default \"std\" .tier }}",
        "low": "{{ lower .name }}"
    });
    let mut body = set(
        "go",
        json!([{"list": {"elements": [raw(json!({"env": "dev", "name": "Dev", "cfg": {"region": "eu"}}))]}}]),
        tmpl.clone(),
    );
    body["applicationset"]["spec"]["goTemplate"] = json!(true);
    let ans = create(&api, &body).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = apps(&api).await;
    assert_eq!(names(&items), vec!["dev-eu"]);
    let labels = &items[0]["metadata"]["labels"];
    assert_eq!(labels["region"], "EU");
    assert_eq!(labels["tier"], "std");
    assert_eq!(labels["low"], "dev");

    body["applicationset"]["metadata"]["name"] = json!("strict");
    body["applicationset"]["spec"]["goTemplateOptions"] = json!(["missingkey=error"]);
    body["applicationset"]["spec"]["template"]["metadata"]["name"] = json!("x-{{ .nope }}");
    let gen = api
        .call(
            Method::POST,
            APPSET_GENERATE,
            &[],
            &q(),
            Some(&json!({"applicationset": body["applicationset"]})),
        )
        .await;
    gen.assert_error(400, 3, "map has no entry for key \"nope\"");
    let ans = create(&api, &body).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let cond = &ans.body["appset"]["status"]["conditions"][0];
    assert_eq!(cond["status"], "True");
    assert!(cond["message"].as_str().unwrap().contains("nope"), "{cond}");
    assert_eq!(
        names(&apps(&api).await),
        vec!["dev-eu"],
        "nothing more generated"
    );
}

#[tokio::test]
async fn nesting_limit_and_structure_are_refused() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let list = json!({"list": {"elements": [raw(json!({"a": "1"}))]}});
    let inner = json!({"generators": [list, list]});
    // One level of nesting (a matrix inside a matrix, as v1JSON) is fine.
    let ok = json!([{"matrix": {"generators": [list, {"matrix": raw(inner.clone())}]}}]);
    let ans = create(&api, &set("nest-ok", ok, template("n-{{a}}", "x"))).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(names(&apps(&api).await), vec!["n-1"]);
    // A matrix inside a merge inside a matrix is one level too deep.
    let deep = json!({"mergeKeys": ["a"], "generators": [list, {"matrix": raw(inner)}]});
    let too_deep = json!([{"matrix": {"generators": [list, {"merge": raw(deep)}]}}]);
    create(&api, &set("nest-deep", too_deep, template("n-{{a}}", "x")))
        .await
        .assert_error(400, 3, "no deeper");
    let three = json!([{"matrix": {"generators": [list, list, list]}}]);
    create(&api, &set("three", three, template("t", "x")))
        .await
        .assert_error(
            400,
            3,
            "found more than two generators, Matrix support only two",
        );
    let no_keys = json!([{"merge": {"generators": [list, list]}}]);
    create(&api, &set("nokeys", no_keys, template("t", "x")))
        .await
        .assert_error(400, 3, "no merge keys were specified");
    create(&api, &set("none", json!([]), template("t", "x")))
        .await
        .assert_error(400, 3, "generators");
    let mut no_template = set(
        "nt",
        json!([{"list": {"elements": []}}]),
        template("t", "x"),
    );
    no_template["applicationset"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("template");
    create(&api, &no_template)
        .await
        .assert_error(400, 3, "applicationset.spec.template");
    let mut unknown = set("u", json!([{"list": {"elements": []}}]), template("t", "x"));
    unknown["applicationset"]["spec"]["zzUnknown"] = json!(1);
    create(&api, &unknown)
        .await
        .assert_error(400, 3, "applicationset.spec.zzUnknown");
    // Duplicate set names answer 409 without upsert.
    let ok = set(
        "dup",
        json!([{"list": {"elements": elements(&["a"])}}]),
        template("d-{{env}}", "x"),
    );
    assert_eq!(create(&api, &ok).await.status, 200);
    create(&api, &ok)
        .await
        .assert_error(409, 6, "already exists");
    let mut up = ok.clone();
    up["upsert"] = json!(true);
    assert_eq!(create(&api, &up).await.status, 200);
}

#[tokio::test]
async fn delete_cascades_or_preserves() {
    let emu = Emulator::start(&["--sync-delay", "0s", "--delete-delay", "0s"]).await;
    let api = emu.api();
    let ans = create(
        &api,
        &set(
            "gone",
            json!([{"list": {"elements": elements(&["a", "b"])}}]),
            template("gone-{{env}}", "x"),
        ),
    )
    .await;
    let gone_id = ans.body["identifier"].as_str().unwrap().to_string();
    let mut keep = set(
        "kept",
        json!([{"list": {"elements": elements(&["a"])}}]),
        template("kept-{{env}}", "x"),
    );
    keep["applicationset"]["spec"]["syncPolicy"] = json!({"preserveResourcesOnDeletion": true});
    let ans = create(&api, &keep).await;
    let kept_id = ans.body["identifier"].as_str().unwrap().to_string();
    assert_eq!(names(&apps(&api).await), vec!["gone-a", "gone-b", "kept-a"]);

    let del = api
        .call(
            Method::DELETE,
            APPSET_ITEM,
            &[("identifier", &gone_id)],
            &q(),
            None,
        )
        .await;
    assert_eq!(del.status, 200, "{}", del.body);
    assert_eq!(del.body["project"], "default");
    assert_eq!(del.body["applicationset"]["metadata"]["name"], "gone");
    assert_eq!(names(&apps(&api).await), vec!["kept-a"]);
    get_set(&api, &gone_id)
        .await
        .assert_error(404, 5, "not found");
    api.call(
        Method::DELETE,
        APPSET_ITEM,
        &[("identifier", &gone_id)],
        &q(),
        None,
    )
    .await
    .assert_error(404, 5, "not found");

    let del = api
        .call(
            Method::DELETE,
            APPSET_ITEM,
            &[("identifier", &kept_id)],
            &q(),
            None,
        )
        .await;
    assert_eq!(del.status, 200);
    let items = apps(&api).await;
    assert_eq!(
        names(&items),
        vec!["kept-a"],
        "preserveResourcesOnDeletion keeps them"
    );
    assert!(items[0]["metadata"].get("ownerReferences").is_none());
    let dump = emu.admin_get("state").await;
    assert!(dump.get("applicationsets").is_none(), "{dump}");
}

#[tokio::test]
async fn generate_is_a_dry_run_and_projects_are_enforced() {
    let emu = Emulator::start(&["--sync-delay", "0s"]).await;
    let api = emu.api();
    let body = set(
        "dry",
        json!([{"list": {"elements": elements(&["a", "b"])}}]),
        template("dry-{{env}}", "x"),
    );
    let gen = api
        .call(
            Method::POST,
            APPSET_GENERATE,
            &[],
            &q(),
            Some(&json!({"applicationset": body["applicationset"]})),
        )
        .await;
    assert_eq!(gen.status, 200, "{}", gen.body);
    let generated = gen.body["applications"].as_array().unwrap();
    assert_eq!(names(generated), vec!["dry-a", "dry-b"]);
    assert!(apps(&api).await.is_empty(), "generate stores nothing");
    let mut dry = body.clone();
    dry["dryRun"] = json!(true);
    assert_eq!(create(&api, &dry).await.status, 200);
    assert!(apps(&api).await.is_empty(), "dryRun stores nothing");
    let dump = emu.admin_get("state").await;
    assert!(dump.get("applicationsets").is_none(), "{dump}");

    // A project that does not permit the repository: the set reports Argo CD's refusal.
    let project = json!({"project": {"metadata": {"name": "ml"}, "spec": {
        "sourceRepos": ["https://github.com/ml/*"],
        "destinations": [{"server": "*", "namespace": "*"}]
    }}});
    let ans = api
        .call(
            Method::POST,
            PROJECTS,
            &[("agentIdentifier", AGENT)],
            &[("accountIdentifier", ACCOUNT)],
            Some(&project),
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let mut tmpl = template("ml-{{env}}", "x");
    tmpl["spec"]["project"] = json!("ml");
    let ans = create(
        &api,
        &set(
            "ml",
            json!([{"list": {"elements": elements(&["a"])}}]),
            tmpl,
        ),
    )
    .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let cond = &ans.body["appset"]["status"]["conditions"][0];
    assert_eq!(cond["type"], "ErrorOccurred");
    assert!(
        cond["message"].as_str().unwrap().contains(&format!(
            "application repo {REPO} is not permitted in project 'ml'"
        )),
        "{cond}"
    );
    assert!(apps(&api).await.is_empty());
}

/// Every field of the ApplicationSet request bodies (create/update, generate, the list
/// query) is type-checked against the document, and every message refuses unknown keys
/// listing exactly the document's keys: the schema table agrees with the document.
#[tokio::test]
async fn every_applicationset_request_field_is_checked_and_named() {
    use futures::StreamExt as _;
    use std::collections::BTreeSet;
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let contract = contract();
    let cases: [(Method, &str, &str, bool); 4] = [
        (
            Method::POST,
            APPSET,
            "applicationsApplicationSetCreateRequest",
            true,
        ),
        (
            Method::PUT,
            APPSET,
            "applicationsApplicationSetCreateRequest",
            true,
        ),
        (
            Method::POST,
            APPSET_GENERATE,
            "applicationsApplicationSetGenerateRequest",
            true,
        ),
        (Method::POST, APPSETS, "v1ApplicationSetQuery", false),
    ];
    // (method, path, scope in the query, broken body, field named, keys listed)
    type Probe<'a> = (Method, &'a str, bool, Value, String, Option<Vec<String>>);
    let mut probes: Vec<Probe> = Vec::new();
    for (method, path, schema, scoped) in &cases {
        // (Create and update name their body through `requestBodies`, which the helper's
        // `request_schema` does not follow; the schema names are the document's.)
        let mut body = contract.maximal(schema);
        // The per-generator templates repeat the spec's template (checked once, at
        // spec.template): without them the body stays small.
        if let Some(gens) = body
            .pointer_mut("/applicationset/spec/generators/0")
            .and_then(Value::as_object_mut)
        {
            for (_, g) in gens.iter_mut() {
                if let Some(g) = g.as_object_mut() {
                    g.remove("template");
                    for c in g
                        .get_mut("generators")
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                    {
                        for (_, k) in c.as_object_mut().into_iter().flatten() {
                            if let Some(k) = k.as_object_mut() {
                                k.remove("template");
                            }
                        }
                    }
                }
            }
        }
        for node in contract.nodes(schema, &body) {
            if !node.path.is_empty() {
                let mut broken = body.clone();
                set_at(&mut broken, &node.pointer, node.wrong.clone());
                probes.push((
                    method.clone(),
                    path,
                    *scoped,
                    broken,
                    node.path.clone(),
                    None,
                ));
            }
            if node.message {
                let mut extra = body.clone();
                let target = if node.pointer.is_empty() {
                    Some(&mut extra)
                } else {
                    extra.pointer_mut(&node.pointer)
                };
                target
                    .and_then(Value::as_object_mut)
                    .expect("message node")
                    .insert("zzUnknown".into(), json!(1));
                let field = if node.path.is_empty() {
                    "zzUnknown".to_string()
                } else {
                    format!("{}.zzUnknown", node.path)
                };
                probes.push((
                    method.clone(),
                    path,
                    *scoped,
                    extra,
                    field,
                    Some(node.keys.clone()),
                ));
            }
        }
    }
    let checked = probes.len();
    assert!(checked > 400, "only {checked} field checks");
    assert!(checked < 20_000, "{checked} field checks: the body grew");
    let api_ref = &api;
    futures::stream::iter(probes)
        .for_each_concurrent(4, |(method, path, scoped, body, field, keys)| async move {
            let query = if scoped { q() } else { Vec::new() };
            let ans = api_ref.call(method, path, &[], &query, Some(&body)).await;
            ans.assert_error(400, 3, &format!("\"{field}\""));
            if let Some(keys) = keys {
                let msg = ans.body["message"].as_str().unwrap_or("");
                let listed: BTreeSet<&str> = msg
                    .rsplit("its keys are: ")
                    .next()
                    .unwrap_or("")
                    .split(", ")
                    .collect();
                let expected: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
                assert_eq!(listed, expected, "keys of the schema at {field}");
            }
        })
        .await;
}

/// A set and its applications survive a restart on the same `--data` file, and the set
/// still owns them (a delete after the restart cascades).
#[tokio::test]
async fn sets_survive_a_restart_on_their_data_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("state.json");
    let data_arg = data.to_str().expect("utf-8 path").to_string();
    let emu = Emulator::start(&[
        "--data",
        &data_arg,
        "--sync-delay",
        "0s",
        "--delete-delay",
        "0s",
    ])
    .await;
    let api = emu.api();
    let ans = create(
        &api,
        &set(
            "kept",
            json!([{"list": {"elements": elements(&["a", "b"])}}]),
            template("k-{{env}}", "x"),
        ),
    )
    .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let id = ans.body["identifier"].as_str().unwrap().to_string();
    emu.kill_hard().await;
    let emu = Emulator::start(&[
        "--data",
        &data_arg,
        "--sync-delay",
        "0s",
        "--delete-delay",
        "0s",
    ])
    .await;
    let api = emu.api();
    let got = get_set(&api, &id).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(
        got.body["appset"]["status"]["resources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let del = api
        .call(
            Method::DELETE,
            APPSET_ITEM,
            &[("identifier", &id)],
            &q(),
            None,
        )
        .await;
    assert_eq!(del.status, 200);
    assert!(apps(&api).await.is_empty());
}
