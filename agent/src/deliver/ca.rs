//! The CA certificates that verify `https://` and `mqtts://` servers: `tls_ca_file` when
//! set, else the system's bundle (OpenWrt's `ca-bundle` package, Debian's and Alpine's
//! `ca-certificates`; `SSL_CERT_FILE` names another, as for OpenSSL), read when a
//! connection needs it. No roots are compiled into the
//! binary: they would cost a router's flash what the bundle already holds, and they would
//! only be as fresh as the agent build.

use crate::config::Config;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};

/// Where systems keep their CA bundle, in order of preference.
pub const SYSTEM_BUNDLES: [&str; 2] = ["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"];

/// The bundles to try: `SSL_CERT_FILE` alone when it is set, else [`SYSTEM_BUNDLES`].
pub fn system_bundles() -> Vec<String> {
    match std::env::var("SSL_CERT_FILE") {
        Ok(path) if !path.is_empty() => vec![path],
        _ => SYSTEM_BUNDLES.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// Why no roots could be read; each names the file or the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    #[error("option `tls_ca_file` ({path}): {message}")]
    File { path: String, message: String },
    #[error(
        "verifying the server needs CA certificates, and no CA bundle is at {tried}: \
         install one (`ca-bundle` on OpenWrt, `ca-certificates` elsewhere), set \
         `tls_ca_file`, or set `tls_verify 0`"
    )]
    NoBundle { tried: String },
    #[error("CA bundle {path}: {message}")]
    Bundle { path: String, message: String },
}

/// The roots for `cfg`: its `tls_ca_file`, else the first system bundle in `bundles`.
pub fn roots(
    cfg: &Config,
    bundles: &[impl AsRef<str>],
) -> Result<Vec<CertificateDer<'static>>, CaError> {
    if let Some(path) = &cfg.tls_ca_file {
        return read(path).map_err(|message| CaError::File {
            path: path.display().to_string(),
            message,
        });
    }
    let path = bundles
        .iter()
        .map(|p| PathBuf::from(p.as_ref()))
        .find(|p| p.is_file())
        .ok_or_else(|| CaError::NoBundle {
            tried: bundles
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<&str>>()
                .join(", "),
        })?;
    read(&path).map_err(|message| CaError::Bundle {
        path: path.display().to_string(),
        message,
    })
}

fn read(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate in the file".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(ca: Option<&Path>) -> Config {
        Config {
            tls_ca_file: ca.map(Path::to_path_buf),
            ..Config::default()
        }
    }

    /// A self-signed certificate (openssl req -x509 -newkey ec, P-256), PEM.
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIULtOpKgBLPbKeVumkgBt+vVLqPFgwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKZWRnZW1vbi1jYTAeFw0yNjEyMDcxNDQ4MDdaFw0zNjEyMDQx
NDQ4MDdaMBUxEzARBgNVBAMMCmVkZ2Vtb24tY2EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASaZ2MhDqfNHKliItmG528MdXfRg0crCyT3lP9rur+uYt1PaL2heQ8l
/7S8Up4Qj1dIrYBvZXortgVbdlY/cTDHo1MwUTAdBgNVHQ4EFgQUUytZ/B6X9/tb
0f740Zz/eTf50kowHwYDVR0jBBgwFoAUUytZ/B6X9/tb0f740Zz/eTf50kowDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAk+BxbSWTEUP3r5bfoeKw
hq2RD1ln+L5otrOfIOF+fTUCIQCaHefutEFkyMd6qBuEp/YTzJZfBaZJIFRkuLTO
ncM1fw==
-----END CERTIFICATE-----
";

    #[test]
    fn the_option_wins_over_the_system_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("mine.pem");
        std::fs::write(&mine, CERT.repeat(2)).unwrap();
        let system = dir.path().join("system.pem");
        std::fs::write(&system, CERT).unwrap();
        let system = system.to_str().unwrap();
        assert_eq!(roots(&cfg(Some(&mine)), &[system]).unwrap().len(), 2);
        assert_eq!(
            roots(&cfg(None), &["/nonexistent/a.pem", system])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_missing_or_empty_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = roots(&cfg(Some(&missing)), &[] as &[&str]).unwrap_err();
        assert!(e.to_string().starts_with("option `tls_ca_file` ("), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = roots(&cfg(None), &[empty.to_str().unwrap()]).unwrap_err();
        assert_eq!(
            e,
            CaError::Bundle {
                path: empty.display().to_string(),
                message: "no PEM certificate in the file".into()
            }
        );
        let e = roots(&cfg(None), &["/nonexistent/a.pem", "/nonexistent/b.pem"]).unwrap_err();
        assert_eq!(
            e,
            CaError::NoBundle {
                tried: "/nonexistent/a.pem, /nonexistent/b.pem".into()
            }
        );
        assert!(e.to_string().contains("`ca-bundle` on OpenWrt"), "{e}");
    }
}
