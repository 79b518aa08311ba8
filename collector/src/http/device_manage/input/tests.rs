use super::*;
use proptest::prelude::*;
use serde_json::json;

fn fields(e: &FieldErrors) -> Vec<&str> {
    e.keys().map(String::as_str).collect()
}

#[test]
fn a_full_create_body_is_read() {
    let c = create(&json!({
        "organization": "acme", "name": "ap1", "mac_address": "aa-bb-cc-dd-ee-ff",
        "model": "TL-WR1043ND", "os": "OpenWrt 23.05",
        "location": {"lat": 45.5, "lng": -9.25, "address": "Via Roma 1"}
    }))
    .unwrap();
    assert_eq!(c.organization, "acme");
    assert_eq!(c.name, "ap1");
    assert_eq!(c.mac, "aa-bb-cc-dd-ee-ff");
    assert_eq!(
        c.location,
        Some(Location {
            lat: 45.5,
            lng: -9.25,
            address: "Via Roma 1".into()
        })
    );
}

#[test]
fn create_names_every_missing_or_wrong_field() {
    let e = create(&json!({"mac_address": "nope", "model": 3, "extra": true})).unwrap_err();
    assert_eq!(
        fields(&e),
        ["extra", "mac_address", "model", "name", "organization"]
    );
    assert_eq!(e["name"], ["This field is required."]);
    assert!(e["mac_address"][0].contains("\"nope\""), "{e:?}");
}

#[test]
fn blank_and_too_long_names_are_refused() {
    let e = create(&json!({"organization": "a", "name": "  "})).unwrap_err();
    assert_eq!(e["name"], ["This field may not be blank."]);
    let long = "x".repeat(MAX_NAME + 1);
    let e = change(&json!({ "name": long })).unwrap_err();
    assert!(e["name"][0].contains("64"), "{e:?}");
    assert!(change(&json!({ "name": "x".repeat(MAX_NAME) })).is_ok());
}

#[test]
fn location_errors_name_the_coordinate() {
    let e = change(&json!({"location": {"lat": 91, "lng": "east", "floor": 2}})).unwrap_err();
    assert_eq!(
        fields(&e),
        ["location.floor", "location.lat", "location.lng"]
    );
    let e = change(&json!({"location": [1, 2]})).unwrap_err();
    assert_eq!(fields(&e), ["location"]);
}

#[test]
fn a_null_location_removes_it_and_an_absent_one_keeps_it() {
    assert_eq!(
        change(&json!({"location": null})).unwrap().location,
        LocationChange::Remove
    );
    assert_eq!(change(&json!({})).unwrap(), Change::default());
}

#[test]
fn is_active_must_be_a_boolean() {
    assert_eq!(
        change(&json!({"is_active": false})).unwrap().active,
        Some(false)
    );
    let e = change(&json!({"is_active": "no"})).unwrap_err();
    assert_eq!(fields(&e), ["is_active"]);
}

#[test]
fn a_body_that_is_not_an_object_is_a_non_field_error() {
    for body in [json!([]), json!("x"), json!(null), json!(1)] {
        assert_eq!(fields(&create(&body).unwrap_err()), ["non_field_errors"]);
        assert_eq!(fields(&change(&body).unwrap_err()), ["non_field_errors"]);
    }
}

fn device() -> crate::registry::Device {
    crate::registry::Device {
        id: uuid::Uuid::nil(),
        org: uuid::Uuid::nil(),
        name: "old".into(),
        mac: "02:00:00:00:00:01".into(),
        key_hash: [0; 32],
        model: "m".into(),
        os: "o".into(),
        system: "s".into(),
        hardware_id: String::new(),
        last_ip: Some("10.0.0.1".into()),
        management_ip: None,
        location: Some(Location {
            lat: 1.0,
            lng: 2.0,
            address: "a".into(),
        }),
        active: true,
        created_us: 7,
    }
}

#[test]
fn applying_a_change_touches_only_the_fields_sent() {
    let mut d = device();
    change(&json!({})).unwrap().apply(&mut d);
    assert_eq!(d, device());
    change(&json!({"name": "new", "is_active": false, "location": null}))
        .unwrap()
        .apply(&mut d);
    let want = crate::registry::Device {
        name: "new".into(),
        active: false,
        location: None,
        ..device()
    };
    assert_eq!(d, want);
    change(&json!({"location": {"lat": 3, "lng": 4}, "model": "x", "os": "y"}))
        .unwrap()
        .apply(&mut d);
    assert_eq!((d.model.as_str(), d.os.as_str()), ("x", "y"));
    assert_eq!(
        d.location,
        Some(Location {
            lat: 3.0,
            lng: 4.0,
            address: String::new()
        })
    );
    assert_eq!(d.last_ip.as_deref(), Some("10.0.0.1"));
}

proptest! {
    /// Whatever the coordinates, a location is accepted exactly when both are in range,
    /// and then kept unchanged.
    #[test]
    fn coordinates_in_range_are_kept(lat in -200.0_f64..200.0, lng in -400.0_f64..400.0) {
        let got = change(&json!({"location": {"lat": lat, "lng": lng}}));
        let valid = lat.abs() <= 90.0 && lng.abs() <= 180.0;
        prop_assert_eq!(got.is_ok(), valid);
        if let Ok(c) = got {
            let LocationChange::Set(l) = c.location else {
                return Err(TestCaseError::fail("valid location not set"));
            };
            prop_assert_eq!((l.lat, l.lng), (lat, lng));
        }
    }

    /// Any JSON object of strings never panics, and every error names a field of the body
    /// or a required one.
    #[test]
    fn errors_only_name_sent_or_required_fields(
        body in proptest::collection::btree_map("[a-z_]{1,12}", "\\PC{0,80}", 0..6)
    ) {
        let value = serde_json::to_value(&body).unwrap();
        if let Err(e) = create(&value) {
            for k in e.keys() {
                prop_assert!(body.contains_key(k) || k == "name" || k == "organization", "{k}");
            }
        }
    }
}
