use super::*;
use crate::provider::Defaults;
use crate::resources::test_support::{self as ts, provider};
use harness_gitops_client::models::{AgentCredentials, AgentHealth, Int64, SemanticVersion};
use tfplugin::ctx::Private;
use tfplugin::typed::TfType;

fn cfg_value(pairs: &[(&str, Value)]) -> Value {
    ts::cfg_value::<GitopsAgent>(pairs)
}

fn minimal() -> Vec<(&'static str, Value)> {
    vec![
        ("identifier", "gpu_agent".into()),
        ("name", "GPU agent".into()),
        ("type", "MANAGED_ARGO_PROVIDER".into()),
        ("namespace", "gitops".into()),
    ]
}

fn with(
    mut base: Vec<(&'static str, Value)>,
    more: &[(&'static str, Value)],
) -> Vec<(&'static str, Value)> {
    for (k, v) in more {
        base.retain(|(n, _)| n != k);
        base.push((k, v.clone()));
    }
    base
}

fn install_value(pairs: &[(&str, Value)]) -> Value {
    let mut v = Install::schema().null_object();
    for (k, x) in pairs {
        v.set_attr(k, x.clone());
    }
    v
}

fn no_defaults() -> ProviderData {
    provider(Defaults::default())
}

fn errors(pairs: &[(&str, Value)]) -> Vec<String> {
    ts::errors(&resource(), &cfg_value(pairs))
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(GitopsAgent::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
}

#[test]
fn the_data_source_has_no_token_install_or_flag() {
    let ds = data_schema();
    for n in [
        "install",
        "agent_token",
        "export_token",
        "credentials_version",
    ] {
        assert!(
            ds.block.attribute(n).is_none(),
            "{n} must not be in the data source"
        );
    }
    for n in [
        "prefixed_identifier",
        "health",
        "connection_status",
        "version",
    ] {
        assert!(ds.block.attribute(n).is_some(), "{n}");
    }
}

#[test]
fn validation_names_the_attribute() {
    assert!(errors(&minimal()).is_empty());
    assert_eq!(
        errors(&with(minimal(), &[("type", "ARGO".into())])),
        vec!["type".to_string()]
    );
    assert_eq!(
        errors(&with(minimal(), &[("namespace", "Not_A_Namespace".into())])),
        vec!["namespace".to_string()]
    );
    let hosted = with(
        minimal(),
        &[
            ("type", "HOSTED_ARGO_PROVIDER".into()),
            ("install", install_value(&[])),
        ],
    );
    assert_eq!(errors(&hosted), vec!["install".to_string()]);
    // Unknown values wait for apply.
    assert!(errors(&with(
        minimal(),
        &[("type", Value::unknown()), ("install", install_value(&[]))]
    ))
    .is_empty());
}

#[test]
fn the_prefixed_identifier_follows_the_scope_and_is_known_at_plan_time() {
    let res = resource();
    let p = no_defaults();
    let (planned, d) = ts::plan(&res, &Value::Null, &cfg_value(&minimal()), Some(&p));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        planned.attr("prefixed_identifier"),
        &Value::string("account.gpu_agent")
    );
    assert!(
        planned.attr("id").is_unknown(),
        "known once the agent exists"
    );
    assert!(
        planned.attr("agent_token").is_null(),
        "no token unless asked for"
    );

    let org = with(minimal(), &[("org_id", "ml".into())]);
    let (planned, _) = ts::plan(&res, &Value::Null, &cfg_value(&org), Some(&p));
    assert_eq!(
        planned.attr("prefixed_identifier"),
        &Value::string("org.gpu_agent")
    );

    // Provider defaults inherit.
    let proj = provider(Defaults {
        org_id: "ml".into(),
        project_id: "pipelines".into(),
        agent_id: Val::Null,
    });
    let (planned, _) = ts::plan(&res, &Value::Null, &cfg_value(&minimal()), Some(&proj));
    assert_eq!(
        planned.attr("prefixed_identifier"),
        &Value::string("gpu_agent")
    );

    // From another resource's output: unknown, never guessed.
    let (planned, _) = ts::plan(
        &res,
        &Value::Null,
        &cfg_value(&minimal()),
        Some(&ts::unknown_provider()),
    );
    assert!(planned.attr("prefixed_identifier").is_unknown());
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let known = provider(Defaults {
        org_id: "ml".into(),
        project_id: Val::Null,
        agent_id: Val::Null,
    });
    let full = cfg_value(&with(
        minimal(),
        &[
            ("description", "d".into()),
            ("high_availability", true.into()),
            ("export_token", true.into()),
            ("credentials_version", "1".into()),
            (
                "install",
                install_value(&[
                    ("host", "https://127.0.0.1:6443".into()),
                    ("token", "admin".into()),
                    ("cluster_ca_certificate", "pem".into()),
                    ("skip_crds", true.into()),
                ]),
            ),
        ],
    ));
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&ts::unknown_provider()),
        &Value::Null,
        &full,
    );
    let mut prior = applied(&full, &known);
    prior.set_attr("description", "before".into());
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&ts::unknown_provider()),
        &prior,
        &full,
    );
}

