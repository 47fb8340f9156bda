//! The generators of an ApplicationSet, as Terraform models.
//!
//! Argo CD nests combination generators (`matrix`, `merge`) at most once: the top level's
//! children may be combinations whose children may not (applicationset_types.go: CRDs cannot
//! express recursive types). Terraform schemas cannot either, so the three levels are three
//! models sharing their leaf kinds ([`Leaves`], flattened into each): [`Generator`] (top
//! level), [`NestedGenerator`] (a combination's child) and [`Leaves`] itself (a nested
//! combination's child). A third level of `matrix` is then not in the schema at all, and
//! Terraform refuses it at validate time with the attribute's path.

use std::collections::BTreeMap;

use tfplugin::typed::Set;
use tfplugin::{Model, Val};

use super::{input_parameters, max_update_or_percent, yaml_list, Template};
use crate::resources::gitops_application::zero;

/// One generator: exactly one of its kinds, optionally with a `selector` that filters the
/// parameters it produces and a `template` override for its applications.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Generator {
    #[tf(flatten)]
    pub leaves: Leaves,
    /// The combinations of the parameters of two generators (a cartesian product), e.g.
    /// clusters × models. Its generators may themselves be a `matrix` or `merge` once.
    #[tf(optional, nested)]
    pub matrix: Val<Matrix>,
    /// The parameters of two or more generators merged by `merge_keys`: the first
    /// generator's parameter sets, overridden by the later ones' sets with the same keys.
    #[tf(optional, nested)]
    pub merge: Val<Merge>,
    /// Overrides of the ApplicationSet's template for the applications of this generator,
    /// whichever its kind (for a `matrix` or `merge`, the combination's): any attribute of
    /// `template`, only those set override. Argo CD ignores the templates of the generators
    /// inside a `matrix` or `merge`, so they have none.
    #[tf(optional, nested)]
    pub template: Val<Template>,
}

/// A generator inside a `matrix` or `merge`: exactly one kind; a combination here may only
/// hold leaf generators (Argo CD's nesting limit).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct NestedGenerator {
    #[tf(flatten)]
    pub leaves: Leaves,
    /// A matrix of two leaf generators (Argo CD allows no deeper nesting).
    #[tf(optional, nested)]
    pub matrix: Val<NestedMatrix>,
    /// A merge of leaf generators (Argo CD allows no deeper nesting).
    #[tf(optional, nested)]
    pub merge: Val<NestedMerge>,
}

/// The generator kinds that produce parameters themselves, and the selector.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Leaves {
    /// A fixed list of parameter sets.
    #[tf(optional, nested)]
    pub list: Val<ListGenerator>,
    /// One parameter set per Argo CD cluster (`name`, `server`, `metadata.labels.*`, ...),
    /// optionally selected by labels; `clusters = {}` for every cluster.
    #[tf(optional, nested)]
    pub clusters: Val<ClustersGenerator>,
    /// Parameter sets from a Git repository: one per matching directory, or one per
    /// matching JSON/YAML file's content.
    #[tf(optional, nested)]
    pub git: Val<GitGenerator>,
    /// One parameter set per repository (and branch) an SCM provider's organization holds.
    #[tf(optional, nested)]
    pub scm_provider: Val<ScmProviderGenerator>,
    /// One parameter set per open pull request of a repository.
    #[tf(optional, nested)]
    pub pull_request: Val<PullRequestGenerator>,
    /// Parameter sets from the status of a custom resource (a duck-typed placement
    /// decision, e.g. Open Cluster Management's `PlacementDecision`).
    #[tf(optional, nested)]
    pub cluster_decision_resource: Val<ClusterDecisionResourceGenerator>,
    /// Parameter sets from an external plugin (an HTTP service named by a ConfigMap).
    #[tf(optional, nested)]
    pub plugin: Val<PluginGenerator>,
    /// Keeps only the parameter sets whose values match these labels (a post-filter of the
    /// generator's output).
    #[tf(optional, nested)]
    pub selector: Val<LabelSelector>,
}

/// A matrix at the top level.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Matrix {
    /// Exactly two generators; a later one may use the first one's parameters.
    #[tf(required, nested)]
    pub generators: Val<Vec<NestedGenerator>>,
}

/// A merge at the top level.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Merge {
    /// The parameters whose values identify the parameter sets that are merged.
    #[tf(required)]
    pub merge_keys: Val<Set<String>>,
    /// Two or more generators, the first one the base.
    #[tf(required, nested)]
    pub generators: Val<Vec<NestedGenerator>>,
}

