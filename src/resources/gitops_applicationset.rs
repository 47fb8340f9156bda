//! `harness_gitops_applicationset`: an Argo CD ApplicationSet managed through a Harness
//! GitOps agent (one set of generated applications per resource), and the data source of the
//! same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → waiting →
//! API mapping → data source → tests.
//!
//! The template is the application's own model: [`Template`] has the attributes of
//! `harness_gitops_application` that make up an Argo CD application (metadata and spec), with
//! the same names, Rust types and validation, and its API mapping is the application's
//! (`to_api`/`from_api` of `gitops_application`, through [`Template::as_app`]). Values with
//! `{{` are templates: the checks that cannot judge them before Argo CD renders them wait.
//! The generators are in `generators`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value as Json;
use tfplugin::resource::{Operation, Resource};
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, Set, Timeouts, TypedPlan};
use tfplugin::{Model, Val};

use harness_gitops_client::models::ApplicationSetResponse;

use super::common::{self, Scope};
use super::data_source::ScopedLookup;
use super::gitops_application::{
    kubernetes_name, non_negative, same_destination, same_project, zero, App, Destination,
    IgnoreDifference, InfoEntry, Source, SyncPolicy, Wait,
};
use crate::provider::ProviderData;

pub mod generators;
mod mapping;
mod ops;

pub use generators::*;

const TYPE_NAME: &str = "harness_gitops_applicationset";

/// Default deadline of create, update and delete (each includes its wait).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

