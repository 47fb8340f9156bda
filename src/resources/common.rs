//! What every GitOps resource shares: the scope attributes (a flattened model) and their
//! inheritance from provider defaults, scope rules, import IDs, identifier checks, API error
//! diagnostics, and deriving a data source schema from a resource schema.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use harness_gitops_client as harness;
use tfplugin::ctx::Interrupt;
use tfplugin::tf::schema::{AttrKind, Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::{Model, Val};

use super::Ctx;
use crate::provider::Defaults;

/// How long a data source read may take in all (each call also ends within the provider's
/// `request_timeout`). Data sources have no `timeouts` block.
pub const DATA_SOURCE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How the data sources' deadline is named in messages.
pub const DATA_SOURCE_LIMIT: &str = "the data source's 5m read deadline";

/// The Harness client for one operation: every call it makes ends by the operation's
/// deadline (from `timeouts`, or the resource's default; [`DATA_SOURCE_TIMEOUT`] for a data
/// source) or `request_timeout` after it starts, whichever comes first. `limit` names the
/// deadline in messages, e.g. "`timeouts.create`".
pub fn client(ctx: &Ctx, limit: &str, diags: &mut Diagnostics) -> Option<harness::Client> {
    let client = ctx.provider.client(diags)?;
    let deadline = ctx
        .deadline
        .unwrap_or_else(|| Instant::now() + DATA_SOURCE_TIMEOUT);
    Some(client.with_deadline(deadline, limit))
}

/// An application that uses a repository or cluster being deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependent {
    pub name: String,
    /// It is being deleted (Argo CD is removing its resources).
    pub deleting: bool,
}

/// How long a delete refused because applications use the object is retried while nothing
/// shows progress (the count of users does not fall and none is seen being deleted). It
/// covers what Terraform deletes in parallel: without references between them, the
/// applications' deletes start at about the same time as this one.
pub const BLOCKED_DELETE_PATIENCE: Duration = Duration::from_secs(30);

/// A delete that did not succeed.
#[derive(Debug)]
pub enum DeleteFailure {
    /// The API refused or failed for another reason than users.
    Api(harness::Error),
    /// Applications still use the object after the retries.
    Blocked {
        error: harness::Error,
        /// The users, as last counted by the API.
        count: u32,
        /// Who they are, when they could be listed.
        dependents: Option<Vec<Dependent>>,
        /// How long the delete was retried.
        waited: Duration,
        /// Why the retries ended early, if they did.
        interrupted: Option<Interrupt>,
    },
}

