//! Kubeconfig files for the emulator (YAML, as kubectl and kube-rs read them).

use std::path::Path;

/// A kubeconfig with one cluster (`server`, trusting `ca_pem`), one user authenticating with
/// `token`, and one context (current) that joins them with `namespace` as default namespace.
pub fn render(server: &str, ca_pem: &str, user: &str, token: &str, namespace: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let ca = crate::util::b64(ca_pem.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kube-api-emulator
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: {user}
  user:
    token: {token}
contexts:
- name: kube-api-emulator
  context:
    cluster: kube-api-emulator
    user: {user}
    namespace: {namespace}
current-context: kube-api-emulator
preferences: {{}}
",
        server = q(server),
        user = q(user),
        token = q(token),
        namespace = q(namespace),
    )
}

/// Writes a kubeconfig atomically with mode 0600 (it holds a bearer token).
pub fn write(path: &Path, contents: &str) -> std::io::Result<()> {
    crate::persist::write_atomic(path, contents.as_bytes())
}

/// The CA certificate (PEM) of a kubeconfig written by [`render`].
pub fn ca_pem_of(kubeconfig: &str) -> Option<String> {
    let line = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data:"))?;
    let bytes = crate::util::unb64(line.trim().trim_matches('"'))?;
    String::from_utf8(bytes).ok()
}

/// The server URL of a kubeconfig written by [`render`].
pub fn server_of(kubeconfig: &str) -> Option<String> {
    let line = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server:"))?;
    serde_json::from_str(line.trim()).ok()
}

/// The (first) user token of a kubeconfig written by [`render`].
pub fn token_of(kubeconfig: &str) -> Option<String> {
    let line = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("token:"))?;
    serde_json::from_str(line.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = render(
            "https://127.0.0.1:1",
            "-----BEGIN CERTIFICATE-----\nx\n",
            "admin",
            "t\"ok",
            "default",
        );
        assert_eq!(ca_pem_of(&k).unwrap(), "-----BEGIN CERTIFICATE-----\nx\n");
        assert_eq!(server_of(&k).unwrap(), "https://127.0.0.1:1");
        assert!(k.contains("token: \"t\\\"ok\""));
        assert_eq!(token_of(&k).unwrap(), "t\"ok");
    }
}
