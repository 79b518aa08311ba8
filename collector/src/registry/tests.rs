use super::*;
use std::collections::HashMap;

fn registry() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let r = Registry::open(&dir.path().join("registry.redb")).unwrap();
    (dir, r)
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn parse_reply(body: &str) -> HashMap<String, String> {
    body.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn access_checks_follow_the_reference_order() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", None).unwrap();
    let (dev, key) = r
        .create_device(NewDevice {
            org: org.id,
            name: "ap1".into(),
            mac: "aa-bb-cc-dd-ee-ff".into(),
            ..NewDevice::default()
        })
        .unwrap();
    assert_eq!(dev.mac, "AA:BB:CC:DD:EE:FF");
    assert_eq!(
        r.device_access(Uuid::new_v4(), Some(&key)).unwrap(),
        DeviceAccess::NotFound
    );
    assert_eq!(
        r.device_access(dev.id, None).unwrap(),
        DeviceAccess::Forbidden
    );
    assert_eq!(
        r.device_access(dev.id, Some("wrong")).unwrap(),
        DeviceAccess::Forbidden
    );
    assert!(matches!(
        r.device_access(dev.id, Some(&key)).unwrap(),
        DeviceAccess::Allowed { .. }
    ));
    r.set_device_active(dev.id, false).unwrap();
    // the key is still checked before the deactivated flag
    assert_eq!(
        r.device_access(dev.id, Some("wrong")).unwrap(),
        DeviceAccess::Forbidden
    );
    assert_eq!(
        r.device_access(dev.id, Some(&key)).unwrap(),
        DeviceAccess::Deactivated
    );
    r.set_device_active(dev.id, true).unwrap();
    r.set_org_active(org.id, false).unwrap();
    assert_eq!(
        r.device_access(dev.id, Some(&key)).unwrap(),
        DeviceAccess::NotFound
    );
}

#[test]
fn rotated_key_replaces_the_old_one() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", None).unwrap();
    let (dev, old) = r
        .create_device(NewDevice {
            org: org.id,
            name: "ap1".into(),
            ..NewDevice::default()
        })
        .unwrap();
    let new = r.rotate_key(dev.id).unwrap();
    assert_ne!(old, new);
    assert_eq!(
        r.device_access(dev.id, Some(&old)).unwrap(),
        DeviceAccess::Forbidden
    );
    assert!(matches!(
        r.device_access(dev.id, Some(&new)).unwrap(),
        DeviceAccess::Allowed { .. }
    ));
}

#[test]
fn registry_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.redb");
    let (id, key) = {
        let r = Registry::open(&path).unwrap();
        let org = r.create_org("Acme", "acme", None).unwrap();
        let (d, k) = r
            .create_device(NewDevice {
                org: org.id,
                name: "x".into(),
                ..NewDevice::default()
            })
            .unwrap();
        (d.id, k)
    };
    let r = Registry::open(&path).unwrap();
    assert!(matches!(
        r.device_access(id, Some(&key)).unwrap(),
        DeviceAccess::Allowed { .. }
    ));
}

#[test]
fn bad_input_is_named() {
    let (_d, r) = registry();
    let e = r.create_org("Acme", "Bad Slug", None).unwrap_err();
    assert!(e.to_string().contains("\"Bad Slug\""), "{e}");
    let org = r.create_org("Acme", "acme", None).unwrap();
    let e = r.create_org("Other", "acme", None).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = r
        .create_device(NewDevice {
            org: org.id,
            name: "x".into(),
            mac: "nope".into(),
            ..NewDevice::default()
        })
        .unwrap_err();
    assert!(
        e.to_string().contains("\"nope\" is not a MAC address"),
        "{e}"
    );
    let e = r.create_token("t", Role::Viewer, vec![]).unwrap_err();
    assert!(e.to_string().contains("at least one organization"), "{e}");
}

#[test]
fn tokens_are_found_by_secret_only() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", None).unwrap();
    let (t, secret) = r.create_token("ci", Role::Viewer, vec![org.id]).unwrap();
    assert_eq!(r.verify_token(&secret).unwrap().unwrap().id, t.id);
    assert!(r.verify_token("em_nope").unwrap().is_none());
    assert!(t.sees(org.id));
    assert!(!t.sees(Uuid::new_v4()));
    r.delete_token(t.id).unwrap();
    assert!(r.verify_token(&secret).unwrap().is_none());
}

#[test]
fn a_rotated_token_keeps_its_identity_and_drops_the_old_secret() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", None).unwrap();
    let (t, old) = r.create_token("noc", Role::Manager, vec![org.id]).unwrap();
    let (rotated, new) = r.rotate_token(t.id).unwrap();
    assert_ne!(old, new);
    assert!(r.verify_token(&old).unwrap().is_none());
    let found = r.verify_token(&new).unwrap().unwrap();
    assert_eq!(
        (
            found.id,
            found.name.as_str(),
            found.role,
            found.orgs.clone()
        ),
        (t.id, "noc", Role::Manager, vec![org.id])
    );
    assert_eq!(found, rotated);
    assert_eq!(r.token(t.id).unwrap(), rotated);
    assert_eq!(r.tokens().unwrap().len(), 1);
    let missing = Uuid::new_v4();
    let e = r.rotate_token(missing).unwrap_err().to_string();
    assert!(e.contains(&missing.to_string()), "{e}");
}

