//! Arbitrary-precision numbers (PLACEHOLDER: the codec work replaces this file).

use std::fmt;

/// A Terraform number.
#[derive(Clone, Debug)]
pub struct Number(String);

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}
impl PartialEq for Number {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number(n.to_string())
    }
}
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
