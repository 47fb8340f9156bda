//! The repository certificate and GnuPG key calls against the real emulator: every request
//! shape (create with upsert, list and delete with filters, get by key ID, already gone).

use harness_gitops_client::models::*;
use harness_gitops_client::Scope;

use crate::support::start;

const GPG_KEY: &str = include_str!("../../../../tests/e2e/fixtures/gnupg-test-key.asc");
const HOST_KEY: &str = include_str!("../../../../tests/e2e/fixtures/ssh-test-host-key.pub");
const PEM: &str = include_str!("../../../../tests/e2e/fixtures/https-test-cert.pem");

#[tokio::test]
async fn certificates_create_list_get_delete() {
    let (_emu, client) = start().await;
    let scope = Scope::account("account.a1");
    let host_key = HOST_KEY.split_whitespace().nth(1).unwrap();
    let body = CertificateCreateRequest {
        certificates: Some(CertificateList {
            items: Some(vec![
                Certificate::new(
                    "git.example.com",
                    cert_type::SSH,
                    Some("ecdsa-sha2-nistp256"),
                    host_key,
                ),
                Certificate::new("git.example.com", cert_type::HTTPS, None, PEM),
            ]),
            ..Default::default()
        }),
        upsert: Some(true),
    };
    let created = client.certificates().create(&scope, &body).await.unwrap();
    let items = created.items.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].data_text().as_deref(), Some(host_key));
    assert!(items[0]
        .cert_info
        .as_deref()
        .unwrap()
        .starts_with("SHA256:"));

    let all = client
        .certificates()
        .list(&scope, &CertificateQuery::default())
        .await
        .unwrap();
    assert_eq!(all.items.unwrap().len(), 2);
    let ssh = client
        .certificates()
        .get_opt(
            &scope,
            "git.example.com",
            cert_type::SSH,
            "ecdsa-sha2-nistp256",
        )
        .await
        .unwrap()
        .expect("the ssh key");
    assert_eq!(ssh.cert_sub_type.as_deref(), Some("ecdsa-sha2-nistp256"));
    let https = client
        .certificates()
        .get_opt(&scope, "git.example.com", cert_type::HTTPS, "")
        .await
        .unwrap()
        .expect("the certificate");
    assert_eq!(https.data_text().as_deref(), Some(PEM));
    // A glob character in the filter is not a match by itself.
    assert!(client
        .certificates()
        .get_opt(&scope, "git.example.co?", cert_type::SSH, "")
        .await
        .unwrap()
        .is_none());

    let only_ssh = CertificateQuery {
        host_name_pattern: Some("git.example.com".into()),
        cert_type: Some(cert_type::SSH.into()),
        cert_sub_type: Some("ecdsa-sha2-nistp256".into()),
    };
    let gone = client
        .certificates()
        .delete(&scope, &only_ssh)
        .await
        .unwrap();
    assert_eq!(gone.items.unwrap().len(), 1);
    let again = client
        .certificates()
        .delete(&scope, &only_ssh)
        .await
        .unwrap();
    assert!(again.items.is_none(), "already gone is success");
    let e = client
        .certificates()
        .delete(&scope, &CertificateQuery::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("every certificate"), "{e}");
    let left = client
        .certificates()
        .list(&scope, &CertificateQuery::default())
        .await
        .unwrap();
    assert_eq!(left.items.unwrap().len(), 1);
}

#[tokio::test]
async fn gpg_keys_create_get_delete() {
    let (_emu, client) = start().await;
    let scope = Scope::account("account.a1");
    let body = |upsert| GpgKeyCreateRequest {
        publickey: Some(GpgKey {
            key_data: Some(GPG_KEY.into()),
            ..Default::default()
        }),
        upsert: Some(upsert),
    };
    let created = client
        .gpg_keys()
        .create(&scope, &body(false))
        .await
        .unwrap();
    let key = created.created.unwrap().items.unwrap().remove(0);
    assert_eq!(key.key_id.as_deref(), Some("C524E8E8F92D08BC"));
    assert_eq!(
        key.fingerprint.as_deref(),
        Some("6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC")
    );
    let skipped = client
        .gpg_keys()
        .create(&scope, &body(false))
        .await
        .unwrap();
    assert_eq!(skipped.skipped, Some(vec!["C524E8E8F92D08BC".to_string()]));
    let got = client
        .gpg_keys()
        .get_opt(&scope, "C524E8E8F92D08BC")
        .await
        .unwrap();
    assert_eq!(got, Some(key));
    assert_eq!(
        client
            .gpg_keys()
            .list(&scope)
            .await
            .unwrap()
            .items
            .unwrap()
            .len(),
        1
    );
    client
        .gpg_keys()
        .delete(&scope, "C524E8E8F92D08BC")
        .await
        .unwrap();
    client
        .gpg_keys()
        .delete(&scope, "C524E8E8F92D08BC")
        .await
        .expect("already gone is success");
    assert_eq!(
        client
            .gpg_keys()
            .get_opt(&scope, "C524E8E8F92D08BC")
            .await
            .unwrap(),
        None
    );
}
