use super::*;
use crate::provider::KubernetesSettings;
use crate::resources::test_support as ts;
use harness_gitops_client::models::ConnectionState;

fn cfg_value(pairs: &[(&str, Value)]) -> Value {
    ts::cfg_value::<Cluster>(pairs)
}

fn bootstrap_value(pairs: &[(&str, Value)]) -> Value {
    let mut v = Value::Object(
        Bootstrap::block()
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

fn cfg(pairs: &[(&str, Value)]) -> Cluster {
    ts::cfg::<Cluster>(pairs)
}

fn diagnostics(pairs: &[(&str, Value)]) -> Diagnostics {
    ts::diagnostics(&resource(), &cfg_value(pairs))
}

fn errors(pairs: &[(&str, Value)]) -> Vec<String> {
    ts::errors(&resource(), &cfg_value(pairs))
}

const SERVER: &str = "https://203.0.113.10:6443";

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(Cluster::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
}

#[test]
fn data_source_exposes_no_secret_flag_or_bootstrap() {
    let ds = data_schema();
    for a in &ds.block.attributes {
        assert!(!a.sensitive && !a.write_only, "{}", a.name);
        assert!(
            !a.name.ends_with("_wo_version")
                && !BEHAVIOUR_FLAGS.contains(&a.name.as_str())
                && a.name != "bootstrap",
            "{}",
            a.name
        );
    }
    for want in [
        "server",
        "connection_status",
        "connection_type",
        "namespaces",
    ] {
        assert!(ds.block.attribute(want).is_some(), "{want}");
    }
    assert!(ds.block.blocks.is_empty(), "no timeouts block");
}

#[test]
fn plain_configurations_pass() {
    for c in [
        vec![("server", SERVER.into()), ("bearer_token", "t".into())],
        vec![
            ("server", SERVER.into()),
            ("bearer_token_wo", "t".into()),
            ("bearer_token_wo_version", 1.into()),
        ],
        vec![
            ("server", SERVER.into()),
            ("username", "u".into()),
            ("password", "p".into()),
        ],
        vec![
            ("server", SERVER.into()),
            ("aws_cluster_name", "ml".into()),
            ("aws_role_arn", "arn:aws:iam::1:role/x".into()),
        ],
        vec![
            ("server", "http://kubernetes.default.svc".into()),
            ("connection_type", "IN_CLUSTER".into()),
        ],
        vec![("server", IN_CLUSTER_SERVER.into())],
        vec![("bootstrap", bootstrap_value(&[]))],
    ] {
        let mut all = vec![("identifier", Value::from("c1"))];
        all.extend(c.clone());
        assert!(errors(&all).is_empty(), "{c:?}: {:?}", diagnostics(&all));
    }
}

#[test]
fn unknown_values_pass_validation() {
    let c = [
        ("server", Value::unknown()),
        ("connection_type", Value::unknown()),
        ("bearer_token", Value::unknown()),
        ("bootstrap", Value::unknown()),
    ];
    assert!(errors(&c).is_empty(), "{:?}", diagnostics(&c));
}

#[test]
fn credentials_of_another_connection_type_are_refused_at_their_path() {
    let e = errors(&[
        ("server", SERVER.into()),
        ("connection_type", "SERVICE_ACCOUNT".into()),
        ("bearer_token", "t".into()),
        ("password_wo", "p".into()),
        ("password_wo_version", 1.into()),
    ]);
    assert_eq!(e, vec!["password_wo"]);
    let e = errors(&[
        ("server", SERVER.into()),
        ("connection_type", "IRSA".into()),
        ("aws_cluster_name", "ml".into()),
        ("bearer_token", "t".into()),
    ]);
    assert_eq!(
        e,
        vec!["bearer_token"],
        "switching to IRSA must drop the token"
    );
    // Derived: two kinds of credentials cannot both be meant.
    let e = errors(&[
        ("server", SERVER.into()),
        ("bearer_token", "t".into()),
        ("username", "u".into()),
    ]);
    assert_eq!(e, vec!["username"]);
    let e = errors(&[
        ("server", SERVER.into()),
        ("connection_type", "IN_CLUSTER".into()),
        ("ca_data", "x".into()),
    ]);
    assert_eq!(e, vec!["ca_data"]);
}

#[test]
fn bootstrap_needs_service_account_and_brings_its_own_token() {
    let e = errors(&[
        ("connection_type", "IRSA".into()),
        ("aws_cluster_name", "ml".into()),
        ("bootstrap", bootstrap_value(&[])),
    ]);
    assert!(e.iter().all(|p| p == "bootstrap") && !e.is_empty(), "{e:?}");
    let e = errors(&[
        ("bearer_token", "t".into()),
        ("bootstrap", bootstrap_value(&[])),
    ]);
    assert_eq!(e, vec!["bearer_token"]);
    let e = errors(&[
        ("namespaces", Value::Set(vec!["ml".into()])),
        ("cluster_resources", true.into()),
        ("bootstrap", bootstrap_value(&[])),
    ]);
    assert_eq!(e, vec!["cluster_resources"]);
    let e = errors(&[(
        "bootstrap",
        bootstrap_value(&[
            ("service_account", "Bad_Name".into()),
            ("namespace", "kube.system".into()),
        ]),
    )]);
    assert_eq!(e, vec!["bootstrap.service_account", "bootstrap.namespace"]);
    let e = errors(&[("bootstrap", bootstrap_value(&[("token", "t".into())]))]);
    assert_eq!(e, vec!["bootstrap.token"]);
    let e = errors(&[(
        "bootstrap",
        bootstrap_value(&[("host", "10.0.0.1:6443".into())]),
    )]);
    assert_eq!(e, vec!["bootstrap.host"]);
}

#[test]
fn server_must_be_https_and_present() {
    assert_eq!(
        errors(&[
            ("server", "http://10.0.0.1".into()),
            ("bearer_token", "t".into())
        ]),
        vec!["server"]
    );
    assert_eq!(errors(&[("bearer_token", "t".into())]), vec!["server"]);
    assert_eq!(
        errors(&[("server", SERVER.into())]),
        vec!["connection_type"],
        "nothing says how to connect"
    );
}

#[test]
fn missing_credentials_of_an_explicit_type() {
    let d = diagnostics(&[
        ("server", SERVER.into()),
        ("connection_type", "SERVICE_ACCOUNT".into()),
    ]);
    assert!(
        ts::paths(&d, tfplugin::tf::Severity::Error).is_empty(),
        "{d:?}"
    );
    assert_eq!(
        ts::paths(&d, tfplugin::tf::Severity::Warning),
        vec!["bearer_token"]
    );
    assert_eq!(
        errors(&[
            ("server", SERVER.into()),
            ("connection_type", "IRSA".into())
        ]),
        vec!["aws_cluster_name"]
    );
    assert_eq!(
        errors(&[
            ("server", SERVER.into()),
            ("connection_type", "TLS_CLIENT_CERT".into()),
            ("tls_client_cert_data", "c".into()),
        ]),
        vec!["tls_client_cert_key"]
    );
}

#[test]
fn connection_type_is_derived_and_unknown_while_credentials_are() {
    let t = |pairs: &[(&str, Value)]| derive_connection_type(&cfg(pairs));
    assert_eq!(
        t(&[("bearer_token", "x".into())]),
        Val::Known("SERVICE_ACCOUNT".into())
    );
    assert_eq!(
        t(&[("bootstrap", bootstrap_value(&[]))]),
        Val::Known("SERVICE_ACCOUNT".into())
    );
    assert_eq!(
        t(&[("password_wo", "x".into())]),
        Val::Known("USERNAME_PASSWORD".into())
    );
    assert_eq!(
        t(&[("tls_client_cert_key", "x".into())]),
        Val::Known("TLS_CLIENT_CERT".into())
    );
    assert_eq!(
        t(&[("aws_role_arn", "x".into())]),
        Val::Known("IRSA".into())
    );
    assert_eq!(
        t(&[("server", "https://kubernetes.default.svc/".into())]),
        Val::Known("IN_CLUSTER".into())
    );
    assert_eq!(t(&[("server", SERVER.into())]), Val::Null);
    assert_eq!(t(&[("bearer_token", Value::unknown())]), Val::Unknown);
    assert_eq!(t(&[("bootstrap", Value::unknown())]), Val::Unknown);
}

/// The bootstrap plans need the provider's (empty) `kubernetes` settings.
fn provider(defaults: crate::provider::Defaults) -> ProviderData {
    ProviderData {
        kubernetes: Some(KubernetesSettings::default()),
        ..ts::provider(defaults)
    }
}

fn known_provider() -> ProviderData {
    provider(crate::provider::Defaults {
        agent_id: "account.agent1".into(),
        org_id: Val::Null,
        project_id: Val::Null,
    })
}

fn plan(prior: &Value, config: &Value, provider: Option<&ProviderData>) -> (Value, Diagnostics) {
    ts::plan(&resource(), prior, config, provider)
}

fn objects_of(planned: &Value) -> Vec<String> {
    planned
        .attr("bootstrap")
        .attr("objects")
        .as_elements()
        .unwrap_or(&[])
        .iter()
        .map(|o| {
            format!(
                "{} {}/{}",
                o.attr_str("kind").unwrap_or("?"),
                o.attr_str("namespace").unwrap_or("?"),
                o.attr_str("name").unwrap_or("?")
            )
        })
        .collect()
}

#[test]
fn a_bootstrap_plans_its_objects_server_and_name() {
    let config = cfg_value(&[
        ("identifier", "ml_gpu".into()),
        (
            "bootstrap",
            bootstrap_value(&[
                ("host", "https://10.1.2.3:6443/".into()),
                ("token", "t".into()),
            ]),
        ),
    ]);
    let (planned, d) = plan(&Value::Null, &config, Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(
        planned.attr("server"),
        &Value::string("https://10.1.2.3:6443")
    );
    assert_eq!(
        planned.attr("name"),
        &Value::string("https://10.1.2.3:6443")
    );
    assert_eq!(
        planned.attr("connection_type"),
        &Value::string("SERVICE_ACCOUNT")
    );
    assert_eq!(planned.attr("id"), &Value::string("account.agent1/ml_gpu"));
    assert_eq!(
        objects_of(&planned),
        vec![
            "ServiceAccount kube-system/harness-gitops-manager",
            "ClusterRole /harness-gitops-manager-role",
            "ClusterRoleBinding /harness-gitops-manager-role-binding",
            "Secret kube-system/harness-gitops-manager-long-lived-token",
        ]
    );
    // Namespaced: Roles instead of a ClusterRole.
    let mut namespaced = config.clone();
    namespaced.set_attr(
        "namespaces",
        Value::Set(vec!["serving".into(), "training".into()]),
    );
    let (planned, _) = plan(&Value::Null, &namespaced, Some(&known_provider()));
    assert_eq!(
        objects_of(&planned),
        vec![
            "ServiceAccount kube-system/harness-gitops-manager",
            "Role serving/harness-gitops-manager-role",
            "RoleBinding serving/harness-gitops-manager-role-binding",
            "Role training/harness-gitops-manager-role",
            "RoleBinding training/harness-gitops-manager-role-binding",
            "Secret kube-system/harness-gitops-manager-long-lived-token",
        ]
    );
}

#[test]
fn a_host_from_another_resource_plans_the_server_unknown() {
    let config = cfg_value(&[
        ("identifier", "ml_gpu".into()),
        (
            "bootstrap",
            bootstrap_value(&[("host", Value::unknown()), ("token", Value::unknown())]),
        ),
    ]);
    let (planned, d) = plan(&Value::Null, &config, Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    assert!(planned.attr("server").is_unknown());
    assert!(planned.attr("name").is_unknown());
    assert_eq!(
        planned.attr("connection_type"),
        &Value::string("SERVICE_ACCOUNT")
    );
    assert_eq!(
        objects_of(&planned).len(),
        4,
        "the objects do not depend on the host"
    );
    // The provider's kubernetes settings unknown in this run: a kubeconfig-based bootstrap
    // plans the server unknown, and nothing fails.
    let unknown_k8s = ProviderData {
        kubernetes: None,
        ..known_provider()
    };
    let config = cfg_value(&[
        ("identifier", "c".into()),
        ("bootstrap", bootstrap_value(&[])),
    ]);
    let (planned, d) = plan(&Value::Null, &config, Some(&unknown_k8s));
    assert!(!d.has_errors(), "{d:?}");
    assert!(planned.attr("server").is_unknown());
}

#[test]
fn argo_project_needs_a_project_scope_at_plan_time() {
    let config = cfg_value(&[
        ("identifier", "c".into()),
        ("server", SERVER.into()),
        ("bearer_token", "t".into()),
        ("argo_project", "ml".into()),
    ]);
    let (_, d) = plan(&Value::Null, &config, Some(&known_provider()));
    assert_eq!(d.0.len(), 1, "{d:?}");
    assert_eq!(d.0[0].path, Some(AttributePath::attr("argo_project")));
}

/// A state as an apply of `config` would leave it.
fn applied(config: &Value) -> Value {
    let (mut s, d) = plan(&Value::Null, config, Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    for (k, v) in [
        ("created_at", "t0"),
        ("updated_at", "t0"),
        ("connection_status", "Successful"),
        ("connection_message", "ok"),
        ("server_version", "1.30"),
    ] {
        s.set_attr(k, v.into());
    }
    if s.attr("server").is_unknown() {
        s.set_attr("server", SERVER.into());
        s.set_attr("name", SERVER.into());
    }
    s.unknowns_to_null()
}

fn full_config() -> Value {
    cfg_value(&[
        ("identifier", "ml_gpu".into()),
        (
            "namespaces",
            Value::Set(vec!["serving".into(), "training".into()]),
        ),
        (
            "labels",
            Value::Map([("team".to_string(), Value::from("ml"))].into()),
        ),
        (
            "annotations",
            Value::Map([("a".to_string(), Value::from("b"))].into()),
        ),
        (
            "tags",
            Value::Map([("env".to_string(), Value::from("prod"))].into()),
        ),
        ("shard", 2.into()),
        ("proxy_url", "http://proxy:3128".into()),
        ("disable_compression", true.into()),
        (
            "bootstrap",
            bootstrap_value(&[
                ("host", "https://10.1.2.3:6443".into()),
                ("token", "admin".into()),
                (
                    "cluster_ca_certificate",
                    "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n".into(),
                ),
                ("service_account", "argo-manager".into()),
                ("namespace", "gitops".into()),
                ("rotate_token", "2025-01".into()),
            ]),
        ),
    ])
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let known = known_provider();
    let unknown = provider(crate::provider::Defaults {
        agent_id: Val::Unknown,
        org_id: Val::Unknown,
        project_id: Val::Unknown,
    });
    let full = full_config();
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &Value::Null,
        &full,
    );
    // Update: a rotation and a label change over an applied state.
    let prior = applied(&full);
    let mut changed = full.clone();
    let mut b = changed.attr("bootstrap").clone();
    b.set_attr("rotate_token", "2025-02".into());
    changed.set_attr("bootstrap", b);
    changed.set_attr(
        "labels",
        Value::Map([("team".to_string(), Value::from("ml-2"))].into()),
    );
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &prior,
        &changed,
    );
    // The plain variants too.
    let plain = cfg_value(&[
        ("identifier", "plain".into()),
        ("server", SERVER.into()),
        ("bearer_token_wo", "t".into()),
        ("bearer_token_wo_version", 1.into()),
        (
            "ca_data",
            "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n".into(),
        ),
        ("server_name", "k8s".into()),
    ]);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &Value::Null,
        &plain,
    );
    let irsa = cfg_value(&[
        ("identifier", "plain".into()),
        ("server", SERVER.into()),
        ("connection_type", "IRSA".into()),
        ("aws_cluster_name", "ml".into()),
        ("aws_role_arn", "arn".into()),
    ]);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known),
        Some(&unknown),
        &applied(&plain),
        &irsa,
    );
}