/// Deletes a repository or cluster (`attempt`), retrying while the API refuses because
/// applications use it and they are going away: while the count of users the API reports
/// falls, or `dependents` (the users, `None` when they cannot be listed) shows one being
/// deleted, or for [`BLOCKED_DELETE_PATIENCE`] after the last such progress. Bounded by the
/// operation's deadline and StopProvider. This is how Terraform's parallel destroy of an
/// object and its unreferenced users (e.g. adopted with generated configuration) succeeds.
pub async fn delete_when_unused<A, AF, L, LF>(
    ctx: &Ctx,
    patience: Duration,
    mut attempt: A,
    mut dependents: L,
) -> Result<(), DeleteFailure>
where
    A: FnMut() -> AF,
    AF: Future<Output = Result<(), harness::Error>>,
    L: FnMut() -> LF,
    LF: Future<Output = Option<Vec<Dependent>>>,
{
    let started = Instant::now();
    let mut progress_at = started;
    let mut last_count: Option<u32> = None;
    let mut delay = Duration::from_millis(500);
    loop {
        let error = match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(count) = error.blocking_dependents() else {
            return Err(DeleteFailure::Api(error));
        };
        let users = dependents().await;
        let deleting = users.iter().flatten().any(|d| d.deleting);
        if last_count.is_some_and(|l| count < l) || deleting {
            progress_at = Instant::now();
        }
        last_count = Some(count);
        let blocked = |interrupted| DeleteFailure::Blocked {
            error,
            count,
            dependents: users,
            waited: started.elapsed(),
            interrupted,
        };
        if progress_at.elapsed() >= patience {
            return Err(blocked(None));
        }
        tracing::info!(
            users = count,
            deleting,
            "delete refused while applications use the object; retrying"
        );
        if let Err(i) = ctx.sleep(delay).await {
            return Err(blocked(Some(i)));
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// The applications in `scope` for which `uses` holds, for [`delete_when_unused`]. `None`
/// when they cannot be listed: applications live in projects, so an account or org scope
/// cannot be searched, and a failed list is not worth failing the delete for.
pub async fn applications_using(
    client: &harness::Client,
    scope: &harness::Scope,
    uses: impl Fn(&harness::models::Application) -> bool,
) -> Option<Vec<Dependent>> {
    scope.project.as_ref()?;
    let list = match client.applications().list(scope).await {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!(error = %e, "could not list the applications that block a delete");
            return None;
        }
    };
    Some(
        list.items
            .unwrap_or_default()
            .iter()
            .filter(|a| uses(a))
            .map(|a| {
                let meta = a.metadata.as_ref();
                Dependent {
                    name: meta.and_then(|m| m.name.clone()).unwrap_or_default(),
                    deleting: meta.is_some_and(|m| m.deletion_timestamp.is_some()),
                }
            })
            .collect(),
    )
}

/// The diagnostic of a failed [`delete_when_unused`]: for a blocked delete it names the
/// applications and what the user can do (`force_delete`, or references so that Terraform
/// deletes the applications first).
pub fn delete_error(
    diags: &mut Diagnostics,
    summary: &str,
    kind: &str,
    identifier: &str,
    reference: &str,
    failure: &DeleteFailure,
) {
    let DeleteFailure::Blocked {
        error,
        count,
        dependents,
        waited,
        interrupted,
    } = failure
    else {
        if let DeleteFailure::Api(e) = failure {
            api_error(diags, summary, e);
        }
        return;
    };
    let who = match dependents {
        Some(d) if !d.is_empty() => {
            let names: Vec<String> = d
                .iter()
                .map(|d| {
                    if d.deleting {
                        format!("{:?} (being deleted)", d.name)
                    } else {
                        format!("{:?}", d.name)
                    }
                })
                .collect();
            format!(": {}", names.join(", "))
        }
        _ => String::new(),
    };
    let why = match interrupted {
        Some(i) => format!("the retries stopped because {i}"),
        None => format!(
            "it was retried for {}s and they are not going away",
            waited.as_secs()
        ),
    };
    diags.error(
        summary,
        format!(
            "{error}\n\nThe {kind} {identifier:?} is still used by {count} application(s){who}; {why}. Delete those \
             applications or point them elsewhere first: in Terraform, refer to this {kind} from them (e.g. \
             `{reference}`) so that Terraform deletes them before it. Or set `force_delete = true` on this {kind} and \
             apply before destroying, to delete it while they still use it."
        ),
    );
}

/// The scope every GitOps entity lives in. Inherited from the provider when unset; a change
/// replaces the object (it lives in another scope then). Flattened into each resource model.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Scope {
    /// GitOps agent that owns the object, with its scope prefix: `account.<id>` for an
    /// account-level agent, `org.<id>` for an org-level agent, `<id>` for a project-level
    /// agent. Defaults to the provider's `agent_id`. Changing it replaces the object.
    #[tf(optional_computed, requires_replace)]
    pub agent_id: Val<String>,
    /// Organization identifier; unset (with no provider default) for an account-level
    /// object. Defaults to the provider's `org_id`. Changing it replaces the object.
    #[tf(optional_computed, requires_replace)]
    pub org_id: Val<String>,
    /// Project identifier; requires `org_id`. Defaults to the provider's `project_id`.
    /// Changing it replaces the object.
    #[tf(optional_computed, requires_replace)]
    pub project_id: Val<String>,
}

impl Scope {
    /// Fills unset attributes from the provider defaults (which may be unknown: then so is
    /// the planned value) and checks the scope rules on what is known. Without provider data
    /// the pipeline's values stay.
    pub fn plan(&mut self, config: &Scope, defaults: Option<&Defaults>, diags: &mut Diagnostics) {
        if let Some(d) = defaults {
            for (planned, configured, default) in [
                (&mut self.agent_id, &config.agent_id, &d.agent_id),
                (&mut self.org_id, &config.org_id, &d.org_id),
                (&mut self.project_id, &config.project_id, &d.project_id),
            ] {
                if configured.is_null() {
                    *planned = default.clone();
                }
            }
        }
        self.check(diags);
    }

    /// Scope rules that hold for every GitOps entity, checked on known values only.
    pub fn check(&self, diags: &mut Diagnostics) {
        let at = |n: &str| AttributePath::attr(n);
        if self.agent_id.is_null() {
            diags.error_at(
                at(Scope::AGENT_ID),
                "Missing GitOps Agent",
                "Set `agent_id` on the resource or `agent_id` in the provider block (with its scope prefix, e.g. \"account.myagent\").",
            );
        }
        let (org, project) = (&self.org_id, &self.project_id);
        if org.is_null() && project.is_known() {
            diags.error_at(
                at(Scope::PROJECT_ID),
                "Project Without Organization",
                "`project_id` requires `org_id`: a project always lives in an organization.",
            );
        }
        let Some(a) = self.agent_id.as_deref() else {
            return;
        };
        if a.is_empty() || a.contains('/') {
            diags.error_at(
                at(Scope::AGENT_ID),
                "Invalid Agent Identifier",
                format!("{a:?} is not an agent identifier."),
            );
        } else if a.starts_with("org.") && org.is_null() {
            diags.error_at(
                at(Scope::ORG_ID),
                "Organization Required By Agent Scope",
                format!(
                    "Agent {a:?} is an org-level agent; set `org_id` (or the provider's `org_id`)."
                ),
            );
        } else if !a.starts_with("org.")
            && !a.starts_with("account.")
            && (org.is_null() || project.is_null())
            && !org.is_unknown()
            && !project.is_unknown()
        {
            diags.error_at(
                at(Scope::AGENT_ID),
                "Project Agent Needs Organization And Project",
                format!(
                    "Agent {a:?} has no scope prefix, so it is a project-level agent and needs `org_id` and `project_id`. \
                     For an account-level agent write \"account.{a}\", for an org-level one \"org.{a}\"."
                ),
            );
        }
    }

    /// The API scope (known values; empty strings count as unset).
    pub fn api(&self) -> harness::Scope {
        harness::Scope {
            org: self.org_id.non_empty().map(str::to_string),
            project: self.project_id.non_empty().map(str::to_string),
            agent: self.agent_id.as_deref().unwrap_or_default().to_string(),
        }
    }

    /// The import ID of an object with this scope and identifier: unknown while any part is
    /// unknown (a plan must not promise it), null when a part is missing.
    pub fn import_id(&self, identifier: &Val<String>) -> Val<String> {
        if [&self.agent_id, &self.org_id, &self.project_id, identifier]
            .iter()
            .any(|v| v.is_unknown())
        {
            return Val::Unknown;
        }
        let s = self.api();
        match (
            identifier.as_deref(),
            s.project.is_some() && s.org.is_none(),
        ) {
            (Some(id), false) if !s.agent.is_empty() => Val::Known(
                ScopedId {
                    org: s.org,
                    project: s.project,
                    agent: s.agent,
                    identifier: id.to_string(),
                }
                .to_string(),
            ),
            _ => Val::Null,
        }
    }

    /// The scope of a parsed import ID.
    pub fn of_import(id: &ScopedId) -> Scope {
        Scope {
            agent_id: Val::Known(id.agent.clone()),
            org_id: Val::from_option(id.org.clone()),
            project_id: Val::from_option(id.project.clone()),
        }
    }
}

/// The rule for the `argo_project` of a repository or cluster (`kind`): an Argo CD project
/// belongs to a Harness project, so it can only be set at project level. `scope` is the
/// planned scope (with provider defaults), `configured` the configured `argo_project`.
pub fn check_argo_project(
    scope: &Scope,
    configured: &Val<String>,
    kind: &str,
    diags: &mut Diagnostics,
) {
    if !configured.is_null() && scope.project_id.is_null() {
        diags.error_at(
            AttributePath::attr("argo_project"),
            "Argo Project Needs A Project",
            format!(
                "`argo_project` can only be set on a project-level {kind}: set `project_id` (and `org_id`), here or in \
                 the provider."
            ),
        );
    }
}

/// Checks a Harness identifier: 1 to 128 characters, a letter or `_` first, then letters,
/// digits or `_`, the rule Harness applies to every entity identifier. (A `validate =`
/// check: gets known values only.)
pub fn identifier(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(id) = v.as_str() else { return };
    let mut chars = id.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || id.len() > 128 {
        diags.error_at(
            path.clone(),
            "Invalid Harness Identifier",
            format!(
                "{id:?} is not a Harness identifier: use 1 to 128 letters, digits or '_', starting with a letter \
                 or '_' (e.g. {:?}).",
                id.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            ),
        );
    }
}

/// A positive whole number (a `validate =` check).
pub fn positive(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(n) = v.as_number() {
        if n.as_i64().is_none_or(|n| n <= 0) {
            diags.error_at(
                path.clone(),
                "Invalid Number",
                format!("Expected a positive whole number, got {n}."),
            );
        }
    }
}

/// A DNS-1123 subdomain (service account names).
pub fn dns_subdomain(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(s) = v.as_str() else { return };
    let ok = !s.is_empty()
        && s.len() <= 200
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !ok {
        diags.error_at(
            path.clone(),
            "Invalid Kubernetes Name",
            format!("{s:?} is not a valid name: use at most 200 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."),
        );
    }
}

/// A DNS-1123 label (namespaces).
pub fn dns_label(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(s) = v.as_str() else { return };
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        diags.error_at(
            path.clone(),
            "Invalid Namespace",
            format!("{s:?} is not a valid namespace: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit."),
        );
    }
}

