//! Repository credential templates (`…/repocreds`) against the OpenAPI document's contract,
//! and what they mean to repositories: a repository without credentials of its own under a
//! template's URL prefix inherits them (`inheritedCreds`, connection by the template's
//! credentials).

use crate::emulator_support::*;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";
const CREDS: &str = "/api/v1/agents/{agentIdentifier}/repocreds";
const CRED: &str = "/api/v1/agents/{agentIdentifier}/repocreds/{identifier}";
const FOR_URL: &str = "/api/v1/agents/{agentIdentifier}/repocreds/get";
const LIST: &str = "/api/v1/repocreds";

fn acc() -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT)]
}

fn acc_id(id: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT), ("identifier", id)]
}

async fn create_repo(api: &Api, id: &'static str, repo: Value) -> Answer {
    api.call(
        Method::POST,
        REPOS,
        &[("agentIdentifier", AGENT)],
        &acc_id(id),
        Some(&json!({ "repo": repo })),
    )
    .await
}

async fn get_repo(api: &Api, id: &str) -> Value {
    let a = api
        .call(
            Method::GET,
            REPO,
            &[("agentIdentifier", AGENT), ("identifier", id)],
            &acc(),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["repository"].clone()
}

#[tokio::test]
async fn template_crud_matches_the_document_and_masks_secrets() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let one = [("agentIdentifier", AGENT), ("identifier", "acme")];
    let body = json!({"creds": {"url": "https://github.com/acme-ml/", "username": "bot",
        "password": "tok-1", "githubAppID": "0042"}});
    let created = api
        .call(Method::POST, CREDS, &agent, &acc_id("acme"), Some(&body))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let c = &created.body;
    assert_eq!(c["identifier"], "acme");
    assert_eq!(c["agentIdentifier"], AGENT);
    assert_eq!(c["repoCreds"]["url"], "https://github.com/acme-ml/");
    assert_eq!(
        c["repoCreds"]["password"], MASK,
        "password comes back masked"
    );
    assert_eq!(c["repoCreds"]["type"], "git", "type defaults to git");
    assert_eq!(c["repoCreds"]["githubAppID"], "42");
    assert!(!c.to_string().contains("tok-1"));

    let again = api
        .call(Method::POST, CREDS, &agent, &acc_id("acme"), Some(&body))
        .await;
    again.assert_error(409, 6, "already exists");
    let upsert = json!({"creds": body["creds"], "upsert": true});
    let up = api
        .call(Method::POST, CREDS, &agent, &acc_id("acme"), Some(&upsert))
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let clash = api
        .call(Method::POST, CREDS, &agent, &acc_id("other"), Some(&body))
        .await;
    clash.assert_error(409, 6, "already registered");

    let got = api
        .call(
            Method::GET,
            CRED,
            &one,
            &[
                ("accountIdentifier", ACCOUNT),
                ("query.url", "https://github.com/acme-ml/"),
                ("query.repoCredsType", "git"),
            ],
            None,
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["repoCreds"]["username"], "bot");

    // An update that sends the mask back keeps the stored password.
    let mut back = got.body["repoCreds"].clone();
    back["username"] = json!("bot2");
    let updated = api
        .call(
            Method::PUT,
            CRED,
            &one,
            &acc(),
            Some(&json!({"creds": back})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["repoCreds"]["username"], "bot2");
    let state = emu.admin_get("state?secrets=clear").await;
    assert_eq!(state["repoCreds"][0]["repoCreds"]["password"], "tok-1");

    let moved = api
        .call(
            Method::PUT,
            CRED,
            &one,
            &acc(),
            Some(&json!({"creds": {"url": "https://github.com/other/"}})),
        )
        .await;
    moved.assert_error(400, 3, "cannot change");
    let bad = api
        .call(
            Method::POST,
            CREDS,
            &agent,
            &acc_id("bad"),
            Some(&json!({"creds": {"url": "https://x/", "type": "svn"}})),
        )
        .await;
    bad.assert_error(400, 3, "creds.type");
    let unknown = api
        .call(
            Method::POST,
            CREDS,
            &agent,
            &acc_id("bad"),
            Some(&json!({"creds": {"url": "https://x/", "proxy": "http://p"}})),
        )
        .await;
    unknown.assert_error(400, 3, "proxy");

    let found = api
        .call(
            Method::POST,
            FOR_URL,
            &agent,
            &acc(),
            Some(&json!({"url": "https://github.com/acme-ml/model.git"})),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["identifier"], "acme");

    let deleted = api.call(Method::DELETE, CRED, &one, &acc(), None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body, json!({}));
    let gone = api.call(Method::GET, CRED, &one, &acc(), None).await;
    gone.assert_error(404, 5, "not found");
    let counts = emu.counters().await;
    assert_eq!(counts["applied"]["repocreds.create"], 2, "{counts}");
    assert_eq!(counts["applied"]["repocreds.delete"], 1, "{counts}");
}

#[tokio::test]
async fn maximal_bodies_and_query_parameters_of_the_document_are_accepted() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let contract = contract();
    let agent = [("agentIdentifier", AGENT)];
    let mut create = contract.maximal("hrepocredsRepoCredsCreateRequest");
    create["creds"]["url"] = json!("https://max.example.com/");
    create["creds"]["type"] = json!("helm");
    let a = api
        .call(Method::POST, CREDS, &agent, &acc_id("max"), Some(&create))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut update = contract.maximal("hrepocredsRepoCredsUpdateRequest");
    update["creds"]["url"] = json!("https://max.example.com/");
    update["creds"]["type"] = json!("oci");
    let one = [("agentIdentifier", AGENT), ("identifier", "max")];
    let a = api
        .call(Method::PUT, CRED, &one, &acc(), Some(&update))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    for (method, template) in [
        (Method::POST, CREDS),
        (Method::GET, CRED),
        (Method::PUT, CRED),
        (Method::DELETE, CRED),
        (Method::POST, FOR_URL),
    ] {
        let params = contract.query_params(&method, template);
        assert!(
            params.iter().any(|(n, _, _)| n == "accountIdentifier"),
            "{method} {template}: {params:?}"
        );
    }
}

