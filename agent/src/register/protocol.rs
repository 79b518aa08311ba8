//! The controller's registration protocol (openwisp-controller's `DeviceRegisterView`,
//! which edgemon-collector implements too), as pure functions: the form to send and the
//! meaning of the answer.

use crate::collect::ubus_system::BoardInfo;
use edgemon_shared::netjson::DeviceMonitoring;

/// The registration path (the legacy `/controller/register/` answers the same).
pub const PATH: &str = "/controller/device/register/";

/// What a successful registration yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uuid: uuid::Uuid,
    pub key: String,
}

/// Why a registration did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// Worth retrying later (server down, device not created yet, ...).
    #[error("registration failed, will retry: {0}")]
    Retry(String),
    /// Retrying cannot help: wrong secret, registration disabled, device deactivated, or
    /// the URL is not a controller.
    #[error("registration refused: {0}")]
    Refused(String),
}

/// openwisp-config's consistent key: `md5hex("<MAC>+<shared secret>")`, so a device that
/// registers again (after a reset) gets the same key back.
pub fn consistent_key(mac: &str, secret: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(format!("{mac}+{secret}").as_bytes());
    digest.iter().fold(String::with_capacity(32), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// The form fields as the reference config agent sends them, minus what edgemon does not
/// know (hardware id, management IP, tags). With `consistent` (openwisp-config's
/// `consistent_key`, on by default) and a known MAC, the key is [`consistent_key`]; else the
/// server generates one, which the agent stores.
pub fn form(
    secret: &str,
    doc: &DeviceMonitoring,
    board: &BoardInfo,
    consistent: bool,
) -> Vec<(&'static str, String)> {
    let name = doc
        .general
        .as_ref()
        .and_then(|g| g.hostname.clone())
        .unwrap_or_default();
    let mac = mac_address(doc).unwrap_or_default();
    // The reference replaces unhelpful hostnames by the MAC so devices stay distinguishable.
    let name = if name.is_empty() || name.eq_ignore_ascii_case("openwrt") {
        mac.clone()
    } else {
        name
    };
    let mut form = vec![("backend", "netjsonconfig.OpenWrt".to_owned())];
    if consistent && !mac.is_empty() {
        form.push(("key", consistent_key(&mac, secret)));
    }
    form.extend([
        ("secret", secret.to_owned()),
        ("name", name),
        ("mac_address", mac),
        ("hardware_id", String::new()),
        ("tags", String::new()),
        ("model", board.model.clone()),
        ("os", board.os.clone()),
        ("system", board.system.clone()),
    ]);
    form
}

/// The first real MAC address among the interfaces (not loopback, not all zeroes),
/// uppercase as BusyBox `ifconfig` prints it.
pub fn mac_address(doc: &DeviceMonitoring) -> Option<String> {
    doc.interfaces.as_ref()?.iter().find_map(|i| {
        let mac = i.mac.as_deref()?;
        let real = i.name != "lo" && mac.len() == 17 && mac != "00:00:00:00:00:00";
        real.then(|| mac.to_ascii_uppercase())
    })
}

/// Interprets the controller's answer.
pub fn parse(status: u16, controller_header: bool, body: &str) -> Result<Identity, RegisterError> {
    let msg = || format!("HTTP {status}: {}", body.trim());
    if !controller_header {
        return Err(RegisterError::Refused(format!(
            "{} (no X-Openwisp-Controller header: is `url` the controller?)",
            msg()
        )));
    }
    match status {
        201 => {
            let field = |name: &str| {
                body.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                    .map(str::trim)
            };
            let uuid = field("uuid")
                .and_then(|u| uuid::Uuid::try_parse(u).ok())
                .ok_or_else(|| {
                    RegisterError::Retry(format!("no valid uuid in: {}", body.trim()))
                })?;
            let key = field("key")
                .filter(|k| !k.is_empty())
                .ok_or_else(|| RegisterError::Retry(format!("no key in: {}", body.trim())))?;
            Ok(Identity {
                uuid,
                key: key.to_owned(),
            })
        }
        403 => Err(RegisterError::Refused(msg())),
        _ => Err(RegisterError::Retry(msg())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemon_shared::netjson::{General, Interface};

    fn doc(hostname: &str, macs: &[(&str, &str)]) -> DeviceMonitoring {
        DeviceMonitoring {
            general: Some(General {
                hostname: Some(hostname.to_owned()),
                ..General::default()
            }),
            interfaces: Some(
                macs.iter()
                    .map(|(n, m)| Interface {
                        name: (*n).to_owned(),
                        mac: Some((*m).to_owned()),
                        ..Interface::default()
                    })
                    .collect(),
            ),
            ..DeviceMonitoring::default()
        }
    }

    #[test]
    fn the_consistent_key_is_md5_of_mac_plus_secret() {
        // md5("AA:BB:CC:00:11:22+s3cret"), computed with coreutils' md5sum.
        assert_eq!(
            consistent_key("AA:BB:CC:00:11:22", "s3cret"),
            "389f94c7c9dacd68852e192812be2ed6"
        );
    }

    #[test]
    fn form_names_the_device_by_hostname_or_mac() {
        let d = doc(
            "ap-7",
            &[("lo", "00:00:00:00:00:00"), ("eth0", "aa:bb:cc:00:11:22")],
        );
        let board = BoardInfo {
            model: "Archer C7".into(),
            os: "OpenWrt 24.10.0".into(),
            system: "Qualcomm Atheros QCA9558".into(),
        };
        let f = form("s3cret", &d, &board, true);
        let get = |k: &str| f.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("key"), consistent_key("AA:BB:CC:00:11:22", "s3cret"));
        assert_eq!(get("model"), "Archer C7");
        assert_eq!(get("os"), "OpenWrt 24.10.0");
        assert_eq!(get("system"), "Qualcomm Atheros QCA9558");
        // Without consistent keys, or without a MAC, the server picks the key.
        assert!(
            !form("s3cret", &d, &board, false)
                .iter()
                .any(|(n, _)| *n == "key")
        );
        let no_mac = form("s", &doc("ap", &[]), &board, true);
        assert!(!no_mac.iter().any(|(n, _)| *n == "key"));
        assert_eq!(get("name"), "ap-7");
        assert_eq!(get("mac_address"), "AA:BB:CC:00:11:22");
        assert_eq!(get("secret"), "s3cret");
        assert_eq!(get("backend"), "netjsonconfig.OpenWrt");
        let f = form(
            "s",
            &doc("OpenWrt", &[("eth0", "aa:bb:cc:00:11:22")]),
            &BoardInfo::default(),
            true,
        );
        assert_eq!(
            f.iter().find(|(n, _)| *n == "name").unwrap().1,
            "AA:BB:CC:00:11:22"
        );
    }

    #[test]
    fn answers() {
        let ok = "registration-result: success\nuuid: 5d5a3ebc4ac94f118a0ba84e0c6b4d8e\nkey: abc123\nhostname: ap-7\nis-new: 1\n";
        assert_eq!(
            parse(201, true, ok),
            Ok(Identity {
                uuid: uuid::Uuid::parse_str("5d5a3ebc-4ac9-4f11-8a0b-a84e0c6b4d8e").unwrap(),
                key: "abc123".into()
            })
        );
        assert!(matches!(
            parse(201, false, ok),
            Err(RegisterError::Refused(_))
        ));
        assert_eq!(
            parse(403, true, "error: unrecognized secret"),
            Err(RegisterError::Refused(
                "HTTP 403: error: unrecognized secret".into()
            ))
        );
        assert!(matches!(
            parse(404, true, "Device not found"),
            Err(RegisterError::Retry(_))
        ));
        assert!(matches!(parse(500, true, ""), Err(RegisterError::Retry(_))));
        assert!(matches!(
            parse(201, true, "uuid: nope\nkey: k"),
            Err(RegisterError::Retry(_))
        ));
        assert!(matches!(
            parse(201, true, "uuid: 5d5a3ebc4ac94f118a0ba84e0c6b4d8e\n"),
            Err(RegisterError::Retry(_))
        ));
    }
}
