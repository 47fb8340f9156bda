//! Helpers shared by the three entity kinds: secret masking, the Harness envelope fields of
//! `servicev1*` responses, and URL comparison.

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::scope::Key;
use super::store::Ts;

/// What string secrets look like in every normal response (what Harness returns: eight
/// asterisks, see harness/terraform-provider-harness#1192).
pub const MASK: &str = "********";

/// What `bytes` secrets (cluster `tlsClientConfig.certData`/`keyData`) look like: the
/// protobuf-JSON (base64) encoding of [`MASK`], so the value stays valid bytes.
pub const MASK_BYTES: &str = "KioqKioqKio=";

/// A secret field: its path inside the Argo object and whether it is protobuf `bytes`.
pub struct SecretField {
    pub path: &'static [&'static str],
    pub bytes: bool,
}

impl SecretField {
    fn mask(&self) -> &'static str {
        if self.bytes {
            MASK_BYTES
        } else {
            MASK
        }
    }
}

/// Repository secrets (`repositoriesRepository`).
pub const REPO_SECRETS: &[SecretField] = &[
    SecretField {
        path: &["password"],
        bytes: false,
    },
    SecretField {
        path: &["sshPrivateKey"],
        bytes: false,
    },
    SecretField {
        path: &["tlsClientCertData"],
        bytes: false,
    },
    SecretField {
        path: &["tlsClientCertKey"],
        bytes: false,
    },
    SecretField {
        path: &["githubAppPrivateKey"],
        bytes: false,
    },
];

/// Cluster secrets (`clustersCluster`).
pub const CLUSTER_SECRETS: &[SecretField] = &[
    SecretField {
        path: &["config", "password"],
        bytes: false,
    },
    SecretField {
        path: &["config", "bearerToken"],
        bytes: false,
    },
    SecretField {
        path: &["config", "tlsClientConfig", "keyData"],
        bytes: true,
    },
    SecretField {
        path: &["config", "tlsClientConfig", "certData"],
        bytes: true,
    },
];

fn slot<'a>(obj: &'a mut Map<String, Value>, path: &[&str]) -> Option<&'a mut Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = obj;
    for p in parents {
        cur = cur.get_mut(*p)?.as_object_mut()?;
    }
    cur.get_mut(*last)
}

fn get<'a>(obj: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = obj;
    for p in parents {
        cur = cur.get(*p)?.as_object()?;
    }
    cur.get(*last)
}

/// Replaces every non-empty secret with its mask.
pub fn mask(obj: &mut Map<String, Value>, fields: &[SecretField]) {
    for f in fields {
        if let Some(v) = slot(obj, f.path) {
            if v.as_str().is_some_and(|s| !s.is_empty()) {
                *v = json!(f.mask());
            }
        }
    }
}

/// For an update or upsert: a secret sent back as its mask (a client that round-trips a
/// GET) keeps the stored value; with nothing stored, the mask is dropped.
pub fn keep_masked(
    incoming: &mut Map<String, Value>,
    stored: Option<&Map<String, Value>>,
    fields: &[SecretField],
) {
    for f in fields {
        let Some(v) = slot(incoming, f.path) else {
            continue;
        };
        if v.as_str() != Some(f.mask()) {
            continue;
        }
        match stored.and_then(|s| get(s, f.path)) {
            Some(old) => *v = old.clone(),
            None => {
                if let Some((last, parents)) = f.path.split_last() {
                    let parent = if parents.is_empty() {
                        Some(&mut *incoming)
                    } else {
                        slot(incoming, parents).and_then(Value::as_object_mut)
                    };
                    if let Some(p) = parent {
                        p.remove(*last);
                    }
                }
            }
        }
    }
}