/// A matrix inside a matrix or merge.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct NestedMatrix {
    /// Exactly two leaf generators.
    #[tf(required, nested)]
    pub generators: Val<Vec<Leaves>>,
}

/// A merge inside a matrix or merge.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct NestedMerge {
    /// The parameters whose values identify the parameter sets that are merged.
    #[tf(required)]
    pub merge_keys: Val<Set<String>>,
    /// Two or more leaf generators, the first one the base.
    #[tf(required, nested)]
    pub generators: Val<Vec<Leaves>>,
}

/// The list generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ListGenerator {
    /// The parameter sets, e.g. `[{ model = "bert", replicas = "2" }]`; each is one
    /// application. Values are strings (Terraform converts numbers and booleans).
    #[tf(optional, null_means = zero)]
    pub elements: Val<Vec<BTreeMap<String, String>>>,
    /// More parameter sets as a YAML (or JSON) list of objects, for values that are not
    /// strings (nested objects for Go templates), e.g. `yamlencode([...])`.
    #[tf(optional, null_means = zero, validate = yaml_list)]
    pub elements_yaml: Val<String>,
}

/// The clusters generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ClustersGenerator {
    /// Only the clusters whose labels match (unset: every cluster, the local one included).
    #[tf(optional, nested)]
    pub selector: Val<LabelSelector>,
    /// Extra parameters, available as `values.<name>`; they may use the cluster's
    /// parameters (`{{name}}`).
    #[tf(optional, null_means = zero)]
    pub values: Val<BTreeMap<String, String>>,
    /// One parameter set with every cluster in a `clusters` list, instead of one per
    /// cluster.
    #[tf(optional, null_means = zero)]
    pub flat_list: Val<bool>,
}

/// The Git generator. Exactly one of `directories` and `files`.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GitGenerator {
    /// URL of the Git repository (registered with the agent).
    #[tf(required)]
    pub repo_url: Val<String>,
    /// Branch, tag or commit to read, e.g. `HEAD` or `main`.
    #[tf(required)]
    pub revision: Val<String>,
    /// Directory patterns (globs such as `models/*`): one parameter set per matching
    /// directory (`path`, `path.basename`, `path[N]`, ...). A pattern with `exclude = true`
    /// removes the directories it matches, whatever the order.
    #[tf(optional, null_means = zero, nested)]
    pub directories: Val<Set<GitDirectory>>,
    /// File patterns (globs such as `models/*/config.json`): the content of each matching
    /// JSON or YAML file is a parameter set, with `path` parameters beside it.
    #[tf(optional, null_means = zero, nested)]
    pub files: Val<Set<GitFile>>,
    /// A prefix for the path parameters (`<prefix>.path`), to keep them apart from a
    /// file's own keys.
    #[tf(optional, null_means = zero)]
    pub path_param_prefix: Val<String>,
    /// Extra parameters, available as `values.<name>`.
    #[tf(optional, null_means = zero)]
    pub values: Val<BTreeMap<String, String>>,
    /// How often Argo CD reads the repository again, in seconds (unset: Argo CD's default,
    /// 3 minutes).
    #[tf(optional, null_means = zero, validate = crate::resources::gitops_application::non_negative)]
    pub requeue_after_seconds: Val<i64>,
}

/// A directory pattern of the Git generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GitDirectory {
    /// A glob of directories, e.g. `models/*`.
    #[tf(required)]
    pub path: Val<String>,
    /// Exclude the matching directories instead of including them.
    #[tf(optional, null_means = zero)]
    pub exclude: Val<bool>,
}

/// A file pattern of the Git generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GitFile {
    /// A glob of JSON or YAML files, e.g. `models/*/config.json`.
    #[tf(required)]
    pub path: Val<String>,
}

/// A Kubernetes label selector.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct LabelSelector {
    /// Labels that must have these values.
    #[tf(optional, null_means = zero)]
    pub match_labels: Val<BTreeMap<String, String>>,
    /// Expressions that must all hold.
    #[tf(optional, null_means = zero, nested)]
    pub match_expressions: Val<Set<LabelExpression>>,
}

/// A label selector expression.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct LabelExpression {
    /// The label.
    #[tf(required)]
    pub key: Val<String>,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    #[tf(required, one_of("In", "NotIn", "Exists", "DoesNotExist"))]
    pub operator: Val<String>,
    /// The values (for `In` and `NotIn`).
    #[tf(optional, null_means = zero)]
    pub values: Val<Set<String>>,
}

