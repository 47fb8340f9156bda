//! `harness_gitops_application`: an Argo CD application managed through a Harness GitOps
//! agent (one application per resource; `for_each` for many), and the data source of the
//! same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → waiting →
//! API mapping (`to_api`, `from_api`, the declared comparisons that keep the user's form) →
//! data source → tests.
//!
//! The Argo CD spec is modelled with nested attributes, not blocks (ARCHITECTURE.md): a
//! module passes a whole `sources` list or `sync_policy` object from a variable, and unset
//! objects stay null. Field names follow the CRD (`application-crd.yaml`) in snake case;
//! what the Harness API cannot carry (fields only newer Argo CD has, such as
//! `sourceHydrator`, `syncPolicy.automated.enabled` or source `tagPrefix`) is not offered.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    Application as ApiApplication, ApplicationCreateRequest, ApplicationDestination,
    ApplicationResponse, ApplicationSource, ApplicationSpec, ApplicationSyncRequest,
    ApplicationUpdateRequest, Backoff as ApiBackoff, DirectorySource, EnvEntry, HelmFileParameter,
    HelmParameter, HelmSource, Info, Int64, JsonnetSource, JsonnetVar, KustomizeGvk,
    KustomizePatch, KustomizeReplica, KustomizeResId, KustomizeSelector, KustomizeSource,
    ManagedNamespaceMetadata as ApiManagedNamespaceMetadata, ObjectMeta, OptionalArray,
    OptionalMap, PluginParameter as ApiPluginParameter, PluginSource, ResourceIgnoreDifferences,
    RetryStrategy, SyncPolicy as ApiSyncPolicy, SyncPolicyAutomated, Time,
};
use harness_gitops_client::{AppQuery, ApplicationDeleteOptions};
use serde_json::Value as Json;
use tfplugin::ctx::{Backoff, Interrupt, Poll, WaitError};
use tfplugin::resource::{Operation, Resource};
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, Set, TfType, Timeouts, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope};
use super::data_source::ScopedLookup;
use super::gitops_app_project::rules;
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_application";

/// Argo CD's finalizer that makes deleting an application delete its resources first.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// Default deadline of create, update and delete (each includes its wait).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Polling while waiting for sync, health or deletion.
const POLL: Backoff = Backoff {
    initial: Duration::from_millis(300),
    max: Duration::from_secs(5),
    factor: 1.5,
};

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

/// A Harness GitOps application: an Argo CD `Application` (its sources, destination, sync
/// policy and the rest of its spec) created through a Harness GitOps agent. Optionally waits
/// after create and update until Argo CD reports it `Synced` and `Healthy`, failing fast with
/// Argo CD's message when its sync fails.
///
/// Attribute names follow Argo CD's Application CRD in snake case. Fields of newer Argo CD
/// releases that the Harness GitOps API does not carry (`sourceHydrator`,
/// `syncPolicy.automated.enabled`, `retry.refresh`, source `tagPrefix`, directory
/// `disableExtensionFilter`, Kustomize `ignoreMissingComponents`, `labelIncludeTemplates` and
/// `commonAnnotationsEnvsubst`) are not offered, nor is the `ksonnet` source Argo CD removed.
/// Unset nested objects stay null in state, and what Argo CD fills in or normalises (a
/// default project, `HEAD`, trailing slashes, the order of sync options, reformatted Helm
/// values) is no change.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct App {
    /// Import ID: `org_id/project_id/agent_id/name`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Name of the application (a Kubernetes object name: lowercase letters, digits, `-` and
    /// `.`). Changing it replaces the application.
    #[tf(required, requires_replace, validate = kubernetes_name)]
    pub name: Val<String>,
    /// Kubernetes namespace of the Application object itself (`metadata.namespace`; Argo CD's
    /// applications in any namespace). Defaults to the agent's namespace. Changing it replaces
    /// the application.
    #[tf(optional_computed, keep_prior, requires_replace, validate = kubernetes_name)]
    pub app_namespace: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Harness identifier of the GitOps cluster the application deploys to (sent as
    /// `clusterIdentifier`).
    #[tf(optional, null_means = zero)]
    pub cluster_id: Val<String>,
    /// Harness identifier of the repository of a single-source application (sent as
    /// `repoIdentifier`). One of `repo_id`, `repo_ids` or `skip_repo_validation = true` is
    /// needed.
    #[tf(optional, null_means = zero, conflicts_with("repo_ids"))]
    pub repo_id: Val<String>,
    /// Harness identifiers of the repositories of a multi-source application (sent as
    /// `repoIdentifiers`; order does not matter). Harness keeps a link (`cluster_id`,
    /// `repo_id`, `repo_ids`) that is removed from the configuration; only links that are set
    /// are compared with Harness.
    #[tf(optional, null_means = zero)]
    pub repo_ids: Val<Set<String>>,
    /// Create the application without Harness checking that its repositories are
    /// registered. Defaults to `false`.
    #[tf(default = false)]
    pub skip_repo_validation: Val<bool>,
    /// Argo CD project of the application (`spec.project`). Must be set: Argo CD 2.12 made
    /// the project of an application mandatory; `"default"` is Argo CD's default project.
    /// A source repository or destination the project does not permit is refused at plan
    /// time, with Argo CD's reason at `sources` or `destination`, when the project exists,
    /// this plan does not create or change it (a `harness_gitops_app_project` the
    /// application refers to), and the project, repositories and destination server are
    /// known (a destination by cluster name, or a project listing destinations by cluster
    /// name, is left to apply); otherwise Argo CD refuses it at apply with the same reason.
    /// Resource kinds the project does not permit are known only once Argo CD renders the
    /// sources: the sync fails with Argo CD's reason (and `wait` fails fast). Only plans that
    /// create or change the application are checked: an unchanged application whose project
    /// now forbids it is not refused by a refresh or by `terraform destroy`; while a refused
    /// change is in the configuration, `terraform destroy` (which plans the configuration
    /// first) is refused too: use `terraform destroy -refresh=false`.
    #[tf(optional, equivalence = same_project)]
    pub argo_project: Val<String>,
    /// Kubernetes labels of the application object.
    #[tf(optional, null_means = zero)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Kubernetes annotations of the application object.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<BTreeMap<String, String>>,
    /// Kubernetes finalizers of the application object. With
    /// `resources-finalizer.argocd.argoproj.io` deleting the application, from anywhere,
    /// deletes the resources it deployed first.
    #[tf(optional, null_means = zero)]
    pub finalizers: Val<Set<String>>,
    /// Where the application deploys to: a cluster (by `server` URL or by `name`, exactly one)
    /// and a namespace.
    #[tf(required, nested, equivalence = same_destination)]
    pub destination: Val<Destination>,
    /// The sources of the application's manifests, in order: one is sent as Argo CD's
    /// `spec.source`, several as `spec.sources`.
    #[tf(required, nested)]
    pub sources: Val<Vec<Source>>,
    /// When and how Argo CD syncs the application.
    #[tf(optional, nested)]
    pub sync_policy: Val<SyncPolicy>,
    /// Differences Argo CD ignores when comparing live and desired state.
    #[tf(optional, null_means = zero, nested)]
    pub ignore_differences: Val<Vec<IgnoreDifference>>,
    /// Extra information shown with the application in Argo CD.
    #[tf(optional, null_means = zero, nested)]
    pub info: Val<Vec<InfoEntry>>,
    /// How many past syncs Argo CD keeps in the application's history (Argo CD's default
    /// is 10).
    #[tf(optional, null_means = ten, validate = non_negative)]
    pub revision_history_limit: Val<i64>,
    /// On create, adopt an application that already exists with this name instead of
    /// failing. Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// Ask Argo CD to validate the spec (that the sources render) on create and update.
    /// Defaults to `true`.
    #[tf(default = true)]
    pub validate: Val<bool>,
    /// On destroy, delete the resources the application deployed as well (a cascading
    /// delete), and wait until the application is gone. `false` deletes only the
    /// application and leaves its resources running. Defaults to `true`.
    #[tf(default = true)]
    pub cascade_delete: Val<bool>,
    /// How a cascading delete removes resources: `foreground` (Argo CD's default) or
    /// `background`. Needs `cascade_delete = true`.
    #[tf(optional, one_of("foreground", "background"))]
    pub propagation_policy: Val<String>,
    /// On destroy, remove the application's finalizers first, so it is deleted at once even
    /// if its resources cannot be. Defaults to `false`.
    #[tf(default = false)]
    pub remove_existing_finalizers: Val<bool>,
    /// On destroy, force the deletion in Harness (`options.forceDelete`). Defaults to
    /// `false`.
    #[tf(default = false)]
    pub force_delete: Val<bool>,
    /// Wait after create and update until Argo CD has synced the change: unset (the default)
    /// does not wait; `wait = {}` waits until the application is `Synced` and `Healthy`;
    /// `wait = { health = false }` waits for `Synced` only. After an update the wait also
    /// requires a reconcile newer than the update (an update that leaves the spec as it was
    /// does not wait). A failed sync fails the apply at once with Argo CD's message; the
    /// `timeouts` block bounds the wait. The application stays in state whatever the
    /// outcome; a create whose wait fails or is interrupted is recorded tainted (Terraform's
    /// rule for a failed create), so the next apply replaces it, which with `cascade_delete`
    /// removes and redeploys its resources. Waiting needs something that syncs:
    /// `sync_policy.automated`, or `sync_on_apply = true` for a manual sync policy.
    #[tf(optional, nested)]
    pub wait: Val<Wait>,
    /// After create and after every update that changes the spec, start a sync through the
    /// Harness API when the sync policy is not automated (a manual-sync application otherwise
    /// stays `OutOfSync` after apply). Defaults to `false`.
    #[tf(default = false)]
    pub sync_on_apply: Val<bool>,
    /// Argo CD's sync status: `Synced`, `OutOfSync` or `Unknown`.
    #[tf(computed)]
    pub sync_status: Val<String>,
    /// Argo CD's health status: `Healthy`, `Progressing`, `Degraded`, `Suspended`,
    /// `Missing` or `Unknown`.
    #[tf(computed)]
    pub health_status: Val<String>,
    /// The revision the sync status refers to (a Git commit or a chart version); for
    /// several sources, one per source, comma separated.
    #[tf(computed)]
    pub synced_revision: Val<String>,
    /// When Argo CD last reconciled the application (RFC 3339).
    #[tf(computed)]
    pub reconciled_at: Val<String>,
    /// Phase of the last sync operation: `Running`, `Terminating`, `Failed`, `Error` or
    /// `Succeeded`; null before the first sync.
    #[tf(computed)]
    pub operation_phase: Val<String>,
    /// Argo CD's message about the last sync operation.
    #[tf(computed)]
    pub operation_message: Val<String>,
    /// When the last sync operation started (RFC 3339); null before the first sync.
    #[tf(computed)]
    pub operation_started_at: Val<String>,
    /// When the last sync operation finished (RFC 3339); null while it runs.
    #[tf(computed)]
    pub operation_finished_at: Val<String>,
    /// How many times the last sync operation was retried; null before the first sync.
    #[tf(computed)]
    pub operation_retry_count: Val<i64>,
    /// Argo CD's conditions of the application (errors and warnings such as `SyncError`,
    /// `ComparisonError`).
    #[tf(computed, nested)]
    pub conditions: Val<Vec<AppCondition>>,
    /// The Kubernetes resources the application deploys, with their sync and health status.
    #[tf(computed, nested)]
    pub resources: Val<Vec<AppResource>>,
    /// The container images of the deployed resources (`status.summary.images`).
    #[tf(computed)]
    pub images: Val<Vec<String>>,
    /// The external URLs of the deployed resources (`status.summary.externalURLs`).
    #[tf(computed)]
    pub external_urls: Val<Vec<String>>,
    /// When the application was created (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// When the application was last modified (RFC 3339).
    #[tf(computed)]
    pub updated_at: Val<String>,
    /// How long operations may take; create, update and delete default to 10 minutes,
    /// waiting included.
    #[tf(block)]
    pub timeouts: Val<Timeouts>,
}

