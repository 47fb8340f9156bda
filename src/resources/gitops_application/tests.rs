use super::*;
use crate::resources::test_support::{self as ts, provider};
use harness_gitops_client::models::{
    ApplicationStatus, HealthStatus, OperationState, SyncStatus as ApiSyncStatus,
};
use serde_json::json;
use tfplugin::typed::TfType;

#[allow(dead_code)]
#[path = "../../../tests/e2e/crd.rs"]
mod crd;

fn k(s: &str) -> Val<String> {
    Val::Known(s.to_string())
}

fn strings(v: &[&str]) -> Val<Vec<String>> {
    Val::Known(v.iter().map(|s| s.to_string()).collect())
}

fn smap(v: &[(&str, &str)]) -> Val<BTreeMap<String, String>> {
    Val::Known(
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    )
}

fn git(path: &str) -> Source {
    Source {
        repo_url: k("https://github.com/acme-ml/pipeline-manifests.git"),
        path: k(path),
        target_revision: k("main"),
        ..Default::default()
    }
}

/// A small valid configuration.
fn minimal() -> App {
    App {
        name: k("training"),
        scope: Scope {
            agent_id: k("mlagent"),
            org_id: k("default"),
            project_id: k("mlplatform"),
        },
        repo_id: k("manifests"),
        argo_project: k("default"),
        destination: Val::Known(Destination {
            server: k("https://kubernetes.default.svc"),
            namespace: k("ml"),
            ..Default::default()
        }),
        sources: Val::Known(vec![git("training")]),
        ..Default::default()
    }
}

/// Every field the schema has, set: one source of each kind and every nested object.
fn full() -> App {
    let helm = Source {
        repo_url: k("https://charts.acme-ml.dev/serving"),
        chart: k("model-server"),
        target_revision: k("1.4.2"),
        name: k("server"),
        helm: Val::Known(Helm {
            value_files: strings(&["$values/serving/values-prod.yaml"]),
            values: k("replicas: 2\nimage:\n  tag: v7\n"),
            values_object: k("{\"resources\": {\"limits\": {\"nvidia.com/gpu\": 1}}}"),
            parameters: Val::Known(vec![HelmParam {
                name: k("image.tag"),
                value: k("v7"),
                force_string: Val::Known(true),
            }]),
            file_parameters: Val::Known(vec![HelmFileParam {
                name: k("config"),
                path: k("files/config.json"),
            }]),
            release_name: k("model-server"),
            version: k("v3"),
            skip_crds: Val::Known(true),
            skip_tests: Val::Known(true),
            skip_schema_validation: Val::Known(true),
            pass_credentials: Val::Known(true),
            ignore_missing_value_files: Val::Known(true),
            namespace: k("serving"),
            kube_version: k("1.30"),
            api_versions: strings(&["monitoring.coreos.com/v1"]),
        }),
        ..Default::default()
    };
    let values = Source {
        repo_url: k("https://github.com/acme-ml/pipeline-manifests.git"),
        target_revision: k("main"),
        reference: k("values"),
        ..Default::default()
    };
    let kustomize = Source {
        kustomize: Val::Known(Kustomize {
            name_prefix: k("ml-"),
            name_suffix: k("-v1"),
            images: strings(&["trainer=ghcr.io/acme/trainer:v2"]),
            common_labels: smap(&[("team", "ml")]),
            common_annotations: smap(&[("owner", "ml-platform")]),
            force_common_labels: Val::Known(true),
            force_common_annotations: Val::Known(true),
            label_without_selector: Val::Known(true),
            namespace: k("training"),
            replicas: Val::Known(vec![KustomizeReplicas {
                name: k("trainer"),
                count: k("3"),
            }]),
            patches: Val::Known(vec![KustomizePatchEntry {
                path: k("patches/gpu.yaml"),
                patch: k("- op: add\n  path: /spec/x\n  value: 1\n"),
                target: Val::Known(PatchTarget {
                    group: k("apps"),
                    version: k("v1"),
                    kind: k("Deployment"),
                    name: k("trainer"),
                    namespace: k("training"),
                    label_selector: k("app=trainer"),
                    annotation_selector: k("gpu=true"),
                }),
                options: Val::Known([("allowNameChange".to_string(), true)].into()),
            }]),
            components: strings(&["components/gpu"]),
            version: k("v5"),
            kube_version: k("1.30"),
            api_versions: strings(&["batch/v1"]),
        }),
        ..git("training/overlays/prod")
    };
    let directory = Source {
        directory: Val::Known(Directory {
            recurse: Val::Known(true),
            include: k("*.jsonnet"),
            exclude: k("test/*"),
            jsonnet: Val::Known(Jsonnet {
                ext_vars: Val::Known(vec![JsonnetVariable {
                    name: k("env"),
                    value: k("prod"),
                    code: Val::Known(false),
                }]),
                tlas: Val::Known(vec![JsonnetVariable {
                    name: k("replicas"),
                    value: k("2"),
                    code: Val::Known(true),
                }]),
                libs: strings(&["vendor"]),
            }),
        }),
        ..git("monitoring")
    };
    let plugin = Source {
        plugin: Val::Known(Plugin {
            name: k("argocd-vault-plugin"),
            env: Val::Known(vec![PluginEnv {
                name: k("AVP_TYPE"),
                value: k("vault"),
            }]),
            parameters: Val::Known(vec![
                PluginParam {
                    name: k("mode"),
                    string: k("strict"),
                    ..Default::default()
                },
                PluginParam {
                    name: k("files"),
                    array: strings(&["a.yaml", "b.yaml"]),
                    ..Default::default()
                },
                PluginParam {
                    name: k("vars"),
                    map: smap(&[("region", "eu")]),
                    ..Default::default()
                },
            ]),
        }),
        ..git("secrets")
    };
    App {
        repo_id: Val::Null,
        repo_ids: Val::Known(Set(vec!["manifests".into(), "serving_charts".into()])),
        cluster_id: k("incluster"),
        labels: smap(&[("team", "ml")]),
        annotations: smap(&[("notes", "nightly training")]),
        finalizers: Val::Known(Set(vec![RESOURCES_FINALIZER.into()])),
        sources: Val::Known(vec![helm, values, kustomize, directory, plugin]),
        sync_policy: Val::Known(SyncPolicy {
            automated: Val::Known(Automated {
                prune: Val::Known(true),
                self_heal: Val::Known(true),
                allow_empty: Val::Known(false),
            }),
            sync_options: Val::Known(Set(vec![
                "PruneLast=true".into(),
                "CreateNamespace=true".into(),
            ])),
            retry: Val::Known(Retry {
                limit: Val::Known(5),
                backoff: Val::Known(RetryBackoff {
                    duration: k("5s"),
                    factor: Val::Known(2),
                    max_duration: k("3m"),
                }),
            }),
            managed_namespace_metadata: Val::Known(NamespaceMetadata {
                labels: smap(&[("istio-injection", "enabled")]),
                annotations: smap(&[("owner", "ml")]),
            }),
        }),
        ignore_differences: Val::Known(vec![IgnoreDifference {
            group: k("apps"),
            kind: k("Deployment"),
            name: k("trainer"),
            namespace: k("training"),
            json_pointers: strings(&["/spec/replicas"]),
            jq_path_expressions: strings(&[".spec.template.metadata.annotations"]),
            managed_fields_managers: strings(&["kube-controller-manager"]),
        }]),
        info: Val::Known(vec![InfoEntry {
            name: k("owner"),
            value: k("ml-platform"),
        }]),
        revision_history_limit: Val::Known(5),
        wait: Val::Known(Wait {
            sync: Val::Known(true),
            health: Val::Known(true),
        }),
        ..minimal()
    }
}

