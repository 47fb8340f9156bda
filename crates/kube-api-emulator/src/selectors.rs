//! Label selectors (`labelSelector`) and field selectors (`fieldSelector`) as the API server
//! parses them.
//!
//! Label selector grammar: requirements separated by commas (commas inside `( )` belong to a
//! set). A requirement is `key`, `!key`, `key=value`, `key==value`, `key!=value`,
//! `key in (a,b)`, `key notin (a,b)`, `key>N` or `key<N`. `!=` and `notin` also match objects
//! without the key. An empty selector matches everything.

use std::collections::BTreeMap;

/// One label requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Exists(String),
    DoesNotExist(String),
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    GreaterThan(String, i64),
    LessThan(String, i64),
}

impl Requirement {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|x| vs.contains(x)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|x| !vs.contains(x)),
            Requirement::GreaterThan(k, n) => labels
                .get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Requirement::LessThan(k, n) => labels
                .get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        }
    }
}

/// A parsed label selector: all requirements must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

fn describe(t: Option<&Tok>) -> String {
    match t {
        None => "''".into(),
        Some(Tok::Ident(s)) => format!("'{s}'"),
        Some(Tok::Not) => "'!'".into(),
        Some(Tok::Eq) => "'='".into(),
        Some(Tok::DoubleEq) => "'=='".into(),
        Some(Tok::NotEq) => "'!='".into(),
        Some(Tok::Gt) => "'>'".into(),
        Some(Tok::Lt) => "'<'".into(),
        Some(Tok::Open) => "'('".into(),
        Some(Tok::Close) => "')'".into(),
        Some(Tok::Comma) => "','".into(),
    }
}

fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            '>' => {
                out.push(Tok::Gt);
                i += 1
            }
            '<' => {
                out.push(Tok::Lt);
                i += 1
            }
            '!' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::NotEq);
                    i += 2
                } else {
                    out.push(Tok::Not);
                    i += 1
                }
            }
            '=' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::DoubleEq);
                    i += 2
                } else {
                    out.push(Tok::Eq);
                    i += 1
                }
            }
            _ => {
                let start = i;
                while i < chars.len() && !" \t\n\r,()!=<>".contains(chars[i]) {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    out
}

/// Parses a label selector; the error text is the `BadRequest` message.
pub fn parse_label_selector(s: &str) -> Result<LabelSelector, String> {
    let toks = lex(s);
    let mut p = 0usize;
    let mut reqs = Vec::new();
    if toks.is_empty() {
        return Ok(LabelSelector::default());
    }
    loop {
        let req = parse_requirement(&toks, &mut p)?;
        reqs.push(req);
        match toks.get(p) {
            None => break,
            Some(Tok::Comma) => {
                p += 1;
                if p >= toks.len() {
                    return Err(
                        "unable to parse requirement: found '', expected: identifier".into(),
                    );
                }
            }
            other => {
                return Err(format!(
                    "found {}, expected: ',' or 'end of string'",
                    describe(other)
                ))
            }
        }
    }
    Ok(LabelSelector { requirements: reqs })
}

fn ident(toks: &[Tok], p: &mut usize) -> Result<String, String> {
    match toks.get(*p) {
        Some(Tok::Ident(s)) => {
            *p += 1;
            Ok(s.clone())
        }
        other => Err(format!(
            "unable to parse requirement: found {}, expected: identifier",
            describe(other)
        )),
    }
}

fn parse_requirement(toks: &[Tok], p: &mut usize) -> Result<Requirement, String> {
    if toks.get(*p) == Some(&Tok::Not) {
        *p += 1;
        let key = ident(toks, p)?;
        check_key(&key)?;
        return Ok(Requirement::DoesNotExist(key));
    }
    let key = ident(toks, p)?;
    check_key(&key)?;
    match toks.get(*p) {
        None | Some(Tok::Comma) => Ok(Requirement::Exists(key)),
        Some(Tok::Eq) | Some(Tok::DoubleEq) | Some(Tok::NotEq) => {
            let op = toks[*p].clone();
            *p += 1;
            // An empty value (`key=`) is allowed.
            let value = match toks.get(*p) {
                Some(Tok::Ident(v)) => {
                    *p += 1;
                    v.clone()
                }
                None | Some(Tok::Comma) => String::new(),
                other => {
                    return Err(format!(
                        "unable to parse requirement: found {}, expected: identifier",
                        describe(other)
                    ))
                }
            };
            check_value(&value)?;
            Ok(if op == Tok::NotEq {
                Requirement::NotEquals(key, value)
            } else {
                Requirement::Equals(key, value)
            })
        }
        Some(Tok::Gt) | Some(Tok::Lt) => {
            let gt = toks[*p] == Tok::Gt;
            *p += 1;
            let v = ident(toks, p)?;
            let n: i64 = v.parse().map_err(|_| {
                format!("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {v:?}")
            })?;
            Ok(if gt {
                Requirement::GreaterThan(key, n)
            } else {
                Requirement::LessThan(key, n)
            })
        }
        Some(Tok::Ident(op)) if op == "in" || op == "notin" => {
            let notin = op == "notin";
            *p += 1;
            if toks.get(*p) != Some(&Tok::Open) {
                return Err(format!(
                    "unable to parse requirement: found {}, expected: '('",
                    describe(toks.get(*p))
                ));
            }
            *p += 1;
            let mut values = Vec::new();
            loop {
                match toks.get(*p) {
                    Some(Tok::Ident(v)) => {
                        check_value(v)?;
                        values.push(v.clone());
                        *p += 1;
                    }
                    Some(Tok::Close) if values.is_empty() => {
                        return Err(
                            "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty".into(),
                        )
                    }
                    other => {
                        return Err(format!(
                            "unable to parse requirement: found {}, expected: identifier",
                            describe(other)
                        ))
                    }
                }
                match toks.get(*p) {
                    Some(Tok::Comma) => *p += 1,
                    Some(Tok::Close) => {
                        *p += 1;
                        break;
                    }
                    other => {
                        return Err(format!(
                            "unable to parse requirement: found {}, expected: ',', ')'",
                            describe(other)
                        ))
                    }
                }
            }
            Ok(if notin {
                Requirement::NotIn(key, values)
            } else {
                Requirement::In(key, values)
            })
        }
        other => Err(format!(
            "unable to parse requirement: found {}, expected: in, notin, =, ==, !=, gt, lt",
            describe(other)
        )),
    }
}

/// Label keys are qualified names: optional DNS-subdomain prefix and `/`, then a name of at
/// most 63 characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn qualified_name_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Some("prefix part must be non-empty".into());
        }
        if crate::validate::dns1123_subdomain_error(p).is_some() {
            return Some("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into());
        }
    }
    if name.is_empty() {
        return Some("name part must be non-empty".into());
    }
    if name.len() > 63 {
        return Some("name part must be no more than 63 characters".into());
    }
    if !label_value_chars_ok(name) {
        return Some("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into());
    }
    None
}

fn label_value_chars_ok(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Label values: empty, or at most 63 characters of alphanumerics, `-`, `_`, `.`, starting and
/// ending alphanumeric.
pub fn label_value_error(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    if v.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    if !label_value_chars_ok(v) {
        return Some("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".into());
    }
    None
}

fn check_key(k: &str) -> Result<(), String> {
    match qualified_name_error(k) {
        None => Ok(()),
        Some(e) => Err(format!(
            "unable to parse requirement: invalid label key {k:?}: {e}"
        )),
    }
}

fn check_value(v: &str) -> Result<(), String> {
    match label_value_error(v) {
        None => Ok(()),
        Some(e) => Err(format!(
            "unable to parse requirement: invalid label value: {v:?}: at key: {e}"
        )),
    }
}

/// One field selector term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    pub negated: bool,
}

