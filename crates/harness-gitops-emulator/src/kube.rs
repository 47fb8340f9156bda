//! The emulated agent's connection check of a cluster whose server is on loopback
//! (`127.0.0.0/8`, `localhost`, `[::1]`): it calls the Kubernetes API there as Argo CD's
//! agent would, with the cluster's credentials and TLS settings.
//!
//! * `GET /version` (its `major`.`minor` becomes `serverVersion`, a trailing `+` dropped),
//!   then the authenticated discovery call `GET /api` (its `versions` become
//!   `info.apiVersions`), both on one connection, within [`CHECK_TIMEOUT`] in all.
//! * Credentials: `config.bearerToken` as `Authorization: Bearer`, else
//!   `username`/`password` as basic auth; `tlsClientConfig.certData`/`keyData` (base64 PEM)
//!   as a TLS client certificate. With `clusterConnectionType` `IRSA` or `EXEC_PROVIDER`
//!   the emulated agent has no way to obtain a token (no AWS, no exec plugins) and sends
//!   none. A credential named in `secretExpressions` is taken from the emulated secret
//!   manager (`POST /_emulator/secrets`); one it does not hold fails the check saying so.
//! * TLS (https): trusts only `tlsClientConfig.caData` (base64 PEM; the system store is
//!   assumed to hold no CA of a loopback server); `insecure` skips verification;
//!   `serverName` is the name verified and sent as SNI. `caData` together with `insecure`
//!   is refused as client-go refuses it. `http://` loopback servers are called in clear.
//! * Failures read like a real agent's (client-go): 401 "the server has asked for the client
//!   to provide credentials", 403 the server's Status message, TLS "x509: certificate signed
//!   by unknown authority", "connect: connection refused", and so on.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::agent::host_of;
use super::validate::decode_base64;

/// Longest a whole check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest response body read from the Kubernetes API.
const BODY_LIMIT: usize = 1 << 20;

/// The credential fields `secretExpressions` may name (reference §2.2).
pub const SECRET_EXPRESSION_FIELDS: &[&str] = &[
    "username",
    "password",
    "bearerToken",
    "certData",
    "keyData",
    "caData",
];

/// The secret reference of a `secretExpressions` value: a reference (`account.<id>`,
/// `org.<id>`, `<id>`) as is, or the one inside the expression
/// `<+secrets.getValue("<reference>")>`. `None` for any other expression.
pub fn secret_reference(expr: &str) -> Option<&str> {
    let expr = expr.trim();
    if let Some(inner) = expr
        .strip_prefix("<+secrets.getValue(")
        .and_then(|r| r.strip_suffix(")>"))
    {
        let inner = inner.trim();
        return inner
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| inner.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')));
    }
    (!expr.contains(['<', '>', '"', '(', ')'])).then_some(expr)
}

/// What the agent does with `secretExpressions` before connecting: each credential whose
/// secret the emulated Harness secret manager holds (`secrets`, by reference) is put in its
/// place in the cluster object (`bearerToken`, `username`, `password` in `config`; `certData`,
/// `keyData`, `caData` in `config.tlsClientConfig`). Returns the object and the expressions
/// left unresolved.
pub fn resolve_secret_expressions(
    cluster: &Map<String, Value>,
    expressions: &Map<String, Value>,
    secrets: &std::collections::BTreeMap<String, crate::secret::Secret>,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut out = cluster.clone();
    let mut left = Map::new();
    for (field, expr) in expressions {
        let value = expr
            .as_str()
            .and_then(secret_reference)
            .and_then(|r| secrets.get(r));
        let Some(value) = value else {
            left.insert(field.clone(), expr.clone());
            continue;
        };
        let config = out
            .entry("config")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(config) = config.as_object_mut() else {
            left.insert(field.clone(), expr.clone());
            continue;
        };
        let target = if matches!(field.as_str(), "certData" | "keyData" | "caData") {
            match config
                .entry("tlsClientConfig")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
            {
                Some(t) => t,
                None => continue,
            }
        } else {
            config
        };
        target.insert(field.clone(), Value::String(value.expose().to_string()));
    }
    (out, left)
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub result: Result<(), String>,
    pub version: Option<String>,
    pub api_versions: Vec<String>,
}

