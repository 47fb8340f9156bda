//! Harness scopes (account / org / project), scope-prefixed agent ids and entity keys.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};

/// The level an agent lives at, from the prefix of its id: `account.x`, `org.x`, bare `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentLevel {
    Account,
    Org,
    Project,
}

impl AgentLevel {
    /// Parses a scope-prefixed agent id.
    ///
    /// # Errors
    /// 400 when the part after the prefix is empty.
    pub fn of(agent: &str) -> ApiResult<AgentLevel> {
        let (level, rest) = if let Some(rest) = agent.strip_prefix("account.") {
            (AgentLevel::Account, rest)
        } else if let Some(rest) = agent.strip_prefix("org.") {
            (AgentLevel::Org, rest)
        } else {
            (AgentLevel::Project, agent)
        };
        if rest.is_empty() {
            return Err(ApiError::invalid(format!(
                "agentIdentifier \"{agent}\" has a scope prefix but no agent id after it; \
                 use account.<id>, org.<id> or a bare <id> for a project agent"
            )));
        }
        Ok(level)
    }
}

/// The Harness scope of a request or entity: empty org/project mean a higher scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub account: String,
    pub org: String,
    pub project: String,
}

impl Scope {
    /// Checks the scope against the agent's level: a project agent (bare id) serves one
    /// project and needs org and project; an org agent (`org.x`) needs the org; an account
    /// agent (`account.x`) serves any scope of the account. A project without an org is
    /// never valid.
    ///
    /// # Errors
    /// 400 (code 3) saying which identifier is missing.
    pub fn check_agent(&self, agent: &str, level: AgentLevel) -> ApiResult<()> {
        if !self.project.is_empty() && self.org.is_empty() {
            return Err(ApiError::invalid(
                "projectIdentifier was given without orgIdentifier; a project is always inside an org, send both",
            ));
        }
        match level {
            AgentLevel::Project if self.org.is_empty() || self.project.is_empty() => Err(ApiError::invalid(format!(
                "agent \"{agent}\" is a project-level agent (no account./org. prefix), so orgIdentifier and \
                 projectIdentifier are required; for an org or account agent use the prefixed id \
                 (org.<id> or account.<id>)"
            ))),
            AgentLevel::Org if self.org.is_empty() => Err(ApiError::invalid(format!(
                "agent \"{agent}\" is an org-level agent (org. prefix), so orgIdentifier is required; \
                 for an account agent use account.<id>"
            ))),
            _ => Ok(()),
        }
    }

    /// This scope and its parents, innermost first: project, org, account.
    pub fn chain(&self) -> Vec<Scope> {
        let mut out = vec![self.clone()];
        if !self.project.is_empty() {
            out.push(Scope {
                project: String::new(),
                ..self.clone()
            });
        }
        if !self.org.is_empty() {
            out.push(Scope {
                account: self.account.clone(),
                org: String::new(),
                project: String::new(),
            });
        }
        out
    }

    /// Human-readable scope for messages.
    pub fn describe(&self) -> String {
        match (self.org.is_empty(), self.project.is_empty()) {
            (true, _) => format!("account \"{}\"", self.account),
            (false, true) => format!("org \"{}\"", self.org),
            (false, false) => format!("project \"{}/{}\"", self.org, self.project),
        }
    }
}

/// Key of a stored entity: scope, agent id as given in the path, and identifier (the
/// application name for applications), and for applications their Kubernetes namespace
/// (Argo CD names an application by namespace and name; empty for other entities).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub scope: Scope,
    pub agent: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ns: String,
}

impl Key {
    /// The Argo CD instance behind the agent: entities sharing it share Argo CD's own
    /// uniqueness rules (repository URL, cluster server, application name). An account agent
    /// is one instance for the whole account; `org.x` is one per org; a bare `x` one per project.
    pub fn instance(&self) -> (String, String, String, String) {
        let s = &self.scope;
        match AgentLevel::of(&self.agent).unwrap_or(AgentLevel::Project) {
            AgentLevel::Account => (
                s.account.clone(),
                String::new(),
                String::new(),
                self.agent.clone(),
            ),
            AgentLevel::Org => (
                s.account.clone(),
                s.org.clone(),
                String::new(),
                self.agent.clone(),
            ),
            AgentLevel::Project => (
                s.account.clone(),
                s.org.clone(),
                s.project.clone(),
                self.agent.clone(),
            ),
        }
    }
}

/// Checks a Harness identifier (repositories, clusters): 1 to 128 characters, a letter or
/// `_` first, then letters, digits or `_` (the Harness NextGen identifier rule).
///
/// # Errors
/// 400 naming the parameter.
pub fn check_identifier(param: &str, id: &str) -> ApiResult<()> {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if id.is_empty() {
        return Err(ApiError::invalid(format!("{param} is required")));
    }
    if !first_ok || !rest_ok || id.len() > 128 {
        return Err(ApiError::invalid(format!(
            "{param} \"{id}\" is not a valid Harness identifier: use 1-128 letters, digits or '_', \
             starting with a letter or '_'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(org: &str, project: &str) -> Scope {
        Scope {
            account: "acc".into(),
            org: org.into(),
            project: project.into(),
        }
    }

    #[test]
    fn agent_levels_need_their_scope() {
        assert!(scope("", "")
            .check_agent("account.a", AgentLevel::Account)
            .is_ok());
        assert!(scope("o", "p")
            .check_agent("account.a", AgentLevel::Account)
            .is_ok());
        assert!(scope("", "").check_agent("org.a", AgentLevel::Org).is_err());
        assert!(scope("o", "").check_agent("org.a", AgentLevel::Org).is_ok());
        assert!(scope("o", "")
            .check_agent("a", AgentLevel::Project)
            .is_err());
        assert!(scope("o", "p")
            .check_agent("a", AgentLevel::Project)
            .is_ok());
        assert!(scope("", "p")
            .check_agent("account.a", AgentLevel::Account)
            .is_err());
        assert!(AgentLevel::of("org.").is_err());
    }

    #[test]
    fn chain_goes_outwards() {
        let c = scope("o", "p").chain();
        assert_eq!(c, vec![scope("o", "p"), scope("o", ""), scope("", "")]);
        assert_eq!(scope("", "").chain().len(), 1);
    }

    #[test]
    fn identifiers() {
        assert!(check_identifier("identifier", "repo_1").is_ok());
        assert!(check_identifier("identifier", "1repo").is_err());
        assert!(check_identifier("identifier", "my-repo").is_err());
        assert!(check_identifier("identifier", "").is_err());
    }
}
