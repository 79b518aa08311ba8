//! What to do with one MQTT message: pure, given what the registry knows about the device
//! its topic names. A message is ingested only when every one of these holds:
//!
//! 1. the topic is `edgemon/v1/{org}/{uuid}/samples`;
//! 2. the payload is a version 2 envelope (version 1 carries no tag: refused);
//! 3. the envelope names the topic's device, the device exists and belongs to the topic's
//!    organization;
//! 4. the tag verifies with the device's key hash: another device's key, or none, cannot
//!    produce it, whatever the broker lets that device publish;
//! 5. device and organization are active.
//!
//! Anything else is a dead letter with its reason.

use super::topic::{Leaf, Topic};
use edgemon_shared::envelope::{Batch, Signed};
use uuid::Uuid;

/// Why a message was not ingested (the `reason` label of the dead-letter metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadReason {
    /// The topic is not a device topic of protocol v1.
    BadTopic,
    /// The payload is not a version 2 envelope (or a status other than online/offline).
    Undecodable,
    /// The device is not in the registry.
    UnknownDevice,
    /// Tag, device or organization do not match: not sent by the device it names.
    Unauthenticated,
    /// The device or its organization is deactivated.
    Inactive,
}

impl DeadReason {
    pub const ALL: [DeadReason; 5] = [
        DeadReason::BadTopic,
        DeadReason::Undecodable,
        DeadReason::UnknownDevice,
        DeadReason::Unauthenticated,
        DeadReason::Inactive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeadReason::BadTopic => "bad_topic",
            DeadReason::Undecodable => "undecodable",
            DeadReason::UnknownDevice => "unknown_device",
            DeadReason::Unauthenticated => "unauthenticated",
            DeadReason::Inactive => "inactive",
        }
    }
}

/// What the registry knows about the device a topic names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: Uuid,
    pub org: Uuid,
    pub org_slug: String,
    /// SHA-256 of the device key: the HMAC key of its envelopes.
    pub key_hash: [u8; 32],
    /// Device and organization both active.
    pub active: bool,
}

/// The decision.
#[derive(Debug)]
pub enum Verdict {
    Batch {
        device: Uuid,
        org: Uuid,
        batch: Batch,
    },
    Status {
        device: Uuid,
        online: bool,
    },
    Dead {
        reason: DeadReason,
        detail: String,
    },
}

fn dead(reason: DeadReason, detail: impl Into<String>) -> Verdict {
    Verdict::Dead {
        reason,
        detail: detail.into(),
    }
}

/// Decide for a message on `topic` (already parsed; `None`: not a device topic), `known`
/// being the registry's record of the topic's device.
pub fn check(topic: Option<&Topic>, payload: &[u8], known: Option<&Known>) -> Verdict {
    let Some(topic) = topic else {
        return dead(
            DeadReason::BadTopic,
            "not edgemon/v1/{org}/{uuid}/{samples|status}",
        );
    };
    let Some(known) = known else {
        return dead(
            DeadReason::UnknownDevice,
            format!("device {} is not registered", topic.device),
        );
    };
    if known.org_slug != topic.org {
        return dead(
            DeadReason::Unauthenticated,
            format!(
                "device {} belongs to organization `{}`, not `{}`",
                topic.device, known.org_slug, topic.org
            ),
        );
    }
    match topic.leaf {
        Leaf::Status => match payload {
            b"online" => Verdict::Status {
                device: known.id,
                online: true,
            },
            b"offline" => Verdict::Status {
                device: known.id,
                online: false,
            },
            _ => dead(
                DeadReason::Undecodable,
                "status is neither `online` nor `offline`",
            ),
        },
        Leaf::Samples => {
            let signed = match Signed::decode(payload) {
                Ok(s) => s,
                Err(e) => return dead(DeadReason::Undecodable, e.to_string()),
            };
            if signed.batch.device != topic.device {
                return dead(
                    DeadReason::Unauthenticated,
                    format!(
                        "the envelope names device {}, the topic {}",
                        signed.batch.device, topic.device
                    ),
                );
            }
            if !signed.verify(&known.key_hash) {
                return dead(
                    DeadReason::Unauthenticated,
                    format!("the tag does not verify with device {}'s key", topic.device),
                );
            }
            if !known.active {
                return dead(
                    DeadReason::Inactive,
                    format!("device {} or its organization is deactivated", topic.device),
                );
            }
            Verdict::Batch {
                device: known.id,
                org: known.org,
                batch: signed.batch,
            }
        }
    }
}

#[cfg(test)]
mod tests;
