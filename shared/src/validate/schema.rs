//! The reference's DeviceMonitoring schema (openwisp-monitoring `device/schema.py`, draft-07),
//! declared as Rust data.
//!
//! Each object lists its keywords in the order the reference schema lists them: the
//! reference's validator reports errors in that order and picks among equally relevant
//! errors by it. Keywords with no effect on validation (`title`, `description`, `id`,
//! `additionalItems` next to a single `items` schema, `additionalProperties: true`) are left
//! out. Quirks are kept on purpose: `load`'s `minItems`/`maxItems` sit inside `items`, so
//! they only constrain array-valued items, never the length of `load`.

/// A JSON type as the schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Ty {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
        }
    }
}

/// A string format the reference checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Ipv4,
    Ipv6,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
        }
    }
}

/// One validation keyword with its argument.
#[derive(Debug)]
pub(crate) enum Kw {
    Type(Ty),
    Enum(&'static [&'static str]),
    Properties(&'static [(&'static str, Schema)]),
    Required(&'static [&'static str]),
    /// `additionalProperties: false`, relative to the sibling `properties`.
    NoAdditionalProperties,
    Items(&'static Schema),
    UniqueItems,
    MinItems(usize),
    MaxItems(usize),
    MinLength(usize),
    MaxLength(usize),
    /// `pattern: "^[0-9]*$"`, the only pattern in the schema.
    PatternDigits,
    Format(Format),
    AnyOf(&'static [Schema]),
}

/// A (sub)schema: its keywords in the reference's order.
#[derive(Debug)]
pub(crate) struct Schema(pub &'static [Kw]);

impl Schema {
    /// The schema's own `type`, used by the reference to rank errors.
    pub(crate) fn ty(&self) -> Option<Ty> {
        self.0.iter().find_map(|kw| match kw {
            Kw::Type(ty) => Some(*ty),
            _ => None,
        })
    }

    /// The names listed in the sibling `properties`.
    pub(crate) fn property_names(&self) -> impl Iterator<Item = &'static str> {
        self.0
            .iter()
            .filter_map(|kw| match kw {
                Kw::Properties(props) => Some(props.iter().map(|(name, _)| *name)),
                _ => None,
            })
            .flatten()
    }
}

use Kw::{
    AnyOf, Enum, Format as Fmt, Items, MaxItems, MaxLength, MinItems, MinLength,
    NoAdditionalProperties, PatternDigits, Properties, Required, Type, UniqueItems,
};
use Ty::{Array, Boolean, Integer, Number, Object, String as Str};

const INT: Schema = Schema(&[Type(Integer)]);
const NUM: Schema = Schema(&[Type(Number)]);
const STR: Schema = Schema(&[Type(Str)]);
const BOOL: Schema = Schema(&[Type(Boolean)]);

/// `{"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}`
const IP: Schema = Schema(&[
    Type(Str),
    AnyOf(&[Schema(&[Fmt(Format::Ipv4)]), Schema(&[Fmt(Format::Ipv6)])]),
]);

const TOTAL_FREE: Schema = Schema(&[Type(Object), Properties(&[("total", INT), ("free", INT)])]);

const TCP_UDP: Schema = Schema(&[Type(Object), Properties(&[("tcp", INT), ("udp", INT)])]);

const DISK_ITEM: Schema = Schema(&[
    Type(Object),
    NoAdditionalProperties,
    Properties(&[
        ("mount_point", STR),
        ("filesystem", STR),
        ("used_bytes", INT),
        ("available_bytes", INT),
        ("used_percent", INT),
        ("size_bytes", INT),
    ]),
    Required(&[
        "mount_point",
        "filesystem",
        "used_bytes",
        "available_bytes",
        "used_percent",
        "size_bytes",
    ]),
]);

const LOAD_ITEM: Schema = Schema(&[Type(Number), MinItems(3), MaxItems(3)]);

const RESOURCES: Schema = Schema(&[
    Type(Object),
    Properties(&[
        ("load", Schema(&[Type(Array), Items(&LOAD_ITEM)])),
        ("cpus", INT),
        (
            "memory",
            Schema(&[
                Type(Object),
                Properties(&[
                    ("total", INT),
                    ("free", INT),
                    ("buffered", INT),
                    ("cached", INT),
                    ("shared", INT),
                    ("available", INT),
                ]),
                Required(&["total", "free", "buffered", "shared"]),
            ]),
        ),
        ("disk", Schema(&[Type(Array), Items(&DISK_ITEM)])),
        ("swap", TOTAL_FREE),
        (
            "connections",
            Schema(&[
                Type(Object),
                Properties(&[("ipv4", TCP_UDP), ("ipv6", TCP_UDP)]),
            ]),
        ),
        (
            "processes",
            Schema(&[
                Type(Object),
                Properties(&[
                    ("running", INT),
                    ("sleeping", INT),
                    ("blocked", INT),
                    ("zombie", INT),
                    ("stopped", INT),
                    ("paging", INT),
                ]),
            ]),
        ),
        (
            "cpu",
            Schema(&[
                Type(Object),
                Properties(&[
                    ("frequency", INT),
                    ("user", INT),
                    ("system", INT),
                    ("nice", INT),
                    ("idle", INT),
                    ("iowait", INT),
                    ("irq", INT),
                    ("softirq", INT),
                ]),
            ]),
        ),
        ("flash", TOTAL_FREE),
        ("storage", TOTAL_FREE),
    ]),
]);

/// The statistics counters in the reference schema's order.
const STATISTICS: Schema = Schema(&[
    Type(Object),
    Properties(&[
        ("collisions", INT),
        ("rx_frame_errors", INT),
        ("tx_compressed", INT),
        ("multicast", INT),
        ("rx_length_errors", INT),
        ("tx_dropped", INT),
        ("rx_bytes", INT),
        ("rx_missed_errors", INT),
        ("tx_errors", INT),
        ("rx_compressed", INT),
        ("rx_over_errors", INT),
        ("tx_fifo_errors", INT),
        ("rx_crc_errors", INT),
        ("rx_packets", INT),
        ("tx_heartbeat_errors", INT),
        ("rx_dropped", INT),
        ("tx_aborted_errors", INT),
        ("tx_packets", INT),
        ("rx_errors", INT),
        ("tx_bytes", INT),
        ("tx_window_errors", INT),
        ("rx_fifo_errors", INT),
        ("tx_carrier_errors", INT),
    ]),
]);

const RRM: Schema = Schema(&[Type(Array), MinItems(5), MaxItems(5), Items(&INT)]);

const CLIENT: Schema = Schema(&[
    Type(Object),
    Required(&["auth", "authorized", "ht", "vht", "wmm", "mac", "mfp"]),
    Properties(&[
        ("aid", INT),
        ("signal", INT),
        ("noise", INT),
        ("assoc", BOOL),
        ("auth", BOOL),
        ("authorized", BOOL),
        ("ht", BOOL),
        ("vht", BOOL),
        ("he", BOOL),
        ("wds", BOOL),
        ("wmm", BOOL),
        ("wps", BOOL),
        ("mac", STR),
        ("bitrate", INT),
        ("quality", INT),
        ("quality_max", INT),
        ("vendor", STR),
        ("mfp", BOOL),
        ("preauth", BOOL),
        ("signature", STR),
        ("rrm", RRM),
    ]),
]);

const WIRELESS: Schema = Schema(&[
    Type(Object),
    Required(&[
        "channel",
        "country",
        "frequency",
        "mode",
        "noise",
        "ssid",
        "tx_power",
    ]),
    Properties(&[
        ("channel", INT),
        ("country", STR),
        ("frequency", INT),
        ("mode", STR),
        ("noise", INT),
        ("signal", INT),
        ("ssid", STR),
        ("tx_power", INT),
        ("htmode", STR),
        ("clients", Schema(&[Type(Array), Items(&CLIENT)])),
    ]),
]);

/// `lte` and `5g`: any one of the four readings.
const LTE_LIKE: Schema = Schema(&[
    Type(Object),
    AnyOf(&[
        Schema(&[Required(&["rssi"])]),
        Schema(&[Required(&["rsrp"])]),
        Schema(&[Required(&["rsrq"])]),
        Schema(&[Required(&["snr"])]),
    ]),
    Properties(&[("rssi", NUM), ("rsrp", NUM), ("rsrq", NUM), ("snr", NUM)]),
]);

const SIGNAL: Schema = Schema(&[
    Type(Object),
    Properties(&[
        (
            "gsm",
            Schema(&[
                Type(Object),
                Required(&["rssi"]),
                Properties(&[("rssi", NUM)]),
            ]),
        ),
        (
            "cdma1x",
            Schema(&[
                Type(Object),
                Required(&["rssi", "ecio"]),
                Properties(&[("rssi", NUM), ("ecio", NUM)]),
            ]),
        ),
        (
            "evdo",
            Schema(&[
                Type(Object),
                Required(&["rssi", "ecio", "io", "sinr"]),
                Properties(&[("rssi", NUM), ("ecio", NUM), ("io", NUM), ("sinr", NUM)]),
            ]),
        ),
        (
            "umts",
            Schema(&[
                Type(Object),
                Required(&["ecio"]),
                Properties(&[("rssi", NUM), ("rscp", NUM), ("ecio", NUM)]),
            ]),
        ),
        ("lte", LTE_LIKE),
        ("5g", LTE_LIKE),
    ]),
]);

const MOBILE: Schema = Schema(&[
    Type(Object),
    Required(&[
        "imei",
        "operator_code",
        "operator_name",
        "connection_status",
        "power_status",
        "manufacturer",
        "model",
    ]),
    Properties(&[
        (
            "imei",
            Schema(&[Type(Str), MinLength(15), MaxLength(17), PatternDigits]),
        ),
        ("operator_name", STR),
        (
            "operator_code",
            Schema(&[Type(Str), MinLength(4), MaxLength(6), PatternDigits]),
        ),
        ("connection_status", STR),
        ("power_status", STR),
        ("manufacturer", STR),
        ("model", STR),
        ("signal", SIGNAL),
    ]),
]);

const ADDRESS: Schema = Schema(&[
    Type(Object),
    Required(&["proto", "family", "address", "mask"]),
    Properties(&[
        ("proto", STR),
        ("family", STR),
        ("address", IP),
        ("mask", INT),
    ]),
]);

const STRING_ITEM: Schema = STR;

const INTERFACE: Schema = Schema(&[
    Type(Object),
    Required(&["name"]),
    Properties(&[
        ("name", STR),
        ("type", STR),
        ("uptime", INT),
        ("up", BOOL),
        ("mac", STR),
        ("mtu", INT),
        ("txqueuelen", INT),
        ("speed", STR),
        ("multicast", BOOL),
        (
            "bridge_members",
            Schema(&[Type(Array), Items(&STRING_ITEM)]),
        ),
        ("stp", BOOL),
        ("statistics", STATISTICS),
        ("wireless", WIRELESS),
        ("mobile", MOBILE),
        (
            "addresses",
            Schema(&[Type(Array), UniqueItems, Items(&ADDRESS)]),
        ),
    ]),
]);

const DHCP_LEASE: Schema = Schema(&[
    Type(Object),
    NoAdditionalProperties,
    Properties(&[
        ("expiry", NUM),
        ("ip", IP),
        ("mac", STR),
        ("vendor", STR),
        ("client_name", STR),
        ("client_id", STR),
    ]),
    Required(&["expiry", "ip", "mac", "client_name", "client_id"]),
]);

const NEIGHBOR: Schema = Schema(&[
    Type(Object),
    NoAdditionalProperties,
    Properties(&[
        ("ip", IP),
        ("mac", STR),
        ("vendor", STR),
        ("interface", STR),
        ("state", STR),
    ]),
    Required(&["ip", "interface"]),
]);

/// The whole DeviceMonitoring schema.
pub(crate) static DEVICE_MONITORING: Schema = Schema(&[
    Type(Object),
    Required(&["type"]),
    Properties(&[
        ("type", Schema(&[Type(Str), Enum(&["DeviceMonitoring"])])),
        (
            "general",
            Schema(&[
                Type(Object),
                Properties(&[("local_time", INT), ("uptime", INT)]),
            ]),
        ),
        ("resources", RESOURCES),
        (
            "interfaces",
            Schema(&[Type(Array), UniqueItems, Items(&INTERFACE)]),
        ),
        ("dhcp_leases", Schema(&[Type(Array), Items(&DHCP_LEASE)])),
        ("neighbors", Schema(&[Type(Array), Items(&NEIGHBOR)])),
    ]),
]);
