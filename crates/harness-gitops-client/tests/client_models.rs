//! The serde models against the official OpenAPI document (its committed contract,
//! `contract/harness-gitops-openapi.json`): for every request/response schema the client
//! uses, an example with every property set (generated from the document) must
//! decode and re-encode to exactly the same JSON. A misspelt key (`enableOci` for `enableOCI`),
//! a missing field or a wrong type fails here.

use std::collections::BTreeMap;

use harness_gitops_client::models::*;
use harness_gitops_client::Secret;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The OpenAPI document's contract: the official document without its prose, committed in the
/// checkout (see contract/README.md).
const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../contract/harness-gitops-openapi.json"
);

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| {
        panic!(
            "the OpenAPI document's contract is committed at {SPEC}: {e} (see contract/README.md)"
        )
    });
    serde_json::from_str(&text).expect("the contract is JSON")
}

/// How to fill scalars: `full` = true/"s"/123, otherwise false/""/0 (the zero values Go drops).
#[derive(Clone, Copy)]
struct Fill {
    truthy: bool,
}

fn example(spec: &Value, schema: &Value, stack: &mut Vec<String>, fill: Fill) -> Option<Value> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().expect("ref has a name").to_string();
        if stack.contains(&name) {
            return None; // a cycle: leave the property out
        }
        let target = &spec["components"]["schemas"][&name];
        assert!(!target.is_null(), "dangling $ref {r}");
        stack.push(name);
        let v = example(spec, target, stack, fill);
        stack.pop();
        return v;
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    Some(match (ty, format) {
        ("string", _) if schema.get("enum").is_some() => {
            schema["enum"][usize::from(!fill.truthy)].clone()
        }
        ("string", "int64") => json!(if fill.truthy { "123" } else { "0" }),
        ("string", "date-time") => json!("2024-01-02T03:04:05Z"),
        ("string", "byte") => json!(if fill.truthy { "Ynl0ZXM=" } else { "" }),
        ("string", _) => json!(if fill.truthy { "s" } else { "" }),
        ("boolean", _) => json!(fill.truthy),
        ("integer", _) => json!(if fill.truthy { 7 } else { 0 }),
        ("array", _) => Value::Array(
            example(spec, &schema["items"], stack, fill)
                .into_iter()
                .collect(),
        ),
        ("object", _) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let mut out = Map::new();
                for (k, p) in props {
                    if let Some(v) = example(spec, p, stack, fill) {
                        out.insert(k.clone(), v);
                    }
                }
                Value::Object(out)
            } else if let Some(ap) = schema.get("additionalProperties") {
                let mut out = Map::new();
                if let Some(v) = example(spec, ap, stack, fill) {
                    out.insert("k".into(), v);
                }
                Value::Object(out)
            } else {
                json!({"free": {"form": [1, "two"]}})
            }
        }
        (other, _) => panic!("schema type {other} not handled"),
    })
}

fn round_trip<T: DeserializeOwned + Serialize>(spec: &Value, schema: &str, fill: Fill) {
    let mut stack = vec![schema.to_string()];
    let input = example(
        spec,
        &spec["components"]["schemas"][schema],
        &mut stack,
        fill,
    )
    .unwrap_or_else(|| panic!("no example for {schema}"));
    let typed: T = serde_json::from_value(input.clone())
        .unwrap_or_else(|e| panic!("{schema} example does not decode: {e}"));
    let output = serde_json::to_value(&typed).expect("encodes");
    if output != input {
        let mut missing = Vec::new();
        diff("", &input, &output, &mut missing);
        panic!(
            "{schema}: re-encoded JSON differs from the document's example:\n{}",
            missing.join("\n")
        );
    }
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("  {path}.{k}: dropped (key unknown to the model?)")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("  {path}.{k}: added (key not in the document)"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if a != b => out.push(format!("  {path}: {a} became {b}")),
        _ => {}
    }
}

