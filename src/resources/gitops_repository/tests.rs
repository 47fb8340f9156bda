use super::*;
use crate::resources::test_support::{self as ts, provider};
use harness_gitops_client::models::ConnectionState;
use tfplugin::resource::PlanRequest;
use tfplugin::tf::Value;
use tfplugin::typed::TfType;

fn cfg_value(pairs: &[(&str, Value)]) -> Value {
    ts::cfg_value::<Repo>(pairs)
}

fn cfg(pairs: &[(&str, Value)]) -> Repo {
    ts::cfg::<Repo>(pairs)
}

fn diagnostics(pairs: &[(&str, Value)]) -> Diagnostics {
    ts::diagnostics(&resource(), &cfg_value(pairs))
}

fn errors(pairs: &[(&str, Value)]) -> Vec<String> {
    ts::errors(&resource(), &cfg_value(pairs))
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(Repo::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
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
            !a.name.ends_with("_wo_version") && !BEHAVIOUR_FLAGS.contains(&a.name.as_str()),
            "{}",
            a.name
        );
    }
    assert!(
        ds.block.attribute("url").is_some() && ds.block.attribute("connection_status").is_some()
    );
}

#[test]
fn valid_https_config_passes() {
    let c = [
        ("identifier", "repo_1".into()),
        ("url", "https://github.com/a/b.git".into()),
        ("username", "u".into()),
        ("password", "p".into()),
    ];
    assert!(errors(&c).is_empty());
}

#[test]
fn unknown_values_are_accepted_at_validate_time() {
    let c = [
        ("url", Value::unknown()),
        ("type", Value::unknown()),
        ("password", Value::unknown()),
        ("github_app_id", Value::unknown()),
    ];
    assert!(errors(&c).is_empty());
}

#[test]
fn enums_are_checked_with_their_path() {
    assert_eq!(errors(&[("type", "svn".into())]), vec!["type"]);
    assert_eq!(
        errors(&[("connection_type", "FTP".into())]),
        vec!["connection_type"]
    );
    assert_eq!(
        errors(&[("identifier", "ml-manifests".into())]),
        vec!["identifier"]
    );
    assert_eq!(
        errors(&[("github_app_id", Value::from(-3))]),
        vec!["github_app_id"]
    );
}

#[test]
fn conflicting_auth_methods_are_rejected() {
    let c = [
        ("url", "git@github.com:a/b.git".into()),
        ("ssh_private_key", "k".into()),
        ("password", "p".into()),
    ];
    assert!(errors(&c).contains(&"ssh_private_key".to_string()));
    let c = [
        ("url", "https://x/y".into()),
        ("password", "p".into()),
        ("password_wo", "q".into()),
    ];
    assert_eq!(errors(&c), vec!["password_wo"]);
    let c = [
        ("url", "https://x/y".into()),
        ("password_wo_version", 1.into()),
    ];
    assert_eq!(errors(&c), vec!["password_wo_version"]);
}

#[test]
fn ssh_urls_need_ssh_credentials() {
    let c = [
        ("url", "ssh://git@github.com/a/b.git".into()),
        ("password", "p".into()),
    ];
    assert!(errors(&c).contains(&"url".to_string()));
    // Without a key the agent may still use a credentials template: a warning, not an error.
    let d = diagnostics(&[
        ("url", "git@github.com:a/b.git".into()),
        ("connection_type", "SSH".into()),
    ]);
    assert!(!d.has_errors() && d.0.len() == 1, "{d:?}");
    let c = [
        ("url", "git@github.com:a/b.git".into()),
        ("connection_type", "HTTPS".into()),
    ];
    assert_eq!(errors(&c), vec!["connection_type"]);
    let c = [
        ("url", "git@github.com:a/b.git".into()),
        ("ssh_private_key_wo", "k".into()),
    ];
    assert!(errors(&c).is_empty());
    let c = [
        ("url", "https://github.com/a/b.git".into()),
        ("ssh_private_key", "k".into()),
    ];
    assert_eq!(errors(&c), vec!["ssh_private_key"]);
}

