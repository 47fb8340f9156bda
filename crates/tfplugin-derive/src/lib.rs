//! `#[derive(Model)]`: one Rust struct gives a Terraform schema (attributes, nested
//! attributes, nested blocks, validators, plan flags, descriptions from doc comments) and the
//! conversions to and from Terraform values. See `tfplugin::typed` for the runtime side.
//!
//! Struct: `#[tf(version = N)]` (default 0); the doc comment is the description.
//! Field (every field is `Val<T>`; the doc comment is the description):
//! * `required` | `optional` (default) | `computed` | `optional_computed`
//! * `sensitive`, `write_only`, `requires_replace`, `keep_prior`, `deprecated = "msg"`
//! * `default = <expr>` (makes it optional+computed; the expression converts `Into<T>` for a
//!   `Val<T>` field, so a default of the wrong type does not compile)
//! * `name = "attr"` (else the field name without `r#`)
//! * `nested`: nested attributes; `block`, `block(group)`, `min_items = N`, `max_items = N`:
//!   nested blocks (the nesting mode follows the type)
//! * validators: `one_of("a", ..)`, `pattern("regex", "hint")`, `duration`,
//!   `int_between(lo, hi)`, `length_between(lo, hi)`, `conflicts_with("x", ..)`,
//!   `exactly_one_of(..)`, `at_least_one_of(..)`, `also_requires(..)`, `validate = path::to::fn`
//! * `equivalence = path::to::fn` (semantic equality, see `tfplugin::tf::schema::Equivalence`):
//!   `fn(&Value, &Value) -> bool` on two known non-null values; at any depth (inside nested
//!   attributes, blocks and their list, set and map elements) the plan keeps the prior value
//!   when the configuration means the same, and a read that returns the same meaning keeps
//!   the prior value, so neither is a diff. On a `nested` field the whole value (object,
//!   list, set or map) is compared, and a read that means the same keeps all of it
//! * `null_means = path::to::fn` (see `tfplugin::tf::schema::NullMeans`): `fn(&Value) -> bool`,
//!   whether a known non-null value means the same as null (`HEAD` for an unset revision,
//!   an empty map for none); at any depth a read keeps the prior value, null or not, when
//!   the other side is null and means the same. Not on blocks
//! * `requires_replace_if = path::to::fn` (see `tfplugin::tf::schema::ReplaceIf`):
//!   `fn(prior: &Value, planned: &Value, config: &Value) -> bool`, asked on update when the
//!   attribute's prior and planned values differ, at any depth; `true` replaces the object
//!   (inside a set element, the set is the path named; a changed set element is a new one,
//!   so its prior is null). Not with `requires_replace`
//! * `flatten` on a field whose type is another derived model (not `Val`): its attributes and
//!   blocks are this object's own, at this position (shared groups such as a scope)
//! * `secret` on a field of type `tfplugin::typed::Secret` (not `Val`), a secret the API
//!   returns masked: three optional attributes `x` (sensitive), `x_wo` (sensitive,
//!   write-only, conflicts with `x`) and `x_wo_version` (number, also requires `x_wo`), with
//!   the field's doc plus standard sentences as descriptions and a name constant each
//!   (`X`, `X_WO`, `X_WO_VERSION`); `Model::secrets` lists them. Takes only `name = "x"`.
//!
//! Names in relational validators must be sibling attributes, a flattened group's included: a
//! misspelling fails to compile (the macro checks the model's own names; a name it cannot see
//! is checked by a `const` assertion over the flattened groups' `__tf_has_attribute`).
//! `crates/tfplugin/tests/derive_ui.rs` holds the compile-fail tests and their messages.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{
    parenthesized, parse_macro_input, Data, DeriveInput, Expr, Fields, GenericArgument, Ident,
    LitInt, LitStr, Path, PathArguments, Token, Type,
};

