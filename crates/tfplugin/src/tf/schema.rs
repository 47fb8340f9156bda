//! Schemas: what a provider, resource or data source accepts, and how the plan pipeline
//! treats each attribute. Converted to protobuf by `server::convert`.

use std::collections::BTreeMap;

use super::object::{Name, ObjectMap};
use super::ty::Type;
use super::validator::Validator;
use super::value::Value;

/// Semantic equality of two known values of one attribute (e.g. two JSON texts that differ
/// only in formatting; for a nested attribute, two whole objects, lists, sets or maps). When the configuration equals the prior value by this test, the
/// plan keeps the prior value, so reformatting is no diff. Compared by name.
#[derive(Clone, Copy, Debug)]
pub struct Equivalence {
    pub name: &'static str,
    pub eq: fn(&Value, &Value) -> bool,
}

impl PartialEq for Equivalence {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// What a null value of an attribute means: `means(v)` says whether the known, non-null `v`
/// means the same as null (an unset revision read back as `HEAD`, a missing limit that is
/// 10, an empty map). Reads keep a prior null the API answers with such a value, and a
/// prior such value the API answers with null ([`crate::plan::normalize_read`]), at any
/// depth. Terraform requires the plan of a configured attribute to be its configuration,
/// so the plan does not use it. Compared by name.
#[derive(Clone, Copy, Debug)]
pub struct NullMeans {
    pub name: &'static str,
    pub means: fn(&Value) -> bool,
}

impl PartialEq for NullMeans {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// A conditional `requires_replace` (the plugin framework's RequiresReplaceIf): decides
/// from the prior value, the planned value and the configuration value of one attribute
/// whether its change needs a new object. Asked only on update, when prior and planned
/// differ; at any depth. Inside a set element the set, the nearest addressable path, is what
/// gets replaced; and since set elements have no identity, a changed set element is a new
/// one: the check sees a null prior. Compared by name.
#[derive(Clone, Copy, Debug)]
pub struct ReplaceIf {
    pub name: &'static str,
    /// `(prior, planned, config)`.
    pub check: fn(&Value, &Value, &Value) -> bool,
}

impl PartialEq for ReplaceIf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Exactly one of Terraform's allowed flag combinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

impl Constraint {
    pub fn is_computed(self) -> bool {
        matches!(self, Constraint::Computed | Constraint::OptionalComputed)
    }
    pub fn is_configurable(self) -> bool {
        !matches!(self, Constraint::Computed)
    }
}

/// How nested attributes or blocks repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    /// Blocks only: like Single but never null.
    Group,
}

/// What an attribute holds: a plain type, or nested attributes (protocol 6).
#[derive(Clone, Debug, PartialEq)]
pub enum AttrKind {
    Typed(Type),
    Nested {
        nesting: Nesting,
        attributes: Vec<Attribute>,
    },
}

/// One attribute and its plan behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Shared with the object types and values made from this schema.
    pub name: Name,
    pub kind: AttrKind,
    pub constraint: Constraint,
    pub sensitive: bool,
    /// Never stored in plan or state (Terraform >= 1.11).
    pub write_only: bool,
    /// Markdown; becomes the documentation.
    pub description: String,
    /// Deprecation message; `Some` marks the attribute deprecated.
    pub deprecation: Option<String>,
    /// Planned when the configuration leaves the attribute null (optional+computed only).
    pub default: Option<Value>,
    /// A change of this attribute destroys and re-creates the object.
    pub requires_replace: bool,
    /// A change of this attribute destroys and re-creates the object when this says so.
    pub requires_replace_if: Option<ReplaceIf>,
    /// Computed and unconfigured: keep the prior state's value on update instead of planning
    /// unknown (the framework's UseStateForUnknown).
    pub keep_prior: bool,
    /// Checks of the configured value, run by the framework (they wait while it is unknown).
    pub validators: Vec<Validator>,
    /// Semantic equality; see [`Equivalence`].
    pub equivalence: Option<Equivalence>,
    /// What null means; see [`NullMeans`].
    pub null_means: Option<NullMeans>,
}

