//! Self-registration: a device configured with an organization's `shared_secret` and no
//! uuid/key registers at the controller once, stores the answer in `identity_file`, and
//! uses it from then on (including after restarts).

pub mod protocol;

use crate::collect::collect;
use crate::collect::ubus_system::parse_board_info;
use crate::config::Config;
use crate::config::sources::uci_options;
use crate::daemon::{CPU_GAP, log};
use crate::deliver::backoff::Backoff;
use crate::deliver::http::{self, HttpSetupError};
use crate::source::Source;
use protocol::{Identity, RegisterError};
use std::path::Path;
use std::time::Duration;

/// Why the agent cannot get an identity.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Refused(#[from] RegisterError),
    #[error(transparent)]
    Http(#[from] HttpSetupError),
    #[error("cannot store the identity in {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The configuration with uuid and key filled: as configured, else from the identity
/// file, else by registering (retrying with backoff until the controller answers, and
/// giving up only when it refuses for good). `None` when a stop was requested while
/// waiting to retry.
pub fn ensure(cfg: &Config, src: &dyn Source) -> Result<Option<Config>, IdentityError> {
    if cfg.uuid.is_some() && cfg.key.is_some() {
        return Ok(Some(cfg.clone()));
    }
    let mut out = cfg.clone();
    if let Some(id) = read(&cfg.identity_file) {
        out.uuid = Some(id.uuid);
        out.key = Some(id.key);
        return Ok(Some(out));
    }
    let secret = cfg.shared_secret.clone().unwrap_or_default();
    let base = cfg.url.clone().unwrap_or_default();
    let agent = http::agent(cfg)?;
    let mut backoff = Backoff::new(Duration::from_secs(5), cfg.backoff_max);
    loop {
        let doc = collect(src, CPU_GAP).doc;
        let board = src
            .run(&["ubus", "call", "system", "board"])
            .ok()
            .and_then(|t| parse_board_info(&t).ok())
            .unwrap_or_default();
        let url = format!("{base}{}", protocol::PATH);
        let form = protocol::form(&secret, &doc, &board, cfg.consistent_key);
        let result = match agent.post(&url).send_form(form) {
            Ok(mut r) => {
                let header = r
                    .headers()
                    .get("x-openwisp-controller")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
                let body = http::read_body(&mut r);
                protocol::parse(r.status().as_u16(), header, &body)
            }
            Err(e) => Err(RegisterError::Retry(format!("transport: {e}"))),
        };
        match result {
            Ok(id) => {
                write(&cfg.identity_file, &id)?;
                log("info", "registered", &[("uuid", id.uuid.to_string())]);
                out.uuid = Some(id.uuid);
                out.key = Some(id.key);
                return Ok(Some(out));
            }
            Err(RegisterError::Retry(msg)) => {
                let wait = backoff.fail(fastrand::u64(..));
                log(
                    "warn",
                    "registration failed; will retry",
                    &[("reason", msg), ("wait_ms", wait.as_millis().to_string())],
                );
                if crate::daemon::stop::sleep(wait) {
                    return Ok(None);
                }
            }
            Err(refused) => return Err(refused.into()),
        }
    }
}

/// The stored identity, if the file holds a valid one.
fn read(path: &Path) -> Option<Identity> {
    let text = std::fs::read_to_string(path).ok()?;
    let opts = uci_options(&text, "");
    Some(Identity {
        uuid: uuid::Uuid::try_parse(&opts.get("uuid")?.value).ok()?,
        key: opts.get("key")?.value.clone(),
    })
}

/// Writes the identity atomically (temporary file + rename), readable by root only.
fn write(path: &Path, id: &Identity) -> Result<(), IdentityError> {
    let err = |source| IdentityError::Store {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("tmp");
    let text = format!(
        "# written by edgemon-agent after registering; delete to register again\n\
         config edgemon 'identity'\n\toption uuid '{}'\n\toption key '{}'\n",
        id.uuid, id.key
    );
    std::fs::write(&tmp, text).map_err(err)?;
    restrict(&tmp).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn identity_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/identity");
        let id = Identity {
            uuid: uuid::Uuid::from_u128(7),
            key: "k-1".into(),
        };
        write(&path, &id).unwrap();
        assert_eq!(read(&path), Some(id));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, "config edgemon 'identity'\n\toption uuid 'bad'\n").unwrap();
        assert_eq!(read(&path), None);
    }
}
