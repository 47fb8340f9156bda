//! Secrets the remote API returns masked: one `#[tf(secret)] pub x: Secret` field gives the
//! attributes `x` (optional, sensitive, stored in state), `x_wo` (write-only, never stored)
//! and `x_wo_version` (changing it sends `x_wo` again), and this type holds their values.
//!
//! ```
//! use tfplugin::typed::{Model, Secret};
//!
//! /// A login.
//! #[derive(Model, Clone, Debug, Default)]
//! struct Login {
//!     /// The password.
//!     #[tf(secret)]
//!     password: Secret,
//! }
//! assert_eq!(Login::PASSWORD_WO_VERSION, "password_wo_version");
//! assert_eq!(Login::attributes().len(), 3);
//! ```
//!
//! A secret's flags and rules are fixed: other options are refused.
//!
//! ```compile_fail
//! # use tfplugin::typed::{Model, Secret};
//! /// A login.
//! #[derive(Model, Clone, Debug, Default)]
//! struct Login {
//!     /// The password.
//!     #[tf(secret, required)]
//!     password: Secret,
//! }
//! ```
//!
//! And its generated names cannot collide with another attribute.
//!
//! ```compile_fail
//! # use tfplugin::typed::{Model, Secret, Val};
//! /// A login.
//! #[derive(Model, Clone, Debug, Default)]
//! struct Login {
//!     /// The password.
//!     #[tf(secret)]
//!     password: Secret,
//!     /// Clashes with the generated write-only attribute.
//!     #[tf(optional)]
//!     password_wo: Val<String>,
//! }
//! ```

use super::{Model, Val};

/// The values of one secret's three attributes (`x`, `x_wo`, `x_wo_version`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Secret {
    /// `x`: the value stored in state (marked sensitive).
    pub value: Val<String>,
    /// `x_wo`: the write-only value; only ever non-null in the configuration.
    pub wo: Val<String>,
    /// `x_wo_version`: changing it sends `x_wo` again.
    pub wo_version: Val<i64>,
}

/// The attribute names of one secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretNames {
    /// `x`.
    pub value: &'static str,
    /// `x_wo`.
    pub wo: &'static str,
    /// `x_wo_version`.
    pub wo_version: &'static str,
}

impl Secret {
    /// Configured, as the plain or the write-only attribute (known or unknown).
    pub fn is_set(&self) -> bool {
        !self.value.is_null() || !self.wo.is_null()
    }

    /// Not known yet (the plain or the write-only attribute is unknown).
    pub fn is_unknown(&self) -> bool {
        self.value.is_unknown() || self.wo.is_unknown()
    }

    /// The value to send, for `self` planned and `config` the configuration: the
    /// configuration's write-only value, else the planned plain value (empty means none).
    /// Write-only values are null in plans, so they are read from the configuration.
    pub fn to_send<'a>(&'a self, config: &'a Secret) -> Option<&'a str> {
        config.wo.non_empty().or_else(|| self.value.non_empty())
    }

    /// The name of the attribute a diagnostic about this secret points at: the write-only
    /// one when only that is set, else the plain one.
    pub fn set_name(&self, names: SecretNames) -> &'static str {
        if self.value.is_null() && !self.wo.is_null() {
            names.wo
        } else {
            names.value
        }
    }

    /// Settles this secret (a copy of the prior or planned one) in the state built from an
    /// API response that masks it: `present` says whether the API holds a value. Present
    /// keeps the value the user configured (drift of it cannot be seen); absent means it is
    /// gone remotely. The write-only value is never stored; the version is kept.
    pub fn settle_masked(&mut self, present: bool) {
        if !present || self.value.is_unknown() {
            self.value = Val::Null;
        }
        self.wo = Val::Null;
    }

    /// Whether an update from `self` (prior state) to `planned` must send this secret
    /// again: the stored value changed or `x_wo_version` moved.
    pub fn must_resend(&self, planned: &Secret) -> bool {
        self.value != planned.value || self.wo_version != planned.wo_version
    }
}