#[test]
fn github_app_needs_ids() {
    let c = [
        ("url", "https://github.com/a/b.git".into()),
        ("github_app_private_key", "k".into()),
    ];
    assert_eq!(errors(&c), vec!["github_app_id"]);
    let c = [
        ("url", "https://github.com/a/b.git".into()),
        ("github_app_private_key", "k".into()),
        ("github_app_id", 12.into()),
        ("github_app_installation_id", 34.into()),
        ("connection_type", "GITHUB_ENTERPRISE".into()),
    ];
    assert_eq!(errors(&c), vec!["github_app_enterprise_base_url"]);
}

#[test]
fn connection_type_is_derived_and_unknown_while_credentials_are() {
    let d = |pairs: &[(&str, Value)]| derive_connection_type(&cfg(pairs));
    let known = |s: &str| Val::Known(s.to_string());
    assert_eq!(d(&[("url", "git@github.com:a/b.git".into())]), known("SSH"));
    assert_eq!(
        d(&[("url", "https://x/y".into())]),
        known("HTTPS_ANONYMOUS")
    );
    assert_eq!(
        d(&[("url", "https://x/y".into()), ("password_wo", "p".into())]),
        known("HTTPS")
    );
    assert_eq!(
        d(&[
            ("url", "https://x/y".into()),
            ("github_app_private_key", "k".into())
        ]),
        known("GITHUB")
    );
    assert!(d(&[
        ("url", "https://x/y".into()),
        ("password", Value::unknown())
    ])
    .is_unknown());
    assert!(d(&[
        ("url", "https://x/y".into()),
        ("ssh_private_key_wo", Value::unknown())
    ])
    .is_unknown());
    assert!(d(&[("url", Value::unknown())]).is_unknown());
}

fn response(repo: ApiRepository) -> RepositoryResponse {
    RepositoryResponse {
        repository: Some(repo),
        created_at: Some("2026-01-01T00:00:00Z".into()),
        last_modified_at: Some("2026-01-02T00:00:00Z".into()),
        ..Default::default()
    }
}