#[tokio::test]
async fn repositories_without_credentials_inherit_the_longest_matching_template() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    // Before any template: a credential-less repository connects (public) and inherits nothing.
    let r = create_repo(
        &api,
        "m1",
        json!({"repo": "https://github.com/acme-ml/model-a.git"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["repository"].get("inheritedCreds").is_none());

    // A template without a complete method: inheriting repositories fail to authenticate.
    let t = api
        .call(
            Method::POST,
            CREDS,
            &agent,
            &acc_id("acme"),
            Some(&json!({"creds": {"url": "https://github.com/acme-ml/", "username": "bot"}})),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    let repo = get_repo(&api, "m1").await;
    assert_eq!(repo["inheritedCreds"], true);
    assert_eq!(repo["connectionState"]["status"], "Failed", "{repo}");
    assert!(repo["connectionState"]["message"]
        .as_str()
        .unwrap()
        .contains("authentication required"));

    // With a password the template works.
    let t = api
        .call(
            Method::PUT,
            CRED,
            &[("agentIdentifier", AGENT), ("identifier", "acme")],
            &acc(),
            Some(&json!({"creds": {"url": "https://github.com/acme-ml/", "username": "bot", "password": "tok"}})),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    let repo = get_repo(&api, "m1").await;
    assert_eq!(repo["inheritedCreds"], true);
    assert_eq!(repo["connectionState"]["status"], "Successful", "{repo}");
    assert!(
        repo.get("password").is_none(),
        "nothing of the template is copied"
    );

    // A repository with its own credentials, another prefix, or another type inherits nothing.
    let own = create_repo(
        &api,
        "own",
        json!({"repo": "https://github.com/acme-ml/own.git", "username": "u", "password": "p"}),
    )
    .await;
    assert!(
        own.body["repository"].get("inheritedCreds").is_none(),
        "{}",
        own.body
    );
    let elsewhere = create_repo(
        &api,
        "else",
        json!({"repo": "https://github.com/other/x.git"}),
    )
    .await;
    assert!(elsewhere.body["repository"].get("inheritedCreds").is_none());
    let helm = create_repo(
        &api,
        "helm",
        json!({"repo": "https://github.com/acme-ml/charts", "type": "helm"}),
    )
    .await;
    assert!(helm.body["repository"].get("inheritedCreds").is_none());

    // The longest prefix wins: a deeper template without credentials makes it fail again.
    let deeper = api
        .call(
            Method::POST,
            CREDS,
            &agent,
            &acc_id("deeper"),
            Some(&json!({"creds": {"url": "https://github.com/acme-ml/model"}})),
        )
        .await;
    assert_eq!(deeper.status, 200, "{}", deeper.body);
    assert_eq!(
        get_repo(&api, "m1").await["connectionState"]["status"],
        "Failed"
    );
    let list = api.call(Method::GET, REPOS, &agent, &acc(), None).await;
    let items = list.body["items"].as_array().unwrap();
    let m1 = items
        .iter()
        .find(|i| i["repo"] == "https://github.com/acme-ml/model-a.git")
        .unwrap();
    assert_eq!(m1["inheritedCreds"], true);

    // The `.invalid` rule comes first; deleting the templates ends the inheritance.
    let dns = create_repo(
        &api,
        "dns",
        json!({"repo": "https://acme.invalid/acme-ml/x"}),
    )
    .await;
    assert_eq!(
        dns.body["repository"]["connectionState"]["status"],
        "Failed"
    );
    for id in ["acme", "deeper"] {
        let d = api
            .call(
                Method::DELETE,
                CRED,
                &[("agentIdentifier", AGENT), ("identifier", id)],
                &acc(),
                None,
            )
            .await;
        assert_eq!(d.status, 200);
    }
    let repo = get_repo(&api, "m1").await;
    assert!(repo.get("inheritedCreds").is_none());
    assert_eq!(repo["connectionState"]["status"], "Successful");
}

#[tokio::test]
async fn templates_survive_a_restart_on_the_data_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("state.json");
    let data = data.to_str().unwrap();
    let body = json!({"creds": {"url": "https://github.com/acme-ml/", "username": "bot", "password": "tok"}});
    let emu = Emulator::start(&["--data", data]).await;
    let a = emu
        .api()
        .call(
            Method::POST,
            CREDS,
            &[("agentIdentifier", AGENT)],
            &acc_id("acme"),
            Some(&body),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    emu.kill_hard().await;
    let emu = Emulator::start(&["--data", data]).await;
    let got = emu
        .api()
        .call(
            Method::GET,
            CRED,
            &[("agentIdentifier", AGENT), ("identifier", "acme")],
            &acc(),
            None,
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["repoCreds"]["password"], MASK);
}

#[tokio::test]
async fn list_pages_and_filters_by_scope_agent_and_search() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    for (agent, id, url) in [
        (AGENT, "acme", "https://github.com/acme-ml/"),
        (AGENT, "data", "https://github.com/acme-data/"),
        ("account.agent2", "other", "https://gitlab.com/acme/"),
    ] {
        let a = api
            .call(
                Method::POST,
                CREDS,
                &[("agentIdentifier", agent)],
                &acc_id(id),
                Some(&json!({"creds": {"url": url, "password": "secret-in-list"}})),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let list = |body: Value| {
        let api = &api;
        async move { api.call(Method::POST, LIST, &[], &acc(), Some(&body)).await }
    };
    let all = list(json!({"accountIdentifier": ACCOUNT})).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["totalItems"], 3, "{}", all.body);
    assert!(
        !all.body.to_string().contains("secret-in-list"),
        "masked in lists"
    );
    let one_agent = list(json!({"agentIdentifier": AGENT, "searchTerm": "ACME-ML"})).await;
    let ids: Vec<&Value> = one_agent.body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["identifier"])
        .collect();
    assert_eq!(ids, vec![&json!("acme")]);
    let page = list(json!({"pageSize": 2, "pageIndex": 1})).await;
    assert_eq!(page.body["content"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["totalPages"], 2);
    let none = list(json!({"identifier": "nothing", "filter": {"any": ["thing"]}})).await;
    assert_eq!(none.body["empty"], true, "{}", none.body);
    let other_org = list(json!({"orgIdentifier": "org9"})).await;
    other_org.assert_error(400, 3, "differs");
}
