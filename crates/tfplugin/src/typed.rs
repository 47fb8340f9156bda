//! Typed models: a resource declares its model once, as a Rust struct with
//! `#[derive(Model)]`, and gets the schema, the conversion to and from Terraform values
//! (null, unknown or known per attribute; errors with attribute paths) and the docs from it.
//! A misspelled attribute is a compile error, and mapping to an API model is plain Rust.
//!
//! ```ignore
//! /// A widget.
//! #[derive(Model, Clone, Debug, PartialEq)]
//! #[tf(version = 0)]
//! pub struct Widget {
//!     /// Import ID.
//!     #[tf(computed, keep_prior)]
//!     pub id: Val<String>,
//!     /// Name, unique per account.
//!     #[tf(required, requires_replace, pattern("[a-z]+", "lowercase letters"))]
//!     pub name: Val<String>,
//!     /// Sources, in order.
//!     #[tf(optional, nested)]
//!     pub sources: Val<Vec<Source>>,
//!     /// How long operations may take.
//!     #[tf(block)]
//!     pub timeouts: Val<Timeouts>,
//! }
//! ```
//!
//! Field types are `Val<T>` where `T` is a [`TfType`]: `String`, `bool`, `i64`, `f64`,
//! [`Number`], `Vec<T>` (list), [`Set<T>`] (set), `BTreeMap<String, T>` (map), or another
//! model (object). With `nested` (nested attributes) or `block` (nested blocks) the nesting
//! mode follows the type: a model is single (`block(group)` for a group block), `Vec` list,
//! `Set` set, `BTreeMap` map. A secret the API returns masked is one `#[tf(secret)]` field of
//! type [`Secret`]: it declares `x`, `x_wo` and `x_wo_version` (see [`Model::secrets`]).
//!
//! [`ModelResource`] is the resource trait over models; [`resource`] adapts it to the untyped
//! trait the server uses; [`ModelEphemeral`] and [`ephemeral`] do the same for ephemeral
//! resources. (Data sources implement the untyped `DataSource` directly: their
//! schema is usually derived from a resource's, not a model of its own.)

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::ctx::Ctx;
use crate::resource::{EphemeralResource, Opened, Operation, PlanRequest, Renewed, Resource};
use crate::tf::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::tf::{AttributePath, Diagnostic, Diagnostics, Number, Severity, Type, Value};

pub use tfplugin_derive::Model;

mod cache;
mod secret;
pub use cache::schema_once;
pub use secret::{secrets_to_resend, Secret, SecretNames};

/// A Terraform value of type `T`: null, unknown (only in plans and configuration) or known.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Val<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Val<T> {
    /// The value, if known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Val::Known(v) => Some(v),
            _ => None,
        }
    }
    /// The value, if known (owned).
    pub fn into_known(self) -> Option<T> {
        match self {
            Val::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown)
    }
    pub fn is_known(&self) -> bool {
        matches!(self, Val::Known(_))
    }
    /// `Known` for `Some`, `Null` for `None`.
    pub fn from_option(v: Option<T>) -> Self {
        v.map_or(Val::Null, Val::Known)
    }
    /// Maps a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Null => Val::Null,
            Val::Unknown => Val::Unknown,
            Val::Known(v) => Val::Known(f(v)),
        }
    }
    /// A borrowed view.
    pub fn as_ref(&self) -> Val<&T> {
        match self {
            Val::Null => Val::Null,
            Val::Unknown => Val::Unknown,
            Val::Known(v) => Val::Known(v),
        }
    }
    /// This value, or `other` when this is null (unknown stays unknown).
    pub fn or(self, other: Val<T>) -> Val<T> {
        match self {
            Val::Null => other,
            v => v,
        }
    }
}

