//! The framework against a test-only resource with deeply nested attributes and blocks of
//! every nesting mode: the typed model's schema and conversions, the generic "unknowns are
//! refined" check, and the real terraform driving it in process (plan, apply, empty second
//! plan, update of one nested set element, import), and an ephemeral resource feeding
//! write-only attributes.

mod eph;
mod thing;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tfplugin::testing::{assert_unknowns_refine, Install, Terraform};
use tfplugin::tf::schema::Nesting;
use tfplugin::tf::Value;
use tfplugin::typed::{Model, TfType};
use thing::*;

const SOURCE: &str = "registry.terraform.io/tfplugin/nestedtest";

#[test]
fn the_model_declares_every_nesting_mode_and_validates() {
    let s = schema();
    assert_eq!(s.validate(true), Vec::<String>::new());
    assert_eq!(s.version, 1);
    let nesting = |n: &str| {
        s.block
            .attribute(n)
            .and_then(|a| a.nested_attributes())
            .map(|(m, _)| m)
            .or_else(|| s.block.block(n).map(|b| b.nesting))
    };
    assert_eq!(nesting("settings"), Some(Nesting::Single));
    assert_eq!(nesting("sources"), Some(Nesting::List));
    assert_eq!(nesting("rules"), Some(Nesting::Set));
    assert_eq!(nesting("envs"), Some(Nesting::Map));
    assert_eq!(nesting("policy"), Some(Nesting::Single));
    assert_eq!(nesting("options"), Some(Nesting::Group));
    assert_eq!(nesting("step"), Some(Nesting::List));
    assert_eq!(nesting("tag"), Some(Nesting::Set));
    assert_eq!(nesting("hook"), Some(Nesting::Map));
    assert_eq!(s.block.block("step").map(|b| b.max_items), Some(5));
    // Descriptions come from doc comments; names from fields; consts name them.
    assert_eq!(Thing::SECRET_WO, "secret_wo");
    assert!(s
        .block
        .attribute("name")
        .unwrap()
        .description
        .starts_with("Name;"));
    assert!(s.block.attribute("secret_wo").unwrap().write_only);
}

#[test]
fn absent_blocks_convert_as_terraform_sends_them_and_round_trip() {
    let null = schema().null_object();
    let t = Thing::from_object(&null).expect("an all-null object converts");
    assert!(t.step.is_null() && t.tag.is_null() && t.hook.is_null() && t.policy.is_null());
    let back = t.to_value();
    assert_eq!(
        back.attr("step"),
        &Value::List(vec![]),
        "an absent list block is an empty list"
    );
    assert_eq!(back.attr("tag"), &Value::Set(vec![]));
    assert_eq!(back.attr("hook"), &Value::Map(BTreeMap::new()));
    assert_eq!(back.attr("policy"), &Value::Null);
    assert!(
        back.attr("options").as_object().is_some(),
        "a group block is never null"
    );
    assert_eq!(back, null);
}

#[test]
fn conversion_errors_name_the_nested_path() {
    let mut v = schema().null_object();
    let mut src = thing::Source::from_object(&Value::Object(tfplugin::tf::ObjectMap::new()))
        .unwrap()
        .to_value();
    src.set_attr("url", "u".into());
    src.set_attr("uid", "u1".into());
    v.set_attr("sources", Value::List(vec![src.clone(), src]));
    let mut bad = thing::Source::from_object(&Value::Object(tfplugin::tf::ObjectMap::new()))
        .unwrap()
        .to_value();
    bad.set_attr("url", Value::Bool(true));
    let mut list = v.attr("sources").as_elements().unwrap().to_vec();
    list[1] = bad;
    v.set_attr("sources", Value::List(list));
    let err = Thing::from_object(&v).unwrap_err();
    assert_eq!(err.path.unwrap().to_string(), "sources[1].url");
}

#[test]
fn collections_with_unknown_elements_are_unknown_in_the_typed_view() {
    let mut v = schema().null_object();
    v.set_attr(
        "labels",
        Value::Map([("a".to_string(), Value::unknown())].into()),
    );
    let t = Thing::from_object(&v).unwrap();
    assert!(t.labels.is_unknown());
}

