//! Discovery documents (`/version`, `/api`, `/apis`, group and group-version resource
//! lists, aggregated discovery v2/v2beta1) and the OpenAPI v3 index and per-group-version
//! documents that kubectl reads to learn that the server supports `fieldValidation`.

use serde_json::{json, Map, Value};

use crate::resources::{ResourceType, Types};

/// The Kubernetes version the emulator reports.
pub const GIT_VERSION: &str = "v1.30.0";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "30",
        "gitVersion": GIT_VERSION,
        "gitCommit": "7c48c2bd72b9bf5c44d21d7338cc7bea77d0ad2a",
        "gitTreeState": "clean",
        "buildDate": "2024-04-17T17:27:03Z",
        "goVersion": "go1.22.2",
        "compiler": "gc",
        "platform": "linux/amd64",
        "emulator": "kube-api-emulator"
    })
}

/// `/api`: APIVersions.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_entry(group: &str, versions: &[&str]) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "name": group,
        "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
        "preferredVersion": gv(versions.first().copied().unwrap_or(""))
    })
}

/// `/apis`: APIGroupList.
pub fn groups(types: &Types) -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": types.groups().iter().filter(|(g, _)| !g.is_empty()).map(|(g, v)| group_entry(g, v)).collect::<Vec<_>>()
    })
}

/// `/apis/{group}`: APIGroup.
pub fn group(types: &Types, name: &str) -> Option<Value> {
    let groups = types.groups();
    let (g, v) = groups.iter().find(|(g, _)| *g == name && !g.is_empty())?;
    let mut e = group_entry(g, v);
    if let Some(m) = e.as_object_mut() {
        m.insert("kind".into(), json!("APIGroup"));
        m.insert("apiVersion".into(), json!("v1"));
    }
    Some(e)
}

/// The verbs of a type's status subresource (only `get` for a type clients do not write).
fn status_verbs(rt: &ResourceType) -> Value {
    if rt.verbs.contains(&"update") {
        json!(["get", "patch", "update"])
    } else {
        json!(["get"])
    }
}

/// A type's entries in an APIResourceList: itself, and its status subresource.
fn resource_entries(rt: &ResourceType) -> Vec<Value> {
    let mut out = vec![resource_entry(rt)];
    if rt.status_subresource {
        out.push(
            json!({"name": format!("{}/status", rt.resource), "singularName": "",
            "namespaced": rt.namespaced, "kind": rt.kind, "verbs": status_verbs(rt)}),
        );
    }
    out
}

fn resource_entry(rt: &ResourceType) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(rt.resource));
    m.insert("singularName".into(), json!(rt.singular));
    m.insert("namespaced".into(), json!(rt.namespaced));
    m.insert("kind".into(), json!(rt.kind));
    m.insert("verbs".into(), json!(rt.verbs));
    if !rt.short_names.is_empty() {
        m.insert("shortNames".into(), json!(rt.short_names));
    }
    Value::Object(m)
}

/// `/api/v1`, `/apis/{g}/{v}`: APIResourceList.
pub fn group_version(types: &Types, group: &str, version: &str) -> Value {
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    let resources: Vec<Value> = types
        .in_group(group, version)
        .flat_map(resource_entries)
        .collect();
    let mut m = Map::new();
    m.insert("kind".into(), json!("APIResourceList"));
    if !group.is_empty() {
        m.insert("apiVersion".into(), json!("v1"));
    }
    m.insert("groupVersion".into(), json!(gv));
    m.insert("resources".into(), json!(resources));
    Value::Object(m)
}

/// Which aggregated discovery version an `Accept` header asks for, if any (the first
/// acceptable media range wins, as in content negotiation).
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    for range in accept.split(',') {
        let params: Vec<&str> = range.split(';').map(str::trim).collect();
        let media = params.first().copied().unwrap_or("");
        let has = |k: &str, v: &str| params.iter().any(|p| *p == format!("{k}={v}"));
        if media == "application/json"
            && has("g", "apidiscovery.k8s.io")
            && has("as", "APIGroupDiscoveryList")
        {
            if has("v", "v2") {
                return Some("v2");
            }
            if has("v", "v2beta1") {
                return Some("v2beta1");
            }
            continue;
        }
        if media == "application/json" || media == "*/*" || media == "application/*" {
            return None;
        }
    }
    None
}

/// The aggregated discovery document for `/api` (core) or `/apis` (all other groups).
pub fn aggregated(types: &Types, core: bool, version: &str) -> Value {
    let items: Vec<Value> = types
        .groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs.iter().map(|v| {
            let resources: Vec<Value> = types.in_group(g, v)
                .map(|rt| {
                    let mut m = Map::new();
                    m.insert("resource".into(), json!(rt.resource));
                    m.insert(
                        "responseKind".into(),
                        json!({"group": rt.group, "version": rt.version, "kind": rt.kind}),
                    );
                    m.insert(
                        "scope".into(),
                        json!(if rt.namespaced {
                            "Namespaced"
                        } else {
                            "Cluster"
                        }),
                    );
                    m.insert("singularResource".into(), json!(rt.singular));
                    m.insert("verbs".into(), json!(rt.verbs));
                    if !rt.short_names.is_empty() {
                        m.insert("shortNames".into(), json!(rt.short_names));
                    }
                    if rt.status_subresource {
                        m.insert("subresources".into(), json!([{"subresource": "status",
                            "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
                            "verbs": status_verbs(rt)}]));
                    }
                    Value::Object(m)
                })
                .collect();
                json!({"version": v, "resources": resources, "freshness": "Current"})
            }).collect();
            let metadata = if g.is_empty() {
                json!({"creationTimestamp": null})
            } else {
                json!({"name": g, "creationTimestamp": null})
            };
            json!({
                "metadata": metadata,
                "versions": versions
            })
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items
    })
}

pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable hash of a document, for the `?hash=` of OpenAPI v3 URLs.
fn doc_hash(v: &Value) -> String {
    // FNV-1a, 64 bit, rendered twice widened; stable across runs for the same document.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in v.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}{:016X}", h.rotate_left(29) ^ 0x9E3779B97F4A7C15)
}

/// `/openapi/v3`: the index of group-version documents.
pub fn openapi_v3_root(types: &Types) -> Value {
    let mut paths = Map::new();
    for (g, vs) in types.groups() {
        for v in vs {
            let p = gv_path(g, v);
            let hash = doc_hash(&openapi_v3_doc(types, g, v).unwrap_or(Value::Null));
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
            );
        }
    }
    json!({"paths": paths})
}

fn param(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "query", "description": desc, "schema": {"type": "string", "uniqueItems": true}})
}

fn schema_name(rt: &ResourceType) -> String {
    let g = if rt.group.is_empty() {
        "core".to_owned()
    } else {
        rt.group.trim_end_matches(".k8s.io").to_owned()
    };
    format!("io.k8s.api.{g}.{}.{}", rt.version, rt.kind)
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/{g}/{v}`: the operations of each resource with
/// their `x-kubernetes-group-version-kind` and query parameters (create, update and patch
/// take `fieldValidation`, `fieldManager`, `dryRun`), and object schemas naming the kinds.
pub fn openapi_v3_doc(types: &Types, group: &str, version: &str) -> Option<Value> {
    if !types.group_served(group, version) {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for rt in types.in_group(group, version) {
        let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
        let sref = json!({"$ref": format!("#/components/schemas/{}", schema_name(rt))});
        let write_params = vec![
            param("dryRun", "When present, indicates that modifications should not be persisted."),
            param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
            param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict."),
        ];
        let op = |action: &str, id: &str, params: &[Value]| {
            json!({
                "operationId": id,
                "parameters": params,
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": sref}}}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        let base = format!("/{}", gv_path(group, version));
        let collection = if rt.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", rt.resource)
        } else {
            format!("{base}/{}", rt.resource)
        };
        let kind = rt.kind;
        let mut coll = Map::new();
        if rt.stored {
            coll.insert("get".into(), op("list", &format!("list{kind}"), &[]));
        }
        if rt.verbs.contains(&"create") {
            coll.insert(
                "post".into(),
                op("post", &format!("create{kind}"), &write_params),
            );
        }
        paths.insert(collection.clone(), Value::Object(coll));
        if rt.stored {
            let item = format!("{collection}/{{name}}");
            let mut ops = json!({
                "get": op("get", &format!("read{kind}"), &[]),
                "delete": op("delete", &format!("delete{kind}"), &[param("dryRun", ""), param("propagationPolicy", "")]),
            });
            // Pods are written by the emulator only: no put or patch.
            if rt.verbs.contains(&"update") {
                ops["put"] = op("put", &format!("replace{kind}"), &write_params);
            }
            if rt.verbs.contains(&"patch") {
                ops["patch"] = op("patch", &format!("patch{kind}"), &write_params);
            }
            paths.insert(item, ops);
        }
        schemas.insert(
            schema_name(rt),
            json!({
                "type": "object",
                "description": format!("{kind} (served by kube-api-emulator; field schemas are not published)"),
                "x-kubernetes-group-version-kind": [gvk],
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas}
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(kubectl), Some("v2"));
        assert_eq!(
            aggregated_version(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            ),
            Some("v2beta1")
        );
        assert_eq!(aggregated_version("application/json, */*"), None);
        assert_eq!(aggregated_version(""), None);
    }

    #[test]
    fn documents() {
        let t = Types::default();
        let gv = group_version(&t, "", "v1");
        assert!(gv.get("apiVersion").is_none());
        // configmaps, namespaces, pods, pods/status, secrets, serviceaccounts, services,
        // services/status
        assert_eq!(gv["resources"].as_array().unwrap().len(), 8);
        let pods_status = gv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "pods/status")
            .unwrap();
        assert_eq!(pods_status["verbs"], json!(["get"]));
        for (g, v, r) in [
            ("batch", "v1", "cronjobs"),
            ("batch", "v1", "jobs"),
            ("networking.k8s.io", "v1", "ingresses"),
            ("policy", "v1", "poddisruptionbudgets"),
            ("autoscaling", "v2", "horizontalpodautoscalers"),
        ] {
            let doc = group_version(&t, g, v);
            assert!(
                doc["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["name"] == r),
                "{g}/{v} {r}"
            );
        }
        let agg = aggregated(&t, false, "v2");
        assert_eq!(agg["items"][0]["metadata"]["name"], "apps");
        let root = openapi_v3_root(&t);
        assert!(root["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .starts_with("/openapi/v3/api/v1?hash="));
        let doc = openapi_v3_doc(&t, "rbac.authorization.k8s.io", "v1").unwrap();
        let patch =
            &doc["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "ClusterRole"
        );
        assert!(patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation"));
    }
}
