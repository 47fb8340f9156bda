//! Terraform's AssertObjectCompatible (`internal/plans/objchange/compatible.go`), rule by
//! rule, in our value types (tfplugin6.md §4.5 "inconsistent final plan", §4.6
//! "inconsistent result after apply"). Set elements correlate in both directions, a set may
//! shrink (unknowns that resolve equal coalesce) but never grow, and an unknown planned value
//! must be honoured with its refinements.

use super::{violation, Obj, Violation};
use crate::tf::schema::{Nesting, Schema};
use crate::tf::{AttributePath, Refinements, Value};

/// Terraform's AssertObjectCompatible rules, plus the apply rule that the result is wholly
/// known: every value known in the plan is identical in the result, unknowns resolve within
/// their refinements, nested counts and keys match and set elements correlate.
pub fn check_compatible(schema: &Schema, planned: &Value, actual: &Value) -> Vec<Violation> {
    let mut out = check_refines(schema, planned, actual);
    if !actual.is_wholly_known() {
        violation(
            &mut out,
            &AttributePath::root(),
            "the result still holds unknown values".into(),
        );
    }
    out
}

/// The rule Terraform applies between the plan made with unknowns and the final plan made
/// during apply ("Provider produced inconsistent final plan"), and between the plan and the
/// apply result: every value known in `earlier` is identical in `later`; unknowns may become
/// anything their refinements allow.
pub fn check_refines(schema: &Schema, earlier: &Value, later: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    compatible_block(
        Obj::block(&schema.block),
        earlier,
        later,
        &AttributePath::root(),
        &mut out,
    );
    out
}

/// `v.name`, unknown when `v` is unknown, null when `v` is null.
fn get(v: &Value, name: &str) -> Value {
    if v.is_unknown() {
        Value::unknown()
    } else {
        v.attr(name).clone()
    }
}

fn compatible_block(
    obj: Obj<'_>,
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    let root = if path.is_root() { "Root object " } else { "" };
    if planned.is_null() && !actual.is_null() {
        violation(out, path, format!("{root}was absent, but now present"));
        return;
    }
    if actual.is_null() && !planned.is_null() {
        violation(out, path, format!("{root}was present, but now absent"));
        return;
    }
    if planned.is_null() {
        return;
    }
    for a in obj.attrs {
        let path = path.child(&a.name);
        let mut errs = Vec::new();
        compatible_value(
            &get(planned, &a.name),
            &get(actual, &a.name),
            &path,
            &mut errs,
        );
        if a.sensitive {
            if !errs.is_empty() {
                violation(
                    out,
                    &path,
                    "inconsistent values for sensitive attribute".into(),
                );
            }
        } else {
            out.extend(errs);
        }
    }
    for b in obj.blocks {
        let path = path.child(&b.name);
        let (p, a) = (get(planned, &b.name), get(actual, &b.name));
        let inner = Obj::block(&b.block);
        match b.nesting {
            Nesting::Single | Nesting::Group => {
                // An unknown placeholder may have expanded into no block at all.
                if p.is_unknown() && a.is_null() {
                    continue;
                }
                compatible_block(inner, &p, &a, &path, out);
            }
            Nesting::List => {
                let (Some(ps), Some(as_)) = (p.as_elements(), a.as_elements()) else {
                    continue;
                };
                if ps.len() != as_.len() {
                    violation(
                        out,
                        &path,
                        format!("block count changed from {} to {}", ps.len(), as_.len()),
                    );
                    continue;
                }
                for (i, (x, y)) in ps.iter().zip(as_).enumerate() {
                    compatible_block(inner, x, y, &path.index(i as i64), out);
                }
            }
            Nesting::Map => {
                let (Some(pm), Some(am)) = (p.as_map(), a.as_map()) else {
                    continue;
                };
                if pm.len() != am.len() {
                    violation(
                        out,
                        &path,
                        format!("block count changed from {} to {}", pm.len(), am.len()),
                    );
                    continue;
                }
                for (k, x) in pm {
                    match am.get(k) {
                        Some(y) => compatible_block(inner, x, y, &path.key(k.clone()), out),
                        None => violation(out, &path, format!("block key {k:?} has vanished")),
                    }
                }
            }
            Nesting::Set => {
                let (Some(ps), Some(as_)) = (p.as_elements(), a.as_elements()) else {
                    continue;
                };
                out.extend(set_values_compatible(ps, as_, &path, |x, y| {
                    let mut errs = Vec::new();
                    compatible_block(inner, x, y, &path, &mut errs);
                    errs.is_empty()
                }));
                if ps.len() < as_.len() {
                    violation(
                        out,
                        &path,
                        format!(
                            "block set length changed from {} to {}",
                            ps.len(),
                            as_.len()
                        ),
                    );
                }
            }
        }
    }
}

