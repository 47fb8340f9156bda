//! The emulator's integration tests, in one test binary (`cargo test -p harness-gitops-emulator
//! --test emulator`): one link of the dependencies instead of one per file. Each module is one
//! area (a test's full name is `module::test`, e.g. `agents::token_lifecycle_of_the_manifests`); the helpers they
//! share are `emulator_support` (`tests/emulator_support/mod.rs`).
//!
//! A new area: add `tests/emulator/NAME.rs` (using `crate::emulator_support::*`, and
//! `include_str!` paths one `../` deeper than from `tests/`), and `mod NAME;` below. A file
//! left directly in `tests/` still runs, as a binary of its own.

#[path = "../emulator_support/mod.rs"]
mod emulator_support;

mod agents;
mod apps;
mod appsets;
mod certs_gpg;
mod clusters;
mod conformance;
mod contract;
mod crd;
mod process;
mod projects;
mod repo_creds;