/// Every diagnostic validation gives (declared validators, then cross-attribute checks).
fn diagnostics_of(v: &Value) -> Diagnostics {
    ts::diagnostics(&resource(), v)
}

/// The paths of the errors validation gives.
fn errors(app: &App) -> Vec<String> {
    errors_of(&app.to_value())
}

fn errors_of(v: &Value) -> Vec<String> {
    ts::errors(&resource(), v)
}

/// Plans through the framework exactly as the server does.
fn plan(
    prior: &Value,
    config: &Value,
    p: Option<&ProviderData>,
) -> (Value, Vec<AttributePath>, Diagnostics) {
    let mut d = Diagnostics::new();
    let (planned, replace) = tfplugin::server::plan_resource(resource(), p, prior, config, &mut d);
    (planned, replace, d)
}

/// A response carrying `app` as the API stores it, with a status.
fn response(app: ApiApplication) -> ApplicationResponse {
    let mut app = app;
    app.status = Some(ApplicationStatus {
        sync: Some(ApiSyncStatus {
            status: Some("Synced".into()),
            revision: Some("a".repeat(40)),
            ..Default::default()
        }),
        health: Some(HealthStatus {
            status: Some("Healthy".into()),
            ..Default::default()
        }),
        reconciled_at: Some(Time {
            seconds: Some(Int64(1_767_225_600)),
            nanos: None,
        }),
        operation_state: Some(OperationState {
            phase: Some("Succeeded".into()),
            message: Some("successfully synced (all tasks run)".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    ApplicationResponse {
        name: app.metadata.as_ref().and_then(|m| m.name.clone()),
        app: Some(app),
        created_at: Some("2026-01-01T00:00:00Z".into()),
        last_modified_at: Some("2026-01-01T00:00:00Z".into()),
        ..Default::default()
    }
}

/// The API's form of a body: what protobuf-JSON returns (zero values dropped, int64 as
/// strings) after a round trip through JSON.
fn as_stored(app: &ApiApplication) -> ApiApplication {
    serde_json::from_value(serde_json::to_value(app).unwrap()).unwrap()
}

// ---- schema ------------------------------------------------------------------------------

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(App::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
}

#[test]
fn data_source_has_the_spec_and_status_but_no_lifecycle_setting() {
    let ds = data_schema();
    for name in LIFECYCLE {
        assert!(
            ds.block.attribute(name).is_none(),
            "{name} is Terraform's, not the app's"
        );
    }
    for name in [
        "sources",
        "destination",
        "sync_policy",
        "sync_status",
        "health_status",
        "reconciled_at",
    ] {
        assert!(ds.block.attribute(name).is_some(), "{name} missing");
    }
    assert_eq!(
        ds.block.attribute("name").map(|a| a.constraint),
        Some(Constraint::Required)
    );
    assert!(ds.block.blocks.is_empty(), "no timeouts in the data source");
}

// ---- validation --------------------------------------------------------------------------

#[test]
fn valid_configurations_pass() {
    assert_eq!(errors(&minimal()), Vec::<String>::new());
    assert_eq!(errors(&full()), Vec::<String>::new());
}

#[test]
fn argo_project_is_required_and_says_why() {
    let app = App {
        argo_project: Val::Null,
        ..minimal()
    };
    let d = diagnostics_of(&app.to_value());
    assert_eq!(errors(&app), vec!["argo_project"]);
    assert!(d.0[0].detail.contains("Argo CD 2.12"), "{:?}", d.0[0]);
}

#[test]
fn destination_needs_exactly_one_of_server_and_name() {
    let with = |server: Val<String>, name: Val<String>| App {
        destination: Val::Known(Destination {
            server,
            name,
            namespace: k("ml"),
        }),
        ..minimal()
    };
    assert_eq!(
        errors(&with(Val::Null, Val::Null)),
        vec!["destination.server"]
    );
    assert_eq!(
        errors(&with(k("https://k"), k("prod"))),
        vec!["destination.server"]
    );
    assert!(errors(&with(Val::Null, k("prod"))).is_empty());
    assert!(
        errors(&with(Val::Unknown, Val::Null)).is_empty(),
        "unknown is judged later"
    );
}

#[test]
fn sources_need_a_path_or_chart_and_one_kind_of_options() {
    let mut app = minimal();
    app.sources = Val::Known(vec![
        git("ok"),
        Source {
            repo_url: k("https://x"),
            ..Default::default()
        },
    ]);
    app.repo_id = Val::Null;
    app.repo_ids = Val::Known(Set(vec!["manifests".into()]));
    assert_eq!(errors(&app), vec!["sources[1]"]);
    // A `ref` source lends its files to the others: no path needed.
    app.sources = Val::Known(vec![
        git("ok"),
        Source {
            repo_url: k("https://x"),
            reference: k("values"),
            ..Default::default()
        },
    ]);
    assert!(errors(&app).is_empty());
    app.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm::default()),
        kustomize: Val::Known(Kustomize::default()),
        ..git("both")
    }]);
    app.repo_ids = Val::Null;
    app.repo_id = k("manifests");
    let e = errors(&app);
    assert!(e.contains(&"sources[0].helm".to_string()), "{e:?}");
    assert!(e.contains(&"sources[0].kustomize".to_string()), "{e:?}");
    app.sources = Val::Known(vec![]);
    assert_eq!(errors(&app), vec!["sources"], "at least one source");
}

#[test]
fn durations_factor_sync_options_and_values_are_checked_with_their_paths() {
    let mut app = minimal();
    app.sync_policy = Val::Known(SyncPolicy {
        automated: Val::Known(Automated::default()),
        sync_options: Val::Known(Set(vec!["CreateNamespace=yes".into()])),
        retry: Val::Known(Retry {
            limit: Val::Known(-1),
            backoff: Val::Known(RetryBackoff {
                duration: k("5 seconds"),
                factor: Val::Known(0),
                max_duration: k("3m"),
            }),
        }),
        ..Default::default()
    });
    let mut e = errors(&app);
    e.sort();
    assert_eq!(
        e,
        vec![
            "sync_policy.retry.backoff.duration",
            "sync_policy.retry.backoff.factor",
            "sync_policy.sync_options",
        ]
    );
    let negative = App {
        revision_history_limit: Val::Known(-1),
        ..minimal()
    };
    assert_eq!(errors(&negative), vec!["revision_history_limit"]);
    for bad in [
        "Unknown=true",
        "CreateNamespace",
        "PrunePropagationPolicy=sideways",
    ] {
        let mut d = Diagnostics::new();
        sync_option(&Value::string(bad), &AttributePath::attr("x"), &mut d);
        assert!(d.has_errors(), "{bad}");
    }
    for good in [
        "ServerSideApply=true",
        "PrunePropagationPolicy=orphan",
        "Validate=false",
    ] {
        let mut d = Diagnostics::new();
        sync_option(&Value::string(good), &AttributePath::attr("x"), &mut d);
        assert!(!d.has_errors(), "{good}: {d:?}");
    }
    let mut app = minimal();
    app.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm {
            values: k("a: [unclosed"),
            values_object: k("- a list"),
            ..Default::default()
        }),
        ..git("chart")
    }]);
    let mut e = errors(&app);
    e.sort();
    assert_eq!(
        e,
        vec!["sources[0].helm.values", "sources[0].helm.values_object"]
    );
}

