//! Kubernetes errors as a user needs to read them: which API server, which request (verb,
//! resource, namespace, name) and what the server or the network said. Built from kube-rs
//! errors without request bodies, so they never carry a token.

use std::fmt;

/// One Kubernetes request, for messages: `create serviceaccounts "x" in namespace "kube-system"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub verb: &'static str,
    /// The resource as the API names it, e.g. `serviceaccounts`, `clusterroles`.
    pub resource: &'static str,
    /// The API group (empty for core).
    pub group: &'static str,
    /// Empty for cluster-scoped resources.
    pub namespace: String,
    /// Empty for collection requests.
    pub name: String,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if !self.name.is_empty() {
            write!(f, " {:?}", self.name)?;
        }
        if self.namespace.is_empty() {
            write!(f, " (cluster-scoped)")
        } else {
            write!(f, " in namespace {:?}", self.namespace)
        }
    }
}

/// What went wrong talking to (or preparing to talk to) a Kubernetes API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum K8sError {
    /// No usable connection settings: no kubeconfig, no host.
    NoConnection(String),
    /// The kubeconfig cannot be read or parsed.
    Kubeconfig { path: String, detail: String },
    /// The kubeconfig has no such context.
    UnknownContext {
        path: String,
        context: String,
        available: Vec<String>,
    },
    /// A setting is malformed (host URL, CA PEM).
    Invalid(String),
    /// The server could not be reached (DNS, connection refused, TLS, timeout).
    Unreachable {
        server: String,
        op: Box<Op>,
        detail: String,
    },
    /// 401: the server did not accept the credentials.
    Unauthorized { server: String, op: Box<Op> },
    /// 403: the identity may not do this.
    Forbidden {
        server: String,
        op: Box<Op>,
        message: String,
    },
    /// Any other API answer (404 where it matters, 409, 422, 5xx).
    Api {
        server: String,
        op: Box<Op>,
        code: u16,
        reason: String,
        message: String,
    },
    /// An object exists that this provider did not make (or another registration made).
    NotOurs { object: String, owner: String },
    /// The token controller did not fill the token Secret.
    TokenNotIssued { secret: String, detail: String },
    /// Stopped (Ctrl-C) or out of time.
    Interrupted { op: String, why: String },
}

impl fmt::Display for K8sError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            K8sError::NoConnection(why) => write!(f, "no Kubernetes connection: {why}"),
            K8sError::Kubeconfig { path, detail } => {
                write!(f, "cannot load the kubeconfig {path:?}: {detail}")
            }
            K8sError::UnknownContext {
                path,
                context,
                available,
            } => {
                write!(f, "the kubeconfig {path:?} has no context {context:?}")?;
                if available.is_empty() {
                    write!(f, " (it defines no contexts)")
                } else {
                    write!(f, "; it has {}", quoted(available))
                }
            }
            K8sError::Invalid(why) => f.write_str(why),
            K8sError::Unreachable { server, op, detail } => write!(
                f,
                "cannot reach the Kubernetes API server {server} ({op}): {detail}"
            ),
            K8sError::Unauthorized { server, op } => write!(
                f,
                "the Kubernetes API server {server} did not accept the credentials (401 Unauthorized) for {op}: \
                 check the token or the kubeconfig user"
            ),
            K8sError::Forbidden {
                server,
                op,
                message,
            } => write!(
                f,
                "the Kubernetes API server {server} refused {op} (403 Forbidden): {message}. The bootstrap \
                 identity needs permission to manage service accounts, secrets and RBAC objects (e.g. cluster-admin)"
            ),
            K8sError::Api {
                server,
                op,
                code,
                reason,
                message,
            } => write!(
                f,
                "the Kubernetes API server {server} answered {code} {reason} to {op}: {message}"
            ),
            K8sError::NotOurs { object, owner } => write!(f, "{object} already exists and {owner}"),
            K8sError::TokenNotIssued { secret, detail } => write!(
                f,
                "the token controller did not fill the token Secret {secret}: {detail}"
            ),
            K8sError::Interrupted { op, why } => write!(f, "{op} was interrupted: {why}"),
        }
    }
}

impl std::error::Error for K8sError {}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A kube-rs error of request `op` to `server`, classified.
pub fn classify(server: &str, op: Op, err: kube::Error) -> K8sError {
    let server = server.to_string();
    let op = Box::new(op);
    match err {
        kube::Error::Api(status) => match status.code {
            401 => K8sError::Unauthorized { server, op },
            403 => K8sError::Forbidden {
                server,
                op,
                message: status.message.clone(),
            },
            code => K8sError::Api {
                server,
                op,
                code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
        },
        kube::Error::Auth(e) => K8sError::Unauthorized {
            server: format!("{server} ({})", chain(&e)),
            op,
        },
        other => K8sError::Unreachable {
            server,
            op,
            detail: chain(&other),
        },
    }
}

/// An error and its sources, outermost first, without repeats.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        let s = x.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = x.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Op {
        Op {
            verb: "create",
            resource: "clusterroles",
            group: "rbac.authorization.k8s.io",
            namespace: String::new(),
            name: "harness-gitops-manager-role".into(),
        }
    }

    #[test]
    fn messages_name_the_request() {
        let e = K8sError::Forbidden {
            server: "https://k".into(),
            op: Box::new(Op {
                verb: "get",
                resource: "secrets",
                group: "",
                namespace: "kube-system".into(),
                name: "t".into(),
            }),
            message: "nope".into(),
        };
        let s = e.to_string();
        assert!(
            s.contains(
                "refused get secrets \"t\" in namespace \"kube-system\" (403 Forbidden): nope"
            ),
            "{s}"
        );
        let s = K8sError::Unauthorized {
            server: "https://k".into(),
            op: Box::new(op()),
        }
        .to_string();
        assert!(s.contains("401 Unauthorized"), "{s}");
        assert!(
            s.contains("create clusterroles.rbac.authorization.k8s.io \"harness-gitops-manager-role\" (cluster-scoped)"),
            "{s}"
        );
        let s = K8sError::UnknownContext {
            path: "/k".into(),
            context: "prod".into(),
            available: vec!["dev".into(), "staging".into()],
        }
        .to_string();
        assert_eq!(
            s,
            "the kubeconfig \"/k\" has no context \"prod\"; it has \"dev\", \"staging\""
        );
    }

    #[test]
    fn api_statuses_are_classified() {
        let status = |code: u16, reason: &str| {
            let mut s = kube::core::Status::failure("m", reason);
            s.code = code;
            kube::Error::Api(Box::new(s))
        };
        assert!(matches!(
            classify("https://k", op(), status(401, "Unauthorized")),
            K8sError::Unauthorized { .. }
        ));
        assert!(matches!(
            classify("https://k", op(), status(403, "Forbidden")),
            K8sError::Forbidden { ref message, .. } if message == "m"
        ));
        assert!(matches!(
            classify("https://k", op(), status(409, "AlreadyExists")),
            K8sError::Api { code: 409, .. }
        ));
    }
}
