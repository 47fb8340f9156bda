//! ApplicationSet bodies (reference harness-gitops-more.md §3.2, §3.3, §5.3): the Harness wrapper
//! `servicev1ApplicationSet`, the Argo CD `applicationsApplicationSet` (spec, generators,
//! template, status), the create/update request, the generate (dry run) request and answer, and
//! the list query and page.
//!
//! Two wire types need care:
//! * [`RawJson`] (`v1JSON {raw: bytes}`): list elements, plugin parameters and a matrix/merge
//!   nested inside a matrix/merge child. Sent as `{"raw": base64(JSON text)}`; read from that
//!   wrapper or from a bare JSON value (some answers carry the value itself).
//! * [`IntOrString`] (`intstrIntOrString`): a rolling-sync step's `maxUpdate`. Sent as
//!   `{type, intVal | strVal}`; read from that object, a bare number or a bare string (`"10%"`).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::application::{Application, ApplicationSpec};
use super::application_status::ResourceStatus;
use super::common::{ObjectMeta, Time};
use super::wire::{api_model, Int64};

// ---------------------------------------------------------------------------------------------
// Harness wrapper, requests and answers

api_model! {
    /// `servicev1ApplicationSet`: the Harness wrapper returned by get/create/update.
    /// `identifier` is the server's UUID (the path id of get and delete). A 200 without
    /// `appset` is treated as gone.
    pub struct ApplicationSetResponse {
        pub identifier: Option<String>,
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub created_at: Option<String>,
        pub last_modified_at: Option<String>,
        pub owner: Option<String>,
        pub appset: Option<ApplicationSet>,
    }
}