/// The state an apply of `config` would record (every unknown filled).
fn applied(config: &Value, p: &ProviderData) -> Value {
    let (planned, d) = ts::plan(&resource(), &Value::Null, config, Some(p));
    assert!(!d.has_errors(), "{d:?}");
    let mut m = GitopsAgent::from_object(&planned).unwrap();
    m.agent_token = if m.export_token.unwrap_or(false) {
        Val::Known("tok".into())
    } else {
        Val::Null
    };
    m.connection_status = "CONNECTED".into();
    m.last_heartbeat = "2026-12-07T00:00:00Z".into();
    m.health = Val::Known(BTreeMap::new());
    m.version = "0.101.0".into();
    m.upgrade_available = Val::Known(false);
    m.created_at = "2026-12-07T00:00:00Z".into();
    m.id = import_id(&m);
    if let Val::Known(i) = &mut m.install {
        i.version = "0.101.0".into();
        i.objects = Val::Known(objects_of(&objects()));
    }
    m.to_value()
}

fn objects() -> Vec<Installed> {
    let o = |v: &str, k: &str, ns: Option<&str>, n: &str| Installed {
        api_version: v.into(),
        kind: k.into(),
        namespace: ns.map(str::to_string),
        name: n.into(),
    };
    vec![
        o("v1", "Namespace", None, "gitops"),
        o("v1", "Secret", Some("gitops"), "gitops-agent"),
        o("apps/v1", "Deployment", Some("gitops"), "gitops-agent"),
    ]
}

/// Plans through the resource's hook with `private` as the prior private state.
fn plan_with_private(prior: &Value, config: &Value, private: Private) -> GitopsAgent {
    let p = no_defaults();
    let (proposed, d) = ts::plan(&resource(), prior, config, Some(&p));
    assert!(!d.has_errors(), "{d:?}");
    let prior_m = GitopsAgent::from_object(prior).unwrap();
    let config_m = GitopsAgent::from_object(config).unwrap();
    let mut planned = GitopsAgent::from_object(&proposed).unwrap();
    // The pipeline already ran the hook with empty private state; run it again with ours.
    if let (Val::Known(i), Some(pi)) = (&mut planned.install, prior_m.install.known()) {
        i.objects = pi.objects.clone();
        i.version = pi.version.clone();
    }
    let private = std::sync::Mutex::new(private);
    let req = TypedPlan {
        prior: Some(&prior_m),
        config: &config_m,
        provider: Some(&p),
        private: &private,
    };
    let mut d = Diagnostics::new();
    GitopsAgentResource.modify_plan(&req, &mut planned, &mut Vec::new(), &mut d);
    assert!(!d.has_errors(), "{d:?}");
    planned
}

#[test]
fn no_change_plans_nothing_and_a_missing_object_plans_its_restore() {
    let config = cfg_value(&with(
        minimal(),
        &[("install", install_value(&[("config_path", "/k".into())]))],
    ));
    let prior = applied(&config, &no_defaults());
    let mut private = Private::default();
    private.set(PRIVATE_INSTALLED, Some(&objects()));
    let planned = plan_with_private(&prior, &config, private.clone());
    assert_eq!(
        planned.to_value(),
        prior,
        "nothing changed, nothing planned"
    );

    // A refresh found the Deployment deleted outside Terraform.
    let mut refreshed = GitopsAgent::from_object(&prior).unwrap();
    if let Val::Known(i) = &mut refreshed.install {
        i.objects = Val::Known(objects_of(&objects()[..2]));
    }
    let planned = plan_with_private(&refreshed.to_value(), &config, private);
    let objs = planned.install.known().unwrap().objects.clone();
    assert_eq!(
        objs,
        Val::Known(objects_of(&objects())),
        "the missing object is planned back"
    );
}

