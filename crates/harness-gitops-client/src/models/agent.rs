//! Agent bodies: `v1Agent` (request and response of `/api/v1/agents`), its metadata, health,
//! credentials and version, the paged `v1AgentList`, and `v1AgentYamlQuery` (the body of the
//! manifest and Helm-overrides calls) (harness-gitops-more.md §1).

use std::collections::BTreeMap;

use crate::secret::Secret;

use super::common::Time;
use super::wire::{api_model, secret, Int64};

/// Values of `type` (`v1AgentType`).
pub mod agent_type {
    pub const UNSET: &str = "AGENT_TYPE_UNSET";
    /// Bring your own Argo CD: only the agent is installed.
    pub const CONNECTED_ARGO_PROVIDER: &str = "CONNECTED_ARGO_PROVIDER";
    /// Harness installs Argo CD with the agent.
    pub const MANAGED_ARGO_PROVIDER: &str = "MANAGED_ARGO_PROVIDER";
    pub const HOSTED_ARGO_PROVIDER: &str = "HOSTED_ARGO_PROVIDER";
}

/// Values of `health.connectionStatus` (`v1ConnectedStatus`).
pub mod connection_status {
    pub const UNSET: &str = "CONNECTED_STATUS_UNSET";
    pub const CONNECTED: &str = "CONNECTED";
    pub const DISCONNECTED: &str = "DISCONNECTED";
}

/// Values of a component's `status` (`servicev1HealthStatus`).
pub mod health_status {
    pub const UNSET: &str = "HEALTH_STATUS_UNSET";
    pub const HEALTHY: &str = "HEALTHY";
    pub const UNHEALTHY: &str = "UNHEALTHY";
}

/// `v1Time` of an agent (`createdAt`, `lastModifiedAt`): a protobuf timestamp, not RFC 3339.
pub type AgentTime = Time;

api_model! {
    /// `v1Agent`. `credentials.privateKey` is the agent token: returned by create, by
    /// regenerate-credentials and by get with `withCredentials=true`.
    pub struct Agent {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub identifier: Option<String>,
        pub name: Option<String>,
        pub description: Option<String>,
        /// One of [`agent_type`].
        #[serde(rename = "type")]
        pub r#type: Option<String>,
        pub metadata: Option<AgentMetadata>,
        pub tags: Option<BTreeMap<String, String>>,
        /// Read-only.
        pub health: Option<AgentHealth>,
        pub credentials: Option<AgentCredentials>,
        /// Read-only.
        pub version: Option<SemanticVersion>,
        /// Read-only.
        pub upgrade_available: Option<bool>,
        /// Read-only.
        #[serde(rename = "isPLG")]
        pub is_plg: Option<bool>,
        /// `AGENT_SCOPE_UNSET`, `ACCOUNT`, `ORG` or `PROJECT`.
        pub scope: Option<String>,
        pub disaster_recovery_node: Option<DisasterRecoveryNode>,
        /// `UNKNOWN`, `ARGO` or `FLAMINGO`.
        pub operator: Option<String>,
        /// `account.x`, `org.x` or `x`: the agent id other GitOps paths take.
        pub prefixed_identifier: Option<String>,
        pub created_at: Option<AgentTime>,
        pub last_modified_at: Option<AgentTime>,
    }
}

api_model! {
    /// `v1AgentMetadata`. An update replaces it whole.
    pub struct AgentMetadata {
        pub namespace: Option<String>,
        pub high_availability: Option<bool>,
        pub is_namespaced: Option<bool>,
        pub existing_installation: Option<bool>,
        /// Read-only; int32 in the document (a JSON number).
        pub deployed_application_count: Option<i32>,
        pub mapped_projects: Option<AppProjectMapping>,
        /// `UNSET` or `OPENSHIFT`.
        pub infra_type: Option<String>,
    }
}

