//! Wire encodings shared by the models: protobuf-JSON int64 strings, secret fields, and the
//! `api_model!` macro that gives every field the "optional, sent when set" treatment.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::secret::Secret;

/// Declares an API object: all fields are `Option<T>`, missing keys decode to `None`, and
/// `None` is left out of the request while `Some(false)` / `Some("")` are sent (unlike the Go
/// client, whose `omitempty` drops them: harness-gitops-api.md §2.0, §3.5 item 7).
/// Keys are camelCase unless a field carries its own `#[serde(rename = ...)]`.
/// Unknown response keys are ignored (no `deny_unknown_fields`).
macro_rules! api_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : Option<$ty:ty>
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}
pub(crate) use api_model;

/// A protobuf `int64`, which protobuf-JSON encodes as a decimal string
/// (harness-gitops-api.md §2.0). Decodes from a string or a JSON number; always encodes as a
/// string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Int64(pub i64);

impl fmt::Display for Int64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Int64 {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Int64)
    }
}

impl From<i64> for Int64 {
    fn from(v: i64) -> Self {
        Int64(v)
    }
}

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Go through `serde_json::Value`: with serde_json's `arbitrary_precision` feature a
        // number reaches a hand-written visitor as a private map, which `Value` understands.
        let v = serde_json::Value::deserialize(d)?;
        let text = match &v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(de::Error::custom(format_args!(
                    "expected an int64 as a string or number, found {}",
                    json_kind(other)
                )))
            }
        };
        text.parse()
            .map_err(|_| de::Error::custom(format_args!("expected an int64, found {text:?}")))
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `#[serde(with = "secret")]` for `Option<Secret>` fields: the text goes on the wire as a
/// plain JSON string, while `Debug` of the model prints only a placeholder.
pub mod secret {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(secret) => s.serialize_str(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_accepts_string_and_number_and_sends_string() {
        let a: Int64 = serde_json::from_str("\"42\"").unwrap();
        let b: Int64 = serde_json::from_str("42").unwrap();
        let c: Int64 = serde_json::from_str("-9223372036854775808").unwrap();
        assert_eq!(a, Int64(42));
        assert_eq!(b, Int64(42));
        assert_eq!(c, Int64(i64::MIN));
        assert_eq!(serde_json::to_string(&Int64(42)).unwrap(), "\"42\"");
    }

    #[test]
    fn int64_rejects_garbage() {
        assert!(serde_json::from_str::<Int64>("\"4x\"").is_err());
        assert!(serde_json::from_str::<Int64>("1.5").is_err());
        assert!(serde_json::from_str::<Int64>("true").is_err());
        assert!(serde_json::from_str::<Int64>("\"99999999999999999999\"").is_err());
    }
}