/// A key of a Kubernetes Secret in Argo CD's namespace.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct SecretRef {
    /// Name of the Secret.
    #[tf(required)]
    pub secret_name: Val<String>,
    /// Key in the Secret.
    #[tf(required)]
    pub key: Val<String>,
}

/// A key of a Kubernetes ConfigMap in Argo CD's namespace (a CA certificate).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ConfigMapKeyRef {
    /// Name of the ConfigMap.
    #[tf(required)]
    pub config_map_name: Val<String>,
    /// Key in the ConfigMap.
    #[tf(required)]
    pub key: Val<String>,
}

/// Basic authentication to Bitbucket.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct BasicAuth {
    /// User name.
    #[tf(required)]
    pub username: Val<String>,
    /// The password (or app password), from a Secret.
    #[tf(required, nested)]
    pub password_ref: Val<SecretRef>,
}

/// The SCM provider generator. Exactly one provider.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmProviderGenerator {
    /// GitHub (or GitHub Enterprise) organization.
    #[tf(optional, nested)]
    pub github: Val<ScmGithub>,
    /// GitLab group.
    #[tf(optional, nested)]
    pub gitlab: Val<ScmGitlab>,
    /// Gitea organization or user.
    #[tf(optional, nested)]
    pub gitea: Val<ScmGitea>,
    /// Bitbucket Server (Data Center) project.
    #[tf(optional, nested)]
    pub bitbucket_server: Val<ScmBitbucketServer>,
    /// Bitbucket Cloud workspace.
    #[tf(optional, nested)]
    pub bitbucket: Val<ScmBitbucket>,
    /// Azure DevOps team project.
    #[tf(optional, nested)]
    pub azure_devops: Val<ScmAzureDevops>,
    /// Repositories whose filters match (any filter; every condition of a filter).
    #[tf(optional, null_means = zero, nested)]
    pub filters: Val<Vec<ScmFilter>>,
    /// `https` or `ssh`: which clone URL the `url` parameter holds.
    #[tf(optional, null_means = zero, one_of("https", "ssh"))]
    pub clone_protocol: Val<String>,
    /// How often Argo CD asks the provider again, in seconds.
    #[tf(optional, null_means = zero, validate = crate::resources::gitops_application::non_negative)]
    pub requeue_after_seconds: Val<i64>,
    /// Extra parameters, available as `values.<name>`.
    #[tf(optional, null_means = zero)]
    pub values: Val<BTreeMap<String, String>>,
}

/// A GitHub organization.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmGithub {
    /// The organization.
    #[tf(required)]
    pub organization: Val<String>,
    /// API URL of GitHub Enterprise (unset: github.com).
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Name of a Secret holding GitHub App credentials (instead of a token).
    #[tf(optional, null_means = zero)]
    pub app_secret_name: Val<String>,
    /// Every branch of every repository, not only the default branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
}

/// A GitLab group.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmGitlab {
    /// The group (ID or full path).
    #[tf(required)]
    pub group: Val<String>,
    /// API URL of a self-hosted GitLab (unset: gitlab.com).
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Every branch of every repository, not only the default branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
    /// The repositories of subgroups too.
    #[tf(optional, null_means = zero)]
    pub include_subgroups: Val<bool>,
    /// Projects shared with the group too.
    #[tf(optional, null_means = zero)]
    pub include_shared_projects: Val<bool>,
    /// Only projects with this topic.
    #[tf(optional, null_means = zero)]
    pub topic: Val<String>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
    /// A CA certificate for the API, from a ConfigMap.
    #[tf(optional, nested)]
    pub ca_ref: Val<ConfigMapKeyRef>,
}

/// A Gitea organization or user.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmGitea {
    /// The organization or user.
    #[tf(required)]
    pub owner: Val<String>,
    /// API URL of the Gitea server.
    #[tf(required)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Every branch of every repository, not only the default branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
}

/// A Bitbucket Server project.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmBitbucketServer {
    /// The project key.
    #[tf(required)]
    pub project: Val<String>,
    /// API URL of the Bitbucket Server.
    #[tf(required)]
    pub api: Val<String>,
    /// Basic authentication.
    #[tf(optional, nested, conflicts_with("bearer_token_ref"))]
    pub basic_auth: Val<BasicAuth>,
    /// A bearer token (an HTTP access token), from a Secret.
    #[tf(optional, nested)]
    pub bearer_token_ref: Val<SecretRef>,
    /// Every branch of every repository, not only the default branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
    /// A CA certificate for the API, from a ConfigMap.
    #[tf(optional, nested)]
    pub ca_ref: Val<ConfigMapKeyRef>,
}

