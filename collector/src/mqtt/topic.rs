//! `edgemon/v1/{org}/{device uuid}/{samples|status}`: what the collector subscribes to
//! and how a message's topic is read.

use uuid::Uuid;

/// The last level of a device topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Native batches (envelope version 2).
    Samples,
    /// `online` / `offline` (the agent's retained status and last will).
    Status,
}

/// A device topic, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub org: String,
    pub device: Uuid,
    pub leaf: Leaf,
}

/// The topic filters for one organization.
pub fn subscriptions(org: &str) -> [String; 2] {
    [
        format!("edgemon/v1/{org}/+/samples"),
        format!("edgemon/v1/{org}/+/status"),
    ]
}

/// Reads a topic; `None` when it is not a device topic of this protocol version.
pub fn parse(topic: &str) -> Option<Topic> {
    let mut parts = topic.split('/');
    let (Some("edgemon"), Some("v1"), Some(org), Some(device), Some(leaf), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let leaf = match leaf {
        "samples" => Leaf::Samples,
        "status" => Leaf::Status,
        _ => return None,
    };
    if org.is_empty() {
        return None;
    }
    Some(Topic {
        org: org.to_owned(),
        device: Uuid::try_parse(device).ok()?,
        leaf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_device_topics_only() {
        let id = "9b2f3c2e-8f3a-4c51-9a53-0f4f2f6d7a10";
        assert_eq!(
            parse(&format!("edgemon/v1/acme/{id}/samples")),
            Some(Topic {
                org: "acme".into(),
                device: id.parse().unwrap(),
                leaf: Leaf::Samples
            })
        );
        assert_eq!(
            parse(&format!("edgemon/v1/acme/{id}/status")).map(|t| t.leaf),
            Some(Leaf::Status)
        );
        for bad in [
            format!("edgemon/v2/acme/{id}/samples"),
            format!("edgemon/v1/acme/{id}/other"),
            format!("edgemon/v1/acme/{id}/samples/x"),
            format!("edgemon/v1//{id}/samples"),
            "edgemon/v1/acme/not-a-uuid/samples".into(),
            "edgemon/v1/acme".into(),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
        let [a, b] = subscriptions("acme");
        assert_eq!(a, "edgemon/v1/acme/+/samples");
        assert_eq!(b, "edgemon/v1/acme/+/status");
    }
}
