//! Repository certificates (`/gitops/api/v1/agents/{agent}/certificates`): Argo CD's SSH
//! known hosts and HTTPS TLS certificates of one agent (reference §5.5). There is no
//! per-certificate id: Argo CD keys an entry by server name, type and sub-type; list and
//! delete filter by `query.hostNamePattern` (a glob), `query.certType` and `query.certSubType`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::{list_body, str_of};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::schema::{Msg, Ty};
use super::scope::Key;
use super::store::Ts;
use super::validate::{check_msg, decode_base64};

/// One stored certificate (`certificatesRepositoryCertificate` with `certInfo` computed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertEntry {
    /// `id` is `{certType} {serverName} {certSubType}`.
    pub key: Key,
    pub cert: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// `certificatesRepositoryCertificate`.
pub static CERTIFICATE: Msg = Msg {
    name: "certificatesRepositoryCertificate",
    fields: &[
        ("serverName", Ty::Str),
        ("certType", Ty::Str),
        ("certSubType", Ty::Str),
        ("certData", Ty::Bytes),
        ("certInfo", Ty::Str),
    ],
};

/// `v1ListMeta`.
pub static LIST_META: Msg = Msg {
    name: "v1ListMeta",
    fields: &[
        ("selfLink", Ty::Str),
        ("resourceVersion", Ty::Str),
        ("continue", Ty::Str),
        ("remainingItemCount", Ty::I64),
    ],
};

/// `certificatesRepositoryCertificateList`.
pub static CERTIFICATE_LIST: Msg = Msg {
    name: "certificatesRepositoryCertificateList",
    fields: &[
        ("metadata", Ty::Msg(&LIST_META)),
        ("items", Ty::List(&Ty::Msg(&CERTIFICATE))),
    ],
};

/// `certificatesRepositoryCertificateCreateRequest`: body of `POST …/certificates`.
pub static CERT_CREATE_REQUEST: Msg = Msg {
    name: "certificatesRepositoryCertificateCreateRequest",
    fields: &[
        ("certificates", Ty::Msg(&CERTIFICATE_LIST)),
        ("upsert", Ty::Bool),
    ],
};

/// SSH key types Argo CD accepts in known hosts.
const SSH_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Checks one known-hosts entry (`server key-type base64-key`) and returns the OpenSSH
/// fingerprint of the key, `SHA256:` and the unpadded base64 of the key blob's SHA-256.
pub fn ssh_fingerprint(server: &str, sub_type: &str, key: &str) -> Result<String, String> {
    let line = format!("{server} {sub_type} {key}");
    let bad = |why: &str| format!("invalid known hosts entry \"{line}\": {why}");
    if !SSH_TYPES.contains(&sub_type) {
        return Err(bad(&format!(
            "unknown key type \"{sub_type}\" (one of {})",
            SSH_TYPES.join(", ")
        )));
    }
    let key = key.trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(bad("the key must be one base64 token"));
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| bad("the key is not valid base64"))?;
    let name_len = blob
        .get(..4)
        .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)
        .ok_or_else(|| bad("the key blob is too short"))?;
    let name = blob
        .get(4..4 + name_len)
        .ok_or_else(|| bad("the key blob is too short"))?;
    if name != sub_type.as_bytes() {
        return Err(bad(&format!(
            "the key is of type \"{}\", not \"{sub_type}\"",
            String::from_utf8_lossy(name)
        )));
    }
    let fp = base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha256(&blob));
    Ok(format!("SHA256:{fp}"))
}

/// A DER element: (tag, contents, rest).
fn der(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let l0 = *data.get(1)? as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in data.get(2..2 + n)? {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    let body = data.get(hdr..hdr + len)?;
    Some((tag, body, &data[hdr + len..]))
}

/// The public key algorithm of a DER certificate as Go's `x509.PublicKeyAlgorithm` names it
/// (what Argo CD reports as an HTTPS certificate's sub-type) and its subject as Go's
/// `pkix.Name.String()` writes it (`certInfo`): RDNs last first, `O=…,CN=…`.
fn describe(cert: &[u8]) -> Option<(String, String)> {
    let (_, cert, _) = der(cert)?;
    let (_, tbs, _) = der(cert)?;
    let mut rest = tbs;
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (tag, body, next) = der(rest)?;
        if tag != 0xA0 {
            fields.push((tag, body));
        }
        rest = next;
    }
    // serial, signature, issuer, validity, subject
    let &(_, name) = fields.get(4)?;
    let mut rdns = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let (_, set, next) = der(rest)?;
        let (_, atv, _) = der(set)?;
        let (_, oid, value) = der(atv)?;
        let (_, value, _) = der(value)?;
        let short = match oid {
            [0x55, 0x04, 0x03] => "CN".to_string(),
            [0x55, 0x04, 0x0A] => "O".to_string(),
            [0x55, 0x04, 0x0B] => "OU".to_string(),
            [0x55, 0x04, 0x06] => "C".to_string(),
            [0x55, 0x04, 0x07] => "L".to_string(),
            [0x55, 0x04, 0x08] => "ST".to_string(),
            other => other
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join("."),
        };
        rdns.push(format!("{short}={}", String::from_utf8_lossy(value)));
        rest = next;
    }
    rdns.reverse();
    let &(_, spki) = fields.get(5)?;
    let (_, alg, _) = der(spki)?;
    let (_, oid, _) = der(alg)?;
    let algo = match oid {
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01] => "RSA",
        [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01] => "ECDSA",
        [0x2B, 0x65, 0x70] => "Ed25519",
        [0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01] => "DSA",
        _ => "unknown",
    };
    Some((algo.to_string(), rdns.join(",")))
}

