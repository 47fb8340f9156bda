//! Generated protobuf and gRPC code (from `proto/` by `build.rs`), nothing else.

#![allow(clippy::all, missing_docs, rustdoc::all)]

/// Terraform plugin protocol 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin side services.
pub mod plugin {
    tonic::include_proto!("plugin");
}