/// The destination cluster and namespace.
/// An Argo CD application condition.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppCondition {
    /// The condition type, e.g. `SyncError`, `ComparisonError`, `OrphanedResourceWarning`.
    #[tf(computed)]
    pub r#type: Val<String>,
    /// What the condition says.
    #[tf(computed)]
    pub message: Val<String>,
    /// When the condition last changed (RFC 3339).
    #[tf(computed)]
    pub last_transition_time: Val<String>,
}

/// A resource the application deploys.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppResource {
    /// API group (empty for the core group).
    #[tf(computed)]
    pub group: Val<String>,
    /// Kind, e.g. `Deployment`.
    #[tf(computed)]
    pub kind: Val<String>,
    /// Namespace (null for cluster-scoped resources).
    #[tf(computed)]
    pub namespace: Val<String>,
    /// Name.
    #[tf(computed)]
    pub name: Val<String>,
    /// `Synced`, `OutOfSync` or `Unknown`.
    #[tf(computed)]
    pub sync_status: Val<String>,
    /// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing` or `Unknown`; null for
    /// resources without health.
    #[tf(computed)]
    pub health_status: Val<String>,
}

#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Destination {
    /// API server URL of the target cluster, e.g. `https://kubernetes.default.svc` for the
    /// cluster Argo CD runs in. Exactly one of `server` and `name`.
    #[tf(optional, null_means = zero, exactly_one_of("name"), equivalence = same_url)]
    pub server: Val<String>,
    /// Name of the target cluster as registered in Argo CD. Exactly one of `server` and
    /// `name`.
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Namespace the application's resources are deployed to (unset: each manifest's own).
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
}

/// One source of manifests: a directory in a Git repository, a Helm chart, or (with `ref`)
/// a repository whose files other sources refer to. At most one of `helm`, `kustomize`,
/// `directory` and `plugin`.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Source {
    /// URL of the Git repository, Helm chart repository or OCI registry.
    #[tf(required, equivalence = same_url)]
    pub repo_url: Val<String>,
    /// Directory of the manifests in a Git repository. A source needs `path` or `chart`
    /// (or only `ref`).
    #[tf(optional, null_means = zero)]
    pub path: Val<String>,
    /// Git revision (branch, tag or commit) or chart version to deploy; Argo CD uses `HEAD`
    /// when unset.
    #[tf(optional, null_means = head, equivalence = same_revision)]
    pub target_revision: Val<String>,
    /// Helm chart name in a chart repository.
    #[tf(optional, null_means = zero)]
    pub chart: Val<String>,
    /// A name other sources use to refer to this one's files (`$name/path/values.yaml` in
    /// `helm.value_files`); multi-source applications only.
    #[tf(optional, null_means = zero, name = "ref")]
    pub reference: Val<String>,
    /// A name for the source (multi-source applications).
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Helm options.
    #[tf(optional, null_means = zero, nested, conflicts_with("kustomize", "directory", "plugin"))]
    pub helm: Val<Helm>,
    /// Kustomize options.
    #[tf(optional, null_means = zero, nested, conflicts_with("helm", "directory", "plugin"))]
    pub kustomize: Val<Kustomize>,
    /// Options of a plain directory of manifests (and Jsonnet).
    #[tf(optional, null_means = zero, nested, conflicts_with("helm", "kustomize", "plugin"))]
    pub directory: Val<Directory>,
    /// A config management plugin.
    #[tf(optional, null_means = zero, nested, conflicts_with("helm", "kustomize", "directory"))]
    pub plugin: Val<Plugin>,
}

/// Helm options of a source.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Helm {
    /// Values files, relative to the chart (or `$ref/path` of another source).
    #[tf(optional, null_means = zero)]
    pub value_files: Val<Vec<String>>,
    /// Values as a YAML (or JSON) document. Compared by meaning: reformatting is no change.
    #[tf(optional, null_means = zero, equivalence = yaml_equivalent, validate = yaml_document)]
    pub values: Val<String>,
    /// Values as a YAML or JSON mapping (e.g. `yamlencode({...})`), sent as Argo CD's
    /// `valuesObject`, which wins over `values`. Compared by meaning.
    #[tf(optional, null_means = zero, equivalence = yaml_equivalent, validate = yaml_mapping)]
    pub values_object: Val<String>,
    /// Parameters, as `--set name=value`.
    #[tf(optional, null_means = zero, nested)]
    pub parameters: Val<Vec<HelmParam>>,
    /// File parameters, as `--set-file name=path`.
    #[tf(optional, null_means = zero, nested)]
    pub file_parameters: Val<Vec<HelmFileParam>>,
    /// Release name (default: the application name).
    #[tf(optional, null_means = zero)]
    pub release_name: Val<String>,
    /// Helm version (`v3`).
    #[tf(optional, null_means = zero)]
    pub version: Val<String>,
    /// Skip the chart's CRDs.
    #[tf(optional, null_means = zero)]
    pub skip_crds: Val<bool>,
    /// Skip the chart's tests.
    #[tf(optional, null_means = zero)]
    pub skip_tests: Val<bool>,
    /// Skip schema validation of the values.
    #[tf(optional, null_means = zero)]
    pub skip_schema_validation: Val<bool>,
    /// Pass the repository's credentials to every domain.
    #[tf(optional, null_means = zero)]
    pub pass_credentials: Val<bool>,
    /// Ignore values files that do not exist.
    #[tf(optional, null_means = zero)]
    pub ignore_missing_value_files: Val<bool>,
    /// Namespace to render the templates with.
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
    /// Kubernetes version to render the templates for.
    #[tf(optional, null_means = zero)]
    pub kube_version: Val<String>,
    /// API versions to render the templates with.
    #[tf(optional, null_means = zero)]
    pub api_versions: Val<Vec<String>>,
}

/// A Helm parameter.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct HelmParam {
    /// Parameter name, e.g. `image.tag`.
    #[tf(required)]
    pub name: Val<String>,
    /// Parameter value.
    #[tf(optional, null_means = zero)]
    pub value: Val<String>,
    /// Pass the value as a string (`--set-string`).
    #[tf(optional, null_means = zero)]
    pub force_string: Val<bool>,
}

/// A Helm file parameter.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct HelmFileParam {
    /// Parameter name.
    #[tf(required)]
    pub name: Val<String>,
    /// Path of the file whose content is the value.
    #[tf(required)]
    pub path: Val<String>,
}

/// Kustomize options of a source.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Kustomize {
    /// Prefix of every resource name.
    #[tf(optional, null_means = zero)]
    pub name_prefix: Val<String>,
    /// Suffix of every resource name.
    #[tf(optional, null_means = zero)]
    pub name_suffix: Val<String>,
    /// Image overrides, e.g. `ghcr.io/acme/trainer:v2` or `trainer=ghcr.io/acme/trainer:v2`.
    #[tf(optional, null_means = zero)]
    pub images: Val<Vec<String>>,
    /// Labels added to every resource.
    #[tf(optional, null_means = zero)]
    pub common_labels: Val<BTreeMap<String, String>>,
    /// Annotations added to every resource.
    #[tf(optional, null_means = zero)]
    pub common_annotations: Val<BTreeMap<String, String>>,
    /// Override existing labels with `common_labels`.
    #[tf(optional, null_means = zero)]
    pub force_common_labels: Val<bool>,
    /// Override existing annotations with `common_annotations`.
    #[tf(optional, null_means = zero)]
    pub force_common_annotations: Val<bool>,
    /// Apply `common_labels` without adding them to selectors.
    #[tf(optional, null_means = zero)]
    pub label_without_selector: Val<bool>,
    /// Namespace of every resource.
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
    /// Replica counts by resource name.
    #[tf(optional, null_means = zero, nested)]
    pub replicas: Val<Vec<KustomizeReplicas>>,
    /// Patches applied to the resources.
    #[tf(optional, null_means = zero, nested)]
    pub patches: Val<Vec<KustomizePatchEntry>>,
    /// Kustomize components to include.
    #[tf(optional, null_means = zero)]
    pub components: Val<Vec<String>>,
    /// Kustomize version.
    #[tf(optional, null_means = zero)]
    pub version: Val<String>,
    /// Kubernetes version to build for.
    #[tf(optional, null_means = zero)]
    pub kube_version: Val<String>,
    /// API versions to build with.
    #[tf(optional, null_means = zero)]
    pub api_versions: Val<Vec<String>>,
}

/// A replica count override.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct KustomizeReplicas {
    /// Name of the Deployment or StatefulSet.
    #[tf(required)]
    pub name: Val<String>,
    /// Number of replicas (a number or a string such as `"3"`).
    #[tf(required)]
    pub count: Val<String>,
}

/// A Kustomize patch.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct KustomizePatchEntry {
    /// Path of a patch file.
    #[tf(optional, null_means = zero)]
    pub path: Val<String>,
    /// An inline patch (strategic merge or JSON 6902).
    #[tf(optional, null_means = zero)]
    pub patch: Val<String>,
    /// The resources the patch applies to.
    #[tf(optional, null_means = zero, nested)]
    pub target: Val<PatchTarget>,
    /// Patch options, e.g. `allowNameChange`.
    #[tf(optional, null_means = zero)]
    pub options: Val<BTreeMap<String, bool>>,
}

/// The resources a Kustomize patch selects.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PatchTarget {
    /// API group.
    #[tf(optional, null_means = zero)]
    pub group: Val<String>,
    /// API version.
    #[tf(optional, null_means = zero)]
    pub version: Val<String>,
    /// Kind.
    #[tf(optional, null_means = zero)]
    pub kind: Val<String>,
    /// Name.
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Namespace.
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
    /// Label selector.
    #[tf(optional, null_means = zero)]
    pub label_selector: Val<String>,
    /// Annotation selector.
    #[tf(optional, null_means = zero)]
    pub annotation_selector: Val<String>,
}

/// Options of a plain directory source.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Directory {
    /// Read subdirectories too.
    #[tf(optional, null_means = zero)]
    pub recurse: Val<bool>,
    /// Glob of the files to include, e.g. `*.yaml`.
    #[tf(optional, null_means = zero)]
    pub include: Val<String>,
    /// Glob of the files to exclude.
    #[tf(optional, null_means = zero)]
    pub exclude: Val<String>,
    /// Jsonnet options.
    #[tf(optional, null_means = zero, nested)]
    pub jsonnet: Val<Jsonnet>,
}

