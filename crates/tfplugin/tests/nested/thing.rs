//! `nestedtest_thing`: a test-only resource with deeply nested attributes and blocks in every
//! nesting mode, kept in an in-memory store. It exercises the framework the way the
//! application and cluster resources will: typed models, defaults, computed values inside
//! elements, write-only values, validators, private state and `timeouts`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tfplugin::ctx::Ctx;
use tfplugin::resource::{DataSource, EphemeralResource, Provider, Resource};
use tfplugin::tf::schema::Schema;
use tfplugin::tf::{Diagnostics, Value};
use tfplugin::typed::{self, Model, ModelResource, Set, Timeouts, TypedPlan, Val};
use tokio_util::sync::CancellationToken;

/// A thing with nested parts of every kind.
#[derive(Model, Clone, Debug, PartialEq)]
#[tf(version = 1)]
pub struct Thing {
    /// Identifier assigned by the store.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Name; changing it replaces the thing.
    #[tf(
        required,
        requires_replace,
        pattern("[a-z][a-z0-9-]*", "a lowercase name")
    )]
    pub name: Val<String>,
    /// Free-form labels.
    #[tf(optional)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Revision, bumped by every update.
    #[tf(computed)]
    pub revision: Val<i64>,
    /// Settings (a single nested attribute).
    #[tf(optional, nested)]
    pub settings: Val<Settings>,
    /// Sources in order (a list nested attribute).
    #[tf(optional, nested)]
    pub sources: Val<Vec<Source>>,
    /// Rules (a set nested attribute).
    #[tf(optional, nested)]
    pub rules: Val<Set<Rule>>,
    /// Environments by name (a map nested attribute).
    #[tf(optional, nested)]
    pub envs: Val<BTreeMap<String, Env>>,
    /// A secret sent to the store, never kept in state.
    #[tf(optional, write_only, conflicts_with("secret"))]
    pub secret_wo: Val<String>,
    /// A secret kept in state (sensitive).
    #[tf(optional, sensitive)]
    pub secret: Val<String>,
    /// Policy (a single block).
    #[tf(block)]
    pub policy: Val<Policy>,
    /// Options (a group block: always present).
    #[tf(block(group))]
    pub options: Val<Options>,
    /// Steps in order (a list block).
    #[tf(block, max_items = 5)]
    pub step: Val<Vec<Step>>,
    /// Tags (a set block).
    #[tf(block)]
    pub tag: Val<Set<Tag>>,
    /// Hooks by label (a map block).
    #[tf(block)]
    pub hook: Val<BTreeMap<String, Hook>>,
    /// Operation timeouts.
    #[tf(block)]
    pub timeouts: Val<Timeouts>,
}

/// Settings.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Settings {
    /// Mode; defaults to `fast`.
    #[tf(default = "fast", one_of("fast", "slow"))]
    pub mode: Val<String>,
    /// Status the store reports.
    #[tf(computed)]
    pub status: Val<String>,
    /// A nested helm-like part.
    #[tf(optional, nested)]
    pub helm: Val<Helm>,
}

/// A helm-like part, two levels down.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Helm {
    /// Values as JSON text, compared by meaning.
    #[tf(optional, equivalence = json_equal)]
    pub values: Val<String>,
    /// Parameters in order.
    #[tf(optional, nested)]
    pub parameters: Val<Vec<Param>>,
}

/// A parameter.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Param {
    /// Name.
    #[tf(required)]
    pub name: Val<String>,
    /// Value.
    #[tf(optional)]
    pub value: Val<String>,
    /// Whether the value is always a string; defaults to false.
    #[tf(default = false)]
    pub force_string: Val<bool>,
}

/// A source.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Source {
    /// Repository URL.
    #[tf(required)]
    pub url: Val<String>,
    /// Path or chart (one of them).
    #[tf(optional, exactly_one_of("chart"))]
    pub path: Val<String>,
    /// Chart.
    #[tf(optional)]
    pub chart: Val<String>,
    /// Revision; defaults to `HEAD`.
    #[tf(default = "HEAD")]
    pub revision: Val<String>,
    /// Kind; changing it replaces the thing.
    #[tf(optional, requires_replace)]
    pub kind: Val<String>,
    /// Identifier the store gives each source, kept once assigned.
    #[tf(computed, keep_prior)]
    pub uid: Val<String>,
    /// A token for this source only (write-only).
    #[tf(optional, write_only)]
    pub token_wo: Val<String>,
}

/// A rule.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Rule {
    /// Name.
    #[tf(required)]
    pub name: Val<String>,
    /// Action; defaults to `allow`.
    #[tf(default = "allow", one_of("allow", "deny"))]
    pub action: Val<String>,
    /// Hits the store counted.
    #[tf(computed)]
    pub hits: Val<i64>,
    /// Identifier the store gives each rule, kept once assigned.
    #[tf(computed, keep_prior)]
    pub uid: Val<String>,
}