/// Whether `actual` is within what the refinements of an unknown promise (cty's
/// `ValueRange.Includes`, false only when decidably outside).
fn includes(r: &Refinements, actual: &Value) -> bool {
    if actual.is_unknown() {
        return true;
    }
    if actual.is_null() {
        return r.nullable != Some(false);
    }
    if let (Some(prefix), Some(s)) = (&r.string_prefix, actual.as_str()) {
        if !s.starts_with(prefix.as_str()) {
            return false;
        }
    }
    if let Some(n) = actual.as_number() {
        if let Some((lo, inclusive)) = &r.number_lower {
            if n < lo || (n == lo && !inclusive) {
                return false;
            }
        }
        if let Some((hi, inclusive)) = &r.number_upper {
            if n > hi || (n == hi && !inclusive) {
                return false;
            }
        }
    }
    let len = match actual {
        Value::List(i) | Value::Set(i) | Value::Tuple(i) => Some(i.len() as u64),
        Value::Map(m) => Some(m.len() as u64),
        _ => None,
    };
    if let Some(len) = len {
        if r.length_lower.is_some_and(|lo| len < lo) || r.length_upper.is_some_and(|hi| len > hi) {
            return false;
        }
    }
    true
}

/// assertValueCompatible.
pub(crate) fn compatible_value(
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if let Value::Unknown(r) = planned {
        if !includes(r, actual) {
            violation(
                out,
                path,
                format!(
                    "final value {actual:?} does not conform to planning placeholder {planned:?}"
                ),
            );
        }
        return;
    }
    if actual.is_null() {
        if !planned.is_null() {
            violation(out, path, format!("was {planned:?}, but now null"));
        }
        return;
    }
    if planned.is_null() {
        violation(out, path, format!("was null, but now {actual:?}"));
        return;
    }
    if actual.is_unknown() {
        violation(out, path, "was known, but now unknown".into());
        return;
    }
    match (planned, actual) {
        (Value::List(p), Value::List(a)) | (Value::Tuple(p), Value::Tuple(a)) => {
            for (i, x) in p.iter().enumerate() {
                match a.get(i) {
                    Some(y) => compatible_value(x, y, &path.index(i as i64), out),
                    None => violation(out, path, format!("element {i} has vanished")),
                }
            }
            for i in p.len()..a.len() {
                violation(out, path, format!("new element {i} has appeared"));
            }
        }
        (Value::Map(p), Value::Map(a)) => {
            for (k, x) in p {
                match a.get(k) {
                    Some(y) => compatible_value(x, y, &path.key(k.clone()), out),
                    None => violation(out, path, format!("element {k:?} has vanished")),
                }
            }
            for k in a.keys().filter(|k| !p.contains_key(*k)) {
                violation(out, path, format!("new element {k:?} has appeared"));
            }
        }
        (Value::Object(p), Value::Object(_)) => {
            for k in p.keys() {
                compatible_value(&get(planned, k), &get(actual, k), &path.child(k), out);
            }
        }
        (Value::Set(p), Value::Set(a)) => {
            out.extend(set_values_compatible(p, a, path, |x, y| {
                let mut errs = Vec::new();
                compatible_value(x, y, path, &mut errs);
                errs.is_empty()
            }));
            if p.len() < a.len() {
                violation(
                    out,
                    path,
                    format!("length changed from {} to {}", p.len(), a.len()),
                );
            }
        }
        (Value::Dynamic(tp, p), Value::Dynamic(ta, a)) if tp == ta => {
            compatible_value(p, a, path, out)
        }
        _ => {
            if planned != actual {
                violation(out, path, format!("was {planned:?}, but now {actual:?}"));
            }
        }
    }
}

/// assertSetValuesCompatible: every planned element correlates with at least one actual
/// element and every actual element with at least one planned element.
fn set_values_compatible(
    planned: &[Value],
    actual: &[Value],
    path: &AttributePath,
    f: impl Fn(&Value, &Value) -> bool,
) -> Vec<Violation> {
    let mut peq = vec![false; planned.len()];
    let mut aeq = vec![false; actual.len()];
    for (i, x) in planned.iter().enumerate() {
        for (j, y) in actual.iter().enumerate() {
            if f(x, y) {
                peq[i] = true;
                aeq[j] = true;
            }
        }
    }
    let mut out = Vec::new();
    for (x, _) in planned.iter().zip(&peq).filter(|(_, eq)| !**eq) {
        violation(
            &mut out,
            path,
            format!("planned set element {x:?} does not correlate with any element in actual"),
        );
    }
    if !out.is_empty() {
        return out;
    }
    for (y, _) in actual.iter().zip(&aeq).filter(|(_, eq)| !**eq) {
        violation(
            &mut out,
            path,
            format!("actual set element {y:?} does not correlate with any element in plan"),
        );
    }
    out
}

/// Whether `actual` could be what the partly unknown `planned` resolved to (for settling
/// set elements).
pub(crate) fn agrees(planned: &Value, actual: &Value) -> bool {
    let mut errs = Vec::new();
    compatible_value(planned, actual, &AttributePath::root(), &mut errs);
    errs.is_empty()
}
