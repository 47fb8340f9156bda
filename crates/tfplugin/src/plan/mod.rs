//! The plan pipeline, written once for every resource, and Terraform's own plan and apply
//! checks as code. Resources declare intent in their schema (defaults, write-only, computed,
//! `keep_prior`, `requires_replace`, equivalence) and may add a hook; they never hand-roll
//! the invariants Terraform checks (tfplugin6.md §4.5, §4.6).
//!
//! One schema-directed walk covers attributes, nested attributes and nested blocks in every
//! nesting mode. Elements are matched to their configuration and prior state by index
//! (lists), by key (maps) or, for sets, by their configurable values (`matching.rs`: exact
//! first, unknowns equal only unknowns, so an element that involves an unknown never
//! inherits a prior element's values).
//!
//! Order ([`plan`] then the hook then [`finish`]):
//! 1. null guards: a destroy (proposed null) plans null; a null prior means create;
//! 2. defaults for unconfigured attributes that have one; write-only attributes null;
//! 3. whether anything configurable changes (unknown counts as a change: [`Value::known_eq`]);
//! 4. unconfigured computed attributes: unknown on create and for new elements; on update
//!    kept from the prior state when nothing changes or the attribute says `keep_prior`,
//!    unknown otherwise; a configured value equivalent to the prior one keeps the prior form;
//! 5. the resource hook (in `server`);
//! 6. [`finish`]: write-only null again; if the hook turned an unchanged plan into a change,
//!    step 4 again for the values the hook left alone; `requires_replace` paths where prior
//!    and planned differ, and `requires_replace_if` paths where they differ and the
//!    attribute's check says so (a set element's names the set), sorted.
//!
//! [`check`] applies Terraform's AssertPlanValid rules and [`check_compatible`] its
//! AssertObjectCompatible rules (ported rule by rule, tested with Terraform's own cases),
//! naming the offending path; [`settle`] makes an apply result agree with the plan by
//! construction (the server checks the result before settling it).

use crate::tf::schema::{Attribute, Block, Constraint, NestedBlock, Nesting, Schema};
use crate::tf::{AttributePath, Value};

mod check;
mod compatible;
use compatible::agrees;
pub use compatible::{check_compatible, check_refines};
mod matching;
pub use check::check;
#[cfg(test)]
mod terraform_cases;
#[cfg(test)]
mod tests;

/// The object shape the walk recurses through: a block (attributes and nested blocks) or
/// the attributes of a nested attribute (no blocks).
#[derive(Clone, Copy)]
struct Obj<'a> {
    attrs: &'a [Attribute],
    blocks: &'a [NestedBlock],
}

impl<'a> Obj<'a> {
    fn block(b: &'a Block) -> Self {
        Obj {
            attrs: &b.attributes,
            blocks: &b.blocks,
        }
    }
    fn attrs(attrs: &'a [Attribute]) -> Self {
        Obj { attrs, blocks: &[] }
    }
    /// Every nested member: (name, nesting, inner object).
    fn nested(self) -> impl Iterator<Item = (&'a str, Nesting, Obj<'a>)> {
        let attrs = self.attrs.iter().filter_map(|a| {
            a.nested_attributes()
                .map(|(n, inner)| (a.name.as_str(), n, Obj::attrs(inner)))
        });
        let blocks = self
            .blocks
            .iter()
            .map(|b| (b.name.as_str(), b.nesting, Obj::block(&b.block)));
        attrs.chain(blocks)
    }
}

/// Plans a change up to the resource hook (steps 1-4). `prior` is null on create,
/// `proposed` null on destroy.
pub fn plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Value {
    if proposed.is_null() {
        return Value::Null;
    }
    let obj = Obj::block(&schema.block);
    let mut planned = proposed.clone();
    defaults(obj, &mut planned, prior, config);
    let changing = prior.is_null() || is_changing(schema, prior, &planned);
    mark_computed(obj, &mut planned, prior, config, changing, None);
    planned
}

