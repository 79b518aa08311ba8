//! The native batch envelope: how edgemon-agent ships samples to edgemon-collector over
//! HTTP and MQTT.
//!
//! # Layout
//!
//! A batch is one device's samples, oldest first. Each sample carries the device's
//! per-device sequence number (strictly increasing, assigned when the sample is queued, so
//! the collector can drop duplicates and see gaps), the instant it was collected, and the
//! NetJSON DeviceMonitoring document as JSON text. The document stays JSON inside the binary
//! envelope on purpose: it is self-describing, keeps every member the device sent, and is
//! exactly what the OpenWISP-compatible path carries.
//!
//! On the wire the batch is [postcard]: the envelope version as a varint, then the
//! version's fields. [`Batch::to_json`] renders the same structure as JSON for debugging
//! (documents embedded as JSON objects, not strings).
//!
//! # Versions
//!
//! * **1**: the batch. HTTP authenticates the device with its key in a header.
//! * **2**: the same bytes as version 1 (with 2 as the version), followed by a 32-byte
//!   HMAC-SHA256 tag over everything before it, keyed with SHA-256 of the device key
//!   ([`key_hash`]). MQTT carries it: the broker sees no key, and the collector, which
//!   stores exactly that hash, checks that the batch comes from the device it names
//!   whatever the topic and the broker's ACLs ([`Signed`]).
//!
//! # Versioning rules
//!
//! * The first value is always the envelope version (`u16` varint). A decoder reads it
//!   first and refuses versions it does not know with [`EnvelopeError::UnsupportedVersion`];
//!   it never guesses.
//! * Any change to the fields of the envelope, even adding an optional one, makes a new
//!   version: postcard is not self-describing, so old decoders cannot skip new fields.
//! * A collector decodes every version from 1 to [`ENVELOPE_VERSION`]; an agent sends the
//!   newest version its collector accepts (a collector upgrade comes first).
//! * Changes *inside* the NetJSON document need no new envelope version: the document is
//!   JSON and follows the reference schema's rules (unknown members are kept).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

mod signed;

pub use signed::{Signed, TAG_LEN, key_hash};

/// The newest envelope version this build reads and writes.
pub const ENVELOPE_VERSION: u16 = 2;

/// The version of a batch without authentication tag ([`Batch::encode`], HTTP).
pub const UNSIGNED_VERSION: u16 = 1;

/// The version of a batch with its HMAC tag ([`Batch::encode_signed`], MQTT).
pub const SIGNED_VERSION: u16 = 2;

/// The media type of a postcard-encoded batch (HTTP `Content-Type`).
pub const POSTCARD_MEDIA_TYPE: &str = "application/vnd.edgemon.batch+postcard";

/// One device's samples, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The device these samples belong to; must match the credentials it is sent with.
    pub device: Uuid,
    pub samples: Vec<Sample>,
}

/// One collected sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Per-device sequence number, strictly increasing from 1, never reused.
    pub seq: u64,
    /// When the agent collected the sample: microseconds since the Unix epoch, UTC.
    pub collected_at_us: i64,
    /// The NetJSON DeviceMonitoring document.
    pub document: Document,
}

/// A NetJSON document as compact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document(String);

impl Document {
    /// Wraps JSON text after checking that it is well-formed JSON.
    pub fn from_json(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(Self(text))
    }

    /// The JSON text of the document.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&crate::netjson::DeviceMonitoring> for Document {
    fn from(doc: &crate::netjson::DeviceMonitoring) -> Self {
        Self(doc.to_json())
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let raw: &RawValue =
                serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
            raw.serialize(s)
        } else {
            s.serialize_str(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let raw = Box::<RawValue>::deserialize(d)?;
            Ok(Self(raw.get().to_owned()))
        } else {
            let text = String::deserialize(d)?;
            Document::from_json(text).map_err(serde::de::Error::custom)
        }
    }
}

/// Why bytes are not a batch this build understands.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("empty envelope")]
    Empty,
    #[error(
        "unsupported envelope version {found} (this build reads versions 1 to {ENVELOPE_VERSION})"
    )]
    UnsupportedVersion { found: u64 },
    #[error("malformed envelope: {0}")]
    Postcard(#[from] postcard::Error),
    #[error("{0} trailing bytes after the envelope")]
    TrailingBytes(usize),
    #[error("malformed JSON envelope: {0}")]
    Json(#[from] serde_json::Error),
    #[error("envelope version {found} carries no authentication tag (version 2 expected)")]
    Unsigned { found: u64 },
    #[error("the envelope is too short for its {TAG_LEN}-byte authentication tag")]
    MissingTag,
}

/// The JSON rendering: the version beside the batch's fields.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEnvelope {
    version: u16,
    device: Uuid,
    samples: Vec<Sample>,
}

