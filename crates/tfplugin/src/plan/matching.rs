//! Pairing set elements, which have no identity: each planned element with the
//! configuration element it came from and the prior element it updates.
//!
//! Rules (issue 15):
//! * configuration first by the full configurable projection (exact, unknowns equal only
//!   unknowns), then what is left with unconfigured optional+computed values as wildcards,
//!   then (a hook broke the plan) whatever is left, in order;
//! * the prior element by the full configurable projection of the planned element, then by
//!   Terraform's own rule (`validPriorFromConfig`: the prior could have come from the
//!   configuration, only computed values added). An unknown never equals a known value, so a
//!   planned element that involves an unknown is never paired with a prior element: its
//!   computed values are planned unknown instead of carried over.

use super::{projection, Obj};
use crate::tf::schema::{Constraint, Nesting};
use crate::tf::Value;

/// `v` with every refinement dropped (Terraform's `unrefinedValue`), for raw comparisons.
pub(crate) fn unrefined(v: &Value) -> Value {
    match v {
        Value::Unknown(_) => Value::unknown(),
        Value::List(i) => Value::List(i.iter().map(unrefined).collect()),
        Value::Set(i) => Value::Set(i.iter().map(unrefined).collect()),
        Value::Tuple(i) => Value::Tuple(i.iter().map(unrefined).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), unrefined(x))).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), unrefined(x))).collect())
        }
        Value::Dynamic(t, x) => Value::Dynamic(t.clone(), Box::new(unrefined(x))),
        other => other.clone(),
    }
}

/// Terraform's `RawEquals` of unrefined values: structural equality where an unknown equals
/// only an unknown (of any refinement).
pub(crate) fn raw_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Unknown(_), Value::Unknown(_)) => true,
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => false,
        _ if a.is_wholly_known() && b.is_wholly_known() => a == b,
        _ => unrefined(a) == unrefined(b),
    }
}

/// For every element of `planned` (a set's elements), the index of its configuration element
/// in `config` and of its prior element in `prior`, if any.
pub(crate) fn match_set(
    inner: Obj<'_>,
    planned: &[Value],
    config: &[Value],
    prior: &[Value],
) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = vec![(None, None); planned.len()];
    // Configuration.
    let mut used = vec![false; config.len()];
    let proj_p: Vec<Value> = planned
        .iter()
        .map(|e| unrefined(&projection(inner, e)))
        .collect();
    let proj_c: Vec<Value> = config
        .iter()
        .map(|c| unrefined(&projection(inner, c)))
        .collect();
    let passes: [&dyn Fn(usize, usize) -> bool; 3] = [
        &|e, c| proj_p[e] == proj_c[c],
        &|e, c| fits(inner, &config[c], &planned[e]),
        &|_, _| true,
    ];
    for pass in passes {
        for (e, slot) in out.iter_mut().enumerate() {
            if slot.0.is_some() {
                continue;
            }
            if let Some(c) = (0..config.len()).find(|&c| !used[c] && pass(e, c)) {
                used[c] = true;
                slot.0 = Some(c);
            }
        }
    }
    // Prior state.
    let mut used = vec![false; prior.len()];
    let proj_prior: Vec<Value> = prior.iter().map(|p| projection(inner, p)).collect();
    let exact = |e: usize, p: usize| proj_p[e] == proj_prior[p];
    let derived = |e: usize, p: usize| {
        out[e]
            .0
            .is_some_and(|c| valid_prior_from_config(inner, &prior[p], &config[c]))
    };
    let mut found = vec![None; planned.len()];
    for pass in [&exact as &dyn Fn(usize, usize) -> bool, &derived] {
        for (e, slot) in found.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            if let Some(p) = (0..prior.len()).find(|&p| !used[p] && pass(e, p)) {
                used[p] = true;
                *slot = Some(p);
            }
        }
    }
    for (slot, p) in out.iter_mut().zip(found) {
        slot.1 = p;
    }
    out
}

