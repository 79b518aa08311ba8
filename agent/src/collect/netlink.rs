//! Route-netlink dumps -> the same addresses, default gateways and neighbours as the
//! `ip -json` commands they replace, without a child process per table.
//!
//! Sans-IO: [`request`] builds the dump request, [`scan`] tells the I/O shell when a dump
//! is complete, and the parsers read the concatenated datagrams. The filters follow
//! iproute2's defaults so the NetJSON is the same whichever path produced it:
//! - addresses: `local` is `IFA_LOCAL`, else `IFA_ADDRESS`; `dynamic` is "not
//!   `IFA_F_PERMANENT`" (read from `IFA_FLAGS` when present), as `ip addr` prints it;
//! - default routes: main table, prefix length 0, not cloned, with one gateway and device
//!   (multipath routes have neither at the top level and are skipped, as before);
//! - neighbours: `ip neigh show` hides `NOARP` and `NONE` entries unless they are proxy or
//!   externally learned entries; the state is the lowest state bit's name.

use super::ParseError;
use edgemon_shared::netjson::{Address, Extra, Neighbor};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The tables the agent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dump {
    /// Interface index -> name.
    Links,
    /// Every IPv4 and IPv6 address.
    Addresses,
    /// IPv4 routes.
    Routes4,
    /// IPv6 routes.
    Routes6,
    /// ARP and NDP caches.
    Neighbours,
}

const NLMSG_HDR: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;
const RTM_NEWNEIGH: u16 = 28;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const IFLA_IFNAME: u16 = 3;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_FLAGS: u16 = 8;
const IFA_F_PERMANENT: u32 = 0x80;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_TABLE: u16 = 15;
const RT_TABLE_MAIN: u32 = 254;
const RTM_F_CLONED: u32 = 0x200;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const NUD_NOARP: u16 = 0x40;
const NTF_PROXY: u8 = 0x08;
const NTF_EXT_LEARNED: u8 = 0x10;
const NUD_NAMES: [&str; 8] = [
    "INCOMPLETE",
    "REACHABLE",
    "STALE",
    "DELAY",
    "PROBE",
    "FAILED",
    "NOARP",
    "PERMANENT",
];

impl Dump {
    /// The request message type and the fixed header that follows `nlmsghdr`.
    fn request_body(self) -> (u16, Vec<u8>) {
        match self {
            // ifinfomsg: family, pad, type, index, flags, change.
            Self::Links => (18, vec![0; 16]),
            // ifaddrmsg: family, prefixlen, flags, scope, index.
            Self::Addresses => (22, vec![0; 8]),
            // rtmsg: family first, then dst/src lengths, tos, table, protocol, scope, type, flags.
            Self::Routes4 => (26, with_family(12, AF_INET)),
            Self::Routes6 => (26, with_family(12, AF_INET6)),
            // ndmsg: family, pads, ifindex, state, flags, type.
            Self::Neighbours => (30, vec![0; 12]),
        }
    }

    /// A name for warnings.
    pub fn name(self) -> &'static str {
        match self {
            Self::Links => "netlink links",
            Self::Addresses => "netlink addresses",
            Self::Routes4 => "netlink IPv4 routes",
            Self::Routes6 => "netlink IPv6 routes",
            Self::Neighbours => "netlink neighbours",
        }
    }
}

fn with_family(len: usize, family: u8) -> Vec<u8> {
    let mut v = vec![0; len];
    v[0] = family;
    v
}