impl Probe {
    fn failed(message: String) -> Probe {
        Probe {
            result: Err(format!("unable to connect to cluster: {message}")),
            version: None,
            api_versions: Vec::new(),
        }
    }
}

/// Whether `server` is a loopback URL the emulated agent checks for real.
pub fn is_loopback(server: &str) -> bool {
    let Ok(u) = url::Url::parse(server) else {
        return false;
    };
    if !matches!(u.scheme(), "https" | "http") {
        return false;
    }
    match host_of(server).as_deref() {
        Some("localhost") => true,
        Some(h) => h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

fn config_str<'a>(config: &'a Map<String, Value>, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Checks the cluster object `cluster` (secrets in clear) at its loopback server.
pub async fn probe(cluster: &Map<String, Value>, secret_expressions: &Map<String, Value>) -> Probe {
    let server = cluster
        .get("server")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_end_matches('/')
        .to_string();
    let version_url = format!("{server}/version");
    match tokio::time::timeout(CHECK_TIMEOUT, check(&server, cluster, secret_expressions)).await {
        Ok(p) => p,
        Err(_) => Probe::failed(format!(
            "Get \"{version_url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )),
    }
}

/// The credentials and TLS material the agent uses.
struct Creds {
    authorization: Option<String>,
    ca: Option<Vec<u8>>,
    client_cert: Option<(Vec<u8>, Vec<u8>)>,
    insecure: bool,
    server_name: String,
}

fn creds(
    cluster: &Map<String, Value>,
    secret_expressions: &Map<String, Value>,
) -> Result<Creds, String> {
    if let Some((field, reference)) = secret_expressions.iter().next() {
        return Err(format!(
            "cannot resolve secret expression {} for {field}: no such secret in the emulated \
             Harness secret manager (add it with POST /_emulator/secrets)",
            reference.as_str().unwrap_or("")
        ));
    }
    let empty = Map::new();
    let config = cluster
        .get("config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let tls = config
        .get("tlsClientConfig")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let bytes = |key: &str| -> Result<Option<Vec<u8>>, String> {
        match config_str(tls, key) {
            "" => Ok(None),
            b64 => decode_base64(b64)
                .map(Some)
                .ok_or_else(|| format!("tlsClientConfig.{key} is not base64")),
        }
    };
    let no_token = matches!(
        config_str(config, "clusterConnectionType"),
        "IRSA" | "EXEC_PROVIDER"
    );
    let token = config_str(config, "bearerToken");
    let (user, password) = (
        config_str(config, "username"),
        config_str(config, "password"),
    );
    let authorization = if no_token {
        None
    } else if !token.is_empty() {
        Some(format!("Bearer {token}"))
    } else if !user.is_empty() || !password.is_empty() {
        let raw = format!("{user}:{password}");
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
    } else {
        None
    };
    let client_cert = match (bytes("certData")?, bytes("keyData")?) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => {
            return Err(
                "tls: client certificate and key must both be set (certData and keyData)".into(),
            )
        }
    };
    let insecure = tls
        .get("insecure")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ca = bytes("caData")?;
    if insecure && ca.is_some() {
        return Err(
            "specifying a root certificates file with the insecure flag is not allowed".into(),
        );
    }
    Ok(Creds {
        authorization,
        ca,
        client_cert,
        insecure,
        server_name: config_str(tls, "serverName").to_string(),
    })
}

async fn check(
    server: &str,
    cluster: &Map<String, Value>,
    secret_expressions: &Map<String, Value>,
) -> Probe {
    let version_url = format!("{server}/version");
    let creds = match creds(cluster, secret_expressions) {
        Ok(c) => c,
        Err(e) => return Probe::failed(e),
    };
    let Ok(url) = url::Url::parse(server) else {
        return Probe::failed(format!("cannot parse server URL \"{server}\""));
    };
    let host = host_of(server).unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let https = url.scheme() == "https";
    let addr_text = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let get_err = |detail: String| Probe::failed(format!("Get \"{version_url}\": {detail}"));
    let tcp = match TcpStream::connect(addr_text.as_str()).await {
        Ok(s) => s,
        Err(e) => return get_err(format!("dial tcp {addr_text}: {}", dial_error(&e))),
    };
    let _ = tcp.set_nodelay(true);
    let authority = url[url::Position::BeforeHost..url::Position::AfterPort].to_string();
    if !https {
        return talk(tcp, &authority, server, &creds).await;
    }
    let config = match tls_config(&creds) {
        Ok(c) => c,
        Err(e) => return Probe::failed(e),
    };
    let name = if creds.server_name.is_empty() {
        host.clone()
    } else {
        creds.server_name.clone()
    };
    let server_name = match ServerName::try_from(name.clone()) {
        Ok(n) => n,
        Err(_) => return Probe::failed(format!("tls: invalid server name \"{name}\"")),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match connector.connect(server_name, tcp).await {
        Ok(tls) => talk(tls, &authority, server, &creds).await,
        Err(e) => get_err(tls_error(&e, &name)),
    }
}

fn dial_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".into(),
        std::io::ErrorKind::TimedOut => "i/o timeout".into(),
        _ => format!("connect: {e}"),
    }
}

/// Go's wording of a failed TLS handshake.
fn tls_error(e: &std::io::Error, name: &str) -> String {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    let verify = |what: String| format!("tls: failed to verify certificate: x509: {what}");
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => {
                verify("certificate signed by unknown authority".into())
            }
            // A trusted CA with the issuer's name but another key.
            CertificateError::BadSignature => verify(
                "certificate signed by unknown authority (possibly because of a verification error \
                 while trying to verify a candidate authority certificate)"
                    .into(),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                verify(format!("certificate is not valid for \"{name}\""))
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                verify("certificate has expired or is not yet valid".into())
            }
            other => verify(format!("{other:?}")),
        },
        Some(rustls::Error::AlertReceived(a)) => {
            format!(
                "remote error: tls: {}",
                format!("{a:?}").to_ascii_lowercase()
            )
        }
        Some(rustls::Error::InvalidMessage(_)) => {
            "tls: first record does not look like a TLS handshake".into()
        }
        Some(other) => format!("tls: {other}"),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => "EOF".into(),
        None => format!("tls: {e}"),
    }
}

fn tls_config(creds: &Creds) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?;
    let builder = if creds.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        if let Some(pem) = &creds.ca {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    "unable to load root certificates: unable to parse bytes as PEM block"
                        .to_string()
                })?;
            if certs.is_empty() {
                return Err(
                    "unable to load root certificates: unable to parse bytes as PEM block".into(),
                );
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("unable to load root certificates: {e}"))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match &creds.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<_, _>>()
                .map_err(|_| "tls: failed to find any PEM data in certificate input".to_string())?;
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|_| "tls: failed to find any PEM data in key input".to_string())?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("tls: {e}"))
        }
    }
}

