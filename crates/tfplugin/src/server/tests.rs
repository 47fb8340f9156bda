//! RPC-level behaviour that needs resources of its own: state upgrades across schema
//! versions, panics turned into diagnostics, partial state kept on a failed create.

use std::sync::Arc;

use async_trait::async_trait;
use tonic::Request;

use super::*;
use crate::tf::codec::{decode_msgpack, encode_msgpack};
use crate::tf::schema::Attribute as A;
use crate::typed::Model;

/// A resource at schema version 2 whose version 0 called `name` `title`, and whose version 1
/// stored `size` as a string.
struct Versioned;

#[async_trait]
impl Resource<()> for Versioned {
    fn type_name(&self) -> &'static str {
        "test_versioned"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            2,
            "test",
            vec![
                A::string("id").computed().description("id"),
                A::string("name").optional().description("name"),
                A::number("size").optional().description("size"),
                A::string("secret_wo")
                    .optional()
                    .write_only()
                    .description("wo"),
            ],
        )
    }
    async fn create(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn read(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        panic!("read is deliberately broken")
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
    fn upgrade(
        &self,
        from: i64,
        mut state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        let obj = state.as_object_mut()?;
        if from == 0 {
            if let Some(t) = obj.remove("title") {
                obj.insert("name".into(), t);
            }
        }
        if from <= 1 {
            if let Some(serde_json::Value::String(s)) = obj.get("size").cloned() {
                match s.parse::<i64>() {
                    Ok(n) => {
                        obj.insert("size".into(), n.into());
                    }
                    Err(_) => diags.error("Bad Size", "size is not a number"),
                }
            }
        }
        Some(state)
    }
}

/// A resource whose create "succeeds" remotely but returns a state of the wrong shape.
struct BadCreate;

#[async_trait]
impl Resource<()> for BadCreate {
    fn type_name(&self) -> &'static str {
        "test_bad_create"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            "test",
            vec![
                A::string("id").computed().description("id"),
                A::string("name").required().description("name"),
            ],
        )
    }
    async fn create(
        &self,
        _: &Ctx<()>,
        planned: &Value,
        _: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut v = planned.clone();
        v.set_attr("id", Value::Bool(true));
        diags.warning("Created", "the object exists remotely");
        Some(v)
    }
    async fn read(&self, _: &Ctx<()>, v: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(v.clone())
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
}

/// A provider with one setting and no remote side.
struct TestProvider;

impl Provider for TestProvider {
    type Data = ();
    fn name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            "test provider",
            vec![A::string("endpoint").optional().description("where")],
        )
    }
    fn configure(&self, _: &Value, _: CancellationToken, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Versioned), Arc::new(BadCreate)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        vec![]
    }
}

type Service = ProviderService<TestProvider>;

fn service() -> Service {
    ProviderService::new(TestProvider)
}

