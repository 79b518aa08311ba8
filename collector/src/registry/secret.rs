//! Device keys, API tokens and shared secrets: generation, hashing, constant-time checks,
//! and the reference's "consistent key".

use super::model::SecretHash;
use md5::Digest as _;
use subtle::ConstantTimeEq;

/// A new random secret: 32 lowercase hex characters (128 bits), the shape of OpenWISP keys.
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex(&bytes)
}

/// SHA-256 of a secret. Secrets are random 128-bit values, so a plain digest is enough to
/// make a leaked database useless for impersonation.
pub fn hash(secret: &str) -> SecretHash {
    sha2::Sha256::digest(secret.as_bytes()).into()
}

/// Does `secret` hash to `expected`? Constant time in the contents.
pub fn verify(secret: &str, expected: &SecretHash) -> bool {
    hash(secret).ct_eq(expected).into()
}

/// openwisp-config's consistent key: `md5hex("<mac or hardware id>+<shared secret>")`.
pub fn consistent_key(keybase: &str, shared_secret: &str) -> String {
    let digest = md5::Md5::digest(format!("{keybase}+{shared_secret}").as_bytes());
    hex(&digest)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_32_hex_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn verify_accepts_only_the_same_secret() {
        let h = hash("s3cret");
        assert!(verify("s3cret", &h));
        assert!(!verify("s3cre", &h));
        assert!(!verify("", &h));
    }

    #[test]
    fn consistent_key_is_md5_of_mac_plus_secret() {
        // md5("AA:BB:CC:DD:EE:FF+secret"), computed with `printf %s … | md5sum`.
        assert_eq!(
            consistent_key("AA:BB:CC:DD:EE:FF", "secret"),
            "1b3acb0b58cc8fb7e38d493b0f348cd1"
        );
    }
}