/// Derives `tfplugin::typed::Model` (and `TfType`, `NestedType`) for a struct of `Val<T>`
/// fields. See the crate docs for the attribute syntax.
#[proc_macro_derive(Model, attributes(tf))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Default)]
struct FieldOpts {
    constraint: Option<&'static str>,
    sensitive: bool,
    write_only: bool,
    requires_replace: bool,
    keep_prior: bool,
    deprecated: Option<LitStr>,
    default: Option<Expr>,
    name: Option<LitStr>,
    nested: bool,
    block: bool,
    group: bool,
    min_items: Option<LitInt>,
    max_items: Option<LitInt>,
    validators: Vec<Tokens>,
    siblings: Vec<LitStr>,
    equivalence: Option<Path>,
    null_means: Option<Path>,
    requires_replace_if: Option<Path>,
    flatten: bool,
    secret: bool,
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &a.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                let v = s.value();
                lines.push(v.strip_prefix(' ').unwrap_or(&v).to_string());
            }
        }
    }
    // Paragraphs are joined with a blank line, lines within a paragraph with a space.
    let mut out = String::new();
    for l in lines {
        if l.trim().is_empty() {
            out.push_str("\n\n");
        } else {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            out.push_str(l.trim_end());
        }
    }
    out.trim().to_string()
}

