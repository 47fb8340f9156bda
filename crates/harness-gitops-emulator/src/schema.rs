//! Hand-written table of the request and stored-object shapes the emulator accepts.
//!
//! Each [`Msg`] lists the JSON keys (camelCase, protobuf-JSON names) of one schema of the
//! Harness GitOps OpenAPI document and the wire type of each key. The table is written for
//! the emulator from the document's component schemas (`repositories*`, `clusters*`,
//! `applications*`, `v1*`, `commons*`); `tests/emulator_conformance.rs` checks it against
//! the document so a drift between the two is caught.
//!
//! Wire types follow protobuf-JSON as the document describes it: `int64` values are JSON
//! strings holding a decimal integer, `int32` values are JSON numbers, `bytes` are base64
//! strings, timestamps are RFC 3339 strings.

/// The wire type of one JSON value.
#[derive(Debug)]
pub enum Ty {
    /// `type: string`.
    Str,
    /// `type: boolean`.
    Bool,
    /// `type: integer, format: int32`: a JSON number.
    I32,
    /// `type: string, format: int64`: a decimal integer inside a JSON string.
    I64,
    /// `type: string, format: byte`: base64 text.
    Bytes,
    /// `type: string, format: date-time`: RFC 3339.
    DateTime,
    /// A string enum; the first entry is the protobuf zero value.
    Enum(&'static [&'static str]),
    /// `type: array`.
    List(&'static Ty),
    /// `type: object` with `additionalProperties` (a protobuf map).
    Map(&'static Ty),
    /// `type: object` without properties (a `google.protobuf.Struct`): any JSON object.
    Struct,
    /// A message with a fixed set of keys.
    Msg(&'static Msg),
}

/// A message schema: its document name and its keys.
#[derive(Debug)]
pub struct Msg {
    /// The component schema name in the document (used in error messages).
    pub name: &'static str,
    /// Allowed keys and their types.
    pub fields: &'static [(&'static str, Ty)],
}

impl Msg {
    /// The type of `key`, if the message has that key.
    pub fn field(&self, key: &str) -> Option<&'static Ty> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, t)| t)
    }
}

use Ty::{Bool, Bytes, DateTime, Str, Struct, I32, I64};

const STRS: Ty = Ty::List(&Str);
const STR_MAP: Ty = Ty::Map(&Str);

// ---- shared -------------------------------------------------------------------------

pub static V1_TIME: Msg = Msg {
    name: "v1Time",
    fields: &[("seconds", I64), ("nanos", I32)],
};

pub static CONNECTION_STATE: Msg = Msg {
    name: "commonsConnectionState",
    fields: &[
        ("status", Str),
        ("message", Str),
        ("attemptedAt", Ty::Msg(&V1_TIME)),
        ("attemptedAtTs", DateTime),
    ],
};

pub static FIELD_MASK: Msg = Msg {
    name: "protobufFieldMask",
    fields: &[("paths", STRS)],
};

// ---- repositories -------------------------------------------------------------------

/// `repositoriesRepository`: the Argo CD repository object.
pub static REPOSITORY: Msg = Msg {
    name: "repositoriesRepository",
    fields: &[
        ("repo", Str),
        ("username", Str),
        ("password", Str),
        ("sshPrivateKey", Str),
        ("connectionState", Ty::Msg(&CONNECTION_STATE)),
        ("insecureIgnoreHostKey", Bool),
        ("insecure", Bool),
        ("enableLfs", Bool),
        ("tlsClientCertData", Str),
        ("tlsClientCertKey", Str),
        ("type", Str),
        ("name", Str),
        ("inheritedCreds", Bool),
        ("enableOCI", Bool),
        ("githubAppPrivateKey", Str),
        ("githubAppID", I64),
        ("githubAppInstallationID", I64),
        ("githubAppEnterpriseBaseUrl", Str),
        ("proxy", Str),
        ("project", Str),
        ("connectionType", Str),
        ("forceHttpBasicAuth", Bool),
        ("noProxy", Str),
    ],
};

const GEN_TYPE: Ty = Ty::Enum(&["UNSET", "AWS_ECR", "GOOGLE_GCR"]);

static AWS_SECRET_REF: Msg = Msg {
    name: "repositoriesAWSSecretRef",
    fields: &[
        ("awsAccessKeyID", Str),
        ("awsSecretAccessKey", Str),
        ("awsSessionToken", Str),
    ],
};

static SERVICE_ACCOUNT_SELECTOR: Msg = Msg {
    name: "repositoriesServiceAccountSelector",
    fields: &[("name", Str), ("namespace", Str), ("audiences", STRS)],
};

static ECR_GEN: Msg = Msg {
    name: "repositoriesECRAuthorizationTokenGenerator",
    fields: &[
        ("region", Str),
        ("secretRef", Ty::Msg(&AWS_SECRET_REF)),
        ("jwtAuth", Ty::Msg(&SERVICE_ACCOUNT_SELECTOR)),
        ("role", Str),
    ],
};

static GCR_WORKLOAD_IDENTITY: Msg = Msg {
    name: "repositoriesGCRWorkloadIdentity",
    fields: &[
        ("serviceAccountRef", Ty::Msg(&SERVICE_ACCOUNT_SELECTOR)),
        ("clusterLocation", Str),
        ("clusterName", Str),
        ("clusterProjectID", Str),
    ],
};

static GCR_GEN: Msg = Msg {
    name: "repositoriesGCRAccessTokenGenerator",
    fields: &[
        ("projectID", Str),
        ("accessKey", Str),
        ("workloadIdentity", Ty::Msg(&GCR_WORKLOAD_IDENTITY)),
    ],
};

/// `repositoriesRepoCreateRequest`: body of `POST …/repositories`.
pub static REPO_CREATE_REQUEST: Msg = Msg {
    name: "repositoriesRepoCreateRequest",
    fields: &[
        ("repo", Ty::Msg(&REPOSITORY)),
        ("upsert", Bool),
        ("credsOnly", Bool),
        ("genType", GEN_TYPE),
        ("ecrGen", Ty::Msg(&ECR_GEN)),
        ("gcrGen", Ty::Msg(&GCR_GEN)),
        ("refreshInterval", Str),
    ],
};

/// `repositoriesRepoUpdateRequest`: body of `PUT …/repositories/{identifier}`.
pub static REPO_UPDATE_REQUEST: Msg = Msg {
    name: "repositoriesRepoUpdateRequest",
    fields: &[
        ("repo", Ty::Msg(&REPOSITORY)),
        ("updateMask", Ty::Msg(&FIELD_MASK)),
        ("genType", GEN_TYPE),
        ("ecrGen", Ty::Msg(&ECR_GEN)),
        ("gcrGen", Ty::Msg(&GCR_GEN)),
        ("refreshInterval", Str),
    ],
};

/// `repositoriesRepoAccessQuery`: body of `POST …/repositories/validate`.
pub static REPO_ACCESS_QUERY: Msg = Msg {
    name: "repositoriesRepoAccessQuery",
    fields: &[
        ("repo", Str),
        ("username", Str),
        ("password", Str),
        ("sshPrivateKey", Str),
        ("insecure", Bool),
        ("tlsClientCertData", Str),
        ("tlsClientCertKey", Str),
        ("type", Str),
        ("name", Str),
        ("enableOci", Bool),
        ("githubAppPrivateKey", Str),
        ("githubAppID", I64),
        ("githubAppInstallationID", I64),
        ("githubAppEnterpriseBaseUrl", Str),
        ("proxy", Str),
        ("project", Str),
        ("connectionType", Str),
        ("updateMask", Ty::Msg(&FIELD_MASK)),
    ],
};

