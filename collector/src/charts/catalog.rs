//! The device charts as data: the reference's chart configurations (openwisp-monitoring
//! `monitoring/configuration.py`, `DEFAULT_CHARTS`) with the query each one runs, written as
//! a [`Query`](crate::tsdb::Query) both backends answer instead of an InfluxQL template.

use crate::tsdb::Agg;

/// What is applied to an aggregated value before rounding (the arithmetic of the
/// reference's InfluxQL: `MEAN(x)*100`, `SUM(x) / 1000000000`, `ROUND(MEAN(x))`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    AsIs,
    /// `* 100` (a ratio as a percentage).
    Percent,
    /// `/ 1000000000` (bytes to GB, bit/s to Gbit/s), always a float.
    Giga,
    /// InfluxDB's `ROUND()`: to the nearest integer, halves away from zero, a float.
    Round,
}

/// One selected value of a chart query: `agg(field) AS alias`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Select {
    pub alias: &'static str,
    pub field: &'static str,
    pub agg: Agg,
    pub post: Post,
}

const fn sel(alias: &'static str, field: &'static str, agg: Agg, post: Post) -> Select {
    Select {
        alias,
        field,
        agg,
        post,
    }
}

/// One chart configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartDef {
    /// The configuration name (`uptime`, `traffic`…).
    pub key: &'static str,
    /// The measurement the query reads.
    pub measurement: &'static str,
    /// One chart per `ifname` tag value (`{ifname}` in title and description).
    pub per_ifname: bool,
    pub select: &'static [Select],
    /// The chart's `type` (`bar`, `scatter`, `stackedbar+lines`, `histogram`).
    pub kind: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub unit: &'static str,
    pub order: u32,
    pub summary_labels: Option<&'static [&'static str]>,
    /// `None`: the reference's default palette, cut to the number of summary labels.
    pub colors: Option<&'static [&'static str]>,
    /// JSON text of the `colorscale` member (`null` when absent).
    pub colorscale: Option<&'static str>,
    /// JSON object text of the members the reference adds only when set (`fill`, `xaxis`,
    /// `yaxis`, `trace_type`, `trace_order`, `calculate_total`, `connect_points`,
    /// `trace_labels`), in that order.
    pub extras: Option<&'static str>,
    /// The reference metric this chart belongs to (for `related_metrics`): its name, with
    /// `{ifname}` replaced for per-interface charts.
    pub metric_name: &'static str,
}

/// The reference's default colour cycle (plotly's).
pub const DEFAULT_COLORS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

const UPTIME_COLORSCALE: &str = r##"{"max":100,"min":0,"label":"Rate","scale":[[0,"#c13000"],[0.1,"#ec7204"],[0.5,"#deed0e"],[0.9,"#90d000"],[1,"#7db201"]],"map":[[100,"#7db201","Flawless"],[90,"#90d000","Mostly Reachable"],[50,"#deed0e","Partly Reachable"],[10,"#ec7204","Mostly Unreachable"],[null,"#c13000","Unreachable"]],"fixed_value":100}"##;
const ACCESS_TECH_COLORSCALE: &str = r##"{"label":"","max":5,"min":0,"map":[[5,"#377873","5g"],[4,"#67c368","lte"],[3,"#efdd50","umts"],[2,"#df7514","evdo"],[1,"#dd5817","cdma1x"],[0,"#b42a0c","gsm"]],"scale":[[0,"#b42a0c"],[0.1,"#dd5817"],[0.2,"#df7514"],[0.5,"#efdd50"],[0.8,"#67c368"],[1,"#377873"]],"fixed_value":100}"##;
const TRAFFIC_EXTRAS: &str = r#"{"trace_type":{"download":"stackedbar","upload":"stackedbar","total":"lines"},"trace_order":["total","download","upload"],"calculate_total":true}"#;
const SIGNAL_EXTRAS: &str = r#"{"fill":"none","yaxis":{"zeroline":false}}"#;
const TRAFFIC_LABELS: &[&str] = &[
    "Total traffic",
    "Total download traffic",
    "Total upload traffic",
];

use Agg::{CountDistinct, Mean, Mode, Sum};
use Post::{AsIs, Giga, Percent, Round};

