//! The `provider "harness"` block: schema, validation, and configuration into the data every
//! resource call gets (the Harness client and scope defaults).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::harness;
use crate::secret::Secret;
use crate::tf::schema::{Attribute as A, Nesting, Schema};
use crate::tf::{AttributePath, Diagnostics, Value};

/// Default Harness gateway.
pub const DEFAULT_ENDPOINT: &str = "https://app.harness.io/gateway";
/// Default per-request timeout (including retries of one call).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries of a failed idempotent call.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// Environment variables, named in diagnostics.
pub const ENV_ENDPOINT: &str = "HARNESS_ENDPOINT";
pub const ENV_ACCOUNT_ID: &str = "HARNESS_ACCOUNT_ID";
pub const ENV_API_KEY: &str = "HARNESS_PLATFORM_API_KEY";

/// Scope defaults that resources inherit when their own attribute is unset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Defaults {
    pub org_id: Option<String>,
    pub project_id: Option<String>,
    pub agent_id: Option<String>,
}

/// Settings of the `kubernetes` attribute, used by the cluster resource to bootstrap Argo CD
/// access. Secrets stay in [`Secret`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KubernetesSettings {
    pub config_path: Option<String>,
    pub config_context: Option<String>,
    pub host: Option<String>,
    pub token: Option<Secret>,
    pub cluster_ca_certificate: Option<String>,
    pub insecure: Option<bool>,
}

/// What ConfigureProvider produces.
pub struct ProviderData {
    pub client: harness::Client,
    pub account_id: String,
    pub endpoint: String,
    pub defaults: Defaults,
    pub kubernetes: KubernetesSettings,
}

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        "The Harness provider manages Harness GitOps (Argo CD) repositories, applications and clusters \
         through the Harness GitOps API. Every setting can also come from the environment.",
        vec![
            A::string("endpoint").optional().description(
                "Harness gateway URL. Defaults to the `HARNESS_ENDPOINT` environment variable, then \
                 `https://app.harness.io/gateway`. Point it at a local `harness-gitops-emulator` \
                 (e.g. `http://127.0.0.1:8899`) to try configurations offline.",
            ),
            A::string("account_id")
                .optional()
                .description("Harness account identifier. Defaults to the `HARNESS_ACCOUNT_ID` environment variable. Required."),
            A::string("api_key").optional().sensitive().description(
                "Harness API key (a personal access token or service account token), sent as `x-api-key`. \
                 Defaults to the `HARNESS_PLATFORM_API_KEY` environment variable. Required. Never logged.",
            ),
            A::string("org_id").optional().description("Default organization identifier for resources that do not set `org_id`."),
            A::string("project_id")
                .optional()
                .description("Default project identifier for resources that do not set `project_id`."),
            A::string("agent_id").optional().description(
                "Default GitOps agent identifier, with its scope prefix (`account.<id>`, `org.<id>` or `<id>` \
                 for a project agent), for resources that do not set `agent_id`.",
            ),
            A::string("request_timeout").optional().description(
                "Upper bound for one API call including its retries, as a duration such as `30s` or `2m`. \
                 Defaults to `60s`.",
            ),
            A::number("max_retries").optional().description(
                "How many times a call is retried after a connection error, HTTP 429, 502, 503 or 504, with \
                 exponential backoff and jitter. Defaults to `5`; `0` disables retries.",
            ),
            A::nested(
                "kubernetes",
                Nesting::Single,
                vec![
                    A::string("config_path").optional().description(
                        "Path to a kubeconfig file. Defaults to the `KUBECONFIG` environment variable, then `~/.kube/config`.",
                    ),
                    A::string("config_context")
                        .optional()
                        .description("kubeconfig context to use. Defaults to the current context."),
                    A::string("host").optional().description("Kubernetes API server URL; overrides the kubeconfig."),
                    A::string("token").optional().sensitive().description("Bearer token for the Kubernetes API; never logged."),
                    A::string("cluster_ca_certificate").optional().description("PEM CA bundle of the Kubernetes API server."),
                    A::bool("insecure")
                        .optional()
                        .description("Skip TLS verification of the Kubernetes API server (test clusters only)."),
                ],
            )
            .optional()
            .description(
                "How to reach Kubernetes when a `harness_gitops_cluster` bootstraps Argo CD access \
                 (service account and token). Unused by repositories and applications.",
            ),
        ],
    )
}