/// The dump request for `dump`, with sequence number `seq`.
pub fn request(dump: Dump, seq: u32) -> Vec<u8> {
    let (kind, body) = dump.request_body();
    let len = u32::try_from(NLMSG_HDR + body.len()).expect("a request is a few bytes");
    let mut msg = Vec::with_capacity(NLMSG_HDR + body.len());
    msg.extend_from_slice(&len.to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(&body);
    msg
}

/// One message of a dump: its type and what follows its header.
struct Message<'a> {
    kind: u16,
    body: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The messages in `buf` (whole datagrams, concatenated), up to and excluding `NLMSG_DONE`.
/// An `NLMSG_ERROR` message is the kernel refusing the dump: its errno is the error.
fn messages(buf: &[u8]) -> Result<(Vec<Message<'_>>, bool), ParseError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let rest = &buf[at..];
        let len = u32_at(rest, 0)
            .ok_or_else(|| ParseError::new(format!("truncated netlink header at byte {at}")))?
            as usize;
        if len < NLMSG_HDR || len > rest.len() {
            return Err(ParseError::new(format!(
                "netlink message at byte {at} claims {len} bytes, {} left",
                rest.len()
            )));
        }
        let kind = u16_at(rest, 4).unwrap_or_default();
        let body = &rest[NLMSG_HDR..len];
        match kind {
            NLMSG_DONE => return Ok((out, true)),
            NLMSG_ERROR => {
                let errno = body
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, |b| i32::from_ne_bytes(b).unsigned_abs());
                return Err(ParseError::new(format!(
                    "the kernel refused the dump (errno {errno})"
                )));
            }
            _ => out.push(Message { kind, body }),
        }
        at += align4(len);
    }
    Ok((out, false))
}

/// Whether the datagrams received so far end the dump; an error message is an error.
pub fn scan(buf: &[u8]) -> Result<bool, ParseError> {
    messages(buf).map(|(_, done)| done)
}

/// The attributes (`rtattr`) after a message's fixed header of `fixed` bytes.
fn attributes(body: &[u8], fixed: usize) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut at = align4(fixed);
    while let (Some(len), Some(kind)) = (u16_at(body, at), u16_at(body, at + 2)) {
        let len = usize::from(len);
        let Some(value) = body.get(at + 4..at + len) else {
            break;
        };
        if len < 4 {
            break;
        }
        // The top bits are NLA_F_NESTED and NLA_F_NET_BYTEORDER.
        out.push((kind & 0x3fff, value));
        at += align4(len);
    }
    out
}

fn attr<'a>(attrs: &[(u16, &'a [u8])], kind: u16) -> Option<&'a [u8]> {
    attrs.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v)
}

fn ip(family: u8, bytes: &[u8]) -> Option<IpAddr> {
    match family {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes).ok()?,
        ))),
        _ => None,
    }
}

/// A body too short for its fixed header is a broken dump, not an empty one.
fn fixed(m: &Message<'_>, len: usize, what: &str) -> Result<(), ParseError> {
    if m.body.len() < len {
        return Err(ParseError::new(format!(
            "{what} message of {} bytes, shorter than its {len}-byte header",
            m.body.len()
        )));
    }
    Ok(())
}

