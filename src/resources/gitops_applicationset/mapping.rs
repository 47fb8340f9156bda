//! API mapping: the model to the Harness ApplicationSet and back.
//!
//! As for the application, nothing empty is sent (Argo CD drops empty objects, which would
//! read back as a change), except what means something by being there: a generator kind
//! (`clusters = {}` is every cluster) and `automated`. Templates go through the
//! application's own mapping ([`Template::as_app`]). Reads are compact (an object of nothing
//! is null) and keep the prior form of what means the same (the declared equivalences).

use std::collections::BTreeMap;

use harness_gitops_client::models as api;
use harness_gitops_client::models::{Application, ApplicationResponse, ObjectMeta};
use serde_json::Value as Json;
use tfplugin::typed::{Set, TfType};
use tfplugin::{Model, Val};

use super::*;
use crate::resources::gitops_application::{self as app, bv, i64v, lv, mv, obj, setv, sv};

// ---- to the API --------------------------------------------------------------------------

fn s(v: &Val<String>) -> Option<String> {
    app::s(v)
}

fn i64n(v: &Val<i64>) -> Option<api::Int64> {
    v.known().copied().map(api::Int64)
}

fn strings_of_set(v: &Val<Set<String>>) -> Option<Vec<String>> {
    app::set(v)
}

