//! Property tests for the DynamicValue codec: random types with conforming values (null,
//! unknown and refined unknown at any depth, dynamic values) round-trip through msgpack and
//! (when wholly known and finite) JSON; arbitrary or corrupted bytes never panic; a number
//! reads the same whichever wire form carries it.

use proptest::prelude::*;
use proptest::sample::Index;
use tfplugin::tf::codec::{
    decode_json, decode_json_value, decode_msgpack, encode_json, encode_msgpack, JsonOptions,
};
use tfplugin::tf::{Number, ObjectMap, Refinements, Type, Value};

/// What a generated value may contain.
#[derive(Clone, Copy, Debug)]
struct Gen {
    /// Unknowns (plain and refined). JSON cannot hold them.
    unknowns: bool,
    /// ±Infinity. JSON cannot hold them.
    infinities: bool,
}

const MSGPACK: Gen = Gen {
    unknowns: true,
    infinities: true,
};
const JSON: Gen = Gen {
    unknowns: false,
    infinities: false,
};

/// Levels of `dynamic` a generated value may nest through.
const DYNAMIC_DEPTH: u32 = 2;

fn arb_type() -> BoxedStrategy<Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic)
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::List(Box::new(t))),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            inner.clone().prop_map(|t| Type::Map(Box::new(t))),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                .prop_map(|m| Type::Object(m.into_iter().collect())),
            prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
    .boxed()
}

fn arb_decimal() -> impl Strategy<Value = Number> {
    (any::<bool>(), "[0-9]{1,40}", -60i64..60).prop_map(|(neg, digits, exp)| {
        let text = format!("{}{digits}e{exp}", if neg { "-" } else { "" });
        text.parse()
            .unwrap_or_else(|e| panic!("generated {text}: {e}"))
    })
}

fn arb_number(infinities: bool) -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("NaN or excluded infinity", move |f| {
            Number::from_f64(f).filter(|n| infinities || !n.is_infinite())
        }),
        arb_decimal(),
    ]
    .boxed()
}

/// Refinements cty would write (and read back unchanged) for an unknown of type `ty`.
fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let not_null = prop::option::of(Just(false));
    let bound = || prop::option::of((arb_number(true), any::<bool>()));
    match ty {
        Type::Dynamic => Just(Refinements::default()).boxed(),
        Type::String => (not_null, prop::option::of("\\PC{1,12}"))
            .prop_map(|(nullable, string_prefix)| Refinements {
                nullable,
                string_prefix,
                ..Default::default()
            })
            .boxed(),
        Type::Number => (not_null, bound(), bound())
            .prop_map(|(nullable, number_lower, number_upper)| Refinements {
                nullable,
                number_lower,
                number_upper,
                ..Default::default()
            })
            .boxed(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => (
            not_null,
            prop::option::of(1u64..100),
            prop::option::of(0u64..1000),
        )
            .prop_map(|(nullable, length_lower, length_upper)| Refinements {
                nullable,
                length_lower,
                length_upper,
                ..Default::default()
            })
            .boxed(),
        _ => not_null
            .prop_map(|nullable| Refinements {
                nullable,
                ..Default::default()
            })
            .boxed(),
    }
}

/// Any value of type `ty`: null, unknown (if `g.unknowns`) or known.
fn arb_value(ty: &Type, g: Gen, dyn_depth: u32) -> BoxedStrategy<Value> {
    let known = arb_known(ty, g, dyn_depth);
    if g.unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => arb_refinements(ty).prop_map(Value::Unknown), 5 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 5 => known].boxed()
    }
}

/// A known, non-null value of type `ty` (its parts may be null or unknown).
fn arb_known(ty: &Type, g: Gen, dyn_depth: u32) -> BoxedStrategy<Value> {
    let elems = |t: &Type| prop::collection::vec(arb_value(t, g, dyn_depth), 0..4);
    match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number(g.infinities).prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(t) => elems(t).prop_map(Value::List).boxed(),
        Type::Set(t) => elems(t).prop_map(Value::Set).boxed(),
        Type::Map(t) => prop::collection::btree_map("\\PC{0,6}", arb_value(t, g, dyn_depth), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(types) => {
            let parts: Vec<_> = types.iter().map(|t| arb_value(t, g, dyn_depth)).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| (Just(k.clone()), arb_value(t, g, dyn_depth)))
                .collect();
            parts
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<ObjectMap<_>>()))
                .boxed()
        }
        Type::Dynamic if dyn_depth == 0 => any::<String>()
            .prop_map(|s| Value::Dynamic(Box::new(Type::String), Box::new(Value::String(s))))
            .boxed(),
        Type::Dynamic => arb_type()
            .prop_filter("a dynamic value has a concrete type", |t| {
                *t != Type::Dynamic
            })
            .prop_flat_map(move |t| {
                arb_known(&t, g, dyn_depth - 1)
                    .prop_map(move |v| Value::Dynamic(Box::new(t.clone()), Box::new(v)))
            })
            .boxed(),
    }
}

