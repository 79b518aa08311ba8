//! What a simulated router's values are at one moment: uptime (with reboots), traffic and
//! CPU counters (integrals of a daily rhythm since boot, so they only grow until the next
//! reboot), load, memory, disk, which clients are associated, modem signal.
//! Everything is a closed-form function of the profile and the time: no state, so the
//! same seed and time always give the same values.

use super::profile::Profile;
use super::rng::{smooth, tag, unit};
use std::f64::consts::TAU;

const DAY: f64 = 86_400.0;
/// Amplitude of the daily rhythm and of the shorter wobble on top of it.
const DAY_AMP: f64 = 0.55;
const WOBBLE_AMP: f64 = 0.25;
/// The largest value [`At::activity`] can take (used to keep CPU busy below 100 %).
pub const DIURNAL_MAX: f64 = 1.0 + DAY_AMP + WOBBLE_AMP;
/// Activity peaks at 20:00 local time: `sin` is 1 six hours after this offset.
const PEAK_OFFSET: f64 = 14.0 * 3600.0;
/// Clients come back this long after a boot.
const WIFI_UP_AFTER_BOOT: f64 = 30.0;

/// One simulated router at one moment (Unix seconds).
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub p: &'a Profile,
    pub t: f64,
}

/// `/proc/meminfo` values in kB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub buffers: u64,
    pub cached: u64,
    pub shared: u64,
}

/// LTE signal readings (dBm, dB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lte {
    pub rsrp: f64,
    pub rsrq: f64,
    pub rssi: f64,
    pub snr: f64,
}

fn floor_u64(x: f64) -> u64 {
    x.max(0.0).floor() as u64
}

impl<'a> At<'a> {
    pub fn new(p: &'a Profile, t: f64) -> Self {
        Self { p, t }
    }

    fn at(&self, t: f64) -> Self {
        Self { p: self.p, t }
    }

    fn noise(&self, what: &str, period: f64) -> f64 {
        smooth(self.p.seed, tag(what), self.t, period)
    }

    /// When the router last booted. It reboots once per `reboot_period`, at a random
    /// moment of each period.
    pub fn boot(&self) -> f64 {
        let (w, phase) = (self.p.reboot_period, self.p.reboot_phase);
        let reboot =
            |k: f64| phase + k * w + 0.9 * w * unit(self.p.seed, &[tag("boot"), k as i64 as u64]);
        let k = ((self.t - phase) / w).floor();
        let this = reboot(k);
        if this <= self.t {
            this
        } else {
            reboot(k - 1.0)
        }
    }

    pub fn uptime(&self) -> f64 {
        self.t - self.boot()
    }

    /// Seconds since local midnight-based epoch (procd's `localtime`).
    pub fn local(&self) -> f64 {
        self.t + self.p.utc_offset as f64
    }

    fn day_angle(&self, t: f64) -> f64 {
        TAU * (t + self.p.utc_offset as f64 - PEAK_OFFSET) / DAY
    }

    fn wobble_angle(&self, t: f64) -> f64 {
        TAU * t / self.p.wobble_period + self.p.wobble_phase
    }

    /// How busy the site is now, around 1 (between 0.2 and [`DIURNAL_MAX`]).
    pub fn activity(&self) -> f64 {
        1.0 + DAY_AMP * self.day_angle(self.t).sin() + WOBBLE_AMP * self.wobble_angle(self.t).sin()
    }

    /// The integral of [`Self::activity`] from `from` to `self.t` (in "average seconds").
    fn activity_integral(&self, from: f64) -> f64 {
        let day = DAY_AMP * DAY / TAU * (self.day_angle(from).cos() - self.day_angle(self.t).cos());
        let wobble = WOBBLE_AMP * self.p.wobble_period / TAU
            * (self.wobble_angle(from).cos() - self.wobble_angle(self.t).cos());
        (self.t - from) + day + wobble
    }

    /// Average-rate seconds of traffic since boot: an interface's byte counter is its
    /// mean rate times this. Grows strictly with time; back to 0 at a reboot.
    pub fn traffic_seconds(&self) -> f64 {
        self.activity_integral(self.boot())
    }

