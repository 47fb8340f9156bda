//! Terraform values: null, unknown (optionally refined) and known values of every cty type,
//! at any depth. Values are interpreted against a [`Type`]; only values at a `dynamic`
//! position carry their concrete type ([`Value::Dynamic`]).

use std::collections::BTreeMap;

use super::number::Number;
use super::object::ObjectMap;
use super::ty::Type;

/// What Terraform may promise about an unknown value (msgpack ext 12). All `None` means a
/// plain unknown (written as ext 0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    /// `Some(false)`: definitely not null.
    pub nullable: Option<bool>,
    /// Known prefix of an unknown string.
    pub string_prefix: Option<String>,
    /// Lower bound of an unknown number, and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of an unknown number, and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// Lower bound (inclusive) of an unknown collection's length.
    pub length_lower: Option<u64>,
    /// Upper bound (inclusive) of an unknown collection's length.
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// True when nothing is refined (a plain unknown).
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A Terraform value.
#[derive(Clone, Debug)]
pub enum Value {
    /// A null of whatever type the position has.
    Null,
    /// Not known until apply.
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Order carries no meaning: equality ignores it.
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Always holds every attribute of its type (null where unset).
    Object(ObjectMap<Value>),
    /// A known, non-null value at a `dynamic` position, with its concrete type.
    Dynamic(Box<Type>, Box<Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Unknown(a), Unknown(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Set(a), Set(b)) => set_eq(a, b),
            (Map(a), Map(b)) => a == b,
            (Object(a), Object(b)) => a == b,
            (Dynamic(ta, va), Dynamic(tb, vb)) => ta == tb && va == vb,
            _ => false,
        }
    }
}

