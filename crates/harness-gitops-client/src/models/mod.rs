//! Typed serde models of the Harness GitOps API bodies, named after the schemas of Harness's
//! official OpenAPI document (2025-07; its facts are committed in `contract/`, which
//! `tests/client_models.rs` checks these models against) plus the few newer Go SDK fields it
//! lacks (`secretExpressions`, `metadata.clusterName`).
//!
//! Every field is `Option<T>`: `None` is not sent, `Some(false)` / `Some("")` are. Keys are the
//! document's camelCase names exactly. int64 fields use [`Int64`] (string on the wire, string or
//! number accepted). Secret fields are `Option<Secret>` and print as a placeholder in `Debug`.
//! Unknown response keys are ignored.

mod agent;
mod application;
mod application_status;
mod applicationset;
mod certificate;
mod cluster;
mod common;
mod gpg_key;
mod project;
mod project_mapping;
mod repository;
mod repository_credentials;
mod wire;

pub use agent::*;
pub use application::*;
pub use application_status::*;
pub use applicationset::*;
pub use certificate::*;
pub use cluster::*;
pub use common::*;
pub use gpg_key::*;
pub use project::*;
pub use project_mapping::*;
pub use repository::*;
pub use repository_credentials::*;
pub use wire::Int64;
