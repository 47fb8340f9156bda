use super::*;
use crate::resources::test_support::{cfg_value, errors, plan, provider, unknown_provider};
use tfplugin::tf::Value;
use tfplugin::typed::TfType;

const KEY: &str = include_str!("../../../tests/e2e/fixtures/gnupg-test-key.asc");

/// The fixture re-wrapped at 40 columns, indented, with an armor header and without the
/// checksum line.
fn rewrapped() -> String {
    let body: String = KEY
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.starts_with('=') && !l.trim().is_empty())
        .collect();
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(40)
        .map(|c| format!("    {}", std::str::from_utf8(c).unwrap()))
        .collect();
    format!(
        "  {BEGIN}\n  Comment: exported for terraform\n\n{}\n  {END}\n",
        lines.join("\n")
    )
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(GpgKey::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
    assert!(data_schema().block.attribute("upsert").is_none());
    assert!(data_schema().block.attribute("fingerprint").is_some());
}

#[test]
fn rewrapped_armor_is_the_same_key_and_other_keys_are_not() {
    assert!(same_key(&KEY.into(), &rewrapped().as_str().into()));
    assert_eq!(dearmor(KEY).unwrap(), dearmor(&rewrapped()).unwrap());
    let other = KEY.replace("mDMEaxcSExYJ", "mDMEaxcSExYK");
    assert!(!same_key(&KEY.into(), &other.as_str().into()));
    assert!(!same_key(&KEY.into(), &"garbage".into()));
}

#[test]
fn key_data_is_checked_at_its_path() {
    let res = resource();
    for bad in [
        "not a key",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ==\n-----END PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----",
        // A signature packet (tag 2), not a key.
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\niQ==\n-----END PGP PUBLIC KEY BLOCK-----",
    ] {
        let config =
            cfg_value::<GpgKey>(&[("agent_id", "account.a".into()), ("key_data", bad.into())]);
        assert_eq!(errors(&res, &config), vec!["key_data"], "{bad}");
    }
    let ok = cfg_value::<GpgKey>(&[("agent_id", "account.a".into()), ("key_data", KEY.into())]);
    assert!(errors(&res, &ok).is_empty());
    let unknown = cfg_value::<GpgKey>(&[
        ("agent_id", "account.a".into()),
        ("key_data", Value::unknown()),
    ]);
    assert!(errors(&res, &unknown).is_empty());
}

#[test]
fn a_rewrapped_key_plans_no_change_and_keeps_the_configured_text() {
    let res = resource();
    let defaults = provider(Default::default());
    let config = cfg_value::<GpgKey>(&[("agent_id", "account.a".into()), ("key_data", KEY.into())]);
    let (created, d) = plan(&res, &Value::Null, &config, Some(&defaults));
    assert!(d.is_empty(), "{d:?}");
    assert!(created.attr("key_id").is_unknown());
    let planned = GpgKey::from_object(&created).unwrap();
    let api = ApiKey {
        key_id: Some("C524E8E8F92D08BC".into()),
        fingerprint: Some("6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC".into()),
        owner: Some("Terraform Test <tf-test@example.com>".into()),
        trust: Some("unknown".into()),
        sub_type: Some("ed25519".into()),
        // The server may answer the key in another wrapping: the configured text stays.
        key_data: Some(rewrapped()),
    };
    let state = from_api(&api, &planned);
    assert_eq!(state.key_data.as_deref(), Some(KEY));
    assert_eq!(state.id.as_deref(), Some("account.a/C524E8E8F92D08BC"));
    assert_eq!(state.upsert, Val::Known(false));
    let prior = state.to_value();
    let rewrapped_config = cfg_value::<GpgKey>(&[
        ("agent_id", "account.a".into()),
        ("key_data", rewrapped().as_str().into()),
    ]);
    let (again, d) = plan(&res, &prior, &rewrapped_config, Some(&defaults));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(again, prior, "a re-wrapped key is no change");

    // Import: no prior text, the API's is taken.
    let imported = from_api(
        &api,
        &crate::resources::data_source::stub::<GitopsGnupgKeyData>(
            state.scope.clone(),
            "C524E8E8F92D08BC",
        ),
    );
    assert_eq!(imported.key_data.as_deref(), Some(rewrapped().as_str()));
    assert_eq!(imported.fingerprint, state.fingerprint);
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let known = provider(crate::provider::Defaults {
        agent_id: "account.agent1".into(),
        org_id: "o".into(),
        project_id: "p".into(),
    });
    let full = cfg_value::<GpgKey>(&[("key_data", KEY.into()), ("upsert", true.into())]);
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
    for (k, v) in [
        ("id", "o/p/agent1/C524E8E8F92D08BC"),
        ("key_id", "C524E8E8F92D08BC"),
        ("fingerprint", "6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC"),
        ("owner", "o"),
        ("sub_type", "ed25519"),
        ("trust", "unknown"),
    ] {
        prior.set_attr(k, v.into());
    }
    let mut changed = full.clone();
    changed.set_attr("upsert", false.into());
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown_provider()),
        &prior,
        &changed,
    );
    // A new key replaces.
    let mut other = full.clone();
    other.set_attr(
        "key_data",
        KEY.replace("mDMEaxcSExYJ", "mDMEaxcSExYK").as_str().into(),
    );
    let mut d = Diagnostics::new();
    let (_, replace) =
        tfplugin::server::plan_resource(resource(), Some(&known), &prior, &other, &mut d);
    assert!(
        replace.iter().any(|p| p.to_string() == "key_data"),
        "{replace:?}"
    );
}