/// A Harness GitOps ApplicationSet: an Argo CD `ApplicationSet` created through a Harness
/// GitOps agent. Its generators (list, clusters, Git, SCM provider, pull request, cluster
/// decision resource, plugin, and their `matrix` and `merge` combinations) produce parameter
/// sets, and Argo CD makes one application of the template per set, adding, updating and
/// deleting applications as the parameters change. Optionally waits after create and update
/// until every generated application is `Synced` and `Healthy`, failing fast with the first
/// failed application's name and Argo CD's message.
///
/// The template has the attributes of `harness_gitops_application` (metadata and spec) under
/// the same names and checks; in a template a value may hold parameters (`{{name}}`, or
/// `{{.name}}` with `go_template`). Unset nested objects stay null in state, and what Argo CD
/// fills in (a default sync policy, the `AllAtOnce` strategy) is no change.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppSet {
    /// Import ID: `org_id/project_id/agent_id/name`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// The identifier Harness gives the ApplicationSet (a UUID).
    #[tf(computed, keep_prior)]
    pub identifier: Val<String>,
    /// Name of the ApplicationSet (a Kubernetes object name). Changing it replaces the
    /// ApplicationSet (and, unless `sync_policy.preserve_resources_on_deletion`, its
    /// applications).
    #[tf(required, requires_replace, validate = kubernetes_name)]
    pub name: Val<String>,
    /// Kubernetes namespace of the ApplicationSet object (`metadata.namespace`). Defaults to
    /// the agent's namespace. Changing it replaces the ApplicationSet.
    #[tf(optional_computed, keep_prior, requires_replace, validate = kubernetes_name)]
    pub appset_namespace: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Kubernetes labels of the ApplicationSet object.
    #[tf(optional, null_means = zero)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Kubernetes annotations of the ApplicationSet object.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<BTreeMap<String, String>>,
    /// The generators, whose parameter sets together make the applications: each entry is
    /// exactly one generator kind, optionally with a `selector` and a `template` override.
    #[tf(required, nested)]
    pub generators: Val<Vec<Generator>>,
    /// The application every parameter set makes: the attributes of
    /// `harness_gitops_application` that describe an Argo CD application. `name`,
    /// `argo_project`, `destination` and `sources` are needed here (a generator's
    /// `template` overrides any of them for its applications).
    #[tf(required, nested)]
    pub template: Val<Template>,
    /// A Go template that renders to a YAML or JSON patch of each generated application,
    /// for what attributes cannot express (e.g. optional fields by parameter). Needs
    /// `go_template = true`.
    #[tf(optional, null_means = zero)]
    pub template_patch: Val<String>,
    /// Render the template with Go's `text/template` (parameters are `{{.name}}`, with
    /// Sprig functions) instead of Argo CD's simple `{{name}}` substitution.
    #[tf(optional, null_means = zero)]
    pub go_template: Val<bool>,
    /// Options of Go templates, e.g. `missingkey=error`. Needs `go_template = true`.
    #[tf(optional, null_means = zero)]
    pub go_template_options: Val<Set<String>>,
    /// What Argo CD may do to the generated applications and their resources.
    #[tf(optional, null_means = zero_or_default_policy, nested)]
    pub sync_policy: Val<AppSetSyncPolicy>,
    /// How changes reach the applications: all at once (Argo CD's default) or in
    /// RollingSync steps (progressive sync, which must be enabled on Argo CD's ApplicationSet
    /// controller).
    #[tf(optional, null_means = all_at_once, nested)]
    pub strategy: Val<Strategy>,
    /// Fields of the generated applications that Argo CD leaves as they are (changed by
    /// hand or by another tool) instead of resetting them to the template.
    #[tf(optional, null_means = zero, nested)]
    pub ignore_application_differences: Val<Set<IgnoreAppDifference>>,
    /// Annotations and labels of the generated applications that Argo CD keeps when it
    /// updates them from the template.
    #[tf(optional, null_means = zero, nested)]
    pub preserved_fields: Val<PreservedFields>,
    /// On create, adopt an ApplicationSet that already exists with this name instead of
    /// failing. Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// Wait after create and update until every generated application is `Synced` and
    /// `Healthy` (`wait = {}`), or only `Synced` (`wait = { health = false }`). Unset (the
    /// default) does not wait. A failed sync of any application fails the apply at once with
    /// its name and Argo CD's message; the `timeouts` block bounds the wait, and Ctrl-C ends
    /// it. The ApplicationSet stays in state whatever the outcome; a create whose wait fails
    /// is recorded tainted. Waiting needs generated applications that sync:
    /// `template.sync_policy.automated`, or a RollingSync strategy.
    #[tf(optional, nested)]
    pub wait: Val<Wait>,
    /// The applications the ApplicationSet generated, by name, with their sync and health
    /// status as last read.
    #[tf(computed, nested)]
    pub applications: Val<Vec<GeneratedApp>>,
    /// Argo CD's conditions of the ApplicationSet (e.g. `ErrorOccurred` when a generator or
    /// the template fails, `ResourcesUpToDate`).
    #[tf(computed, nested)]
    pub conditions: Val<Vec<AppSetCondition>>,
    /// When the ApplicationSet was created (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// When the ApplicationSet was last modified (RFC 3339).
    #[tf(computed)]
    pub updated_at: Val<String>,
    /// How long operations may take; create, update and delete default to 10 minutes,
    /// waiting included.
    #[tf(block)]
    pub timeouts: Val<Timeouts>,
}

