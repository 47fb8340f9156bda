//! Reaching a Kubernetes API server: from a kubeconfig (path and context), from a host with a
//! bearer token and CA, or a kubeconfig with those overrides. kube-rs on rustls with the
//! process-wide aws-lc-rs crypto provider (the only crypto library of the provider).

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use harness_gitops_client::Secret;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;

use super::error::K8sError;

/// Where and how to connect; secrets stay in [`Secret`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    /// A kubeconfig path, or several joined like `KUBECONFIG` (`:` on Unix).
    pub config_path: Option<String>,
    pub context: Option<String>,
    /// API server URL; overrides the kubeconfig's.
    pub host: Option<String>,
    /// Bearer token; overrides the kubeconfig user's credentials.
    pub token: Option<Secret>,
    /// PEM CA bundle; overrides the kubeconfig's.
    pub ca_pem: Option<String>,
    /// Skip TLS verification.
    pub insecure: bool,
}

/// A client and what the cluster registration needs to know about the server.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    /// The API server URL without a trailing slash.
    pub server: String,
    /// The CA that verified the server (PEM), when one was configured.
    pub ca_pem: Option<String>,
    /// Whether TLS verification was skipped.
    pub insecure: bool,
    /// How long one request may take (the provider's `request_timeout`; the operation's
    /// deadline bounds it too).
    pub request_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.server)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

/// How long connecting may take, and how long a response.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Installs aws-lc-rs as the process-wide rustls crypto provider (kube-rs builds its TLS
/// configuration from the process default). Idempotent; a provider installed earlier by
/// this process wins, and it can only be aws-lc-rs: no other is compiled in.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// The default kubeconfig: `$HOME/.kube/config`.
fn default_kubeconfig() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"))
}

/// Reads (and merges, for a `:`-joined list) the kubeconfig files.
fn read_kubeconfig(paths: &str) -> Result<Kubeconfig, K8sError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let list: Vec<PathBuf> = std::env::split_paths(paths)
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| match (p.strip_prefix("~"), &home) {
            (Ok(rest), Some(h)) => h.join(rest),
            _ => p,
        })
        .collect();
    if list.is_empty() {
        return Err(K8sError::NoConnection(format!(
            "the kubeconfig path {paths:?} names no file"
        )));
    }
    list.iter().try_fold(Kubeconfig::default(), |merged, p| {
        let one = Kubeconfig::read_from(p).map_err(|e| K8sError::Kubeconfig {
            path: p.display().to_string(),
            detail: super::error::chain(&e),
        })?;
        merged.merge(one).map_err(|e| K8sError::Kubeconfig {
            path: paths.to_string(),
            detail: e.to_string(),
        })
    })
}

/// PEM certificates to DER, for kube's `root_cert`.
pub fn pem_to_der(pem: &str) -> Result<Vec<Vec<u8>>, K8sError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| K8sError::Invalid(format!("the CA certificate is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(K8sError::Invalid(
            "the CA certificate holds no PEM CERTIFICATE block".into(),
        ));
    }
    Ok(certs.into_iter().map(|c| c.as_ref().to_vec()).collect())
}

