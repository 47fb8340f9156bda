//! Transport: one pooled reqwest client per configured provider, `x-api-key` auth, URL
//! building, and the retry loop every call goes through (`Client::execute`).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::agents::Agents;
use super::applications::Applications;
use super::clusters::Clusters;
use super::error::{one_line, Error, Operation, GRPC_NOT_FOUND};
use super::repositories::Repositories;
use super::response::{api_error, decode, has_entity, retry_after, Reply};
use super::scope::Scope;
use crate::secret::Secret;

/// Sent as `User-Agent` on every request.
pub const USER_AGENT: &str = concat!("terraform-provider-harness/", env!("CARGO_PKG_VERSION"));
/// How long the lookup after a cancelled create may take: the provider is stopping, so this
/// is short (within the 1.5 s a shutting-down provider gives operations in flight), but long
/// enough to record an object the create made before the stop.
pub const CANCELLED_CREATE_LOOKUP: std::time::Duration = std::time::Duration::from_secs(1);

/// Settings of one configured provider.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Gateway base URL, e.g. `https://app.harness.io/gateway`; the client adds `/gitops/api/v1`.
    pub endpoint: String,
    /// Sent as `accountIdentifier` and `routingId` on every call.
    pub account_id: String,
    /// Sent as the `x-api-key` header, nowhere else.
    pub api_key: Secret,
    /// Overall deadline of one client call, retries and backoff included.
    pub request_timeout: Duration,
    /// Retries after the first attempt, for retryable failures only.
    pub max_retries: u32,
}

/// Backoff between retries: attempt `n` (from 1) waits a random time in
/// `[d/2, d]` with `d = min(max, initial * 2^(n-1))` ("equal jitter"), unless the server sent
/// `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryBackoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for RetryBackoff {
    fn default() -> Self {
        RetryBackoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }
}

impl RetryBackoff {
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// The Harness GitOps API client. Cheap to clone (an `Arc` inside); all clones share one
/// connection pool and one cancellation token.
///
/// Every call ends by its deadline: `request_timeout` after it starts, or, for a client from
/// [`Client::with_deadline`], the operation's deadline when that comes first.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The deadline of the operation this client serves, if any.
    bound: Option<Arc<Bound>>,
}

/// An operation's deadline and how messages name it.
#[derive(Debug)]
struct Bound {
    at: Instant,
    label: String,
}

/// When one call must end, and what that limit is, for messages.
#[derive(Clone, Debug)]
pub(crate) struct Deadline {
    pub at: Instant,
    /// The time the call was given (from its start to `at`).
    pub allowed: Duration,
    /// The operation's limit (e.g. "`timeouts.create`") when it, not `request_timeout`, set `at`.
    pub label: Option<String>,
}

struct Inner {
    http: reqwest::Client,
    /// `{endpoint}/gitops/api/v1`.
    base: Url,
    /// The endpoint as configured, for messages.
    endpoint: String,
    account_id: String,
    api_key: HeaderValue,
    request_timeout: Duration,
    max_retries: u32,
    backoff: RetryBackoff,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("account_id", &self.inner.account_id)
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_retries", &self.inner.max_retries)
            .field("operation_deadline", &self.bound)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client with the default [`RetryBackoff`].
    ///
    /// `cancel` is the provider's stop signal: once cancelled, in-flight and later calls return
    /// [`Error::Cancelled`].
    ///
    /// # Errors
    /// [`Error::Config`] when the endpoint is not an absolute `http`/`https` URL (without
    /// credentials, query or fragment), the account id or API key is empty, the API key is not a
    /// valid header value, or `request_timeout` is zero.
    pub fn new(config: ClientConfig, cancel: CancellationToken) -> Result<Client, Error> {
        Client::with_backoff(config, cancel, RetryBackoff::default())
    }