// ---- clusters -----------------------------------------------------------------------

static TLS_CLIENT_CONFIG: Msg = Msg {
    name: "clustersTLSClientConfig",
    fields: &[
        ("insecure", Bool),
        ("serverName", Str),
        ("certData", Bytes),
        ("keyData", Bytes),
        ("caData", Bytes),
    ],
};

static AWS_AUTH_CONFIG: Msg = Msg {
    name: "clustersAWSAuthConfig",
    fields: &[("clusterName", Str), ("roleARN", Str)],
};

static EXEC_PROVIDER_CONFIG: Msg = Msg {
    name: "clustersExecProviderConfig",
    fields: &[
        ("command", Str),
        ("args", STRS),
        ("env", STR_MAP),
        ("apiVersion", Str),
        ("installHint", Str),
    ],
};

static CLUSTER_CONFIG: Msg = Msg {
    name: "clustersClusterConfig",
    fields: &[
        ("username", Str),
        ("password", Str),
        ("bearerToken", Str),
        ("tlsClientConfig", Ty::Msg(&TLS_CLIENT_CONFIG)),
        ("awsAuthConfig", Ty::Msg(&AWS_AUTH_CONFIG)),
        ("execProviderConfig", Ty::Msg(&EXEC_PROVIDER_CONFIG)),
        ("clusterConnectionType", Str),
        ("roleARN", Str),
        ("awsClusterName", Str),
        ("disableCompression", Bool),
        ("proxyUrl", Str),
    ],
};

static CLUSTER_CACHE_INFO: Msg = Msg {
    name: "clustersClusterCacheInfo",
    fields: &[
        ("resourcesCount", I64),
        ("apisCount", I64),
        ("lastCacheSyncTime", Ty::Msg(&V1_TIME)),
        ("lastCacheSyncTimeTs", DateTime),
    ],
};

static CLUSTER_INFO: Msg = Msg {
    name: "clustersClusterInfo",
    fields: &[
        ("connectionState", Ty::Msg(&CONNECTION_STATE)),
        ("serverVersion", Str),
        ("cacheInfo", Ty::Msg(&CLUSTER_CACHE_INFO)),
        ("applicationsCount", I64),
        ("apiVersions", STRS),
    ],
};

/// `clustersCluster`: the Argo CD cluster object.
pub static CLUSTER: Msg = Msg {
    name: "clustersCluster",
    fields: &[
        ("server", Str),
        ("name", Str),
        ("config", Ty::Msg(&CLUSTER_CONFIG)),
        ("connectionState", Ty::Msg(&CONNECTION_STATE)),
        ("serverVersion", Str),
        ("namespaces", STRS),
        ("refreshRequestedAt", Ty::Msg(&V1_TIME)),
        ("info", Ty::Msg(&CLUSTER_INFO)),
        ("shard_deprecated", I64),
        ("clusterResources", Bool),
        ("project", Str),
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
        ("type", Ty::Enum(&["CUSTOMER_PROVIDED", "HARNESS_HOSTED"])),
        ("refreshRequestedAtTs", DateTime),
        ("shard", I64),
    ],
};

/// `clustersClusterCreateRequest`: body of `POST …/clusters`. `secretExpressions` is not in
/// the 2025-07 document; the official Go SDK sends it (reference §2.2), so it is accepted.
pub static CLUSTER_CREATE_REQUEST: Msg = Msg {
    name: "clustersClusterCreateRequest",
    fields: &[
        ("cluster", Ty::Msg(&CLUSTER)),
        ("upsert", Bool),
        ("tags", STR_MAP),
        ("secretExpressions", STR_MAP),
    ],
};

static CLUSTER_ID: Msg = Msg {
    name: "clustersClusterID",
    fields: &[("type", Str), ("value", Str)],
};

/// `clustersClusterUpdateRequest`: body of `PUT …/clusters/{identifier}` (plus the SDK's
/// `secretExpressions`, as for create).
pub static CLUSTER_UPDATE_REQUEST: Msg = Msg {
    name: "clustersClusterUpdateRequest",
    fields: &[
        ("cluster", Ty::Msg(&CLUSTER)),
        ("updatedFields", STRS),
        ("updateMask", Ty::Msg(&FIELD_MASK)),
        ("tags", STR_MAP),
        ("id", Ty::Msg(&CLUSTER_ID)),
        ("secretExpressions", STR_MAP),
    ],
};

// ---- applications: metadata ---------------------------------------------------------

static OWNER_REFERENCE: Msg = Msg {
    name: "v1OwnerReference",
    fields: &[
        ("apiVersion", Str),
        ("kind", Str),
        ("name", Str),
        ("uid", Str),
        ("controller", Bool),
        ("blockOwnerDeletion", Bool),
    ],
};

static FIELDS_V1: Msg = Msg {
    name: "v1FieldsV1",
    fields: &[("Raw", Bytes)],
};

static MANAGED_FIELDS_ENTRY: Msg = Msg {
    name: "v1ManagedFieldsEntry",
    fields: &[
        ("manager", Str),
        ("operation", Str),
        ("apiVersion", Str),
        ("time", Ty::Msg(&V1_TIME)),
        ("fieldsType", Str),
        ("fieldsV1", Ty::Msg(&FIELDS_V1)),
        ("subresource", Str),
    ],
};

/// `v1ObjectMeta`: Kubernetes object metadata of an application.
pub static OBJECT_META: Msg = Msg {
    name: "v1ObjectMeta",
    fields: &[
        ("name", Str),
        ("generateName", Str),
        ("namespace", Str),
        ("selfLink", Str),
        ("uid", Str),
        ("resourceVersion", Str),
        ("generation", I64),
        ("creationTimestamp", Ty::Msg(&V1_TIME)),
        ("deletionTimestamp", Ty::Msg(&V1_TIME)),
        ("deletionGracePeriodSeconds", I64),
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
        ("ownerReferences", Ty::List(&Ty::Msg(&OWNER_REFERENCE))),
        ("finalizers", STRS),
        ("managedFields", Ty::List(&Ty::Msg(&MANAGED_FIELDS_ENTRY))),
    ],
};

// ---- applications: sources ----------------------------------------------------------

static HELM_PARAMETER: Msg = Msg {
    name: "applicationsHelmParameter",
    fields: &[("name", Str), ("value", Str), ("forceString", Bool)],
};

static HELM_FILE_PARAMETER: Msg = Msg {
    name: "applicationsHelmFileParameter",
    fields: &[("name", Str), ("path", Str)],
};

static SOURCE_HELM: Msg = Msg {
    name: "applicationsApplicationSourceHelm",
    fields: &[
        ("valueFiles", STRS),
        ("parameters", Ty::List(&Ty::Msg(&HELM_PARAMETER))),
        ("releaseName", Str),
        ("values", Str),
        ("fileParameters", Ty::List(&Ty::Msg(&HELM_FILE_PARAMETER))),
        ("version", Str),
        ("passCredentials", Bool),
        ("ignoreMissingValueFiles", Bool),
        ("skipCrds", Bool),
        ("valuesObject", Struct),
        ("namespace", Str),
        ("kubeVersion", Str),
        ("apiVersions", STRS),
        ("skipTests", Bool),
        ("skipSchemaValidation", Bool),
    ],
};

