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
                template: Val::Null,
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
                template: Val::Null,
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
    let Val::Known(l) = &mut g[0].leaves.list else {
        unreachable!()
    };
    l.template = Val::Known(Template {
        labels: smap(&[("tier", "gpu")]),
        ..Default::default()
    });
    assert_eq!(errors(&m), Vec::<String>::new());
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
