//! Device self-registration: openwisp-controller's `/controller/device/register/` protocol
//! (form fields in, plain-text `key: value` lines out), so openwisp-config and edgemon-agent
//! can register against edgemon-collector.
//!
//! Matching an existing device: by the key the device sent (openwisp-config's "consistent
//! key", `md5("<mac>+<secret>")`), else by MAC within the organization. The reference
//! answers 400 for a known MAC without a matching key; edgemon updates that device and gives
//! it a fresh random key instead (a router that lost its config comes back as itself).

use super::{Device, NewDevice, Registry, RegistryError, normalize_mac, now_us, secret};
use std::collections::HashMap;
use uuid::Uuid;

/// The reply: status code and plain-text body (always sent with `X-Openwisp-Controller: true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        body: body.into(),
    }
}

/// Handle one registration request whose form fields are `form`; `remote_ip` becomes the
/// device's `last_ip`.
#[allow(clippy::implicit_hasher)]
pub fn register(
    registry: &Registry,
    form: &HashMap<String, String>,
    remote_ip: Option<&str>,
) -> Result<Reply, RegistryError> {
    for required in ["secret", "name", "mac_address", "backend"] {
        if !form.contains_key(required) {
            return Ok(reply(
                400,
                format!("error: missing required parameter \"{required}\"\n"),
            ));
        }
    }
    let field = |k: &str| form.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let secret_given = field("secret");
    let Some(org) = registry.store().orgs()?.into_iter().find(|o| {
        o.active
            && o.shared_secret
                .as_ref()
                .is_some_and(|h| !secret_given.is_empty() && secret::verify(&secret_given, h))
    }) else {
        return Ok(reply(403, "error: unrecognized secret\n"));
    };
    let name = field("name");
    if name.is_empty() {
        return Ok(reply(400, "error: name: This field cannot be blank.\n"));
    }
    let Some(mac) = normalize_mac(&field("mac_address")) else {
        return Ok(reply(
            400,
            format!(
                "error: mac_address: {:?} is not a valid MAC address.\n",
                field("mac_address")
            ),
        ));
    };
    let key = Some(field("key")).filter(|k| !k.is_empty());
    let management_ip = Some(field("management_ip")).filter(|s| !s.is_empty());

    let existing = find_existing(registry, org.id, key.as_deref(), &mac)?;

    let update = |d: &mut Device| {
        d.name.clone_from(&name);
        d.mac.clone_from(&mac);
        d.model = field("model");
        d.os = field("os");
        d.system = field("system");
        d.hardware_id = field("hardware_id");
        if management_ip.is_some() {
            d.management_ip.clone_from(&management_ip);
        }
        if let Some(ip) = remote_ip {
            d.last_ip = Some(ip.to_owned());
        }
    };

    let (device, key, is_new) = match existing {
        Some((device, _)) if !device.active => {
            return Ok(reply(403, "error: device deactivated\n"));
        }
        Some((mut device, matched_by_mac)) => {
            let key = if matched_by_mac {
                let k = key.unwrap_or_else(secret::generate);
                if registry.store().device_by_key(&secret::hash(&k))?.is_some() {
                    return Ok(reply(400, "error: key: another device uses this key.\n"));
                }
                device.key_hash = secret::hash(&k);
                k
            } else {
                key.expect("matched by key, so a key was sent")
            };
            update(&mut device);
            registry.update_device(&device)?;
            (device, key, false)
        }
        None => {
            let (mut device, key) = match registry.create_device(NewDevice {
                org: org.id,
                name: name.clone(),
                mac: mac.clone(),
                key,
                id: Some(Uuid::new_v4()),
                ..NewDevice::default()
            }) {
                Ok(created) => created,
                Err(RegistryError::Invalid(m) | RegistryError::Conflict(m)) => {
                    return Ok(reply(400, format!("error: {m}\n")));
                }
                Err(e) => return Err(e),
            };
            update(&mut device);
            device.created_us = now_us();
            registry.update_device(&device)?;
            (device, key, true)
        }
    };
    Ok(reply(
        201,
        format!(
            "registration-result: success\nuuid: {}\nkey: {key}\nhostname: {}\nis-new: {}\n",
            device.id.simple(),
            device.name,
            u8::from(is_new)
        ),
    ))
}

/// The device this registration is about: by the key it sent (`false`: matched by key),
/// else by MAC within the organization (`true`).
fn find_existing(
    registry: &Registry,
    org: Uuid,
    key: Option<&str>,
    mac: &str,
) -> Result<Option<(Device, bool)>, RegistryError> {
    if let Some(k) = key {
        let by_key = registry
            .store()
            .device_by_key(&secret::hash(k))?
            .map(|id| registry.store().device(id))
            .transpose()?
            .flatten()
            .filter(|d| d.org == org);
        if let Some(d) = by_key {
            return Ok(Some((d, false)));
        }
    }
    Ok(registry
        .store()
        .device_by_mac(org, mac)?
        .map(|id| registry.store().device(id))
        .transpose()?
        .flatten()
        .map(|d| (d, true)))
}
