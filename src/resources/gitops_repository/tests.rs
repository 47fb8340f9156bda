use super::*;
use harness_gitops_client::models::ConnectionState;

fn cfg(pairs: &[(&str, Value)]) -> Value {
    let mut v = schema().null_object();
    for (k, x) in pairs {
        v.set_attr(k, x.clone());
    }
    v
}

fn errors(config: &Value) -> Vec<String> {
    let mut d = Diagnostics::new();
    validate_config(config, &mut d);
    d.0.into_iter()
        .map(|d| d.path.map(|p| p.to_string()).unwrap_or_default())
        .collect()
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(schema().validate(true), Vec::<String>::new());
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
    let c = cfg(&[
        ("url", "https://github.com/a/b.git".into()),
        ("username", "u".into()),
        ("password", "p".into()),
    ]);
    assert!(errors(&c).is_empty());
}

#[test]
fn unknown_values_are_accepted_at_validate_time() {
    let c = cfg(&[
        ("url", Value::unknown()),
        ("type", Value::unknown()),
        ("password", Value::unknown()),
    ]);
    assert!(errors(&c).is_empty());
}

#[test]
fn enums_are_checked_with_their_path() {
    assert_eq!(errors(&cfg(&[("type", "svn".into())])), vec!["type"]);
    assert_eq!(
        errors(&cfg(&[("connection_type", "FTP".into())])),
        vec!["connection_type"]
    );
}

#[test]
fn conflicting_auth_methods_are_rejected() {
    let c = cfg(&[
        ("url", "git@github.com:a/b.git".into()),
        ("ssh_private_key", "k".into()),
        ("password", "p".into()),
    ]);
    assert!(errors(&c).contains(&"ssh_private_key".to_string()));
    let c = cfg(&[
        ("url", "https://x/y".into()),
        ("password", "p".into()),
        ("password_wo", "q".into()),
    ]);
    assert_eq!(errors(&c), vec!["password_wo"]);
    let c = cfg(&[
        ("url", "https://x/y".into()),
        ("password_wo_version", 1.into()),
    ]);
    assert_eq!(errors(&c), vec!["password_wo_version"]);
}

#[test]
fn ssh_urls_need_ssh_credentials() {
    let c = cfg(&[
        ("url", "ssh://git@github.com/a/b.git".into()),
        ("password", "p".into()),
    ]);
    assert!(errors(&c).contains(&"url".to_string()));
    // Without a key the agent may still use a credentials template: a warning, not an error.
    let c = cfg(&[
        ("url", "git@github.com:a/b.git".into()),
        ("connection_type", "SSH".into()),
    ]);
    let mut d = Diagnostics::new();
    validate_config(&c, &mut d);
    assert!(!d.has_errors() && d.0.len() == 1, "{d:?}");
    let c = cfg(&[
        ("url", "git@github.com:a/b.git".into()),
        ("connection_type", "HTTPS".into()),
    ]);
    assert_eq!(errors(&c), vec!["connection_type"]);
    let c = cfg(&[
        ("url", "git@github.com:a/b.git".into()),
        ("ssh_private_key_wo", "k".into()),
    ]);
    assert!(errors(&c).is_empty());
    let c = cfg(&[
        ("url", "https://github.com/a/b.git".into()),
        ("ssh_private_key", "k".into()),
    ]);
    assert_eq!(errors(&c), vec!["ssh_private_key"]);
}

#[test]
fn github_app_needs_ids() {
    let c = cfg(&[
        ("url", "https://github.com/a/b.git".into()),
        ("github_app_private_key", "k".into()),
    ]);
    assert_eq!(errors(&c), vec!["github_app_id"]);
    let c = cfg(&[
        ("url", "https://github.com/a/b.git".into()),
        ("github_app_private_key", "k".into()),
        ("github_app_id", 12.into()),
        ("github_app_installation_id", 34.into()),
        ("connection_type", "GITHUB_ENTERPRISE".into()),
    ]);
    assert_eq!(errors(&c), vec!["github_app_enterprise_base_url"]);
}

