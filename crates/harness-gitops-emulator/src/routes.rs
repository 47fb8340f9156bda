//! The operations the emulator serves, their paths and their query parameters (as the
//! document defines them), and the router.

use http::Method;

use super::error::{ApiError, ApiResult};
use super::query::Param::{self, Bool, List, Str};

/// Path prefix of every GitOps agent operation (the gateway's `/gitops` plus the document's
/// `/api/v1/agents/{agentIdentifier}/`).
pub const PREFIX: &str = "/gitops/api/v1/agents/";

/// Path prefix of the v2 per-agent operations (project mappings).
pub const PREFIX_V2: &str = "/gitops/api/v2/agents/";

/// The agents collection (`/gitops/api/v1/agents`).
pub const AGENTS: &str = "/gitops/api/v1/agents";

/// The agent-facing heartbeat (an emulator convention, not in the public document).
pub const HEARTBEAT: &str = "/gitops/agent/v1/heartbeat";

/// The repository credential template list (`POST`, at the API root; scope in the body).
pub const REPOCREDS_LIST: &str = "/gitops/api/v1/repocreds";

/// The ApplicationSet item path (`POST`/`PUT` here, `GET`/`DELETE …/{identifier}`,
/// `POST …/generate`); the agent is the `agentIdentifier` query parameter.
pub const APPSET: &str = "/gitops/api/v1/applicationset";

/// The ApplicationSet list (`POST`, scope and agent in the body).
pub const APPSETS: &str = "/gitops/api/v1/applicationsets";

/// One emulated operation of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    RepoCreate,
    RepoList,
    RepoGet,
    RepoUpdate,
    RepoDelete,
    RepoValidate,
    CredsCreate,
    CredsGet,
    CredsUpdate,
    CredsDelete,
    CredsForUrl,
    CredsList,
    ClusterCreate,
    ClusterList,
    ClusterGet,
    ClusterUpdate,
    ClusterDelete,
    AppCreate,
    AppList,
    AppGet,
    AppUpdate,
    AppDelete,
    AppSync,
    CertCreate,
    CertList,
    CertDelete,
    GpgCreate,
    GpgList,
    GpgGet,
    GpgDelete,
    AgentCreate,
    AgentList,
    AgentGet,
    AgentUpdate,
    AgentDelete,
    AgentUnique,
    AgentCredentials,
    AgentDeployYamlGet,
    AgentDeployYamlPost,
    AgentOverridesGet,
    AgentOverridesPost,
    AgentHeartbeat,
    ProjectCreate,
    ProjectList,
    ProjectGet,
    ProjectUpdate,
    ProjectDelete,
    MappingCreate,
    MappingList,
    MappingGet,
    MappingUpdate,
    MappingDelete,
    AppSetCreate,
    AppSetUpdate,
    AppSetGet,
    AppSetDelete,
    AppSetList,
    AppSetGenerate,
}

