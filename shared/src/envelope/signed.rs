//! Envelope version 2: the batch followed by an HMAC-SHA256 tag, so a receiver that knows
//! SHA-256 of the device's key can tell that the device sent it (MQTT, where the broker
//! and the topic prove nothing about the sender).
//!
//! The HMAC key is SHA-256 of the device key rather than the key itself: the collector
//! stores exactly that hash (never the key), and the key never travels on the broker.

use super::{Batch, EnvelopeError, SIGNED_VERSION};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Length of the tag at the end of a version 2 envelope.
pub const TAG_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 of a device key: the HMAC key of its version 2 envelopes, and what the
/// collector's registry stores.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn mac(key_hash: &[u8; 32]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key_hash).expect("HMAC takes keys of any length")
}

impl Batch {
    /// Encodes the batch as version 2: the version 1 layout with version 2, then the tag.
    pub fn encode_signed(&self, key_hash: &[u8; 32]) -> Vec<u8> {
        let mut out = self.encode_as(SIGNED_VERSION);
        let mut m = mac(key_hash);
        m.update(&out);
        out.extend_from_slice(&m.finalize().into_bytes());
        out
    }
}

/// A decoded version 2 envelope whose tag is not checked yet.
#[derive(Debug)]
pub struct Signed<'a> {
    pub batch: Batch,
    /// The bytes the tag covers.
    covered: &'a [u8],
    tag: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Decodes a version 2 envelope; other versions are refused (version 1:
    /// [`EnvelopeError::Unsigned`]). Never panics, whatever the bytes.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        let (version, _) = Batch::version(bytes)?;
        if version != u64::from(SIGNED_VERSION) {
            return Err(EnvelopeError::Unsigned { found: version });
        }
        let end = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(EnvelopeError::MissingTag)?;
        let (signed, tag) = bytes.split_at(end);
        let (_, body) = Batch::version(signed).map_err(|_| EnvelopeError::MissingTag)?;
        let batch = Batch::body(body)?;
        Ok(Signed {
            batch,
            covered: signed,
            tag,
        })
    }

    /// Whether the tag was made with this key hash (constant time).
    pub fn verify(&self, key_hash: &[u8; 32]) -> bool {
        let mut m = mac(key_hash);
        m.update(self.covered);
        m.verify_slice(self.tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Document, Sample};
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn batch() -> Batch {
        Batch {
            device: Uuid::from_u128(42),
            samples: vec![Sample {
                seq: 7,
                collected_at_us: 1_700_000_000_000_000,
                document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
            }],
        }
    }

    #[test]
    fn a_signed_batch_verifies_with_its_key_only() {
        let k = key_hash("device key");
        let bytes = batch().encode_signed(&k);
        assert_eq!(bytes[0], 2);
        let s = Signed::decode(&bytes).unwrap();
        assert_eq!(s.batch, batch());
        assert!(s.verify(&k));
        assert!(!s.verify(&key_hash("another device's key")));
        // Readable by the plain decoder too (the tag is then not checked).
        assert_eq!(Batch::decode(&bytes).unwrap(), batch());
    }

    #[test]
    fn version_1_is_refused_where_a_tag_is_required() {
        assert!(matches!(
            Signed::decode(&batch().encode()),
            Err(EnvelopeError::Unsigned { found: 1 })
        ));
        assert!(matches!(
            Signed::decode(&[2, 0]),
            Err(EnvelopeError::MissingTag)
        ));
    }

    #[test]
    fn key_hash_is_plain_sha256() {
        // The collector's registry stores SHA-256 of the key: the same bytes.
        let h = key_hash("abc");
        assert_eq!(
            h[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "SHA-256(\"abc\") starts with ba7816bf"
        );
    }

    proptest! {
        /// Any change to a signed envelope is caught: the tag no longer verifies, or
        /// the bytes no longer decode.
        #[test]
        fn any_flipped_bit_fails(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let k = key_hash("device key");
            let mut bytes = batch().encode_signed(&k);
            let i = pos.index(bytes.len());
            bytes[i] ^= 1 << bit;
            if let Ok(s) = Signed::decode(&bytes) {
                prop_assert!(!s.verify(&k));
            }
        }

        #[test]
        fn decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = Signed::decode(&bytes);
            let _ = Batch::decode(&bytes);
        }
    }
}
