//! What a model's declaration derives, built once per process: its schema, its block's
//! implied object type and the value of its absent group block. `Model::schema()` builds a
//! fresh schema (attributes, descriptions, validators) on every call: for a wide model (an
//! ApplicationSet has about 1,500 attributes) that is milliseconds of allocation, which a
//! resource's `read` or `plan` must not pay per call. These functions answer from a
//! process-wide table keyed by the model's type, filled on first use; each entry is leaked
//! once (a process holds a few dozen models).

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use super::Model;
use crate::tf::schema::Schema;
use crate::tf::{Type, Value};

/// Everything cached for one model type.
struct Derived {
    schema: Schema,
    ty: Type,
    absent: Value,
}

fn table() -> &'static RwLock<HashMap<TypeId, &'static Derived>> {
    static TABLE: OnceLock<RwLock<HashMap<TypeId, &'static Derived>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(HashMap::new()))
}

fn derived<M: Model>() -> &'static Derived {
    let key = TypeId::of::<M>();
    // A poisoned lock only means a panic elsewhere while holding it; the map itself is
    // always consistent (entries are inserted whole), so keep using it.
    if let Some(d) = table()
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        return d;
    }
    // Built outside the lock: building a schema may ask for a nested model's entry.
    let schema = M::schema();
    let ty = schema.block.implied_type();
    let absent = schema.block.absent_object();
    let mut map = table()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key)
        .or_insert_with(|| Box::leak(Box::new(Derived { schema, ty, absent })))
}

/// `M::schema()`, built once per process.
pub fn schema_of<M: Model>() -> &'static Schema {
    &derived::<M>().schema
}

/// The implied object type of `M`'s block, built once per process.
pub fn type_of<M: Model>() -> &'static Type {
    &derived::<M>().ty
}

/// `M`'s block absent (Terraform's value of an unset group block), built once per process.
pub fn absent_of<M: Model>() -> &'static Value {
    &derived::<M>().absent
}

/// A schema that is not a model's (e.g. a data source's, derived from a resource's), built by
/// `build` on the first call for the key type `K` and kept for the process.
pub fn schema_once<K: 'static>(build: fn() -> Schema) -> &'static Schema {
    static TABLE: OnceLock<RwLock<HashMap<TypeId, &'static Schema>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| RwLock::new(HashMap::new()));
    let key = TypeId::of::<K>();
    if let Some(s) = table
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        return s;
    }
    let schema = build();
    table
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(schema)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typed::Val;

    /// A wide model stands for the ApplicationSet: its schema is what is cached.
    #[derive(crate::typed::Model, Clone, Debug, PartialEq)]
    struct Widget {
        /// The name.
        #[tf(required)]
        name: Val<String>,
        /// A group.
        #[tf(block)]
        inner: Val<Inner>,
    }

    /// Inner group.
    #[derive(crate::typed::Model, Clone, Debug, PartialEq)]
    struct Inner {
        /// A flag.
        #[tf(optional)]
        flag: Val<bool>,
    }

    #[test]
    fn each_table_entry_is_the_models_own_and_built_once() {
        let a = schema_of::<Widget>();
        assert_eq!(*a, Widget::schema());
        assert!(
            std::ptr::eq(a, schema_of::<Widget>()),
            "the second call builds again"
        );
        assert_eq!(*type_of::<Widget>(), Widget::schema().block.implied_type());
        assert_eq!(*absent_of::<Inner>(), Inner::block().absent_object());
        assert_ne!(
            *type_of::<Inner>(),
            *type_of::<Widget>(),
            "entries are keyed by type"
        );
    }

    #[test]
    fn schema_once_is_keyed_by_its_type() {
        struct A;
        struct B;
        fn one() -> Schema {
            let mut s = Widget::schema();
            s.version = 1;
            s
        }
        fn two() -> Schema {
            let mut s = Widget::schema();
            s.version = 2;
            s
        }
        assert_eq!(schema_once::<A>(one).version, 1);
        assert_eq!(schema_once::<B>(two).version, 2);
        assert_eq!(
            schema_once::<A>(two).version,
            1,
            "built once: the first build stays"
        );
    }
}
