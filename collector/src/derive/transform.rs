//! The reference's `_transform_data`: what changes between the document a device sent and
//! the snapshot the server keeps (`device_data`, the status page, WiFi sessions).
//!
//! It works on the JSON value, not the typed model, because the snapshot must keep every
//! member the device sent and may hold values the model cannot (`ht: null`).

use super::{oui, pyfloat};
use serde_json::{Number, Value};

/// What the transformation does besides the fixed rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Add `vendor` to WiFi clients, neighbours and DHCP leases
    /// (`OPENWISP_MONITORING_MAC_VENDOR_DETECTION`, on by default).
    pub mac_vendor_detection: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mac_vendor_detection: true,
        }
    }
}

/// Applies the reference's corrections to a validated document, in place:
/// - every value under `interfaces[].mobile.signal.<section>` becomes a float;
/// - WiFi client capabilities the interface's `htmode` cannot have become `null`
///   (`NOHT`: `ht`, `vht`, `he`; `HT*`: a false `vht`/`he`; `VHT*`: a false `he`);
/// - `interfaces[].wireless.bitrate` goes from kbit/s to Mbit/s, `round(x / 1000, 1)`;
/// - with vendor detection, `vendor` (from the MAC's OUI, `""` if unknown or no MAC) on
///   every WiFi client, neighbour and DHCP lease, replacing what the device sent.
pub fn transform(doc: &mut Value, options: Options) {
    if let Some(interfaces) = doc.get_mut("interfaces").and_then(Value::as_array_mut) {
        for interface in interfaces {
            transform_interface(interface, options);
        }
    }
    if !options.mac_vendor_detection {
        return;
    }
    for list in ["neighbors", "dhcp_leases"] {
        for entry in doc
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            set_vendor(entry);
        }
    }
}

fn transform_interface(interface: &mut Value, options: Options) {
    if let Some(sections) = interface
        .pointer_mut("/mobile/signal")
        .and_then(Value::as_object_mut)
    {
        for values in sections.values_mut().filter_map(Value::as_object_mut) {
            for value in values.values_mut() {
                if let Some(f) = python_float(value) {
                    *value = f;
                }
            }
        }
    }
    let Some(wireless) = interface.get_mut("wireless").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(bitrate) = wireless.get_mut("bitrate")
        && let Some(mbit) = kbit_to_mbit(bitrate)
    {
        *bitrate = mbit;
    }
    let htmode = wireless
        .get("htmode")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(clients) = wireless.get_mut("clients").and_then(Value::as_array_mut) else {
        return;
    };
    for client in clients.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(htmode) = &htmode {
            apply_htmode(client, htmode);
        }
        if options.mac_vendor_detection {
            let vendor = oui::vendor_of(client.get("mac").and_then(Value::as_str));
            client.insert("vendor".into(), Value::String(vendor.into_owned()));
        }
    }
}

/// Capabilities a client cannot use on an interface in this mode are shown as unknown.
fn apply_htmode(client: &mut serde_json::Map<String, Value>, htmode: &str) {
    let nulled: &[&str] = if htmode == "NOHT" {
        for key in ["ht", "vht"] {
            client.insert(key.into(), Value::Null);
        }
        if client.contains_key("he") {
            client.insert("he".into(), Value::Null);
        }
        return;
    } else if htmode.starts_with("HT") {
        &["vht", "he"]
    } else if htmode.starts_with("VHT") {
        &["he"]
    } else {
        &[]
    };
    for key in nulled {
        if let Some(v) = client.get_mut(*key)
            && *v == Value::Bool(false)
        {
            *v = Value::Null;
        }
    }
}

fn set_vendor(entry: &mut Value) {
    if let Some(obj) = entry.as_object_mut() {
        let vendor = oui::vendor_of(obj.get("mac").and_then(Value::as_str));
        obj.insert("vendor".into(), Value::String(vendor.into_owned()));
    }
}

/// Python's `float(value)` for what a signal reading can be; `None` where Python would
/// raise (the reference then loses the whole sample; edgemon keeps the value as sent).
fn python_float(value: &Value) -> Option<Value> {
    let f = match value {
        Value::Number(n) => n.as_f64()?,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Number::from_f64(f).map(Value::Number)
}

/// `round(bitrate / 1000, 1)`, with Python's int division for integer bitrates.
fn kbit_to_mbit(bitrate: &Value) -> Option<Value> {
    let Value::Number(n) = bitrate else {
        return None;
    };
    let mbit = if let Some(u) = n.as_u64() {
        pyfloat::true_div(u128::from(u), 1000)?
    } else if let Some(i) = n.as_i64() {
        -pyfloat::true_div(u128::from(i.unsigned_abs()), 1000)?
    } else {
        n.as_f64()? / 1000.0
    };
    Number::from_f64(pyfloat::round1(mbit)).map(Value::Number)
}

#[cfg(test)]
mod tests;
