//! Unit tables: every nesting mode x every pipeline step, each case planned the way
//! Terraform asks (proposed new state from [`proposed_new`]) and checked against Terraform's
//! own rules ([`check`], [`check_refines`]) besides its expected values.

use std::collections::BTreeMap;

use crate::tf::ObjectMap;

use super::*;
use crate::tf::schema::{Attribute as A, Block, NestedBlock};

/// The element every nested mode carries: a configured key, a default, a computed value,
/// a kept computed value, a write-only secret and a replace-forcing attribute (the last two
/// only where the mode allows them: not inside sets).
fn element(in_set: bool) -> Vec<A> {
    let mut v = vec![
        A::string("name").required().description("n"),
        A::string("mode")
            .default(Value::string("fast"))
            .description("m"),
        A::string("status").computed().description("s"),
        A::string("uid").computed().keep_prior().description("u"),
    ];
    if !in_set {
        v.push(
            A::string("token_wo")
                .optional()
                .write_only()
                .description("t"),
        );
        v.push(
            A::string("kind")
                .optional()
                .requires_replace()
                .description("k"),
        );
    }
    v
}

/// Where the nested element lives: a nested attribute or a block, in one nesting mode.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Attr(Nesting),
    Block(Nesting),
}

const MODES: [Mode; 9] = [
    Mode::Attr(Nesting::Single),
    Mode::Attr(Nesting::List),
    Mode::Attr(Nesting::Set),
    Mode::Attr(Nesting::Map),
    Mode::Block(Nesting::Single),
    Mode::Block(Nesting::Group),
    Mode::Block(Nesting::List),
    Mode::Block(Nesting::Set),
    Mode::Block(Nesting::Map),
];

impl Mode {
    fn nesting(self) -> Nesting {
        match self {
            Mode::Attr(n) | Mode::Block(n) => n,
        }
    }
    fn in_set(self) -> bool {
        self.nesting() == Nesting::Set
    }
    fn schema(self) -> Schema {
        self.schema_with(element(self.in_set()))
    }
    /// The test schema with `element` as the nested element's attributes.
    fn schema_with(self, element: Vec<A>) -> Schema {
        let top = vec![
            A::string("id").computed().keep_prior().description("id"),
            A::string("label").optional().description("l"),
            A::string("updated").computed().description("u"),
        ];
        let mut s = Schema::new(0, "t", top);
        match self {
            Mode::Attr(n) => s.block.attributes.push(
                A::nested("items", n, element.clone())
                    .optional()
                    .description("i"),
            ),
            Mode::Block(n) => s.block.blocks.push(NestedBlock::new(
                "items",
                n,
                "i",
                Block {
                    attributes: element,
                    ..Default::default()
                },
            )),
        }
        assert_eq!(s.validate(true), Vec::<String>::new(), "{self:?}");
        s
    }
    /// A configuration element.
    fn el(self, name: &str, extra: &[(&str, Value)]) -> Value {
        let mut m: ObjectMap<Value> = element(self.in_set())
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        m.insert("name", Value::string(name));
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }
    /// The nested value holding `els` (first element only for single and group).
    fn wrap(self, els: Vec<Value>) -> Value {
        match self.nesting() {
            Nesting::Single | Nesting::Group => els.into_iter().next().unwrap_or(Value::Null),
            Nesting::List => Value::List(els),
            Nesting::Set => Value::Set(els),
            Nesting::Map => Value::Map(
                els.into_iter()
                    .map(|e| (e.attr_str("name").unwrap_or("?").to_string(), e))
                    .collect(),
            ),
        }
    }
    /// How many elements this mode holds in these tests.
    fn count(self) -> usize {
        match self.nesting() {
            Nesting::Single | Nesting::Group => 1,
            _ => 2,
        }
    }
    fn config(self, els: Vec<Value>, label: Option<&str>) -> Value {
        Value::Object(ObjectMap::from([
            ("id".to_string(), Value::Null),
            ("label".to_string(), Value::opt_string(label)),
            ("updated".to_string(), Value::Null),
            ("items".to_string(), self.wrap(els)),
        ]))
    }
}

/// The elements of the nested value at `items`, in storage order.
fn items(v: &Value) -> Vec<Value> {
    elements(v.attr("items"))
}

/// Plans like Terraform: proposed new state, pipeline, (no hook), finish; asserts the plan
/// passes Terraform's validity rules.
fn run(schema: &Schema, prior: &Value, config: &Value) -> (Value, Vec<AttributePath>) {
    let proposed = proposed_new(schema, prior, config);
    let walked = plan(schema, prior, &proposed, config);
    let mut planned = walked.clone();
    let replace = finish(schema, prior, config, &walked, &mut planned);
    assert_eq!(
        check(schema, prior, config, &planned),
        vec![],
        "invalid plan for {config:?}"
    );
    (planned, replace)
}

/// What apply would record: every unknown resolved.
fn applied(planned: &Value) -> Value {
    fn fill(v: &Value, n: &mut u32) -> Value {
        match v {
            Value::Unknown(_) => {
                *n += 1;
                Value::string(format!("computed-{n}"))
            }
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), fill(x, n))).collect())
            }
            Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), fill(x, n))).collect()),
            Value::List(i) => Value::List(i.iter().map(|x| fill(x, n)).collect()),
            Value::Set(i) => Value::Set(i.iter().map(|x| fill(x, n)).collect()),
            other => other.clone(),
        }
    }
    fill(planned, &mut 0)
}

fn names(mode: Mode) -> Vec<Value> {
    ["a", "b"][..mode.count()]
        .iter()
        .map(|n| mode.el(n, &[]))
        .collect()
}

#[test]
fn create_applies_defaults_nulls_write_only_and_plans_computed_unknown() {
    for mode in MODES {
        let s = mode.schema();
        let els: Vec<Value> = names(mode)
            .into_iter()
            .map(|e| {
                let mut e = e;
                if !mode.in_set() {
                    e.set_attr("token_wo", "secret".into());
                }
                e
            })
            .collect();
        let cfg = mode.config(els, None);
        let (p, replace) = run(&s, &Value::Null, &cfg);
        assert!(
            replace.is_empty(),
            "{mode:?}: a create has no replace paths"
        );
        assert!(p.attr("id").is_unknown() && p.attr("updated").is_unknown());
        let got = items(&p);
        assert_eq!(got.len(), mode.count(), "{mode:?}");
        for el in got {
            assert_eq!(el.attr("mode"), &Value::string("fast"), "{mode:?}: default");
            assert!(el.attr("status").is_unknown(), "{mode:?}: computed unknown");
            assert!(
                el.attr("uid").is_unknown(),
                "{mode:?}: keep_prior has no prior on create"
            );
            assert!(
                el.attr("token_wo").is_null(),
                "{mode:?}: write-only planned null"
            );
        }
    }
}

