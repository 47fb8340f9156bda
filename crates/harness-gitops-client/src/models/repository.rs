//! Repository bodies: `repositoriesRepoCreateRequest`, `repositoriesRepoUpdateRequest`, the Argo
//! CD `repositoriesRepository` object, the `servicev1Repository` response and the per-agent
//! `repositoriesRepositoryList` (harness-gitops-api.md §2.1).

use crate::secret::Secret;

use super::common::{ConnectionState, FieldMask, ListMeta};
use super::wire::{api_model, secret, Int64};

/// Values of `genType` (`repositoriesESOGeneratorType`).
pub mod gen_type {
    pub const UNSET: &str = "UNSET";
    pub const AWS_ECR: &str = "AWS_ECR";
    pub const GOOGLE_GCR: &str = "GOOGLE_GCR";
}

api_model! {
    /// `repositoriesRepoCreateRequest`: body of `POST …/agents/{agent}/repositories`.
    pub struct RepositoryCreateRequest {
        pub repo: Option<Repository>,
        pub upsert: Option<bool>,
        pub creds_only: Option<bool>,
        /// One of [`gen_type`].
        pub gen_type: Option<String>,
        pub ecr_gen: Option<EcrGenerator>,
        pub gcr_gen: Option<GcrGenerator>,
        /// Go duration text such as `1h`.
        pub refresh_interval: Option<String>,
    }
}

api_model! {
    /// `repositoriesRepoUpdateRequest`: body of `PUT …/repositories/{identifier}` (the whole
    /// repository; there is no upsert/credsOnly on update).
    pub struct RepositoryUpdateRequest {
        pub repo: Option<Repository>,
        pub update_mask: Option<FieldMask>,
        pub gen_type: Option<String>,
        pub ecr_gen: Option<EcrGenerator>,
        pub gcr_gen: Option<GcrGenerator>,
        pub refresh_interval: Option<String>,
    }
}

api_model! {
    /// `repositoriesRepository`: the Argo CD repository. Credentials come back masked.
    pub struct Repository {
        /// The repository URL.
        pub repo: Option<String>,
        pub username: Option<String>,
        #[serde(with = "secret")]
        pub password: Option<Secret>,
        #[serde(with = "secret")]
        pub ssh_private_key: Option<Secret>,
        pub connection_state: Option<ConnectionState>,
        pub insecure_ignore_host_key: Option<bool>,
        pub insecure: Option<bool>,
        pub enable_lfs: Option<bool>,
        #[serde(with = "secret")]
        pub tls_client_cert_data: Option<Secret>,
        #[serde(with = "secret")]
        pub tls_client_cert_key: Option<Secret>,
        /// `git` (the default) or `helm`.
        #[serde(rename = "type")]
        pub repo_type: Option<String>,
        pub name: Option<String>,
        pub inherited_creds: Option<bool>,
        #[serde(rename = "enableOCI")]
        pub enable_oci: Option<bool>,
        #[serde(with = "secret")]
        pub github_app_private_key: Option<Secret>,
        #[serde(rename = "githubAppID")]
        pub github_app_id: Option<Int64>,
        #[serde(rename = "githubAppInstallationID")]
        pub github_app_installation_id: Option<Int64>,
        #[serde(rename = "githubAppEnterpriseBaseUrl")]
        pub github_app_enterprise_base_url: Option<String>,
        pub proxy: Option<String>,
        /// Argo CD project.
        pub project: Option<String>,
        /// `HTTPS`, `SSH`, `GITHUB`, `HTTPS_ANONYMOUS`, `GITHUB_ENTERPRISE`, …
        pub connection_type: Option<String>,
        pub force_http_basic_auth: Option<bool>,
        pub no_proxy: Option<String>,
    }
}

api_model! {
    /// `repositoriesECRAuthorizationTokenGenerator`.
    pub struct EcrGenerator {
        pub region: Option<String>,
        pub secret_ref: Option<AwsSecretRef>,
        pub jwt_auth: Option<ServiceAccountSelector>,
        pub role: Option<String>,
    }
}

api_model! {
    /// `repositoriesAWSSecretRef`.
    pub struct AwsSecretRef {
        #[serde(rename = "awsAccessKeyID")]
        pub aws_access_key_id: Option<String>,
        #[serde(with = "secret")]
        pub aws_secret_access_key: Option<Secret>,
        #[serde(with = "secret")]
        pub aws_session_token: Option<Secret>,
    }
}

api_model! {
    /// `repositoriesServiceAccountSelector`.
    pub struct ServiceAccountSelector {
        pub name: Option<String>,
        pub namespace: Option<String>,
        pub audiences: Option<Vec<String>>,
    }
}

api_model! {
    /// `repositoriesGCRAccessTokenGenerator`.
    pub struct GcrGenerator {
        #[serde(rename = "projectID")]
        pub project_id: Option<String>,
        #[serde(with = "secret")]
        pub access_key: Option<Secret>,
        pub workload_identity: Option<GcrWorkloadIdentity>,
    }
}

api_model! {
    /// `repositoriesGCRWorkloadIdentity`.
    pub struct GcrWorkloadIdentity {
        pub service_account_ref: Option<ServiceAccountSelector>,
        pub cluster_location: Option<String>,
        pub cluster_name: Option<String>,
        #[serde(rename = "clusterProjectID")]
        pub cluster_project_id: Option<String>,
    }
}

api_model! {
    /// `servicev1Repository`: the Harness wrapper returned by get/create/update. A 200 without
    /// `repository` means soft-deleted (harness-gitops-api.md §2.1, "PL-23765").
    pub struct RepositoryResponse {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub identifier: Option<String>,
        pub repository: Option<Repository>,
        /// RFC 3339.
        pub created_at: Option<String>,
        /// RFC 3339.
        pub last_modified_at: Option<String>,
        pub stale: Option<bool>,
        pub repository_credentials_id: Option<String>,
    }
}

api_model! {
    /// `repositoriesRepositoryList`: raw Argo CD repositories of one agent.
    pub struct RepositoryList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<Repository>>,
    }
}