fn str_list(input: syn::parse::ParseStream) -> syn::Result<Vec<LitStr>> {
    let content;
    parenthesized!(content in input);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

fn parse_field_opts(attrs: &[syn::Attribute]) -> syn::Result<FieldOpts> {
    let mut o = FieldOpts::default();
    for a in attrs {
        if !a.path().is_ident("tf") {
            continue;
        }
        a.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let set_constraint = |o: &mut FieldOpts, c: &'static str| {
                if o.constraint.is_some() {
                    return Err(meta.error("only one of required, optional, computed, optional_computed"));
                }
                o.constraint = Some(c);
                Ok(())
            };
            match key.as_str() {
                "required" => set_constraint(&mut o, "required")?,
                "optional" => set_constraint(&mut o, "optional")?,
                "computed" => set_constraint(&mut o, "computed")?,
                "optional_computed" => set_constraint(&mut o, "optional_computed")?,
                "sensitive" => o.sensitive = true,
                "write_only" => o.write_only = true,
                "requires_replace" => o.requires_replace = true,
                "keep_prior" => o.keep_prior = true,
                "nested" => o.nested = true,
                "flatten" => o.flatten = true,
                "secret" => o.secret = true,
                "block" => {
                    o.block = true;
                    if meta.input.peek(syn::token::Paren) {
                        let content;
                        parenthesized!(content in meta.input);
                        let mode: Ident = content.parse()?;
                        if mode != "group" {
                            return Err(syn::Error::new(mode.span(), "only `block(group)` takes a mode; other modes follow the type"));
                        }
                        o.group = true;
                    }
                }
                "deprecated" => o.deprecated = Some(meta.value()?.parse()?),
                "default" => o.default = Some(meta.value()?.parse()?),
                "name" => o.name = Some(meta.value()?.parse()?),
                "min_items" => o.min_items = Some(meta.value()?.parse()?),
                "max_items" => o.max_items = Some(meta.value()?.parse()?),
                "equivalence" => o.equivalence = Some(meta.value()?.parse()?),
                "null_means" => o.null_means = Some(meta.value()?.parse()?),
                "requires_replace_if" => o.requires_replace_if = Some(meta.value()?.parse()?),
                "duration" => o.validators.push(quote!(__p::Validator::Duration)),
                "one_of" => {
                    let v = str_list(meta.input)?;
                    o.validators.push(quote!(__p::Validator::OneOf(__p::Vec::from([#(__p::String::from(#v)),*]))));
                }
                "pattern" => {
                    let v = str_list(meta.input)?;
                    if v.len() != 2 {
                        return Err(meta.error("pattern(\"regex\", \"hint\")"));
                    }
                    let (re, hint) = (&v[0], &v[1]);
                    if let Err(e) = check_regex(&re.value()) {
                        return Err(syn::Error::new(re.span(), e));
                    }
                    o.validators.push(quote!(__p::Validator::Pattern { regex: __p::String::from(#re), hint: __p::String::from(#hint) }));
                }
                "int_between" | "length_between" => {
                    let content;
                    parenthesized!(content in meta.input);
                    let v: Vec<Expr> = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?
                        .into_iter()
                        .collect();
                    if v.len() != 2 {
                        return Err(meta.error("two bounds expected"));
                    }
                    let (lo, hi) = (&v[0], &v[1]);
                    o.validators.push(if key == "int_between" {
                        quote!(__p::Validator::IntBetween(#lo, #hi))
                    } else {
                        quote!(__p::Validator::LengthBetween(#lo, #hi))
                    });
                }
                "conflicts_with" | "exactly_one_of" | "at_least_one_of" | "also_requires" => {
                    let v = str_list(meta.input)?;
                    let variant = match key.as_str() {
                        "conflicts_with" => quote!(ConflictsWith),
                        "exactly_one_of" => quote!(ExactlyOneOf),
                        "at_least_one_of" => quote!(AtLeastOneOf),
                        _ => quote!(AlsoRequires),
                    };
                    o.validators.push(quote!(__p::Validator::#variant(__p::Vec::from([#(__p::String::from(#v)),*]))));
                    o.siblings.extend(v);
                }
                "validate" => {
                    let f: Path = meta.value()?.parse()?;
                    let name = quote!(#f).to_string().replace(' ', "");
                    o.validators.push(quote!(__p::Validator::Custom(__p::CustomCheck { name: #name, check: #f })));
                }
                _ => return Err(meta.error(format!("unknown tf option `{key}`"))),
            }
            Ok(())
        })?;
    }
    if o.secret
        && (o.constraint.is_some()
            || o.sensitive
            || o.write_only
            || o.requires_replace
            || o.keep_prior
            || o.deprecated.is_some()
            || o.default.is_some()
            || o.nested
            || o.block
            || o.flatten
            || o.min_items.is_some()
            || o.max_items.is_some()
            || !o.validators.is_empty()
            || o.equivalence.is_some()
            || o.null_means.is_some())
    {
        return Err(syn::Error::new(
            Span::call_site(),
            "a `secret` takes no other option than `name`: its attributes' flags and rules are fixed",
        ));
    }
    if o.nested && o.block {
        return Err(syn::Error::new(
            Span::call_site(),
            "a field is either `nested` or `block`",
        ));
    }
    if o.block && (o.equivalence.is_some() || o.null_means.is_some()) {
        return Err(syn::Error::new(
            Span::call_site(),
            "`equivalence` and `null_means` are for attributes (`nested` ones included), not blocks",
        ));
    }
    Ok(o)
}

/// A light syntax check of a regular expression (balanced groups and classes), so an
/// obviously broken pattern fails to compile; the schema check compiles it for real.
fn check_regex(re: &str) -> Result<(), String> {
    let (mut depth, mut in_class, mut escaped) = (0i32, false, false);
    for c in re.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)` in pattern".into());
                }
            }
            _ => {}
        }
    }
    if depth != 0 || in_class {
        return Err("unbalanced group or class in pattern".into());
    }
    Ok(())
}

/// Records an attribute name, refusing one a model already has.
fn push_unique(names: &mut Vec<String>, name: String, f: &syn::Field) -> syn::Result<()> {
    if names.contains(&name) {
        return Err(syn::Error::new_spanned(
            f,
            format!("the model has two attributes named `{name}`"),
        ));
    }
    names.push(name);
    Ok(())
}

/// `T` of a `Val<T>` field type.
fn val_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Val" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            ident,
            "Model is derived for structs",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(ident, "Model needs named fields"));
    };
    let mut version: Option<LitInt> = None;
    for a in &input.attrs {
        if a.path().is_ident("tf") {
            a.parse_nested_meta(|meta| {
                if meta.path.is_ident("version") {
                    version = Some(meta.value()?.parse()?);
                    Ok(())
                } else {
                    Err(meta.error("unknown struct option; use `version = N`"))
                }
            })?;
        }
    }
    let version = version.map_or(quote!(0), |v| quote!(#v));
    let description = doc_text(&input.attrs);

    let mut attr_names: Vec<String> = Vec::new();
    let mut parsed = Vec::new();
    for f in &fields.named {
        let fid = f.ident.clone().expect("named field");
        let opts = parse_field_opts(&f.attrs)?;
        let name = opts
            .name
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| fid.to_string().trim_start_matches("r#").to_string());
        if opts.flatten {
            parsed.push((fid, name, f.ty.clone(), opts, String::new(), f));
            continue;
        }
        if opts.secret {
            for n in [
                name.clone(),
                format!("{name}_wo"),
                format!("{name}_wo_version"),
            ] {
                push_unique(&mut attr_names, n, f)?;
            }
            parsed.push((fid, name, f.ty.clone(), opts, doc_text(&f.attrs), f));
            continue;
        }
        let inner = val_inner(&f.ty)
            .ok_or_else(|| {
                syn::Error::new_spanned(&f.ty, "Model fields are `Val<T>` (or a `flatten`ed model)")
            })?
            .clone();
        if !opts.block {
            push_unique(&mut attr_names, name.clone(), f)?;
        }
        parsed.push((fid, name, inner, opts, doc_text(&f.attrs), f));
    }
    let has_flattened = parsed.iter().any(|p| p.3.flatten);
    let mut flattened_siblings = Vec::new();
    for (_, _, _, opts, _, _) in &parsed {
        for s in &opts.siblings {
            if has_flattened && !attr_names.contains(&s.value()) {
                // Maybe an attribute of a flattened group: checked by the compiler below.
                flattened_siblings.push(s.clone());
            } else if !attr_names.contains(&s.value()) {
                return Err(syn::Error::new(
                    s.span(),
                    format!(
                        "`{}` is not an attribute of this model (attributes: {})",
                        s.value(),
                        attr_names.join(", ")
                    ),
                ));
            }
        }
    }

    let mut attr_exprs = Vec::new();
    let mut block_exprs = Vec::new();
    let mut flat_fields = Vec::new();
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let mut consts = Vec::new();
    let mut secret_names = Vec::new();
    let mut secrets = Vec::new();
    let mut secrets_mut = Vec::new();
    for (fid, name, inner, opts, doc, f) in &parsed {
        if opts.flatten {
            attr_exprs
                .push(quote!(__v.extend(<#inner as ::tfplugin::typed::Model>::attributes());));
            secret_names
                .push(quote!(__v.extend(<#inner as ::tfplugin::typed::Model>::secret_names());));
            secrets.push(quote!(__v.extend(::tfplugin::typed::Model::secrets(&self.#fid));));
            secrets_mut
                .push(quote!(__v.extend(::tfplugin::typed::Model::secrets_mut(&mut self.#fid));));
            block_exprs.push(quote!(__b.extend(<#inner as ::tfplugin::typed::Model>::blocks());));
            flat_fields.push(inner.clone());
            reads.push(quote!(#fid: <#inner as ::tfplugin::typed::TfType>::from_value(v, path)?));
            writes.push(quote!(
                if let __p::Value::Object(inner) = ::tfplugin::typed::TfType::to_value(&self.#fid) {
                    m.extend(inner);
                }
            ));
            continue;
        }
        if doc.is_empty() {
            return Err(syn::Error::new_spanned(
                f,
                "every attribute needs a doc comment: it becomes the description",
            ));
        }
        let const_name = format_ident!("{}", name.to_uppercase());
        consts.push(quote!(
            #[doc = concat!("The attribute name `", #name, "`.")]
            pub const #const_name: &'static str = #name;
        ));
        if opts.secret {
            let wo = format!("{name}_wo");
            let version = format!("{name}_wo_version");
            let (wo_const, version_const) = (
                format_ident!("{}", wo.to_uppercase()),
                format_ident!("{}", version.to_uppercase()),
            );
            consts.push(quote!(
                #[doc = concat!("The attribute name `", #wo, "`.")]
                pub const #wo_const: &'static str = #wo;
                #[doc = concat!("The attribute name `", #version, "`.")]
                pub const #version_const: &'static str = #version;
            ));
            let plain_doc = format!(
                "{doc} Stored in state (marked sensitive); prefer `{wo}`, which never is. The \
                 API returns it masked, so drift of its value cannot be detected."
            );
            let wo_doc = format!(
                "Write-only variant of `{name}` (Terraform 1.11+): sent to the API, never stored \
                 in plan or state. Change `{version}` to send a new value."
            );
            let version_doc = format!(
                "Any number; changing it sends `{wo}` again (a write-only value itself cannot be \
                 compared)."
            );
            attr_exprs.push(quote!(
                __v.push(__p::Attribute::typed(#name, __p::Type::String)
                    .description(#plain_doc).optional().sensitive());
                __v.push(__p::Attribute::typed(#wo, __p::Type::String)
                    .description(#wo_doc).optional().sensitive().write_only()
                    .validate(__p::Validator::ConflictsWith(__p::Vec::from([__p::String::from(#name)]))));
                __v.push(__p::Attribute::typed(#version, __p::Type::Number)
                    .description(#version_doc).optional()
                    .validate(__p::Validator::AlsoRequires(__p::Vec::from([__p::String::from(#wo)]))));
            ));
            let names = quote!(__p::SecretNames { value: #name, wo: #wo, wo_version: #version });
            secret_names.push(quote!(__v.push(#names);));
            secrets.push(quote!(__v.push((#names, &self.#fid));));
            secrets_mut.push(quote!(__v.push((#names, &mut self.#fid));));
            reads.push(quote!(#fid: __p::Secret {
                value: __p::field::<__p::String>(obj, #name, path)?,
                wo: __p::field::<__p::String>(obj, #wo, path)?,
                wo_version: __p::field::<i64>(obj, #version, path)?,
            }));
            writes.push(quote!(
                m.push((__p::Name::Static(#name), ::tfplugin::typed::TfType::to_value(&self.#fid.value)));
                m.push((__p::Name::Static(#wo), ::tfplugin::typed::TfType::to_value(&self.#fid.wo)));
                m.push((__p::Name::Static(#version), ::tfplugin::typed::TfType::to_value(&self.#fid.wo_version)));
            ));
            continue;
        }
        if opts.block {
            if opts.constraint.is_some()
                || opts.default.is_some()
                || opts.sensitive
                || opts.write_only
                || opts.keep_prior
                || opts.requires_replace
                || opts.requires_replace_if.is_some()
                || !opts.validators.is_empty()
            {
                return Err(syn::Error::new_spanned(
                    f,
                    "a block takes only min_items, max_items and `group`",
                ));
            }
            let nesting = if opts.group {
                quote!(__p::Nesting::Group)
            } else {
                quote!(<#inner as ::tfplugin::typed::NestedType>::NESTING)
            };
            let min = opts.min_items.as_ref().map_or(quote!(0), |m| quote!(#m));
            let max = opts.max_items.as_ref().map_or(quote!(0), |m| quote!(#m));
            block_exprs.push(quote!(__b.push(
                __p::NestedBlock::new(#name, #nesting, #doc,
                    <<#inner as ::tfplugin::typed::NestedType>::Elem as ::tfplugin::typed::Model>::block())
                    .items(#min, #max)
            );));
            reads.push(quote!(#fid: __p::block_field::<#inner>(obj, #name, path, #nesting)?));
            writes.push(
                quote!(m.push((__p::Name::Static(#name), __p::block_value(&self.#fid, #nesting)));),
            );
            continue;
        }
        let mut e = if opts.nested {
            quote!(__p::Attribute::nested(#name,
                <#inner as ::tfplugin::typed::NestedType>::NESTING,
                <<#inner as ::tfplugin::typed::NestedType>::Elem as ::tfplugin::typed::Model>::attributes()))
        } else {
            quote!(__p::Attribute::typed(#name, <#inner as ::tfplugin::typed::TfType>::ty()))
        };
        e = quote!(#e.description(#doc));
        if let Some(c) = opts.constraint {
            let m = format_ident!("{}", c);
            e = quote!(#e.#m());
        }
        if let Some(d) = &opts.default {
            if opts.constraint.is_some() && opts.constraint != Some("optional_computed") {
                return Err(syn::Error::new_spanned(
                    d,
                    "a default makes the attribute optional+computed; drop the other constraint",
                ));
            }
            let d = typed_default(inner, d);
            e = quote!(#e.default(#d));
        }
        for (flag, m) in [
            (opts.sensitive, "sensitive"),
            (opts.write_only, "write_only"),
            (opts.requires_replace, "requires_replace"),
            (opts.keep_prior, "keep_prior"),
        ] {
            if flag {
                let m = format_ident!("{}", m);
                e = quote!(#e.#m());
            }
        }
        if let Some(d) = &opts.deprecated {
            e = quote!(#e.deprecated(#d));
        }
        for v in &opts.validators {
            e = quote!(#e.validate(#v));
        }
        if let Some(eq) = &opts.equivalence {
            let ename = quote!(#eq).to_string().replace(' ', "");
            e = quote!(#e.equivalence(__p::Equivalence { name: #ename, eq: #eq }));
        }
        if let Some(means) = &opts.null_means {
            let nname = quote!(#means).to_string().replace(' ', "");
            e = quote!(#e.null_means(__p::NullMeans { name: #nname, means: #means }));
        }
        if let Some(check) = &opts.requires_replace_if {
            if opts.requires_replace {
                return Err(syn::Error::new_spanned(
                    check,
                    "requires_replace always replaces; drop it or requires_replace_if",
                ));
            }
            let rname = quote!(#check).to_string().replace(' ', "");
            e = quote!(#e.requires_replace_if(__p::ReplaceIf { name: #rname, check: #check }));
        }
        attr_exprs.push(quote!(__v.push(#e);));
        reads.push(quote!(#fid: __p::field::<#inner>(obj, #name, path)?));
        writes.push(quote!(m.push((__p::Name::Static(#name), ::tfplugin::typed::TfType::to_value(&self.#fid)));));
    }

    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let names = attribute_lookup(input, &attr_names, &flat_fields, &flattened_siblings)?;
    Ok(quote! {
        #names

        const _: () = {
            use ::tfplugin::typed::__private as __p;

            impl #impl_g ::tfplugin::typed::TfType for #ident #ty_g #where_g {
                fn ty() -> __p::Type {
                    __p::object_type::<Self>()
                }
                fn from_value(v: &__p::Value, path: &__p::Path<'_>) -> ::core::result::Result<Self, __p::ConvError> {
                    let obj = __p::object(v, path)?;
                    ::core::result::Result::Ok(Self { #(#reads,)* })
                }
                fn to_value(&self) -> __p::Value {
                    let mut m: __p::Vec<(__p::Name, __p::Value)> = __p::Vec::new();
                    #(#writes)*
                    __p::Value::Object(__p::ObjectMap::from_unique(m))
                }
            }

            impl #impl_g ::tfplugin::typed::Model for #ident #ty_g #where_g {
                const DESCRIPTION: &'static str = #description;
                const VERSION: i64 = #version;
                fn attributes() -> __p::Vec<__p::Attribute> {
                    let mut __v = __p::Vec::new();
                    #(#attr_exprs)*
                    __v
                }
                fn blocks() -> __p::Vec<__p::NestedBlock> {
                    let mut __b = __p::Vec::new();
                    #(#block_exprs)*
                    __b
                }
                fn secret_names() -> __p::Vec<__p::SecretNames> {
                    #[allow(unused_mut)]
                    let mut __v = __p::Vec::new();
                    #(#secret_names)*
                    __v
                }
                fn secrets(&self) -> __p::Vec<(__p::SecretNames, &__p::Secret)> {
                    #[allow(unused_mut)]
                    let mut __v = __p::Vec::new();
                    #(#secrets)*
                    __v
                }
                fn secrets_mut(&mut self) -> __p::Vec<(__p::SecretNames, &mut __p::Secret)> {
                    #[allow(unused_mut)]
                    let mut __v = __p::Vec::new();
                    #(#secrets_mut)*
                    __v
                }
            }

            impl #impl_g ::tfplugin::typed::NestedType for #ident #ty_g #where_g {
                type Elem = Self;
                const NESTING: __p::Nesting = __p::Nesting::Single;
            }
        };

        #[allow(dead_code)]
        impl #impl_g #ident #ty_g #where_g {
            #(#consts)*
        }
    })
}

/// The default of a field of type `Val<T>`, converted through `T` so that an expression of
/// the wrong type is a compile error at the expression (`Into<T>` is not implemented).
fn typed_default(inner: &Type, d: &Expr) -> Tokens {
    let span = syn::spanned::Spanned::span(d);
    let check = quote::quote_spanned!(span=> __p::default_value::<#inner>(#d));
    quote!(#check)
}

/// `__tf_has_attribute(name)`, a `const fn` saying whether `name` is an attribute of the
/// model, its flattened groups included; and a compile-time assertion for each sibling name
/// of a relational validator that is not one of the model's own attributes (the macro cannot
/// see a flattened group's fields, the compiler can).
fn attribute_lookup(
    input: &DeriveInput,
    own: &[String],
    flat: &[Type],
    unresolved: &[LitStr],
) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    if !unresolved.is_empty() && !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            unresolved[0].span(),
            format!(
                "`{}` is not an attribute of this model; a generic model cannot name an \
                 attribute of a flattened group in a relational validator",
                unresolved[0].value()
            ),
        ));
    }
    let checks = unresolved.iter().map(|s| {
        let msg = format!(
            "`{}` is not an attribute of this model nor of its flattened groups",
            s.value()
        );
        quote::quote_spanned!(s.span()=>
            const _: () = ::core::assert!(#ident::__tf_has_attribute(#s), #msg);
        )
    });
    Ok(quote! {
        #[allow(dead_code)]
        impl #impl_g #ident #ty_g #where_g {
            /// Whether `name` is an attribute of this model (flattened groups included).
            #[doc(hidden)]
            pub const fn __tf_has_attribute(name: &str) -> bool {
                false #(|| ::tfplugin::typed::__private::str_eq(name, #own))*
                    #(|| <#flat>::__tf_has_attribute(name))*
            }
        }
        #(#checks)*
    })
}