/// The template of the generated applications: the attributes of `harness_gitops_application`
/// that make an Argo CD application, with the same names and checks. Values may hold
/// parameters. In a generator's `template`, every attribute is an override and may be left
/// out.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Template {
    /// Name of each generated application; must differ per parameter set, e.g.
    /// `"{{model}}-training"`.
    #[tf(optional, null_means = zero, validate = templated_name)]
    pub name: Val<String>,
    /// Kubernetes namespace of the generated Application objects (unset: the
    /// ApplicationSet's).
    #[tf(optional, null_means = zero, validate = templated_name)]
    pub app_namespace: Val<String>,
    /// Argo CD project of the generated applications (`spec.project`).
    #[tf(optional, equivalence = same_project)]
    pub argo_project: Val<String>,
    /// Kubernetes labels of the generated applications.
    #[tf(optional, null_means = zero)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Kubernetes annotations of the generated applications.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<BTreeMap<String, String>>,
    /// Kubernetes finalizers of the generated applications (e.g.
    /// `resources-finalizer.argocd.argoproj.io`, so that deleting an application deletes
    /// its resources).
    #[tf(optional, null_means = zero)]
    pub finalizers: Val<Set<String>>,
    /// Where each application deploys to: a cluster (by `server` URL or by `name`, exactly
    /// one) and a namespace, as in `harness_gitops_application`.
    #[tf(optional, nested, equivalence = same_destination)]
    pub destination: Val<Destination>,
    /// The sources of each application's manifests, in order, as in
    /// `harness_gitops_application`.
    #[tf(optional, null_means = zero, nested)]
    pub sources: Val<Vec<Source>>,
    /// When and how Argo CD syncs each application, as in `harness_gitops_application`.
    #[tf(optional, nested)]
    pub sync_policy: Val<SyncPolicy>,
    /// Differences Argo CD ignores when comparing each application's live and desired
    /// state.
    #[tf(optional, null_means = zero, nested)]
    pub ignore_differences: Val<Vec<IgnoreDifference>>,
    /// Extra information shown with each application.
    #[tf(optional, null_means = zero, nested)]
    pub info: Val<Vec<InfoEntry>>,
    /// How many past syncs Argo CD keeps in each application's history.
    #[tf(optional, null_means = zero, validate = non_negative)]
    pub revision_history_limit: Val<i64>,
}

/// The ApplicationSet's sync policy.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppSetSyncPolicy {
    /// Keep what the generated applications deployed when the ApplicationSet is deleted
    /// (Argo CD does not cascade the deletion to their resources). Destroy then waits only
    /// for the ApplicationSet itself to be gone.
    #[tf(optional, null_means = zero)]
    pub preserve_resources_on_deletion: Val<bool>,
    /// What Argo CD may do to the generated applications: `create-only`, `create-update`,
    /// `create-delete` or `sync` (Argo CD's default: create, update and delete).
    #[tf(
        optional,
        null_means = default_applications_sync,
        one_of("create-only", "create-update", "create-delete", "sync")
    )]
    pub applications_sync: Val<String>,
}

/// How changes reach the generated applications.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Strategy {
    /// `AllAtOnce` (Argo CD's default) or `RollingSync`.
    #[tf(required, one_of("AllAtOnce", "RollingSync"))]
    pub r#type: Val<String>,
    /// The steps of a RollingSync, in order.
    #[tf(optional, nested)]
    pub rolling_sync: Val<RollingSync>,
}

/// The steps of a RollingSync.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct RollingSync {
    /// The steps, in order: each waits until the previous ones' applications are healthy.
    #[tf(required, nested)]
    pub steps: Val<Vec<RollingStep>>,
}

/// Fields of generated applications that Argo CD does not reset.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct IgnoreAppDifference {
    /// Only the application of this name (unset: every generated application).
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// JSON pointers of the fields, e.g. `/spec/source/targetRevision`.
    #[tf(optional, null_means = zero)]
    pub json_pointers: Val<Set<String>>,
    /// jq path expressions of the fields.
    #[tf(optional, null_means = zero)]
    pub jq_path_expressions: Val<Set<String>>,
}

/// Annotations and labels kept on updates.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PreservedFields {
    /// Annotation keys.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<Set<String>>,
    /// Label keys.
    #[tf(optional, null_means = zero)]
    pub labels: Val<Set<String>>,
}

/// A generated application.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GeneratedApp {
    /// Name of the application.
    #[tf(computed)]
    pub name: Val<String>,
    /// Kubernetes namespace of the Application object.
    #[tf(computed)]
    pub namespace: Val<String>,
    /// Argo CD's sync status: `Synced`, `OutOfSync` or `Unknown`.
    #[tf(computed)]
    pub sync_status: Val<String>,
    /// Argo CD's health status: `Healthy`, `Progressing`, `Degraded`, `Suspended`,
    /// `Missing` or `Unknown`.
    #[tf(computed)]
    pub health_status: Val<String>,
}