#[test]
fn repository_links_and_delete_options_are_checked() {
    let mut app = minimal();
    app.repo_id = Val::Null;
    assert_eq!(errors(&app), vec!["repo_id"], "a repository link is needed");
    app.skip_repo_validation = Val::Known(true);
    assert!(errors(&app).is_empty());
    app.repo_id = k("manifests");
    assert_eq!(errors(&app), vec!["skip_repo_validation"]);
    let mut app = minimal();
    app.repo_ids = Val::Known(Set(vec!["x".into()]));
    assert_eq!(
        errors(&app),
        vec!["repo_id"],
        "repo_id conflicts with repo_ids"
    );
    let mut app = minimal();
    app.sources = Val::Known(vec![git("a"), git("b")]);
    assert_eq!(
        errors(&app),
        vec!["repo_id"],
        "several sources use repo_ids"
    );
    let mut app = minimal();
    app.cascade_delete = Val::Known(false);
    app.propagation_policy = k("foreground");
    assert_eq!(errors(&app), vec!["propagation_policy"]);
    app.propagation_policy = k("sideways");
    assert!(errors(&app).contains(&"propagation_policy".to_string()));
    let app = App {
        name: k("Training_Job"),
        ..minimal()
    };
    assert_eq!(errors(&app), vec!["name"]);
}

#[test]
fn waiting_needs_something_that_syncs() {
    let mut app = minimal();
    app.wait = Val::Known(Wait::default());
    assert_eq!(errors(&app), vec!["wait"], "a manual app would never sync");
    app.sync_on_apply = Val::Known(true);
    assert!(errors(&app).is_empty());
    app.sync_on_apply = Val::Null;
    app.sync_policy = Val::Known(SyncPolicy {
        automated: Val::Known(Automated::default()),
        ..Default::default()
    });
    assert!(errors(&app).is_empty());
    app.sync_on_apply = Val::Known(true);
    let d = diagnostics_of(&app.to_value());
    assert!(!d.has_errors() && d.0.len() == 1, "a warning only: {d:?}");
    app.sync_policy = Val::Unknown;
    app.sync_on_apply = Val::Null;
    assert!(errors(&app).is_empty(), "unknown policy is judged later");
}

#[test]
fn unknown_values_are_accepted_at_validate_time() {
    let mut v = full().to_value();
    for name in [
        "argo_project",
        "destination",
        "sources",
        "sync_policy",
        "repo_id",
        "repo_ids",
        "name",
    ] {
        v.set_attr(name, Value::unknown());
    }
    assert_eq!(errors_of(&v), Vec::<String>::new());
}

// ---- plan --------------------------------------------------------------------------------

fn known_provider() -> ProviderData {
    provider(crate::provider::Defaults {
        agent_id: "mlagent".into(),
        org_id: "default".into(),
        project_id: "mlplatform".into(),
    })
}