/// Interface index -> name, from a [`Dump::Links`] dump.
pub fn links(buf: &[u8]) -> Result<BTreeMap<u32, String>, ParseError> {
    let mut out = BTreeMap::new();
    for m in messages(buf)?.0.iter().filter(|m| m.kind == RTM_NEWLINK) {
        fixed(m, 16, "link")?;
        let index = u32_at(m.body, 4).unwrap_or_default();
        if let Some(name) = attr(&attributes(m.body, 16), IFLA_IFNAME) {
            let name = name.split(|b| *b == 0).next().unwrap_or_default();
            out.insert(index, String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(out)
}

fn name_of(names: &BTreeMap<u32, String>, index: u32) -> Option<String> {
    names.get(&index).cloned()
}

/// Default gateways per device (device -> gateway), from a [`Dump::Routes4`] or
/// [`Dump::Routes6`] dump, as `ip -json route show default` lists them.
pub fn default_routes(
    buf: &[u8],
    names: &BTreeMap<u32, String>,
) -> Result<BTreeMap<String, String>, ParseError> {
    let mut out = BTreeMap::new();
    for m in messages(buf)?.0.iter().filter(|m| m.kind == RTM_NEWROUTE) {
        fixed(m, 12, "route")?;
        let (family, dst_len, table) = (m.body[0], m.body[1], m.body[4]);
        let flags = u32_at(m.body, 8).unwrap_or_default();
        let attrs = attributes(m.body, 12);
        let table = attr(&attrs, RTA_TABLE)
            .and_then(|v| u32_at(v, 0))
            .unwrap_or(u32::from(table));
        if dst_len != 0 || table != RT_TABLE_MAIN || flags & RTM_F_CLONED != 0 {
            continue;
        }
        let gateway = attr(&attrs, RTA_GATEWAY).and_then(|v| ip(family, v));
        let dev = attr(&attrs, RTA_OIF)
            .and_then(|v| u32_at(v, 0))
            .and_then(|i| name_of(names, i));
        if let (Some(gateway), Some(dev)) = (gateway, dev) {
            out.insert(dev, gateway.to_string());
        }
    }
    Ok(out)
}

/// Addresses per interface from a [`Dump::Addresses`] dump, as
/// [`super::ipaddr::parse_addrs`] makes them from `ip -json addr show`.
pub fn addresses(
    buf: &[u8],
    names: &BTreeMap<u32, String>,
    gw4: &BTreeMap<String, String>,
    gw6: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Vec<Address>>, ParseError> {
    let mut out: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    for m in messages(buf)?.0.iter().filter(|m| m.kind == RTM_NEWADDR) {
        fixed(m, 8, "address")?;
        let (family, prefixlen, flags8) = (m.body[0], m.body[1], m.body[2]);
        let (family_name, gw) = match family {
            AF_INET => ("ipv4", gw4),
            AF_INET6 => ("ipv6", gw6),
            _ => continue,
        };
        let index = u32_at(m.body, 4).unwrap_or_default();
        let Some(dev) = name_of(names, index) else {
            continue;
        };
        let attrs = attributes(m.body, 8);
        let local = attr(&attrs, IFA_LOCAL)
            .or_else(|| attr(&attrs, IFA_ADDRESS))
            .and_then(|v| ip(family, v));
        let Some(local) = local else { continue };
        let flags = attr(&attrs, IFA_FLAGS)
            .and_then(|v| u32_at(v, 0))
            .unwrap_or(u32::from(flags8));
        let address = Address {
            address: local.to_string(),
            mask: i64::from(prefixlen),
            family: family_name.to_owned(),
            proto: if flags & IFA_F_PERMANENT == 0 {
                "dhcp"
            } else {
                "static"
            }
            .to_owned(),
            gateway: gw.get(&dev).cloned(),
            extra: Extra::new(),
        };
        out.entry(dev).or_default().push(address);
    }
    Ok(out)
}

fn mac(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(":")
}

/// The neighbours `ip neigh show` lists, from a [`Dump::Neighbours`] dump.
pub fn neighbours(buf: &[u8], names: &BTreeMap<u32, String>) -> Result<Vec<Neighbor>, ParseError> {
    let mut out = Vec::new();
    for m in messages(buf)?.0.iter().filter(|m| m.kind == RTM_NEWNEIGH) {
        fixed(m, 12, "neighbour")?;
        let family = m.body[0];
        let index = u32_at(m.body, 4).unwrap_or_default();
        let state = u16_at(m.body, 8).unwrap_or_default();
        let flags = m.body[10];
        let shown = state & (0xff & !NUD_NOARP) != 0;
        if !shown && flags & (NTF_PROXY | NTF_EXT_LEARNED) == 0 {
            continue;
        }
        let attrs = attributes(m.body, 12);
        let (Some(dst), Some(dev)) = (
            attr(&attrs, NDA_DST).and_then(|v| ip(family, v)),
            name_of(names, index),
        ) else {
            continue;
        };
        let state = (0..8)
            .find(|bit| state & (1 << bit) != 0)
            .map(|bit| NUD_NAMES[bit].to_owned());
        out.push(Neighbor {
            ip: dst.to_string(),
            interface: dev,
            mac: attr(&attrs, NDA_LLADDR).filter(|v| !v.is_empty()).map(mac),
            state,
            vendor: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "netlink_tests.rs"]
mod tests;
