use super::sources::{
    Locations, flag_options, load, merge, openwisp_options, toml_options, uci_options,
};
use super::*;

const UUID: &str = "5d5a3ebc-4ac9-4f11-8a0b-a84e0c6b4d8e";

fn flags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn minimal() -> Options {
    flag_options(&flags(&[
        ("url", "https://ow.example/"),
        ("uuid", UUID),
        ("key", "k1"),
    ]))
}

#[test]
fn defaults_fill_what_is_not_set() {
    let c = Config::from_options(&minimal()).unwrap();
    assert_eq!(
        c.url.as_deref(),
        Some("https://ow.example"),
        "trailing / dropped"
    );
    assert_eq!(c.mode, Mode::OpenWisp);
    assert_eq!(c.interval, Duration::from_secs(300));
    assert_eq!(c.queue_max_bytes, 1024 * 1024);
    assert!(c.tls_verify);
}

#[test]
fn uci_file_with_every_kind_of_value() {
    let text = format!(
        "# edgemon agent\nconfig edgemon 'agent'\n\toption url \"http://10.0.0.1:8000\"\n\
         \toption uuid '{UUID}'\n\toption key secret\n\toption mode 'native'\n\
         \toption interval '1m'\n\toption queue_max_bytes '512k'\n\toption queue_max_age '2h'\n\
         \toption tls_verify '0'\n\toption boot_delay_max 0\n"
    );
    let c = Config::from_options(&uci_options(&text, "/etc/config/edgemon")).unwrap();
    assert_eq!(c.mode, Mode::Native);
    assert_eq!(c.interval, Duration::from_secs(60));
    assert_eq!(c.queue_max_bytes, 512 * 1024);
    assert_eq!(c.queue_max_age, Duration::from_secs(7200));
    assert!(!c.tls_verify);
    assert_eq!(c.boot_delay_max, Duration::ZERO);
    assert_eq!(c.key.as_deref(), Some("secret"));
}

#[test]
fn openwisp_fills_only_what_edgemon_lacks() {
    let ow = "config controller 'http'\n\toption url 'https://ow.example'\n\
              \toption uuid '5d5a3ebc4ac94f118a0ba84e0c6b4d8e'\n\toption key 'owkey'\n\
              \toption verify_ssl '1'\n";
    let own = "config edgemon 'agent'\n\toption key 'mine'\n";
    let merged = merge([
        openwisp_options(ow, "/etc/config/openwisp"),
        uci_options(own, "/etc/config/edgemon"),
    ]);
    let c = Config::from_options(&merged).unwrap();
    assert_eq!(c.url.as_deref(), Some("https://ow.example"));
    assert_eq!(c.uuid.unwrap().to_string(), UUID, "undashed UUID accepted");
    assert_eq!(c.key.as_deref(), Some("mine"));
}

#[test]
fn flags_override_the_file() {
    let file = uci_options("config edgemon\n\toption interval '600'\n", "f");
    let mut f = minimal();
    f.extend(flag_options(&flags(&[("interval", "5")])));
    let c = Config::from_options(&merge([file, f])).unwrap();
    assert_eq!(c.interval, Duration::from_secs(5));
}

#[test]
fn errors_name_the_option_and_where_it_came_from() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "interval",
            "often",
            "option `interval` (--interval): `often` is not a duration",
        ),
        (
            "interval",
            "0",
            "option `interval` (--interval): must be greater than zero",
        ),
        (
            "mode",
            "carrier-pigeon",
            "option `mode` (--mode): `carrier-pigeon` is not one of",
        ),
        (
            "url",
            "ftp://x",
            "option `url` (--url): `ftp://x` must start with http://",
        ),
        (
            "uuid",
            "nope",
            "option `uuid` (--uuid): `nope` is not a UUID",
        ),
        (
            "queue-max-bytes",
            "lots",
            "option `queue_max_bytes` (--queue-max-bytes)",
        ),
        (
            "tls-verify",
            "maybe",
            "option `tls_verify` (--tls-verify): `maybe` is not a boolean",
        ),
        (
            "mqtt-org",
            "a/b",
            "option `mqtt_org` (--mqtt-org): `a/b` must not contain",
        ),
        ("colour", "blue", "unknown option `colour` (--colour)"),
    ];
    for (name, value, want) in cases {
        let mut o = minimal();
        o.extend(flag_options(&flags(&[(name, value)])));
        let err = Config::from_options(&o).unwrap_err().to_string();
        assert!(err.starts_with(want), "{name}={value}: {err}");
    }
}