static KUSTOMIZE_REPLICAS: Msg = Msg {
    name: "applicationsKustomizeReplicas",
    fields: &[("count", Str), ("name", Str)],
};

static KUSTOMIZE_GVK: Msg = Msg {
    name: "applicationsKustomizeGvk",
    fields: &[("group", Str), ("version", Str), ("kind", Str)],
};

static KUSTOMIZE_RES_ID: Msg = Msg {
    name: "applicationsKustomizeResId",
    fields: &[
        ("gvk", Ty::Msg(&KUSTOMIZE_GVK)),
        ("name", Str),
        ("namespace", Str),
    ],
};

static KUSTOMIZE_SELECTOR: Msg = Msg {
    name: "applicationsKustomizeSelector",
    fields: &[
        ("resId", Ty::Msg(&KUSTOMIZE_RES_ID)),
        ("annotationSelector", Str),
        ("labelSelector", Str),
    ],
};

static KUSTOMIZE_PATCH: Msg = Msg {
    name: "applicationsKustomizePatch",
    fields: &[
        ("path", Str),
        ("patch", Str),
        ("target", Ty::Msg(&KUSTOMIZE_SELECTOR)),
        ("options", Ty::Map(&Bool)),
    ],
};

static SOURCE_KUSTOMIZE: Msg = Msg {
    name: "applicationsApplicationSourceKustomize",
    fields: &[
        ("namePrefix", Str),
        ("nameSuffix", Str),
        ("images", STRS),
        ("commonLabels", STR_MAP),
        ("version", Str),
        ("commonAnnotations", STR_MAP),
        ("forceCommonLabels", Bool),
        ("forceCommonAnnotations", Bool),
        ("namespace", Str),
        ("replicas", Ty::List(&Ty::Msg(&KUSTOMIZE_REPLICAS))),
        ("patches", Ty::List(&Ty::Msg(&KUSTOMIZE_PATCH))),
        ("components", STRS),
        ("labelWithoutSelector", Bool),
        ("kubeVersion", Str),
        ("apiVersions", STRS),
    ],
};

static KSONNET_PARAMETER: Msg = Msg {
    name: "applicationsKsonnetParameter",
    fields: &[("component", Str), ("name", Str), ("value", Str)],
};

static SOURCE_KSONNET: Msg = Msg {
    name: "applicationsApplicationSourceKsonnet",
    fields: &[
        ("environment", Str),
        ("parameters", Ty::List(&Ty::Msg(&KSONNET_PARAMETER))),
    ],
};

static JSONNET_VAR: Msg = Msg {
    name: "applicationsJsonnetVar",
    fields: &[("name", Str), ("value", Str), ("code", Bool)],
};

static SOURCE_JSONNET: Msg = Msg {
    name: "applicationsApplicationSourceJsonnet",
    fields: &[
        ("extVars", Ty::List(&Ty::Msg(&JSONNET_VAR))),
        ("tlas", Ty::List(&Ty::Msg(&JSONNET_VAR))),
        ("libs", STRS),
    ],
};

static SOURCE_DIRECTORY: Msg = Msg {
    name: "applicationsApplicationSourceDirectory",
    fields: &[
        ("recurse", Bool),
        ("jsonnet", Ty::Msg(&SOURCE_JSONNET)),
        ("exclude", Str),
        ("include", Str),
    ],
};

static ENV_ENTRY: Msg = Msg {
    name: "applicationsEnvEntry",
    fields: &[("name", Str), ("value", Str)],
};

static OPTIONAL_MAP: Msg = Msg {
    name: "applicationsOptionalMap",
    fields: &[("map", STR_MAP)],
};

static OPTIONAL_ARRAY: Msg = Msg {
    name: "applicationsOptionalArray",
    fields: &[("array", STRS)],
};

static PLUGIN_PARAMETER: Msg = Msg {
    name: "applicationsApplicationSourcePluginParameter",
    fields: &[
        ("name", Str),
        ("string", Str),
        ("map", Ty::Msg(&OPTIONAL_MAP)),
        ("array", Ty::Msg(&OPTIONAL_ARRAY)),
    ],
};

static SOURCE_PLUGIN: Msg = Msg {
    name: "applicationsApplicationSourcePlugin",
    fields: &[
        ("name", Str),
        ("env", Ty::List(&Ty::Msg(&ENV_ENTRY))),
        ("parameters", Ty::List(&Ty::Msg(&PLUGIN_PARAMETER))),
    ],
};

/// `applicationsApplicationSource`.
pub static SOURCE: Msg = Msg {
    name: "applicationsApplicationSource",
    fields: &[
        ("repoURL", Str),
        ("path", Str),
        ("targetRevision", Str),
        ("helm", Ty::Msg(&SOURCE_HELM)),
        ("kustomize", Ty::Msg(&SOURCE_KUSTOMIZE)),
        ("ksonnet", Ty::Msg(&SOURCE_KSONNET)),
        ("directory", Ty::Msg(&SOURCE_DIRECTORY)),
        ("plugin", Ty::Msg(&SOURCE_PLUGIN)),
        ("chart", Str),
        ("ref", Str),
        ("name", Str),
    ],
};

const SOURCES: Ty = Ty::List(&Ty::Msg(&SOURCE));

// ---- applications: spec -------------------------------------------------------------

static DESTINATION: Msg = Msg {
    name: "applicationsApplicationDestination",
    fields: &[("server", Str), ("namespace", Str), ("name", Str)],
};

static SYNC_POLICY_AUTOMATED: Msg = Msg {
    name: "applicationsSyncPolicyAutomated",
    fields: &[("prune", Bool), ("selfHeal", Bool), ("allowEmpty", Bool)],
};

static BACKOFF: Msg = Msg {
    name: "applicationsBackoff",
    fields: &[("duration", Str), ("factor", I64), ("maxDuration", Str)],
};

static RETRY_STRATEGY: Msg = Msg {
    name: "applicationsRetryStrategy",
    fields: &[("limit", I64), ("backoff", Ty::Msg(&BACKOFF))],
};

static MANAGED_NAMESPACE_METADATA: Msg = Msg {
    name: "applicationsManagedNamespaceMetadata",
    fields: &[("labels", STR_MAP), ("annotations", STR_MAP)],
};

static SYNC_POLICY: Msg = Msg {
    name: "applicationsSyncPolicy",
    fields: &[
        ("automated", Ty::Msg(&SYNC_POLICY_AUTOMATED)),
        ("syncOptions", STRS),
        ("retry", Ty::Msg(&RETRY_STRATEGY)),
        (
            "managedNamespaceMetadata",
            Ty::Msg(&MANAGED_NAMESPACE_METADATA),
        ),
    ],
};

static IGNORE_DIFFERENCES: Msg = Msg {
    name: "applicationsResourceIgnoreDifferences",
    fields: &[
        ("group", Str),
        ("kind", Str),
        ("name", Str),
        ("namespace", Str),
        ("jsonPointers", STRS),
        ("jqPathExpressions", STRS),
        ("managedFieldsManagers", STRS),
    ],
};

static INFO: Msg = Msg {
    name: "applicationsInfo",
    fields: &[("name", Str), ("value", Str)],
};

