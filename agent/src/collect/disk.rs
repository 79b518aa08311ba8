//! Disks: `/proc/mounts` + statvfs (what the agent reads), or `df -P` text (what the
//! reference reads, kept for bundles that only hold that) -> `resources.disk[]`.

use super::ParseError;
use crate::source::FsStats;
use edgemon_shared::netjson::Disk;

/// Kernel and memory filesystems: they hold no user data, and `tmpfs` (the reference's only
/// exclusion) would double-count RAM.
const PSEUDO: &[&str] = &[
    "autofs",
    "bpf",
    "binfmt_misc",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

/// One `/proc/mounts` entry worth a statvfs: `(device, mount point)`.
/// OpenWrt's `overlayfs:/overlay` on `/` is skipped like the reference does: its space is
/// the `/overlay` device's, already listed. Octal escapes (`\040` = space) are decoded.
pub fn real_mounts(mounts: &str) -> Vec<(String, String)> {
    let mut seen = Vec::<(String, String)>::new();
    for line in mounts.lines() {
        let mut f = line.split_whitespace();
        let (Some(dev), Some(mnt), Some(fstype)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if PSEUDO.contains(&fstype) || dev.contains("overlayfs") {
            continue;
        }
        let entry = (unescape(dev), unescape(mnt));
        if !seen.contains(&entry) {
            seen.push(entry);
        }
    }
    seen
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        if let Some(c) = code {
            out.push(char::from(c));
            rest = &rest[i + 4..];
        } else {
            out.push('\\');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// A disk entry from statvfs, with `df`'s rounding of the used percentage (up).
/// `None` for filesystems with no blocks (pseudo filesystems that slipped through).
pub fn from_statvfs(filesystem: &str, mount_point: &str, s: FsStats) -> Option<Disk> {
    if s.blocks == 0 {
        return None;
    }
    let size = s.blocks.checked_mul(s.frsize)?;
    let used = s.blocks.saturating_sub(s.bfree).checked_mul(s.frsize)?;
    let avail = s.bavail.checked_mul(s.frsize)?;
    let denom = u128::from(used) + u128::from(avail);
    let used_percent = if denom == 0 {
        0
    } else {
        u64::try_from((u128::from(used) * 100).div_ceil(denom)).unwrap_or(100)
    };
    Some(Disk {
        filesystem: filesystem.to_owned(),
        mount_point: mount_point.to_owned(),
        size_bytes: size,
        used_bytes: used,
        available_bytes: avail,
        used_percent,
    })
}

/// `df -P` output. Rows that do not have six fields or numeric sizes are skipped, as are
/// `tmpfs` and overlay rows; exact duplicates (bind mounts listed twice) are kept once.
pub fn parse_df(text: &str) -> Result<Vec<Disk>, ParseError> {
    let mut disks: Vec<Disk> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with("Filesystem")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [fs, size, used, avail, pct, mnt] = f[..] else {
            continue;
        };
        if fs == "tmpfs" || fs.contains("overlayfs") {
            continue;
        }
        let kib = |v: &str| v.parse::<u64>().ok().and_then(|k| k.checked_mul(1024));
        let (Some(size_bytes), Some(used_bytes), Some(available_bytes)) =
            (kib(size), kib(used), kib(avail))
        else {
            continue;
        };
        let Ok(used_percent) = pct.trim_end_matches('%').parse() else {
            continue;
        };
        let disk = Disk {
            filesystem: fs.to_owned(),
            mount_point: mnt.to_owned(),
            size_bytes,
            used_bytes,
            available_bytes,
            used_percent,
        };
        if !disks.contains(&disk) {
            disks.push(disk);
        }
    }
    if disks.is_empty()
        && text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.starts_with("Filesystem"))
    {
        return Err(ParseError::new("no parsable `df -P` row"));
    }
    Ok(disks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_keep_real_filesystems_once() {
        let mounts = "/dev/root /rom squashfs ro 0 0\nproc /proc proc rw 0 0\n\
                      tmpfs /tmp tmpfs rw 0 0\n/dev/mtdblock6 /overlay jffs2 rw 0 0\n\
                      overlayfs:/overlay / overlay rw 0 0\n/dev/sda1 /mnt/my\\040disk ext4 rw 0 0\n\
                      /dev/sda1 /mnt/my\\040disk ext4 rw 0 0\ntruncated-line\n";
        assert_eq!(
            real_mounts(mounts),
            vec![
                ("/dev/root".into(), "/rom".into()),
                ("/dev/mtdblock6".into(), "/overlay".into()),
                ("/dev/sda1".into(), "/mnt/my disk".into()),
            ]
        );
    }

    #[test]
    fn statvfs_gives_bytes_and_df_percent() {
        let s = FsStats {
            frsize: 4096,
            blocks: 1000,
            bfree: 300,
            bavail: 250,
        };
        let d = from_statvfs("/dev/vda", "/", s).unwrap();
        assert_eq!(
            (d.size_bytes, d.used_bytes, d.available_bytes),
            (4_096_000, 2_867_200, 1_024_000)
        );
        assert_eq!(d.used_percent, 74); // 700 / 950, rounded up like df
        assert!(
            from_statvfs(
                "none",
                "/x",
                FsStats {
                    frsize: 4096,
                    blocks: 0,
                    bfree: 0,
                    bavail: 0
                }
            )
            .is_none()
        );
        assert!(
            from_statvfs(
                "huge",
                "/x",
                FsStats {
                    frsize: u64::MAX,
                    blocks: 2,
                    bfree: 0,
                    bavail: 0
                }
            )
            .is_none()
        );
    }

    #[test]
    fn df_rows_skip_tmpfs_junk_and_duplicates() {
        let text = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                    /dev/root 1000 10 990 1% /\ntmpfs 5 0 5 0% /tmp\n/dev/sda1 100 25 75 25% /boot\n\
                    /dev/sda1 100 25 75 25% /boot\n/dev/sdb1 x 1 1 1% /x\n/dev/sdc1 1 1\n";
        let disks = parse_df(text).unwrap();
        assert_eq!(disks.len(), 2);
        assert_eq!(disks[1].size_bytes, 102_400);
        assert_eq!(disks[1].used_percent, 25);
    }

    #[test]
    fn df_empty_is_no_disk_and_garbage_is_an_error() {
        assert_eq!(parse_df("").unwrap(), vec![]);
        assert!(parse_df("df: command failed\n").is_err());
    }
}
