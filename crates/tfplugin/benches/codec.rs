//! Codec micro-benchmarks (criterion): msgpack decode and encode of a 1000-attribute object
//! and of a 10 000-element list, reported as throughput (bytes of msgpack per second), plus
//! the allocations each value costs, counted by a counting global allocator and printed once.
//!
//! `cargo bench -p tfplugin --bench codec` (the scorecard command runs it and records the
//! figures in BENCHMARKS.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tfplugin::tf::codec::{decode_msgpack, encode_msgpack};
use tfplugin::tf::{Number, ObjectMap, Type, Value};

/// Counts allocations (not frees) made through the global allocator.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// An object of 1000 attributes: strings, numbers, bools, nulls and small lists, like a wide
/// resource state.
fn wide_object() -> (Type, Value) {
    let mut ty = ObjectMap::new();
    let mut v = ObjectMap::new();
    for i in 0..1000 {
        let name = format!("attribute_{i:04}");
        let (t, x) = match i % 5 {
            0 => (
                Type::String,
                Value::string(format!("value of attribute {i}, with some text")),
            ),
            1 => (Type::Number, Value::Number(Number::from(i as i64 * 7919))),
            2 => (Type::Bool, Value::Bool(i % 2 == 0)),
            3 => (Type::String, Value::Null),
            _ => (
                Type::List(Box::new(Type::String)),
                Value::List(vec![
                    Value::string("a"),
                    Value::string("bb"),
                    Value::string("ccc"),
                ]),
            ),
        };
        ty.insert(name.clone(), t);
        v.insert(name, x);
    }
    (Type::Object(ty), Value::Object(v))
}

/// A list of 10 000 short strings.
fn long_list() -> (Type, Value) {
    let ty = Type::List(Box::new(Type::String));
    let v = Value::List(
        (0..10_000)
            .map(|i| Value::string(format!("element-{i}")))
            .collect(),
    );
    (ty, v)
}

fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.load(Ordering::Relaxed);
    f();
    ALLOCS.load(Ordering::Relaxed) - before
}

fn bench(c: &mut Criterion) {
    for (name, (ty, value)) in [
        ("object_1000_attributes", wide_object()),
        ("list_10000_elements", long_list()),
    ] {
        let bytes = encode_msgpack(&value, &ty).expect("encodes");
        let decode_allocs = allocations(|| {
            black_box(decode_msgpack(&bytes, &ty).expect("decodes"));
        });
        let encode_allocs = allocations(|| {
            black_box(encode_msgpack(&value, &ty).expect("encodes"));
        });
        let elements = match &value {
            Value::Object(m) => m.len(),
            Value::List(l) => l.len(),
            _ => 1,
        };
        println!(
            "ALLOCATIONS {name}: {} bytes of msgpack, decode {decode_allocs} allocations ({:.2} per element), encode {encode_allocs} ({:.2} per element)",
            bytes.len(),
            decode_allocs as f64 / elements as f64,
            encode_allocs as f64 / elements as f64,
        );
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("decode", |b| {
            b.iter(|| decode_msgpack(black_box(&bytes), &ty).expect("decodes"))
        });
        g.bench_function("encode", |b| {
            b.iter(|| encode_msgpack(black_box(&value), &ty).expect("encodes"))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