/// Steps 6 after the resource hook: `walked` is what [`plan`] returned, `planned` what the
/// hook made of it. Returns the sorted `requires_replace` paths (none on create).
pub fn finish(
    schema: &Schema,
    prior: &Value,
    config: &Value,
    walked: &Value,
    planned: &mut Value,
) -> Vec<AttributePath> {
    if planned.is_null() {
        return Vec::new();
    }
    null_write_only(schema, planned);
    if !prior.is_null()
        && !is_changing(schema, prior, walked)
        && is_changing(schema, prior, planned)
    {
        mark_computed(
            Obj::block(&schema.block),
            planned,
            prior,
            config,
            true,
            Some(walked),
        );
    }
    if prior.is_null() {
        return Vec::new();
    }
    let mut out = Vec::new();
    replace_paths(
        Obj::block(&schema.block),
        prior,
        planned,
        config,
        &AttributePath::root(),
        &mut out,
    );
    out.sort();
    out.dedup();
    out
}

/// Whether anything configurable differs between `prior` and `planned` (computed-only and
/// write-only attributes ignored; an unknown counts as a difference).
pub fn is_changing(schema: &Schema, prior: &Value, planned: &Value) -> bool {
    configurable_eq(Obj::block(&schema.block), prior, planned) != Some(true)
}

/// [`Value::known_eq`] over the configurable parts of two values of `obj` (computed-only and
/// write-only attributes ignored), without copying them: the plan asks it several times per
/// resource, on every resource of every plan.
fn configurable_eq(obj: Obj<'_>, a: &Value, b: &Value) -> Option<bool> {
    let (Value::Object(ma), Value::Object(mb)) = (a, b) else {
        return a.known_eq(b);
    };
    let null = Value::Null;
    let mut undecided = false;
    let mut fold = |r: Option<bool>| match r {
        Some(false) => false,
        None => {
            undecided = true;
            true
        }
        Some(true) => true,
    };
    for attr in obj.attrs {
        if attr.write_only
            || attr.constraint == Constraint::Computed
            || attr.nested_attributes().is_some()
        {
            continue;
        }
        let r = ma
            .get(&attr.name)
            .unwrap_or(&null)
            .known_eq(mb.get(&attr.name).unwrap_or(&null));
        if !fold(r) {
            return Some(false);
        }
    }
    for (name, nesting, inner) in obj.nested() {
        if obj
            .attrs
            .iter()
            .any(|a| a.name == name && a.constraint == Constraint::Computed)
        {
            continue;
        }
        let (x, y) = (ma.get(name).unwrap_or(&null), mb.get(name).unwrap_or(&null));
        let r = match (nesting, x, y) {
            (Nesting::Single | Nesting::Group, Value::Object(_), Value::Object(_)) => {
                configurable_eq(inner, x, y)
            }
            (Nesting::List, Value::List(xs), Value::List(ys)) => {
                if xs.len() != ys.len() {
                    Some(false)
                } else {
                    xs.iter()
                        .zip(ys)
                        .map(|(p, q)| configurable_eq(inner, p, q))
                        .try_fold(Some(true), |acc, r| match r {
                            Some(false) => Err(()),
                            None => Ok(None),
                            Some(true) => Ok(acc),
                        })
                        .unwrap_or(Some(false))
                }
            }
            (Nesting::Map, Value::Map(xs), Value::Map(ys)) => {
                if xs.len() != ys.len() || xs.keys().ne(ys.keys()) {
                    Some(false)
                } else {
                    xs.values()
                        .zip(ys.values())
                        .map(|(p, q)| configurable_eq(inner, p, q))
                        .try_fold(Some(true), |acc, r| match r {
                            Some(false) => Err(()),
                            None => Ok(None),
                            Some(true) => Ok(acc),
                        })
                        .unwrap_or(Some(false))
                }
            }
            // Set elements have no identity to pair them by: compare their projections.
            (Nesting::Set, Value::Set(_), Value::Set(_)) => {
                let project = |v: &Value| {
                    let mut v = v.clone();
                    for_each_element_mut(nesting, &mut v, |el| *el = projection(inner, el));
                    v
                };
                project(x).known_eq(&project(y))
            }
            _ => x.known_eq(y),
        };
        if !fold(r) {
            return Some(false);
        }
    }
    if undecided {
        None
    } else {
        Some(true)
    }
}