async fn configure(svc: &Service) {
    let pty = TestProvider.schema().ty();
    let mut cfg = TestProvider.schema().null_object();
    cfg.set_attr("endpoint", Value::string("http://127.0.0.1:9"));
    let resp = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(pb::DynamicValue {
                msgpack: encode_msgpack(&cfg, &pty).unwrap(),
                json: vec![],
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

#[tokio::test]
async fn a_created_object_reaches_state_even_when_its_state_cannot_be_encoded() {
    let svc = service();
    configure(&svc).await;
    let ty = BadCreate.schema().ty();
    let mut planned = BadCreate.schema().null_object();
    planned.set_attr("id", Value::unknown());
    planned.set_attr("name", Value::string("kept"));
    let dv = |v: &Value| {
        Some(pb::DynamicValue {
            msgpack: encode_msgpack(v, &ty).unwrap(),
            json: vec![],
        })
    };
    let r = svc
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_bad_create".into(),
            prior_state: dv(&Value::Null),
            planned_state: dv(&planned),
            config: dv(&planned),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.summary == "Internal Provider Error"),
        "{:?}",
        r.diagnostics
    );
    let state = decode_msgpack(&r.new_state.expect("a state").msgpack, &ty).unwrap();
    assert_eq!(state.attr("name"), &Value::string("kept"));
    assert!(
        state.attr("id").is_null(),
        "unknowns of the fallback are recorded as null"
    );
}

async fn upgrade(svc: &Service, version: i64, json: &str) -> pb::upgrade_resource_state::Response {
    svc.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
        type_name: "test_versioned".into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn older_states_go_through_the_upgrader() {
    let svc = service();
    let ty = Versioned.schema().ty();
    let r = upgrade(&svc, 0, r#"{"id":"x","title":"hello","size":"42"}"#).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::string("hello"));
    assert_eq!(v.attr("size").as_i64(), Some(42));
    assert!(v.attr("secret_wo").is_null());
}

#[tokio::test]
async fn same_version_state_decodes_new_attributes_as_null() {
    let svc = service();
    let ty = Versioned.schema().ty();
    let r = upgrade(&svc, 2, r#"{"id":"x","name":"n"}"#).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::string("n"));
    assert!(v.attr("size").is_null());
}

#[tokio::test]
async fn upgrader_errors_and_bad_json_are_diagnostics() {
    let svc = service();
    let r = upgrade(&svc, 1, r#"{"id":"x","size":"many"}"#).await;
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.upgraded_state.is_none());
    let r = upgrade(&svc, 2, "{not json").await;
    assert_eq!(r.diagnostics.len(), 1);
}

#[tokio::test]
async fn a_panicking_resource_gives_a_diagnostic_and_keeps_state() {
    let svc = service();
    // Configured against an unused endpoint: read panics before any call.
    configure(&svc).await;
    let ty = Versioned.schema().ty();
    let mut state = Versioned.schema().null_object();
    state.set_attr("id", Value::string("x"));
    let current = pb::DynamicValue {
        msgpack: encode_msgpack(&state, &ty).unwrap(),
        json: vec![],
    };
    let r = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_versioned".into(),
            current_state: Some(current.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.diagnostics[0].detail.contains("panicked"));
    assert_eq!(
        r.new_state,
        Some(current),
        "the state Terraform had is kept"
    );
}

/// A resource whose operations fail on purpose: update and delete report errors, create
/// panics, the plan hook breaks Terraform's rules when asked, and create reports the deadline
/// and private state it was given.
struct Failing;

#[async_trait]
impl Resource<()> for Failing {
    fn type_name(&self) -> &'static str {
        "test_failing"
    }
    fn schema(&self) -> Schema {
        let mut s = Schema::new(
            0,
            "test",
            vec![
                A::string("id").computed().description("id"),
                A::string("name").required().description("name"),
                A::number("deadline_secs")
                    .computed()
                    .description("seconds left at create"),
            ],
        );
        s.block.blocks.push(crate::tf::schema::NestedBlock::new(
            "timeouts",
            crate::tf::schema::Nesting::Single,
            "timeouts",
            crate::typed::Timeouts::block(),
        ));
        s
    }
    fn modify_plan(
        &self,
        req: &PlanRequest<'_, ()>,
        planned: &mut Value,
        _: &mut Vec<AttributePath>,
        _: &mut Diagnostics,
    ) {
        if req.config.attr_str("name") == Some("break-the-plan") {
            planned.set_attr("name", "something else".into());
        }
        if req.config.attr_str("name") == Some("remember") {
            req.private_set("planned_by", Some(&"plan"));
        }
    }
    async fn check_plan(&self, ctx: &Ctx<()>, _: &Value, planned: &Value, diags: &mut Diagnostics) {
        if planned.attr_str("name") == Some("refused-remotely") {
            let left = ctx.remaining().map_or(-1.0, |d| d.as_secs_f64());
            diags.error_at(
                AttributePath::attr("name"),
                "Refused",
                format!("the remote rules refuse it ({left:.0} s left)"),
            );
        }
    }
    async fn create(
        &self,
        ctx: &Ctx<()>,
        planned: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        if planned.attr_str("name") == Some("panic") {
            panic!("create is deliberately broken");
        }
        let mut v = planned.clone();
        v.set_attr("id", "i1".into());
        if planned.attr_str("name") == Some("wrong-answer") {
            // The API normalised the configured name.
            v.set_attr("name", "WRONG-ANSWER".into());
        }
        let left = ctx
            .remaining()
            .map_or(-1, |d| d.as_secs_f64().ceil() as i64);
        v.set_attr("deadline_secs", Value::from(left));
        ctx.private_set("made_by", Some(&"create"));
        Some(v)
    }
    async fn read(&self, ctx: &Ctx<()>, v: &Value, _: &mut Diagnostics) -> Option<Value> {
        let mut v = v.clone();
        // Private state written by create comes back to read.
        v.set_attr(
            "id",
            Value::opt_string(ctx.private_get::<String>("made_by")),
        );
        Some(v)
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        planned: &Value,
        _: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        if planned.attr_str("name") == Some("panic") {
            panic!("update is deliberately broken");
        }
        if planned.attr_str("name") == Some("no-answer") {
            return None;
        }
        diags.error("Update Failed", "the API refused the update");
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, diags: &mut Diagnostics) {
        diags.error("Delete Failed", "the API refused the delete");
    }
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
}

fn failing_service() -> ProviderService<TestProvider> {
    ProviderService::with(TestProvider, vec![Arc::new(Failing)], vec![]).with_checks(true)
}

fn failing_state(name: &str) -> Value {
    let mut v = Failing.schema().null_object();
    v.set_attr("id", "i1".into());
    v.set_attr("name", name.into());
    v.set_attr("deadline_secs", Value::from(5));
    v
}

/// Plans `test_failing` from `prior` to a configuration naming `name`, with `prior_private`.
async fn plan_failing(
    svc: &ProviderService<TestProvider>,
    prior: &Value,
    name: &str,
    prior_private: Vec<u8>,
) -> pb::plan_resource_change::Response {
    let mut cfg = Failing.schema().null_object();
    cfg.set_attr("name", name.into());
    svc.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "test_failing".into(),
        prior_state: dv_of(prior),
        proposed_new_state: dv_of(&cfg),
        config: dv_of(&cfg),
        prior_private,
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

fn dv_of(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(v, &Failing.schema().ty()).unwrap(),
        json: vec![],
    })
}

async fn apply_failing(
    svc: &ProviderService<TestProvider>,
    prior: &Value,
    planned: &Value,
) -> pb::apply_resource_change::Response {
    svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
        type_name: "test_failing".into(),
        prior_state: dv_of(prior),
        planned_state: dv_of(planned),
        config: dv_of(planned),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn a_failed_update_keeps_the_prior_state() {
    let svc = failing_service();
    configure(&svc).await;
    let prior = failing_state("before");
    let r = apply_failing(&svc, &prior, &failing_state("after")).await;
    assert!(r.diagnostics.iter().any(|d| d.summary == "Update Failed"));
    assert_eq!(
        r.new_state,
        dv_of(&prior),
        "the object is recorded as it was"
    );
}

#[tokio::test]
async fn a_failed_delete_keeps_the_prior_state() {
    let svc = failing_service();
    configure(&svc).await;
    let prior = failing_state("before");
    let r = apply_failing(&svc, &prior, &Value::Null).await;
    assert!(r.diagnostics.iter().any(|d| d.summary == "Delete Failed"));
    assert_eq!(
        r.new_state,
        dv_of(&prior),
        "a failed delete leaves the object in state"
    );
}

#[tokio::test]
async fn a_panic_during_apply_keeps_the_prior_state() {
    let svc = failing_service();
    configure(&svc).await;
    let prior = failing_state("before");
    let r = apply_failing(&svc, &prior, &failing_state("panic")).await;
    assert!(
        r.diagnostics.iter().any(|d| d.detail.contains("panicked")),
        "{:?}",
        r.diagnostics
    );
    assert_eq!(r.new_state, dv_of(&prior));
}

#[tokio::test]
async fn a_hook_that_breaks_terraform_rules_is_reported_with_the_path() {
    let svc = failing_service();
    configure(&svc).await;
    let mut cfg = Failing.schema().null_object();
    cfg.set_attr("name", "break-the-plan".into());
    let r = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_failing".into(),
            prior_state: dv_of(&Value::Null),
            proposed_new_state: dv_of(&cfg),
            config: dv_of(&cfg),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.summary == "Internal Provider Error")
        .expect("the broken rule is reported");
    assert!(
        d.detail.contains("`name`") && d.detail.contains("does not match config value"),
        "{}",
        d.detail
    );
}

#[tokio::test]
async fn the_timeouts_block_sets_the_deadline_and_private_state_flows_from_apply_to_read() {
    let svc = failing_service();
    configure(&svc).await;
    let mut planned = Failing.schema().null_object();
    planned.set_attr("id", Value::unknown());
    planned.set_attr("deadline_secs", Value::unknown());
    planned.set_attr("name", "n".into());
    let mut timeouts = crate::typed::Timeouts::block().absent_object();
    timeouts.set_attr("create", "7s".into());
    planned.set_attr("timeouts", timeouts);
    let r = apply_failing(&svc, &Value::Null, &planned).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let ty = Failing.schema().ty();
    let state = decode_msgpack(&r.new_state.clone().unwrap().msgpack, &ty).unwrap();
    assert_eq!(
        state.attr("deadline_secs").as_i64(),
        Some(7),
        "the create deadline comes from timeouts.create"
    );
    assert!(!r.private.is_empty());
    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_failing".into(),
            current_state: r.new_state.clone(),
            private: r.private.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let after = decode_msgpack(&read.new_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(after.attr("id"), &Value::string("create"));
    assert_eq!(read.private, r.private, "read hands the private state back");
}

#[tokio::test]
async fn capabilities_advertise_only_what_is_implemented() {
    let svc = service();
    let r = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let caps = r.server_capabilities.unwrap();
    assert!(
        caps.get_provider_schema_optional,
        "the schema is built once per process"
    );
    assert!(!caps.move_resource_state && !caps.plan_destroy && !caps.generate_resource_config);
    let m = svc
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.server_capabilities, Some(caps));
}

fn planned_create(name: &str) -> Value {
    let mut planned = Failing.schema().null_object();
    planned.set_attr("id", Value::unknown());
    planned.set_attr("deadline_secs", Value::unknown());
    planned.set_attr("name", name.into());
    planned
}

#[tokio::test]
async fn an_api_answer_that_contradicts_the_plan_is_caught_by_the_apply_check() {
    // Issue 15, bug 4: the check used to run on the settled value, which copies every known
    // planned value, so a wrong answer was silently overwritten in state.
    let svc = failing_service();
    configure(&svc).await;
    let r = apply_failing(&svc, &Value::Null, &planned_create("wrong-answer")).await;
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.summary == "Internal Provider Error")
        .expect("the contradiction is reported");
    assert!(
        d.detail.contains("`name`") && d.detail.contains("WRONG-ANSWER"),
        "{}",
        d.detail
    );
    // Without the checks (release builds) the planned value is recorded, with a warning in
    // the log only.
    let svc =
        ProviderService::with(TestProvider, vec![Arc::new(Failing)], vec![]).with_checks(false);
    configure(&svc).await;
    let r = apply_failing(&svc, &Value::Null, &planned_create("wrong-answer")).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let state = decode_msgpack(&r.new_state.unwrap().msgpack, &Failing.schema().ty()).unwrap();
    assert_eq!(state.attr("name"), &Value::string("wrong-answer"));
    // A correct answer passes the check.
    let svc = failing_service();
    configure(&svc).await;
    let r = apply_failing(&svc, &Value::Null, &planned_create("right")).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

#[tokio::test]
async fn an_update_that_returns_nothing_and_no_error_is_a_bug_and_keeps_the_prior_state() {
    // Issue 15, bug 5: it used to be recorded as applied (the plan settled over the prior).
    let svc = failing_service();
    configure(&svc).await;
    let prior = failing_state("before");
    let r = apply_failing(&svc, &prior, &failing_state("no-answer")).await;
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.summary == "Internal Provider Error"
                && d.detail.contains("update returned no state and no error")),
        "{:?}",
        r.diagnostics
    );
    assert_eq!(
        r.new_state,
        dv_of(&prior),
        "the object is recorded as it was"
    );
}

