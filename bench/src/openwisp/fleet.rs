//! Register the simulated fleet the way openwisp-config does: one
//! `POST /controller/device/register/` per device with the organization's shared secret.
//! Over C keep-alive connections this is far faster for N = 10 000 than one `device add`
//! process per device.

use super::payload::{hostname, mac};
use crate::client::{ClientError, Connection};
use bytes::Bytes;
use std::net::SocketAddr;

/// A device the collector knows, as its registration reply named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The simulated device's index (its payloads are `payload::document(index, …)`).
    pub index: u32,
    /// The device's UUID, 32 hex digits.
    pub uuid: String,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("registration of device {index} answered {status}: {body}")]
    Refused {
        index: u32,
        status: u16,
        body: String,
    },
    #[error("registration reply without {0:?}: {1}")]
    Reply(&'static str, String),
    #[error("a registration task panicked: {0}")]
    Task(String),
}

/// The form openwisp-config sends (`application/x-www-form-urlencoded`).
pub fn form(secret: &str, index: u32) -> String {
    format!(
        "backend=netjsonconfig.OpenWrt&secret={secret}&name={}&mac_address={}&model=Loadgen+AP&os=OpenWrt+24.10",
        hostname(index),
        mac(index, 0).replace(':', "%3A"),
    )
}

/// The `key: value` lines of a successful registration reply.
pub fn parse_reply(index: u32, text: &str) -> Result<Registered, FleetError> {
    let field = |name: &'static str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| FleetError::Reply(name, text.to_owned()))
    };
    if field("registration-result")? != "success" {
        return Err(FleetError::Reply(
            "registration-result: success",
            text.to_owned(),
        ));
    }
    Ok(Registered {
        index,
        uuid: field("uuid")?.to_owned(),
        key: field("key")?.to_owned(),
    })
}

/// Register devices `0..devices` over `concurrency` connections; sorted by index.
pub async fn register(
    addr: SocketAddr,
    secret: &str,
    devices: u32,
    concurrency: u32,
) -> Result<Vec<Registered>, FleetError> {
    let concurrency = concurrency.clamp(1, devices.max(1));
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let secret = secret.to_owned();
            tokio::spawn(async move {
                let mut conn = Connection::connect(addr).await?;
                let mut done = Vec::new();
                for index in (worker..devices).step_by(concurrency as usize) {
                    let body = Bytes::from(form(&secret, index));
                    let reply = conn
                        .post(
                            "/controller/device/register/",
                            "application/x-www-form-urlencoded",
                            body,
                        )
                        .await?;
                    let text = String::from_utf8_lossy(&reply.body).into_owned();
                    if reply.status != 201 {
                        return Err(FleetError::Refused {
                            index,
                            status: reply.status,
                            body: text,
                        });
                    }
                    done.push(parse_reply(index, &text)?);
                }
                Ok(done)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(devices as usize);
    for task in tasks {
        all.extend(task.await.map_err(|e| FleetError::Task(e.to_string()))??);
    }
    all.sort_by_key(|r| r.index);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_reply_gives_uuid_and_key() {
        let text = "registration-result: success\nuuid: 0123456789abcdef0123456789abcdef\nkey: k3y\nhostname: loadgen-ap-00007\nis-new: 1\n";
        assert_eq!(
            parse_reply(7, text).expect("parsed"),
            Registered {
                index: 7,
                uuid: "0123456789abcdef0123456789abcdef".into(),
                key: "k3y".into()
            }
        );
    }

    #[test]
    fn failures_and_missing_fields_are_errors() {
        assert!(matches!(
            parse_reply(0, "registration-result: failed\nuuid: a\nkey: b\n"),
            Err(FleetError::Reply("registration-result: success", _))
        ));
        assert!(matches!(
            parse_reply(0, "registration-result: success\nuuid: a\n"),
            Err(FleetError::Reply("key", _))
        ));
        assert!(matches!(
            parse_reply(0, "registration-result: success\nuuid: \nkey: b\n"),
            Err(FleetError::Reply("uuid", _))
        ));
    }

    #[test]
    fn the_form_escapes_the_mac_and_names_the_device() {
        let f = form("s3cret", 258);
        assert!(f.contains("secret=s3cret&"), "{f}");
        assert!(f.contains("name=loadgen-ap-00258&"), "{f}");
        assert!(
            f.contains("mac_address=02%3A00%3A00%3A01%3A02%3A00&"),
            "{f}"
        );
        assert!(!f.contains(':'), "{f}");
    }
}