/// Whether planned element `el` can have come from configuration element `c`: every
/// configured value equal (raw), unconfigured optional+computed values free.
fn fits(obj: Obj<'_>, c: &Value, el: &Value) -> bool {
    if c.as_object().is_none() || el.as_object().is_none() {
        return raw_eq(c, el);
    }
    for a in obj.attrs {
        if a.write_only || a.constraint == Constraint::Computed {
            continue;
        }
        let (cv, ev) = (c.attr(&a.name), el.attr(&a.name));
        if cv.is_null() && a.constraint.is_computed() {
            continue;
        }
        let ok = match a.nested_attributes() {
            Some((nesting, inner)) => nested_fits(nesting, Obj::attrs(inner), cv, ev),
            None => raw_eq(cv, ev),
        };
        if !ok {
            return false;
        }
    }
    obj.blocks.iter().all(|b| {
        nested_fits(
            b.nesting,
            Obj::block(&b.block),
            c.attr(&b.name),
            el.attr(&b.name),
        )
    })
}

fn nested_fits(nesting: Nesting, inner: Obj<'_>, c: &Value, el: &Value) -> bool {
    match (nesting, c, el) {
        (Nesting::Single | Nesting::Group, Value::Object(_), Value::Object(_)) => {
            fits(inner, c, el)
        }
        (Nesting::List, Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fits(inner, x, y))
        }
        (Nesting::Map, Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| fits(inner, x, y)))
        }
        (Nesting::Set, Value::Set(a), Value::Set(b)) => {
            let mut used = vec![false; b.len()];
            a.len() == b.len()
                && a.iter().all(|x| {
                    match (0..b.len()).find(|&i| !used[i] && fits(inner, x, &b[i])) {
                        Some(i) => {
                            used[i] = true;
                            true
                        }
                        None => false,
                    }
                })
        }
        _ => raw_eq(c, el),
    }
}

/// Terraform's `validPriorFromConfig`: whether prior element `prior` could have been derived
/// from configuration element `config`, only computed values (null in the configuration)
/// added. Nested sets must be equal as a whole; an unknown configuration value matches no
/// prior value.
pub(crate) fn valid_prior_from_config(obj: Obj<'_>, prior: &Value, config: &Value) -> bool {
    if raw_eq(prior, config) {
        return true;
    }
    if prior.as_object().is_none() || config.as_object().is_none() {
        return false;
    }
    for a in obj.attrs {
        let (pv, cv) = (prior.attr(&a.name), config.attr(&a.name));
        if raw_eq(pv, cv) {
            continue;
        }
        let ok = match a.nested_attributes() {
            Some((nesting, inner)) => valid_nested(nesting, Obj::attrs(inner), pv, cv),
            None => !matches!(cv, Value::Set(_)) && a.constraint.is_computed() && cv.is_null(),
        };
        if !ok {
            return false;
        }
    }
    obj.blocks.iter().all(|b| {
        let (pv, cv) = (prior.attr(&b.name), config.attr(&b.name));
        raw_eq(pv, cv) || valid_nested(b.nesting, Obj::block(&b.block), pv, cv)
    })
}

fn valid_nested(nesting: Nesting, inner: Obj<'_>, prior: &Value, config: &Value) -> bool {
    match (nesting, prior, config) {
        (Nesting::Single | Nesting::Group, Value::Object(_), Value::Object(_)) => {
            valid_prior_from_config(inner, prior, config)
        }
        (Nesting::List, Value::List(a), Value::List(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| valid_prior_from_config(inner, x, y))
        }
        (Nesting::Map, Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter().all(|(k, x)| {
                    b.get(k)
                        .is_some_and(|y| valid_prior_from_config(inner, x, y))
                })
        }
        // Sets cannot be correlated further: they must be equal (checked by the caller).
        _ => false,
    }
}