/// An environment.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Env {
    /// Value.
    #[tf(required)]
    pub value: Val<String>,
    /// Whether it is secret; defaults to false.
    #[tf(default = false)]
    pub secret: Val<bool>,
    /// Identifier, kept once assigned.
    #[tf(computed, keep_prior)]
    pub uid: Val<String>,
}

/// A policy block.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Policy {
    /// Whether it applies on its own.
    #[tf(optional)]
    pub automated: Val<bool>,
    /// Retries (1 to 10).
    #[tf(optional, int_between(1, 10))]
    pub retries: Val<i64>,
    /// When the policy was last evaluated.
    #[tf(computed)]
    pub evaluated_at: Val<String>,
    /// Backoff (a single block inside a block).
    #[tf(block)]
    pub backoff: Val<Backoff>,
}

/// Backoff.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Backoff {
    /// Base duration.
    #[tf(optional, duration)]
    pub duration: Val<String>,
    /// Factor; defaults to 2.
    #[tf(default = 2)]
    pub factor: Val<i64>,
}

/// Options (group block).
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Options {
    /// Verbose output.
    #[tf(optional)]
    pub verbose: Val<bool>,
    /// Level; defaults to `info`.
    #[tf(default = "info")]
    pub level: Val<String>,
}

/// A step.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Step {
    /// Command.
    #[tf(required)]
    pub command: Val<String>,
    /// Arguments.
    #[tf(optional)]
    pub args: Val<Vec<String>>,
    /// Exit code the store recorded.
    #[tf(computed)]
    pub exit_code: Val<i64>,
    /// Retry settings (a single block in a list block).
    #[tf(block)]
    pub retry: Val<Retry>,
}

/// Retry.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Retry {
    /// Attempts.
    #[tf(optional)]
    pub attempts: Val<i64>,
}

/// A tag.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Tag {
    /// Key.
    #[tf(required)]
    pub key: Val<String>,
    /// Value.
    #[tf(optional)]
    pub value: Val<String>,
}

/// A hook.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Hook {
    /// URL.
    #[tf(required)]
    pub url: Val<String>,
    /// Events; defaults to all.
    #[tf(optional)]
    pub events: Val<Set<String>>,
}

/// JSON texts equal in meaning.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

/// What the in-memory "remote side" holds per thing, and what it was sent.
#[derive(Default)]
pub struct Store {
    pub things: BTreeMap<String, Thing>,
    pub secrets_received: Vec<String>,
    pub next: u64,
    /// Every open, renew and close of `nestedtest_secret`, in order (`open:<name>`).
    pub ephemeral_calls: Vec<String>,
}

/// The provider's data: the shared store.
pub type Shared = Arc<Mutex<Store>>;

pub struct ThingResource;

fn fill(store: &mut Store, t: &mut Thing, prior: Option<&Thing>) {
    store.next += 1;
    let n = store.next;
    t.revision = Val::Known(prior.and_then(|p| p.revision.known().copied()).unwrap_or(0) + 1);
    if let Val::Known(s) = &mut t.settings {
        s.status = Val::Known(format!("ready-{n}"));
    }
    if let Val::Known(sources) = &mut t.sources {
        for (i, s) in sources.iter_mut().enumerate() {
            if s.uid.is_unknown() || s.uid.is_null() {
                s.uid = Val::Known(format!("src-{n}-{i}"));
            }
            s.token_wo = Val::Null;
        }
    }
    if let Val::Known(rules) = &mut t.rules {
        for (i, r) in rules.0.iter_mut().enumerate() {
            r.hits = Val::Known(r.name.as_deref().map_or(0, |n| n.len() as i64));
            if !r.uid.is_known() {
                r.uid = Val::Known(format!("rule-{n}-{i}"));
            }
        }
    }
    if let Val::Known(envs) = &mut t.envs {
        for (k, e) in envs.iter_mut() {
            if !e.uid.is_known() {
                e.uid = Val::Known(format!("env-{n}-{k}"));
            }
        }
    }
    if let Val::Known(p) = &mut t.policy {
        p.evaluated_at = Val::Known(format!("t{n}"));
    }
    if let Val::Known(steps) = &mut t.step {
        for s in steps.iter_mut() {
            s.exit_code = Val::Known(0);
        }
    }
    t.secret_wo = Val::Null;
}

#[async_trait]
impl ModelResource<Shared> for ThingResource {
    type Model = Thing;