#[test]
fn no_change_plans_nothing_and_a_missing_object_plans_its_restore() {
    let full = full_config();
    let prior = applied(&full);
    let (planned, d) = plan(&prior, &full, Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(planned, prior, "a second plan is empty");
    // The service account was deleted behind Terraform's back: the refresh dropped it.
    let mut drifted = prior.clone();
    let mut b = drifted.attr("bootstrap").clone();
    let objs: Vec<Value> = b.attr("objects").as_elements().unwrap()[1..].to_vec();
    b.set_attr("objects", Value::Set(objs));
    drifted.set_attr("bootstrap", b);
    let (planned, _) = plan(&drifted, &full, Some(&known_provider()));
    assert_eq!(objects_of(&planned).len(), objects_of(&prior).len());
    assert_ne!(planned, drifted, "the restore is a planned change");
    assert!(
        planned.attr("updated_at").is_unknown(),
        "the token registration changes it"
    );
}

fn model(pairs: &[(&str, Value)]) -> Cluster {
    let (planned, d) = plan(&Value::Null, &cfg_value(pairs), Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    Cluster::from_object(&planned.unknowns_to_null()).unwrap()
}

fn config_json(m: &Cluster, c: &Cluster) -> serde_json::Value {
    serde_json::to_value(to_api(m, c, None).config).unwrap()
}

#[test]
fn only_the_chosen_connection_types_credentials_are_sent() {
    let before = model(&[
        ("identifier", "c".into()),
        ("server", SERVER.into()),
        ("bearer_token", "stale-token".into()),
    ]);
    let sent = config_json(&before, &before);
    assert_eq!(sent["bearerToken"], "stale-token");
    assert_eq!(sent["clusterConnectionType"], "SERVICE_ACCOUNT");
    // The switch to IRSA (issue #1400 of the Go provider): nothing of the token is sent,
    // even when a stale value still sits in the model.
    let mut irsa = model(&[
        ("identifier", "c".into()),
        ("server", SERVER.into()),
        ("connection_type", "IRSA".into()),
        ("aws_cluster_name", "ml-eks".into()),
        ("aws_role_arn", "arn:aws:iam::1:role/argo".into()),
    ]);
    irsa.bearer_token.value = Val::Known("stale-token".into());
    irsa.username = Val::Known("u".into());
    let sent = config_json(&irsa, &irsa);
    let keys: Vec<&String> = sent.as_object().unwrap().keys().collect();
    assert!(
        !keys
            .iter()
            .any(|k| ["bearerToken", "username", "password"].contains(&k.as_str())),
        "{sent}"
    );
    assert_eq!(sent["awsClusterName"], "ml-eks");
    assert_eq!(sent["roleARN"], "arn:aws:iam::1:role/argo");
    assert_eq!(sent["clusterConnectionType"], "IRSA");
    assert_eq!(updated_fields(&before, &irsa, false), vec!["config"]);
}

#[test]
fn write_only_values_win_and_pem_is_sent_base64() {
    let pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
    let planned = model(&[
        ("identifier", "c".into()),
        ("server", SERVER.into()),
        ("tls_client_cert_data_wo", pem.into()),
        (
            "tls_client_cert_key_wo",
            "-----BEGIN EC PRIVATE KEY-----\nk\n-----END EC PRIVATE KEY-----\n".into(),
        ),
        ("ca_data", b64(pem).into()),
    ]);
    let config = cfg(&[
        ("tls_client_cert_data_wo", pem.into()),
        (
            "tls_client_cert_key_wo",
            "-----BEGIN EC PRIVATE KEY-----\nk\n-----END EC PRIVATE KEY-----\n".into(),
        ),
    ]);
    assert!(
        planned.tls_client_cert_data.wo.is_null(),
        "write-only is null in the plan"
    );
    let sent = config_json(&planned, &config);
    assert_eq!(sent["tlsClientConfig"]["certData"], b64(pem));
    assert_eq!(
        sent["tlsClientConfig"]["caData"],
        b64(pem),
        "base64 input is sent as the PEM it holds"
    );
    assert_eq!(sent["clusterConnectionType"], "TLS_CLIENT_CERT");
}

#[test]
fn updated_fields_name_exactly_what_changed() {
    let base = [
        ("identifier", Value::from("c")),
        ("server", SERVER.into()),
        ("bearer_token_wo", "t".into()),
        ("bearer_token_wo_version", 1.into()),
        ("namespaces", Value::Set(vec!["a".into(), "b".into()])),
        (
            "labels",
            Value::Map([("x".to_string(), Value::from("1"))].into()),
        ),
    ];
    let prior = model(&base);
    assert!(updated_fields(&prior, &prior, false).is_empty());
    assert_eq!(
        updated_fields(&prior, &prior, true),
        vec!["config"],
        "a new bootstrap token"
    );
    let with = |k: &str, v: Value| {
        let mut p: Vec<(&str, Value)> = base.iter().filter(|(n, _)| *n != k).cloned().collect();
        p.push((k, v));
        model(&p)
    };
    assert_eq!(
        updated_fields(
            &prior,
            &with("namespaces", Value::Set(vec!["b".into(), "a".into()])),
            false
        ),
        Vec::<String>::new(),
        "a set in another order is the same set"
    );
    assert_eq!(
        updated_fields(
            &prior,
            &with(
                "labels",
                Value::Map([("x".to_string(), Value::from("2"))].into())
            ),
            false
        ),
        vec!["labels"]
    );
    assert_eq!(
        updated_fields(&prior, &with("bearer_token_wo_version", 2.into()), false),
        vec!["config"]
    );
    assert_eq!(
        updated_fields(
            &prior,
            &with(
                "tags",
                Value::Map([("e".to_string(), Value::from("p"))].into())
            ),
            false
        ),
        vec!["tags"]
    );
    let mut flags = prior.clone();
    flags.force_delete = Val::Known(true);
    flags.upsert = Val::Known(true);
    assert!(
        updated_fields(&prior, &flags, false).is_empty(),
        "flags change nothing remote"
    );
    let renamed = with("name", "gpu".into());
    assert_eq!(updated_fields(&prior, &renamed, false), vec!["name"]);
}

fn response(cluster: ApiCluster) -> ClusterResponse {
    ClusterResponse {
        identifier: Some("c".into()),
        cluster: Some(cluster),
        created_at: Some("2025-01-01T00:00:00Z".into()),
        last_modified_at: Some("2025-01-02T00:00:00Z".into()),
        ..Default::default()
    }
}

#[test]
fn from_api_keeps_configured_secrets_and_the_users_forms() {
    let pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
    let prior = model(&[
        ("identifier", "c".into()),
        ("server", format!("{SERVER}/").into()),
        ("bearer_token", "tok".into()),
        ("ca_data", b64(pem).into()),
    ]);
    let api = ApiCluster {
        server: Some(SERVER.into()),
        name: Some(SERVER.into()),
        config: Some(ClusterConfig {
            bearer_token: Some(Secret::new("********")),
            cluster_connection_type: Some("SERVICE_ACCOUNT".into()),
            tls_client_config: Some(TlsClientConfig {
                ca_data: Some(b64(pem)),
                insecure: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }),
        connection_state: Some(ConnectionState {
            status: Some("Successful".into()),
            message: Some("ok".into()),
            ..Default::default()
        }),
        server_version: Some("1.30".into()),
        ..Default::default()
    };
    let s = from_api(&response(api.clone()), &prior);
    assert_eq!(
        s.bearer_token.value,
        Val::Known("tok".into()),
        "the mask never replaces it"
    );
    assert_eq!(s.server, prior.server, "a trailing slash is no drift");
    assert_eq!(
        s.ca_data, prior.ca_data,
        "base64 or PEM of the same CA is no drift"
    );
    assert_eq!(s.connection_status, Val::Known("Successful".into()));
    assert_eq!(s.server_version, Val::Known("1.30".into()));
    // Gone remotely: the secret is null, so the plan sends it again.
    let mut no_token = api;
    if let Some(c) = no_token.config.as_mut() {
        c.bearer_token = None;
    }
    assert!(from_api(&response(no_token), &prior)
        .bearer_token
        .value
        .is_null());
}

#[test]
fn an_imported_cluster_without_a_type_gets_the_one_its_credentials_imply() {
    // Regression: a cluster registered in the Harness UI without `clusterConnectionType`
    // was imported with a null type; the generated configuration (which never holds
    // secrets) then failed validation with "Cannot Tell How To Connect".
    let imported = model(&[("identifier", "c".into())]);
    let with = |config: ClusterConfig, server: &str| ApiCluster {
        server: Some(server.into()),
        config: Some(config),
        ..Default::default()
    };
    let token = ClusterConfig {
        bearer_token: Some(Secret::new("********")),
        ..Default::default()
    };
    let s = from_api(&response(with(token.clone(), SERVER)), &imported);
    assert_eq!(s.connection_type, Val::Known("SERVICE_ACCOUNT".into()));
    let mut d = Diagnostics::new();
    validate_config(&generated_from(&s), &mut d);
    assert!(!d.has_errors(), "{d:?}");
    let basic = ClusterConfig {
        username: Some("admin".into()),
        password: Some(Secret::new("********")),
        ..Default::default()
    };
    assert_eq!(
        from_api(&response(with(basic, SERVER)), &imported).connection_type,
        Val::Known("USERNAME_PASSWORD".into())
    );
    assert_eq!(
        from_api(
            &response(with(ClusterConfig::default(), IN_CLUSTER_SERVER)),
            &imported
        )
        .connection_type,
        Val::Known("IN_CLUSTER".into())
    );
    assert!(
        from_api(&response(with(ClusterConfig::default(), SERVER)), &imported)
            .connection_type
            .is_null()
    );
    // A type in state (configured or derived at create) is kept when the API has none.
    let mut prior = imported.clone();
    prior.connection_type = Val::Known("IRSA".into());
    assert_eq!(
        from_api(&response(with(token, SERVER)), &prior).connection_type,
        Val::Known("IRSA".into())
    );
}

/// What `-generate-config-out` writes for an imported state: its configurable values,
/// secrets left out.
fn generated_from(s: &Cluster) -> Cluster {
    let mut c = s.clone();
    c.bearer_token.value = Val::Null;
    c.password.value = Val::Null;
    c
}

#[test]
fn a_bootstraps_ca_is_not_drift() {
    let prior = model(&[
        ("identifier", "c".into()),
        ("bootstrap", bootstrap_value(&[("host", SERVER.into())])),
    ]);
    let api = ApiCluster {
        server: Some(SERVER.into()),
        config: Some(ClusterConfig {
            bearer_token: Some(Secret::new("********")),
            cluster_connection_type: Some("SERVICE_ACCOUNT".into()),
            tls_client_config: Some(TlsClientConfig {
                ca_data: Some(b64(
                    "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                )),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let s = from_api(&response(api), &prior);
    assert!(s.ca_data.is_null());
    assert!(
        s.bearer_token.value.is_null(),
        "the bootstrap token never reaches state"
    );
    assert_eq!(s.bootstrap, prior.bootstrap);
}

#[test]
fn pem_text_accepts_base64() {
    let pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
    assert_eq!(pem_text(pem), pem);
    assert_eq!(pem_text(&b64(pem)), pem);
    assert_eq!(pem_text("not pem"), "not pem");
    assert!(same_pem(&Value::string(pem), &Value::string(b64(pem))));
}

fn expressions_value(pairs: &[(&str, &str)]) -> Value {
    let mut v = Value::Object(
        SecretExpressions::block()
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect(),
    );
    for (k, x) in pairs {
        v.set_attr(k, Value::from(*x));
    }
    v
}

#[test]
fn secret_expressions_count_as_the_credentials_they_replace() {
    let token = r#"<+secrets.getValue("account.k8s_token")>"#;
    let c = [
        ("server", SERVER.into()),
        (
            "secret_expressions",
            expressions_value(&[("bearer_token", token)]),
        ),
    ];
    assert!(errors(&c).is_empty(), "{:?}", diagnostics(&c));
    let m = model(&c);
    assert_eq!(m.connection_type.as_deref(), Some("SERVICE_ACCOUNT"));
    assert!(
        ts::paths(&diagnostics(&c), tfplugin::tf::Severity::Warning).is_empty(),
        "no 'No Bearer Token' warning: {:?}",
        diagnostics(&c)
    );
    // Sent as `secretExpressions` with the API's keys; nothing secret in `config`.
    assert_eq!(
        expressions_api(&m),
        BTreeMap::from([("bearerToken".to_string(), token.to_string())])
    );
    assert!(config_json(&m, &m).get("bearerToken").is_none());
    // A TLS pair from the secret manager.
    let tls = [
        ("server", SERVER.into()),
        (
            "secret_expressions",
            expressions_value(&[
                ("tls_client_cert_data", "account.cert"),
                ("tls_client_cert_key", "org.key"),
                ("ca_data", "ca"),
            ]),
        ),
    ];
    assert!(errors(&tls).is_empty(), "{:?}", diagnostics(&tls));
    assert_eq!(
        model(&tls).connection_type.as_deref(),
        Some("TLS_CLIENT_CERT")
    );
}

#[test]
fn secret_expressions_are_checked_at_their_paths() {
    let with = |pairs: &[(&str, &str)], extra: &[(&str, Value)]| {
        let mut c = vec![
            ("server", Value::from(SERVER)),
            ("secret_expressions", expressions_value(pairs)),
        ];
        c.extend(extra.iter().cloned());
        errors(&c)
    };
    assert_eq!(
        with(&[("bearer_token", "not a ref!")], &[]),
        vec!["secret_expressions.bearer_token"]
    );
    assert_eq!(
        with(&[("password", "<+secrets.getValue(x)>")], &[]),
        vec!["secret_expressions.password"]
    );
    assert_eq!(
        with(
            &[("bearer_token", "account.t")],
            &[("bearer_token", "lit".into())]
        ),
        vec!["secret_expressions.bearer_token"],
        "the literal and its expression together"
    );
    assert_eq!(
        with(
            &[("password", "account.p")],
            &[("connection_type", "SERVICE_ACCOUNT".into())]
        ),
        vec!["secret_expressions.password"],
        "an expression of another connection type"
    );
    assert_eq!(
        with(&[("tls_client_cert_data", "account.c")], &[]),
        vec!["tls_client_cert_key"],
        "half a TLS pair"
    );
    assert_eq!(
        with(
            &[("bearer_token", "account.t")],
            &[("bootstrap", bootstrap_value(&[]))]
        ),
        vec!["secret_expressions.bearer_token"],
        "a bootstrap brings its own token"
    );
    let unknown = [
        ("server", Value::from(SERVER)),
        ("secret_expressions", Value::unknown()),
    ];
    assert!(errors(&unknown).is_empty(), "{:?}", diagnostics(&unknown));
}

#[test]
fn secret_expressions_changes_are_named_and_kept_when_harness_does_not_return_them() {
    let base = [
        ("identifier", Value::from("c")),
        ("server", SERVER.into()),
        (
            "secret_expressions",
            expressions_value(&[("bearer_token", "account.a")]),
        ),
    ];
    let prior = model(&base);
    assert!(updated_fields(&prior, &prior, false).is_empty());
    let changed = model(&[
        ("identifier", Value::from("c")),
        ("server", SERVER.into()),
        (
            "secret_expressions",
            expressions_value(&[("bearer_token", "account.b")]),
        ),
    ]);
    assert_eq!(
        updated_fields(&prior, &changed, false),
        vec!["secretExpressions"]
    );
    let info = harness_gitops_client::models::ClusterInfo {
        applications_count: Some(Int64(3)),
        ..Default::default()
    };
    let resp = response(ApiCluster {
        server: Some(SERVER.into()),
        info: Some(info),
        ..Default::default()
    });
    let s = from_api(&resp, &prior);
    assert_eq!(s.secret_expressions, prior.secret_expressions);
    assert_eq!(s.applications_count, Val::Known(3));
    // A response that carries them (the SDK's servicev1Cluster) wins.
    let mut resp = resp;
    resp.secret_expressions = Some(BTreeMap::from([(
        "password".to_string(),
        "account.p".to_string(),
    )]));
    let s = from_api(&resp, &prior);
    let e = s.secret_expressions.known().expect("known");
    assert_eq!(e.password.as_deref(), Some("account.p"));
    assert!(e.bearer_token.is_null());
}
