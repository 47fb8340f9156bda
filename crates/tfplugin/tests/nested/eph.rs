//! `nestedtest_secret`: a test-only ephemeral resource whose value is made up from its name,
//! recording every open and close in the store, so the e2e test can prove Terraform opens and
//! closes it and that its value reaches a write-only attribute but never plan or state.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tfplugin::ctx::Ctx;
use tfplugin::resource::Renewed;
use tfplugin::tf::Diagnostics;
use tfplugin::typed::{Model, ModelEphemeral, OpenedModel, Val};

use crate::thing::Shared;

/// A secret made up for the length of one Terraform run.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Secret {
    /// Name the secret is made for.
    #[tf(
        required,
        pattern("[a-z0-9-]+", "lowercase letters, digits and dashes")
    )]
    pub name: Val<String>,
    /// Seconds after which Terraform renews the secret while it is in use.
    #[tf(optional)]
    pub renew_after: Val<i64>,
    /// The secret.
    #[tf(computed, sensitive)]
    pub value: Val<String>,
}

/// The value made for `name`.
pub fn secret_value(name: &str) -> String {
    format!("ephemeral-value-{name}")
}

pub struct SecretEphemeral;

#[async_trait]
impl ModelEphemeral<Shared> for SecretEphemeral {
    type Model = Secret;

    fn type_name(&self) -> &'static str {
        "nestedtest_secret"
    }

    async fn open(
        &self,
        ctx: &Ctx<Shared>,
        mut config: Secret,
        _diags: &mut Diagnostics,
    ) -> Option<OpenedModel<Secret>> {
        let name = config.name.as_deref().unwrap_or_default().to_string();
        ctx.provider
            .lock()
            .unwrap()
            .ephemeral_calls
            .push(format!("open:{name}"));
        config.value = Val::Known(secret_value(&name));
        let renew_at = config
            .renew_after
            .known()
            .map(|s| SystemTime::now() + Duration::from_secs(*s as u64));
        Some(OpenedModel {
            result: config,
            private: Some(name.into_bytes()),
            renew_at,
        })
    }

    async fn renew(
        &self,
        ctx: &Ctx<Shared>,
        private: Option<&[u8]>,
        _diags: &mut Diagnostics,
    ) -> Option<Renewed> {
        let name = String::from_utf8_lossy(private.unwrap_or_default()).to_string();
        ctx.provider
            .lock()
            .unwrap()
            .ephemeral_calls
            .push(format!("renew:{name}"));
        None
    }

    async fn close(&self, ctx: &Ctx<Shared>, private: Option<&[u8]>, _diags: &mut Diagnostics) {
        let name = String::from_utf8_lossy(private.unwrap_or_default()).to_string();
        ctx.provider
            .lock()
            .unwrap()
            .ephemeral_calls
            .push(format!("close:{name}"));
    }
}
