//! URL paths to routes, following the API server's request-info rules: `/api/v1/...` for the
//! core group, `/apis/{group}/{version}/...` for the others, `namespaces/{ns}/` before
//! namespaced resources, and the namespace of `/api/v1/namespaces/{name}` being `{name}`.

use crate::resources::{ResourceType, Types};

/// Where a request goes.
#[derive(Debug)]
pub enum Route {
    /// `/healthz`, `/livez`, `/readyz` (and their `/...` sub-checks).
    Health,
    Version,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1`, `/apis/{group}/{version}`
    GroupVersion(String, String),
    /// `/openapi/v2`
    OpenApiV2,
    /// `/openapi/v3`
    OpenApiV3Root,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/{g}/{v}`
    OpenApiV3(String, String),
    Resource(ResourceRequest),
    /// Under a served group version but no such resource: a NotFound Status.
    UnknownResource,
    /// Anything else: the plain-text `404 page not found`.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct ResourceRequest {
    pub rt: &'static ResourceType,
    /// The namespace of the request ("" for cluster scope and all-namespaces lists). For
    /// `namespaces/{name}` it is `{name}`, as the API server's request info sets it.
    pub namespace: String,
    /// Whether the URL had `namespaces/{ns}/` before the resource.
    pub namespaced_path: bool,
    pub name: String,
    pub subresource: String,
}

fn is_health(p: &str) -> bool {
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|h| p == *h || p.strip_prefix(h).is_some_and(|r| r.starts_with('/')))
}

pub fn route(path: &str, types: &Types) -> Route {
    if is_health(path) {
        return Route::Health;
    }
    let trimmed = path.trim_end_matches('/');
    let segs: Vec<&str> = trimmed.split('/').skip(1).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiV3Root,
        ["openapi", "v3", "api", v] => Route::OpenApiV3(String::new(), (*v).to_owned()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApiV3((*g).to_owned(), (*v).to_owned()),
        ["apis", g] => {
            if types.groups().iter().any(|(x, _)| x == g && !x.is_empty()) {
                Route::Group((*g).to_owned())
            } else {
                Route::Unknown
            }
        }
        ["api", v, rest @ ..] => gv_route(types, "", v, rest),
        ["apis", g, v, rest @ ..] => gv_route(types, g, v, rest),
        _ => Route::Unknown,
    }
}

fn gv_route(types: &Types, group: &str, version: &str, rest: &[&str]) -> Route {
    if !types.group_served(group, version) {
        return Route::Unknown;
    }
    if rest.is_empty() {
        return Route::GroupVersion(group.to_owned(), version.to_owned());
    }
    if rest.iter().any(|s| s.is_empty()) {
        return Route::UnknownResource;
    }
    let find = |r: &str| types.find(group, version, r);
    let (namespace, namespaced_path, rest) = match rest {
        ["namespaces", ns, more @ ..] if !more.is_empty() => {
            // `namespaces/{ns}/status` and `namespaces/{ns}/finalize` are subresources of
            // the namespace, not a namespaced resource.
            if group.is_empty() && matches!(more, ["status"] | ["finalize"]) {
                ((*ns).to_owned(), false, rest)
            } else {
                ((*ns).to_owned(), true, more)
            }
        }
        _ => (String::new(), false, rest),
    };
    let (resource, name, subresource) = match rest {
        [r] => (*r, "", ""),
        [r, n] => (*r, *n, ""),
        [r, n, s] => (*r, *n, *s),
        _ => return Route::UnknownResource,
    };
    let Some(rt) = find(resource) else {
        return Route::UnknownResource;
    };
    if namespaced_path && !rt.namespaced {
        return Route::UnknownResource;
    }
    if !namespaced_path && rt.namespaced && !name.is_empty() {
        // `/api/v1/serviceaccounts/x` does not exist: only the all-namespaces list does.
        return Route::UnknownResource;
    }
    let namespace = if rt.resource == "namespaces" && !name.is_empty() {
        name.to_owned()
    } else {
        namespace
    };
    Route::Resource(ResourceRequest {
        rt,
        namespace,
        namespaced_path,
        name: name.to_owned(),
        subresource: subresource.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(p: &str) -> Route {
        super::route(p, &Types::default())
    }

    fn res(p: &str) -> ResourceRequest {
        match route(p) {
            Route::Resource(r) => r,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn paths() {
        let r = res("/api/v1/namespaces/kube-system/serviceaccounts/x");
        assert_eq!(
            (r.rt.resource, r.namespace.as_str(), r.name.as_str()),
            ("serviceaccounts", "kube-system", "x")
        );
        let r = res("/api/v1/serviceaccounts");
        assert_eq!((r.namespace.as_str(), r.name.as_str()), ("", ""));
        let r = res("/apis/rbac.authorization.k8s.io/v1/clusterroles/admin");
        assert_eq!((r.rt.kind, r.name.as_str()), ("ClusterRole", "admin"));
        let r = res("/api/v1/namespaces/foo");
        assert_eq!(
            (r.rt.resource, r.namespace.as_str(), r.name.as_str()),
            ("namespaces", "foo", "foo")
        );
        let r = res("/api/v1/namespaces/foo/status");
        assert_eq!((r.name.as_str(), r.subresource.as_str()), ("foo", "status"));
        let r = res("/apis/rbac.authorization.k8s.io/v1/namespaces/a/rolebindings");
        assert_eq!((r.rt.resource, r.namespace.as_str()), ("rolebindings", "a"));
        assert!(matches!(
            route("/api/v1/serviceaccounts/x"),
            Route::UnknownResource
        ));
        assert!(matches!(
            route("/apis/rbac.authorization.k8s.io/v1/namespaces/a/clusterroles"),
            Route::UnknownResource
        ));
        assert!(matches!(route("/api/v1/nodes"), Route::UnknownResource));
        assert_eq!(res("/api/v1/pods").rt.kind, "Pod");
        assert_eq!(
            res("/apis/autoscaling/v2/namespaces/a/horizontalpodautoscalers/h")
                .rt
                .kind,
            "HorizontalPodAutoscaler"
        );
        assert!(matches!(
            route("/apis/apps/v1/deployment"),
            Route::UnknownResource
        ));
        assert!(matches!(
            route("/apis/argoproj.io/v1alpha1/applications"),
            Route::Unknown
        ));
        let r = res("/apis/apps/v1/namespaces/a/deployments/d/status");
        assert_eq!(
            (r.rt.kind, r.subresource.as_str()),
            ("Deployment", "status")
        );
        assert!(matches!(
            route("/apis/rbac.authorization.k8s.io"),
            Route::Group(_)
        ));
        assert!(matches!(route("/api/v1"), Route::GroupVersion(..)));
        assert!(matches!(route("/readyz"), Route::Health));
        assert!(matches!(route("/foo"), Route::Unknown));
    }
}