macro_rules! conformance {
    ($($test:ident: $schema:literal => $ty:ty),* $(,)?) => {$(
        #[test]
        fn $test() {
            let spec = spec();
            round_trip::<$ty>(&spec, $schema, Fill { truthy: true });
            // All false / "" / 0: must be kept, not dropped as Go's omitempty would.
            round_trip::<$ty>(&spec, $schema, Fill { truthy: false });
        }
    )*};
}

conformance! {
    repository_create_request: "repositoriesRepoCreateRequest" => RepositoryCreateRequest,
    repository_update_request: "repositoriesRepoUpdateRequest" => RepositoryUpdateRequest,
    repository_response: "servicev1Repository" => RepositoryResponse,
    repository_list: "repositoriesRepositoryList" => RepositoryList,
    repo_creds_create_request: "hrepocredsRepoCredsCreateRequest" => RepoCredsCreateRequest,
    repo_creds_update_request: "hrepocredsRepoCredsUpdateRequest" => RepoCredsUpdateRequest,
    repo_creds_query: "hrepocredsRepoCredsQuery" => RepoCredsQuery,
    repo_creds_response: "servicev1RepositoryCredentials" => RepositoryCredentialsResponse,
    repo_creds_list: "servicev1RepositoryCredentialsList" => RepositoryCredentialsList,
    repo_creds_list_query: "v1RepositoryCredentialsQuery" => RepositoryCredentialsQuery,
    cluster_create_request: "clustersClusterCreateRequest" => ClusterCreateRequest,
    cluster_update_request: "clustersClusterUpdateRequest" => ClusterUpdateRequest,
    cluster_response: "servicev1Cluster" => ClusterResponse,
    cluster_list: "clustersClusterList" => ClusterList,
    application_create_request: "applicationsApplicationCreateRequest" => ApplicationCreateRequest,
    application_update_request: "applicationsApplicationUpdateRequest" => ApplicationUpdateRequest,
    application_response: "servicev1Application" => ApplicationResponse,
    application_list: "applicationsApplicationList" => ApplicationList,
    application_sync_request: "applicationsApplicationSyncRequest" => ApplicationSyncRequest,
    agent: "v1Agent" => Agent,
    agent_list: "v1AgentList" => AgentList,
    agent_yaml_query: "v1AgentYamlQuery" => AgentYamlQuery,
    agent_unique: "v1UniqueMessage" => UniqueMessage,
    certificate_create_request: "certificatesRepositoryCertificateCreateRequest" => CertificateCreateRequest,
    certificate_list: "certificatesRepositoryCertificateList" => CertificateList,
    certificate_query: "certificatesRepositoryCertificateQuery" => CertificateQuery,
    gpg_key: "gpgkeysGnuPGPublicKey" => GpgKey,
    gpg_key_list: "gpgkeysGnuPGPublicKeyList" => GpgKeyList,
    gpg_key_create_request: "gpgkeysGnuPGPublicKeyCreateRequest" => GpgKeyCreateRequest,
    gpg_key_create_response: "gpgkeysGnuPGPublicKeyCreateResponse" => GpgKeyCreateResponse,
    project: "appprojectsAppProject" => AppProject,
    project_create_request: "projectsProjectCreateRequest" => ProjectCreateRequest,
    project_update_request: "projectsProjectUpdateRequest" => ProjectUpdateRequest,
    project_list: "appprojectsAppProjectList" => AppProjectList,
    project_mapping: "v1AppProjectMappingV2" => AppProjectMappingV2,
    project_mapping_create_request: "v1AppProjectMappingCreateRequestV2" => AppProjectMappingCreateRequestV2,
    project_mapping_update_request: "v1AppProjectMappingQueryV2" => AppProjectMappingQueryV2,
    project_mapping_list: "v1AppProjectMappingV2List" => AppProjectMappingV2List,
    appset_response: "servicev1ApplicationSet" => ApplicationSetResponse,
    appset: "applicationsApplicationSet" => ApplicationSet,
    appset_spec: "applicationsApplicationSetSpec" => ApplicationSetSpec,
    appset_status: "applicationsApplicationSetStatus" => ApplicationSetStatus,
    appset_generator: "applicationsApplicationSetGenerator" => ApplicationSetGenerator,
    appset_nested_generator: "applicationsApplicationSetNestedGenerator" => ApplicationSetNestedGenerator,
    appset_template: "applicationsApplicationSetTemplate" => ApplicationSetTemplate,
    appset_create_request: "applicationsApplicationSetCreateRequest" => ApplicationSetCreateRequest,
    appset_delete_response: "applicationsApplicationSetResponse" => ApplicationSetDeleteResponse,
    appset_generate_request: "applicationsApplicationSetGenerateRequest" => ApplicationSetGenerateRequest,
    appset_generate_response: "applicationsApplicationSetGenerateResponse" => ApplicationSetGenerateResponse,
    appset_query: "v1ApplicationSetQuery" => ApplicationSetQuery,
    appset_list: "servicev1ApplicationSetList" => ApplicationSetList,
    scm_provider_generator: "applicationsSCMProviderGenerator" => ScmProviderGenerator,
    pull_request_generator: "applicationsPullRequestGenerator" => PullRequestGenerator,
    plugin_generator: "applicationsPluginGenerator" => PluginGenerator,
    int_or_string: "intstrIntOrString" => IntOrString,
    v1_json: "v1JSON" => RawJson,
}

