//! Repository certificates: `…/agents/{agent}/certificates` (harness-gitops-more.md §5.5).
//! There is no per-certificate id: Argo CD keys an entry by server name, type and sub-type,
//! and list and delete take filters (`query.hostNamePattern`, a glob; `query.certType`;
//! `query.certSubType`).

use reqwest::Method;

use super::client::{Call, Client};
use super::error::{Error, Operation};
use super::models::{Certificate, CertificateCreateRequest, CertificateList, CertificateQuery};
use super::scope::Scope;

/// Repository certificate calls; from [`Client::certificates`].
pub struct Certificates<'c> {
    client: &'c Client,
}

fn filters(q: &CertificateQuery) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (k, v) in [
        ("query.hostNamePattern", &q.host_name_pattern),
        ("query.certType", &q.cert_type),
        ("query.certSubType", &q.cert_sub_type),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            out.push((k, v.clone()));
        }
    }
    out
}

impl<'c> Certificates<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Certificates { client }
    }

    fn call<'a>(
        &self,
        action: &'static str,
        method: Method,
        scope: &'a Scope,
        target: Option<String>,
    ) -> Call<'a> {
        let op = Operation {
            action,
            kind: if target.is_some() {
                "repository certificate"
            } else {
                "repository certificates"
            },
            target,
            agent: scope.agent.clone(),
        };
        let mut call = Call::new(op, method, scope, self.client.deadline());
        call.path.push(("collection", "certificates"));
        call
    }

    /// Adds certificates (`POST certificates`). With `upsert`, an entry with the same server,
    /// type and sub-type is replaced, so the call is idempotent and retried.
    pub async fn create(
        &self,
        scope: &Scope,
        request: &CertificateCreateRequest,
    ) -> Result<CertificateList, Error> {
        let first = request
            .certificates
            .as_ref()
            .and_then(|c| c.items.as_ref())
            .and_then(|i| i.first())
            .and_then(|c| c.server_name.clone());
        let call = self
            .call("create", Method::POST, scope, first)
            .json(request)?;
        self.client.send(&call).await
    }

    /// Lists the agent's certificates that match `query`.
    pub async fn list(
        &self,
        scope: &Scope,
        query: &CertificateQuery,
    ) -> Result<CertificateList, Error> {
        let mut call = self.call("list", Method::GET, scope, None);
        call.query = filters(query);
        self.client.send(&call).await
    }

    /// The one certificate of `server_name`, `cert_type` and `cert_sub_type` (compared
    /// exactly: the server filter is a glob), or `None`. An empty `cert_sub_type` matches any.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        server_name: &str,
        cert_type: &str,
        cert_sub_type: &str,
    ) -> Result<Option<Certificate>, Error> {
        let query = CertificateQuery {
            host_name_pattern: Some(server_name.to_string()),
            cert_type: Some(cert_type.to_string()),
            cert_sub_type: (!cert_sub_type.is_empty()).then(|| cert_sub_type.to_string()),
        };
        let mut call = self.call("get", Method::GET, scope, Some(server_name.to_string()));
        call.query = filters(&query);
        let list: CertificateList = self.client.send(&call).await?;
        Ok(list.items.unwrap_or_default().into_iter().find(|c| {
            c.server_name.as_deref() == Some(server_name)
                && c.cert_type.as_deref() == Some(cert_type)
                && (cert_sub_type.is_empty() || c.cert_sub_type.as_deref() == Some(cert_sub_type))
        }))
    }

    /// Deletes the certificates that match `query` and returns them. Nothing matching is
    /// success (an empty list). An empty query would delete every certificate of the agent:
    /// refused here.
    pub async fn delete(
        &self,
        scope: &Scope,
        query: &CertificateQuery,
    ) -> Result<CertificateList, Error> {
        let mut call = self.call(
            "delete",
            Method::DELETE,
            scope,
            query.host_name_pattern.clone(),
        );
        call.query = filters(query);
        if call.query.is_empty() {
            return Err(Error::InvalidRequest {
                operation: call.op.clone(),
                detail: "a delete without filters would remove every certificate of the agent"
                    .into(),
            });
        }
        match self.client.send(&call).await {
            Err(e) if e.is_not_found() => Ok(CertificateList::default()),
            other => other,
        }
    }
}