/// Every device chart, in the order the reference creates them (the answer sorts them by
/// `"<order> <title>"`).
pub const DEVICE_CHARTS: &[ChartDef] = &[
    ChartDef {
        key: "uptime",
        measurement: "ping",
        per_ifname: false,
        select: &[sel("uptime", "reachable", Mean, Percent)],
        kind: "bar",
        title: "Ping Success Rate",
        description: "A value of 100% means reachable, 0% means unreachable, values in between 0% and 100% indicate the average reachability in the period observed. Obtained with the fping linux program.",
        unit: "%",
        order: 200,
        summary_labels: Some(&["Average Ping Success Rate"]),
        colors: None,
        colorscale: Some(UPTIME_COLORSCALE),
        extras: None,
        metric_name: "Ping",
    },
    ChartDef {
        key: "packet_loss",
        measurement: "ping",
        per_ifname: false,
        select: &[sel("packet_loss", "loss", Mean, AsIs)],
        kind: "bar",
        title: "Packet loss",
        description: "Indicates the percentage of lost packets observed in ICMP probes. Obtained with the fping linux program.",
        unit: "%",
        order: 210,
        summary_labels: Some(&["Average packet loss"]),
        colors: Some(&["#d62728"]),
        colorscale: None,
        extras: None,
        metric_name: "Ping",
    },
    ChartDef {
        key: "rtt",
        measurement: "ping",
        per_ifname: false,
        select: &[
            sel("RTT_average", "rtt_avg", Mean, AsIs),
            sel("RTT_max", "rtt_max", Mean, AsIs),
            sel("RTT_min", "rtt_min", Mean, AsIs),
        ],
        kind: "scatter",
        title: "Round Trip Time",
        description: "Round trip time observed in ICMP probes, measuered in milliseconds.",
        unit: " ms",
        order: 220,
        summary_labels: Some(&["Average RTT", "Average Max RTT", "Average Min RTT"]),
        colors: None,
        colorscale: None,
        extras: None,
        metric_name: "Ping",
    },
    ChartDef {
        key: "traffic",
        measurement: "traffic",
        per_ifname: true,
        select: &[
            sel("upload", "tx_bytes", Sum, Giga),
            sel("download", "rx_bytes", Sum, Giga),
        ],
        kind: "stackedbar+lines",
        title: "Traffic: {ifname}",
        description: "Network traffic (total, download and upload) of the interface \"{ifname}\".",
        unit: "adaptive_prefix+B",
        order: 240,
        summary_labels: Some(TRAFFIC_LABELS),
        colors: Some(&["#7f7f7f", "#1f77b4", "#ff7f0e"]),
        colorscale: None,
        extras: Some(TRAFFIC_EXTRAS),
        metric_name: "{ifname} traffic",
    },
    ChartDef {
        key: "wifi_clients",
        measurement: "wifi_clients",
        per_ifname: true,
        select: &[sel("wifi_clients", "clients", CountDistinct, AsIs)],
        kind: "bar",
        title: "WiFi clients: {ifname}",
        description: "WiFi clients associated to the wireless interface \"{ifname}\".",
        unit: "",
        order: 230,
        summary_labels: Some(&["Total Unique WiFi clients"]),
        colors: None,
        colorscale: None,
        extras: None,
        metric_name: "{ifname} wifi clients",
    },
    ChartDef {
        key: "memory",
        measurement: "memory",
        per_ifname: false,
        select: &[sel("memory_usage", "percent_used", Mean, AsIs)],
        kind: "scatter",
        title: "Memory Usage",
        description: "Percentage of memory (RAM) being used.",
        unit: "%",
        order: 250,
        summary_labels: Some(&["Memory Usage"]),
        colors: Some(&["#9467bd"]),
        colorscale: None,
        extras: None,
        metric_name: "Memory usage",
    },
    ChartDef {
        key: "cpu",
        measurement: "cpu",
        per_ifname: false,
        select: &[sel("CPU_load", "cpu_usage", Mean, AsIs)],
        kind: "scatter",
        title: "CPU Load",
        description: "Average CPU load, measured using the Linux load averages, taking into account the number of available CPUs.",
        unit: "%",
        order: 260,
        summary_labels: Some(&["CPU Load"]),
        colors: Some(&["#7f7f7f"]),
        colorscale: None,
        extras: None,
        metric_name: "CPU usage",
    },
    ChartDef {
        key: "disk",
        measurement: "disk",
        per_ifname: false,
        select: &[sel("disk_usage", "used_disk", Mean, AsIs)],
        kind: "scatter",
        title: "Disk Usage",
        description: "Disk usage in percentage, calculated using all the available partitions.",
        unit: "%",
        order: 270,
        summary_labels: Some(&["Disk Usage"]),
        colors: Some(&["#17becf"]),
        colorscale: None,
        extras: None,
        metric_name: "Disk usage",
    },
    ChartDef {
        key: "signal_strength",
        measurement: "signal",
        per_ifname: true,
        select: &[
            sel("signal_strength", "signal_strength", Mean, Round),
            sel("signal_power", "signal_power", Mean, Round),
        ],
        kind: "scatter",
        title: "Signal Strength (RSSI)",
        description: "Signal Strength (RSSI) and Signal Power (RSRP), measured in dBm.",
        unit: " dBm",
        order: 205,
        summary_labels: Some(&[
            "Average Signal Power (RSRP)",
            "Average Signal Strength (RSSI)",
        ]),
        colors: Some(&["#d62728", "#1f77b4"]),
        colorscale: None,
        extras: Some(SIGNAL_EXTRAS),
        metric_name: "signal strength",
    },
    ChartDef {
        key: "signal_quality",
        measurement: "signal",
        per_ifname: true,
        select: &[
            sel("signal_quality", "signal_quality", Mean, Round),
            sel("signal_to_noise_ratio", "snr", Mean, Round),
        ],
        kind: "scatter",
        title: "Signal Quality (RSRQ)",
        description: "Signal Quality (RSRQ) and Signal to Noise Ratio (SNR), measured in dB.",
        unit: " dB",
        order: 206,
        summary_labels: Some(&[
            "Average Signal Quality (RSRQ)",
            "Average Signal to Noise Ratio (SNR)",
        ]),
        colors: Some(&["#d62728", "#1f77b4"]),
        colorscale: None,
        extras: Some(SIGNAL_EXTRAS),
        metric_name: "signal quality",
    },
    ChartDef {
        key: "access_tech",
        measurement: "signal",
        per_ifname: true,
        select: &[sel("access_tech", "access_tech", Mode, AsIs)],
        kind: "bar",
        title: "Access Technology",
        description: "Shows the access technology (LTE, UTMS, CDMA1x, etc.) in use on the device at the specified time.",
        unit: "",
        order: 207,
        summary_labels: None,
        colors: None,
        colorscale: Some(ACCESS_TECH_COLORSCALE),
        extras: None,
        metric_name: "access technology",
    },
    ChartDef {
        key: "bandwidth",
        measurement: "iperf3",
        per_ifname: false,
        select: &[
            sel("TCP", "sent_bps_tcp", Mean, Giga),
            sel("UDP", "sent_bps_udp", Mean, Giga),
        ],
        kind: "scatter",
        title: "Bandwidth",
        description: "Bitrate during Iperf3 test.",
        unit: "adaptive_prefix+bps",
        order: 280,
        summary_labels: Some(&["TCP bitrate", "UDP bitrate"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"fill":"none","connect_points":true}"#),
        metric_name: "Iperf3",
    },
    ChartDef {
        key: "transfer",
        measurement: "iperf3",
        per_ifname: false,
        select: &[
            sel("TCP", "sent_bytes_tcp", Sum, Giga),
            sel("UDP", "sent_bytes_udp", Sum, Giga),
        ],
        kind: "scatter",
        title: "Transferred Data",
        description: "Total data transferred during Iperf3 test.",
        unit: "adaptive_prefix+B",
        order: 290,
        summary_labels: Some(&["TCP transferred data", "UDP transferred data"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"fill":"none","connect_points":true}"#),
        metric_name: "Iperf3",
    },
    ChartDef {
        key: "retransmits",
        measurement: "iperf3",
        per_ifname: false,
        select: &[sel("retransmits", "retransmits", Mean, AsIs)],
        kind: "scatter",
        title: "Retransmits",
        description: "Retransmits during Iperf3 test in TCP mode.",
        unit: "",
        order: 300,
        summary_labels: Some(&["Restransmits"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"connect_points":true}"#),
        metric_name: "Iperf3",
    },
    ChartDef {
        key: "jitter",
        measurement: "iperf3",
        per_ifname: false,
        select: &[sel("jitter", "jitter", Mean, AsIs)],
        kind: "scatter",
        title: "Jitter",
        description: "Jitter is a variance in latency measured using Iperf3 utility in UDP mode.",
        unit: " ms",
        order: 330,
        summary_labels: Some(&["Jitter"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"connect_points":true}"#),
        metric_name: "Iperf3",
    },
    ChartDef {
        key: "datagram",
        measurement: "iperf3",
        per_ifname: false,
        select: &[
            sel("lost_datagram", "lost_packets", Mean, AsIs),
            sel("total_datagram", "total_packets", Mean, AsIs),
        ],
        kind: "scatter",
        title: "Datagram",
        description: "(Lost / Total) datagrams measured by Iperf3 test in UDP mode.",
        unit: "",
        order: 340,
        summary_labels: Some(&["Lost datagram", "Total datagram"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"fill":"none","connect_points":true}"#),
        metric_name: "Iperf3",
    },
    ChartDef {
        key: "datagram_loss",
        measurement: "iperf3",
        per_ifname: false,
        select: &[sel("datagram_loss", "lost_percent", Mean, AsIs)],
        kind: "scatter",
        title: "Datagram Loss",
        description: "Indicates datagram loss % during Iperf3 test in UDP mode.",
        unit: "%",
        order: 350,
        summary_labels: Some(&["Datagram loss"]),
        colors: None,
        colorscale: None,
        extras: Some(r#"{"connect_points":true}"#),
        metric_name: "Iperf3",
    },
];

/// The dashboard's charts over a whole organization (`/api/v1/monitoring/dashboard/`):
/// WiFi clients and traffic of every device, filtered by the `organization_id` tag (and
/// `ifname` for traffic) instead of one device.
pub const GENERAL_CHARTS: &[ChartDef] = &[
    ChartDef {
        key: "gen_wifi_clients",
        measurement: "wifi_clients",
        per_ifname: false,
        select: &[sel("wifi_clients", "clients", CountDistinct, AsIs)],
        kind: "bar",
        title: "General WiFi Clients",
        description: "Unique WiFi clients count of the entire network.",
        unit: "",
        order: 230,
        summary_labels: Some(&["Total Unique WiFi clients"]),
        colors: None,
        colorscale: None,
        extras: None,
        metric_name: "General WiFi Clients",
    },
    ChartDef {
        key: "general_traffic",
        measurement: "traffic",
        per_ifname: false,
        select: &[
            sel("upload", "tx_bytes", Sum, Giga),
            sel("download", "rx_bytes", Sum, Giga),
        ],
        kind: "stackedbar+lines",
        title: "General Traffic",
        description: "Network traffic of the whole network (total, download, upload).",
        unit: "adaptive_prefix+B",
        order: 240,
        summary_labels: Some(TRAFFIC_LABELS),
        colors: Some(&["#7f7f7f", "#1f77b4", "#ff7f0e"]),
        colorscale: None,
        extras: Some(
            r#"{"fill":"none","trace_type":{"download":"stackedbar","upload":"stackedbar","total":"lines"},"trace_order":["total","download","upload"],"calculate_total":true}"#,
        ),
        metric_name: "General Traffic",
    },
];

impl ChartDef {
    /// The chart's colours: its own, else the default palette cut to the number of summary
    /// labels, else none (the reference's `Chart.colors`).
    pub fn colors(&self) -> Option<Vec<&'static str>> {
        match (self.colors, self.summary_labels) {
            (Some(c), _) if !c.is_empty() => Some(c.to_vec()),
            (_, Some(labels)) if !labels.is_empty() => {
                Some(DEFAULT_COLORS[..labels.len().min(DEFAULT_COLORS.len())].to_vec())
            }
            (c, _) => c.map(<[&str]>::to_vec),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_json_members_parse() {
        for def in DEVICE_CHARTS.iter().chain(GENERAL_CHARTS) {
            for text in [def.colorscale, def.extras].into_iter().flatten() {
                let v: serde_json::Value =
                    serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", def.key));
                assert!(v.is_object(), "{}", def.key);
            }
        }
    }

    #[test]
    fn chart_keys_are_unique_and_aliases_unique_within_a_chart() {
        let mut keys: Vec<_> = DEVICE_CHARTS.iter().map(|d| d.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), DEVICE_CHARTS.len());
        for def in DEVICE_CHARTS {
            let mut aliases: Vec<_> = def.select.iter().map(|s| s.alias).collect();
            aliases.sort_unstable();
            aliases.dedup();
            assert_eq!(aliases.len(), def.select.len(), "{}", def.key);
        }
    }

    #[test]
    fn default_colors_follow_the_summary_labels() {
        let rtt = DEVICE_CHARTS.iter().find(|d| d.key == "rtt").unwrap();
        assert_eq!(rtt.colors().unwrap(), ["#1f77b4", "#ff7f0e", "#2ca02c"]);
        let mem = DEVICE_CHARTS.iter().find(|d| d.key == "memory").unwrap();
        assert_eq!(mem.colors().unwrap(), ["#9467bd"]);
        let tech = DEVICE_CHARTS
            .iter()
            .find(|d| d.key == "access_tech")
            .unwrap();
        assert_eq!(tech.colors(), None);
    }
}