#[test]
fn plan_inherits_scope_derives_the_id_and_leaves_status_unknown() {
    let mut config = minimal();
    config.scope = Scope::default();
    let (planned, _, d) = plan(&Value::Null, &config.to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    let p = App::from_object(&planned).unwrap();
    assert_eq!(p.id, k("default/mlplatform/mlagent/training"));
    assert_eq!(p.scope.org_id, k("default"));
    for v in [
        &p.sync_status,
        &p.health_status,
        &p.reconciled_at,
        &p.created_at,
    ] {
        assert!(v.is_unknown());
    }
    assert_eq!(p.cascade_delete, Val::Known(true));
    assert_eq!(p.validate, Val::Known(true));
    assert!(
        p.wait.is_null() && p.sync_policy.is_null(),
        "unset objects stay null"
    );

    // Applications are project-scoped.
    let account = provider(crate::provider::Defaults {
        agent_id: "account.a".into(),
        ..Default::default()
    });
    let (_, _, d) = plan(&Value::Null, &config.to_value(), Some(&account));
    let paths: Vec<String> =
        d.0.iter()
            .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
            .collect();
    assert_eq!(paths, vec!["org_id", "project_id"], "{d:?}");
}

/// A prior state as an apply of `config` leaves it.
fn applied(config: &App) -> Value {
    let (planned, _, d) = plan(&Value::Null, &config.to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    let resp = response(as_stored(&to_api(&App::from_object(&planned).unwrap())));
    let state = from_api(&resp, &App::from_object(&planned).unwrap()).to_value();
    tfplugin::plan::settle(&planned, &state)
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let unknown = provider(crate::provider::Defaults {
        agent_id: Val::Unknown,
        org_id: Val::Unknown,
        project_id: Val::Unknown,
    });
    let config = full().to_value();
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known_provider()),
        Some(&unknown),
        &Value::Null,
        &config,
    );
    // An update of everything configurable at once, over the state of the create.
    let prior = applied(&full());
    let mut changed = full();
    changed.sources = Val::Known(vec![git("training-v2")]);
    changed.repo_ids = Val::Null;
    changed.repo_id = k("manifests");
    changed.labels = smap(&[("team", "ml"), ("tier", "gpu")]);
    changed.wait = Val::Known(Wait {
        sync: Val::Known(true),
        health: Val::Known(false),
    });
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known_provider()),
        Some(&unknown),
        &prior,
        &changed.to_value(),
    );
}

#[test]
fn status_is_unknown_only_when_an_update_is_planned() {
    let prior = applied(&minimal());
    let (planned, _, d) = plan(&prior, &minimal().to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(planned, prior, "no change: the plan is the prior state");
    let mut changed = minimal();
    changed.sources = Val::Known(vec![git("training-v2")]);
    let (planned, replace, _) = plan(&prior, &changed.to_value(), Some(&known_provider()));
    let p = App::from_object(&planned).unwrap();
    assert!(replace.is_empty());
    assert!(
        p.sync_status.is_unknown() && p.reconciled_at.is_unknown() && p.updated_at.is_unknown()
    );
    assert_eq!(
        p.created_at,
        App::from_object(&prior).unwrap().created_at,
        "kept"
    );
    assert_eq!(p.id, k("default/mlplatform/mlagent/training"));
}

#[test]
fn reformatted_helm_values_plan_no_change() {
    let mut config = minimal();
    config.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm {
            values: k("replicas: 2\nimage: {tag: v7}\n"),
            values_object: k("{\"a\": {\"b\": [1, 2]}}"),
            ..Default::default()
        }),
        ..git("chart")
    }]);
    let prior = applied(&config);
    let mut reformatted = config.clone();
    reformatted.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm {
            values: k("# the same values\nimage:\n  tag: v7\nreplicas: 2\n"),
            values_object: k("a:\n  b:\n  - 1\n  - 2\n"),
            ..Default::default()
        }),
        ..git("chart")
    }]);
    let (planned, _, d) = plan(&prior, &reformatted.to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(planned, prior, "reformatting is no change");
    let mut changed = config.clone();
    changed.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm {
            values: k("replicas: 3\nimage: {tag: v7}\n"),
            values_object: k("{\"a\": {\"b\": [1, 2]}}"),
            ..Default::default()
        }),
        ..git("chart")
    }]);
    let (planned, _, _) = plan(&prior, &changed.to_value(), Some(&known_provider()));
    assert_ne!(planned, prior, "a different value is a change");
}

#[test]
fn scope_and_name_changes_replace_the_application() {
    let prior = applied(&minimal());
    for (attr, value) in [
        ("name", "serving"),
        ("agent_id", "otheragent"),
        ("project_id", "other"),
    ] {
        let mut changed = minimal().to_value();
        changed.set_attr(attr, value.into());
        let (_, replace, d) = plan(&prior, &changed, Some(&known_provider()));
        assert!(!d.has_errors(), "{d:?}");
        assert_eq!(replace, vec![AttributePath::attr(attr)], "{attr}");
    }
}

// ---- to_api ------------------------------------------------------------------------------

#[test]
fn one_source_is_spec_source_several_are_spec_sources() {
    let one = serde_json::to_value(to_api(&minimal())).unwrap();
    assert_eq!(one["spec"]["source"]["path"], "training");
    assert!(one["spec"].get("sources").is_none());
    let many = serde_json::to_value(to_api(&full())).unwrap();
    assert!(many["spec"].get("source").is_none());
    assert_eq!(many["spec"]["sources"].as_array().map(Vec::len), Some(5));
    assert_eq!(many["spec"]["sources"][1]["ref"], "values");
}

#[test]
fn nothing_empty_is_sent_but_automated_is() {
    let mut app = minimal();
    app.labels = Val::Known(BTreeMap::new());
    app.sources = Val::Known(vec![Source {
        helm: Val::Known(Helm {
            skip_crds: Val::Known(false),
            ..Default::default()
        }),
        path: k(""),
        ..git("x")
    }]);
    app.sync_policy = Val::Known(SyncPolicy {
        automated: Val::Known(Automated {
            prune: Val::Known(false),
            ..Default::default()
        }),
        retry: Val::Known(Retry::default()),
        ..Default::default()
    });
    let body = serde_json::to_value(to_api(&app)).unwrap();
    assert_eq!(
        body,
        json!({
            "metadata": {"name": "training"},
            "spec": {
                "source": {"repoURL": "https://github.com/acme-ml/pipeline-manifests.git", "targetRevision": "main"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "ml"},
                "project": "default",
                "syncPolicy": {"automated": {}}
            }
        })
    );
}

