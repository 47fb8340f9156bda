//! Terraform's AssertPlanValid (`internal/plans/objchange/plan_valid.go`), rule by rule, in
//! our value types (tfplugin6.md §4.5). Messages follow Terraform's wording; values are
//! shown unless the attribute is sensitive.

use super::matching::raw_eq;
use super::{violation, Obj, Violation};
use crate::tf::schema::{Attribute, Constraint, Nesting, Schema};
use crate::tf::{AttributePath, Value};

/// Terraform's AssertPlanValid rules: configured values planned as configured or as the
/// prior value, nothing planned for unconfigured non-computed attributes, nested structures
/// present exactly where configured and of the configured size, no unknown block objects;
/// besides, write-only attributes null (Terraform checks that separately).
pub fn check(schema: &Schema, prior: &Value, config: &Value, planned: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(path) = super::write_only_value(schema, planned) {
        violation(
            &mut out,
            &path,
            "planned value for write-only attribute is not null".into(),
        );
    }
    check_block(
        Obj::block(&schema.block),
        prior,
        config,
        planned,
        &AttributePath::root(),
        &mut out,
    );
    out
}

/// `v.name`, unknown when `v` is unknown, null when `v` is null.
fn get<'v>(v: &'v Value, name: &str) -> &'v Value {
    static UNKNOWN: Value = Value::Unknown(crate::tf::value::Refinements {
        nullable: None,
        string_prefix: None,
        number_lower: None,
        number_upper: None,
        length_lower: None,
        length_upper: None,
    });
    if v.is_unknown() {
        &UNKNOWN
    } else {
        v.attr(name)
    }
}

/// A value for a message (only called for attributes that are not sensitive).
fn show(_a: &Attribute, v: &Value) -> String {
    format!("{v:?}")
}

/// assertPlanValid: a block object (the resource itself, or a single, group, list, map or
/// set block's element).
fn check_block(
    obj: Obj<'_>,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if planned.is_null() && !config.is_null() {
        violation(
            out,
            path,
            "planned for absence but config wants existence".into(),
        );
        return;
    }
    if config.is_null() && !planned.is_null() {
        violation(
            out,
            path,
            "planned for existence but config wants absence".into(),
        );
        return;
    }
    if planned.is_null() {
        return;
    }
    check_attrs(obj.attrs, prior, config, planned, path, out);
    for b in obj.blocks {
        let path = path.child(&b.name);
        let (p, c, n) = (
            get(prior, &b.name),
            get(config, &b.name),
            get(planned, &b.name),
        );
        if n == c {
            continue;
        }
        if c.is_unknown() {
            violation(
                out,
                &path,
                format!("planned value {n:?} for unknown dynamic block"),
            );
            continue;
        }
        if n.is_unknown() {
            violation(out, &path, "attribute representing nested block must not be unknown itself; set nested attribute values to unknown instead".into());
            continue;
        }
        let inner = Obj::block(&b.block);
        let unknown_element = "element representing nested block must not be unknown itself; set nested attribute values to unknown instead";
        match b.nesting {
            Nesting::Single | Nesting::Group => check_block(inner, p, c, n, &path, out),
            Nesting::List => {
                let Some(ns) = n.as_elements() else {
                    violation(out, &path, "attribute representing a list of nested blocks must be empty to indicate no blocks, not null".into());
                    continue;
                };
                let cs = c.as_elements().unwrap_or(&[]);
                if ns.len() != cs.len() {
                    violation(
                        out,
                        &path,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            ns.len(),
                            cs.len()
                        ),
                    );
                    continue;
                }
                let ps = p.as_elements().unwrap_or(&[]);
                for (i, (ne, ce)) in ns.iter().zip(cs).enumerate() {
                    let path = path.index(i as i64);
                    if ne.is_unknown() {
                        violation(out, &path, unknown_element.into());
                        continue;
                    }
                    check_block(inner, ps.get(i).unwrap_or(&Value::Null), ce, ne, &path, out);
                }
            }
            Nesting::Map => {
                let Some(nm) = n.as_map() else {
                    violation(out, &path, "attribute representing a map of nested blocks must be empty to indicate no blocks, not null".into());
                    continue;
                };
                let empty = Default::default();
                let cm = c.as_map().unwrap_or(&empty);
                if nm.len() != cm.len() {
                    violation(
                        out,
                        &path,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            nm.len(),
                            cm.len()
                        ),
                    );
                    continue;
                }
                for (k, ne) in nm {
                    let path = path.key(k.clone());
                    if ne.is_unknown() {
                        violation(out, &path, unknown_element.into());
                        continue;
                    }
                    let Some(ce) = cm.get(k) else {
                        violation(
                            out,
                            &path,
                            format!("block key {k:?} from plan is not present in config"),
                        );
                        continue;
                    };
                    let pe = p.as_map().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                    check_block(inner, pe, ce, ne, &path, out);
                }
                for k in cm.keys().filter(|k| !nm.contains_key(*k)) {
                    violation(
                        out,
                        &path,
                        format!("block key {k:?} from config is not present in plan"),
                    );
                }
            }
            Nesting::Set => {
                let Some(ns) = n.as_elements() else {
                    violation(out, &path, "attribute representing a set of nested blocks must be empty to indicate no blocks, not null".into());
                    continue;
                };
                // Set elements cannot be correlated: Terraform checks only that none is
                // unknown as a whole (a path cannot step into a set; the set's path).
                if ns.iter().any(Value::is_unknown) {
                    violation(out, &path, unknown_element.into());
                }
            }
        }
    }
}

