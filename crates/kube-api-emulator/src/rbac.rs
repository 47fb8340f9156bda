//! RBAC authorization as the API server's RBAC authorizer evaluates it: ClusterRoleBindings
//! apply everywhere, RoleBindings only to requests in their namespace; a binding applies when
//! one of its subjects matches the user (User by name, Group by membership, ServiceAccount by
//! `system:serviceaccount:<ns>:<name>`); a rule allows when its verbs, apiGroups, resources
//! (`*`, exact, `*/subresource`) and resourceNames (empty = any) match, or for non-resource
//! requests its verbs and nonResourceURLs (`*`, exact, or a prefix ending in `*`).
//! Members of `system:masters` are always allowed, as the API server's privileged-group
//! authorizer does.

use serde_json::Value;

/// The authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == "system:masters")
    }
}

/// What a request asks to do.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub verb: String,
    pub resource_request: bool,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    /// The URL path, for non-resource requests.
    pub path: String,
}

/// Read access to the RBAC objects.
pub trait RbacSource {
    fn cluster_role_bindings(&self) -> Vec<&Value>;
    fn role_bindings(&self, namespace: &str) -> Vec<&Value>;
    fn cluster_role(&self, name: &str) -> Option<&Value>;
    fn role(&self, namespace: &str, name: &str) -> Option<&Value>;
}

/// The decision and its reason (as SubjectAccessReview `status.reason` reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

fn strs(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has(list: &[&str], x: &str) -> bool {
    list.iter().any(|v| *v == "*" || *v == x)
}

/// Whether one PolicyRule allows the request.
pub fn rule_allows(rule: &Value, a: &Attributes) -> bool {
    let verbs = strs(rule.get("verbs"));
    if !has(&verbs, &a.verb) {
        return false;
    }
    if !a.resource_request {
        return strs(rule.get("nonResourceURLs")).iter().any(|u| {
            *u == "*" || *u == a.path || (u.ends_with('*') && a.path.starts_with(&u[..u.len() - 1]))
        });
    }
    if !has(&strs(rule.get("apiGroups")), &a.api_group) {
        return false;
    }
    let combined = if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    };
    let resource_ok = strs(rule.get("resources")).iter().any(|r| {
        *r == "*"
            || *r == combined
            || (!a.subresource.is_empty() && r.strip_prefix("*/") == Some(a.subresource.as_str()))
    });
    if !resource_ok {
        return false;
    }
    let names = strs(rule.get("resourceNames"));
    names.is_empty() || names.contains(&a.name.as_str())
}

/// Whether a subject names the user; `binding_ns` is the RoleBinding's namespace ("" for a
/// ClusterRoleBinding), the default namespace of a ServiceAccount subject.
pub fn subject_matches(subject: &Value, user: &UserInfo, binding_ns: &str) -> bool {
    let get = |k: &str| subject.get(k).and_then(Value::as_str).unwrap_or("");
    match get("kind") {
        "User" => get("name") == user.name,
        "Group" => user.groups.iter().any(|g| g == get("name")),
        "ServiceAccount" => {
            let ns = if get("namespace").is_empty() {
                binding_ns
            } else {
                get("namespace")
            };
            !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{}", get("name"))
        }
        _ => false,
    }
}

fn describe_subject(subject: &Value, binding_ns: &str) -> String {
    let get = |k: &str| subject.get(k).and_then(Value::as_str).unwrap_or("");
    if get("kind") == "ServiceAccount" {
        let ns = if get("namespace").is_empty() {
            binding_ns
        } else {
            get("namespace")
        };
        format!("ServiceAccount {:?}", format!("{}/{ns}", get("name")))
    } else {
        format!("{} {:?}", get("kind"), get("name"))
    }
}

/// A binding that applies to the user, with the rules of the role it references.
struct Applicable<'a> {
    binding: &'a Value,
    namespace: &'a str,
    subject: &'a Value,
    rules: Vec<&'a Value>,
}

