//! Wire-rule tests with literal bytes (tfplugin6.md §3).

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::tf::number::Number;
use crate::tf::value::Refinements;

/// Bytes from hex text such as `"d4 00 00"`.
fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|e| panic!("bad hex {b:?}: {e}")))
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn num(s: &str) -> Number {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn obj_type(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
    )
}

fn obj(attrs: &[(&str, Value)]) -> Value {
    Value::Object(
        attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

fn enc(v: &Value, ty: &Type) -> String {
    to_hex(&encode_msgpack(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}")))
}

fn dec(bytes: &str, ty: &Type) -> Value {
    decode_msgpack(&hex(bytes), ty).unwrap_or_else(|e| panic!("decode {bytes}: {e}"))
}

fn dec_err(bytes: &[u8], ty: &Type) -> CodecError {
    match decode_msgpack(bytes, ty) {
        Ok(v) => panic!("decoding {} as {ty} should fail, got {v:?}", to_hex(bytes)),
        Err(e) => e,
    }
}

fn refined(f: impl FnOnce(&mut Refinements)) -> Value {
    let mut r = Refinements::default();
    f(&mut r);
    Value::Unknown(r)
}

#[test]
fn plain_unknown_is_fixext1_type0() {
    for ty in [
        Type::String,
        Type::Dynamic,
        obj_type(&[("a", Type::Bool)]),
        list(Type::Number),
    ] {
        assert_eq!(enc(&Value::unknown(), &ty), "d4 00 00");
        assert_eq!(dec("d4 00 00", &ty), Value::unknown());
    }
}

#[test]
fn any_ext_of_at_most_one_byte_is_unknown() {
    for bytes in [
        "d4 05 00",
        "c7 00 00",
        "c7 00 2a",
        "c7 01 7f ff",
        "d4 0c 01",
    ] {
        assert_eq!(dec(bytes, &Type::String), Value::unknown(), "{bytes}");
    }
    let e = dec_err(&hex("d5 07 00 00"), &Type::String);
    assert!(
        e.message.contains("unsupported msgpack extension type 7"),
        "{e}"
    );
}

#[test]
fn null_is_nil_at_every_type() {
    for ty in [
        Type::String,
        Type::Number,
        Type::Dynamic,
        obj_type(&[("a", Type::Bool)]),
        Type::Tuple(vec![]),
    ] {
        assert_eq!(enc(&Value::Null, &ty), "c0");
        assert_eq!(dec("c0", &ty), Value::Null);
    }
}

#[test]
fn ext12_refinements_parse_and_write_like_cty() {
    // {1: false, 2: "ab"}
    let bytes = "c7 07 0c 82 01 c2 02 a2 61 62";
    let v = refined(|r| {
        r.nullable = Some(false);
        r.string_prefix = Some("ab".into());
    });
    assert_eq!(dec(bytes, &Type::String), v);
    assert_eq!(enc(&v, &Type::String), bytes);

    // Unknown keys are skipped, whatever their value: {9: [1, {2: 3}], 1: false}.
    assert_eq!(
        dec("c7 09 0c 82 09 92 01 81 02 03 01 c2", &Type::Bool),
        refined(|r| r.nullable = Some(false))
    );

    // Number bounds {3: [1, true], 4: ["1.5", false]}; written back with 1.5 as a float64.
    let v = dec(
        "c7 0c 0c 82 03 92 01 c3 04 92 a3 31 2e 35 c2",
        &Type::Number,
    );
    let expected = refined(|r| {
        r.number_lower = Some((Number::from(1), true));
        r.number_upper = Some((num("1.5"), false));
    });
    assert_eq!(v, expected);
    assert_eq!(
        enc(&v, &Type::Number),
        "c7 11 0c 82 03 92 01 c3 04 92 cb 3f f8 00 00 00 00 00 00 c2"
    );

    // Length bounds {5: 2, 6: 10} on a collection.
    let v = refined(|r| {
        r.length_lower = Some(2);
        r.length_upper = Some(10);
    });
    assert_eq!(enc(&v, &list(Type::String)), "c7 05 0c 82 05 02 06 0a");
    assert_eq!(dec("c7 05 0c 82 05 02 06 0a", &list(Type::String)), v);

    // Trailing bytes inside the payload are ignored, as cty does.
    assert_eq!(
        dec("c7 04 0c 81 01 c2 ff", &Type::String),
        refined(|r| r.nullable = Some(false))
    );
    // An empty map (which encoders must not send) still reads as a plain unknown.
    assert_eq!(dec("c7 02 0c 80 00", &Type::String), Value::unknown());
}

#[test]
fn ext12_edge_cases() {
    // "Definitely null" collapses to null, as cty's refinement builder does.
    assert_eq!(dec("c7 03 0c 81 01 c3", &Type::String), Value::Null);
    // Refinements at a dynamic position are dropped.
    assert_eq!(dec("c7 03 0c 81 01 c2", &Type::Dynamic), Value::unknown());
    // Refinements that cannot apply to the type are errors, as in cty.
    let e = dec_err(&hex("c7 04 0c 81 02 a1 61"), &Type::Number);
    assert!(e.message.contains("string prefix"), "{e}");
    let e = dec_err(&hex("c7 03 0c 81 05 01"), &Type::String);
    assert!(e.message.contains("length bound"), "{e}");
    let e = dec_err(&hex("c7 05 0c 81 03 92 01 c3"), &list(Type::Number));
    assert!(e.message.contains("number bound"), "{e}");
    assert!(dec_err(&hex("c7 03 0c 81 05 ff"), &list(Type::Number))
        .message
        .contains("length bound"));
    assert!(dec_err(&hex("c7 02 0c 91 01"), &Type::String)
        .message
        .contains("refinements"));
    assert!(dec_err(&hex("c7 03 0c 81 a1 61"), &Type::String)
        .message
        .contains("integers"));
    // Over 1024 bytes is refused.
    let mut big = hex("c8 04 01 0c 81 02 da 03 fc");
    big.extend(std::iter::repeat_n(b'a', 1020));
    assert!(dec_err(&big, &Type::String).message.contains("1024"));
}

#[test]
fn encoder_writes_only_refinements_that_apply() {
    let v = refined(|r| {
        r.string_prefix = Some("x".into());
        r.length_lower = Some(3);
        r.nullable = Some(true);
    });
    assert_eq!(enc(&v, &Type::Number), "d4 00 00");
    assert_eq!(enc(&v, &Type::Dynamic), "d4 00 00");
    let not_null = refined(|r| r.nullable = Some(false));
    assert_eq!(enc(&not_null, &Type::Dynamic), "d4 00 00");
    assert_eq!(enc(&not_null, &Type::Bool), "c7 03 0c 81 01 c2");
    assert_eq!(
        enc(
            &refined(|r| r.string_prefix = Some(String::new())),
            &Type::String
        ),
        "d4 00 00"
    );
}

#[test]
fn refinements_never_exceed_1024_bytes() {
    let long: String = "é".repeat(1500);
    let v = refined(|r| {
        r.nullable = Some(false);
        r.string_prefix = Some(long.clone());
    });
    let bytes = encode_msgpack(&v, &Type::String).unwrap();
    assert_eq!(bytes[0], 0xc8, "ext16 expected: {}", to_hex(&bytes[..4]));
    let payload_len = usize::from(u16::from_be_bytes([bytes[1], bytes[2]]));
    assert!(payload_len <= MAX_REFINEMENTS_LEN, "{payload_len}");
    let Value::Unknown(r) = decode_msgpack(&bytes, &Type::String).unwrap() else {
        panic!("not unknown")
    };
    let prefix = r.string_prefix.expect("prefix kept");
    assert!(
        prefix.len() > 900 && long.starts_with(&prefix),
        "{}",
        prefix.len()
    );
    assert_eq!(r.nullable, Some(false));

    let huge = num(&format!("{}.5", "9".repeat(1100)));
    let v = refined(|r| {
        r.number_lower = Some((Number::from(0), true));
        r.number_upper = Some((huge.clone(), true));
    });
    let kept = decode_msgpack(&encode_msgpack(&v, &Type::Number).unwrap(), &Type::Number).unwrap();
    assert_eq!(
        kept,
        refined(|r| r.number_lower = Some((Number::from(0), true)))
    );
    let only_huge = refined(|r| r.number_lower = Some((huge.clone(), false)));
    assert_eq!(enc(&only_huge, &Type::Number), "d4 00 00");
}

#[test]
fn numbers_decode_from_every_encoding() {
    let cases = [
        ("05", "5"),
        ("ff", "-1"),
        ("e0", "-32"),
        ("cc ff", "255"),
        ("cd ff ff", "65535"),
        ("ce ff ff ff ff", "4294967295"),
        ("cf ff ff ff ff ff ff ff ff", "18446744073709551615"),
        ("d0 80", "-128"),
        ("d1 80 00", "-32768"),
        ("d2 80 00 00 00", "-2147483648"),
        ("d3 80 00 00 00 00 00 00 00", "-9223372036854775808"),
        ("ca 3f c0 00 00", "1.5"),
        ("cb 3f e0 00 00 00 00 00 00", "0.5"),
        ("cb 7f f0 00 00 00 00 00 00", "Infinity"),
        ("cb ff f0 00 00 00 00 00 00", "-Infinity"),
        ("a4 31 65 2b 32", "100"),
        ("c4 03 31 2e 30", "1"),
    ];
    for (bytes, text) in cases {
        assert_eq!(
            dec(bytes, &Type::Number),
            Value::Number(num(text)),
            "{bytes}"
        );
    }
    let big = "123456789012345678901234567890.123456789";
    let mut bytes = vec![0xd9, big.len() as u8];
    bytes.extend(big.as_bytes());
    assert_eq!(
        decode_msgpack(&bytes, &Type::Number).unwrap(),
        Value::Number(num(big))
    );
    assert!(dec_err(&hex("cb 7f f8 00 00 00 00 00 00"), &Type::Number)
        .message
        .contains("NaN"));
    assert!(dec_err(&hex("a3 61 62 63"), &Type::Number)
        .message
        .contains("invalid number"));
    assert!(dec_err(&hex("c3"), &Type::Number)
        .message
        .contains("expected a number"));
}

#[test]
fn numbers_encode_by_ctys_rule() {
    let cases = [
        ("1", "01"),
        ("-1", "ff"),
        ("300", "cd 01 2c"),
        ("9223372036854775807", "cf 7f ff ff ff ff ff ff ff"),
        ("-9223372036854775808", "d3 80 00 00 00 00 00 00 00"),
        ("18446744073709551615", "cf ff ff ff ff ff ff ff ff"),
        ("0.5", "cb 3f e0 00 00 00 00 00 00"),
        ("-2.25", "cb c0 02 00 00 00 00 00 00"),
        ("Infinity", "cb 7f f0 00 00 00 00 00 00"),
        ("-Infinity", "cb ff f0 00 00 00 00 00 00"),
        ("0.1", "a3 30 2e 31"),
        (
            "18446744073709551616",
            "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 36",
        ),
    ];
    for (text, bytes) in cases {
        assert_eq!(
            enc(&Value::Number(num(text)), &Type::Number),
            bytes,
            "{text}"
        );
    }
    let big = "123456789012345678901234567890.123456789";
    let bytes = encode_msgpack(&Value::Number(num(big)), &Type::Number).unwrap();
    assert_eq!(bytes[..2], [0xd9, big.len() as u8]);
    assert_eq!(&bytes[2..], big.as_bytes());
    // The exact binary value of a float64 goes back as that float64.
    let f = Number::from_f64(0.1).unwrap();
    assert_eq!(
        enc(&Value::Number(f), &Type::Number),
        "cb 3f b9 99 99 99 99 99 9a"
    );
}

#[test]
fn objects_need_every_attribute_exactly_once() {
    let inner = obj_type(&[("a", Type::String), ("b", Type::Number)]);
    let ty = obj_type(&[("outer", inner.clone())]);
    // {"outer": {"a": "x"}}
    let e = dec_err(&hex("81 a5 6f 75 74 65 72 81 a1 61 a1 78"), &ty);
    assert_eq!(e.path.to_string(), "outer.b");
    assert!(e.message.contains("missing attribute"), "{e}");
    assert_eq!(e.to_string(), format!("{} at outer.b", e.message));
    // {"a": "x", "c": 1}
    let e = dec_err(&hex("82 a1 61 a1 78 a1 63 01"), &inner);
    assert_eq!(
        (e.path.to_string().as_str(), e.message.as_str()),
        ("c", "unsupported attribute")
    );
    // {"a": "x", "a": "y"}
    let e = dec_err(&hex("82 a1 61 a1 78 a1 61 a1 79"), &inner);
    assert_eq!(
        (e.path.to_string().as_str(), e.message.as_str()),
        ("a", "duplicate attribute")
    );
    // A map header claiming 2^32 - 1 entries (map32) is an error, not an allocation of that
    // many attributes (which aborted the process before).
    let e = dec_err(&hex("df ff ff ff ff a1 61 a1 78"), &inner);
    assert!(!e.message.is_empty(), "{e}");
    // Key order is free; written sorted.
    let v = dec("82 a1 62 c0 a1 61 a1 78", &inner);
    assert_eq!(v, obj(&[("a", "x".into()), ("b", Value::Null)]));
    assert_eq!(enc(&v, &inner), "82 a1 61 a1 78 a1 62 c0");
    // An empty object type is an empty map.
    assert_eq!(dec("80", &obj_type(&[])), obj(&[]));

    let e = encode_msgpack(&obj(&[("a", "x".into())]), &inner).unwrap_err();
    assert_eq!(e.path.to_string(), "b");
    let e = encode_msgpack(
        &obj(&[("a", "x".into()), ("b", Value::Null), ("z", Value::Null)]),
        &inner,
    )
    .unwrap_err();
    assert_eq!(e.path.to_string(), "z");
}

#[test]
fn collections_and_paths() {
    let ty = Type::Map(Box::new(list(Type::Bool)));
    let v = Value::Map(BTreeMap::from([(
        "k".to_string(),
        Value::List(vec![true.into(), Value::Null]),
    )]));
    assert_eq!(enc(&v, &ty), "81 a1 6b 92 c3 c0");
    assert_eq!(dec("81 a1 6b 92 c3 c0", &ty), v);
    let e = dec_err(&hex("81 a1 6b 92 c3 01"), &ty);
    assert_eq!(
        e.to_string(),
        "expected a bool, found msgpack int at [\"k\"][1]"
    );
    assert!(dec_err(&hex("82 a1 6b 90 a1 6b 90"), &ty)
        .message
        .contains("duplicate map key"));

    let tuple = Type::Tuple(vec![Type::String, Type::Number]);
    let v = Value::Tuple(vec!["a".into(), Value::unknown()]);
    assert_eq!(enc(&v, &tuple), "92 a1 61 d4 00 00");
    assert_eq!(dec("92 a1 61 d4 00 00", &tuple), v);
    assert!(dec_err(&hex("91 a1 61"), &tuple)
        .message
        .contains("2 elements"));
    assert!(encode_msgpack(&Value::Tuple(vec!["a".into()]), &tuple).is_err());

    let set = Type::Set(Box::new(Type::Number));
    assert_eq!(dec("92 02 01", &set), Value::Set(vec![1.into(), 2.into()]));
    assert!(encode_msgpack(&Value::List(vec![]), &set).is_err());
}

#[test]
fn dynamic_values_carry_their_type() {
    let v = Value::Dynamic(Box::new(Type::String), Box::new("hi".into()));
    // [bin "\"string\"", "hi"]
    let bytes = "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69";
    assert_eq!(enc(&v, &Type::Dynamic), bytes);
    assert_eq!(dec(bytes, &Type::Dynamic), v);
    // The type may come as str too.
    assert_eq!(
        dec("92 a8 22 73 74 72 69 6e 67 22 a2 68 69", &Type::Dynamic),
        v
    );
    // A typed null or unknown inside the wrapper reads as null / plain unknown.
    assert_eq!(
        dec("92 c4 08 22 73 74 72 69 6e 67 22 c0", &Type::Dynamic),
        Value::Null
    );
    assert_eq!(
        dec(
            "92 c4 08 22 73 74 72 69 6e 67 22 c7 03 0c 81 01 c2",
            &Type::Dynamic
        ),
        Value::unknown()
    );
    // Nested inside an object, with a list type.
    let ty = obj_type(&[("d", Type::Dynamic)]);
    let lt = list(Type::Number);
    let v = obj(&[(
        "d",
        Value::Dynamic(Box::new(lt.clone()), Box::new(Value::List(vec![1.into()]))),
    )]);
    let bytes = encode_msgpack(&v, &ty).unwrap();
    assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), v);
    assert!(to_hex(&bytes).contains(&to_hex(&lt.to_json_bytes())));
    // A plain value at a dynamic position is refused; a Dynamic at a matching position is unwrapped.
    assert!(encode_msgpack(&"x".into(), &Type::Dynamic)
        .unwrap_err()
        .message
        .contains("Value::Dynamic"));
    assert_eq!(enc(&v.attr("d").clone(), &lt), "91 01");
    assert!(dec_err(
        &hex("93 c4 08 22 73 74 72 69 6e 67 22 a2 68 69 c0"),
        &Type::Dynamic
    )
    .message
    .contains("[type, value]"));
    assert!(dec_err(&hex("92 c4 03 22 78 22 c0"), &Type::Dynamic)
        .message
        .contains("dynamic value type"));
}

#[test]
fn malformed_input_is_an_error() {
    assert!(dec_err(&[], &Type::String).message.contains("ends"));
    assert!(dec_err(&hex("a1 61 c0"), &Type::String)
        .message
        .contains("1 unexpected bytes"));
    assert!(dec_err(&hex("a3 61"), &Type::String)
        .message
        .contains("ends"));
    assert!(dec_err(&hex("a2 c3 28"), &Type::String)
        .message
        .contains("UTF-8"));
    assert!(dec_err(&hex("c1"), &Type::String)
        .message
        .contains("reserved"));
    // A claimed length of 2^32-1 elements is not allocated up front.
    assert!(dec_err(&hex("dd ff ff ff ff c0"), &list(Type::String))
        .message
        .contains("ends"));
    assert!(
        dec_err(&hex("df ff ff ff ff"), &Type::Map(Box::new(Type::String)))
            .message
            .contains("ends")
    );
}

#[test]
fn nesting_is_bounded() {
    let mut ty = Type::String;
    for _ in 0..MAX_DEPTH + 10 {
        ty = list(ty);
    }
    let mut bytes = vec![0x91; MAX_DEPTH + 10];
    bytes.push(0xa0);
    assert!(dec_err(&bytes, &ty).message.contains("nested deeper"));
    // Deep arrays under an unknown refinement key are skipped with the same bound.
    let mut payload = vec![0x81, 0x09];
    payload.extend(std::iter::repeat_n(0x91, 1000));
    payload.push(0xc0);
    let mut bytes = hex("c8");
    bytes.extend((payload.len() as u16).to_be_bytes());
    bytes.push(0x0c);
    bytes.extend(payload);
    assert!(dec_err(&bytes, &Type::String)
        .message
        .contains("nested deeper"));
    // Dynamic values nest through their type JSON; still bounded.
    let mut bytes = Vec::new();
    for _ in 0..MAX_DEPTH + 10 {
        bytes.extend(hex("92 a9 22 64 79 6e 61 6d 69 63 22"));
    }
    bytes.push(0xc0);
    assert!(dec_err(&bytes, &Type::Dynamic)
        .message
        .contains("nested deeper"));
}

#[test]
fn json_round_trip_keeps_exact_numbers() {
    let ty = obj_type(&[
        ("n", Type::Number),
        ("s", Type::Set(Box::new(Type::String))),
        ("d", Type::Dynamic),
        ("t", Type::Tuple(vec![Type::Bool, Type::Number])),
    ]);
    let text = r#"{"d":{"value":["a"],"type":["list","string"]},"n":123456789012345678901234567890.123456789,"s":["x"],"t":[true,1e400]}"#;
    let v = decode_json(text.as_bytes(), &ty, JsonOptions::default()).unwrap();
    assert_eq!(
        v.attr("n"),
        &Value::Number(num("123456789012345678901234567890.123456789"))
    );
    assert_eq!(
        v.attr("d"),
        &Value::Dynamic(
            Box::new(list(Type::String)),
            Box::new(Value::List(vec!["a".into()]))
        )
    );
    let back = encode_json(&v, &ty).unwrap();
    assert_eq!(
        back["n"].to_string(),
        "123456789012345678901234567890.123456789"
    );
    assert_eq!(
        back["d"],
        json!({"value": ["a"], "type": ["list", "string"]})
    );
    assert_eq!(
        decode_json_value(&back, &ty, JsonOptions::default()).unwrap(),
        v
    );
}

#[test]
fn json_attribute_options() {
    let ty = obj_type(&[("a", Type::String), ("b", Type::Number)]);
    let strict = JsonOptions::default();
    let e = decode_json(br#"{"a":"x"}"#, &ty, strict).unwrap_err();
    assert_eq!(
        (e.path.to_string().as_str(), e.message.as_str()),
        ("b", "missing attribute")
    );
    let lenient = JsonOptions {
        missing_attrs_null: true,
        ..strict
    };
    assert_eq!(
        decode_json(br#"{"a":"x"}"#, &ty, lenient).unwrap(),
        obj(&[("a", "x".into()), ("b", Value::Null)])
    );
    let e = decode_json(br#"{"a":"x","b":1,"old":true}"#, &ty, strict).unwrap_err();
    assert_eq!(e.path.to_string(), "old");
    let skip = JsonOptions {
        ignore_unknown_attrs: true,
        ..strict
    };
    assert_eq!(
        decode_json(br#"{"a":"x","b":1,"old":true}"#, &ty, skip).unwrap(),
        obj(&[("a", "x".into()), ("b", 1.into())])
    );
}

#[test]
fn json_conversions_and_errors() {
    let o = JsonOptions::default();
    assert_eq!(
        decode_json_value(&json!("12.50"), &Type::Number, o).unwrap(),
        Value::Number(num("12.5"))
    );
    assert_eq!(
        decode_json_value(&json!(12), &Type::String, o).unwrap(),
        "12".into()
    );
    assert_eq!(
        decode_json_value(&json!(true), &Type::String, o).unwrap(),
        "true".into()
    );
    assert_eq!(
        decode_json_value(&json!("false"), &Type::Bool, o).unwrap(),
        false.into()
    );
    assert!(decode_json_value(&json!("yes"), &Type::Bool, o).is_err());
    assert!(decode_json_value(&json!([1]), &Type::Tuple(vec![]), o).is_err());
    assert!(decode_json_value(&json!({"value": 1}), &Type::Dynamic, o).is_err());
    assert!(decode_json_value(
        &json!({"value": 1, "type": "number", "x": 1}),
        &Type::Dynamic,
        o
    )
    .is_err());
    assert_eq!(
        decode_json_value(&json!({"value": null, "type": "number"}), &Type::Dynamic, o).unwrap(),
        Value::Null
    );
    assert!(decode_json(b"{", &Type::String, o)
        .unwrap_err()
        .message
        .contains("invalid JSON"));

    let ty = obj_type(&[("l", list(Type::String))]);
    let e = encode_json(&obj(&[("l", Value::List(vec![Value::unknown()]))]), &ty).unwrap_err();
    assert_eq!(
        e.to_string(),
        "an unknown value cannot be written as JSON at l[0]"
    );
    assert!(encode_json(&Value::Number(Number::infinity(false)), &Type::Number).is_err());
    assert_eq!(
        encode_json(&Value::Number(num("-0.5")), &Type::Number)
            .unwrap()
            .to_string(),
        "-0.5"
    );
    assert_eq!(
        encode_json(&Value::Number(num("1e2000")), &Type::Number)
            .unwrap()
            .to_string(),
        "1e+2000"
    );
}
