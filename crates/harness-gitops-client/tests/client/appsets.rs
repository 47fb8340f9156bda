//! The client's ApplicationSet calls against the real emulator (in this test's runtime):
//! every request shape the emulator checks against the document (scope and agent in the
//! query; the list's scope in the body), `v1JSON` list elements and the `intstr` maxUpdate
//! as sent and read back, `get_opt` of a gone set, `find` by name, and `generate`.

use harness_gitops_client::models::*;
use harness_gitops_client::{Client, Scope};
use serde_json::json;

async fn start() -> (harness_gitops_emulator::Running, Client) {
    crate::support::start_with(&["--sync-delay", "0s"]).await
}

fn request(envs: &[&str]) -> ApplicationSetCreateRequest {
    ApplicationSetCreateRequest {
        applicationset: Some(ApplicationSet {
            metadata: Some(ObjectMeta {
                name: Some("web".into()),
                ..Default::default()
            }),
            spec: Some(ApplicationSetSpec {
                generators: Some(vec![ApplicationSetGenerator {
                    list: Some(ListGenerator {
                        elements: Some(
                            envs.iter()
                                .map(|e| RawJson::from_value(&json!({"env": e})))
                                .collect(),
                        ),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                strategy: Some(ApplicationSetStrategy {
                    strategy_type: Some("RollingSync".into()),
                    rolling_sync: Some(ApplicationSetRolloutStrategy {
                        steps: Some(vec![ApplicationSetRolloutStep {
                            match_expressions: None,
                            max_update: Some(IntOrString::parse("25%")),
                        }]),
                    }),
                }),
                template: Some(ApplicationSetTemplate {
                    metadata: Some(ApplicationSetTemplateMeta {
                        name: Some("{{env}}-web".into()),
                        ..Default::default()
                    }),
                    spec: Some(ApplicationSpec {
                        project: Some("default".into()),
                        source: Some(ApplicationSource {
                            repo_url: Some("https://github.com/o/r.git".into()),
                            path: Some("envs/{{env}}".into()),
                            ..Default::default()
                        }),
                        destination: Some(ApplicationDestination {
                            server: Some("https://kubernetes.default.svc".into()),
                            namespace: Some("{{env}}".into()),
                            name: None,
                        }),
                        sync_policy: Some(SyncPolicy {
                            automated: Some(SyncPolicyAutomated::default()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                }),
                ..Default::default()
            }),
            status: None,
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn applicationset_calls_against_the_emulator() {
    let (_emu, client) = start().await;
    let sets = client.applicationsets();
    let scope = Scope::project("o1", "p1", "account.ag1");
    let created = sets
        .create(&scope, "web", &request(&["dev", "prod"]))
        .await
        .expect("create");
    let id = created.identifier.clone().expect("identifier");
    let set = created.appset.expect("appset");
    let steps = set.spec.as_ref().unwrap().strategy.as_ref().unwrap();
    let step = &steps.rolling_sync.as_ref().unwrap().steps.as_ref().unwrap()[0];
    assert_eq!(
        step.max_update.as_ref().unwrap().text().as_deref(),
        Some("25%")
    );
    let elements = set.spec.as_ref().unwrap().generators.as_ref().unwrap()[0]
        .list
        .as_ref()
        .unwrap()
        .elements
        .clone()
        .unwrap();
    assert_eq!(elements[1].value().unwrap(), json!({"env": "prod"}));
    let resources = set.status.unwrap().resources.unwrap();
    assert_eq!(resources.len(), 2);

    let apps = client.applications().list(&scope).await.expect("apps");
    let mut names: Vec<String> = apps
        .items
        .unwrap()
        .into_iter()
        .map(|a| a.metadata.unwrap().name.unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["dev-web", "prod-web"]);

    let got = sets.get(&scope, &id).await.expect("get");
    assert_eq!(got.identifier.as_deref(), Some(id.as_str()));
    let found = sets
        .find(&scope, "web")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.identifier.as_deref(), Some(id.as_str()));
    assert!(sets.find(&scope, "we").await.expect("find").is_none());

    let updated = sets
        .update(&scope, "web", &request(&["dev"]))
        .await
        .expect("update");
    assert_eq!(updated.identifier.as_deref(), Some(id.as_str()));
    let generated = sets
        .generate(
            &scope,
            &ApplicationSetGenerateRequest {
                applicationset: request(&["a", "b", "c"]).applicationset,
                yaml: None,
            },
        )
        .await
        .expect("generate");
    assert_eq!(generated.applications.unwrap().len(), 3);
    let page = sets
        .list(&scope, &ApplicationSetQuery::default())
        .await
        .expect("list");
    assert_eq!(page.total_items, Some(1));

    sets.delete(&scope, &id).await.expect("delete");
    assert!(sets.get_opt(&scope, &id).await.expect("get_opt").is_none());
    sets.delete(&scope, &id)
        .await
        .expect("delete of a gone set");
    let apps = client.applications().list(&scope).await.expect("apps");
    assert!(apps.items.unwrap_or_default().is_empty(), "cascaded");
}

/// A create whose response is lost after the emulator applied it is resolved by the list
/// lookup: one set, the client gets it, no second create.
#[tokio::test]
async fn a_lost_create_answer_is_resolved_by_the_lookup() {
    let (emu, client) = start().await;
    let arm = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emu.url()))
        .header("x-api-key", crate::support::KEY)
        .json(&json!({"op": "applicationsets.create", "dropAfter": true}))
        .send()
        .await
        .expect("arm the fault");
    assert_eq!(arm.status(), 200);
    let scope = Scope::project("o1", "p1", "account.ag1");
    let created = client
        .applicationsets()
        .create(&scope, "web", &request(&["dev"]))
        .await
        .expect("create resolved by the lookup");
    assert!(created.identifier.is_some());
    let counters: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/_emulator/requests", emu.url()))
        .header("x-api-key", crate::support::KEY)
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    assert_eq!(
        counters["requests"]["applicationsets.create"], 1,
        "{counters}"
    );
    assert_eq!(
        counters["requests"]["applicationsets.list"], 1,
        "{counters}"
    );
    assert_eq!(
        counters["faults"]["armed.applicationsets.create.dropAfter"],
        1
    );
}
