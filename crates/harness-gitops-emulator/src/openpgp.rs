//! Just enough OpenPGP (RFC 4880 armor and packets) to report a public key the way Argo CD
//! does: key ID, fingerprint, owner (the first user ID) and sub-type (`rsa4096`, `ed25519`,
//! …). Only v4 keys have the fingerprints Argo CD reports; others are refused.

use base64::Engine as _;

/// What Argo CD reports of an imported public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The last 8 bytes of the fingerprint, upper-case hex (16 digits).
    pub key_id: String,
    /// SHA-1 over `0x99`, the 2-byte length and the public key packet body, upper-case hex.
    pub fingerprint: String,
    /// The first user ID, or empty.
    pub owner: String,
    pub sub_type: String,
}

const BEGIN_PUBLIC: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END_PUBLIC: &str = "-----END PGP PUBLIC KEY BLOCK-----";

/// The decoded packets of an ASCII-armored public key block: armor headers and the CRC line
/// ignored, whitespace anywhere in the body ignored.
///
/// # Errors
/// A message in Argo CD's words for anything that is not an armored public key.
pub fn dearmor(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if text.contains("-----BEGIN PGP PRIVATE KEY BLOCK-----") {
        return Err(
            "invalid gpg key: key data must be a public key, found a private key block".into(),
        );
    }
    let start = text
        .find(BEGIN_PUBLIC)
        .ok_or("invalid gpg key: no ASCII-armored PGP public key block found (-----BEGIN PGP PUBLIC KEY BLOCK-----)")?;
    let rest = &text[start + BEGIN_PUBLIC.len()..];
    let end = rest
        .find(END_PUBLIC)
        .ok_or("invalid gpg key: the PGP public key block has no END line")?;
    let mut b64 = String::new();
    for line in rest[..end].lines() {
        let line = line.trim();
        // Armor headers ("Version: …", "Comment: …") and the "=XXXX" checksum.
        if line.is_empty() || line.contains(": ") || line.starts_with('=') {
            continue;
        }
        b64.push_str(line);
    }
    let b64: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| "invalid gpg key: the armored body is not valid base64".to_string())
}