#[test]
fn document_shapes_where_the_document_and_the_crd_differ() {
    let body = serde_json::to_value(to_api(&full())).unwrap();
    let s = &body["spec"]["sources"];
    assert_eq!(
        s[4]["plugin"]["parameters"][1]["array"],
        json!({"array": ["a.yaml", "b.yaml"]})
    );
    assert_eq!(
        s[4]["plugin"]["parameters"][2]["map"],
        json!({"map": {"region": "eu"}})
    );
    assert_eq!(
        s[2]["kustomize"]["patches"][0]["target"],
        json!({
            "resId": {"gvk": {"group": "apps", "version": "v1", "kind": "Deployment"}, "name": "trainer", "namespace": "training"},
            "annotationSelector": "gpu=true",
            "labelSelector": "app=trainer"
        })
    );
    assert_eq!(
        s[0]["helm"]["valuesObject"],
        json!({"resources": {"limits": {"nvidia.com/gpu": 1}}})
    );
    assert_eq!(
        body["spec"]["revisionHistoryLimit"], "5",
        "int64 as a string"
    );
    assert_eq!(
        body["spec"]["syncPolicy"]["retry"]["backoff"]["factor"],
        "2"
    );
    assert_eq!(
        body["spec"]["syncPolicy"]["syncOptions"],
        json!(["CreateNamespace=true", "PruneLast=true"])
    );
}

#[test]
fn every_body_fits_the_argo_cd_crd() {
    let schema = crd::crd_schema();
    let mut cases = vec![minimal(), full()];
    // Each source alone, as spec.source.
    if let Val::Known(sources) = &full().sources {
        for src in sources.iter().filter(|s| s.reference.is_null()) {
            cases.push(App {
                sources: Val::Known(vec![src.clone()]),
                ..full()
            });
        }
    }
    cases.push(App {
        destination: Val::Known(Destination {
            name: k("in-cluster"),
            ..Default::default()
        }),
        ..minimal()
    });
    for (i, app) in cases.iter().enumerate() {
        let body = serde_json::to_value(to_api(app)).unwrap();
        let v = crd::violations(&schema, &body);
        assert!(v.is_empty(), "case {i}: {v:#?}\n{body:#}");
    }
    // The checker is not blind: a wrong type, an unknown key and a missing required field
    // are each found.
    let mut bad = serde_json::to_value(to_api(&full())).unwrap();
    bad["spec"]["revisionHistoryLimit"] = json!("five");
    bad["spec"]["sources"][0]["helm"]["valueFile"] = json!(["x"]);
    bad["spec"]["info"][0]
        .as_object_mut()
        .unwrap()
        .remove("value");
    let v = crd::violations(&schema, &bad);
    assert_eq!(v.len(), 3, "{v:#?}");
}

// ---- from_api ----------------------------------------------------------------------------

#[test]
fn reading_back_what_was_sent_keeps_the_configuration() {
    for app in [minimal(), full()] {
        let planned = App::from_object(&applied(&app)).unwrap();
        let resp = response(as_stored(&to_api(&planned)));
        let read = from_api(&resp, &planned);
        let mut expected = planned.clone();
        expected.sync_status = k("Synced");
        expected.health_status = k("Healthy");
        expected.synced_revision = k(&"a".repeat(40));
        expected.reconciled_at = k("2026-01-01T00:00:00Z");
        expected.operation_phase = k("Succeeded");
        expected.operation_message = k("successfully synced (all tasks run)");
        assert_eq!(read, expected);
    }
}

#[test]
fn what_the_server_normalises_is_no_change() {
    let mut config = minimal();
    config.destination = Val::Known(Destination {
        server: k("https://kubernetes.default.svc/"),
        namespace: k("ml"),
        ..Default::default()
    });
    config.sources = Val::Known(vec![Source {
        target_revision: Val::Null,
        helm: Val::Known(Helm {
            values: k("a: 1\nb: 2\n"),
            skip_crds: Val::Known(false),
            ..Default::default()
        }),
        ..git("x")
    }]);
    config.sync_policy = Val::Known(SyncPolicy {
        automated: Val::Known(Automated {
            prune: Val::Known(false),
            ..Default::default()
        }),
        sync_options: Val::Known(Set(vec![
            "PruneLast=true".into(),
            "CreateNamespace=true".into(),
        ])),
        ..Default::default()
    });
    config.labels = Val::Known(BTreeMap::new());
    config.finalizers = Val::Known(Set(vec!["b".into(), "a".into()]));
    let prior = App::from_object(&applied(&config)).unwrap();
    // What a server could answer with the same meaning.
    let mut api = to_api(&prior);
    let spec = api.spec.as_mut().unwrap();
    spec.destination = Some(ApplicationDestination {
        server: Some("https://kubernetes.default.svc".into()),
        name: Some("in-cluster".into()),
        namespace: Some("ml".into()),
    });
    let src = spec.source.as_mut().unwrap();
    src.target_revision = Some("HEAD".into());
    src.helm.as_mut().unwrap().values = Some("{\"b\": 2, \"a\": 1}".into());
    let policy = spec.sync_policy.as_mut().unwrap();
    policy.sync_options = Some(vec!["PruneLast=true".into(), "CreateNamespace=true".into()]);
    policy.automated = Some(SyncPolicyAutomated::default());
    spec.project = Some("default".into());
    spec.revision_history_limit = Some(Int64(10));
    api.metadata.as_mut().unwrap().finalizers = Some(vec!["a".into(), "b".into()]);
    api.metadata.as_mut().unwrap().labels = None;
    let read = from_api(&response(api), &prior);
    for (name, a, b) in [
        (
            "destination",
            read.destination.to_value(),
            prior.destination.to_value(),
        ),
        ("sources", read.sources.to_value(), prior.sources.to_value()),
        (
            "sync_policy",
            read.sync_policy.to_value(),
            prior.sync_policy.to_value(),
        ),
        ("labels", read.labels.to_value(), prior.labels.to_value()),
        (
            "finalizers",
            read.finalizers.to_value(),
            prior.finalizers.to_value(),
        ),
        (
            "revision_history_limit",
            read.revision_history_limit.to_value(),
            prior.revision_history_limit.to_value(),
        ),
    ] {
        assert_eq!(a, b, "{name} kept in the user's form");
    }
}