/// An ApplicationSet condition.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppSetCondition {
    /// The condition type, e.g. `ErrorOccurred`, `ParametersGenerated`,
    /// `ResourcesUpToDate`.
    #[tf(computed)]
    pub r#type: Val<String>,
    /// `True`, `False` or `Unknown`.
    #[tf(computed)]
    pub status: Val<String>,
    /// Why, in one word, e.g. `ApplicationSetUpToDate`.
    #[tf(computed)]
    pub reason: Val<String>,
    /// What the condition says.
    #[tf(computed)]
    pub message: Val<String>,
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

/// Whether a string holds template parameters (checked after Argo CD renders it).
pub fn templated(s: &str) -> bool {
    s.contains("{{")
}

/// A Kubernetes name, or a template of one.
pub fn templated_name(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if v.as_str().is_some_and(templated) {
        return;
    }
    kubernetes_name(v, path, diags);
}

/// `elements_yaml`: a YAML or JSON list of objects.
pub fn yaml_list(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(text) = v.as_str() else { return };
    match serde_yaml_ng::from_str::<Json>(text) {
        Ok(Json::Array(items)) if items.iter().all(Json::is_object) => {}
        Ok(_) => diags.error_at(
            path.clone(),
            "Invalid List Elements",
            "`elements_yaml` must be a list of objects, e.g. `yamlencode([{ model = \"bert\" }])`.",
        ),
        Err(e) => diags.error_at(
            path.clone(),
            "Invalid List Elements",
            format!("`elements_yaml` is not YAML or JSON: {e}"),
        ),
    }
}

/// The plugin generator's `input_parameters`: a JSON object.
pub fn input_parameters(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(text) = v.as_str() else { return };
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(_)) => {}
        _ => diags.error_at(
            path.clone(),
            "Invalid Plugin Input",
            "`input_parameters` must be a JSON object, e.g. `jsonencode({ model = \"bert\" })`.",
        ),
    }
}

/// Two JSON texts that mean the same.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => {
            x == y
                || matches!(
                    (serde_json::from_str::<Json>(x), serde_json::from_str::<Json>(y)),
                    (Ok(p), Ok(q)) if p == q
                )
        }
        _ => false,
    }
}

/// A RollingSync step's `max_update`: a whole number of at least 0 or a percentage.
pub fn max_update_or_percent(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(s) = v.as_str() else { return };
    let ok = match s.strip_suffix('%') {
        Some(p) => p.parse::<u32>().is_ok_and(|p| p <= 100),
        None => s.parse::<u32>().is_ok(),
    };
    if !ok {
        diags.error_at(
            path.clone(),
            "Invalid Max Update",
            format!(
                "{s:?} is neither a whole number (e.g. \"2\") nor a percentage (e.g. \"25%\")."
            ),
        );
    }
}

/// What an unset sync policy reads back as: nothing, or Argo CD's default `sync`.
pub fn zero_or_default_policy(v: &Value) -> bool {
    zero(v)
        || (zero(v.attr("preserve_resources_on_deletion"))
            && default_applications_sync(v.attr("applications_sync")))
}

/// `applications_sync` unset means `sync`.
pub fn default_applications_sync(v: &Value) -> bool {
    zero(v) || v.as_str() == Some("sync")
}

/// An unset strategy reads back as nothing or as `AllAtOnce` without steps.
pub fn all_at_once(v: &Value) -> bool {
    zero(v) || (v.attr("type").as_str() == Some("AllAtOnce") && zero(v.attr("rolling_sync")))
}

