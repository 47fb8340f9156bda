//! The plan pipeline, written once for every resource. Resources declare intent in their
//! schema (defaults, write-only, computed, `keep_prior`, `requires_replace`) and may add a
//! hook; they never hand-roll the invariants Terraform checks (tfplugin6.md §4.5).
//!
//! Order of steps:
//! 1. null guards: a destroy (proposed null) plans null; prior null means create;
//! 2. defaults for unconfigured attributes that have one;
//! 3. write-only attributes planned null (Terraform checks this before anything else);
//! 4. unconfigured computed attributes: unknown on create; on update kept from prior state
//!    when nothing changes or the attribute says `keep_prior`, unknown otherwise;
//! 5. `requires_replace` paths where prior and planned differ (updates only);
//! then the resource hook runs (in `server`), and the paths are sorted.

use crate::tf::schema::{AttrKind, Attribute, Block, Nesting, Schema};
use crate::tf::{AttributePath, Value};

/// What the pipeline produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a change. `prior` is null on create, `proposed` null on destroy.
pub fn plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    // 1. Null guards.
    if proposed.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let creating = prior.is_null();
    let mut planned = proposed.clone();
    // 2 and 3: defaults and write-only, everywhere in the tree.
    apply_defaults_and_write_only(&schema.block.attributes, &mut planned, config);
    // 4. Computed attributes without configuration.
    let changing = creating || !same_configured(&schema.block, prior, &planned);
    mark_computed(
        &schema.block.attributes,
        &mut planned,
        prior,
        config,
        creating,
        changing,
    );
    // 5. Replacement paths.
    let mut requires_replace = Vec::new();
    if !creating {
        replace_paths(
            &schema.block.attributes,
            prior,
            &planned,
            &AttributePath::root(),
            &mut requires_replace,
        );
    }
    requires_replace.sort();
    Plan {
        planned,
        requires_replace,
    }
}

/// Nested attribute values of `v`, as (key, element) pairs, following the nesting mode.
fn nested_elements_mut(nesting: Nesting, v: &mut Value) -> Vec<&mut Value> {
    match (nesting, v) {
        (Nesting::Single | Nesting::Group, v @ Value::Object(_)) => vec![v],
        (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
            items.iter_mut().collect()
        }
        (Nesting::Map, Value::Map(m)) => m.values_mut().collect(),
        _ => Vec::new(),
    }
}