impl Val<String> {
    /// The string, if known.
    pub fn as_deref(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
    /// The string if known and not empty.
    pub fn non_empty(&self) -> Option<&str> {
        self.as_deref().filter(|s| !s.is_empty())
    }
}

impl Val<bool> {
    /// The bool if known, else `default`.
    pub fn unwrap_or(&self, default: bool) -> bool {
        self.known().copied().unwrap_or(default)
    }
}

impl<T> From<T> for Val<T> {
    fn from(v: T) -> Self {
        Val::Known(v)
    }
}

impl From<&str> for Val<String> {
    fn from(v: &str) -> Self {
        Val::Known(v.to_string())
    }
}

/// A set: order carries no meaning (equality ignores it).
#[derive(Clone, Debug, Default)]
pub struct Set<T>(pub Vec<T>);

impl<T: PartialEq> PartialEq for Set<T> {
    fn eq(&self, other: &Self) -> bool {
        if self.0.len() != other.0.len() {
            return false;
        }
        let mut used = vec![false; other.0.len()];
        self.0.iter().all(|x| {
            match other
                .0
                .iter()
                .enumerate()
                .find(|(i, y)| !used[*i] && x == *y)
            {
                Some((i, _)) => {
                    used[i] = true;
                    true
                }
                None => false,
            }
        })
    }
}

impl<T> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Set(iter.into_iter().collect())
    }
}

/// Why a value did not convert.
#[derive(Clone, Debug, PartialEq)]
pub enum ConvError {
    /// A collection holds an unknown element: the typed view of it is `Val::Unknown` as a
    /// whole (the untyped value keeps the detail).
    UnknownInside,
    /// The value does not fit the Rust type.
    Invalid(Diagnostic),
}

fn conversion_error(path: &Path<'_>, detail: String) -> ConvError {
    ConvError::Invalid(Diagnostic {
        severity: Severity::Error,
        summary: "Invalid Attribute Value".into(),
        detail,
        path: Some(path.to_path()),
    })
}

/// Where a conversion is: a chain of steps on the stack, made into an [`AttributePath`] only
/// for an error (a conversion that succeeds allocates no path).
#[derive(Clone, Copy, Debug)]
pub enum Path<'a> {
    /// The object converted.
    Root,
    /// An attribute of the parent.
    Attr(&'a Path<'a>, &'a str),
    /// A map key of the parent.
    Key(&'a Path<'a>, &'a str),
    /// A list index of the parent.
    Index(&'a Path<'a>, i64),
}

impl<'a> Path<'a> {
    /// The attribute `name` below this path.
    pub fn attr(&'a self, name: &'a str) -> Path<'a> {
        Path::Attr(self, name)
    }
    /// The map key `key` below this path.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }
    /// The list index `i` below this path.
    pub fn index(&'a self, i: i64) -> Path<'a> {
        Path::Index(self, i)
    }
    /// The path as diagnostics carry it.
    pub fn to_path(&self) -> AttributePath {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            at = match at {
                Path::Root => break,
                Path::Attr(p, a) => {
                    steps.push(crate::tf::PathStep::Attr(a.to_string()));
                    p
                }
                Path::Key(p, k) => {
                    steps.push(crate::tf::PathStep::Key(k.to_string()));
                    p
                }
                Path::Index(p, i) => {
                    steps.push(crate::tf::PathStep::Index(*i));
                    p
                }
            };
        }
        steps.reverse();
        AttributePath(steps)
    }
}

/// A Rust type that converts to and from a Terraform value of one type.
pub trait TfType: Sized {
    /// The Terraform type.
    fn ty() -> Type;
    /// Converts a known, non-null value (unknowns may sit inside collections only for
    /// types that hold [`Val`]s).
    ///
    /// # Errors
    /// A diagnostic at `path` when the value does not fit the Rust type.
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError>;
    /// The Terraform value.
    fn to_value(&self) -> Value;
}