/// Visits the bindings that apply to `user` for a request in `namespace` ("" = cluster scope);
/// errors are missing roles, as the RBAC authorizer reports them.
fn applicable<'a>(
    src: &'a impl RbacSource,
    user: &UserInfo,
    namespace: &'a str,
    errors: &mut Vec<String>,
) -> Vec<Applicable<'a>> {
    let mut out = Vec::new();
    let mut visit = |binding: &'a Value, bns: &'a str| {
        let Some(subject) = binding
            .get("subjects")
            .and_then(Value::as_array)
            .and_then(|ss| ss.iter().find(|s| subject_matches(s, user, bns)))
        else {
            return;
        };
        let rr = |k: &str| {
            binding
                .get("roleRef")
                .and_then(|r| r.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let role = if rr("kind") == "Role" {
            src.role(bns, rr("name"))
        } else {
            src.cluster_role(rr("name"))
        };
        match role {
            None => errors.push(if rr("kind") == "Role" {
                format!("role.rbac.authorization.k8s.io {:?} not found", rr("name"))
            } else {
                format!(
                    "clusterrole.rbac.authorization.k8s.io {:?} not found",
                    rr("name")
                )
            }),
            Some(role) => out.push(Applicable {
                binding,
                namespace: bns,
                subject,
                rules: role
                    .get("rules")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().collect())
                    .unwrap_or_default(),
            }),
        }
    };
    for b in src.cluster_role_bindings() {
        visit(b, "");
    }
    if !namespace.is_empty() {
        for b in src.role_bindings(namespace) {
            visit(b, namespace);
        }
    }
    out
}

/// Authorizes a request.
pub fn authorize(src: &impl RbacSource, user: &UserInfo, a: &Attributes) -> Decision {
    if user.is_master() {
        return Decision {
            allowed: true,
            reason: String::new(),
        };
    }
    let mut errors = Vec::new();
    let ns = if a.resource_request {
        a.namespace.as_str()
    } else {
        ""
    };
    for ap in applicable(src, user, ns, &mut errors) {
        if ap.rules.iter().any(|r| rule_allows(r, a)) {
            let bname = |k: &str| {
                ap.binding
                    .get("metadata")
                    .and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            let rr = |k: &str| {
                ap.binding
                    .get("roleRef")
                    .and_then(|r| r.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            let who = describe_subject(ap.subject, ap.namespace);
            let reason = if ap.namespace.is_empty() {
                format!(
                    "RBAC: allowed by ClusterRoleBinding {:?} of {} {:?} to {who}",
                    bname("name"),
                    rr("kind"),
                    rr("name")
                )
            } else {
                format!(
                    "RBAC: allowed by RoleBinding {:?} of {} {:?} to {who}",
                    format!("{}/{}", bname("name"), ap.namespace),
                    rr("kind"),
                    rr("name")
                )
            };
            return Decision {
                allowed: true,
                reason,
            };
        }
    }
    Decision {
        allowed: false,
        reason: if errors.is_empty() {
            String::new()
        } else {
            format!("RBAC: [{}]", errors.join(", "))
        },
    }
}

/// The rules that apply to `user` in `namespace` (SelfSubjectRulesReview): resource rules and
/// non-resource rules, plus whether evaluation was incomplete (a missing role).
pub fn rules_for(
    src: &impl RbacSource,
    user: &UserInfo,
    namespace: &str,
) -> (Vec<Value>, Vec<Value>, bool, String) {
    if user.is_master() {
        return (
            vec![serde_json::json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})],
            vec![serde_json::json!({"verbs": ["*"], "nonResourceURLs": ["*"]})],
            false,
            String::new(),
        );
    }
    let mut errors = Vec::new();
    let mut res = Vec::new();
    let mut nonres = Vec::new();
    for ap in applicable(src, user, namespace, &mut errors) {
        for r in ap.rules {
            let mut r = r.clone();
            let is_nonres = !strs(r.get("nonResourceURLs")).is_empty();
            if let Some(m) = r.as_object_mut() {
                if is_nonres {
                    m.retain(|k, _| k == "verbs" || k == "nonResourceURLs");
                    nonres.push(r);
                } else {
                    m.remove("nonResourceURLs");
                    res.push(r);
                }
            }
        }
    }
    let incomplete = !errors.is_empty();
    (res, nonres, incomplete, errors.join(", "))
}

/// One permission: a verb on one group/resource/name, or on one non-resource URL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Simple {
    Resource {
        verb: String,
        group: String,
        resource: String,
        name: String,
    },
    NonResource {
        verb: String,
        url: String,
    },
}

