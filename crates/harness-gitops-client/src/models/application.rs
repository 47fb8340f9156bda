//! Application bodies: `applicationsApplicationCreateRequest`,
//! `applicationsApplicationUpdateRequest`, `applicationsApplicationSyncRequest`, the Argo CD
//! `applicationsApplication` (metadata and spec here, status/operation in
//! `application_status`), the `servicev1Application` response and
//! `applicationsApplicationList` (harness-gitops-api.md §2.3).

use std::collections::BTreeMap;

use super::application_status::{
    ApplicationStatus, Operation, SyncOperationResource, SyncStrategy,
};
use super::common::{ListMeta, ObjectMeta};
use super::wire::{api_model, Int64};

api_model! {
    /// `applicationsApplicationCreateRequest`: body of `POST …/agents/{agent}/applications`.
    pub struct ApplicationCreateRequest {
        pub application: Option<Application>,
        pub upsert: Option<bool>,
        pub validate: Option<bool>,
        pub project: Option<String>,
        #[serde(rename = "isPLG")]
        pub is_plg: Option<bool>,
    }
}

api_model! {
    /// `applicationsApplicationUpdateRequest`: body of `PUT …/applications/{name}` (the whole
    /// application).
    pub struct ApplicationUpdateRequest {
        pub application: Option<Application>,
        pub validate: Option<bool>,
        pub project: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSyncRequest`: body of `POST …/applications/{name}/sync`, which
    /// starts a sync operation (Argo CD's `argocd app sync`).
    pub struct ApplicationSyncRequest {
        pub name: Option<String>,
        pub revision: Option<String>,
        pub dry_run: Option<bool>,
        pub prune: Option<bool>,
        pub strategy: Option<SyncStrategy>,
        pub resources: Option<Vec<SyncOperationResource>>,
        pub manifests: Option<Vec<String>>,
        pub infos: Option<Vec<Info>>,
        pub retry_strategy: Option<RetryStrategy>,
        pub sync_options: Option<SyncOptions>,
        pub app_namespace: Option<String>,
        pub project: Option<String>,
        pub source_positions: Option<Vec<Int64>>,
        pub revisions: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsSyncOptions`: sync options of one sync request (`items`, e.g.
    /// `CreateNamespace=true`).
    pub struct SyncOptions {
        pub items: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplication`: the Argo CD application.
    pub struct Application {
        pub metadata: Option<ObjectMeta>,
        pub spec: Option<ApplicationSpec>,
        /// Read-only.
        pub status: Option<ApplicationStatus>,
        pub operation: Option<Operation>,
    }
}

api_model! {
    /// `applicationsApplicationSpec`.
    pub struct ApplicationSpec {
        pub source: Option<ApplicationSource>,
        pub destination: Option<ApplicationDestination>,
        /// Argo CD project (mandatory server-side since Argo CD 2.12).
        pub project: Option<String>,
        pub sync_policy: Option<SyncPolicy>,
        pub ignore_differences: Option<Vec<ResourceIgnoreDifferences>>,
        pub info: Option<Vec<Info>>,
        pub revision_history_limit: Option<Int64>,
        pub sources: Option<Vec<ApplicationSource>>,
    }
}

api_model! {
    /// `applicationsApplicationSource`.
    pub struct ApplicationSource {
        #[serde(rename = "repoURL")]
        pub repo_url: Option<String>,
        pub path: Option<String>,
        pub target_revision: Option<String>,
        pub helm: Option<HelmSource>,
        pub kustomize: Option<KustomizeSource>,
        pub ksonnet: Option<KsonnetSource>,
        pub directory: Option<DirectorySource>,
        pub plugin: Option<PluginSource>,
        pub chart: Option<String>,
        #[serde(rename = "ref")]
        pub reference: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourceHelm`.
    pub struct HelmSource {
        pub value_files: Option<Vec<String>>,
        pub parameters: Option<Vec<HelmParameter>>,
        pub release_name: Option<String>,
        pub values: Option<String>,
        pub file_parameters: Option<Vec<HelmFileParameter>>,
        pub version: Option<String>,
        pub pass_credentials: Option<bool>,
        pub ignore_missing_value_files: Option<bool>,
        pub skip_crds: Option<bool>,
        /// Free-form values map; takes precedence over `values`.
        pub values_object: Option<serde_json::Value>,
        pub namespace: Option<String>,
        pub kube_version: Option<String>,
        pub api_versions: Option<Vec<String>>,
        pub skip_tests: Option<bool>,
        pub skip_schema_validation: Option<bool>,
    }
}

api_model! {
    /// `applicationsHelmParameter`.
    pub struct HelmParameter {
        pub name: Option<String>,
        pub value: Option<String>,
        pub force_string: Option<bool>,
    }
}

api_model! {
    /// `applicationsHelmFileParameter`.
    pub struct HelmFileParameter {
        pub name: Option<String>,
        pub path: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourceKustomize`.
    pub struct KustomizeSource {
        pub name_prefix: Option<String>,
        pub name_suffix: Option<String>,
        pub images: Option<Vec<String>>,
        pub common_labels: Option<BTreeMap<String, String>>,
        pub version: Option<String>,
        pub common_annotations: Option<BTreeMap<String, String>>,
        pub force_common_labels: Option<bool>,
        pub force_common_annotations: Option<bool>,
        pub namespace: Option<String>,
        pub replicas: Option<Vec<KustomizeReplica>>,
        pub patches: Option<Vec<KustomizePatch>>,
        pub components: Option<Vec<String>>,
        pub label_without_selector: Option<bool>,
        pub kube_version: Option<String>,
        pub api_versions: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsKustomizeReplicas` (`count` is a plain string in the document).
    pub struct KustomizeReplica {
        pub count: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `applicationsKustomizePatch`.
    pub struct KustomizePatch {
        pub path: Option<String>,
        pub patch: Option<String>,
        pub target: Option<KustomizeSelector>,
        pub options: Option<BTreeMap<String, bool>>,
    }
}

api_model! {
    /// `applicationsKustomizeSelector`.
    pub struct KustomizeSelector {
        pub res_id: Option<KustomizeResId>,
        pub annotation_selector: Option<String>,
        pub label_selector: Option<String>,
    }
}

api_model! {
    /// `applicationsKustomizeResId`.
    pub struct KustomizeResId {
        pub gvk: Option<KustomizeGvk>,
        pub name: Option<String>,
        pub namespace: Option<String>,
    }
}

api_model! {
    /// `applicationsKustomizeGvk`.
    pub struct KustomizeGvk {
        pub group: Option<String>,
        pub version: Option<String>,
        pub kind: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourceKsonnet`.
    pub struct KsonnetSource {
        pub environment: Option<String>,
        pub parameters: Option<Vec<KsonnetParameter>>,
    }
}

api_model! {
    /// `applicationsKsonnetParameter`.
    pub struct KsonnetParameter {
        pub component: Option<String>,
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourceDirectory`.
    pub struct DirectorySource {
        pub recurse: Option<bool>,
        pub jsonnet: Option<JsonnetSource>,
        pub exclude: Option<String>,
        pub include: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourceJsonnet`.
    pub struct JsonnetSource {
        pub ext_vars: Option<Vec<JsonnetVar>>,
        pub tlas: Option<Vec<JsonnetVar>>,
        pub libs: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsJsonnetVar`.
    pub struct JsonnetVar {
        pub name: Option<String>,
        pub value: Option<String>,
        pub code: Option<bool>,
    }
}

api_model! {
    /// `applicationsApplicationSourcePlugin`.
    pub struct PluginSource {
        pub name: Option<String>,
        pub env: Option<Vec<EnvEntry>>,
        pub parameters: Option<Vec<PluginParameter>>,
    }
}

api_model! {
    /// `applicationsEnvEntry`.
    pub struct EnvEntry {
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSourcePluginParameter`: exactly one of `string`, `map`, `array`
    /// is meant to be set.
    pub struct PluginParameter {
        pub name: Option<String>,
        #[serde(rename = "string")]
        pub string_value: Option<String>,
        #[serde(rename = "map")]
        pub map_value: Option<OptionalMap>,
        #[serde(rename = "array")]
        pub array_value: Option<OptionalArray>,
    }
}

api_model! {
    /// `applicationsOptionalMap`.
    pub struct OptionalMap {
        pub map: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `applicationsOptionalArray`.
    pub struct OptionalArray {
        pub array: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplicationDestination`.
    pub struct ApplicationDestination {
        pub server: Option<String>,
        pub namespace: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `applicationsSyncPolicy`.
    pub struct SyncPolicy {
        pub automated: Option<SyncPolicyAutomated>,
        pub sync_options: Option<Vec<String>>,
        pub retry: Option<RetryStrategy>,
        pub managed_namespace_metadata: Option<ManagedNamespaceMetadata>,
    }
}

api_model! {
    /// `applicationsSyncPolicyAutomated`. `Some(false)` is sent as `false`.
    pub struct SyncPolicyAutomated {
        pub prune: Option<bool>,
        pub self_heal: Option<bool>,
        pub allow_empty: Option<bool>,
    }
}

api_model! {
    /// `applicationsRetryStrategy`.
    pub struct RetryStrategy {
        pub limit: Option<Int64>,
        pub backoff: Option<Backoff>,
    }
}

api_model! {
    /// `applicationsBackoff`: `duration` / `maxDuration` are duration text (`5s`, `3m`).
    pub struct Backoff {
        pub duration: Option<String>,
        pub factor: Option<Int64>,
        pub max_duration: Option<String>,
    }
}

api_model! {
    /// `applicationsManagedNamespaceMetadata`.
    pub struct ManagedNamespaceMetadata {
        pub labels: Option<BTreeMap<String, String>>,
        pub annotations: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `applicationsResourceIgnoreDifferences`.
    pub struct ResourceIgnoreDifferences {
        pub group: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
        pub namespace: Option<String>,
        pub json_pointers: Option<Vec<String>>,
        pub jq_path_expressions: Option<Vec<String>>,
        pub managed_fields_managers: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsInfo`.
    pub struct Info {
        pub name: Option<String>,
        pub value: Option<String>,
    }
}

api_model! {
    /// `servicev1Application`: the Harness wrapper returned by get/create/update. A 200 without
    /// `app` is treated as soft-deleted, like repositories and clusters.
    pub struct ApplicationResponse {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub name: Option<String>,
        pub cluster_identifier: Option<String>,
        pub repo_identifier: Option<String>,
        pub app: Option<Application>,
        pub created_at: Option<String>,
        pub last_modified_at: Option<String>,
        pub stale: Option<bool>,
        pub skip_repo_validation: Option<bool>,
        pub repo_identifiers: Option<Vec<String>>,
        pub parent_app_ref: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationList`: raw Argo CD applications of one agent.
    pub struct ApplicationList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<Application>>,
    }
}