/// Jsonnet options of a directory source.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Jsonnet {
    /// External variables.
    #[tf(optional, null_means = zero, nested)]
    pub ext_vars: Val<Vec<JsonnetVariable>>,
    /// Top-level arguments.
    #[tf(optional, null_means = zero, nested)]
    pub tlas: Val<Vec<JsonnetVariable>>,
    /// Library search paths.
    #[tf(optional, null_means = zero)]
    pub libs: Val<Vec<String>>,
}

/// A Jsonnet variable.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct JsonnetVariable {
    /// Variable name.
    #[tf(required)]
    pub name: Val<String>,
    /// Value (Jsonnet code when `code` is true).
    #[tf(required)]
    pub value: Val<String>,
    /// Whether `value` is Jsonnet code rather than a string.
    #[tf(optional, null_means = zero)]
    pub code: Val<bool>,
}

/// A config management plugin.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Plugin {
    /// Plugin name (unset: Argo CD discovers it).
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Environment variables of the plugin.
    #[tf(optional, null_means = zero, nested)]
    pub env: Val<Vec<PluginEnv>>,
    /// Parameters of the plugin.
    #[tf(optional, null_means = zero, nested)]
    pub parameters: Val<Vec<PluginParam>>,
}

/// An environment variable of a plugin.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PluginEnv {
    /// Variable name.
    #[tf(required)]
    pub name: Val<String>,
    /// Variable value.
    #[tf(required)]
    pub value: Val<String>,
}

/// A plugin parameter: a string, an array or a map.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PluginParam {
    /// Parameter name.
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// A string value.
    #[tf(optional, null_means = zero, conflicts_with("array", "map"))]
    pub string: Val<String>,
    /// An array value.
    #[tf(optional, null_means = zero, conflicts_with("map"))]
    pub array: Val<Vec<String>>,
    /// A map value.
    #[tf(optional, null_means = zero)]
    pub map: Val<BTreeMap<String, String>>,
}

/// The sync policy.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct SyncPolicy {
    /// Sync automatically when the desired state changes (`automated = {}` for the defaults).
    /// Unset: syncs are started by hand (or with `sync_on_apply`).
    #[tf(optional, nested)]
    pub automated: Val<Automated>,
    /// Sync options, e.g. `CreateNamespace=true`, `PruneLast=true`,
    /// `ServerSideApply=true`.
    #[tf(optional, null_means = zero, validate = sync_option)]
    pub sync_options: Val<Set<String>>,
    /// Retries of a failed sync.
    #[tf(optional, null_means = zero, nested)]
    pub retry: Val<Retry>,
    /// Labels and annotations of the namespace Argo CD creates (`CreateNamespace=true`).
    #[tf(optional, null_means = zero, nested)]
    pub managed_namespace_metadata: Val<NamespaceMetadata>,
}

/// Automated sync settings.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Automated {
    /// Delete resources that are no longer in the sources.
    #[tf(optional, null_means = zero)]
    pub prune: Val<bool>,
    /// Sync again when the live state drifts from the desired state.
    #[tf(optional, null_means = zero)]
    pub self_heal: Val<bool>,
    /// Allow a sync that would leave the application without resources.
    #[tf(optional, null_means = zero)]
    pub allow_empty: Val<bool>,
}

/// Retries of a failed sync.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Retry {
    /// Number of retries; a negative number retries forever.
    #[tf(optional, null_means = zero)]
    pub limit: Val<i64>,
    /// Time between retries.
    #[tf(optional, null_means = zero, nested)]
    pub backoff: Val<RetryBackoff>,
}

/// Time between sync retries.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct RetryBackoff {
    /// First wait, e.g. `5s`.
    #[tf(optional, null_means = zero, duration)]
    pub duration: Val<String>,
    /// Factor the wait grows by after each retry (a whole number of at least 1).
    #[tf(optional, null_means = zero, validate = common::positive)]
    pub factor: Val<i64>,
    /// Longest wait, e.g. `3m`.
    #[tf(optional, null_means = zero, duration)]
    pub max_duration: Val<String>,
}

/// Metadata of a namespace Argo CD creates.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct NamespaceMetadata {
    /// Labels of the namespace.
    #[tf(optional, null_means = zero)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Annotations of the namespace.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<BTreeMap<String, String>>,
}

/// A difference Argo CD ignores.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct IgnoreDifference {
    /// API group of the resources.
    #[tf(optional, null_means = zero)]
    pub group: Val<String>,
    /// Kind of the resources, e.g. `Deployment`.
    #[tf(required)]
    pub kind: Val<String>,
    /// Name of the resource (unset: every resource of the kind).
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Namespace of the resource.
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
    /// JSON pointers of the fields to ignore, e.g. `/spec/replicas`.
    #[tf(optional, null_means = zero)]
    pub json_pointers: Val<Vec<String>>,
    /// jq path expressions of the fields to ignore.
    #[tf(optional, null_means = zero)]
    pub jq_path_expressions: Val<Vec<String>>,
    /// Field managers whose changes are ignored, e.g. `kube-controller-manager`.
    #[tf(optional, null_means = zero)]
    pub managed_fields_managers: Val<Vec<String>>,
}

/// A name and value shown with the application.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct InfoEntry {
    /// Name.
    #[tf(required)]
    pub name: Val<String>,
    /// Value.
    #[tf(required)]
    pub value: Val<String>,
}

/// What to wait for after create and update.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Wait {
    /// Wait until Argo CD reports the application `Synced`. Defaults to `true`.
    #[tf(default = true)]
    pub sync: Val<bool>,
    /// Wait until Argo CD reports the application `Healthy`. Defaults to `true`.
    #[tf(default = true)]
    pub health: Val<bool>,
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

/// A Kubernetes object name (DNS-1123 subdomain), as Argo CD requires of an application
/// name. (A `validate =` check: gets known values only.)
pub fn kubernetes_name(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(name) = v.as_str() else { return };
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let end_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if name.len() > 253
        || !chars_ok
        || !end_ok(name.as_bytes().first())
        || !end_ok(name.as_bytes().last())
    {
        diags.error_at(
            path.clone(),
            "Invalid Application Name",
            format!(
                "{name:?} is not a Kubernetes object name: use at most 253 lowercase letters, digits, '-' and '.', \
                 starting and ending with a letter or digit (e.g. {:?}).",
                name.to_ascii_lowercase()
                    .replace(|c: char| !(c.is_ascii_alphanumeric() || c == '.'), "-")
                    .trim_matches(|c: char| c == '-' || c == '.')
            ),
        );
    }
}

/// A whole number of at least 0 (a `validate =` check).
pub fn non_negative(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(n) = v.as_number() {
        if n.as_i64().is_none_or(|n| n < 0) {
            diags.error_at(
                path.clone(),
                "Invalid Number",
                format!("Expected a whole number of at least 0, got {n}."),
            );
        }
    }
}

/// Parses YAML (JSON is YAML) into a JSON value.
fn parse_yaml(text: &str) -> Result<Json, String> {
    serde_yaml_ng::from_str::<Json>(text).map_err(|e| e.to_string())
}

/// Whether `text` at `path` is an ApplicationSet template value holding parameters
/// (`gitops_applicationset` reuses these types under its root attributes `template` and
/// `generators`, which an application does not have): Argo CD renders it first, so what it
/// must be is judged after that.
fn templated_at(text: &str, path: &AttributePath) -> bool {
    use tfplugin::tf::PathStep;
    text.contains("{{")
        && matches!(path.0.first(), Some(PathStep::Attr(a)) if a == "template" || a == "generators")
}

/// Helm values must be a YAML document.
pub fn yaml_document(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(text) = v.as_str() else { return };
    if templated_at(text, path) {
        return;
    }
    if let Err(e) = parse_yaml(text) {
        diags.error_at(
            path.clone(),
            "Invalid Helm Values",
            format!("The values are not a YAML document: {e}"),
        );
    }
}