/// `v` with computed-only and write-only attributes nulled, at every depth (for sets, whose
/// elements cannot be paired).
fn projection(obj: Obj<'_>, v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    let mut out = m.clone();
    for a in obj.attrs {
        if a.write_only || a.constraint == Constraint::Computed {
            out.insert(a.name.clone(), Value::Null);
        }
    }
    for (name, nesting, inner) in obj.nested() {
        if let Some(slot) = out.get_mut(name) {
            for_each_element_mut(nesting, slot, |el| *el = projection(inner, el));
        }
    }
    Value::Object(out)
}

/// Calls `f` on every element object of a nested value (the value itself for single and
/// group nesting).
fn for_each_element_mut(nesting: Nesting, v: &mut Value, mut f: impl FnMut(&mut Value)) {
    match (nesting, v) {
        (Nesting::Single | Nesting::Group, v @ Value::Object(_)) => f(v),
        (_, Value::List(items) | Value::Set(items)) => items.iter_mut().for_each(f),
        (_, Value::Map(m)) => m.values_mut().for_each(f),
        _ => {}
    }
}

/// Step 2: defaults, write-only nulls, and the prior form of configured values equivalent
/// to it, everywhere the configuration reaches.
fn defaults(obj: Obj<'_>, planned: &mut Value, prior: &Value, config: &Value) {
    let Some(pm) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attrs {
        let Some(slot) = pm.get_mut(&a.name) else {
            continue;
        };
        let (cfg, pri) = (config.attr(&a.name), prior.attr(&a.name));
        if a.write_only {
            *slot = Value::Null;
        } else if cfg.is_null() {
            if let Some(d) = &a.default {
                *slot = d.clone();
            }
        } else if let Some(eq) = a.equivalence {
            if cfg.is_wholly_known() && !pri.is_null() && pri.is_wholly_known() && (eq.eq)(cfg, pri)
            {
                *slot = pri.clone();
            }
        }
    }
    for (name, nesting, inner) in obj.nested() {
        let (cfg, pri) = (config.attr(name), prior.attr(name));
        if let Some(slot) = pm.get_mut(name) {
            if !cfg.is_unknown() {
                let mut unpaired = Vec::new();
                let mut i = 0;
                for_matched(nesting, inner, slot, pri, cfg, |el, p, c| {
                    defaults(inner, el, p, c);
                    if p.is_null() {
                        unpaired.push((i, c.clone()));
                    }
                    i += 1;
                });
                if nesting == Nesting::Set {
                    equivalent_set_elements(inner, slot, pri, unpaired);
                }
            }
        }
    }
}

/// Set elements have no identity, so an element configured in a form equivalent to a prior
/// element's (see [`defaults`]) is not paired with it: `unpaired` (index in `planned`,
/// configuration element) are tried against the prior elements no planned element equals,
/// and take the prior element's form where every configurable value means the same.
fn equivalent_set_elements(
    inner: Obj<'_>,
    planned: &mut Value,
    prior: &Value,
    unpaired: Vec<(usize, Value)>,
) {
    let (Some(items), Some(pri)) = (planned.as_elements_mut(), prior.as_elements()) else {
        return;
    };
    let proj = |v: &Value| matching::unrefined(&projection(inner, v));
    let mut free: Vec<bool> = pri
        .iter()
        .map(|p| !items.iter().any(|el| proj(el) == proj(p)))
        .collect();
    for (i, c) in unpaired {
        let Some(el) = items.get_mut(i) else { continue };
        let found = pri.iter().enumerate().find_map(|(j, p)| {
            if !free[j] {
                return None;
            }
            let mut probe = el.clone();
            defaults(inner, &mut probe, p, &c);
            (proj(&probe) == proj(p)).then_some((j, probe))
        });
        if let Some((j, probe)) = found {
            free[j] = false;
            *el = probe;
        }
    }
}

