//! terraform-provider-harness: a Terraform/OpenTofu provider (tfplugin6) for Harness GitOps,
//! and a local emulator of the Harness GitOps REST API.
//!
//! Layers (see ARCHITECTURE.md): `transport` (go-plugin contract) → `server` (tfplugin6 RPCs,
//! conversion and dispatch) → `plan` + `resources` (semantics) → `harness` (HTTP client).
//! `tf` is the value model every layer above `harness` shares; `emulator` is a separate
//! program that shares nothing with the client on purpose.

pub mod docs;
pub mod emulator;
pub mod harness;
pub mod logging;
pub mod plan;
pub mod proto;
pub mod provider;
pub mod resources;
pub mod secret;
pub mod server;
pub mod tf;
pub mod transport;