/// `values_object` must be a YAML or JSON mapping.
pub fn yaml_mapping(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(text) = v.as_str() else { return };
    match parse_yaml(text) {
        Ok(Json::Object(_)) => {}
        Ok(other) => diags.error_at(
            path.clone(),
            "Invalid Helm Values Object",
            format!(
                "`values_object` must be a mapping (e.g. `yamlencode({{ replicas = 2 }})`), not {}.",
                json_kind(&other)
            ),
        ),
        Err(e) => diags.error_at(
            path.clone(),
            "Invalid Helm Values Object",
            format!("`values_object` is not YAML or JSON: {e}"),
        ),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// Two YAML/JSON documents mean the same (the plan keeps the prior form of an equivalent
/// configured value, and reads keep the state's form).
pub fn yaml_equivalent(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => {
            x == y || matches!((parse_yaml(x), parse_yaml(y)), (Ok(p), Ok(q)) if p == q)
        }
        _ => false,
    }
}

/// Argo CD's application-level sync options and the values each takes
/// (argo-cd docs, user-guide/sync-options.md). `None`: any value.
const SYNC_OPTIONS: &[(&str, Option<&[&str]>)] = &[
    ("Validate", Some(&["true", "false"])),
    ("CreateNamespace", Some(&["true", "false"])),
    ("PruneLast", Some(&["true", "false"])),
    ("ApplyOutOfSyncOnly", Some(&["true", "false"])),
    (
        "PrunePropagationPolicy",
        Some(&["foreground", "background", "orphan"]),
    ),
    ("Replace", Some(&["true", "false"])),
    ("Force", Some(&["true", "false"])),
    ("ServerSideApply", Some(&["true", "false"])),
    ("FailOnSharedResource", Some(&["true", "false"])),
    ("RespectIgnoreDifferences", Some(&["true", "false"])),
    ("SkipDryRunOnMissingResource", Some(&["true", "false"])),
    ("Prune", Some(&["true", "false", "confirm"])),
    ("Delete", Some(&["true", "false", "confirm"])),
    ("ClientSideApplyMigration", Some(&["true", "false"])),
];

/// A sync option: `Name=value` with a name and value Argo CD knows.
pub fn sync_option(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(opt) = v.as_str() else { return };
    if templated_at(opt, path) {
        return;
    }
    let names = || {
        SYNC_OPTIONS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((name, value)) = opt.split_once('=') else {
        diags.error_at(
            path.clone(),
            "Invalid Sync Option",
            format!("{opt:?} is not a sync option: write it as `Name=value`, e.g. \"CreateNamespace=true\"."),
        );
        return;
    };
    match SYNC_OPTIONS.iter().find(|(n, _)| *n == name) {
        None => diags.error_at(
            path.clone(),
            "Unknown Sync Option",
            format!(
                "{name:?} is not an Argo CD sync option; known options: {}.",
                names()
            ),
        ),
        Some((_, Some(values))) if !values.contains(&value) => diags.error_at(
            path.clone(),
            "Invalid Sync Option",
            format!("{opt:?}: {name} takes one of {}.", values.join(", ")),
        ),
        _ => {}
    }
}

/// Whether the sync policy is automated; `None` while not known.
fn automated(c: &App) -> Option<bool> {
    match &c.sync_policy {
        Val::Null => Some(false),
        Val::Unknown => None,
        Val::Known(p) => match &p.automated {
            Val::Null => Some(false),
            Val::Unknown => None,
            Val::Known(_) => Some(true),
        },
    }
}

/// Checks across attributes (the single-attribute ones are declared on the model).
fn validate_config(c: &App, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    if c.argo_project.is_null() {
        diags.error_at(
            at(App::ARGO_PROJECT),
            "Missing Argo CD Project",
            "`argo_project` is required: Argo CD 2.12 made the project of an application mandatory. Use \"default\" \
             for Argo CD's default project, or the Argo CD project the application belongs to.",
        );
    }
    if let Val::Known(sources) = &c.sources {
        if sources.is_empty() {
            diags.error_at(
                at(App::SOURCES),
                "No Source",
                "An application needs at least one source: a Git directory (`path`) or a Helm chart (`chart`).",
            );
        }
        for (i, s) in sources.iter().enumerate() {
            if s.path.is_null() && s.chart.is_null() && s.reference.is_null() {
                diags.error_at(
                    at(App::SOURCES).index(i as i64),
                    "Source Without Path Or Chart",
                    "A source needs `path` (a directory of a Git repository) or `chart` (a Helm chart); a source that \
                     only lends its files to other sources sets `ref` instead.",
                );
            }
            if s.reference.is_known() && sources.len() == 1 {
                diags.warning_at(
                    at(App::SOURCES).index(i as i64).child(Source::REF),
                    "Reference Without Other Sources",
                    "`ref` names a source for the other sources of a multi-source application; this application has \
                     one source.",
                );
            }
        }
        if sources.len() > 1 && c.repo_id.is_known() {
            diags.error_at(
                at(App::REPO_ID),
                "Use repo_ids For Several Sources",
                "`repo_id` links a single-source application; with several sources list their repositories in \
                 `repo_ids`.",
            );
        }
    }
    // Validation sees the configuration: an unset attribute is null, not its default.
    let flag = |v: &Val<bool>, default: bool| match v {
        Val::Null => Some(default),
        Val::Unknown => None,
        Val::Known(b) => Some(*b),
    };
    let skip = flag(&c.skip_repo_validation, false);
    let linked = !c.repo_id.is_null()
        || match &c.repo_ids {
            Val::Known(ids) => !ids.0.is_empty(),
            other => other.is_unknown(),
        };
    match skip {
        Some(true) if linked => diags.error_at(
            at(App::SKIP_REPO_VALIDATION),
            "Conflicting Repository Settings",
            "`skip_repo_validation = true` creates the application without a repository link; remove `repo_id`/`repo_ids` \
             or set it to false.",
        ),
        Some(false) if !linked => diags.error_at(
            at(App::REPO_ID),
            "Missing Repository",
            "Harness links an application to the repositories it deploys from: set `repo_id` (one source) or `repo_ids` \
             (several), the identifiers of `harness_gitops_repository` resources, or set `skip_repo_validation = true`.",
        ),
        _ => {}
    }
    if flag(&c.cascade_delete, true) == Some(false) && c.propagation_policy.is_known() {
        diags.error_at(
            at(App::PROPAGATION_POLICY),
            "Propagation Policy Without Cascade",
            "`propagation_policy` applies to a cascading delete; remove it or set `cascade_delete = true`.",
        );
    }
    let syncs_on_apply = flag(&c.sync_on_apply, false);
    match (automated(c), syncs_on_apply, &c.wait) {
        (Some(false), Some(false), Val::Known(_)) => diags.error_at(
            at(App::WAIT),
            "Nothing Will Sync",
            "The sync policy is not automated, so Argo CD does not sync the application after apply and `wait` would \
             wait until its timeout. Set `sync_policy.automated` (e.g. `automated = {}`) or `sync_on_apply = true`.",
        ),
        (Some(true), Some(true), _) => diags.warning_at(
            at(App::SYNC_ON_APPLY),
            "Sync On Apply Has No Effect",
            "The sync policy is automated: Argo CD syncs every change itself, so `sync_on_apply` starts nothing.",
        ),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

/// The resource.
pub struct GitopsApplication;

#[async_trait]
impl ModelResource<ProviderData> for GitopsApplication {
    type Model = App;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &App, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, App, ProviderData>,
        planned: &mut App,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.provider.is_some() {
            common::require_project_scope(&planned.scope, "application", true, diags);
        }
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.name);
        }
    }

    async fn check_plan(
        &self,
        ctx: &Ctx,
        prior: Option<&App>,
        planned: &App,
        diags: &mut Diagnostics,
    ) {
        check_project(ctx, prior, planned, diags).await;
    }

    fn default_timeout(&self, _op: Operation) -> Duration {
        DEFAULT_TIMEOUT
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &App,
        _config: &App,
        diags: &mut Diagnostics,
    ) -> Option<App> {
        let client = &common::client(ctx, "`timeouts.create`", diags)?;
        let scope = planned.scope.api();
        let name = planned.name.as_deref().unwrap_or_default();
        let body = ApplicationCreateRequest {
            application: Some(to_api(planned)),
            upsert: Some(planned.upsert.unwrap_or(false)),
            validate: Some(planned.validate.unwrap_or(true)),
            ..Default::default()
        };
        let resp = match client
            .applications()
            .create(&scope, name, &query(planned), &body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                common::create_error(
                    diags,
                    "Unable to Create GitOps Application",
                    &e,
                    "application",
                    planned.id.known().cloned(),
                );
                return common::failed_create_state(&e, planned, "application", diags);
            }
        };
        let resp = after_write(ctx, client, planned, resp, None, "created", diags).await;
        Some(from_api(&resp, planned))
    }

    async fn read(&self, ctx: &Ctx, current: &App, diags: &mut Diagnostics) -> Option<App> {
        let client = &common::client(ctx, "`timeouts.read`", diags)?;
        let name = current.name.as_deref().unwrap_or_default();
        match client
            .applications()
            .get_opt_in(&current.scope.api(), name, namespace_of(current))
            .await
        {
            Ok(Some(resp)) => Some(from_api(&resp, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Application", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &App,
        planned: &App,
        _config: &App,
        diags: &mut Diagnostics,
    ) -> Option<App> {
        let client = &common::client(ctx, "`timeouts.update`", diags)?;
        let scope = planned.scope.api();
        let name = planned.name.as_deref().unwrap_or_default();
        let application = to_api(planned);
        let spec_changed = spec_changed(prior, planned);
        // What the wait after the update compares with: the reconcile and the operation that
        // were there before the change.
        let baseline = if spec_changed && planned.wait.is_known() {
            match client
                .applications()
                .get_opt_in(&scope, name, namespace_of(prior))
                .await
            {
                Ok(found) => found.as_ref().map(Baseline::of),
                Err(e) => {
                    api_error(diags, "Unable to Read GitOps Application", &e);
                    return None;
                }
            }
        } else {
            None
        };
        let body = ApplicationUpdateRequest {
            application: Some(application),
            validate: Some(planned.validate.unwrap_or(true)),
            ..Default::default()
        };
        let resp = match client
            .applications()
            .update(&scope, name, &query(planned), &body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                api_error(diags, "Unable to Update GitOps Application", &e);
                return None;
            }
        };
        let resp = if spec_changed {
            let baseline = baseline.unwrap_or_default();
            after_write(ctx, client, planned, resp, Some(baseline), "updated", diags).await
        } else {
            resp
        };
        Some(from_api(&resp, planned))
    }

    async fn delete(&self, ctx: &Ctx, prior: &App, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "`timeouts.delete`", diags) else {
            return;
        };
        let scope = prior.scope.api();
        let name = prior.name.as_deref().unwrap_or_default();
        let cascade = prior.cascade_delete.unwrap_or(true);
        let opts = ApplicationDeleteOptions {
            force_delete: prior.force_delete.unwrap_or(false),
            cascade: Some(cascade),
            propagation_policy: prior
                .propagation_policy
                .non_empty()
                .filter(|_| cascade)
                .map(str::to_string),
            remove_existing_finalizers: prior.remove_existing_finalizers.unwrap_or(false),
            app_namespace: namespace_of(prior).map(str::to_string),
        };
        if let Err(e) = client.applications().delete(&scope, name, opts).await {
            api_error(diags, "Unable to Delete GitOps Application", &e);
            return;
        }
        // A cascading delete of an application with Argo CD's resources finalizer ends when
        // its resources are gone: wait for it, so a create of the same name cannot collide.
        let gone = ctx
            .wait_for(POLL, || async {
                match client
                    .applications()
                    .get_opt_in(&scope, name, namespace_of(prior))
                    .await
                {
                    Ok(None) => Ok(Poll::Ready(())),
                    Ok(Some(_)) => Ok(Poll::Pending(())),
                    Err(e) => Err(e),
                }
            })
            .await;
        match gone {
            Ok(()) => {}
            Err(WaitError::Poll(_, e)) => {
                api_error(diags, "Unable to Confirm GitOps Application Deletion", &e)
            }
            Err(WaitError::Interrupted(_, why)) => diags.error(
                "GitOps Application Still Being Deleted",
                format!(
                    "The delete of application {name:?} was accepted, but it still exists: {why}. Argo CD is deleting \
                     its resources (a cascading delete); it stays in state until it is gone. Run destroy again, raise \
                     `timeouts.delete`, or set `remove_existing_finalizers = true` to delete it without its resources."
                ),
            ),
            Err(WaitError::Failed(_, why)) => {
                diags.error("GitOps Application Still Being Deleted", why)
            }
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<App> {
        let sid = common::parse_project_import(id, "application", diags)?;
        let client = &common::client(ctx, "the import's read deadline", diags)?;
        let stub = App {
            name: Val::Known(sid.identifier.clone()),
            scope: Scope::of_import(&sid),
            ..Default::default()
        };
        match client
            .applications()
            .get_opt(&stub.scope.api(), &sid.identifier)
            .await
        {
            Ok(Some(resp)) => Some(state_of(&resp, &stub, true)),
            Ok(None) => {
                diags.error(
                    "Cannot Import Non-Existent Application",
                    format!("No GitOps application {id:?} exists (or the API key cannot see it)."),
                );
                None
            }
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Application", &e);
                None
            }
        }
    }
}

// ---- the project's rules at plan time ----------------------------------------------------

/// What an application's project decides on, once every part of it is known.
#[derive(Debug, PartialEq)]
struct ProjectInputs {
    scope: harness::Scope,
    project: String,
    /// Each source's index and repository URL.
    repos: Vec<(usize, String)>,
    /// The destination's server URL; `None` for a destination given by cluster name.
    server: Option<String>,
    namespace: String,
}

fn project_inputs(m: &App) -> Option<ProjectInputs> {
    let known = |v: &Val<String>| match v {
        Val::Unknown => None,
        Val::Null => Some(String::new()),
        Val::Known(s) => Some(s.clone()),
    };
    let scope = &m.scope;
    if scope.agent_id.as_deref().is_none_or(str::is_empty)
        || scope.org_id.is_unknown()
        || scope.project_id.is_unknown()
    {
        return None;
    }
    let project = norm_project(Some(m.argo_project.known()?));
    let repos = m
        .sources
        .known()?
        .iter()
        .enumerate()
        .map(|(i, s)| Some((i, s.repo_url.known()?.clone())))
        .collect::<Option<Vec<_>>>()?;
    let dest = m.destination.known()?;
    let server = known(&dest.server)?;
    Some(ProjectInputs {
        scope: scope.api(),
        project,
        repos,
        server: (!server.is_empty()).then_some(server),
        namespace: known(&dest.namespace)?,
    })
}

/// Refuses, at plan time, an application its Argo CD project does not permit (a source
/// repository, the destination), with Argo CD's reason at the attribute's path. Checked when
/// the application is new or what the project decides on changes, and only when everything
/// is known: the project, its scope, the repositories and a destination server (not a cluster
/// name). A project that does not exist yet (created in the same apply), that a
/// `harness_gitops_app_project` of this plan creates or changes, or that cannot be read, is
/// left to apply, where Argo CD says the same.
async fn check_project(ctx: &Ctx, prior: Option<&App>, planned: &App, diags: &mut Diagnostics) {
    let Some(inputs) = project_inputs(planned) else {
        return;
    };
    if prior.and_then(project_inputs).as_ref() == Some(&inputs) {
        return;
    }
    let (Some(client), Some(deadline)) = (ctx.provider.client.as_ref(), ctx.deadline) else {
        return;
    };
    let client = client.with_deadline(deadline, "the plan's check of the Argo CD project");
    let spec = match ctx
        .provider
        .projects
        .get(&client, &inputs.scope, &inputs.project)
        .await
    {
        rules::Lookup::Found(spec) => spec,
        rules::Lookup::Missing | rules::Lookup::Failed | rules::Lookup::Changing => return,
    };
    let name = &inputs.project;
    let summary = "Application Not Permitted By Its Argo CD Project";
    for (i, repo) in &inputs.repos {
        if let Some(why) = rules::repo_refusal(name, &spec, repo) {
            let allowed = spec.source_repos.as_deref().unwrap_or_default();
            diags.error_at(
                AttributePath::attr(App::SOURCES)
                    .index(*i as i64)
                    .child(Source::REPO_URL),
                summary,
                format!(
                    "{why}.\n\nArgo CD would refuse this application: project '{name}' permits source repositories \
                     matching {allowed:?}. Add the repository to the project's `source_repos`, or deploy from a \
                     permitted one."
                ),
            );
        }
    }
    if let Some(server) = &inputs.server {
        if let Some(why) = rules::destination_refusal(name, &spec, server, &inputs.namespace) {
            let allowed: Vec<String> = spec
                .destinations
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    let cluster = d.server.as_deref().filter(|s| !s.is_empty());
                    format!(
                        "{} / {}",
                        cluster.or(d.name.as_deref()).unwrap_or_default(),
                        d.namespace.as_deref().unwrap_or_default()
                    )
                })
                .collect();
            diags.error_at(
                AttributePath::attr(App::DESTINATION),
                summary,
                format!(
                    "{why}.\n\nArgo CD would refuse this application: project '{name}' permits the destinations \
                     (cluster / namespace) {allowed:?}. Add the destination to the project's `destinations`, or deploy \
                     to a permitted one."
                ),
            );
        }
    }
}

