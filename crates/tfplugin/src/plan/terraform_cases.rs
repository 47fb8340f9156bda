//! Terraform's own test cases for AssertPlanValid (`plan_valid_test.go`) and
//! AssertObjectCompatible (`compatible_test.go`, hashicorp/terraform v1.11.4), written again
//! in our value types: same schema, same prior/config/planned (or planned/actual) values,
//! same expected outcome (the path, and a fragment of Terraform's message). Cases that need
//! types we do not model (dynamic values turned objects, marks) are left out.

use serde_json::json;

use super::*;
use crate::tf::schema::{Attribute as A, Block, NestedBlock};
use crate::tf::{Number, Refinements, Type};

/// A value from JSON: `"?"` unknown, `"?!"` unknown and not null, `{"$prefix": p}` an
/// unknown string with a known prefix, `{"$set": [...]}` a set, `{"$map": {...}}` a map,
/// arrays lists, objects objects.
pub(super) fn v(j: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => Value::Number(Number::from(n.as_i64().expect("whole numbers only"))),
        J::String(s) if s == "?" => Value::unknown(),
        J::String(s) if s == "?!" => Value::Unknown(Refinements {
            nullable: Some(false),
            ..Default::default()
        }),
        J::String(s) => Value::String(s),
        J::Array(a) => Value::List(a.into_iter().map(v).collect()),
        J::Object(mut m) => {
            if let Some(J::Array(a)) = m.remove("$set") {
                return Value::Set(a.into_iter().map(v).collect());
            }
            if let Some(J::Object(o)) = m.remove("$map") {
                return Value::Map(o.into_iter().map(|(k, x)| (k, v(x))).collect());
            }
            if let Some(J::String(p)) = m.remove("$prefix") {
                return Value::Unknown(Refinements {
                    string_prefix: Some(p),
                    ..Default::default()
                });
            }
            Value::Object(m.into_iter().map(|(k, x)| (k, v(x))).collect())
        }
    }
}

pub(super) fn s(name: &'static str) -> A {
    A::string(name).optional()
}
pub(super) fn nested(name: &'static str, n: Nesting, attrs: Vec<A>) -> A {
    A::nested(name, n, attrs).optional()
}
pub(super) fn block(name: &'static str, n: Nesting, attrs: Vec<A>) -> NestedBlock {
    NestedBlock::new(
        name,
        n,
        "",
        Block {
            attributes: attrs,
            ..Default::default()
        },
    )
}
pub(super) fn schema(attrs: Vec<A>, blocks: Vec<NestedBlock>) -> Schema {
    Schema::new(0, "t", attrs).with_blocks(blocks)
}

/// Asserts that `got` are exactly the `want` (path, message fragment) pairs.
fn assert_violations(case: &str, got: &[Violation], want: &[(&str, &str)]) {
    let shown: Vec<String> = got
        .iter()
        .map(|v| format!("{}: {}", v.path, v.message))
        .collect();
    assert_eq!(got.len(), want.len(), "{case}: got {shown:#?}");
    for (path, fragment) in want {
        assert!(
            got.iter()
                .any(|v| v.path.to_string() == *path && v.message.contains(fragment)),
            "{case}: no `{path}: …{fragment}…` in {shown:#?}"
        );
    }
}

struct PlanCase {
    name: &'static str,
    schema: Schema,
    prior: Value,
    config: Value,
    planned: Value,
    want: Vec<(&'static str, &'static str)>,
}

fn list_b() -> Schema {
    schema(vec![s("a")], vec![block("b", Nesting::List, vec![s("c")])])
}
fn list_b_sensitive() -> Schema {
    schema(
        vec![s("a")],
        vec![block("b", Nesting::List, vec![s("c").sensitive()])],
    )
}
fn nested_a(sensitive: bool) -> Schema {
    let b = if sensitive {
        s("b").sensitive()
    } else {
        s("b")
    };
    schema(vec![nested("a", Nesting::List, vec![b])], vec![])
}
fn ab(a: serde_json::Value, c: serde_json::Value) -> Value {
    v(json!({"a": a, "b": [{"c": c}]}))
}