#[test]
fn masked_secrets_keep_the_configured_value_and_write_only_stays_null() {
    let prior = cfg(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("url", "https://x/y".into()),
        ("password", "real-secret".into()),
        ("ssh_private_key", "old".into()),
        ("password_wo_version", 3.into()),
    ]);
    let api = ApiRepository {
        repo: Some("https://x/y".into()),
        password: Some(harness_gitops_client::Secret::new("********")),
        connection_state: Some(ConnectionState {
            status: Some("Successful".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert_eq!(s.password.value, Val::Known("real-secret".into()));
    assert_eq!(s.ssh_private_key.value, Val::Null, "absent remotely: gone");
    assert_eq!(s.password.wo, Val::Null);
    assert_eq!(s.password.wo_version, Val::Known(3));
    assert_eq!(s.connection_status, Val::Known("Successful".into()));
    assert_eq!(s.id, Val::Known("account.a/r".into()));
    assert_eq!(
        s.upsert,
        Val::Known(false),
        "flags default when unknown to the API"
    );
    assert!(s.to_value().is_wholly_known());
}

#[test]
fn empty_api_strings_match_null_or_empty_config() {
    let prior = cfg(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("name", "".into()),
    ]);
    let api = ApiRepository {
        name: Some(String::new()),
        proxy: Some(String::new()),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert_eq!(s.name, Val::Known(String::new()));
    assert_eq!(s.proxy, Val::Null);
}

#[test]
fn to_api_sends_explicit_false_and_prefers_write_only() {
    let planned = cfg(&[
        ("url", "https://x/y".into()),
        ("insecure", false.into()),
        ("password", Value::Null),
    ]);
    let config = cfg(&[("password_wo", "from-wo".into())]);
    let r = to_api(&planned, &config);
    assert_eq!(r.insecure, Some(false));
    assert_eq!(r.password.as_ref().map(|p| p.expose()), Some("from-wo"));
}

#[test]
fn ssh_url_detection() {
    assert!(is_ssh_url("git@github.com:a/b.git"));
    assert!(is_ssh_url("ssh://git@github.com/a/b.git"));
    assert!(!is_ssh_url("https://github.com/a/b.git"));
    assert!(!is_ssh_url("https://user@github.com/a/b.git"));
}

fn plan(prior: &Value, config: &Value, provider: Option<&ProviderData>) -> (Value, Diagnostics) {
    ts::plan(&resource(), prior, config, provider)
}

#[test]
fn argo_project_needs_a_project_scope_at_plan_time() {
    let config = cfg_value(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("url", "https://x/y".into()),
        ("argo_project", "ml".into()),
    ]);
    let no_defaults = provider(Default::default());
    let (_, d) = plan(&Value::Null, &config, Some(&no_defaults));
    assert_eq!(d.0.len(), 1, "{d:?}");
    assert_eq!(d.0[0].path, Some(AttributePath::attr("argo_project")));

    let mut with_project = config.clone();
    with_project.set_attr("org_id", "o".into());
    with_project.set_attr("project_id", "p".into());
    let (planned, d) = plan(&Value::Null, &with_project, Some(&no_defaults));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(planned.attr("id"), &Value::string("o/p/account.a/r"));
    assert_eq!(
        planned.attr("connection_type"),
        &Value::string("HTTPS_ANONYMOUS")
    );
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    // Regression: an agent_id from another resource's output planned the id "/r1" and the
    // apply failed with "Provider produced inconsistent final plan".
    let config = cfg_value(&[
        ("identifier", "r1".into()),
        ("agent_id", Value::unknown()),
        ("url", "https://x/y".into()),
    ]);
    let (planned, d) = plan(&Value::Null, &config, None);
    assert!(d.is_empty(), "{d:?}");
    assert!(
        planned.attr("id").is_unknown(),
        "the id cannot be known yet: {:?}",
        planned.attr("id")
    );

    // The generic check over every configurable attribute, for create and update, with the
    // provider's scope defaults known and unknown.
    let known = provider(crate::provider::Defaults {
        agent_id: "account.agent1".into(),
        org_id: "o".into(),
        project_id: "p".into(),
    });
    let unknown = provider(crate::provider::Defaults {
        agent_id: Val::Unknown,
        org_id: Val::Unknown,
        project_id: Val::Unknown,
    });
    let full = cfg_value(&[
        ("identifier", "r1".into()),
        ("url", "https://github.com/a/b.git".into()),
        ("username", "u".into()),
        ("password_wo", "p".into()),
        ("password_wo_version", 1.into()),
        ("name", "n".into()),
        ("argo_project", "ml".into()),
        ("insecure", true.into()),
    ]);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &Value::Null,
        &full,
    );
    let (created, d) = plan(&Value::Null, &full, Some(&known));
    assert!(d.is_empty(), "{d:?}");
    let mut prior = created.clone();
    for (k, v) in [
        ("created_at", "t0"),
        ("updated_at", "t0"),
        ("connection_status", "Successful"),
        ("connection_message", "ok"),
    ] {
        prior.set_attr(k, v.into());
    }
    prior.set_attr("inherited_creds", false.into());
    let mut changed = full.clone();
    changed.set_attr("username", "v".into());
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &prior,
        &changed,
    );
}