impl Attribute {
    fn new(name: impl Into<Name>, kind: AttrKind) -> Self {
        Attribute {
            name: name.into(),
            kind,
            constraint: Constraint::Optional,
            sensitive: false,
            write_only: false,
            description: String::new(),
            deprecation: None,
            default: None,
            requires_replace: false,
            requires_replace_if: None,
            keep_prior: false,
            validators: Vec::new(),
            equivalence: None,
            null_means: None,
        }
    }
    pub fn string(name: impl Into<Name>) -> Self {
        Self::new(name, AttrKind::Typed(Type::String))
    }
    pub fn bool(name: impl Into<Name>) -> Self {
        Self::new(name, AttrKind::Typed(Type::Bool))
    }
    pub fn number(name: impl Into<Name>) -> Self {
        Self::new(name, AttrKind::Typed(Type::Number))
    }
    pub fn typed(name: impl Into<Name>, ty: Type) -> Self {
        Self::new(name, AttrKind::Typed(ty))
    }
    pub fn nested(name: impl Into<Name>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self::new(
            name,
            AttrKind::Nested {
                nesting,
                attributes,
            },
        )
    }
    pub fn required(mut self) -> Self {
        self.constraint = Constraint::Required;
        self
    }
    pub fn optional(mut self) -> Self {
        self.constraint = Constraint::Optional;
        self
    }
    pub fn computed(mut self) -> Self {
        self.constraint = Constraint::Computed;
        self
    }
    pub fn optional_computed(mut self) -> Self {
        self.constraint = Constraint::OptionalComputed;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }
    pub fn deprecated(mut self, msg: &str) -> Self {
        self.deprecation = Some(msg.to_string());
        self
    }
    /// Sets a default; makes the attribute optional+computed, as Terraform requires.
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        self.constraint = Constraint::OptionalComputed;
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    /// Replacement when `r` says a change needs it; see [`ReplaceIf`].
    pub fn requires_replace_if(mut self, r: ReplaceIf) -> Self {
        self.requires_replace_if = Some(r);
        self
    }
    pub fn keep_prior(mut self) -> Self {
        self.keep_prior = true;
        self
    }
    /// Adds a validator.
    pub fn validate(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }
    /// Sets the semantic equality used by the plan and by reads.
    pub fn equivalence(mut self, eq: Equivalence) -> Self {
        self.equivalence = Some(eq);
        self
    }
    /// Sets what a null value means (used by reads).
    pub fn null_means(mut self, n: NullMeans) -> Self {
        self.null_means = Some(n);
        self
    }
    /// The nested attributes, if this attribute has them.
    pub fn nested_attributes(&self) -> Option<(Nesting, &[Attribute])> {
        match &self.kind {
            AttrKind::Nested {
                nesting,
                attributes,
            } => Some((*nesting, attributes)),
            AttrKind::Typed(_) => None,
        }
    }
    /// The cty type of this attribute's value.
    pub fn ty(&self) -> Type {
        match &self.kind {
            AttrKind::Typed(t) => t.clone(),
            AttrKind::Nested {
                nesting,
                attributes,
            } => {
                let obj = Type::Object(
                    attributes
                        .iter()
                        .map(|a| (a.name.clone(), a.ty()))
                        .collect(),
                );
                match nesting {
                    Nesting::Single | Nesting::Group => obj,
                    Nesting::List => Type::List(Box::new(obj)),
                    Nesting::Set => Type::Set(Box::new(obj)),
                    Nesting::Map => Type::Map(Box::new(obj)),
                }
            }
        }
    }
}

