//! Objects shared by several kinds: connection state, Kubernetes time/list/object metadata,
//! protobuf field masks.

use std::collections::BTreeMap;

use super::wire::{api_model, Int64};

api_model! {
    /// `v1Time`: a protobuf timestamp (`seconds` is an int64 string).
    pub struct Time {
        pub seconds: Option<Int64>,
        pub nanos: Option<i32>,
    }
}

api_model! {
    /// `commonsConnectionState`: the last connection attempt to a repository or cluster.
    pub struct ConnectionState {
        pub status: Option<String>,
        pub message: Option<String>,
        pub attempted_at: Option<Time>,
        /// RFC 3339 timestamp variant of `attemptedAt`.
        pub attempted_at_ts: Option<String>,
    }
}

api_model! {
    /// `protobufFieldMask`.
    pub struct FieldMask {
        pub paths: Option<Vec<String>>,
    }
}

api_model! {
    /// `v1ListMeta` of the per-agent list responses.
    pub struct ListMeta {
        pub self_link: Option<String>,
        pub resource_version: Option<String>,
        #[serde(rename = "continue")]
        pub continue_token: Option<String>,
        pub remaining_item_count: Option<Int64>,
    }
}

api_model! {
    /// `v1ObjectMeta`: Kubernetes object metadata of an Argo CD application.
    pub struct ObjectMeta {
        pub name: Option<String>,
        pub generate_name: Option<String>,
        pub namespace: Option<String>,
        pub self_link: Option<String>,
        pub uid: Option<String>,
        pub resource_version: Option<String>,
        pub generation: Option<Int64>,
        pub creation_timestamp: Option<Time>,
        pub deletion_timestamp: Option<Time>,
        pub deletion_grace_period_seconds: Option<Int64>,
        pub labels: Option<BTreeMap<String, String>>,
        pub annotations: Option<BTreeMap<String, String>>,
        pub owner_references: Option<Vec<OwnerReference>>,
        pub finalizers: Option<Vec<String>>,
        pub managed_fields: Option<Vec<ManagedFieldsEntry>>,
        /// Present in the Go SDK model (`clusterName`), not in the 2025-07 document.
        pub cluster_name: Option<String>,
    }
}

api_model! {
    /// `v1OwnerReference`.
    pub struct OwnerReference {
        pub api_version: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
        pub uid: Option<String>,
        pub controller: Option<bool>,
        pub block_owner_deletion: Option<bool>,
    }
}

api_model! {
    /// `v1ManagedFieldsEntry`.
    pub struct ManagedFieldsEntry {
        pub manager: Option<String>,
        pub operation: Option<String>,
        pub api_version: Option<String>,
        pub time: Option<Time>,
        pub fields_type: Option<String>,
        #[serde(rename = "fieldsV1")]
        pub fields_v1: Option<FieldsV1>,
        pub subresource: Option<String>,
    }
}

api_model! {
    /// `v1FieldsV1`: `Raw` is base64 (protobuf `bytes`).
    pub struct FieldsV1 {
        #[serde(rename = "Raw")]
        pub raw: Option<String>,
    }
}
