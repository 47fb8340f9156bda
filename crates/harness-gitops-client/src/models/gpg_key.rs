//! GnuPG key bodies: `gpgkeysGnuPGPublicKey`, its list, the create request and response of
//! `POST …/agents/{agent}/gpgkeys` (harness-gitops-more.md §5.6).

use super::common::ListMeta;
use super::wire::api_model;

api_model! {
    /// `gpgkeysGnuPGPublicKey`. Only `keyData` is an input; the rest is derived from it.
    pub struct GpgKey {
        #[serde(rename = "keyID")]
        pub key_id: Option<String>,
        pub fingerprint: Option<String>,
        pub owner: Option<String>,
        pub trust: Option<String>,
        pub sub_type: Option<String>,
        /// The ASCII-armored public key.
        pub key_data: Option<String>,
    }
}

api_model! {
    /// `gpgkeysGnuPGPublicKeyList`.
    pub struct GpgKeyList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<GpgKey>>,
    }
}

api_model! {
    /// `gpgkeysGnuPGPublicKeyCreateRequest`.
    pub struct GpgKeyCreateRequest {
        pub publickey: Option<GpgKey>,
        pub upsert: Option<bool>,
    }
}

api_model! {
    /// `gpgkeysGnuPGPublicKeyCreateResponse`: the keys added, and the key IDs that were
    /// already present (not replaced unless the request had `upsert`).
    pub struct GpgKeyCreateResponse {
        pub created: Option<GpgKeyList>,
        pub skipped: Option<Vec<String>>,
    }
}