#[test]
fn an_unchanged_resource_plans_exactly_its_prior_state() {
    for mode in MODES {
        let s = mode.schema();
        let cfg = mode.config(names(mode), Some("x"));
        let prior = applied(&run(&s, &Value::Null, &cfg).0);
        let (p, replace) = run(&s, &prior, &cfg);
        assert_eq!(p, prior, "{mode:?}");
        assert!(replace.is_empty(), "{mode:?}");
    }
}

#[test]
fn a_change_elsewhere_plans_computed_unknown_but_keeps_keep_prior_values() {
    for mode in MODES {
        let s = mode.schema();
        let prior = applied(&run(&s, &Value::Null, &mode.config(names(mode), Some("x"))).0);
        let (p, replace) = run(&s, &prior, &mode.config(names(mode), Some("y")));
        assert!(replace.is_empty(), "{mode:?}");
        assert_eq!(
            p.attr("id"),
            prior.attr("id"),
            "{mode:?}: keep_prior at the top"
        );
        assert!(p.attr("updated").is_unknown(), "{mode:?}");
        for (el, before) in items(&p).iter().zip(items(&prior)) {
            assert_eq!(
                el.attr("uid"),
                before.attr("uid"),
                "{mode:?}: keep_prior inside"
            );
            assert!(
                el.attr("status").is_unknown(),
                "{mode:?}: computed inside a changing resource"
            );
            assert_eq!(el.attr("mode"), &Value::string("fast"));
        }
    }
}

#[test]
fn a_new_element_gets_unknown_computed_values_even_with_keep_prior() {
    for mode in MODES {
        if mode.count() == 1 {
            continue;
        }
        let s = mode.schema();
        let prior = applied(&run(&s, &Value::Null, &mode.config(names(mode), None)).0);
        let mut els = names(mode);
        els.push(mode.el("c", &[]));
        let (p, _) = run(&s, &prior, &mode.config(els, None));
        let new = items(&p)
            .into_iter()
            .find(|e| e.attr_str("name") == Some("c"))
            .expect("the new element is planned");
        assert!(new.attr("uid").is_unknown(), "{mode:?}");
        assert!(new.attr("status").is_unknown(), "{mode:?}");
        let old = items(&p)
            .into_iter()
            .find(|e| e.attr_str("name") == Some("a"))
            .unwrap();
        let old_prior = items(&prior)
            .into_iter()
            .find(|e| e.attr_str("name") == Some("a"))
            .unwrap();
        assert_eq!(
            old.attr("uid"),
            old_prior.attr("uid"),
            "{mode:?}: matched element keeps its uid"
        );
    }
}

#[test]
fn requires_replace_inside_elements_names_the_element_path() {
    for mode in MODES {
        if mode.in_set() {
            continue;
        }
        let s = mode.schema();
        let cfg = |kind: &str| {
            mode.config(
                names(mode)
                    .into_iter()
                    .map(|mut e| {
                        if e.attr_str("name") == Some("a") {
                            e.set_attr("kind", kind.into());
                        }
                        e
                    })
                    .collect(),
                None,
            )
        };
        let prior = applied(&run(&s, &Value::Null, &cfg("one")).0);
        let (_, replace) = run(&s, &prior, &cfg("two"));
        let expected = match mode.nesting() {
            Nesting::Single | Nesting::Group => "items.kind",
            Nesting::List => "items[0].kind",
            Nesting::Map => "items[\"a\"].kind",
            Nesting::Set => unreachable!(),
        };
        assert_eq!(
            replace.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec![expected],
            "{mode:?}"
        );
        let (_, replace) = run(&s, &prior, &cfg("one"));
        assert!(replace.is_empty(), "{mode:?}: same value, no replacement");
    }
}

#[test]
fn set_elements_match_their_configuration_and_prior_by_value_not_position() {
    let mode = Mode::Attr(Nesting::Set);
    let s = mode.schema();
    let prior = applied(&run(&s, &Value::Null, &mode.config(names(mode), None)).0);
    // The same elements in the other order: nothing changes.
    let mut reversed = names(mode);
    reversed.reverse();
    let (p, _) = run(&s, &prior, &mode.config(reversed, None));
    assert_eq!(p, prior);
    // One element's configured value changes: that element is new, the other keeps its uid.
    let changed = vec![mode.el("a", &[]), mode.el("b", &[("mode", "slow".into())])];
    let (p, _) = run(&s, &prior, &mode.config(changed, None));
    let a = items(&p)
        .into_iter()
        .find(|e| e.attr_str("name") == Some("a"))
        .unwrap();
    let b = items(&p)
        .into_iter()
        .find(|e| e.attr_str("name") == Some("b"))
        .unwrap();
    let a_prior = items(&prior)
        .into_iter()
        .find(|e| e.attr_str("name") == Some("a"))
        .unwrap();
    assert_eq!(a.attr("uid"), a_prior.attr("uid"));
    assert!(
        b.attr("uid").is_unknown(),
        "an element whose configuration changed is a new element"
    );
    assert_eq!(b.attr("mode"), &Value::string("slow"));
}

#[test]
fn absent_blocks_follow_the_protocol() {
    for mode in MODES {
        let Mode::Block(n) = mode else { continue };
        let s = mode.schema();
        let absent = s.block.blocks[0].absent_value();
        match n {
            Nesting::Single => assert_eq!(absent, Value::Null),
            Nesting::Group => assert!(absent.as_object().is_some(), "a group block is never null"),
            Nesting::List => assert_eq!(absent, Value::List(vec![])),
            Nesting::Set => assert_eq!(absent, Value::Set(vec![])),
            Nesting::Map => assert_eq!(absent, Value::Map(BTreeMap::new())),
        }
        let mut cfg = s.null_object();
        cfg.set_attr("label", "x".into());
        let (p, _) = run(&s, &Value::Null, &cfg);
        if n == Nesting::Group {
            assert_eq!(
                p.attr("items").attr("mode"),
                &Value::string("fast"),
                "defaults apply inside an absent group"
            );
        } else {
            assert_eq!(p.attr("items"), &absent, "{mode:?}");
        }
    }
}

#[test]
fn unknown_configuration_is_planned_unknown_and_never_promised() {
    for mode in MODES {
        let s = mode.schema();
        let prior = applied(&run(&s, &Value::Null, &mode.config(names(mode), Some("x"))).0);
        // The label becomes unknown: unknown is a change, so computed values are unknown.
        let mut cfg = mode.config(names(mode), None);
        cfg.set_attr("label", Value::unknown());
        let (p, _) = run(&s, &prior, &cfg);
        assert!(p.attr("label").is_unknown());
        assert!(
            p.attr("updated").is_unknown(),
            "{mode:?}: an unknown may differ from the prior value"
        );
        // And once known, the final plan refines the first one.
        let (known, _) = run(&s, &prior, &mode.config(names(mode), Some("z")));
        assert_eq!(check_refines(&s, &p, &known), vec![], "{mode:?}");
    }
}