/// The ApplicationSet to send.
pub(crate) fn to_api(m: &AppSet) -> api::ApplicationSet {
    api::ApplicationSet {
        metadata: Some(ObjectMeta {
            name: s(&m.name),
            namespace: s(&m.appset_namespace),
            labels: app::map(&m.labels),
            annotations: app::map(&m.annotations),
            ..Default::default()
        }),
        spec: Some(api::ApplicationSetSpec {
            go_template: app::flag(&m.go_template),
            generators: m
                .generators
                .known()
                .map(|g| g.iter().map(generator_to_api).collect()),
            template: m.template.known().map(template_to_api),
            sync_policy: m.sync_policy.known().and_then(|p| {
                app::non_default(api::ApplicationSetSyncPolicy {
                    preserve_resources_on_deletion: app::flag(&p.preserve_resources_on_deletion),
                    applications_sync: s(&p.applications_sync),
                })
            }),
            strategy: m.strategy.known().map(|st| api::ApplicationSetStrategy {
                strategy_type: s(&st.r#type),
                rolling_sync: st
                    .rolling_sync
                    .known()
                    .map(|r| api::ApplicationSetRolloutStrategy {
                        steps: r.steps.known().map(|steps| {
                            steps
                                .iter()
                                .map(|step| api::ApplicationSetRolloutStep {
                                    match_expressions: step.match_expressions.known().map(|e| {
                                        let mut out: Vec<_> =
                                            e.0.iter()
                                                .map(|x| api::ApplicationMatchExpression {
                                                    key: s(&x.key),
                                                    operator: s(&x.operator),
                                                    values: strings_of_set(&x.values),
                                                })
                                                .collect();
                                        out.sort_by(|a, b| a.key.cmp(&b.key));
                                        out
                                    }),
                                    max_update: step
                                        .max_update
                                        .non_empty()
                                        .map(api::IntOrString::parse),
                                })
                                .collect()
                        }),
                    }),
            }),
            preserved_fields: m.preserved_fields.known().and_then(|p| {
                app::non_default(api::PreservedFields {
                    annotations: strings_of_set(&p.annotations),
                    labels: strings_of_set(&p.labels),
                })
            }),
            go_template_options: strings_of_set(&m.go_template_options),
            apply_nested_selectors: None,
            ignore_application_differences: m
                .ignore_application_differences
                .known()
                .filter(|d| !d.0.is_empty())
                .map(|d| {
                    d.0.iter()
                        .map(|x| api::ApplicationSetResourceIgnoreDifferences {
                            name: s(&x.name),
                            json_pointers: strings_of_set(&x.json_pointers),
                            jq_path_expressions: strings_of_set(&x.jq_path_expressions),
                        })
                        .collect()
                }),
            template_patch: s(&m.template_patch),
        }),
        status: None,
    }
}

/// A template through the application's mapping.
pub(crate) fn template_to_api(t: &Template) -> api::ApplicationSetTemplate {
    let a = app::to_api(&t.as_app());
    let meta = a.metadata.unwrap_or_default();
    let meta = api::ApplicationSetTemplateMeta {
        name: meta.name,
        namespace: meta.namespace,
        labels: meta.labels,
        annotations: meta.annotations,
        finalizers: meta.finalizers,
    };
    let spec = a.spec.unwrap_or_default();
    api::ApplicationSetTemplate {
        metadata: app::non_default(meta),
        spec: app::non_default(spec),
    }
}

fn opt_template(t: &Val<Template>) -> Option<api::ApplicationSetTemplate> {
    t.known().map(template_to_api).and_then(app::non_default)
}

fn selector_to_api(l: &LabelSelector) -> api::LabelSelector {
    api::LabelSelector {
        match_labels: app::map(&l.match_labels),
        match_expressions: l
            .match_expressions
            .known()
            .filter(|e| !e.0.is_empty())
            .map(|e| {
                let mut out: Vec<_> =
                    e.0.iter()
                        .map(|x| api::LabelSelectorRequirement {
                            key: s(&x.key),
                            operator: s(&x.operator),
                            values: strings_of_set(&x.values),
                        })
                        .collect();
                out.sort_by(|a, b| (&a.key, &a.operator).cmp(&(&b.key, &b.operator)));
                out
            }),
    }
}

fn secret_ref(r: &Val<SecretRef>) -> Option<api::SecretRef> {
    r.known().map(|r| api::SecretRef {
        secret_name: s(&r.secret_name),
        key: s(&r.key),
    })
}

fn ca_ref(r: &Val<ConfigMapKeyRef>) -> Option<api::ConfigMapKeyRef> {
    r.known().map(|r| api::ConfigMapKeyRef {
        config_map_name: s(&r.config_map_name),
        key: s(&r.key),
    })
}

fn basic_auth(b: &Val<BasicAuth>) -> Option<api::BasicAuthBitbucketServer> {
    b.known().map(|b| api::BasicAuthBitbucketServer {
        username: s(&b.username),
        password_ref: secret_ref(&b.password_ref),
    })
}

fn bearer(r: &Val<SecretRef>) -> Option<api::BearerTokenBitbucket> {
    secret_ref(r).map(|t| api::BearerTokenBitbucket { token_ref: Some(t) })
}

/// The leaf kinds, into any of the API's three generator shapes.
struct LeavesApi {
    list: Option<api::ListGenerator>,
    clusters: Option<api::ClusterGenerator>,
    git: Option<api::GitGenerator>,
    scm_provider: Option<api::ScmProviderGenerator>,
    cluster_decision_resource: Option<api::DuckTypeGenerator>,
    pull_request: Option<api::PullRequestGenerator>,
    selector: Option<api::LabelSelector>,
    plugin: Option<api::PluginGenerator>,
}

fn leaves_to_api(l: &Leaves) -> LeavesApi {
    LeavesApi {
        list: l.list.known().map(|g| api::ListGenerator {
            elements: g.elements.known().filter(|e| !e.is_empty()).map(|e| {
                e.iter()
                    .map(|m| {
                        api::RawJson::from_value(&Json::Object(
                            m.iter()
                                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                                .collect(),
                        ))
                    })
                    .collect()
            }),
            template: None,
            elements_yaml: s(&g.elements_yaml),
        }),
        clusters: l.clusters.known().map(|g| api::ClusterGenerator {
            selector: g.selector.known().map(selector_to_api),
            template: None,
            values: app::map(&g.values),
            flat_list: app::flag(&g.flat_list),
        }),
        git: l.git.known().map(|g| api::GitGenerator {
            repo_url: s(&g.repo_url),
            directories: g.directories.known().filter(|d| !d.0.is_empty()).map(|d| {
                let mut out: Vec<_> =
                    d.0.iter()
                        .map(|x| api::GitDirectoryGeneratorItem {
                            path: s(&x.path),
                            exclude: app::flag(&x.exclude),
                        })
                        .collect();
                out.sort_by(|a, b| (&a.path, a.exclude).cmp(&(&b.path, b.exclude)));
                out
            }),
            files: g.files.known().filter(|d| !d.0.is_empty()).map(|d| {
                let mut out: Vec<_> =
                    d.0.iter()
                        .map(|x| api::GitFileGeneratorItem { path: s(&x.path) })
                        .collect();
                out.sort_by(|a, b| a.path.cmp(&b.path));
                out
            }),
            revision: s(&g.revision),
            requeue_after_seconds: i64n(&g.requeue_after_seconds),
            template: None,
            path_param_prefix: s(&g.path_param_prefix),
            values: app::map(&g.values),
        }),
        scm_provider: l.scm_provider.known().map(|g| api::ScmProviderGenerator {
            github: g.github.known().map(|p| api::ScmProviderGithub {
                organization: s(&p.organization),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                app_secret_name: s(&p.app_secret_name),
                all_branches: app::flag(&p.all_branches),
            }),
            gitlab: g.gitlab.known().map(|p| api::ScmProviderGitlab {
                group: s(&p.group),
                include_subgroups: app::flag(&p.include_subgroups),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                all_branches: app::flag(&p.all_branches),
                insecure: app::flag(&p.insecure),
                include_shared_projects: app::flag(&p.include_shared_projects),
                topic: s(&p.topic),
                ca_ref: ca_ref(&p.ca_ref),
            }),
            bitbucket: g.bitbucket.known().map(|p| api::ScmProviderBitbucket {
                owner: s(&p.owner),
                user: s(&p.user),
                app_password_ref: secret_ref(&p.app_password_ref),
                all_branches: app::flag(&p.all_branches),
            }),
            bitbucket_server: g
                .bitbucket_server
                .known()
                .map(|p| api::ScmProviderBitbucketServer {
                    project: s(&p.project),
                    api: s(&p.api),
                    basic_auth: basic_auth(&p.basic_auth),
                    all_branches: app::flag(&p.all_branches),
                    bearer_token: bearer(&p.bearer_token_ref),
                    insecure: app::flag(&p.insecure),
                    ca_ref: ca_ref(&p.ca_ref),
                }),
            gitea: g.gitea.known().map(|p| api::ScmProviderGitea {
                owner: s(&p.owner),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                all_branches: app::flag(&p.all_branches),
                insecure: app::flag(&p.insecure),
            }),
            azure_dev_ops: g.azure_devops.known().map(|p| api::ScmProviderAzureDevOps {
                organization: s(&p.organization),
                api: s(&p.api),
                team_project: s(&p.team_project),
                access_token_ref: secret_ref(&p.access_token_ref),
                all_branches: app::flag(&p.all_branches),
            }),
            filters: app::objects(&g.filters, |f| api::ScmProviderFilter {
                repository_match: s(&f.repository_match),
                paths_exist: app::list(&f.paths_exist),
                paths_do_not_exist: app::list(&f.paths_do_not_exist),
                label_match: s(&f.label_match),
                branch_match: s(&f.branch_match),
            }),
            clone_protocol: s(&g.clone_protocol),
            requeue_after_seconds: i64n(&g.requeue_after_seconds),
            template: None,
            values: app::map(&g.values),
            aws_code_commit: None,
        }),
        pull_request: l.pull_request.known().map(|g| api::PullRequestGenerator {
            github: g.github.known().map(|p| api::PullRequestGithub {
                owner: s(&p.owner),
                repo: s(&p.repo),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                app_secret_name: s(&p.app_secret_name),
                labels: strings_of_set(&p.labels),
            }),
            gitlab: g.gitlab.known().map(|p| api::PullRequestGitlab {
                project: s(&p.project),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                labels: strings_of_set(&p.labels),
                pull_request_state: s(&p.pull_request_state),
                insecure: app::flag(&p.insecure),
                ca_ref: ca_ref(&p.ca_ref),
            }),
            gitea: g.gitea.known().map(|p| api::PullRequestGitea {
                owner: s(&p.owner),
                repo: s(&p.repo),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                insecure: app::flag(&p.insecure),
            }),
            bitbucket_server: g
                .bitbucket_server
                .known()
                .map(|p| api::PullRequestBitbucketServer {
                    project: s(&p.project),
                    repo: s(&p.repo),
                    api: s(&p.api),
                    basic_auth: basic_auth(&p.basic_auth),
                    bearer_token: bearer(&p.bearer_token_ref),
                    insecure: app::flag(&p.insecure),
                    ca_ref: ca_ref(&p.ca_ref),
                }),
            azure_dev_ops: g.azure_devops.known().map(|p| api::PullRequestAzureDevOps {
                organization: s(&p.organization),
                project: s(&p.project),
                repo: s(&p.repo),
                api: s(&p.api),
                token_ref: secret_ref(&p.token_ref),
                labels: strings_of_set(&p.labels),
            }),
            filters: app::objects(&g.filters, |f| api::PullRequestFilter {
                branch_match: s(&f.branch_match),
                target_branch_match: s(&f.target_branch_match),
            }),
            requeue_after_seconds: i64n(&g.requeue_after_seconds),
            template: None,
            bitbucket: None,
        }),
        cluster_decision_resource: l.cluster_decision_resource.known().map(|g| {
            api::DuckTypeGenerator {
                config_map_ref: s(&g.config_map_ref),
                name: s(&g.name),
                requeue_after_seconds: i64n(&g.requeue_after_seconds),
                label_selector: g.label_selector.known().map(selector_to_api),
                template: None,
                values: app::map(&g.values),
            }
        }),
        selector: l.selector.known().map(selector_to_api),
        plugin: l.plugin.known().map(|g| api::PluginGenerator {
            config_map_ref: g
                .config_map_ref
                .non_empty()
                .map(|n| api::PluginConfigMapRef {
                    name: Some(n.to_string()),
                }),
            input: g
                .input_parameters
                .non_empty()
                .and_then(|t| serde_json::from_str::<Json>(t).ok())
                .and_then(|v| match v {
                    Json::Object(m) if !m.is_empty() => Some(api::PluginInput {
                        parameters: Some(
                            m.iter()
                                .map(|(k, v)| (k.clone(), api::RawJson::from_value(v)))
                                .collect(),
                        ),
                    }),
                    _ => None,
                }),
            requeue_after_seconds: i64n(&g.requeue_after_seconds),
            template: None,
            values: app::map(&g.values),
        }),
    }
}

fn leaf_generator(l: &Leaves) -> api::ApplicationSetNestedGenerator {
    let x = leaves_to_api(l);
    api::ApplicationSetNestedGenerator {
        list: x.list,
        clusters: x.clusters,
        git: x.git,
        scm_provider: x.scm_provider,
        cluster_decision_resource: x.cluster_decision_resource,
        pull_request: x.pull_request,
        matrix: None,
        merge: None,
        selector: x.selector,
        plugin: x.plugin,
    }
}

fn nested_generator(n: &NestedGenerator) -> api::ApplicationSetNestedGenerator {
    let mut g = leaf_generator(&n.leaves);
    g.matrix = n.matrix.known().and_then(|m| {
        api::RawJson::encode(&api::MatrixGenerator {
            generators: m
                .generators
                .known()
                .map(|l| l.iter().map(leaf_generator).collect()),
            template: None,
        })
        .ok()
    });
    g.merge = n.merge.known().and_then(|m| {
        api::RawJson::encode(&api::MergeGenerator {
            generators: m
                .generators
                .known()
                .map(|l| l.iter().map(leaf_generator).collect()),
            merge_keys: strings_of_set(&m.merge_keys),
            template: None,
        })
        .ok()
    });
    g
}

fn generator_to_api(g: &Generator) -> api::ApplicationSetGenerator {
    let x = leaves_to_api(&g.leaves);
    let mut out = api::ApplicationSetGenerator {
        list: x.list,
        clusters: x.clusters,
        git: x.git,
        scm_provider: x.scm_provider,
        cluster_decision_resource: x.cluster_decision_resource,
        pull_request: x.pull_request,
        matrix: g.matrix.known().map(|m| api::MatrixGenerator {
            generators: m
                .generators
                .known()
                .map(|l| l.iter().map(nested_generator).collect()),
            template: None,
        }),
        merge: g.merge.known().map(|m| api::MergeGenerator {
            generators: m
                .generators
                .known()
                .map(|l| l.iter().map(nested_generator).collect()),
            merge_keys: strings_of_set(&m.merge_keys),
            template: None,
        }),
        selector: x.selector,
        plugin: x.plugin,
    };
    // The generator's one override goes to the `template` of whichever kind is set
    // (validation makes it exactly one).
    let template = opt_template(&g.template);
    if let Some(k) = out.list.as_mut() {
        k.template = template;
    } else if let Some(k) = out.clusters.as_mut() {
        k.template = template;
    } else if let Some(k) = out.git.as_mut() {
        k.template = template;
    } else if let Some(k) = out.scm_provider.as_mut() {
        k.template = template;
    } else if let Some(k) = out.pull_request.as_mut() {
        k.template = template;
    } else if let Some(k) = out.cluster_decision_resource.as_mut() {
        k.template = template;
    } else if let Some(k) = out.plugin.as_mut() {
        k.template = template;
    } else if let Some(k) = out.matrix.as_mut() {
        k.template = template;
    } else if let Some(k) = out.merge.as_mut() {
        k.template = template;
    }
    out
}

// ---- from the API ------------------------------------------------------------------------

fn set_of<T>(v: Option<&Vec<T>>, f: impl Fn(&T) -> Option<String>) -> Val<Set<String>> {
    setv(
        v.map(|l| l.iter().filter_map(&f).collect::<Vec<_>>())
            .as_ref(),
    )
}

fn objects_set<A, M>(v: Option<&Vec<A>>, f: impl Fn(&A) -> M) -> Val<Set<M>> {
    Val::from_option(
        v.filter(|l| !l.is_empty())
            .map(|l| Set(l.iter().map(f).collect())),
    )
}

/// A template read through the application's mapping (no prior: the caller keeps the
/// prior forms of the whole state).
pub(crate) fn template_from_api(t: &api::ApplicationSetTemplate) -> Val<Template> {
    let meta = t.metadata.clone().unwrap_or_default();
    let name = sv(meta.name.as_ref());
    let spec = t.spec.clone();
    let resp = ApplicationResponse {
        app: Some(Application {
            metadata: Some(ObjectMeta {
                name: meta.name,
                namespace: meta.namespace,
                labels: meta.labels,
                annotations: meta.annotations,
                finalizers: meta.finalizers,
                ..Default::default()
            }),
            spec: spec.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut out = Template::of_app(&app::from_api(&resp, &App::default()));
    // The application's name is its resource's own (the prior's); a template's is read.
    out.name = name;
    // The application reads an absent project as Argo CD's `default`; a template override
    // without one has none.
    out.argo_project = sv(spec.as_ref().and_then(|s| s.project.as_ref()));
    obj(out)
}

fn opt_template_from(t: Option<&api::ApplicationSetTemplate>) -> Val<Template> {
    t.map_or(Val::Null, template_from_api)
}

fn selector_from_api(l: &api::LabelSelector) -> LabelSelector {
    LabelSelector {
        match_labels: mv(l.match_labels.as_ref()),
        match_expressions: objects_set(l.match_expressions.as_ref(), |x| LabelExpression {
            key: sv(x.key.as_ref()),
            operator: sv(x.operator.as_ref()),
            values: setv(x.values.as_ref()),
        }),
    }
}

fn secret_from(r: Option<&api::SecretRef>) -> Val<SecretRef> {
    r.map_or(Val::Null, |r| {
        Val::Known(SecretRef {
            secret_name: sv(r.secret_name.as_ref()),
            key: sv(r.key.as_ref()),
        })
    })
}

fn ca_from(r: Option<&api::ConfigMapKeyRef>) -> Val<ConfigMapKeyRef> {
    r.map_or(Val::Null, |r| {
        Val::Known(ConfigMapKeyRef {
            config_map_name: sv(r.config_map_name.as_ref()),
            key: sv(r.key.as_ref()),
        })
    })
}

fn basic_from(b: Option<&api::BasicAuthBitbucketServer>) -> Val<BasicAuth> {
    b.map_or(Val::Null, |b| {
        Val::Known(BasicAuth {
            username: sv(b.username.as_ref()),
            password_ref: secret_from(b.password_ref.as_ref()),
        })
    })
}

fn bearer_from(b: Option<&api::BearerTokenBitbucket>) -> Val<SecretRef> {
    secret_from(b.and_then(|b| b.token_ref.as_ref()))
}

/// A list element's value as a string (numbers and booleans as their JSON text).
fn element_string(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn leaves_from_api(
    list: Option<&api::ListGenerator>,
    clusters: Option<&api::ClusterGenerator>,
    git: Option<&api::GitGenerator>,
    scm: Option<&api::ScmProviderGenerator>,
    cdr: Option<&api::DuckTypeGenerator>,
    pr: Option<&api::PullRequestGenerator>,
    selector: Option<&api::LabelSelector>,
    plugin: Option<&api::PluginGenerator>,
) -> Leaves {
    Leaves {
        list: list.map_or(Val::Null, |g| {
            Val::Known(ListGenerator {
                elements: Val::from_option(g.elements.as_ref().filter(|e| !e.is_empty()).map(
                    |e| {
                        e.iter()
                            .map(|raw| match raw.value() {
                                Ok(Json::Object(m)) => m
                                    .iter()
                                    .map(|(k, v)| (k.clone(), element_string(v)))
                                    .collect::<BTreeMap<_, _>>(),
                                _ => BTreeMap::new(),
                            })
                            .collect()
                    },
                )),
                elements_yaml: sv(g.elements_yaml.as_ref()),
            })
        }),
        clusters: clusters.map_or(Val::Null, |g| {
            Val::Known(ClustersGenerator {
                selector: g
                    .selector
                    .as_ref()
                    .map_or(Val::Null, |l| obj(selector_from_api(l))),
                values: mv(g.values.as_ref()),
                flat_list: bv(g.flat_list),
            })
        }),
        git: git.map_or(Val::Null, |g| {
            Val::Known(GitGenerator {
                repo_url: sv(g.repo_url.as_ref()),
                revision: sv(g.revision.as_ref()),
                directories: objects_set(g.directories.as_ref(), |d| GitDirectory {
                    path: sv(d.path.as_ref()),
                    exclude: bv(d.exclude),
                }),
                files: objects_set(g.files.as_ref(), |f| GitFile {
                    path: sv(f.path.as_ref()),
                }),
                path_param_prefix: sv(g.path_param_prefix.as_ref()),
                values: mv(g.values.as_ref()),
                requeue_after_seconds: i64v(g.requeue_after_seconds.filter(|n| n.0 != 0)),
            })
        }),
        scm_provider: scm.map_or(Val::Null, |g| {
            Val::Known(ScmProviderGenerator {
                github: g.github.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmGithub {
                        organization: sv(p.organization.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        app_secret_name: sv(p.app_secret_name.as_ref()),
                        all_branches: bv(p.all_branches),
                    })
                }),
                gitlab: g.gitlab.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmGitlab {
                        group: sv(p.group.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        all_branches: bv(p.all_branches),
                        include_subgroups: bv(p.include_subgroups),
                        include_shared_projects: bv(p.include_shared_projects),
                        topic: sv(p.topic.as_ref()),
                        insecure: bv(p.insecure),
                        ca_ref: ca_from(p.ca_ref.as_ref()),
                    })
                }),
                gitea: g.gitea.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmGitea {
                        owner: sv(p.owner.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        all_branches: bv(p.all_branches),
                        insecure: bv(p.insecure),
                    })
                }),
                bitbucket_server: g.bitbucket_server.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmBitbucketServer {
                        project: sv(p.project.as_ref()),
                        api: sv(p.api.as_ref()),
                        basic_auth: basic_from(p.basic_auth.as_ref()),
                        bearer_token_ref: bearer_from(p.bearer_token.as_ref()),
                        all_branches: bv(p.all_branches),
                        insecure: bv(p.insecure),
                        ca_ref: ca_from(p.ca_ref.as_ref()),
                    })
                }),
                bitbucket: g.bitbucket.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmBitbucket {
                        owner: sv(p.owner.as_ref()),
                        user: sv(p.user.as_ref()),
                        app_password_ref: secret_from(p.app_password_ref.as_ref()),
                        all_branches: bv(p.all_branches),
                    })
                }),
                azure_devops: g.azure_dev_ops.as_ref().map_or(Val::Null, |p| {
                    Val::Known(ScmAzureDevops {
                        organization: sv(p.organization.as_ref()),
                        team_project: sv(p.team_project.as_ref()),
                        api: sv(p.api.as_ref()),
                        access_token_ref: secret_from(p.access_token_ref.as_ref()),
                        all_branches: bv(p.all_branches),
                    })
                }),
                filters: app::ov(g.filters.as_ref(), |f| ScmFilter {
                    repository_match: sv(f.repository_match.as_ref()),
                    paths_exist: lv(f.paths_exist.as_ref()),
                    paths_do_not_exist: lv(f.paths_do_not_exist.as_ref()),
                    label_match: sv(f.label_match.as_ref()),
                    branch_match: sv(f.branch_match.as_ref()),
                }),
                clone_protocol: sv(g.clone_protocol.as_ref()),
                requeue_after_seconds: i64v(g.requeue_after_seconds.filter(|n| n.0 != 0)),
                values: mv(g.values.as_ref()),
            })
        }),
        pull_request: pr.map_or(Val::Null, |g| {
            Val::Known(PullRequestGenerator {
                github: g.github.as_ref().map_or(Val::Null, |p| {
                    Val::Known(PrGithub {
                        owner: sv(p.owner.as_ref()),
                        repo: sv(p.repo.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        app_secret_name: sv(p.app_secret_name.as_ref()),
                        labels: setv(p.labels.as_ref()),
                    })
                }),
                gitlab: g.gitlab.as_ref().map_or(Val::Null, |p| {
                    Val::Known(PrGitlab {
                        project: sv(p.project.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        labels: setv(p.labels.as_ref()),
                        pull_request_state: sv(p.pull_request_state.as_ref()),
                        insecure: bv(p.insecure),
                        ca_ref: ca_from(p.ca_ref.as_ref()),
                    })
                }),
                gitea: g.gitea.as_ref().map_or(Val::Null, |p| {
                    Val::Known(PrGitea {
                        owner: sv(p.owner.as_ref()),
                        repo: sv(p.repo.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        insecure: bv(p.insecure),
                    })
                }),
                bitbucket_server: g.bitbucket_server.as_ref().map_or(Val::Null, |p| {
                    Val::Known(PrBitbucketServer {
                        project: sv(p.project.as_ref()),
                        repo: sv(p.repo.as_ref()),
                        api: sv(p.api.as_ref()),
                        basic_auth: basic_from(p.basic_auth.as_ref()),
                        bearer_token_ref: bearer_from(p.bearer_token.as_ref()),
                        insecure: bv(p.insecure),
                        ca_ref: ca_from(p.ca_ref.as_ref()),
                    })
                }),
                azure_devops: g.azure_dev_ops.as_ref().map_or(Val::Null, |p| {
                    Val::Known(PrAzureDevops {
                        organization: sv(p.organization.as_ref()),
                        project: sv(p.project.as_ref()),
                        repo: sv(p.repo.as_ref()),
                        api: sv(p.api.as_ref()),
                        token_ref: secret_from(p.token_ref.as_ref()),
                        labels: setv(p.labels.as_ref()),
                    })
                }),
                filters: app::ov(g.filters.as_ref(), |f| PrFilter {
                    branch_match: sv(f.branch_match.as_ref()),
                    target_branch_match: sv(f.target_branch_match.as_ref()),
                }),
                requeue_after_seconds: i64v(g.requeue_after_seconds.filter(|n| n.0 != 0)),
            })
        }),
        cluster_decision_resource: cdr.map_or(Val::Null, |g| {
            Val::Known(ClusterDecisionResourceGenerator {
                config_map_ref: sv(g.config_map_ref.as_ref()),
                name: sv(g.name.as_ref()),
                label_selector: g
                    .label_selector
                    .as_ref()
                    .map_or(Val::Null, |l| obj(selector_from_api(l))),
                requeue_after_seconds: i64v(g.requeue_after_seconds.filter(|n| n.0 != 0)),
                values: mv(g.values.as_ref()),
            })
        }),
        plugin: plugin.map_or(Val::Null, |g| {
            Val::Known(PluginGenerator {
                config_map_ref: sv(g.config_map_ref.as_ref().and_then(|c| c.name.as_ref())),
                input_parameters: Val::from_option(
                    g.input
                        .as_ref()
                        .and_then(|i| i.parameters.as_ref())
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            Json::Object(
                                p.iter()
                                    .map(|(k, v)| (k.clone(), v.value().unwrap_or(Json::Null)))
                                    .collect(),
                            )
                            .to_string()
                        }),
                ),
                requeue_after_seconds: i64v(g.requeue_after_seconds.filter(|n| n.0 != 0)),
                values: mv(g.values.as_ref()),
            })
        }),
        selector: selector.map_or(Val::Null, |l| Val::Known(selector_from_api(l))),
    }
}

