//! Query-string parsing with the per-operation parameter lists of the document.
//!
//! grpc-gateway maps query parameters onto request fields; a name that is not a field is an
//! error here (the document is the contract), repeating a non-repeated parameter is an
//! error, and booleans accept what Go's `strconv.ParseBool` accepts.

use std::collections::BTreeMap;

use super::error::{ApiError, ApiResult};

/// The type of a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `type: string`.
    Str,
    /// `type: boolean`.
    Bool,
    /// `type: array` of strings, repeated key (`explode: true`).
    List,
}

/// Parameters every agent operation takes (scope), plus `routingId`: not in the service's
/// document, but the Harness gateway consumes it and the official Go SDK sends it with
/// every call (it must equal `accountIdentifier`).
pub const COMMON: &[(&str, Param)] = &[
    ("accountIdentifier", Param::Str),
    ("orgIdentifier", Param::Str),
    ("projectIdentifier", Param::Str),
    ("routingId", Param::Str),
];

/// A parsed, validated query string.
#[derive(Debug, Default, Clone)]
pub struct Query {
    values: BTreeMap<String, Vec<String>>,
}

impl Query {
    /// Parses `raw` and checks each name against [`COMMON`] and `allowed`.
    ///
    /// # Errors
    /// 400 (code 3) naming an unknown parameter, a repeated non-list parameter, or a
    /// boolean that does not parse.
    pub fn parse(raw: Option<&str>, allowed: &[(&str, Param)]) -> ApiResult<Query> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            values
                .entry(k.into_owned())
                .or_default()
                .push(v.into_owned());
        }
        for (name, vals) in &values {
            let Some(ty) = COMMON
                .iter()
                .chain(allowed)
                .find(|(n, _)| n == name)
                .map(|(_, t)| *t)
            else {
                let mut known: Vec<&str> = COMMON.iter().chain(allowed).map(|(n, _)| *n).collect();
                known.sort_unstable();
                return Err(ApiError::invalid(format!(
                    "unknown query parameter \"{name}\"; this operation accepts: {}",
                    known.join(", ")
                )));
            };
            if ty != Param::List && vals.len() > 1 {
                return Err(ApiError::invalid(format!(
                    "query parameter \"{name}\" was given {} times; it takes one value",
                    vals.len()
                )));
            }
            if ty == Param::Bool {
                parse_bool(&vals[0]).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "query parameter \"{name}\" must be a boolean (true or false), got \"{}\"",
                        vals[0]
                    ))
                })?;
            }
        }
        Ok(Query { values })
    }

    /// The value of a string parameter, `""` when absent.
    pub fn str(&self, name: &str) -> &str {
        self.opt(name).unwrap_or("")
    }

    /// The value of a string parameter, if given.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// A boolean parameter; absent is `false`. Values were checked by [`Query::parse`].
    pub fn bool(&self, name: &str) -> bool {
        self.opt(name).and_then(parse_bool).unwrap_or(false)
    }

    /// Whether the parameter was given at all.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A list filter: `true` when the parameter is absent or empty, else `matches(value)`.
    pub fn admits(&self, name: &str, matches: impl FnOnce(&str) -> bool) -> bool {
        self.opt(name).is_none_or(|v| v.is_empty() || matches(v))
    }

    /// All values of a repeated parameter.
    pub fn list(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: &[(&str, Param)] = &[
        ("forceDelete", Param::Bool),
        ("repoIdentifiers", Param::List),
    ];

    #[test]
    fn known_parameters_parse() {
        let q = Query::parse(
            Some("accountIdentifier=a&forceDelete=true&repoIdentifiers=x&repoIdentifiers=y"),
            OP,
        )
        .unwrap();
        assert_eq!(q.str("accountIdentifier"), "a");
        assert!(q.bool("forceDelete"));
        assert_eq!(q.list("repoIdentifiers"), ["x", "y"]);
        assert_eq!(q.str("orgIdentifier"), "");
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Query::parse(Some("query.colour=red"), OP).unwrap_err();
        assert!(e.message.contains("query.colour"), "{}", e.message);
        let e = Query::parse(Some("forceDelete=yes"), OP).unwrap_err();
        assert!(e.message.contains("forceDelete"), "{}", e.message);
        let e = Query::parse(Some("orgIdentifier=a&orgIdentifier=b"), OP).unwrap_err();
        assert!(e.message.contains("orgIdentifier"), "{}", e.message);
    }
}