#[tokio::test]
async fn planning_can_set_private_state_and_keeps_the_prior_one_otherwise() {
    // Issue 15, bug 8: the planned private state was always the prior one.
    let svc = failing_service();
    configure(&svc).await;
    let before = failing_state("before");
    let mut prior = Private::default();
    prior.set("made_by", Some(&"create"));
    let r = plan_failing(&svc, &before, "remember", prior.to_bytes()).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = Private::from_bytes(&r.planned_private);
    assert_eq!(planned.get::<String>("planned_by").as_deref(), Some("plan"));
    assert_eq!(
        planned.get::<String>("made_by").as_deref(),
        Some("create"),
        "the prior entries stay"
    );
    // Untouched, even bytes that are not ours go back as they came.
    let r = plan_failing(&svc, &before, "other", b"\x01foreign".to_vec()).await;
    assert_eq!(r.planned_private, b"\x01foreign".to_vec());
}

#[tokio::test]
async fn remote_plan_checks_run_once_configured_with_a_short_deadline() {
    let svc = failing_service();
    // Before configuration there is nothing to check against: the plan passes.
    let r = plan_failing(&svc, &Value::Null, "refused-remotely", Vec::new()).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(r.planned_state.is_some());
    configure(&svc).await;
    let r = plan_failing(&svc, &Value::Null, "refused-remotely", Vec::new()).await;
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.summary == "Refused")
        .expect("the remote check's error is returned");
    assert!(d.detail.contains("30 s left"), "{}", d.detail);
    assert_eq!(
        d.attribute.as_ref().map(|p| p.steps.len()),
        Some(1),
        "at the attribute's path"
    );
}

#[tokio::test]
async fn remote_plan_checks_are_for_changes_only() {
    let svc = failing_service();
    configure(&svc).await;
    let refused = |r: &pb::plan_resource_change::Response| {
        r.diagnostics.iter().any(|d| d.summary == "Refused")
    };
    // An unchanged object (a refresh): nothing to check.
    let r = plan_failing(
        &svc,
        &failing_state("refused-remotely"),
        "refused-remotely",
        Vec::new(),
    )
    .await;
    assert!(!refused(&r), "{:?}", r.diagnostics);
    // The same object changing into the refused one: checked.
    let r = plan_failing(
        &svc,
        &failing_state("before"),
        "refused-remotely",
        Vec::new(),
    )
    .await;
    assert!(
        refused(&r),
        "an update plan is checked: {:?}",
        r.diagnostics
    );
}