/// A Bitbucket Cloud workspace.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmBitbucket {
    /// The workspace.
    #[tf(required)]
    pub owner: Val<String>,
    /// The user of the app password.
    #[tf(required)]
    pub user: Val<String>,
    /// The app password, from a Secret.
    #[tf(required, nested)]
    pub app_password_ref: Val<SecretRef>,
    /// Every branch of every repository, not only the main branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
}

/// An Azure DevOps team project.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmAzureDevops {
    /// The organization.
    #[tf(required)]
    pub organization: Val<String>,
    /// The team project.
    #[tf(required)]
    pub team_project: Val<String>,
    /// API URL of Azure DevOps Server (unset: dev.azure.com).
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A personal access token, from a Secret.
    #[tf(required, nested)]
    pub access_token_ref: Val<SecretRef>,
    /// Every branch of every repository, not only the default branch.
    #[tf(optional, null_means = zero)]
    pub all_branches: Val<bool>,
}

/// A filter of the SCM provider generator: every condition set must hold.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ScmFilter {
    /// A regular expression the repository name must match.
    #[tf(optional, null_means = zero)]
    pub repository_match: Val<String>,
    /// Paths that must exist in the repository.
    #[tf(optional, null_means = zero)]
    pub paths_exist: Val<Vec<String>>,
    /// Paths that must not exist in the repository.
    #[tf(optional, null_means = zero)]
    pub paths_do_not_exist: Val<Vec<String>>,
    /// A regular expression one of the repository's labels (topics) must match.
    #[tf(optional, null_means = zero)]
    pub label_match: Val<String>,
    /// A regular expression the branch name must match.
    #[tf(optional, null_means = zero)]
    pub branch_match: Val<String>,
}

/// The pull request generator. Exactly one provider.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PullRequestGenerator {
    /// A GitHub repository.
    #[tf(optional, nested)]
    pub github: Val<PrGithub>,
    /// A GitLab project.
    #[tf(optional, nested)]
    pub gitlab: Val<PrGitlab>,
    /// A Gitea repository.
    #[tf(optional, nested)]
    pub gitea: Val<PrGitea>,
    /// A Bitbucket Server repository.
    #[tf(optional, nested)]
    pub bitbucket_server: Val<PrBitbucketServer>,
    /// An Azure DevOps repository.
    #[tf(optional, nested)]
    pub azure_devops: Val<PrAzureDevops>,
    /// Pull requests whose filters match (any filter).
    #[tf(optional, null_means = zero, nested)]
    pub filters: Val<Vec<PrFilter>>,
    /// How often Argo CD asks the provider again, in seconds.
    #[tf(optional, null_means = zero, validate = crate::resources::gitops_application::non_negative)]
    pub requeue_after_seconds: Val<i64>,
}

/// Pull requests of a GitHub repository.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrGithub {
    /// Owner (organization or user).
    #[tf(required)]
    pub owner: Val<String>,
    /// Repository.
    #[tf(required)]
    pub repo: Val<String>,
    /// API URL of GitHub Enterprise (unset: github.com).
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Name of a Secret holding GitHub App credentials.
    #[tf(optional, null_means = zero)]
    pub app_secret_name: Val<String>,
    /// Only pull requests with all these labels.
    #[tf(optional, null_means = zero)]
    pub labels: Val<Set<String>>,
}

/// Merge requests of a GitLab project.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrGitlab {
    /// The project (ID or full path).
    #[tf(required)]
    pub project: Val<String>,
    /// API URL of a self-hosted GitLab.
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Only merge requests with all these labels.
    #[tf(optional, null_means = zero)]
    pub labels: Val<Set<String>>,
    /// `opened` (Argo CD's default), `closed`, `merged` or `all`.
    #[tf(optional, null_means = zero, one_of("opened", "closed", "merged", "all"))]
    pub pull_request_state: Val<String>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
    /// A CA certificate for the API, from a ConfigMap.
    #[tf(optional, nested)]
    pub ca_ref: Val<ConfigMapKeyRef>,
}

/// Pull requests of a Gitea repository.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrGitea {
    /// Owner.
    #[tf(required)]
    pub owner: Val<String>,
    /// Repository.
    #[tf(required)]
    pub repo: Val<String>,
    /// API URL of the Gitea server.
    #[tf(required)]
    pub api: Val<String>,
    /// A token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
}