fn check_attrs(
    attrs: &[Attribute],
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    for a in attrs {
        check_value(
            a,
            get(prior, &a.name),
            get(config, &a.name),
            get(planned, &a.name),
            &path.child(&a.name),
            out,
        );
    }
}

/// assertPlannedValueValid.
fn check_value(
    a: &Attribute,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if raw_eq(planned, config) {
        return;
    }
    if raw_eq(planned, prior) && !prior.is_null() && !config.is_null() {
        return;
    }
    if a.write_only {
        if !planned.is_null() {
            violation(
                out,
                path,
                "planned value for write-only attribute is not null".into(),
            );
        }
        return;
    }
    if a.constraint == Constraint::Computed {
        return;
    }
    if config.is_null() && a.constraint.is_computed() {
        return;
    }
    if config.is_null() && !planned.is_null() {
        let msg = if a.sensitive {
            "sensitive planned value for a non-computed attribute".to_string()
        } else {
            format!(
                "planned value {} for a non-computed attribute",
                show(a, planned)
            )
        };
        violation(out, path, msg);
        return;
    }
    if let Some((nesting, inner)) = a.nested_attributes() {
        check_object(nesting, inner, prior, config, planned, path, out);
        return;
    }
    let msg = match (prior.is_null(), a.sensitive) {
        (true, true) => "sensitive planned value does not match config value".to_string(),
        (true, false) => format!(
            "planned value {} does not match config value {}",
            show(a, planned),
            show(a, config)
        ),
        (false, true) => {
            "sensitive planned value does not match config value nor prior value".to_string()
        }
        (false, false) => format!(
            "planned value {} does not match config value {} nor prior value {}",
            show(a, planned),
            show(a, config),
            show(a, prior)
        ),
    };
    violation(out, path, msg);
}

/// A collection's length as Terraform's `Length` sees it: exact, or a range when unknown
/// (a set holding unknowns may shrink once they are known: 1 to its stored length).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Len {
    Exact(usize),
    Range(u64, Option<u64>),
}

fn length(v: &Value) -> Len {
    match v {
        Value::Set(items) if items.len() > 1 && !v.is_wholly_known() => {
            Len::Range(1, Some(items.len() as u64))
        }
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Len::Exact(items.len()),
        Value::Map(m) => Len::Exact(m.len()),
        Value::Unknown(r) => Len::Range(r.length_lower.unwrap_or(0), r.length_upper),
        _ => Len::Exact(0),
    }
}

impl std::fmt::Display for Len {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Len::Exact(n) => write!(f, "{n}"),
            Len::Range(lo, Some(hi)) => write!(f, "unknown, {lo} to {hi}"),
            Len::Range(lo, None) => write!(f, "unknown, at least {lo}"),
        }
    }
}

/// assertPlannedObjectValid: a nested attribute's value.
fn check_object(
    nesting: Nesting,
    inner: &[Attribute],
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if planned.is_null() && !config.is_null() {
        violation(
            out,
            path,
            "planned for absence but config wants existence".into(),
        );
        return;
    }
    if config.is_null() && !planned.is_null() {
        violation(
            out,
            path,
            "planned for existence but config wants absence".into(),
        );
        return;
    }
    if !config.is_null() && planned.is_unknown() {
        violation(out, path, "planned unknown for configured value".into());
        return;
    }
    if planned.is_null() {
        return;
    }
    let (pl, cl) = (length(planned), length(config));
    let disagree = || format!("count in plan ({pl}) disagrees with count in config ({cl})");
    match nesting {
        Nesting::Single | Nesting::Group => check_attrs(inner, prior, config, planned, path, out),
        Nesting::List => {
            // Equal lengths must be known to be equal.
            if !matches!((pl, cl), (Len::Exact(a), Len::Exact(b)) if a == b) {
                violation(out, path, disagree());
                return;
            }
            let (ns, cs) = (
                planned.as_elements().unwrap_or(&[]),
                config.as_elements().unwrap_or(&[]),
            );
            let ps = prior.as_elements().unwrap_or(&[]);
            for (i, (ne, ce)) in ns.iter().zip(cs).enumerate() {
                let pe = ps.get(i).unwrap_or(&Value::Null);
                check_attrs(inner, pe, ce, ne, &path.index(i as i64), out);
            }
        }
        Nesting::Map => {
            if !matches!((pl, cl), (Len::Exact(a), Len::Exact(b)) if a == b) {
                violation(out, path, disagree());
                return;
            }
            let empty = Default::default();
            let (nm, cm) = (
                planned.as_map().unwrap_or(&empty),
                config.as_map().unwrap_or(&empty),
            );
            for (k, ne) in nm {
                let Some(ce) = cm.get(k) else {
                    violation(
                        out,
                        path,
                        format!("map key {k:?} from plan is not present in config"),
                    );
                    continue;
                };
                let pe = prior
                    .as_map()
                    .and_then(|m| m.get(k))
                    .unwrap_or(&Value::Null);
                check_attrs(inner, pe, ce, ne, &path.key(k.clone()), out);
            }
            for k in cm.keys().filter(|k| !nm.contains_key(*k)) {
                violation(
                    out,
                    path,
                    format!("map key {k:?} from config is not present in plan"),
                );
            }
        }
        Nesting::Set => {
            // The planned length's range must be able to include the configured length
            // (undecided when the configured length is not known).
            if let (Len::Exact(c), range) = (cl, pl) {
                let c = c as u64;
                let outside = match range {
                    Len::Exact(n) => n as u64 != c,
                    Len::Range(lo, hi) => c < lo || hi.is_some_and(|hi| c > hi),
                };
                if outside {
                    violation(out, path, disagree());
                }
            }
            // Set elements have no identity to correlate them by: Terraform trusts them.
        }
    }
}
