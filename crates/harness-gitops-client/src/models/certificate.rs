//! Repository certificate bodies: `certificatesRepositoryCertificate`, its list and the create
//! request of `POST …/agents/{agent}/certificates` (harness-gitops-more.md §5.5).

use base64::Engine as _;

use super::common::ListMeta;
use super::wire::api_model;

/// Values of `certType`.
pub mod cert_type {
    pub const SSH: &str = "ssh";
    pub const HTTPS: &str = "https";
}

api_model! {
    /// `certificatesRepositoryCertificate`: one SSH known-hosts key or HTTPS certificate of
    /// an agent's Argo CD. Argo CD keys it by server name, type and sub-type.
    pub struct Certificate {
        pub server_name: Option<String>,
        /// One of [`cert_type`].
        pub cert_type: Option<String>,
        /// The SSH key type (`ecdsa-sha2-nistp256`, `ssh-ed25519`, …); for HTTPS, what the
        /// server derives from the certificate.
        pub cert_sub_type: Option<String>,
        /// Base64 (protobuf `bytes`) of the known-hosts key text or the PEM; see
        /// [`Certificate::data_text`].
        pub cert_data: Option<String>,
        /// Read-only: the SSH key's fingerprint or the certificate's subject.
        pub cert_info: Option<String>,
    }
}

impl Certificate {
    /// A certificate to create from its data as text (the known-hosts key or the PEM).
    pub fn new(
        server_name: &str,
        cert_type: &str,
        cert_sub_type: Option<&str>,
        data: &str,
    ) -> Self {
        Certificate {
            server_name: Some(server_name.to_string()),
            cert_type: Some(cert_type.to_string()),
            cert_sub_type: cert_sub_type.map(str::to_string),
            cert_data: Some(base64::engine::general_purpose::STANDARD.encode(data)),
            cert_info: None,
        }
    }

    /// `certData` decoded to text; `None` when absent, not base64 or not UTF-8.
    pub fn data_text(&self) -> Option<String> {
        let b = self.cert_data.as_deref()?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
        String::from_utf8(bytes).ok()
    }
}

api_model! {
    /// `certificatesRepositoryCertificateList`.
    pub struct CertificateList {
        pub metadata: Option<ListMeta>,
        pub items: Option<Vec<Certificate>>,
    }
}

api_model! {
    /// `certificatesRepositoryCertificateCreateRequest`.
    pub struct CertificateCreateRequest {
        pub certificates: Option<CertificateList>,
        pub upsert: Option<bool>,
    }
}

api_model! {
    /// `certificatesRepositoryCertificateQuery`: the filters of list and delete, sent as
    /// `query.hostNamePattern` (a glob), `query.certType`, `query.certSubType`.
    pub struct CertificateQuery {
        pub host_name_pattern: Option<String>,
        pub cert_type: Option<String>,
        pub cert_sub_type: Option<String>,
    }
}