api_model! {
    /// `applicationsApplicationSetCreateRequest`: body of `POST /api/v1/applicationset`
    /// (create) and `PUT /api/v1/applicationset` (update).
    pub struct ApplicationSetCreateRequest {
        pub applicationset: Option<ApplicationSet>,
        pub upsert: Option<bool>,
        pub dry_run: Option<bool>,
        /// protobuf `bytes` (base64 text) of a YAML ApplicationSet; unused by this client.
        pub yaml: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSetResponse`: the answer of delete.
    pub struct ApplicationSetDeleteResponse {
        pub project: Option<String>,
        pub applicationset: Option<ApplicationSet>,
    }
}

api_model! {
    /// `applicationsApplicationSetGenerateRequest`: body of
    /// `POST /api/v1/applicationset/generate` (a dry run).
    pub struct ApplicationSetGenerateRequest {
        pub applicationset: Option<ApplicationSet>,
        pub yaml: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSetGenerateResponse`: the applications a set would generate.
    pub struct ApplicationSetGenerateResponse {
        pub applications: Option<Vec<Application>>,
    }
}

api_model! {
    /// `v1ApplicationSetQuery`: body of `POST /api/v1/applicationsets` (the list; the scope is
    /// in the body). `filter` is a free-form (Mongo-style) object.
    pub struct ApplicationSetQuery {
        pub account_identifier: Option<String>,
        pub org_identifier: Option<String>,
        pub project_identifier: Option<String>,
        pub agent_identifier: Option<String>,
        pub search_term: Option<String>,
        pub page_size: Option<i32>,
        pub page_index: Option<i32>,
        pub filter: Option<serde_json::Value>,
        /// `SORT_BY_NOT_SET`, `NAME`, `GITOPS_AGENT`, `SOURCE`, `DESTINATION`.
        pub sort_by: Option<String>,
        /// `SORT_ORDER_NOT_SET`, `ASC`, `DESC`.
        pub sort_order: Option<String>,
        pub metadata_only: Option<bool>,
        pub fields: Option<Vec<String>>,
    }
}

api_model! {
    /// `servicev1ApplicationSetList`: one page of sets.
    pub struct ApplicationSetList {
        pub content: Option<Vec<ApplicationSetResponse>>,
        pub total_pages: Option<i32>,
        pub total_items: Option<i32>,
        pub page_item_count: Option<i32>,
        pub page_size: Option<i32>,
        pub page_index: Option<i32>,
        pub empty: Option<bool>,
    }
}

// ---------------------------------------------------------------------------------------------
// The Argo CD object

api_model! {
    /// `applicationsApplicationSet`.
    pub struct ApplicationSet {
        pub metadata: Option<ObjectMeta>,
        pub spec: Option<ApplicationSetSpec>,
        /// Read-only.
        pub status: Option<ApplicationSetStatus>,
    }
}

api_model! {
    /// `applicationsApplicationSetSpec`.
    pub struct ApplicationSetSpec {
        pub go_template: Option<bool>,
        pub generators: Option<Vec<ApplicationSetGenerator>>,
        pub template: Option<ApplicationSetTemplate>,
        pub sync_policy: Option<ApplicationSetSyncPolicy>,
        pub strategy: Option<ApplicationSetStrategy>,
        pub preserved_fields: Option<PreservedFields>,
        /// e.g. `missingkey=error`.
        pub go_template_options: Option<Vec<String>>,
        pub apply_nested_selectors: Option<bool>,
        pub ignore_application_differences: Option<Vec<ApplicationSetResourceIgnoreDifferences>>,
        pub template_patch: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSetTemplate`: metadata and the application spec every
    /// generated application gets (strings may hold `{{…}}` parameters).
    pub struct ApplicationSetTemplate {
        pub metadata: Option<ApplicationSetTemplateMeta>,
        pub spec: Option<ApplicationSpec>,
    }
}

api_model! {
    /// `applicationsApplicationSetTemplateMeta`.
    pub struct ApplicationSetTemplateMeta {
        pub name: Option<String>,
        pub namespace: Option<String>,
        pub labels: Option<BTreeMap<String, String>>,
        pub annotations: Option<BTreeMap<String, String>>,
        pub finalizers: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplicationSetSyncPolicy`.
    pub struct ApplicationSetSyncPolicy {
        pub preserve_resources_on_deletion: Option<bool>,
        /// `create-only`, `create-update`, `create-delete` or `sync` (unset = `sync`).
        pub applications_sync: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSetStrategy`.
    pub struct ApplicationSetStrategy {
        /// `AllAtOnce` or `RollingSync`.
        #[serde(rename = "type")]
        pub strategy_type: Option<String>,
        pub rolling_sync: Option<ApplicationSetRolloutStrategy>,
    }
}

api_model! {
    /// `applicationsApplicationSetRolloutStrategy`.
    pub struct ApplicationSetRolloutStrategy {
        pub steps: Option<Vec<ApplicationSetRolloutStep>>,
    }
}

api_model! {
    /// `applicationsApplicationSetRolloutStep`.
    pub struct ApplicationSetRolloutStep {
        pub match_expressions: Option<Vec<ApplicationMatchExpression>>,
        pub max_update: Option<IntOrString>,
    }
}

api_model! {
    /// `applicationsApplicationMatchExpression`.
    pub struct ApplicationMatchExpression {
        pub key: Option<String>,
        pub operator: Option<String>,
        pub values: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplicationPreservedFields`.
    pub struct PreservedFields {
        pub annotations: Option<Vec<String>>,
        pub labels: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplicationSetResourceIgnoreDifferences`.
    pub struct ApplicationSetResourceIgnoreDifferences {
        pub name: Option<String>,
        pub json_pointers: Option<Vec<String>>,
        pub jq_path_expressions: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsApplicationSetStatus` (read-only).
    pub struct ApplicationSetStatus {
        pub conditions: Option<Vec<ApplicationSetCondition>>,
        pub application_status: Option<Vec<ApplicationSetApplicationStatus>>,
        pub resources: Option<Vec<ResourceStatus>>,
    }
}

api_model! {
    /// `applicationsApplicationSetCondition`: e.g. `ErrorOccurred`, `ParametersGenerated`,
    /// `ResourcesUpToDate`, with `status` `True`/`False`.
    pub struct ApplicationSetCondition {
        #[serde(rename = "type")]
        pub condition_type: Option<String>,
        pub message: Option<String>,
        pub last_transition_time: Option<Time>,
        pub status: Option<String>,
        pub reason: Option<String>,
    }
}

api_model! {
    /// `applicationsApplicationSetApplicationStatus`: one generated application's
    /// progressive-sync state.
    pub struct ApplicationSetApplicationStatus {
        pub application: Option<String>,
        pub last_transition_time: Option<Time>,
        pub message: Option<String>,
        pub status: Option<String>,
        pub step: Option<String>,
        /// The document spells it in lower case.
        #[serde(rename = "targetrevisions")]
        pub target_revisions: Option<Vec<String>>,
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

api_model! {
    /// `applicationsApplicationSetGenerator`: exactly one kind per entry, plus an optional
    /// `selector` post-filter.
    pub struct ApplicationSetGenerator {
        pub list: Option<ListGenerator>,
        pub clusters: Option<ClusterGenerator>,
        pub git: Option<GitGenerator>,
        pub scm_provider: Option<ScmProviderGenerator>,
        pub cluster_decision_resource: Option<DuckTypeGenerator>,
        pub pull_request: Option<PullRequestGenerator>,
        pub matrix: Option<MatrixGenerator>,
        pub merge: Option<MergeGenerator>,
        pub selector: Option<LabelSelector>,
        pub plugin: Option<PluginGenerator>,
    }
}

api_model! {
    /// `applicationsApplicationSetNestedGenerator`: a child of a matrix or merge. A matrix or
    /// merge here is untyped `v1JSON` (its children may not combine again: Argo CD's nesting
    /// limit); [`RawJson::encode`] / [`RawJson::decode`] convert a [`MatrixGenerator`] or
    /// [`MergeGenerator`].
    pub struct ApplicationSetNestedGenerator {
        pub list: Option<ListGenerator>,
        pub clusters: Option<ClusterGenerator>,
        pub git: Option<GitGenerator>,
        pub scm_provider: Option<ScmProviderGenerator>,
        pub cluster_decision_resource: Option<DuckTypeGenerator>,
        pub pull_request: Option<PullRequestGenerator>,
        pub matrix: Option<RawJson>,
        pub merge: Option<RawJson>,
        pub selector: Option<LabelSelector>,
        pub plugin: Option<PluginGenerator>,
    }
}

api_model! {
    /// `applicationsListGenerator`: each element (arbitrary JSON, usually an object of
    /// strings) is one parameter set.
    pub struct ListGenerator {
        pub elements: Option<Vec<RawJson>>,
        pub template: Option<ApplicationSetTemplate>,
        pub elements_yaml: Option<String>,
    }
}

api_model! {
    /// `applicationsClusterGenerator`: the agent's clusters (`name`, `server`,
    /// `metadata.labels.*`, `values.*`).
    pub struct ClusterGenerator {
        pub selector: Option<LabelSelector>,
        pub template: Option<ApplicationSetTemplate>,
        pub values: Option<BTreeMap<String, String>>,
        pub flat_list: Option<bool>,
    }
}

api_model! {
    /// `applicationsGitGenerator`.
    pub struct GitGenerator {
        #[serde(rename = "repoURL")]
        pub repo_url: Option<String>,
        pub directories: Option<Vec<GitDirectoryGeneratorItem>>,
        pub files: Option<Vec<GitFileGeneratorItem>>,
        pub revision: Option<String>,
        pub requeue_after_seconds: Option<Int64>,
        pub template: Option<ApplicationSetTemplate>,
        pub path_param_prefix: Option<String>,
        pub values: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `applicationsGitDirectoryGeneratorItem`.
    pub struct GitDirectoryGeneratorItem {
        pub path: Option<String>,
        pub exclude: Option<bool>,
    }
}

api_model! {
    /// `applicationsGitFileGeneratorItem`.
    pub struct GitFileGeneratorItem {
        pub path: Option<String>,
    }
}

api_model! {
    /// `applicationsSCMProviderGenerator`.
    pub struct ScmProviderGenerator {
        pub github: Option<ScmProviderGithub>,
        pub gitlab: Option<ScmProviderGitlab>,
        pub bitbucket: Option<ScmProviderBitbucket>,
        pub bitbucket_server: Option<ScmProviderBitbucketServer>,
        pub gitea: Option<ScmProviderGitea>,
        pub azure_dev_ops: Option<ScmProviderAzureDevOps>,
        pub filters: Option<Vec<ScmProviderFilter>>,
        pub clone_protocol: Option<String>,
        pub requeue_after_seconds: Option<Int64>,
        pub template: Option<ApplicationSetTemplate>,
        pub values: Option<BTreeMap<String, String>>,
        pub aws_code_commit: Option<ScmProviderAwsCodeCommit>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorGithub`.
    pub struct ScmProviderGithub {
        pub organization: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub app_secret_name: Option<String>,
        pub all_branches: Option<bool>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorGitlab`.
    pub struct ScmProviderGitlab {
        pub group: Option<String>,
        pub include_subgroups: Option<bool>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub all_branches: Option<bool>,
        pub insecure: Option<bool>,
        pub include_shared_projects: Option<bool>,
        pub topic: Option<String>,
        pub ca_ref: Option<ConfigMapKeyRef>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorBitbucket` (Bitbucket Cloud).
    pub struct ScmProviderBitbucket {
        pub owner: Option<String>,
        pub user: Option<String>,
        pub app_password_ref: Option<SecretRef>,
        pub all_branches: Option<bool>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorBitbucketServer`.
    pub struct ScmProviderBitbucketServer {
        pub project: Option<String>,
        pub api: Option<String>,
        pub basic_auth: Option<BasicAuthBitbucketServer>,
        pub all_branches: Option<bool>,
        pub bearer_token: Option<BearerTokenBitbucket>,
        pub insecure: Option<bool>,
        pub ca_ref: Option<ConfigMapKeyRef>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorGitea`.
    pub struct ScmProviderGitea {
        pub owner: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub all_branches: Option<bool>,
        pub insecure: Option<bool>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorAzureDevOps`.
    pub struct ScmProviderAzureDevOps {
        pub organization: Option<String>,
        pub api: Option<String>,
        pub team_project: Option<String>,
        pub access_token_ref: Option<SecretRef>,
        pub all_branches: Option<bool>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorAWSCodeCommit`.
    pub struct ScmProviderAwsCodeCommit {
        pub tag_filters: Option<Vec<TagFilter>>,
        pub role: Option<String>,
        pub region: Option<String>,
        pub all_branches: Option<bool>,
    }
}

api_model! {
    /// `applicationsTagFilter`.
    pub struct TagFilter {
        pub key: Option<String>,
        pub value: Option<String>,
    }
}

api_model! {
    /// `applicationsSCMProviderGeneratorFilter`.
    pub struct ScmProviderFilter {
        pub repository_match: Option<String>,
        pub paths_exist: Option<Vec<String>>,
        pub paths_do_not_exist: Option<Vec<String>>,
        pub label_match: Option<String>,
        pub branch_match: Option<String>,
    }
}

api_model! {
    /// `applicationsPullRequestGenerator`. Azure DevOps is spelt `azuredevops` here.
    pub struct PullRequestGenerator {
        pub github: Option<PullRequestGithub>,
        pub gitlab: Option<PullRequestGitlab>,
        pub gitea: Option<PullRequestGitea>,
        pub bitbucket_server: Option<PullRequestBitbucketServer>,
        pub filters: Option<Vec<PullRequestFilter>>,
        pub requeue_after_seconds: Option<Int64>,
        pub template: Option<ApplicationSetTemplate>,
        pub bitbucket: Option<PullRequestBitbucket>,
        #[serde(rename = "azuredevops")]
        pub azure_dev_ops: Option<PullRequestAzureDevOps>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorGithub`.
    pub struct PullRequestGithub {
        pub owner: Option<String>,
        pub repo: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub app_secret_name: Option<String>,
        pub labels: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorGitLab`.
    pub struct PullRequestGitlab {
        pub project: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub labels: Option<Vec<String>>,
        pub pull_request_state: Option<String>,
        pub insecure: Option<bool>,
        pub ca_ref: Option<ConfigMapKeyRef>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorGitea`.
    pub struct PullRequestGitea {
        pub owner: Option<String>,
        pub repo: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub insecure: Option<bool>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorBitbucketServer`.
    pub struct PullRequestBitbucketServer {
        pub project: Option<String>,
        pub repo: Option<String>,
        pub api: Option<String>,
        pub basic_auth: Option<BasicAuthBitbucketServer>,
        pub bearer_token: Option<BearerTokenBitbucket>,
        pub insecure: Option<bool>,
        pub ca_ref: Option<ConfigMapKeyRef>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorBitbucket` (Bitbucket Cloud).
    pub struct PullRequestBitbucket {
        pub owner: Option<String>,
        pub repo: Option<String>,
        pub api: Option<String>,
        pub basic_auth: Option<BasicAuthBitbucketServer>,
        pub bearer_token: Option<BearerTokenBitbucket>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorAzureDevOps`.
    pub struct PullRequestAzureDevOps {
        pub organization: Option<String>,
        pub project: Option<String>,
        pub repo: Option<String>,
        pub api: Option<String>,
        pub token_ref: Option<SecretRef>,
        pub labels: Option<Vec<String>>,
    }
}

api_model! {
    /// `applicationsPullRequestGeneratorFilter`.
    pub struct PullRequestFilter {
        pub branch_match: Option<String>,
        pub target_branch_match: Option<String>,
    }
}

api_model! {
    /// `applicationsSecretRef`: names a Kubernetes Secret key (no secret value).
    pub struct SecretRef {
        pub secret_name: Option<String>,
        pub key: Option<String>,
    }
}

api_model! {
    /// `applicationsConfigMapKeyRef`.
    pub struct ConfigMapKeyRef {
        pub config_map_name: Option<String>,
        pub key: Option<String>,
    }
}

api_model! {
    /// `applicationsBasicAuthBitbucketServer`.
    pub struct BasicAuthBitbucketServer {
        pub username: Option<String>,
        pub password_ref: Option<SecretRef>,
    }
}

api_model! {
    /// `applicationsBearerTokenBitbucket` (and `…BitbucketCloud`, the same shape).
    pub struct BearerTokenBitbucket {
        pub token_ref: Option<SecretRef>,
    }
}

api_model! {
    /// `applicationsDuckTypeGenerator` (`clusterDecisionResource`).
    pub struct DuckTypeGenerator {
        pub config_map_ref: Option<String>,
        pub name: Option<String>,
        pub requeue_after_seconds: Option<Int64>,
        pub label_selector: Option<LabelSelector>,
        pub template: Option<ApplicationSetTemplate>,
        pub values: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `applicationsPluginGenerator`.
    pub struct PluginGenerator {
        pub config_map_ref: Option<PluginConfigMapRef>,
        pub input: Option<PluginInput>,
        pub requeue_after_seconds: Option<Int64>,
        pub template: Option<ApplicationSetTemplate>,
        pub values: Option<BTreeMap<String, String>>,
    }
}

api_model! {
    /// `applicationsPluginConfigMapRef`.
    pub struct PluginConfigMapRef {
        pub name: Option<String>,
    }
}

api_model! {
    /// `applicationsPluginInput`: parameters of any JSON type.
    pub struct PluginInput {
        pub parameters: Option<BTreeMap<String, RawJson>>,
    }
}

api_model! {
    /// `applicationsMatrixGenerator`: the cartesian product of exactly two children.
    pub struct MatrixGenerator {
        pub generators: Option<Vec<ApplicationSetNestedGenerator>>,
        pub template: Option<ApplicationSetTemplate>,
    }
}

api_model! {
    /// `applicationsMergeGenerator`: the first child's parameter sets, overridden by the
    /// others' where `mergeKeys` agree.
    pub struct MergeGenerator {
        pub generators: Option<Vec<ApplicationSetNestedGenerator>>,
        pub merge_keys: Option<Vec<String>>,
        pub template: Option<ApplicationSetTemplate>,
    }
}

api_model! {
    /// `v1LabelSelector`.
    pub struct LabelSelector {
        pub match_labels: Option<BTreeMap<String, String>>,
        pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
    }
}

api_model! {
    /// `v1LabelSelectorRequirement`: `operator` is `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub struct LabelSelectorRequirement {
        pub key: Option<String>,
        pub operator: Option<String>,
        pub values: Option<Vec<String>>,
    }
}

// ---------------------------------------------------------------------------------------------
// v1JSON

/// `v1JSON`: a JSON document carried as protobuf `bytes`. `raw` holds the JSON text as given
/// (not re-parsed: comparing two of them compares text; use [`RawJson::value`] to compare
/// meaning).
///
/// Encoded as `{"raw": "<base64 of the text>"}`. Decoded from that wrapper (an object whose
/// only key is `raw`, a string) or from any other JSON value, which is kept as its JSON text.
/// Hence a bare element that is itself exactly `{"raw": "<string>"}` reads as a wrapper.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawJson {
    pub raw: Vec<u8>,
}

impl RawJson {
    /// The JSON text of `value`.
    pub fn from_value(value: &serde_json::Value) -> RawJson {
        RawJson {
            raw: value.to_string().into_bytes(),
        }
    }

    /// Any serialisable value (e.g. a [`MatrixGenerator`] nested in a matrix child).
    ///
    /// # Errors
    /// When `value` cannot be encoded as JSON.
    pub fn encode<T: Serialize>(value: &T) -> Result<RawJson, serde_json::Error> {
        Ok(RawJson {
            raw: serde_json::to_vec(value)?,
        })
    }

    /// The JSON value of the text.
    ///
    /// # Errors
    /// When the text is not JSON.
    pub fn value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.raw)
    }

    /// The text decoded as `T` (e.g. a [`MergeGenerator`]).
    ///
    /// # Errors
    /// When the text is not JSON or not a `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.raw)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(
            "raw",
            &base64::engine::general_purpose::STANDARD.encode(&self.raw),
        )?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if let Some(obj) = v.as_object() {
            if obj.len() == 1 {
                if let Some(text) = obj.get("raw").and_then(serde_json::Value::as_str) {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| de::Error::custom("v1JSON `raw` is not base64"))?;
                    return Ok(RawJson { raw });
                }
            }
        }
        Ok(RawJson::from_value(&v))
    }
}

// ---------------------------------------------------------------------------------------------
// intstr

/// `intstrIntOrString`: an integer or a string such as `"10%"`. `type` is Kubernetes'
/// `intstr.Type` (0 int, 1 string), an int64 string on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntOrString {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Int64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub int_val: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub str_val: Option<String>,
}

impl IntOrString {
    /// `{type: 0, intVal: n}`.
    pub fn int(n: i32) -> IntOrString {
        IntOrString {
            kind: Some(Int64(0)),
            int_val: Some(n),
            str_val: None,
        }
    }

    /// `{type: 1, strVal: s}`.
    pub fn string(s: impl Into<String>) -> IntOrString {
        IntOrString {
            kind: Some(Int64(1)),
            int_val: None,
            str_val: Some(s.into()),
        }
    }

    /// Parses user text: a whole number is an int, anything else (`"25%"`) a string.
    pub fn parse(text: &str) -> IntOrString {
        match text.trim().parse::<i32>() {
            Ok(n) => IntOrString::int(n),
            Err(_) => IntOrString::string(text),
        }
    }

    /// The value as text (`"3"`, `"25%"`): the string when `type` is 1 or only `strVal` is
    /// set, else the int (`None` when neither is set).
    pub fn text(&self) -> Option<String> {
        let is_string = self.kind == Some(Int64(1)) || self.int_val.is_none();
        if is_string {
            if let Some(s) = &self.str_val {
                return Some(s.clone());
            }
        }
        self.int_val
            .map(|n| n.to_string())
            .or_else(|| self.str_val.clone())
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Object {
            #[serde(rename = "type", default)]
            kind: Option<Int64>,
            #[serde(default)]
            int_val: Option<i32>,
            #[serde(default)]
            str_val: Option<String>,
        }
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Number(n) => {
                let n = n
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| de::Error::custom(format_args!("{n} is not an int32")))?;
                Ok(IntOrString::int(n))
            }
            serde_json::Value::String(s) => Ok(IntOrString::string(s)),
            obj @ serde_json::Value::Object(_) => {
                let o: Object = serde_json::from_value(obj).map_err(de::Error::custom)?;
                Ok(IntOrString {
                    kind: o.kind,
                    int_val: o.int_val,
                    str_val: o.str_val,
                })
            }
            _ => Err(de::Error::custom(
                "expected an int-or-string as an object, a number or a string",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_json_sends_base64_and_reads_wrapper_or_bare_value() {
        let e = RawJson::from_value(&json!({"cluster": "dev"}));
        let wire = serde_json::to_value(&e).unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(wire["raw"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&text).unwrap(),
            json!({"cluster": "dev"})
        );
        let back: RawJson = serde_json::from_value(wire).unwrap();
        assert_eq!(back.value().unwrap(), json!({"cluster": "dev"}));
        let bare: RawJson = serde_json::from_value(json!({"cluster": "prod", "n": 1})).unwrap();
        assert_eq!(bare.value().unwrap(), json!({"cluster": "prod", "n": 1}));
        let scalar: RawJson = serde_json::from_value(json!("x")).unwrap();
        assert_eq!(scalar.value().unwrap(), json!("x"));
        assert!(serde_json::from_value::<RawJson>(json!({"raw": "!!"})).is_err());
    }

    #[test]
    fn int_or_string_reads_three_shapes_and_sends_the_object() {
        let a: IntOrString = serde_json::from_value(json!({"type": "1", "strVal": "10%"})).unwrap();
        let b: IntOrString = serde_json::from_value(json!("10%")).unwrap();
        let c: IntOrString = serde_json::from_value(json!(3)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.text().as_deref(), Some("10%"));
        assert_eq!(c, IntOrString::int(3));
        assert_eq!(c.text().as_deref(), Some("3"));
        assert_eq!(
            serde_json::to_value(IntOrString::parse("25%")).unwrap(),
            json!({"type": "1", "strVal": "25%"})
        );
        assert_eq!(
            serde_json::to_value(IntOrString::parse("2")).unwrap(),
            json!({"type": "0", "intVal": 2})
        );
        assert!(serde_json::from_value::<IntOrString>(json!(true)).is_err());
        assert!(serde_json::from_value::<IntOrString>(json!(1e12)).is_err());
    }

    #[test]
    fn nested_matrix_goes_as_raw_json() {
        let inner = MatrixGenerator {
            generators: Some(vec![ApplicationSetNestedGenerator {
                list: Some(ListGenerator {
                    elements: Some(vec![RawJson::from_value(&json!({"a": "1"}))]),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            template: None,
        };
        let child = ApplicationSetNestedGenerator {
            matrix: Some(RawJson::encode(&inner).unwrap()),
            ..Default::default()
        };
        let wire = serde_json::to_value(&child).unwrap();
        assert!(wire["matrix"]["raw"].is_string(), "{wire}");
        let back: ApplicationSetNestedGenerator = serde_json::from_value(wire).unwrap();
        let decoded: MatrixGenerator = back.matrix.unwrap().decode().unwrap();
        assert_eq!(decoded, inner);
        // A bare nested matrix in an answer reads too.
        let bare: ApplicationSetNestedGenerator = serde_json::from_value(
            json!({"matrix": {"generators": [{"list": {"elements": [{"a": "1"}]}}]}}),
        )
        .unwrap();
        let m: MatrixGenerator = bare.matrix.unwrap().decode().unwrap();
        assert_eq!(
            m.generators.unwrap()[0]
                .list
                .as_ref()
                .unwrap()
                .elements
                .as_ref()
                .unwrap()[0]
                .value()
                .unwrap(),
            json!({"a": "1"})
        );
    }
}
