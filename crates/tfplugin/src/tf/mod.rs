//! The Terraform value model: types, values, numbers, the wire codec, attribute paths,
//! diagnostics and schemas. No IO, no gRPC types.

pub mod codec;
pub mod diag;
pub mod duration;
pub mod number;
pub mod object;
pub mod path;
pub mod schema;
pub mod ty;
pub mod validator;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use number::Number;
pub use object::{Name, ObjectMap};
pub use path::{AttributePath, PathStep};
pub use ty::Type;
pub use value::{Refinements, Value};
