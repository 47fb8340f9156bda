//! What every GitOps resource shares: the scope attributes (a flattened model) and their
//! inheritance from provider defaults, scope rules, import IDs, identifier checks, API error
//! diagnostics, and deriving a data source schema from a resource schema.

use std::fmt;
use std::str::FromStr;

use harness_gitops_client as harness;
use tfplugin::tf::schema::{AttrKind, Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::{Model, Val};

use crate::provider::Defaults;

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
    Schema::new(0, description, attrs)
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