fn arb_typed_value(g: Gen) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(&t, g, DYNAMIC_DEPTH)))
}

/// Inputs below this size decode to values that re-encode exactly (see below).
const STABLE_INPUT_LIMIT: usize = 960;

/// Decoding `bytes` must not panic; when it succeeds, the value re-encodes and decodes to
/// itself. Exact equality needs a small input: re-encoding an ext 12 refinement payload
/// can make it a few bytes longer (a float32 or short decimal bound becomes a float64,
/// at most ~13 bytes per bound), and a payload pushed past 1024 bytes is weakened.
fn check_decode_is_stable(bytes: &[u8], ty: &Type) -> Result<(), TestCaseError> {
    prop_assert!(
        bytes.len() < STABLE_INPUT_LIMIT,
        "exact equality is only claimed for small inputs"
    );
    if let Ok(v) = decode_msgpack(bytes, ty) {
        let again = encode_msgpack(&v, ty)
            .map_err(|e| TestCaseError::fail(format!("re-encode {v:?}: {e}")))?;
        let back = decode_msgpack(&again, ty)
            .map_err(|e| TestCaseError::fail(format!("re-decode: {e}")))?;
        prop_assert_eq!(back, v);
    }
    Ok(())
}

fn msgpack_of(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Vec<u8> {
    let mut buf = Vec::new();
    write(&mut buf).unwrap_or_else(|e| panic!("writing to a Vec failed: {e}"));
    buf
}

fn msgpack_str(s: &str) -> Vec<u8> {
    msgpack_of(|b| rmp::encode::write_str(b, s).map_err(std::io::Error::other))
}

fn decode_number(bytes: &[u8]) -> Result<Number, TestCaseError> {
    match decode_msgpack(bytes, &Type::Number) {
        Ok(Value::Number(n)) => Ok(n),
        other => Err(TestCaseError::fail(format!(
            "{bytes:02x?} decoded to {other:?}"
        ))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trips((ty, v) in arb_typed_value(MSGPACK)) {
        let bytes = encode_msgpack(&v, &ty).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        let back = decode_msgpack(&bytes, &ty).map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_round_trips_known_values((ty, v) in arb_typed_value(JSON)) {
        prop_assert!(v.is_wholly_known());
        let json = encode_json(&v, &ty).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        let back = decode_json_value(&json, &ty, JsonOptions::default())
            .map_err(|e| TestCaseError::fail(format!("decode {json}: {e}")))?;
        prop_assert_eq!(&back, &v);
        let text = serde_json::to_vec(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = decode_json(&text, &ty, JsonOptions::default())
            .map_err(|e| TestCaseError::fail(format!("decode text: {e}")))?;
        prop_assert_eq!(back, v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_decode_is_stable(&bytes, &ty)?;
        check_decode_is_stable(&bytes, &Type::Dynamic)?;
    }

    #[test]
    fn corrupted_encodings_never_panic(
        (ty, v) in arb_typed_value(MSGPACK),
        edits in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        cut in any::<Index>(),
    ) {
        let mut bytes = encode_msgpack(&v, &ty).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        prop_assume!(!bytes.is_empty() && bytes.len() < STABLE_INPUT_LIMIT);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        check_decode_is_stable(&bytes, &ty)?;
        let cut = cut.index(bytes.len());
        check_decode_is_stable(&bytes[..cut], &ty)?;
    }

    #[test]
    fn floats_read_the_same_as_float_or_decimal(f in any::<f64>().prop_filter("NaN", |f| !f.is_nan())) {
        let expected = Number::from_f64(f).ok_or_else(|| TestCaseError::fail("from_f64"))?;
        let as_f64 = msgpack_of(|b| rmp::encode::write_f64(b, f).map_err(std::io::Error::other));
        prop_assert_eq!(&decode_number(&as_f64)?, &expected);
        prop_assert_eq!(&decode_number(&msgpack_str(&expected.to_string()))?, &expected);
        if f64::from(f as f32) == f {
            let as_f32 = msgpack_of(|b| rmp::encode::write_f32(b, f as f32).map_err(std::io::Error::other));
            prop_assert_eq!(&decode_number(&as_f32)?, &expected);
        }
        if let Some(i) = expected.as_i64() {
            let as_int = msgpack_of(|b| rmp::encode::write_sint(b, i).map(|_| ()).map_err(std::io::Error::other));
            prop_assert_eq!(&decode_number(&as_int)?, &expected);
        }
        // What we write reads back as the same number, and is a float64 when not whole.
        let written = encode_msgpack(&Value::Number(expected.clone()), &Type::Number)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decode_number(&written)?, &expected);
        if !expected.is_integer() {
            prop_assert_eq!(written, as_f64);
        }
    }

    #[test]
    fn integers_read_the_same_in_every_form(i in any::<i64>(), u in any::<u64>()) {
        for (n, text) in [(Number::from(i), i.to_string()), (Number::from(u), u.to_string())] {
            prop_assert_eq!(&decode_number(&msgpack_str(&text))?, &n);
            prop_assert_eq!(&decode_number(&msgpack_str(&format!("{text}.000")))?, &n);
            let written = encode_msgpack(&Value::Number(n.clone()), &Type::Number)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(written[0] != 0xcb && (written[0] & 0xe0) != 0xa0, "whole numbers go as ints: {:02x?}", written);
            prop_assert_eq!(&decode_number(&written)?, &n);
        }
        let as_uint = msgpack_of(|b| rmp::encode::write_u64(b, u).map_err(std::io::Error::other));
        prop_assert_eq!(decode_number(&as_uint)?.as_u64(), Some(u));
        let as_int = msgpack_of(|b| rmp::encode::write_i64(b, i).map_err(std::io::Error::other));
        prop_assert_eq!(decode_number(&as_int)?.as_i64(), Some(i));
    }

    #[test]
    fn decimals_read_the_same_in_every_spelling(digits in "[1-9][0-9]{0,30}", exp in -40i64..40, pad in 0usize..4) {
        let n: Number = format!("{digits}e{exp}").parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let zeros = "0".repeat(pad);
        let spellings = [
            format!("{digits}{zeros}e{}", exp - pad as i64),
            format!("{zeros}{digits}E{exp:+}"),
            format!("0.{digits}e{}", exp + digits.len() as i64),
            n.to_string(),
        ];
        for s in spellings {
            prop_assert_eq!(&decode_number(&msgpack_str(&s))?, &n, "spelling {}", s);
        }
        let written = encode_msgpack(&Value::Number(n.clone()), &Type::Number)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decode_number(&written)?, n);
    }

    #[test]
    fn short_extensions_of_any_code_are_unknown(code in any::<i8>(), body in prop::option::of(any::<u8>()), ty in arb_type()) {
        let mut bytes = Vec::new();
        match body {
            None => bytes.extend([0xc7, 0x00, code as u8]),
            Some(b) => bytes.extend([0xd4, code as u8, b]),
        }
        prop_assert_eq!(decode_msgpack(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?, Value::unknown());
    }

    #[test]
    fn ext12_skips_unknown_refinement_keys(
        extra in prop::collection::vec((prop_oneof![7i64..10_000, i64::MIN..0], arb_typed_value(MSGPACK)), 0..4),
        not_null in any::<bool>(),
    ) {
        // A map of unknown keys, each with an arbitrary msgpack value, plus maybe {1: false}.
        let mut body = Vec::new();
        for (key, (ty, v)) in &extra {
            rmp::encode::write_sint(&mut body, *key).map_err(|e| TestCaseError::fail(e.to_string()))?;
            body.extend(encode_msgpack(v, ty).map_err(|e| TestCaseError::fail(e.to_string()))?);
        }
        if not_null {
            body.extend([0x01, 0xc2]);
        }
        let entries = extra.len() + usize::from(not_null);
        prop_assume!(entries > 0 && body.len() < 1000);
        let mut payload = vec![0x80 | entries as u8];
        payload.extend(body);
        let mut bytes = msgpack_of(|b| {
            rmp::encode::write_ext_meta(b, payload.len() as u32, 12).map(|_| ()).map_err(std::io::Error::other)
        });
        bytes.extend(payload);
        let expected = Refinements { nullable: not_null.then_some(false), ..Default::default() };
        prop_assert_eq!(
            decode_msgpack(&bytes, &Type::String).map_err(|e| TestCaseError::fail(e.to_string()))?,
            Value::Unknown(expected)
        );
    }

    #[test]
    fn number_text_and_order_agree_with_f64(a in arb_number(true), x in any::<f64>(), y in any::<f64>()) {
        prop_assert_eq!(&a.to_string().parse::<Number>().map_err(|e| TestCaseError::fail(e.to_string()))?, &a);
        if let (Some(nx), Some(ny)) = (Number::from_f64(x), Number::from_f64(y)) {
            prop_assert_eq!(Some(nx.cmp(&ny)), x.partial_cmp(&y));
            prop_assert_eq!(nx.as_f64(), x + 0.0);
        }
    }
}
