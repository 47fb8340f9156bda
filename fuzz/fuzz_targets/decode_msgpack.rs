//! Decodes arbitrary bytes as msgpack against a few fixed types and against a type built
//! from the input's first bytes. Decoding must never panic; a decoded value must re-encode,
//! and the re-encoding must decode to the same value (refinements may only get weaker:
//! a payload re-encoded past the 1024-byte limit is shortened, as the encoder documents).

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use tfplugin::tf::codec::{decode_msgpack, encode_msgpack};
use tfplugin::tf::{ObjectMap, Refinements, Type, Value};

fn fixed_types() -> Vec<Type> {
    let attrs = ObjectMap::from([
        ("id".to_string(), Type::String),
        ("count".to_string(), Type::Number),
        ("tags".to_string(), Type::Map(Box::new(Type::String))),
        ("extra".to_string(), Type::Dynamic),
        (
            "items".to_string(),
            Type::List(Box::new(Type::Tuple(vec![Type::Bool, Type::Number]))),
        ),
    ]);
    vec![
        Type::String,
        Type::Number,
        Type::Dynamic,
        Type::Set(Box::new(Type::Number)),
        Type::Object(attrs),
    ]
}

/// A type read from a small prefix code: one byte per node, at most 4 levels deep.
fn type_from_bytes(data: &[u8], pos: &mut usize, depth: u32) -> Type {
    let b = data.get(*pos).copied().unwrap_or(0);
    *pos += 1;
    let leaf = |b: u8| match b % 4 {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        _ => Type::Dynamic,
    };
    if depth >= 4 {
        return leaf(b);
    }
    let arity = usize::from(b / 9 % 4);
    match b % 9 {
        4 => Type::List(Box::new(type_from_bytes(data, pos, depth + 1))),
        5 => Type::Set(Box::new(type_from_bytes(data, pos, depth + 1))),
        6 => Type::Map(Box::new(type_from_bytes(data, pos, depth + 1))),
        7 => Type::Object(
            (0..arity)
                .map(|i| (format!("a{i}"), type_from_bytes(data, pos, depth + 1)))
                .collect(),
        ),
        8 => Type::Tuple(
            (0..arity)
                .map(|_| type_from_bytes(data, pos, depth + 1))
                .collect(),
        ),
        k => leaf(k),
    }
}

/// `weaker` says no more than `strong` about an unknown value.
fn refinements_weaker(weaker: &Refinements, strong: &Refinements) -> bool {
    fn kept_or_dropped<T: PartialEq>(w: &Option<T>, s: &Option<T>) -> bool {
        w.is_none() || w == s
    }
    kept_or_dropped(&weaker.nullable, &strong.nullable)
        && match (&weaker.string_prefix, &strong.string_prefix) {
            (None, _) => true,
            (Some(w), Some(s)) => s.starts_with(w.as_str()),
            (Some(_), None) => false,
        }
        && kept_or_dropped(&weaker.number_lower, &strong.number_lower)
        && kept_or_dropped(&weaker.number_upper, &strong.number_upper)
        && kept_or_dropped(&weaker.length_lower, &strong.length_lower)
        && kept_or_dropped(&weaker.length_upper, &strong.length_upper)
}

/// `back` equals `orig` except that unknowns may carry weaker refinements. Element order is
/// compared as is: the codec keeps it both ways.
fn same_value(back: &Value, orig: &Value) -> bool {
    let all = |a: &[Value], b: &[Value]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
    };
    let all_map = |a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((ka, x), (kb, y))| ka == kb && same_value(x, y))
    };
    match (back, orig) {
        (Value::Unknown(w), Value::Unknown(s)) => refinements_weaker(w, s),
        (Value::List(a), Value::List(b))
        | (Value::Set(a), Value::Set(b))
        | (Value::Tuple(a), Value::Tuple(b)) => all(a, b),
        (Value::Map(a), Value::Map(b)) => all_map(a, b),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, x), (kb, y))| ka == kb && same_value(x, y))
        }
        (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && same_value(a, b),
        _ => back == orig,
    }
}

fn check(bytes: &[u8], ty: &Type) {
    let Ok(v) = decode_msgpack(bytes, ty) else {
        return;
    };
    let again = match encode_msgpack(&v, ty) {
        Ok(b) => b,
        Err(e) => panic!("decoded value does not re-encode as {ty}: {e}\n{v:?}"),
    };
    match decode_msgpack(&again, ty) {
        Ok(back) => assert!(
            same_value(&back, &v),
            "round trip changed the value as {ty}:\n{v:?}\n{back:?}"
        ),
        Err(e) => panic!("re-encoded bytes do not decode as {ty}: {e}\n{v:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    for ty in fixed_types() {
        check(data, &ty);
    }
    let mut pos = 0;
    let ty = type_from_bytes(data, &mut pos, 0);
    check(data.get(pos..).unwrap_or(&[]), &ty);
});
