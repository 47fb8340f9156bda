//! End-to-end tests: the real Terraform CLI, the provider binary, the emulator.
//! `support` is the harness; one module per subject.

mod support;

mod adopt;
mod agent;
mod app_project;
mod application;
mod applicationset;
mod cluster;
mod crd;
mod examples;
mod gnupg_key;
mod ml_platform;
mod provider;
mod reliability;
mod repository;
mod repository_certificate;
mod repository_credentials;
mod secrets;
mod side_by_side;
mod unknowns;
