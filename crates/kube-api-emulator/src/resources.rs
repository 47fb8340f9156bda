//! The resource types the emulator serves, with the names, scopes and verbs that discovery,
//! routing, RBAC and error messages use.

/// Verbs of the stored resource types (what discovery advertises).
pub const STORED_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// One served resource type.
#[derive(Debug)]
pub struct ResourceType {
    /// API group; "" is the core (legacy) group served under `/api`.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name as in URLs and RBAC rules (`serviceaccounts`).
    pub resource: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Kept in the store (false: a review type answered on create, never stored).
    pub stored: bool,
    /// PUT of a missing object creates it (the RBAC types allow this on a real server).
    pub create_on_update: bool,
}

impl ResourceType {
    /// `v1` for the core group, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `resource.group` as the API server prints a GroupResource (`serviceaccounts`,
    /// `clusterroles.rbac.authorization.k8s.io`).
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_owned()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// `Kind.group` as the API server prints a GroupKind (`ServiceAccount`,
    /// `ClusterRole.rbac.authorization.k8s.io`).
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_owned()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The URL prefix of this type's group version (`/api/v1`, `/apis/g/v`).
    pub fn gv_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub static NAMESPACES: ResourceType = ResourceType {
    group: "",
    version: "v1",
    resource: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    short_names: &["ns"],
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    stored: true,
    create_on_update: false,
};

pub static SERVICE_ACCOUNTS: ResourceType = ResourceType {
    group: "",
    version: "v1",
    resource: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    namespaced: true,
    short_names: &["sa"],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: false,
};

pub static SECRETS: ResourceType = ResourceType {
    group: "",
    version: "v1",
    resource: "secrets",
    singular: "secret",
    kind: "Secret",
    namespaced: true,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: false,
};

pub static CLUSTER_ROLES: ResourceType = ResourceType {
    group: RBAC_GROUP,
    version: "v1",
    resource: "clusterroles",
    singular: "clusterrole",
    kind: "ClusterRole",
    namespaced: false,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: true,
};

pub static CLUSTER_ROLE_BINDINGS: ResourceType = ResourceType {
    group: RBAC_GROUP,
    version: "v1",
    resource: "clusterrolebindings",
    singular: "clusterrolebinding",
    kind: "ClusterRoleBinding",
    namespaced: false,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: true,
};

pub static ROLES: ResourceType = ResourceType {
    group: RBAC_GROUP,
    version: "v1",
    resource: "roles",
    singular: "role",
    kind: "Role",
    namespaced: true,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: true,
};

pub static ROLE_BINDINGS: ResourceType = ResourceType {
    group: RBAC_GROUP,
    version: "v1",
    resource: "rolebindings",
    singular: "rolebinding",
    kind: "RoleBinding",
    namespaced: true,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: true,
};

pub static SELF_SUBJECT_ACCESS_REVIEWS: ResourceType = ResourceType {
    group: "authorization.k8s.io",
    version: "v1",
    resource: "selfsubjectaccessreviews",
    singular: "selfsubjectaccessreview",
    kind: "SelfSubjectAccessReview",
    namespaced: false,
    short_names: &[],
    verbs: &["create"],
    stored: false,
    create_on_update: false,
};

pub static SELF_SUBJECT_RULES_REVIEWS: ResourceType = ResourceType {
    group: "authorization.k8s.io",
    version: "v1",
    resource: "selfsubjectrulesreviews",
    singular: "selfsubjectrulesreview",
    kind: "SelfSubjectRulesReview",
    namespaced: false,
    short_names: &[],
    verbs: &["create"],
    stored: false,
    create_on_update: false,
};

pub static SELF_SUBJECT_REVIEWS: ResourceType = ResourceType {
    group: "authentication.k8s.io",
    version: "v1",
    resource: "selfsubjectreviews",
    singular: "selfsubjectreview",
    kind: "SelfSubjectReview",
    namespaced: false,
    short_names: &[],
    verbs: &["create"],
    stored: false,
    create_on_update: false,
};

/// Every served type, in discovery order.
pub static ALL: &[&ResourceType] = &[
    &NAMESPACES,
    &SECRETS,
    &SERVICE_ACCOUNTS,
    &CLUSTER_ROLE_BINDINGS,
    &CLUSTER_ROLES,
    &ROLE_BINDINGS,
    &ROLES,
    &SELF_SUBJECT_ACCESS_REVIEWS,
    &SELF_SUBJECT_RULES_REVIEWS,
    &SELF_SUBJECT_REVIEWS,
];

/// Served API groups (core first) with their single version.
pub static GROUPS: &[(&str, &str)] = &[
    ("", "v1"),
    (RBAC_GROUP, "v1"),
    ("authorization.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
];

pub fn find(group: &str, version: &str, resource: &str) -> Option<&'static ResourceType> {
    ALL.iter()
        .copied()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// The stored type named by its plural resource name (names are unique across the
/// served groups).
pub fn by_resource(resource: &str) -> Option<&'static ResourceType> {
    ALL.iter()
        .copied()
        .find(|r| r.stored && r.resource == resource)
}

pub fn group_served(group: &str, version: &str) -> bool {
    GROUPS.iter().any(|(g, v)| *g == group && *v == version)
}

pub fn in_group<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceType> + 'a {
    ALL.iter()
        .copied()
        .filter(move |r| r.group == group && r.version == version)
}