/// Checks PEM certificate data (one or more `CERTIFICATE` blocks) and returns the public key
/// algorithm and the subject of the first.
pub fn pem_info(pem: &str) -> Result<(String, String), String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut rest = pem.trim();
    let mut first = None;
    if rest.is_empty() {
        return Err("invalid certificate data: no PEM CERTIFICATE block found".into());
    }
    while !rest.is_empty() {
        let body = rest
            .strip_prefix(BEGIN)
            .ok_or("invalid certificate data: expected -----BEGIN CERTIFICATE-----")?;
        let end = body
            .find(END)
            .ok_or("invalid certificate data: a CERTIFICATE block has no END line")?;
        let text: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let der_bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| "invalid certificate data: the PEM body is not base64")?;
        let info =
            describe(&der_bytes).ok_or("invalid certificate data: not a DER X.509 certificate")?;
        first.get_or_insert(info);
        rest = body[end + END.len()..].trim_start();
    }
    Ok(first.unwrap_or_default())
}

/// Validates one item of a create request and computes its `certInfo`.
fn checked_item(i: usize, item: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
    let at = |f: &str| format!("certificates.items[{i}].{f}");
    let server = str_of(item, "serverName");
    if server.is_empty() || server.contains(char::is_whitespace) {
        return Err(ApiError::invalid(format!(
            "field \"{}\": a server name without spaces is required",
            at("serverName")
        )));
    }
    let cert_type = str_of(item, "certType");
    let sub_type = str_of(item, "certSubType");
    let data = decode_base64(str_of(item, "certData")).unwrap_or_default();
    let text = String::from_utf8(data)
        .map_err(|_| ApiError::invalid(format!("field \"{}\" is not text", at("certData"))))?;
    let (sub_type, info) = match cert_type {
        "ssh" => (
            sub_type.to_string(),
            ssh_fingerprint(server, sub_type, &text).map_err(ApiError::invalid)?,
        ),
        "https" => {
            let (algo, subject) = pem_info(&text).map_err(ApiError::invalid)?;
            if !sub_type.is_empty() && sub_type != algo {
                return Err(ApiError::invalid(format!(
                    "field \"{}\": the certificate's key is {algo}, not {sub_type}",
                    at("certSubType")
                )));
            }
            (algo, subject)
        }
        other => {
            return Err(ApiError::invalid(format!(
                "field \"{}\": unknown certificate type \"{other}\" (ssh or https)",
                at("certType")
            )))
        }
    };
    let mut out = Map::new();
    out.insert("serverName".into(), json!(server));
    out.insert("certType".into(), json!(cert_type));
    out.insert("certSubType".into(), json!(sub_type));
    out.insert("certData".into(), json!(b64(text.as_bytes())));
    out.insert("certInfo".into(), json!(info));
    Ok(out)
}

fn entry_id(cert: &Map<String, Value>) -> String {
    format!(
        "{} {} {}",
        str_of(cert, "certType"),
        str_of(cert, "serverName"),
        str_of(cert, "certSubType")
    )
}

/// A shell-style glob (`*`, `?`), as Argo CD's `hostNamePattern`.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn selected(req: &ApiRequest, e: &CertEntry) -> bool {
    let q = &req.query;
    e.key.scope == req.scope
        && e.key.agent == req.route.agent
        && q.admits("query.hostNamePattern", |p| {
            glob(p, str_of(&e.cert, "serverName"))
        })
        && q.admits("query.certType", |t| str_of(&e.cert, "certType") == t)
        && q.admits("query.certSubType", |t| str_of(&e.cert, "certSubType") == t)
}

