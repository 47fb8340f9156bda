//! The client's one error type. Messages are one line, say what failed and what to do, and
//! never contain a secret or a request body.

use std::fmt;
use std::time::Duration;

/// What a failed call was doing, e.g. `create repository "r1" (agent "account.a1")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// `get`, `create`, `update`, `delete`, `list`, …
    pub action: &'static str,
    /// `repository`, `cluster`, `application` (plural for `list`).
    pub kind: &'static str,
    /// The identifier or name, when there is one.
    pub target: Option<String>,
    /// The agent identifier as given (scope prefix included).
    pub agent: String,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action, self.kind)?;
        if let Some(t) = &self.target {
            write!(f, " {t:?}")?;
        }
        if self.agent.is_empty() {
            return Ok(());
        }
        write!(f, " (agent {:?})", self.agent)
    }
}

/// A failed Harness GitOps API call.
///
/// Every variant but [`Error::Config`] names the [`Operation`]. [`Error::status`],
/// [`Error::grpc_code`] and [`Error::server_message`] expose what the server said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status and a grpc-gateway JSON body
    /// (`gatewayruntimeError`: `{error, code, message, details}`, harness-gitops-api.md §2.4).
    #[error("{operation}: {}", describe_api(*status, *code, message, *attempts))]
    Api {
        operation: Box<Operation>,
        /// HTTP status.
        status: u16,
        /// gRPC status code from the body (`5` NotFound, `6` AlreadyExists, …).
        code: Option<i32>,
        /// The server's `message` (or `error`), whitespace collapsed, truncated.
        message: String,
        /// Attempts made (> 1 when retries were spent).
        attempts: u32,
    },

    /// The body was not JSON: usually an HTML page from a proxy or a wrong `endpoint`.
    #[error(
        "{operation}: the server at {endpoint} answered HTTP {status} with a non-JSON body \
         ({content_type}){}; this does not look like the Harness GitOps API: check the provider's \
         `endpoint` (or HARNESS_ENDPOINT, e.g. https://app.harness.io/gateway) and any proxy in between",
        after_attempts(*attempts)
    )]
    NotJson {
        operation: Box<Operation>,
        endpoint: String,
        status: u16,
        content_type: String,
        attempts: u32,
    },

    /// The server answered with a redirect, which the client does not follow (the API key
    /// must not be sent to another host).
    #[error(
        "{operation}: the server at {endpoint} answered with a redirect (HTTP {status}); check the \
         provider's `endpoint` (or HARNESS_ENDPOINT, e.g. https://app.harness.io/gateway)"
    )]
    Redirect {
        operation: Box<Operation>,
        endpoint: String,
        status: u16,
    },

    /// `get` of an entity that does not exist (HTTP 404 with gRPC code 5, or a 200 without the
    /// entity, which Harness uses for soft-deleted entities).
    #[error("{operation}: not found; it may have been deleted outside Terraform")]
    NotFound { operation: Box<Operation> },

    /// No connection could be made.
    #[error(
        "{operation}: cannot connect to {endpoint}: {detail}{}; check the provider's `endpoint` \
         (or HARNESS_ENDPOINT) and network access",
        after_attempts(*attempts)
    )]
    Connect {
        operation: Box<Operation>,
        endpoint: String,
        detail: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    /// The connection failed after the request was (possibly) sent.
    #[error(
        "{operation}: the connection to {endpoint} failed: {detail}{}; the request may or may not \
         have been applied",
        after_attempts(*attempts)
    )]
    Transport {
        operation: Box<Operation>,
        endpoint: String,
        detail: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    /// The call's deadline passed before a conclusive answer: `request_timeout`, or the
    /// operation's deadline (`limit`, e.g. "`timeouts.create`") when that came first.
    #[error("{operation}: {}", describe_timeout(endpoint, *timeout, *attempts, limit.as_deref()))]
    Timeout {
        operation: Box<Operation>,
        endpoint: String,
        /// The time the call was given.
        timeout: Duration,
        attempts: u32,
        /// The operation's limit that cut the call, as users know it (`None`: the provider's
        /// `request_timeout`).
        limit: Option<String>,
    },

    /// The client's cancellation token fired (the provider is stopping).
    #[error("{operation}: cancelled because the provider is stopping")]
    Cancelled { operation: Box<Operation> },

    /// A create was cancelled after its request may have reached Harness, and the lookup
    /// that would tell could not be made in time.
    #[error(
        "{operation}: cancelled because the provider is stopping; the create may have reached Harness and could not \
         be checked. If the object exists, import it (or set `upsert = true`) before applying again"
    )]
    CancelledUnresolved { operation: Box<Operation> },

    /// A create whose request may have been applied (its response was lost), and the lookup
    /// that would tell failed too (e.g. the server went away).
    #[error(
        "{operation}: the request may have been applied (its response was lost), and checking whether it was failed: {cause}"
    )]
    CreateUnresolved {
        operation: Box<Operation>,
        /// Why the lookup failed, one line.
        cause: String,
    },

    /// A success response whose JSON does not match the model.
    #[error("{operation}: unexpected response (HTTP {status}) at `{path}`: {detail}")]
    Decode {
        operation: Box<Operation>,
        status: u16,
        path: String,
        detail: String,
    },

    /// The call was refused before sending (bad identifier or scope, unencodable body).
    #[error("{operation}: {detail}")]
    InvalidRequest {
        operation: Box<Operation>,
        detail: String,
    },

    /// `Client::new` rejected the configuration.
    #[error("invalid Harness provider configuration: {detail}")]
    Config { detail: String },
}

