//! Schemas that are not a model's own (e.g. a data source's, derived from a resource's model)
//! built once per process, as [`super::Model::shared_schema`] does for models: an RPC path
//! must not rebuild a schema (for a wide model such as the ApplicationSet's, about 1,500
//! attributes with their descriptions) on every call.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use crate::tf::schema::Schema;

/// The schema `build` makes, built on the first call for the key type `K` and kept for the
/// process (one leaked allocation per key type). Built outside the lock: `build` may ask for
/// other shared schemas.
pub fn schema_once<K: 'static>(build: fn() -> Schema) -> &'static Schema {
    static TABLE: OnceLock<RwLock<HashMap<TypeId, &'static Schema>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| RwLock::new(HashMap::new()));
    let key = TypeId::of::<K>();
    // A poisoned lock only means a panic elsewhere while holding it; entries are inserted
    // whole, so the map stays consistent.
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
    use crate::typed::{Model, Val};

    /// Stands for a resource model a data source derives its schema from.
    #[derive(crate::typed::Model, Clone, Debug, PartialEq)]
    struct Widget {
        /// The name.
        #[tf(required)]
        name: Val<String>,
    }

    #[test]
    fn schema_once_is_keyed_by_its_type_and_built_once() {
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
        let a = schema_once::<A>(one);
        assert_eq!(a.version, 1);
        assert_eq!(schema_once::<B>(two).version, 2);
        let again = schema_once::<A>(two);
        assert_eq!(again.version, 1, "built once: the first build stays");
        assert!(std::ptr::eq(a, again));
    }

    #[test]
    fn a_models_shared_schema_is_its_schema_built_once() {
        assert_eq!(*Widget::shared_schema(), Widget::schema());
        assert!(std::ptr::eq(
            Widget::shared_schema(),
            Widget::shared_schema()
        ));
        assert_eq!(
            *Widget::shared_type(),
            Widget::schema().block.implied_type()
        );
    }
}