    /// [`Client::new`] with an explicit backoff (tests use short ones).
    pub fn with_backoff(
        config: ClientConfig,
        cancel: CancellationToken,
        backoff: RetryBackoff,
    ) -> Result<Client, Error> {
        let config_error = |detail: &str| Error::Config {
            detail: detail.to_string(),
        };
        let base = base_url(&config.endpoint).map_err(|d| config_error(&d))?;
        if config.account_id.trim().is_empty() {
            return Err(config_error(
                "the account id is empty: set the provider's `account_id` or HARNESS_ACCOUNT_ID",
            ));
        }
        if config.api_key.is_empty() {
            return Err(config_error(
                "the API key is empty: set the provider's `api_key` or HARNESS_PLATFORM_API_KEY",
            ));
        }
        let mut api_key = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            config_error("the API key contains characters not allowed in an HTTP header (check for a trailing newline)")
        })?;
        api_key.set_sensitive(true);
        if config.request_timeout.is_zero() {
            return Err(config_error(
                "the request timeout must be greater than zero",
            ));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            // A redirect would carry x-api-key to wherever it points; refuse instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| {
                config_error(&format!("cannot build the HTTP client: {}", root_cause(&e)))
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                endpoint: config.endpoint.trim_end_matches('/').to_string(),
                account_id: config.account_id,
                api_key,
                request_timeout: config.request_timeout,
                max_retries: config.max_retries,
                backoff,
                cancel,
            }),
            bound: None,
        })
    }

    /// This client (same pool and cancellation) with an operation's deadline: each call ends
    /// at the earlier of `deadline` and `request_timeout` after it starts. A call cut by
    /// `deadline` fails with [`Error::Timeout`] naming `label`, how the deadline is known to
    /// the user (e.g. "`timeouts.create`"). A create cut by it is resolved like any create
    /// whose outcome is unknown (a lookup, else [`Error::CreateUnresolved`]).
    pub fn with_deadline(&self, deadline: std::time::Instant, label: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            bound: Some(Arc::new(Bound {
                at: Instant::from_std(deadline),
                label: label.into(),
            })),
        }
    }

    /// This client without an operation deadline (calls end `request_timeout` after they
    /// start), e.g. for work shared by several operations.
    pub fn without_deadline(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            bound: None,
        }
    }

    /// The provider's `request_timeout`: the longest one call (retries included) may take.
    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// GitOps repositories.
    pub fn repositories(&self) -> Repositories<'_> {
        Repositories::new(self)
    }

    /// GitOps clusters.
    pub fn clusters(&self) -> Clusters<'_> {
        Clusters::new(self)
    }

    /// Argo CD projects (`…/agents/{agent}/projects`).
    pub fn projects(&self) -> super::Projects<'_> {
        super::Projects::new(self)
    }

    /// Project mappings (`/api/v2/agents/{agent}/appprojectsmapping`).
    pub fn project_mappings(&self) -> super::ProjectMappings<'_> {
        super::ProjectMappings::new(self)
    }

    /// GitOps agents (`/api/v1/agents`).
    pub fn agents(&self) -> Agents<'_> {
        Agents::new(self)
    }

    /// GitOps applications.
    pub fn applications(&self) -> Applications<'_> {
        Applications::new(self)
    }

    /// ApplicationSets (`/api/v1/applicationset…`, project-scoped).
    pub fn applicationsets(&self) -> crate::ApplicationSets<'_> {
        crate::ApplicationSets::new(self)
    }

    /// Repository certificates (SSH known hosts, HTTPS).
    pub fn certificates(&self) -> crate::Certificates<'_> {
        crate::Certificates::new(self)
    }

    /// GnuPG public keys.
    pub fn gpg_keys(&self) -> crate::GpgKeys<'_> {
        crate::GpgKeys::new(self)
    }

    /// The endpoint as configured (trailing `/` removed).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The account id sent with every call.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// The deadline of one client call starting now: `request_timeout` from now, or the
    /// operation's deadline when that is earlier.
    pub(crate) fn deadline(&self) -> Deadline {
        let now = Instant::now();
        let own = now + self.inner.request_timeout;
        match &self.bound {
            Some(b) if b.at < own => Deadline {
                at: b.at,
                allowed: b.at.saturating_duration_since(now),
                label: Some(b.label.clone()),
            },
            _ => Deadline {
                at: own,
                allowed: self.inner.request_timeout,
                label: None,
            },
        }
    }

    /// Sends an idempotent call (retried on retryable failures) and decodes a 2xx body as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, Error> {
        let reply = self.execute(call, None).await?;
        decode(&call.op, &reply)
    }

    /// Sends an idempotent call and returns the 2xx body as bytes, JSON or not.
    pub(crate) async fn send_raw(&self, call: &Call<'_>) -> Result<Vec<u8>, Error> {
        Ok(self.execute(call, None).await?.body)
    }

    /// Like [`Client::send`], but HTTP 404 with gRPC code 5 and a 200 without the
    /// `entity_key` object are `Ok(None)`.
    pub(crate) async fn send_opt<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        entity_key: &str,
    ) -> Result<Option<T>, Error> {
        match self.lookup(call, entity_key).await? {
            Some(reply) => decode(&call.op, &reply).map(Some),
            None => Ok(None),
        }
    }

    /// Sends a create (POST, not idempotent). Before retrying after an attempt whose outcome is
    /// unknown (dropped connection, timeout, 502/503/504), and on a 409 after such an attempt,
    /// runs `lookup` (a GET of the entity; `entity_key` as in [`Client::send_opt`]) and returns
    /// what it finds instead of sending the POST again.
    pub(crate) async fn create<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        lookup: &Call<'_>,
        entity_key: &str,
    ) -> Result<T, Error> {
        let reply = self.execute(call, Some((lookup, entity_key))).await?;
        decode(&call.op, &reply)
    }

    /// Sends a DELETE; HTTP 404 with gRPC code 5 means already gone and is `Ok`.
    pub(crate) async fn delete(&self, call: &Call<'_>) -> Result<(), Error> {
        match self.execute(call, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// GET that maps "not there" to `None`.
    async fn lookup(&self, call: &Call<'_>, entity_key: &str) -> Result<Option<Reply>, Error> {
        // Boxed: `execute` calls `lookup` for creates, and async recursion needs indirection.
        match Box::pin(self.execute(call, None)).await {
            Ok(reply) => {
                let reply = call.picked(reply);
                Ok(has_entity(&reply.body, entity_key).then_some(reply))
            }
            Err(Error::Api {
                status: 404,
                code: Some(GRPC_NOT_FOUND),
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The retry loop. Retries connect errors, dropped connections, per-attempt timeouts, 429
    /// (after `Retry-After` seconds when given), 502, 503 and 504, up to `max_retries` times and
    /// within the call's deadline; cancellable at every await.
    ///
    /// `create`: the call is a non-idempotent create; see [`Client::create`]. Each create
    /// attempt leaves a reserve of the deadline so that a final lookup can still run after a
    /// timed-out attempt.
    async fn execute(
        &self,
        call: &Call<'_>,
        create: Option<(&Call<'_>, &str)>,
    ) -> Result<Reply, Error> {
        let inner = &*self.inner;
        let url = self.url(call)?;
        let reserve = match create {
            Some(_) => (call.deadline.allowed / 4).min(Duration::from_secs(15)),
            None => Duration::ZERO,
        };
        let mut attempts = 0u32;
        let mut ambiguous = false;
        loop {
            if inner.cancel.is_cancelled() {
                return Err(Error::Cancelled {
                    operation: call.op.clone(),
                });
            }
            if let Some(found) = self.resolve_create(call, create, ambiguous).await? {
                return Ok(found);
            }
            let budget = call
                .deadline
                .at
                .saturating_duration_since(Instant::now())
                .saturating_sub(reserve);
            if budget.is_zero() {
                return Err(self.timeout(call, attempts));
            }
            attempts += 1;
            let started = Instant::now();
            let failure = match self.attempt(call, &url, budget, true).await {
                Ok(reply) => {
                    // Never the query or body: only the operation and how it went.
                    tracing::debug!(operation = %call.op, attempt = attempts, elapsed_ms = started.elapsed().as_millis() as u64, "harness call succeeded");
                    return Ok(reply);
                }
                Err(f) => f,
            };
            tracing::debug!(operation = %call.op, attempt = attempts, error = %failure.error, retryable = failure.retryable, "harness call failed");
            if failure.error.is_cancelled() {
                // The POST may have reached Harness before the stop: find out, so the object
                // reaches state instead of being orphaned.
                return self.after_cancelled_create(call, create).await;
            }
            let error = failure.error.with_attempts(attempts);
            if !failure.retryable {
                // A 409 after an attempt that may have been applied: probably our own entity.
                let conflict = ambiguous && error.is_already_exists();
                if let Some(found) = self.resolve_create(call, create, conflict).await? {
                    return Ok(found);
                }
                return Err(error);
            }
            ambiguous |= failure.ambiguous && create.is_some();
            let delay = failure
                .retry_after
                .filter(|d| !d.is_zero())
                .unwrap_or_else(|| inner.backoff.delay(attempts));
            let wake = Instant::now() + delay;
            if attempts > inner.max_retries || wake + reserve >= call.deadline.at {
                if let Some(found) = self.resolve_create(call, create, ambiguous).await? {
                    return Ok(found);
                }
                return Err(if failure.timed_out {
                    self.timeout(call, attempts)
                } else {
                    error
                });
            }
            tokio::select! {
                biased;
                _ = inner.cancel.cancelled() => {
                    return if ambiguous {
                        self.after_cancelled_create(call, create).await
                    } else {
                        Err(Error::Cancelled { operation: call.op.clone() })
                    };
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// A create cancelled while its outcome is unknown: one lookup that ignores the
    /// cancellation (bounded by [`CANCELLED_CREATE_LOOKUP`]). Found: the create's reply.
    /// Not found: [`Error::Cancelled`]. Not checkable: [`Error::CancelledUnresolved`].
    async fn after_cancelled_create(
        &self,
        call: &Call<'_>,
        create: Option<(&Call<'_>, &str)>,
    ) -> Result<Reply, Error> {
        let cancelled = || Error::Cancelled {
            operation: call.op.clone(),
        };
        let Some((lookup, key)) = create else {
            return Err(cancelled());
        };
        let url = self.url(lookup)?;
        let result = self
            .attempt(lookup, &url, CANCELLED_CREATE_LOOKUP, false)
            .await;
        match result.map(|reply| lookup.picked(reply)) {
            Ok(reply) if has_entity(&reply.body, key) => {
                tracing::info!(operation = %call.op, "create cancelled, but the object exists: recording it");
                Ok(reply)
            }
            Ok(_) => Err(cancelled()),
            Err(f) if f.error.is_not_found() => Err(cancelled()),
            Err(f) => {
                tracing::warn!(operation = %call.op, error = %f.error, "create cancelled; could not check whether it was applied");
                Err(Error::CancelledUnresolved {
                    operation: call.op.clone(),
                })
            }
        }
    }

    /// For a create whose earlier attempt may have been applied (`when`): does the entity
    /// exist now? `Ok(None)` when not, or when there is nothing to check.
    /// A lookup that fails is [`Error::CreateUnresolved`] (unless cancelled): the caller must
    /// treat the object as possibly existing.
    async fn resolve_create(
        &self,
        call: &Call<'_>,
        create: Option<(&Call<'_>, &str)>,
        when: bool,
    ) -> Result<Option<Reply>, Error> {
        match create {
            Some((lookup, key)) if when => match self.lookup(lookup, key).await {
                Err(e) if !e.is_cancelled() => Err(Error::CreateUnresolved {
                    operation: call.op.clone(),
                    cause: e.to_string(),
                }),
                other => other,
            },
            _ => Ok(None),
        }
    }

    /// One HTTP exchange, bounded by `budget` and (when `cancellable`) the cancellation token.
    async fn attempt(
        &self,
        call: &Call<'_>,
        url: &Url,
        budget: Duration,
        cancellable: bool,
    ) -> Result<Reply, Failure> {
        let inner = &*self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), url.clone())
            .header("x-api-key", inner.api_key.clone())
            .timeout(budget);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        let stop = async {
            if cancellable {
                inner.cancel.cancelled().await
            } else {
                std::future::pending().await
            }
        };
        let result = tokio::select! {
            biased;
            _ = stop => {
                return Err(Failure::fatal(Error::Cancelled { operation: call.op.clone() }));
            }
            r = exchange => r,
        };
        match result {
            Ok((status, headers, body)) => self.classify(call, status, &headers, body.to_vec()),
            Err(e) => Err(self.transport_failure(call, e)),
        }
    }

    fn transport_failure(&self, call: &Call<'_>, e: reqwest::Error) -> Failure {
        let operation = call.op.clone();
        let endpoint = self.inner.endpoint.clone();
        let detail = root_cause(&e);
        let e = e.without_url();
        // A connect error means nothing reached the server: safe to retry even a create.
        let (connect, timed_out) = (e.is_connect(), e.is_timeout());
        let error = if connect {
            Error::Connect {
                operation,
                endpoint,
                detail,
                attempts: 1,
                source: e,
            }
        } else {
            Error::Transport {
                operation,
                endpoint,
                detail,
                attempts: 1,
                source: e,
            }
        };
        Failure {
            error,
            retryable: true,
            ambiguous: !connect,
            timed_out,
            retry_after: None,
        }
    }

    /// Sorts a response into success, retryable failure or final failure.
    fn classify(
        &self,
        call: &Call<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Reply, Failure> {
        let operation = || call.op.clone();
        let code = status.as_u16();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type");
        // An empty body is fine: delete answers `{}` or nothing, and some errors carry no body.
        let json =
            body.is_empty() || serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok();
        let not_json = || Error::NotJson {
            operation: operation(),
            endpoint: self.inner.endpoint.clone(),
            status: code,
            content_type: one_line(content_type),
            attempts: 1,
        };
        let (error, retryable, ambiguous, retry_after) = match code {
            200..=299 if json || call.raw => return Ok(Reply { status: code, body }),
            200..=299 => (not_json(), false, false, None),
            300..=399 => (
                Error::Redirect {
                    operation: operation(),
                    endpoint: self.inner.endpoint.clone(),
                    status: code,
                },
                false,
                false,
                None,
            ),
            _ => {
                let error = if json {
                    api_error(operation(), code, &body)
                } else {
                    not_json()
                };
                match code {
                    429 => (error, true, false, retry_after(headers)),
                    502..=504 => (error, true, true, None),
                    _ => (error, false, false, None),
                }
            }
        };
        Err(Failure {
            error,
            retryable,
            ambiguous,
            timed_out: false,
            retry_after,
        })
    }

    fn timeout(&self, call: &Call<'_>, attempts: u32) -> Error {
        Error::Timeout {
            operation: call.op.clone(),
            endpoint: self.inner.endpoint.clone(),
            timeout: call.deadline.allowed,
            attempts,
            limit: call.deadline.label.clone(),
        }
    }

    /// `{base}/agents/{agent}/{path…}?{scope query}&{call query}`, every segment
    /// percent-encoded (`/` included).
    fn url(&self, call: &Call<'_>) -> Result<Url, Error> {
        let invalid = |detail: String| Error::InvalidRequest {
            operation: call.op.clone(),
            detail,
        };
        if call.agent_path {
            call.scope.check(call.project_only).map_err(invalid)?;
        } else if call.scope.project_id().is_some() && call.scope.org_id().is_none() {
            return Err(invalid(
                "a project identifier was given without an org identifier".into(),
            ));
        }
        let mut url = self.inner.base.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| invalid("the endpoint cannot take a path".into()))?;
            if call.v2 {
                segments.pop().push("v2");
            }
            if call.under_agents {
                segments.push("agents");
            }
            let agent = call
                .agent_path
                .then_some(("agent identifier", call.scope.agent.as_str()));
            for (what, segment) in agent.into_iter().chain(call.path.iter().copied()) {
                // `url` silently drops "." and ".." segments; an empty one would change the route.
                if segment.is_empty() || segment == "." || segment == ".." {
                    return Err(invalid(format!(
                        "the {what} {segment:?} is not usable in a URL path"
                    )));
                }
                segments.push(segment);
            }
        }
        {
            let mut query = url.query_pairs_mut();
            let scope = if call.no_scope_query {
                Vec::new()
            } else {
                call.scope.query(&self.inner.account_id)
            };
            for (k, v) in scope.iter().chain(call.query.iter()) {
                query.append_pair(k, v);
            }
        }
        Ok(url)
    }
}

/// Picks an entity (by the call's target) out of a list answer; `None`: not there.
pub(crate) type Pick = fn(&str, &[u8]) -> Option<Vec<u8>>;

/// One client call, described once and sent as many times as the retry loop needs.
pub(crate) struct Call<'a> {
    pub op: Box<Operation>,
    pub method: Method,
    pub scope: &'a Scope,
    /// The kind is project-scoped only (applications).
    pub project_only: bool,
    /// Path after `agents/{agent}/`, as (what it is, value) for messages.
    pub path: Vec<(&'static str, &'a str)>,
    /// The path starts with `agents/{scope.agent}` (every per-agent kind); false for the
    /// agents' own calls, whose path after `agents/` is `path` alone.
    pub agent_path: bool,
    /// The path starts with `agents/` (false only for the few calls at the API root, such as
    /// `POST repocreds`, the template list).
    pub under_agents: bool,
    /// A 2xx body that is not JSON is accepted as is (the agent's YAML manifests).
    pub raw: bool,
    /// `/gitops/api/v2/…` instead of v1 (the project mappings).
    pub v2: bool,
    /// The scope query parameters are not sent (operations whose body carries the scope).
    pub no_scope_query: bool,
    /// Query parameters after the scope ones.
    pub query: Vec<(&'static str, String)>,
    /// For a lookup that is a list (a create's lookup when the entity has no client-known
    /// path id): picks the entity out of the answer, given `op.target`; `None` is "not there".
    pub pick: Option<Pick>,
    /// The JSON body, encoded once.
    pub body: Option<Vec<u8>>,
    pub deadline: Deadline,
}

impl<'a> Call<'a> {
    pub fn new(op: Operation, method: Method, scope: &'a Scope, deadline: Deadline) -> Self {
        Call {
            op: Box::new(op),
            method,
            scope,
            project_only: false,
            path: Vec::new(),
            agent_path: true,
            under_agents: true,
            raw: false,
            v2: false,
            no_scope_query: false,
            query: Vec::new(),
            pick: None,
            body: None,
            deadline,
        }
    }

    /// `reply` with its body replaced by what [`Call::pick`] selects (empty when nothing).
    pub(crate) fn picked(&self, reply: Reply) -> Reply {
        match self.pick {
            None => reply,
            Some(pick) => {
                let target = self.op.target.as_deref().unwrap_or_default();
                Reply {
                    status: reply.status,
                    body: pick(target, &reply.body).unwrap_or_default(),
                }
            }
        }
    }

    /// Encodes `body` as the JSON request body.
    pub fn json<B: serde::Serialize>(mut self, body: &B) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidRequest {
            operation: self.op.clone(),
            detail: format!(
                "cannot encode the request body: {}",
                one_line(&e.to_string())
            ),
        })?;
        self.body = Some(bytes);
        Ok(self)
    }
}

/// A failed attempt and how the retry loop should treat it.
struct Failure {
    error: Error,
    retryable: bool,
    /// The request may have been applied (matters for creates).
    ambiguous: bool,
    /// The attempt hit its time budget.
    timed_out: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(error: Error) -> Self {
        Failure {
            error,
            retryable: false,
            ambiguous: false,
            timed_out: false,
            retry_after: None,
        }
    }
}

impl Error {
    fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Error::Api { attempts, .. }
            | Error::NotJson { attempts, .. }
            | Error::Connect { attempts, .. }
            | Error::Transport { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }
}

/// `{endpoint}/gitops/api/v1`, or why the endpoint is unusable (without echoing it when it
/// may hold credentials).
fn base_url(endpoint: &str) -> Result<Url, String> {
    const HINT: &str = "set the provider's `endpoint` or HARNESS_ENDPOINT to an http(s) URL such as https://app.harness.io/gateway";
    let mut url = Url::parse(endpoint.trim())
        .map_err(|e| format!("the endpoint {endpoint:?} is not a URL ({e}); {HINT}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "the endpoint {endpoint:?} is not an http or https URL; {HINT}"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the endpoint must not contain a user name or password; {HINT}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the endpoint {endpoint:?} must not have a query or fragment; {HINT}"
        ));
    }
    url.path_segments_mut()
        .map_err(|_| format!("the endpoint {endpoint:?} cannot take a path; {HINT}"))?
        .pop_if_empty()
        .extend(["gitops", "api", "v1"]);
    Ok(url)
}

/// The innermost cause of a reqwest error ("Connection refused (os error 111)"), one line.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    one_line(&cause.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_appends_gitops_prefix() {
        let u = base_url("https://app.harness.io/gateway").unwrap();
        assert_eq!(u.as_str(), "https://app.harness.io/gateway/gitops/api/v1");
        let u = base_url("https://app.harness.io/gateway/").unwrap();
        assert_eq!(u.as_str(), "https://app.harness.io/gateway/gitops/api/v1");
        let u = base_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:8080/gitops/api/v1");
    }

    #[test]
    fn base_url_rejects_bad_endpoints_without_echoing_credentials() {
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("not a url").is_err());
        assert!(base_url("https://x/?a=b").is_err());
        let e = base_url("https://user:hunter2@x/").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let b = RetryBackoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
        };
        for _ in 0..50 {
            let d1 = b.delay(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = b.delay(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d9 = b.delay(40);
            assert!(
                d9 >= Duration::from_millis(400) && d9 <= Duration::from_millis(800),
                "{d9:?}"
            );
        }
    }
}