fn plan_cases() -> Vec<PlanCase> {
    let one = |b: &str| v(json!({"a": [{"b": b}]}));
    let set_b = || schema(vec![], vec![block("b", Nesting::Set, vec![s("c")])]);
    let set_c = |c: &str| v(json!({"b": {"$set": [{"c": c}]}}));
    vec![
        PlanCase {
            name: "all empty",
            schema: schema(vec![], vec![]),
            prior: v(json!({})),
            config: v(json!({})),
            planned: v(json!({})),
            want: vec![],
        },
        PlanCase {
            name: "no computed, all match",
            schema: list_b(),
            prior: ab(json!("a value"), json!("c value")),
            config: ab(json!("a value"), json!("c value")),
            planned: ab(json!("a value"), json!("c value")),
            want: vec![],
        },
        PlanCase {
            name: "no computed, plan matches, no prior",
            schema: list_b(),
            prior: Value::Null,
            config: ab(json!("a value"), json!("c value")),
            planned: ab(json!("a value"), json!("c value")),
            want: vec![],
        },
        PlanCase {
            name: "no computed, invalid change in plan",
            schema: list_b(),
            prior: Value::Null,
            config: ab(json!("a value"), json!("c value")),
            planned: ab(json!("a value"), json!("new c value")),
            want: vec![("b[0].c", "does not match config value")],
        },
        PlanCase {
            name: "no computed, invalid change in plan sensitive",
            schema: list_b_sensitive(),
            prior: Value::Null,
            config: ab(json!("a value"), json!("c value")),
            planned: ab(json!("a value"), json!("new c value")),
            want: vec![(
                "b[0].c",
                "sensitive planned value does not match config value",
            )],
        },
        PlanCase {
            name: "no computed, diff suppression in plan",
            schema: list_b(),
            prior: ab(json!("a value"), json!("c value")),
            config: ab(json!("a value"), json!("new c value")),
            planned: ab(json!("a value"), json!("c value")),
            want: vec![],
        },
        PlanCase {
            name: "no computed, all null",
            schema: list_b(),
            prior: ab(json!(null), json!(null)),
            config: ab(json!(null), json!(null)),
            planned: ab(json!(null), json!(null)),
            want: vec![],
        },
        PlanCase {
            name: "nested map, normal update",
            schema: schema(vec![], vec![block("b", Nesting::Map, vec![s("c")])]),
            prior: v(json!({"b": {"$map": {"boop": {"c": "hello"}}}})),
            config: v(json!({"b": {"$map": {"boop": {"c": "howdy"}}}})),
            planned: v(json!({"b": {"$map": {"boop": {"c": "howdy"}}}})),
            want: vec![],
        },
        PlanCase {
            name: "nested list, null in plan",
            schema: schema(vec![], vec![block("b", Nesting::List, vec![s("c")])]),
            prior: Value::Null,
            config: v(json!({"b": []})),
            planned: v(json!({"b": null})),
            want: vec![(
                "b",
                "list of nested blocks must be empty to indicate no blocks, not null",
            )],
        },
        PlanCase {
            name: "nested list, null in config",
            schema: schema(vec![], vec![block("b", Nesting::List, vec![s("c")])]),
            prior: v(json!({"b": []})),
            config: v(json!({"b": null})),
            planned: v(json!({"b": []})),
            want: vec![],
        },
        PlanCase {
            name: "nested list, unknown nested dynamic",
            schema: schema(
                vec![],
                vec![NestedBlock::new(
                    "a",
                    Nesting::List,
                    "",
                    Block {
                        blocks: vec![block(
                            "b",
                            Nesting::List,
                            vec![s("c"), A::string("computed").computed()],
                        )],
                        ..Default::default()
                    },
                )],
            ),
            prior: v(json!({"a": [{"b": [{"c": "x", "computed": null}]}]})),
            config: v(json!({"a": [{"b": "?"}]})),
            planned: v(json!({"a": [{"b": "?"}]})),
            want: vec![],
        },
        PlanCase {
            name: "nested set, unknown dynamic cannot be planned",
            schema: schema(
                vec![A::string("computed").computed()],
                vec![block("b", Nesting::Set, vec![s("c")])],
            ),
            prior: v(json!({"computed": null, "b": {"$set": [{"c": "x"}]}})),
            config: v(json!({"computed": null, "b": "?"})),
            planned: v(json!({"computed": "default", "b": {"$set": [{"c": "oops"}]}})),
            want: vec![("b", "for unknown dynamic block")],
        },
        PlanCase {
            name: "nested set, null in plan",
            schema: set_b(),
            prior: Value::Null,
            config: v(json!({"b": {"$set": []}})),
            planned: v(json!({"b": null})),
            want: vec![(
                "b",
                "set of nested blocks must be empty to indicate no blocks, not null",
            )],
        },
        PlanCase {
            name: "nested map, null in plan",
            schema: schema(vec![], vec![block("b", Nesting::Map, vec![s("c")])]),
            prior: Value::Null,
            config: v(json!({"b": {"$map": {}}})),
            planned: v(json!({"b": null})),
            want: vec![(
                "b",
                "map of nested blocks must be empty to indicate no blocks, not null",
            )],
        },
        PlanCase {
            name: "nested set, no computed, no changes",
            schema: set_b(),
            prior: set_c("c value"),
            config: set_c("c value"),
            planned: set_c("c value"),
            want: vec![],
        },
        PlanCase {
            name: "nested set, no computed, invalid change in plan",
            schema: set_b(),
            prior: set_c("c value"),
            config: set_c("c value"),
            planned: set_c("new c value"),
            want: vec![],
        },
        PlanCase {
            name: "nested set, no computed, diff suppressed",
            schema: set_b(),
            prior: set_c("c value"),
            config: set_c("new c value"),
            planned: set_c("c value"),
            want: vec![],
        },
        PlanCase {
            name: "NestedType attr, no computed, all match",
            schema: nested_a(false),
            prior: one("b value"),
            config: one("b value"),
            planned: one("b value"),
            want: vec![],
        },
        PlanCase {
            name: "NestedType attr, no computed, plan matches, no prior",
            schema: nested_a(false),
            prior: Value::Null,
            config: one("c value"),
            planned: one("c value"),
            want: vec![],
        },
        PlanCase {
            name: "NestedType, no computed, invalid change in plan",
            schema: nested_a(false),
            prior: Value::Null,
            config: one("c value"),
            planned: one("new c value"),
            want: vec![("a[0].b", "does not match config value")],
        },
        PlanCase {
            name: "NestedType attr, no computed, invalid change in plan sensitive",
            schema: nested_a(true),
            prior: Value::Null,
            config: one("b value"),
            planned: one("new b value"),
            want: vec![(
                "a[0].b",
                "sensitive planned value does not match config value",
            )],
        },
        PlanCase {
            name: "NestedType attr, no computed, diff suppression in plan",
            schema: nested_a(false),
            prior: one("b value"),
            config: one("new b value"),
            planned: one("b value"),
            want: vec![],
        },
        PlanCase {
            name: "NestedType attr, no computed, all null",
            schema: nested_a(false),
            prior: v(json!({"a": null})),
            config: v(json!({"a": null})),
            planned: v(json!({"a": null})),
            want: vec![],
        },
        PlanCase {
            name: "NestedType NestingSet attribute to null",
            schema: schema(
                vec![nested(
                    "bloop",
                    Nesting::Set,
                    vec![A::string("blop").required()],
                )],
                vec![],
            ),
            prior: v(json!({"bloop": {"$set": [{"blop": "ok"}]}})),
            config: v(json!({"bloop": null})),
            planned: v(json!({"bloop": null})),
            want: vec![],
        },
        PlanCase {
            name: "NestedType deep nested optional set attribute to null",
            schema: deep_bleep(),
            prior: v(json!({"bleep": [{"bloop": {"$set": [{"blome": "ok"}]}}]})),
            config: v(json!({"bleep": [{"bloop": null}]})),
            planned: v(json!({"bleep": [{"bloop": null}]})),
            want: vec![],
        },
        PlanCase {
            name: "NestedType deep nested set",
            schema: deep_bleep(),
            prior: v(json!({"bleep": [{"bloop": {"$set": [{"blome": "ok"}]}}]})),
            config: v(json!({"bleep": [{"bloop": null}]})),
            planned: v(json!({"bleep": [{"bloop": {"$set": [{"blome": "ok"}]}}]})),
            want: vec![],
        },
        PlanCase {
            name: "NestedType nested computed list attribute",
            schema: schema(
                vec![A::nested("bloop", Nesting::List, vec![s("blop")]).computed()],
                vec![],
            ),
            prior: v(json!({"bloop": [{"blop": "ok"}]})),
            config: v(json!({"bloop": null})),
            planned: v(json!({"bloop": [{"blop": "ok"}]})),
            want: vec![],
        },
        PlanCase {
            name: "NestedType nested list attribute to null",
            schema: schema(
                vec![nested("bloop", Nesting::List, vec![s("blop")])],
                vec![],
            ),
            prior: v(json!({"bloop": [{"blop": "ok"}]})),
            config: v(json!({"bloop": null})),
            planned: v(json!({"bloop": [{"blop": "ok"}]})),
            want: vec![("bloop", "for a non-computed attribute")],
        },
        PlanCase {
            name: "NestedType nested set attribute to null",
            schema: schema(vec![nested("bloop", Nesting::Set, vec![s("blop")])], vec![]),
            prior: v(json!({"bloop": {"$set": [{"blop": "ok"}]}})),
            config: v(json!({"bloop": null})),
            planned: v(json!({"bloop": {"$set": [{"blop": "ok"}]}})),
            want: vec![("bloop", "for a non-computed attribute")],
        },
        PlanCase {
            name: "computed within nested objects",
            schema: schema(
                ["map", "list", "set", "single"]
                    .into_iter()
                    .zip([Nesting::Map, Nesting::List, Nesting::Set, Nesting::Single])
                    .map(|(n, m)| nested(n, m, vec![A::string("name").computed()]))
                    .collect(),
                vec![],
            ),
            prior: Value::Null,
            config: v(json!({
                "map": {"$map": {"one": {"name": null}}},
                "list": [{"name": null}],
                "set": {"$set": [{"name": null}]},
                "single": {"name": null},
            })),
            planned: v(json!({
                "map": {"$map": {"one": {"name": null}}},
                "list": [{"name": null}],
                "set": {"$set": [{"name": null}]},
                "single": {"name": null},
            })),
            want: vec![],
        },
        PlanCase {
            name: "computed nested objects",
            schema: schema(
                vec![
                    A::nested("map", Nesting::Map, vec![s("name")]).computed(),
                    A::nested("list", Nesting::List, vec![s("name")]).computed(),
                    A::nested("set", Nesting::Set, vec![s("name")]).optional_computed(),
                    A::nested("single", Nesting::Single, vec![s("name")]).computed(),
                ],
                vec![],
            ),
            prior: Value::Null,
            config: v(json!({
                "map": null, "list": null,
                "set": {"$set": [{"name": "from_config"}]},
                "single": null,
            })),
            planned: v(json!({
                "map": {"$map": {"one": "?"}},
                "list": [{"name": "computed"}],
                "set": {"$set": [{"name": "from_config"}]},
                "single": "?",
            })),
            want: vec![],
        },
        PlanCase {
            name: "cannot replace config nested attr",
            schema: schema(
                vec![nested(
                    "map",
                    Nesting::Map,
                    vec![A::string("name").optional_computed()],
                )],
                vec![],
            ),
            prior: Value::Null,
            config: v(json!({"map": {"$map": {"one": {"name": "from_config"}}}})),
            planned: v(json!({"map": {"$map": {"one": {"name": "from_provider"}}}})),
            want: vec![("map[\"one\"].name", "does not match config value")],
        },
        PlanCase {
            name: "computed only value with config",
            schema: schema(vec![A::string("a").computed()], vec![]),
            prior: v(json!({"a": "old"})),
            config: v(json!({"a": "old"})),
            planned: v(json!({"a": "?"})),
            want: vec![],
        },
        PlanCase {
            name: "nested collection attrs planned unknown",
            schema: schema(
                ["set", "list", "map"]
                    .into_iter()
                    .zip([Nesting::Set, Nesting::List, Nesting::Map])
                    .map(|(n, m)| {
                        A::nested(n, m, vec![A::string("name").optional_computed()])
                            .optional_computed()
                    })
                    .collect(),
                vec![],
            ),
            prior: v(json!({
                "set": {"$set": [{"name": "from_config"}]},
                "list": [{"name": "from_config"}],
                "map": {"$map": {"key": {"name": "from_config"}}},
            })),
            config: v(json!({
                "set": {"$set": [{"name": "from_config"}]},
                "list": [{"name": "from_config"}],
                "map": {"$map": {"key": {"name": "from_config"}}},
            })),
            planned: v(json!({"set": "?", "list": "?", "map": "?"})),
            want: vec![
                ("set", "planned unknown for configured value"),
                ("list", "planned unknown for configured value"),
                ("map", "planned unknown for configured value"),
            ],
        },
        PlanCase {
            name: "refined unknown values can become less refined",
            schema: schema(vec![A::string("a").required()], vec![]),
            prior: v(json!({"a": "old"})),
            config: v(json!({"a": "?!"})),
            planned: v(json!({"a": "?"})),
            want: vec![],
        },
        PlanCase {
            name: "refined unknown values in collection elements can become less refined",
            schema: schema(
                vec![A::typed("m", Type::Map(Box::new(Type::String))).optional()],
                vec![],
            ),
            prior: Value::Null,
            config: v(json!({"m": {"$map": {"key": "?!"}}})),
            planned: v(json!({"m": {"$map": {"key": "?"}}})),
            want: vec![],
        },
        PlanCase {
            name: "nested set values can contain computed unknown",
            schema: schema(
                vec![nested(
                    "set",
                    Nesting::Set,
                    vec![s("input"), A::string("computed").optional_computed()],
                )],
                vec![],
            ),
            prior: v(json!({"set": {"$set": [
                {"input": "a", "computed": null}, {"input": "b", "computed": null}]}})),
            config: v(json!({"set": {"$set": [
                {"input": "a", "computed": null}, {"input": "b", "computed": null}]}})),
            planned: v(json!({"set": {"$set": [
                {"input": "a", "computed": "?"}, {"input": "b", "computed": "?"}]}})),
            want: vec![],
        },
        PlanCase {
            name: "write-only attributes",
            schema: schema(vec![A::string("foo").optional().write_only()], vec![]),
            prior: v(json!({"foo": null})),
            config: v(json!({"foo": "write-only"})),
            planned: v(json!({"foo": null})),
            want: vec![],
        },
        PlanCase {
            name: "nested write-only attributes",
            schema: schema(
                vec![],
                vec![block(
                    "nested",
                    Nesting::List,
                    vec![A::string("foo").optional().write_only()],
                )],
            ),
            prior: v(json!({"nested": [{"foo": null}]})),
            config: v(json!({"nested": [{"foo": "write-only"}]})),
            planned: v(json!({"nested": [{"foo": null}]})),
            want: vec![],
        },
    ]
}