impl TfType for String {
    fn ty() -> Type {
        Type::String
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| conversion_error(path, "expected a string".into()))
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl TfType for bool {
    fn ty() -> Type {
        Type::Bool
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        v.as_bool()
            .ok_or_else(|| conversion_error(path, "expected a bool".into()))
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl TfType for i64 {
    fn ty() -> Type {
        Type::Number
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        match v.as_number() {
            Some(n) => n.as_i64().ok_or_else(|| {
                conversion_error(
                    path,
                    format!("{n} is not a whole number that fits in 64 bits"),
                )
            }),
            None => Err(conversion_error(path, "expected a number".into())),
        }
    }
    fn to_value(&self) -> Value {
        Value::Number(Number::from(*self))
    }
}

impl TfType for f64 {
    fn ty() -> Type {
        Type::Number
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        v.as_number()
            .map(Number::as_f64)
            .ok_or_else(|| conversion_error(path, "expected a number".into()))
    }
    fn to_value(&self) -> Value {
        Number::from_f64_shortest(*self).map_or(Value::Null, Value::Number)
    }
}

impl TfType for Number {
    fn ty() -> Type {
        Type::Number
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        v.as_number()
            .cloned()
            .ok_or_else(|| conversion_error(path, "expected a number".into()))
    }
    fn to_value(&self) -> Value {
        Value::Number(self.clone())
    }
}

impl<T: TfType> TfType for Val<T> {
    fn ty() -> Type {
        T::ty()
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        match v {
            Value::Null => Ok(Val::Null),
            Value::Unknown(_) => Ok(Val::Unknown),
            v => match T::from_value(v, path) {
                Ok(x) => Ok(Val::Known(x)),
                Err(ConvError::UnknownInside) => Ok(Val::Unknown),
                Err(e) => Err(e),
            },
        }
    }
    fn to_value(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Unknown => Value::unknown(),
            Val::Known(v) => v.to_value(),
        }
    }
}

impl<T: TfType> TfType for Vec<T> {
    fn ty() -> Type {
        Type::List(Box::new(T::ty()))
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        match v {
            Value::List(items) | Value::Tuple(items) => items
                .iter()
                .enumerate()
                .map(|(i, x)| element(x, &path.index(i as i64)))
                .collect(),
            _ => Err(conversion_error(path, "expected a list".into())),
        }
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(TfType::to_value).collect())
    }
}

impl<T: TfType> TfType for Set<T> {
    fn ty() -> Type {
        Type::Set(Box::new(T::ty()))
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        match v {
            Value::Set(items) | Value::List(items) => items
                .iter()
                .map(|x| element(x, path))
                .collect::<Result<Vec<_>, _>>()
                .map(Set),
            _ => Err(conversion_error(path, "expected a set".into())),
        }
    }
    fn to_value(&self) -> Value {
        Value::Set(self.0.iter().map(TfType::to_value).collect())
    }
}

impl<T: TfType> TfType for BTreeMap<String, T> {
    fn ty() -> Type {
        Type::Map(Box::new(T::ty()))
    }
    fn from_value(v: &Value, path: &Path<'_>) -> Result<Self, ConvError> {
        match v {
            Value::Map(m) => m
                .iter()
                .map(|(k, x)| element(x, &path.key(k)).map(|x| (k.clone(), x)))
                .collect(),
            Value::Object(m) => m
                .iter()
                .map(|(k, x)| element(x, &path.key(k)).map(|x| (k.to_string(), x)))
                .collect(),
            _ => Err(conversion_error(path, "expected a map".into())),
        }
    }
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

/// A collection element. An unknown element makes the whole collection unknown in the typed
/// view ([`ConvError::UnknownInside`]).
fn element<T: TfType>(v: &Value, path: &Path<'_>) -> Result<T, ConvError> {
    match v {
        Value::Unknown(_) => Err(ConvError::UnknownInside),
        v => T::from_value(v, path),
    }
}

/// A model: a struct whose fields are attributes (and nested blocks) of a Terraform object.
/// Implemented by `#[derive(Model)]`.
pub trait Model: TfType + Clone + Send + Sync + 'static {
    /// The struct's doc comment.
    const DESCRIPTION: &'static str;
    /// `#[tf(version = N)]`, 0 by default (used when the model is a resource's schema).
    const VERSION: i64;
    /// The attributes, in declaration order.
    fn attributes() -> Vec<Attribute>;
    /// The nested block types, in declaration order.
    fn blocks() -> Vec<NestedBlock>;
    /// The names of the `#[tf(secret)]` fields' attributes (flattened ones included), in
    /// declaration order.
    fn secret_names() -> Vec<SecretNames> {
        Vec::new()
    }
    /// The `#[tf(secret)]` fields with their names, in declaration order.
    fn secrets(&self) -> Vec<(SecretNames, &Secret)> {
        Vec::new()
    }
    /// The `#[tf(secret)]` fields with their names, to change them.
    fn secrets_mut(&mut self) -> Vec<(SecretNames, &mut Secret)> {
        Vec::new()
    }
    /// The secret whose plain attribute is `name`.
    fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets()
            .into_iter()
            .find(|(n, _)| n.value == name)
            .map(|(_, s)| s)
    }
    /// The block this model describes.
    fn block() -> Block {
        Block {
            attributes: Self::attributes(),
            blocks: Self::blocks(),
            description: Self::DESCRIPTION.to_string(),
            deprecated: false,
        }
    }
    /// The schema of a resource or data source with this model.
    fn schema() -> Schema {
        Schema {
            version: Self::VERSION,
            block: Self::block(),
        }
    }
    /// [`Model::schema`], built once per process and shared: for code that needs the schema
    /// on every call (a read that normalises its answer), which must not rebuild it.
    fn shared_schema() -> &'static Schema {
        shared::<Self>().0
    }
    /// The object type of [`Model::schema`], built once per process.
    fn shared_type() -> &'static Type {
        shared::<Self>().1
    }
    /// Converts a whole object (state, plan or configuration).
    ///
    /// # Errors
    /// A diagnostic with the path of a value that does not fit.
    fn from_object(v: &Value) -> Result<Self, Diagnostic> {
        match Self::from_value(v, &Path::Root) {
            Ok(m) => Ok(m),
            Err(ConvError::Invalid(d)) => Err(d),
            Err(ConvError::UnknownInside) => Err(Diagnostic {
                severity: Severity::Error,
                summary: "Invalid Attribute Value".into(),
                detail: "the object is not known yet".into(),
                path: None,
            }),
        }
    }
}

