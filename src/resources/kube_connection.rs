//! The Kubernetes connection a resource that works inside a cluster takes (the agent's
//! `install`): one flattened model, read into [`KubernetesSettings`] and resolved against the
//! provider's `kubernetes` settings by [`k8s::target`].

use tfplugin::tf::{AttributePath, Diagnostics};
use tfplugin::{Model, Val};

use super::Ctx;
use crate::k8s::{self, connect::pem_text, Connection, K8sError, Target};
use crate::provider::KubernetesSettings;
use harness_gitops_client::Secret;

/// Where a cluster is reached: a kubeconfig (path and context), or a host with a token and
/// CA. Unset, the provider's `kubernetes` settings apply. Any of it may come from another
/// resource's outputs: the provider connects only while applying.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct KubeConnection {
    /// Path to a kubeconfig file (several joined with `:` like `KUBECONFIG`).
    #[tf(optional)]
    pub config_path: Val<String>,
    /// kubeconfig context to use; defaults to the current context.
    #[tf(optional)]
    pub config_context: Val<String>,
    /// Kubernetes API server URL, e.g. `https://203.0.113.10:6443`; overrides the kubeconfig.
    #[tf(optional)]
    pub host: Val<String>,
    /// Bearer token of an identity allowed to make the objects (e.g. cluster-admin). Stored
    /// in state (marked sensitive) because refresh and destroy need it; a kubeconfig (or the
    /// provider's `kubernetes` settings) keeps it out of state.
    #[tf(optional, sensitive)]
    pub token: Val<String>,
    /// PEM CA bundle of the API server (base64-encoded PEM is accepted too).
    #[tf(optional)]
    pub cluster_ca_certificate: Val<String>,
    /// Skip TLS verification of the API server (test clusters only).
    #[tf(optional)]
    pub insecure: Val<bool>,
}

impl KubeConnection {
    /// The settings this connection names (empty: the provider's apply).
    pub fn settings(&self) -> KubernetesSettings {
        let s = |v: &Val<String>| v.non_empty().map(str::to_string);
        KubernetesSettings {
            config_path: s(&self.config_path),
            config_context: s(&self.config_context),
            host: s(&self.host),
            token: s(&self.token).map(Secret::new),
            cluster_ca_certificate: s(&self.cluster_ca_certificate).map(|c| pem_text(&c)),
            insecure: self.insecure.known().copied(),
        }
    }

    /// Checks on known values, reported under `at` (the attribute holding the connection):
    /// a token needs its own host or kubeconfig (it never meets another cluster's host), and
    /// `insecure` warns.
    pub fn validate(&self, at: &AttributePath, diags: &mut Diagnostics) {
        if self.token.is_known()
            && self.host.is_null()
            && self.config_path.is_null()
            && self.config_context.is_null()
        {
            diags.error_at(
                at.child(Self::TOKEN),
                "Kubernetes Token Without Host",
                format!(
                    "`{at}.token` is used with `{at}.host` (or its own `config_path`/`config_context`); set one of them, \
                     or move the token to the provider's `kubernetes` block."
                ),
            );
        }
        if self.insecure.known() == Some(&true) {
            diags.warning_at(
                at.child(Self::INSECURE),
                "Kubernetes TLS Verification Skipped",
                k8s::INSECURE_WARNING,
            );
        }
    }

    /// Where to connect, or an error at `at` when the provider's settings it falls back on
    /// are not known in this run.
    pub fn target(&self, ctx: &Ctx, at: AttributePath, diags: &mut Diagnostics) -> Option<Target> {
        let t = k8s::target(&self.settings(), ctx.provider.kubernetes.as_ref());
        if t.is_none() {
            diags.error_at(
                at,
                "Kubernetes Connection Not Known",
                "No connection is set here, and the provider's `kubernetes` settings are not known in this run.",
            );
        }
        t
    }
}

/// Connects, observing the deadline and StopProvider; each request on the connection ends
/// within the provider's `request_timeout` too.
pub async fn open(ctx: &Ctx, target: &Target) -> Result<Connection, K8sError> {
    match ctx.run(k8s::connect(target)).await {
        Ok(Ok(mut conn)) => {
            if let Some(c) = &ctx.provider.client {
                conn.request_timeout = c.request_timeout();
            }
            Ok(conn)
        }
        Ok(r) => r,
        Err(i) => Err(K8sError::Interrupted {
            op: "connecting to Kubernetes".into(),
            why: i.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_what_is_set_and_read_base64_pem() {
        use base64::Engine as _;
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let c = KubeConnection {
            host: "https://k:6443".into(),
            token: "t0k".into(),
            cluster_ca_certificate: base64::engine::general_purpose::STANDARD.encode(pem).into(),
            insecure: Val::Known(false),
            ..Default::default()
        };
        let s = c.settings();
        assert_eq!(s.host.as_deref(), Some("https://k:6443"));
        assert_eq!(s.token.as_ref().map(Secret::expose), Some("t0k"));
        assert!(s
            .cluster_ca_certificate
            .as_deref()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE")));
        assert_eq!(s.config_path, None);
        assert_eq!(
            KubeConnection::default().settings(),
            KubernetesSettings::default()
        );
    }
}