#[test]
fn a_change_of_scope_forces_replacement() {
    let config = cfg_value(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("url", "https://x/y".into()),
    ]);
    let no_defaults = provider(Default::default());
    let (created, _) = plan(&Value::Null, &config, Some(&no_defaults));
    assert!(
        created.attr("org_id").is_null(),
        "scope is known once the provider is configured"
    );
    let mut prior = created;
    for k in [
        "created_at",
        "updated_at",
        "connection_status",
        "connection_message",
    ] {
        prior.set_attr(k, "x".into());
    }
    prior.set_attr("inherited_creds", false.into());
    for (attr, value) in [
        ("agent_id", "account.b"),
        ("org_id", "o"),
        ("identifier", "s"),
    ] {
        let mut changed = config.clone();
        changed.set_attr(attr, value.into());
        if attr == "org_id" {
            changed.set_attr("agent_id", "org.a".into());
        }
        let mut d = Diagnostics::new();
        let (_, replace) = tfplugin::server::plan_resource(
            resource(),
            Some(&no_defaults),
            &prior,
            &changed,
            &mut d,
        );
        assert!(
            replace.contains(&AttributePath::attr(attr)),
            "{attr}: {replace:?} {d:?}"
        );
    }
    // The provider's default changing is a scope change too.
    let p = provider(crate::provider::Defaults {
        agent_id: "account.other".into(),
        ..Default::default()
    });
    let mut no_agent = config.clone();
    no_agent.set_attr("agent_id", Value::Null);
    let mut d = Diagnostics::new();
    let (_, replace) =
        tfplugin::server::plan_resource(resource(), Some(&p), &prior, &no_agent, &mut d);
    assert_eq!(replace, vec![AttributePath::attr("agent_id")]);
    let _ = PlanRequest::<ProviderData> {
        prior: &Value::Null,
        config: &Value::Null,
        provider: None,
        private: &Default::default(),
    };
}

fn nested(block: tfplugin::tf::schema::Block, pairs: &[(&str, Value)]) -> Value {
    let mut v = Value::Object(
        block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect(),
    );
    for (k, x) in pairs {
        v.set_attr(k, x.clone());
    }
    v
}

const ECR_URL: &str = "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn ecr(pairs: &[(&str, Value)]) -> Vec<(&'static str, Value)> {
    let secret = nested(
        AwsSecret::block(),
        &[
            ("aws_access_key_id", "AKIA".into()),
            ("aws_secret_access_key", "s3cret".into()),
        ],
    );
    let mut gen = vec![("region", Value::from("us-east-1")), ("secret_ref", secret)];
    gen.extend(pairs.iter().map(|(k, v)| (*k, v.clone())));
    let gen: Vec<(&str, Value)> = gen;
    vec![
        ("identifier", "r".into()),
        ("url", ECR_URL.into()),
        ("type", "oci".into()),
        ("gen_type", "AWS_ECR".into()),
        ("ecr_gen", nested(EcrGen::block(), &gen)),
        ("refresh_interval", "1h".into()),
    ]
}