/// `applicationsApplicationSpec`.
pub static SPEC: Msg = Msg {
    name: "applicationsApplicationSpec",
    fields: &[
        ("source", Ty::Msg(&SOURCE)),
        ("destination", Ty::Msg(&DESTINATION)),
        ("project", Str),
        ("syncPolicy", Ty::Msg(&SYNC_POLICY)),
        ("ignoreDifferences", Ty::List(&Ty::Msg(&IGNORE_DIFFERENCES))),
        ("info", Ty::List(&Ty::Msg(&INFO))),
        ("revisionHistoryLimit", I64),
        ("sources", SOURCES),
    ],
};

// ---- applications: status and operation ---------------------------------------------

static HEALTH_STATUS: Msg = Msg {
    name: "applicationsHealthStatus",
    fields: &[
        ("status", Str),
        ("message", Str),
        ("lastTransitionTime", Ty::Msg(&V1_TIME)),
    ],
};

static RESOURCE_STATUS: Msg = Msg {
    name: "applicationsResourceStatus",
    fields: &[
        ("group", Str),
        ("version", Str),
        ("kind", Str),
        ("namespace", Str),
        ("name", Str),
        ("status", Str),
        ("health", Ty::Msg(&HEALTH_STATUS)),
        ("hook", Bool),
        ("requiresPruning", Bool),
        ("syncWave", I64),
        ("requiresDeletionConfirmation", Bool),
    ],
};

static COMPARED_TO: Msg = Msg {
    name: "applicationsComparedTo",
    fields: &[
        ("source", Ty::Msg(&SOURCE)),
        ("destination", Ty::Msg(&DESTINATION)),
        ("sources", SOURCES),
        ("ignoreDifferences", Ty::List(&Ty::Msg(&IGNORE_DIFFERENCES))),
    ],
};

static SYNC_STATUS: Msg = Msg {
    name: "applicationsSyncStatus",
    fields: &[
        ("status", Str),
        ("comparedTo", Ty::Msg(&COMPARED_TO)),
        ("revision", Str),
        ("revisions", STRS),
    ],
};

static OPERATION_INITIATOR: Msg = Msg {
    name: "applicationsOperationInitiator",
    fields: &[("username", Str), ("automated", Bool)],
};

static REVISION_HISTORY: Msg = Msg {
    name: "applicationsRevisionHistory",
    fields: &[
        ("revision", Str),
        ("deployedAt", Ty::Msg(&V1_TIME)),
        ("id", I64),
        ("source", Ty::Msg(&SOURCE)),
        ("deployStartedAt", Ty::Msg(&V1_TIME)),
        ("deployedAtTs", DateTime),
        ("deployStartedAtTs", DateTime),
        ("sources", SOURCES),
        ("revisions", STRS),
        ("initiatedBy", Ty::Msg(&OPERATION_INITIATOR)),
    ],
};

static APPLICATION_CONDITION: Msg = Msg {
    name: "applicationsApplicationCondition",
    fields: &[
        ("type", Str),
        ("message", Str),
        ("lastTransitionTime", Ty::Msg(&V1_TIME)),
        ("lastTransitionTimeTs", DateTime),
    ],
};

static SYNC_STRATEGY_APPLY: Msg = Msg {
    name: "applicationsSyncStrategyApply",
    fields: &[("force", Bool)],
};

static SYNC_STRATEGY_HOOK: Msg = Msg {
    name: "applicationsSyncStrategyHook",
    fields: &[("force", Bool)],
};

static SYNC_STRATEGY: Msg = Msg {
    name: "applicationsSyncStrategy",
    fields: &[
        ("apply", Ty::Msg(&SYNC_STRATEGY_APPLY)),
        ("hook", Ty::Msg(&SYNC_STRATEGY_HOOK)),
    ],
};

static SYNC_OPERATION_RESOURCE: Msg = Msg {
    name: "applicationsSyncOperationResource",
    fields: &[
        ("group", Str),
        ("kind", Str),
        ("name", Str),
        ("namespace", Str),
    ],
};

static SYNC_OPERATION: Msg = Msg {
    name: "applicationsSyncOperation",
    fields: &[
        ("revision", Str),
        ("prune", Bool),
        ("dryRun", Bool),
        ("syncStrategy", Ty::Msg(&SYNC_STRATEGY)),
        ("resources", Ty::List(&Ty::Msg(&SYNC_OPERATION_RESOURCE))),
        ("source", Ty::Msg(&SOURCE)),
        ("manifests", STRS),
        ("syncOptions", STRS),
        ("sources", SOURCES),
        ("revisions", STRS),
        ("autoHealAttemptsCount", I64),
    ],
};

/// `applicationsOperation`.
pub static OPERATION: Msg = Msg {
    name: "applicationsOperation",
    fields: &[
        ("sync", Ty::Msg(&SYNC_OPERATION)),
        ("initiatedBy", Ty::Msg(&OPERATION_INITIATOR)),
        ("info", Ty::List(&Ty::Msg(&INFO))),
        ("retry", Ty::Msg(&RETRY_STRATEGY)),
    ],
};

static RESOURCE_RESULT: Msg = Msg {
    name: "applicationsResourceResult",
    fields: &[
        ("group", Str),
        ("version", Str),
        ("kind", Str),
        ("namespace", Str),
        ("name", Str),
        ("status", Str),
        ("message", Str),
        ("hookType", Str),
        ("hookPhase", Str),
        ("syncPhase", Str),
    ],
};

static SYNC_OPERATION_RESULT: Msg = Msg {
    name: "applicationsSyncOperationResult",
    fields: &[
        ("resources", Ty::List(&Ty::Msg(&RESOURCE_RESULT))),
        ("revision", Str),
        ("source", Ty::Msg(&SOURCE)),
        ("sources", SOURCES),
        ("revisions", STRS),
        (
            "managedNamespaceMetadata",
            Ty::Msg(&MANAGED_NAMESPACE_METADATA),
        ),
    ],
};

static OPERATION_STATE: Msg = Msg {
    name: "applicationsOperationState",
    fields: &[
        ("operation", Ty::Msg(&OPERATION)),
        ("phase", Str),
        ("message", Str),
        ("syncResult", Ty::Msg(&SYNC_OPERATION_RESULT)),
        ("startedAt", Ty::Msg(&V1_TIME)),
        ("finishedAt", Ty::Msg(&V1_TIME)),
        ("retryCount", I64),
        ("startedAtTs", DateTime),
        ("finishedAtTs", DateTime),
    ],
};

static APPLICATION_SUMMARY: Msg = Msg {
    name: "applicationsApplicationSummary",
    fields: &[("externalURLs", STRS), ("images", STRS)],
};

/// `applicationsApplicationStatus`.
pub static STATUS: Msg = Msg {
    name: "applicationsApplicationStatus",
    fields: &[
        ("resources", Ty::List(&Ty::Msg(&RESOURCE_STATUS))),
        ("sync", Ty::Msg(&SYNC_STATUS)),
        ("health", Ty::Msg(&HEALTH_STATUS)),
        ("history", Ty::List(&Ty::Msg(&REVISION_HISTORY))),
        ("conditions", Ty::List(&Ty::Msg(&APPLICATION_CONDITION))),
        ("reconciledAt", Ty::Msg(&V1_TIME)),
        ("operationState", Ty::Msg(&OPERATION_STATE)),
        ("observedAt", Ty::Msg(&V1_TIME)),
        ("sourceType", Str),
        ("summary", Ty::Msg(&APPLICATION_SUMMARY)),
        ("resourceHealthSource", Str),
        ("sourceTypes", STRS),
        ("controllerNamespace", Str),
    ],
};

