//! What every GitOps resource shares: scope attributes and their inheritance from provider
//! defaults, import IDs, API error diagnostics, and deriving a data source schema.

use std::fmt;
use std::str::FromStr;

use crate::provider::Defaults;
use harness_gitops_client as harness;
use tfplugin::tf::schema::{AttrKind, Attribute as A, Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};

/// `agent_id`, `org_id`, `project_id`: inherited from the provider when unset; any change
/// replaces the object (it lives in another scope then).
pub fn scope_attributes(kind: &str) -> Vec<A> {
    vec![
        A::string("agent_id").optional_computed().requires_replace().description(&format!(
            "GitOps agent that owns the {kind}, with its scope prefix: `account.<id>` for an account-level agent, \
             `org.<id>` for an org-level agent, `<id>` for a project-level agent. Defaults to the provider's `agent_id`. \
             Changing it replaces the {kind}."
        )),
        A::string("org_id").optional_computed().requires_replace().description(&format!(
            "Organization identifier of the {kind}; unset (and no provider default) for an account-level {kind}. \
             Defaults to the provider's `org_id`. Changing it replaces the {kind}."
        )),
        A::string("project_id").optional_computed().requires_replace().description(&format!(
            "Project identifier of the {kind}; requires `org_id`. Defaults to the provider's `project_id`. \
             Changing it replaces the {kind}."
        )),
    ]
}

/// Fills `agent_id`, `org_id`, `project_id` from provider defaults where the configuration
/// leaves them null, and checks the scope rules. Without provider data (configuration not
/// known yet) the pipeline's unknowns stay.
pub fn plan_scope(
    config: &Value,
    planned: &mut Value,
    defaults: Option<&Defaults>,
    diags: &mut Diagnostics,
) {
    let Some(d) = defaults else { return };
    for (attr, default) in [
        ("agent_id", &d.agent_id),
        ("org_id", &d.org_id),
        ("project_id", &d.project_id),
    ] {
        if config.attr(attr).is_null() {
            planned.set_attr(attr, default.clone());
        }
    }
    check_scope(planned, diags);
}

/// Scope rules that hold for every GitOps entity, checked on known values only.
pub fn check_scope(v: &Value, diags: &mut Diagnostics) {
    let agent = v.attr("agent_id");
    if agent.is_null() {
        diags.error_at(
            AttributePath::attr("agent_id"),
            "Missing GitOps Agent",
            "Set `agent_id` on the resource or `agent_id` in the provider block (with its scope prefix, e.g. \"account.myagent\").",
        );
    }
    let (org, project) = (v.attr("org_id"), v.attr("project_id"));
    if org.is_null() && project.as_str().is_some() {
        diags.error_at(
            AttributePath::attr("project_id"),
            "Project Without Organization",
            "`project_id` requires `org_id`: a project always lives in an organization.",
        );
    }
    if let Some(a) = agent.as_str() {
        if a.is_empty() || a.contains('/') {
            diags.error_at(
                AttributePath::attr("agent_id"),
                "Invalid Agent Identifier",
                format!("{a:?} is not an agent identifier."),
            );
        } else if a.starts_with("org.") && org.is_null() {
            diags.error_at(
                AttributePath::attr("org_id"),
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
                AttributePath::attr("agent_id"),
                "Project Agent Needs Organization And Project",
                format!(
                    "Agent {a:?} has no scope prefix, so it is a project-level agent and needs `org_id` and `project_id`. \
                     For an account-level agent write \"account.{a}\", for an org-level one \"org.{a}\"."
                ),
            );
        }
    }
}

/// Checks a Harness identifier (known values only): 1 to 128 characters, a letter or `_`
/// first, then letters, digits or `_`, the rule Harness applies to every entity identifier.
pub fn check_identifier(config: &Value, attr: &str, diags: &mut Diagnostics) {
    let Some(id) = config.attr_str(attr) else {
        return;
    };
    let mut chars = id.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || id.len() > 128 {
        diags.error_at(
            AttributePath::attr(attr),
            "Invalid Harness Identifier",
            format!(
                "{id:?} is not a Harness identifier: use 1 to 128 letters, digits or '_', starting with a letter \
                 or '_' (e.g. {:?}).",
                id.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            ),
        );
    }
}

/// The API scope of a state or plan value.
pub fn scope_of(v: &Value) -> harness::Scope {
    harness::Scope {
        org: v
            .attr_str("org_id")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        project: v
            .attr_str("project_id")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        agent: v.attr_str("agent_id").unwrap_or_default().to_string(),
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
    /// The ID of a state value (None if a part is missing).
    pub fn of(v: &Value, id_attr: &str) -> Option<ScopedId> {
        let s = scope_of(v);
        if s.project.is_some() && s.org.is_none() {
            return None;
        }
        Some(ScopedId {
            org: s.org,
            project: s.project,
            agent: s.agent,
            identifier: v.attr_str(id_attr)?.to_string(),
        })
    }

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
        diags.error(summary, format!("{err}\n\nA {kind} with this identifier already exists. To manage it, {how}, or set `upsert = true` to adopt it on create."));
    } else {
        api_error(diags, summary, err);
    }
}

/// A data source schema derived from a resource schema: `inputs` stay as they are (made
/// required or optional as given), everything else not secret becomes computed; secrets,
/// write-only values and create/delete behaviour flags are left out.
pub fn data_source_schema(
    resource: &Schema,
    description: &str,
    inputs: &[(&str, Constraint)],
    leave_out: &[&str],
) -> Schema {
    let mut attrs = Vec::new();
    for a in &resource.block.attributes {
        if a.sensitive || a.write_only || leave_out.contains(&a.name.as_str()) {
            continue;
        }
        let mut a = a.clone();
        a.default = None;
        a.requires_replace = false;
        a.keep_prior = false;
        a.constraint = inputs
            .iter()
            .find(|(n, _)| *n == a.name)
            .map(|(_, c)| *c)
            .unwrap_or(Constraint::Computed);
        if let AttrKind::Nested { attributes, .. } = &mut a.kind {
            for n in attributes.iter_mut() {
                n.constraint = Constraint::Computed;
                n.default = None;
            }
        }
        attrs.push(a);
    }
    Schema::new(0, description, attrs)
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
            check_identifier(
                &Value::Object([("identifier".to_string(), Value::string(id))].into()),
                "identifier",
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

    #[test]
    fn scope_rules() {
        let obj = |agent: &str, org: Option<&str>, project: Option<&str>| {
            Value::Object(
                [
                    ("agent_id".to_string(), Value::string(agent)),
                    ("org_id".to_string(), Value::opt_string(org)),
                    ("project_id".to_string(), Value::opt_string(project)),
                ]
                .into(),
            )
        };
        let errs = |v: &Value| {
            let mut d = Diagnostics::new();
            check_scope(v, &mut d);
            d.0.into_iter()
                .map(|d| d.path.map(|p| p.to_string()).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert!(errs(&obj("account.a", None, None)).is_empty());
        assert!(errs(&obj("account.a", Some("o"), Some("p"))).is_empty());
        assert_eq!(errs(&obj("org.a", None, None)), vec!["org_id"]);
        assert_eq!(errs(&obj("a", Some("o"), None)), vec!["agent_id"]);
        assert_eq!(errs(&obj("account.a", None, Some("p"))), vec!["project_id"]);
    }
}