impl Batch {
    /// Encodes the batch with postcard as version 1 (no tag), version first.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_as(UNSIGNED_VERSION)
    }

    fn encode_as(&self, version: u16) -> Vec<u8> {
        let mut out = postcard::to_allocvec(&u64::from(version)).expect("a varint always encodes");
        out.extend(postcard::to_allocvec(self).expect("a batch always encodes"));
        out
    }

    /// Decodes a postcard batch of any version this build reads (a version 2 tag is
    /// skipped, not checked: see [`Signed::decode`]). Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let (version, rest) = Self::version(bytes)?;
        let rest = if version == u64::from(SIGNED_VERSION) {
            let end = rest
                .len()
                .checked_sub(TAG_LEN)
                .ok_or(EnvelopeError::MissingTag)?;
            &rest[..end]
        } else {
            rest
        };
        Self::body(rest)
    }

    /// The version varint, checked, and the bytes after it.
    fn version(bytes: &[u8]) -> Result<(u64, &[u8]), EnvelopeError> {
        if bytes.is_empty() {
            return Err(EnvelopeError::Empty);
        }
        let (version, rest) = postcard::take_from_bytes::<u64>(bytes)?;
        if version == 0 || version > u64::from(ENVELOPE_VERSION) {
            return Err(EnvelopeError::UnsupportedVersion { found: version });
        }
        Ok((version, rest))
    }

    /// The batch fields, which must fill `bytes` exactly.
    fn body(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let (batch, rest) = postcard::take_from_bytes::<Batch>(bytes)?;
        if !rest.is_empty() {
            return Err(EnvelopeError::TrailingBytes(rest.len()));
        }
        Ok(batch)
    }

    /// The same structure as JSON, for humans and debugging tools.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&JsonEnvelope {
            version: UNSIGNED_VERSION,
            device: self.device,
            samples: self.samples.clone(),
        })
        .expect("documents hold valid JSON")
    }

    /// Reads the JSON rendering back.
    pub fn from_json(text: &[u8]) -> Result<Self, EnvelopeError> {
        let env: JsonEnvelope = serde_json::from_slice(text)?;
        if env.version != UNSIGNED_VERSION {
            return Err(EnvelopeError::UnsupportedVersion {
                found: u64::from(env.version),
            });
        }
        Ok(Batch {
            device: env.device,
            samples: env.samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seq: u64, doc: &str) -> Sample {
        Sample {
            seq,
            collected_at_us: 1_700_000_000_000_000 + i64::try_from(seq).unwrap(),
            document: Document::from_json(doc).unwrap(),
        }
    }

    fn batch() -> Batch {
        Batch {
            device: Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
            samples: vec![
                sample(1, r#"{"type":"DeviceMonitoring"}"#),
                sample(2, r#"{"type":"DeviceMonitoring","general":{"uptime":5}}"#),
            ],
        }
    }

    #[test]
    fn postcard_round_trip_starts_with_the_version() {
        let b = batch();
        let bytes = b.encode();
        assert_eq!(bytes[0], 1, "version varint first");
        assert_eq!(Batch::decode(&bytes).unwrap(), b);
    }

    #[test]
    fn json_rendering_embeds_documents_as_objects() {
        let b = batch();
        let json = b.to_json();
        assert!(
            json.starts_with(r#"{"version":1,"device":"12345678-9abc-def0-1234-56789abcdef0""#)
        );
        assert!(json.contains(r#""document":{"type":"DeviceMonitoring","general":{"uptime":5}}"#));
        assert_eq!(Batch::from_json(json.as_bytes()).unwrap(), b);
    }

    #[test]
    fn refuses_unknown_versions_and_trailing_bytes() {
        let mut bytes = batch().encode();
        bytes[0] = 3;
        assert!(matches!(
            Batch::decode(&bytes),
            Err(EnvelopeError::UnsupportedVersion { found: 3 })
        ));
        bytes[0] = 0;
        assert!(matches!(
            Batch::decode(&bytes),
            Err(EnvelopeError::UnsupportedVersion { found: 0 })
        ));
        let mut bytes = batch().encode();
        bytes.push(0);
        assert!(matches!(
            Batch::decode(&bytes),
            Err(EnvelopeError::TrailingBytes(1))
        ));
        assert!(matches!(Batch::decode(&[]), Err(EnvelopeError::Empty)));
        let json = batch()
            .to_json()
            .replace(r#""version":1"#, r#""version":9"#);
        assert!(matches!(
            Batch::from_json(json.as_bytes()),
            Err(EnvelopeError::UnsupportedVersion { found: 9 })
        ));
    }

    #[test]
    fn a_document_that_is_not_json_is_refused() {
        assert!(Document::from_json("{not json").is_err());
        let mut b = batch();
        b.samples[0].document = Document("{broken".into());
        let bytes = postcard_with_raw_document(&b);
        assert!(matches!(
            Batch::decode(&bytes),
            Err(EnvelopeError::Postcard(_))
        ));
    }

    fn postcard_with_raw_document(b: &Batch) -> Vec<u8> {
        let mut out = postcard::to_allocvec(&1u64).unwrap();
        out.extend(postcard::to_allocvec(b).unwrap());
        out
    }
}