/// `tlsClientConfig.insecure`: accept any server certificate (signatures still checked).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `GET /version` then `GET /api` over one HTTP/1.1 connection.
async fn talk<S>(stream: S, authority: &str, server: &str, creds: &Creds) -> Probe
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = match hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(
        TokioIo::new(stream),
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return Probe::failed(format!("Get \"{server}/version\": {e}")),
    };
    let driver = tokio::spawn(conn);
    let outcome = async {
        let version = get(&mut sender, authority, server, "/version", creds).await?;
        let version = server_version(&version)?;
        let api = get(&mut sender, authority, server, "/api", creds).await?;
        let api_versions = api
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        Ok::<_, String>((version, api_versions))
    }
    .await;
    driver.abort();
    match outcome {
        Ok((version, api_versions)) => Probe {
            result: Ok(()),
            version: Some(version),
            api_versions,
        },
        Err(e) => Probe::failed(e),
    }
}

async fn get(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    authority: &str,
    server: &str,
    path: &str,
    creds: &Creds,
) -> Result<Value, String> {
    let url = format!("{server}{path}");
    let mut req = Request::get(path)
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::USER_AGENT,
            "argocd-application-controller (harness-gitops-emulator)",
        );
    if let Some(a) = &creds.authorization {
        req = req.header(http::header::AUTHORIZATION, a);
    }
    let req = req
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    sender
        .ready()
        .await
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("Get \"{url}\": {e}"))?;
    let status = resp.status();
    let body = Limited::new(resp.into_body(), BODY_LIMIT)
        .collect()
        .await
        .map_err(|e| format!("Get \"{url}\": {e}"))?
        .to_bytes();
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    if status == StatusCode::OK {
        return json.ok_or_else(|| {
            format!("Get \"{url}\": the server returned a response that is not JSON")
        });
    }
    let status_message = json
        .as_ref()
        .filter(|j| j.get("kind").and_then(Value::as_str) == Some("Status"))
        .and_then(|j| j.get("message"))
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    Err(match status.as_u16() {
        401 => "the server has asked for the client to provide credentials".to_string(),
        403 => status_message
            .unwrap_or_else(|| "the server does not allow access to the requested resource".into()),
        404 => "the server could not find the requested resource".to_string(),
        503 => "the server is currently unable to handle the request".to_string(),
        500 => format!(
            "an error on the server ({:?}) has prevented the request from succeeding",
            String::from_utf8_lossy(&body).trim()
        ),
        code => status_message.unwrap_or_else(|| {
            format!("the server responded with the status code {code} but did not return more information")
        }),
    })
}