/// An import ID: `agent_id/identifier`, `org_id/agent_id/identifier` or
/// `org_id/project_id/agent_id/identifier` (the official provider's forms; the agent comes
/// after org and project). No part may be empty or contain `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopedId {
    pub org: Option<String>,
    pub project: Option<String>,
    pub agent: String,
    pub identifier: String,
}

impl FromStr for ScopedId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.trim().is_empty()) {
            return Err(format!("{s:?} has an empty part"));
        }
        let own = |p: &str| p.to_string();
        match parts.as_slice() {
            [agent, id] => Ok(ScopedId {
                org: None,
                project: None,
                agent: own(agent),
                identifier: own(id),
            }),
            [org, agent, id] => Ok(ScopedId {
                org: Some(own(org)),
                project: None,
                agent: own(agent),
                identifier: own(id),
            }),
            [org, project, agent, id] => Ok(ScopedId {
                org: Some(own(org)),
                project: Some(own(project)),
                agent: own(agent),
                identifier: own(id),
            }),
            _ => Err(format!("{s:?} has {} parts", parts.len())),
        }
    }
}

impl fmt::Display for ScopedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.org {
            write!(f, "{o}/")?;
        }
        if let Some(p) = &self.project {
            write!(f, "{p}/")?;
        }
        write!(f, "{}/{}", self.agent, self.identifier)
    }
}