impl Simple {
    /// As the API server prints a PolicyRule in escalation errors.
    fn describe(&self) -> String {
        match self {
            Simple::Resource { verb, group, resource, name } if name.is_empty() => {
                format!("{{APIGroups:[{group:?}], Resources:[{resource:?}], Verbs:[{verb:?}]}}")
            }
            Simple::Resource { verb, group, resource, name } => format!(
                "{{APIGroups:[{group:?}], Resources:[{resource:?}], ResourceNames:[{name:?}], Verbs:[{verb:?}]}}"
            ),
            Simple::NonResource { verb, url } => format!("{{NonResourceURLs:[{url:?}], Verbs:[{verb:?}]}}"),
        }
    }
}

fn breakdown(rule: &Value) -> Vec<Simple> {
    let mut out = Vec::new();
    let verbs = strs(rule.get("verbs"));
    let urls = strs(rule.get("nonResourceURLs"));
    for v in &verbs {
        for u in &urls {
            out.push(Simple::NonResource {
                verb: (*v).into(),
                url: (*u).into(),
            });
        }
        let names = strs(rule.get("resourceNames"));
        for g in strs(rule.get("apiGroups")) {
            for r in strs(rule.get("resources")) {
                if names.is_empty() {
                    out.push(Simple::Resource {
                        verb: (*v).into(),
                        group: g.into(),
                        resource: r.into(),
                        name: String::new(),
                    });
                }
                for n in &names {
                    out.push(Simple::Resource {
                        verb: (*v).into(),
                        group: g.into(),
                        resource: r.into(),
                        name: (*n).into(),
                    });
                }
            }
        }
    }
    out
}

/// Whether an owner rule covers one permission (a wildcard is covered only by a wildcard).
fn covers(owner: &Value, p: &Simple) -> bool {
    let verbs = strs(owner.get("verbs"));
    match p {
        Simple::NonResource { verb, url } => {
            has(&verbs, verb)
                && strs(owner.get("nonResourceURLs")).iter().any(|u| {
                    *u == "*"
                        || u == url
                        || (u.ends_with('*') && url.starts_with(&u[..u.len() - 1]))
                })
        }
        Simple::Resource {
            verb,
            group,
            resource,
            name,
        } => {
            let names = strs(owner.get("resourceNames"));
            has(&verbs, verb)
                && has(&strs(owner.get("apiGroups")), group)
                && strs(owner.get("resources")).iter().any(|r| {
                    *r == "*"
                        || r == resource
                        || (r.ends_with("/*") && resource.starts_with(&r[..r.len() - 1]))
                })
                && (names.is_empty() || (!name.is_empty() && names.contains(&name.as_str())))
        }
    }
}

