//! Attribute paths, as Terraform's diagnostics and `requires_replace` use them.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute or nested block name.
    Attr(String),
    /// A map key.
    Key(String),
    /// A list or tuple index.
    Index(i64),
}

/// A path into a value, from the resource root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path (the whole object).
    pub fn root() -> Self {
        Self(Vec::new())
    }
    /// A path of one attribute name.
    pub fn attr(name: impl Into<String>) -> Self {
        Self(vec![PathStep::Attr(name.into())])
    }
    /// This path extended by an attribute name.
    pub fn child(&self, name: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Attr(name.into()));
        p
    }
    /// This path extended by a map key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Key(key.into()));
        p
    }
    /// This path extended by a list index.
    pub fn index(&self, i: i64) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Index(i));
        p
    }
    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for AttributePath {
    /// Renders the path as Terraform writes it in messages: `a.b["k"][0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