#[test]
fn whole_nested_value_unknown_is_planned_unknown() {
    for mode in MODES {
        if matches!(mode, Mode::Block(Nesting::Group)) {
            continue; // a group block cannot be unknown as a whole
        }
        let s = mode.schema();
        let mut cfg = mode.config(names(mode), None);
        cfg.set_attr("items", Value::unknown());
        let (p, _) = run(&s, &Value::Null, &cfg);
        assert!(p.attr("items").is_unknown(), "{mode:?}");
    }
}

#[test]
fn a_hook_that_turns_no_change_into_a_change_gets_unknown_computed_values() {
    let mode = Mode::Attr(Nesting::List);
    let s = mode.schema();
    let cfg = mode.config(names(mode), Some("x"));
    let prior = applied(&run(&s, &Value::Null, &cfg).0);
    let proposed = proposed_new(&s, &prior, &cfg);
    let walked = plan(&s, &prior, &proposed, &cfg);
    assert_eq!(walked, prior);
    // The hook derives a new value for a configurable attribute (say, a provider default).
    let mut hooked = walked.clone();
    hooked.set_attr("label", "derived".into());
    hooked.set_attr("id", "derived-id".into());
    finish(&s, &prior, &cfg, &walked, &mut hooked);
    assert!(
        hooked.attr("updated").is_unknown(),
        "left alone by the hook, now unknown"
    );
    assert_eq!(
        hooked.attr("id"),
        &Value::string("derived-id"),
        "what the hook set stays"
    );
    for el in items(&hooked) {
        assert!(el.attr("status").is_unknown());
    }
}

#[test]
fn write_only_values_are_found_at_any_depth_after_missing_attributes() {
    // Regression: the scan used to stop at the first attribute absent from the object.
    let mode = Mode::Attr(Nesting::List);
    let s = mode.schema();
    let mut cfg = mode.config(
        vec![mode.el("a", &[]), mode.el("b", &[("token_wo", "s".into())])],
        None,
    );
    if let Some(m) = cfg.as_object_mut() {
        m.remove("label");
    }
    assert_eq!(
        write_only_value(&s, &cfg).map(|p| p.to_string()).as_deref(),
        Some("items[1].token_wo")
    );
    let mut cleared = cfg.clone();
    null_write_only(&s, &mut cleared);
    assert_eq!(write_only_value(&s, &cleared), None);
}