/// Each model's schema and object type, built on first use and kept for the process (one
/// leaked allocation per model type).
fn shared<M: Model>() -> (&'static Schema, &'static Type) {
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::sync::{OnceLock, RwLock};
    type Table = HashMap<TypeId, (&'static Schema, &'static Type)>;
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let id = TypeId::of::<M>();
    if let Some(hit) = table.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return *hit;
    }
    // Built without the lock held: a model's schema asks for its nested models' types. Two
    // threads may both build one; the first stored is kept (the other leaks, once).
    let schema: &'static Schema = Box::leak(Box::new(M::schema()));
    let ty: &'static Type = Box::leak(Box::new(schema.ty()));
    *table
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id)
        .or_insert((schema, ty))
}

/// How a field type nests its model in a nested attribute or block. Implemented by the
/// derive for each model (single) and here for `Vec`, [`Set`] and `BTreeMap` of models.
pub trait NestedType {
    /// The element model.
    type Elem: Model;
    /// The nesting mode this type implies.
    const NESTING: Nesting;
}

impl<M: Model> NestedType for Vec<M> {
    type Elem = M;
    const NESTING: Nesting = Nesting::List;
}

impl<M: Model> NestedType for Set<M> {
    type Elem = M;
    const NESTING: Nesting = Nesting::Set;
}

impl<M: Model> NestedType for BTreeMap<String, M> {
    type Elem = M;
    const NESTING: Nesting = Nesting::Map;
}

