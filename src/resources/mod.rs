//! Resources and data sources: one file per Terraform type. Resources see `tfplugin` values
//! and the Harness client, never a protobuf type.

use std::sync::Arc;

use tfplugin::resource::{DataSource, EphemeralResource, Resource};

use crate::provider::ProviderData;

pub mod app_watch;
pub mod common;
pub mod data_source;
pub mod gitops_agent;
pub mod gitops_agent_credentials;
pub mod gitops_agent_yaml;
pub mod gitops_app_project;
pub mod gitops_app_project_mapping;
pub mod gitops_application;
pub mod gitops_applicationset;
pub mod gitops_cluster;
pub mod gitops_gnupg_key;
pub mod gitops_repository;
pub mod gitops_repository_certificate;
pub mod gitops_repository_credentials;
pub mod kube_connection;
#[cfg(test)]
pub mod test_support;

/// What every CRUD call gets: the configured provider, StopProvider, deadline, private state.
pub type Ctx = tfplugin::ctx::Ctx<ProviderData>;
/// The plan as a resource hook sees it.
pub type PlanRequest<'a> = tfplugin::resource::PlanRequest<'a, ProviderData>;

/// Every resource this provider serves: the only registry.
pub fn resources() -> Vec<Arc<dyn Resource<ProviderData>>> {
    vec![
        gitops_repository::resource(),
        gitops_repository_credentials::resource(),
        gitops_application::resource(),
        gitops_applicationset::resource(),
        gitops_cluster::resource(),
        gitops_agent::resource(),
        gitops_repository_certificate::resource(),
        gitops_gnupg_key::resource(),
        gitops_app_project::resource(),
        gitops_app_project_mapping::resource(),
    ]
}

/// Every data source this provider serves.
pub fn data_sources() -> Vec<Arc<dyn DataSource<ProviderData>>> {
    vec![
        data_source::data_source::<gitops_repository::GitopsRepositoryData>(),
        data_source::data_source::<gitops_repository_credentials::GitopsRepositoryCredentialsData>(
        ),
        data_source::data_source::<gitops_application::GitopsApplicationData>(),
        data_source::data_source::<gitops_applicationset::GitopsApplicationSetData>(),
        data_source::data_source::<gitops_cluster::GitopsClusterData>(),
        gitops_agent::data_source(),
        gitops_agent_yaml::data_source(),
        data_source::data_source::<gitops_gnupg_key::GitopsGnupgKeyData>(),
        gitops_repository_certificate::data_source(),
        data_source::data_source::<gitops_app_project::GitopsAppProjectData>(),
        data_source::data_source::<gitops_app_project_mapping::GitopsAppProjectMappingData>(),
    ]
}

/// Every ephemeral resource this provider serves (Terraform 1.10+).
pub fn ephemeral_resources() -> Vec<Arc<dyn EphemeralResource<ProviderData>>> {
    vec![gitops_agent_credentials::ephemeral()]
}