/// Parses a Go-style duration: `1h2m3s`, `500ms`, `30s`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let num: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += Duration::try_from_secs_f64(num * factor).ok()?;
        rest = &rest[unit_end..];
    }
    Some(total)
}

/// Checks what can be checked without the environment; unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(e) = config.attr_str("endpoint") {
        check_endpoint(e, diags);
    }
    if let Some(t) = config.attr_str("request_timeout") {
        if parse_duration(t).is_none_or(|d| d.is_zero()) {
            diags.error_at(
                AttributePath::attr("request_timeout"),
                "Invalid Request Timeout",
                format!("{t:?} is not a positive duration; use a form like \"30s\", \"2m\" or \"1m30s\"."),
            );
        }
    }
    if let Some(n) = config.attr("max_retries").as_number() {
        if n.as_i64().is_none_or(|n| !(0..=100).contains(&n)) {
            diags.error_at(
                AttributePath::attr("max_retries"),
                "Invalid Max Retries",
                format!("max_retries must be a whole number from 0 to 100, got {n}."),
            );
        }
    }
}

fn check_endpoint(e: &str, diags: &mut Diagnostics) {
    match url::Url::parse(e) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
        _ => diags.error_at(
            AttributePath::attr("endpoint"),
            "Invalid Endpoint",
            format!("{e:?} is not an http(s) URL; expected something like \"https://app.harness.io/gateway\" or \"http://127.0.0.1:8899\"."),
        ),
    }
}

/// Reads a string setting from configuration, falling back to an environment variable.
fn setting(config: &Value, attr: &str, env: &str) -> Option<String> {
    config
        .attr_str(attr)
        .map(str::to_string)
        .or_else(|| std::env::var(env).ok())
        .filter(|s| !s.is_empty())
}

fn opt_str(v: &Value, attr: &str) -> Option<String> {
    v.attr_str(attr)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Builds the provider data from a wholly known configuration.
pub fn configure(
    config: &Value,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<ProviderData> {
    validate(config, diags);
    let endpoint =
        setting(config, "endpoint", ENV_ENDPOINT).unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if config.attr("endpoint").is_null() {
        check_endpoint(&endpoint, diags);
    }
    let account_id = setting(config, "account_id", ENV_ACCOUNT_ID);
    if account_id.is_none() {
        diags.error_at(
            AttributePath::attr("account_id"),
            "Missing Harness Account ID",
            format!("Set `account_id` in the provider block or the {ENV_ACCOUNT_ID} environment variable."),
        );
    }
    let api_key = setting(config, "api_key", ENV_API_KEY);
    if api_key.is_none() {
        diags.error_at(
            AttributePath::attr("api_key"),
            "Missing Harness API Key",
            format!(
                "Set `api_key` in the provider block or the {ENV_API_KEY} environment variable."
            ),
        );
    }
    if diags.has_errors() {
        return None;
    }
    let (account_id, api_key) = (account_id?, Secret::new(api_key?));
    let request_timeout = config
        .attr_str("request_timeout")
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    let max_retries = config
        .attr("max_retries")
        .as_i64()
        .map(|n| n as u32)
        .unwrap_or(DEFAULT_MAX_RETRIES);
    let client = match harness::Client::new(
        harness::ClientConfig {
            endpoint: endpoint.clone(),
            account_id: account_id.clone(),
            api_key,
            request_timeout,
            max_retries,
        },
        cancel,
    ) {
        Ok(c) => c,
        Err(e) => {
            diags.error_at(
                AttributePath::attr("endpoint"),
                "Unable to Create Harness Client",
                e.to_string(),
            );
            return None;
        }
    };
    let k = config.attr("kubernetes");
    Some(ProviderData {
        client,
        account_id,
        endpoint,
        defaults: Defaults {
            org_id: opt_str(config, "org_id"),
            project_id: opt_str(config, "project_id"),
            agent_id: opt_str(config, "agent_id"),
        },
        kubernetes: KubernetesSettings {
            config_path: opt_str(k, "config_path").or_else(|| std::env::var("KUBECONFIG").ok()),
            config_context: opt_str(k, "config_context"),
            host: opt_str(k, "host"),
            token: opt_str(k, "token").map(Secret::new),
            cluster_ca_certificate: opt_str(k, "cluster_ca_certificate"),
            insecure: k.attr("insecure").as_bool(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_duration("2x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn schema_is_valid_and_described() {
        assert_eq!(schema().validate(false), Vec::<String>::new());
    }
}