/// The leaf kinds of a combination's child. A `template` the API holds on a child (or a
/// nested combination) is not read: Argo CD ignores the templates of a combination's
/// generators, and the schema has no place for them (only top-level generators have one).
fn leaves_of_nested(g: &api::ApplicationSetNestedGenerator) -> Leaves {
    leaves_from_api(
        g.list.as_ref(),
        g.clusters.as_ref(),
        g.git.as_ref(),
        g.scm_provider.as_ref(),
        g.cluster_decision_resource.as_ref(),
        g.pull_request.as_ref(),
        g.selector.as_ref(),
        g.plugin.as_ref(),
    )
}

fn nested_from_api(g: &api::ApplicationSetNestedGenerator) -> NestedGenerator {
    NestedGenerator {
        leaves: leaves_of_nested(g),
        matrix: g
            .matrix
            .as_ref()
            .and_then(|raw| raw.decode::<api::MatrixGenerator>().ok())
            .map_or(Val::Null, |m| {
                Val::Known(NestedMatrix {
                    generators: Val::Known(
                        m.generators
                            .iter()
                            .flatten()
                            .map(leaves_of_nested)
                            .collect(),
                    ),
                })
            }),
        merge: g
            .merge
            .as_ref()
            .and_then(|raw| raw.decode::<api::MergeGenerator>().ok())
            .map_or(Val::Null, |m| {
                Val::Known(NestedMerge {
                    merge_keys: setv(m.merge_keys.as_ref()),
                    generators: Val::Known(
                        m.generators
                            .iter()
                            .flatten()
                            .map(leaves_of_nested)
                            .collect(),
                    ),
                })
            }),
    }
}

