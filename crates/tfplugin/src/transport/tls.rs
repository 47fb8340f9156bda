//! go-plugin AutoMTLS on the server side, with rustls + aws-lc-rs.
//!
//! Terraform (the go-plugin client) makes a fresh self-signed certificate, passes its PEM in
//! `PLUGIN_CLIENT_CERT`, trusts only the certificate printed in field 6 of the handshake line,
//! and presents its own certificate as a TLS client certificate [go-plugin client.go
//! L671-L691, L950-L968; mtls.go; reference tfplugin6.md §2.4]. Two properties of that client
//! certificate defeat the stock rustls verifiers:
//!
//! * its key is ECDSA **P-521** and it signs the handshake with ECDSA-P521-SHA512, which only
//!   the aws-lc-rs provider verifies (ring does not, rustls/rustls#1666), so the server must
//!   advertise that scheme in its CertificateRequest or the Go client sends no certificate;
//! * it carries **CA:TRUE**, so webpki's chain verification refuses it as an end entity
//!   (`CaUsedAsEndEntity`).
//!
//! [`PinnedClientCertVerifier`] therefore pins the certificate: the client's end-entity DER
//! must equal, byte for byte, one certificate from `PLUGIN_CLIENT_CERT`; handshake signatures
//! are checked with the aws-lc-rs provider's algorithms (which include P-521/SHA-512); a client
//! certificate is mandatory. This is stricter than go-plugin's own server (a pool containing
//! exactly that certificate) and needs no chain building. Validity dates are not checked: the
//! pin already identifies the one certificate the parent process made for this child.

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};

/// What can go wrong while setting up AutoMTLS. All are startup errors.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` is not a PEM certificate.
    #[error(
        "PLUGIN_CLIENT_CERT does not hold a PEM certificate ({0}); it should be the \
         '-----BEGIN CERTIFICATE-----' block Terraform generates. Unset it (or set \
         TF_DISABLE_PLUGIN_TLS in Terraform) to serve without TLS"
    )]
    BadClientCert(String),
    /// rcgen could not make the server key or certificate.
    #[error("could not generate the server TLS certificate: {0}")]
    CertGeneration(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not build the TLS server configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The signature algorithm (and so curve) of the server's own certificate.
///
/// P-256: the cheapest key generation and signing in aws-lc-rs (see `bench/results/startup.md`
/// for the measurement against P-384); Go's TLS client verifies any NIST curve, so Terraform
/// accepts it (go-plugin itself uses P-521, tf-provider P-384).
pub static SERVER_KEY_ALG: &rcgen::SignatureAlgorithm = &rcgen::PKCS_ECDSA_P256_SHA256;

/// A freshly generated server certificate and its private key.
pub struct ServerIdentity {
    /// DER of the self-signed certificate (what the handshake line carries).
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .field("key_der", &"<redacted>")
            .finish()
    }
}

impl ServerIdentity {
    /// Field 6 of the handshake line: the certificate DER in standard base64 **without
    /// padding** (Go's `RawStdEncoding`, which the client uses to decode it [go-plugin
    /// server.go L339]).
    pub fn handshake_field(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.cert_der.as_ref())
    }
}

/// Generates a new key pair (on [`SERVER_KEY_ALG`]) and a self-signed certificate shaped like
/// go-plugin's: CN and SAN DNS `localhost` (Go checks the server name against the SAN),
/// CA:TRUE, KeyUsage digitalSignature + keyCertSign, EKU serverAuth + clientAuth, valid from 30 s
/// ago for one year (the process lives minutes).
///
/// # Errors
/// [`TlsError::CertGeneration`] if aws-lc-rs or rcgen fail.
pub fn generate_server_identity() -> Result<ServerIdentity, TlsError> {
    use rcgen::{BasicConstraints, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose};
    let key = rcgen::KeyPair::generate_for(SERVER_KEY_ALG)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "tfplugin provider");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key)?;
    Ok(ServerIdentity {
        cert_der: cert.der().clone(),
        key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
    })
}

/// Parses `PLUGIN_CLIENT_CERT`: every `CERTIFICATE` block in the PEM text (Terraform sends
/// one; go-plugin's client would trust each one it finds).
///
/// # Errors
/// [`TlsError::BadClientCert`] if the text holds no certificate or a malformed block.
pub fn parse_client_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadClientCert(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::BadClientCert("no CERTIFICATE block found".into()));
    }
    Ok(certs)
}

/// The rustls provider used for both sides: aws-lc-rs, the only one with P-521 verification.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The TLS server configuration: TLS 1.3 and 1.2, ALPN `h2` (gRPC-Go ≥ 1.67 refuses peers that
/// do not negotiate it [grpc/grpc-go#7535]), `identity` as the server certificate, and a
/// mandatory client certificate pinned to `pinned_clients`.
///
/// # Errors
/// [`TlsError::Config`] if rustls refuses the key or the protocol versions.
pub fn server_config(
    identity: ServerIdentity,
    pinned_clients: Vec<CertificateDer<'static>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let verifier = Arc::new(PinnedClientCertVerifier::new(
        pinned_clients,
        provider.signature_verification_algorithms,
    ));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![identity.cert_der],
            PrivateKeyDer::Pkcs8(identity.key_der),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// A client-certificate verifier that accepts exactly the pinned certificates (see the module
/// docs for why webpki's verifier cannot be used).
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// A verifier accepting only `pinned` (compared as DER bytes) and checking handshake
    /// signatures with `algorithms` (use the aws-lc-rs provider's
    /// `signature_verification_algorithms`, which include ECDSA P-521/SHA-512).
    pub fn new(
        pinned: Vec<CertificateDer<'static>>,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> Self {
        Self { pinned, algorithms }
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// No CA names: with an empty list Go's client offers its certificate whatever its issuer
    /// (crypto/tls `CertificateRequestInfo.SupportsCertificate`).
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!(
                "refused a TLS client: its certificate is not the one in PLUGIN_CLIENT_CERT"
            );
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_identity_is_parseable_and_field_has_no_padding() {
        let id = generate_server_identity().expect("generate");
        let field = id.handshake_field();
        assert!(!field.contains('='), "no padding: {field}");
        assert!(
            field.len() > 50,
            "go-plugin ignores fields of 50 chars or fewer"
        );
        let back = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&field)
            .expect("decode");
        assert_eq!(back, id.cert_der.as_ref());
        // rustls accepts the key and certificate together.
        server_config(id, vec![]).expect("config");
    }

    #[test]
    fn bad_client_pem_is_a_clear_error() {
        let err = parse_client_certs("not a pem").expect_err("must fail");
        assert!(err.to_string().contains("PLUGIN_CLIENT_CERT"), "{err}");
        let broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(parse_client_certs(broken).is_err());
    }

    #[test]
    fn verifier_pins_exact_der_and_offers_p521() {
        let a = generate_server_identity().expect("a").cert_der;
        let b = generate_server_identity().expect("b").cert_der;
        let v = PinnedClientCertVerifier::new(
            vec![a.clone()],
            crypto_provider().signature_verification_algorithms,
        );
        assert!(v.client_auth_mandatory());
        let now = UnixTime::now();
        assert!(v.verify_client_cert(&a, &[], now).is_ok());
        assert!(v.verify_client_cert(&b, &[], now).is_err());
        assert!(v
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
