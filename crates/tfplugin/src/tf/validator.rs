//! Declarative validators: declared with an attribute in the schema, run by the framework on
//! every ValidateResourceConfig / ValidateDataResourceConfig / ValidateProviderConfig over the
//! whole configuration, nested elements included.
//!
//! Rules every validator follows:
//! * a value that is unknown (or, for the relational ones, any attribute involved that is
//!   unknown) is not judged: Terraform calls validation again once it is known;
//! * null passes the value checks (presence is `required`'s job, or a relational check's);
//! * on a list, set or map of primitives the value checks apply to each element, with the
//!   element's path (index or key); elements of a set are reported at the set's path, the
//!   only path Terraform can show for them.

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::{AttrKind, Attribute, Block, Nesting};
use super::value::Value;

/// A named check the declarative validators cannot express: gets a known, non-null value
/// and its path. Compared by name.
#[derive(Clone, Copy, Debug)]
pub struct CustomCheck {
    pub name: &'static str,
    pub check: fn(&Value, &AttributePath, &mut Diagnostics),
}

impl PartialEq for CustomCheck {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// One check of an attribute's configured value.
#[derive(Clone, Debug, PartialEq)]
pub enum Validator {
    /// A string equal to one of these.
    OneOf(Vec<String>),
    /// A string matching this regular expression (whole string); `hint` says in words what
    /// is expected, e.g. "a DNS label".
    Pattern { regex: String, hint: String },
    /// A duration such as `30s`, `5m`, `1h30m`.
    Duration,
    /// A whole number within the bounds (inclusive).
    IntBetween(i64, i64),
    /// A number within the bounds (inclusive).
    NumberBetween(f64, f64),
    /// A string (characters) or collection (elements) whose length is within the bounds.
    LengthBetween(usize, usize),
    /// When this attribute is set, none of these sibling attributes may be.
    ConflictsWith(Vec<String>),
    /// Exactly one of this attribute and these siblings is set.
    ExactlyOneOf(Vec<String>),
    /// At least one of this attribute and these siblings is set.
    AtLeastOneOf(Vec<String>),
    /// When this attribute is set, these siblings must be too.
    AlsoRequires(Vec<String>),
    /// A custom check.
    Custom(CustomCheck),
}

impl Validator {
    /// `OneOf` from string literals.
    pub fn one_of(values: &[&str]) -> Validator {
        Validator::OneOf(values.iter().map(|s| s.to_string()).collect())
    }
    /// `Pattern` from a regular expression and a hint.
    pub fn pattern(regex: &str, hint: &str) -> Validator {
        Validator::Pattern {
            regex: regex.to_string(),
            hint: hint.to_string(),
        }
    }
    /// `ConflictsWith` from sibling names.
    pub fn conflicts_with(names: &[&str]) -> Validator {
        Validator::ConflictsWith(names.iter().map(|s| s.to_string()).collect())
    }
    /// `ExactlyOneOf` from sibling names.
    pub fn exactly_one_of(names: &[&str]) -> Validator {
        Validator::ExactlyOneOf(names.iter().map(|s| s.to_string()).collect())
    }
    /// `AtLeastOneOf` from sibling names.
    pub fn at_least_one_of(names: &[&str]) -> Validator {
        Validator::AtLeastOneOf(names.iter().map(|s| s.to_string()).collect())
    }
    /// `AlsoRequires` from sibling names.
    pub fn also_requires(names: &[&str]) -> Validator {
        Validator::AlsoRequires(names.iter().map(|s| s.to_string()).collect())
    }

    /// The sibling attribute names a relational validator refers to.
    pub fn siblings(&self) -> &[String] {
        match self {
            Validator::ConflictsWith(n)
            | Validator::ExactlyOneOf(n)
            | Validator::AtLeastOneOf(n)
            | Validator::AlsoRequires(n) => n,
            _ => &[],
        }
    }

    /// Whether this validator judges the value itself (as opposed to its siblings).
    fn is_value_check(&self) -> bool {
        self.siblings().is_empty()
    }