/// PEM text of a value given as PEM or as base64-encoded PEM (what EKS and GKE outputs
/// hold); anything else is returned as it is.
pub fn pem_text(v: &str) -> String {
    use base64::Engine as _;
    let t = v.trim();
    if t.starts_with("-----BEGIN") {
        return v.to_string();
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    {
        Some(p) if p.trim_start().starts_with("-----BEGIN") => p,
        _ => v.to_string(),
    }
}

/// DER certificates as PEM text (64-character lines), for the cluster registration.
pub fn der_to_pem(ders: &[Vec<u8>]) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    for der in ders {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

fn parse_host(host: &str) -> Result<http::Uri, K8sError> {
    let u = url::Url::parse(host).map_err(|e| {
        K8sError::Invalid(format!(
            "the Kubernetes host {host:?} is not a URL ({e}); expected e.g. \"https://203.0.113.10:6443\""
        ))
    })?;
    if !matches!(u.scheme(), "https" | "http") || !u.has_host() {
        return Err(K8sError::Invalid(format!(
            "the Kubernetes host {host:?} must be an https:// URL"
        )));
    }
    host.trim_end_matches('/')
        .parse::<http::Uri>()
        .map_err(|e| K8sError::Invalid(format!("the Kubernetes host {host:?}: {e}")))
}

/// Builds the kube-rs configuration of `target` (no network).
pub async fn config(target: &Target) -> Result<kube::Config, K8sError> {
    let use_kubeconfig =
        target.host.is_none() || target.config_path.is_some() || target.context.is_some();
    let mut cfg = if use_kubeconfig {
        let path = match &target.config_path {
            Some(p) => p.clone(),
            None => default_kubeconfig()
                .filter(|p| p.exists())
                .map(|p| p.display().to_string())
                .ok_or_else(|| {
                    K8sError::NoConnection(
                        "set `host` (with `token` and `cluster_ca_certificate`) or `config_path` in the \
                         cluster's `bootstrap` or in the provider's `kubernetes` block, or the KUBECONFIG \
                         environment variable; ~/.kube/config does not exist"
                            .into(),
                    )
                })?,
        };
        let kc = read_kubeconfig(&path)?;
        if let Some(ctx) = &target.context {
            if !kc.contexts.iter().any(|c| &c.name == ctx) {
                return Err(K8sError::UnknownContext {
                    path,
                    context: ctx.clone(),
                    available: kc.contexts.iter().map(|c| c.name.clone()).collect(),
                });
            }
        } else if kc.current_context.as_deref().unwrap_or("").is_empty() {
            return Err(K8sError::Kubeconfig {
                path,
                detail: "it has no current-context; set `config_context`".into(),
            });
        }
        let opts = KubeConfigOptions {
            context: target.context.clone(),
            ..Default::default()
        };
        kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(|e| K8sError::Kubeconfig {
                path,
                detail: super::error::chain(&e),
            })?
    } else {
        kube::Config::new(parse_host(target.host.as_deref().unwrap_or_default())?)
    };
    if let Some(h) = &target.host {
        cfg.cluster_url = parse_host(h)?;
    }
    if let Some(t) = &target.token {
        cfg.auth_info = AuthInfo {
            token: Some(t.expose().to_string().into()),
            ..Default::default()
        };
    }
    if let Some(ca) = &target.ca_pem {
        cfg.root_cert = Some(pem_to_der(ca)?);
    }
    if target.insecure {
        cfg.accept_invalid_certs = true;
    }
    cfg.connect_timeout = Some(CONNECT_TIMEOUT);
    cfg.read_timeout = Some(READ_TIMEOUT);
    cfg.reset_reader_on_write = true;
    Ok(cfg)
}

/// Connects (no request is sent yet: the first call shows whether the server answers).
pub async fn connect(target: &Target) -> Result<Connection, K8sError> {
    install_crypto_provider();
    let cfg = config(target).await?;
    let server = cfg
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let ca_pem = cfg.root_cert.as_deref().map(der_to_pem);
    let insecure = cfg.accept_invalid_certs;
    let client = kube::Client::try_from(cfg).map_err(|e| {
        K8sError::Invalid(format!(
            "cannot build a Kubernetes client for {server}: {}",
            super::error::chain(&e)
        ))
    })?;
    Ok(Connection {
        client,
        server,
        ca_pem,
        insecure,
        request_timeout: READ_TIMEOUT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: one
  cluster:
    server: https://127.0.0.1:6443/
contexts:
- name: dev
  context:
    cluster: one
    user: u
users:
- name: u
  user:
    token: from-file
current-context: dev
";

    #[tokio::test]
    async fn unknown_context_names_the_ones_that_exist() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        std::fs::write(&p, KUBECONFIG).unwrap();
        let t = Target {
            config_path: Some(p.display().to_string()),
            context: Some("prod".into()),
            ..Default::default()
        };
        let e = config(&t).await.unwrap_err();
        assert!(
            matches!(&e, K8sError::UnknownContext { context, available, .. } if context == "prod" && available == &vec!["dev".to_string()]),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn host_token_and_ca_override_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        std::fs::write(&p, KUBECONFIG).unwrap();
        let t = Target {
            config_path: Some(p.display().to_string()),
            host: Some("https://10.0.0.1:443/".into()),
            token: Some(Secret::new("override")),
            ..Default::default()
        };
        let cfg = config(&t).await.unwrap();
        assert_eq!(cfg.cluster_url.to_string(), "https://10.0.0.1:443/");
        let plain = config(&Target {
            config_path: Some(p.display().to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(plain.cluster_url.to_string(), "https://127.0.0.1:6443/");
    }

    #[tokio::test]
    async fn missing_files_and_bad_hosts_are_named() {
        let e = config(&Target {
            config_path: Some("/nonexistent/kubeconfig".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/kubeconfig"), "{e}");
        let e = config(&Target {
            host: Some("ftp://x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
    }

    #[test]
    fn pem_round_trip() {
        let der = vec![vec![1u8, 2, 3, 4, 5]];
        let pem = der_to_pem(&der);
        assert_eq!(pem_to_der(&pem).unwrap(), der);
        assert!(pem_to_der("not a pem").is_err());
    }
}
