//! Where an entity lives: optional org and project, and the (scope-prefixed) agent.

/// The scope of a GitOps entity below the account (the account comes from the client config).
///
/// `agent` is passed through verbatim, scope prefix included: `account.<id>` for an
/// account-level agent, `org.<id>` for an org-level agent, a bare `<id>` for a project-level
/// agent (harness-gitops-api.md §2.0). `org` / `project` are sent as `orgIdentifier` /
/// `projectIdentifier` only when `Some` and non-empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    pub org: Option<String>,
    pub project: Option<String>,
    pub agent: String,
}

impl Scope {
    /// An account-level entity managed by `agent`.
    pub fn account(agent: impl Into<String>) -> Self {
        Scope {
            org: None,
            project: None,
            agent: agent.into(),
        }
    }

    /// An org-level entity.
    pub fn org(org: impl Into<String>, agent: impl Into<String>) -> Self {
        Scope {
            org: Some(org.into()),
            project: None,
            agent: agent.into(),
        }
    }

    /// A project-level entity.
    pub fn project(
        org: impl Into<String>,
        project: impl Into<String>,
        agent: impl Into<String>,
    ) -> Self {
        Scope {
            org: Some(org.into()),
            project: Some(project.into()),
            agent: agent.into(),
        }
    }

    /// The org identifier, if set and non-empty.
    pub fn org_id(&self) -> Option<&str> {
        self.org.as_deref().filter(|s| !s.is_empty())
    }

    /// The project identifier, if set and non-empty.
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_deref().filter(|s| !s.is_empty())
    }

    /// Checks the scope is usable: a non-empty agent, and no project without an org.
    /// `needs_project`: the kind is project-scoped only (applications, §2.3).
    pub(crate) fn check(&self, needs_project: bool) -> Result<(), String> {
        if self.agent.trim().is_empty() {
            return Err("the agent identifier is empty".into());
        }
        if self.project_id().is_some() && self.org_id().is_none() {
            return Err("a project identifier was given without an org identifier".into());
        }
        if needs_project && self.project_id().is_none() {
            return Err(
                "applications are project-scoped: org and project identifiers are required".into(),
            );
        }
        Ok(())
    }

    /// The scope query parameters: `accountIdentifier` and `routingId` (same value, always:
    /// the Go SDK sends both, §2.0), then `orgIdentifier` / `projectIdentifier` when set.
    pub(crate) fn query(&self, account_id: &str) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("accountIdentifier", account_id.to_string()),
            ("routingId", account_id.to_string()),
        ];
        if let Some(org) = self.org_id() {
            q.push(("orgIdentifier", org.to_string()));
        }
        if let Some(project) = self.project_id() {
            q.push(("projectIdentifier", project.to_string()));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_scope_sends_only_account_and_routing_id() {
        let q = Scope::account("account.a1").query("ACC");
        assert_eq!(
            q,
            vec![
                ("accountIdentifier", "ACC".into()),
                ("routingId", "ACC".into())
            ]
        );
    }

    #[test]
    fn empty_org_and_project_are_not_sent() {
        let s = Scope {
            org: Some(String::new()),
            project: Some(String::new()),
            agent: "a".into(),
        };
        assert_eq!(s.query("A").len(), 2);
        assert!(s.check(false).is_ok());
    }

    #[test]
    fn project_scope_sends_all_four() {
        let q = Scope::project("o", "p", "ag").query("A");
        assert_eq!(q.len(), 4);
        assert!(q.contains(&("orgIdentifier", "o".into())));
        assert!(q.contains(&("projectIdentifier", "p".into())));
    }

    #[test]
    fn check_rejects_bad_scopes() {
        assert!(Scope::account("").check(false).is_err());
        let s = Scope {
            org: None,
            project: Some("p".into()),
            agent: "a".into(),
        };
        assert!(s.check(false).is_err());
        assert!(Scope::org("o", "org.a").check(true).is_err());
        assert!(Scope::project("o", "p", "a").check(true).is_ok());
    }
}