/// A configuration with every nested part set.
fn full_config() -> Value {
    let mut cfg = schema().null_object();
    let obj = |pairs: &[(&str, Value)]| {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    };
    let s = |x: &str| Value::string(x);
    cfg.set_attr("name", s("alpha"));
    cfg.set_attr("labels", Value::Map([("team".to_string(), s("ml"))].into()));
    cfg.set_attr(
        "settings",
        obj(&[
            ("mode", Value::Null),
            ("status", Value::Null),
            (
                "helm",
                obj(&[
                    ("values", s("{\"a\": 1}")),
                    (
                        "parameters",
                        Value::List(vec![obj(&[
                            ("name", s("p")),
                            ("value", s("1")),
                            ("force_string", Value::Null),
                        ])]),
                    ),
                ]),
            ),
        ]),
    );
    let source = |url: &str, path: Value, chart: Value, rev: Value, kind: Value| {
        obj(&[
            ("url", s(url)),
            ("path", path),
            ("chart", chart),
            ("revision", rev),
            ("kind", kind),
            ("uid", Value::Null),
            ("token_wo", Value::Null),
        ])
    };
    cfg.set_attr(
        "sources",
        Value::List(vec![
            source("https://a", s("x"), Value::Null, Value::Null, s("git")),
            source("https://b", Value::Null, s("c"), s("v1"), Value::Null),
        ]),
    );
    let rule = |n: &str, a: Value| {
        obj(&[
            ("name", s(n)),
            ("action", a),
            ("hits", Value::Null),
            ("uid", Value::Null),
        ])
    };
    cfg.set_attr(
        "rules",
        Value::Set(vec![rule("r1", Value::Null), rule("r2", s("deny"))]),
    );
    cfg.set_attr(
        "envs",
        Value::Map(
            [(
                "dev".to_string(),
                obj(&[
                    ("value", s("1")),
                    ("secret", Value::Null),
                    ("uid", Value::Null),
                ]),
            )]
            .into(),
        ),
    );
    cfg.set_attr(
        "policy",
        obj(&[
            ("automated", Value::Bool(true)),
            ("retries", Value::Number(3.into())),
            ("evaluated_at", Value::Null),
            (
                "backoff",
                obj(&[("duration", s("5s")), ("factor", Value::Null)]),
            ),
        ]),
    );
    cfg.set_attr(
        "options",
        obj(&[("verbose", Value::Null), ("level", Value::Null)]),
    );
    cfg.set_attr(
        "step",
        Value::List(vec![obj(&[
            ("command", s("build")),
            ("args", Value::List(vec![s("--x")])),
            ("exit_code", Value::Null),
            ("retry", obj(&[("attempts", Value::Number(2.into()))])),
        ])]),
    );
    cfg.set_attr(
        "tag",
        Value::Set(vec![obj(&[("key", s("k")), ("value", s("v"))])]),
    );
    cfg.set_attr(
        "hook",
        Value::Map(
            [(
                "h1".to_string(),
                obj(&[
                    ("url", s("https://h")),
                    ("events", Value::Set(vec![s("push")])),
                ]),
            )]
            .into(),
        ),
    );
    cfg
}

#[test]
fn plans_with_unknowns_are_refined_by_the_known_plans_for_create_and_update() {
    let store: Shared = Arc::new(Mutex::new(Store::default()));
    let res = tfplugin::typed::resource(ThingResource);
    let cfg = full_config();
    assert_unknowns_refine(res.clone(), Some(&store), None, &Value::Null, &cfg);
    // An update over a prior state (all computed values filled).
    let mut d = tfplugin::tf::Diagnostics::new();
    let (planned, _) =
        tfplugin::server::plan_resource(res.clone(), Some(&store), &Value::Null, &cfg, &mut d);
    let prior = fill_unknowns(&planned, &schema().ty());
    let mut changed = cfg.clone();
    changed.set_attr(
        "labels",
        Value::Map([("team".to_string(), Value::string("platform"))].into()),
    );
    assert_unknowns_refine(res.clone(), Some(&store), None, &prior, &changed);
    // An update that replaces a set element (r1 -> r9): while the new element's name is
    // unknown it must not take over r1's kept uid (issue 15, bug 1).
    let mut renamed = cfg.clone();
    let rules: Vec<Value> = cfg
        .attr("rules")
        .as_elements()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.attr_str("name") == Some("r1") {
                r.set_attr("name", "r9".into());
            }
            r
        })
        .collect();
    renamed.set_attr("rules", Value::Set(rules));
    assert_unknowns_refine(res, Some(&store), None, &prior, &renamed);
}