impl Error {
    /// The operation that failed (`None` for [`Error::Config`]).
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            Error::Api { operation, .. }
            | Error::NotJson { operation, .. }
            | Error::Redirect { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Connect { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Cancelled { operation }
            | Error::CancelledUnresolved { operation }
            | Error::CreateUnresolved { operation, .. }
            | Error::Decode { operation, .. }
            | Error::InvalidRequest { operation, .. } => Some(operation),
            Error::Config { .. } => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::NotJson { status, .. }
            | Error::Redirect { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The gRPC status code from the error body, when there was one.
    pub fn grpc_code(&self) -> Option<i32> {
        match self {
            Error::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// The server's own message, when there was one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } if !message.is_empty() => Some(message),
            _ => None,
        }
    }

    /// The entity does not exist: [`Error::NotFound`], or HTTP 404 with gRPC code 5.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
            || (self.status() == Some(404) && self.grpc_code() == Some(GRPC_NOT_FOUND))
    }

    /// The entity already exists: HTTP 409 or gRPC code 6.
    pub fn is_already_exists(&self) -> bool {
        self.status() == Some(409) || self.grpc_code() == Some(GRPC_ALREADY_EXISTS)
    }

    /// A sync (or other operation) was refused because one is already running: gRPC code 9
    /// (FailedPrecondition) with Argo CD's "another operation is already in progress".
    pub fn is_operation_in_progress(&self) -> bool {
        self.grpc_code() == Some(GRPC_FAILED_PRECONDITION)
            && self
                .server_message()
                .is_some_and(|m| m.contains("another operation is already in progress"))
    }

    /// A create that may have been applied, which could not be checked: the object may exist
    /// ([`Error::CreateUnresolved`], [`Error::CancelledUnresolved`]).
    pub fn is_create_unresolved(&self) -> bool {
        matches!(
            self,
            Error::CreateUnresolved { .. } | Error::CancelledUnresolved { .. }
        )
    }

    /// A delete refused because applications still use the entity: how many, from the
    /// server's message ("cluster is used by 1 application(s)"; Argo CD projects say "is
    /// referenced by 2 application(s)"). Any status: the code the real API sends is not
    /// documented, the message is what is known.
    pub fn blocking_dependents(&self) -> Option<u32> {
        let Error::Api {
            status, message, ..
        } = self
        else {
            return None;
        };
        if *status < 400 {
            return None;
        }
        let lower = message.to_ascii_lowercase();
        ["used by ", "referenced by "].iter().find_map(|marker| {
            let (_, after) = lower.split_once(marker)?;
            let (count, rest) = after.split_once(' ')?;
            rest.starts_with("application")
                .then(|| count.parse::<u32>().ok())
                .flatten()
        })
    }

    /// The call was cancelled (the provider is stopping).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            Error::Cancelled { .. } | Error::CancelledUnresolved { .. }
        )
    }
}

