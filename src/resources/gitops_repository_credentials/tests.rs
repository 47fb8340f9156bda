use super::*;
use crate::provider::Defaults;
use crate::resources::test_support::{self as ts, cfg, cfg_value};
use tfplugin::tf::Value;
use tfplugin::typed::TfType;

fn errors(pairs: &[(&str, Value)]) -> Vec<String> {
    ts::errors(&resource(), &cfg_value::<M>(pairs))
}

fn base() -> Vec<(&'static str, Value)> {
    vec![
        ("identifier", "acme".into()),
        ("agent_id", "account.a".into()),
        ("url", "https://github.com/acme-ml/".into()),
    ]
}

fn with(extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut v = base();
    v.extend_from_slice(extra);
    v
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(M::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
}

#[test]
fn secrets_have_write_only_twins_and_versions() {
    let s = M::schema();
    for name in [
        "password",
        "ssh_private_key",
        "tls_client_cert_data",
        "tls_client_cert_key",
        "github_app_private_key",
    ] {
        let a = s.block.attribute(name).unwrap_or_else(|| panic!("{name}"));
        assert!(a.sensitive, "{name} is sensitive");
        let wo = s.block.attribute(&format!("{name}_wo")).expect("wo twin");
        assert!(wo.write_only, "{name}_wo is write-only");
        assert!(s.block.attribute(&format!("{name}_wo_version")).is_some());
    }
    assert!(
        s.block.attribute("proxy").is_none(),
        "the API has no proxy for templates"
    );
}

#[test]
fn data_source_exposes_no_secret_or_write_only_attribute() {
    let ds = data_schema();
    for a in &ds.block.attributes {
        assert!(
            !a.sensitive && !a.write_only,
            "{} must not be in the data source",
            a.name
        );
        assert!(
            !a.name.ends_with("_wo_version") && a.name != "upsert",
            "{}",
            a.name
        );
    }
    assert!(ds.block.attribute("url").is_some() && ds.block.attribute("username").is_some());
}

#[test]
fn valid_configurations_pass() {
    assert!(errors(&with(&[
        ("username", "bot".into()),
        ("password_wo", "t".into())
    ]))
    .is_empty());
    assert!(errors(&with(&[("ssh_private_key", "k".into())])).is_empty());
    assert!(errors(&with(&[
        ("github_app_private_key", "k".into()),
        ("github_app_id", 1.into()),
        ("github_app_installation_id", 2.into()),
    ]))
    .is_empty());
    assert!(errors(&with(&[
        ("tls_client_cert_data", "c".into()),
        ("tls_client_cert_key_wo", "k".into()),
    ]))
    .is_empty());
    assert!(errors(&[("url", Value::unknown()), ("password", Value::unknown())]).is_empty());
}

#[test]
fn invalid_configurations_name_their_attribute() {
    assert_eq!(errors(&with(&[("type", "svn".into())])), vec!["type"]);
    assert_eq!(
        errors(&[("identifier", "acme-ml".into())]),
        vec!["identifier"]
    );
    assert_eq!(
        errors(&with(&[("github_app_id", Value::from(-1))])),
        vec!["github_app_id"]
    );
    assert_eq!(
        errors(&with(&[
            ("password", "p".into()),
            ("ssh_private_key", "k".into())
        ])),
        vec!["ssh_private_key"]
    );
    assert_eq!(
        errors(&with(&[
            ("ssh_private_key_wo", "k".into()),
            ("username", "u".into())
        ])),
        vec!["username"]
    );
    assert_eq!(
        errors(&with(&[
            ("password_wo", "p".into()),
            ("github_app_private_key", "k".into()),
            ("github_app_id", 1.into()),
            ("github_app_installation_id", 2.into())
        ])),
        vec!["github_app_private_key"]
    );
    assert_eq!(
        errors(&with(&[("github_app_private_key", "k".into())])),
        vec!["github_app_id"]
    );
    assert_eq!(
        errors(&with(&[("tls_client_cert_data", "c".into())])),
        vec!["tls_client_cert_key"]
    );
    assert_eq!(
        errors(&with(&[
            ("password", "p".into()),
            ("password_wo", "q".into())
        ])),
        vec!["password_wo"]
    );
    assert_eq!(
        errors(&with(&[("password_wo_version", 1.into())])),
        vec!["password_wo_version"]
    );
    assert_eq!(errors(&with(&[("url", "".into())])), vec!["url"]);
}

fn response(creds: RepoCreds) -> RepositoryCredentialsResponse {
    RepositoryCredentialsResponse {
        repo_creds: Some(creds),
        created_at: Some("2026-01-01T00:00:00Z".into()),
        last_modified_at: Some("2026-01-02T00:00:00Z".into()),
        ..Default::default()
    }
}

#[test]
fn masked_secrets_keep_the_configured_value_and_write_only_stays_null() {
    let prior: M = cfg(&with(&[
        ("password", "real-secret".into()),
        ("ssh_private_key", "old".into()),
        ("github_app_private_key_wo_version", 3.into()),
    ]));
    let api = RepoCreds {
        url: Some("https://github.com/acme-ml/".into()),
        password: Some(harness::Secret::new("********")),
        github_app_id: Some(Int64(42)),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert_eq!(s.password.value, Val::Known("real-secret".into()));
    assert_eq!(s.ssh_private_key.value, Val::Null, "absent remotely: gone");
    assert_eq!(s.password.wo, Val::Null);
    assert_eq!(s.github_app_private_key.wo_version, Val::Known(3));
    assert_eq!(s.github_app_id, Val::Known(42));
    assert_eq!(s.r#type, Val::Known("git".into()));
    assert_eq!(s.enable_oci, Val::Known(false));
    assert_eq!(s.upsert, Val::Known(false));
    assert_eq!(s.id, Val::Known("account.a/acme".into()));
    assert_eq!(s.updated_at, Val::Known("2026-01-02T00:00:00Z".into()));
    assert!(s.to_value().is_wholly_known());
    let text = format!(
        "{:?}",
        response(RepoCreds {
            password: Some(harness::Secret::new("tok-123")),
            ..Default::default()
        })
    );
    assert!(!text.contains("tok-123"), "{text}");
}

#[test]
fn to_api_prefers_write_only_and_sends_explicit_false() {
    let planned: M = cfg(&with(&[
        ("type", "helm".into()),
        ("username", "bot".into()),
        ("enable_oci", false.into()),
        ("github_app_installation_id", 7.into()),
    ]));
    let config: M = cfg(&with(&[("password_wo", "from-wo".into())]));
    let r = to_api(&planned, &config);
    assert_eq!(r.url.as_deref(), Some("https://github.com/acme-ml/"));
    assert_eq!(r.creds_type.as_deref(), Some("helm"));
    assert_eq!(r.username.as_deref(), Some("bot"));
    assert_eq!(r.enable_oci, Some(false));
    assert_eq!(r.github_app_installation_id, Some(Int64(7)));
    assert_eq!(r.password.as_ref().map(|p| p.expose()), Some("from-wo"));
    assert!(r.ssh_private_key.is_none());
}

#[test]
fn write_only_values_are_never_planned() {
    let config = cfg_value::<M>(&with(&[
        ("username", "bot".into()),
        ("password_wo", "secret-token".into()),
        ("password_wo_version", 1.into()),
    ]));
    let p = ts::provider(Defaults::default());
    let (planned, d) = ts::plan(&resource(), &Value::Null, &config, Some(&p));
    assert!(d.is_empty(), "{d:?}");
    assert!(planned.attr("password_wo").is_null());
    assert_eq!(planned.attr("password_wo_version"), &Value::from(1));
    assert_eq!(planned.attr("id"), &Value::string("account.a/acme"));
    assert!(!format!("{planned:?}").contains("secret-token"));
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let known = ts::provider(Defaults {
        agent_id: "account.agent1".into(),
        org_id: "o".into(),
        project_id: "p".into(),
    });
    let unknown = ts::unknown_provider();
    let full = cfg_value::<M>(&[
        ("identifier", "acme".into()),
        ("url", "https://github.com/acme-ml/".into()),
        ("username", "bot".into()),
        ("password_wo", "t".into()),
        ("password_wo_version", 1.into()),
        ("type", "git".into()),
        ("enable_oci", true.into()),
    ]);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &Value::Null,
        &full,
    );
    let (created, d) = ts::plan(&resource(), &Value::Null, &full, Some(&known));
    assert!(d.is_empty(), "{d:?}");
    let mut prior = created;
    prior.set_attr("created_at", "t0".into());
    prior.set_attr("updated_at", "t0".into());
    let mut changed = full.clone();
    changed.set_attr("username", "bot2".into());
    changed.set_attr("password_wo_version", 2.into());
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &prior,
        &changed,
    );
    // A new prefix replaces the template.
    let mut moved = full.clone();
    moved.set_attr("url", "https://github.com/acme-data/".into());
    let mut d = Diagnostics::new();
    let (_, replace) =
        tfplugin::server::plan_resource(resource(), Some(&known), &prior, &moved, &mut d);
    assert_eq!(replace, vec![AttributePath::attr("url")], "{d:?}");
}