fn deep_bleep() -> Schema {
    schema(
        vec![nested(
            "bleep",
            Nesting::List,
            vec![nested("bloop", Nesting::Set, vec![s("blome")])],
        )],
        vec![],
    )
}

#[test]
fn assert_plan_valid_passes_terraforms_own_cases() {
    for c in plan_cases() {
        let got = check(&c.schema, &c.prior, &c.config, &c.planned);
        assert_violations(c.name, &got, &c.want);
    }
}

/// The rules issue 15 found missing, each as Terraform's code decides it.
#[test]
fn assert_plan_valid_rules_the_old_check_missed() {
    // A nested attribute unknown in the configuration but known in the plan (the old check
    // returned early for any unknown configuration).
    let single = schema(vec![nested("o", Nesting::Single, vec![s("x")])], vec![]);
    let got = check(
        &single,
        &Value::Null,
        &v(json!({"o": "?"})),
        &v(json!({"o": {"x": "made up"}})),
    );
    assert_violations("single", &got, &[("o.x", "does not match config value")]);
    let list = schema(vec![nested("l", Nesting::List, vec![s("x")])], vec![]);
    let got = check(
        &list,
        &Value::Null,
        &v(json!({"l": "?"})),
        &v(json!({"l": [{"x": "made up"}]})),
    );
    assert_violations("list", &got, &[("l", "disagrees with count in config")]);
    // A set's length is only checked when decidable: Terraform lets this one pass.
    let set = schema(vec![nested("t", Nesting::Set, vec![s("x")])], vec![]);
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": "?"})),
        &v(json!({"t": {"$set": [{"x": "made up"}]}})),
    );
    assert_violations("set", &got, &[]);
    // Set counts are compared as ranges: a planned set holding unknowns may still shrink
    // to the configured count, a known one may not differ.
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "b"}]}})),
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "b"}, {"x": "c"}]}})),
    );
    assert_violations(
        "set count",
        &got,
        &[("t", "disagrees with count in config")],
    );
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "b"}]}})),
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "?"}, {"x": "c"}]}})),
    );
    assert_violations("set count range", &got, &[]);
    // Unknown set-block elements.
    let blocks = schema(vec![], vec![block("b", Nesting::Set, vec![s("c")])]);
    let got = check(
        &blocks,
        &Value::Null,
        &v(json!({"b": {"$set": [{"c": "x"}]}})),
        &v(json!({"b": {"$set": ["?"]}})),
    );
    assert_violations(
        "set block element",
        &got,
        &[("b", "must not be unknown itself")],
    );
    // Unknowns compare without their refinements.
    let got = check(
        &single,
        &Value::Null,
        &v(json!({"o": {"x": "?"}})),
        &v(json!({"o": {"x": {"$prefix": "p-"}}})),
    );
    assert_violations("refined", &got, &[]);
    // Write-only values are null in any plan.
    let wo = schema(vec![A::string("w").optional().write_only()], vec![]);
    let got = check(
        &wo,
        &Value::Null,
        &v(json!({"w": "s"})),
        &v(json!({"w": "s"})),
    );
    assert_violations("write-only", &got, &[("w", "write-only")]);
}