/// Pull requests of a Bitbucket Server repository.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrBitbucketServer {
    /// The project key.
    #[tf(required)]
    pub project: Val<String>,
    /// Repository.
    #[tf(required)]
    pub repo: Val<String>,
    /// API URL of the Bitbucket Server.
    #[tf(required)]
    pub api: Val<String>,
    /// Basic authentication.
    #[tf(optional, nested, conflicts_with("bearer_token_ref"))]
    pub basic_auth: Val<BasicAuth>,
    /// A bearer token, from a Secret.
    #[tf(optional, nested)]
    pub bearer_token_ref: Val<SecretRef>,
    /// Skip TLS verification of the API.
    #[tf(optional, null_means = zero)]
    pub insecure: Val<bool>,
    /// A CA certificate for the API, from a ConfigMap.
    #[tf(optional, nested)]
    pub ca_ref: Val<ConfigMapKeyRef>,
}

/// Pull requests of an Azure DevOps repository.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrAzureDevops {
    /// The organization.
    #[tf(required)]
    pub organization: Val<String>,
    /// The team project.
    #[tf(required)]
    pub project: Val<String>,
    /// Repository.
    #[tf(required)]
    pub repo: Val<String>,
    /// API URL of Azure DevOps Server (unset: dev.azure.com).
    #[tf(optional, null_means = zero)]
    pub api: Val<String>,
    /// A personal access token, from a Secret.
    #[tf(optional, nested)]
    pub token_ref: Val<SecretRef>,
    /// Only pull requests with all these labels.
    #[tf(optional, null_means = zero)]
    pub labels: Val<Set<String>>,
}

/// A filter of the pull request generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PrFilter {
    /// A regular expression the source branch must match.
    #[tf(optional, null_means = zero)]
    pub branch_match: Val<String>,
    /// A regular expression the target branch must match.
    #[tf(optional, null_means = zero)]
    pub target_branch_match: Val<String>,
}

/// The cluster decision resource generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ClusterDecisionResourceGenerator {
    /// Name of the ConfigMap that says which resource kind to read and where its decisions
    /// are (`apiVersion`, `kind`, `statusListKey`, `matchKey`).
    #[tf(required)]
    pub config_map_ref: Val<String>,
    /// Name of the resource to read. Exactly one of `name` and `label_selector`.
    #[tf(optional, null_means = zero, exactly_one_of("label_selector"))]
    pub name: Val<String>,
    /// The resources to read, by label.
    #[tf(optional, nested)]
    pub label_selector: Val<LabelSelector>,
    /// How often Argo CD reads the resource again, in seconds.
    #[tf(optional, null_means = zero, validate = crate::resources::gitops_application::non_negative)]
    pub requeue_after_seconds: Val<i64>,
    /// Extra parameters, available as `values.<name>`.
    #[tf(optional, null_means = zero)]
    pub values: Val<BTreeMap<String, String>>,
}

/// The plugin generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct PluginGenerator {
    /// Name of the ConfigMap that says where the plugin listens and its token.
    #[tf(required)]
    pub config_map_ref: Val<String>,
    /// The input parameters sent to the plugin, as a JSON object (e.g. `jsonencode({...})`;
    /// values may be any JSON). Compared by meaning.
    #[tf(optional, null_means = zero, validate = input_parameters, equivalence = super::same_json)]
    pub input_parameters: Val<String>,
    /// How often Argo CD asks the plugin again, in seconds.
    #[tf(optional, null_means = zero, validate = crate::resources::gitops_application::non_negative)]
    pub requeue_after_seconds: Val<i64>,
    /// Extra parameters, available as `values.<name>`.
    #[tf(optional, null_means = zero)]
    pub values: Val<BTreeMap<String, String>>,
}

/// One step of a RollingSync: the applications its expressions select are synced, at most
/// `max_update` at a time, after the previous steps' applications are healthy.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct RollingStep {
    /// Label expressions of the applications of this step (every one must hold).
    #[tf(optional, null_means = zero, nested)]
    pub match_expressions: Val<Set<StepExpression>>,
    /// How many applications of the step are synced at once: a number (`2`) or a
    /// percentage (`"25%"`). Unset: all of them.
    #[tf(optional, null_means = zero, validate = max_update_or_percent)]
    pub max_update: Val<String>,
}

/// A label expression of a RollingSync step.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct StepExpression {
    /// The application label.
    #[tf(required)]
    pub key: Val<String>,
    /// `In` or `NotIn`.
    #[tf(required, one_of("In", "NotIn"))]
    pub operator: Val<String>,
    /// The values.
    #[tf(required)]
    pub values: Val<Set<String>>,
}
