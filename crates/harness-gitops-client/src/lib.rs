//! Harness GitOps REST client (no Terraform types): the provider's only road to Harness.
//!
//! One [`Client`] per configured provider; per kind, `get` / `get_opt` / `create` / `update` /
//! `delete` / `list` through [`Client::repositories`], [`Client::clusters`] and
//! [`Client::applications`]. Paths are `{endpoint}/gitops/api/v1/agents/{agent}/…`
//! (harness-gitops-api.md §0-2); auth is the `x-api-key` header only. The agents themselves
//! (`{endpoint}/gitops/api/v1/agents[/{identifier}…]`, their token and manifests) are
//! [`Client::agents`]. ApplicationSets ([`Client::applicationsets`]) live at the API root
//! (`/api/v1/applicationset…`), the agent a query parameter.

mod agents;
mod applications;
mod applicationsets;
mod certificates;
mod client;
mod clusters;
mod crud;
mod error;
mod gpg_keys;
pub mod models;
mod project_mappings;
mod projects;
mod repositories;
mod repository_credentials;
mod response;
mod scope;
pub mod secret;

pub use agents::{AgentScope, Agents};
pub use applications::{AppQuery, ApplicationDeleteOptions, Applications};
pub use applicationsets::ApplicationSets;
pub use certificates::Certificates;
pub use client::{Client, ClientConfig, RetryBackoff, CANCELLED_CREATE_LOOKUP, USER_AGENT};
pub use clusters::{ClusterUpdateOptions, Clusters};
pub use crud::DeleteOptions;
pub use error::{Error, Operation};
pub use gpg_keys::GpgKeys;
pub use project_mappings::ProjectMappings;
pub use projects::Projects;
pub use repositories::Repositories;
pub use repository_credentials::RepositoryCredentials;
pub use scope::Scope;
pub use secret::Secret;
