use super::*;
use crate::resources::gitops_application::Automated;
use crate::resources::test_support::{self as ts, provider};
use tfplugin::tf::Severity;
use tfplugin::typed::TfType;

fn k(s: &str) -> Val<String> {
    Val::Known(s.to_string())
}

fn smap(v: &[(&str, &str)]) -> Val<BTreeMap<String, String>> {
    Val::Known(
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    )
}

fn set(v: &[&str]) -> Val<Set<String>> {
    Val::Known(Set(v.iter().map(|s| s.to_string()).collect()))
}

const MANIFESTS: &str = "https://github.com/acme-ml/pipeline-manifests.git";

pub(super) fn template() -> Template {
    Template {
        name: k("{{model}}-training"),
        argo_project: k("default"),
        destination: Val::Known(Destination {
            server: k("https://kubernetes.default.svc"),
            namespace: k("ml-{{model}}"),
            ..Default::default()
        }),
        sources: Val::Known(vec![Source {
            repo_url: k(MANIFESTS),
            path: k("training/{{model}}"),
            target_revision: k("main"),
            ..Default::default()
        }]),
        sync_policy: Val::Known(SyncPolicy {
            automated: Val::Known(Automated::default()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn list_of(models: &[&str]) -> Leaves {
    Leaves {
        list: Val::Known(ListGenerator {
            elements: Val::Known(
                models
                    .iter()
                    .map(|m| [("model".to_string(), m.to_string())].into())
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn clusters() -> Leaves {
    Leaves {
        clusters: Val::Known(ClustersGenerator {
            selector: Val::Known(LabelSelector {
                match_labels: smap(&[("gpu", "true")]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn top(l: Leaves) -> Generator {
    Generator {
        leaves: l,
        ..Default::default()
    }
}

fn nested(l: Leaves) -> NestedGenerator {
    NestedGenerator {
        leaves: l,
        ..Default::default()
    }
}

/// A small valid configuration: a list of models.
pub(super) fn minimal() -> AppSet {
    AppSet {
        name: k("training"),
        scope: Scope {
            agent_id: k("mlagent"),
            org_id: k("default"),
            project_id: k("mlplatform"),
        },
        generators: Val::Known(vec![top(list_of(&["bert", "gpt"]))]),
        template: Val::Known(template()),
        ..Default::default()
    }
}

/// A matrix of clusters by models.
pub(super) fn matrix() -> AppSet {
    AppSet {
        generators: Val::Known(vec![Generator {
            matrix: Val::Known(Matrix {
                generators: Val::Known(vec![nested(clusters()), nested(list_of(&["bert"]))]),
            }),
            ..Default::default()
        }]),
        ..minimal()
    }
}

fn errors(m: &AppSet) -> Vec<String> {
    ts::errors(&resource(), &m.to_value())
}

fn warnings(m: &AppSet) -> Vec<String> {
    ts::paths(
        &ts::diagnostics(&resource(), &m.to_value()),
        Severity::Warning,
    )
}

#[test]
fn schema_follows_terraform_rules_and_is_described() {
    assert_eq!(AppSet::schema().validate(true), Vec::<String>::new());
    assert_eq!(data_schema().validate(false), Vec::<String>::new());
    let ds = data_schema();
    for name in LIFECYCLE {
        assert!(ds.block.attribute(name).is_none(), "{name}");
    }
    assert_eq!(
        ds.block.attribute("name").map(|a| a.constraint),
        Some(Constraint::Required)
    );
}

#[test]
fn the_template_has_the_applications_attribute_names() {
    let app = App::schema();
    let t = AppSet::schema();
    let template = t.block.attribute(AppSet::TEMPLATE).unwrap();
    let (_, attrs) = template.nested_attributes().unwrap();
    for a in attrs {
        let theirs = app
            .block
            .attribute(&a.name)
            .unwrap_or_else(|| panic!("{} is not an application attribute", a.name));
        assert_eq!(
            format!("{:?}", a.kind),
            format!("{:?}", theirs.kind),
            "{} has the application's type",
            a.name
        );
    }
}

#[test]
fn valid_configurations_pass() {
    assert_eq!(errors(&minimal()), Vec::<String>::new());
    assert_eq!(errors(&matrix()), Vec::<String>::new());
    assert_eq!(warnings(&matrix()), Vec::<String>::new());
}

#[test]
fn each_generator_entry_is_exactly_one_kind() {
    let mut m = minimal();
    let mut both = list_of(&["a"]);
    both.clusters = Val::Known(ClustersGenerator::default());
    m.generators = Val::Known(vec![top(list_of(&["a"])), top(both), Generator::default()]);
    assert_eq!(errors(&m), vec!["generators[1]", "generators[2]"]);

    // Inside a matrix too, and a selector alone is no generator.
    let mut m = matrix();
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    let Val::Known(mx) = &mut g[0].matrix else {
        unreachable!()
    };
    mx.generators = Val::Known(vec![
        nested(clusters()),
        nested(Leaves {
            selector: Val::Known(LabelSelector::default()),
            ..Default::default()
        }),
    ]);
    assert_eq!(errors(&m), vec!["generators[0].matrix.generators[1]"]);
}

#[test]
fn a_matrix_has_two_generators_and_nests_once() {
    let mut m = matrix();
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    let Val::Known(mx) = &mut g[0].matrix else {
        unreachable!()
    };
    // A matrix of (a merge of two lists) and clusters: one level of nesting is fine.
    mx.generators = Val::Known(vec![
        NestedGenerator {
            merge: Val::Known(NestedMerge {
                merge_keys: set(&["model"]),
                generators: Val::Known(vec![list_of(&["a"]), list_of(&["a"])]),
            }),
            ..Default::default()
        },
        nested(clusters()),
    ]);
    assert_eq!(errors(&m), Vec::<String>::new());
    // Three generators in a matrix.
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    let Val::Known(mx) = &mut g[0].matrix else {
        unreachable!()
    };
    let Val::Known(children) = &mut mx.generators else {
        unreachable!()
    };
    children.push(nested(list_of(&["c"])));
    assert_eq!(errors(&m), vec!["generators[0].matrix.generators"]);
    // A second level of nesting is not in the schema: Terraform refuses it by path.
    let schema = AppSet::schema();
    let gens = schema.block.attribute(AppSet::GENERATORS).unwrap();
    let (_, top_attrs) = gens.nested_attributes().unwrap();
    let matrix = top_attrs.iter().find(|a| a.name == "matrix").unwrap();
    let (_, m_attrs) = matrix.nested_attributes().unwrap();
    let children = m_attrs.iter().find(|a| a.name == "generators").unwrap();
    let (_, c_attrs) = children.nested_attributes().unwrap();
    let inner = c_attrs.iter().find(|a| a.name == "matrix").unwrap();
    let (_, i_attrs) = inner.nested_attributes().unwrap();
    let leaves = i_attrs.iter().find(|a| a.name == "generators").unwrap();
    let (_, l_attrs) = leaves.nested_attributes().unwrap();
    assert!(l_attrs
        .iter()
        .all(|a| a.name != "matrix" && a.name != "merge"));
    assert!(l_attrs.iter().any(|a| a.name == "list"));
}

#[test]
fn the_template_needs_what_every_application_needs() {
    let mut m = minimal();
    m.template = Val::Known(Template {
        name: k("{{model}}"),
        ..Default::default()
    });
    assert_eq!(
        errors(&m),
        vec![
            "template.argo_project",
            "template.destination",
            "template.sources"
        ]
    );
    // A generator's template is an override: partial is fine.
    let mut m = minimal();
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    g[0].template = Val::Known(Template {
        labels: smap(&[("tier", "gpu")]),
        ..Default::default()
    });
    assert_eq!(errors(&m), Vec::<String>::new());
    // ... but what it sets follows the application's rules, at the generator's path.
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    g[0].template = Val::Known(Template {
        sources: Val::Known(vec![Default::default()]),
        ..Default::default()
    });
    assert_eq!(errors(&m), vec!["generators[0].template.sources[0]"]);
}

#[test]
fn template_values_with_parameters_wait_for_argo_cd() {
    let with = |name: &str, values: Option<&str>| {
        let mut t = template();
        t.name = k(name);
        if let (Some(v), Val::Known(sources)) = (values, &mut t.sources) {
            sources[0].helm = Val::Known(crate::resources::gitops_application::Helm {
                values: k(v),
                ..Default::default()
            });
        }
        AppSet {
            template: Val::Known(t),
            ..minimal()
        }
    };
    assert_eq!(
        errors(&with("{{model}}-Training", None)),
        Vec::<String>::new(),
        "a template of a name"
    );
    assert_eq!(
        errors(&with("Training", None)),
        vec!["template.name"],
        "a name that is not one"
    );
    assert_eq!(
        errors(&with("{{model}}", Some("replicas: {{ .replicas }}\n"))),
        Vec::<String>::new(),
        "templated Helm values"
    );
    assert_eq!(
        errors(&with("{{model}}", Some("a: [\n"))),
        vec!["template.sources[0].helm.values"]
    );
}

#[test]
fn git_needs_directories_or_files_and_providers_one_kind() {
    let git = |dirs: bool, files: bool| Leaves {
        git: Val::Known(GitGenerator {
            repo_url: k(MANIFESTS),
            revision: k("HEAD"),
            directories: if dirs {
                Val::Known(Set(vec![GitDirectory {
                    path: k("models/*"),
                    exclude: Val::Null,
                }]))
            } else {
                Val::Null
            },
            files: if files {
                Val::Known(Set(vec![GitFile {
                    path: k("models/*/config.json"),
                }]))
            } else {
                Val::Null
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut m = minimal();
    m.generators = Val::Known(vec![
        top(git(true, false)),
        top(git(false, true)),
        top(git(true, true)),
        top(git(false, false)),
    ]);
    assert_eq!(errors(&m), vec!["generators[2].git", "generators[3].git"]);

    let mut m = minimal();
    m.generators = Val::Known(vec![
        top(Leaves {
            scm_provider: Val::Known(ScmProviderGenerator::default()),
            ..Default::default()
        }),
        top(Leaves {
            pull_request: Val::Known(PullRequestGenerator {
                github: Val::Known(PrGithub {
                    owner: k("acme-ml"),
                    repo: k("models"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    ]);
    assert_eq!(errors(&m), vec!["generators[0].scm_provider"]);
}

#[test]
fn go_template_settings_strategy_and_wait_are_checked() {
    let mut m = minimal();
    m.template_patch = k("spec: {}");
    m.go_template_options = set(&["missingkey=error"]);
    assert_eq!(errors(&m), vec!["template_patch", "go_template_options"]);
    m.go_template = Val::Known(true);
    assert_eq!(errors(&m), Vec::<String>::new());

    let mut m = minimal();
    m.strategy = Val::Known(Strategy {
        r#type: k("RollingSync"),
        rolling_sync: Val::Null,
    });
    assert_eq!(errors(&m), vec!["strategy.rolling_sync"]);
    m.strategy = Val::Known(Strategy {
        r#type: k("RollingSync"),
        rolling_sync: Val::Known(RollingSync {
            steps: Val::Known(vec![RollingStep {
                match_expressions: Val::Known(Set(vec![StepExpression {
                    key: k("env"),
                    operator: k("In"),
                    values: set(&["staging"]),
                }])),
                max_update: k("25%"),
            }]),
        }),
    });
    assert_eq!(errors(&m), Vec::<String>::new());
    let Val::Known(s) = &mut m.strategy else {
        unreachable!()
    };
    let Val::Known(r) = &mut s.rolling_sync else {
        unreachable!()
    };
    let Val::Known(steps) = &mut r.steps else {
        unreachable!()
    };
    steps[0].max_update = k("lots");
    assert_eq!(
        errors(&m),
        vec!["strategy.rolling_sync.steps[0].max_update"]
    );

    // Waiting needs applications that sync.
    let mut m = minimal();
    m.wait = Val::Known(Wait::default());
    assert_eq!(errors(&m), Vec::<String>::new());
    let Val::Known(t) = &mut m.template else {
        unreachable!()
    };
    t.sync_policy = Val::Null;
    assert_eq!(errors(&m), vec!["wait"]);
    // A generator's template override may give the applications their sync policy.
    let Val::Known(g) = &mut m.generators else {
        unreachable!()
    };
    g[0].template = Val::Known(Template {
        sync_policy: template().sync_policy,
        ..Default::default()
    });
    assert_eq!(errors(&m), Vec::<String>::new());
}

#[test]
fn list_elements_yaml_and_plugin_input_are_checked() {
    let mut m = minimal();
    m.generators = Val::Known(vec![
        top(Leaves {
            list: Val::Known(ListGenerator {
                elements_yaml: k("- model: bert\n  gpu: {count: 2}\n"),
                ..Default::default()
            }),
            ..Default::default()
        }),
        top(Leaves {
            list: Val::Known(ListGenerator {
                elements_yaml: k("model: bert"),
                ..Default::default()
            }),
            ..Default::default()
        }),
        top(Leaves {
            plugin: Val::Known(PluginGenerator {
                config_map_ref: k("models-plugin"),
                input_parameters: k("[1]"),
                ..Default::default()
            }),
            ..Default::default()
        }),
    ]);
    assert_eq!(
        errors(&m),
        vec![
            "generators[1].list.elements_yaml",
            "generators[2].plugin.input_parameters"
        ]
    );
}

#[test]
fn unknown_values_are_accepted_at_validate_time() {
    let mut v = minimal().to_value();
    v.set_attr(AppSet::TEMPLATE, Value::Unknown(Default::default()));
    v.set_attr(AppSet::GENERATORS, Value::Unknown(Default::default()));
    assert_eq!(ts::errors(&resource(), &v), Vec::<String>::new());
}

fn known_provider() -> ProviderData {
    provider(crate::provider::Defaults {
        agent_id: "mlagent".into(),
        org_id: "default".into(),
        project_id: "mlplatform".into(),
    })
}

#[test]
fn plan_inherits_scope_and_derives_the_id() {
    let mut config = minimal();
    config.scope = Scope::default();
    let (planned, d) = ts::plan(
        &resource(),
        &Value::Null,
        &config.to_value(),
        Some(&known_provider()),
    );
    assert!(d.is_empty(), "{d:?}");
    let p = AppSet::from_object(&planned).unwrap();
    assert_eq!(p.id, k("default/mlplatform/mlagent/training"));
    assert!(p.identifier.is_unknown() && p.applications.is_unknown());
    assert_eq!(p.upsert, Val::Known(false));
    let account = provider(crate::provider::Defaults {
        agent_id: "account.a".into(),
        ..Default::default()
    });
    let (_, d) = ts::plan(
        &resource(),
        &Value::Null,
        &config.to_value(),
        Some(&account),
    );
    assert_eq!(
        ts::paths(&d, Severity::Error),
        vec!["org_id", "project_id"],
        "{d:?}"
    );
}

// ---- mapping -----------------------------------------------------------------------------

fn secret(name: &str) -> Val<SecretRef> {
    Val::Known(SecretRef {
        secret_name: k(name),
        key: k("token"),
    })
}

/// Every generator kind and every top-level setting.
pub(super) fn full() -> AppSet {
    let git = Leaves {
        git: Val::Known(GitGenerator {
            repo_url: k(MANIFESTS),
            revision: k("HEAD"),
            directories: Val::Known(Set(vec![
                GitDirectory {
                    path: k("models/*"),
                    exclude: Val::Null,
                },
                GitDirectory {
                    path: k("models/experimental"),
                    exclude: Val::Known(true),
                },
            ])),
            path_param_prefix: k("src"),
            values: smap(&[("team", "ml")]),
            requeue_after_seconds: Val::Known(300),
            ..Default::default()
        }),
        ..Default::default()
    };
    let files = Leaves {
        git: Val::Known(GitGenerator {
            repo_url: k(MANIFESTS),
            revision: k("main"),
            files: Val::Known(Set(vec![GitFile {
                path: k("models/*/config.json"),
            }])),
            ..Default::default()
        }),
        selector: Val::Known(LabelSelector {
            match_labels: smap(&[("tier", "gpu")]),
            match_expressions: Val::Known(Set(vec![LabelExpression {
                key: k("env"),
                operator: k("In"),
                values: set(&["prod", "staging"]),
            }])),
        }),
        ..Default::default()
    };
    let scm = Leaves {
        scm_provider: Val::Known(ScmProviderGenerator {
            github: Val::Known(ScmGithub {
                organization: k("acme-ml"),
                token_ref: secret("github-token"),
                all_branches: Val::Known(true),
                ..Default::default()
            }),
            filters: Val::Known(vec![ScmFilter {
                repository_match: k("^model-"),
                paths_exist: Val::Known(vec!["deploy/kustomization.yaml".into()]),
                ..Default::default()
            }]),
            clone_protocol: k("https"),
            requeue_after_seconds: Val::Known(600),
            values: smap(&[("ns", "models")]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let pr = Leaves {
        pull_request: Val::Known(PullRequestGenerator {
            gitlab: Val::Known(PrGitlab {
                project: k("acme-ml/models"),
                token_ref: secret("gitlab-token"),
                labels: set(&["preview"]),
                pull_request_state: k("opened"),
                ca_ref: Val::Known(ConfigMapKeyRef {
                    config_map_name: k("gitlab-ca"),
                    key: k("ca.crt"),
                }),
                ..Default::default()
            }),
            filters: Val::Known(vec![PrFilter {
                branch_match: k("^feature-"),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cdr = Leaves {
        cluster_decision_resource: Val::Known(ClusterDecisionResourceGenerator {
            config_map_ref: k("ocm-placement"),
            name: k("gpu-placement"),
            values: smap(&[("x", "y")]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let plugin = Leaves {
        plugin: Val::Known(PluginGenerator {
            config_map_ref: k("model-registry-plugin"),
            input_parameters: k("{\"stage\":\"production\",\"limit\":5}"),
            requeue_after_seconds: Val::Known(60),
            ..Default::default()
        }),
        ..Default::default()
    };
    let merge = Generator {
        merge: Val::Known(Merge {
            merge_keys: set(&["model"]),
            generators: Val::Known(vec![
                nested(list_of(&["bert", "gpt"])),
                NestedGenerator {
                    matrix: Val::Known(NestedMatrix {
                        generators: Val::Known(vec![clusters(), list_of(&["bert"])]),
                    }),
                    ..Default::default()
                },
            ]),
        }),
        template: Val::Known(Template {
            labels: smap(&[("merged", "true")]),
            ..Default::default()
        }),
        ..Default::default()
    };
    AppSet {
        labels: smap(&[("team", "ml")]),
        annotations: smap(&[("owner", "ml-platform")]),
        generators: Val::Known(vec![
            top(list_of(&["bert", "gpt"])),
            top(clusters()),
            top(git),
            top(files),
            top(scm),
            Generator {
                template: Val::Known(Template {
                    name: k("preview-{{branch_slug}}"),
                    ..Default::default()
                }),
                ..top(pr)
            },
            top(cdr),
            top(plugin),
            matrix().generators.known().unwrap()[0].clone(),
            merge,
        ]),
        go_template: Val::Known(true),
        go_template_options: set(&["missingkey=error"]),
        template_patch: k("spec:\n  info:\n    - name: model\n      value: '{{.model}}'\n"),
        sync_policy: Val::Known(AppSetSyncPolicy {
            preserve_resources_on_deletion: Val::Known(true),
            applications_sync: k("create-update"),
        }),
        strategy: Val::Known(Strategy {
            r#type: k("RollingSync"),
            rolling_sync: Val::Known(RollingSync {
                steps: Val::Known(vec![
                    RollingStep {
                        match_expressions: Val::Known(Set(vec![StepExpression {
                            key: k("env"),
                            operator: k("In"),
                            values: set(&["staging"]),
                        }])),
                        max_update: k("1"),
                    },
                    RollingStep {
                        match_expressions: Val::Known(Set(vec![StepExpression {
                            key: k("env"),
                            operator: k("In"),
                            values: set(&["prod"]),
                        }])),
                        max_update: k("25%"),
                    },
                ]),
            }),
        }),
        ignore_application_differences: Val::Known(Set(vec![IgnoreAppDifference {
            json_pointers: set(&["/spec/source/targetRevision"]),
            ..Default::default()
        }])),
        preserved_fields: Val::Known(PreservedFields {
            annotations: set(&["notified"]),
            labels: set(&["owner"]),
        }),
        wait: Val::Known(Wait::default()),
        ..minimal()
    }
}

/// What the API stores of a body: a round trip through JSON (protobuf-JSON's forms).
fn stored(m: &AppSet) -> harness_gitops_client::models::ApplicationSetResponse {
    let set = mapping::to_api(m);
    let json = serde_json::to_value(&set).unwrap();
    harness_gitops_client::models::ApplicationSetResponse {
        identifier: Some("6f1c2b7e-0000-4000-8000-000000000001".into()),
        appset: Some(serde_json::from_value(json).unwrap()),
        created_at: Some("2026-01-01T00:00:00Z".into()),
        last_modified_at: Some("2026-01-01T00:00:00Z".into()),
        ..Default::default()
    }
}

/// The plan of `config` on create, with the known provider.
fn planned(config: &AppSet) -> AppSet {
    let (planned, d) = ts::plan(
        &resource(),
        &Value::Null,
        &config.to_value(),
        Some(&known_provider()),
    );
    assert!(!d.has_errors(), "{d:?}");
    AppSet::from_object(&planned).unwrap()
}

/// The state an apply of `config` leaves.
fn applied(config: &AppSet) -> Value {
    let p = planned(config);
    let state = mapping::from_api(&stored(&p), &p).to_value();
    tfplugin::plan::settle(&p.to_value(), &state)
}

#[test]
fn full_configuration_is_valid() {
    assert_eq!(errors(&full()), Vec::<String>::new());
}

#[test]
fn reading_back_what_was_sent_keeps_the_configuration() {
    for config in [minimal(), matrix(), full()] {
        let p = planned(&config);
        let read = mapping::from_api(&stored(&p), &p);
        let strip = |m: &AppSet| AppSet {
            id: Val::Null,
            identifier: Val::Null,
            appset_namespace: Val::Null,
            applications: Val::Null,
            conditions: Val::Null,
            created_at: Val::Null,
            updated_at: Val::Null,
            ..m.clone()
        };
        assert_eq!(strip(&read), strip(&p));
        // The framework's own check: the apply result agrees with the plan.
        let v =
            tfplugin::plan::check_compatible(&AppSet::schema(), &p.to_value(), &read.to_value());
        assert!(v.is_empty(), "{v:?}");
        // And a second plan is empty.
        let prior = applied(&config);
        let (again, d) = ts::plan(
            &resource(),
            &prior,
            &config.to_value(),
            Some(&known_provider()),
        );
        assert!(!d.has_errors(), "{d:?}");
        assert_eq!(again, prior, "no change on the second plan");
    }
}

#[test]
fn the_body_has_the_shapes_harness_takes() {
    let body = serde_json::to_value(mapping::to_api(&planned(&full()))).unwrap();
    let gens = &body["spec"]["generators"];
    // List elements go as v1JSON `{raw: base64}`.
    assert!(
        gens[0]["list"]["elements"][0]["raw"].is_string(),
        "{}",
        gens[0]
    );
    // `clusters` with only a selector, and a matrix child's nested matrix as v1JSON.
    assert_eq!(
        gens[1]["clusters"]["selector"]["matchLabels"]["gpu"],
        "true"
    );
    assert!(
        gens[9]["merge"]["generators"][1]["matrix"]["raw"].is_string(),
        "{}",
        gens[9]
    );
    // int-or-string max update, strategy type, a sync policy.
    let steps = &body["spec"]["strategy"]["rollingSync"]["steps"];
    assert_eq!(steps[0]["maxUpdate"]["intVal"], 1);
    assert_eq!(steps[1]["maxUpdate"]["strVal"], "25%");
    assert_eq!(body["spec"]["strategy"]["type"], "RollingSync");
    assert_eq!(
        body["spec"]["syncPolicy"]["applicationsSync"],
        "create-update"
    );
    // The template is the application's spec.
    assert_eq!(
        body["spec"]["template"]["spec"]["source"]["path"],
        "training/{{model}}"
    );
    assert_eq!(
        body["spec"]["template"]["metadata"]["name"],
        "{{model}}-training"
    );
    assert!(body["spec"]["template"]["spec"]["syncPolicy"]["automated"].is_object());
    // `clusters = {}` (every cluster) is sent as an object.
    let mut m = minimal();
    m.generators = Val::Known(vec![top(Leaves {
        clusters: Val::Known(ClustersGenerator::default()),
        ..Default::default()
    })]);
    let body = serde_json::to_value(mapping::to_api(&planned(&m))).unwrap();
    assert_eq!(
        body["spec"]["generators"][0]["clusters"],
        serde_json::json!({})
    );
}

#[test]
fn defaults_argo_cd_fills_in_are_no_change() {
    // The official provider's perpetual diffs: a sync policy, strategy and ignored
    // differences the API returns although none was configured.
    let prior = applied(&minimal());
    let mut set = stored(&planned(&minimal()));
    let spec = set.appset.as_mut().unwrap().spec.as_mut().unwrap();
    spec.sync_policy = Some(harness_gitops_client::models::ApplicationSetSyncPolicy {
        preserve_resources_on_deletion: Some(false),
        applications_sync: Some("sync".into()),
    });
    spec.strategy = Some(harness_gitops_client::models::ApplicationSetStrategy {
        strategy_type: Some("AllAtOnce".into()),
        rolling_sync: None,
    });
    spec.ignore_application_differences = Some(vec![]);
    spec.preserved_fields = Some(Default::default());
    let read = mapping::from_api(&set, &AppSet::from_object(&prior).unwrap());
    let mut v = read.to_value();
    tfplugin::plan::normalize_read(&AppSet::schema(), &prior, &mut v);
    let (again, d) = ts::plan(
        &resource(),
        &v,
        &minimal().to_value(),
        Some(&known_provider()),
    );
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(again, v, "no change");
    // A real change behind Terraform's back is read.
    let mut set = stored(&planned(&minimal()));
    set.appset.as_mut().unwrap().spec.as_mut().unwrap().strategy =
        Some(harness_gitops_client::models::ApplicationSetStrategy {
            strategy_type: Some("RollingSync".into()),
            rolling_sync: None,
        });
    let read = mapping::from_api(&set, &AppSet::from_object(&prior).unwrap());
    assert!(read.strategy.is_known());
}

#[test]
fn generated_applications_and_conditions_come_from_the_status() {
    use harness_gitops_client::models::{
        ApplicationSetCondition, ApplicationSetStatus, HealthStatus, ResourceStatus,
    };
    let mut resp = stored(&planned(&minimal()));
    resp.appset.as_mut().unwrap().status = Some(ApplicationSetStatus {
        resources: Some(vec![
            ResourceStatus {
                kind: Some("Application".into()),
                name: Some("gpt-training".into()),
                namespace: Some("argocd".into()),
                status: Some("OutOfSync".into()),
                health: Some(HealthStatus {
                    status: Some("Progressing".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ResourceStatus {
                kind: Some("Application".into()),
                name: Some("bert-training".into()),
                status: Some("Synced".into()),
                health: Some(HealthStatus {
                    status: Some("Healthy".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ]),
        conditions: Some(vec![ApplicationSetCondition {
            condition_type: Some("ResourcesUpToDate".into()),
            status: Some("True".into()),
            reason: Some("ApplicationSetUpToDate".into()),
            message: Some("All applications have been generated successfully".into()),
            ..Default::default()
        }]),
        ..Default::default()
    });
    let m = mapping::from_api(&resp, &planned(&minimal()));
    let apps = m.applications.known().unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0].name, k("bert-training"), "sorted by name");
    assert_eq!(apps[0].health_status, k("Healthy"));
    assert_eq!(apps[1].sync_status, k("OutOfSync"));
    assert_eq!(
        m.conditions.known().unwrap()[0].reason,
        k("ApplicationSetUpToDate")
    );
    assert_eq!(m.identifier, k("6f1c2b7e-0000-4000-8000-000000000001"));
    assert_eq!(m.id, k("default/mlplatform/mlagent/training"));
}

#[test]
fn values_from_other_resources_are_planned_unknown_and_refined_by_the_final_plan() {
    let unknown = ts::unknown_provider();
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known_provider()),
        Some(&unknown),
        &Value::Null,
        &full().to_value(),
    );
    let prior = applied(&full());
    let mut changed = full();
    changed.generators = Val::Known(vec![top(list_of(&["bert", "gpt", "t5"]))]);
    changed.labels = smap(&[("team", "ml"), ("tier", "gpu")]);
    tfplugin::testing::assert_unknowns_refine(
        resource(),
        Some(&known_provider()),
        Some(&unknown),
        &prior,
        &changed.to_value(),
    );
}

#[test]
fn an_update_plans_the_applications_unknown_and_keeps_the_identifier() {
    let prior = applied(&minimal());
    let mut changed = minimal();
    changed.generators = Val::Known(vec![top(list_of(&["bert", "gpt", "t5"]))]);
    let (p, d) = ts::plan(
        &resource(),
        &prior,
        &changed.to_value(),
        Some(&known_provider()),
    );
    assert!(!d.has_errors(), "{d:?}");
    let p = AppSet::from_object(&p).unwrap();
    assert!(p.applications.is_unknown());
    assert_eq!(p.identifier, k("6f1c2b7e-0000-4000-8000-000000000001"));
    assert_eq!(p.id, k("default/mlplatform/mlagent/training"));
}

#[test]
fn a_nested_combination_reads_back_from_raw_json() {
    let p = planned(&full());
    let mut resp = stored(&p);
    // The API may answer a nested matrix as the bare value rather than `{raw}`.
    let mut json = serde_json::to_value(resp.appset.as_ref().unwrap()).unwrap();
    let raw = json["spec"]["generators"][9]["merge"]["generators"][1]["matrix"]["raw"]
        .as_str()
        .unwrap()
        .to_string();
    use base64::Engine as _;
    let bare: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap(),
    )
    .unwrap();
    json["spec"]["generators"][9]["merge"]["generators"][1]["matrix"] = bare;
    resp.appset = Some(serde_json::from_value(json).unwrap());
    let read = mapping::from_api(&resp, &p);
    assert_eq!(read.generators, p.generators);
}

#[test]
fn a_generators_template_goes_to_its_kind_and_nested_ones_are_not_read() {
    let p = planned(&full());
    let body = serde_json::to_value(mapping::to_api(&p)).unwrap();
    let gens = &body["spec"]["generators"];
    // The one override of a generator is its kind's `template`, a leaf's or a combination's.
    assert_eq!(
        gens[5]["pullRequest"]["template"]["metadata"]["name"],
        "preview-{{branch_slug}}"
    );
    assert_eq!(
        gens[9]["merge"]["template"]["metadata"]["labels"]["merged"],
        "true"
    );
    assert!(gens[0]["list"].get("template").is_none(), "{}", gens[0]);
    // A template Argo CD ignores (on a combination's child) is not read.
    let mut resp = stored(&p);
    let mut json = serde_json::to_value(resp.appset.as_ref().unwrap()).unwrap();
    json["spec"]["generators"][9]["merge"]["generators"][0]["list"]["template"] =
        serde_json::json!({"metadata": {"name": "ignored"}});
    resp.appset = Some(serde_json::from_value(json).unwrap());
    let read = mapping::from_api(&resp, &p);
    assert_eq!(read.generators, p.generators);
}

#[test]
fn the_template_override_is_only_on_top_level_generators() {
    // One copy of the application's attributes per generator level would multiply the
    // schema Terraform decodes on every run; Argo CD only reads the top level's anyway.
    let schema = AppSet::schema();
    let gens = schema.block.attribute(AppSet::GENERATORS).unwrap();
    let (_, top) = gens.nested_attributes().unwrap();
    let mut templates = Vec::new();
    fn walk(attrs: &[tfplugin::tf::schema::Attribute], at: String, out: &mut Vec<String>) {
        for a in attrs {
            let here = format!("{at}.{}", a.name);
            if a.name == "template" {
                out.push(here.clone());
            }
            if let Some((_, inner)) = a.nested_attributes() {
                walk(inner, here, out);
            }
        }
    }
    walk(top, "generators".into(), &mut templates);
    assert_eq!(
        templates
            .iter()
            .filter(|t| !t.contains(".template."))
            .collect::<Vec<_>>(),
        vec!["generators.template"]
    );
}