/// `v` with every unknown replaced by a value of its type (what an apply would record).
fn fill_unknowns(v: &Value, ty: &tfplugin::tf::Type) -> Value {
    use tfplugin::tf::Type;
    match (v, ty) {
        (Value::Unknown(_), Type::String) => Value::string("filled"),
        (Value::Unknown(_), Type::Number) => Value::Number(7.into()),
        (Value::Unknown(_), Type::Bool) => Value::Bool(true),
        (Value::Unknown(_), _) => Value::Null,
        (Value::Object(m), Type::Object(t)) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_unknowns(x, &t[k])))
                .collect(),
        ),
        (Value::Map(m), Type::Map(e)) => Value::Map(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_unknowns(x, e)))
                .collect(),
        ),
        (Value::List(i), Type::List(e)) => {
            Value::List(i.iter().map(|x| fill_unknowns(x, e)).collect())
        }
        (Value::Set(i), Type::Set(e)) => {
            Value::Set(i.iter().map(|x| fill_unknowns(x, e)).collect())
        }
        (other, _) => other.clone(),
    }
}

const HCL: &str = r#"
resource "nestedtest_thing" "a" {
  name   = "alpha"
  labels = { team = "ml" }
  settings = {
    helm = {
      values     = jsonencode({ a = 1, b = [1, 2] })
      parameters = [{ name = "p", value = "1" }]
    }
  }
  sources = [
    { url = "https://a", path = "x", kind = "git", token_wo = "tok-a" },
    { url = "https://b", chart = "c", revision = "v1" },
  ]
  rules = [
    { name = "r1" },
    { name = "r2", action = "deny" },
  ]
  envs = {
    dev  = { value = "1" }
    prod = { value = "2", secret = true }
  }
  secret_wo = "top-secret"
  policy {
    automated = true
    retries   = 3
    backoff {
      duration = "5s"
    }
  }
  step {
    command = "build"
    args    = ["--x"]
    retry {
      attempts = 2
    }
  }
  step {
    command = "test"
  }
  tag {
    key   = "k"
    value = "v"
  }
  hook "h1" {
    url    = "https://h"
    events = ["push"]
  }
  timeouts {
    create = "2m"
  }
}
"#;

