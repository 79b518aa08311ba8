//! Validation of NetJSON DeviceMonitoring documents with exactly the reference's semantics.
//!
//! A document is accepted if and only if the reference server's JSON schema (draft-07 with
//! format checking, as python-jsonschema applies it) accepts it. A rejection carries the
//! path and message python-jsonschema's `best_match` would give, rendered as the reference
//! renders it:
//!
//! ```text
//! Invalid data in "#/interfaces/0/wireless", validator says:
//!
//! 'channel' is a required property
//! ```
//!
//! The schema is declared in Rust in [`schema`](self) (not loaded from a file), evaluated by
//! a small draft-07 evaluator, and rendered with Python's `repr()` rules.

mod eval;
mod ip;
mod pyrepr;
mod schema;

pub use eval::PathSegment;

use crate::netjson::DeviceMonitoring;
use serde_json::Value;
use std::fmt;

/// A document the reference would reject, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// From the document root; empty when the root itself is at fault.
    pub path: Vec<PathSegment>,
    /// python-jsonschema's message, e.g. `'name' is a required property`.
    pub message: String,
}

impl ValidationError {
    /// The path as the reference prints it: segments joined by `/`, e.g. `interfaces/0`.
    pub fn path_string(&self) -> String {
        self.path
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid data in \"#/{}\", validator says:\n\n{}",
            self.path_string(),
            self.message
        )
    }
}

/// Checks `doc` against the reference schema.
pub fn validate(doc: &Value) -> Result<(), ValidationError> {
    match eval::best_match(&schema::DEVICE_MONITORING, doc) {
        None => Ok(()),
        Some((path, message)) => Err(ValidationError { path, message }),
    }
}

/// Why a request body is not a usable DeviceMonitoring document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON at all (the reference answers `{"detail": "JSON parse error - ..."}`).
    #[error("JSON parse error - {0}")]
    Json(#[from] serde_json::Error),
    /// Valid JSON that the reference schema rejects.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Accepted by the reference schema but not representable exactly: an integer outside
    /// the 64-bit range of its field (a negative or > 2^64 counter). edgemon rejects these
    /// rather than store a wrong value; see docs/compatibility.md.
    #[error("{0}")]
    OutOfRange(ValidationError),
}

/// A validated document: the JSON as the device sent it and the typed model of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub raw: Value,
    pub doc: DeviceMonitoring,
}

/// Parses, validates and types a request body.
pub fn parse_and_validate(body: &[u8]) -> Result<Validated, DocumentError> {
    let raw = crate::json::parse(body)?;
    validate(&raw)?;
    let doc = typed(&raw).map_err(DocumentError::OutOfRange)?;
    Ok(Validated { raw, doc })
}

/// Parses and types a body that [`parse_and_validate`] accepted before (the collector's
/// worker, for bytes its handler validated): the schema is not evaluated again. Bytes that
/// were not validated may be typed without the schema's checks; never use it on input.
pub fn parse_validated(body: &[u8]) -> Result<Validated, DocumentError> {
    let raw = crate::json::parse(body)?;
    let doc = typed(&raw).map_err(DocumentError::OutOfRange)?;
    Ok(Validated { raw, doc })
}

/// Builds the typed model of a document that passed [`validate`]. The path of a failure
/// is tracked only when there is one (tracking costs four times the typing itself).
pub fn typed(raw: &Value) -> Result<DeviceMonitoring, ValidationError> {
    use serde::Deserialize as _;
    if let Ok(doc) = DeviceMonitoring::deserialize(raw) {
        return Ok(doc);
    }
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Some(PathSegment::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(PathSegment::Key(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => {
                    Some(PathSegment::Key(variant.clone()))
                }
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        ValidationError {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests;
