//! The repository credential template calls against the real emulator over loopback: the
//! whole life of a template (create, duplicate, upsert, get, get_opt, update, delete,
//! delete again), masked secrets, and errors that never carry the secret.

use harness_gitops_client::models::*;
use harness_gitops_client::{Scope, Secret};

use crate::support::start;

const TOKEN: &str = "ghp_client_test_token_0x41";

fn creds(username: &str, password: Option<&str>) -> RepoCreds {
    RepoCreds {
        url: Some("https://github.com/acme-ml/".into()),
        username: Some(username.into()),
        password: password.map(Secret::new),
        enable_oci: Some(false),
        ..Default::default()
    }
}

#[tokio::test]
async fn template_crud_through_the_client() {
    let (_running, client) = start().await;
    let api = client.repository_credentials();
    let scope = Scope::project("org1", "proj1", "agent1");
    assert!(api
        .get_opt(&scope, "acme")
        .await
        .expect("get_opt")
        .is_none());

    let req = RepoCredsCreateRequest {
        creds: Some(creds("bot", Some(TOKEN))),
        upsert: None,
    };
    let created = api.create(&scope, "acme", &req).await.expect("create");
    assert_eq!(created.identifier.as_deref(), Some("acme"));
    assert_eq!(created.project_identifier.as_deref(), Some("proj1"));
    let c = created.repo_creds.as_ref().expect("repoCreds");
    assert_eq!(c.url.as_deref(), Some("https://github.com/acme-ml/"));
    assert_eq!(c.creds_type.as_deref(), Some("git"));
    assert_eq!(c.password.as_ref().map(Secret::expose), Some("********"));

    let dup = api
        .create(&scope, "acme", &req)
        .await
        .expect_err("duplicate");
    let text = format!("{dup} {dup:?}");
    assert!(
        text.contains("409") || text.to_lowercase().contains("already exists"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
    let upsert = RepoCredsCreateRequest {
        upsert: Some(true),
        ..req.clone()
    };
    api.create(&scope, "acme", &upsert).await.expect("upsert");

    let updated = api
        .update(
            &scope,
            "acme",
            &RepoCredsUpdateRequest {
                creds: Some(creds("bot2", Some("********"))),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    let c = updated.repo_creds.expect("repoCreds");
    assert_eq!(c.username.as_deref(), Some("bot2"));
    assert!(
        c.password.is_some(),
        "the mask sent back keeps the stored token"
    );

    let got = api.get(&scope, "acme").await.expect("get");
    assert_eq!(
        got.repo_creds.and_then(|c| c.username).as_deref(),
        Some("bot2")
    );

    api.delete(&scope, "acme").await.expect("delete");
    api.delete(&scope, "acme")
        .await
        .expect("deleting a gone template succeeds");
    assert!(api
        .get_opt(&scope, "acme")
        .await
        .expect("get_opt")
        .is_none());
    let missing = api.get(&scope, "acme").await.expect_err("gone");
    assert!(
        matches!(missing, harness_gitops_client::Error::NotFound { .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn list_sends_the_scope_in_the_body_at_the_api_root() {
    let (_running, client) = start().await;
    let api = client.repository_credentials();
    let scope = Scope::org("org1", "org.agent1");
    for id in ["acme", "data"] {
        let mut c = creds("bot", Some(TOKEN));
        c.url = Some(format!("https://github.com/{id}/"));
        let req = RepoCredsCreateRequest {
            creds: Some(c),
            upsert: None,
        };
        api.create(&scope, id, &req).await.expect("create");
    }
    let all = api
        .list(&scope, &RepositoryCredentialsQuery::default())
        .await
        .expect("list");
    assert_eq!(all.total_items, Some(2));
    let content = all.content.expect("content");
    assert!(content
        .iter()
        .all(|c| c.org_identifier.as_deref() == Some("org1")));
    let found = api
        .list(
            &scope,
            &RepositoryCredentialsQuery {
                search_term: Some("data".into()),
                page_size: Some(10),
                ..Default::default()
            },
        )
        .await
        .expect("search");
    let ids: Vec<_> = found
        .content
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.identifier)
        .collect();
    assert_eq!(ids, vec!["data".to_string()]);
    // Another agent of the same org has none.
    let other = Scope::org("org1", "org.agent2");
    let none = api
        .list(&other, &RepositoryCredentialsQuery::default())
        .await
        .expect("list");
    assert!(
        none.content.is_none() && none.empty == Some(true),
        "{none:?}"
    );
}