    /// Busy and total jiffies (USER_HZ = 100) of all CPUs since boot.
    pub fn cpu_jiffies(&self) -> (u64, u64) {
        let cpus = f64::from(self.p.model.cpus);
        let total = floor_u64(self.uptime() * 100.0) * u64::from(self.p.model.cpus);
        let busy = floor_u64(self.traffic_seconds() * 100.0 * cpus * self.p.cpu_busy);
        (busy.min(total), total)
    }

    /// 1, 5 and 15 minute load averages.
    pub fn load(&self) -> [f64; 3] {
        let cpus = f64::from(self.p.model.cpus);
        let at = |ago: f64, what: &str| {
            let then = self.at(self.t - ago);
            let base = cpus * self.p.cpu_busy * then.activity() * 1.4;
            (base + 0.08 * (1.0 + then.noise(what, 120.0))).max(0.0)
        };
        [at(0.0, "load1"), at(150.0, "load5"), at(450.0, "load15")]
    }

    /// RAM use: a base share, the day's rhythm, noise and, on leaky devices, growth with
    /// uptime (a reboot frees it).
    pub fn memory(&self) -> Memory {
        let total = self.p.model.ram_mib * 1024 * 94 / 100;
        let used = (self.p.mem_used
            + 0.05 * (self.activity() - 1.0)
            + 0.03 * self.noise("mem", 900.0)
            + self.p.mem_leak_per_day * self.uptime() / DAY)
            .clamp(0.05, 0.97);
        let kb = |share: f64| floor_u64(total as f64 * share);
        let available = kb(1.0 - used);
        let cached = kb(0.1 + 0.02 * self.noise("cache", 1800.0)).min(available);
        let buffers = kb(0.01).min(available - cached);
        Memory {
            total,
            free: available - cached - buffers,
            available,
            buffers,
            cached,
            shared: kb(0.01 + 0.005 * (1.0 + self.noise("shmem", 3600.0))),
        }
    }

    /// Used share of the overlay: fills slowly, dropped back by an occasional cleanup.
    pub fn overlay_used(&self) -> f64 {
        let span = self.p.disk_hi - self.p.disk_lo;
        let days = self.t / DAY + unit(self.p.seed, &[tag("disk-phase")]) * 1000.0;
        self.p.disk_lo + (days * self.p.disk_per_day).rem_euclid(span)
    }

    /// Share of the client pool around at this hour (0.1 at night, 1 at the peak).
    pub fn occupancy(&self) -> f64 {
        0.1 + 0.9 * (0.5 + 0.5 * self.day_angle(self.t).sin())
    }

    /// When client `i` associated, if it is associated now. Non-permanent clients come and
    /// go at their slot boundaries, more often at busy hours.
    pub fn joined(&self, i: usize) -> Option<f64> {
        let c = &self.p.clients[i];
        let up = self.boot() + WIFI_UP_AFTER_BOOT;
        if self.t < up {
            return None;
        }
        if c.always_on {
            return Some(up);
        }
        let here = |k: f64| {
            let start = k * c.slot;
            let p = c.presence * self.at(start).occupancy();
            unit(self.p.seed, &[tag("here"), i as u64, k as i64 as u64]) < p
        };
        let mut k = (self.t / c.slot).floor();
        if !here(k) {
            return None;
        }
        // Look back for the start of this visit (bounded: a day of slots at most).
        for _ in 0..96 {
            if !here(k - 1.0) || (k - 1.0) * c.slot < up {
                break;
            }
            k -= 1.0;
        }
        Some((k * c.slot).max(up))
    }

    /// Indices of the clients associated now.
    pub fn clients(&self) -> Vec<usize> {
        (0..self.p.clients.len())
            .filter(|i| self.joined(*i).is_some())
            .collect()
    }