const REPO_QUERY: &[(&str, Param)] = &[
    ("query.repo", Str),
    ("query.forceRefresh", Bool),
    ("query.project", Str),
];
const CLUSTER_QUERY: &[(&str, Param)] = &[
    ("query.server", Str),
    ("query.name", Str),
    ("query.id.type", Str),
    ("query.id.value", Str),
    ("query.project", Str),
];
const APP_WRITE: &[(&str, Param)] = &[
    ("clusterIdentifier", Str),
    ("repoIdentifier", Str),
    ("skipRepoValidation", Bool),
    ("repoIdentifiers", List),
];
const APP_GET: &[(&str, Param)] = &[
    ("query.refresh", Str),
    ("query.project", List),
    ("query.resourceVersion", Str),
    ("query.selector", Str),
    ("query.repo", Str),
    ("query.appNamespace", Str),
    ("fetchFromHarness", Bool),
];
const APP_DELETE: &[(&str, Param)] = &[
    ("request.cascade", Bool),
    ("request.propagationPolicy", Str),
    ("request.appNamespace", Str),
    ("request.project", Str),
    ("options.removeExistingFinalizers", Bool),
    // Not in the 2025-07 document; the official Go SDK sends it (reference §2.3).
    ("options.forceDelete", Bool),
];
const IDENTIFIER: &[(&str, Param)] = &[("identifier", Str)];
/// The ApplicationSet operations name their agent in the query.
const AGENT_ID: &[(&str, Param)] = &[("agentIdentifier", Str)];
/// The document's "AgentQuery" parameters (list, get, delete, unique) besides the scope.
const AGENT_QUERY: &[(&str, Param)] = &[
    ("name", Str),
    ("type", Str),
    ("tags", List),
    ("searchTerm", Str),
    ("pageSize", Str),
    ("pageIndex", Str),
    ("scope", Str),
    ("drIdentifier", Str),
    ("sortBy", Str),
    ("sortOrder", Str),
    ("metadataOnly", Bool),
    ("ignoreScope", Bool),
    ("connectedStatus", Str),
    ("healthStatus", Str),
    ("withCredentials", Bool),
    ("includeSecondary", Bool),
];
/// The document's "YamlQuery" parameters (GET manifest and Helm overrides).
const YAML_QUERY: &[(&str, Param)] = &[
    ("namespace", Str),
    ("disasterRecoveryIdentifier", Str),
    ("skipCrds", Bool),
    ("caData", Str),
    ("proxy.http", Str),
    ("proxy.https", Str),
    ("proxy.username", Str),
    ("proxy.password", Str),
    ("proxy.skipSSLVerify", Bool),
    ("privateKey", Str),
    ("argocdSettings.enableHelmPathTraversal", Bool),
    ("argocdSettings.forceEnableInCluster", Bool),
];
const FORCE_DELETE: &[(&str, Param)] = &[("forceDelete", Bool)];
const CERT_QUERY: &[(&str, Param)] = &[
    ("query.hostNamePattern", Str),
    ("query.certType", Str),
    ("query.certSubType", Str),
];

impl Op {
    /// Every operation.
    pub const ALL: [Op; 58] = [
        Op::RepoCreate,
        Op::RepoList,
        Op::RepoGet,
        Op::RepoUpdate,
        Op::RepoDelete,
        Op::RepoValidate,
        Op::CredsCreate,
        Op::CredsGet,
        Op::CredsUpdate,
        Op::CredsDelete,
        Op::CredsForUrl,
        Op::CredsList,
        Op::ClusterCreate,
        Op::ClusterList,
        Op::ClusterGet,
        Op::ClusterUpdate,
        Op::ClusterDelete,
        Op::AppCreate,
        Op::AppList,
        Op::AppGet,
        Op::AppUpdate,
        Op::AppDelete,
        Op::AppSync,
        Op::CertCreate,
        Op::CertList,
        Op::CertDelete,
        Op::GpgCreate,
        Op::GpgList,
        Op::GpgGet,
        Op::GpgDelete,
        Op::AgentCreate,
        Op::AgentList,
        Op::AgentGet,
        Op::AgentUpdate,
        Op::AgentDelete,
        Op::AgentUnique,
        Op::AgentCredentials,
        Op::AgentDeployYamlGet,
        Op::AgentDeployYamlPost,
        Op::AgentOverridesGet,
        Op::AgentOverridesPost,
        Op::AgentHeartbeat,
        Op::ProjectCreate,
        Op::ProjectList,
        Op::ProjectGet,
        Op::ProjectUpdate,
        Op::ProjectDelete,
        Op::MappingCreate,
        Op::MappingList,
        Op::MappingGet,
        Op::MappingUpdate,
        Op::MappingDelete,
        Op::AppSetCreate,
        Op::AppSetUpdate,
        Op::AppSetGet,
        Op::AppSetDelete,
        Op::AppSetList,
        Op::AppSetGenerate,
    ];