struct CompatCase {
    schema: Schema,
    planned: Value,
    actual: Value,
    want: Vec<(&'static str, &'static str)>,
}

fn compat_cases() -> Vec<CompatCase> {
    let id_name = || {
        schema(
            vec![A::string("id").computed(), A::string("name").required()],
            vec![],
        )
    };
    let name = || schema(vec![A::string("name").required()], vec![]);
    let tags = || {
        schema(
            vec![
                A::string("id").computed(),
                A::typed("tags", Type::Map(Box::new(Type::String))).optional(),
            ],
            vec![],
        )
    };
    let zones = || {
        schema(
            vec![
                A::string("id").computed(),
                A::typed("zones", Type::Set(Box::new(Type::String))).optional(),
            ],
            vec![],
        )
    };
    let names = || {
        schema(
            vec![
                A::string("id").computed(),
                A::typed("names", Type::List(Box::new(Type::String))).optional(),
            ],
            vec![],
        )
    };
    let key_block = |n: Nesting| schema(vec![], vec![block("key", n, vec![s("foo")])]);
    let key_foobar = || {
        schema(
            vec![],
            vec![block("key", Nesting::List, vec![s("foo"), s("bar")])],
        )
    };
    let set_block =
        |name: &'static str| schema(vec![], vec![block(name, Nesting::Set, vec![s("foo")])]);
    let case = |schema: Schema, p: serde_json::Value, a: serde_json::Value, want| CompatCase {
        schema,
        planned: v(p),
        actual: v(a),
        want,
    };
    vec![
        case(schema(vec![], vec![]), json!({}), json!({}), vec![]),
        case(
            id_name(),
            json!({"id": "?", "name": "thingy"}),
            json!({"id": "?", "name": "thingy"}),
            vec![],
        ),
        case(
            id_name(),
            json!({"id": "?", "name": "?"}),
            json!({"id": "?", "name": "thingy"}),
            vec![],
        ),
        case(
            id_name(),
            json!({"id": "?", "name": "wotsit"}),
            json!({"id": "?", "name": "thingy"}),
            vec![("name", "but now String(\"thingy\")")],
        ),
        case(
            name(),
            json!({"name": "?!"}),
            json!({"name": null}),
            vec![("name", "does not conform to planning placeholder")],
        ),
        case(
            name(),
            json!({"name": {"$prefix": "boop:"}}),
            json!({"name": "thingy"}),
            vec![("name", "does not conform to planning placeholder")],
        ),
        case(
            schema(
                vec![
                    A::string("id").computed(),
                    A::string("name").required().sensitive(),
                ],
                vec![],
            ),
            json!({"id": "?", "name": "wotsit"}),
            json!({"id": "?", "name": "thingy"}),
            vec![("name", "inconsistent values for sensitive attribute")],
        ),
        case(
            tags(),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            vec![],
        ),
        case(
            tags(),
            json!({"id": "?", "tags": {"$map": {"Name": "wotsit"}}}),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            vec![("tags[\"Name\"]", "but now")],
        ),
        case(
            tags(),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy", "Env": "production"}}}),
            vec![("tags", "new element \"Env\" has appeared")],
        ),
        case(
            tags(),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            json!({"id": "?", "tags": {"$map": {}}}),
            vec![("tags", "element \"Name\" has vanished")],
        ),
        case(
            tags(),
            json!({"id": "?", "tags": {"$map": {"Name": "?"}}}),
            json!({"id": "?", "tags": {"$map": {"Name": "thingy"}}}),
            vec![],
        ),
        case(
            zones(),
            json!({"id": "?", "zones": {"$set": ["thingy"]}}),
            json!({"id": "?", "zones": {"$set": ["thingy"]}}),
            vec![],
        ),
        case(
            zones(),
            json!({"id": "?", "zones": {"$set": ["thingy"]}}),
            json!({"id": "?", "zones": {"$set": ["thingy", "wotsit"]}}),
            vec![
                (
                    "zones",
                    "actual set element String(\"wotsit\") does not correlate",
                ),
                ("zones", "length changed from 1 to 2"),
            ],
        ),
        case(
            zones(),
            json!({"id": "?", "zones": {"$set": ["?", "?"]}}),
            json!({"id": "?", "zones": {"$set": ["thingy"]}}),
            vec![],
        ),
        case(
            names(),
            json!({"id": "?", "names": "?"}),
            json!({"id": "?", "names": ["thingy"]}),
            vec![],
        ),
        case(
            names(),
            json!({"id": "?", "names": ["?"]}),
            json!({"id": "?", "names": ["thingy"]}),
            vec![],
        ),
        case(
            names(),
            json!({"id": "?", "names": ["thingy", "?"]}),
            json!({"id": "?", "names": ["thingy", "wotsit"]}),
            vec![],
        ),
        case(
            names(),
            json!({"id": "?", "names": ["?", "thingy"]}),
            json!({"id": "?", "names": ["thingy", "wotsit"]}),
            vec![("names[1]", "but now String(\"wotsit\")")],
        ),
        case(
            names(),
            json!({"id": "?", "names": ["?"]}),
            json!({"id": "?", "names": ["thingy", "wotsit"]}),
            vec![("names", "new element 1 has appeared")],
        ),
        // Single blocks.
        case(
            key_block(Nesting::Single),
            json!({"key": {"foo": null}}),
            json!({"key": {"foo": null}}),
            vec![],
        ),
        case(
            key_block(Nesting::Single),
            json!({"key": "?"}),
            json!({"key": {"foo": null}}),
            vec![],
        ),
        case(
            key_block(Nesting::Single),
            json!({"key": null}),
            json!({"key": {"foo": null}}),
            vec![("key", "was absent, but now present")],
        ),
        case(
            key_block(Nesting::Single),
            json!({"key": {"foo": null}}),
            json!({"key": null}),
            vec![("key", "was present, but now absent")],
        ),
        // List blocks.
        case(
            key_block(Nesting::List),
            json!({"key": [{"foo": "hello"}]}),
            json!({"key": [{"foo": "hello"}]}),
            vec![],
        ),
        case(
            key_block(Nesting::List),
            json!({"key": [{"foo": "hello"}, {"foo": "world"}]}),
            json!({"key": [{"foo": "hello"}]}),
            vec![("key", "block count changed from 2 to 1")],
        ),
        case(
            key_block(Nesting::List),
            json!({"key": []}),
            json!({"key": [{"foo": "hello"}, {"foo": "world"}]}),
            vec![("key", "block count changed from 0 to 2")],
        ),
        case(
            key_block(Nesting::List),
            json!({"key": "?"}),
            json!({"key": [{"foo": "hello"}, {"foo": "world"}]}),
            vec![],
        ),
        case(
            key_foobar(),
            json!({"key": [{"foo": "bar", "bar": null}, {"foo": "?", "bar": ""}]}),
            json!({"key": [{"foo": "bar", "bar": null}, {"foo": "hello", "bar": null}, {"foo": "world", "bar": null}]}),
            vec![("key", "block count changed from 2 to 3")],
        ),
        // Set blocks.
        case(
            set_block("block"),
            json!({"block": {"$set": [{"foo": "hello"}, {"foo": "world"}]}}),
            json!({"block": {"$set": [{"foo": "hello"}, {"foo": "world"}]}}),
            vec![],
        ),
        case(
            set_block("block"),
            json!({"block": {"$set": [{"foo": "?"}, {"foo": "?"}]}}),
            json!({"block": {"$set": [{"foo": "hello"}]}}),
            vec![],
        ),
        case(
            set_block("block"),
            json!({"block": {"$set": [{"foo": "?"}, {"foo": "?"}]}}),
            json!({"block": {"$set": [{"foo": "hello"}, {"foo": "world"}]}}),
            vec![],
        ),
        case(
            set_block("block"),
            json!({"block": "?"}),
            json!({"block": {"$set": [{"foo": "hello"}, {"foo": "world"}, {"foo": "nope"}]}}),
            vec![],
        ),
        case(
            set_block("block"),
            json!({"block": {"$set": [{"foo": "hello"}, {"foo": "world"}]}}),
            json!({"block": {"$set": [{"foo": "howdy"}, {"foo": "world"}]}}),
            vec![("block", "planned set element")],
        ),
        case(
            set_block("block"),
            json!({"block": {"$set": [{"foo": "?"}, {"foo": "?"}]}}),
            json!({"block": "?"}),
            vec![],
        ),
        case(
            set_block("block2"),
            json!({"block2": "?"}),
            json!({"block2": {"$set": []}}),
            vec![],
        ),
        case(
            set_block("block3"),
            json!({"block3": {"$set": [{"foo": "a"}, {"foo": "?"}]}}),
            json!({"block3": {"$set": [{"foo": "a"}]}}),
            vec![],
        ),
    ]
}