impl ScopedId {
    /// Parses an import ID, adding a diagnostic that shows good examples on failure.
    pub fn parse_import(id: &str, kind: &str, diags: &mut Diagnostics) -> Option<ScopedId> {
        match id.parse::<ScopedId>() {
            Ok(s) => Some(s),
            Err(why) => {
                diags.error(
                    "Invalid Import ID",
                    format!(
                        "{why}. Import a {kind} with one of:\n  agent_id/identifier                         (account level, e.g. account.myagent/manifests)\n  org_id/agent_id/identifier                  (org level, e.g. default/org.myagent/manifests)\n  org_id/project_id/agent_id/identifier       (project level, e.g. default/mlplatform/myagent/manifests)"
                    ),
                );
                None
            }
        }
    }
}

/// The rule of a kind that lives in a Harness project (`kind` is "application" or
/// "ApplicationSet"): `org_id` and `project_id` are set, from configuration or the provider's
/// defaults. With `at_attributes`, each missing one is reported at its attribute (a plan);
/// else once for the whole scope (a data source's lookup).
pub fn require_project_scope(
    scope: &Scope,
    kind: &str,
    at_attributes: bool,
    diags: &mut Diagnostics,
) {
    let title = format!("{}s Are Project-Scoped", upper_first(kind));
    let detail = format!(
        "A GitOps {kind} lives in a Harness project: set `org_id` and `project_id`, here or in the provider block."
    );
    if !at_attributes {
        if scope.org_id.is_null() || scope.project_id.is_null() {
            diags.error(title, detail);
        }
        return;
    }
    for (v, name) in [
        (&scope.org_id, Scope::ORG_ID),
        (&scope.project_id, Scope::PROJECT_ID),
    ] {
        if v.is_null() {
            diags.error_at(AttributePath::attr(name), title.clone(), detail.clone());
        }
    }
}