/// `applicationsApplication`: the Argo CD application object.
pub static APPLICATION: Msg = Msg {
    name: "applicationsApplication",
    fields: &[
        ("metadata", Ty::Msg(&OBJECT_META)),
        ("spec", Ty::Msg(&SPEC)),
        ("status", Ty::Msg(&STATUS)),
        ("operation", Ty::Msg(&OPERATION)),
    ],
};

/// `applicationsApplicationCreateRequest`: body of `POST …/applications`.
pub static APP_CREATE_REQUEST: Msg = Msg {
    name: "applicationsApplicationCreateRequest",
    fields: &[
        ("application", Ty::Msg(&APPLICATION)),
        ("upsert", Bool),
        ("validate", Bool),
        ("project", Str),
        ("isPLG", Bool),
    ],
};

/// `applicationsApplicationUpdateRequest`: body of `PUT …/applications/{name}`.
pub static APP_UPDATE_REQUEST: Msg = Msg {
    name: "applicationsApplicationUpdateRequest",
    fields: &[
        ("application", Ty::Msg(&APPLICATION)),
        ("validate", Bool),
        ("project", Str),
    ],
};

static SYNC_OPTIONS: Msg = Msg {
    name: "applicationsSyncOptions",
    fields: &[("items", STRS)],
};

/// `applicationsApplicationSyncRequest`: body of `POST …/applications/{name}/sync`.
pub static APP_SYNC_REQUEST: Msg = Msg {
    name: "applicationsApplicationSyncRequest",
    fields: &[
        ("name", Str),
        ("revision", Str),
        ("dryRun", Bool),
        ("prune", Bool),
        ("strategy", Ty::Msg(&SYNC_STRATEGY)),
        ("resources", Ty::List(&Ty::Msg(&SYNC_OPERATION_RESOURCE))),
        ("manifests", STRS),
        ("infos", Ty::List(&Ty::Msg(&INFO))),
        ("retryStrategy", Ty::Msg(&RETRY_STRATEGY)),
        ("syncOptions", Ty::Msg(&SYNC_OPTIONS)),
        ("appNamespace", Str),
        ("project", Str),
        ("sourcePositions", Ty::List(&I64)),
        ("revisions", STRS),
    ],
};

// ---- agents -------------------------------------------------------------------------

/// `v1AgentType`.
pub const AGENT_TYPES: &[&str] = &[
    "AGENT_TYPE_UNSET",
    "CONNECTED_ARGO_PROVIDER",
    "MANAGED_ARGO_PROVIDER",
    "HOSTED_ARGO_PROVIDER",
];

/// `servicev1Project`.
pub static HARNESS_PROJECT: Msg = Msg {
    name: "servicev1Project",
    fields: &[("orgIdentifier", Str), ("projectIdentifier", Str)],
};

/// `servicev1AppProjectMapping`.
pub static APP_PROJECT_MAPPING: Msg = Msg {
    name: "servicev1AppProjectMapping",
    fields: &[("appProjMap", Ty::Map(&Ty::Msg(&HARNESS_PROJECT)))],
};

/// `v1AgentMetadata`.
pub static AGENT_METADATA: Msg = Msg {
    name: "v1AgentMetadata",
    fields: &[
        ("namespace", Str),
        ("highAvailability", Bool),
        ("isNamespaced", Bool),
        ("existingInstallation", Bool),
        ("deployedApplicationCount", I32),
        ("mappedProjects", Ty::Msg(&APP_PROJECT_MAPPING)),
        ("infraType", Ty::Enum(&["UNSET", "OPENSHIFT"])),
    ],
};

const COMPONENT_STATUS: Ty = Ty::Enum(&["HEALTH_STATUS_UNSET", "HEALTHY", "UNHEALTHY"]);

/// `v1AgentComponentHealth`.
pub static AGENT_COMPONENT_HEALTH: Msg = Msg {
    name: "v1AgentComponentHealth",
    fields: &[
        ("status", COMPONENT_STATUS),
        ("k8sError", Str),
        ("message", Str),
        ("version", Str),
    ],
};

const COMPONENT: Ty = Ty::Msg(&AGENT_COMPONENT_HEALTH);

/// `v1AgentHealth`.
pub static AGENT_HEALTH: Msg = Msg {
    name: "v1AgentHealth",
    fields: &[
        ("lastHeartbeat", DateTime),
        (
            "connectionStatus",
            Ty::Enum(&["CONNECTED_STATUS_UNSET", "CONNECTED", "DISCONNECTED"]),
        ),
        ("harnessGitopsAgent", COMPONENT),
        ("argoRepoServer", COMPONENT),
        ("argoAppController", COMPONENT),
        ("argoRedisServer", COMPONENT),
        ("argoAppSetController", COMPONENT),
    ],
};

/// `v1AgentCredentials`.
pub static AGENT_CREDENTIALS: Msg = Msg {
    name: "v1AgentCredentials",
    fields: &[("privateKey", Str), ("publicKey", Str)],
};

/// `v1SemanticVersion`.
pub static SEMANTIC_VERSION: Msg = Msg {
    name: "v1SemanticVersion",
    fields: &[("major", I64), ("minor", I64), ("patch", I64)],
};

/// `v1DisasterRecoveryNode`.
pub static DISASTER_RECOVERY_NODE: Msg = Msg {
    name: "v1DisasterRecoveryNode",
    fields: &[
        ("identifier", Str),
        ("name", Str),
        ("type", Ty::Enum(&["UNKNOWN_TYPE", "PRIMARY", "SECONDARY"])),
    ],
};

/// `v1Agent`: the create and update body (and the response).
pub static AGENT: Msg = Msg {
    name: "v1Agent",
    fields: &[
        ("accountIdentifier", Str),
        ("orgIdentifier", Str),
        ("projectIdentifier", Str),
        ("identifier", Str),
        ("name", Str),
        ("description", Str),
        ("type", Ty::Enum(AGENT_TYPES)),
        ("metadata", Ty::Msg(&AGENT_METADATA)),
        ("tags", STR_MAP),
        ("health", Ty::Msg(&AGENT_HEALTH)),
        ("credentials", Ty::Msg(&AGENT_CREDENTIALS)),
        ("version", Ty::Msg(&SEMANTIC_VERSION)),
        ("upgradeAvailable", Bool),
        ("isPLG", Bool),
        (
            "scope",
            Ty::Enum(&["AGENT_SCOPE_UNSET", "ACCOUNT", "ORG", "PROJECT"]),
        ),
        ("disasterRecoveryNode", Ty::Msg(&DISASTER_RECOVERY_NODE)),
        ("operator", Ty::Enum(&["UNKNOWN", "ARGO", "FLAMINGO"])),
        ("prefixedIdentifier", Str),
        ("createdAt", Ty::Msg(&V1_TIME)),
        ("lastModifiedAt", Ty::Msg(&V1_TIME)),
    ],
};

/// `v1Proxy`.
pub static PROXY: Msg = Msg {
    name: "v1Proxy",
    fields: &[
        ("http", Str),
        ("https", Str),
        ("username", Str),
        ("password", Str),
        ("skipSSLVerify", Bool),
    ],
};