#[test]
fn real_changes_behind_terraforms_back_are_read() {
    let prior = App::from_object(&applied(&full())).unwrap();
    let mut api = to_api(&prior);
    let spec = api.spec.as_mut().unwrap();
    spec.sources.as_mut().unwrap()[2].path = Some("hand-edited".into());
    spec.sync_policy.as_mut().unwrap().automated = None;
    spec.destination.as_mut().unwrap().namespace = Some("elsewhere".into());
    api.metadata.as_mut().unwrap().labels = None;
    let read = from_api(&response(api), &prior);
    let sources = read.sources.known().unwrap();
    assert_eq!(sources[2].path, k("hand-edited"));
    assert_eq!(
        sources[0],
        prior.sources.known().unwrap()[0],
        "untouched sources keep their form"
    );
    assert!(read.sync_policy.known().unwrap().automated.is_null());
    assert_eq!(read.destination.known().unwrap().namespace, k("elsewhere"));
    assert!(read.labels.is_null());
}

#[test]
fn an_import_reads_a_configuration_that_sends_the_same_application() {
    let created = App::from_object(&applied(&full())).unwrap();
    let mut resp = response(as_stored(&to_api(&created)));
    resp.repo_identifiers = Some(vec!["manifests".into(), "serving_charts".into()]);
    resp.cluster_identifier = Some("incluster".into());
    let stub = App {
        name: k("training"),
        scope: created.scope.clone(),
        ..Default::default()
    };
    let imported = state_of(&resp, &stub, true);
    assert_eq!(imported.id, k("default/mlplatform/mlagent/training"));
    assert!(!spec_changed(&imported, &created));
    assert_eq!(to_api(&imported).metadata, to_api(&created).metadata);
    // The imported state validates as a configuration (what -generate-config-out writes),
    // and its lifecycle settings are the defaults.
    assert_eq!(imported.argo_project, k("default"));
    assert_eq!(imported.repo_ids, created.repo_ids);
    assert_eq!(imported.cluster_id, k("incluster"));
    assert_eq!(errors(&imported), Vec::<String>::new());
    assert_eq!(imported.cascade_delete, Val::Known(true));
    assert_eq!(imported.validate, Val::Known(true));
    assert!(imported.wait.is_null());
    // Booleans that are false read as null: the state stays compact.
    let dir = imported.sources.known().unwrap()[3]
        .directory
        .known()
        .unwrap()
        .clone();
    assert!(dir.jsonnet.known().unwrap().ext_vars.known().unwrap()[0]
        .code
        .is_null());
}

#[test]
fn links_the_configuration_leaves_unset_are_not_read_back() {
    // Harness keeps a link an update does not send: after switching from `repo_id` to
    // `skip_repo_validation`, the response still names the repository. Reading it back
    // would plan the same change forever.
    let config = App {
        repo_id: Val::Null,
        skip_repo_validation: Val::Known(true),
        ..minimal()
    };
    let prior = App::from_object(&applied(&config)).unwrap();
    let mut resp = response(as_stored(&to_api(&prior)));
    resp.repo_identifier = Some("manifests".into());
    resp.cluster_identifier = Some("incluster".into());
    resp.skip_repo_validation = None;
    let read = from_api(&resp, &prior);
    assert!(read.repo_id.is_null() && read.cluster_id.is_null());
    assert_eq!(read.skip_repo_validation, Val::Known(true));
    // A managed link that changed behind Terraform's back is read.
    let prior = App::from_object(&applied(&minimal())).unwrap();
    let mut resp = response(as_stored(&to_api(&prior)));
    resp.repo_identifier = Some("other".into());
    assert_eq!(from_api(&resp, &prior).repo_id, k("other"));
}

#[test]
fn absent_parts_of_a_response_keep_their_prior_value() {
    let prior = App::from_object(&applied(&minimal())).unwrap();
    let mut resp = response(as_stored(&to_api(&prior)));
    resp.app.as_mut().unwrap().spec = None;
    resp.app.as_mut().unwrap().metadata = None;
    let read = from_api(&resp, &prior);
    assert_eq!(read.sources, prior.sources);
    assert_eq!(read.destination, prior.destination);
    assert_eq!(read.argo_project, prior.argo_project);
    assert_eq!(
        read.repo_id, prior.repo_id,
        "the link is not in the response: kept"
    );
}

#[test]
fn status_attributes_come_from_the_status() {
    let prior = App::from_object(&applied(&minimal())).unwrap();
    let mut resp = response(as_stored(&to_api(&prior)));
    let st = resp.app.as_mut().unwrap().status.as_mut().unwrap();
    st.sync.as_mut().unwrap().revisions = Some(vec!["r1".into(), "r2".into()]);
    st.reconciled_at = Some(Time {
        seconds: Some(Int64(1_700_000_000)),
        nanos: Some(5),
    });
    let read = from_api(&resp, &prior);
    assert_eq!(read.synced_revision, k("r1,r2"));
    assert_eq!(read.reconciled_at, k("2023-11-14T22:13:20.000000005Z"));
    assert_eq!(read.created_at, k("2026-01-01T00:00:00Z"));
}

// ---- waiting -----------------------------------------------------------------------------

fn observed(
    sync: &str,
    health: &str,
    phase: Option<&str>,
    reconciled: i64,
    started: Option<i64>,
) -> Observed {
    Observed {
        sync: Some(sync.into()),
        health: Some(health.into()),
        phase: phase.map(str::to_string),
        message: Some("one or more objects failed to apply".into()),
        reconciled_at: Some((reconciled, 0)),
        compared_to: json!({"source": {"path": "before"}}),
        operation_started_at: started.map(|s| (s, 0)),
    }
}

