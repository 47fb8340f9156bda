//! Project mapping bodies, v2 API (reference harness-gitops-more.md §5.2): which Harness project
//! an Argo CD project belongs to.

use super::wire::api_model;

api_model! {
    /// `v1AppProjectMappingCreateRequestV2`: body of `POST /api/v2/agents/{agent}/appprojectsmapping`.
    pub struct AppProjectMappingCreateRequestV2 {
        pub agent_identifier: Option<String>,
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub argo_project_name: Option<String>,
    }
}

api_model! {
    /// `v1AppProjectMappingQueryV2`: body of `PUT …/appprojectsmapping/{identifier}`.
    pub struct AppProjectMappingQueryV2 {
        pub identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub argo_project_name: Option<String>,
    }
}

api_model! {
    /// `v1AppProjectMappingV2`. The document spells the Argo project `ArgoProjectName`, the Go
    /// SDK `argoProjectName` (Go matches keys case-insensitively): both are read.
    pub struct AppProjectMappingV2 {
        pub identifier: Option<String>,
        #[serde(rename = "ArgoProjectName", alias = "argoProjectName")]
        pub argo_project_name: Option<String>,
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub created_at: Option<String>,
        pub last_modified_at: Option<String>,
    }
}

api_model! {
    /// `v1AppProjectMappingV2List`: answer of `GET /api/v2/agents/{agent}/appprojectsmappings`.
    pub struct AppProjectMappingV2List {
        pub app_project_mappings: Option<Vec<AppProjectMappingV2>>,
    }
}