/// The Harness fields of a `servicev1*` response (zero values omitted, as protobuf JSON
/// does): scope, agent, the entity id under `id_key`, and the timestamps.
pub fn envelope(key: &Key, id_key: &str, created: Ts, modified: Ts) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("accountIdentifier".into(), json!(key.scope.account));
    if !key.scope.org.is_empty() {
        m.insert("orgIdentifier".into(), json!(key.scope.org));
    }
    if !key.scope.project.is_empty() {
        m.insert("projectIdentifier".into(), json!(key.scope.project));
    }
    m.insert("agentIdentifier".into(), json!(key.agent));
    m.insert(id_key.into(), json!(key.id));
    m.insert("createdAt".into(), json!(created.rfc3339()));
    m.insert("lastModifiedAt".into(), json!(modified.rfc3339()));
    m
}

/// 404 (code 5) for a missing `kind` ("repository", "cluster", "application").
pub fn not_found(kind: &str, key: &Key) -> ApiError {
    ApiError::not_found(format!(
        "{kind} \"{}\" not found in {} on agent \"{}\"",
        key.id,
        key.scope.describe(),
        key.agent
    ))
}

/// 409 (code 6) for a create of an existing `kind` without `upsert: true`.
pub fn already_exists(kind: &str, key: &Key) -> ApiError {
    ApiError::already_exists(format!(
        "entity already exists: {kind} \"{}\" already exists in {} on agent \"{}\"; \
         send \"upsert\": true to replace it",
        key.id,
        key.scope.describe(),
        key.agent
    ))
}

/// 409 (code 6) when Argo CD's own key (`what`: a URL or server) is already taken on the
/// agent by another Harness entity (`other`).
pub fn taken(kind: &str, what: &str, key: &Key, other: &Key) -> ApiError {
    ApiError::already_exists(format!(
        "entity already exists: {kind} {what} is already registered on agent \"{}\" as \"{}\" in {}",
        key.agent,
        other.id,
        other.scope.describe()
    ))
}

/// A list answer (`*List`): list metadata, and `items` unless empty (protobuf JSON omits
/// an empty repeated field).
pub fn list_body(metadata: Value, items: Vec<Value>) -> Value {
    let mut out = Map::new();
    out.insert("metadata".into(), metadata);
    if !items.is_empty() {
        out.insert("items".into(), Value::Array(items));
    }
    Value::Object(out)
}

/// Repository URLs compare like Argo CD's normalised git URLs: case-insensitive, without a
/// trailing `/` or `.git`.
pub fn same_repo_url(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = s.trim().to_ascii_lowercase();
        let s = s.trim_end_matches('/');
        s.strip_suffix(".git").unwrap_or(s).to_string()
    }
    norm(a) == norm(b)
}

/// Cluster servers compare without a trailing `/` (Argo CD trims it).
pub fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// A string field of a JSON object, `""` when absent.
pub fn str_of<'a>(obj: &'a Map<String, Value>, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_and_keeping() {
        let mut c = json!({"config": {"password": "p", "username": "u", "tlsClientConfig": {"keyData": "a2V5", "caData": "Y2E="}}});
        let stored = c.as_object().unwrap().clone();
        let m = c.as_object_mut().unwrap();
        mask(m, CLUSTER_SECRETS);
        assert_eq!(m["config"]["password"], MASK);
        assert_eq!(m["config"]["username"], "u");
        assert_eq!(m["config"]["tlsClientConfig"]["keyData"], MASK_BYTES);
        assert_eq!(m["config"]["tlsClientConfig"]["caData"], "Y2E=");
        keep_masked(m, Some(&stored), CLUSTER_SECRETS);
        assert_eq!(Value::Object(m.clone()), Value::Object(stored));
        let mut fresh = json!({"password": MASK}).as_object().unwrap().clone();
        keep_masked(&mut fresh, None, REPO_SECRETS);
        assert!(fresh.is_empty());
    }

    #[test]
    fn urls() {
        assert!(same_repo_url(
            "https://GitHub.com/a/b.git",
            "https://github.com/a/b/"
        ));
        assert!(!same_repo_url(
            "https://github.com/a/b",
            "https://github.com/a/c"
        ));
        assert!(same_server("https://k8s:6443/", "https://k8s:6443"));
    }
}