#[test]
fn install_changes_rotation_and_opted_in_upgrades_reinstall() {
    let base = with(
        minimal(),
        &[("install", install_value(&[("config_path", "/k".into())]))],
    );
    let prior = applied(&cfg_value(&base), &no_defaults());
    let objects_unknown = |config: &Value, prior: &Value| {
        let planned = plan_with_private(prior, config, Private::default());
        planned.install.known().unwrap().objects.is_unknown()
    };
    let skip = with(
        minimal(),
        &[(
            "install",
            install_value(&[("config_path", "/k".into()), ("skip_crds", true.into())]),
        )],
    );
    assert!(objects_unknown(&cfg_value(&skip), &prior));
    let rotate = with(base.clone(), &[("credentials_version", "2".into())]);
    assert!(objects_unknown(&cfg_value(&rotate), &prior));
    let ha = with(base.clone(), &[("high_availability", true.into())]);
    assert!(objects_unknown(&cfg_value(&ha), &prior));

    // Harness has a newer version: only an opted-in install plans the upgrade.
    let mut newer = GitopsAgent::from_object(&prior).unwrap();
    newer.upgrade_available = Val::Known(true);
    assert!(!objects_unknown(&cfg_value(&base), &newer.to_value()));
    let opted = with(
        minimal(),
        &[(
            "install",
            install_value(&[("config_path", "/k".into()), ("upgrade", true.into())]),
        )],
    );
    let mut newer_opted =
        GitopsAgent::from_object(&applied(&cfg_value(&opted), &no_defaults())).unwrap();
    newer_opted.upgrade_available = Val::Known(true);
    assert!(objects_unknown(&cfg_value(&opted), &newer_opted.to_value()));
}

#[test]
fn the_token_is_planned_only_when_exported_and_rotated() {
    let res = resource();
    let p = no_defaults();
    let exported = with(minimal(), &[("export_token", true.into())]);
    let (planned, _) = ts::plan(&res, &Value::Null, &cfg_value(&exported), Some(&p));
    assert!(planned.attr("agent_token").is_unknown());
    let prior = applied(&cfg_value(&exported), &p);
    let (planned, _) = ts::plan(&res, &prior, &cfg_value(&exported), Some(&p));
    assert_eq!(
        planned.attr("agent_token"),
        &Value::string("tok"),
        "kept without rotation"
    );
    let rotated = with(exported.clone(), &[("credentials_version", "2".into())]);
    let (planned, _) = ts::plan(&res, &prior, &cfg_value(&rotated), Some(&p));
    assert!(
        planned.attr("agent_token").is_unknown(),
        "a rotation issues a new token"
    );
    let (planned, _) = ts::plan(&res, &prior, &cfg_value(&minimal()), Some(&p));
    assert!(
        planned.attr("agent_token").is_null(),
        "not exported: never in plan or state"
    );
}

#[test]
fn scope_name_namespace_and_operator_changes_replace_the_agent() {
    let res = resource();
    let p = no_defaults();
    let prior = applied(&cfg_value(&minimal()), &p);
    for (k, v) in [
        ("name", Value::string("other")),
        ("namespace", Value::string("elsewhere")),
        ("org_id", Value::string("ml")),
        ("operator", Value::string("FLAMINGO")),
        ("namespaced", Value::Bool(true)),
    ] {
        let mut d = Diagnostics::new();
        let (_, replace) = tfplugin::server::plan_resource(
            res.clone(),
            Some(&p),
            &prior,
            &cfg_value(&with(minimal(), &[(k, v)])),
            &mut d,
        );
        assert!(
            replace.contains(&AttributePath::attr(k)),
            "{k}: {replace:?}"
        );
    }
    let mut d = Diagnostics::new();
    let (_, replace) = tfplugin::server::plan_resource(
        res,
        Some(&p),
        &prior,
        &cfg_value(&with(minimal(), &[("description", "x".into())])),
        &mut d,
    );
    assert!(replace.is_empty(), "a description is updated in place");
}

