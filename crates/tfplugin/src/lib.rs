//! tfplugin: a framework for Terraform and OpenTofu providers speaking plugin protocol 6,
//! with no provider-specific names in it.
//!
//! Layers, each usable without the one above it:
//! * [`tf`]: the value model (cty types, values with null and unknown, numbers, the msgpack
//!   and JSON codec, schemas, attribute paths, diagnostics). Pure, no IO.
//! * [`plan`]: the plan pipeline written once for every resource, and Terraform's own
//!   plan and apply checks as code.
//! * [`resource`] and [`ctx`]: what a provider implements ([`resource::Provider`],
//!   [`resource::Resource`], [`resource::DataSource`], [`resource::EphemeralResource`]) and
//!   what each operation gets.
//! * [`typed`]: resources, data sources and ephemeral resources over typed models
//!   (`#[derive(Model)]`).
//! * [`server`]: every tfplugin6 RPC, generic over a [`resource::Provider`].
//! * [`transport`]: the go-plugin contract (handshake, AutoMTLS, controller, health).
//! * [`logging`]: hclog-JSON logs on stderr; [`docs`]: Markdown reference from schemas.

// Lets `#[derive(Model)]` (which names `::tfplugin`) work inside this crate's own tests.
extern crate self as tfplugin;

pub mod ctx;
pub mod docs;
pub mod logging;
pub mod plan;
pub mod proto;
pub mod resource;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tf;
pub mod transport;
pub mod typed;

pub use typed::{Model, Set, Val};