#[test]
fn connection_type_is_derived() {
    let d = |pairs: &[(&str, Value)]| derive_connection_type(&cfg(pairs));
    assert_eq!(
        d(&[("url", "git@github.com:a/b.git".into())]),
        Value::string("SSH")
    );
    assert_eq!(
        d(&[("url", "https://x/y".into())]),
        Value::string("HTTPS_ANONYMOUS")
    );
    assert_eq!(
        d(&[("url", "https://x/y".into()), ("password_wo", "p".into())]),
        Value::string("HTTPS")
    );
    assert_eq!(
        d(&[
            ("url", "https://x/y".into()),
            ("github_app_private_key", "k".into())
        ]),
        Value::string("GITHUB")
    );
    assert!(d(&[
        ("url", "https://x/y".into()),
        ("password", Value::unknown())
    ])
    .is_unknown());
}

fn response(repo: Repository) -> RepositoryResponse {
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
    let api = Repository {
        repo: Some("https://x/y".into()),
        password: Some(harness_gitops_client::Secret::new("********")),
        connection_state: Some(ConnectionState {
            status: Some("Successful".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert_eq!(s.attr("password"), &Value::string("real-secret"));
    assert_eq!(
        s.attr("ssh_private_key"),
        &Value::Null,
        "absent remotely: gone"
    );
    assert_eq!(s.attr("password_wo"), &Value::Null);
    assert_eq!(s.attr("password_wo_version"), &Value::from(3));
    assert_eq!(s.attr("connection_status"), &Value::string("Successful"));
    assert_eq!(s.attr("id"), &Value::string("account.a/r"));
    assert_eq!(
        s.attr("upsert"),
        &Value::Bool(false),
        "flags default when unknown to the API"
    );
    assert!(s.is_wholly_known());
}

#[test]
fn empty_api_strings_match_null_or_empty_config() {
    let prior = cfg(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("name", "".into()),
    ]);
    let api = Repository {
        name: Some(String::new()),
        proxy: Some(String::new()),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert_eq!(s.attr("name"), &Value::string(""));
    assert_eq!(s.attr("proxy"), &Value::Null);
}

#[test]
fn settle_keeps_planned_values_and_fills_unknowns() {
    let planned = cfg(&[("name", "mine".into()), ("created_at", Value::unknown())]);
    let api = cfg(&[("name", "theirs".into()), ("created_at", "t".into())]);
    let s = settle(api, &planned);
    assert_eq!(s.attr("name"), &Value::string("mine"));
    assert_eq!(s.attr("created_at"), &Value::string("t"));
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

#[test]
fn argo_project_needs_a_project_scope_at_plan_time() {
    let config = cfg(&[
        ("identifier", "r".into()),
        ("agent_id", "account.a".into()),
        ("url", "https://x/y".into()),
        ("argo_project", "ml".into()),
    ]);
    let mut planned = config.clone();
    let req = PlanRequest {
        prior: &Value::Null,
        config: &config,
        provider: None,
    };
    let mut d = Diagnostics::new();
    GitopsRepository.modify_plan(&req, &mut planned, &mut Vec::new(), &mut d);
    assert_eq!(d.0.len(), 1);
    assert_eq!(d.0[0].path, Some(AttributePath::attr("argo_project")));

    let mut with_project = config.clone();
    with_project.set_attr("org_id", "o".into());
    with_project.set_attr("project_id", "p".into());
    let mut planned = with_project.clone();
    let req = PlanRequest {
        prior: &Value::Null,
        config: &with_project,
        provider: None,
    };
    let mut d = Diagnostics::new();
    GitopsRepository.modify_plan(&req, &mut planned, &mut Vec::new(), &mut d);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(planned.attr("id"), &Value::string("o/p/account.a/r"));
    assert_eq!(
        planned.attr("connection_type"),
        &Value::string("HTTPS_ANONYMOUS")
    );
}
