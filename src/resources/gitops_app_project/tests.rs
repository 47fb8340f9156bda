use super::*;
use crate::provider::Defaults;
use crate::resources::test_support::{errors, plan, provider};
use tfplugin::typed::TfType;

fn k(s: &str) -> Val<String> {
    Val::Known(s.to_string())
}

fn set(items: &[&str]) -> Val<Set<String>> {
    Val::Known(Set(items.iter().map(|s| s.to_string()).collect()))
}

fn window(kind: &str, schedule: &str, duration: &str) -> SyncWindow {
    SyncWindow {
        kind: k(kind),
        schedule: k(schedule),
        duration: k(duration),
        namespaces: set(&["gpu-*"]),
        ..Default::default()
    }
}

/// The ML platform project of the e2e test.
fn ml() -> AppProject {
    AppProject {
        name: k("ml"),
        scope: Scope {
            agent_id: k("account.agent1"),
            org_id: k("default"),
            project_id: k("mlplatform"),
        },
        description: k("ML platform"),
        source_repos: set(&["https://github.com/ml/*"]),
        destinations: Val::Known(Set(vec![
            Destination {
                server: k("https://gpu.example.com"),
                namespace: k("gpu-*"),
                ..Default::default()
            },
            Destination {
                name: k("in-cluster"),
                namespace: k("ml-serving"),
                ..Default::default()
            },
        ])),
        cluster_resource_whitelist: Val::Known(Set(vec![GroupKind {
            group: k(""),
            kind: k("Namespace"),
        }])),
        roles: Val::Known(Set(vec![Role {
            name: k("trainer"),
            description: k("runs training"),
            policies: Val::Known(vec![
                "p, proj:ml:trainer, applications, sync, ml/*, allow".into()
            ]),
            groups: set(&["ml-team"]),
        }])),
        sync_windows: Val::Known(Set(vec![
            window("deny", "0 22 * * *", "8h"),
            window("allow", "0 6 * * 1-5", "16h"),
        ])),
        orphaned_resources: Val::Known(Orphaned {
            warn: Val::Known(true),
            ignore: Val::Known(Set(vec![OrphanedKey {
                kind: k("ConfigMap"),
                name: k("kube-root-ca.crt"),
                ..Default::default()
            }])),
        }),
        signature_keys: Val::Known(Set(vec![SignatureKey {
            key_id: k("4AEE18F83AFDEB23"),
        }])),
        labels: Val::Known([("team".to_string(), "ml".to_string())].into()),
        ..Default::default()
    }
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(AppProject::schema().validate(true), Vec::<String>::new());
    assert_eq!(
        GitopsAppProjectData::schema().validate(false),
        Vec::<String>::new()
    );
}

#[test]
fn a_full_configuration_is_valid() {
    assert_eq!(errors(&resource(), &ml().to_value()), Vec::<String>::new());
}

#[test]
fn validation_names_the_attribute() {
    let res = resource();
    let with_window = |w: SyncWindow| {
        let mut p = ml();
        p.sync_windows = Val::Known(Set(vec![w]));
        errors(&res, &p.to_value())
    };
    assert_eq!(
        with_window(window("sometimes", "0 22 * * *", "1h")),
        ["sync_windows"]
    );
    assert_eq!(
        with_window(window("deny", "0 22 * *", "1h")),
        ["sync_windows"]
    );
    assert_eq!(
        with_window(window("deny", "0 22 * * *", "8 hours")),
        ["sync_windows"]
    );
    let mut p = ml();
    p.description = k(&"x".repeat(256));
    assert_eq!(errors(&res, &p.to_value()), ["description"]);
    let mut p = ml();
    p.name = k("ML");
    // The role policies name the project, so they no longer fit either.
    assert_eq!(errors(&res, &p.to_value()), ["name", "roles"]);
    let mut p = ml();
    p.roles = Val::Known(Set(vec![Role {
        name: k("trainer"),
        policies: Val::Known(vec![
            "p, proj:other:trainer, applications, sync, ml/*, allow".into(),
        ]),
        ..Default::default()
    }]));
    assert_eq!(errors(&res, &p.to_value()), ["roles"]);
    let mut p = ml();
    p.destinations = Val::Known(Set(vec![Destination {
        namespace: k("x"),
        ..Default::default()
    }]));
    assert_eq!(errors(&res, &p.to_value()), ["destinations"]);
}