/// The names of the secrets an update from `prior` to `planned` must send again
/// (see [`Secret::must_resend`]).
pub fn secrets_to_resend<M: Model>(prior: &M, planned: &M) -> Vec<SecretNames> {
    let before = prior.secrets();
    planned
        .secrets()
        .into_iter()
        .filter(|(n, p)| {
            before
                .iter()
                .find(|(b, _)| b == n)
                .is_none_or(|(_, b)| b.must_resend(p))
        })
        .map(|(n, _)| n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::schema::Constraint;
    use crate::tf::validator::Validator;
    use crate::tf::Value;
    use crate::typed::TfType;

    /// A test model.
    #[derive(crate::Model, Clone, Debug, Default, PartialEq)]
    struct Login {
        /// User name.
        #[tf(optional)]
        user: Val<String>,
        /// The password.
        #[tf(secret)]
        password: Secret,
        /// An API token.
        #[tf(secret, name = "api_token")]
        token: Secret,
        /// Needs the write-only token.
        #[tf(optional, also_requires("api_token_wo"))]
        extra: Val<String>,
    }

    #[test]
    fn a_secret_field_gives_three_attributes_with_their_flags_and_rules() {
        let attrs = Login::attributes();
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "user",
                "password",
                "password_wo",
                "password_wo_version",
                "api_token",
                "api_token_wo",
                "api_token_wo_version",
                "extra"
            ]
        );
        let get = |n: &str| attrs.iter().find(|a| a.name == n).unwrap();
        let plain = get("password");
        assert_eq!(plain.constraint, Constraint::Optional);
        assert!(plain.sensitive && !plain.write_only);
        assert!(plain.validators.is_empty());
        assert!(plain.description.starts_with("The password. "));
        assert!(plain.description.contains("`password_wo`"));
        let wo = get("password_wo");
        assert_eq!(wo.constraint, Constraint::Optional);
        assert!(wo.sensitive && wo.write_only);
        assert_eq!(
            wo.validators,
            [Validator::ConflictsWith(vec!["password".into()])]
        );
        assert!(wo.description.contains("`password_wo_version`"));
        let version = get("password_wo_version");
        assert_eq!(version.constraint, Constraint::Optional);
        assert!(!version.sensitive && !version.write_only);
        assert_eq!(
            version.validators,
            [Validator::AlsoRequires(vec!["password_wo".into()])]
        );
        assert_eq!(version.ty(), crate::tf::Type::Number);
        assert_eq!(
            get("api_token_wo").validators,
            [Validator::ConflictsWith(vec!["api_token".into()])]
        );
        assert_eq!(
            (
                Login::PASSWORD,
                Login::PASSWORD_WO,
                Login::PASSWORD_WO_VERSION
            ),
            ("password", "password_wo", "password_wo_version")
        );
        assert_eq!(Login::API_TOKEN_WO_VERSION, "api_token_wo_version");
    }

    #[test]
    fn secrets_convert_both_ways_and_are_listed_by_name() {
        let v = Value::Object(
            [
                ("user", Value::string("u")),
                ("password", Value::string("p")),
                ("password_wo", Value::Null),
                ("password_wo_version", Value::Null),
                ("api_token", Value::Null),
                ("api_token_wo", Value::unknown()),
                ("api_token_wo_version", Value::from(3)),
                ("extra", Value::Null),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        );
        let m = Login::from_object(&v).unwrap();
        assert_eq!(m.password.value, Val::Known("p".into()));
        assert_eq!(m.token.wo, Val::Unknown);
        assert_eq!(m.token.wo_version, Val::Known(3));
        assert_eq!(m.to_value(), v);
        let names: Vec<_> = m.secrets().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                SecretNames {
                    value: "password",
                    wo: "password_wo",
                    wo_version: "password_wo_version"
                },
                SecretNames {
                    value: "api_token",
                    wo: "api_token_wo",
                    wo_version: "api_token_wo_version"
                }
            ]
        );
        assert_eq!(Login::secret_names(), names);
        assert!(m.secret("api_token").is_some_and(Secret::is_unknown));
        assert!(m.secret("password_wo").is_none());
        let mut m = m;
        for (_, s) in m.secrets_mut() {
            s.settle_masked(true);
        }
        assert_eq!(
            m.token,
            Secret {
                wo_version: Val::Known(3),
                ..Default::default()
            }
        );
        assert_eq!(m.password.value, Val::Known("p".into()));
    }

    #[test]
    fn masked_values_settle_from_presence() {
        let mut s = Secret {
            value: Val::Known("v".into()),
            wo: Val::Known("w".into()),
            wo_version: Val::Known(1),
        };
        s.settle_masked(true);
        assert_eq!(s.value, Val::Known("v".into()));
        assert_eq!(
            (s.wo.clone(), s.wo_version.clone()),
            (Val::Null, Val::Known(1))
        );
        s.settle_masked(false);
        assert_eq!(s.value, Val::Null, "absent remotely: gone");
        let mut unknown = Secret {
            value: Val::Unknown,
            ..Default::default()
        };
        unknown.settle_masked(true);
        assert_eq!(unknown.value, Val::Null);
    }

    #[test]
    fn the_value_sent_prefers_the_configured_write_only_one() {
        let planned = Secret {
            value: Val::Known("plain".into()),
            ..Default::default()
        };
        let wo = Secret {
            wo: Val::Known("wo".into()),
            ..Default::default()
        };
        assert_eq!(planned.to_send(&wo), Some("wo"));
        assert_eq!(planned.to_send(&Secret::default()), Some("plain"));
        assert_eq!(Secret::default().to_send(&Secret::default()), None);
        let empty = Secret {
            value: Val::Known(String::new()),
            ..Default::default()
        };
        assert_eq!(empty.to_send(&Secret::default()), None);
        let names = Login::secret_names()[0];
        assert_eq!(wo.set_name(names), "password_wo");
        assert_eq!(planned.set_name(names), "password");
        assert!(wo.is_set() && planned.is_set() && !Secret::default().is_set());
    }

    #[test]
    fn a_moved_version_or_a_changed_value_sends_again() {
        let prior = Login {
            password: Secret {
                wo_version: Val::Known(1),
                ..Default::default()
            },
            token: Secret {
                value: Val::Known("t".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(secrets_to_resend(&prior, &prior.clone()).is_empty());
        let mut planned = prior.clone();
        planned.password.wo_version = Val::Known(2);
        assert_eq!(
            secrets_to_resend(&prior, &planned),
            [Login::secret_names()[0]]
        );
        let mut planned = prior.clone();
        planned.token.value = Val::Known("u".into());
        assert_eq!(
            secrets_to_resend(&prior, &planned),
            [Login::secret_names()[1]]
        );
        planned.user = Val::Known("other".into());
        assert_eq!(secrets_to_resend(&prior, &planned).len(), 1);
    }
}