/// The application's Kubernetes namespace, when known and not empty: sent on every call that
/// names the application (Argo CD names one by namespace and name).
fn namespace_of(m: &App) -> Option<&str> {
    m.app_namespace.non_empty()
}

/// The query parameters of create and update: the Harness links.
fn query(m: &App) -> AppQuery {
    AppQuery {
        cluster_identifier: m.cluster_id.non_empty().map(str::to_string),
        repo_identifier: m.repo_id.non_empty().map(str::to_string),
        repo_identifiers: m
            .repo_ids
            .known()
            .map(|s| {
                let mut ids: Vec<String> = s.0.iter().filter(|i| !i.is_empty()).cloned().collect();
                ids.sort();
                ids
            })
            .unwrap_or_default(),
        skip_repo_validation: m.skip_repo_validation.unwrap_or(false),
    }
}

// ---------------------------------------------------------------------------------------
// After create and update: sync on apply, waiting
// ---------------------------------------------------------------------------------------

/// A moment as Argo CD reports it (`v1Time`): seconds and nanoseconds.
type Stamp = (i64, i32);

fn stamp(t: Option<&Time>) -> Option<Stamp> {
    let t = t?;
    Some((t.seconds.map_or(0, |s| s.0), t.nanos.unwrap_or(0)))
}

/// What the wait after an update compares with: the last reconcile, what it compared
/// against, and the last operation, before the change.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Baseline {
    reconciled_at: Option<Stamp>,
    compared_to: Json,
    operation_started_at: Option<Stamp>,
}

impl Baseline {
    pub(crate) fn of(resp: &ApplicationResponse) -> Baseline {
        let o = Observed::of(resp);
        Baseline {
            reconciled_at: o.reconciled_at,
            compared_to: o.compared_to,
            operation_started_at: o.operation_started_at,
        }
    }
}

/// The status parts the wait looks at.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Observed {
    pub(crate) sync: Option<String>,
    pub(crate) health: Option<String>,
    pub(crate) phase: Option<String>,
    pub(crate) message: Option<String>,
    reconciled_at: Option<Stamp>,
    /// `status.sync.comparedTo`: the spec the last reconcile compared against.
    compared_to: Json,
    operation_started_at: Option<Stamp>,
}

impl Observed {
    pub(crate) fn of(resp: &ApplicationResponse) -> Observed {
        let st = resp.app.as_ref().and_then(|a| a.status.as_ref());
        let op = st.and_then(|s| s.operation_state.as_ref());
        Observed {
            sync: st
                .and_then(|s| s.sync.as_ref())
                .and_then(|s| s.status.clone()),
            health: st
                .and_then(|s| s.health.as_ref())
                .and_then(|h| h.status.clone()),
            phase: op.and_then(|o| o.phase.clone()),
            message: op.and_then(|o| o.message.clone()),
            reconciled_at: stamp(st.and_then(|s| s.reconciled_at.as_ref())),
            compared_to: serde_json::to_value(
                st.and_then(|s| s.sync.as_ref())
                    .and_then(|s| s.compared_to.as_ref()),
            )
            .unwrap_or(Json::Null),
            operation_started_at: stamp(op.and_then(|o| o.started_at.as_ref())),
        }
    }

    /// "sync OutOfSync, health Progressing, last operation Running (message)".
    pub(crate) fn describe(&self) -> String {
        let or_unknown = |s: &Option<String>| s.clone().unwrap_or_else(|| "not reported".into());
        let mut out = format!(
            "sync status {}, health {}",
            or_unknown(&self.sync),
            or_unknown(&self.health)
        );
        if let Some(p) = &self.phase {
            out.push_str(&format!(", last operation {p}"));
            if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
                out.push_str(&format!(": {m}"));
            }
        }
        out
    }
}

/// Whether the application reached what `wait` asks for; `Err` with the operation's message
/// when its sync failed. `baseline` (updates only) is what was there before the change: an
/// operation that already existed then is not this change's, and the reconcile must be newer.
pub(crate) fn judge(
    o: &Observed,
    wait: &Wait,
    baseline: Option<&Baseline>,
) -> Result<bool, String> {
    let new_operation = match baseline {
        Some(b) => {
            o.operation_started_at.is_some() && o.operation_started_at != b.operation_started_at
        }
        None => true,
    };
    if new_operation && matches!(o.phase.as_deref(), Some("Failed" | "Error")) {
        return Err(o
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "the sync operation ended {}",
                    o.phase.as_deref().unwrap_or_default()
                )
            }));
    }
    // `reconciledAt` has a precision of one second: a reconcile in the same second as the one
    // before the change shows the same time, but then it compared against the changed spec.
    let reconciled = match baseline {
        Some(b) => match (b.reconciled_at, o.reconciled_at) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(before), Some(now)) => {
                now > before || (now == before && o.compared_to != b.compared_to)
            }
        },
        None => true,
    };
    let running = matches!(o.phase.as_deref(), Some("Running" | "Terminating"));
    let synced = !wait.sync.unwrap_or(true) || o.sync.as_deref() == Some("Synced");
    let healthy = !wait.health.unwrap_or(true) || o.health.as_deref() == Some("Healthy");
    Ok(reconciled && !running && synced && healthy)
}

/// After a create, or an update that changed the spec: starts a sync when asked to
/// (`sync_on_apply` with a manual policy), then waits when asked to. Returns the latest reply;
/// failures are diagnostics (the caller still records the application).
async fn after_write(
    ctx: &Ctx,
    client: &harness::Client,
    planned: &App,
    resp: ApplicationResponse,
    baseline: Option<Baseline>,
    what: &str,
    diags: &mut Diagnostics,
) -> ApplicationResponse {
    let scope = planned.scope.api();
    let name = planned.name.as_deref().unwrap_or_default();
    // The namespace the API placed the application in (the planned one may be unknown).
    let namespace = resp
        .app
        .as_ref()
        .and_then(|a| a.metadata.as_ref())
        .and_then(|m| m.namespace.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| namespace_of(planned).map(str::to_string));
    let namespace = namespace.as_deref();
    let mut latest = resp;
    let manual = !matches!(&planned.sync_policy, Val::Known(p) if p.automated.is_known());
    if manual && planned.sync_on_apply.unwrap_or(false) {
        let request = ApplicationSyncRequest {
            name: Some(name.to_string()),
            app_namespace: namespace.map(str::to_string),
            ..Default::default()
        };
        match client.applications().sync(&scope, name, &request).await {
            Ok(r) => latest = r,
            // A retried request whose first attempt started the sync: it runs.
            Err(e) if e.is_operation_in_progress() => {}
            Err(e) => {
                diags.error(
                    "Unable to Sync GitOps Application",
                    format!(
                        "The application was {what}, but starting its sync failed: {e}\n\nIt is recorded in state; \
                         apply again to retry."
                    ),
                );
                return latest;
            }
        }
    }
    let Val::Known(wait) = &planned.wait else {
        return latest;
    };
    let first = latest.clone();
    // One poll per scope and round, shared with every other application this provider
    // process waits for (app_watch): each call waits for the next round.
    let waiting = tokio::sync::Mutex::new((
        ctx.provider.app_watch.wait(client, &scope, name, namespace),
        0u64,
    ));
    let shared = Backoff {
        initial: Duration::ZERO,
        max: Duration::ZERO,
        factor: 1.0,
    };
    let outcome = ctx
        .wait_for(shared, || async {
            let mut w = waiting.lock().await;
            let seen = w.1;
            let (number, app) = w.0.next(seen).await?;
            w.1 = number;
            drop(w);
            let Some(app) = app else {
                return Ok::<_, std::sync::Arc<harness::Error>>(Poll::Failed(
                    first.clone(),
                    "the application was deleted while Terraform waited for it".to_string(),
                ));
            };
            // The Harness fields of the write's reply, the Argo object as observed now.
            let resp = ApplicationResponse {
                app: Some(app),
                ..first.clone()
            };
            let o = Observed::of(&resp);
            Ok(match judge(&o, wait, baseline.as_ref()) {
                Ok(true) => Poll::Ready(resp),
                Ok(false) => Poll::Pending(resp),
                Err(message) => Poll::Failed(resp, message),
            })
        })
        .await;
    let recorded = if what == "created" {
        "It is recorded in state, marked tainted: the next apply replaces it."
    } else {
        "It is recorded in state with its new spec."
    };
    match outcome {
        Ok(r) => r,
        Err(WaitError::Failed(r, message)) => {
            diags.error(
                "GitOps Application Sync Failed",
                format!(
                    "The application was {what}, but Argo CD could not sync it: {message}\n\n{recorded} Fix the \
                     sources and apply again."
                ),
            );
            r
        }
        Err(WaitError::Interrupted(last, why)) => {
            let r = last.unwrap_or(latest);
            let seen = Observed::of(&r).describe();
            match why {
                Interrupt::Stopped => diags.error(
                    "Wait For GitOps Application Interrupted",
                    format!(
                        "The application was {what}; Terraform was interrupted while waiting for it to sync (last seen: \
                         {seen}). Argo CD goes on syncing it. {recorded}"
                    ),
                ),
                Interrupt::DeadlineExceeded => diags.error(
                    "Timed Out Waiting For GitOps Application",
                    format!(
                        "The application was {what}, but it did not become {} in time (last seen: {seen}). {recorded} \
                         Raise `timeouts` if the sync takes longer, or check the application in Harness.",
                        wanted(wait)
                    ),
                ),
            }
            r
        }
        Err(WaitError::Poll(last, e)) => {
            diags.error(
                "Unable to Read GitOps Application",
                format!("The application was {what}, but reading its status while waiting failed: {e}\n\n{recorded}"),
            );
            last.unwrap_or(latest)
        }
    }
}