/// Support for the derive's generated code; not for hand-written use.
#[doc(hidden)]
pub mod __private {
    pub use super::{ConvError, Path, Secret, SecretNames};
    pub use crate::tf::schema::{
        AttrKind, Attribute, Block, Constraint, Equivalence, NestedBlock, Nesting, NullMeans,
        ReplaceIf,
    };
    pub use crate::tf::validator::{CustomCheck, Validator};
    pub use crate::tf::{AttributePath, Name, ObjectMap, Type, Value};
    pub use std::collections::BTreeMap;
    pub use std::string::String;
    pub use std::vec::Vec;

    use super::{Model, NestedType, TfType, Val};

    /// A field of a model object: missing means null.
    pub fn field<T: TfType>(
        obj: &ObjectMap<Value>,
        name: &str,
        path: &Path<'_>,
    ) -> Result<Val<T>, ConvError> {
        <Val<T> as TfType>::from_value(obj.get(name).unwrap_or(&Value::Null), &path.attr(name))
    }

    /// A block field: Terraform's representation of an absent block (an empty collection, or
    /// for single blocks null) reads as `Val::Null`; a group block is always an object.
    pub fn block_field<T: TfType + NestedType>(
        obj: &ObjectMap<Value>,
        name: &str,
        path: &Path<'_>,
        nesting: Nesting,
    ) -> Result<Val<T>, ConvError> {
        let v = obj.get(name).unwrap_or(&Value::Null);
        let empty = match v {
            Value::List(i) | Value::Set(i) => i.is_empty() && nesting != Nesting::Group,
            Value::Map(m) => m.is_empty(),
            _ => false,
        };
        if empty {
            return Ok(Val::Null);
        }
        <Val<T> as TfType>::from_value(v, &path.attr(name))
    }

    /// The value of a block field, absent blocks as Terraform represents them.
    pub fn block_value<T: TfType + NestedType>(v: &Val<T>, nesting: Nesting) -> Value {
        match (v, nesting) {
            (Val::Null, Nesting::Single) => Value::Null,
            (Val::Null, Nesting::Group) => <T as NestedType>::Elem::shared_schema()
                .block
                .absent_object(),
            (Val::Null, Nesting::List) => Value::List(Vec::new()),
            (Val::Null, Nesting::Set) => Value::Set(Vec::new()),
            (Val::Null, Nesting::Map) => Value::Map(BTreeMap::new()),
            (v, _) => v.to_value(),
        }
    }

    /// The object type of a model's block.
    pub fn object_type<M: Model>() -> Type {
        M::shared_type().clone()
    }

    /// A field's default: the expression converts into the field's type `T` (a default of
    /// another type does not compile), then into a value.
    pub fn default_value<T: TfType>(v: impl Into<T>) -> Value {
        v.into().to_value()
    }

    /// `a == b` in a `const fn` (the derive's compile-time check of sibling names).
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Expects a known object.
    pub fn object<'v>(v: &'v Value, path: &Path<'_>) -> Result<&'v ObjectMap<Value>, ConvError> {
        v.as_object()
            .ok_or_else(|| super::conversion_error(path, "expected an object".into()))
    }
}

/// The plan as a typed resource hook sees it.
pub struct TypedPlan<'a, M, D> {
    /// `None` on create.
    pub prior: Option<&'a M>,
    pub config: &'a M,
    /// Provider data once configured (its own fields may be unknown).
    pub provider: Option<&'a D>,
    /// The private state planned for apply (the prior one unless the hook sets entries).
    pub private: &'a std::sync::Mutex<crate::ctx::Private>,
}

impl<M, D> TypedPlan<'_, M, D> {
    /// The planned private state entry `key` (from the prior private state unless set).
    pub fn private_get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
    }
    /// Sets (or removes) a private state entry of the plan; apply's context starts from it.
    pub fn private_set<T: serde::Serialize>(&self, key: &str, value: Option<&T>) {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set(key, value)
    }
}