#[test]
fn real_terraform_plans_applies_updates_a_set_element_and_imports() {
    let store: Shared = Arc::new(Mutex::new(Store::default()));
    let shared = store.clone();
    let server = tfplugin::transport::serve_in_process(SOURCE, move |stop| {
        tfplugin::server::provider_routes(NestedProvider(shared), stop)
    })
    .expect("serve in process");
    let tf = Terraform::new(
        SOURCE,
        "nestedtest",
        Install::Reattach(server.reattach().to_string()),
    );

    // 1. plan and apply.
    tf.write(HCL);
    let plan = tf.plan_json();
    let after = &plan["resource_changes"][0]["change"]["after"];
    assert_eq!(
        after["settings"]["mode"], "fast",
        "a default inside a single nested attribute is planned"
    );
    assert_eq!(
        after["sources"][0]["revision"], "HEAD",
        "a default inside a list element"
    );
    assert_eq!(
        after["options"]["level"], "info",
        "a default inside an absent group block"
    );
    assert_eq!(after["id"], "thing/alpha", "derived from a known name");
    tf.apply();
    let st = tf.resource("nestedtest_thing.a");
    assert_eq!(st["revision"], 1);
    assert_eq!(st["settings"]["status"], "ready-1");
    assert!(st["sources"][0]["uid"]
        .as_str()
        .unwrap()
        .starts_with("src-"));
    assert!(
        st["secret_wo"].is_null() && st["sources"][0]["token_wo"].is_null(),
        "write-only never in state"
    );
    assert_eq!(st["envs"]["prod"]["secret"], true);
    assert_eq!(
        st["policy"]["backoff"]["factor"], 2,
        "a default in a single block in a single block"
    );
    assert_eq!(st["step"][1]["exit_code"], 0);
    {
        let s = store.lock().unwrap();
        assert!(
            s.secrets_received.contains(&"top-secret".to_string())
                && s.secrets_received.contains(&"tok-a".to_string())
        );
    }
    let raw_state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw_state.contains("top-secret") && !raw_state.contains("tok-a"),
        "no write-only value in the state file"
    );

    // 2. the second plan is empty, also after the JSON values are reformatted.
    assert!(tf.plan_is_empty(), "second plan must be empty");
    tf.write(&HCL.replace(
        "jsonencode({ a = 1, b = [1, 2] })",
        "\"{\\\"b\\\": [1,2], \\\"a\\\": 1}\"",
    ));
    assert!(
        tf.plan_is_empty(),
        "JSON compared by meaning: reformatting is no diff"
    );
    tf.write(HCL);

    // 3. update one element of the nested set: r2 deny -> allow.
    let uid_before = st["sources"][0]["uid"].clone();
    let env_uid_before = st["envs"]["dev"]["uid"].clone();
    tf.write(&HCL.replace(
        r#"{ name = "r2", action = "deny" }"#,
        r#"{ name = "r2", action = "allow" }"#,
    ));
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(
        change["actions"],
        serde_json::json!(["update"]),
        "an in-place update"
    );
    assert!(
        change["after_unknown"]["revision"] == true,
        "computed revision planned unknown on change"
    );
    tf.apply();
    let st = tf.resource("nestedtest_thing.a");
    assert_eq!(st["revision"], 2);
    let actions: Vec<String> = st["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, vec!["allow", "allow"]);
    assert_eq!(
        st["sources"][0]["uid"], uid_before,
        "keep_prior inside a list element"
    );
    assert_eq!(
        st["envs"]["dev"]["uid"], env_uid_before,
        "keep_prior inside a map element"
    );
    assert!(tf.plan_is_empty());

    // 4. a change of a replace-forcing attribute inside a list element plans a replacement.
    tf.write(&HCL.replace(r#"kind = "git""#, r#"kind = "oci""#));
    let plan = tf.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["delete", "create"])
    );
    let current = HCL.replace(
        r#"{ name = "r2", action = "deny" }"#,
        r#"{ name = "r2", action = "allow" }"#,
    );
    tf.write(&current);

    // 5. import into a fresh state, then the plan is empty but for write-only values.
    let tf2 = Terraform::new(
        SOURCE,
        "nestedtest",
        Install::Reattach(server.reattach().to_string()),
    );
    tf2.write(&format!(
        "{current}\nimport {{\n  to = nestedtest_thing.a\n  id = \"thing/alpha\"\n}}\n"
    ));
    let plan = tf2.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["no-op"]),
        "{}",
        plan["resource_changes"]
    );
    tf2.apply();
    assert!(tf2.plan_is_empty());

    // 6. validation: declared validators name the nested paths.
    tf.write(
        &current
            .replace("retries   = 3", "retries   = 20")
            .replace(r#"action = "allow" }"#, r#"action = "maybe" }"#),
    );
    let out = tf.fails(&["validate", "-no-color"]);
    // The diagnostic carries the attribute path policy[0].retries, which Terraform resolves
    // to the source: the line it shows is the `retries` line, not the resource's first line.
    let retries = out
        .split("Error: ")
        .find(|d| d.contains("must be a whole number from 1 to 10"))
        .unwrap_or_else(|| panic!("the retries diagnostic: {out}"));
    assert!(
        retries.contains("retries   = 20")
            && !retries.contains("resource \"nestedtest_thing\" \"a\" {"),
        "the diagnostic points at policy[0].retries: {retries}"
    );
    assert!(out.contains("\"maybe\" is not one of"), "{out}");
}

const SETS_HCL: &str = r#"
resource "nestedtest_thing" "s" {
  name = "sets"
  rules = [
    { name = "a" },
    { name = "a", action = "deny" },
    RULE,
  ]
}
"#;

/// The `rules` of `st` as (name, action, uid), sorted.
fn rules_of(st: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = st["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (f("name"), f("action"), f("uid"))
        })
        .collect();
    out.sort();
    out
}

