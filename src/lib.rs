//! terraform-provider-harness: a Terraform/OpenTofu provider (tfplugin6) for Harness GitOps,
//! built on the `tfplugin` framework and the `harness-gitops-client` crate.
//!
//! Layers (see ARCHITECTURE.md): `tfplugin` (protocol, values, plan pipeline, server,
//! transport; no Harness names) → this crate (`provider`: the provider block; `resources`:
//! one file per Terraform type) → `harness-gitops-client` (HTTP, no Terraform types).

pub mod k8s;
pub mod provider;
pub mod resources;

pub use provider::HarnessProvider;

/// The crates whose logs pass at every level (dependencies are capped at INFO).
pub const OWN_CRATES: &[&str] = &[
    "tfprovider_harness",
    "terraform_provider_harness",
    "harness_gitops_client",
];
