//! The one data source every GitOps resource shares: look an object up by scope and key
//! (identifier or name), convert the answer with the resource's own mapping, and return it
//! reduced to the data source schema ([`common::data_source_schema`]). A resource declares
//! its data source by implementing [`ScopedLookup`] and registering [`data_source`].

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use harness_gitops_client as harness;
use tfplugin::resource::DataSource;
use tfplugin::tf::schema::Schema;
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope, ScopedId};
use super::Ctx;
use crate::provider::{Defaults, ProviderData};

/// What a resource tells the generic data source: its names, the lookup call and the
/// mapping of the answer to its model.
#[async_trait]
pub trait ScopedLookup: Send + Sync + 'static {
    /// The resource model; the data source's configuration decodes into it (the attributes
    /// the data source leaves out read as null).
    type Model: Model + Default;
    /// What the API answers.
    type Response: Send + Sync;
    /// The Terraform type name (the resource's).
    const TYPE_NAME: &'static str;
    /// The kind in messages, capitalised: "Repository".
    const KIND: &'static str;
    /// The attribute that names the object in its scope (required in the data source).
    const KEY: &'static str;
    /// Where the object lives, for "not found" messages: "scope" or "project".
    const PLACE: &'static str = "scope";
    /// The data source schema.
    fn schema() -> Schema;
    /// Scope rules beyond [`Scope::check`] (e.g. project-scoped objects).
    fn check_scope(_scope: &Scope, _diags: &mut Diagnostics) {}
    /// The model's scope and key attribute.
    fn key(model: &mut Self::Model) -> (&mut Scope, &mut Val<String>);
    /// Looks the object up; `Ok(None)` when it does not exist.
    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<Self::Response>, harness::Error>;
    /// The model of the answer; `key` holds the scope and key the lookup used.
    fn convert(resp: &Self::Response, key: &Self::Model) -> Self::Model;
}

/// The registered data source of `L`.
pub fn data_source<L: ScopedLookup>() -> Arc<dyn DataSource<ProviderData>> {
    Arc::new(Scoped::<L>(PhantomData))
}

struct Scoped<L>(PhantomData<fn() -> L>);