#[test]
fn assert_object_compatible_passes_terraforms_own_cases() {
    for (i, c) in compat_cases().into_iter().enumerate() {
        let got = check_refines(&c.schema, &c.planned, &c.actual);
        assert_violations(&format!("case {i}"), &got, &c.want);
    }
}

/// The rules issue 15 found missing in `check_refines` / `check_compatible`.
#[test]
fn assert_object_compatible_rules_the_old_check_missed() {
    // A known planned value is not satisfied by an unknown one (also inside set elements).
    let set = schema(
        vec![nested(
            "rules",
            Nesting::Set,
            vec![s("name"), A::string("uid").computed()],
        )],
        vec![],
    );
    let got = check_refines(
        &set,
        &v(json!({"rules": {"$set": [{"name": "?", "uid": "u1"}]}})),
        &v(json!({"rules": {"$set": [{"name": "c", "uid": "?"}]}})),
    );
    assert_violations("unknown actual", &got, &[("rules", "planned set element")]);
    // Sets may shrink when unknowns coalesce, but never grow, and every actual element
    // must correlate with a planned one.
    let got = check_refines(
        &set,
        &v(json!({"rules": {"$set": [{"name": "a", "uid": "?"}, {"name": "b", "uid": "?"}]}})),
        &v(
            json!({"rules": {"$set": [{"name": "a", "uid": "1"}, {"name": "b", "uid": "2"}, {"name": "c", "uid": "3"}]}}),
        ),
    );
    assert_violations(
        "set grows",
        &got,
        &[
            ("rules", "actual set element"),
            ("rules", "length changed from 2 to 3"),
        ],
    );
    let got = check_refines(
        &set,
        &v(json!({"rules": {"$set": [{"name": "?", "uid": "?"}, {"name": "?", "uid": "?"}]}})),
        &v(json!({"rules": {"$set": [{"name": "a", "uid": "1"}]}})),
    );
    assert_violations("set shrinks", &got, &[]);
    // A known value later unknown.
    let got = check_refines(
        &schema(vec![s("name")], vec![]),
        &v(json!({"name": "x"})),
        &v(json!({"name": "?"})),
    );
    assert_violations("was known", &got, &[("name", "was known, but now unknown")]);
}