    /// Name used by `GET /_emulator/requests`, e.g. `repositories.create`.
    pub fn name(self) -> &'static str {
        match self {
            Op::RepoCreate => "repositories.create",
            Op::RepoList => "repositories.list",
            Op::RepoGet => "repositories.get",
            Op::RepoUpdate => "repositories.update",
            Op::RepoDelete => "repositories.delete",
            Op::RepoValidate => "repositories.validate",
            Op::CredsCreate => "repocreds.create",
            Op::CredsGet => "repocreds.get",
            Op::CredsUpdate => "repocreds.update",
            Op::CredsDelete => "repocreds.delete",
            Op::CredsForUrl => "repocreds.forUrl",
            Op::CredsList => "repocreds.list",
            Op::ClusterCreate => "clusters.create",
            Op::ClusterList => "clusters.list",
            Op::ClusterGet => "clusters.get",
            Op::ClusterUpdate => "clusters.update",
            Op::ClusterDelete => "clusters.delete",
            Op::AppCreate => "applications.create",
            Op::AppList => "applications.list",
            Op::AppGet => "applications.get",
            Op::AppUpdate => "applications.update",
            Op::AppDelete => "applications.delete",
            Op::AppSync => "applications.sync",
            Op::CertCreate => "certificates.create",
            Op::CertList => "certificates.list",
            Op::CertDelete => "certificates.delete",
            Op::GpgCreate => "gpgkeys.create",
            Op::GpgList => "gpgkeys.list",
            Op::GpgGet => "gpgkeys.get",
            Op::GpgDelete => "gpgkeys.delete",
            Op::AgentCreate => "agents.create",
            Op::AgentList => "agents.list",
            Op::AgentGet => "agents.get",
            Op::AgentUpdate => "agents.update",
            Op::AgentDelete => "agents.delete",
            Op::AgentUnique => "agents.unique",
            Op::AgentCredentials => "agents.credentials",
            Op::AgentDeployYamlGet => "agents.deployYaml.get",
            Op::AgentDeployYamlPost => "agents.deployYaml.post",
            Op::AgentOverridesGet => "agents.helmOverrides.get",
            Op::AgentOverridesPost => "agents.helmOverrides.post",
            Op::AgentHeartbeat => "agents.heartbeat",
            Op::ProjectCreate => "projects.create",
            Op::ProjectList => "projects.list",
            Op::ProjectGet => "projects.get",
            Op::ProjectUpdate => "projects.update",
            Op::ProjectDelete => "projects.delete",
            Op::MappingCreate => "projectMappings.create",
            Op::MappingList => "projectMappings.list",
            Op::MappingGet => "projectMappings.get",
            Op::MappingUpdate => "projectMappings.update",
            Op::MappingDelete => "projectMappings.delete",
            Op::AppSetCreate => "applicationsets.create",
            Op::AppSetUpdate => "applicationsets.update",
            Op::AppSetGet => "applicationsets.get",
            Op::AppSetDelete => "applicationsets.delete",
            Op::AppSetList => "applicationsets.list",
            Op::AppSetGenerate => "applicationsets.generate",
        }
    }

    /// Query parameters of the operation besides the scope ones ([`super::query::COMMON`]).
    pub fn params(self) -> Vec<(&'static str, Param)> {
        let parts: &[&[(&'static str, Param)]] = match self {
            Op::RepoCreate => &[IDENTIFIER, &[("repoCredsId", Str)]],
            Op::RepoList => &[IDENTIFIER, REPO_QUERY],
            Op::RepoGet => &[REPO_QUERY],
            Op::RepoUpdate => &[],
            Op::RepoDelete => &[REPO_QUERY, FORCE_DELETE],
            Op::RepoValidate | Op::ClusterCreate => &[IDENTIFIER],
            Op::CredsCreate | Op::CredsForUrl => &[IDENTIFIER],
            Op::CredsGet => &[&[("query.url", Str), ("query.repoCredsType", Str)]],
            Op::CredsUpdate | Op::CredsDelete | Op::CredsList => &[],
            Op::ClusterList => &[IDENTIFIER, CLUSTER_QUERY],
            Op::ClusterGet => &[CLUSTER_QUERY],
            Op::ClusterUpdate => &[&[("forceUpdate", Bool)]],
            Op::ClusterDelete => &[CLUSTER_QUERY, FORCE_DELETE],
            Op::AppCreate | Op::AppUpdate => &[APP_WRITE],
            Op::AppList => &[&[("query.name", Str)], APP_GET],
            Op::AppGet => &[APP_GET],
            Op::AppDelete => &[APP_DELETE],
            Op::AppSync => &[],
            Op::CertList | Op::CertDelete => &[CERT_QUERY],
            Op::GpgList => &[&[("query.keyID", Str)]],
            Op::CertCreate | Op::GpgCreate | Op::GpgGet | Op::GpgDelete => &[],
            Op::AgentList => &[IDENTIFIER, AGENT_QUERY],
            Op::AgentGet | Op::AgentDelete | Op::AgentUnique => &[AGENT_QUERY],
            Op::AgentDeployYamlGet | Op::AgentOverridesGet => &[YAML_QUERY],
            Op::AgentCreate
            | Op::AgentUpdate
            | Op::AgentCredentials
            | Op::AgentDeployYamlPost
            | Op::AgentOverridesPost
            | Op::AgentHeartbeat => &[],
            Op::ProjectList => &[&[("query.name", Str)]],
            Op::ProjectCreate
            | Op::ProjectGet
            | Op::ProjectUpdate
            | Op::ProjectDelete
            | Op::MappingCreate
            | Op::MappingUpdate => &[],
            Op::MappingGet | Op::MappingDelete => &[&[("argoProjectName", Str)]],
            Op::MappingList => &[IDENTIFIER, &[("argoProjectName", Str)]],
            Op::AppSetCreate | Op::AppSetUpdate | Op::AppSetDelete | Op::AppSetGenerate => {
                &[AGENT_ID]
            }
            Op::AppSetGet => &[AGENT_ID, &[("fetchMode", Str)]],
            // Body-scoped: only `routingId` (checked by `appsets::list`).
            Op::AppSetList => &[],
        };
        parts.concat()
    }

    /// Whether the operation takes a JSON body.
    pub fn has_body(self) -> bool {
        matches!(
            self,
            Op::RepoCreate
                | Op::RepoUpdate
                | Op::RepoValidate
                | Op::CredsCreate
                | Op::CredsUpdate
                | Op::CredsForUrl
                | Op::CredsList
                | Op::ClusterCreate
                | Op::ClusterUpdate
                | Op::AppCreate
                | Op::AppUpdate
                | Op::AppSync
                | Op::CertCreate
                | Op::GpgCreate
                | Op::AgentCreate
                | Op::AgentUpdate
                | Op::AgentDeployYamlPost
                | Op::AgentOverridesPost
                | Op::AgentHeartbeat
                | Op::ProjectCreate
                | Op::ProjectUpdate
                | Op::MappingCreate
                | Op::MappingUpdate
                | Op::AppSetCreate
                | Op::AppSetUpdate
                | Op::AppSetGenerate
        )
    }

    /// The agent is the `agentIdentifier` query parameter (ApplicationSets), not a path
    /// segment.
    pub fn agent_in_query(self) -> bool {
        matches!(
            self,
            Op::AppSetCreate
                | Op::AppSetUpdate
                | Op::AppSetGet
                | Op::AppSetDelete
                | Op::AppSetGenerate
        )
    }

    /// The scope is in the JSON body, not the query (project mapping create and update).
    pub fn scope_in_body(self) -> bool {
        matches!(self, Op::MappingCreate | Op::MappingUpdate)
    }

    /// An operation on the agents themselves: no `{agent}/` prefix in the path, the scope
    /// of the agent in the query or body.
    pub fn is_agent(self) -> bool {
        matches!(
            self,
            Op::AgentCreate
                | Op::AgentList
                | Op::AgentGet
                | Op::AgentUpdate
                | Op::AgentDelete
                | Op::AgentUnique
                | Op::AgentCredentials
                | Op::AgentDeployYamlGet
                | Op::AgentDeployYamlPost
                | Op::AgentOverridesGet
                | Op::AgentOverridesPost
                | Op::AgentHeartbeat
        )
    }

    /// The operation answers `application/yaml` text.
    pub fn is_yaml(self) -> bool {
        matches!(
            self,
            Op::AgentDeployYamlGet
                | Op::AgentDeployYamlPost
                | Op::AgentOverridesGet
                | Op::AgentOverridesPost
        )
    }
}

/// A routed request: the operation, the agent id and the entity id from the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub op: Op,
    pub agent: String,
    pub id: Option<String>,
}