/// One packet: tag and body.
fn packets(mut data: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let bad = || "invalid gpg key: malformed OpenPGP packet".to_string();
    let mut out = Vec::new();
    while !data.is_empty() {
        let b = data[0];
        if b & 0x80 == 0 {
            return Err(bad());
        }
        let (tag, len, hdr) = if b & 0x40 != 0 {
            let tag = b & 0x3f;
            let o1 = *data.get(1).ok_or_else(bad)? as usize;
            match o1 {
                0..=191 => (tag, o1, 2),
                192..=223 => {
                    let o2 = *data.get(2).ok_or_else(bad)? as usize;
                    (tag, ((o1 - 192) << 8) + o2 + 192, 3)
                }
                255 => {
                    let l = data.get(2..6).ok_or_else(bad)?;
                    (
                        tag,
                        u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize,
                        6,
                    )
                }
                _ => return Err(bad()),
            }
        } else {
            let tag = (b >> 2) & 0x0f;
            match b & 3 {
                0 => (tag, *data.get(1).ok_or_else(bad)? as usize, 2),
                1 => {
                    let l = data.get(1..3).ok_or_else(bad)?;
                    (tag, u16::from_be_bytes([l[0], l[1]]) as usize, 3)
                }
                2 => {
                    let l = data.get(1..5).ok_or_else(bad)?;
                    (
                        tag,
                        u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize,
                        5,
                    )
                }
                _ => (tag, data.len() - 1, 1),
            }
        };
        let body = data.get(hdr..hdr + len).ok_or_else(bad)?;
        out.push((tag, body));
        data = &data[hdr + len..];
    }
    Ok(out)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The sub-type gpg prints for the key's algorithm (`rsa4096`, `dsa2048`, `ed25519`,
/// `nistp256`, `cv25519`, …).
fn sub_type(body: &[u8]) -> String {
    let algo = body.get(5).copied().unwrap_or(0);
    let mpi_bits = || {
        body.get(6..8)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .unwrap_or(0)
    };
    let curve = || {
        let n = body.get(6).copied().unwrap_or(0) as usize;
        match body.get(7..7 + n).unwrap_or(&[]) {
            [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01] => "ed25519".to_string(),
            [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01] => "cv25519".to_string(),
            [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07] => "nistp256".to_string(),
            [0x2B, 0x81, 0x04, 0x00, 0x22] => "nistp384".to_string(),
            [0x2B, 0x81, 0x04, 0x00, 0x23] => "nistp521".to_string(),
            _ => "ecc".to_string(),
        }
    };
    match algo {
        1..=3 => format!("rsa{}", mpi_bits()),
        16 => format!("elg{}", mpi_bits()),
        17 => format!("dsa{}", mpi_bits()),
        18 | 19 | 22 => curve(),
        25 => "cv25519".into(),
        27 => "ed25519".into(),
        28 => "cv448".into(),
        29 => "ed448".into(),
        n => format!("algo{n}"),
    }
}

/// Parses an armored public key as Argo CD reports it.
///
/// # Errors
/// A message in Argo CD's words when the text is not an armored v4 public key.
pub fn parse_public_key(text: &str) -> Result<KeyInfo, String> {
    let data = dearmor(text)?;
    let packets = packets(&data)?;
    let Some(&(tag, body)) = packets.first() else {
        return Err("invalid gpg key: the key block is empty".into());
    };
    match tag {
        6 => {}
        5 => {
            return Err(
                "invalid gpg key: key data must be a public key, found a secret key packet".into(),
            )
        }
        t => {
            return Err(format!(
                "invalid gpg key: the key block does not start with a public key packet (packet tag {t})"
            ))
        }
    }
    if body.first() != Some(&4) {
        return Err(format!(
            "invalid gpg key: only version 4 public keys are supported (found version {})",
            body.first().copied().unwrap_or(0)
        ));
    }
    let len = u16::try_from(body.len()).map_err(|_| "invalid gpg key: key packet too long")?;
    let mut hashed = vec![0x99, (len >> 8) as u8, len as u8];
    hashed.extend_from_slice(body);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &hashed);
    let fingerprint = hex_upper(digest.as_ref());
    let owner = packets
        .iter()
        .find(|(t, _)| *t == 13)
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    Ok(KeyInfo {
        key_id: fingerprint[24..].to_string(),
        fingerprint,
        owner,
        sub_type: sub_type(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated with `gpg --batch --quick-gen-key 'Terraform Test <tf-test@example.com>'
    /// ed25519`; gpg reports fingerprint 6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC.
    pub const KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaxcSExYJKwYBBAHaRw8BAQdAyT4fh5g5hJ9uGaafWuTXWw751Pkjaecx0Prc
8ndzgiO0JFRlcnJhZm9ybSBUZXN0IDx0Zi10ZXN0QGV4YW1wbGUuY29tPoiQBBMW
CAA4FiEEbKYOJA1HzETbOqfRxSTo6PktCLwFAmsXEhMCGwMFCwkIBwIGFQoJCAsC
BBYCAwECHgECF4AACgkQxSTo6PktCLwZ2AEA4faSnD+2o1ZzpG6AM1gZ2kxosJdr
GrFdPha2bxrxFysBAIP7yKgdt1jzNcOZuMOLoIUIcuE7muUIF/+DPgdo8WUE
=sfjW
-----END PGP PUBLIC KEY BLOCK-----
";

    #[test]
    fn fingerprint_and_key_id_match_gpg() {
        let k = parse_public_key(KEY).unwrap();
        assert_eq!(k.fingerprint, "6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC");
        assert_eq!(k.key_id, "C524E8E8F92D08BC");
        assert_eq!(k.owner, "Terraform Test <tf-test@example.com>");
        assert_eq!(k.sub_type, "ed25519");
    }

    #[test]
    fn rewrapped_with_headers_is_the_same_key() {
        let body: String = KEY
            .lines()
            .filter(|l| !l.starts_with("-----") && !l.starts_with('=') && !l.is_empty())
            .collect();
        let rewrapped = format!(
            "  -----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: rewrapped\n\n{}\n{}\n-----END PGP PUBLIC KEY BLOCK-----",
            &body[..100],
            &body[100..]
        );
        assert_eq!(dearmor(&rewrapped).unwrap(), dearmor(KEY).unwrap());
        assert_eq!(
            parse_public_key(&rewrapped).unwrap(),
            parse_public_key(KEY).unwrap()
        );
    }

    #[test]
    fn what_is_not_a_public_key_is_refused() {
        for (text, needle) in [
            ("hello", "no ASCII-armored PGP public key block"),
            (
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----",
                "private key",
            ),
            (
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----",
                "base64",
            ),
            (
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nlQ==\n-----END PGP PUBLIC KEY BLOCK-----",
                "malformed",
            ),
        ] {
            let e = parse_public_key(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