/// The template override of a top-level generator: the `template` of whichever kind carries
/// one (the first, should the API hold several).
fn generator_template(g: &api::ApplicationSetGenerator) -> Option<&api::ApplicationSetTemplate> {
    g.list
        .as_ref()
        .and_then(|k| k.template.as_ref())
        .or_else(|| g.clusters.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| g.git.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| g.scm_provider.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| g.pull_request.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| {
            g.cluster_decision_resource
                .as_ref()
                .and_then(|k| k.template.as_ref())
        })
        .or_else(|| g.plugin.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| g.matrix.as_ref().and_then(|k| k.template.as_ref()))
        .or_else(|| g.merge.as_ref().and_then(|k| k.template.as_ref()))
}

fn generator_from_api(g: &api::ApplicationSetGenerator) -> Generator {
    Generator {
        template: opt_template_from(generator_template(g)),
        leaves: leaves_from_api(
            g.list.as_ref(),
            g.clusters.as_ref(),
            g.git.as_ref(),
            g.scm_provider.as_ref(),
            g.cluster_decision_resource.as_ref(),
            g.pull_request.as_ref(),
            g.selector.as_ref(),
            g.plugin.as_ref(),
        ),
        matrix: g.matrix.as_ref().map_or(Val::Null, |m| {
            Val::Known(Matrix {
                generators: Val::Known(
                    m.generators.iter().flatten().map(nested_from_api).collect(),
                ),
            })
        }),
        merge: g.merge.as_ref().map_or(Val::Null, |m| {
            Val::Known(Merge {
                merge_keys: setv(m.merge_keys.as_ref()),
                generators: Val::Known(
                    m.generators.iter().flatten().map(nested_from_api).collect(),
                ),
            })
        }),
    }
}