/// gRPC `codes.NotFound`.
pub(crate) const GRPC_NOT_FOUND: i32 = 5;
/// gRPC `codes.AlreadyExists`.
pub(crate) const GRPC_ALREADY_EXISTS: i32 = 6;
/// gRPC `codes.FailedPrecondition`.
pub(crate) const GRPC_FAILED_PRECONDITION: i32 = 9;

/// Longest server message kept in an error.
const MAX_MESSAGE: usize = 600;

/// The server message made one line (whitespace runs collapsed) and at most [`MAX_MESSAGE`]
/// characters.
pub(crate) fn one_line(message: &str) -> String {
    let mut out = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = out.char_indices().nth(MAX_MESSAGE) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

fn grpc_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "Canceled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("unrecognised")
}

fn after_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// The text after the operation for [`Error::Timeout`].
fn describe_timeout(
    endpoint: &str,
    timeout: Duration,
    attempts: u32,
    limit: Option<&str>,
) -> String {
    let plural = if attempts == 1 { "" } else { "s" };
    match limit {
        None => format!(
            "no conclusive answer from {endpoint} within {} ({attempts} attempt{plural}); the request may or may \
             not have been applied; the server may be slow or unreachable (the provider's `request_timeout` bounds \
             each call)",
            fmt_duration(timeout)
        ),
        Some(limit) if attempts == 0 => format!(
            "not sent: {limit} had run out; raise {limit} if the operation needs more time"
        ),
        Some(limit) => format!(
            "no conclusive answer from {endpoint} within {}, the time left under {limit} ({attempts} attempt{plural}); \
             the request may or may not have been applied; the server may be slow or unreachable: raise {limit} if \
             the operation needs more time",
            fmt_duration(timeout)
        ),
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The text after the operation for [`Error::Api`]: status, gRPC code, server message, and a
/// hint for the statuses users can fix (harness-gitops-api.md §2.4).
fn describe_api(status: u16, code: Option<i32>, message: &str, attempts: u32) -> String {
    let code_text = code
        .map(|c| format!(", gRPC code {c} {}", grpc_name(c)))
        .unwrap_or_default();
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    let hint = match status {
        401 => {
            "; Harness rejected the API key: check the provider's `api_key` (or \
                HARNESS_PLATFORM_API_KEY) and that the key is valid and not expired"
        }
        403 => {
            "; access denied: check the provider's `account_id` (or HARNESS_ACCOUNT_ID) is the \
                API key's account and that the key has GitOps permissions in this org/project"
        }
        404 if code == Some(GRPC_NOT_FOUND) => "",
        404 => {
            "; check the agent identifier (with its scope prefix: `account.`, `org.`, or none \
                for a project agent) and the org/project identifiers"
        }
        409 => {
            "; it already exists: import it into the Terraform state or choose another identifier"
        }
        429 => "; Harness is rate limiting requests: try again later",
        _ => "",
    };
    format!(
        "HTTP {status}{code_text}{said}{hint}{}",
        after_attempts(attempts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Box<Operation> {
        Box::new(Operation {
            action: "create",
            kind: "repository",
            target: Some("r1".into()),
            agent: "account.a".into(),
        })
    }

    fn api(status: u16, code: Option<i32>, message: &str) -> Error {
        Error::Api {
            operation: op(),
            status,
            code,
            message: message.into(),
            attempts: 1,
        }
    }

    #[test]
    fn api_401_names_the_key_setting() {
        let text = api(401, Some(16), "token expired").to_string();
        assert!(
            text.starts_with("create repository \"r1\" (agent \"account.a\"): HTTP 401"),
            "{text}"
        );
        assert!(
            text.contains("`api_key`") && text.contains("HARNESS_PLATFORM_API_KEY"),
            "{text}"
        );
        assert!(
            text.contains("token expired") && text.contains("Unauthenticated"),
            "{text}"
        );
    }

    #[test]
    fn api_403_names_account_and_keeps_server_message() {
        let text = api(403, Some(7), "not allowed to edit").to_string();
        assert!(
            text.contains("`account_id`") && text.contains("HARNESS_ACCOUNT_ID"),
            "{text}"
        );
        assert!(
            text.contains("permissions") && text.contains("not allowed to edit"),
            "{text}"
        );
    }

    #[test]
    fn not_found_and_exists_predicates() {
        assert!(api(404, Some(5), "x").is_not_found());
        assert!(!api(404, None, "x").is_not_found());
        assert!(api(409, Some(6), "x").is_already_exists());
        assert!(
            api(400, Some(9), "another operation is already in progress")
                .is_operation_in_progress()
        );
        assert!(!api(400, Some(9), "application is being deleted").is_operation_in_progress());
        assert!(
            !api(400, Some(3), "another operation is already in progress")
                .is_operation_in_progress()
        );
    }

    #[test]
    fn blocking_dependents_reads_the_count_from_the_message() {
        assert_eq!(
            api(400, Some(9), "cluster is used by 1 application(s)").blocking_dependents(),
            Some(1)
        );
        assert_eq!(
            api(500, Some(2), "Repository is used by 12 applications").blocking_dependents(),
            Some(12)
        );
        assert_eq!(
            api(400, Some(9), "project is referenced by 3 application(s)").blocking_dependents(),
            Some(3)
        );
        assert_eq!(
            api(400, Some(9), "used by someone").blocking_dependents(),
            None
        );
        assert_eq!(api(404, Some(5), "not found").blocking_dependents(), None);
    }

    #[test]
    fn timeouts_name_the_limit_that_cut_the_call() {
        let t = |limit: Option<&str>, attempts| {
            Error::Timeout {
                operation: op(),
                endpoint: "http://h".into(),
                timeout: Duration::from_millis(1500),
                attempts,
                limit: limit.map(str::to_string),
            }
            .to_string()
        };
        let own = t(None, 2);
        assert!(
            own.contains("within 1.5s (2 attempts)") && own.contains("`request_timeout`"),
            "{own}"
        );
        let op_limit = t(Some("`timeouts.create`"), 1);
        assert!(
            op_limit.starts_with("create repository \"r1\"")
                && op_limit
                    .contains("within 1.5s, the time left under `timeouts.create` (1 attempt)")
                && op_limit.contains("raise `timeouts.create`"),
            "{op_limit}"
        );
        let unsent = t(Some("`timeouts.delete`"), 0);
        assert!(
            unsent.contains("not sent: `timeouts.delete` had run out"),
            "{unsent}"
        );
    }

    #[test]
    fn messages_are_one_line_and_bounded() {
        let long = "a\nb\t c ".repeat(1000);
        let m = one_line(&long);
        assert!(!m.contains('\n') && !m.contains('\t'));
        assert!(m.chars().count() <= MAX_MESSAGE + 1);
        assert!(!api(500, Some(2), &m).to_string().contains('\n'));
    }

    #[test]
    fn grpc_names() {
        assert_eq!(grpc_name(5), "NotFound");
        assert_eq!(grpc_name(16), "Unauthenticated");
        assert_eq!(grpc_name(99), "unrecognised");
        assert_eq!(grpc_name(-1), "unrecognised");
    }
}