pub(crate) fn wanted(w: &Wait) -> &'static str {
    match (w.sync.unwrap_or(true), w.health.unwrap_or(true)) {
        (true, true) => "Synced and Healthy",
        (true, false) => "Synced",
        (false, true) => "Healthy",
        (false, false) => "reconciled",
    }
}

// ---------------------------------------------------------------------------------------
// API mapping: to_api
// ---------------------------------------------------------------------------------------
//
// Nothing empty is sent (Argo CD drops empty objects, which would read back as a change):
// unset and empty strings, lists, maps and objects are left out, and booleans are sent only
// when true (protobuf-JSON omits `false` anyway). `sync_policy.automated` is the exception:
// its presence turns automated sync on, so `automated = {}` is sent as `{}`.

pub(crate) fn s(v: &Val<String>) -> Option<String> {
    v.non_empty().map(str::to_string)
}

pub(crate) fn flag(v: &Val<bool>) -> Option<bool> {
    (v.known() == Some(&true)).then_some(true)
}

pub(crate) fn list(v: &Val<Vec<String>>) -> Option<Vec<String>> {
    v.known().filter(|l| !l.is_empty()).cloned()
}

pub(crate) fn set(v: &Val<Set<String>>) -> Option<Vec<String>> {
    v.known().filter(|l| !l.0.is_empty()).map(|l| {
        let mut out = l.0.clone();
        out.sort();
        out
    })
}

pub(crate) fn map<T: Clone>(v: &Val<BTreeMap<String, T>>) -> Option<BTreeMap<String, T>> {
    v.known().filter(|m| !m.is_empty()).cloned()
}

pub(crate) fn objects<M, A>(v: &Val<Vec<M>>, f: impl Fn(&M) -> A) -> Option<Vec<A>> {
    v.known()
        .filter(|l| !l.is_empty())
        .map(|l| l.iter().map(f).collect())
}

/// `Some(x)` unless `x` is its type's empty value.
pub(crate) fn non_default<T: Default + PartialEq>(x: T) -> Option<T> {
    (x != T::default()).then_some(x)
}

/// The Argo CD application to send.
pub(crate) fn to_api(m: &App) -> ApiApplication {
    let sources: Vec<ApplicationSource> = m
        .sources
        .known()
        .map(|l| l.iter().map(source_to_api).collect())
        .unwrap_or_default();
    let (source, sources) = if sources.len() == 1 {
        (sources.into_iter().next(), None)
    } else {
        (None, non_default(sources))
    };
    ApiApplication {
        metadata: Some(ObjectMeta {
            name: s(&m.name),
            namespace: s(&m.app_namespace),
            labels: map(&m.labels),
            annotations: map(&m.annotations),
            finalizers: set(&m.finalizers),
            ..Default::default()
        }),
        spec: Some(ApplicationSpec {
            source,
            sources,
            destination: m.destination.known().and_then(|d| {
                non_default(ApplicationDestination {
                    server: s(&d.server),
                    namespace: s(&d.namespace),
                    name: s(&d.name),
                })
            }),
            project: s(&m.argo_project),
            sync_policy: m.sync_policy.known().and_then(sync_policy_to_api),
            ignore_differences: objects(&m.ignore_differences, |d| ResourceIgnoreDifferences {
                group: s(&d.group),
                kind: s(&d.kind),
                name: s(&d.name),
                namespace: s(&d.namespace),
                json_pointers: list(&d.json_pointers),
                jq_path_expressions: list(&d.jq_path_expressions),
                managed_fields_managers: list(&d.managed_fields_managers),
            }),
            info: objects(&m.info, |i| Info {
                name: s(&i.name),
                value: s(&i.value),
            }),
            revision_history_limit: m.revision_history_limit.known().copied().map(Int64),
        }),
        ..Default::default()
    }
}

fn source_to_api(x: &Source) -> ApplicationSource {
    ApplicationSource {
        repo_url: s(&x.repo_url),
        path: s(&x.path),
        target_revision: s(&x.target_revision),
        chart: s(&x.chart),
        reference: s(&x.reference),
        name: s(&x.name),
        helm: x.helm.known().and_then(|h| non_default(helm_to_api(h))),
        kustomize: x
            .kustomize
            .known()
            .and_then(|k| non_default(kustomize_to_api(k))),
        directory: x.directory.known().and_then(|d| {
            non_default(DirectorySource {
                recurse: flag(&d.recurse),
                include: s(&d.include),
                exclude: s(&d.exclude),
                jsonnet: d.jsonnet.known().and_then(|j| {
                    let var = |v: &JsonnetVariable| JsonnetVar {
                        name: s(&v.name),
                        value: s(&v.value),
                        code: flag(&v.code),
                    };
                    non_default(JsonnetSource {
                        ext_vars: objects(&j.ext_vars, var),
                        tlas: objects(&j.tlas, var),
                        libs: list(&j.libs),
                    })
                }),
            })
        }),
        plugin: x.plugin.known().and_then(|p| {
            non_default(PluginSource {
                name: s(&p.name),
                env: objects(&p.env, |e| EnvEntry {
                    name: s(&e.name),
                    value: s(&e.value),
                }),
                parameters: objects(&p.parameters, |p| ApiPluginParameter {
                    name: s(&p.name),
                    string_value: s(&p.string),
                    map_value: map(&p.map).map(|m| OptionalMap { map: Some(m) }),
                    array_value: list(&p.array).map(|a| OptionalArray { array: Some(a) }),
                }),
            })
        }),
        ..Default::default()
    }
}

fn helm_to_api(h: &Helm) -> HelmSource {
    HelmSource {
        value_files: list(&h.value_files),
        parameters: objects(&h.parameters, |p| HelmParameter {
            name: s(&p.name),
            value: s(&p.value),
            force_string: flag(&p.force_string),
        }),
        release_name: s(&h.release_name),
        values: s(&h.values),
        file_parameters: objects(&h.file_parameters, |p| HelmFileParameter {
            name: s(&p.name),
            path: s(&p.path),
        }),
        version: s(&h.version),
        pass_credentials: flag(&h.pass_credentials),
        ignore_missing_value_files: flag(&h.ignore_missing_value_files),
        skip_crds: flag(&h.skip_crds),
        // Validated as a mapping at plan time.
        values_object: h
            .values_object
            .non_empty()
            .and_then(|t| parse_yaml(t).ok())
            .filter(Json::is_object),
        namespace: s(&h.namespace),
        kube_version: s(&h.kube_version),
        api_versions: list(&h.api_versions),
        skip_tests: flag(&h.skip_tests),
        skip_schema_validation: flag(&h.skip_schema_validation),
    }
}

fn kustomize_to_api(k: &Kustomize) -> KustomizeSource {
    KustomizeSource {
        name_prefix: s(&k.name_prefix),
        name_suffix: s(&k.name_suffix),
        images: list(&k.images),
        common_labels: map(&k.common_labels),
        version: s(&k.version),
        common_annotations: map(&k.common_annotations),
        force_common_labels: flag(&k.force_common_labels),
        force_common_annotations: flag(&k.force_common_annotations),
        namespace: s(&k.namespace),
        replicas: objects(&k.replicas, |r| KustomizeReplica {
            count: s(&r.count),
            name: s(&r.name),
        }),
        patches: objects(&k.patches, |p| KustomizePatch {
            path: s(&p.path),
            patch: s(&p.patch),
            // The document nests the CRD's flat target as resId.gvk.
            target: p.target.known().and_then(|t| {
                let gvk = non_default(KustomizeGvk {
                    group: s(&t.group),
                    version: s(&t.version),
                    kind: s(&t.kind),
                });
                let res_id = non_default(KustomizeResId {
                    gvk,
                    name: s(&t.name),
                    namespace: s(&t.namespace),
                });
                non_default(KustomizeSelector {
                    res_id,
                    annotation_selector: s(&t.annotation_selector),
                    label_selector: s(&t.label_selector),
                })
            }),
            options: map(&p.options),
        }),
        components: list(&k.components),
        label_without_selector: flag(&k.label_without_selector),
        kube_version: s(&k.kube_version),
        api_versions: list(&k.api_versions),
    }
}

fn sync_policy_to_api(p: &SyncPolicy) -> Option<ApiSyncPolicy> {
    non_default(ApiSyncPolicy {
        // Present means automated, even with nothing set.
        automated: p.automated.known().map(|a| SyncPolicyAutomated {
            prune: flag(&a.prune),
            self_heal: flag(&a.self_heal),
            allow_empty: flag(&a.allow_empty),
        }),
        sync_options: set(&p.sync_options),
        retry: p.retry.known().and_then(|r| {
            non_default(RetryStrategy {
                limit: r.limit.known().copied().map(Int64),
                backoff: r.backoff.known().and_then(|b| {
                    non_default(ApiBackoff {
                        duration: s(&b.duration),
                        factor: b.factor.known().copied().map(Int64),
                        max_duration: s(&b.max_duration),
                    })
                }),
            })
        }),
        managed_namespace_metadata: p.managed_namespace_metadata.known().and_then(|n| {
            non_default(ApiManagedNamespaceMetadata {
                labels: map(&n.labels),
                annotations: map(&n.annotations),
            })
        }),
    })
}

