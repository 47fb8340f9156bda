//! `harness_gitops_app_project_mapping`: which Harness project an Argo CD project of an
//! agent belongs to (the v2 project mapping API), and the data source of the same name.
//!
//! Order: model → plan hook → create/read/update/delete/import → API mapping → data source →
//! tests.
//!
//! Unlike the official provider, moving the mapping to another Harness project (`org_id`,
//! `project_id`) replaces it, as for every scoped object here.

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::AppProjectMappingV2;
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics};
use tfplugin::typed::{self, ModelResource, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope};
use super::data_source::ScopedLookup;
use super::gitops_application::kubernetes_name;
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_app_project_mapping";

/// Maps an Argo CD project of a GitOps agent to a Harness project (`org_id`, `project_id`):
/// the Argo CD project's applications, clusters and repositories then show in that Harness
/// project. One mapping per Argo CD project.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppProjectMapping {
    /// Import ID: `org_id/project_id/agent_id/argo_project_name`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Name of the Argo CD project (e.g. `harness_gitops_app_project.x.name`). Changing it
    /// replaces the mapping.
    #[tf(required, requires_replace, validate = kubernetes_name)]
    pub argo_project_name: Val<String>,
    /// Harness identifier of the mapping.
    #[tf(computed, keep_prior)]
    pub identifier: Val<String>,
}

/// A mapping names a Harness project: org and project are required (known or not yet).
fn check_project_scope(scope: &Scope, diags: &mut Diagnostics) {
    for (v, n) in [
        (&scope.org_id, Scope::ORG_ID),
        (&scope.project_id, Scope::PROJECT_ID),
    ] {
        if v.is_null() {
            diags.error_at(
                AttributePath::attr(n),
                "Harness Project Required",
                "A project mapping maps an Argo CD project to a Harness project: set `org_id` and `project_id` (or the provider's).",
            );
        }
    }
}

/// The resource.
pub struct GitopsAppProjectMapping;