#[test]
fn import_ids_name_the_scope() {
    let mut d = Diagnostics::new();
    let s = stub_of_import("a1", &mut d).unwrap();
    assert_eq!((s.org_id, s.project_id), (Val::Null, Val::Null));
    let s = stub_of_import("ml/pipes/a1", &mut d).unwrap();
    assert_eq!(s.org_id.as_deref(), Some("ml"));
    assert_eq!(s.project_id.as_deref(), Some("pipes"));
    assert_eq!(s.identifier.as_deref(), Some("a1"));
    assert!(d.is_empty());
    for id in ["a1", "ml/a1", "ml/pipes/a1"] {
        let (o, p, i) = parse_agent_id(id).unwrap();
        assert_eq!(
            agent_id_of(o.non_empty(), p.non_empty(), i.as_deref().unwrap()),
            id
        );
    }
    for bad in ["", "a//b", "a/b/c/d", "/a", " /a"] {
        assert!(parse_agent_id(bad).is_none(), "{bad:?}");
        let mut d = Diagnostics::new();
        assert!(stub_of_import(bad, &mut d).is_none(), "{bad:?}");
        assert!(d.has_errors());
    }
}

#[test]
fn the_api_answer_maps_health_version_and_keeps_the_install() {
    let prior = GitopsAgent::from_object(&applied(
        &cfg_value(&with(
            minimal(),
            &[("install", install_value(&[("config_path", "/k".into())]))],
        )),
        &no_defaults(),
    ))
    .unwrap();
    let healthy = |m: &str| {
        Some(AgentComponentHealth {
            status: Some(if m.is_empty() { "HEALTHY" } else { "UNHEALTHY" }.into()),
            message: Some(m.into()),
            ..Default::default()
        })
    };
    let api = ApiAgent {
        identifier: Some("gpu_agent".into()),
        name: Some("GPU agent".into()),
        r#type: Some("MANAGED_ARGO_PROVIDER".into()),
        operator: Some("ARGO".into()),
        prefixed_identifier: Some("account.gpu_agent".into()),
        metadata: Some(AgentMetadata {
            namespace: Some("gitops".into()),
            high_availability: Some(false),
            is_namespaced: Some(false),
            ..Default::default()
        }),
        health: Some(AgentHealth {
            connection_status: Some("CONNECTED".into()),
            last_heartbeat: Some("2026-12-07T10:00:00Z".into()),
            harness_gitops_agent: healthy(""),
            argo_repo_server: healthy("no Deployment"),
            ..Default::default()
        }),
        version: Some(SemanticVersion {
            major: Some(Int64(0)),
            minor: Some(Int64(101)),
            patch: Some(Int64(0)),
        }),
        credentials: Some(AgentCredentials {
            private_key: Some(Secret::new("must-not-leak")),
            public_key: None,
        }),
        ..Default::default()
    };
    let s = from_api(&api, &prior);
    assert_eq!(s.version.as_deref(), Some("0.101.0"));
    assert_eq!(s.connection_status.as_deref(), Some("CONNECTED"));
    let h = s.health.known().unwrap();
    assert_eq!(h["gitops_agent"].status.as_deref(), Some("HEALTHY"));
    assert_eq!(h["repo_server"].message.as_deref(), Some("no Deployment"));
    assert!(
        !h.contains_key("redis"),
        "components Harness did not report are absent"
    );
    assert_eq!(
        s.install, prior.install,
        "the install record is the provider's own"
    );
    assert_eq!(
        s.agent_token, prior.agent_token,
        "a read never puts the token in state"
    );
    assert!(!format!("{:?}", s.to_value()).contains("must-not-leak"));
}

#[test]
fn to_api_sends_metadata_and_explicit_empties() {
    let m = ts::cfg::<GitopsAgent>(&with(minimal(), &[("high_availability", true.into())]));
    let a = to_api(&m);
    let meta = a.metadata.unwrap();
    assert_eq!(meta.namespace.as_deref(), Some("gitops"));
    assert_eq!(meta.high_availability, Some(true));
    assert_eq!(meta.is_namespaced, Some(false));
    assert_eq!(
        a.description.as_deref(),
        Some(""),
        "an unset description clears it"
    );
    assert_eq!(a.tags, Some(BTreeMap::new()));
}