// ---------------------------------------------------------------------------------------
// Comparing by meaning
// ---------------------------------------------------------------------------------------
//
// What the server fills in or normalises must not read back as a change: protobuf zero
// values (`""`, `false`, `0`, empty lists, maps and objects) mean absent, except
// `automated`, whose presence means automated sync; Helm `values` are compared as parsed
// YAML; a missing `targetRevision` is `HEAD`, a missing project `default`, a missing
// `revisionHistoryLimit` 10; trailing slashes of URLs and the order of sets do not count.
//
// Both are declared on the fields and applied by the framework at any depth, when planning
// and when reading (`from_api` too): what two values decide (`equivalence = ...`: `same_url`,
// `same_project`, `same_revision`, `yaml_equivalent`, `same_destination` for a destination
// that gains a name), and what a missing value means (`null_means = ...`: `zero` for the
// protobuf zero values, `head`, `ten`).

/// A protobuf zero value, what the API leaves out: `""`, `false`, `0`, an empty list, set or
/// map, an object of zero values (declared as what null means on the fields it applies to;
/// not on `automated`, whose presence is automated sync).
pub fn zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::List(l) | Value::Set(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Object(m) => m.values().all(zero),
        other => other.as_i64() == Some(0),
    }
}

/// What an unset revision is read back as (declared on `target_revision`).
pub fn head(v: &Value) -> bool {
    zero(v) || v.as_str() == Some("HEAD")
}

/// Argo CD's default history limit (declared on `revision_history_limit`).
pub fn ten(v: &Value) -> bool {
    v.as_i64() == Some(10)
}

/// URLs that differ only in trailing slashes (declared on `server` and `repo_url`).
pub fn same_url(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.trim_end_matches('/') == b.trim_end_matches('/'),
        _ => false,
    }
}

/// Projects that are the same once `""` is read as `default` (declared on `argo_project`).
pub fn same_project(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => norm_project(Some(a)) == norm_project(Some(b)),
        _ => false,
    }
}

/// Revisions that are the same once `""` is read as `HEAD` (declared on `target_revision`).
pub fn same_revision(a: &Value, b: &Value) -> bool {
    (head(a) && head(b)) || a.as_str().is_some() && a == b
}

/// Destinations that mean the same (declared on `destination`): when one names the cluster
/// only by server (or only by name), a name (or server) the other adds does not count.
pub fn same_destination(a: &Value, b: &Value) -> bool {
    let get = |v: &Value, k: &str| {
        let s = v.attr(k).as_str().unwrap_or_default();
        let s = if k == "server" {
            s.trim_end_matches('/')
        } else {
            s
        };
        Some(s.to_string()).filter(|s| !s.is_empty())
    };
    let (sa, na, sb, mut nb) = (
        get(a, "server"),
        get(a, "name"),
        get(b, "server"),
        get(b, "name"),
    );
    let mut sb_kept = sb.clone();
    if na.is_none() && sa.is_some() && sa == sb {
        nb = None;
    }
    if sa.is_none() && na.is_some() && na == nb {
        sb_kept = None;
    }
    (sa, na, get(a, "namespace")) == (sb_kept, nb, get(b, "namespace"))
}

/// The sources of a spec: `sources` when it has any (as Argo CD reads it), else `source`.
fn api_sources(spec: &ApplicationSpec) -> Vec<ApplicationSource> {
    match spec.sources.as_ref().filter(|l| !l.is_empty()) {
        Some(l) => l.clone(),
        None => spec.source.iter().cloned().collect(),
    }
}

fn norm_project(p: Option<&str>) -> String {
    p.filter(|p| !p.is_empty()).unwrap_or("default").to_string()
}

// ---------------------------------------------------------------------------------------
// API mapping: from_api
// ---------------------------------------------------------------------------------------

pub(crate) fn sv(v: Option<&String>) -> Val<String> {
    Val::from_option(v.filter(|s| !s.is_empty()).cloned())
}

pub(crate) fn bv(v: Option<bool>) -> Val<bool> {
    if v == Some(true) {
        Val::Known(true)
    } else {
        Val::Null
    }
}

pub(crate) fn lv(v: Option<&Vec<String>>) -> Val<Vec<String>> {
    Val::from_option(v.filter(|l| !l.is_empty()).cloned())
}

pub(crate) fn setv(v: Option<&Vec<String>>) -> Val<Set<String>> {
    Val::from_option(v.filter(|l| !l.is_empty()).map(|l| Set(l.clone())))
}

pub(crate) fn mv<T: Clone>(v: Option<&BTreeMap<String, T>>) -> Val<BTreeMap<String, T>> {
    Val::from_option(v.filter(|m| !m.is_empty()).cloned())
}

pub(crate) fn ov<A, M>(v: Option<&Vec<A>>, f: impl Fn(&A) -> M) -> Val<Vec<M>> {
    Val::from_option(
        v.filter(|l| !l.is_empty())
            .map(|l| l.iter().map(f).collect()),
    )
}

/// A nested object, null when nothing in it is set (compact state).
pub(crate) fn obj<M: Default + PartialEq>(m: M) -> Val<M> {
    if m == M::default() {
        Val::Null
    } else {
        Val::Known(m)
    }
}

pub(crate) fn i64v(v: Option<Int64>) -> Val<i64> {
    Val::from_option(v.map(|n| n.0))
}

fn source_from_api(x: &ApplicationSource) -> Source {
    Source {
        repo_url: sv(x.repo_url.as_ref()),
        path: sv(x.path.as_ref()),
        target_revision: sv(x.target_revision.as_ref()),
        chart: sv(x.chart.as_ref()),
        reference: sv(x.reference.as_ref()),
        name: sv(x.name.as_ref()),
        helm: x.helm.as_ref().map_or(Val::Null, |h| obj(helm_from_api(h))),
        kustomize: x
            .kustomize
            .as_ref()
            .map_or(Val::Null, |k| obj(kustomize_from_api(k))),
        directory: x.directory.as_ref().map_or(Val::Null, |d| {
            let var = |v: &JsonnetVar| JsonnetVariable {
                name: sv(v.name.as_ref()),
                value: sv(v.value.as_ref()),
                code: bv(v.code),
            };
            obj(Directory {
                recurse: bv(d.recurse),
                include: sv(d.include.as_ref()),
                exclude: sv(d.exclude.as_ref()),
                jsonnet: d.jsonnet.as_ref().map_or(Val::Null, |j| {
                    obj(Jsonnet {
                        ext_vars: ov(j.ext_vars.as_ref(), var),
                        tlas: ov(j.tlas.as_ref(), var),
                        libs: lv(j.libs.as_ref()),
                    })
                }),
            })
        }),
        plugin: x.plugin.as_ref().map_or(Val::Null, |p| {
            obj(Plugin {
                name: sv(p.name.as_ref()),
                env: ov(p.env.as_ref(), |e| PluginEnv {
                    name: sv(e.name.as_ref()),
                    value: sv(e.value.as_ref()),
                }),
                parameters: ov(p.parameters.as_ref(), |p| PluginParam {
                    name: sv(p.name.as_ref()),
                    string: sv(p.string_value.as_ref()),
                    array: lv(p.array_value.as_ref().and_then(|a| a.array.as_ref())),
                    map: mv(p.map_value.as_ref().and_then(|m| m.map.as_ref())),
                }),
            })
        }),
    }
}

fn helm_from_api(h: &HelmSource) -> Helm {
    Helm {
        value_files: lv(h.value_files.as_ref()),
        values: sv(h.values.as_ref()),
        values_object: Val::from_option(
            h.values_object
                .as_ref()
                .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
                .and_then(|v| serde_json::to_string(v).ok()),
        ),
        parameters: ov(h.parameters.as_ref(), |p| HelmParam {
            name: sv(p.name.as_ref()),
            value: sv(p.value.as_ref()),
            force_string: bv(p.force_string),
        }),
        file_parameters: ov(h.file_parameters.as_ref(), |p| HelmFileParam {
            name: sv(p.name.as_ref()),
            path: sv(p.path.as_ref()),
        }),
        release_name: sv(h.release_name.as_ref()),
        version: sv(h.version.as_ref()),
        skip_crds: bv(h.skip_crds),
        skip_tests: bv(h.skip_tests),
        skip_schema_validation: bv(h.skip_schema_validation),
        pass_credentials: bv(h.pass_credentials),
        ignore_missing_value_files: bv(h.ignore_missing_value_files),
        namespace: sv(h.namespace.as_ref()),
        kube_version: sv(h.kube_version.as_ref()),
        api_versions: lv(h.api_versions.as_ref()),
    }
}

fn kustomize_from_api(k: &KustomizeSource) -> Kustomize {
    Kustomize {
        name_prefix: sv(k.name_prefix.as_ref()),
        name_suffix: sv(k.name_suffix.as_ref()),
        images: lv(k.images.as_ref()),
        common_labels: mv(k.common_labels.as_ref()),
        common_annotations: mv(k.common_annotations.as_ref()),
        force_common_labels: bv(k.force_common_labels),
        force_common_annotations: bv(k.force_common_annotations),
        label_without_selector: bv(k.label_without_selector),
        namespace: sv(k.namespace.as_ref()),
        replicas: ov(k.replicas.as_ref(), |r| KustomizeReplicas {
            name: sv(r.name.as_ref()),
            count: sv(r.count.as_ref()),
        }),
        patches: ov(k.patches.as_ref(), |p| KustomizePatchEntry {
            path: sv(p.path.as_ref()),
            patch: sv(p.patch.as_ref()),
            target: p.target.as_ref().map_or(Val::Null, |t| {
                let id = t.res_id.clone().unwrap_or_default();
                let gvk = id.gvk.unwrap_or_default();
                obj(PatchTarget {
                    group: sv(gvk.group.as_ref()),
                    version: sv(gvk.version.as_ref()),
                    kind: sv(gvk.kind.as_ref()),
                    name: sv(id.name.as_ref()),
                    namespace: sv(id.namespace.as_ref()),
                    label_selector: sv(t.label_selector.as_ref()),
                    annotation_selector: sv(t.annotation_selector.as_ref()),
                })
            }),
            options: mv(p.options.as_ref()),
        }),
        components: lv(k.components.as_ref()),
        version: sv(k.version.as_ref()),
        kube_version: sv(k.kube_version.as_ref()),
        api_versions: lv(k.api_versions.as_ref()),
    }
}

fn sync_policy_from_api(p: &ApiSyncPolicy) -> Val<SyncPolicy> {
    obj(SyncPolicy {
        automated: p.automated.as_ref().map_or(Val::Null, |a| {
            Val::Known(Automated {
                prune: bv(a.prune),
                self_heal: bv(a.self_heal),
                allow_empty: bv(a.allow_empty),
            })
        }),
        sync_options: setv(p.sync_options.as_ref()),
        retry: p.retry.as_ref().map_or(Val::Null, |r| {
            obj(Retry {
                limit: i64v(r.limit.filter(|n| n.0 != 0)),
                backoff: r.backoff.as_ref().map_or(Val::Null, |b| {
                    obj(RetryBackoff {
                        duration: sv(b.duration.as_ref()),
                        factor: i64v(b.factor.filter(|n| n.0 != 0)),
                        max_duration: sv(b.max_duration.as_ref()),
                    })
                }),
            })
        }),
        managed_namespace_metadata: p
            .managed_namespace_metadata
            .as_ref()
            .map_or(Val::Null, |n| {
                obj(NamespaceMetadata {
                    labels: mv(n.labels.as_ref()),
                    annotations: mv(n.annotations.as_ref()),
                })
            }),
    })
}

