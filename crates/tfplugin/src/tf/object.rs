//! Objects as the schema orders them: [`ObjectMap`] holds an object's attributes (or an
//! object type's attribute types) in one contiguous vector sorted by name (cty's order, and
//! msgpack's key order), keyed by [`Name`]s that are shared, not copied: a `&'static str`
//! from a schema or model, or an `Arc<str>` taken from a [`super::Type`]'s attribute list.
//! Decoding an object clones its type's names (no allocation); a lookup is a binary search
//! over the slice, or an index read when the caller has the index.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// An attribute name: a static string or a shared one. Compares, orders and hashes as its
/// text, whatever its form; cloning never allocates.
#[derive(Clone)]
pub enum Name {
    /// A name compiled into the program (schemas, models).
    Static(&'static str),
    /// A name known at run time only (a dynamic value's type, a test's object).
    Shared(Arc<str>),
}

impl Name {
    /// The name's text.
    pub fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Shared(s) => s,
        }
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        // One schema's names are one allocation: equal pointers need no byte comparison.
        (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
    }
}
impl Eq for Name {}
impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}
impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}
impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}
impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}
impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}
impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}
impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for Name {
    fn from(s: &'static str) -> Self {
        Name::Static(s)
    }
}
impl From<String> for Name {
    fn from(s: String) -> Self {
        Name::Shared(Arc::from(s))
    }
}
impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name::Shared(Arc::from(s.as_str()))
    }
}
impl From<Arc<str>> for Name {
    fn from(s: Arc<str>) -> Self {
        Name::Shared(s)
    }
}
impl From<&Name> for Name {
    fn from(s: &Name) -> Self {
        s.clone()
    }
}
impl From<Name> for String {
    fn from(n: Name) -> Self {
        n.as_str().to_string()
    }
}
impl From<&Name> for String {
    fn from(n: &Name) -> Self {
        n.as_str().to_string()
    }
}

/// A map from attribute names to `V` (a [`super::Value`] in an object value, a
/// [`super::Type`] in an object type), kept sorted by name in one vector. The API follows
/// `BTreeMap`'s: lookups take anything that reads as a `str`, insertion anything that
/// converts into a [`Name`] (a `&'static str` and a [`Name`] without allocating).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectMap<V> {
    entries: Vec<(Name, V)>,
}

impl<V> Default for ObjectMap<V> {
    fn default() -> Self {
        ObjectMap {
            entries: Vec::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for ObjectMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<V> ObjectMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        ObjectMap {
            entries: Vec::with_capacity(n),
        }
    }
    /// A map of entries already sorted by name without duplicates (the decoders' path, which
    /// follows a type's order). Checked in debug builds.
    pub(crate) fn from_sorted(entries: Vec<(Name, V)>) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        ObjectMap { entries }
    }
    /// A map of entries with distinct names, in any order (a model's attributes): sorted
    /// in place, without the copy and merge [`FromIterator`] makes to let later duplicates
    /// win. Of two entries with one name (a bug of the caller) one is kept.
    pub fn from_unique(mut entries: Vec<(Name, V)>) -> Self {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        ObjectMap { entries }
    }
    /// The position of `name`, or where it would go.
    pub fn position(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }
    /// The value of attribute `name`.
    pub fn get<Q: AsRef<str> + ?Sized>(&self, name: &Q) -> Option<&V> {
        let i = self.position(name.as_ref()).ok()?;
        Some(&self.entries[i].1)
    }
    /// The value of attribute `name`, to change it.
    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, name: &Q) -> Option<&mut V> {
        let i = self.position(name.as_ref()).ok()?;
        Some(&mut self.entries[i].1)
    }
    /// The name and value of attribute `name`.
    pub fn get_key_value<Q: AsRef<str> + ?Sized>(&self, name: &Q) -> Option<(&Name, &V)> {
        let i = self.position(name.as_ref()).ok()?;
        let (k, v) = &self.entries[i];
        Some((k, v))
    }
    /// The entry at position `i` (in name order).
    pub fn get_index(&self, i: usize) -> Option<(&Name, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }
    /// True when the map has attribute `name`.
    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, name: &Q) -> bool {
        self.position(name.as_ref()).is_ok()
    }
    /// Sets attribute `name`, returning its previous value.
    pub fn insert(&mut self, name: impl Into<Name>, v: V) -> Option<V> {
        let name = name.into();
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, v)),
            Err(i) => {
                self.entries.insert(i, (name, v));
                None
            }
        }
    }
    /// Removes attribute `name`, returning its value.
    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, name: &Q) -> Option<V> {
        let i = self.position(name.as_ref()).ok()?;
        Some(self.entries.remove(i).1)
    }
    /// Keeps the entries `f` accepts.
    pub fn retain(&mut self, mut f: impl FnMut(&Name, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v))
    }
    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True for no attributes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Names and values, in name order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.entries.iter())
    }
    /// Names and values to change, in name order.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        IterMut(self.entries.iter_mut())
    }
    /// Names, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Name> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }
    /// Values, in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }
    /// Values to change, in name order.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
    /// The values, in name order.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
    /// The names, in order.
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = Name> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }
    /// The first entry in name order.
    pub fn first_key_value(&self) -> Option<(&Name, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }
    /// The last entry in name order.
    pub fn last_key_value(&self) -> Option<(&Name, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }
    /// The entries, sorted by name.
    pub fn as_slice(&self) -> &[(Name, V)] {
        &self.entries
    }
    /// A map with the same names and `f` of each value.
    pub fn map_values<U>(self, mut f: impl FnMut(V) -> U) -> ObjectMap<U> {
        ObjectMap {
            entries: self.entries.into_iter().map(|(k, v)| (k, f(v))).collect(),
        }
    }
    /// A map with the same (shared) names and `f` of each value, by reference.
    pub fn map_ref<U>(&self, mut f: impl FnMut(&Name, &V) -> U) -> ObjectMap<U> {
        ObjectMap {
            entries: self
                .entries
                .iter()
                .map(|(k, v)| (k.clone(), f(k, v)))
                .collect(),
        }
    }
}

