//! Property tests of the wire contract: every model value round-trips through JSON, every
//! batch through postcard and its JSON rendering, the time codec through format/parse, and
//! no decoder panics on arbitrary input.

use edgemon_shared::envelope::{Batch, Document, Sample};
use edgemon_shared::netjson::*;
use edgemon_shared::time::{format_openwisp_time, parse_openwisp_time};
use edgemon_shared::validate::{parse_and_validate, validate};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{4e2d}]{0,12}"
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

/// Unknown members: keys that no typed field uses, JSON values of every kind.
fn extra() -> impl Strategy<Value = Extra> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            vec(("[a-z]{1,4}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    });
    vec(("x_[a-z]{1,6}", value), 0..3).prop_map(|kv| kv.into_iter().collect())
}

fn statistics() -> impl Strategy<Value = Statistics> {
    (vec(of(any::<u64>()), 23), extra()).prop_map(|(values, extra)| {
        let mut s = Statistics {
            extra,
            ..Statistics::default()
        };
        for (name, value) in Statistics::FIELDS.iter().zip(values) {
            if let Some(v) = value {
                s.set(name, v);
            }
        }
        s
    })
}

fn address() -> impl Strategy<Value = Address> {
    (text(), any::<i64>(), text(), text(), of(text()), extra()).prop_map(
        |(address, mask, family, proto, gateway, extra)| Address {
            address,
            mask,
            family,
            proto,
            gateway,
            extra,
        },
    )
}

fn client() -> impl Strategy<Value = WirelessClient> {
    (
        text(),
        any::<[bool; 6]>(),
        of(any::<bool>()),
        of(any::<i64>()),
        of(vec(any::<i64>(), 5)),
        of(text()),
        extra(),
    )
        .prop_map(
            |(mac, flags, he, signal, rrm, signature, extra)| WirelessClient {
                mac,
                auth: flags[0],
                authorized: flags[1],
                ht: flags[2],
                vht: flags[3],
                wmm: flags[4],
                mfp: flags[5],
                he,
                signal,
                rrm,
                signature,
                extra,
                ..WirelessClient::default()
            },
        )
}

fn wireless() -> impl Strategy<Value = Wireless> {
    (
        (text(), text(), any::<[i64; 4]>(), text()),
        (
            of(any::<i64>()),
            of(text()),
            of(finite()),
            of(vec(client(), 0..3)),
        ),
        extra(),
    )
        .prop_map(
            |((ssid, mode, nums, country), (signal, htmode, bitrate, clients), extra)| Wireless {
                ssid,
                mode,
                channel: nums[0],
                frequency: nums[1],
                tx_power: nums[2],
                noise: nums[3],
                country,
                signal,
                htmode,
                bitrate,
                clients,
                extra,
                ..Wireless::default()
            },
        )
}

fn signal_values() -> impl Strategy<Value = SignalValues> {
    (
        of(finite()),
        of(finite()),
        of(finite()),
        of(finite()),
        of(finite()),
        extra(),
    )
        .prop_map(|(rssi, rsrp, rsrq, snr, ecio, extra)| SignalValues {
            rssi,
            rsrp,
            rsrq,
            snr,
            ecio,
            extra,
            ..SignalValues::default()
        })
}

fn mobile() -> impl Strategy<Value = Mobile> {
    (
        vec(text(), 7),
        of(signal_values()),
        of(signal_values()),
        of(vec(text(), 0..3)),
        extra(),
    )
        .prop_map(|(s, lte, umts, access_technologies, extra)| Mobile {
            imei: s[0].clone(),
            operator_code: s[1].clone(),
            operator_name: s[2].clone(),
            connection_status: s[3].clone(),
            power_status: s[4].clone(),
            manufacturer: s[5].clone(),
            model: s[6].clone(),
            signal: Some(Signal {
                lte,
                umts,
                ..Signal::default()
            }),
            access_technologies,
            extra,
        })
}

fn interface() -> impl Strategy<Value = Interface> {
    (
        (
            text(),
            of(text()),
            of(any::<bool>()),
            of(any::<i64>()),
            of(text()),
        ),
        (
            of(statistics()),
            of(wireless()),
            of(mobile()),
            of(vec(address(), 0..3)),
        ),
        (of(vec(text(), 0..3)), of(any::<bool>()), extra()),
    )
        .prop_map(
            |(
                (name, kind, up, mtu, speed),
                (statistics, wireless, mobile, addresses),
                (bridge_members, stp, extra),
            )| {
                Interface {
                    name,
                    kind,
                    up,
                    mtu,
                    speed,
                    statistics,
                    wireless,
                    mobile,
                    addresses,
                    bridge_members,
                    stp,
                    extra,
                    ..Interface::default()
                }
            },
        )
}

fn resources() -> impl Strategy<Value = Resources> {
    (
        of(vec(finite(), 0..4)),
        of(any::<i64>()),
        of((
            any::<[u64; 4]>(),
            of(any::<u64>()),
            of(any::<u64>()),
            extra(),
        )),
        of(vec((text(), text(), any::<[u64; 4]>()), 0..3)),
        of(finite()),
        extra(),
    )
        .prop_map(|(load, cpus, memory, disk, cpu_usage, extra)| Resources {
            load,
            cpus,
            memory: memory.map(|(m, cached, available, extra)| Memory {
                total: m[0],
                free: m[1],
                buffered: m[2],
                shared: m[3],
                cached,
                available,
                extra,
            }),
            disk: disk.map(|disks| {
                disks
                    .into_iter()
                    .map(|(filesystem, mount_point, n)| Disk {
                        filesystem,
                        mount_point,
                        size_bytes: n[0],
                        used_bytes: n[1],
                        available_bytes: n[2],
                        used_percent: n[3],
                    })
                    .collect()
            }),
            cpu_usage,
            extra,
            ..Resources::default()
        })
}

fn device_monitoring() -> impl Strategy<Value = DeviceMonitoring> {
    (
        of((of(text()), of(any::<i64>()), of(any::<i64>()), extra())),
        of(resources()),
        of(vec(interface(), 0..3)),
        of(vec((finite(), vec(text(), 4), of(text())), 0..3)),
        of(vec((text(), text(), of(text()), of(text())), 0..3)),
        (
            of(vec(text(), 0..3)),
            of((of(text()), of(any::<bool>()), of(any::<u64>()))),
            extra(),
        ),
    )
        .prop_map(
            |(general, resources, interfaces, leases, neighbors, (dns_servers, edgemon, extra))| {
                DeviceMonitoring {
                    general: general.map(|(hostname, local_time, uptime, extra)| General {
                        hostname,
                        local_time,
                        uptime,
                        extra,
                    }),
                    resources,
                    interfaces,
                    dhcp_leases: leases.map(|ls| {
                        ls.into_iter()
                            .map(|(expiry, s, vendor)| DhcpLease {
                                expiry,
                                ip: s[0].clone(),
                                mac: s[1].clone(),
                                client_name: s[2].clone(),
                                client_id: s[3].clone(),
                                vendor,
                            })
                            .collect()
                    }),
                    neighbors: neighbors.map(|ns| {
                        ns.into_iter()
                            .map(|(ip, interface, mac, state)| Neighbor {
                                ip,
                                interface,
                                mac,
                                state,
                                vendor: None,
                            })
                            .collect()
                    }),
                    dns_servers,
                    edgemon: edgemon.map(|(agent_version, ntp_synced, dropped_samples)| {
                        AgentInfo {
                            agent_version,
                            ntp_synced,
                            dropped_samples,
                            ..AgentInfo::default()
                        }
                    }),
                    extra,
                    ..DeviceMonitoring::default()
                }
            },
        )
}

fn batch() -> impl Strategy<Value = Batch> {
    (
        any::<u128>(),
        vec((any::<u64>(), any::<i64>(), device_monitoring()), 0..4),
    )
        .prop_map(|(id, samples)| Batch {
            device: uuid::Uuid::from_u128(id),
            samples: samples
                .into_iter()
                .map(|(seq, collected_at_us, doc)| Sample {
                    seq,
                    collected_at_us,
                    document: Document::from(&doc),
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn device_monitoring_round_trips_through_json(doc in device_monitoring()) {
        let json = doc.to_json();
        let back: DeviceMonitoring = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &doc);
        // Pretty output reads back the same too.
        let pretty = serde_json::to_string_pretty(&doc).unwrap();
        prop_assert_eq!(serde_json::from_str::<DeviceMonitoring>(&pretty).unwrap(), doc);
    }

    #[test]
    fn batches_round_trip_through_postcard_and_json(b in batch()) {
        prop_assert_eq!(Batch::decode(&b.encode()).unwrap(), b.clone());
        prop_assert_eq!(Batch::from_json(b.to_json().as_bytes()).unwrap(), b);
    }

    #[test]
    fn envelope_decoders_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = Batch::decode(&bytes);
        let _ = Batch::from_json(&bytes);
        // Versioned garbage exercises the field decoders past the version check.
        let mut versioned = vec![1u8];
        versioned.extend(&bytes);
        let _ = Batch::decode(&versioned);
    }

    #[test]
    fn truncated_envelopes_are_errors(b in batch(), cut in any::<prop::sample::Index>()) {
        let bytes = b.encode();
        let cut = cut.index(bytes.len());
        prop_assert!(Batch::decode(&bytes[..cut]).is_err());
    }

    #[test]
    fn payload_decoder_never_panics(bytes in vec(any::<u8>(), 0..512)) {
        let _ = parse_and_validate(&bytes);
    }

    #[test]
    fn validator_never_panics_on_any_json(value in json_value()) {
        let _ = validate(&value);
        let mut doc = serde_json::json!({"type": "DeviceMonitoring"});
        for key in ["general", "resources", "interfaces", "dhcp_leases", "neighbors"] {
            doc[key] = value.clone();
            let _ = validate(&doc);
            let _ = parse_and_validate(doc.to_string().as_bytes());
        }
    }

    #[test]
    fn time_codec_round_trips(secs in -62_135_596_800i64..253_402_300_799, micros in 0u32..1_000_000) {
        let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::microseconds(i64::from(micros));
        prop_assert_eq!(parse_openwisp_time(&format_openwisp_time(t)).unwrap(), t);
    }

    #[test]
    fn time_parser_never_panics(s in "\\PC{0,40}", t in "[0-9 _:.-]{0,30}") {
        let _ = parse_openwisp_time(&s);
        let _ = parse_openwisp_time(&t);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        finite().prop_map(Value::from),
        prop_oneof![text(), Just("1.2.3.4".to_owned()), Just("::1".to_owned())]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(
                (
                    prop_oneof![
                        Just("name".to_owned()),
                        Just("mobile".to_owned()),
                        Just("signal".to_owned()),
                        Just("lte".to_owned()),
                        Just("addresses".to_owned()),
                        Just("address".to_owned()),
                        Just("statistics".to_owned()),
                        "[a-z]{1,5}",
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