    /// A problem with a schema that declares this validator, if any (e.g. a bad regex).
    pub fn schema_problem(&self) -> Option<String> {
        match self {
            Validator::Pattern { regex, .. } => regex_lite::Regex::new(regex)
                .err()
                .map(|e| format!("invalid pattern {regex:?}: {e}")),
            Validator::OneOf(v) if v.is_empty() => Some("one_of with no values".into()),
            Validator::IntBetween(a, b) if a > b => Some("int_between with min > max".into()),
            Validator::LengthBetween(a, b) if a > b => Some("length_between with min > max".into()),
            _ => None,
        }
    }
}

/// Runs every validator declared in `block` over `config` (an object of that block),
/// reporting at paths below `base`.
pub fn validate_block(
    block: &Block,
    config: &Value,
    base: &AttributePath,
    diags: &mut Diagnostics,
) {
    walk_block(block, config, base, false, diags)
}

/// `frozen`: inside a set element, where every path stays the set's path.
fn walk_block(
    block: &Block,
    config: &Value,
    base: &AttributePath,
    frozen: bool,
    diags: &mut Diagnostics,
) {
    if config.as_object().is_none() {
        return;
    }
    validate_members(&block.attributes, config, base, frozen, diags);
    for nb in &block.blocks {
        let v = config.attr(&nb.name);
        let path = if frozen {
            base.clone()
        } else {
            base.child(&nb.name)
        };
        let frozen = frozen || nb.nesting == Nesting::Set;
        each_element(nb.nesting, v, &path, |el, p| {
            walk_block(&nb.block, el, p, frozen, diags)
        });
    }
}

fn validate_members(
    attrs: &[Attribute],
    obj: &Value,
    base: &AttributePath,
    frozen: bool,
    diags: &mut Diagnostics,
) {
    for a in attrs {
        let v = obj.attr(&a.name);
        let path = if frozen {
            base.clone()
        } else {
            base.child(&a.name)
        };
        for check in &a.validators {
            if check.is_value_check() {
                value_check(check, a, v, &path, frozen, diags);
            } else {
                relational_check(check, a, obj, &path, diags);
            }
        }
        if let AttrKind::Nested {
            nesting,
            attributes,
        } = &a.kind
        {
            let frozen = frozen || *nesting == Nesting::Set;
            each_element(*nesting, v, &path, |el, p| {
                if el.as_object().is_some() {
                    validate_members(attributes, el, p, frozen, diags)
                }
            });
        }
    }
}

/// Calls `f` for each known element object of a nested value, with its path: the value
/// itself for single and group nesting, each element (by index) for lists, each entry (by
/// key) for maps, each element at the set's own path for sets.
fn each_element(
    nesting: Nesting,
    v: &Value,
    path: &AttributePath,
    mut f: impl FnMut(&Value, &AttributePath),
) {
    match (nesting, v) {
        (Nesting::Single | Nesting::Group, Value::Object(_)) => f(v, path),
        (Nesting::List, Value::List(items)) => {
            for (i, el) in items.iter().enumerate() {
                f(el, &path.index(i as i64));
            }
        }
        (Nesting::Set, Value::Set(items) | Value::List(items)) => {
            for el in items {
                f(el, path);
            }
        }
        (Nesting::Map, Value::Map(m)) => {
            for (k, el) in m {
                f(el, &path.key(k.clone()));
            }
        }
        _ => {}
    }
}

fn value_check(
    check: &Validator,
    a: &Attribute,
    v: &Value,
    path: &AttributePath,
    frozen: bool,
    diags: &mut Diagnostics,
) {
    let step = |p: AttributePath| if frozen { path.clone() } else { p };
    match v {
        Value::Null | Value::Unknown(_) => {}
        Value::List(items) if !matches!(check, Validator::LengthBetween(..)) => {
            for (i, el) in items.iter().enumerate() {
                value_check(check, a, el, &step(path.index(i as i64)), frozen, diags);
            }
        }
        Value::Set(items) if !matches!(check, Validator::LengthBetween(..)) => {
            for el in items {
                value_check(check, a, el, path, true, diags);
            }
        }
        Value::Map(m) if !matches!(check, Validator::LengthBetween(..)) => {
            for (k, el) in m {
                value_check(check, a, el, &step(path.key(k.clone())), frozen, diags);
            }
        }
        known => judge(check, a, known, path, diags),
    }
}

fn judge(
    check: &Validator,
    a: &Attribute,
    v: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    let shown = |v: &Value| {
        if a.sensitive {
            "(sensitive value)".to_string()
        } else {
            display(v)
        }
    };
    match check {
        Validator::OneOf(allowed) => {
            if let Some(s) = v.as_str() {
                if !allowed.iter().any(|x| x == s) {
                    diags.error_at(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!(
                            "{} is not one of: {}.",
                            shown(v),
                            allowed
                                .iter()
                                .map(|x| format!("{x:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
        Validator::Pattern { regex, hint } => {
            if let Some(s) = v.as_str() {
                let whole = format!("^(?:{regex})$");
                match regex_lite::Regex::new(&whole) {
                    Ok(re) if re.is_match(s) => {}
                    Ok(_) => diags.error_at(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!("{} is not {hint}.", shown(v)),
                    ),
                    Err(e) => diags.bug(format!("the pattern of `{path}` does not compile: {e}")),
                }
            }
        }
        Validator::Duration => {
            if let Some(s) = v.as_str() {
                if super::duration::parse(s).is_none() {
                    diags.error_at(
                        path.clone(),
                        "Invalid Duration",
                        format!(
                            "{} is not a duration; write it like \"30s\", \"5m\" or \"1h30m\".",
                            shown(v)
                        ),
                    );
                }
            }
        }
        Validator::IntBetween(lo, hi) => {
            if let Some(n) = v.as_number() {
                match n.as_i64() {
                    Some(i) if (*lo..=*hi).contains(&i) => {}
                    _ => diags.error_at(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!("{} must be a whole number from {lo} to {hi}.", shown(v)),
                    ),
                }
            }
        }
        Validator::NumberBetween(lo, hi) => {
            if let Some(n) = v.as_number() {
                let f = n.as_f64();
                if !(f >= *lo && f <= *hi) {
                    diags.error_at(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!("{} must be a number from {lo} to {hi}.", shown(v)),
                    );
                }
            }
        }
        Validator::LengthBetween(lo, hi) => {
            let len = match v {
                Value::String(s) => Some(s.chars().count()),
                Value::List(i) | Value::Set(i) | Value::Tuple(i) => Some(i.len()),
                Value::Map(m) => Some(m.len()),
                _ => None,
            };
            if let Some(len) = len {
                if len < *lo || len > *hi {
                    let what = if matches!(v, Value::String(_)) {
                        "characters"
                    } else {
                        "elements"
                    };
                    diags.error_at(
                        path.clone(),
                        "Invalid Attribute Length",
                        format!("Expected {lo} to {hi} {what}, got {len}."),
                    );
                }
            }
        }
        Validator::Custom(c) => (c.check)(v, path, diags),
        Validator::ConflictsWith(_)
        | Validator::ExactlyOneOf(_)
        | Validator::AtLeastOneOf(_)
        | Validator::AlsoRequires(_) => {}
    }
}

fn relational_check(
    check: &Validator,
    a: &Attribute,
    obj: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    let names: Vec<&str> = check.siblings().iter().map(String::as_str).collect();
    let this = obj.attr(&a.name);
    let involved = std::iter::once(this).chain(names.iter().map(|n| obj.attr(n)));
    if involved.clone().any(Value::is_unknown) {
        return;
    }
    let set = |n: &str| !obj.attr(n).is_null();
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut all: Vec<&str> = vec![a.name.as_str()];
    all.extend(&names);
    match check {
        Validator::ConflictsWith(_) => {
            let clashing: Vec<&str> = names.iter().copied().filter(|n| set(n)).collect();
            if !this.is_null() && !clashing.is_empty() {
                diags.error_at(
                    path.clone(),
                    "Conflicting Attributes",
                    format!(
                        "`{}` cannot be set together with {}.",
                        a.name,
                        list(&clashing)
                    ),
                );
            }
        }
        Validator::ExactlyOneOf(_) => {
            let given: Vec<&str> = all.iter().copied().filter(|n| set(n)).collect();
            if given.len() != 1 {
                let detail = if given.is_empty() {
                    format!("Set exactly one of {}.", list(&all))
                } else {
                    format!(
                        "Set exactly one of {}; {} are set.",
                        list(&all),
                        list(&given)
                    )
                };
                diags.error_at(path.clone(), "Invalid Attribute Combination", detail);
            }
        }
        Validator::AtLeastOneOf(_) if !all.iter().any(|n| set(n)) => {
            diags.error_at(
                path.clone(),
                "Invalid Attribute Combination",
                format!("Set at least one of {}.", list(&all)),
            );
        }
        Validator::AlsoRequires(_) => {
            let missing: Vec<&str> = names.iter().copied().filter(|n| !set(n)).collect();
            if !this.is_null() && !missing.is_empty() {
                diags.error_at(
                    path.clone(),
                    "Missing Required Attribute",
                    format!("`{}` also needs {}.", a.name, list(&missing)),
                );
            }
        }
        _ => {}
    }
}

/// A short rendering of a known value for messages.
fn display(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        _ => "the value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::schema::{Attribute as A, Nesting};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn run(block: &Block, v: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        validate_block(block, v, &AttributePath::root(), &mut d);
        d.0.into_iter()
            .map(|d| (d.path.map(|p| p.to_string()).unwrap_or_default(), d.detail))
            .collect()
    }

    fn block() -> Block {
        Block {
            attributes: vec![
                A::string("kind")
                    .optional()
                    .validate(Validator::one_of(&["git", "helm"]))
                    .description("k"),
                A::string("password")
                    .optional()
                    .sensitive()
                    .validate(Validator::conflicts_with(&["key"]))
                    .description("p"),
                A::string("key").optional().description("k"),
                A::string("server")
                    .optional()
                    .validate(Validator::exactly_one_of(&["name"]))
                    .description("s"),
                A::string("name").optional().description("n"),
                A::typed(
                    "timeouts",
                    crate::tf::Type::Map(Box::new(crate::tf::Type::String)),
                )
                .optional()
                .validate(Validator::Duration)
                .description("t"),
                A::nested(
                    "sources",
                    Nesting::List,
                    vec![A::string("path")
                        .optional()
                        .validate(Validator::pattern("[a-z/]+", "a lowercase path"))
                        .description("p")],
                )
                .optional()
                .description("s"),
                A::nested(
                    "params",
                    Nesting::Set,
                    vec![A::string("name")
                        .optional()
                        .validate(Validator::LengthBetween(1, 3))
                        .description("n")],
                )
                .optional()
                .description("p"),
            ],
            blocks: vec![],
            description: "b".into(),
            deprecated: false,
        }
    }

    fn base(extra: &[(&str, Value)]) -> Value {
        let mut m: crate::tf::ObjectMap<Value> = [
            "kind", "password", "key", "server", "name", "timeouts", "sources", "params",
        ]
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
        m.insert("server", "https://k".into());
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    #[test]
    fn value_checks_report_nested_paths_and_wait_for_unknowns() {
        let b = block();
        assert!(run(&b, &base(&[])).is_empty());
        let errs = run(&b, &base(&[("kind", "oci".into())]));
        assert_eq!(errs[0].0, "kind");
        assert!(errs[0].1.contains("\"oci\" is not one of"));
        assert!(run(&b, &base(&[("kind", Value::unknown())])).is_empty());
        let sources = Value::List(vec![
            obj(&[("path", "ok/x".into())]),
            obj(&[("path", "Bad".into())]),
        ]);
        assert_eq!(
            run(&b, &base(&[("sources", sources)]))[0].0,
            "sources[1].path"
        );
        let timeouts = Value::Map(
            [
                ("create".to_string(), "10m".into()),
                ("delete".to_string(), "soon".into()),
            ]
            .into(),
        );
        assert_eq!(
            run(&b, &base(&[("timeouts", timeouts)]))[0].0,
            "timeouts[\"delete\"]"
        );
        let params = Value::Set(vec![obj(&[("name", "toolong".into())])]);
        assert_eq!(
            run(&b, &base(&[("params", params)]))[0].0,
            "params",
            "set elements report at the set"
        );
    }

    #[test]
    fn relational_checks_and_sensitive_values() {
        let b = block();
        let errs = run(
            &b,
            &base(&[("password", "hunter2".into()), ("key", "k".into())]),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "password");
        assert!(
            !errs[0].1.contains("hunter2"),
            "never echo a sensitive value"
        );
        assert!(run(
            &b,
            &base(&[("password", "x".into()), ("key", Value::unknown())])
        )
        .is_empty());
        assert_eq!(
            run(&b, &base(&[("server", Value::Null)]))[0].0,
            "server",
            "none of server/name"
        );
        assert_eq!(
            run(&b, &base(&[("name", "n".into())]))[0].0,
            "server",
            "both server and name"
        );
        assert!(
            run(&b, &base(&[("name", Value::unknown())])).is_empty(),
            "waits for unknown"
        );
    }
}
