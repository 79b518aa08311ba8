//! The management endpoints' request bodies, checked field by field: every error names the
//! field it is about (DRF's `{"<field>": ["<message>"]}`). Pure: no registry, no I/O.

use crate::registry::Location;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The longest device name (the reference's `Device.name` is 64 characters).
pub const MAX_NAME: usize = 64;
/// The longest address.
pub const MAX_ADDRESS: usize = 256;

/// Messages per field name.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// `POST /api/v1/controller/device/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    /// The organization's id or slug, as sent.
    pub organization: String,
    pub name: String,
    pub mac: String,
    pub model: String,
    pub os: String,
    pub location: Option<Location>,
}

/// `PATCH /api/v1/controller/device/{pk}/`: only the fields sent change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub location: LocationChange,
}

impl Change {
    /// Apply the change to a device record.
    pub fn apply(self, device: &mut crate::registry::Device) {
        if let Some(name) = self.name {
            device.name = name;
        }
        if let Some(active) = self.active {
            device.active = active;
        }
        if let Some(model) = self.model {
            device.model = model;
        }
        if let Some(os) = self.os {
            device.os = os;
        }
        match self.location {
            LocationChange::Keep => {}
            LocationChange::Remove => device.location = None,
            LocationChange::Set(l) => device.location = Some(l),
        }
    }
}

/// What a PATCH does to the location.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LocationChange {
    /// Not sent (or invalid: the error is reported).
    #[default]
    Keep,
    /// Sent as `null`.
    Remove,
    Set(Location),
}

struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl<'a> Fields<'a> {
    fn new(body: &'a Value, allowed: &[&str]) -> Result<Self, FieldErrors> {
        let Some(object) = body.as_object() else {
            let mut e = FieldErrors::new();
            e.insert(
                "non_field_errors".into(),
                vec!["Invalid data. Expected a JSON object.".into()],
            );
            return Err(e);
        };
        let mut errors = FieldErrors::new();
        for k in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
            errors.insert(
                k.clone(),
                vec![format!(
                    "Unknown field; expected one of: {}.",
                    allowed.join(", ")
                )],
            );
        }
        Ok(Fields { object, errors })
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// A string field; `None` when absent.
    fn string(&mut self, field: &str, max: usize, blank_ok: bool) -> Option<String> {
        match self.object.get(field)? {
            Value::String(s) if !blank_ok && s.trim().is_empty() => {
                self.fail(field, "This field may not be blank.");
                None
            }
            Value::String(s) if s.chars().count() > max => {
                self.fail(
                    field,
                    format!("Ensure this field has no more than {max} characters."),
                );
                None
            }
            Value::String(s) => Some(s.clone()),
            _ => {
                self.fail(field, "Not a valid string.");
                None
            }
        }
    }

    fn required(&mut self, field: &str, value: Option<String>) -> String {
        if value.is_none() && !self.object.contains_key(field) {
            self.fail(field, "This field is required.");
        }
        value.unwrap_or_default()
    }

    fn location(&mut self) -> LocationChange {
        let Some(value) = self.object.get("location") else {
            return LocationChange::Keep;
        };
        if value.is_null() {
            return LocationChange::Remove;
        }
        let Some(obj) = value.as_object() else {
            self.fail("location", "Expected an object with lat, lng and address.");
            return LocationChange::Keep;
        };
        let mut ok = true;
        let mut coord = |name: &str, limit: f64| match obj.get(name).and_then(Value::as_f64) {
            Some(v) if v.is_finite() && v.abs() <= limit => v,
            Some(_) => {
                self.errors
                    .entry(format!("location.{name}"))
                    .or_default()
                    .push(format!("Must be between -{limit} and {limit}."));
                ok = false;
                0.0
            }
            None => {
                self.errors
                    .entry(format!("location.{name}"))
                    .or_default()
                    .push("A number is required.".into());
                ok = false;
                0.0
            }
        };
        let lat = coord("lat", 90.0);
        let lng = coord("lng", 180.0);
        let address = match obj.get("address") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.chars().count() <= MAX_ADDRESS => s.clone(),
            Some(Value::String(_)) => {
                self.fail(
                    "location.address",
                    format!("Ensure this field has no more than {MAX_ADDRESS} characters."),
                );
                ok = false;
                String::new()
            }
            Some(_) => {
                self.fail("location.address", "Not a valid string.");
                ok = false;
                String::new()
            }
        };
        for k in obj.keys() {
            if !matches!(k.as_str(), "lat" | "lng" | "address") {
                self.fail(
                    &format!("location.{k}"),
                    "Unknown field; expected lat, lng, address.",
                );
                ok = false;
            }
        }
        if ok {
            LocationChange::Set(Location { lat, lng, address })
        } else {
            LocationChange::Keep
        }
    }

    fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// A device to create, or what is wrong with the body.
pub fn create(body: &Value) -> Result<Create, FieldErrors> {
    let mut f = Fields::new(
        body,
        &[
            "organization",
            "name",
            "mac_address",
            "model",
            "os",
            "location",
        ],
    )?;
    let organization = f.string("organization", 64, false);
    let organization = f.required("organization", organization);
    let name = f.string("name", MAX_NAME, false);
    let name = f.required("name", name);
    let mac = f.string("mac_address", 64, true).unwrap_or_default();
    if !mac.is_empty() && crate::registry::normalize_mac(&mac).is_none() {
        f.fail("mac_address", format!("{mac:?} is not a MAC address."));
    }
    let model = f.string("model", 128, true).unwrap_or_default();
    let os = f.string("os", 128, true).unwrap_or_default();
    let location = match f.location() {
        LocationChange::Set(l) => Some(l),
        LocationChange::Keep | LocationChange::Remove => None,
    };
    f.finish(Create {
        organization,
        name,
        mac,
        model,
        os,
        location,
    })
}

/// The changes a PATCH asks for, or what is wrong with the body.
pub fn change(body: &Value) -> Result<Change, FieldErrors> {
    let mut f = Fields::new(body, &["name", "is_active", "model", "os", "location"])?;
    let name = f.string("name", MAX_NAME, false);
    let active = match f.object.get("is_active") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            f.fail("is_active", "Must be a valid boolean.");
            None
        }
    };
    let model = f.string("model", 128, true);
    let os = f.string("os", 128, true);
    let location = f.location();
    f.finish(Change {
        name,
        active,
        model,
        os,
        location,
    })
}

#[cfg(test)]
mod tests;