/// A nested block type inside a block.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub name: Name,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    /// A block type; `description` documents the block itself.
    pub fn new(name: impl Into<Name>, nesting: Nesting, description: &str, block: Block) -> Self {
        let mut block = block;
        block.description = description.to_string();
        NestedBlock {
            name: name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }
    /// Sets Terraform-enforced bounds on the number of blocks (list and set only).
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }
    /// The value type of this block type inside its parent object.
    pub fn ty(&self) -> Type {
        let obj = self.block.implied_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::List(Box::new(obj)),
            Nesting::Set => Type::Set(Box::new(obj)),
            Nesting::Map => Type::Map(Box::new(obj)),
        }
    }
    /// The value of this block type when the configuration has none: null for a single
    /// block, an object of nulls and empty collections for a group, an empty list, set or
    /// map otherwise (tfplugin6.md §3.5).
    pub fn absent_value(&self) -> Value {
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => self.block.absent_object(),
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::Map => Value::Map(BTreeMap::new()),
        }
    }
}

/// A block: attributes plus nested blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    /// The object type every value of this block has.
    pub fn implied_type(&self) -> Type {
        let mut m: ObjectMap<Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty()))
            .collect();
        for b in &self.blocks {
            let obj = b.block.implied_type();
            let ty = match b.nesting {
                Nesting::Single | Nesting::Group => obj,
                Nesting::List => Type::List(Box::new(obj)),
                Nesting::Set => Type::Set(Box::new(obj)),
                Nesting::Map => Type::Map(Box::new(obj)),
            };
            m.insert(b.name.clone(), ty);
        }
        Type::Object(m)
    }
    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    /// The nested block type called `name`.
    pub fn block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }
    /// An object of this block with every attribute null and every nested block absent (as
    /// Terraform represents an absent block: see [`NestedBlock::absent_value`]).
    pub fn absent_object(&self) -> Value {
        Value::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null))
                .chain(
                    self.blocks
                        .iter()
                        .map(|b| (b.name.clone(), b.absent_value())),
                )
                .collect(),
        )
    }
}