/// The generated applications an ApplicationSet's status lists, by name.
pub(crate) fn applications_of(resp: &api::ApplicationSetResponse) -> Vec<GeneratedApp> {
    let mut out: Vec<GeneratedApp> = resp
        .appset
        .as_ref()
        .and_then(|a| a.status.as_ref())
        .and_then(|s| s.resources.as_ref())
        .into_iter()
        .flatten()
        .filter(|r| r.kind.as_deref().is_none_or(|k| k == "Application"))
        .map(|r| GeneratedApp {
            name: sv(r.name.as_ref()),
            namespace: sv(r.namespace.as_ref()),
            sync_status: sv(r.status.as_ref()),
            health_status: sv(r.health.as_ref().and_then(|h| h.status.as_ref())),
        })
        .collect();
    out.sort_by(|a, b| {
        (a.name.as_deref(), a.namespace.as_deref())
            .cmp(&(b.name.as_deref(), b.namespace.as_deref()))
    });
    out
}

/// The state for an API response, keeping `prior`'s form of what means the same; scope and
/// lifecycle settings come from `prior`.
pub(crate) fn from_api(resp: &api::ApplicationSetResponse, prior: &AppSet) -> AppSet {
    let read = state_of(resp, prior);
    let mut v = read.to_value();
    tfplugin::plan::normalize_read(AppSet::shared_schema(), &prior.to_value(), &mut v);
    AppSet::from_object(&v).unwrap_or(read)
}

