//! The emulator's integration tests, in one test binary (`cargo test -p kube-api-emulator --test
//! kube_api`): one link of the dependencies instead of one per file. Each module is one area (a
//! test's full name is `module::test`, e.g. `rest::discovery_and_health`); the helpers they
//! share are `common` (`tests/common/mod.rs`).
//!
//! A new area: add `tests/kube_api/NAME.rs` (using `crate::common`) and `mod NAME;` below. A
//! file left directly in `tests/` still runs, as a binary of its own.

#[path = "../common/mod.rs"]
mod common;

mod agent;
mod generic;
mod kinds;
mod kube_rs;
mod kube_rs_apply;
mod kubectl;
mod kubectl_apply;
mod process;
mod rest;
