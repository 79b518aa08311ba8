//! The registry: organizations, devices and API tokens in an embedded redb database.
//!
//! Secrets (device keys, API tokens, registration shared secrets) are stored as SHA-256
//! hashes and compared in constant time; the plaintext is shown once, when it is made.

mod model;
pub mod register;
pub mod secret;
mod store;

pub use model::{Device, Location, Org, Role, SecretHash, Token};

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry storage error: {0}")]
    Storage(String),
    #[error("no {kind} {id:?}")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
}

/// The answer to "may this request write samples for this device?", in the reference's order
/// of checks (§a of the server notes).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceAccess {
    /// Unknown device, or its organization is disabled → 404.
    NotFound,
    /// Missing or wrong key → 403.
    Forbidden,
    /// Known device, right key, but deactivated → 404.
    Deactivated,
    /// Go ahead.
    Allowed { device: Box<Device>, org: Box<Org> },
}

/// A device to create.
#[derive(Debug, Clone, Default)]
pub struct NewDevice {
    pub org: Uuid,
    pub name: String,
    pub mac: String,
    /// The key to use; a random one when `None`.
    pub key: Option<String>,
    pub model: String,
    pub os: String,
    pub location: Option<Location>,
    /// Create with this id (the demo and imports); random when `None`.
    pub id: Option<Uuid>,
}

/// The registry handle. Cheap to share behind an `Arc`; methods block on disk I/O for
/// writes, so async callers run those in `spawn_blocking`.
#[derive(Debug)]
pub struct Registry {
    store: store::Store,
}