fn state_of(resp: &api::ApplicationSetResponse, prior: &AppSet) -> AppSet {
    let mut s = prior.clone();
    if let Some(id) = resp.identifier.as_ref().filter(|i| !i.is_empty()) {
        s.identifier = Val::Known(id.clone());
    } else if s.identifier.is_unknown() {
        s.identifier = Val::Null;
    }
    let set = resp.appset.as_ref();
    if let Some(meta) = set.and_then(|a| a.metadata.as_ref()) {
        if let Some(n) = meta.name.as_ref().filter(|n| !n.is_empty()) {
            s.name = Val::Known(n.clone());
        }
        s.appset_namespace = match meta.namespace.as_ref().filter(|n| !n.is_empty()) {
            Some(n) => Val::Known(n.clone()),
            None if prior.appset_namespace.is_unknown() => Val::Null,
            None => prior.appset_namespace.clone(),
        };
        s.labels = mv(meta.labels.as_ref());
        s.annotations = mv(meta.annotations.as_ref());
    } else if s.appset_namespace.is_unknown() {
        s.appset_namespace = Val::Null;
    }
    if let Some(spec) = set.and_then(|a| a.spec.as_ref()) {
        s.generators = Val::Known(
            spec.generators
                .iter()
                .flatten()
                .map(generator_from_api)
                .collect(),
        );
        if let Some(t) = spec.template.as_ref() {
            s.template = template_from_api(t);
        }
        s.template_patch = sv(spec.template_patch.as_ref());
        s.go_template = bv(spec.go_template);
        s.go_template_options = setv(spec.go_template_options.as_ref());
        s.sync_policy = spec.sync_policy.as_ref().map_or(Val::Null, |p| {
            obj(AppSetSyncPolicy {
                preserve_resources_on_deletion: bv(p.preserve_resources_on_deletion),
                applications_sync: sv(p.applications_sync.as_ref()),
            })
        });
        s.strategy = spec.strategy.as_ref().map_or(Val::Null, |st| {
            obj(Strategy {
                r#type: sv(st.strategy_type.as_ref()),
                rolling_sync: st.rolling_sync.as_ref().map_or(Val::Null, |r| {
                    obj(RollingSync {
                        steps: app::ov(r.steps.as_ref(), |step| RollingStep {
                            match_expressions: objects_set(step.match_expressions.as_ref(), |x| {
                                StepExpression {
                                    key: sv(x.key.as_ref()),
                                    operator: sv(x.operator.as_ref()),
                                    values: setv(x.values.as_ref()),
                                }
                            }),
                            max_update: Val::from_option(
                                step.max_update.as_ref().and_then(api::IntOrString::text),
                            ),
                        }),
                    })
                }),
            })
        });
        s.ignore_application_differences =
            objects_set(spec.ignore_application_differences.as_ref(), |d| {
                IgnoreAppDifference {
                    name: sv(d.name.as_ref()),
                    json_pointers: setv(d.json_pointers.as_ref()),
                    jq_path_expressions: setv(d.jq_path_expressions.as_ref()),
                }
            });
        s.preserved_fields = spec.preserved_fields.as_ref().map_or(Val::Null, |p| {
            obj(PreservedFields {
                annotations: set_of(p.annotations.as_ref(), |x| Some(x.clone())),
                labels: set_of(p.labels.as_ref(), |x| Some(x.clone())),
            })
        });
    }
    if !s.upsert.is_known() {
        s.upsert = Val::Known(false);
    }
    let status = set.and_then(|a| a.status.as_ref());
    s.applications = Val::Known(applications_of(resp));
    s.conditions = Val::Known(
        status
            .and_then(|x| x.conditions.as_ref())
            .into_iter()
            .flatten()
            .map(|c| AppSetCondition {
                r#type: sv(c.condition_type.as_ref()),
                status: sv(c.status.as_ref()),
                reason: sv(c.reason.as_ref()),
                message: sv(c.message.as_ref()),
            })
            .collect(),
    );
    s.created_at = Val::from_option(resp.created_at.clone());
    s.updated_at = Val::from_option(resp.last_modified_at.clone());
    s.id = s.scope.import_id(&s.name);
    s
}
