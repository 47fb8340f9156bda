use super::*;
use crate::resources::test_support::{cfg_value, errors, plan, provider, unknown_provider};
use tfplugin::tf::Value;
use tfplugin::typed::TfType;

const HOST_KEY: &str = include_str!("../../../tests/e2e/fixtures/ssh-test-host-key.pub");
const PEM: &str = include_str!("../../../tests/e2e/fixtures/https-test-cert.pem");

fn key() -> &'static str {
    HOST_KEY.split_whitespace().nth(1).unwrap()
}

fn ssh(pairs: &[(&str, Value)]) -> Value {
    let mut all = vec![
        ("agent_id", "account.a".into()),
        ("server_name", "git.example.com".into()),
        ("cert_type", "ssh".into()),
        ("cert_sub_type", "ecdsa-sha2-nistp256".into()),
        ("cert_data", key().into()),
    ];
    all.retain(|(k, _)| !pairs.iter().any(|(p, _)| p == k));
    all.extend(pairs.iter().cloned());
    cfg_value::<RepoCert>(&all)
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(RepoCert::schema().validate(true), Vec::<String>::new());
}

#[test]
fn validation_names_the_attribute_at_fault() {
    let res = resource();
    assert!(errors(&res, &ssh(&[])).is_empty());
    let line = format!("git.example.com ecdsa-sha2-nistp256 {}", key());
    for (pairs, path) in [
        (vec![("cert_sub_type", Value::Null)], "cert_sub_type"),
        (vec![("cert_sub_type", "ssh-foo".into())], "cert_sub_type"),
        (vec![("cert_data", line.as_str().into())], "cert_data"),
        (vec![("cert_data", "!!notbase64".into())], "cert_data"),
        (vec![("cert_sub_type", "ssh-ed25519".into())], "cert_data"),
        (vec![("cert_type", "ftp".into())], "cert_type"),
        (vec![("server_name", "git example".into())], "server_name"),
        (
            vec![
                ("cert_type", "https".into()),
                ("cert_sub_type", Value::Null),
            ],
            "cert_data",
        ),
    ] {
        assert_eq!(errors(&res, &ssh(&pairs)), vec![path], "{pairs:?}");
    }
    let https = ssh(&[
        ("cert_type", "https".into()),
        ("cert_sub_type", Value::Null),
        ("cert_data", PEM.into()),
    ]);
    assert!(errors(&res, &https).is_empty());
    assert!(errors(&res, &ssh(&[("cert_data", Value::unknown())])).is_empty());
    // A key wrapped over lines is the same key, and is sent unwrapped.
    let wrapped = format!("  {}\n    {}\n", &key()[..50], &key()[50..]);
    let config = ssh(&[("cert_data", wrapped.as_str().into())]);
    assert!(errors(&res, &config).is_empty());
    let sent = to_api(&RepoCert::from_object(&config).unwrap());
    assert_eq!(sent.data_text().as_deref(), Some(key()));
}

#[test]
fn import_ids() {
    assert_eq!(
        parse_cert_key("ssh:ssh-ed25519:[git.example.com]:2222"),
        Some((
            "ssh".into(),
            Some("ssh-ed25519".into()),
            "[git.example.com]:2222".into()
        ))
    );
    assert_eq!(
        parse_cert_key("https:git.example.com"),
        Some(("https".into(), None, "git.example.com".into()))
    );
    for bad in ["ssh:git.example.com", "ftp:x", "https:", "ssh::x"] {
        assert_eq!(parse_cert_key(bad), None, "{bad}");
    }
}

#[test]
fn mapping_keeps_the_configured_data_and_whitespace_is_no_change() {
    let res = resource();
    let defaults = provider(Default::default());
    let config = ssh(&[]);
    let (created, d) = plan(&res, &Value::Null, &config, Some(&defaults));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        created.attr("id"),
        &Value::from("account.a/ssh:ecdsa-sha2-nistp256:git.example.com")
    );
    let planned = RepoCert::from_object(&created).unwrap();
    let mut api = ApiCert::new("git.example.com", "ssh", Some("ecdsa-sha2-nistp256"), key());
    api.cert_info = Some("SHA256:mV8ZkC+/7kByVEqKfcj2XQ/KrIHb9jz3cf9/woucSYM".into());
    let state = from_api(&api, &planned);
    assert_eq!(state.cert_info.as_deref(), api.cert_info.as_deref());
    assert_eq!(state.cert_data.as_deref(), Some(key()));
    let prior = state.to_value();
    let wrapped = format!("  {}\n  {}\n", &key()[..60], &key()[60..]);
    let (again, d) = plan(
        &res,
        &prior,
        &ssh(&[("cert_data", wrapped.as_str().into())]),
        Some(&defaults),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(again, prior, "whitespace is no change");

    // The PEM as the server answers it, with other line ends: still the configured text.
    let https_prior = RepoCert {
        cert_type: Val::Known("https".into()),
        cert_data: Val::Known(PEM.into()),
        ..state.clone()
    };
    let mut answered = ApiCert::new(
        "git.example.com",
        "https",
        Some("ECDSA"),
        &PEM.replace('\n', "\r\n"),
    );
    answered.cert_info = Some("O=Example,CN=git.example.com".into());
    let s = from_api(&answered, &https_prior);
    assert_eq!(s.cert_data.as_deref(), Some(PEM));
    assert_eq!(s.cert_sub_type.as_deref(), Some("ECDSA"));
    assert_eq!(s.id.as_deref(), Some("account.a/https:git.example.com"));

    // Other data from the API (drift) is taken.
    let other = ApiCert::new(
        "git.example.com",
        "ssh",
        Some("ecdsa-sha2-nistp256"),
        "AAAA",
    );
    assert_eq!(from_api(&other, &state).cert_data.as_deref(), Some("AAAA"));
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let known = provider(crate::provider::Defaults {
        agent_id: "account.agent1".into(),
        org_id: "o".into(),
        project_id: "p".into(),
    });
    let mut full = ssh(&[("upsert", true.into())]);
    full.set_attr("agent_id", Value::Null);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown_provider()),
        &Value::Null,
        &full,
    );
    let (created, d) = plan(&resource(), &Value::Null, &full, Some(&known));
    assert!(d.is_empty(), "{d:?}");
    let mut prior = created;
    prior.set_attr("cert_info", "SHA256:x".into());
    let mut changed = full.clone();
    changed.set_attr(
        "cert_data",
        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOx6".into(),
    );
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown_provider()),
        &prior,
        &changed,
    );
    // Data changes in place; the server name replaces.
    let mut d = Diagnostics::new();
    let (planned, replace) =
        tfplugin::server::plan_resource(resource(), Some(&known), &prior, &changed, &mut d);
    assert!(replace.is_empty(), "{replace:?}");
    assert!(planned.attr("cert_info").is_unknown());
    let mut moved = full.clone();
    moved.set_attr("server_name", "other.example.com".into());
    let (_, replace) =
        tfplugin::server::plan_resource(resource(), Some(&known), &prior, &moved, &mut d);
    assert!(
        replace.iter().any(|p| p.to_string() == "server_name"),
        "{replace:?}"
    );
}