#[test]
fn the_wait_after_create_needs_synced_healthy_and_no_running_operation() {
    let both = Wait {
        sync: Val::Known(true),
        health: Val::Known(true),
    };
    assert_eq!(
        judge(
            &observed("Synced", "Healthy", Some("Succeeded"), 10, Some(9)),
            &both,
            None
        ),
        Ok(true)
    );
    assert_eq!(
        judge(
            &observed("OutOfSync", "Progressing", Some("Running"), 10, Some(9)),
            &both,
            None
        ),
        Ok(false)
    );
    assert_eq!(
        judge(
            &observed("Synced", "Progressing", None, 10, None),
            &both,
            None
        ),
        Ok(false)
    );
    let sync_only = Wait {
        sync: Val::Known(true),
        health: Val::Known(false),
    };
    assert_eq!(
        judge(
            &observed("Synced", "Degraded", Some("Succeeded"), 10, Some(9)),
            &sync_only,
            None
        ),
        Ok(true)
    );
    assert_eq!(
        judge(
            &observed("OutOfSync", "Degraded", Some("Failed"), 10, Some(9)),
            &both,
            None
        ),
        Err("one or more objects failed to apply".into()),
        "a failed sync fails at once"
    );
    assert!(judge(
        &observed("OutOfSync", "Degraded", Some("Error"), 10, Some(9)),
        &both,
        None
    )
    .is_err());
}

#[test]
fn the_wait_after_an_update_needs_a_newer_reconcile_and_ignores_the_old_operation() {
    let both = Wait {
        sync: Val::Known(true),
        health: Val::Known(true),
    };
    let before = Baseline {
        reconciled_at: Some((100, 0)),
        compared_to: json!({"source": {"path": "before"}}),
        operation_started_at: Some((90, 0)),
    };
    // Still the reconcile of before the update: an old Synced is not this change's.
    assert_eq!(
        judge(
            &observed("Synced", "Healthy", Some("Succeeded"), 100, Some(90)),
            &both,
            Some(&before)
        ),
        Ok(false)
    );
    assert_eq!(
        judge(
            &observed("Synced", "Healthy", Some("Succeeded"), 104, Some(101)),
            &both,
            Some(&before)
        ),
        Ok(true)
    );
    // The failed operation of before the update is not this change's failure.
    assert_eq!(
        judge(
            &observed("OutOfSync", "Degraded", Some("Failed"), 100, Some(90)),
            &both,
            Some(&before)
        ),
        Ok(false)
    );
    assert!(judge(
        &observed("OutOfSync", "Degraded", Some("Failed"), 104, Some(101)),
        &both,
        Some(&before)
    )
    .is_err());
    // A reconcile within the same second as the one before (reconciledAt has whole seconds):
    // it compared against the changed spec, so it is this change's.
    let mut same_second = observed("Synced", "Healthy", Some("Failed"), 100, Some(90));
    assert_eq!(judge(&same_second, &both, Some(&before)), Ok(false));
    same_second.compared_to = json!({"source": {"path": "after"}});
    assert_eq!(judge(&same_second, &both, Some(&before)), Ok(true));
}

#[test]
fn the_update_only_waits_when_the_spec_changes() {
    let a = full();
    let mut b = full();
    b.labels = smap(&[("other", "label")]);
    b.wait = Val::Null;
    b.upsert = Val::Known(true);
    assert!(
        !spec_changed(&a, &b),
        "labels and lifecycle settings are not the spec"
    );
    b.revision_history_limit = Val::Known(6);
    assert!(spec_changed(&a, &b));
}

