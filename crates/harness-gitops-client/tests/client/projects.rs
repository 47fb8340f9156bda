//! The client's Argo project and project mapping calls against the real emulator (in this
//! test's runtime): every request shape (v1 projects with the scope query, v2 mappings with the
//! scope in the body for create and update), `get_opt` for gone objects, and Argo CD's refusal
//! of an application its project does not permit, as the client reports it.

use harness_gitops_client::models::*;
use harness_gitops_client::Scope;

use crate::support::start;

fn project(description: &str) -> AppProject {
    AppProject {
        metadata: Some(ObjectMeta {
            name: Some("ml".into()),
            ..Default::default()
        }),
        spec: Some(AppProjectSpec {
            description: Some(description.into()),
            source_repos: Some(vec!["https://github.com/ml/*".into()]),
            destinations: Some(vec![ProjectDestination {
                server: Some("https://gpu.example.com".into()),
                namespace: Some("gpu-*".into()),
                name: None,
            }]),
            sync_windows: Some(vec![SyncWindow {
                kind: Some("deny".into()),
                schedule: Some("0 22 * * *".into()),
                duration: Some("8h".into()),
                namespaces: Some(vec!["gpu-*".into()]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

#[tokio::test]
async fn projects_crud() {
    let (_emu, client) = start().await;
    let scope = Scope::project("default", "mlplatform", "mlagent");
    let p = client.projects();
    assert!(p.get_opt(&scope, "ml").await.unwrap().is_none());
    let created = p
        .create(
            &scope,
            "ml",
            &ProjectCreateRequest {
                project: Some(project("first")),
                upsert: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(created.spec.unwrap().description.as_deref(), Some("first"));
    let updated = p
        .update(
            &scope,
            "ml",
            &ProjectUpdateRequest {
                project: Some(project("second")),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.spec.unwrap().description.as_deref(), Some("second"));
    let got = p.get(&scope, "ml").await.unwrap();
    assert_eq!(
        got.spec.unwrap().sync_windows.unwrap()[0]
            .schedule
            .as_deref(),
        Some("0 22 * * *")
    );
    assert_eq!(p.list(&scope).await.unwrap().items.unwrap().len(), 1);

    // An application outside the project: Argo CD's reason reaches the caller.
    let app = ApplicationCreateRequest {
        application: Some(Application {
            metadata: Some(ObjectMeta {
                name: Some("web".into()),
                ..Default::default()
            }),
            spec: Some(ApplicationSpec {
                project: Some("ml".into()),
                source: Some(ApplicationSource {
                    repo_url: Some("https://github.com/web/site.git".into()),
                    ..Default::default()
                }),
                destination: Some(ApplicationDestination {
                    server: Some("https://gpu.example.com".into()),
                    namespace: Some("gpu-a".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let query = harness_gitops_client::AppQuery {
        skip_repo_validation: true,
        ..Default::default()
    };
    let err = client
        .applications()
        .create(&scope, "web", &query, &app)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "application repo https://github.com/web/site.git is not permitted in project 'ml'"
        ),
        "{err}"
    );

    p.delete(&scope, "ml").await.unwrap();
    p.delete(&scope, "ml").await.unwrap();
    assert!(p.get_opt(&scope, "ml").await.unwrap().is_none());
}

#[tokio::test]
async fn mappings_crud() {
    let (_emu, client) = start().await;
    let scope = Scope::project("default", "mlplatform", "account.mlagent");
    let m = client.project_mappings();
    let created = m.create(&scope, "ml").await.unwrap();
    let id = created.identifier.clone().unwrap();
    assert_eq!(created.argo_project_name.as_deref(), Some("ml"));
    let got = m.get(&scope, &id, "ml").await.unwrap();
    assert_eq!(got.project_identifier.as_deref(), Some("mlplatform"));
    assert_eq!(
        m.find(&scope, "ml").await.unwrap().unwrap().identifier,
        Some(id.clone())
    );
    let moved_scope = Scope::project("default", "other", "account.mlagent");
    let moved = m.update(&moved_scope, &id, "ml").await.unwrap();
    assert_eq!(moved.project_identifier.as_deref(), Some("other"));
    assert!(m.get_opt(&scope, &id, "ml").await.unwrap().is_none());
    m.delete(&moved_scope, &id, "ml").await.unwrap();
    m.delete(&moved_scope, &id, "ml").await.unwrap();
    assert!(m.find(&moved_scope, "ml").await.unwrap().is_none());
}