/// AssertPlanValid edges that mutation testing found untested (issue 15,
/// bench/results/mutants.json names the mutant each assertion kills).
#[test]
fn assert_plan_valid_edges_mutation_testing_found() {
    // A configured nested attribute planned null (check_object's first rule).
    let single = schema(vec![nested("o", Nesting::Single, vec![s("x")])], vec![]);
    let got = check(
        &single,
        &Value::Null,
        &v(json!({"o": {"x": "a"}})),
        &v(json!({"o": null})),
    );
    assert_violations(
        "planned null",
        &got,
        &[("o", "planned for absence but config wants existence")],
    );
    // A planned set holding unknowns ranges from 1 to its length: more configured elements
    // than that is outside the range.
    let set = schema(vec![nested("t", Nesting::Set, vec![s("x")])], vec![]);
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "b"}, {"x": "c"}]}})),
        &v(json!({"t": {"$set": [{"x": "?"}, {"x": "b"}]}})),
    );
    assert_violations(
        "set range too short",
        &got,
        &[(
            "t",
            "count in plan (unknown, 1 to 2) disagrees with count in config (3)",
        )],
    );
    // ... and none configured is below it; one configured is at its lower end.
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": []}})),
        &v(json!({"t": {"$set": [{"x": "?"}, {"x": "b"}]}})),
    );
    assert_violations(
        "set range too long",
        &got,
        &[(
            "t",
            "count in plan (unknown, 1 to 2) disagrees with count in config (0)",
        )],
    );
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": [{"x": "b"}]}})),
        &v(json!({"t": {"$set": [{"x": "?"}, {"x": "b"}]}})),
    );
    assert_violations("set range lower end", &got, &[]);
    // A single nested block planned absent while configured, and the other way round.
    let single_b = schema(vec![], vec![block("b", Nesting::Single, vec![s("c")])]);
    let got = check(
        &single_b,
        &Value::Null,
        &v(json!({"b": {"c": "x"}})),
        &v(json!({"b": null})),
    );
    assert_violations(
        "block planned null",
        &got,
        &[("b", "planned for absence but config wants existence")],
    );
    let got = check(
        &single_b,
        &Value::Null,
        &v(json!({"b": null})),
        &v(json!({"b": {"c": "x"}})),
    );
    assert_violations(
        "block planned present",
        &got,
        &[("b", "planned for existence but config wants absence")],
    );
    // One element holding an unknown cannot coalesce with another: its count is exact.
    let got = check(
        &set,
        &Value::Null,
        &v(json!({"t": {"$set": [{"x": "a"}, {"x": "b"}]}})),
        &v(json!({"t": {"$set": [{"x": "?"}]}})),
    );
    assert_violations(
        "one unknown element",
        &got,
        &[("t", "count in plan (1) disagrees with count in config (2)")],
    );
    // A nested map's count is its number of keys.
    let map = schema(vec![nested("m", Nesting::Map, vec![s("x")])], vec![]);
    let got = check(
        &map,
        &Value::Null,
        &v(json!({"m": {"$map": {"a": {"x": "1"}, "b": {"x": "2"}}}})),
        &v(json!({"m": {"$map": {"a": {"x": "1"}}}})),
    );
    assert_violations(
        "map count",
        &got,
        &[("m", "count in plan (1) disagrees with count in config (2)")],
    );
    // Messages show the values of attributes that are not sensitive.
    let got = check(
        &schema(vec![s("a")], vec![]),
        &Value::Null,
        &v(json!({"a": "x"})),
        &v(json!({"a": "y"})),
    );
    assert_eq!(
        got.iter().map(|v| v.message.as_str()).collect::<Vec<_>>(),
        [format!(
            "planned value {:?} does not match config value {:?}",
            Value::string("y"),
            Value::string("x")
        )]
    );
}