/// An RFC 3339 timestamp of a `v1Time`.
/// A time the API gives as `Time` or as its `…Ts` text twin: RFC 3339, the `Time` first.
fn stamp_text(t: Option<&Time>, ts: Option<&String>) -> Val<String> {
    match rfc3339(t) {
        Val::Known(x) => Val::Known(x),
        _ => sv(ts),
    }
}

fn rfc3339(t: Option<&Time>) -> Val<String> {
    let Some((secs, nanos)) = stamp(t) else {
        return Val::Null;
    };
    let at = time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|d| d.replace_nanosecond(u32::try_from(nanos).unwrap_or(0)).ok());
    Val::from_option(at.and_then(|d| {
        d.format(&time::format_description::well_known::Rfc3339)
            .ok()
    }))
}

/// The state for an API response. Where the response means the same as `prior`, `prior`'s
/// form is kept (the user's, after an apply); scope, name and the lifecycle settings come
/// from `prior` (defaults when it has none, as after an import). A part the response leaves
/// out keeps its prior value.
pub(crate) fn from_api(resp: &ApplicationResponse, prior: &App) -> App {
    keep_prior_forms(prior, state_of(resp, prior, false))
}

/// `read` with the prior form of every value the model's `equivalence` declarations call
/// the same, at any depth (what the framework does to every refreshed state; done here too
/// so that create and update answers, and the tests, read the same way).
fn keep_prior_forms(prior: &App, read: App) -> App {
    let mut v = read.to_value();
    tfplugin::plan::normalize_read(App::shared_schema(), &prior.to_value(), &mut v);
    App::from_object(&v).unwrap_or(read)
}

/// Whether `planned` changes what Argo CD reconciles: read back as Argo CD would answer
/// it, its spec does not mean `prior`'s.
fn spec_changed(prior: &App, planned: &App) -> bool {
    let echo = ApplicationResponse {
        app: Some(to_api(planned)),
        ..Default::default()
    };
    let spec = |a: &App| {
        (
            a.argo_project.clone(),
            a.destination.clone(),
            a.sources.clone(),
            a.sync_policy.clone(),
            a.ignore_differences.clone(),
            a.info.clone(),
            a.revision_history_limit.clone(),
        )
    };
    spec(&from_api(&echo, prior)) != spec(prior)
}

/// [`from_api`]; with `all_links`, the Harness links are read whatever `prior` says (the
/// state of an import or a data source comes from Harness alone).
fn state_of(resp: &ApplicationResponse, prior: &App, all_links: bool) -> App {
    let mut s = prior.clone();

    // Harness links. Absent from a response means "not reported", not "removed". Harness
    // keeps a link an update does not send, so a link the configuration leaves unset is not
    // managed: it is read only when the whole state comes from Harness (`all_links`: import,
    // data source).
    let managed = |v: bool| all_links || !v;
    if let Some(c) = resp.cluster_identifier.as_ref() {
        if managed(prior.cluster_id.is_null()) {
            s.cluster_id = sv(Some(c));
        }
    }
    if let Some(r) = resp.repo_identifier.as_ref() {
        if managed(prior.repo_id.is_null()) {
            s.repo_id = sv(Some(r));
        }
    }
    if let Some(ids) = resp.repo_identifiers.as_ref() {
        if managed(prior.repo_ids.is_null()) {
            s.repo_ids = setv(Some(ids));
        }
    }
    if let Some(skip) = resp.skip_repo_validation.filter(|_| all_links) {
        s.skip_repo_validation = Val::Known(skip);
    }

    let app = resp.app.as_ref();
    if let Some(meta) = app.and_then(|a| a.metadata.as_ref()) {
        s.app_namespace = match meta.namespace.as_ref().filter(|n| !n.is_empty()) {
            Some(n) => Val::Known(n.clone()),
            None if prior.app_namespace.is_unknown() => Val::Null,
            None => prior.app_namespace.clone(),
        };
        s.labels = mv(meta.labels.as_ref());
        s.annotations = mv(meta.annotations.as_ref());
        s.finalizers = setv(meta.finalizers.as_ref());
    }
    if let Some(spec) = app.and_then(|a| a.spec.as_ref()) {
        s.argo_project = Val::Known(norm_project(spec.project.as_deref()));
        if let Some(d) = spec.destination.as_ref() {
            s.destination = obj(Destination {
                server: sv(d.server.as_ref()),
                name: sv(d.name.as_ref()),
                namespace: sv(d.namespace.as_ref()),
            });
        }
        let theirs = api_sources(spec);
        if !theirs.is_empty() {
            s.sources = Val::Known(theirs.iter().map(source_from_api).collect());
        }
        s.sync_policy = spec
            .sync_policy
            .as_ref()
            .map_or(Val::Null, sync_policy_from_api);
        s.ignore_differences = ov(spec.ignore_differences.as_ref(), |d| IgnoreDifference {
            group: sv(d.group.as_ref()),
            kind: sv(d.kind.as_ref()),
            name: sv(d.name.as_ref()),
            namespace: sv(d.namespace.as_ref()),
            json_pointers: lv(d.json_pointers.as_ref()),
            jq_path_expressions: lv(d.jq_path_expressions.as_ref()),
            managed_fields_managers: lv(d.managed_fields_managers.as_ref()),
        });
        s.info = ov(spec.info.as_ref(), |i| InfoEntry {
            name: sv(i.name.as_ref()),
            value: sv(i.value.as_ref()),
        });
        s.revision_history_limit = i64v(spec.revision_history_limit);
    }

    // Lifecycle settings are Terraform's own; defaults where the prior has none.
    for (v, default) in [
        (&mut s.skip_repo_validation, false),
        (&mut s.upsert, false),
        (&mut s.validate, true),
        (&mut s.cascade_delete, true),
        (&mut s.remove_existing_finalizers, false),
        (&mut s.force_delete, false),
        (&mut s.sync_on_apply, false),
    ] {
        if !v.is_known() {
            *v = Val::Known(default);
        }
    }
    if s.propagation_policy.is_unknown() {
        s.propagation_policy = Val::Null;
    }

    let st = app.and_then(|a| a.status.as_ref());
    let sync = st.and_then(|x| x.sync.as_ref());
    let op = st.and_then(|x| x.operation_state.as_ref());
    s.sync_status = sv(sync.and_then(|x| x.status.as_ref()));
    s.health_status = sv(st
        .and_then(|x| x.health.as_ref())
        .and_then(|h| h.status.as_ref()));
    s.synced_revision = match sync
        .and_then(|x| x.revisions.as_ref())
        .filter(|r| !r.is_empty())
    {
        Some(revs) => Val::Known(revs.join(",")),
        None => sv(sync.and_then(|x| x.revision.as_ref())),
    };
    s.reconciled_at = rfc3339(st.and_then(|x| x.reconciled_at.as_ref()));
    s.operation_phase = sv(op.and_then(|o| o.phase.as_ref()));
    s.operation_message = sv(op.and_then(|o| o.message.as_ref()));
    s.operation_started_at = op.map_or(Val::Null, |o| {
        stamp_text(o.started_at.as_ref(), o.started_at_ts.as_ref())
    });
    s.operation_finished_at = op.map_or(Val::Null, |o| {
        stamp_text(o.finished_at.as_ref(), o.finished_at_ts.as_ref())
    });
    s.operation_retry_count = match op {
        Some(o) => Val::Known(o.retry_count.map_or(0, |n| n.0)),
        None => Val::Null,
    };
    s.conditions = Val::Known(
        st.and_then(|x| x.conditions.as_ref())
            .into_iter()
            .flatten()
            .map(|c| AppCondition {
                r#type: sv(c.condition_type.as_ref()),
                message: sv(c.message.as_ref()),
                last_transition_time: stamp_text(
                    c.last_transition_time.as_ref(),
                    c.last_transition_time_ts.as_ref(),
                ),
            })
            .collect(),
    );
    s.resources = Val::Known(
        st.and_then(|x| x.resources.as_ref())
            .into_iter()
            .flatten()
            .map(|r| AppResource {
                group: Val::Known(r.group.clone().unwrap_or_default()),
                kind: sv(r.kind.as_ref()),
                namespace: sv(r.namespace.as_ref()),
                name: sv(r.name.as_ref()),
                sync_status: sv(r.status.as_ref()),
                health_status: sv(r.health.as_ref().and_then(|h| h.status.as_ref())),
            })
            .collect(),
    );
    let summary = st.and_then(|x| x.summary.as_ref());
    s.images = Val::Known(summary.and_then(|x| x.images.clone()).unwrap_or_default());
    s.external_urls = Val::Known(
        summary
            .and_then(|x| x.external_urls.clone())
            .unwrap_or_default(),
    );
    s.created_at = Val::from_option(resp.created_at.clone());
    s.updated_at = Val::from_option(resp.last_modified_at.clone());
    s.id = s.scope.import_id(&s.name);
    s
}

// ---------------------------------------------------------------------------------------
// Data source
// ---------------------------------------------------------------------------------------

/// Lifecycle settings: Terraform's own, not the application's.
const LIFECYCLE: [&str; 9] = [
    App::UPSERT,
    App::VALIDATE,
    App::CASCADE_DELETE,
    App::PROPAGATION_POLICY,
    App::REMOVE_EXISTING_FINALIZERS,
    App::FORCE_DELETE,
    App::WAIT,
    App::SYNC_ON_APPLY,
    App::SKIP_REPO_VALIDATION,
];

/// The data source: the resource's attributes without the lifecycle settings.
pub struct GitopsApplicationData;

fn data_schema() -> Schema {
    let mut s = common::data_source_schema(
        &App::schema(),
        "Reads a Harness GitOps application by scope and name: its Argo CD spec and its sync and health status.",
        &[
            (App::NAME, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &LIFECYCLE,
    );
    // What a plan refuses is the resource's business; a data source reads the project name.
    if let Some(a) = s
        .block
        .attributes
        .iter_mut()
        .find(|a| a.name == App::ARGO_PROJECT)
    {
        a.description = "Argo CD project of the application (`spec.project`).".into();
    }
    s
}

#[async_trait]
impl ScopedLookup for GitopsApplicationData {
    type Model = App;
    type Response = ApplicationResponse;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Application";
    const KEY: &'static str = App::NAME;
    const PLACE: &'static str = "project";

    fn check_scope(scope: &Scope, diags: &mut Diagnostics) {
        common::require_project_scope(scope, "application", false, diags);
    }

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut App) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.name)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<ApplicationResponse>, harness::Error> {
        client.applications().get_opt(scope, key).await
    }

    fn convert(resp: &ApplicationResponse, key: &App) -> App {
        state_of(resp, key, true)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsApplication)
}

#[cfg(test)]
mod tests;