#[test]
fn agent_debug_never_prints_the_token_or_proxy_password() {
    let agent: Agent = serde_json::from_value(json!({
        "identifier": "a1",
        "credentials": {"privateKey": "agent-token-xyz", "publicKey": "pub"}
    }))
    .unwrap();
    let query = AgentYamlQuery {
        private_key: Some(Secret::new("agent-token-xyz")),
        proxy: Some(AgentProxy {
            password: Some(Secret::new("proxy-pw-123")),
            ..Default::default()
        }),
        ..Default::default()
    };
    let text = format!("{agent:?} {query:?}");
    assert!(
        !text.contains("agent-token-xyz") && !text.contains("proxy-pw-123"),
        "{text}"
    );
    let wire = serde_json::to_value(&query).unwrap();
    assert_eq!(wire["privateKey"], json!("agent-token-xyz"));
    assert_eq!(wire["proxy"]["password"], json!("proxy-pw-123"));
}

#[test]
fn key_spellings_that_camel_case_would_get_wrong() {
    let repo = Repository {
        enable_oci: Some(true),
        github_app_id: Some(Int64(1)),
        github_app_installation_id: Some(Int64(2)),
        github_app_enterprise_base_url: Some("u".into()),
        repo_type: Some("helm".into()),
        ..Default::default()
    };
    let v = serde_json::to_value(&repo).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "enableOCI",
        "githubAppID",
        "githubAppInstallationID",
        "githubAppEnterpriseBaseUrl",
        "type",
    ] {
        assert!(keys.contains(&k), "missing {k} in {keys:?}");
    }
    assert_eq!(v["githubAppID"], json!("1"), "int64 is sent as a string");
    let src = serde_json::to_value(ApplicationSource {
        repo_url: Some("r".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(src, json!({"repoURL": "r"}));
}

#[test]
fn none_is_omitted_and_explicit_false_and_empty_are_sent() {
    assert_eq!(
        serde_json::to_value(Repository::default()).unwrap(),
        json!({})
    );
    let req = RepositoryCreateRequest {
        upsert: Some(false),
        repo: Some(Repository {
            insecure: Some(false),
            username: Some(String::new()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"upsert": false, "repo": {"insecure": false, "username": ""}})
    );
    let automated = SyncPolicyAutomated {
        prune: Some(false),
        self_heal: Some(false),
        allow_empty: None,
    };
    assert_eq!(
        serde_json::to_value(automated).unwrap(),
        json!({"prune": false, "selfHeal": false})
    );
}

#[test]
fn int64_fields_accept_numbers_and_strings() {
    let c: Cluster =
        serde_json::from_value(json!({"shard": 3, "info": {"applicationsCount": "12"}})).unwrap();
    assert_eq!(c.shard, Some(Int64(3)));
    assert_eq!(c.info.unwrap().applications_count, Some(Int64(12)));
    let spec: ApplicationSpec =
        serde_json::from_value(json!({"revisionHistoryLimit": 10})).unwrap();
    assert_eq!(
        serde_json::to_value(spec).unwrap(),
        json!({"revisionHistoryLimit": "10"})
    );
}

#[test]
fn unknown_response_fields_are_tolerated() {
    let r: RepositoryResponse = serde_json::from_value(json!({
        "identifier": "r1",
        "someFutureField": {"x": 1},
        "repository": {"repo": "https://x", "brandNew": true}
    }))
    .unwrap();
    assert_eq!(r.identifier.as_deref(), Some("r1"));
    assert_eq!(r.repository.unwrap().repo.as_deref(), Some("https://x"));
}

#[test]
fn debug_never_prints_secrets_but_json_carries_them() {
    let hunter = "hunter2-secret-value";
    let repo = Repository {
        password: Some(Secret::new(hunter)),
        ssh_private_key: Some(Secret::new(hunter)),
        tls_client_cert_key: Some(Secret::new(hunter)),
        github_app_private_key: Some(Secret::new(hunter)),
        ..Default::default()
    };
    let cluster = Cluster {
        config: Some(ClusterConfig {
            password: Some(Secret::new(hunter)),
            bearer_token: Some(Secret::new(hunter)),
            tls_client_config: Some(TlsClientConfig {
                key_data: Some(Secret::new(hunter)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let ecr = EcrGenerator {
        secret_ref: Some(AwsSecretRef {
            aws_secret_access_key: Some(Secret::new(hunter)),
            ..Default::default()
        }),
        ..Default::default()
    };
    for debug in [
        format!("{repo:?}"),
        format!("{cluster:?}"),
        format!("{ecr:?}"),
        format!("{repo:#?}"),
    ] {
        assert!(!debug.contains(hunter), "secret in Debug output: {debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }
    let wire = serde_json::to_value(&repo).unwrap();
    assert_eq!(wire["password"], json!(hunter));
    assert_eq!(wire["sshPrivateKey"], json!(hunter));
    let back: Repository = serde_json::from_value(wire).unwrap();
    assert_eq!(back.password.unwrap().expose(), hunter);
}

#[test]
fn changed_cluster_fields_lists_only_differences() {
    let old = Cluster {
        server: Some("https://k".into()),
        name: Some("a".into()),
        shard: Some(Int64(1)),
        info: Some(ClusterInfo {
            server_version: Some("1.29".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut new = old.clone();
    assert!(changed_cluster_fields(&old, &new).is_empty());
    new.name = Some("b".into());
    new.labels = Some(BTreeMap::from([("team".into(), "x".into())]));
    new.info = None; // read-only: never an updated field
    new.config = Some(ClusterConfig {
        bearer_token: Some(Secret::new("t")),
        ..Default::default()
    });
    assert_eq!(
        changed_cluster_fields(&old, &new),
        vec!["name", "config", "labels"]
    );
}

#[test]
fn with_updated_fields_from_merges_user_fields_tags_and_secret_expressions() {
    let old = Cluster {
        server: Some("https://k".into()),
        ..Default::default()
    };
    let old_tags = BTreeMap::from([("a".to_string(), "1".to_string())]);
    let req = ClusterUpdateRequest {
        cluster: Some(Cluster {
            server: Some("https://k".into()),
            project: Some("p".into()),
            ..Default::default()
        }),
        updated_fields: Some(vec!["project".into(), "custom".into()]),
        tags: Some(BTreeMap::from([("a".to_string(), "2".to_string())])),
        secret_expressions: None,
        ..Default::default()
    }
    .with_updated_fields_from(&old, Some(&old_tags), None);
    assert_eq!(
        req.updated_fields.unwrap(),
        vec!["project", "custom", "tags"]
    );
}