fn replaced(
    mut base: Vec<(&'static str, Value)>,
    k: &'static str,
    v: Value,
) -> Vec<(&'static str, Value)> {
    base.retain(|(n, _)| *n != k);
    base.push((k, v));
    base
}

#[test]
fn an_ecr_generator_needs_an_ecr_registry_of_its_region() {
    let ok = ecr(&[]);
    assert!(errors(&ok).is_empty(), "{:?}", diagnostics(&ok));
    assert_eq!(
        errors(&replaced(
            ecr(&[]),
            "url",
            "https://charts.example.com".into()
        )),
        vec!["url"]
    );
    assert_eq!(
        errors(&ecr(&[("region", "eu-west-1".into())])),
        vec!["ecr_gen.region"]
    );
    assert_eq!(
        errors(&replaced(ecr(&[]), "type", "git".into())),
        vec!["gen_type"]
    );
    assert_eq!(
        errors(&replaced(ecr(&[]), "gen_type", "GOOGLE_GCR".into())),
        vec!["ecr_gen", "gcr_gen", "url"]
    );
    assert_eq!(
        errors(&replaced(ecr(&[]), "refresh_interval", "hourly".into())),
        vec!["refresh_interval"]
    );
    let jwt = nested(ServiceAccountRef::block(), &[("name", "sa".into())]);
    assert_eq!(errors(&ecr(&[("jwt_auth", jwt)])), vec!["ecr_gen.jwt_auth"]);
    let mut no_gen = ecr(&[]);
    no_gen.retain(|(n, _)| *n != "gen_type");
    assert_eq!(errors(&no_gen), vec!["ecr_gen", "refresh_interval"]);
    assert_eq!(
        ecr_region("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        Some("us-east-1")
    );
    assert_eq!(ecr_region("dkr.ecr.us-east-1.amazonaws.com"), None);
    assert_eq!(registry_host("oci://u@gcr.io:443/p"), Some("gcr.io"));
}

#[test]
fn a_gcr_generator_needs_a_google_registry_and_one_way_to_authenticate() {
    let wi = nested(
        WorkloadIdentity::block(),
        &[
            (
                "service_account_ref",
                nested(ServiceAccountRef::block(), &[("name", "sa".into())]),
            ),
            ("cluster_location", "europe-west1".into()),
            ("cluster_name", "gke".into()),
        ],
    );
    let gcr = |gen: &[(&str, Value)]| {
        let mut g = vec![("project_id", Value::from("p"))];
        g.extend(gen.iter().cloned());
        vec![
            ("identifier", Value::from("r")),
            ("url", "oci://europe-west1-docker.pkg.dev/p/charts".into()),
            ("type", "helm".into()),
            ("gen_type", "GOOGLE_GCR".into()),
            ("gcr_gen", nested(GcrGen::block(), &g)),
        ]
    };
    let ok = gcr(&[("workload_identity", wi.clone())]);
    assert!(errors(&ok).is_empty(), "{:?}", diagnostics(&ok));
    assert_eq!(errors(&gcr(&[])), vec!["gcr_gen"]);
    assert_eq!(
        errors(&gcr(&[
            ("workload_identity", wi),
            ("access_key", "{}".into())
        ])),
        vec!["gcr_gen.workload_identity"]
    );
    assert_eq!(
        errors(&replaced(
            gcr(&[("access_key", "{}".into())]),
            "url",
            ECR_URL.into()
        )),
        vec!["url"]
    );
}

#[test]
fn generators_are_sent_with_the_api_names_and_kept_in_state() {
    let c = cfg(&ecr(&[("role", "arn:aws:iam::1:role/r".into())]));
    let g = generator_api(&c, false);
    assert_eq!(g.gen_type.as_deref(), Some("AWS_ECR"));
    assert_eq!(g.refresh_interval.as_deref(), Some("1h"));
    let body = serde_json::to_value(RepositoryCreateRequest {
        gen_type: g.gen_type,
        ecr_gen: g.ecr_gen,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(body["ecrGen"]["region"], "us-east-1");
    assert_eq!(body["ecrGen"]["role"], "arn:aws:iam::1:role/r");
    assert_eq!(body["ecrGen"]["secretRef"]["awsAccessKeyID"], "AKIA");
    assert_eq!(body["ecrGen"]["secretRef"]["awsSecretAccessKey"], "s3cret");
    // An update without a generator removes it.
    let plain = cfg(&[("identifier", "r".into()), ("url", ECR_URL.into())]);
    assert_eq!(
        generator_api(&plain, true).gen_type.as_deref(),
        Some("UNSET")
    );
    assert_eq!(generator_api(&plain, false).gen_type, None);
    // The response has no generator: state keeps the configured one.
    let s = from_api(
        &response(ApiRepository {
            repo: Some(ECR_URL.into()),
            ..Default::default()
        }),
        &c,
    );
    assert_eq!(s.ecr_gen, c.ecr_gen);
    assert_eq!(s.gen_type, c.gen_type);
    assert_eq!(s.refresh_interval, c.refresh_interval);
    for name in [Repo::GEN_TYPE, Repo::ECR_GEN, Repo::GCR_GEN] {
        assert!(
            !data_schema()
                .block
                .attributes
                .iter()
                .any(|a| a.name == name),
            "{name} is not in the data source"
        );
    }
}