/// The model holding only the scope (provider defaults filled in) and key the configuration
/// names, and the key. A configuration that does not fit the model is an error at its path.
fn lookup_key<L: ScopedLookup>(
    config: &Value,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<(L::Model, String)> {
    let mut config = match L::Model::from_object(config) {
        Ok(m) => m,
        Err(d) => {
            diags.0.push(d);
            return None;
        }
    };
    let (configured, key) = L::key(&mut config);
    let mut scope = configured.clone();
    scope.plan(configured, Some(defaults), diags);
    L::check_scope(&scope, diags);
    let Some(id) = key.as_deref().map(str::to_string) else {
        diags.error_at(
            AttributePath::attr(L::KEY),
            "Missing Lookup Key",
            format!(
                "Set `{}` to the {} to read.",
                L::KEY,
                L::KIND.to_lowercase()
            ),
        );
        return None;
    };
    if diags.has_errors() {
        return None;
    }
    Some((stub::<L>(scope, &id), id))
}

/// The model holding only `scope` and the key `id`: what a lookup (data source read or
/// import) starts from.
pub fn stub<L: ScopedLookup>(scope: Scope, id: &str) -> L::Model {
    let mut model = L::Model::default();
    let (s, k) = L::key(&mut model);
    *s = scope;
    *k = Val::Known(id.to_string());
    model
}

/// Import by stub: the model [`stub`] makes of the import ID, read with the resource's
/// `read`; an object that is not there is an error (an import never yields nothing).
pub async fn import<L, F>(id: &str, read: F, diags: &mut Diagnostics) -> Option<L::Model>
where
    L: ScopedLookup,
    F: AsyncFnOnce(&L::Model, &mut Diagnostics) -> Option<L::Model>,
{
    let kind = L::KIND.to_lowercase();
    let sid = ScopedId::parse_import(id, &kind, diags)?;
    let stub = stub::<L>(Scope::of_import(&sid), &sid.identifier);
    let state = read(&stub, diags).await;
    if state.is_none() && !diags.has_errors() {
        diags.error(
            format!("Cannot Import Non-Existent {}", L::KIND),
            format!("No GitOps {kind} {id:?} exists (or the API key cannot see it)."),
        );
    }
    state
}

/// The data source's state of `model`: reduced to `schema`, and wholly known (Terraform
/// refuses a data source state with unknowns; an undetermined value is an error at its path,
/// never passed on).
fn state<M: Model>(
    schema: &Schema,
    kind: &str,
    model: &M,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let v = common::data_source_value(schema, &model.to_value());
    if let Some(at) = v.first_unknown(&AttributePath::root()) {
        diags.error_at(
            at.clone(),
            format!("Unable to Read GitOps {kind}"),
            format!(
                "The {} read has no value for `{at}` (it depends on a value not known yet, such as a provider \
                 setting computed during apply).",
                kind.to_lowercase()
            ),
        );
        return None;
    }
    Some(v)
}

#[async_trait]
impl<L: ScopedLookup> DataSource<ProviderData> for Scoped<L> {
    fn type_name(&self) -> &'static str {
        L::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        L::schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = &common::client(ctx, common::DATA_SOURCE_LIMIT, diags)?;
        let (mut key, id) = lookup_key::<L>(config, &ctx.provider.defaults, diags)?;
        let scope = L::key(&mut key).0.api();
        let resp = match L::get(client, &scope, &id).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                diags.error_at(
                    AttributePath::attr(L::KEY),
                    format!("GitOps {} Not Found", L::KIND),
                    format!(
                        "No {} {id:?} exists for agent {:?} in this {}.",
                        L::KIND.to_lowercase(),
                        scope.agent,
                        L::PLACE
                    ),
                );
                return None;
            }
            Err(e) => {
                api_error(diags, &format!("Unable to Read GitOps {}", L::KIND), &e);
                return None;
            }
        };
        state(
            tfplugin::typed::schema_once::<L>(L::schema),
            L::KIND,
            &L::convert(&resp, &key),
            diags,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::gitops_repository::{GitopsRepositoryData, Repo};

    fn defaults() -> Defaults {
        Defaults {
            agent_id: "account.agent1".into(),
            org_id: Val::Null,
            project_id: Val::Null,
        }
    }

    fn config(agent: Value) -> Value {
        Value::Object(
            [
                ("identifier".to_string(), Value::string("manifests")),
                ("agent_id".to_string(), agent),
            ]
            .into_iter()
            .collect(),
        )
    }

    #[test]
    fn the_key_takes_the_provider_defaults() {
        let mut d = Diagnostics::new();
        let (mut key, id) =
            lookup_key::<GitopsRepositoryData>(&config(Value::Null), &defaults(), &mut d).unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(id, "manifests");
        assert_eq!(key.identifier, Val::Known("manifests".into()));
        assert_eq!(
            GitopsRepositoryData::key(&mut key).0.agent_id,
            Val::Known("account.agent1".into())
        );
    }

    #[test]
    fn a_configuration_that_does_not_convert_is_an_error_at_its_path() {
        // Regression: the hand-written reads dropped this (`from_object(config).ok()?`),
        // returning no state and no diagnostic.
        let mut d = Diagnostics::new();
        let r = lookup_key::<GitopsRepositoryData>(&config(Value::Bool(true)), &defaults(), &mut d);
        assert!(r.is_none());
        assert!(d.has_errors(), "{d:?}");
        assert_eq!(
            d.0[0].path.as_ref().map(ToString::to_string).as_deref(),
            Some("agent_id"),
            "{d:?}"
        );
    }

    #[tokio::test]
    async fn import_reads_the_stub_and_reports_what_is_not_there() {
        let mut d = Diagnostics::new();
        let found = import::<GitopsRepositoryData, _>(
            "o/p/agent/manifests",
            async |stub: &Repo, _: &mut Diagnostics| Some(stub.clone()),
            &mut d,
        )
        .await
        .unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(found.identifier, Val::Known("manifests".into()));
        assert_eq!(found.scope.project_id, Val::Known("p".into()));
        assert_eq!(found.scope.agent_id, Val::Known("agent".into()));

        let mut d = Diagnostics::new();
        let gone = import::<GitopsRepositoryData, _>(
            "account.a/manifests",
            async |_: &Repo, _: &mut Diagnostics| None,
            &mut d,
        )
        .await;
        assert!(gone.is_none());
        assert_eq!(
            d.0[0].summary, "Cannot Import Non-Existent Repository",
            "{d:?}"
        );

        let mut d = Diagnostics::new();
        let bad = import::<GitopsRepositoryData, _>(
            "a//b",
            async |stub: &Repo, _: &mut Diagnostics| Some(stub.clone()),
            &mut d,
        )
        .await;
        assert!(bad.is_none());
        assert_eq!(d.0[0].summary, "Invalid Import ID", "{d:?}");
    }

    #[test]
    fn a_model_that_is_not_wholly_known_is_an_error_at_its_path() {
        let schema = GitopsRepositoryData::schema();
        let mut m = Repo {
            identifier: "manifests".into(),
            ..Default::default()
        };
        let mut d = Diagnostics::new();
        assert!(state(&schema, "Repository", &m, &mut d).is_some(), "{d:?}");
        m.scope.agent_id = Val::Unknown;
        let mut d = Diagnostics::new();
        assert!(state(&schema, "Repository", &m, &mut d).is_none());
        assert_eq!(
            d.0[0].path.as_ref().map(ToString::to_string).as_deref(),
            Some("agent_id"),
            "{d:?}"
        );
    }
}