    fn type_name(&self) -> &'static str {
        "nestedtest_thing"
    }

    fn validate(&self, config: &Thing, diags: &mut Diagnostics) {
        if config.name.as_deref() == Some("forbidden") {
            diags.error_at(
                tfplugin::tf::AttributePath::attr(Thing::NAME),
                "Forbidden Name",
                "pick another name",
            );
        }
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, Thing, Shared>,
        planned: &mut Thing,
        _r: &mut Vec<tfplugin::tf::AttributePath>,
        _d: &mut Diagnostics,
    ) {
        // A step that runs nothing is known to exit 0 already at plan time (a hook that
        // changes one value deep inside a list block element).
        if let Val::Known(steps) = &mut planned.step {
            for s in steps.iter_mut() {
                if s.command.as_deref() == Some("noop") {
                    s.exit_code = Val::Known(0);
                }
            }
        }
        // The id derives from the name: unknown while the name is.
        if req.prior.is_none() {
            planned.id = match &planned.name {
                Val::Known(n) => Val::Known(format!("thing/{n}")),
                _ => Val::Unknown,
            };
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<Shared>,
        planned: &Thing,
        config: &Thing,
        _diags: &mut Diagnostics,
    ) -> Option<Thing> {
        let mut store = ctx.provider.lock().unwrap();
        let mut t = planned.clone();
        if let Some(s) = config.secret_wo.known() {
            store.secrets_received.push(s.clone());
        }
        if let Val::Known(sources) = &config.sources {
            for s in sources {
                if let Some(tok) = s.token_wo.known() {
                    store.secrets_received.push(tok.clone());
                }
            }
        }
        fill(&mut store, &mut t, None);
        let id = t.id.known().cloned().unwrap_or_default();
        ctx.private_set("created_by", Some(&"nestedtest"));
        store.things.insert(id, t.clone());
        Some(t)
    }

    async fn read(
        &self,
        ctx: &Ctx<Shared>,
        current: &Thing,
        _diags: &mut Diagnostics,
    ) -> Option<Thing> {
        assert_eq!(
            ctx.private_get::<String>("created_by").as_deref(),
            Some("nestedtest"),
            "private state written by create reaches read"
        );
        let store = ctx.provider.lock().unwrap();
        let id = current.id.known()?;
        store.things.get(id).cloned()
    }

    async fn update(
        &self,
        ctx: &Ctx<Shared>,
        prior: &Thing,
        planned: &Thing,
        _config: &Thing,
        _diags: &mut Diagnostics,
    ) -> Option<Thing> {
        let mut store = ctx.provider.lock().unwrap();
        let mut t = planned.clone();
        fill(&mut store, &mut t, Some(prior));
        let id = t.id.known().cloned().unwrap_or_default();
        store.things.insert(id, t.clone());
        Some(t)
    }

    async fn delete(&self, ctx: &Ctx<Shared>, prior: &Thing, _diags: &mut Diagnostics) {
        let mut store = ctx.provider.lock().unwrap();
        if let Some(id) = prior.id.known() {
            store.things.remove(id);
        }
    }

    async fn import(&self, ctx: &Ctx<Shared>, id: &str, diags: &mut Diagnostics) -> Option<Thing> {
        ctx.private_set("created_by", Some(&"nestedtest"));
        let store = ctx.provider.lock().unwrap();
        let t = store.things.get(id).cloned();
        if t.is_none() {
            diags.error("Cannot Import", format!("no thing {id:?}"));
        }
        t
    }
}

/// The test provider: no settings, one resource, one ephemeral resource.
pub struct NestedProvider(pub Shared);

impl Provider for NestedProvider {
    type Data = Shared;
    fn name(&self) -> &'static str {
        "nestedtest"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, "A provider for framework tests.", vec![])
    }
    fn configure(&self, _: &Value, _: CancellationToken, _: &mut Diagnostics) -> Option<Shared> {
        Some(self.0.clone())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<Shared>>> {
        vec![typed::resource(ThingResource)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Shared>>> {
        vec![]
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Shared>>> {
        vec![typed::ephemeral(crate::eph::SecretEphemeral)]
    }
}

/// The model's schema.
pub fn schema() -> Schema {
    Thing::schema()
}

/// Declarations on nested fields (derive test): parts in a list and one single part.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Declared {
    /// Parts in order.
    #[tf(optional, nested)]
    pub parts: Val<Vec<Part>>,
    /// One part.
    #[tf(optional, nested)]
    pub one: Val<Part>,
}

/// A part that may grow in place but shrinks only by replacement.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Part {
    /// Size; shrinking replaces. Unset means 0.
    #[tf(optional, requires_replace_if = grows_only, null_means = is_zero)]
    pub size: Val<i64>,
    /// URL; a trailing slash means the same.
    #[tf(optional, equivalence = same_url)]
    pub url: Val<String>,
}

/// Zero, what an unset size means.
pub fn is_zero(v: &Value) -> bool {
    v.as_i64() == Some(0)
}

/// Replacement unless the size grows (or appears).
pub fn grows_only(prior: &Value, _planned: &Value, config: &Value) -> bool {
    match (prior.as_i64(), config.as_i64()) {
        (Some(p), Some(c)) => c < p,
        _ => false,
    }
}

/// URLs that differ only in trailing slashes.
pub fn same_url(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.trim_end_matches('/') == b.trim_end_matches('/'),
        _ => false,
    }
}