api_model! {
    /// `servicev1AppProjectMapping`: Argo CD project name to Harness project.
    pub struct AppProjectMapping {
        pub app_proj_map: Option<BTreeMap<String, HarnessProject>>,
    }
}

api_model! {
    /// `servicev1Project`.
    pub struct HarnessProject {
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
    }
}

api_model! {
    /// `v1DisasterRecoveryNode`.
    pub struct DisasterRecoveryNode {
        pub identifier: Option<String>,
        pub name: Option<String>,
        /// `UNKNOWN_TYPE`, `PRIMARY` or `SECONDARY`.
        #[serde(rename = "type")]
        pub r#type: Option<String>,
    }
}

api_model! {
    /// `v1AgentHealth` (read-only).
    pub struct AgentHealth {
        /// RFC 3339 time of the last heartbeat.
        pub last_heartbeat: Option<String>,
        /// One of [`connection_status`].
        pub connection_status: Option<String>,
        pub harness_gitops_agent: Option<AgentComponentHealth>,
        pub argo_repo_server: Option<AgentComponentHealth>,
        pub argo_app_controller: Option<AgentComponentHealth>,
        pub argo_redis_server: Option<AgentComponentHealth>,
        pub argo_app_set_controller: Option<AgentComponentHealth>,
    }
}

api_model! {
    /// `v1AgentComponentHealth`.
    pub struct AgentComponentHealth {
        /// One of [`health_status`].
        pub status: Option<String>,
        pub k8s_error: Option<String>,
        pub message: Option<String>,
        pub version: Option<String>,
    }
}

api_model! {
    /// `v1AgentCredentials`: `privateKey` is the agent token.
    pub struct AgentCredentials {
        #[serde(with = "secret")]
        pub private_key: Option<Secret>,
        pub public_key: Option<String>,
    }
}

api_model! {
    /// `v1SemanticVersion` (int64 strings).
    pub struct SemanticVersion {
        pub major: Option<Int64>,
        pub minor: Option<Int64>,
        pub patch: Option<Int64>,
    }
}

api_model! {
    /// `v1AgentList`: one page of agents.
    pub struct AgentList {
        pub content: Option<Vec<Agent>>,
        pub total_pages: Option<i32>,
        pub total_items: Option<i32>,
        pub page_item_count: Option<i32>,
        pub page_size: Option<i32>,
        pub page_index: Option<i32>,
        pub empty: Option<bool>,
    }
}

api_model! {
    /// `v1AgentYamlQuery`: what the manifest / Helm-overrides calls take. The scope and
    /// `agentIdentifier` fields are filled by [`Agents`](crate::Agents) from its arguments.
    ///
    /// Without `privateKey` Harness regenerates the agent token (the running agent is locked
    /// out until the new manifest is applied); pass the current token to keep it.
    pub struct AgentYamlQuery {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        /// The namespace the manifest installs into (it must already exist).
        pub namespace: Option<String>,
        pub disaster_recovery_identifier: Option<String>,
        pub skip_crds: Option<bool>,
        /// Base64 CA chain.
        pub ca_data: Option<String>,
        #[serde(with = "secret")]
        pub private_key: Option<Secret>,
        pub proxy: Option<AgentProxy>,
        pub argocd_settings: Option<ArgoCdSettings>,
    }
}

api_model! {
    /// `v1Proxy`.
    pub struct AgentProxy {
        pub http: Option<String>,
        pub https: Option<String>,
        pub username: Option<String>,
        #[serde(with = "secret")]
        pub password: Option<Secret>,
        #[serde(rename = "skipSSLVerify")]
        pub skip_ssl_verify: Option<bool>,
    }
}

api_model! {
    /// `v1ArgoCDSettings`.
    pub struct ArgoCdSettings {
        pub enable_helm_path_traversal: Option<bool>,
        pub force_enable_in_cluster: Option<bool>,
    }
}

api_model! {
    /// `v1UniqueMessage`.
    pub struct UniqueMessage {
        pub unique: Option<bool>,
    }
}