#[async_trait]
impl ModelResource<ProviderData> for GitopsAppProjectMapping {
    type Model = AppProjectMapping;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, AppProjectMapping, ProviderData>,
        planned: &mut AppProjectMapping,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.provider.is_some() {
            check_project_scope(&planned.scope, diags);
        }
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.argo_project_name);
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &AppProjectMapping,
        _config: &AppProjectMapping,
        diags: &mut Diagnostics,
    ) -> Option<AppProjectMapping> {
        let client = &common::client(ctx, "the mapping's 20m create deadline", diags)?;
        let argo = planned.argo_project_name.as_deref().unwrap_or_default();
        let scope = planned.scope.api();
        match client.project_mappings().create(&scope, argo).await {
            Ok(m) => Some(from_api(&m, planned)),
            Err(e) => {
                // A lost answer: the mapping may exist; look it up before failing.
                if let Ok(Some(m)) = client.project_mappings().find(&scope, argo).await {
                    return Some(from_api(&m, planned));
                }
                common::create_error(
                    diags,
                    "Unable to Create Project Mapping",
                    &e,
                    "project mapping",
                    planned.id.known().cloned(),
                );
                common::failed_create_state(&e, planned, "project mapping", diags)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: &AppProjectMapping,
        diags: &mut Diagnostics,
    ) -> Option<AppProjectMapping> {
        let client = &common::client(ctx, "the mapping's 20m read deadline", diags)?;
        let argo = current.argo_project_name.as_deref().unwrap_or_default();
        let scope = current.scope.api();
        let found = match current.identifier.non_empty() {
            Some(id) => client.project_mappings().get_opt(&scope, id, argo).await,
            None => client.project_mappings().find(&scope, argo).await,
        };
        match found {
            Ok(Some(m)) => Some(from_api(&m, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read Project Mapping", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _prior: &AppProjectMapping,
        planned: &AppProjectMapping,
        _config: &AppProjectMapping,
        _diags: &mut Diagnostics,
    ) -> Option<AppProjectMapping> {
        // Every configurable attribute replaces the mapping: nothing to send.
        Some(planned.clone())
    }

    async fn delete(&self, ctx: &Ctx, prior: &AppProjectMapping, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "the mapping's 20m delete deadline", diags) else {
            return;
        };
        let argo = prior.argo_project_name.as_deref().unwrap_or_default();
        let Some(id) = prior.identifier.non_empty() else {
            return;
        };
        if let Err(e) = client
            .project_mappings()
            .delete(&prior.scope.api(), id, argo)
            .await
        {
            api_error(diags, "Unable to Delete Project Mapping", &e);
        }
    }

    async fn import(
        &self,
        ctx: &Ctx,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<AppProjectMapping> {
        let read =
            async |stub: &AppProjectMapping, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsAppProjectMappingData, _>(id, read, diags).await
    }
}

/// The state for an API answer; the scope is the one Harness reports when it says.
fn from_api(m: &AppProjectMappingV2, prior: &AppProjectMapping) -> AppProjectMapping {
    let mut out = prior.clone();
    let some = |v: &Option<String>, p: &Val<String>| match v.as_deref() {
        Some(x) if !x.is_empty() => Val::Known(x.to_string()),
        _ => p.clone(),
    };
    out.scope.org_id = some(&m.org_identifier, &prior.scope.org_id);
    out.scope.project_id = some(&m.project_identifier, &prior.scope.project_id);
    out.argo_project_name = some(&m.argo_project_name, &prior.argo_project_name);
    out.identifier = Val::from_option(m.identifier.clone().filter(|x| !x.is_empty()));
    out.id = out.scope.import_id(&out.argo_project_name);
    out
}

/// The data source: a mapping looked up by scope and Argo CD project name.
pub struct GitopsAppProjectMappingData;

#[async_trait]
impl ScopedLookup for GitopsAppProjectMappingData {
    type Model = AppProjectMapping;
    type Response = AppProjectMappingV2;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Project mapping";
    const KEY: &'static str = AppProjectMapping::ARGO_PROJECT_NAME;
    const PLACE: &'static str = "project";

    fn schema() -> Schema {
        common::data_source_schema(
            &AppProjectMapping::schema(),
            "Reads the mapping of an Argo CD project to a Harness project.",
            &[
                (AppProjectMapping::ARGO_PROJECT_NAME, Constraint::Required),
                (Scope::AGENT_ID, Constraint::OptionalComputed),
                (Scope::ORG_ID, Constraint::OptionalComputed),
                (Scope::PROJECT_ID, Constraint::OptionalComputed),
            ],
            &[],
        )
    }

    fn check_scope(scope: &Scope, diags: &mut Diagnostics) {
        check_project_scope(scope, diags);
    }

    fn key(m: &mut AppProjectMapping) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.argo_project_name)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<AppProjectMappingV2>, harness::Error> {
        client.project_mappings().find(scope, key).await
    }

    fn convert(resp: &AppProjectMappingV2, key: &AppProjectMapping) -> AppProjectMapping {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsAppProjectMapping)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Defaults;
    use crate::resources::test_support::{cfg_value, plan, provider};
    use tfplugin::tf::Value;

    #[test]
    fn schema_follows_terraform_rules() {
        assert_eq!(
            AppProjectMapping::schema().validate(true),
            Vec::<String>::new()
        );
        assert_eq!(
            GitopsAppProjectMappingData::schema().validate(false),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_harness_project_is_required_and_unknowns_refine() {
        let account = provider(Defaults {
            agent_id: "account.agent1".into(),
            org_id: Val::Null,
            project_id: Val::Null,
        });
        let config = cfg_value::<AppProjectMapping>(&[("argo_project_name", "ml".into())]);
        let (_, d) = plan(&resource(), &Value::Null, &config, Some(&account));
        assert!(d.has_errors(), "{d:?}");
        let known = provider(Defaults {
            agent_id: "account.agent1".into(),
            org_id: "default".into(),
            project_id: "mlplatform".into(),
        });
        let (planned, d) = plan(&resource(), &Value::Null, &config, Some(&known));
        assert!(!d.has_errors(), "{d:?}");
        assert_eq!(
            planned.attr("id").as_str(),
            Some("default/mlplatform/account.agent1/ml")
        );
        let unknown = provider(Defaults {
            agent_id: Val::Unknown,
            org_id: Val::Unknown,
            project_id: Val::Unknown,
        });
        tfplugin::testing::assert_unknowns_refine(
            resource(),
            Some(&known),
            Some(&unknown),
            &Value::Null,
            &config,
        );
    }

    #[test]
    fn mapping_reads_the_capitalised_and_the_sdk_spelling() {
        for body in [
            r#"{"identifier":"abc","ArgoProjectName":"ml","orgIdentifier":"o","projectIdentifier":"p"}"#,
            r#"{"identifier":"abc","argoProjectName":"ml","orgIdentifier":"o","projectIdentifier":"p"}"#,
        ] {
            let m: AppProjectMappingV2 = serde_json::from_str(body).unwrap();
            let prior = AppProjectMapping {
                scope: Scope {
                    agent_id: "account.a".into(),
                    ..Default::default()
                },
                ..Default::default()
            };
            let s = from_api(&m, &prior);
            assert_eq!(s.argo_project_name, Val::Known("ml".into()));
            assert_eq!(s.identifier, Val::Known("abc".into()));
            assert_eq!(s.id, Val::Known("o/p/account.a/ml".into()));
        }
    }
}