/// A managed resource over a typed model. Adapt it with [`resource`].
#[async_trait]
pub trait ModelResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;
    /// The full type name, e.g. `acme_widget`.
    fn type_name(&self) -> &'static str;
    /// The schema; by default the model's.
    fn schema(&self) -> Schema {
        Self::Model::schema()
    }
    /// Checks beyond the declarative validators. Unknown values pass.
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}
    /// Adjusts the plan after the generic pipeline; see [`Resource::modify_plan`].
    fn modify_plan(
        &self,
        _req: &TypedPlan<'_, Self::Model, D>,
        _planned: &mut Self::Model,
        _replace: &mut Vec<AttributePath>,
        _diags: &mut Diagnostics,
    ) {
    }
    /// Remote checks of a create (`prior` is `None`) or update plan; see
    /// [`Resource::check_plan`]. Only adds diagnostics; a check that cannot be made passes.
    async fn check_plan(
        &self,
        _ctx: &Ctx<D>,
        _prior: Option<&Self::Model>,
        _planned: &Self::Model,
        _diags: &mut Diagnostics,
    ) {
    }
    /// The deadline of `op` when the configuration sets none.
    fn default_timeout(&self, _op: Operation) -> Duration {
        Duration::from_secs(20 * 60)
    }
    async fn create(
        &self,
        ctx: &Ctx<D>,
        planned: &Self::Model,
        config: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
    async fn read(
        &self,
        ctx: &Ctx<D>,
        current: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Self::Model,
        planned: &Self::Model,
        config: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
    async fn delete(&self, ctx: &Ctx<D>, prior: &Self::Model, diags: &mut Diagnostics);
    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Self::Model>;
    /// See [`Resource::upgrade`].
    fn upgrade(
        &self,
        from: i64,
        _state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        diags.error(
            "Unsupported State Version",
            format!(
                "{} has no upgrade from schema version {from}; this is a bug in the provider.",
                self.type_name()
            ),
        );
        None
    }
}

/// Adapts a [`ModelResource`] to the untyped [`Resource`] the server registers.
pub fn resource<D: Send + Sync + 'static, R: ModelResource<D>>(r: R) -> Arc<dyn Resource<D>> {
    Arc::new(Adapted(r, PhantomData))
}

struct Adapted<R, D>(R, PhantomData<fn() -> D>);

/// Converts a value Terraform sent; `user` says whether a failure is the user's (a
/// configuration value that does not fit) or a provider bug (a state or plan that does not).
fn decode<M: Model>(v: &Value, user: bool, diags: &mut Diagnostics) -> Option<M> {
    match M::from_object(v) {
        Ok(m) => Some(m),
        Err(d) if user => {
            diags.0.push(d);
            None
        }
        Err(d) => {
            let at = d.path.map(|p| format!(" at `{p}`")).unwrap_or_default();
            diags.bug(format!(
                "a stored or planned value does not fit the model{at}: {}",
                d.detail
            ));
            None
        }
    }
}

/// Applies the difference between `before` and `after` (two typed views of one value) to
/// `planned` (the detailed value `before` was made from), descending through objects, lists
/// of one length and maps of one key set, so only the values that changed are replaced.
fn write_back(before: &Value, after: &Value, planned: &mut Value) {
    if before == after {
        return;
    }
    match (before, after, &mut *planned) {
        (Value::Object(b), Value::Object(a), Value::Object(p)) => {
            for (k, av) in a {
                let bv = b.get(k).unwrap_or(&Value::Null);
                if bv == av {
                    continue;
                }
                match p.get_mut(k) {
                    Some(pv) => write_back(bv, av, pv),
                    None => {
                        p.insert(k.clone(), av.clone());
                    }
                }
            }
        }
        (Value::List(b), Value::List(a), Value::List(p))
            if b.len() == a.len() && p.len() == a.len() =>
        {
            for ((bv, av), pv) in b.iter().zip(a).zip(p.iter_mut()) {
                write_back(bv, av, pv);
            }
        }
        (Value::Map(b), Value::Map(a), Value::Map(p))
            if b.keys().eq(a.keys()) && p.keys().eq(a.keys()) =>
        {
            for ((bv, av), pv) in b.values().zip(a.values()).zip(p.values_mut()) {
                write_back(bv, av, pv);
            }
        }
        // Sets (elements have no stable position), changed shapes and leaves: the hook's
        // value as a whole.
        _ => *planned = after.clone(),
    }
}

