//! Read-only parts of an Argo CD application: `applicationsApplicationStatus` and the
//! `applicationsOperation` / `applicationsOperationState` family.

use super::application::{
    ApplicationDestination, ApplicationSource, Info, ManagedNamespaceMetadata,
    ResourceIgnoreDifferences, RetryStrategy,
};
use super::common::Time;
use super::wire::{api_model, Int64};

api_model! {
    /// `applicationsApplicationStatus`.
    pub struct ApplicationStatus {
        pub resources: Option<Vec<ResourceStatus>>,
        pub sync: Option<SyncStatus>,
        pub health: Option<HealthStatus>,
        pub history: Option<Vec<RevisionHistory>>,
        pub conditions: Option<Vec<ApplicationCondition>>,
        pub reconciled_at: Option<Time>,
        pub operation_state: Option<OperationState>,
        pub observed_at: Option<Time>,
        pub source_type: Option<String>,
        pub summary: Option<ApplicationSummary>,
        pub resource_health_source: Option<String>,
        pub source_types: Option<Vec<String>>,
        pub controller_namespace: Option<String>,
    }
}

api_model! {
    /// `applicationsResourceStatus`.
    pub struct ResourceStatus {
        pub group: Option<String>,
        pub version: Option<String>,
        pub kind: Option<String>,
        pub namespace: Option<String>,
        pub name: Option<String>,
        pub status: Option<String>,
        pub health: Option<HealthStatus>,
        pub hook: Option<bool>,
        pub requires_pruning: Option<bool>,
        pub sync_wave: Option<Int64>,
        pub requires_deletion_confirmation: Option<bool>,
    }
}

api_model! {
    /// `applicationsHealthStatus`.
    pub struct HealthStatus {
        pub status: Option<String>,
        pub message: Option<String>,
        pub last_transition_time: Option<Time>,
    }
}

api_model! {
    /// `applicationsSyncStatus`.
    pub struct SyncStatus {
        pub status: Option<String>,
        pub compared_to: Option<ComparedTo>,
        pub revision: Option<String>,
        pub revisions: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsComparedTo`.
    pub struct ComparedTo {
        pub source: Option<ApplicationSource>,
        pub destination: Option<ApplicationDestination>,
        pub sources: Option<Vec<ApplicationSource>>,
        pub ignore_differences: Option<Vec<ResourceIgnoreDifferences>>,
    }
}

api_model! {
    /// `applicationsRevisionHistory`.
    pub struct RevisionHistory {
        pub revision: Option<String>,
        pub deployed_at: Option<Time>,
        pub id: Option<Int64>,
        pub source: Option<ApplicationSource>,
        pub deploy_started_at: Option<Time>,
        pub deployed_at_ts: Option<String>,
        pub deploy_started_at_ts: Option<String>,
        pub sources: Option<Vec<ApplicationSource>>,
        pub revisions: Option<Vec<String>>,
        pub initiated_by: Option<OperationInitiator>,
    }
}

api_model! {
    /// `applicationsOperationInitiator`.
    pub struct OperationInitiator {
        pub username: Option<String>,
        pub automated: Option<bool>,
    }
}

api_model! {
    /// `applicationsApplicationCondition`.
    pub struct ApplicationCondition {
        #[serde(rename = "type")]
        pub condition_type: Option<String>,
        pub message: Option<String>,
        pub last_transition_time: Option<Time>,
        pub last_transition_time_ts: Option<String>,
    }
}

api_model! {
    /// `applicationsOperationState`.
    pub struct OperationState {
        pub operation: Option<Operation>,
        pub phase: Option<String>,
        pub message: Option<String>,
        pub sync_result: Option<SyncOperationResult>,
        pub started_at: Option<Time>,
        pub finished_at: Option<Time>,
        pub retry_count: Option<Int64>,
        pub started_at_ts: Option<String>,
        pub finished_at_ts: Option<String>,
    }
}

api_model! {
    /// `applicationsOperation`.
    pub struct Operation {
        pub sync: Option<SyncOperation>,
        pub initiated_by: Option<OperationInitiator>,
        pub info: Option<Vec<Info>>,
        pub retry: Option<RetryStrategy>,
    }
}

api_model! {
    /// `applicationsSyncOperation`.
    pub struct SyncOperation {
        pub revision: Option<String>,
        pub prune: Option<bool>,
        pub dry_run: Option<bool>,
        pub sync_strategy: Option<SyncStrategy>,
        pub resources: Option<Vec<SyncOperationResource>>,
        pub source: Option<ApplicationSource>,
        pub manifests: Option<Vec<String>>,
        pub sync_options: Option<Vec<String>>,
        pub sources: Option<Vec<ApplicationSource>>,
        pub revisions: Option<Vec<String>>,
        pub auto_heal_attempts_count: Option<Int64>,
    }
}

api_model! {
    /// `applicationsSyncStrategy`.
    pub struct SyncStrategy {
        pub apply: Option<SyncStrategyForce>,
        pub hook: Option<SyncStrategyForce>,
    }
}

api_model! {
    /// `applicationsSyncStrategyApply` / `applicationsSyncStrategyHook` (same shape).
    pub struct SyncStrategyForce {
        pub force: Option<bool>,
    }
}

api_model! {
    /// `applicationsSyncOperationResource`.
    pub struct SyncOperationResource {
        pub group: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
        pub namespace: Option<String>,
    }
}

api_model! {
    /// `applicationsSyncOperationResult`.
    pub struct SyncOperationResult {
        pub resources: Option<Vec<ResourceResult>>,
        pub revision: Option<String>,
        pub source: Option<ApplicationSource>,
        pub sources: Option<Vec<ApplicationSource>>,
        pub revisions: Option<Vec<String>>,
        pub managed_namespace_metadata: Option<ManagedNamespaceMetadata>,
    }
}

api_model! {
    /// `applicationsResourceResult`.
    pub struct ResourceResult {
        pub group: Option<String>,
        pub version: Option<String>,
        pub kind: Option<String>,
        pub namespace: Option<String>,
        pub name: Option<String>,
        pub status: Option<String>,
        pub message: Option<String>,
        pub hook_type: Option<String>,
        pub hook_phase: Option<String>,
        pub sync_phase: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSummary`.
    pub struct ApplicationSummary {
        #[serde(rename = "externalURLs")]
        pub external_urls: Option<Vec<String>>,
        pub images: Option<Vec<String>>,
    }
}
