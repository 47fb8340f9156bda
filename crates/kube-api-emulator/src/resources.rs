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
#[derive(Debug, PartialEq, Eq)]
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
    /// `metadata.generation` is kept and moves when anything but metadata and status
    /// changes (apps/v1 workloads, CustomResourceDefinitions, custom resources).
    pub generation: bool,
    /// `status` is written only through the `/status` subresource; writes to the main
    /// resource keep the stored status.
    pub status_subresource: bool,
    /// No field schema: bodies are kept as sent (custom resources, and the kinds whose
    /// fields the emulator does not check).
    pub schemaless: bool,
    /// Served because a CustomResourceDefinition registered it.
    pub custom: bool,
}

/// The defaults of the flags of a built-in type.
const BUILTIN: ResourceType = ResourceType {
    group: "",
    version: "v1",
    resource: "",
    singular: "",
    kind: "",
    namespaced: true,
    short_names: &[],
    verbs: STORED_VERBS,
    stored: true,
    create_on_update: false,
    generation: false,
    status_subresource: false,
    schemaless: false,
    custom: false,
};

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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
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
    ..BUILTIN
};

pub static CONFIG_MAPS: ResourceType = ResourceType {
    resource: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    short_names: &["cm"],
    schemaless: true,
    ..BUILTIN
};

pub static SERVICES: ResourceType = ResourceType {
    resource: "services",
    singular: "service",
    kind: "Service",
    short_names: &["svc"],
    verbs: &[
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ],
    schemaless: true,
    status_subresource: true,
    ..BUILTIN
};

pub const APPS_GROUP: &str = "apps";