/// Parses the import ID of a project-scoped kind (`org_id/project_id/agent_id/name`).
pub fn parse_project_import(id: &str, kind: &str, diags: &mut Diagnostics) -> Option<ScopedId> {
    let sid = ScopedId::parse_import(id, kind, diags)?;
    if sid.org.is_none() || sid.project.is_none() {
        diags.error(
            "Invalid Import ID",
            format!(
                "{id:?}: {kind}s are project-scoped; import one with org_id/project_id/agent_id/name, e.g. \
                 default/mlplatform/mlagent/training."
            ),
        );
        return None;
    }
    Some(sid)
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Adds an error diagnostic for a failed API call. The message never contains secrets: the
/// client's errors are built without request bodies.
pub fn api_error(diags: &mut Diagnostics, summary: &str, err: &harness::Error) {
    diags.error(summary, err.to_string());
}

/// Like [`api_error`] for a create, telling the user how to take over an object that already
/// exists (HTTP 409, gRPC code 6).
pub fn create_error(
    diags: &mut Diagnostics,
    summary: &str,
    err: &harness::Error,
    kind: &str,
    import_id: Option<String>,
) {
    if err.is_already_exists() {
        let how = import_id
            .map(|id| format!("import it (`terraform import <address> {id}` or an `import` block with id = \"{id}\")"))
            .unwrap_or_else(|| "import it".to_string());
        diags.error(
            summary,
            format!("{err}\n\nA {kind} with this identifier already exists. To manage it, {how}, or set `upsert = true` to adopt it on create."),
        );
    } else {
        api_error(diags, summary, err);
    }
}

/// An optional string from the API, normalised against the prior value: empty and absent
/// mean null, unless the prior value says the user wrote `""`.
pub fn api_str(api: Option<&str>, prior: &Val<String>) -> Val<String> {
    match api.filter(|s| !s.is_empty()) {
        Some(s) => Val::Known(s.to_string()),
        None if prior.as_deref() == Some("") => Val::Known(String::new()),
        None => Val::Null,
    }
}

/// Fails the apply (keeping the state) when the agent reports it cannot connect to the
/// repository or cluster it was `what` ("created", "updated"): an error at `at`, the
/// attribute that says where to connect. `kind` is capitalised ("Repository").
pub fn check_connection(
    status: &Val<String>,
    message: &Val<String>,
    kind: &str,
    what: &str,
    at: &str,
    diags: &mut Diagnostics,
) {
    if status.as_deref() == Some("Failed") {
        diags.error_at(
            AttributePath::attr(at),
            format!("GitOps {kind} Connection Failed"),
            format!(
                "The {} was {what}, but the GitOps agent cannot connect to it: {}\n\nIt is recorded in state (a \
                 new one is marked tainted); fix `{at}` or the credentials and apply again.",
                kind.to_lowercase(),
                message.as_deref().unwrap_or("no message")
            ),
        );
    }
}

/// A model with every unknown made null (for states returned with an error: a state is
/// always wholly known).
pub fn without_unknowns<M: Model>(m: &M) -> M {
    M::from_object(&m.to_value().unknowns_to_null()).unwrap_or_else(|_| m.clone())
}

/// What to record after a failed create. A create that may have been applied and could not
/// be checked ([`harness::Error::is_create_unresolved`]: its response was lost, then the
/// lookup failed too) records `planned` with its unknowns made null, which Terraform marks
/// tainted because of the error: the object is never lost. The next refresh finds out: gone,
/// it is created again; there, it is replaced. Any other failure records nothing.
pub fn failed_create_state<M: Model>(
    err: &harness::Error,
    planned: &M,
    kind: &str,
    diags: &mut Diagnostics,
) -> Option<M> {
    if !err.is_create_unresolved() {
        return None;
    }
    diags.warning(
        "Create Outcome Unknown",
        format!(
            "The {kind} may have been created. It is recorded in state, marked tainted, so it cannot be lost: the next \
             apply checks whether it exists, then replaces it if it does and creates it if it does not."
        ),
    );
    Some(without_unknowns(planned))
}

/// A data source schema derived from a resource schema: `inputs` stay (made required or
/// optional as given), everything else not secret becomes computed (nested attributes
/// too); secrets, write-only values and the names in `leave_out` are left out, and so are
/// nested blocks.
pub fn data_source_schema(
    resource: &Schema,
    description: &str,
    inputs: &[(&str, Constraint)],
    leave_out: &[&str],
) -> Schema {
    fn computed(a: &mut tfplugin::tf::schema::Attribute) {
        a.constraint = Constraint::Computed;
        a.default = None;
        a.requires_replace = false;
        a.keep_prior = false;
        a.validators.clear();
        a.equivalence = None;
        if let AttrKind::Nested { attributes, .. } = &mut a.kind {
            attributes.retain(|n| !n.sensitive && !n.write_only);
            attributes.iter_mut().for_each(computed);
        }
    }
    let mut attrs = Vec::new();
    for a in &resource.block.attributes {
        if a.sensitive || a.write_only || leave_out.contains(&a.name.as_str()) {
            continue;
        }
        let mut a = a.clone();
        match inputs.iter().find(|(n, _)| *n == a.name) {
            Some((_, c)) => {
                a.constraint = *c;
                a.default = None;
                a.requires_replace = false;
                a.keep_prior = false;
            }
            None => computed(&mut a),
        }
        attrs.push(a);
    }
    let description = format!(
        "{description} A read takes at most 5 minutes, each call at most the provider's `request_timeout`."
    );
    Schema::new(0, &description, attrs)
}

/// The data source's value: the resource's state shape reduced to the data source schema.
pub fn data_source_value(schema: &Schema, full: &Value) -> Value {
    fn reduce(attrs: &[tfplugin::tf::schema::Attribute], v: &Value) -> Value {
        let Some(m) = v.as_object() else {
            return v.clone();
        };
        Value::Object(
            attrs
                .iter()
                .map(|a| {
                    let x = m.get(&a.name).cloned().unwrap_or(Value::Null);
                    let x = match (a.nested_attributes(), x) {
                        (Some((_, inner)), Value::List(items)) => {
                            Value::List(items.iter().map(|e| reduce(inner, e)).collect())
                        }
                        (Some((_, inner)), Value::Set(items)) => {
                            Value::Set(items.iter().map(|e| reduce(inner, e)).collect())
                        }
                        (Some((_, inner)), Value::Map(items)) => Value::Map(
                            items
                                .iter()
                                .map(|(k, e)| (k.clone(), reduce(inner, e)))
                                .collect(),
                        ),
                        (Some((_, inner)), o @ Value::Object(_)) => reduce(inner, &o),
                        (_, x) => x,
                    };
                    (a.name.clone(), x)
                })
                .collect(),
        )
    }
    reduce(&schema.block.attributes, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_scope_rule_names_the_kind_and_the_missing_attributes() {
        let scope = Scope {
            org_id: Val::Known("default".into()),
            ..Default::default()
        };
        let mut d = Diagnostics::new();
        require_project_scope(&scope, "ApplicationSet", true, &mut d);
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(d.0[0].summary, "ApplicationSets Are Project-Scoped");
        assert_eq!(
            d.0[0].path.as_ref().map(|p| p.to_string()).as_deref(),
            Some("project_id")
        );
        assert!(d.0[0]
            .detail
            .contains("A GitOps ApplicationSet lives in a Harness project"));

        let mut d = Diagnostics::new();
        require_project_scope(&Scope::default(), "application", false, &mut d);
        assert_eq!(d.0.len(), 1, "one error for the whole scope: {d:?}");
        assert_eq!(d.0[0].summary, "Applications Are Project-Scoped");
        assert!(d.0[0].path.is_none());

        let full = Scope {
            org_id: Val::Known("default".into()),
            project_id: Val::Known("ml".into()),
            ..Default::default()
        };
        let mut d = Diagnostics::new();
        require_project_scope(&full, "application", true, &mut d);
        assert!(d.0.is_empty(), "{d:?}");
    }

    #[test]
    fn project_import_ids_need_org_and_project() {
        let mut d = Diagnostics::new();
        let sid = parse_project_import("default/ml/agent1/train", "ApplicationSet", &mut d);
        assert!(d.0.is_empty(), "{d:?}");
        assert_eq!(sid.map(|s| s.identifier), Some("train".to_string()));

        let mut d = Diagnostics::new();
        assert!(parse_project_import("agent1/train", "application", &mut d).is_none());
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert!(
            d.0[0].detail.contains("applications are project-scoped"),
            "{d:?}"
        );
    }

    mod blocked_delete {
        use super::*;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        use tfplugin::ctx::Private;
        use tokio_util::sync::CancellationToken;

        fn ctx(deadline: Duration) -> Ctx {
            let data = crate::provider::ProviderData {
                client: None,
                defaults: Defaults::default(),
                kubernetes: None,
                app_watch: Default::default(),
                projects: Default::default(),
            };
            Ctx::new(
                Arc::new(data),
                CancellationToken::new(),
                Some(Instant::now() + deadline),
                Private::default(),
            )
        }

        fn refused(message: &str) -> harness::Error {
            harness::Error::Api {
                operation: Box::new(harness::Operation {
                    action: "delete",
                    kind: "cluster",
                    target: Some("gpu".into()),
                    agent: "a".into(),
                }),
                status: 400,
                code: Some(9),
                message: message.into(),
                attempts: 1,
            }
        }

        /// Answers the scripted results in turn (the last one repeats), counting attempts.
        struct Script {
            answers: Mutex<Vec<Result<(), harness::Error>>>,
            attempts: AtomicUsize,
        }

        impl Script {
            fn new(answers: Vec<Result<(), harness::Error>>) -> Script {
                Script {
                    answers: Mutex::new(answers),
                    attempts: AtomicUsize::new(0),
                }
            }
            async fn attempt(&self) -> Result<(), harness::Error> {
                self.attempts.fetch_add(1, Ordering::SeqCst);
                let mut a = self.answers.lock().unwrap();
                if a.len() > 1 {
                    a.remove(0)
                } else {
                    match &a[0] {
                        Ok(()) => Ok(()),
                        Err(e) => Err(refused(e.server_message().unwrap_or_default())),
                    }
                }
            }
        }

        const SHORT: Duration = Duration::from_millis(100);

        #[tokio::test]
        async fn retries_while_the_count_falls() {
            let s = Script::new(vec![
                Err(refused("cluster is used by 3 application(s)")),
                Err(refused("cluster is used by 2 application(s)")),
                Err(refused("cluster is used by 1 application(s)")),
                Ok(()),
            ]);
            let r = delete_when_unused(
                &ctx(Duration::from_secs(60)),
                SHORT,
                || s.attempt(),
                || async { None },
            )
            .await;
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(s.attempts.load(Ordering::SeqCst), 4);
        }

        #[tokio::test]
        async fn retries_while_a_dependent_is_being_deleted() {
            let s = Script::new(vec![
                Err(refused("cluster is used by 1 application(s)")),
                Err(refused("cluster is used by 1 application(s)")),
                Err(refused("cluster is used by 1 application(s)")),
                Ok(()),
            ]);
            let deleting = || async {
                Some(vec![Dependent {
                    name: "trainer".into(),
                    deleting: true,
                }])
            };
            let r = delete_when_unused(
                &ctx(Duration::from_secs(60)),
                SHORT,
                || s.attempt(),
                deleting,
            )
            .await;
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(s.attempts.load(Ordering::SeqCst), 4);
        }

        #[tokio::test]
        async fn gives_up_naming_the_dependents_when_nothing_moves() {
            let s = Script::new(vec![Err(refused("cluster is used by 1 application(s)"))]);
            let staying = || async {
                Some(vec![Dependent {
                    name: "trainer".into(),
                    deleting: false,
                }])
            };
            let started = Instant::now();
            let r = delete_when_unused(
                &ctx(Duration::from_secs(60)),
                SHORT,
                || s.attempt(),
                staying,
            )
            .await;
            assert!(started.elapsed() < Duration::from_secs(5));
            let Err(failure) = r else { panic!("must fail") };
            assert!(
                matches!(
                    &failure,
                    DeleteFailure::Blocked {
                        count: 1,
                        interrupted: None,
                        ..
                    }
                ),
                "{failure:?}"
            );
            let mut d = Diagnostics::new();
            delete_error(
                &mut d,
                "Unable to Delete GitOps Cluster",
                "cluster",
                "gpu",
                "cluster_id = x",
                &failure,
            );
            let text = &d.0[0].detail;
            assert!(
                text.contains("cluster is used by 1 application(s)")
                    && text.contains("still used by 1 application(s): \"trainer\"")
                    && text.contains("force_delete = true")
                    && text.contains("`cluster_id = x`"),
                "{text}"
            );
        }

        #[tokio::test]
        async fn the_deadline_ends_the_retries() {
            let s = Script::new(vec![Err(refused("cluster is used by 1 application(s)"))]);
            let deleting = || async {
                Some(vec![Dependent {
                    name: "trainer".into(),
                    deleting: true,
                }])
            };
            let started = Instant::now();
            let r = delete_when_unused(
                &ctx(Duration::from_millis(1200)),
                Duration::from_secs(600),
                || s.attempt(),
                deleting,
            )
            .await;
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{:?}",
                started.elapsed()
            );
            assert!(
                matches!(
                    r,
                    Err(DeleteFailure::Blocked {
                        interrupted: Some(Interrupt::DeadlineExceeded),
                        ..
                    })
                ),
                "{r:?}"
            );
        }

        #[tokio::test]
        async fn other_errors_are_not_retried() {
            let s = Script::new(vec![Err(harness::Error::Api {
                operation: Box::new(harness::Operation {
                    action: "delete",
                    kind: "cluster",
                    target: None,
                    agent: "a".into(),
                }),
                status: 403,
                code: Some(7),
                message: "denied".into(),
                attempts: 1,
            })]);
            let r = delete_when_unused(
                &ctx(Duration::from_secs(60)),
                SHORT,
                || s.attempt(),
                || async { None },
            )
            .await;
            assert!(matches!(r, Err(DeleteFailure::Api(_))), "{r:?}");
            assert_eq!(s.attempts.load(Ordering::SeqCst), 1);
        }
    }

    #[test]
    fn a_failed_connection_is_an_error_at_the_attribute_that_says_where() {
        let run = |status: &str| {
            let mut d = Diagnostics::new();
            check_connection(
                &status.into(),
                &"dial tcp: refused".into(),
                "Cluster",
                "updated",
                "server",
                &mut d,
            );
            d
        };
        assert!(run("Successful").is_empty());
        let d = run("Failed");
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(d.0[0].summary, "GitOps Cluster Connection Failed");
        assert_eq!(d.0[0].path, Some(AttributePath::attr("server")));
        assert!(
            d.0[0].detail.contains("The cluster was updated")
                && d.0[0].detail.contains("dial tcp: refused"),
            "{}",
            d.0[0].detail
        );
    }

    #[test]
    fn argo_project_needs_a_project_level_scope() {
        let run = |s: &Scope, p: Val<String>| {
            let mut d = Diagnostics::new();
            check_argo_project(s, &p, "cluster", &mut d);
            d
        };
        let account = scope("account.a", None, None);
        assert!(run(&account, Val::Null).is_empty());
        let d = run(&account, "team".into());
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(d.0[0].path, Some(AttributePath::attr("argo_project")));
        assert!(d.0[0].detail.contains("project-level cluster"), "{d:?}");
        assert!(run(&scope("a", Some("o"), Some("p")), "team".into()).is_empty());
    }

    #[test]
    fn import_ids_round_trip_and_are_unambiguous() {
        for s in ["account.a/repo", "org1/org.a/repo", "org1/proj/agent/repo"] {
            let id: ScopedId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
        }
        let p: ScopedId = "o/p/a/i".parse().unwrap();
        assert_eq!(
            (
                p.org.as_deref(),
                p.project.as_deref(),
                p.agent.as_str(),
                p.identifier.as_str()
            ),
            (Some("o"), Some("p"), "a", "i")
        );
        for bad in ["", "x", "a//b", "/a/b", "a/b/c/d/e", "a/ /b"] {
            assert!(bad.parse::<ScopedId>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn identifiers() {
        let errs = |id: &str| {
            let mut d = Diagnostics::new();
            identifier(
                &Value::string(id),
                &AttributePath::attr("identifier"),
                &mut d,
            );
            d.0.len()
        };
        assert_eq!(errs("ml_manifests2"), 0);
        assert_eq!(errs("_x"), 0);
        for bad in ["", "ml-manifests", "2abc", "a b", &"a".repeat(129)] {
            assert_eq!(errs(bad), 1, "{bad:?}");
        }
    }

    fn scope(agent: &str, org: Option<&str>, project: Option<&str>) -> Scope {
        Scope {
            agent_id: agent.into(),
            org_id: Val::from_option(org.map(String::from)),
            project_id: Val::from_option(project.map(String::from)),
        }
    }

    #[test]
    fn scope_rules() {
        let errs = |s: &Scope| {
            let mut d = Diagnostics::new();
            s.check(&mut d);
            d.0.into_iter()
                .map(|d| d.path.map(|p| p.to_string()).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert!(errs(&scope("account.a", None, None)).is_empty());
        assert!(errs(&scope("account.a", Some("o"), Some("p"))).is_empty());
        assert_eq!(errs(&scope("org.a", None, None)), vec!["org_id"]);
        assert_eq!(errs(&scope("a", Some("o"), None)), vec!["agent_id"]);
        assert_eq!(
            errs(&scope("account.a", None, Some("p"))),
            vec!["project_id"]
        );
        let mut unknown_org = scope("a", None, Some("p"));
        unknown_org.org_id = Val::Unknown;
        assert!(
            errs(&unknown_org).is_empty(),
            "unknown values are not judged"
        );
    }

    #[test]
    fn import_id_is_unknown_while_any_part_is() {
        // Regression: an unknown agent_id (from another resource's output) was read as ""
        // and the plan promised the ID "/r1", which apply contradicted.
        let id: Val<String> = "r1".into();
        assert_eq!(
            scope("account.agent1", None, None).import_id(&id),
            Val::Known("account.agent1/r1".into())
        );
        let mut s = scope("account.agent1", None, None);
        s.agent_id = Val::Unknown;
        assert_eq!(s.import_id(&id), Val::Unknown);
        assert_eq!(
            scope("account.a", None, None).import_id(&Val::Unknown),
            Val::Unknown
        );
        let mut s = scope("a", Some("o"), None);
        s.project_id = Val::Unknown;
        assert_eq!(s.import_id(&id), Val::Unknown);
        assert_eq!(
            scope("a", Some("o"), Some("p")).import_id(&id),
            Val::Known("o/p/a/r1".into())
        );
    }

    #[test]
    fn provider_defaults_fill_unset_scope_unknown_ones_stay_unknown() {
        let defaults = Defaults {
            agent_id: Val::Unknown,
            org_id: "o".into(),
            project_id: "p".into(),
        };
        let config = Scope {
            agent_id: Val::Null,
            org_id: Val::Null,
            project_id: "mine".into(),
        };
        let mut planned = config.clone();
        let mut d = Diagnostics::new();
        planned.plan(&config, Some(&defaults), &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(planned.agent_id, Val::Unknown);
        assert_eq!(planned.org_id, Val::Known("o".into()));
        assert_eq!(planned.project_id, Val::Known("mine".into()));
    }
}