    /// The modem's LTE signal: a site mean plus slow and fast drift.
    pub fn lte(&self) -> Option<Lte> {
        let m = self.p.modem.as_ref()?;
        let rsrp = m.rsrp + 6.0 * self.noise("rsrp-slow", 1800.0) + 2.0 * self.noise("rsrp", 60.0);
        let rsrq =
            (-9.0 + 0.2 * (rsrp - m.rsrp) + 1.5 * self.noise("rsrq", 300.0)).clamp(-20.0, -3.0);
        let snr = ((rsrp + 118.0) * 0.6 + 2.0 * self.noise("snr", 120.0)).clamp(-5.0, 30.0);
        let round = |x: f64, d: f64| (x * d).round() / d;
        Some(Lte {
            rsrp: round(rsrp, 1.0),
            rsrq: round(rsrq, 1.0),
            rssi: round(rsrp + 27.0 + 2.0 * self.noise("rssi", 90.0), 1.0),
            snr: round(snr, 10.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: f64 = 1_750_000_000.0;

    proptest! {
        #[test]
        fn boot_is_in_the_past_and_at_most_two_periods_ago(seed in 0u64..500, dt in 0.0f64..1e8) {
            let p = Profile::new(seed);
            let a = At::new(&p, T0 + dt);
            prop_assert!(a.boot() <= a.t);
            prop_assert!(a.uptime() < 2.0 * p.reboot_period);
        }

        #[test]
        #[allow(clippy::float_cmp)] // the same computation, compared exactly on purpose
        fn counters_grow_until_the_next_boot(seed in 0u64..500, dt in 0.0f64..1e8, step in 1.0f64..7200.0) {
            let p = Profile::new(seed);
            let (a, b) = (At::new(&p, T0 + dt), At::new(&p, T0 + dt + step));
            if a.boot() == b.boot() {
                prop_assert!(b.traffic_seconds() > a.traffic_seconds());
                let ((b1, t1), (b2, t2)) = (a.cpu_jiffies(), b.cpu_jiffies());
                prop_assert!(b2 >= b1 && t2 > t1 && b2 <= t2);
            } else {
                prop_assert!(b.uptime() < step);
            }
        }

        #[test]
        fn values_stay_plausible(seed in 0u64..500, dt in 0.0f64..1e8) {
            let p = Profile::new(seed);
            let a = At::new(&p, T0 + dt);
            let m = a.memory();
            prop_assert!(m.free + m.cached + m.buffers == m.available && m.available < m.total);
            let d = a.overlay_used();
            prop_assert!(d >= p.disk_lo && d <= p.disk_hi);
            prop_assert!(a.activity() > 0.15 && a.activity() <= DIURNAL_MAX);
            prop_assert!(a.load().iter().all(|l| *l >= 0.0));
            if let Some(l) = a.lte() {
                prop_assert!(l.rsrp < -60.0 && l.rsrp > -130.0 && l.snr <= 30.0);
            }
            for i in a.clients() {
                prop_assert!(a.joined(i).unwrap() <= a.t);
            }
        }
    }

    #[test]
    fn more_clients_in_the_evening_than_at_dawn() {
        let (mut evening, mut dawn) = (0, 0);
        for seed in 0..40 {
            let p = Profile::new(seed);
            for day in 0..5 {
                let midnight =
                    (T0 / DAY).floor() * DAY + f64::from(day) * DAY - p.utc_offset as f64;
                evening += At::new(&p, midnight + 20.0 * 3600.0).clients().len();
                dawn += At::new(&p, midnight + 7.0 * 3600.0).clients().len();
            }
        }
        assert!(evening > 2 * dawn, "evening {evening}, dawn {dawn}");
    }

    #[test]
    #[allow(clippy::float_cmp)] // the same computation, compared exactly on purpose
    fn a_reboot_resets_uptime_and_counters() {
        let p = Profile::new(3);
        // Walk forward an hour at a time until the boot time changes.
        let mut t = T0;
        let first = At::new(&p, t).boot();
        while At::new(&p, t).boot() == first {
            t += 3600.0;
        }
        let after = At::new(&p, t);
        assert!(after.uptime() <= 3600.0);
        assert!(after.traffic_seconds() < At::new(&p, t - 3600.0).traffic_seconds());
    }
}