/// The permissions in `rules` that `user` does not hold in `namespace` ("" = cluster-wide),
/// as the API server lists them when refusing an escalation.
pub fn uncovered_rules(
    src: &impl RbacSource,
    user: &UserInfo,
    namespace: &str,
    rules: &[Value],
) -> Vec<String> {
    let (res, nonres, _, _) = rules_for(src, user, namespace);
    let owner: Vec<&Value> = res.iter().chain(nonres.iter()).collect();
    let mut missing = Vec::new();
    for rule in rules {
        for p in breakdown(rule) {
            if !owner.iter().any(|o| covers(o, &p)) {
                let d = p.describe();
                if !missing.contains(&d) {
                    missing.push(d);
                }
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default)]
    struct Fake {
        crbs: Vec<Value>,
        rbs: Vec<Value>,
        crs: Vec<Value>,
        roles: Vec<Value>,
    }

    fn name_ns(v: &Value) -> (&str, &str) {
        (
            v["metadata"]["name"].as_str().unwrap_or(""),
            v["metadata"]["namespace"].as_str().unwrap_or(""),
        )
    }

    impl RbacSource for Fake {
        fn cluster_role_bindings(&self) -> Vec<&Value> {
            self.crbs.iter().collect()
        }
        fn role_bindings(&self, ns: &str) -> Vec<&Value> {
            self.rbs.iter().filter(|b| name_ns(b).1 == ns).collect()
        }
        fn cluster_role(&self, name: &str) -> Option<&Value> {
            self.crs.iter().find(|r| name_ns(r).0 == name)
        }
        fn role(&self, ns: &str, name: &str) -> Option<&Value> {
            self.roles.iter().find(|r| name_ns(r) == (name, ns))
        }
    }

    fn sa(ns: &str, name: &str) -> UserInfo {
        UserInfo {
            name: format!("system:serviceaccount:{ns}:{name}"),
            uid: String::new(),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
        }
    }

    fn req(verb: &str, group: &str, resource: &str, ns: &str, name: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            resource_request: true,
            api_group: group.into(),
            resource: resource.into(),
            namespace: ns.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn fixture() -> Fake {
        Fake {
            crs: vec![
                json!({"metadata": {"name": "sa-reader"}, "rules": [
                    {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["serviceaccounts"]}]}),
                json!({"metadata": {"name": "one-secret"}, "rules": [
                    {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["s1"]}]}),
                json!({"metadata": {"name": "health"}, "rules": [
                    {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]}]}),
                json!({"metadata": {"name": "all-rbac"}, "rules": [
                    {"verbs": ["*"], "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["*"]}]}),
            ],
            crbs: vec![
                json!({"metadata": {"name": "b1"}, "roleRef": {"kind": "ClusterRole", "name": "health"},
                       "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}]}),
                json!({"metadata": {"name": "b2"}, "roleRef": {"kind": "ClusterRole", "name": "all-rbac"},
                       "subjects": [{"kind": "User", "name": "system:serviceaccount:ops:admin"}]}),
                json!({"metadata": {"name": "dangling"}, "roleRef": {"kind": "ClusterRole", "name": "missing"},
                       "subjects": [{"kind": "ServiceAccount", "name": "lost", "namespace": "ops"}]}),
            ],
            rbs: vec![
                json!({"metadata": {"name": "rb1", "namespace": "team"}, "roleRef": {"kind": "ClusterRole", "name": "sa-reader"},
                       "subjects": [{"kind": "ServiceAccount", "name": "bot"}]}),
                json!({"metadata": {"name": "rb2", "namespace": "team"}, "roleRef": {"kind": "Role", "name": "secret-writer"},
                       "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "team"}]}),
                json!({"metadata": {"name": "rb3", "namespace": "team"}, "roleRef": {"kind": "ClusterRole", "name": "one-secret"},
                       "subjects": [{"kind": "Group", "name": "system:serviceaccounts:other"}]}),
            ],
            roles: vec![
                json!({"metadata": {"name": "secret-writer", "namespace": "team"}, "rules": [
                {"verbs": ["create", "update"], "apiGroups": [""], "resources": ["secrets"]}]}),
            ],
        }
    }

    #[test]
    fn role_binding_is_namespace_local() {
        let f = fixture();
        let bot = sa("team", "bot");
        let d = authorize(&f, &bot, &req("list", "", "serviceaccounts", "team", ""));
        assert!(d.allowed);
        assert_eq!(
            d.reason,
            "RBAC: allowed by RoleBinding \"rb1/team\" of ClusterRole \"sa-reader\" to ServiceAccount \"bot/team\""
        );
        assert!(!authorize(&f, &bot, &req("list", "", "serviceaccounts", "other", "")).allowed);
        assert!(!authorize(&f, &bot, &req("list", "", "serviceaccounts", "", "")).allowed);
        assert!(!authorize(&f, &bot, &req("delete", "", "serviceaccounts", "team", "x")).allowed);
        assert!(authorize(&f, &bot, &req("create", "", "secrets", "team", "")).allowed);
        assert!(!authorize(&f, &bot, &req("get", "", "secrets", "team", "s1")).allowed);
    }

    #[test]
    fn resource_names_groups_and_users() {
        let f = fixture();
        let other = sa("other", "x");
        assert!(authorize(&f, &other, &req("get", "", "secrets", "team", "s1")).allowed);
        assert!(!authorize(&f, &other, &req("get", "", "secrets", "team", "s2")).allowed);
        assert!(
            !authorize(&f, &other, &req("list", "", "secrets", "team", "")).allowed,
            "resourceNames never match a list"
        );
        let admin = sa("ops", "admin");
        assert!(
            authorize(
                &f,
                &admin,
                &req(
                    "delete",
                    "rbac.authorization.k8s.io",
                    "clusterroles",
                    "",
                    "x"
                )
            )
            .allowed
        );
        assert!(!authorize(&f, &admin, &req("delete", "", "secrets", "ops", "x")).allowed);
    }

    #[test]
    fn non_resource_urls_and_subresources() {
        let f = fixture();
        let u = sa("any", "one");
        let path = |p: &str, verb: &str| Attributes {
            verb: verb.into(),
            path: p.into(),
            ..Default::default()
        };
        assert!(authorize(&f, &u, &path("/healthz", "get")).allowed);
        assert!(authorize(&f, &u, &path("/apis/rbac.authorization.k8s.io", "get")).allowed);
        assert!(!authorize(&f, &u, &path("/api", "get")).allowed);
        assert!(!authorize(&f, &u, &path("/healthz", "post")).allowed);
        let rule = json!({"verbs": ["get"], "apiGroups": [""], "resources": ["*/status"]});
        let mut a = req("get", "", "namespaces", "", "x");
        assert!(!rule_allows(&rule, &a));
        a.subresource = "status".into();
        assert!(rule_allows(&rule, &a));
    }

    #[test]
    fn escalation_coverage() {
        let f = fixture();
        let bot = sa("team", "bot");
        // bot holds get/list serviceaccounts and create/update secrets in "team".
        let within =
            [json!({"verbs": ["get"], "apiGroups": [""], "resources": ["serviceaccounts"]})];
        assert!(uncovered_rules(&f, &bot, "team", &within).is_empty());
        let beyond = [
            json!({"verbs": ["get", "delete"], "apiGroups": [""], "resources": ["serviceaccounts", "secrets"]}),
        ];
        assert_eq!(
            uncovered_rules(&f, &bot, "team", &beyond),
            [
                "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}",
                "{APIGroups:[\"\"], Resources:[\"serviceaccounts\"], Verbs:[\"delete\"]}",
                "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"delete\"]}",
            ]
        );
        assert!(
            !uncovered_rules(&f, &bot, "other", &within).is_empty(),
            "RoleBindings grant nothing elsewhere"
        );
        let wildcard =
            [json!({"verbs": ["*"], "apiGroups": [""], "resources": ["serviceaccounts"]})];
        assert!(
            !uncovered_rules(&f, &bot, "team", &wildcard).is_empty(),
            "a wildcard is covered only by a wildcard"
        );
        let admin = sa("ops", "admin");
        let rbac_all = [
            json!({"verbs": ["get", "bind"], "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "resourceNames": ["x"]}),
        ];
        assert!(uncovered_rules(&f, &admin, "", &rbac_all).is_empty());
    }

    #[test]
    fn missing_roles_and_masters() {
        let f = fixture();
        let lost = sa("ops", "lost");
        let d = authorize(&f, &lost, &req("get", "", "secrets", "", "x"));
        assert!(!d.allowed);
        assert_eq!(
            d.reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"missing\" not found]"
        );
        let master = UserInfo {
            name: "admin".into(),
            uid: String::new(),
            groups: vec!["system:masters".into()],
        };
        assert!(
            authorize(
                &Fake::default(),
                &master,
                &req("delete", "", "namespaces", "", "x")
            )
            .allowed
        );
        let (res, nonres, incomplete, _) = rules_for(&f, &sa("team", "bot"), "team");
        assert_eq!(res.len(), 2, "{res:?}");
        assert_eq!(nonres.len(), 1);
        assert!(!incomplete);
    }
}
