//! The simulated router's system answers: procd's `system board|info`, `/proc` files and
//! the filesystems (`/proc/mounts`, statvfs).

use super::dynamics::At;
use super::profile::Profile;
use crate::source::FsStats;
use serde_json::json;

/// `ubus call system board`.
pub fn board(p: &Profile) -> String {
    let (version, revision) = &p.release;
    json!({
        "kernel": "6.6.93",
        "hostname": p.hostname,
        "system": p.model.cpu,
        "model": p.model.name,
        "board_name": p.model.board,
        "rootfs_type": "squashfs",
        "release": {
            "distribution": "OpenWrt",
            "version": version,
            "revision": revision,
            "target": p.model.target,
            "description": format!("OpenWrt {version} {revision}"),
        }
    })
    .to_string()
}

fn secs(x: f64) -> i64 {
    x.floor() as i64
}

/// `ubus call system info` (bytes, like procd; load in 1/65536ths).
pub fn info(at: &At) -> String {
    let m = at.memory();
    let load: Vec<u64> = at.load().iter().map(|l| (l * 65536.0) as u64).collect();
    let root = statvfs(at, "/overlay").unwrap_or(FsStats {
        frsize: 4096,
        blocks: 0,
        bfree: 0,
        bavail: 0,
    });
    let kib = |blocks: u64| blocks * root.frsize / 1024;
    json!({
        "localtime": secs(at.local()),
        "uptime": secs(at.uptime()),
        "load": load,
        "memory": {
            "total": m.total * 1024, "free": m.free * 1024, "shared": m.shared * 1024,
            "buffered": m.buffers * 1024, "available": m.available * 1024, "cached": m.cached * 1024,
        },
        "root": {"total": kib(root.blocks), "free": kib(root.bfree), "used": kib(root.blocks - root.bfree), "avail": kib(root.bavail)},
        "tmp": {"total": m.total / 2, "free": m.total / 2 - m.shared, "used": m.shared, "avail": m.total / 2 - m.shared},
        "swap": {"total": 0, "free": 0},
    })
    .to_string()
}

/// `/proc/cpuinfo` (one `processor` block per CPU).
pub fn cpuinfo(p: &Profile) -> String {
    (0..p.model.cpus)
        .map(|i| {
            format!(
                "processor\t: {i}\nmodel name\t: {}\nBogoMIPS\t: 50.00\n\n",
                p.model.cpu
            )
        })
        .collect()
}

/// `/proc/stat`: the aggregate and per-CPU lines (busy split into user/system/softirq).
pub fn stat(at: &At) -> String {
    let (busy, total) = at.cpu_jiffies();
    let n = u64::from(at.p.model.cpus);
    let line = |name: &str, busy: u64, total: u64| {
        let (user, system) = (busy * 5 / 10, busy * 3 / 10);
        let softirq = busy - user - system;
        let idle = total - busy;
        format!("{name} {user} 0 {system} {idle} 0 0 {softirq} 0 0 0\n")
    };
    let mut out = line("cpu ", busy, total);
    for i in 0..n {
        // Spread the jiffies over the CPUs; the first takes the remainder.
        let extra = |x: u64| if i == 0 { x % n } else { 0 };
        out.push_str(&line(
            &format!("cpu{i}"),
            busy / n + extra(busy),
            total / n + extra(total),
        ));
    }
    let btime = at.boot() as u64;
    out.push_str(&format!(
        "intr {}\nctxt {}\nbtime {btime}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\n",
        total * 3,
        total * 7,
        1500 + total / 5000
    ));
    out
}

/// `/proc/meminfo`.
pub fn meminfo(at: &At) -> String {
    let m = at.memory();
    format!(
        "MemTotal:       {:>8} kB\nMemFree:        {:>8} kB\nMemAvailable:   {:>8} kB\n\
         Buffers:        {:>8} kB\nCached:         {:>8} kB\nSwapCached:            0 kB\n\
         Shmem:          {:>8} kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
        m.total, m.free, m.available, m.buffers, m.cached, m.shared
    )
}

/// `/proc/loadavg`.
pub fn loadavg(at: &At) -> String {
    let [a, b, c] = at.load();
    let running = 1 + (a.floor() as u64).min(8);
    let last_pid = 1500 + (at.uptime() / 7.0) as u64 % 30_000;
    format!("{a:.2} {b:.2} {c:.2} {running}/97 {last_pid}\n")
}

/// `/proc/uptime`.
pub fn uptime(at: &At) -> String {
    let up = at.uptime();
    let idle = up * f64::from(at.p.model.cpus) * (1.0 - at.p.cpu_busy);
    format!("{up:.2} {idle:.2}\n")
}

/// `/proc/mounts` of an OpenWrt squashfs + overlay image.
pub fn mounts(p: &Profile) -> String {
    let (fstype, dev, _) = p.model.overlay;
    format!(
        "/dev/root /rom squashfs ro,relatime,errors=continue 0 0\n\
         proc /proc proc rw,nosuid,nodev,noexec,noatime 0 0\n\
         sysfs /sys sysfs rw,nosuid,nodev,noexec,noatime 0 0\n\
         cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n\
         tmpfs /tmp tmpfs rw,nosuid,nodev,noatime 0 0\n\
         {dev} /overlay {fstype} rw,noatime 0 0\n\
         overlayfs:/overlay / overlay rw,noatime,lowerdir=/,upperdir=/overlay/upper,workdir=/overlay/work 0 0\n\
         tmpfs /dev tmpfs rw,nosuid,noexec,noatime,size=512k,mode=755 0 0\n\
         devpts /dev/pts devpts rw,nosuid,noexec,noatime,mode=600,ptmxmode=000 0 0\n"
    )
}

/// statvfs of a mount point: `/rom` is a full read-only squashfs, `/overlay` fills slowly.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn statvfs(at: &At, mount_point: &str) -> Option<FsStats> {
    let frsize = 4096;
    match mount_point {
        "/rom" => Some(FsStats {
            frsize,
            blocks: 1536 + at.p.seed % 512,
            bfree: 0,
            bavail: 0,
        }),
        "/overlay" | "/" => {
            let blocks = at.p.model.overlay.2 / frsize;
            let used = (blocks as f64 * at.overlay_used()) as u64;
            // ubifs and ext4 keep a reserve for root; jffs2 does not.
            let reserve = if at.p.model.overlay.0 == "jffs2" {
                0
            } else {
                blocks / 20
            };
            let bfree = blocks - used;
            Some(FsStats {
                frsize,
                blocks,
                bfree,
                bavail: bfree.saturating_sub(reserve),
            })
        }
        "/tmp" | "/dev" => {
            let m = at.memory();
            let blocks = m.total / 2 / 4;
            Some(FsStats {
                frsize,
                blocks,
                bfree: blocks - m.shared / 4,
                bavail: blocks - m.shared / 4,
            })
        }
        _ => None,
    }
}