/// Decodes `%XX` escapes of one path segment.
fn percent_decode(seg: &str) -> ApiResult<String> {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = seg
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                return Err(ApiError::invalid(format!(
                    "bad percent-encoding in path segment \"{seg}\""
                )));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::invalid(format!("path segment \"{seg}\" is not UTF-8")))
}

/// Maps method and path to an operation.
///
/// # Errors
/// 404 (code 5) for paths outside the document, 405 (code 12) for a known path with
/// another method, 501 (code 12) for document operations the emulator does not implement.
pub fn route(method: &Method, path: &str) -> ApiResult<Route> {
    let not_found = || ApiError::not_found(format!("Not Found: no operation at {path}"));
    let wrong_method =
        || ApiError::method_not_allowed(format!("Method Not Allowed: {method} {path}"));
    let agent_route = |op: Op, id: Option<String>| {
        Ok(Route {
            op,
            agent: String::new(),
            id,
        })
    };
    if let Some(rest) = path.strip_prefix(PREFIX_V2) {
        let segs: Vec<&str> = rest.split('/').collect();
        let (op, id) = match (segs.as_slice(), method.clone()) {
            ([_, "appprojectsmapping"], Method::POST) => (Op::MappingCreate, None),
            ([_, "appprojectsmapping", one], m) if !one.is_empty() => {
                let op = match m {
                    Method::GET => Op::MappingGet,
                    Method::PUT => Op::MappingUpdate,
                    Method::DELETE => Op::MappingDelete,
                    _ => return Err(wrong_method()),
                };
                (op, Some(percent_decode(one)?))
            }
            ([_, "appprojectsmappings"], Method::GET) => (Op::MappingList, None),
            ([_, "appprojectsmapping" | "appprojectsmappings"], _) => return Err(wrong_method()),
            _ => return Err(not_found()),
        };
        if segs[0].is_empty() {
            return Err(not_found());
        }
        return Ok(Route {
            op,
            agent: percent_decode(segs[0])?,
            id,
        });
    }
    if path == AGENTS {
        return match *method {
            Method::POST => agent_route(Op::AgentCreate, None),
            Method::GET => agent_route(Op::AgentList, None),
            _ => Err(wrong_method()),
        };
    }
    if path == REPOCREDS_LIST {
        return match *method {
            Method::POST => agent_route(Op::CredsList, None),
            _ => Err(wrong_method()),
        };
    }
    if path == APPSET {
        return match *method {
            Method::POST => agent_route(Op::AppSetCreate, None),
            Method::PUT => agent_route(Op::AppSetUpdate, None),
            _ => Err(wrong_method()),
        };
    }
    if path == APPSETS {
        return match *method {
            Method::POST => agent_route(Op::AppSetList, None),
            _ => Err(wrong_method()),
        };
    }
    if let Some(rest) = path.strip_prefix(APPSET).and_then(|r| r.strip_prefix('/')) {
        let segs: Vec<&str> = rest.split('/').collect();
        let unimplemented = || {
            ApiError::unimplemented(format!(
                "{method} {path} is in the Harness GitOps API but not implemented by harness-gitops-emulator \
                 (it emulates ApplicationSet create, update, get, delete, list and generate)"
            ))
        };
        return match (segs.as_slice(), method.clone()) {
            (["generate"], Method::POST) => agent_route(Op::AppSetGenerate, None),
            (["generators"] | ["generators", _] | ["templates", _] | [_, "resource-tree"], _) => {
                Err(unimplemented())
            }
            ([one], Method::GET) if !one.is_empty() => {
                agent_route(Op::AppSetGet, Some(percent_decode(one)?))
            }
            ([one], Method::DELETE) if !one.is_empty() => {
                agent_route(Op::AppSetDelete, Some(percent_decode(one)?))
            }
            ([one], _) if !one.is_empty() => Err(wrong_method()),
            _ => Err(not_found()),
        };
    }
    if path == HEARTBEAT {
        return match *method {
            Method::POST => agent_route(Op::AgentHeartbeat, None),
            _ => Err(wrong_method()),
        };
    }
    let rest = path.strip_prefix(PREFIX).ok_or_else(not_found)?;
    let segs: Vec<&str> = rest.split('/').collect();
    let Some((agent_raw, tail)) = segs.split_first() else {
        return Err(not_found());
    };
    if agent_raw.is_empty() {
        return Err(not_found());
    }
    let agent = percent_decode(agent_raw)?;
    let unimplemented = || {
        ApiError::unimplemented(format!(
            "{method} {path} is in the Harness GitOps API but not implemented by harness-gitops-emulator \
             (it emulates repositories, clusters, applications and Argo projects CRUD, project mappings (v2), application sync and the agents' CRUD, credentials, manifests and Helm overrides)"
        ))
    };
    let id = |s: &str| -> ApiResult<Option<String>> {
        if s.is_empty() {
            Err(not_found())
        } else {
            percent_decode(s).map(Some)
        }
    };
    // A collection answers POST (create) and GET (list); an item GET, PUT and DELETE.
    let collection = |create: Op, list: Op| match *method {
        Method::POST => Ok((create, None)),
        Method::GET => Ok((list, None)),
        _ => Err(wrong_method()),
    };
    let item = |one: &str, ops: [Op; 3]| match *method {
        Method::GET => Ok((ops[0], id(one)?)),
        Method::PUT => Ok((ops[1], id(one)?)),
        Method::DELETE => Ok((ops[2], id(one)?)),
        _ => Err(wrong_method()),
    };
    // The agents' own operations: `agents/{identifier}[/…]`.
    let agent_op = match (tail, method.clone()) {
        ([], _) if ["search", "ns", "tags", "versions"].contains(agent_raw) => {
            return Err(unimplemented())
        }
        ([], Method::GET) => Some(Op::AgentGet),
        ([], Method::PUT) => Some(Op::AgentUpdate),
        ([], Method::DELETE) => Some(Op::AgentDelete),
        ([], _) => return Err(wrong_method()),
        (["unique"], Method::GET) => Some(Op::AgentUnique),
        (["credentials"], Method::POST) => Some(Op::AgentCredentials),
        (["deploy.yaml"], Method::GET) => Some(Op::AgentDeployYamlGet),
        (["deployment-spec", "yaml"], Method::POST) => Some(Op::AgentDeployYamlPost),
        (["helm-overrides"], Method::GET) => Some(Op::AgentOverridesGet),
        (["helm-overrides"], Method::POST) => Some(Op::AgentOverridesPost),
        (
            ["unique"]
            | ["credentials"]
            | ["deploy.yaml"]
            | ["deployment-spec", "yaml"]
            | ["helm-overrides"],
            _,
        ) => return Err(wrong_method()),
        (
            ["scale"]
            | ["primaryNode"]
            | ["helm-chart"]
            | ["operator", "yaml"]
            | ["deployment-spec", "helm"],
            _,
        ) => return Err(unimplemented()),
        _ => None,
    };
    if let Some(op) = agent_op {
        return agent_route(op, Some(agent));
    }
    let (op, entity) = match tail {
        ["repositories"] => collection(Op::RepoCreate, Op::RepoList)?,
        ["repositories", "validate"] if method == Method::POST => (Op::RepoValidate, None),
        ["repositories", one] => item(one, [Op::RepoGet, Op::RepoUpdate, Op::RepoDelete])?,
        ["repocreds"] if method == Method::POST => (Op::CredsCreate, None),
        ["repocreds"] => return Err(wrong_method()),
        ["repocreds", "get"] if method == Method::POST => (Op::CredsForUrl, None),
        ["repocreds", one] => item(one, [Op::CredsGet, Op::CredsUpdate, Op::CredsDelete])?,
        ["clusters"] => collection(Op::ClusterCreate, Op::ClusterList)?,
        ["clusters", one] => item(one, [Op::ClusterGet, Op::ClusterUpdate, Op::ClusterDelete])?,
        ["applications"] => collection(Op::AppCreate, Op::AppList)?,
        ["applications", _] if method == Method::PATCH => return Err(unimplemented()),
        ["applications", one, "sync"] if method == Method::POST => (Op::AppSync, id(one)?),
        ["applications", one] => item(one, [Op::AppGet, Op::AppUpdate, Op::AppDelete])?,
        ["certificates"] => match *method {
            Method::POST => (Op::CertCreate, None),
            Method::GET => (Op::CertList, None),
            Method::DELETE => (Op::CertDelete, None),
            _ => return Err(wrong_method()),
        },
        ["gpgkeys"] => collection(Op::GpgCreate, Op::GpgList)?,
        ["gpgkeys", one] => match *method {
            Method::GET => (Op::GpgGet, id(one)?),
            Method::DELETE => (Op::GpgDelete, id(one)?),
            _ => return Err(wrong_method()),
        },
        ["projects"] => collection(Op::ProjectCreate, Op::ProjectList)?,
        ["projects", one] => item(one, [Op::ProjectGet, Op::ProjectUpdate, Op::ProjectDelete])?,
        ["repositories" | "clusters" | "applications" | "repositories_byurl" | "stream", ..] => {
            return Err(unimplemented())
        }
        _ => return Err(not_found()),
    };
    Ok(Route {
        op,
        agent,
        id: entity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_of_the_document() {
        let r = route(
            &Method::POST,
            "/gitops/api/v1/agents/account.a1/repositories",
        )
        .unwrap();
        assert_eq!(
            (r.op, r.agent.as_str(), r.id),
            (Op::RepoCreate, "account.a1", None)
        );
        let r = route(
            &Method::DELETE,
            "/gitops/api/v1/agents/a/applications/my%2Dapp",
        )
        .unwrap();
        assert_eq!((r.op, r.id.as_deref()), (Op::AppDelete, Some("my-app")));
        assert_eq!(
            route(
                &Method::POST,
                "/gitops/api/v1/agents/a/repositories/validate"
            )
            .unwrap()
            .op,
            Op::RepoValidate
        );
        assert_eq!(
            route(
                &Method::GET,
                "/gitops/api/v1/agents/a/repositories/validate"
            )
            .unwrap()
            .op,
            Op::RepoGet
        );
    }

    #[test]
    fn agent_routes() {
        let op = |m: Method, p: &str| route(&m, p).map(|r| (r.op, r.agent, r.id));
        assert_eq!(
            op(Method::POST, "/gitops/api/v1/agents").unwrap(),
            (Op::AgentCreate, String::new(), None)
        );
        assert_eq!(
            op(Method::GET, "/gitops/api/v1/agents").unwrap().0,
            Op::AgentList
        );
        assert_eq!(
            op(Method::PUT, "/gitops/api/v1/agents/a%5F1").unwrap(),
            (Op::AgentUpdate, String::new(), Some("a_1".into()))
        );
        for (m, p, want) in [
            (Method::GET, "/gitops/api/v1/agents/a", Op::AgentGet),
            (Method::DELETE, "/gitops/api/v1/agents/a", Op::AgentDelete),
            (
                Method::GET,
                "/gitops/api/v1/agents/a/unique",
                Op::AgentUnique,
            ),
            (
                Method::POST,
                "/gitops/api/v1/agents/a/credentials",
                Op::AgentCredentials,
            ),
            (
                Method::GET,
                "/gitops/api/v1/agents/a/deploy.yaml",
                Op::AgentDeployYamlGet,
            ),
            (
                Method::POST,
                "/gitops/api/v1/agents/a/deployment-spec/yaml",
                Op::AgentDeployYamlPost,
            ),
            (
                Method::GET,
                "/gitops/api/v1/agents/a/helm-overrides",
                Op::AgentOverridesGet,
            ),
            (
                Method::POST,
                "/gitops/api/v1/agents/a/helm-overrides",
                Op::AgentOverridesPost,
            ),
            (
                Method::POST,
                "/gitops/agent/v1/heartbeat",
                Op::AgentHeartbeat,
            ),
        ] {
            assert_eq!(op(m, p).unwrap().0, want, "{p}");
        }
        assert_eq!(
            op(Method::GET, "/gitops/agent/v1/heartbeat")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            op(Method::POST, "/gitops/api/v1/agents/a")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            op(Method::GET, "/gitops/api/v1/agents/a/credentials")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            op(Method::POST, "/gitops/api/v1/agents/search")
                .unwrap_err()
                .status,
            501
        );
        assert_eq!(
            op(Method::POST, "/gitops/api/v1/agents/a/scale")
                .unwrap_err()
                .status,
            501
        );
        assert_eq!(
            op(Method::GET, "/gitops/api/v1/agents/a/nothing")
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn applicationset_routes() {
        let op = |m: Method, p: &str| route(&m, p).map(|r| (r.op, r.id));
        let base = "/gitops/api/v1/applicationset";
        assert_eq!(op(Method::POST, base).unwrap(), (Op::AppSetCreate, None));
        assert_eq!(op(Method::PUT, base).unwrap(), (Op::AppSetUpdate, None));
        assert_eq!(op(Method::GET, base).unwrap_err().status, 405);
        assert_eq!(
            op(Method::GET, &format!("{base}/u%2D1")).unwrap(),
            (Op::AppSetGet, Some("u-1".into()))
        );
        assert_eq!(
            op(Method::DELETE, &format!("{base}/u-1")).unwrap().0,
            Op::AppSetDelete
        );
        assert_eq!(
            op(Method::POST, &format!("{base}/generate")).unwrap().0,
            Op::AppSetGenerate
        );
        assert_eq!(
            op(Method::POST, "/gitops/api/v1/applicationsets")
                .unwrap()
                .0,
            Op::AppSetList
        );
        assert_eq!(
            op(Method::GET, "/gitops/api/v1/applicationsets")
                .unwrap_err()
                .status,
            405
        );
        for p in [
            "generators",
            "generators/list",
            "templates/git",
            "u-1/resource-tree",
        ] {
            assert_eq!(
                op(Method::GET, &format!("{base}/{p}")).unwrap_err().status,
                501,
                "{p}"
            );
        }
        assert_eq!(
            op(Method::GET, &format!("{base}/")).unwrap_err().status,
            404
        );
        assert!(Op::ALL.iter().filter(|o| o.agent_in_query()).count() == 5);
    }

    #[test]
    fn other_paths() {
        assert_eq!(
            route(&Method::GET, "/api/v1/agents/a/repositories")
                .unwrap_err()
                .code,
            5
        );
        assert_eq!(
            route(&Method::PATCH, "/gitops/api/v1/agents/a/clusters")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            route(&Method::POST, "/gitops/api/v1/agents/a/applications/x/sync")
                .unwrap()
                .op,
            Op::AppSync
        );
        assert_eq!(
            route(
                &Method::POST,
                "/gitops/api/v1/agents/a/applications/x/rollback"
            )
            .unwrap_err()
            .status,
            501
        );
        assert_eq!(
            route(&Method::GET, "/gitops/api/v1/agents/a/repositories/")
                .unwrap_err()
                .code,
            5
        );
    }
}
