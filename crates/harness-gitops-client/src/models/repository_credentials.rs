//! Repository credential templates (Argo CD "repo creds"): `hrepocredsRepoCreds`, its create
//! and update requests and the `servicev1RepositoryCredentials` response
//! (harness-gitops-more.md §5.4). A repository whose URL starts with a template's `url` and
//! that has no credentials of its own connects with the template's.

use crate::secret::Secret;

use super::common::FieldMask;
use super::wire::{api_model, secret, Int64};

api_model! {
    /// `hrepocredsRepoCreds`: the template. Credentials come back masked.
    pub struct RepoCreds {
        /// The URL prefix the template applies to.
        pub url: Option<String>,
        pub username: Option<String>,
        #[serde(with = "secret")]
        pub password: Option<Secret>,
        #[serde(with = "secret")]
        pub ssh_private_key: Option<Secret>,
        #[serde(with = "secret")]
        pub tls_client_cert_data: Option<Secret>,
        #[serde(with = "secret")]
        pub tls_client_cert_key: Option<Secret>,
        #[serde(with = "secret")]
        pub github_app_private_key: Option<Secret>,
        #[serde(rename = "githubAppID")]
        pub github_app_id: Option<Int64>,
        #[serde(rename = "githubAppInstallationID")]
        pub github_app_installation_id: Option<Int64>,
        #[serde(rename = "githubAppEnterpriseBaseUrl")]
        pub github_app_enterprise_base_url: Option<String>,
        #[serde(rename = "enableOCI")]
        pub enable_oci: Option<bool>,
        /// `git` (the default), `helm` or `oci`.
        #[serde(rename = "type")]
        pub creds_type: Option<String>,
        pub name: Option<String>,
    }
}

api_model! {
    /// `hrepocredsRepoCredsCreateRequest`: body of `POST …/agents/{agent}/repocreds`.
    pub struct RepoCredsCreateRequest {
        pub creds: Option<RepoCreds>,
        pub upsert: Option<bool>,
    }
}

api_model! {
    /// `hrepocredsRepoCredsUpdateRequest`: body of `PUT …/repocreds/{identifier}`.
    pub struct RepoCredsUpdateRequest {
        pub creds: Option<RepoCreds>,
        pub update_mask: Option<FieldMask>,
    }
}

api_model! {
    /// `hrepocredsRepoCredsQuery`: body of `POST …/repocreds/get`.
    pub struct RepoCredsQuery {
        pub url: Option<String>,
        pub repo_creds_type: Option<String>,
    }
}

api_model! {
    /// `servicev1RepositoryCredentials`: the Harness wrapper returned by get/create/update. A
    /// 200 without `repoCreds` means soft-deleted, as for repositories.
    pub struct RepositoryCredentialsResponse {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub identifier: Option<String>,
        pub repo_creds: Option<RepoCreds>,
        /// RFC 3339.
        pub created_at: Option<String>,
        /// RFC 3339.
        pub last_modified_at: Option<String>,
        pub stale: Option<bool>,
    }
}

api_model! {
    /// `v1RepositoryCredentialsQuery`: body of `POST /api/v1/repocreds` (the list).
    pub struct RepositoryCredentialsQuery {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub identifier: Option<String>,
        pub search_term: Option<String>,
        pub page_size: Option<i32>,
        pub page_index: Option<i32>,
        /// A free-form filter object.
        pub filter: Option<serde_json::Map<String, serde_json::Value>>,
    }
}

api_model! {
    /// `servicev1RepositoryCredentialsList`: one page of templates.
    pub struct RepositoryCredentialsList {
        pub content: Option<Vec<RepositoryCredentialsResponse>>,
        pub empty: Option<bool>,
        pub page_index: Option<i32>,
        pub page_item_count: Option<i32>,
        pub page_size: Option<i32>,
        pub total_items: Option<i32>,
        pub total_pages: Option<i32>,
    }
}