#[test]
fn required_options_depend_on_the_mode() {
    let mut o = minimal();
    o.remove("key");
    let err = Config::from_options(&o).unwrap_err().to_string();
    assert!(err.starts_with("option `key` is required"), "{err}");
    let mut o = minimal();
    o.extend(flag_options(&flags(&[("mode", "mqtt")])));
    let err = Config::from_options(&o).unwrap_err().to_string();
    assert!(
        err.starts_with("option `mqtt_broker` is required in mode mqtt"),
        "{err}"
    );
    o.extend(flag_options(&flags(&[
        ("mqtt-broker", "localhost:1883"),
        ("mqtt-org", "acme"),
    ])));
    o.remove("url");
    assert_eq!(Config::from_options(&o).unwrap().mode, Mode::Mqtt);
    for ok in ["mqtts://b.example:8883", "mqtt://10.0.0.1:1883"] {
        o.extend(flag_options(&flags(&[("mqtt-broker", ok)])));
        assert!(Config::from_options(&o).is_ok(), "{ok}");
    }
    for bad in ["b.example", "mqtts://:8883", "ws://b:1", "b:99999"] {
        o.extend(flag_options(&flags(&[("mqtt-broker", bad)])));
        let err = Config::from_options(&o).unwrap_err().to_string();
        assert!(
            err.starts_with("option `mqtt_broker` (--mqtt-broker)"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn toml_file_uses_the_same_names() {
    let text = format!(
        "url = \"http://127.0.0.1:9\"\nuuid = \"{UUID}\"\nkey = \"k\"\ninterval = 30\ntls_verify = false\n"
    );
    let c = Config::from_options(&toml_options(&text, "agent.toml").unwrap()).unwrap();
    assert_eq!(c.interval, Duration::from_secs(30));
    assert!(!c.tls_verify);
    let err = toml_options("interval = [1]\n", "agent.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "option `interval` (agent.toml): a array is not accepted here"
    );
    let err = toml_options("interval = \n", "agent.toml")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("agent.toml: "), "{err}");
}

#[test]
fn load_reads_files_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ow = dir.path().join("openwisp");
    std::fs::write(&ow, format!("config controller 'http'\n\toption url 'http://h'\n\toption uuid '{UUID}'\n\toption key 'k'\n")).unwrap();
    let toml_file = dir.path().join("agent.toml");
    std::fs::write(&toml_file, "mode = \"native\"\n").unwrap();
    let loc = Locations {
        config: Some(toml_file),
        openwisp: Some(ow),
    };
    let c = load(&loc, &flags(&[("interval", "2")])).unwrap();
    assert_eq!((c.mode, c.interval), (Mode::Native, Duration::from_secs(2)));
    let missing = Locations {
        config: Some(dir.path().join("absent")),
        openwisp: None,
    };
    let err = load(&missing, &[]).unwrap_err().to_string();
    assert!(err.contains("absent"), "{err}");
}

#[test]
fn a_shared_secret_replaces_uuid_and_key_but_needs_the_url() {
    let o = flag_options(&flags(&[("shared-secret", "s"), ("url", "http://c")]));
    let c = Config::from_options(&o).unwrap();
    assert_eq!((c.uuid, c.key.as_deref()), (None, None));
    assert_eq!(c.shared_secret.as_deref(), Some("s"));
    let o = flag_options(&flags(&[("shared-secret", "s"), ("mode", "mqtt")]));
    let err = Config::from_options(&o).unwrap_err().to_string();
    assert!(
        err.starts_with("option `url` is required to register"),
        "{err}"
    );
}