pub(crate) fn now_us() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Normalise a MAC address to `AA:BB:CC:DD:EE:FF`; `None` if it is not one.
pub fn normalize_mac(mac: &str) -> Option<String> {
    let hex: String = mac
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let up = hex.to_ascii_uppercase();
    let parts: Vec<&str> = (0..6).map(|i| &up[i * 2..i * 2 + 2]).collect();
    Some(parts.join(":"))
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Registry {
    /// Open (or create) the registry database at `path`.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        Ok(Registry {
            store: store::Store::open(path)?,
        })
    }

    // ---- organizations ----

    /// Create an organization. `slug` must be unique: lowercase letters, digits, `-`, `_`
    /// (it appears in MQTT topics).
    pub fn create_org(
        &self,
        name: &str,
        slug: &str,
        shared_secret: Option<&str>,
    ) -> Result<Org, RegistryError> {
        if !valid_slug(slug) {
            return Err(RegistryError::Invalid(format!(
                "organization slug {slug:?} must be 1-64 characters of a-z, 0-9, '-' or '_'"
            )));
        }
        if name.trim().is_empty() {
            return Err(RegistryError::Invalid("organization name is empty".into()));
        }
        if self.store.orgs()?.iter().any(|o| o.slug == slug) {
            return Err(RegistryError::Conflict(format!(
                "an organization with slug {slug:?} already exists"
            )));
        }
        let org = Org {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            slug: slug.to_owned(),
            shared_secret: shared_secret.map(secret::hash),
            active: true,
            created_us: now_us(),
        };
        self.store.put_org(&org)?;
        Ok(org)
    }

    pub fn orgs(&self) -> Result<Vec<Org>, RegistryError> {
        let mut orgs = self.store.orgs()?;
        orgs.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(orgs)
    }

    pub fn org(&self, id: Uuid) -> Result<Option<Org>, RegistryError> {
        self.store.org(id)
    }

    /// Find an organization by id or slug.
    pub fn find_org(&self, id_or_slug: &str) -> Result<Org, RegistryError> {
        if let Ok(id) = Uuid::parse_str(id_or_slug)
            && let Some(org) = self.store.org(id)?
        {
            return Ok(org);
        }
        self.store
            .orgs()?
            .into_iter()
            .find(|o| o.slug == id_or_slug)
            .ok_or_else(|| RegistryError::NotFound {
                kind: "organization",
                id: id_or_slug.to_owned(),
            })
    }

    pub fn set_org_active(&self, id: Uuid, active: bool) -> Result<Org, RegistryError> {
        let mut org = self.store.org(id)?.ok_or_else(|| RegistryError::NotFound {
            kind: "organization",
            id: id.to_string(),
        })?;
        org.active = active;
        self.store.put_org(&org)?;
        Ok(org)
    }

    /// Set (or clear) the registration shared secret.
    pub fn set_org_secret(&self, id: Uuid, secret: Option<&str>) -> Result<Org, RegistryError> {
        let mut org = self.store.org(id)?.ok_or_else(|| RegistryError::NotFound {
            kind: "organization",
            id: id.to_string(),
        })?;
        org.shared_secret = secret.map(secret::hash);
        self.store.put_org(&org)?;
        Ok(org)
    }

    /// Delete an organization that has no devices left.
    pub fn delete_org(&self, id: Uuid) -> Result<(), RegistryError> {
        let n = self.store.devices()?.iter().filter(|d| d.org == id).count();
        if n > 0 {
            return Err(RegistryError::Conflict(format!(
                "organization {id} still has {n} device(s); delete them first"
            )));
        }
        if self.store.delete_org(id)? {
            Ok(())
        } else {
            Err(RegistryError::NotFound {
                kind: "organization",
                id: id.to_string(),
            })
        }
    }

    // ---- devices ----

    /// Create a device; returns it with its key in plaintext (shown once).
    pub fn create_device(&self, new: NewDevice) -> Result<(Device, String), RegistryError> {
        if self.store.org(new.org)?.is_none() {
            return Err(RegistryError::NotFound {
                kind: "organization",
                id: new.org.to_string(),
            });
        }
        let mac = if new.mac.is_empty() {
            String::new()
        } else {
            normalize_mac(&new.mac).ok_or_else(|| {
                RegistryError::Invalid(format!("{:?} is not a MAC address", new.mac))
            })?
        };
        if self.store.device_by_mac(new.org, &mac)?.is_some() {
            return Err(RegistryError::Conflict(format!(
                "a device with MAC {mac} already exists in this organization"
            )));
        }
        if new.name.trim().is_empty() {
            return Err(RegistryError::Invalid("device name is empty".into()));
        }
        let id = new.id.unwrap_or_else(Uuid::new_v4);
        if self.store.device(id)?.is_some() {
            return Err(RegistryError::Conflict(format!(
                "device {id} already exists"
            )));
        }
        let key = new.key.unwrap_or_else(secret::generate);
        if key.is_empty() {
            return Err(RegistryError::Invalid("device key is empty".into()));
        }
        let key_hash = secret::hash(&key);
        if self.store.device_by_key(&key_hash)?.is_some() {
            return Err(RegistryError::Conflict(
                "another device already uses this key".into(),
            ));
        }
        let device = Device {
            id,
            org: new.org,
            name: new.name,
            mac,
            key_hash,
            model: new.model,
            os: new.os,
            system: String::new(),
            hardware_id: String::new(),
            last_ip: None,
            management_ip: None,
            location: new.location,
            active: true,
            created_us: now_us(),
        };
        self.store.put_device(&device)?;
        Ok((device, key))
    }

    pub fn device(&self, id: Uuid) -> Result<Option<Device>, RegistryError> {
        self.store.device(id)
    }

    /// Every device, one at a time, in no particular order.
    pub fn each_device(&self, f: impl FnMut(Device)) -> Result<(), RegistryError> {
        self.store.each_device(f)
    }

    /// All devices, or those of one organization, sorted by name.
    pub fn devices(&self, org: Option<Uuid>) -> Result<Vec<Device>, RegistryError> {
        let mut devices: Vec<Device> = self
            .store
            .devices()?
            .into_iter()
            .filter(|d| org.is_none_or(|o| d.org == o))
            .collect();
        devices.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(devices)
    }

    fn existing_device(&self, id: Uuid) -> Result<Device, RegistryError> {
        self.store
            .device(id)?
            .ok_or_else(|| RegistryError::NotFound {
                kind: "device",
                id: id.to_string(),
            })
    }

    /// Replace a device's key with a new random one; returns the new key.
    pub fn rotate_key(&self, id: Uuid) -> Result<String, RegistryError> {
        let mut device = self.existing_device(id)?;
        let key = secret::generate();
        device.key_hash = secret::hash(&key);
        self.store.put_device(&device)?;
        Ok(key)
    }

    pub fn set_device_active(&self, id: Uuid, active: bool) -> Result<Device, RegistryError> {
        let mut device = self.existing_device(id)?;
        device.active = active;
        self.store.put_device(&device)?;
        Ok(device)
    }

    /// Store changed device fields (name, location, addresses…). The key hash and MAC
    /// indexes follow the record.
    pub fn update_device(&self, device: &Device) -> Result<(), RegistryError> {
        self.existing_device(device.id)?;
        self.store.put_device(device)
    }

    /// Change a device in one transaction (see [`store::Store::modify_device`]); the id
    /// cannot change. Returns the changed device.
    pub fn modify_device(
        &self,
        id: Uuid,
        change: impl FnOnce(&mut Device),
    ) -> Result<Device, RegistryError> {
        self.store
            .modify_device(id, change)?
            .ok_or_else(|| RegistryError::NotFound {
                kind: "device",
                id: id.to_string(),
            })
    }

    pub fn delete_device(&self, id: Uuid) -> Result<Device, RegistryError> {
        self.store
            .delete_device(id)?
            .ok_or_else(|| RegistryError::NotFound {
                kind: "device",
                id: id.to_string(),
            })
    }

    /// The reference's checks for a device write, in its order: existence and an active
    /// organization, then the key (on every request), then the device's active flag.
    pub fn device_access(
        &self,
        id: Uuid,
        key: Option<&str>,
    ) -> Result<DeviceAccess, RegistryError> {
        let Some(device) = self.store.device(id)? else {
            return Ok(DeviceAccess::NotFound);
        };
        let Some(org) = self.store.org(device.org)?.filter(|o| o.active) else {
            return Ok(DeviceAccess::NotFound);
        };
        if !key.is_some_and(|k| secret::verify(k, &device.key_hash)) {
            return Ok(DeviceAccess::Forbidden);
        }
        if !device.active {
            return Ok(DeviceAccess::Deactivated);
        }
        Ok(DeviceAccess::Allowed {
            device: Box::new(device),
            org: Box::new(org),
        })
    }

    // ---- tokens ----

    /// Create an API token; returns it with the secret (shown once).
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        orgs: Vec<Uuid>,
    ) -> Result<(Token, String), RegistryError> {
        if role != Role::Superuser && orgs.is_empty() {
            return Err(RegistryError::Invalid(format!(
                "a {role} token needs at least one organization"
            )));
        }
        for org in &orgs {
            if self.store.org(*org)?.is_none() {
                return Err(RegistryError::NotFound {
                    kind: "organization",
                    id: org.to_string(),
                });
            }
        }
        let secret = format!("em_{}{}", secret::generate(), secret::generate());
        let token = Token {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            hash: secret::hash(&secret),
            role,
            orgs,
            created_us: now_us(),
        };
        self.store.put_token(&token)?;
        Ok((token, secret))
    }

    /// The token a bearer secret belongs to. Lookup is by hash, so timing reveals nothing
    /// about other tokens' contents.
    pub fn verify_token(&self, secret: &str) -> Result<Option<Token>, RegistryError> {
        self.store.token(&secret::hash(secret))
    }

    pub fn tokens(&self) -> Result<Vec<Token>, RegistryError> {
        let mut t = self.store.tokens()?;
        t.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(t)
    }

    /// The token with this id (never its secret, which is not stored).
    pub fn token(&self, id: Uuid) -> Result<Token, RegistryError> {
        self.store
            .tokens()?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| RegistryError::NotFound {
                kind: "token",
                id: id.to_string(),
            })
    }

    /// A new secret for a token (same id, name, role and organizations); the old secret
    /// stops working at once. Returns the token and the new secret (shown once).
    pub fn rotate_token(&self, id: Uuid) -> Result<(Token, String), RegistryError> {
        let old = self.token(id)?;
        let secret = format!("em_{}{}", secret::generate(), secret::generate());
        let token = Token {
            hash: secret::hash(&secret),
            ..old.clone()
        };
        self.store.replace_token(&old.hash, &token)?;
        Ok((token, secret))
    }

    pub fn delete_token(&self, id: Uuid) -> Result<(), RegistryError> {
        if self.store.delete_token(id)? {
            Ok(())
        } else {
            Err(RegistryError::NotFound {
                kind: "token",
                id: id.to_string(),
            })
        }
    }

    fn store(&self) -> &store::Store {
        &self.store
    }
}

#[cfg(test)]
mod tests;