/// `major.minor` of a `/version` answer, without the `+` some distributions append.
fn server_version(v: &Value) -> Result<String, String> {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(|s| s.trim_end_matches('+'))
            .filter(|s| !s.is_empty())
    };
    match (field("major"), field("minor")) {
        (Some(major), Some(minor)) => Ok(format!("{major}.{minor}")),
        _ => Err("unable to parse the server version: /version has no major and minor".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loopback_servers() {
        for s in [
            "https://127.0.0.1:6443",
            "https://localhost:1",
            "https://[::1]:8443/",
            "http://127.0.0.2",
        ] {
            assert!(is_loopback(s), "{s}");
        }
        for s in [
            "https://kubernetes.default.svc",
            "https://10.0.0.1",
            "https://k8s.example.com:6443",
            "ftp://127.0.0.1",
        ] {
            assert!(!is_loopback(s), "{s}");
        }
    }

    #[test]
    fn versions_and_credentials() {
        assert_eq!(
            server_version(&json!({"major": "1", "minor": "31+"})).unwrap(),
            "1.31"
        );
        assert!(server_version(&json!({"gitVersion": "v1"})).is_err());
        let cluster = json!({"server": "https://127.0.0.1:1", "config": {"bearerToken": "t",
            "tlsClientConfig": {"insecure": true, "caData": "Y2E="}}});
        let e = creds(cluster.as_object().unwrap(), &Map::new())
            .err()
            .unwrap();
        assert!(e.contains("insecure flag"), "{e}");
        let irsa = json!({"config": {"bearerToken": "t", "clusterConnectionType": "IRSA"}});
        assert!(creds(irsa.as_object().unwrap(), &Map::new())
            .unwrap()
            .authorization
            .is_none());
        let exprs = json!({"bearerToken": "account.tok"});
        let e = creds(&Map::new(), exprs.as_object().unwrap())
            .err()
            .unwrap();
        assert!(e.contains("account.tok"), "{e}");
    }
}
