//! Argo CD project bodies (reference harness-gitops-more.md §5.1): the raw Argo object
//! `appprojectsAppProject` (no Harness wrapper; the name is the key), its spec,
//! `projectsProjectCreateRequest`, `projectsProjectUpdateRequest` and `appprojectsAppProjectList`.

use std::collections::BTreeMap;

use super::common::{ListMeta, ObjectMeta};
use super::wire::{api_model, Int64};

api_model! {
    /// `appprojectsAppProject`: the Argo CD AppProject.
    pub struct AppProject {
        pub metadata: Option<ObjectMeta>,
        pub spec: Option<AppProjectSpec>,
        pub status: Option<AppProjectStatus>,
    }
}

api_model! {
    /// `appprojectsAppProjectSpec`.
    pub struct AppProjectSpec {
        pub source_repos: Option<Vec<String>>,
        pub destinations: Option<Vec<ProjectDestination>>,
        pub description: Option<String>,
        pub roles: Option<Vec<ProjectRole>>,
        pub cluster_resource_whitelist: Option<Vec<GroupKind>>,
        pub namespace_resource_blacklist: Option<Vec<GroupKind>>,
        pub orphaned_resources: Option<OrphanedResources>,
        pub sync_windows: Option<Vec<SyncWindow>>,
        pub namespace_resource_whitelist: Option<Vec<GroupKind>>,
        pub signature_keys: Option<Vec<SignatureKey>>,
        pub cluster_resource_blacklist: Option<Vec<GroupKind>>,
        pub source_namespaces: Option<Vec<String>>,
        pub permit_only_project_scoped_clusters: Option<bool>,
        pub destination_service_accounts: Option<Vec<DestinationServiceAccount>>,
    }
}

api_model! {
    /// `appprojectsApplicationDestination`.
    pub struct ProjectDestination {
        pub server: Option<String>,
        pub namespace: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `appprojectsApplicationDestinationServiceAccount`.
    pub struct DestinationServiceAccount {
        pub server: Option<String>,
        pub namespace: Option<String>,
        pub default_service_account: Option<String>,
    }
}

api_model! {
    /// `appprojectsProjectRole`.
    pub struct ProjectRole {
        pub name: Option<String>,
        pub description: Option<String>,
        pub policies: Option<Vec<String>>,
        pub jwt_tokens: Option<Vec<JwtToken>>,
        pub groups: Option<Vec<String>>,
    }
}

api_model! {
    /// `appprojectsJWTToken`.
    pub struct JwtToken {
        pub iat: Option<Int64>,
        pub exp: Option<Int64>,
        pub id: Option<String>,
    }
}

api_model! {
    /// `appprojectsJWTTokens`.
    pub struct JwtTokens {
        pub items: Option<Vec<JwtToken>>,
    }
}

api_model! {
    /// `appprojectsAppProjectStatus`.
    pub struct AppProjectStatus {
        pub jwt_tokens_by_role: Option<BTreeMap<String, JwtTokens>>,
    }
}

api_model! {
    /// `v1GroupKind`.
    pub struct GroupKind {
        pub group: Option<String>,
        pub kind: Option<String>,
    }
}

api_model! {
    /// `appprojectsOrphanedResourcesMonitorSettings`.
    pub struct OrphanedResources {
        pub warn: Option<bool>,
        pub ignore: Option<Vec<OrphanedResourceKey>>,
    }
}

api_model! {
    /// `appprojectsOrphanedResourceKey`.
    pub struct OrphanedResourceKey {
        pub group: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `appprojectsSyncWindow`.
    pub struct SyncWindow {
        pub kind: Option<String>,
        pub schedule: Option<String>,
        pub duration: Option<String>,
        pub applications: Option<Vec<String>>,
        pub namespaces: Option<Vec<String>>,
        pub clusters: Option<Vec<String>>,
        pub manual_sync: Option<bool>,
        pub time_zone: Option<String>,
    }
}

api_model! {
    /// `appprojectsSignatureKey`.
    pub struct SignatureKey {
        #[serde(rename = "keyID")]
        pub key_id: Option<String>,
    }
}

api_model! {
    /// `projectsProjectCreateRequest`: body of `POST …/agents/{agent}/projects`.
    pub struct ProjectCreateRequest {
        pub project: Option<AppProject>,
        pub upsert: Option<bool>,
    }
}

api_model! {
    /// `projectsProjectUpdateRequest`: body of `PUT …/projects/{name}`.
    pub struct ProjectUpdateRequest {
        pub project: Option<AppProject>,
    }
}

api_model! {
    /// `appprojectsAppProjectList`.
    pub struct AppProjectList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<AppProject>>,
    }
}
