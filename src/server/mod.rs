//! tfplugin6 RPCs: protobuf ↔ `tf` conversion and dispatch to resources. No Terraform
//! semantics beyond the protocol live here.

use crate::proto::tfplugin6::provider_server::{Provider, ProviderServer};

/// Largest gRPC message accepted or sent (Terraform's plugin servers use 256 MiB).
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// The tfplugin6 Provider service.
#[derive(Default)]
pub struct ProviderService {}

#[tonic::async_trait]
impl Provider for ProviderService {}

/// The routes `transport::serve` mounts: the tfplugin6 Provider service with raised limits.
pub fn provider_routes() -> tonic::service::Routes {
    let svc = ProviderServer::new(ProviderService::default())
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    tonic::service::Routes::new(svc)
}