/// Parses a field selector (`metadata.name=x,metadata.namespace!=y`); `supported` are the
/// field names this resource type accepts.
pub fn parse_field_selector(s: &str, supported: &[&str]) -> Result<Vec<FieldTerm>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (field, value, negated) = if let Some((f, v)) = part.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = part.split_once("==") {
            (f, v, false)
        } else if let Some((f, v)) = part.split_once('=') {
            (f, v, false)
        } else {
            return Err(format!(
                "invalid selector: '{s}'; can't understand '{part}'"
            ));
        };
        let field = field.trim();
        if !supported.contains(&field) {
            return Err(format!("field label not supported: {field}"));
        }
        out.push(FieldTerm {
            field: field.to_owned(),
            value: value.trim().to_owned(),
            negated,
        });
    }
    Ok(out)
}

/// Whether `get(field)` satisfies every term.
pub fn fields_match(terms: &[FieldTerm], get: impl Fn(&str) -> String) -> bool {
    terms
        .iter()
        .all(|t| (get(&t.field) == t.value) != t.negated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn m(sel: &str, pairs: &[(&str, &str)]) -> bool {
        parse_label_selector(sel)
            .unwrap_or_else(|e| panic!("{sel}: {e}"))
            .matches(&labels(pairs))
    }

    #[test]
    fn equality() {
        assert!(m("app=x", &[("app", "x")]));
        assert!(m("app==x", &[("app", "x")]));
        assert!(!m("app=x", &[("app", "y")]));
        assert!(!m("app=x", &[]));
        assert!(m("app!=x", &[("app", "y")]));
        assert!(m("app!=x", &[]), "!= matches a missing key");
        assert!(!m("app!=x", &[("app", "x")]));
        assert!(m("app=", &[("app", "")]));
    }

    #[test]
    fn sets_and_existence() {
        assert!(m("env in (prod, dev)", &[("env", "dev")]));
        assert!(!m("env in (prod,dev)", &[("env", "qa")]));
        assert!(!m("env in (prod)", &[]));
        assert!(m("env notin (prod)", &[("env", "qa")]));
        assert!(m("env notin (prod)", &[]));
        assert!(!m("env notin (prod,qa)", &[("env", "qa")]));
        assert!(m("env", &[("env", "")]));
        assert!(!m("env", &[]));
        assert!(m("!env", &[]));
        assert!(!m("!env", &[("env", "a")]));
        assert!(m("n>3,n<10", &[("n", "5")]));
        assert!(!m("n>3", &[("n", "x")]));
    }

    #[test]
    fn conjunction_and_whitespace() {
        let sel = " app = web , tier in (a,b),!legacy, example.com/team!=x ";
        assert!(m(sel, &[("app", "web"), ("tier", "b")]));
        assert!(!m(sel, &[("app", "web"), ("tier", "b"), ("legacy", "1")]));
        assert!(!m(
            sel,
            &[("app", "web"), ("tier", "b"), ("example.com/team", "x")]
        ));
        assert!(m("", &[]));
        assert_eq!(
            parse_label_selector("a=b,c in (d,e)")
                .unwrap()
                .requirements
                .len(),
            2
        );
    }

    #[test]
    fn errors() {
        for bad in [
            "app in prod",
            "app in ()",
            "app in (a",
            "=x",
            "app=x,",
            "app=x y",
            "bad key=1",
            "app=-x",
            "app notin (a b)",
            "n>x",
            "/x=1",
        ] {
            assert!(
                parse_label_selector(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn field_selectors() {
        let t = parse_field_selector(
            "metadata.name=a,metadata.namespace!=b",
            &["metadata.name", "metadata.namespace"],
        )
        .unwrap();
        let get = |ns: &'static str| {
            move |f: &str| {
                if f == "metadata.name" {
                    "a".to_string()
                } else {
                    ns.to_string()
                }
            }
        };
        assert!(fields_match(&t, get("c")));
        assert!(!fields_match(&t, get("b")));
        assert_eq!(
            parse_field_selector("spec.x=1", &["metadata.name"]).unwrap_err(),
            "field label not supported: spec.x"
        );
        assert!(parse_field_selector("metadata.name", &["metadata.name"]).is_err());
    }
}
