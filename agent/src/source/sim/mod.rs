//! Simulated OpenWrt routers: a [`Source`] that answers every file, listing, command and
//! statvfs the collectors ask, as an OpenWrt 24.10 router would, so the real collection
//! code runs unchanged against a fleet that does not exist (the collector's demo, tests).
//!
//! Data flow: the seed (device number) fixes a [`profile::Profile`] (model, radios, ports,
//! modem, client pool, rates); the clock gives the moment; [`dynamics::At`] turns both into
//! values (uptime with reboots, counters, load, memory, disk, associated clients, signal);
//! the render modules (`system`, `net`, `wifi`, `modem`, `config`) print those values in
//! the exact formats the parsers read. Nothing is stored: the same seed and time always
//! give the same answers. docs/demo.md describes the simulated router.

// Simulation maths converts between f64 and integers everywhere; every value is bounded
// (times in ms below 2^53, rates and counters far below 2^63), so the cast lints only add
// noise here. The renderers build text with `format!` for readability.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::format_push_string,
    clippy::format_collect
)]

mod config;
mod dynamics;
mod modem;
mod net;
mod profile;
mod rng;
mod system;
#[cfg(test)]
mod tests;
mod wifi;

use super::{FsStats, Source, SourceError};
use dynamics::At;
use profile::Profile;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a simulated router gets "now" from, in Unix milliseconds. Tests step a closure;
/// the demo uses [`SystemClock`] (or a closure running faster than real time).
pub trait Clock {
    fn now_ms(&self) -> i64;
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }
}

impl<F: Fn() -> i64> Clock for F {
    fn now_ms(&self) -> i64 {
        self()
    }
}

/// One simulated OpenWrt router, device number `seed`, hostname `demo-ap-<seed>`.
pub struct Sim<C = SystemClock> {
    profile: Profile,
    clock: C,
}

impl<C> fmt::Debug for Sim<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.profile.seed)
            .field("hostname", &self.profile.hostname)
            .field("model", &self.profile.model.name)
            .finish_non_exhaustive()
    }
}

fn absent(what: &str) -> SourceError {
    SourceError::Absent(what.to_owned())
}

impl<C: Clock> Sim<C> {
    pub fn new(seed: u64, clock: C) -> Self {
        Self {
            profile: Profile::new(seed),
            clock,
        }
    }

    pub fn hostname(&self) -> &str {
        &self.profile.hostname
    }

    /// The hardware model this router pretends to be.
    pub fn model(&self) -> &'static str {
        self.profile.model.name
    }

    /// Whether it has a cellular modem (and so reports `mobile`).
    pub fn has_modem(&self) -> bool {
        self.profile.modem.is_some()
    }

    /// The router at the clock's time plus `later`.
    fn at(&self, later: Duration) -> At<'_> {
        let ms = self.clock.now_ms() as f64 + later.as_secs_f64() * 1000.0;
        At::new(&self.profile, ms / 1000.0)
    }

    fn read_at(&self, path: &str, at: &At) -> Result<String, SourceError> {
        let p = &self.profile;
        Ok(match path {
            "/proc/loadavg" => system::loadavg(at),
            "/proc/cpuinfo" => system::cpuinfo(p),
            "/proc/stat" => system::stat(at),
            "/proc/meminfo" => system::meminfo(at),
            "/proc/mounts" => system::mounts(p),
            "/proc/uptime" => system::uptime(at),
            "/proc/sys/kernel/hostname" => format!("{}\n", p.hostname),
            "/proc/net/dev" => net::proc_net_dev(at),
            "/proc/net/arp" => net::arp(at),
            "/etc/config/network" => config::network(p),
            "/etc/config/dhcp" => config::dhcp(),
            config::LEASE_FILE => config::leases(at),
            _ => {
                let rest = path
                    .strip_prefix("/sys/class/net/")
                    .ok_or_else(|| absent(path))?;
                return match net::sysfs(at, rest) {
                    Some(Ok(text)) => Ok(text),
                    Some(Err(e)) => Err(SourceError::Failed(format!("{path}: {e}"))),
                    None => Err(absent(path)),
                };
            }
        })
    }

    /// `ubus call OBJECT METHOD [ARG]`: `None` for an object/method OpenWrt lacks.
    fn ubus(
        &self,
        at: &At,
        object: &str,
        method: &str,
        arg: Option<&str>,
    ) -> Option<Result<String, SourceError>> {
        let p = &self.profile;
        let device = || -> Option<String> {
            let v: serde_json::Value = serde_json::from_str(arg?).ok()?;
            v.get("device")?.as_str().map(str::to_owned)
        };
        let not_found = || Err(SourceError::Failed("Command failed: Not found".into()));
        Some(match (object, method) {
            ("system", "board") => Ok(system::board(p)),
            ("system", "info") => Ok(system::info(at)),
            ("network.device", "status") => Ok(net::device_status(at)),
            ("network.wireless", "status") => Ok(wifi::status(p)),
            ("network.interface", "dump") => Ok(net::interface_dump(at)),
            ("iwinfo", "info") => device()
                .and_then(|d| wifi::info(at, &d))
                .map_or_else(not_found, Ok),
            ("iwinfo", "assoclist") => device()
                .and_then(|d| wifi::assoclist(at, &d))
                .map_or_else(not_found, Ok),
            (o, "get_clients") if o.starts_with("hostapd.") => {
                wifi::hostapd_clients(at, &o["hostapd.".len()..]).map_or_else(not_found, Ok)
            }
            _ => return None,
        })
    }
}

impl<C: Clock> Source for Sim<C> {
    fn read(&self, path: &str) -> Result<String, SourceError> {
        self.read_at(path, &self.at(Duration::ZERO))
    }

    /// The second read is taken `gap` later in simulated time, without sleeping.
    fn read_twice(&self, path: &str, gap: Duration) -> Result<(String, String), SourceError> {
        let first = self.read_at(path, &self.at(Duration::ZERO))?;
        Ok((first, self.read_at(path, &self.at(gap))?))
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        net::sysfs_list(&self.profile, dir).ok_or_else(|| absent(dir))
    }

    fn run(&self, argv: &[&str]) -> Result<String, SourceError> {
        let at = self.at(Duration::ZERO);
        let line = argv.join(" ");
        let answer = match argv {
            ["ubus", "call", object, method, rest @ ..] if rest.len() <= 1 => {
                self.ubus(&at, object, method, rest.first().copied())
            }
            ["mmcli", "-J", "-m", path, rest @ ..] if self.has_modem() => {
                let ours = self.profile.modem.as_ref().is_some_and(|m| m.path == *path);
                Some(match rest {
                    [] if ours => modem::modem(&at).ok_or_else(|| absent(&line)),
                    ["--signal-get"] if ours => modem::signal(&at).ok_or_else(|| absent(&line)),
                    _ => Err(SourceError::Failed(format!(
                        "{line}: error: couldn't find modem"
                    ))),
                })
            }
            ["ip", "-json", "neigh"] => Some(Ok(net::neigh_json(&at))),
            ["ip", "neigh"] => Some(Ok(net::neigh_text(&at))),
            _ => None,
        };
        answer.unwrap_or_else(|| Err(absent(&line)))
    }

    fn statvfs(&self, mount_point: &str) -> Result<FsStats, SourceError> {
        system::statvfs(&self.at(Duration::ZERO), mount_point).ok_or_else(|| absent(mount_point))
    }

    fn now(&self) -> Option<i64> {
        Some(self.at(Duration::ZERO).t.floor() as i64)
    }
}