#[async_trait]
impl<D: Send + Sync + 'static, R: ModelResource<D>> Resource<D> for Adapted<R, D> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn schema(&self) -> Schema {
        self.0.schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(c) = decode::<R::Model>(config, true, diags) {
            self.0.validate(&c, diags);
        }
    }
    fn modify_plan(
        &self,
        req: &PlanRequest<'_, D>,
        planned: &mut Value,
        replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        let prior = if req.prior.is_null() {
            None
        } else {
            match decode::<R::Model>(req.prior, false, diags) {
                Some(p) => Some(p),
                None => return,
            }
        };
        let (Some(config), Some(mut model)) = (
            decode::<R::Model>(req.config, true, diags),
            decode::<R::Model>(planned, false, diags),
        ) else {
            return;
        };
        let typed = TypedPlan {
            prior: prior.as_ref(),
            config: &config,
            provider: req.provider,
            private: req.private,
        };
        let before = model.to_value();
        self.0.modify_plan(&typed, &mut model, replace, diags);
        let after = model.to_value();
        // Write back only what the hook changed, at the deepest path where it changed: the
        // typed view of a collection holding unknown elements is unknown as a whole, and an
        // unknown's refinements are not in the typed view; neither may replace the detail
        // of values the hook left alone.
        write_back(&before, &after, planned);
    }
    async fn check_plan(
        &self,
        ctx: &Ctx<D>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) {
        // Both decoded for modify_plan already; a failure here was reported there.
        let mut quiet = Diagnostics::new();
        let prior = if prior.is_null() {
            None
        } else {
            match decode::<R::Model>(prior, false, &mut quiet) {
                Some(p) => Some(p),
                None => return,
            }
        };
        if let Some(planned) = decode::<R::Model>(planned, false, &mut quiet) {
            self.0
                .check_plan(ctx, prior.as_ref(), &planned, diags)
                .await;
        }
    }
    fn default_timeout(&self, op: Operation) -> Duration {
        self.0.default_timeout(op)
    }
    async fn create(
        &self,
        ctx: &Ctx<D>,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let p = decode::<R::Model>(planned, false, diags)?;
        let c = decode::<R::Model>(config, true, diags)?;
        self.0
            .create(ctx, &p, &c, diags)
            .await
            .map(|m| m.to_value())
    }
    async fn read(&self, ctx: &Ctx<D>, current: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let m = decode::<R::Model>(current, false, diags)?;
        self.0.read(ctx, &m, diags).await.map(|m| m.to_value())
    }
    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let pr = decode::<R::Model>(prior, false, diags)?;
        let p = decode::<R::Model>(planned, false, diags)?;
        let c = decode::<R::Model>(config, true, diags)?;
        self.0
            .update(ctx, &pr, &p, &c, diags)
            .await
            .map(|m| m.to_value())
    }
    async fn delete(&self, ctx: &Ctx<D>, prior: &Value, diags: &mut Diagnostics) {
        if let Some(m) = decode::<R::Model>(prior, false, diags) {
            self.0.delete(ctx, &m, diags).await
        }
    }
    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        self.0.import(ctx, id, diags).await.map(|m| m.to_value())
    }
    fn upgrade(
        &self,
        from: i64,
        state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        self.0.upgrade(from, state, diags)
    }
}

/// What [`ModelEphemeral::open`] produced: the typed result, private bytes for renew and
/// close, and when to renew.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedModel<M> {
    /// The configured values as configured, computed values filled; wholly known.
    pub result: M,
    /// See [`Opened::private`].
    pub private: Option<Vec<u8>>,
    /// See [`Opened::renew_at`].
    pub renew_at: Option<SystemTime>,
}

