//! Bearer-token authentication: the admin token, or a legacy service-account token that the
//! token controller issued into a `kubernetes.io/service-account-token` Secret.

use serde_json::Value;

use crate::rbac::UserInfo;
use crate::resources::{SECRETS, SERVICE_ACCOUNTS};
use crate::store::Store;
use crate::util::{annotation, ct_eq, meta_str};
use crate::validate::{secret_data, SA_NAME_ANNOTATION, SA_TOKEN_TYPE, SA_UID_ANNOTATION};

/// The admin's user name (a kubeadm-style admin in `system:masters`).
pub const ADMIN_USER: &str = "kubernetes-admin";

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn admin_user() -> UserInfo {
    UserInfo {
        name: ADMIN_USER.into(),
        uid: String::new(),
        groups: vec!["system:masters".into(), "system:authenticated".into()],
    }
}

pub fn service_account_user(namespace: &str, name: &str, uid: &str) -> UserInfo {
    UserInfo {
        name: format!("system:serviceaccount:{namespace}:{name}"),
        uid: uid.to_owned(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".into(),
        ],
    }
}

/// Authenticates a token. A service-account token is valid while its Secret exists with that
/// token, the token was issued by the controller into that Secret, and the ServiceAccount it
/// names exists with the UID the Secret records, as the legacy token authenticator checks.
pub fn authenticate(store: &Store, token: &str) -> Option<UserInfo> {
    if ct_eq(token.as_bytes(), store.admin_token.as_bytes()) {
        return Some(admin_user());
    }
    let secret = store
        .list(&SECRETS, None)
        .find(|s| is_issued_token(store, s, token))?;
    let ns = meta_str(secret, "namespace");
    let sa_name = annotation(secret, SA_NAME_ANNOTATION)?;
    let sa = store.get(&SERVICE_ACCOUNTS, ns, sa_name)?;
    let sa_uid = meta_str(sa, "uid");
    if annotation(secret, SA_UID_ANNOTATION).unwrap_or("") != sa_uid {
        return None;
    }
    if sa
        .get("metadata")
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some()
    {
        return None;
    }
    Some(service_account_user(ns, sa_name, sa_uid))
}

fn is_issued_token(store: &Store, secret: &Value, token: &str) -> bool {
    if secret.get("type").and_then(Value::as_str) != Some(SA_TOKEN_TYPE) {
        return false;
    }
    let Some(data) = secret_data(secret, "token") else {
        return false;
    };
    let Some(issued) = store.issued_tokens.get(meta_str(secret, "uid")) else {
        return false;
    };
    ct_eq(&data, token.as_bytes()) && ct_eq(issued.as_bytes(), token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}