/// The kinds a generator entry sets, by attribute name (known or unknown, not null).
fn kinds_of_leaves(l: &Leaves) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (set, name) in [
        (!l.list.is_null(), Leaves::LIST),
        (!l.clusters.is_null(), Leaves::CLUSTERS),
        (!l.git.is_null(), Leaves::GIT),
        (!l.scm_provider.is_null(), Leaves::SCM_PROVIDER),
        (!l.pull_request.is_null(), Leaves::PULL_REQUEST),
        (
            !l.cluster_decision_resource.is_null(),
            Leaves::CLUSTER_DECISION_RESOURCE,
        ),
        (!l.plugin.is_null(), Leaves::PLUGIN),
    ] {
        if set {
            out.push(name);
        }
    }
    out
}

/// Checks one generator entry: exactly one kind, and the kind's own rules.
fn check_entry(kinds: Vec<&'static str>, l: &Leaves, at: &AttributePath, diags: &mut Diagnostics) {
    match kinds.len() {
        1 => {}
        0 => diags.error_at(
            at.clone(),
            "Generator Without Kind",
            "Each generator is exactly one of `list`, `clusters`, `git`, `scm_provider`, `pull_request`, \
             `cluster_decision_resource`, `plugin`, `matrix` or `merge` (a `selector` only filters one of them).",
        ),
        _ => diags.error_at(
            at.clone(),
            "Several Generators In One Entry",
            format!(
                "This entry sets {}; Argo CD takes one generator per entry. Make each its own entry of the list.",
                kinds
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
    }
    if let Val::Known(g) = &l.git {
        let has = |v: bool| v;
        let dirs = has(!g.directories.is_null());
        let files = has(!g.files.is_null());
        if dirs == files {
            diags.error_at(
                at.child(Leaves::GIT),
                "Git Generator Needs Directories Or Files",
                "Set exactly one of `directories` (one application per matching directory) and `files` (one per \
                 matching JSON or YAML file).",
            );
        }
    }
    if let Val::Known(s) = &l.scm_provider {
        let n = [
            !s.github.is_null(),
            !s.gitlab.is_null(),
            !s.gitea.is_null(),
            !s.bitbucket_server.is_null(),
            !s.bitbucket.is_null(),
            !s.azure_devops.is_null(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if n != 1 {
            diags.error_at(
                at.child(Leaves::SCM_PROVIDER),
                "SCM Provider Needs One Provider",
                "Set exactly one of `github`, `gitlab`, `gitea`, `bitbucket_server`, `bitbucket` and `azure_devops`.",
            );
        }
    }
    if let Val::Known(p) = &l.pull_request {
        let n = [
            !p.github.is_null(),
            !p.gitlab.is_null(),
            !p.gitea.is_null(),
            !p.bitbucket_server.is_null(),
            !p.azure_devops.is_null(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if n != 1 {
            diags.error_at(
                at.child(Leaves::PULL_REQUEST),
                "Pull Request Generator Needs One Provider",
                "Set exactly one of `github`, `gitlab`, `gitea`, `bitbucket_server` and `azure_devops`.",
            );
        }
    }
}

/// Checks a template: the application's rules for what is set; `complete` (the
/// ApplicationSet's own template) also needs what every application needs.
fn check_template(t: &Val<Template>, at: &AttributePath, complete: bool, diags: &mut Diagnostics) {
    let Val::Known(t) = t else { return };
    if complete {
        for (v, name, what) in [
            (t.name.is_null(), Template::NAME, "a name per parameter set, e.g. \"{{model}}-training\""),
            (
                t.argo_project.is_null(),
                Template::ARGO_PROJECT,
                "an Argo CD project (\"default\" for Argo CD's default project; Argo CD 2.12 made it mandatory)",
            ),
            (t.destination.is_null(), Template::DESTINATION, "a destination cluster and namespace"),
            (t.sources.is_null(), Template::SOURCES, "at least one source"),
        ] {
            if v {
                diags.error_at(
                    at.child(name),
                    "Incomplete Application Template",
                    format!("Every generated application needs {what}: set `template.{name}`."),
                );
            }
        }
    }
    if let Val::Known(sources) = &t.sources {
        if sources.is_empty() && complete {
            diags.error_at(
                at.child(Template::SOURCES),
                "No Source",
                "An application needs at least one source: a Git directory (`path`) or a Helm chart (`chart`).",
            );
        }
        for (i, s) in sources.iter().enumerate() {
            if s.path.is_null() && s.chart.is_null() && s.reference.is_null() {
                diags.error_at(
                    at.child(Template::SOURCES).index(i as i64),
                    "Source Without Path Or Chart",
                    "A source needs `path` (a directory of a Git repository) or `chart` (a Helm chart); a source \
                     that only lends its files to other sources sets `ref` instead.",
                );
            }
        }
    }
}

/// Whether the template syncs automatically; `None` while not known.
fn template_automated(c: &AppSet) -> Option<bool> {
    let Val::Known(t) = &c.template else {
        return if c.template.is_unknown() {
            None
        } else {
            Some(false)
        };
    };
    match &t.sync_policy {
        Val::Null => Some(false),
        Val::Unknown => None,
        Val::Known(p) => match &p.automated {
            Val::Null => Some(false),
            Val::Unknown => None,
            Val::Known(_) => Some(true),
        },
    }
}

/// The count of a combination's generators: exactly two in a matrix, two or more in a merge.
fn check_count<T>(kind: &str, gens: &Val<Vec<T>>, at: &AttributePath, diags: &mut Diagnostics) {
    let Val::Known(g) = gens else { return };
    let ok = if kind == Generator::MATRIX {
        g.len() == 2
    } else {
        g.len() >= 2
    };
    if !ok {
        diags.error_at(
            at.clone(),
            "Wrong Number Of Generators",
            if kind == Generator::MATRIX {
                format!(
                    "A matrix combines exactly two generators; this one has {}.",
                    g.len()
                )
            } else {
                format!(
                    "A merge needs two or more generators; this one has {}.",
                    g.len()
                )
            },
        );
    }
}

/// Whether a generator's template override sets a sync policy: then the top-level
/// template's policy is not the only one the applications may have.
fn overrides_sync_policy(c: &AppSet) -> bool {
    let Val::Known(gens) = &c.generators else {
        return false;
    };
    gens.iter()
        .any(|g| matches!(&g.template, Val::Known(t) if !t.sync_policy.is_null()))
}

/// Checks across attributes (the single-attribute ones are declared on the model).
fn validate_config(c: &AppSet, diags: &mut Diagnostics) {
    let at = AttributePath::attr;
    check_template(&c.template, &at(AppSet::TEMPLATE), true, diags);
    if let Val::Known(gens) = &c.generators {
        if gens.is_empty() {
            diags.error_at(
                at(AppSet::GENERATORS),
                "No Generator",
                "An ApplicationSet needs at least one generator.",
            );
        }
        for (i, g) in gens.iter().enumerate() {
            let p = at(AppSet::GENERATORS).index(i as i64);
            let mut kinds = kinds_of_leaves(&g.leaves);
            if !g.matrix.is_null() {
                kinds.push(Generator::MATRIX);
            }
            if !g.merge.is_null() {
                kinds.push(Generator::MERGE);
            }
            check_entry(kinds, &g.leaves, &p, diags);
            check_template(&g.template, &p.child(Generator::TEMPLATE), false, diags);
            let children = match (&g.matrix, &g.merge) {
                (Val::Known(m), _) => Some((Generator::MATRIX, &m.generators)),
                (_, Val::Known(m)) => Some((Generator::MERGE, &m.generators)),
                _ => None,
            };
            let Some((kind, gens)) = children else {
                continue;
            };
            check_count(kind, gens, &p.child(kind).child(Matrix::GENERATORS), diags);
            let Val::Known(children) = gens else {
                continue;
            };
            for (j, n) in children.iter().enumerate() {
                let q = p.child(kind).child(Matrix::GENERATORS).index(j as i64);
                let mut kinds = kinds_of_leaves(&n.leaves);
                if !n.matrix.is_null() {
                    kinds.push(NestedGenerator::MATRIX);
                }
                if !n.merge.is_null() {
                    kinds.push(NestedGenerator::MERGE);
                }
                check_entry(kinds, &n.leaves, &q, diags);
                let grandchildren = match (&n.matrix, &n.merge) {
                    (Val::Known(m), _) => Some((NestedGenerator::MATRIX, &m.generators)),
                    (_, Val::Known(m)) => Some((NestedGenerator::MERGE, &m.generators)),
                    _ => None,
                };
                let Some((inner, gens)) = grandchildren else {
                    continue;
                };
                check_count(
                    inner,
                    gens,
                    &q.child(inner).child(NestedMatrix::GENERATORS),
                    diags,
                );
                let Val::Known(leaves) = gens else {
                    continue;
                };
                for (k, l) in leaves.iter().enumerate() {
                    let r = q
                        .child(inner)
                        .child(NestedMatrix::GENERATORS)
                        .index(k as i64);
                    check_entry(kinds_of_leaves(l), l, &r, diags);
                }
            }
        }
    }
    let go = match &c.go_template {
        Val::Null => Some(false),
        Val::Unknown => None,
        Val::Known(b) => Some(*b),
    };
    if go == Some(false) {
        if !c.template_patch.is_null() {
            diags.error_at(
                at(AppSet::TEMPLATE_PATCH),
                "Template Patch Needs Go Templates",
                "Argo CD applies `template_patch` only to Go templates: set `go_template = true`.",
            );
        }
        if !c.go_template_options.is_null() {
            diags.error_at(
                at(AppSet::GO_TEMPLATE_OPTIONS),
                "Go Template Options Without Go Templates",
                "`go_template_options` apply to Go templates: set `go_template = true` or remove them.",
            );
        }
    }
    let rolling = match &c.strategy {
        Val::Known(s) => match &s.r#type {
            Val::Known(t) => Some(t == "RollingSync"),
            Val::Null => Some(false),
            Val::Unknown => None,
        },
        Val::Null => Some(false),
        Val::Unknown => None,
    };
    if let Val::Known(s) = &c.strategy {
        match (rolling, &s.rolling_sync) {
            (Some(true), Val::Null) => diags.error_at(
                at(AppSet::STRATEGY).child(Strategy::ROLLING_SYNC),
                "RollingSync Without Steps",
                "A `RollingSync` strategy needs `rolling_sync = { steps = [...] }`.",
            ),
            (Some(false), Val::Known(_)) => diags.error_at(
                at(AppSet::STRATEGY).child(Strategy::ROLLING_SYNC),
                "Steps Without RollingSync",
                "`rolling_sync` applies to `type = \"RollingSync\"`.",
            ),
            _ => {}
        }
    }
    if c.wait.is_known()
        && template_automated(c) == Some(false)
        && rolling == Some(false)
        && !overrides_sync_policy(c)
    {
        diags.error_at(
            at(AppSet::WAIT),
            "Nothing Will Sync",
            "The template's sync policy is not automated, so Argo CD does not sync the generated applications and \
             `wait` would wait until its timeout. Set `template.sync_policy.automated` (e.g. `automated = {}`) or \
             remove `wait`.",
        );
    }
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

/// The resource.
pub struct GitopsApplicationSet;

#[async_trait]
impl ModelResource<ProviderData> for GitopsApplicationSet {
    type Model = AppSet;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &AppSet, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, AppSet, ProviderData>,
        planned: &mut AppSet,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.provider.is_some() {
            common::require_project_scope(&planned.scope, "ApplicationSet", true, diags);
        }
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.name);
        }
    }

    fn default_timeout(&self, _op: Operation) -> Duration {
        DEFAULT_TIMEOUT
    }

    async fn create(
        &self,
        ctx: &super::Ctx,
        planned: &AppSet,
        _config: &AppSet,
        diags: &mut Diagnostics,
    ) -> Option<AppSet> {
        ops::create(ctx, planned, diags).await
    }

    async fn read(
        &self,
        ctx: &super::Ctx,
        current: &AppSet,
        diags: &mut Diagnostics,
    ) -> Option<AppSet> {
        ops::read(ctx, current, diags).await
    }

    async fn update(
        &self,
        ctx: &super::Ctx,
        prior: &AppSet,
        planned: &AppSet,
        _config: &AppSet,
        diags: &mut Diagnostics,
    ) -> Option<AppSet> {
        ops::update(ctx, prior, planned, diags).await
    }

    async fn delete(&self, ctx: &super::Ctx, prior: &AppSet, diags: &mut Diagnostics) {
        ops::delete(ctx, prior, diags).await
    }

    async fn import(&self, ctx: &super::Ctx, id: &str, diags: &mut Diagnostics) -> Option<AppSet> {
        ops::import(ctx, id, diags).await
    }
}

// ---------------------------------------------------------------------------------------
// Data source
// ---------------------------------------------------------------------------------------

/// Lifecycle settings: Terraform's own, not the ApplicationSet's.
const LIFECYCLE: [&str; 2] = [AppSet::UPSERT, AppSet::WAIT];

/// The data source: the resource's attributes without the lifecycle settings.
pub struct GitopsApplicationSetData;

fn data_schema() -> Schema {
    common::data_source_schema(
        &AppSet::schema(),
        "Reads a Harness GitOps ApplicationSet by scope and name: its generators, template and policies, and \
         the applications it generated with their sync and health status.",
        &[
            (AppSet::NAME, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &LIFECYCLE,
    )
}

#[async_trait]
impl ScopedLookup for GitopsApplicationSetData {
    type Model = AppSet;
    type Response = ApplicationSetResponse;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "ApplicationSet";
    const KEY: &'static str = AppSet::NAME;
    const PLACE: &'static str = "project";

    fn check_scope(scope: &Scope, diags: &mut Diagnostics) {
        common::require_project_scope(scope, "ApplicationSet", false, diags);
    }

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut AppSet) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.name)
    }

    async fn get(
        client: &harness_gitops_client::Client,
        scope: &harness_gitops_client::Scope,
        key: &str,
    ) -> Result<Option<ApplicationSetResponse>, harness_gitops_client::Error> {
        ops::find(client, scope, key).await
    }

    fn convert(resp: &ApplicationSetResponse, key: &AppSet) -> AppSet {
        mapping::from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsApplicationSet)
}

impl Template {
    /// The application this template describes (the application's mapping works on it).
    pub(crate) fn as_app(&self) -> App {
        App {
            name: self.name.clone(),
            app_namespace: self.app_namespace.clone(),
            argo_project: self.argo_project.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            finalizers: self.finalizers.clone(),
            destination: self.destination.clone(),
            sources: self.sources.clone(),
            sync_policy: self.sync_policy.clone(),
            ignore_differences: self.ignore_differences.clone(),
            info: self.info.clone(),
            revision_history_limit: self.revision_history_limit.clone(),
            ..Default::default()
        }
    }

    /// The template of an application's metadata and spec.
    pub(crate) fn of_app(a: &App) -> Template {
        Template {
            name: a.name.clone(),
            app_namespace: a.app_namespace.clone(),
            argo_project: a.argo_project.clone(),
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            finalizers: a.finalizers.clone(),
            destination: a.destination.clone(),
            sources: a.sources.clone(),
            sync_policy: a.sync_policy.clone(),
            ignore_differences: a.ignore_differences.clone(),
            info: a.info.clone(),
            revision_history_limit: a.revision_history_limit.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