/// `v1ArgoCDSettings`.
pub static ARGOCD_SETTINGS: Msg = Msg {
    name: "v1ArgoCDSettings",
    fields: &[
        ("enableHelmPathTraversal", Bool),
        ("forceEnableInCluster", Bool),
    ],
};

/// `v1AgentYamlQuery`: the body of the POST manifest and Helm-overrides calls.
pub static AGENT_YAML_QUERY: Msg = Msg {
    name: "v1AgentYamlQuery",
    fields: &[
        ("accountIdentifier", Str),
        ("orgIdentifier", Str),
        ("projectIdentifier", Str),
        ("agentIdentifier", Str),
        ("namespace", Str),
        ("disasterRecoveryIdentifier", Str),
        ("skipCrds", Bool),
        ("caData", Str),
        ("privateKey", Str),
        ("proxy", Ty::Msg(&PROXY)),
        ("argocdSettings", Ty::Msg(&ARGOCD_SETTINGS)),
    ],
};

/// The heartbeat body (an emulator convention, not in the document).
pub static HEARTBEAT: Msg = Msg {
    name: "heartbeat",
    fields: &[
        ("accountIdentifier", Str),
        ("orgIdentifier", Str),
        ("projectIdentifier", Str),
        ("agentIdentifier", Str),
        ("version", Str),
        ("components", Ty::Msg(&HEARTBEAT_COMPONENTS)),
    ],
};

/// `components` of a heartbeat: one `v1AgentComponentHealth` per component.
pub static HEARTBEAT_COMPONENTS: Msg = Msg {
    name: "heartbeat.components",
    fields: &[
        ("harnessGitopsAgent", COMPONENT),
        ("argoRepoServer", COMPONENT),
        ("argoAppController", COMPONENT),
        ("argoRedisServer", COMPONENT),
        ("argoAppSetController", COMPONENT),
    ],
};

// ---- ApplicationSets ------------------------------------------------------------------

/// `v1JSON`: a JSON document as protobuf `bytes` (base64 of the JSON text).
pub static V1_JSON: Msg = Msg {
    name: "v1JSON",
    fields: &[("raw", Bytes)],
};

static LABEL_SELECTOR_REQUIREMENT: Msg = Msg {
    name: "v1LabelSelectorRequirement",
    fields: &[("key", Str), ("operator", Str), ("values", STRS)],
};

pub static LABEL_SELECTOR: Msg = Msg {
    name: "v1LabelSelector",
    fields: &[
        ("matchLabels", STR_MAP),
        (
            "matchExpressions",
            Ty::List(&Ty::Msg(&LABEL_SELECTOR_REQUIREMENT)),
        ),
    ],
};

static APPSET_TEMPLATE_META: Msg = Msg {
    name: "applicationsApplicationSetTemplateMeta",
    fields: &[
        ("name", Str),
        ("namespace", Str),
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
        ("finalizers", STRS),
    ],
};

pub static APPSET_TEMPLATE: Msg = Msg {
    name: "applicationsApplicationSetTemplate",
    fields: &[
        ("metadata", Ty::Msg(&APPSET_TEMPLATE_META)),
        ("spec", Ty::Msg(&SPEC)),
    ],
};

const TEMPLATE: Ty = Ty::Msg(&APPSET_TEMPLATE);

static LIST_GENERATOR: Msg = Msg {
    name: "applicationsListGenerator",
    fields: &[
        ("elements", Ty::List(&Ty::Msg(&V1_JSON))),
        ("template", TEMPLATE),
        ("elementsYaml", Str),
    ],
};

static CLUSTER_GENERATOR: Msg = Msg {
    name: "applicationsClusterGenerator",
    fields: &[
        ("selector", Ty::Msg(&LABEL_SELECTOR)),
        ("template", TEMPLATE),
        ("values", STR_MAP),
        ("flatList", Bool),
    ],
};

static GIT_DIRECTORY_ITEM: Msg = Msg {
    name: "applicationsGitDirectoryGeneratorItem",
    fields: &[("path", Str), ("exclude", Bool)],
};

static GIT_FILE_ITEM: Msg = Msg {
    name: "applicationsGitFileGeneratorItem",
    fields: &[("path", Str)],
};

static GIT_GENERATOR: Msg = Msg {
    name: "applicationsGitGenerator",
    fields: &[
        ("repoURL", Str),
        ("directories", Ty::List(&Ty::Msg(&GIT_DIRECTORY_ITEM))),
        ("files", Ty::List(&Ty::Msg(&GIT_FILE_ITEM))),
        ("revision", Str),
        ("requeueAfterSeconds", I64),
        ("template", TEMPLATE),
        ("pathParamPrefix", Str),
        ("values", STR_MAP),
    ],
};

static SECRET_REF: Msg = Msg {
    name: "applicationsSecretRef",
    fields: &[("secretName", Str), ("key", Str)],
};

static CONFIG_MAP_KEY_REF: Msg = Msg {
    name: "applicationsConfigMapKeyRef",
    fields: &[("configMapName", Str), ("key", Str)],
};

static BASIC_AUTH_BITBUCKET: Msg = Msg {
    name: "applicationsBasicAuthBitbucketServer",
    fields: &[("username", Str), ("passwordRef", Ty::Msg(&SECRET_REF))],
};

static BEARER_TOKEN_BITBUCKET: Msg = Msg {
    name: "applicationsBearerTokenBitbucket",
    fields: &[("tokenRef", Ty::Msg(&SECRET_REF))],
};

static BEARER_TOKEN_BITBUCKET_CLOUD: Msg = Msg {
    name: "applicationsBearerTokenBitbucketCloud",
    fields: &[("tokenRef", Ty::Msg(&SECRET_REF))],
};