#[test]
fn configuration_that_means_the_prior_state_plans_no_change() {
    let mut config = minimal();
    config.argo_project = k("default");
    config.sources = Val::Known(vec![Source {
        target_revision: k("HEAD"),
        ..git("x")
    }]);
    config.destination = Val::Known(Destination {
        server: k("https://kubernetes.default.svc"),
        namespace: k("ml"),
        ..Default::default()
    });
    let prior = applied(&config);
    // The same by the declarations: trailing slashes, `""` for `default` and for `HEAD`.
    config.argo_project = k("");
    config.sources = Val::Known(vec![Source {
        repo_url: k("https://github.com/acme-ml/pipeline-manifests.git/"),
        target_revision: k(""),
        ..git("x")
    }]);
    config.destination = Val::Known(Destination {
        server: k("https://kubernetes.default.svc/"),
        namespace: k("ml"),
        ..Default::default()
    });
    let (planned, replace, d) = plan(&prior, &config.to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    assert!(replace.is_empty());
    assert_eq!(planned, prior, "no diff");
    // A real change is one.
    config.argo_project = k("other");
    let (planned, _, _) = plan(&prior, &config.to_value(), Some(&known_provider()));
    assert_eq!(planned.attr("argo_project"), &Value::string("other"));
}

#[test]
fn a_read_that_spells_the_project_differently_keeps_the_prior_form() {
    let mut config = minimal();
    config.argo_project = k("");
    let prior = App::from_object(&applied(&config)).unwrap();
    assert_eq!(prior.argo_project, k(""));
    for answer in [Some("default"), Some(""), None] {
        let mut api = to_api(&prior);
        api.spec.as_mut().unwrap().project = answer.map(String::from);
        let read = from_api(&response(api), &prior);
        assert_eq!(read.argo_project, k(""), "{answer:?}");
    }
    let mut api = to_api(&prior);
    api.spec.as_mut().unwrap().project = Some("moved".into());
    assert_eq!(from_api(&response(api), &prior).argo_project, k("moved"));
}

// ---- status in depth and the application's namespace --------------------------------------

#[test]
fn status_in_depth_is_read_from_the_api() {
    use harness_gitops_client::models::{
        ApplicationCondition, ApplicationSummary, ObjectMeta, ResourceStatus,
    };
    let mut api = as_stored(&to_api(&minimal()));
    api.metadata = Some(ObjectMeta {
        namespace: Some("team-a".into()),
        ..api.metadata.unwrap_or_default()
    });
    let mut resp = response(api);
    let status = resp.app.as_mut().unwrap().status.as_mut().unwrap();
    status.conditions = Some(vec![ApplicationCondition {
        condition_type: Some("SyncError".into()),
        message: Some("boom".into()),
        last_transition_time: Some(Time {
            seconds: Some(Int64(1_767_225_600)),
            nanos: None,
        }),
        ..Default::default()
    }]);
    status.resources = Some(vec![ResourceStatus {
        group: Some("apps".into()),
        version: Some("v1".into()),
        kind: Some("Deployment".into()),
        namespace: Some("ml".into()),
        name: Some("training".into()),
        status: Some("Synced".into()),
        health: Some(HealthStatus {
            status: Some("Healthy".into()),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    status.summary = Some(ApplicationSummary {
        images: Some(vec!["nginx:1.27".into()]),
        external_urls: Some(vec!["https://training.example.com".into()]),
    });
    let op = status.operation_state.as_mut().unwrap();
    op.started_at = Some(Time {
        seconds: Some(Int64(1_767_225_600)),
        nanos: None,
    });
    op.finished_at_ts = Some("2026-01-01T00:00:10Z".into());
    op.retry_count = Some(Int64(2));
    let s = from_api(&resp, &minimal());
    assert_eq!(s.app_namespace, k("team-a"));
    let c = &s.conditions.known().unwrap()[0];
    assert_eq!(c.r#type, k("SyncError"));
    assert_eq!(c.message, k("boom"));
    assert_eq!(c.last_transition_time, k("2026-01-01T00:00:00Z"));
    let r = &s.resources.known().unwrap()[0];
    assert_eq!(
        (
            &r.group,
            &r.kind,
            &r.namespace,
            &r.name,
            &r.sync_status,
            &r.health_status
        ),
        (
            &k("apps"),
            &k("Deployment"),
            &k("ml"),
            &k("training"),
            &k("Synced"),
            &k("Healthy")
        )
    );
    assert_eq!(s.images, strings(&["nginx:1.27"]));
    assert_eq!(s.external_urls, strings(&["https://training.example.com"]));
    assert_eq!(s.operation_started_at, k("2026-01-01T00:00:00Z"));
    assert_eq!(s.operation_finished_at, k("2026-01-01T00:00:10Z"));
    assert_eq!(s.operation_retry_count, Val::Known(2));
    // No status: empty lists, no operation.
    let mut bare = response(as_stored(&to_api(&minimal())));
    bare.app.as_mut().unwrap().status = None;
    let s = from_api(&bare, &minimal());
    assert_eq!(s.resources, Val::Known(vec![]));
    assert!(s.operation_started_at.is_null() && s.operation_retry_count.is_null());
}

#[test]
fn deep_status_plans_no_change_unless_an_update_is_planned() {
    let prior = applied(&minimal());
    let p = App::from_object(&prior).unwrap();
    assert!(p.resources.is_known() && p.conditions.is_known() && p.images.is_known());
    let (planned, _, d) = plan(&prior, &minimal().to_value(), Some(&known_provider()));
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(planned, prior, "no change: the plan is the prior state");
    let mut changed = minimal();
    changed.sources = Val::Known(vec![git("training-v2")]);
    let (planned, _, _) = plan(&prior, &changed.to_value(), Some(&known_provider()));
    let p = App::from_object(&planned).unwrap();
    assert!(
        p.resources.is_unknown()
            && p.conditions.is_unknown()
            && p.images.is_unknown()
            && p.external_urls.is_unknown()
            && p.operation_started_at.is_unknown()
            && p.operation_retry_count.is_unknown()
    );
    assert!(
        !p.app_namespace.is_unknown(),
        "the namespace is kept: {:?}",
        p.app_namespace
    );
}

#[test]
fn app_namespace_is_sent_and_its_change_replaces() {
    let mut m = minimal();
    m.app_namespace = k("team-a");
    let body = serde_json::to_value(to_api(&m)).unwrap();
    assert_eq!(body["metadata"]["namespace"], "team-a");
    let prior = applied(&m);
    let mut changed = m.to_value();
    changed.set_attr("app_namespace", "team-b".into());
    let (_, replace, d) = plan(&prior, &changed, Some(&known_provider()));
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(replace, vec![AttributePath::attr("app_namespace")]);
    // Unset in configuration: the namespace Argo CD chose is kept, no replacement.
    let (_, replace, _) = plan(&prior, &minimal().to_value(), Some(&known_provider()));
    assert!(replace.is_empty());
    let mut bad = minimal();
    bad.app_namespace = k("Team_A");
    assert_eq!(errors(&bad), vec!["app_namespace"]);
}

#[test]
fn the_project_check_waits_for_every_input_it_decides_on() {
    let app = minimal();
    let inputs = project_inputs(&app).expect("all known");
    assert_eq!(inputs.project, "default");
    assert_eq!(
        inputs.repos,
        vec![(
            0,
            "https://github.com/acme-ml/pipeline-manifests.git".into()
        )]
    );
    assert_eq!(
        inputs.server.as_deref(),
        Some("https://kubernetes.default.svc")
    );
    assert_eq!(inputs.namespace, "ml");
    // Any unknown part (a value from a resource not applied yet) skips the check.
    let mut a = minimal();
    a.argo_project = Val::Unknown;
    assert_eq!(project_inputs(&a), None);
    let mut a = minimal();
    a.sources = Val::Known(vec![Source {
        repo_url: Val::Unknown,
        ..git("training")
    }]);
    assert_eq!(project_inputs(&a), None);
    let mut a = minimal();
    a.scope.agent_id = Val::Unknown;
    assert_eq!(project_inputs(&a), None);
    let mut a = minimal();
    a.destination = Val::Known(Destination {
        server: Val::Unknown,
        namespace: k("ml"),
        ..Default::default()
    });
    assert_eq!(project_inputs(&a), None);
    // A destination by cluster name has no server to match at plan time.
    let mut a = minimal();
    a.destination = Val::Known(Destination {
        name: k("in-cluster"),
        namespace: k("ml"),
        ..Default::default()
    });
    assert_eq!(project_inputs(&a).and_then(|i| i.server), None);
    // An empty project is Argo CD's default one.
    let mut a = minimal();
    a.argo_project = k("");
    assert_eq!(
        project_inputs(&a).map(|i| i.project).as_deref(),
        Some("default")
    );
}
