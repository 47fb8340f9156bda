//! Cluster bodies: `clustersClusterCreateRequest`, `clustersClusterUpdateRequest`, the Argo CD
//! `clustersCluster` object, the `servicev1Cluster` response and `clustersClusterList`
//! (harness-gitops-api.md §2.2), plus the `updatedFields` diff helper.

use std::collections::BTreeMap;

use crate::secret::Secret;

use super::common::{ConnectionState, FieldMask, ListMeta, Time};
use super::wire::{api_model, secret, Int64};

/// Values of `cluster.type` (`clustersClusterType`).
pub mod cluster_type {
    pub const CUSTOMER_PROVIDED: &str = "CUSTOMER_PROVIDED";
    pub const HARNESS_HOSTED: &str = "HARNESS_HOSTED";
}

api_model! {
    /// `clustersClusterCreateRequest`: body of `POST …/agents/{agent}/clusters`.
    pub struct ClusterCreateRequest {
        pub cluster: Option<Cluster>,
        pub upsert: Option<bool>,
        pub tags: Option<BTreeMap<String, String>>,
        /// Credential field name (`password`, `bearerToken`, `certData`, …) → Harness secret
        /// reference such as `account.my_secret`. In the Go SDK, newer than the 2025-07 document.
        pub secret_expressions: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `clustersClusterUpdateRequest`: body of `PUT …/clusters/{identifier}`. Argo's cluster
    /// update only applies the fields named in `updatedFields`; see
    /// [`ClusterUpdateRequest::with_updated_fields_from`].
    pub struct ClusterUpdateRequest {
        pub cluster: Option<Cluster>,
        pub updated_fields: Option<Vec<String>>,
        pub update_mask: Option<FieldMask>,
        pub tags: Option<BTreeMap<String, String>>,
        pub id: Option<ClusterId>,
        pub secret_expressions: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `clustersClusterID`.
    pub struct ClusterId {
        /// `server` (default) or `name`.
        #[serde(rename = "type")]
        pub id_type: Option<String>,
        pub value: Option<String>,
    }
}

api_model! {
    /// `clustersCluster`: the Argo CD cluster.
    pub struct Cluster {
        pub server: Option<String>,
        pub name: Option<String>,
        pub config: Option<ClusterConfig>,
        pub connection_state: Option<ConnectionState>,
        pub server_version: Option<String>,
        pub namespaces: Option<Vec<String>>,
        pub refresh_requested_at: Option<Time>,
        pub info: Option<ClusterInfo>,
        #[serde(rename = "shard_deprecated")]
        pub shard_deprecated: Option<Int64>,
        pub cluster_resources: Option<bool>,
        pub project: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
        pub annotations: Option<BTreeMap<String, String>>,
        /// One of [`cluster_type`].
        #[serde(rename = "type")]
        pub cluster_type: Option<String>,
        pub refresh_requested_at_ts: Option<String>,
        pub shard: Option<Int64>,
    }
}

api_model! {
    /// `clustersClusterConfig`.
    pub struct ClusterConfig {
        pub username: Option<String>,
        #[serde(with = "secret")]
        pub password: Option<Secret>,
        #[serde(with = "secret")]
        pub bearer_token: Option<Secret>,
        pub tls_client_config: Option<TlsClientConfig>,
        pub aws_auth_config: Option<AwsAuthConfig>,
        pub exec_provider_config: Option<ExecProviderConfig>,
        /// `SERVICE_ACCOUNT`, `IN_CLUSTER`, `TLS_CLIENT_CERT`, `EXEC_PROVIDER`, `IRSA`, …
        pub cluster_connection_type: Option<String>,
        #[serde(rename = "roleARN")]
        pub role_arn: Option<String>,
        pub aws_cluster_name: Option<String>,
        pub disable_compression: Option<bool>,
        pub proxy_url: Option<String>,
    }
}

api_model! {
    /// `clustersTLSClientConfig`. The `*Data` fields are protobuf `bytes`, i.e. base64 text.
    pub struct TlsClientConfig {
        pub insecure: Option<bool>,
        pub server_name: Option<String>,
        #[serde(with = "secret")]
        pub cert_data: Option<Secret>,
        #[serde(with = "secret")]
        pub key_data: Option<Secret>,
        pub ca_data: Option<String>,
    }
}

api_model! {
    /// `clustersAWSAuthConfig`.
    pub struct AwsAuthConfig {
        pub cluster_name: Option<String>,
        #[serde(rename = "roleARN")]
        pub role_arn: Option<String>,
    }
}

api_model! {
    /// `clustersExecProviderConfig`.
    pub struct ExecProviderConfig {
        pub command: Option<String>,
        pub args: Option<Vec<String>>,
        pub env: Option<BTreeMap<String, String>>,
        pub api_version: Option<String>,
        pub install_hint: Option<String>,
    }
}

api_model! {
    /// `clustersClusterInfo` (read-only).
    pub struct ClusterInfo {
        pub connection_state: Option<ConnectionState>,
        pub server_version: Option<String>,
        pub cache_info: Option<ClusterCacheInfo>,
        pub applications_count: Option<Int64>,
        pub api_versions: Option<Vec<String>>,
    }
}

api_model! {
    /// `clustersClusterCacheInfo` (read-only).
    pub struct ClusterCacheInfo {
        pub resources_count: Option<Int64>,
        pub apis_count: Option<Int64>,
        pub last_cache_sync_time: Option<Time>,
        pub last_cache_sync_time_ts: Option<String>,
    }
}

api_model! {
    /// `servicev1Cluster`: the Harness wrapper returned by get/create/update. A 200 without
    /// `cluster` means soft-deleted.
    pub struct ClusterResponse {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub identifier: Option<String>,
        pub cluster: Option<Cluster>,
        pub created_at: Option<String>,
        pub last_modified_at: Option<String>,
        pub stale: Option<bool>,
        pub tags: Option<BTreeMap<String, String>>,
        pub secret_expressions: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `clustersClusterList`: raw Argo CD clusters of one agent.
    pub struct ClusterList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<Cluster>>,
    }
}

/// The user-settable top-level cluster fields that Argo's cluster update understands in
/// `updatedFields`, by JSON key (harness-gitops-api.md §3.2 "Update builds updatedFields").
/// Read-only fields (`info`, `connectionState`, `serverVersion`, …) are never listed.
const UPDATABLE_CLUSTER_FIELDS: &[&str] = &[
    "server",
    "name",
    "config",
    "namespaces",
    "shard",
    "clusterResources",
    "project",
    "labels",
    "annotations",
];

/// The names (Argo JSON keys) of the updatable top-level fields whose values differ between
/// `old` and `new`, in a fixed order. Pure; never fails (a field that cannot be encoded counts
/// as changed).
pub fn changed_cluster_fields(old: &Cluster, new: &Cluster) -> Vec<String> {
    let (old, new) = (
        serde_json::to_value(old).ok(),
        serde_json::to_value(new).ok(),
    );
    UPDATABLE_CLUSTER_FIELDS
        .iter()
        .filter(|key| {
            let get =
                |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.get(**key).cloned());
            old.is_none() || new.is_none() || get(&old) != get(&new)
        })
        .map(|key| (*key).to_string())
        .collect()
}

impl ClusterUpdateRequest {
    /// Sets `updated_fields` to the fields already listed (e.g. the user's own list), plus every
    /// cluster field that differs from `old_cluster` ([`changed_cluster_fields`]), plus `tags` /
    /// `secretExpressions` when they differ from `old_tags` / `old_secret_expressions`.
    /// Duplicates are dropped; order is stable. A request without `cluster` diffs against an
    /// empty cluster.
    pub fn with_updated_fields_from(
        mut self,
        old_cluster: &Cluster,
        old_tags: Option<&BTreeMap<String, String>>,
        old_secret_expressions: Option<&BTreeMap<String, String>>,
    ) -> Self {
        let empty = Cluster::default();
        let mut fields = self.updated_fields.take().unwrap_or_default();
        let mut add = |f: String| {
            if !fields.contains(&f) {
                fields.push(f);
            }
        };
        changed_cluster_fields(old_cluster, self.cluster.as_ref().unwrap_or(&empty))
            .into_iter()
            .for_each(&mut add);
        if self.tags.as_ref() != old_tags {
            add("tags".to_string());
        }
        if self.secret_expressions.as_ref() != old_secret_expressions {
            add("secretExpressions".to_string());
        }
        self.updated_fields = Some(fields);
        self
    }
}