/// Step 4: computed attributes without configuration. With `untouched`, only values equal to it there are changed (the re-run after
/// a hook).
fn mark_computed(
    obj: Obj<'_>,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    changing: bool,
    untouched: Option<&Value>,
) {
    let has_prior = prior.as_object().is_some();
    let Some(pm) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attrs {
        let Some(slot) = pm.get_mut(&a.name) else {
            continue;
        };
        let cfg = config.attr(&a.name);
        let pri = prior.attr(&a.name);
        if let Some(w) = untouched {
            if w.attr(&a.name) != slot {
                continue;
            }
        }
        if a.write_only {
            continue;
        }
        if cfg.is_null() && a.default.is_none() && a.constraint.is_computed() {
            *slot = if has_prior && (a.keep_prior || !changing) {
                pri.clone()
            } else {
                Value::unknown()
            };
        }
    }
    for (name, nesting, inner) in obj.nested() {
        let cfg = config.attr(name);
        let pri = prior.attr(name);
        let w = untouched.map(|w| w.attr(name).clone());
        let Some(slot) = pm.get_mut(name) else {
            continue;
        };
        if cfg.is_unknown() {
            continue;
        }
        let nested_attr = obj.attrs.iter().find(|a| a.name == name);
        if cfg.is_null() && nested_attr.is_some_and(|a| a.constraint.is_computed()) {
            // An unconfigured computed nested attribute was handled as a whole above.
            continue;
        }
        match w {
            None => for_matched(nesting, inner, slot, pri, cfg, |el, p, c| {
                mark_computed(inner, el, p, c, changing, None)
            }),
            Some(w) => {
                // Pair each element with the walked element at the same position.
                let walked_elems = elements(&w);
                let mut i = 0;
                for_matched(nesting, inner, slot, pri, cfg, |el, p, c| {
                    let we = walked_elems.get(i).cloned().unwrap_or(Value::Null);
                    i += 1;
                    mark_computed(inner, el, p, c, changing, Some(&we))
                });
            }
        }
    }
}