/// A versioned schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, description: &str, attributes: Vec<Attribute>) -> Self {
        Schema {
            version,
            block: Block {
                attributes,
                blocks: Vec::new(),
                description: description.to_string(),
                deprecated: false,
            },
        }
    }
    pub fn with_blocks(mut self, blocks: Vec<NestedBlock>) -> Self {
        self.block.blocks = blocks;
        self
    }
    /// An object of this schema with every attribute null and every nested block absent.
    pub fn null_object(&self) -> Value {
        self.block.absent_object()
    }

    /// The object type of values of this schema.
    pub fn ty(&self) -> Type {
        self.block.implied_type()
    }

    /// Checks Terraform's own schema rules (those that make it refuse a provider) and this
    /// project's: every attribute and block described, defaults only on optional+computed.
    /// `managed` is true for resource schemas (write-only is allowed only there).
    pub fn validate(&self, managed: bool) -> Vec<String> {
        let mut errs = Vec::new();
        if self.version < 0 {
            errs.push("schema version is negative".to_string());
        }
        if self.block.description.trim().is_empty() {
            errs.push("schema has no description".to_string());
        }
        validate_block(&self.block, "", managed, false, &mut errs);
        errs
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn contains_dynamic(t: &Type) -> bool {
    match t {
        Type::Dynamic => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => contains_dynamic(e),
        Type::Object(m) => m.values().any(contains_dynamic),
        Type::Tuple(v) => v.iter().any(contains_dynamic),
        _ => false,
    }
}

fn validate_attrs(
    attrs: &[Attribute],
    prefix: &str,
    managed: bool,
    in_set: bool,
    errs: &mut Vec<String>,
) {
    let mut seen = std::collections::HashSet::new();
    for a in attrs {
        let p = format!("{prefix}{}", a.name);
        if !valid_name(&a.name) {
            errs.push(format!("{p}: name must match ^[a-z0-9_]+$"));
        }
        if !seen.insert(a.name.clone()) {
            errs.push(format!("{p}: declared twice"));
        }
        if a.description.trim().is_empty() {
            errs.push(format!("{p}: no description"));
        }
        if a.write_only {
            if !managed {
                errs.push(format!("{p}: write-only outside a managed resource"));
            }
            if a.constraint.is_computed() {
                errs.push(format!("{p}: write-only attributes cannot be computed"));
            }
            if in_set {
                errs.push(format!("{p}: write-only inside a set"));
            }
        }
        if a.default.is_some() && a.constraint != Constraint::OptionalComputed {
            errs.push(format!("{p}: a default needs optional+computed"));
        }
        if a.keep_prior && !a.constraint.is_computed() {
            errs.push(format!("{p}: keep_prior needs a computed attribute"));
        }
        if a.requires_replace && in_set {
            errs.push(format!(
                "{p}: requires_replace inside a set element cannot be addressed (Terraform paths cannot step into sets); put it on the set"
            ));
        }
        if a.requires_replace_if.is_some() && a.requires_replace {
            errs.push(format!(
                "{p}: requires_replace_if with requires_replace (which always replaces)"
            ));
        }
        if a.requires_replace_if.is_some() && a.constraint == Constraint::Computed {
            errs.push(format!(
                "{p}: requires_replace_if on a computed-only attribute"
            ));
        }
        if a.requires_replace && a.constraint == Constraint::Computed {
            errs.push(format!(
                "{p}: requires_replace on a computed-only attribute"
            ));
        }
        if (a.default.is_some() || a.keep_prior) && a.write_only {
            errs.push(format!(
                "{p}: a write-only attribute is always planned null"
            ));
        }
        if a.constraint == Constraint::Computed && !a.validators.is_empty() {
            errs.push(format!(
                "{p}: validators on a computed-only attribute never run"
            ));
        }
        for v in &a.validators {
            if let Some(problem) = v.schema_problem() {
                errs.push(format!("{p}: {problem}"));
            }
            for sib in v.siblings() {
                if !attrs.iter().any(|x| &x.name == sib) {
                    errs.push(format!(
                        "{p}: validator names `{sib}`, which is not a sibling attribute"
                    ));
                }
            }
        }
        match &a.kind {
            AttrKind::Typed(t) => {
                if in_set && contains_dynamic(t) {
                    errs.push(format!("{p}: dynamic type inside a set"));
                }
            }
            AttrKind::Nested {
                nesting,
                attributes,
            } => {
                if *nesting == Nesting::Group {
                    errs.push(format!("{p}: nested attributes cannot use group nesting"));
                }
                validate_attrs(
                    attributes,
                    &format!("{p}."),
                    managed,
                    in_set || *nesting == Nesting::Set,
                    errs,
                );
            }
        }
    }
}

fn validate_block(b: &Block, prefix: &str, managed: bool, in_set: bool, errs: &mut Vec<String>) {
    validate_attrs(&b.attributes, prefix, managed, in_set, errs);
    for nb in &b.blocks {
        let p = format!("{prefix}{}", nb.name);
        if !valid_name(&nb.name) {
            errs.push(format!("{p}: name must match ^[a-z0-9_]+$"));
        }
        if b.attributes.iter().any(|a| a.name == nb.name) {
            errs.push(format!("{p}: both an attribute and a block"));
        }
        if nb.block.description.trim().is_empty() {
            errs.push(format!("{p}: block has no description"));
        }
        match nb.nesting {
            Nesting::Single if nb.min_items > 1 || nb.max_items > 1 => {
                errs.push(format!("{p}: single block min/max must be 0 or 1"))
            }
            Nesting::Group | Nesting::Map if nb.min_items != 0 || nb.max_items != 0 => {
                errs.push(format!("{p}: group and map blocks take no min/max items"))
            }
            _ => {}
        }
        if nb.min_items < 0 || nb.max_items < 0 || (nb.max_items > 0 && nb.min_items > nb.max_items)
        {
            errs.push(format!("{p}: bad min/max items"));
        }
        validate_block(
            &nb.block,
            &format!("{p}."),
            managed,
            in_set || nb.nesting == Nesting::Set,
            errs,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::validator::Validator;
    use Attribute as A;

    fn problems(attrs: Vec<Attribute>) -> Vec<String> {
        Schema::new(0, "s", attrs).validate(true)
    }

    #[test]
    fn flags_the_plan_walk_cannot_honour_are_refused() {
        let in_set = |inner: Attribute| {
            vec![A::nested(
                "s",
                Nesting::Set,
                vec![A::string("k").required().description("k"), inner],
            )
            .optional()
            .description("s")]
        };
        let p = problems(in_set(
            A::string("x")
                .optional()
                .requires_replace()
                .description("x"),
        ));
        assert!(
            p.iter()
                .any(|e| e.contains("s.x: requires_replace inside a set element")),
            "{p:?}"
        );
        let p = problems(in_set(
            A::string("x").optional().write_only().description("x"),
        ));
        assert!(
            p.iter().any(|e| e.contains("s.x: write-only inside a set")),
            "{p:?}"
        );
        let p = problems(vec![A::string("x")
            .computed()
            .requires_replace()
            .description("x")]);
        assert!(
            p.iter()
                .any(|e| e.contains("requires_replace on a computed-only")),
            "{p:?}"
        );
        fn never(_: &Value, _: &Value, _: &Value) -> bool {
            false
        }
        let rif = ReplaceIf {
            name: "never",
            check: never,
        };
        let p = problems(in_set(
            A::string("x")
                .optional()
                .requires_replace_if(rif)
                .description("x"),
        ));
        assert!(
            p.is_empty(),
            "{p:?}: allowed in a set (the set is replaced)"
        );
        let p = problems(vec![A::string("x")
            .computed()
            .requires_replace_if(rif)
            .description("x")]);
        assert!(
            p.iter()
                .any(|e| e.contains("requires_replace_if on a computed-only")),
            "{p:?}"
        );
        let p = problems(vec![A::string("x")
            .optional()
            .requires_replace()
            .requires_replace_if(rif)
            .description("x")]);
        assert!(
            p.iter()
                .any(|e| e.contains("requires_replace_if with requires_replace")),
            "{p:?}"
        );
        let p = problems(vec![A::string("x")
            .optional()
            .keep_prior()
            .description("x")]);
        assert!(
            p.iter().any(|e| e.contains("keep_prior needs a computed")),
            "{p:?}"
        );
        let p = problems(vec![A::string("x")
            .computed()
            .validate(Validator::Duration)
            .description("x")]);
        assert!(p.iter().any(|e| e.contains("never run")), "{p:?}");
        let p = problems(vec![A::string("x")
            .optional()
            .validate(Validator::conflicts_with(&["nope"]))
            .description("x")]);
        assert!(
            p.iter()
                .any(|e| e.contains("`nope`, which is not a sibling")),
            "{p:?}"
        );
        let p = problems(vec![A::string("x")
            .optional()
            .validate(Validator::pattern("(", "h"))
            .description("x")]);
        assert!(p.iter().any(|e| e.contains("invalid pattern")), "{p:?}");
        let p = problems(vec![A::string("x").optional().description("")]);
        assert!(p.iter().any(|e| e.contains("x: no description")), "{p:?}");
        // And what it can honour passes: defaults and keep_prior inside sets, replace in lists.
        let ok = vec![
            A::nested(
                "s",
                Nesting::Set,
                vec![
                    A::string("k").required().description("k"),
                    A::string("d").default(Value::string("v")).description("d"),
                    A::string("c").computed().keep_prior().description("c"),
                ],
            )
            .optional()
            .description("s"),
            A::nested(
                "l",
                Nesting::List,
                vec![A::string("r")
                    .optional()
                    .requires_replace()
                    .description("r")],
            )
            .optional()
            .description("l"),
        ];
        assert_eq!(problems(ok), Vec::<String>::new());
    }
}