#[test]
fn registration_creates_then_updates_by_consistent_key() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", Some("s3cret")).unwrap();
    let key = secret::consistent_key("AA:BB:CC:00:11:22", "s3cret");
    let f = form(&[
        ("secret", "s3cret"),
        ("name", "router1"),
        ("mac_address", "AA:BB:CC:00:11:22"),
        ("backend", "netjsonconfig.OpenWrt"),
        ("key", &key),
        ("model", "TP-Link Archer C7"),
    ]);
    let first = register::register(&r, &f, Some("10.0.0.9")).unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let lines = parse_reply(&first.body);
    assert_eq!(lines["registration-result"], "success");
    assert_eq!(lines["key"], key);
    assert_eq!(lines["is-new"], "1");
    let id = Uuid::parse_str(&lines["uuid"]).unwrap();
    assert_eq!(lines["uuid"].len(), 32);
    let d = r.device(id).unwrap().unwrap();
    assert_eq!(
        (d.org, d.model.as_str(), d.last_ip.as_deref()),
        (org.id, "TP-Link Archer C7", Some("10.0.0.9"))
    );

    let mut f2 = f.clone();
    f2.insert("name".into(), "router1-renamed".into());
    let again = register::register(&r, &f2, None).unwrap();
    let lines = parse_reply(&again.body);
    assert_eq!((again.status, lines["is-new"].as_str()), (201, "0"));
    assert_eq!(Uuid::parse_str(&lines["uuid"]).unwrap(), id);
    assert_eq!(r.device(id).unwrap().unwrap().name, "router1-renamed");
    assert_eq!(r.devices(None).unwrap().len(), 1);
}

#[test]
fn registration_without_key_by_known_mac_rotates_the_key() {
    let (_d, r) = registry();
    r.create_org("Acme", "acme", Some("s3cret")).unwrap();
    let f = form(&[
        ("secret", "s3cret"),
        ("name", "r"),
        ("mac_address", "aa:bb:cc:00:11:22"),
        ("backend", "netjsonconfig.OpenWrt"),
    ]);
    let a = parse_reply(&register::register(&r, &f, None).unwrap().body);
    let b = parse_reply(&register::register(&r, &f, None).unwrap().body);
    assert_eq!(a["uuid"], b["uuid"]);
    assert_ne!(a["key"], b["key"]);
    let id = Uuid::parse_str(&a["uuid"]).unwrap();
    assert_eq!(
        r.device_access(id, Some(&a["key"])).unwrap(),
        DeviceAccess::Forbidden
    );
    assert!(matches!(
        r.device_access(id, Some(&b["key"])).unwrap(),
        DeviceAccess::Allowed { .. }
    ));
}

#[test]
fn registration_errors_match_the_controller() {
    let (_d, r) = registry();
    let org = r.create_org("Acme", "acme", Some("s3cret")).unwrap();
    let base = [
        ("secret", "s3cret"),
        ("name", "r"),
        ("mac_address", "aa:bb:cc:00:11:22"),
        ("backend", "netjsonconfig.OpenWrt"),
    ];
    for missing in ["secret", "name", "mac_address", "backend"] {
        let f: Vec<_> = base
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let rep = register::register(&r, &form(&f), None).unwrap();
        assert_eq!(rep.status, 400);
        assert_eq!(
            rep.body,
            format!("error: missing required parameter \"{missing}\"\n")
        );
    }
    let mut f = form(&base);
    f.insert("secret".into(), "wrong".into());
    let rep = register::register(&r, &f, None).unwrap();
    assert_eq!(
        (rep.status, rep.body.as_str()),
        (403, "error: unrecognized secret\n")
    );

    let ok = parse_reply(&register::register(&r, &form(&base), None).unwrap().body);
    r.set_device_active(Uuid::parse_str(&ok["uuid"]).unwrap(), false)
        .unwrap();
    let rep = register::register(&r, &form(&base), None).unwrap();
    assert_eq!(
        (rep.status, rep.body.as_str()),
        (403, "error: device deactivated\n")
    );

    r.set_org_active(org.id, false).unwrap();
    let mut f = form(&base);
    f.insert("mac_address".into(), "aa:bb:cc:00:11:33".into());
    assert_eq!(register::register(&r, &f, None).unwrap().status, 403);
}

#[test]
fn modify_device_changes_in_one_step_and_moves_the_mac_index() {
    let dir = tempfile::tempdir().unwrap();
    let r = Registry::open(&dir.path().join("r.redb")).unwrap();
    let org = r.create_org("A", "a", None).unwrap();
    let (d, key) = r
        .create_device(NewDevice {
            org: org.id,
            name: "ap".into(),
            mac: "02:00:00:00:00:01".into(),
            ..NewDevice::default()
        })
        .unwrap();
    let changed = r
        .modify_device(d.id, |d| {
            d.name = "renamed".into();
            d.mac = "02:00:00:00:00:02".into();
            d.id = Uuid::new_v4(); // ignored: the id cannot change
        })
        .unwrap();
    assert_eq!((changed.id, changed.name.as_str()), (d.id, "renamed"));
    assert_eq!(r.device(d.id).unwrap().unwrap(), changed);
    // The key still finds it, the old MAC is free again, the new one is taken.
    assert!(matches!(
        r.device_access(d.id, Some(&key)).unwrap(),
        DeviceAccess::Allowed { .. }
    ));
    let again = r.create_device(NewDevice {
        org: org.id,
        name: "other".into(),
        mac: "02:00:00:00:00:01".into(),
        ..NewDevice::default()
    });
    assert!(again.is_ok());
    let taken = r.create_device(NewDevice {
        org: org.id,
        name: "third".into(),
        mac: "02:00:00:00:00:02".into(),
        ..NewDevice::default()
    });
    assert!(matches!(taken, Err(RegistryError::Conflict(_))));
    // A deleted device is not written back.
    r.delete_device(d.id).unwrap();
    assert!(matches!(
        r.modify_device(d.id, |d| d.name = "ghost".into()),
        Err(RegistryError::NotFound { .. })
    ));
    assert!(r.device(d.id).unwrap().is_none());
}