/// Multiset equality: every element of `a` matches a distinct element of `b`.
pub(crate) fn set_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    'outer: for x in a {
        for (i, y) in b.iter().enumerate() {
            if !used[i] && x == y {
                used[i] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

impl Value {
    /// A plain (unrefined) unknown.
    pub fn unknown() -> Self {
        Value::Unknown(Refinements::default())
    }
    /// A known string.
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }
    /// A string, or null for `None`.
    pub fn opt_string(s: Option<impl Into<String>>) -> Self {
        s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
    }
    /// A bool, or null for `None`.
    pub fn opt_bool(b: Option<bool>) -> Self {
        b.map(Value::Bool).unwrap_or(Value::Null)
    }
    /// An integer number, or null for `None`.
    pub fn opt_int(n: Option<i64>) -> Self {
        n.map(|n| Value::Number(Number::from(n)))
            .unwrap_or(Value::Null)
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }
    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }
    /// The path (below `at`) of the first unknown inside this value, if any; a set element
    /// has no path of its own, so an unknown inside one is reported at the set's path.
    pub fn first_unknown(&self, at: &super::AttributePath) -> Option<super::AttributePath> {
        match self {
            Value::Unknown(_) => Some(at.clone()),
            Value::Object(m) => m.iter().find_map(|(k, x)| x.first_unknown(&at.child(k))),
            Value::Map(m) => m.iter().find_map(|(k, x)| x.first_unknown(&at.key(k))),
            Value::List(i) | Value::Tuple(i) => i
                .iter()
                .enumerate()
                .find_map(|(n, x)| x.first_unknown(&at.index(n as i64))),
            Value::Set(i) => i.iter().any(|x| !x.is_wholly_known()).then(|| at.clone()),
            Value::Dynamic(_, x) => x.first_unknown(at),
            _ => None,
        }
    }
    /// Equality under Terraform's unknown semantics: `Some(true)` or `Some(false)` when it
    /// can be decided from what is known, `None` when an unknown value could go either way.
    /// Two unknowns are not equal: nothing is known about either.
    pub fn known_eq(&self, other: &Value) -> Option<bool> {
        use Value::*;
        fn all(pairs: impl Iterator<Item = Option<bool>>) -> Option<bool> {
            let mut undecided = false;
            for r in pairs {
                match r {
                    Some(false) => return Some(false),
                    None => undecided = true,
                    Some(true) => {}
                }
            }
            if undecided {
                None
            } else {
                Some(true)
            }
        }
        match (self, other) {
            (Unknown(_), _) | (_, Unknown(_)) => None,
            (Null, Null) => Some(true),
            (Null, _) | (_, Null) => Some(false),
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                all(a.iter().zip(b).map(|(x, y)| x.known_eq(y)))
            }
            (Set(a), Set(b)) => {
                if self.is_wholly_known() && other.is_wholly_known() {
                    Some(set_eq(a, b))
                } else {
                    None
                }
            }
            (Map(a), Map(b)) => {
                if a.len() != b.len() || a.keys().zip(b.keys()).any(|(x, y)| x != y) {
                    return Some(false);
                }
                all(a.values().zip(b.values()).map(|(x, y)| x.known_eq(y)))
            }
            (Object(a), Object(b)) => {
                if a.len() != b.len() || a.keys().zip(b.keys()).any(|(x, y)| x != y) {
                    return Some(false);
                }
                all(a.values().zip(b.values()).map(|(x, y)| x.known_eq(y)))
            }
            (Dynamic(ta, va), Dynamic(tb, vb)) => {
                if ta != tb {
                    Some(false)
                } else {
                    va.known_eq(vb)
                }
            }
            (a, b) => Some(a == b),
        }
    }

    /// This value with every unknown (at any depth) replaced by null.
    pub fn unknowns_to_null(self) -> Value {
        match self {
            Value::Unknown(_) => Value::Null,
            Value::List(i) => Value::List(i.into_iter().map(Value::unknowns_to_null).collect()),
            Value::Set(i) => Value::Set(i.into_iter().map(Value::unknowns_to_null).collect()),
            Value::Tuple(i) => Value::Tuple(i.into_iter().map(Value::unknowns_to_null).collect()),
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| (k, v.unknowns_to_null()))
                    .collect(),
            ),
            Value::Object(m) => Value::Object(m.map_values(Value::unknowns_to_null)),
            Value::Dynamic(t, v) => Value::Dynamic(t, Box::new(v.unknowns_to_null())),
            other => other,
        }
    }

    /// Mutable elements, if this is a known list, set or tuple.
    pub fn as_elements_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Mutable entries, if this is a known map.
    pub fn as_map_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    /// The number as i64, if it is a known whole number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }
    /// Attributes, if this is a known object.
    pub fn as_object(&self) -> Option<&ObjectMap<Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// Mutable attributes, if this is a known object.
    pub fn as_object_mut(&mut self) -> Option<&mut ObjectMap<Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// Elements, if this is a known list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }
    /// Entries, if this is a known map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The attribute `name` of a known object; `Null` when absent or when this is not an object.
    pub fn attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.as_object().and_then(|m| m.get(name)).unwrap_or(&NULL)
    }
    /// Sets attribute `name` of a known object (no-op otherwise).
    pub fn set_attr(&mut self, name: &str, v: Value) {
        if let Some(m) = self.as_object_mut() {
            match m.get_mut(name) {
                Some(x) => *x = v,
                None => {
                    m.insert(name.to_string(), v);
                }
            }
        }
    }
    /// A null-safe string accessor: `Some` only for a known, non-empty string.
    pub fn attr_str(&self, name: &str) -> Option<&str> {
        self.attr(name).as_str()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_unknown_names_the_deepest_path_and_a_sets_own() {
        use crate::tf::AttributePath;
        let root = AttributePath::root();
        let obj = |pairs: Vec<(&str, Value)>| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        assert_eq!(Value::from("a").first_unknown(&root), None);
        assert_eq!(Value::unknown().first_unknown(&root), Some(root.clone()));
        let v = obj(vec![
            ("a", "x".into()),
            (
                "b",
                Value::List(vec!["k".into(), obj(vec![("c", Value::unknown())])]),
            ),
        ]);
        assert_eq!(
            v.first_unknown(&root),
            Some(AttributePath::attr("b").index(1).child("c"))
        );
        let m = obj(vec![(
            "m",
            Value::Map([("k".to_string(), Value::unknown())].into_iter().collect()),
        )]);
        assert_eq!(
            m.first_unknown(&root),
            Some(AttributePath::attr("m").key("k"))
        );
        let s = obj(vec![(
            "s",
            Value::Set(vec!["x".into(), obj(vec![("d", Value::unknown())])]),
        )]);
        assert_eq!(s.first_unknown(&root), Some(AttributePath::attr("s")));
    }

    #[test]
    fn known_eq_follows_unknown_semantics() {
        let u = Value::unknown;
        assert_eq!(
            u().known_eq(&u()),
            None,
            "two unknowns are not known to be equal"
        );
        assert_eq!(Value::from("a").known_eq(&u()), None);
        assert_eq!(Value::Null.known_eq(&Value::Null), Some(true));
        assert_eq!(Value::Null.known_eq(&"a".into()), Some(false));
        let l = |v: Vec<Value>| Value::List(v);
        assert_eq!(
            l(vec!["a".into(), u()]).known_eq(&l(vec!["b".into(), u()])),
            Some(false)
        );
        assert_eq!(
            l(vec!["a".into(), u()]).known_eq(&l(vec!["a".into(), "x".into()])),
            None
        );
        assert_eq!(
            l(vec![u()]).known_eq(&l(vec![u(), u()])),
            Some(false),
            "lengths differ"
        );
        let o = |v: Value| Value::Object([("a".to_string(), v)].into());
        assert_eq!(o("x".into()).known_eq(&o("x".into())), Some(true));
        assert_eq!(o(u()).known_eq(&o("x".into())), None);
        let s = |v: Vec<Value>| Value::Set(v);
        assert_eq!(
            s(vec!["a".into(), "b".into()]).known_eq(&s(vec!["b".into(), "a".into()])),
            Some(true)
        );
        assert_eq!(
            s(vec!["a".into(), u()]).known_eq(&s(vec!["b".into(), "a".into()])),
            None
        );
        // PartialEq stays structural (used for "nothing changed at all").
        assert_eq!(u(), u());
    }
}
