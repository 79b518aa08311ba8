//! What the registry stores: organizations, devices and API tokens.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A SHA-256 digest of a secret (device key, API token, shared secret).
pub type SecretHash = [u8; 32];

/// An organization: the tenant every device and token belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    /// Short unique name used on the command line and in MQTT topics.
    pub slug: String,
    /// Hash of the registration shared secret; `None` disables self-registration.
    pub shared_secret: Option<SecretHash>,
    /// A disabled organization's devices get 404, as in the reference.
    pub active: bool,
    pub created_us: i64,
}

/// Where a device is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
    pub address: String,
}

/// A monitored device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub org: Uuid,
    pub name: String,
    /// Upper-case, colon separated (`AA:BB:CC:DD:EE:FF`), or empty when unknown.
    pub mac: String,
    pub key_hash: SecretHash,
    pub model: String,
    pub os: String,
    pub system: String,
    pub hardware_id: String,
    pub last_ip: Option<String>,
    pub management_ip: Option<String>,
    pub location: Option<Location>,
    /// A deactivated device gets 404 on ingest (its history stays readable).
    pub active: bool,
    pub created_us: i64,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Read the organizations' data.
    Viewer,
    /// Read, and change devices and alert settings of the organizations.
    Manager,
    /// Everything, in every organization.
    Superuser,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "manager" => Ok(Role::Manager),
            "superuser" => Ok(Role::Superuser),
            other => Err(format!(
                "unknown role {other:?}: expected viewer, manager or superuser"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Viewer => "viewer",
            Role::Manager => "manager",
            Role::Superuser => "superuser",
        })
    }
}

/// An API token (`Authorization: Bearer …`). Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    pub hash: SecretHash,
    pub role: Role,
    /// The organizations it may see; ignored for superusers.
    pub orgs: Vec<Uuid>,
    pub created_us: i64,
}

impl Token {
    /// May this token see `org`?
    pub fn sees(&self, org: Uuid) -> bool {
        self.role == Role::Superuser || self.orgs.contains(&org)
    }
}