impl<V: PartialOrd> PartialOrd for ObjectMap<V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.entries.partial_cmp(&other.entries)
    }
}
impl<V: Ord> Ord for ObjectMap<V> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.entries.cmp(&other.entries)
    }
}

impl<V, Q: AsRef<str> + ?Sized> std::ops::Index<&Q> for ObjectMap<V> {
    type Output = V;
    /// The value of attribute `name`. Panics when absent, like `BTreeMap`'s index.
    fn index(&self, name: &Q) -> &V {
        self.get(name)
            .expect("no attribute of that name in the object")
    }
}

impl<K: Into<Name>, V> FromIterator<(K, V)> for ObjectMap<V> {
    /// Sorted by name; of two entries with one name the later wins (as in a `BTreeMap`).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(Name, V)> = iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return ObjectMap { entries };
        }
        // Stable: equal names keep their order, and the last of each run wins.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Name, V)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        ObjectMap { entries: out }
    }
}

impl<K: Into<Name>, V, const N: usize> From<[(K, V); N]> for ObjectMap<V> {
    fn from(a: [(K, V); N]) -> Self {
        a.into_iter().collect()
    }
}

impl<K: Into<Name>, V> Extend<(K, V)> for ObjectMap<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

/// Borrowed names and values, in name order.
#[derive(Clone)]
pub struct Iter<'a, V>(std::slice::Iter<'a, (Name, V)>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Name, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}
impl<V> ExactSizeIterator for Iter<'_, V> {}

/// Names and values to change, in name order.
pub struct IterMut<'a, V>(std::slice::IterMut<'a, (Name, V)>);

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (&'a Name, &'a mut V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<V> DoubleEndedIterator for IterMut<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}
impl<V> ExactSizeIterator for IterMut<'_, V> {}

impl<'a, V> IntoIterator for &'a ObjectMap<V> {
    type Item = (&'a Name, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}
impl<'a, V> IntoIterator for &'a mut ObjectMap<V> {
    type Item = (&'a Name, &'a mut V);
    type IntoIter = IterMut<'a, V>;
    fn into_iter(self) -> IterMut<'a, V> {
        self.iter_mut()
    }
}
impl<V> IntoIterator for ObjectMap<V> {
    type Item = (Name, V);
    type IntoIter = std::vec::IntoIter<(Name, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_text_whatever_their_form() {
        let a = Name::Static("abc");
        let b = Name::from("abc".to_string());
        assert_eq!(a, b);
        assert!(matches!(b, Name::Shared(_)));
        let hash = |n: &Name| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            n.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert!(Name::Static("abd") > b);
        assert_eq!(a, "abc");
        assert_eq!(format!("{a:?} {b}"), "\"abc\" abc");
    }

    #[test]
    fn behaves_like_a_sorted_map() {
        let mut m: ObjectMap<i32> = [("b", 2), ("a", 1), ("c", 3), ("a", 10)].into();
        assert_eq!(
            m.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(m.get("a"), Some(&10), "the later of two entries wins");
        assert_eq!(m.insert("bb", 4), None);
        assert_eq!(m.insert("b", 20), Some(2));
        assert_eq!(
            m.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            [("a", 10), ("b", 20), ("bb", 4), ("c", 3)]
        );
        assert_eq!(m.position("bb"), Ok(2));
        assert_eq!(m.position("ba"), Err(2));
        assert_eq!(m.remove("a"), Some(10));
        assert_eq!(m.remove("a"), None);
        assert!(!m.contains_key("a") && m.contains_key(&"c".to_string()));
        *m.get_mut("c").unwrap() += 1;
        assert_eq!(m["c"], 4);
        assert_eq!(m.len(), 3);
        assert!(!m.is_empty() && ObjectMap::<i32>::new().is_empty());
        let owned: Vec<(Name, i32)> = m.clone().into_iter().collect();
        assert_eq!(owned[0], (Name::Static("b"), 20));
        let a: ObjectMap<i32> = [("x", 1), ("y", 2)].into();
        let b: ObjectMap<i32> = [("y".to_string(), 2), ("x".to_string(), 1)].into();
        assert_eq!(
            a, b,
            "equality is by name and value, not by the names' form"
        );
        assert!(a < [("x", 2)].into());
    }
}