fn data_config(pairs: &[(&str, Value)]) -> Value {
    let schema = data_schema();
    let m: tfplugin::tf::ObjectMap<Value> = schema
        .block
        .attributes
        .iter()
        .map(|a| {
            let v = pairs
                .iter()
                .find(|(k, _)| *k == a.name)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null);
            (a.name.clone(), v)
        })
        .collect();
    Value::Object(m.into_iter().collect())
}

fn defaults() -> crate::provider::Defaults {
    crate::provider::Defaults {
        agent_id: "account.agent1".into(),
        org_id: Val::Null,
        project_id: Val::Null,
    }
}

#[test]
fn data_source_schema_is_valid_and_looks_up_by_server_type_and_sub_type() {
    let schema = data_schema();
    assert_eq!(schema.validate(false), Vec::<String>::new());
    let names: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert!(!names.contains(&"upsert"), "{names:?}");
    assert!(names.contains(&"cert_info"), "{names:?}");
}

#[test]
fn data_source_key_takes_defaults_and_needs_the_ssh_key_type() {
    let mut d = Diagnostics::new();
    let key = data_key(
        &data_config(&[
            ("server_name", "git.example.com".into()),
            ("cert_type", "ssh".into()),
            ("cert_sub_type", "ssh-ed25519".into()),
        ]),
        &defaults(),
        &mut d,
    )
    .unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(key.scope.agent_id, Val::Known("account.agent1".into()));

    let mut d = Diagnostics::new();
    let none = data_key(
        &data_config(&[
            ("server_name", "git.example.com".into()),
            ("cert_type", "ssh".into()),
        ]),
        &defaults(),
        &mut d,
    );
    assert!(none.is_none());
    assert_eq!(
        d.0[0].path.as_ref().map(ToString::to_string).as_deref(),
        Some("cert_sub_type"),
        "{d:?}"
    );

    // https needs no sub-type.
    let mut d = Diagnostics::new();
    assert!(data_key(
        &data_config(&[
            ("server_name", "git.example.com".into()),
            ("cert_type", "https".into()),
        ]),
        &defaults(),
        &mut d,
    )
    .is_some());
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn data_source_not_found_is_an_error_at_the_server_name_and_found_is_wholly_known() {
    let mut d = Diagnostics::new();
    let lookup = data_key(
        &data_config(&[
            ("server_name", "git.example.com".into()),
            ("cert_type", "ssh".into()),
            ("cert_sub_type", "ecdsa-sha2-nistp256".into()),
        ]),
        &defaults(),
        &mut d,
    )
    .unwrap();
    assert!(data_state(None, &lookup, &mut d).is_none());
    assert_eq!(d.0[0].summary, "GitOps Repository Certificate Not Found");
    assert_eq!(
        d.0[0].path.as_ref().map(ToString::to_string).as_deref(),
        Some("server_name"),
        "{d:?}"
    );

    let api = ApiCert {
        cert_info: Some("SHA256:abc".into()),
        ..ApiCert::new("git.example.com", "ssh", Some("ecdsa-sha2-nistp256"), key())
    };
    let mut d = Diagnostics::new();
    let v = data_state(Some(&api), &lookup, &mut d).unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert!(v.first_unknown(&AttributePath::root()).is_none());
    let m = v.as_object().unwrap();
    assert_eq!(m["cert_info"], Value::string("SHA256:abc"));
    assert_eq!(
        m["id"],
        Value::string("account.agent1/ssh:ecdsa-sha2-nistp256:git.example.com")
    );
    assert!(!m.contains_key("upsert"));
}