static SCM_GITHUB: Msg = Msg {
    name: "applicationsSCMProviderGeneratorGithub",
    fields: &[
        ("organization", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("appSecretName", Str),
        ("allBranches", Bool),
    ],
};

static SCM_GITLAB: Msg = Msg {
    name: "applicationsSCMProviderGeneratorGitlab",
    fields: &[
        ("group", Str),
        ("includeSubgroups", Bool),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("allBranches", Bool),
        ("insecure", Bool),
        ("includeSharedProjects", Bool),
        ("topic", Str),
        ("caRef", Ty::Msg(&CONFIG_MAP_KEY_REF)),
    ],
};

static SCM_BITBUCKET: Msg = Msg {
    name: "applicationsSCMProviderGeneratorBitbucket",
    fields: &[
        ("owner", Str),
        ("user", Str),
        ("appPasswordRef", Ty::Msg(&SECRET_REF)),
        ("allBranches", Bool),
    ],
};

static SCM_BITBUCKET_SERVER: Msg = Msg {
    name: "applicationsSCMProviderGeneratorBitbucketServer",
    fields: &[
        ("project", Str),
        ("api", Str),
        ("basicAuth", Ty::Msg(&BASIC_AUTH_BITBUCKET)),
        ("allBranches", Bool),
        ("bearerToken", Ty::Msg(&BEARER_TOKEN_BITBUCKET)),
        ("insecure", Bool),
        ("caRef", Ty::Msg(&CONFIG_MAP_KEY_REF)),
    ],
};

static SCM_GITEA: Msg = Msg {
    name: "applicationsSCMProviderGeneratorGitea",
    fields: &[
        ("owner", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("allBranches", Bool),
        ("insecure", Bool),
    ],
};

static SCM_AZURE_DEVOPS: Msg = Msg {
    name: "applicationsSCMProviderGeneratorAzureDevOps",
    fields: &[
        ("organization", Str),
        ("api", Str),
        ("teamProject", Str),
        ("accessTokenRef", Ty::Msg(&SECRET_REF)),
        ("allBranches", Bool),
    ],
};

static TAG_FILTER: Msg = Msg {
    name: "applicationsTagFilter",
    fields: &[("key", Str), ("value", Str)],
};

static SCM_AWS_CODE_COMMIT: Msg = Msg {
    name: "applicationsSCMProviderGeneratorAWSCodeCommit",
    fields: &[
        ("tagFilters", Ty::List(&Ty::Msg(&TAG_FILTER))),
        ("role", Str),
        ("region", Str),
        ("allBranches", Bool),
    ],
};

static SCM_FILTER: Msg = Msg {
    name: "applicationsSCMProviderGeneratorFilter",
    fields: &[
        ("repositoryMatch", Str),
        ("pathsExist", STRS),
        ("pathsDoNotExist", STRS),
        ("labelMatch", Str),
        ("branchMatch", Str),
    ],
};

static SCM_PROVIDER_GENERATOR: Msg = Msg {
    name: "applicationsSCMProviderGenerator",
    fields: &[
        ("github", Ty::Msg(&SCM_GITHUB)),
        ("gitlab", Ty::Msg(&SCM_GITLAB)),
        ("bitbucket", Ty::Msg(&SCM_BITBUCKET)),
        ("bitbucketServer", Ty::Msg(&SCM_BITBUCKET_SERVER)),
        ("gitea", Ty::Msg(&SCM_GITEA)),
        ("azureDevOps", Ty::Msg(&SCM_AZURE_DEVOPS)),
        ("filters", Ty::List(&Ty::Msg(&SCM_FILTER))),
        ("cloneProtocol", Str),
        ("requeueAfterSeconds", I64),
        ("template", TEMPLATE),
        ("values", STR_MAP),
        ("awsCodeCommit", Ty::Msg(&SCM_AWS_CODE_COMMIT)),
    ],
};

static DUCK_TYPE_GENERATOR: Msg = Msg {
    name: "applicationsDuckTypeGenerator",
    fields: &[
        ("configMapRef", Str),
        ("name", Str),
        ("requeueAfterSeconds", I64),
        ("labelSelector", Ty::Msg(&LABEL_SELECTOR)),
        ("template", TEMPLATE),
        ("values", STR_MAP),
    ],
};

static PR_GITHUB: Msg = Msg {
    name: "applicationsPullRequestGeneratorGithub",
    fields: &[
        ("owner", Str),
        ("repo", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("appSecretName", Str),
        ("labels", STRS),
    ],
};

static PR_GITLAB: Msg = Msg {
    name: "applicationsPullRequestGeneratorGitLab",
    fields: &[
        ("project", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("labels", STRS),
        ("pullRequestState", Str),
        ("insecure", Bool),
        ("caRef", Ty::Msg(&CONFIG_MAP_KEY_REF)),
    ],
};

static PR_GITEA: Msg = Msg {
    name: "applicationsPullRequestGeneratorGitea",
    fields: &[
        ("owner", Str),
        ("repo", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("insecure", Bool),
    ],
};

static PR_BITBUCKET_SERVER: Msg = Msg {
    name: "applicationsPullRequestGeneratorBitbucketServer",
    fields: &[
        ("project", Str),
        ("repo", Str),
        ("api", Str),
        ("basicAuth", Ty::Msg(&BASIC_AUTH_BITBUCKET)),
        ("bearerToken", Ty::Msg(&BEARER_TOKEN_BITBUCKET)),
        ("insecure", Bool),
        ("caRef", Ty::Msg(&CONFIG_MAP_KEY_REF)),
    ],
};

static PR_BITBUCKET: Msg = Msg {
    name: "applicationsPullRequestGeneratorBitbucket",
    fields: &[
        ("owner", Str),
        ("repo", Str),
        ("api", Str),
        ("basicAuth", Ty::Msg(&BASIC_AUTH_BITBUCKET)),
        ("bearerToken", Ty::Msg(&BEARER_TOKEN_BITBUCKET_CLOUD)),
    ],
};

static PR_AZURE_DEVOPS: Msg = Msg {
    name: "applicationsPullRequestGeneratorAzureDevOps",
    fields: &[
        ("organization", Str),
        ("project", Str),
        ("repo", Str),
        ("api", Str),
        ("tokenRef", Ty::Msg(&SECRET_REF)),
        ("labels", STRS),
    ],
};

static PR_FILTER: Msg = Msg {
    name: "applicationsPullRequestGeneratorFilter",
    fields: &[("branchMatch", Str), ("targetBranchMatch", Str)],
};

static PULL_REQUEST_GENERATOR: Msg = Msg {
    name: "applicationsPullRequestGenerator",
    fields: &[
        ("github", Ty::Msg(&PR_GITHUB)),
        ("gitlab", Ty::Msg(&PR_GITLAB)),
        ("gitea", Ty::Msg(&PR_GITEA)),
        ("bitbucketServer", Ty::Msg(&PR_BITBUCKET_SERVER)),
        ("filters", Ty::List(&Ty::Msg(&PR_FILTER))),
        ("requeueAfterSeconds", I64),
        ("template", TEMPLATE),
        ("bitbucket", Ty::Msg(&PR_BITBUCKET)),
        ("azuredevops", Ty::Msg(&PR_AZURE_DEVOPS)),
    ],
};

static PLUGIN_CONFIG_MAP_REF: Msg = Msg {
    name: "applicationsPluginConfigMapRef",
    fields: &[("name", Str)],
};

static PLUGIN_INPUT: Msg = Msg {
    name: "applicationsPluginInput",
    fields: &[("parameters", Ty::Map(&Ty::Msg(&V1_JSON)))],
};

static PLUGIN_GENERATOR: Msg = Msg {
    name: "applicationsPluginGenerator",
    fields: &[
        ("configMapRef", Ty::Msg(&PLUGIN_CONFIG_MAP_REF)),
        ("input", Ty::Msg(&PLUGIN_INPUT)),
        ("requeueAfterSeconds", I64),
        ("template", TEMPLATE),
        ("values", STR_MAP),
    ],
};

/// `applicationsApplicationSetNestedGenerator`: a matrix/merge child (nested matrix/merge
/// are `v1JSON`).
pub static APPSET_NESTED_GENERATOR: Msg = Msg {
    name: "applicationsApplicationSetNestedGenerator",
    fields: &[
        ("list", Ty::Msg(&LIST_GENERATOR)),
        ("clusters", Ty::Msg(&CLUSTER_GENERATOR)),
        ("git", Ty::Msg(&GIT_GENERATOR)),
        ("scmProvider", Ty::Msg(&SCM_PROVIDER_GENERATOR)),
        ("clusterDecisionResource", Ty::Msg(&DUCK_TYPE_GENERATOR)),
        ("pullRequest", Ty::Msg(&PULL_REQUEST_GENERATOR)),
        ("matrix", Ty::Msg(&V1_JSON)),
        ("merge", Ty::Msg(&V1_JSON)),
        ("selector", Ty::Msg(&LABEL_SELECTOR)),
        ("plugin", Ty::Msg(&PLUGIN_GENERATOR)),
    ],
};

/// `applicationsMatrixGenerator` (also the decoded form of a nested `v1JSON` matrix).
pub static MATRIX_GENERATOR: Msg = Msg {
    name: "applicationsMatrixGenerator",
    fields: &[
        ("generators", Ty::List(&Ty::Msg(&APPSET_NESTED_GENERATOR))),
        ("template", TEMPLATE),
    ],
};

/// `applicationsMergeGenerator` (also the decoded form of a nested `v1JSON` merge).
pub static MERGE_GENERATOR: Msg = Msg {
    name: "applicationsMergeGenerator",
    fields: &[
        ("generators", Ty::List(&Ty::Msg(&APPSET_NESTED_GENERATOR))),
        ("mergeKeys", STRS),
        ("template", TEMPLATE),
    ],
};

static APPSET_GENERATOR: Msg = Msg {
    name: "applicationsApplicationSetGenerator",
    fields: &[
        ("list", Ty::Msg(&LIST_GENERATOR)),
        ("clusters", Ty::Msg(&CLUSTER_GENERATOR)),
        ("git", Ty::Msg(&GIT_GENERATOR)),
        ("scmProvider", Ty::Msg(&SCM_PROVIDER_GENERATOR)),
        ("clusterDecisionResource", Ty::Msg(&DUCK_TYPE_GENERATOR)),
        ("pullRequest", Ty::Msg(&PULL_REQUEST_GENERATOR)),
        ("matrix", Ty::Msg(&MATRIX_GENERATOR)),
        ("merge", Ty::Msg(&MERGE_GENERATOR)),
        ("selector", Ty::Msg(&LABEL_SELECTOR)),
        ("plugin", Ty::Msg(&PLUGIN_GENERATOR)),
    ],
};

static APPSET_SYNC_POLICY: Msg = Msg {
    name: "applicationsApplicationSetSyncPolicy",
    fields: &[
        ("preserveResourcesOnDeletion", Bool),
        ("applicationsSync", Str),
    ],
};

static MATCH_EXPRESSION: Msg = Msg {
    name: "applicationsApplicationMatchExpression",
    fields: &[("key", Str), ("operator", Str), ("values", STRS)],
};

static INT_OR_STRING: Msg = Msg {
    name: "intstrIntOrString",
    fields: &[("type", I64), ("intVal", I32), ("strVal", Str)],
};

static ROLLOUT_STEP: Msg = Msg {
    name: "applicationsApplicationSetRolloutStep",
    fields: &[
        ("matchExpressions", Ty::List(&Ty::Msg(&MATCH_EXPRESSION))),
        ("maxUpdate", Ty::Msg(&INT_OR_STRING)),
    ],
};

static ROLLOUT_STRATEGY: Msg = Msg {
    name: "applicationsApplicationSetRolloutStrategy",
    fields: &[("steps", Ty::List(&Ty::Msg(&ROLLOUT_STEP)))],
};

static APPSET_STRATEGY: Msg = Msg {
    name: "applicationsApplicationSetStrategy",
    fields: &[("type", Str), ("rollingSync", Ty::Msg(&ROLLOUT_STRATEGY))],
};

static PRESERVED_FIELDS: Msg = Msg {
    name: "applicationsApplicationPreservedFields",
    fields: &[("annotations", STRS), ("labels", STRS)],
};

static APPSET_IGNORE_DIFFERENCES: Msg = Msg {
    name: "applicationsApplicationSetResourceIgnoreDifferences",
    fields: &[
        ("name", Str),
        ("jsonPointers", STRS),
        ("jqPathExpressions", STRS),
    ],
};

static APPSET_SPEC: Msg = Msg {
    name: "applicationsApplicationSetSpec",
    fields: &[
        ("goTemplate", Bool),
        ("generators", Ty::List(&Ty::Msg(&APPSET_GENERATOR))),
        ("template", TEMPLATE),
        ("syncPolicy", Ty::Msg(&APPSET_SYNC_POLICY)),
        ("strategy", Ty::Msg(&APPSET_STRATEGY)),
        ("preservedFields", Ty::Msg(&PRESERVED_FIELDS)),
        ("goTemplateOptions", STRS),
        ("applyNestedSelectors", Bool),
        (
            "ignoreApplicationDifferences",
            Ty::List(&Ty::Msg(&APPSET_IGNORE_DIFFERENCES)),
        ),
        ("templatePatch", Str),
    ],
};

static APPSET_CONDITION: Msg = Msg {
    name: "applicationsApplicationSetCondition",
    fields: &[
        ("type", Str),
        ("message", Str),
        ("lastTransitionTime", Ty::Msg(&V1_TIME)),
        ("status", Str),
        ("reason", Str),
    ],
};

static APPSET_APPLICATION_STATUS: Msg = Msg {
    name: "applicationsApplicationSetApplicationStatus",
    fields: &[
        ("application", Str),
        ("lastTransitionTime", Ty::Msg(&V1_TIME)),
        ("message", Str),
        ("status", Str),
        ("step", Str),
        ("targetrevisions", STRS),
    ],
};

static APPSET_STATUS: Msg = Msg {
    name: "applicationsApplicationSetStatus",
    fields: &[
        ("conditions", Ty::List(&Ty::Msg(&APPSET_CONDITION))),
        (
            "applicationStatus",
            Ty::List(&Ty::Msg(&APPSET_APPLICATION_STATUS)),
        ),
        ("resources", Ty::List(&Ty::Msg(&RESOURCE_STATUS))),
    ],
};

pub static APPLICATION_SET: Msg = Msg {
    name: "applicationsApplicationSet",
    fields: &[
        ("metadata", Ty::Msg(&OBJECT_META)),
        ("spec", Ty::Msg(&APPSET_SPEC)),
        ("status", Ty::Msg(&APPSET_STATUS)),
    ],
};

/// `applicationsApplicationSetCreateRequest`: body of create (`POST`) and update (`PUT
/// /api/v1/applicationset`).
pub static APPSET_CREATE_REQUEST: Msg = Msg {
    name: "applicationsApplicationSetCreateRequest",
    fields: &[
        ("applicationset", Ty::Msg(&APPLICATION_SET)),
        ("upsert", Bool),
        ("dryRun", Bool),
        ("yaml", Bytes),
    ],
};

/// `applicationsApplicationSetGenerateRequest`: body of `POST …/applicationset/generate`.
pub static APPSET_GENERATE_REQUEST: Msg = Msg {
    name: "applicationsApplicationSetGenerateRequest",
    fields: &[
        ("applicationset", Ty::Msg(&APPLICATION_SET)),
        ("yaml", Bytes),
    ],
};

/// `v1ApplicationSetQuery`: body of the list (`POST /api/v1/applicationsets`).
pub static APPSET_QUERY: Msg = Msg {
    name: "v1ApplicationSetQuery",
    fields: &[
        ("accountIdentifier", Str),
        ("orgIdentifier", Str),
        ("projectIdentifier", Str),
        ("agentIdentifier", Str),
        ("searchTerm", Str),
        ("pageSize", I32),
        ("pageIndex", I32),
        ("filter", Struct),
        (
            "sortBy",
            Ty::Enum(&[
                "SORT_BY_NOT_SET",
                "NAME",
                "GITOPS_AGENT",
                "SOURCE",
                "DESTINATION",
            ]),
        ),
        (
            "sortOrder",
            Ty::Enum(&["SORT_ORDER_NOT_SET", "ASC", "DESC"]),
        ),
        ("metadataOnly", Bool),
        ("fields", STRS),
    ],
};