#[test]
fn mapping_both_ways_keeps_the_configuration() {
    let p = ml();
    let api = to_api(&p, None);
    let spec = api.spec.as_ref().unwrap();
    assert_eq!(spec.destinations.as_ref().unwrap().len(), 2);
    assert_eq!(
        spec.sync_windows.as_ref().unwrap()[0].schedule.as_deref(),
        Some("0 22 * * *")
    );
    assert_eq!(
        spec.cluster_resource_whitelist.as_ref().unwrap()[0]
            .group
            .as_deref(),
        Some("")
    );
    let mut back = from_api(&api, &p);
    back.id = Val::Null;
    assert_eq!(back, p);
    // JSON names of the document.
    let json = serde_json::to_value(&api).unwrap();
    assert_eq!(
        json["spec"]["signatureKeys"][0]["keyID"],
        "4AEE18F83AFDEB23"
    );
    assert_eq!(json["spec"]["orphanedResources"]["warn"], true);
}

#[test]
fn an_update_keeps_the_roles_jwt_tokens() {
    let p = ml();
    let mut current = to_api(&p, None);
    let token = harness_gitops_client::models::JwtToken {
        iat: Some(harness_gitops_client::models::Int64(1)),
        ..Default::default()
    };
    current.spec.as_mut().unwrap().roles.as_mut().unwrap()[0].jwt_tokens =
        Some(vec![token.clone()]);
    let sent = to_api(&p, Some(&current));
    assert_eq!(
        sent.spec.unwrap().roles.unwrap()[0].jwt_tokens,
        Some(vec![token])
    );
}

fn known_provider() -> crate::provider::ProviderData {
    provider(Defaults {
        agent_id: "account.agent1".into(),
        org_id: "default".into(),
        project_id: "mlplatform".into(),
    })
}

#[test]
fn reordered_sets_are_no_change() {
    let res = resource();
    let p = ml();
    let (created, d) = plan(&res, &Value::Null, &p.to_value(), Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    let mut reordered = p.clone();
    if let Val::Known(s) = &mut reordered.destinations {
        s.0.reverse();
    }
    if let Val::Known(s) = &mut reordered.sync_windows {
        s.0.reverse();
    }
    let (again, d) = plan(
        &res,
        &created,
        &reordered.to_value(),
        Some(&known_provider()),
    );
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(again.known_eq(&created), Some(true), "{again:?}");
}

#[test]
fn unknowns_refine_on_create_and_update() {
    let known = known_provider();
    let unknown = provider(Defaults {
        agent_id: Val::Unknown,
        org_id: Val::Unknown,
        project_id: Val::Unknown,
    });
    let mut full = ml();
    full.scope = Scope::default();
    let full = full.to_value();
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &Value::Null,
        &full,
    );
    let (created, d) = plan(&resource(), &Value::Null, &full, Some(&known));
    assert!(!d.has_errors(), "{d:?}");
    let mut changed = ml();
    changed.scope = Scope::default();
    changed.description = k("changed");
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &created,
        &changed.to_value(),
    );
}

#[test]
fn zeros_the_api_omits_keep_the_users_form() {
    let mut p = ml();
    let mut w = window("deny", "* * * * *", "1h");
    w.manual_sync = Val::Known(false);
    w.time_zone = k("");
    p.sync_windows = Val::Known(Set(vec![w]));
    let api = to_api(&p, None);
    assert_eq!(
        api.spec.as_ref().unwrap().sync_windows.as_ref().unwrap()[0].manual_sync,
        None
    );
    let mut back = from_api_kept(&api, &p);
    back.id = Val::Null;
    assert_eq!(back, p);
}
