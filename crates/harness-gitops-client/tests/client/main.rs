//! The client's integration tests, in one test binary (`cargo test -p harness-gitops-client
//! --test client`): one link of the dependencies (the emulator's included) instead of one per
//! file. Each module is one area (a test's full name is `module::test`, e.g.
//! `fake::config_is_validated`); `support` starts the emulator in process with a client for it.
//!
//! A new area: add `tests/client/NAME.rs` (using `crate::support`, and `include_str!` paths one
//! `../` deeper than from `tests/`) and `mod NAME;` below. A file left directly in `tests/`
//! still runs, as a binary of its own.

mod support;

mod appsets;
mod certs_gpg;
mod emulator;
mod fake;
mod models;
mod projects;
mod repo_creds;
