//! Kubernetes, for the cluster resource's bootstrap: where a target cluster is reached
//! ([`connect`]), what is made in it ([`bootstrap`]) and how failures read ([`error`]).
//! Used only while applying (and refreshing a bootstrapped cluster): planning never connects.

pub mod agent;
pub mod bootstrap;
pub mod connect;
pub mod error;
pub mod install;

pub use connect::{connect, Connection, Target};
pub use error::K8sError;

use crate::provider::KubernetesSettings;

/// The warning's detail when `insecure = true` turns off verification of a Kubernetes API
/// server's certificate (the provider's `kubernetes` block or a bootstrap's own).
pub const INSECURE_WARNING: &str = "`insecure = true`: TLS certificates of the Kubernetes API server are not verified, so anyone able to intercept the connection can read the admin token sent to it. Use it for local test clusters only; otherwise set `cluster_ca_certificate`.";

/// Where a bootstrap connects: its own settings when it has any, else the provider's
/// `kubernetes` settings (`None`: those are not known yet in this run).
///
/// * With its own `host`, the bootstrap's `host`, `token`, `cluster_ca_certificate` and
///   `insecure` are used as they are (and its own `config_path`/`config_context`, if set,
///   supply what they leave out).
/// * With its own `config_path` or `config_context` only, that kubeconfig (the provider's
///   `config_path` or `KUBECONFIG` filling a missing path) with the bootstrap's own
///   `token`/`cluster_ca_certificate`/`insecure` overrides.
/// * With none, the provider's `kubernetes` settings (kubeconfig from `KUBECONFIG` or
///   `~/.kube/config` when they name none).
///
/// Settings are never mixed across the two groups: a token never meets another cluster's
/// host.
pub fn target(own: &KubernetesSettings, provider: Option<&KubernetesSettings>) -> Option<Target> {
    let has_own = own.host.is_some() || own.config_path.is_some() || own.config_context.is_some();
    let from = |s: &KubernetesSettings, config_path: Option<String>| Target {
        config_path,
        context: s.config_context.clone(),
        host: s.host.clone(),
        token: s.token.clone(),
        ca_pem: s.cluster_ca_certificate.clone(),
        insecure: s.insecure.unwrap_or(false),
    };
    if has_own {
        let path = match (&own.config_path, &own.host) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(_)) if own.config_context.is_none() => None,
            (None, _) => provider.and_then(|p| p.config_path.clone()),
        };
        return Some(from(own, path));
    }
    let p = provider?;
    Some(from(p, p.config_path.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_gitops_client::Secret;

    fn provider() -> KubernetesSettings {
        KubernetesSettings {
            config_path: Some("/p/kubeconfig".into()),
            config_context: Some("p-ctx".into()),
            host: None,
            token: Some(Secret::new("provider-token")),
            cluster_ca_certificate: None,
            insecure: None,
        }
    }

    #[test]
    fn own_host_never_takes_the_provider_token_or_kubeconfig() {
        let own = KubernetesSettings {
            host: Some("https://eks:443".into()),
            token: Some(Secret::new("own")),
            ..Default::default()
        };
        let t = target(&own, Some(&provider())).unwrap();
        assert_eq!(t.host.as_deref(), Some("https://eks:443"));
        assert_eq!(t.token.as_ref().map(Secret::expose), Some("own"));
        assert_eq!(t.config_path, None);
        assert_eq!(t.context, None);
    }

    #[test]
    fn own_context_uses_the_provider_kubeconfig_path_only() {
        let own = KubernetesSettings {
            config_context: Some("staging".into()),
            ..Default::default()
        };
        let t = target(&own, Some(&provider())).unwrap();
        assert_eq!(t.config_path.as_deref(), Some("/p/kubeconfig"));
        assert_eq!(t.context.as_deref(), Some("staging"));
        assert!(
            t.token.is_none(),
            "the provider's token stays with the provider's settings"
        );
    }

    #[test]
    fn nothing_own_takes_the_provider_settings_or_waits_for_them() {
        let t = target(&KubernetesSettings::default(), Some(&provider())).unwrap();
        assert_eq!(t.context.as_deref(), Some("p-ctx"));
        assert_eq!(t.token.as_ref().map(Secret::expose), Some("provider-token"));
        assert!(target(&KubernetesSettings::default(), None).is_none());
    }
}