/// The configuration element matching position `i` (lists) or key (maps) of a nested value.
fn config_elements(nesting: Nesting, v: &Value) -> Vec<Value> {
    match (nesting, v) {
        (Nesting::Single | Nesting::Group, Value::Object(_)) => vec![v.clone()],
        (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => items.clone(),
        (Nesting::Map, Value::Map(m)) => m.values().cloned().collect(),
        _ => Vec::new(),
    }
}

fn apply_defaults_and_write_only(attrs: &[Attribute], planned: &mut Value, config: &Value) {
    let Some(obj) = planned.as_object_mut() else {
        return;
    };
    for a in attrs {
        let cfg = config.attr(&a.name);
        let Some(slot) = obj.get_mut(&a.name) else {
            continue;
        };
        if a.write_only {
            *slot = Value::Null;
            continue;
        }
        if cfg.is_null() {
            if let Some(d) = &a.default {
                *slot = d.clone();
                continue;
            }
        }
        if let AttrKind::Nested {
            nesting,
            attributes,
        } = &a.kind
        {
            // Set elements cannot be matched to configuration by position; write-only is
            // forbidden inside sets anyway, and defaults inside sets are not supported.
            if *nesting != Nesting::Set {
                let cfgs = config_elements(*nesting, cfg);
                for (i, el) in nested_elements_mut(*nesting, slot).into_iter().enumerate() {
                    let c = cfgs.get(i).cloned().unwrap_or(Value::Null);
                    apply_defaults_and_write_only(attributes, el, &c);
                }
            }
        }
    }
}

/// True when every configurable attribute has the same value in both objects.
fn same_configured(block: &Block, prior: &Value, planned: &Value) -> bool {
    block
        .attributes
        .iter()
        .filter(|a| a.constraint.is_configurable() && !a.write_only)
        .all(|a| prior.attr(&a.name) == planned.attr(&a.name))
        && block
            .blocks
            .iter()
            .all(|b| prior.attr(&b.name) == planned.attr(&b.name))
}

fn mark_computed(
    attrs: &[Attribute],
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    creating: bool,
    changing: bool,
) {
    let Some(obj) = planned.as_object_mut() else {
        return;
    };
    for a in attrs {
        let cfg = config.attr(&a.name);
        let Some(slot) = obj.get_mut(&a.name) else {
            continue;
        };
        if a.constraint.is_computed() && cfg.is_null() && a.default.is_none() {
            *slot = if creating {
                Value::unknown()
            } else if a.keep_prior || !changing {
                prior.attr(&a.name).clone()
            } else {
                Value::unknown()
            };
            continue;
        }
        if let AttrKind::Nested {
            nesting: Nesting::Single,
            attributes,
        } = &a.kind
        {
            let prior_el = prior.attr(&a.name).clone();
            mark_computed(
                attributes,
                slot,
                &prior_el,
                cfg,
                creating || prior_el.is_null(),
                changing,
            );
        }
    }
}

fn replace_paths(
    attrs: &[Attribute],
    prior: &Value,
    planned: &Value,
    base: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in attrs {
        let (p, n) = (prior.attr(&a.name), planned.attr(&a.name));
        let path = base.child(&a.name);
        if a.requires_replace && (p != n || n.is_unknown()) {
            out.push(path);
            continue;
        }
        if let AttrKind::Nested {
            nesting: Nesting::Single,
            attributes,
        } = &a.kind
        {
            if !p.is_null() && !n.is_null() {
                replace_paths(attributes, p, n, &path, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::schema::Attribute as A;
    use std::collections::BTreeMap;

    fn schema() -> Schema {
        Schema::new(
            0,
            "test",
            vec![
                A::string("id").computed().keep_prior().description("id"),
                A::string("identifier")
                    .required()
                    .requires_replace()
                    .description("x"),
                A::string("name").optional().description("x"),
                A::string("kind")
                    .default(Value::string("git"))
                    .description("x"),
                A::string("password_wo")
                    .optional()
                    .write_only()
                    .description("x"),
                A::string("updated_at").computed().description("x"),
                A::nested(
                    "settings",
                    Nesting::Single,
                    vec![
                        A::string("mode")
                            .default(Value::string("fast"))
                            .description("x"),
                        A::string("token_wo")
                            .optional()
                            .write_only()
                            .description("x"),
                        A::string("status").computed().description("x"),
                    ],
                )
                .optional()
                .description("x"),
            ],
        )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        // Every attribute present, as Terraform sends objects.
        let mut m: BTreeMap<String, Value> = [
            "id",
            "identifier",
            "name",
            "kind",
            "password_wo",
            "updated_at",
            "settings",
        ]
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    fn settings(mode: Value, token: Value, status: Value) -> Value {
        Value::Object(BTreeMap::from([
            ("mode".to_string(), mode),
            ("token_wo".to_string(), token),
            ("status".to_string(), status),
        ]))
    }

    #[test]
    fn destroy_plans_null() {
        let prior = obj(&[("identifier", "a".into())]);
        let p = plan(&schema(), &prior, &Value::Null, &Value::Null);
        assert_eq!(p.planned, Value::Null);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let cfg = obj(&[("identifier", "a".into()), ("password_wo", "s3cret".into())]);
        let p = plan(&schema(), &Value::Null, &cfg, &cfg);
        assert!(p.planned.attr("id").is_unknown());
        assert!(p.planned.attr("updated_at").is_unknown());
        assert_eq!(p.planned.attr("kind"), &Value::string("git"));
        // Write-only is always planned null, even on create.
        assert_eq!(p.planned.attr("password_wo"), &Value::Null);
        // Configured values are planned exactly as configured.
        assert_eq!(p.planned.attr("identifier"), &Value::string("a"));
        assert_eq!(p.planned.attr("name"), &Value::Null);
        assert!(
            p.requires_replace.is_empty(),
            "creates never carry replace paths"
        );
    }

    #[test]
    fn configured_default_attribute_keeps_config() {
        let cfg = obj(&[("identifier", "a".into()), ("kind", "helm".into())]);
        let p = plan(&schema(), &Value::Null, &cfg, &cfg);
        assert_eq!(p.planned.attr("kind"), &Value::string("helm"));
    }

    #[test]
    fn no_change_keeps_all_prior_computed_values() {
        let prior = obj(&[
            ("id", "a".into()),
            ("identifier", "a".into()),
            ("kind", "git".into()),
            ("updated_at", "t1".into()),
        ]);
        let cfg = obj(&[("identifier", "a".into())]);
        // Terraform's proposed new state copies prior values into unconfigured computed attributes.
        let proposed = prior.clone();
        let p = plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(
            p.planned, prior,
            "an unchanged resource must plan exactly its prior state"
        );
    }

    #[test]
    fn update_marks_changing_computed_unknown_but_keeps_keep_prior() {
        let prior = obj(&[
            ("id", "a".into()),
            ("identifier", "a".into()),
            ("kind", "git".into()),
            ("updated_at", "t1".into()),
        ]);
        let cfg = obj(&[("identifier", "a".into()), ("name", "new".into())]);
        let mut proposed = prior.clone();
        proposed.set_attr("name", "new".into());
        let p = plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(p.planned.attr("id"), &Value::string("a"));
        assert!(p.planned.attr("updated_at").is_unknown());
        assert_eq!(p.planned.attr("name"), &Value::string("new"));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn write_only_change_alone_is_not_a_change() {
        let prior = obj(&[
            ("id", "a".into()),
            ("identifier", "a".into()),
            ("kind", "git".into()),
            ("updated_at", "t1".into()),
        ]);
        let cfg = obj(&[
            ("identifier", "a".into()),
            ("password_wo", "rotated".into()),
        ]);
        let mut proposed = prior.clone();
        proposed.set_attr("password_wo", "rotated".into());
        let p = plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(p.planned, prior);
    }

    #[test]
    fn requires_replace_only_when_value_differs() {
        let prior = obj(&[
            ("id", "a".into()),
            ("identifier", "a".into()),
            ("kind", "git".into()),
        ]);
        let cfg = obj(&[("identifier", "b".into())]);
        let mut proposed = prior.clone();
        proposed.set_attr("identifier", "b".into());
        let p = plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("identifier")]);

        let cfg_unknown = obj(&[("identifier", Value::unknown())]);
        let mut proposed_unknown = prior.clone();
        proposed_unknown.set_attr("identifier", Value::unknown());
        let p = plan(&schema(), &prior, &proposed_unknown, &cfg_unknown);
        assert_eq!(
            p.requires_replace,
            vec![AttributePath::attr("identifier")],
            "unknown may differ: replace"
        );
    }

    #[test]
    fn nested_single_gets_defaults_write_only_and_computed() {
        let cfg = obj(&[
            ("identifier", "a".into()),
            ("settings", settings(Value::Null, "tok".into(), Value::Null)),
        ]);
        let p = plan(&schema(), &Value::Null, &cfg, &cfg);
        let s = p.planned.attr("settings");
        assert_eq!(s.attr("mode"), &Value::string("fast"));
        assert_eq!(s.attr("token_wo"), &Value::Null);
        assert!(s.attr("status").is_unknown());
    }

    #[test]
    fn unknown_config_is_planned_unknown() {
        let cfg = obj(&[("identifier", "a".into()), ("name", Value::unknown())]);
        let p = plan(&schema(), &Value::Null, &cfg, &cfg);
        assert!(p.planned.attr("name").is_unknown());
    }
}