/// Issue 15, bug 1, under the real terraform: set elements that differ only in a defaulted
/// value keep their configured values, `keep_prior` values inside set elements stay with
/// their elements, and an element whose configuration is unknown at plan time is planned
/// with unknown computed values (it used to take over a prior element's uid, and terraform
/// failed the apply with "Provider produced inconsistent final plan").
#[test]
fn real_terraform_plans_sets_of_objects_with_defaults_keep_prior_and_unknowns() {
    let store: Shared = Arc::new(Mutex::new(Store::default()));
    let shared = store.clone();
    let server = tfplugin::transport::serve_in_process(SOURCE, move |stop| {
        tfplugin::server::provider_routes(NestedProvider(shared), stop)
    })
    .expect("serve in process");
    let tf = Terraform::new(
        SOURCE,
        "nestedtest",
        Install::Reattach(server.reattach().to_string()),
    );
    tf.write(&SETS_HCL.replace("RULE", r#"{ name = "r1" }"#));
    tf.apply();
    let st = tf.resource("nestedtest_thing.s");
    let before = rules_of(&st);
    let actions: Vec<(&str, &str)> = before
        .iter()
        .map(|(n, a, _)| (n.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![("a", "allow"), ("a", "deny"), ("r1", "allow")],
        "the configured deny survives its defaulted twin"
    );
    assert!(
        tf.plan_is_empty(),
        "second plan must be empty (elements keep their own uids)"
    );

    // r1 gives way to an element whose name is known only after terraform_data applies.
    tf.write(&format!(
        "resource \"terraform_data\" \"later\" {{\n  input = \"r3\"\n}}\n{}",
        SETS_HCL.replace("RULE", "{ name = terraform_data.later.output }")
    ));
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "nestedtest_thing.s")
        .unwrap()["change"]
        .clone();
    assert_eq!(change["actions"], serde_json::json!(["update"]));
    let unknown_rules: Vec<&serde_json::Value> = change["after_unknown"]["rules"]
        .as_array()
        .expect("rules hold unknowns")
        .iter()
        .filter(|r| r["name"] == true)
        .collect();
    assert_eq!(unknown_rules.len(), 1, "{}", change["after_unknown"]);
    assert_eq!(
        unknown_rules[0]["uid"], true,
        "the element whose name is unknown has an unknown uid"
    );
    tf.apply();
    let after = rules_of(&tf.resource("nestedtest_thing.s"));
    assert_eq!(
        after[..2],
        before[..2],
        "the unchanged elements keep their uids"
    );
    assert_eq!(after[2].0, "r3");
    assert_ne!(
        after[2].2, before[2].2,
        "the new element got a uid of its own, not r1's"
    );
    assert!(tf.plan_is_empty());
    tf.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(store.lock().unwrap().things.is_empty());
}

/// Issue 15, bug 6: the typed hook used to write back whole top-level attributes from the
/// typed view, where a list with one unknown element is unknown as a whole and refinements
/// are gone ("planned unknown for a configured value"). Now only what the hook changed is
/// written, at its own path.
#[test]
fn the_typed_hook_writes_back_only_what_it_changed() {
    use tfplugin::tf::Refinements;
    let store: Shared = Arc::new(Mutex::new(Store::default()));
    let res = tfplugin::typed::resource(ThingResource);
    let mut cfg = full_config();
    let refined = Value::Unknown(Refinements {
        nullable: Some(false),
        ..Default::default()
    });
    let mut step = cfg.attr("step").as_elements().unwrap()[0].clone();
    step.set_attr("command", "noop".into());
    step.set_attr(
        "args",
        Value::List(vec![Value::string("--x"), refined.clone()]),
    );
    step.set_attr(
        "retry",
        Value::Object([("attempts".to_string(), refined.clone())].into()),
    );
    cfg.set_attr("step", Value::List(vec![step]));
    let mut d = tfplugin::tf::Diagnostics::new();
    let (planned, _) =
        tfplugin::server::plan_resource(res.clone(), Some(&store), &Value::Null, &cfg, &mut d);
    assert!(!d.has_errors(), "{d:?}");
    let step = &planned.attr("step").as_elements().unwrap()[0];
    assert_eq!(step.attr("exit_code").as_i64(), Some(0), "the hook's value");
    assert_eq!(
        step.attr("args"),
        &Value::List(vec![Value::string("--x"), refined.clone()]),
        "the unknown element and its refinement stay"
    );
    assert_eq!(step.attr("retry").attr("attempts"), &refined);
    assert_eq!(
        tfplugin::plan::check(&schema(), &Value::Null, &cfg, &planned),
        vec![]
    );
}

/// A value of the `Declared` model's part: `size` and `url`.
fn part(size: i64, url: &str) -> Value {
    Value::Object(tfplugin::tf::ObjectMap::from([
        ("size".to_string(), Value::from(size)),
        ("url".to_string(), Value::string(url)),
    ]))
}

fn declared(parts: Vec<Value>, one: Value) -> Value {
    Value::Object(tfplugin::tf::ObjectMap::from([
        ("parts".to_string(), Value::List(parts)),
        ("one".to_string(), one),
    ]))
}

/// Plans like Terraform (proposed new state, pipeline, finish): the plan and the paths
/// that force replacement, as text.
fn plan_declared(prior: &Value, config: &Value) -> (Value, Vec<String>) {
    let s = Declared::schema();
    let proposed = tfplugin::plan::proposed_new(&s, prior, config);
    let walked = tfplugin::plan::plan(&s, prior, &proposed, config);
    let mut planned = walked.clone();
    let replace = tfplugin::plan::finish(&s, prior, config, &walked, &mut planned);
    (planned, replace.iter().map(|p| p.to_string()).collect())
}

#[test]
fn derived_null_means_keeps_the_prior_form_when_reading_nested_fields() {
    let s = Declared::schema();
    let (_, attrs) = s
        .block
        .attribute("parts")
        .unwrap()
        .nested_attributes()
        .unwrap();
    let size = attrs.iter().find(|a| a.name == "size").unwrap();
    assert_eq!(size.null_means.map(|n| n.name), Some("is_zero"));
    let unset = |url: &str| {
        let mut p = part(0, url);
        p.set_attr("size", Value::Null);
        p
    };
    // A size left unset and read back as 0 stays unset, in list elements and at depth one;
    // a size read back as 1 is a change.
    let prior = declared(vec![unset("https://a")], unset("https://b"));
    let mut read = declared(vec![part(0, "https://a")], part(0, "https://b"));
    tfplugin::plan::normalize_read(&s, &prior, &mut read);
    assert_eq!(read, prior);
    let mut read = declared(vec![part(1, "https://a")], part(0, "https://b"));
    tfplugin::plan::normalize_read(&s, &prior, &mut read);
    assert_eq!(
        read,
        declared(vec![part(1, "https://a")], unset("https://b"))
    );
}

#[test]
fn derived_requires_replace_if_and_equivalence_reach_nested_fields() {
    let s = Declared::schema();
    assert_eq!(s.validate(true), Vec::<String>::new());
    let (_, attrs) = s
        .block
        .attribute("parts")
        .unwrap()
        .nested_attributes()
        .unwrap();
    let size = attrs.iter().find(|a| a.name == "size").unwrap();
    assert_eq!(size.requires_replace_if.map(|r| r.name), Some("grows_only"));
    let url = attrs.iter().find(|a| a.name == "url").unwrap();
    assert_eq!(url.equivalence.map(|e| e.name), Some("same_url"));

    let prior = declared(vec![part(2, "https://a")], part(1, "https://b"));
    // A trailing slash means the same URL: no diff, at depth one and in list elements.
    let cfg = declared(vec![part(2, "https://a/")], part(1, "https://b/"));
    let (planned, replace) = plan_declared(&prior, &cfg);
    assert_eq!(planned, prior);
    assert!(replace.is_empty());
    // Growing is an update; shrinking replaces, named by path.
    let cfg = declared(vec![part(3, "https://a")], part(1, "https://b"));
    assert_eq!(plan_declared(&prior, &cfg).1, Vec::<String>::new());
    let cfg = declared(vec![part(1, "https://a")], part(0, "https://b"));
    assert_eq!(
        plan_declared(&prior, &cfg).1,
        vec!["one.size".to_string(), "parts[0].size".to_string()]
    );
    // A read in another form of the same URL keeps the prior form.
    let mut read = declared(vec![part(2, "https://a/")], part(1, "https://b//"));
    tfplugin::plan::normalize_read(&s, &prior, &mut read);
    assert_eq!(read, prior);
}

const EPHEMERAL_HCL: &str = r#"
ephemeral "nestedtest_secret" "s" {
  name = "db"
}

resource "nestedtest_thing" "a" {
  name = "alpha"
}

# Its name is unknown until nestedtest_thing.a is created.
ephemeral "nestedtest_secret" "later" {
  name = "r${nestedtest_thing.a.revision}"
}

resource "nestedtest_thing" "e" {
  name      = "eph"
  secret_wo = ephemeral.nestedtest_secret.s.value
}

resource "nestedtest_thing" "f" {
  name      = "later"
  secret_wo = ephemeral.nestedtest_secret.later.value
}
"#;

/// Ephemeral resources under the real terraform: opened in plan and again in apply, closed
/// after each, never opened while their configuration is unknown (Terraform makes the unknown
/// result itself), their values reach write-only attributes and appear neither in the plan
/// nor in the state file; their declared validators run in `terraform validate`.
#[test]
fn real_terraform_opens_and_closes_ephemeral_resources_and_keeps_their_values_out_of_plan_and_state(
) {
    let store: Shared = Arc::new(Mutex::new(Store::default()));
    let shared = store.clone();
    let server = tfplugin::transport::serve_in_process(SOURCE, move |stop| {
        tfplugin::server::provider_routes(NestedProvider(shared), stop)
    })
    .expect("serve in process");
    let tf = Terraform::new(
        SOURCE,
        "nestedtest",
        Install::Reattach(server.reattach().to_string()),
    );
    let calls = || store.lock().unwrap().ephemeral_calls.clone();

    // 1. plan: the known one is opened and closed; the unknown one is not opened.
    tf.write(EPHEMERAL_HCL);
    let plan = tf.plan_json();
    assert_eq!(
        calls(),
        vec!["open:db", "close:db"],
        "plan opens and closes"
    );
    let plan_text = plan.to_string();
    assert!(
        !plan_text.contains("ephemeral-value"),
        "no ephemeral value in the plan: {plan_text}"
    );
    let e = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "nestedtest_thing.e")
        .expect("e planned");
    assert!(e["change"]["after"]["secret_wo"].is_null());

    // 2. apply: both are opened (the second once its name is known) and closed; their values
    // reach the write-only attributes and never the state file.
    store.lock().unwrap().ephemeral_calls.clear();
    tf.apply();
    let c = calls();
    for want in ["open:db", "close:db", "open:r1", "close:r1"] {
        assert!(c.iter().any(|x| x == want), "{want} in {c:?}");
    }
    let opens = c.iter().filter(|x| x.starts_with("open:")).count();
    let closes = c.iter().filter(|x| x.starts_with("close:")).count();
    assert_eq!(opens, closes, "every open is closed: {c:?}");
    {
        let s = store.lock().unwrap();
        assert!(
            s.secrets_received.contains(&eph::secret_value("db"))
                && s.secrets_received.contains(&eph::secret_value("r1")),
            "{:?}",
            s.secrets_received
        );
    }
    let raw_state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw_state.contains("ephemeral-value"),
        "no ephemeral value in the state file (its address appears only in dependencies): {raw_state}"
    );
    assert!(tf.resource("nestedtest_thing.e")["secret_wo"].is_null());

    // 3. a second plan is empty (write-only values make no diff) and opens again.
    store.lock().unwrap().ephemeral_calls.clear();
    assert!(tf.plan_is_empty());
    let c = calls();
    assert!(c.contains(&"open:r1".to_string()), "known now: {c:?}");

    // 4. declared validators of ephemeral resources run in `terraform validate`.
    tf.write(&EPHEMERAL_HCL.replace(r#"name = "db""#, r#"name = "DB!""#));
    let out = tf.fails(&["validate", "-no-color"]);
    assert!(
        out.contains("lowercase letters, digits and dashes"),
        "{out}"
    );
}