pub static DEPLOYMENTS: ResourceType = ResourceType {
    group: APPS_GROUP,
    resource: "deployments",
    singular: "deployment",
    kind: "Deployment",
    short_names: &["deploy"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub static STATEFUL_SETS: ResourceType = ResourceType {
    group: APPS_GROUP,
    resource: "statefulsets",
    singular: "statefulset",
    kind: "StatefulSet",
    short_names: &["sts"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub static DAEMON_SETS: ResourceType = ResourceType {
    group: APPS_GROUP,
    resource: "daemonsets",
    singular: "daemonset",
    kind: "DaemonSet",
    short_names: &["ds"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub const NETWORKING_GROUP: &str = "networking.k8s.io";

pub static NETWORK_POLICIES: ResourceType = ResourceType {
    group: NETWORKING_GROUP,
    resource: "networkpolicies",
    singular: "networkpolicy",
    kind: "NetworkPolicy",
    short_names: &["netpol"],
    schemaless: true,
    generation: true,
    ..BUILTIN
};

pub const APIEXTENSIONS_GROUP: &str = "apiextensions.k8s.io";

pub static CRDS: ResourceType = ResourceType {
    group: APIEXTENSIONS_GROUP,
    resource: "customresourcedefinitions",
    singular: "customresourcedefinition",
    kind: "CustomResourceDefinition",
    namespaced: false,
    short_names: &["crd", "crds"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

/// Pods: written only by the emulator (the GitOps agent runner, [`crate::agent`]);
/// clients may read and delete them.
pub static PODS: ResourceType = ResourceType {
    resource: "pods",
    singular: "pod",
    kind: "Pod",
    short_names: &["po"],
    verbs: &["delete", "deletecollection", "get", "list", "watch"],
    schemaless: true,
    status_subresource: true,
    ..BUILTIN
};

pub const BATCH_GROUP: &str = "batch";

pub static CRON_JOBS: ResourceType = ResourceType {
    group: BATCH_GROUP,
    resource: "cronjobs",
    singular: "cronjob",
    kind: "CronJob",
    short_names: &["cj"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub static JOBS: ResourceType = ResourceType {
    group: BATCH_GROUP,
    resource: "jobs",
    singular: "job",
    kind: "Job",
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub static INGRESSES: ResourceType = ResourceType {
    group: NETWORKING_GROUP,
    resource: "ingresses",
    singular: "ingress",
    kind: "Ingress",
    short_names: &["ing"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub const POLICY_GROUP: &str = "policy";

pub static POD_DISRUPTION_BUDGETS: ResourceType = ResourceType {
    group: POLICY_GROUP,
    resource: "poddisruptionbudgets",
    singular: "poddisruptionbudget",
    kind: "PodDisruptionBudget",
    short_names: &["pdb"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

pub const AUTOSCALING_GROUP: &str = "autoscaling";

pub static HORIZONTAL_POD_AUTOSCALERS: ResourceType = ResourceType {
    group: AUTOSCALING_GROUP,
    version: "v2",
    resource: "horizontalpodautoscalers",
    singular: "horizontalpodautoscaler",
    kind: "HorizontalPodAutoscaler",
    short_names: &["hpa"],
    schemaless: true,
    generation: true,
    status_subresource: true,
    ..BUILTIN
};

/// Every built-in type, in discovery order. Adding a stored kind is an entry here (and its
/// group in [`GROUPS`]): routing, discovery (both forms), OpenAPI v3, the verbs, server-side
/// apply, watches, RBAC and persistence all follow from the table.
pub static ALL: &[&ResourceType] = &[
    &CONFIG_MAPS,
    &NAMESPACES,
    &PODS,
    &SECRETS,
    &SERVICE_ACCOUNTS,
    &SERVICES,
    &DAEMON_SETS,
    &DEPLOYMENTS,
    &STATEFUL_SETS,
    &HORIZONTAL_POD_AUTOSCALERS,
    &CRON_JOBS,
    &JOBS,
    &INGRESSES,
    &NETWORK_POLICIES,
    &POD_DISRUPTION_BUDGETS,
    &CRDS,
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
    (APPS_GROUP, "v1"),
    (AUTOSCALING_GROUP, "v2"),
    (BATCH_GROUP, "v1"),
    (NETWORKING_GROUP, "v1"),
    (POLICY_GROUP, "v1"),
    (APIEXTENSIONS_GROUP, "v1"),
    (RBAC_GROUP, "v1"),
    ("authorization.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
];

/// The types served now: the built-in ones and those the stored CustomResourceDefinitions
/// register. Cheap to clone (references only).
#[derive(Debug, Clone, Default)]
pub struct Types {
    custom: Vec<&'static ResourceType>,
}

impl Types {
    pub fn new(custom: Vec<&'static ResourceType>) -> Self {
        Self { custom }
    }

    /// Every served type: built-in first, then custom ones in registration order.
    pub fn all(&self) -> impl Iterator<Item = &'static ResourceType> + '_ {
        ALL.iter().copied().chain(self.custom.iter().copied())
    }

    pub fn find(
        &self,
        group: &str,
        version: &str,
        resource: &str,
    ) -> Option<&'static ResourceType> {
        self.all()
            .find(|r| r.group == group && r.version == version && r.resource == resource)
    }

    /// The stored type named by `resource.group` (or `resource` for the core group), the
    /// key of the store and of the data file. Data files of earlier versions name RBAC
    /// types by their plural alone; that is accepted too.
    pub fn by_qualified(&self, qualified: &str) -> Option<&'static ResourceType> {
        self.all()
            .find(|r| r.stored && r.qualified_resource() == qualified)
            .or_else(|| {
                ALL.iter()
                    .copied()
                    .find(|r| r.stored && r.resource == qualified)
            })
    }

    /// Served API groups (core first) with their versions, the preferred first.
    pub fn groups(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut out: Vec<(&'static str, Vec<&'static str>)> =
            GROUPS.iter().map(|(g, v)| (*g, vec![*v])).collect();
        for r in &self.custom {
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, vs)) => {
                    if !vs.contains(&r.version) {
                        vs.push(r.version);
                    }
                }
                None => out.push((r.group, vec![r.version])),
            }
        }
        out
    }

    pub fn group_served(&self, group: &str, version: &str) -> bool {
        self.groups()
            .iter()
            .any(|(g, vs)| *g == group && vs.contains(&version))
    }

    pub fn in_group<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'static ResourceType> + 'a {
        self.all()
            .filter(move |r| r.group == group && r.version == version)
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Custom types ever registered in this process. A type lives as long as the process (the
/// routing and store code hold `&'static ResourceType`), so identical registrations share
/// one allocation: re-creating a CustomResourceDefinition costs nothing new.
static INTERNED: std::sync::Mutex<Vec<&'static ResourceType>> = std::sync::Mutex::new(Vec::new());

/// What a CustomResourceDefinition version registers.
pub struct CustomType<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub plural: &'a str,
    pub singular: &'a str,
    pub kind: &'a str,
    pub namespaced: bool,
    pub short_names: &'a [String],
    pub status_subresource: bool,
}

pub fn intern_custom(c: &CustomType<'_>) -> &'static ResourceType {
    let mut interned = INTERNED.lock().unwrap_or_else(|p| p.into_inner());
    let same = |r: &&&'static ResourceType| {
        r.group == c.group
            && r.version == c.version
            && r.resource == c.plural
            && r.singular == c.singular
            && r.kind == c.kind
            && r.namespaced == c.namespaced
            && r.status_subresource == c.status_subresource
            && r.short_names.len() == c.short_names.len()
            && r.short_names.iter().zip(c.short_names).all(|(a, b)| a == b)
    };
    if let Some(r) = interned.iter().find(same) {
        return r;
    }
    let short: Vec<&'static str> = c.short_names.iter().map(|s| leak(s)).collect();
    let rt: &'static ResourceType = Box::leak(Box::new(ResourceType {
        group: leak(c.group),
        version: leak(c.version),
        resource: leak(c.plural),
        singular: leak(c.singular),
        kind: leak(c.kind),
        namespaced: c.namespaced,
        short_names: Box::leak(short.into_boxed_slice()),
        verbs: STORED_VERBS,
        stored: true,
        create_on_update: false,
        generation: true,
        status_subresource: c.status_subresource,
        schemaless: true,
        custom: true,
    }));
    interned.push(rt);
    rt
}