#[test]
fn equivalent_configuration_keeps_the_prior_form() {
    fn json_eq(a: &Value, b: &Value) -> bool {
        let parse = |v: &Value| {
            v.as_str()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        };
        parse(a).is_some() && parse(a) == parse(b)
    }
    let s = Schema::new(
        0,
        "t",
        vec![
            A::string("doc")
                .optional()
                .equivalence(crate::tf::schema::Equivalence {
                    name: "json",
                    eq: json_eq,
                })
                .description("d"),
            A::string("updated").computed().description("u"),
        ],
    );
    let prior = Value::Object(ObjectMap::from([
        ("doc".to_string(), Value::string(r#"{"a":1,"b":2}"#)),
        ("updated".to_string(), Value::string("t1")),
    ]));
    let mut cfg = s.null_object();
    cfg.set_attr("doc", Value::string("{ \"b\": 2,\n  \"a\": 1 }"));
    let (p, _) = run(&s, &prior, &cfg);
    assert_eq!(p, prior, "reformatting is no diff");
    cfg.set_attr("doc", Value::string(r#"{"a":2}"#));
    let (p, _) = run(&s, &prior, &cfg);
    assert_eq!(p.attr("doc"), &Value::string(r#"{"a":2}"#));
    assert!(p.attr("updated").is_unknown());
    // Reads keep the prior form too.
    let mut read = prior.clone();
    read.set_attr("doc", Value::string(r#"{"b":2,"a":1}"#));
    normalize_read(&s, &prior, &mut read);
    assert_eq!(read, prior);
}

/// Reads under a `NullMeans` (an unset revision read back as `HEAD`) and an `Equivalence` of a
/// whole nested object (a destination the API completes with a name), at any depth: the
/// prior form stays wherever the answer means the same, and only there.
#[test]
fn reads_keep_the_prior_form_of_null_meanings_and_of_equivalent_nested_objects() {
    use crate::tf::schema::{Equivalence, NullMeans};
    fn is_head(v: &Value) -> bool {
        v.as_str() == Some("HEAD")
    }
    /// The same server; a name only one side has does not count.
    fn same_dest(a: &Value, b: &Value) -> bool {
        let named = |v: &Value| !v.attr("name").is_null();
        a.attr("server") == b.attr("server")
            && (a.attr("name") == b.attr("name") || named(a) != named(b))
    }
    let rev = || {
        A::string("revision").optional().null_means(NullMeans {
            name: "head",
            means: is_head,
        })
    };
    let dest = A::nested(
        "dest",
        Nesting::Single,
        vec![A::string("server").optional(), A::string("name").optional()],
    )
    .optional()
    .equivalence(Equivalence {
        name: "dest",
        eq: same_dest,
    });
    let s = Schema::new(
        0,
        "t",
        vec![
            rev(),
            dest,
            A::nested(
                "srcs",
                Nesting::List,
                vec![A::string("url").optional(), rev()],
            )
            .optional(),
        ],
    );
    let obj = |kv: &[(&str, Value)]| {
        Value::Object(kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    };
    let state = |rev: Value, name: Value, src_rev: Value| {
        obj(&[
            ("revision", rev),
            (
                "dest",
                obj(&[("server", Value::string("https://k")), ("name", name)]),
            ),
            (
                "srcs",
                Value::List(vec![obj(&[
                    ("url", Value::string("u")),
                    ("revision", src_rev),
                ])]),
            ),
        ])
    };
    let head = || Value::string("HEAD");
    let (null, named) = (|| Value::Null, || Value::string("in-cluster"));
    // (prior, read, expected after the read)
    let table = [
        // Unset and read back as HEAD, at the top and inside a list element.
        (
            state(null(), null(), null()),
            state(head(), named(), head()),
            state(null(), null(), null()),
        ),
        // Set to HEAD and read back unset.
        (
            state(head(), null(), head()),
            state(null(), null(), null()),
            state(head(), null(), head()),
        ),
        // Other revisions, and another cluster, are changes.
        (
            state(null(), null(), null()),
            state(Value::string("main"), null(), Value::string("v1")),
            state(Value::string("main"), null(), Value::string("v1")),
        ),
        (
            state(null(), named(), null()),
            state(null(), Value::string("other"), null()),
            state(null(), Value::string("other"), null()),
        ),
    ];
    for (prior, read, want) in table {
        let mut got = read.clone();
        normalize_read(&s, &prior, &mut got);
        assert_eq!(got, want, "prior {prior:?}, read {read:?}");
    }
    // Planning: a configured destination that means the prior one keeps it whole (a valid
    // plan: Terraform accepts the prior value of a configured attribute), another one not.
    let prior = state(null(), named(), null());
    let cfg = state(null(), null(), null());
    let (p, _) = run(&s, &prior, &cfg);
    assert_eq!(p, prior);
    let other = state(null(), Value::string("other"), null());
    let (p, _) = run(&s, &prior, &other);
    assert_eq!(p, other);
}

#[test]
fn check_names_the_offending_path() {
    let mode = Mode::Attr(Nesting::List);
    let s = mode.schema();
    let cfg = mode.config(names(mode), None);
    let (mut p, _) = run(&s, &Value::Null, &cfg);
    if let Some(items) = p.attr("items").clone().as_elements() {
        let mut items = items.to_vec();
        items[1].set_attr("name", "other".into());
        p.set_attr("items", Value::List(items));
    }
    let v = check(&s, &Value::Null, &cfg, &p);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path.to_string(), "items[1].name");
    assert!(v[0].message.contains("does not match config value"));
    // A promised known id that apply changes is caught with its path.
    let mut planned = applied(&run(&s, &Value::Null, &cfg).0);
    planned.set_attr("id", "/r1".into());
    let mut actual = planned.clone();
    actual.set_attr("id", "account.agent1/r1".into());
    let v = check_compatible(&s, &planned, &actual);
    assert_eq!(v[0].path.to_string(), "id");
}

#[test]
fn settle_keeps_planned_values_and_fills_unknowns_at_any_depth() {
    for mode in MODES {
        let s = mode.schema();
        let cfg = mode.config(names(mode), Some("x"));
        let (planned, _) = run(&s, &Value::Null, &cfg);
        // The API reports a different form of a configured value and fills the computed ones.
        let mut api = applied(&planned);
        api.set_attr("label", "X".into());
        let settled = settle(&planned, &api);
        assert_eq!(
            settled.attr("label"),
            &Value::string("x"),
            "{mode:?}: the user's form wins"
        );
        assert!(settled.is_wholly_known(), "{mode:?}");
        assert_eq!(check_compatible(&s, &planned, &settled), vec![], "{mode:?}");
    }
}

/// Plans like [`run`], but with the planned set elements in the order given by `reorder`
/// (Terraform sends set elements in its own order, not the configuration's).
fn run_reordered(
    schema: &Schema,
    prior: &Value,
    config: &Value,
    reorder: impl Fn(&mut Vec<Value>),
) -> Value {
    let mut proposed = proposed_new(schema, prior, config);
    if let Some(Value::Set(items)) = proposed.as_object_mut().and_then(|m| m.get_mut("items")) {
        reorder(items);
    }
    let walked = plan(schema, prior, &proposed, config);
    let mut planned = walked.clone();
    finish(schema, prior, config, &walked, &mut planned);
    assert_eq!(check(schema, prior, config, &planned), vec![]);
    planned
}

const SET_MODES: [Mode; 2] = [Mode::Attr(Nesting::Set), Mode::Block(Nesting::Set)];

#[test]
fn an_unknown_set_element_never_takes_over_a_prior_element() {
    // Issue 15, bug 1: the element whose name is unknown used to match the first prior
    // element, so its keep_prior uid was planned as that element's known uid; once the name
    // resolved to a new element the final plan had it unknown.
    for mode in SET_MODES {
        let s = mode.schema();
        let prior = applied(&run(&s, &Value::Null, &mode.config(names(mode), None)).0);
        let unknown_name = mode.el("x", &[("name", Value::unknown())]);
        let early_cfg = mode.config(vec![unknown_name, mode.el("b", &[])], None);
        let (early, _) = run(&s, &prior, &early_cfg);
        let els = items(&early);
        let pending = els
            .iter()
            .find(|e| e.attr("name").is_unknown())
            .expect("the unknown element is planned");
        assert!(
            pending.attr("uid").is_unknown(),
            "{mode:?}: a match that involved an unknown carries no prior value: {pending:?}"
        );
        let b = els
            .iter()
            .find(|e| e.attr_str("name") == Some("b"))
            .unwrap();
        let b_prior = items(&prior)
            .into_iter()
            .find(|e| e.attr_str("name") == Some("b"))
            .unwrap();
        assert_eq!(
            b.attr("uid"),
            b_prior.attr("uid"),
            "{mode:?}: b keeps its uid"
        );
        // Whatever the unknown turns out to be, the final plan refines this one.
        for resolved in ["a", "c"] {
            let cfg = mode.config(vec![mode.el(resolved, &[]), mode.el("b", &[])], None);
            let (known, _) = run(&s, &prior, &cfg);
            assert_eq!(
                check_refines(&s, &early, &known),
                vec![],
                "{mode:?}: resolved to {resolved}"
            );
        }
    }
}

#[test]
fn set_elements_differing_only_in_a_defaulted_value_keep_the_configured_value() {
    // Issue 15, bug 1: {name="a"} and {name="a", mode="slow"} could be paired the wrong way
    // round (first fit, null matching anything), and the default overwrote "slow".
    for mode in SET_MODES {
        let s = mode.schema();
        let cfg = mode.config(
            vec![mode.el("a", &[]), mode.el("a", &[("mode", "slow".into())])],
            None,
        );
        for reversed in [false, true] {
            let reorder = |v: &mut Vec<Value>| {
                if reversed {
                    v.reverse()
                }
            };
            let planned = run_reordered(&s, &Value::Null, &cfg, reorder);
            let mut modes: Vec<String> = items(&planned)
                .iter()
                .map(|e| e.attr_str("mode").unwrap_or("?").to_string())
                .collect();
            modes.sort();
            assert_eq!(modes, vec!["fast", "slow"], "{mode:?} reversed={reversed}");
            // And on update, each keeps its own uid.
            let prior = applied(&planned);
            let again = run_reordered(&s, &prior, &cfg, reorder);
            assert_eq!(
                again, prior,
                "{mode:?} reversed={reversed}: nothing changes"
            );
        }
    }
}

#[test]
fn an_added_element_that_sets_a_replace_forcing_attribute_forces_replacement() {
    // Issue 15, bug 7: added list elements and map keys were skipped, unlike the plugin
    // framework's RequiresReplace (prior value null, planned value set: a change).
    for mode in [
        Mode::Attr(Nesting::List),
        Mode::Attr(Nesting::Map),
        Mode::Block(Nesting::List),
        Mode::Block(Nesting::Map),
    ] {
        let s = mode.schema();
        let prior = applied(
            &run(
                &s,
                &Value::Null,
                &mode.config(vec![mode.el("a", &[])], None),
            )
            .0,
        );
        let with_kind = vec![mode.el("a", &[]), mode.el("b", &[("kind", "oci".into())])];
        let (_, replace) = run(&s, &prior, &mode.config(with_kind, None));
        let expected = match mode.nesting() {
            Nesting::List => "items[1].kind",
            _ => "items[\"b\"].kind",
        };
        assert_eq!(
            replace.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec![expected],
            "{mode:?}"
        );
        // An added element that leaves it unset changes nothing that forces replacement.
        let without = vec![mode.el("a", &[]), mode.el("b", &[])];
        let (_, replace) = run(&s, &prior, &mode.config(without, None));
        assert!(replace.is_empty(), "{mode:?}: {replace:?}");
    }
}

/// Elements with a name and one more string attribute `x`, in every mode.
fn x_elements(mode: Mode, xs: &[&str]) -> Vec<Value> {
    ["a", "b"][..mode.count()]
        .iter()
        .zip(xs)
        .map(|(n, x)| {
            Value::Object(ObjectMap::from([
                ("name".to_string(), Value::string(*n)),
                ("x".to_string(), Value::string(*x)),
                ("status".to_string(), Value::Null),
            ]))
        })
        .collect()
}

/// Replacement when the new value does not extend the old one (append-only); a value the
/// prior lacks (an added element, and in a set any changed one) only when it starts with x.
fn not_appended(prior: &Value, _planned: &Value, config: &Value) -> bool {
    match (prior.as_str(), config.as_str()) {
        (Some(p), Some(c)) => !c.starts_with(p),
        (None, Some(c)) => c.starts_with('x'),
        _ => false,
    }
}

#[test]
fn requires_replace_if_is_asked_at_any_depth_and_names_the_addressable_path() {
    use crate::tf::schema::ReplaceIf;
    for mode in MODES {
        let s = mode.schema_with(vec![
            A::string("name").required().description("n"),
            A::string("x")
                .optional()
                .requires_replace_if(ReplaceIf {
                    name: "not_appended",
                    check: not_appended,
                })
                .description("x"),
            A::string("status").computed().description("s"),
        ]);
        let cfg = |xs: &[&str]| mode.config(x_elements(mode, xs), None);
        let prior = applied(&run(&s, &Value::Null, &cfg(&["ab", "cd"])).0);
        let (_, replace) = run(&s, &prior, &cfg(&["abc", "cd"]));
        assert!(replace.is_empty(), "{mode:?}: appended, no replacement");
        let (_, replace) = run(&s, &prior, &cfg(&["ab", "cd"]));
        assert!(replace.is_empty(), "{mode:?}: unchanged, never asked");
        let (_, replace) = run(&s, &prior, &cfg(&["qq", "cd"]));
        assert_eq!(
            replace.is_empty(),
            mode.nesting() == Nesting::Set,
            "{mode:?}: the check sees the prior value (none for a changed set element)"
        );
        let (_, replace) = run(&s, &prior, &cfg(&["xy", "cd"]));
        let expected = match mode.nesting() {
            Nesting::Single | Nesting::Group => "items.x",
            Nesting::List => "items[0].x",
            Nesting::Map => "items[\"a\"].x",
            Nesting::Set => "items",
        };
        assert_eq!(
            replace.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec![expected],
            "{mode:?}"
        );
        let (_, replace) = run(&s, &prior, &mode.config(Vec::new(), None));
        assert!(
            replace.is_empty() || mode.nesting() != Nesting::Set,
            "{mode:?}: a removed set element is the set's change, not an element's"
        );
    }
}

/// Case-insensitive equality, for the tests.
fn same_letters(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn letters_schema(mode: Mode) -> Schema {
    mode.schema_with(vec![
        A::string("name").required().description("n"),
        A::string("x")
            .optional()
            .equivalence(crate::tf::schema::Equivalence {
                name: "same_letters",
                eq: same_letters,
            })
            .description("x"),
        A::string("status").computed().description("s"),
    ])
}

#[test]
fn equivalence_at_any_depth_keeps_the_prior_form_when_planning() {
    for mode in MODES {
        let s = letters_schema(mode);
        let cfg = |xs: &[&str]| mode.config(x_elements(mode, xs), None);
        let prior = applied(&run(&s, &Value::Null, &cfg(&["Ab", "Cd"])).0);
        let (p, replace) = run(&s, &prior, &cfg(&["aB", "cD"]));
        assert_eq!(p, prior, "{mode:?}: a change of form only is no diff");
        assert!(replace.is_empty());
        let (p, _) = run(&s, &prior, &cfg(&["xy", "cD"]));
        assert_ne!(p, prior, "{mode:?}");
        let xs: Vec<Value> = items(&p).iter().map(|e| e.attr("x").clone()).collect();
        assert!(xs.contains(&Value::string("xy")), "{mode:?}: {xs:?}");
        assert!(
            items(&p).iter().all(|e| e.attr("status").is_unknown()),
            "{mode:?}: a real change plans computed values unknown"
        );
        if mode.count() > 1 {
            assert!(
                xs.contains(&Value::string("Cd")),
                "{mode:?}: prior form kept"
            );
        }
    }
}

#[test]
fn equivalence_at_any_depth_keeps_the_prior_form_when_reading() {
    for mode in MODES {
        let s = letters_schema(mode);
        let cfg = |xs: &[&str]| mode.config(x_elements(mode, xs), None);
        let prior = applied(&run(&s, &Value::Null, &cfg(&["Ab", "Cd"])).0);
        let refreshed = |xs: &[&str]| {
            let mut r = prior.clone();
            let mut els = items(&prior);
            for (e, x) in els.iter_mut().zip(xs) {
                e.set_attr("x", Value::string(*x));
            }
            // Reversed storage order: sets have none.
            if mode.nesting() == Nesting::Set {
                els.reverse();
            }
            r.set_attr("items", mode.wrap(els));
            r
        };
        let mut read = refreshed(&["AB", "cd"]);
        normalize_read(&s, &prior, &mut read);
        assert_eq!(
            read, prior,
            "{mode:?}: the same by meaning reads as the prior"
        );
        let mut read = refreshed(&["zz", "cd"]);
        normalize_read(&s, &prior, &mut read);
        let xs: Vec<Value> = items(&read).iter().map(|e| e.attr("x").clone()).collect();
        assert!(xs.contains(&Value::string("zz")), "{mode:?}: drift is kept");
        if mode.count() > 1 {
            assert!(xs.contains(&Value::string("Cd")), "{mode:?}: {xs:?}");
        }
    }
}

#[test]
fn equivalence_two_levels_down_inside_list_and_set_elements() {
    let leaf = vec![
        A::string("x")
            .optional()
            .equivalence(crate::tf::schema::Equivalence {
                name: "same_letters",
                eq: same_letters,
            })
            .description("x"),
        A::string("status").computed().description("s"),
    ];
    let s = Schema::new(
        0,
        "t",
        vec![
            A::string("id").computed().description("id"),
            A::nested(
                "outer",
                Nesting::List,
                vec![A::nested("inner", Nesting::Set, leaf)
                    .optional()
                    .description("i")],
            )
            .optional()
            .description("o"),
        ],
    );
    assert_eq!(s.validate(true), Vec::<String>::new());
    let leaf_v = |x: &str| {
        Value::Object(ObjectMap::from([
            ("x".to_string(), Value::string(x)),
            ("status".to_string(), Value::Null),
        ]))
    };
    let cfg = |xs: &[&str]| {
        Value::Object(ObjectMap::from([
            ("id".to_string(), Value::Null),
            (
                "outer".to_string(),
                Value::List(vec![Value::Object(ObjectMap::from([(
                    "inner".to_string(),
                    Value::Set(xs.iter().map(|x| leaf_v(x)).collect()),
                )]))]),
            ),
        ]))
    };
    let prior = applied(&run(&s, &Value::Null, &cfg(&["Ab", "Cd"])).0);
    let (p, _) = run(&s, &prior, &cfg(&["cd", "AB"]));
    assert_eq!(p, prior, "same by meaning two levels down");
    let mut read = prior.clone();
    let mut inner = prior.attr("outer").as_elements().unwrap()[0].clone();
    inner.set_attr(
        "inner",
        Value::Set(
            elements(inner.attr("inner"))
                .into_iter()
                .map(|mut e| {
                    let up = e.attr_str("x").unwrap().to_uppercase();
                    e.set_attr("x", Value::string(up));
                    e
                })
                .collect(),
        ),
    );
    read.set_attr("outer", Value::List(vec![inner]));
    assert_ne!(read, prior);
    normalize_read(&s, &prior, &mut read);
    assert_eq!(read, prior);
}

// Cases mutation testing found untested (issue 15; bench/results/mutants.json names the mutant
// each one kills). Values are written as JSON (`tc::v`) so they do not depend on how objects
// are stored.
mod mutants {
    use super::super::terraform_cases as tc;
    use super::*;
    use serde_json::json;

    #[test]
    fn computed_only_and_write_only_attributes_never_make_a_change() {
        let s = tc::schema(
            vec![
                tc::s("name"),
                A::string("status").computed(),
                A::string("secret_wo").optional().write_only(),
            ],
            vec![],
        );
        let prior = tc::v(json!({"name": "a", "status": "up", "secret_wo": null}));
        let planned = tc::v(json!({"name": "a", "status": "?", "secret_wo": "s"}));
        assert!(!is_changing(&s, &prior, &planned));
        let renamed = tc::v(json!({"name": "b", "status": "up", "secret_wo": null}));
        assert!(is_changing(&s, &prior, &renamed));
    }

    #[test]
    fn nested_objects_and_maps_compare_without_their_computed_parts() {
        let inner = || vec![tc::s("x"), A::string("c").computed()];
        for n in [Nesting::Single, Nesting::Map] {
            let s = tc::schema(vec![tc::nested("o", n, inner())], vec![]);
            let wrap = |o: serde_json::Value| match n {
                Nesting::Map => tc::v(json!({"o": {"$map": {"k": o}}})),
                _ => tc::v(json!({ "o": o })),
            };
            let prior = wrap(json!({"x": "a", "c": "v"}));
            let planned = wrap(json!({"x": "a", "c": "?"}));
            assert!(!is_changing(&s, &prior, &planned), "{n:?}");
            assert!(
                is_changing(&s, &prior, &wrap(json!({"x": "b", "c": "v"}))),
                "{n:?}"
            );
        }
        // Map elements pair by key: the same values under other keys are a change.
        let s = tc::schema(vec![tc::nested("o", Nesting::Map, inner())], vec![]);
        let prior = tc::v(json!({"o": {"$map": {"k": {"x": "a", "c": "v"}}}}));
        let moved = tc::v(json!({"o": {"$map": {"j": {"x": "a", "c": "v"}}}}));
        assert!(is_changing(&s, &prior, &moved));
    }

    /// A nested attribute `o` of nesting `n` holding `x` and a write-only `w`.
    fn write_only_in_nested(n: Nesting) -> Schema {
        tc::schema(
            vec![tc::nested(
                "o",
                n,
                vec![tc::s("x"), A::string("w").optional().write_only()],
            )],
            vec![],
        )
    }

    /// `{"o": o}` in the shape nesting `n` gives it (one element or key).
    fn wrap_nested(n: Nesting, o: serde_json::Value) -> Value {
        match n {
            Nesting::Map => tc::v(json!({"o": {"$map": {"k": o}}})),
            Nesting::Set => tc::v(json!({"o": {"$set": [o]}})),
            Nesting::List => tc::v(json!({ "o": [o] })),
            _ => tc::v(json!({ "o": o })),
        }
    }

    #[test]
    fn null_write_only_reaches_into_single_and_map_nested_objects() {
        for n in [Nesting::Single, Nesting::Map] {
            let s = write_only_in_nested(n);
            let wrap = |o: serde_json::Value| wrap_nested(n, o);
            let mut v = wrap(json!({"x": "a", "w": "secret"}));
            null_write_only(&s, &mut v);
            assert_eq!(v, wrap(json!({"x": "a", "w": null})), "{n:?}");
        }
    }

    /// Whether `actual` conforms to an unknown with refinements `r` (AssertObjectCompatible's
    /// rule for planning placeholders).
    fn conforms(r: crate::tf::Refinements, actual: serde_json::Value) -> bool {
        let mut out = Vec::new();
        super::super::compatible::compatible_value(
            &Value::Unknown(r),
            &tc::v(actual),
            &AttributePath::root(),
            &mut out,
        );
        out.is_empty()
    }

    #[test]
    fn refined_unknowns_admit_exactly_the_values_in_their_range() {
        use crate::tf::{Number, Refinements as R};
        let lower = |n: i64, inclusive| R {
            number_lower: Some((Number::from(n), inclusive)),
            ..R::default()
        };
        let upper = |n: i64, inclusive| R {
            number_upper: Some((Number::from(n), inclusive)),
            ..R::default()
        };
        for (r, n, want) in [
            (lower(5, true), 4, false),
            (lower(5, true), 5, true),
            (lower(5, true), 6, true),
            (lower(5, false), 5, false),
            (lower(5, false), 6, true),
            (upper(10, true), 9, true),
            (upper(10, true), 10, true),
            (upper(10, true), 11, false),
            (upper(10, false), 10, false),
            (upper(10, false), 9, true),
        ] {
            assert_eq!(conforms(r.clone(), json!(n)), want, "{n} in {r:?}");
        }
        let len = R {
            length_lower: Some(2),
            length_upper: Some(3),
            ..R::default()
        };
        for (items, want) in [(1, false), (2, true), (3, true), (4, false)] {
            let list = json!(vec!["x"; items]);
            assert_eq!(conforms(len.clone(), list), want, "{items} items");
            let map: serde_json::Map<String, serde_json::Value> =
                (0..items).map(|i| (format!("k{i}"), json!("x"))).collect();
            let map = json!({ "$map": map });
            assert_eq!(conforms(len.clone(), map), want, "{items} keys");
        }
        let prefix = R {
            string_prefix: Some("p-".into()),
            ..R::default()
        };
        assert!(conforms(prefix.clone(), json!("p-x")));
        assert!(!conforms(prefix, json!("q-x")));
        let not_null = R {
            nullable: Some(false),
            ..R::default()
        };
        assert!(!conforms(not_null.clone(), json!(null)));
        assert!(conforms(not_null, json!("?")));
        assert!(conforms(R::default(), json!(null)));
    }

    #[test]
    fn an_optional_computed_nested_attribute_is_planned_as_a_whole_or_element_by_element() {
        let o = || {
            A::nested(
                "o",
                Nesting::Single,
                vec![tc::s("x"), A::string("c").computed()],
            )
            .optional_computed()
        };
        // Configured: its computed parts are planned like any element's (unknown on create).
        let s = tc::schema(vec![tc::s("name"), o()], vec![]);
        let cfg = tc::v(json!({"name": "a", "o": {"x": "1", "c": null}}));
        let planned = plan(
            &s,
            &Value::Null,
            &proposed_new(&s, &Value::Null, &cfg),
            &cfg,
        );
        assert_eq!(
            planned,
            tc::v(json!({"name": "a", "o": {"x": "1", "c": "?"}}))
        );
        // Unconfigured and kept from the prior state: kept whole, its computed parts too,
        // while something else changes.
        let s = tc::schema(vec![tc::s("name"), o().keep_prior()], vec![]);
        let prior = tc::v(json!({"name": "a", "o": {"x": "1", "c": "v"}}));
        let cfg = tc::v(json!({"name": "b", "o": null}));
        let planned = plan(&s, &prior, &proposed_new(&s, &prior, &cfg), &cfg);
        assert_eq!(
            planned,
            tc::v(json!({"name": "b", "o": {"x": "1", "c": "v"}}))
        );
    }

    #[test]
    fn dynamic_values_of_another_type_are_not_compatible() {
        use crate::tf::Type;
        let dynamic = |t: Type| Value::Dynamic(Box::new(t), Box::new(Value::Null));
        let mut out = Vec::new();
        super::super::compatible::compatible_value(
            &dynamic(Type::String),
            &dynamic(Type::Number),
            &AttributePath::root(),
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        out.clear();
        // Of the same type, the values inside are compared: an unknown admits a known value.
        super::super::compatible::compatible_value(
            &Value::Dynamic(Box::new(Type::String), Box::new(Value::unknown())),
            &Value::Dynamic(Box::new(Type::String), Box::new(Value::string("x"))),
            &AttributePath::root(),
            &mut out,
        );
        assert_eq!(out, vec![]);
    }

    #[test]
    fn settle_pairs_set_elements_with_the_result_element_that_agrees() {
        let planned = tc::v(json!({"s": {"$set": [{"n": "a", "id": "?"}, {"n": "b", "id": "?"}]}}));
        let actual = tc::v(json!({"s": {"$set": [{"n": "b", "id": "2"}, {"n": "a", "id": "1"}]}}));
        assert_eq!(
            settle(&planned, &actual),
            tc::v(json!({"s": {"$set": [{"n": "a", "id": "1"}, {"n": "b", "id": "2"}]}}))
        );
    }

    #[test]
    fn write_only_value_is_found_inside_single_and_map_nested_objects() {
        for n in [Nesting::Single, Nesting::Map, Nesting::Set, Nesting::List] {
            let s = write_only_in_nested(n);
            let wrap = |o: serde_json::Value| wrap_nested(n, o);
            let want = match n {
                Nesting::Map => "o[\"k\"].w",
                // A path cannot step into a set: its element's attribute hangs off the set.
                Nesting::Set => "o.w",
                Nesting::List => "o[0].w",
                _ => "o.w",
            };
            let found = write_only_value(&s, &wrap(json!({"x": "a", "w": "secret"})));
            assert_eq!(found.map(|p| p.to_string()).as_deref(), Some(want), "{n:?}");
            assert_eq!(
                write_only_value(&s, &wrap(json!({"x": "a", "w": null}))),
                None
            );
        }
    }

    #[test]
    fn a_read_never_takes_a_prior_form_that_holds_an_unknown() {
        fn anything(_: &Value, _: &Value) -> bool {
            true
        }
        let s = tc::schema(
            vec![A::typed(
                "l",
                crate::tf::Type::List(Box::new(crate::tf::Type::String)),
            )
            .optional()
            .equivalence(crate::tf::schema::Equivalence {
                name: "anything",
                eq: anything,
            })],
            vec![],
        );
        let prior = tc::v(json!({"l": ["a", "?"]}));
        let mut read = tc::v(json!({"l": ["a", "b"]}));
        normalize_read(&s, &prior, &mut read);
        assert_eq!(read, tc::v(json!({"l": ["a", "b"]})));
    }

    #[test]
    fn proposed_new_takes_unconfigured_optional_computed_values_from_the_prior_state() {
        let s = tc::schema(
            vec![
                tc::s("name"),
                A::string("oc").optional_computed(),
                A::string("c").computed(),
            ],
            vec![],
        );
        let prior = tc::v(json!({"name": "a", "oc": "p", "c": "q"}));
        let unset = tc::v(json!({"name": "b", "oc": null, "c": null}));
        assert_eq!(
            proposed_new(&s, &prior, &unset),
            tc::v(json!({"name": "b", "oc": "p", "c": "q"}))
        );
        let set = tc::v(json!({"name": "b", "oc": "n", "c": null}));
        assert_eq!(
            proposed_new(&s, &prior, &set),
            tc::v(json!({"name": "b", "oc": "n", "c": "q"}))
        );
    }

    #[test]
    fn proposed_new_carries_computed_values_to_the_set_element_they_came_from() {
        let s = tc::schema(
            vec![tc::nested(
                "t",
                Nesting::Set,
                vec![tc::s("n"), A::string("c").computed()],
            )],
            vec![],
        );
        let prior = tc::v(json!({"t": {"$set": [{"n": "a", "c": "1"}, {"n": "b", "c": "2"}]}}));
        let cfg = tc::v(json!({"t": {"$set": [{"n": "b", "c": null}, {"n": "a", "c": null}]}}));
        assert_eq!(
            proposed_new(&s, &prior, &cfg),
            tc::v(json!({"t": {"$set": [{"n": "b", "c": "2"}, {"n": "a", "c": "1"}]}}))
        );
        // Nested attributes and blocks of the elements must be derivable too.
        let inner = || vec![tc::s("x"), A::string("c").computed()];
        let by_attr = tc::schema(
            vec![tc::nested(
                "t",
                Nesting::Set,
                vec![tc::s("n"), tc::nested("o", Nesting::Single, inner())],
            )],
            vec![],
        );
        let by_block = tc::schema(
            vec![],
            vec![NestedBlock::new(
                "t",
                Nesting::Set,
                "",
                Block {
                    attributes: vec![tc::s("n")],
                    blocks: vec![tc::block("o", Nesting::Single, inner())],
                    ..Default::default()
                },
            )],
        );
        let in_mode = |n: Nesting| {
            tc::schema(
                vec![tc::nested(
                    "t",
                    Nesting::Set,
                    vec![tc::s("n"), tc::nested("o", n, inner())],
                )],
                vec![],
            )
        };
        for (s, n) in [
            (by_attr, Nesting::Single),
            (by_block, Nesting::Single),
            (in_mode(Nesting::List), Nesting::List),
            (in_mode(Nesting::Map), Nesting::Map),
        ] {
            let o = |x: &str, c: Option<&str>| {
                let o = json!({"x": x, "c": c});
                match n {
                    Nesting::List => json!([o]),
                    Nesting::Map => json!({ "$map": {"k": o} }),
                    _ => o,
                }
            };
            let set = |a: serde_json::Value, b: serde_json::Value| {
                tc::v(json!({"t": {"$set": [{"n": "a", "o": a}, {"n": "a", "o": b}]}}))
            };
            let prior = set(o("1", Some("p")), o("2", Some("q")));
            let cfg = set(o("2", None), o("1", None));
            assert_eq!(
                proposed_new(&s, &prior, &cfg),
                set(o("2", Some("q")), o("1", Some("p"))),
                "{n:?}"
            );
        }
        // An unknown configuration element could have produced no prior element: the prior
        // element stays free for the configuration element that could.
        let prior = tc::v(json!({"t": {"$set": [{"n": null, "c": "1"}]}}));
        let cfg = tc::v(json!({"t": {"$set": ["?", {"n": null, "c": null}]}}));
        assert_eq!(
            proposed_new(&s, &prior, &cfg),
            tc::v(json!({"t": {"$set": ["?", {"n": null, "c": "1"}]}}))
        );
    }

    #[test]
    fn a_set_element_whose_optional_computed_value_came_from_the_prior_keeps_its_own_configuration()
    {
        let s = tc::schema(
            vec![tc::nested(
                "t",
                Nesting::Set,
                vec![
                    A::string("n").required(),
                    A::string("oc").optional_computed(),
                    A::string("mode").optional().default(Value::string("fast")),
                ],
            )],
            vec![],
        );
        let prior = tc::v(json!({"t": {"$set": [
            {"n": "a", "oc": "x", "mode": "fast"},
            {"n": "b", "oc": "y", "mode": "slow"}
        ]}}));
        let cfg = tc::v(json!({"t": {"$set": [
            {"n": "a", "oc": null, "mode": null},
            {"n": "b", "oc": null, "mode": "slow"}
        ]}}));
        // Terraform's order, not the configuration's: b first.
        let proposed = tc::v(json!({"t": {"$set": [
            {"n": "b", "oc": "y", "mode": "slow"},
            {"n": "a", "oc": "x", "mode": null}
        ]}}));
        let planned = plan(&s, &prior, &proposed, &cfg);
        assert_eq!(
            planned,
            tc::v(json!({"t": {"$set": [
                {"n": "b", "oc": "y", "mode": "slow"},
                {"n": "a", "oc": "x", "mode": "fast"}
            ]}}))
        );
    }

    /// The configuration element `match_set` pairs with each planned set element.
    fn config_pairs(
        attrs: &[A],
        planned: serde_json::Value,
        config: serde_json::Value,
    ) -> Vec<Option<usize>> {
        let (planned, config) = (tc::v(planned), tc::v(config));
        let (Some(p), Some(c)) = (planned.as_elements(), config.as_elements()) else {
            panic!("lists expected");
        };
        super::super::matching::match_set(Obj::attrs(attrs), p, c, &[])
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    /// The wildcard pass: a planned element whose optional+computed values came from the prior
    /// state pairs with the configuration element it fits, not the next one in order.
    #[test]
    fn set_elements_pair_with_the_configuration_they_fit() {
        let oc = || A::string("oc").optional_computed();
        let flat = [A::string("n").optional(), oc()];
        assert_eq!(
            config_pairs(
                &flat,
                json!([{"n": "b", "oc": "y"}, {"n": "a", "oc": "x"}]),
                json!([{"n": "a", "oc": null}, {"n": "b", "oc": null}]),
            ),
            [Some(1), Some(0)]
        );
        // An unconfigured optional value is null, not a wildcard.
        let opt = [A::string("n").optional(), oc(), A::string("opt").optional()];
        assert_eq!(
            config_pairs(
                &opt,
                json!([{"n": "a", "oc": "x", "opt": "v"}, {"n": "a", "oc": "y", "opt": null}]),
                json!([{"n": "a", "oc": null, "opt": null}, {"n": "a", "oc": null, "opt": "v"}]),
            ),
            [Some(1), Some(0)]
        );
        // Nested values must fit too, in every nesting mode.
        for n in [Nesting::Single, Nesting::List, Nesting::Map, Nesting::Set] {
            let nested = [
                A::string("n").optional(),
                tc::nested("o", n, vec![tc::s("x"), oc()]),
            ];
            let el = |n_: &str, x: &str, oc: Option<&str>| {
                let o = json!({"x": x, "oc": oc});
                let o = match n {
                    Nesting::List => json!([o]),
                    Nesting::Map => json!({ "$map": {"k": o} }),
                    Nesting::Set => json!({ "$set": [o] }),
                    _ => o,
                };
                json!({"n": n_, "o": o})
            };
            assert_eq!(
                config_pairs(
                    &nested,
                    json!([el("a", "2", Some("y")), el("a", "1", Some("x"))]),
                    json!([el("a", "1", None), el("a", "2", None)]),
                ),
                [Some(1), Some(0)],
                "{n:?}"
            );
        }
        // An element unknown as a whole fits no configured object (only the last pass pairs it).
        assert_eq!(
            config_pairs(
                &flat,
                json!(["?", {"n": null, "oc": "x"}]),
                json!([{"n": null, "oc": null}, {"n": "z", "oc": null}]),
            ),
            [Some(1), Some(0)]
        );
    }
}