/// The element objects of a nested value, in storage order.
fn elements(v: &Value) -> Vec<Value> {
    match v {
        Value::Object(_) => vec![v.clone()],
        Value::List(i) | Value::Set(i) => i.clone(),
        Value::Map(m) => m.values().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Calls `f(planned_element, prior_element, config_element)` for every element of a nested
/// value, matched by nesting mode: the object itself, by index, by key, or (sets) by
/// correlation on configurable attributes. Missing counterparts are null.
fn for_matched(
    nesting: Nesting,
    inner: Obj<'_>,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    mut f: impl FnMut(&mut Value, &Value, &Value),
) {
    match nesting {
        Nesting::Single | Nesting::Group => {
            if planned.as_object().is_some() {
                f(planned, prior, config)
            }
        }
        Nesting::List => {
            if let Some(items) = planned.as_elements_mut() {
                let pri = prior.as_elements().unwrap_or(&[]);
                let cfg = config.as_elements().unwrap_or(&[]);
                for (i, el) in items.iter_mut().enumerate() {
                    f(
                        el,
                        pri.get(i).unwrap_or(&Value::Null),
                        cfg.get(i).unwrap_or(&Value::Null),
                    );
                }
            }
        }
        Nesting::Map => {
            if let Some(m) = planned.as_map_mut() {
                for (k, el) in m.iter_mut() {
                    let p = prior
                        .as_map()
                        .and_then(|pm| pm.get(k))
                        .unwrap_or(&Value::Null);
                    let c = config
                        .as_map()
                        .and_then(|cm| cm.get(k))
                        .unwrap_or(&Value::Null);
                    f(el, p, c);
                }
            }
        }
        Nesting::Set => {
            if let Some(items) = planned.as_elements_mut() {
                let pri = prior.as_elements().unwrap_or(&[]);
                let cfg = config.as_elements().unwrap_or(&[]);
                let pairs = matching::match_set(inner, items, cfg, pri);
                for (el, (c, p)) in items.iter_mut().zip(pairs) {
                    f(
                        el,
                        p.map_or(&Value::Null, |i| &pri[i]),
                        c.map_or(&Value::Null, |i| &cfg[i]),
                    );
                }
            }
        }
    }
}

/// The `requires_replace` paths where prior and planned differ, and the
/// `requires_replace_if` paths where they differ and the attribute's check asks for it
/// (given prior, planned and configuration value). Like the plugin framework's
/// `RequiresReplace`, an attribute of an element (or object) the prior state lacks counts
/// as changed from null: an added list element or map key that sets it forces replacement.
/// Set elements cannot be addressed (a Terraform path cannot step into a set), so a
/// replacement inside one names the set.
fn replace_paths(
    obj: Obj<'_>,
    prior: &Value,
    planned: &Value,
    config: &Value,
    base: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in obj.attrs {
        let (p, n) = (prior.attr(&a.name), planned.attr(&a.name));
        if p.known_eq(n) == Some(true) {
            continue;
        }
        let forced = a.requires_replace
            || a.requires_replace_if
                .is_some_and(|r| (r.check)(p, n, config.attr(&a.name)));
        if forced {
            out.push(base.child(&a.name));
        }
    }
    for (name, nesting, inner) in obj.nested() {
        let (p, n, c) = (prior.attr(name), planned.attr(name), config.attr(name));
        let path = base.child(name);
        match (nesting, n) {
            (Nesting::Single | Nesting::Group, Value::Object(_)) => {
                replace_paths(inner, p, n, c, &path, out)
            }
            (Nesting::List, Value::List(b)) => {
                let a = p.as_elements().unwrap_or(&[]);
                let ce = c.as_elements().unwrap_or(&[]);
                for (i, y) in b.iter().enumerate() {
                    let x = a.get(i).unwrap_or(&Value::Null);
                    let z = ce.get(i).unwrap_or(&Value::Null);
                    replace_paths(inner, x, y, z, &path.index(i as i64), out);
                }
            }
            (Nesting::Map, Value::Map(b)) => {
                for (k, y) in b {
                    let x = p.as_map().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                    let z = c.as_map().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                    replace_paths(inner, x, y, z, &path.key(k.clone()), out);
                }
            }
            (Nesting::Set, Value::Set(b)) => {
                let a = p.as_elements().unwrap_or(&[]);
                let ce = c.as_elements().unwrap_or(&[]);
                let pairs = matching::match_set(inner, b, ce, a);
                let mut within = Vec::new();
                for (y, (ci, pi)) in b.iter().zip(pairs) {
                    let x = pi.map_or(&Value::Null, |i| &a[i]);
                    let z = ci.map_or(&Value::Null, |i| &ce[i]);
                    replace_paths(inner, x, y, z, &path, &mut within);
                }
                if !within.is_empty() {
                    out.push(path);
                }
            }
            _ => {}
        }
    }
}

/// Sets every write-only attribute, at any depth, to null.
pub fn null_write_only(schema: &Schema, v: &mut Value) {
    fn walk(obj: Obj<'_>, v: &mut Value) {
        let Some(m) = v.as_object_mut() else { return };
        for a in obj.attrs {
            if a.write_only {
                if let Some(slot) = m.get_mut(&a.name) {
                    *slot = Value::Null;
                }
            }
        }
        for (name, nesting, inner) in obj.nested() {
            if let Some(slot) = m.get_mut(name) {
                for_each_element_mut(nesting, slot, |el| walk(inner, el));
            }
        }
    }
    walk(Obj::block(&schema.block), v)
}

/// The path of the first write-only attribute (at any depth) holding a non-null value.
pub fn write_only_value(schema: &Schema, v: &Value) -> Option<AttributePath> {
    fn walk(obj: Obj<'_>, v: &Value, base: &AttributePath) -> Option<AttributePath> {
        v.as_object()?;
        for a in obj.attrs {
            if a.write_only && !v.attr(&a.name).is_null() {
                return Some(base.child(&a.name));
            }
        }
        for (name, nesting, inner) in obj.nested() {
            let path = base.child(name);
            let found = match (nesting, v.attr(name)) {
                (Nesting::Single | Nesting::Group, el @ Value::Object(_)) => walk(inner, el, &path),
                (Nesting::List, Value::List(items)) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, el)| walk(inner, el, &path.index(i as i64))),
                (Nesting::Set, Value::Set(items) | Value::List(items)) => {
                    items.iter().find_map(|el| walk(inner, el, &path))
                }
                (Nesting::Map, Value::Map(m)) => m
                    .iter()
                    .find_map(|(k, el)| walk(inner, el, &path.key(k.clone()))),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    walk(Obj::block(&schema.block), v, &AttributePath::root())
}

/// Keeps the prior form of values a read returned in another, equivalent form (attributes
/// with an [`Equivalence`](crate::tf::schema::Equivalence), nested ones compared whole, or
/// a [`NullMeans`](crate::tf::schema::NullMeans) when one side is null), at any depth, so
/// reformatting is no drift. List elements pair by index, map elements by key, set elements with the
/// prior element they equal once normalized.
pub fn normalize_read(schema: &Schema, prior: &Value, read: &mut Value) {
    fn walk(obj: Obj<'_>, prior: &Value, read: &mut Value) {
        let Some(m) = read.as_object_mut() else {
            return;
        };
        let mut kept = Vec::new();
        for a in obj.attrs {
            let Some(slot) = m.get_mut(&a.name) else {
                continue;
            };
            let p = prior.attr(&a.name);
            if !p.is_wholly_known() || !slot.is_wholly_known() {
                continue;
            }
            let means_null = |v: &Value| a.null_means.is_some_and(|n| (n.means)(v));
            let same = match (p.is_null(), slot.is_null()) {
                (false, false) => a.equivalence.is_some_and(|eq| (eq.eq)(p, slot)),
                (true, false) => means_null(slot),
                (false, true) => means_null(p),
                (true, true) => false,
            };
            if same {
                *slot = p.clone();
                kept.push(a.name.as_str());
            }
        }
        for (name, nesting, inner) in obj.nested() {
            let p = prior.attr(name).clone();
            if kept.contains(&name) {
                continue;
            }
            if let Some(slot) = m.get_mut(name) {
                match nesting {
                    Nesting::Single | Nesting::Group => walk(inner, &p, slot),
                    Nesting::List => {
                        if let (Some(items), Some(pi)) = (slot.as_elements_mut(), p.as_elements()) {
                            for (el, pe) in items.iter_mut().zip(pi) {
                                walk(inner, pe, el);
                            }
                        }
                    }
                    Nesting::Map => {
                        if let (Some(items), Some(pm)) = (slot.as_map_mut(), p.as_map()) {
                            for (k, el) in items.iter_mut() {
                                if let Some(pe) = pm.get(k) {
                                    walk(inner, pe, el);
                                }
                            }
                        }
                    }
                    Nesting::Set => {
                        // No identity to pair by: a read element that, normalized against
                        // an unused prior element, is that element keeps it.
                        if let (Some(items), Some(pi)) = (slot.as_elements_mut(), p.as_elements()) {
                            let mut used = vec![false; pi.len()];
                            for el in items.iter_mut() {
                                let found = pi.iter().enumerate().find(|(i, pe)| {
                                    if used[*i] {
                                        return false;
                                    }
                                    let mut probe = el.clone();
                                    walk(inner, pe, &mut probe);
                                    probe == **pe
                                });
                                if let Some((i, pe)) = found {
                                    used[i] = true;
                                    *el = pe.clone();
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    walk(Obj::block(&schema.block), prior, read)
}

/// Makes an apply result agree with the plan by construction: every value known in the plan
/// is kept (the user's form), every unknown takes the result's value (or null when the
/// result has none). Lists and maps are settled element by element; set elements with
/// unknowns take the first unused result element that agrees with their known parts.
pub fn settle(planned: &Value, actual: &Value) -> Value {
    if planned.is_wholly_known() {
        return planned.clone();
    }
    match (planned, actual) {
        (Value::Unknown(_), a) => a.clone().unknowns_to_null(),
        (Value::Object(p), _) => Value::Object(
            p.iter()
                .map(|(k, pv)| (k.clone(), settle(pv, actual.attr(k))))
                .collect(),
        ),
        (Value::Map(p), a) => Value::Map(
            p.iter()
                .map(|(k, pv)| {
                    let av = a.as_map().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                    (k.clone(), settle(pv, av))
                })
                .collect(),
        ),
        (Value::List(p), a) => {
            let ae = a.as_elements().unwrap_or(&[]);
            Value::List(
                p.iter()
                    .enumerate()
                    .map(|(i, pv)| settle(pv, ae.get(i).unwrap_or(&Value::Null)))
                    .collect(),
            )
        }
        (Value::Tuple(p), a) => {
            let ae = a.as_elements().unwrap_or(&[]);
            Value::Tuple(
                p.iter()
                    .enumerate()
                    .map(|(i, pv)| settle(pv, ae.get(i).unwrap_or(&Value::Null)))
                    .collect(),
            )
        }
        (Value::Set(p), a) => {
            let ae = a.as_elements().unwrap_or(&[]);
            let mut used = vec![false; ae.len()];
            Value::Set(
                p.iter()
                    .map(|pv| {
                        if pv.is_wholly_known() {
                            return pv.clone();
                        }
                        let found = ae
                            .iter()
                            .enumerate()
                            .find(|(i, av)| !used[*i] && agrees(pv, av))
                            .map(|(i, av)| {
                                used[i] = true;
                                av
                            });
                        settle(pv, found.unwrap_or(&Value::Null))
                    })
                    .collect(),
            )
        }
        (other, _) => other.clone().unknowns_to_null(),
    }
}

/// Terraform's ProposedNew (the "proposed new state" PlanResourceChange receives): the
/// configuration, with unconfigured computed values taken from the prior state, nested
/// elements matched by index, by key or (sets) by their non-computed values. The framework
/// uses it in tests to plan exactly as Terraform would ask.
pub fn proposed_new(schema: &Schema, prior: &Value, config: &Value) -> Value {
    if config.is_null() {
        return Value::Null;
    }
    let prior = if prior.is_null() {
        schema.block.absent_object()
    } else {
        prior.clone()
    };
    proposed_obj(Obj::block(&schema.block), &prior, config)
}

fn proposed_obj(obj: Obj<'_>, prior: &Value, config: &Value) -> Value {
    if config.is_unknown() || config.is_null() {
        return config.clone();
    }
    let Some(cm) = config.as_object() else {
        return config.clone();
    };
    let mut out = cm.clone();
    for a in obj.attrs {
        let (c, p) = (config.attr(&a.name), prior.attr(&a.name));
        let v = if a.constraint == Constraint::Computed
            || (a.constraint.is_computed() && c.is_null())
        {
            p.clone()
        } else if let Some((nesting, inner)) = a.nested_attributes() {
            proposed_nested(nesting, Obj::attrs(inner), p, c)
        } else {
            c.clone()
        };
        out.insert(a.name.clone(), v);
    }
    for b in obj.blocks {
        let (c, p) = (config.attr(&b.name), prior.attr(&b.name));
        out.insert(
            b.name.clone(),
            proposed_nested(b.nesting, Obj::block(&b.block), p, c),
        );
    }
    Value::Object(out)
}

fn proposed_nested(nesting: Nesting, inner: Obj<'_>, prior: &Value, config: &Value) -> Value {
    if config.is_unknown() || config.is_null() {
        return config.clone();
    }
    match nesting {
        Nesting::Single | Nesting::Group => {
            let p = if prior.as_object().is_some() {
                prior.clone()
            } else {
                Value::Null
            };
            if p.is_null() {
                proposed_obj(inner, &Value::Null, config)
            } else {
                proposed_obj(inner, &p, config)
            }
        }
        Nesting::List => {
            let pe = prior.as_elements().unwrap_or(&[]);
            Value::List(
                config
                    .as_elements()
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match pe.get(i) {
                        Some(p) => proposed_obj(inner, p, c),
                        None => c.clone(),
                    })
                    .collect(),
            )
        }
        Nesting::Map => Value::Map(
            config
                .as_map()
                .map(|m| {
                    m.iter()
                        .map(|(k, c)| {
                            let v = match prior.as_map().and_then(|pm| pm.get(k)) {
                                Some(p) => proposed_obj(inner, p, c),
                                None => c.clone(),
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Nesting::Set => {
            // Terraform's proposedNewNestingSet: the first unused prior element the
            // configuration element could have produced.
            let pe = prior.as_elements().unwrap_or(&[]);
            let mut used = vec![false; pe.len()];
            Value::Set(
                config
                    .as_elements()
                    .unwrap_or(&[])
                    .iter()
                    .map(|c| {
                        let found = (0..pe.len()).find(|&i| {
                            !used[i] && matching::valid_prior_from_config(inner, &pe[i], c)
                        });
                        match found {
                            Some(i) => {
                                used[i] = true;
                                proposed_obj(inner, &pe[i], c)
                            }
                            None => c.clone(),
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// One broken rule: where, and what Terraform would say.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub path: AttributePath,
    pub message: String,
}

fn violation(out: &mut Vec<Violation>, path: &AttributePath, message: String) {
    out.push(Violation {
        path: path.clone(),
        message,
    });
}