/// `POST …/certificates` (AgentCertificateService_Create): adds the items; an entry with the
/// same server, type and sub-type but other data is refused unless `upsert`.
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &CERT_CREATE_REQUEST, "")?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let items: Vec<Map<String, Value>> = body
        .get("certificates")
        .and_then(|c| c.get("items"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::invalid(
            "field \"certificates.items\": at least one certificate is required",
        ));
    }
    let checked = items
        .iter()
        .enumerate()
        .map(|(i, item)| checked_item(i, item))
        .collect::<ApiResult<Vec<_>>>()?;
    let now = req.now;
    let created = ctx
        .store
        .write(|s| {
            let mut out = Vec::new();
            for cert in checked {
                let key = req.key(&entry_id(&cert));
                let old = s.certificates.get(&key);
                if let Some(old) = old {
                    if old.cert.get("certData") != cert.get("certData") && !upsert {
                        return Err(ApiError::invalid(format!(
                            "certificate for {} of type {} ({}) already exists with different data; use upsert to replace it",
                            str_of(&cert, "serverName"),
                            str_of(&cert, "certType"),
                            str_of(&cert, "certSubType"),
                        )));
                    }
                }
                let entry = CertEntry {
                    key: key.clone(),
                    cert,
                    created_at: old.map_or(now, |e| e.created_at),
                    last_modified_at: now,
                };
                out.push(Value::Object(entry.cert.clone()));
                s.certificates.insert(key, entry);
            }
            Ok(out)
        })
        .await?;
    req.applied(ctx);
    Ok(list_body(json!({}), created))
}

/// `GET …/certificates` (AgentCertificateService_List).
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let items = ctx
        .store
        .read(|s| {
            s.certificates
                .values()
                .filter(|e| selected(&req, e))
                .map(|e| Value::Object(e.cert.clone()))
                .collect()
        })
        .await;
    Ok(list_body(json!({}), items))
}

/// `DELETE …/certificates` (AgentCertificateService_Delete): removes what the filters select
/// and answers the removed certificates (none: an empty list, not an error).
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let removed = ctx
        .store
        .write(|s| {
            let keys: Vec<Key> = s
                .certificates
                .values()
                .filter(|e| selected(&req, e))
                .map(|e| e.key.clone())
                .collect();
            Ok(keys
                .iter()
                .filter_map(|k| s.certificates.remove(k))
                .map(|e| Value::Object(e.cert))
                .collect())
        })
        .await?;
    req.applied(ctx);
    Ok(list_body(json!({}), removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_KEY: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEs5kMOwcv58XVhZ6w0vg9xsnkjb8ZlIRWTkN90l/k2LzbJKxcC9hjdreWYceXPw1SMfhA0Ou6LV3zevB02Q+wQ=";

    #[test]
    fn ssh_fingerprint_is_openssh_sha256() {
        // `ssh-keygen -lf` prints this for the key.
        assert_eq!(
            ssh_fingerprint("git.example.com", "ecdsa-sha2-nistp256", HOST_KEY).unwrap(),
            "SHA256:mV8ZkC+/7kByVEqKfcj2XQ/KrIHb9jz3cf9/woucSYM"
        );
        for (ty, key, needle) in [
            ("ssh-ed25519", HOST_KEY, "not \"ssh-ed25519\""),
            ("ssh-foo", HOST_KEY, "unknown key type"),
            ("ecdsa-sha2-nistp256", "!!", "not valid base64"),
            ("ecdsa-sha2-nistp256", "AAAA BBBB", "one base64 token"),
        ] {
            let e = ssh_fingerprint("h", ty, key).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn pem_subject_is_go_pkix_form() {
        let pem = "-----BEGIN CERTIFICATE-----
MIIBrTCCAVOgAwIBAgIUP/vlF+bhTCIDbQVNduZcGdj56DUwCgYIKoZIzj0EAwIw
LDEYMBYGA1UEAwwPZ2l0LmV4YW1wbGUuY29tMRAwDgYDVQQKDAdFeGFtcGxlMB4X
DTI2MTIwNzIwMDgzOVoXDTM2MTIwNDIwMDgzOVowLDEYMBYGA1UEAwwPZ2l0LmV4
YW1wbGUuY29tMRAwDgYDVQQKDAdFeGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEz/xxOHqL915YhkjeQlZ7FrCtffE849S5/K31kOE76jP31v0dMFZoVKOf
ehpgpCNxYQOV6njbq5HG7BVHmH+CWaNTMFEwHQYDVR0OBBYEFJMuJJ2RjFIHxJnz
88mG0C7vahUvMB8GA1UdIwQYMBaAFJMuJJ2RjFIHxJnz88mG0C7vahUvMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgI9c37WHugieDonJCxTpq/dHc
eU7GAlX+auQWoCUYop4CIQDJ1UZTfn20BA4SumICHoUwdUHMP55j4U1CagSw6m9E
wg==
-----END CERTIFICATE-----
";
        assert_eq!(
            pem_info(pem).unwrap(),
            (
                "ECDSA".to_string(),
                "O=Example,CN=git.example.com".to_string()
            )
        );
        assert!(pem_info("nope").unwrap_err().contains("BEGIN CERTIFICATE"));
        assert!(
            pem_info("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .unwrap_err()
                .contains("X.509")
        );
    }

    #[test]
    fn globs() {
        assert!(glob("*.example.com", "git.example.com"));
        assert!(glob("git.example.co?", "git.example.com"));
        assert!(!glob("*.example.org", "git.example.com"));
        assert!(glob("git.example.com", "git.example.com"));
    }
}