impl<M> OpenedModel<M> {
    /// A result that needs no renewal and no private bytes.
    pub fn new(result: M) -> Self {
        OpenedModel {
            result,
            private: None,
            renew_at: None,
        }
    }
}

/// An ephemeral resource over a typed model. Adapt it with [`ephemeral`]. See
/// [`EphemeralResource`] for when Terraform calls what.
#[async_trait]
pub trait ModelEphemeral<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The model of the configuration and of the result.
    type Model: Model;
    /// The full type name, e.g. `acme_token`.
    fn type_name(&self) -> &'static str;
    /// The schema; by default the model's.
    fn schema(&self) -> Schema {
        Self::Model::schema()
    }
    /// Checks beyond the declarative validators. Unknown values pass.
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}
    /// The deadline of each open, renew and close call.
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(5 * 60)
    }
    /// Opens the object for a wholly known configuration (start the result from `config`).
    async fn open(
        &self,
        ctx: &Ctx<D>,
        config: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<OpenedModel<Self::Model>>;
    /// See [`EphemeralResource::renew`]; the default renews nothing.
    async fn renew(
        &self,
        _ctx: &Ctx<D>,
        _private: Option<&[u8]>,
        _diags: &mut Diagnostics,
    ) -> Option<Renewed> {
        None
    }
    /// See [`EphemeralResource::close`]; the default does nothing.
    async fn close(&self, _ctx: &Ctx<D>, _private: Option<&[u8]>, _diags: &mut Diagnostics) {}
}

/// Adapts a [`ModelEphemeral`] to the untyped [`EphemeralResource`] the server registers.
pub fn ephemeral<D: Send + Sync + 'static, R: ModelEphemeral<D>>(
    r: R,
) -> Arc<dyn EphemeralResource<D>> {
    Arc::new(AdaptedEphemeral(r, PhantomData))
}

struct AdaptedEphemeral<R, D>(R, PhantomData<fn() -> D>);

#[async_trait]
impl<D: Send + Sync + 'static, R: ModelEphemeral<D>> EphemeralResource<D>
    for AdaptedEphemeral<R, D>
{
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn schema(&self) -> Schema {
        self.0.schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(c) = decode::<R::Model>(config, true, diags) {
            self.0.validate(&c, diags);
        }
    }
    fn default_timeout(&self) -> Duration {
        self.0.default_timeout()
    }
    async fn open(&self, ctx: &Ctx<D>, config: &Value, diags: &mut Diagnostics) -> Option<Opened> {
        let c = decode::<R::Model>(config, true, diags)?;
        let o = self.0.open(ctx, c, diags).await?;
        Some(Opened {
            result: o.result.to_value(),
            private: o.private,
            renew_at: o.renew_at,
        })
    }
    async fn renew(
        &self,
        ctx: &Ctx<D>,
        private: Option<&[u8]>,
        diags: &mut Diagnostics,
    ) -> Option<Renewed> {
        self.0.renew(ctx, private, diags).await
    }
    async fn close(&self, ctx: &Ctx<D>, private: Option<&[u8]>, diags: &mut Diagnostics) {
        self.0.close(ctx, private, diags).await
    }
}

/// The `timeouts` block users know from other providers (`timeouts { create = "10m" }`):
/// declare it in a model as `#[tf(block)] pub timeouts: Val<Timeouts>`. The server reads it
/// for each operation's deadline; unset values use the resource's
/// [`ModelResource::default_timeout`].
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Timeouts {
    /// How long a create may take, including waiting for readiness, e.g. `"10m"`.
    #[tf(optional, duration)]
    pub create: Val<String>,
    /// How long a refresh may take, e.g. `"2m"`.
    #[tf(optional, duration)]
    pub read: Val<String>,
    /// How long an update may take, including waiting for readiness, e.g. `"10m"`.
    #[tf(optional, duration)]
    pub update: Val<String>,
    /// How long a destroy may take, including waiting for the object to be gone, e.g. `"10m"`.
    #[tf(optional, duration)]
    pub delete: Val<String>,
}
