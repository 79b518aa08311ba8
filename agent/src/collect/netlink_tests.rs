use super::*;
use proptest::prelude::*;

/// Builds dump datagrams the way the kernel lays them out (native byte order, 4-byte
/// alignment), so the parsers are tested on the wire format rather than on themselves.
#[derive(Default)]
struct Wire(Vec<u8>);

fn rta(kind: u16, value: &[u8]) -> Vec<u8> {
    let len = u16::try_from(4 + value.len()).unwrap();
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(value);
    v.resize(align4(v.len()), 0);
    v
}

impl Wire {
    fn msg(mut self, kind: u16, fixed: &[u8], attrs: &[Vec<u8>]) -> Self {
        let mut body = fixed.to_vec();
        body.resize(align4(body.len()), 0);
        for a in attrs {
            body.extend_from_slice(a);
        }
        let len = u32::try_from(NLMSG_HDR + body.len()).unwrap();
        self.0.extend_from_slice(&len.to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
        self.0.extend_from_slice(&7u32.to_ne_bytes());
        self.0.extend_from_slice(&4242u32.to_ne_bytes());
        self.0.extend_from_slice(&body);
        self
    }
    fn done(self) -> Vec<u8> {
        self.msg(NLMSG_DONE, &0u32.to_ne_bytes(), &[]).0
    }
    fn link(self, index: u32, name: &str) -> Self {
        let mut fixed = vec![0u8; 16];
        fixed[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        self.msg(
            RTM_NEWLINK,
            &fixed,
            &[rta(IFLA_IFNAME, &n), rta(4, &1500u32.to_ne_bytes())],
        )
    }
    fn addr(self, family: u8, prefix: u8, flags: u8, index: u32, attrs: &[Vec<u8>]) -> Self {
        let mut fixed = vec![family, prefix, flags, 0];
        fixed.extend_from_slice(&index.to_ne_bytes());
        self.msg(RTM_NEWADDR, &fixed, attrs)
    }
    fn route(self, family: u8, dst_len: u8, table: u8, flags: u32, attrs: &[Vec<u8>]) -> Self {
        let mut fixed = vec![family, dst_len, 0, 0, table, 3, 0, 1];
        fixed.extend_from_slice(&flags.to_ne_bytes());
        self.msg(RTM_NEWROUTE, &fixed, attrs)
    }
    fn neigh(self, family: u8, index: u32, state: u16, flags: u8, attrs: &[Vec<u8>]) -> Self {
        let mut fixed = vec![family, 0, 0, 0];
        fixed.extend_from_slice(&index.to_ne_bytes());
        fixed.extend_from_slice(&state.to_ne_bytes());
        fixed.extend_from_slice(&[flags, 1]);
        self.msg(RTM_NEWNEIGH, &fixed, attrs)
    }
}

fn v4(s: &str) -> Vec<u8> {
    s.parse::<Ipv4Addr>().unwrap().octets().to_vec()
}

fn v6(s: &str) -> Vec<u8> {
    s.parse::<Ipv6Addr>().unwrap().octets().to_vec()
}

fn names() -> BTreeMap<u32, String> {
    links(
        &Wire::default()
            .link(1, "lo")
            .link(2, "br-lan")
            .link(5, "wan")
            .done(),
    )
    .unwrap()
}

#[test]
fn requests_are_dumps_of_the_right_table() {
    let r = request(Dump::Routes6, 9);
    assert_eq!(u32_at(&r, 0), Some(28));
    assert_eq!(u16_at(&r, 4), Some(26));
    assert_eq!(u16_at(&r, 6), Some(0x301));
    assert_eq!(u32_at(&r, 8), Some(9));
    assert_eq!(r[16], AF_INET6);
    let r = request(Dump::Neighbours, 1);
    assert_eq!((r.len(), u16_at(&r, 4)), (28, Some(30)));
    let r = request(Dump::Links, 1);
    assert_eq!((r.len(), u16_at(&r, 4)), (32, Some(18)));
    assert_eq!(u16_at(&request(Dump::Addresses, 1), 4), Some(22));
    assert_eq!(request(Dump::Routes4, 1)[16], AF_INET);
}

#[test]
fn a_dump_ends_at_done_and_an_error_is_an_error() {
    let part = Wire::default().link(1, "lo").0;
    assert_eq!(scan(&part), Ok(false));
    assert_eq!(scan(&Wire::default().link(1, "lo").done()), Ok(true));
    let refused = Wire::default()
        .msg(NLMSG_ERROR, &(-95i32).to_ne_bytes(), &[])
        .0;
    let e = scan(&refused).unwrap_err();
    assert!(e.0.contains("errno 95"), "{e}");
    let cut = &Wire::default().link(1, "lo").done()[..20];
    assert!(scan(cut).unwrap_err().0.contains("claims"));
    assert!(scan(&[1, 0]).unwrap_err().0.contains("truncated"));
}

#[test]
fn link_names_stop_at_their_nul() {
    let n = names();
    assert_eq!(n.get(&2).map(String::as_str), Some("br-lan"));
    assert_eq!(n.len(), 3);
}

#[test]
fn addresses_are_read_as_ip_prints_them() {
    let buf = Wire::default()
        // Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS is the peer.
        .addr(
            AF_INET,
            32,
            0x80,
            5,
            &[
                rta(IFA_ADDRESS, &v4("10.0.0.1")),
                rta(IFA_LOCAL, &v4("10.0.0.2")),
            ],
        )
        // DHCP lease: no IFA_F_PERMANENT.
        .addr(
            AF_INET,
            24,
            0,
            2,
            &[
                rta(IFA_LOCAL, &v4("192.168.1.20")),
                rta(IFA_ADDRESS, &v4("192.168.1.20")),
            ],
        )
        // IPv6 has only IFA_ADDRESS; IFA_FLAGS (u32) wins over the 8-bit field.
        .addr(
            AF_INET6,
            64,
            0,
            2,
            &[
                rta(IFA_ADDRESS, &v6("fd00:0:0::1")),
                rta(IFA_FLAGS, &0x80u32.to_ne_bytes()),
            ],
        )
        // Unknown interface, unknown family, no address: skipped.
        .addr(AF_INET, 8, 0x80, 99, &[rta(IFA_LOCAL, &v4("10.9.9.9"))])
        .addr(17, 8, 0x80, 2, &[rta(IFA_LOCAL, &[1, 2])])
        .addr(AF_INET, 8, 0x80, 1, &[])
        .done();
    let gw4 = BTreeMap::from([("br-lan".to_owned(), "192.168.1.1".to_owned())]);
    let gw6 = BTreeMap::from([("wan".to_owned(), "fe80::1".to_owned())]);
    let a = addresses(&buf, &names(), &gw4, &gw6).unwrap();
    assert_eq!(a.len(), 2, "{a:?}");
    let wan = &a["wan"];
    assert_eq!((wan[0].address.as_str(), wan[0].mask), ("10.0.0.2", 32));
    assert_eq!(
        (wan[0].proto.as_str(), wan[0].gateway.as_deref()),
        ("static", None)
    );
    let lan = &a["br-lan"];
    assert_eq!(lan[0].address, "192.168.1.20");
    assert_eq!(
        (lan[0].proto.as_str(), lan[0].family.as_str()),
        ("dhcp", "ipv4")
    );
    assert_eq!(lan[0].gateway.as_deref(), Some("192.168.1.1"));
    assert_eq!((lan[1].address.as_str(), lan[1].mask), ("fd00::1", 64));
    assert_eq!(
        (lan[1].proto.as_str(), lan[1].family.as_str()),
        ("static", "ipv6")
    );
    assert_eq!(lan[1].gateway, None, "an IPv4 gateway is not given to IPv6");
}

#[test]
fn only_main_table_default_routes_with_a_gateway_count() {
    let oif = |i: u32| rta(RTA_OIF, &i.to_ne_bytes());
    let buf = Wire::default()
        .route(
            AF_INET,
            0,
            254,
            0,
            &[rta(RTA_GATEWAY, &v4("192.0.2.1")), oif(5)],
        )
        // A table above 255 is named by RTA_TABLE (rtm_table says RT_TABLE_COMPAT).
        .route(
            AF_INET,
            0,
            252,
            0,
            &[
                rta(RTA_TABLE, &1000u32.to_ne_bytes()),
                rta(RTA_GATEWAY, &v4("198.51.100.1")),
                oif(2),
            ],
        )
        .route(
            AF_INET,
            0,
            252,
            0,
            &[
                rta(RTA_TABLE, &254u32.to_ne_bytes()),
                rta(RTA_GATEWAY, &v4("192.168.1.1")),
                oif(2),
            ],
        )
        .route(
            AF_INET,
            24,
            254,
            0,
            &[rta(RTA_GATEWAY, &v4("10.1.1.1")), oif(1)],
        )
        .route(
            AF_INET,
            0,
            255,
            0,
            &[rta(RTA_GATEWAY, &v4("10.2.2.2")), oif(1)],
        )
        .route(
            AF_INET,
            0,
            254,
            RTM_F_CLONED,
            &[rta(RTA_GATEWAY, &v4("10.3.3.3")), oif(1)],
        )
        // Unreachable default: no gateway.
        .route(AF_INET, 0, 254, 0, &[oif(1)])
        .done();
    let r = default_routes(&buf, &names()).unwrap();
    assert_eq!(
        r,
        BTreeMap::from([
            ("wan".to_owned(), "192.0.2.1".to_owned()),
            ("br-lan".to_owned(), "192.168.1.1".to_owned()),
        ])
    );
    let six = Wire::default()
        .route(
            AF_INET6,
            0,
            254,
            0,
            &[rta(RTA_GATEWAY, &v6("fe80::1")), oif(5)],
        )
        .done();
    assert_eq!(default_routes(&six, &names()).unwrap()["wan"], "fe80::1");
}

#[test]
fn neighbours_are_filtered_like_ip_neigh_show() {
    let ll = |m: [u8; 6]| rta(NDA_LLADDR, &m);
    let buf = Wire::default()
        .neigh(
            AF_INET,
            2,
            0x02,
            0,
            &[
                rta(NDA_DST, &v4("192.168.1.10")),
                ll([0xaa, 0xbb, 0xcc, 0, 1, 0x0f]),
            ],
        )
        // STALE|PROBE: the lowest bit names it.
        .neigh(
            AF_INET6,
            5,
            0x04 | 0x10,
            0x80,
            &[rta(NDA_DST, &v6("fe80::2")), ll([2, 0, 0, 0, 0, 2])],
        )
        // FAILED has no link-layer address.
        .neigh(AF_INET, 2, 0x20, 0, &[rta(NDA_DST, &v4("192.168.1.99"))])
        // NOARP (multicast, loopback) and NONE are hidden...
        .neigh(
            AF_INET,
            1,
            NUD_NOARP,
            0,
            &[
                rta(NDA_DST, &v4("224.0.0.22")),
                ll([1, 0, 0x5e, 0, 0, 0x16]),
            ],
        )
        .neigh(AF_INET, 2, 0, 0, &[rta(NDA_DST, &v4("192.168.1.77"))])
        // ...unless they are proxy entries.
        .neigh(
            AF_INET,
            2,
            0,
            NTF_PROXY,
            &[rta(NDA_DST, &v4("192.168.1.5"))],
        )
        // An interface that vanished between the two dumps.
        .neigh(
            AF_INET,
            42,
            0x02,
            0,
            &[rta(NDA_DST, &v4("10.0.0.9")), ll([0; 6])],
        )
        .done();
    let n = neighbours(&buf, &names()).unwrap();
    let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = n
        .iter()
        .map(|n| {
            (
                n.ip.as_str(),
                n.interface.as_str(),
                n.mac.as_deref(),
                n.state.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "192.168.1.10",
                "br-lan",
                Some("aa:bb:cc:00:01:0f"),
                Some("REACHABLE")
            ),
            ("fe80::2", "wan", Some("02:00:00:00:00:02"), Some("STALE")),
            ("192.168.1.99", "br-lan", None, Some("FAILED")),
            ("192.168.1.5", "br-lan", None, None),
        ]
    );
}

#[test]
fn a_short_fixed_header_is_an_error_not_an_empty_table() {
    let buf = Wire::default().msg(RTM_NEWNEIGH, &[2, 0, 0, 0], &[]).done();
    assert!(
        neighbours(&buf, &names())
            .unwrap_err()
            .0
            .contains("shorter")
    );
}

proptest! {
    /// Whatever the bytes, the parsers answer (a table or an error) without panicking.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let n = names();
        let _ = scan(&bytes);
        let _ = links(&bytes);
        let _ = addresses(&bytes, &n, &BTreeMap::new(), &BTreeMap::new());
        let _ = default_routes(&bytes, &n);
        let _ = neighbours(&bytes, &n);
    }

    /// A well-formed dump cut anywhere is either incomplete or an error, never a panic.
    #[test]
    fn a_cut_dump_is_incomplete_or_an_error(cut in 0usize..200) {
        let buf = Wire::default().link(1, "lo").link(2, "br-lan").done();
        let cut = cut.min(buf.len());
        match scan(&buf[..cut]) {
            Ok(done) => prop_assert!(!done || cut == buf.len()),
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }
}
