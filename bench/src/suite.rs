//! The benchmark suite (`edgemon-bench-suite`, run by `scripts/bench`): one command per
//! figure of issue 12, each run as a child process whose machine-readable output (a JSON
//! object, or `key=value` words) is parsed into the figure and judged against its target.
//!
//! Parsing is pure and tested here; running is a thin loop in the binary.

use serde_json::Value;
use std::collections::BTreeMap;

/// Where a command's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One JSON object per line (the last one counts).
    Json,
    /// Lines of `key=value` words; `line` selects the lines whose words include all of
    /// its `key=value` pairs (e.g. `time=365d`), or lines starting with a word.
    Words(&'static str),
}

/// One command of the suite.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short name, used for the raw output file.
    pub name: &'static str,
    /// Program (relative to the workspace root unless absolute) and its arguments, full
    /// and smoke. `{release}` and `{agent}` stand for the build profiles' folders: the
    /// release and `agent` profiles in a full run, the debug build (which the test suite
    /// has already made) in a smoke run.
    pub program: &'static str,
    pub full: &'static [&'static str],
    pub smoke: &'static [&'static str],
    /// Extra environment for the command.
    pub env: &'static [(&'static str, &'static str)],
}

/// A figure: which step, where its value is, and the target.
#[derive(Debug, Clone)]
pub struct Figure {
    pub title: &'static str,
    pub step: &'static str,
    pub output: Output,
    /// The value's key (JSON pointer for `Output::Json`, word key otherwise).
    pub key: &'static str,
    pub unit: &'static str,
    pub target: Target,
}

/// The target of a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    /// No target: a bound that tells what the others can reach on this machine.
    Bound,
}

impl Target {
    /// Whether `value` meets the target; `None` for a bound.
    pub fn met(self, value: f64) -> Option<bool> {
        match self {
            Target::AtLeast(t) => Some(value >= t),
            Target::AtMost(t) => Some(value <= t),
            Target::Bound => None,
        }
    }

    pub fn text(self, unit: &str) -> String {
        match self {
            Target::AtLeast(t) => format!("≥ {} {unit}", number(t)),
            Target::AtMost(t) => format!("≤ {} {unit}", number(t)),
            Target::Bound => "(bound)".to_owned(),
        }
    }
}

/// A number as the table prints it: integers without decimals, others with up to three
/// significant decimals.
pub fn number(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e15) || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The `key=value` words of a line.
pub fn words(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

/// Whether `line` is selected by `selector`: every `k=v` of the selector is among the
/// line's words, and a bare word must be the line's first word (or its key).
fn selected(line: &str, selector: &str) -> bool {
    let ws = words(line);
    let first = line.split_whitespace().next().unwrap_or("");
    let first_key = first.split('=').next().unwrap_or("");
    selector
        .split_whitespace()
        .all(|s| match s.split_once('=') {
            Some((k, v)) => ws.get(k) == Some(&v),
            None => first == s || first_key == s,
        })
}

/// A word's value, or the sum of several (`a+b`); `None` if any is missing.
fn word_value(ws: &BTreeMap<&str, &str>, key: &str) -> Option<f64> {
    key.split('+')
        .map(|k| ws.get(k).and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// The figure's value in a command's standard output; `None` when absent or not a number.
pub fn extract(output: Output, key: &str, stdout: &str) -> Option<f64> {
    match output {
        Output::Json => stdout
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
            .find(Value::is_object)
            .and_then(|v| v.pointer(key).and_then(Value::as_f64)),
        Output::Words(selector) => stdout
            .lines()
            .filter(|l| selected(l, selector))
            .filter_map(|l| word_value(&words(l), key))
            .next_back(),
    }
}

/// The `ceiling_*` steps: the `openwisp_http` load on `edgemon-sink` instead of the
/// collector (each step names the sink's stages in its environment).
const CEILING_FULL: &[&str] = &[
    "--collector",
    "target/{release}/edgemon-sink",
    "--devices",
    "2000",
    "--concurrency",
    "256",
    "--duration",
    "20",
    "--json",
];
const CEILING_SMOKE: &[&str] = &[
    "--collector",
    "target/{release}/edgemon-sink",
    "--devices",
    "20",
    "--concurrency",
    "4",
    "--rounds",
    "2",
    "--json",
];

/// The suite's commands. Programs are relative to `target/`.
pub const STEPS: &[Step] = &[
    Step {
        name: "openwisp_http",
        program: "target/{release}/edgemon-loadgen",
        full: &[
            "--devices",
            "2000",
            "--concurrency",
            "256",
            "--duration",
            "20",
            "--json",
        ],
        smoke: &[
            "--devices",
            "20",
            "--concurrency",
            "4",
            "--rounds",
            "2",
            "--json",
        ],
        env: &[("EDGEMON__LOG__LEVEL", "warn")],
    },
    Step {
        name: "ceiling_accept",
        program: "target/{release}/edgemon-loadgen",
        full: CEILING_FULL,
        smoke: CEILING_SMOKE,
        env: &[("EDGEMON_SINK_STAGES", "accept")],
    },
    Step {
        name: "ceiling_parse",
        program: "target/{release}/edgemon-loadgen",
        full: CEILING_FULL,
        smoke: CEILING_SMOKE,
        env: &[("EDGEMON_SINK_STAGES", "parse")],
    },
    Step {
        name: "ceiling_derive",
        program: "target/{release}/edgemon-loadgen",
        full: CEILING_FULL,
        smoke: CEILING_SMOKE,
        env: &[("EDGEMON_SINK_STAGES", "derive")],
    },
    Step {
        name: "native_http",
        program: "target/{release}/edgemon-native-bench",
        full: &[
            "--transport",
            "http",
            "--devices",
            "100",
            "--concurrency",
            "16",
            "--batch",
            "100",
            "--rounds",
            "5",
            "--json",
        ],
        smoke: &[
            "--transport",
            "http",
            "--devices",
            "4",
            "--concurrency",
            "2",
            "--batch",
            "10",
            "--rounds",
            "2",
            "--json",
        ],
        env: &[("EDGEMON__LOG__LEVEL", "warn")],
    },
    Step {
        name: "mqtt",
        program: "target/{release}/edgemon-native-bench",
        full: &[
            "--transport",
            "mqtt",
            "--devices",
            "100",
            "--concurrency",
            "4",
            "--batch",
            "100",
            "--rounds",
            "5",
            "--json",
        ],
        smoke: &[
            "--transport",
            "mqtt",
            "--devices",
            "4",
            "--concurrency",
            "2",
            "--batch",
            "10",
            "--rounds",
            "2",
            "--json",
        ],
        env: &[("EDGEMON__LOG__LEVEL", "warn")],
    },
    Step {
        name: "fleet_100k",
        program: "target/{release}/edgemon-loadgen",
        full: &[
            "--devices",
            "100000",
            "--concurrency",
            "64",
            "--rounds",
            "1",
            "--json",
        ],
        smoke: &[
            "--devices",
            "100",
            "--concurrency",
            "4",
            "--rounds",
            "1",
            "--json",
        ],
        env: &[("EDGEMON__LOG__LEVEL", "warn")],
    },
    Step {
        name: "alerts",
        program: "target/{release}/examples/alerts_bench",
        full: &["--samples", "300", "--devices", "2000", "--rounds", "3"],
        smoke: &["--samples", "10", "--devices", "10", "--rounds", "1"],
        env: &[],
    },
    Step {
        name: "chart",
        program: "target/{release}/examples/chart_bench",
        full: &["--days", "365", "--devices", "1", "--requests", "30"],
        smoke: &["--days", "2", "--devices", "1", "--requests", "2"],
        env: &[],
    },
    Step {
        name: "influxdb",
        program: "target/{release}/edgemon-influx-bench",
        full: &[],
        smoke: &["--devices", "20", "--samples", "1"],
        env: &[],
    },
    Step {
        name: "agent_collect",
        program: "target/{agent}/edgemon-agent",
        full: &["bench-collect", "--runs", "20"],
        smoke: &["bench-collect", "--runs", "2"],
        env: &[],
    },
    Step {
        name: "agent_size",
        program: "/usr/bin/stat",
        full: &["-c", "agent_size bytes=%s", "target/{agent}/edgemon-agent"],
        smoke: &["-c", "agent_size bytes=%s", "target/{agent}/edgemon-agent"],
        env: &[],
    },
    Step {
        name: "agent_replay",
        program: "target/{release}/examples/bench_replay",
        full: &[],
        smoke: &["--minutes", "30"],
        env: &[],
    },
];

/// Where `scripts/bench` builds the measured agent: the static musl x86_64 binary of
/// OpenWrt's x86/64 target, built as `scripts/cross` builds every router's (profile
/// `agent`, std built for size, all features).
pub const AGENT_FOLDER: &str = "cross/build/x86_64-unknown-linux-musl/agent";

/// `text` with the profile placeholders of [`Step`] replaced.
pub fn with_profiles(text: &str, smoke: bool) -> String {
    let (release, agent) = if smoke {
        ("debug", "debug")
    } else {
        ("release", AGENT_FOLDER)
    };
    text.replace("{release}", release).replace("{agent}", agent)
}

/// The figures of issue 12, in its order.
pub const FIGURES: &[Figure] = &[
    Figure {
        title: "OpenWISP-mode HTTP ingest, stored samples/s (keep-alive, embedded store)",
        step: "openwisp_http",
        output: Output::Json,
        key: "/stored_samples_per_s",
        unit: "samples/s",
        target: Target::AtLeast(10_000.0),
    },
    Figure {
        title: "OpenWISP-mode HTTP ingest, p99 latency",
        step: "openwisp_http",
        output: Output::Json,
        key: "/requests/latency_ms/p99",
        unit: "ms",
        target: Target::AtMost(50.0),
    },
    Figure {
        title: "bound: the same load on `edgemon-sink`, body read and answered 200 (HTTP and the load generator alone)",
        step: "ceiling_accept",
        output: Output::Json,
        key: "/stored_samples_per_s",
        unit: "samples/s",
        target: Target::Bound,
    },
    Figure {
        title: "bound: … parsed and validated (the handler's work)",
        step: "ceiling_parse",
        output: Output::Json,
        key: "/stored_samples_per_s",
        unit: "samples/s",
        target: Target::Bound,
    },
    Figure {
        title: "bound: … then parsed again, derived into points and dropped (all ingest CPU work but storage, sessions, alerts)",
        step: "ceiling_derive",
        output: Output::Json,
        key: "/stored_samples_per_s",
        unit: "samples/s",
        target: Target::Bound,
    },
    Figure {
        title: "native batch ingest over HTTP (100 samples/batch)",
        step: "native_http",
        output: Output::Json,
        key: "/samples_per_s",
        unit: "samples/s",
        target: Target::AtLeast(100_000.0),
    },
    Figure {
        title: "MQTT ingest through a real mosquitto",
        step: "mqtt",
        output: Output::Json,
        key: "/samples_per_s",
        unit: "samples/s",
        target: Target::AtLeast(20_000.0),
    },
    Figure {
        title: "collector peak RSS, 100 000 registered devices, each reporting once",
        step: "fleet_100k",
        output: Output::Json,
        key: "/collector/peak_rss_kib",
        unit: "KiB",
        target: Target::AtMost(256.0 * 1024.0),
    },
    Figure {
        title: "threshold crossing → stored notification, p99",
        step: "alerts",
        output: Output::Words("alert_latency"),
        key: "p99_ms",
        unit: "ms",
        target: Target::AtMost(5.0),
    },
    Figure {
        title: "365-day device chart, embedded store, a year of 5-min data, p99",
        step: "chart",
        output: Output::Words("chart time=365d"),
        key: "p99_ms",
        unit: "ms",
        target: Target::AtMost(20.0),
    },
    Figure {
        title: "InfluxDB path: collector rate / InfluxDB's own rate, same run",
        step: "influxdb",
        output: Output::Words("influx"),
        key: "ratio",
        unit: "",
        target: Target::AtLeast(0.9),
    },
    Figure {
        title: "agent: CPU per collection, its own and the commands it runs (x86_64)",
        step: "agent_collect",
        output: Output::Words("collections"),
        key: "cpu_ms_per_collection+child_commands_cpu_ms_per_collection",
        unit: "ms",
        target: Target::AtMost(5.0),
    },
    Figure {
        title: "agent: steady RSS of the running daemon (queue, HTTP delivery), after its 24 h backlog",
        step: "agent_replay",
        output: Output::Words("transport=http-native"),
        key: "steady_rss_kib",
        unit: "KiB",
        target: Target::AtMost(3.0 * 1024.0),
    },
    Figure {
        title: "agent: stripped size, x86_64 musl static (OpenWrt x86/64), all features",
        step: "agent_size",
        output: Output::Words("agent_size"),
        key: "bytes",
        unit: "bytes",
        target: Target::AtMost(2.5 * 1024.0 * 1024.0),
    },
    Figure {
        title: "agent: 24 h backlog replay, HTTP native",
        step: "agent_replay",
        output: Output::Words("transport=http-native"),
        key: "seconds",
        unit: "s",
        target: Target::AtMost(5.0),
    },
    Figure {
        title: "agent: 24 h backlog replay, HTTP OpenWISP mode",
        step: "agent_replay",
        output: Output::Words("transport=http-openwisp"),
        key: "seconds",
        unit: "s",
        target: Target::AtMost(60.0),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_by_pointer_from_the_last_object() {
        let out = "registering...\n{\"a\":{\"b\":1}}\n{\"a\":{\"b\":2.5}}\ndone\n";
        assert_eq!(extract(Output::Json, "/a/b", out), Some(2.5));
        assert_eq!(extract(Output::Json, "/a/c", out), None);
        assert_eq!(extract(Output::Json, "/a", "no json"), None);
    }

    #[test]
    fn words_from_the_selected_line() {
        let out = "load days=365 points=10\n\
                   chart time=365d charts=8 p50_ms=700.5 p99_ms=874.00\n\
                   chart time=30d charts=8 p50_ms=28 p99_ms=61.9\n";
        let sel = Output::Words("chart time=30d");
        assert_eq!(extract(sel, "p99_ms", out), Some(61.9));
        let sel = Output::Words("chart time=365d");
        assert_eq!(extract(sel, "p99_ms", out), Some(874.0));
        // A bare word must be the first word, not any word.
        assert_eq!(extract(Output::Words("time=365d"), "points", out), None);
        assert_eq!(extract(Output::Words("load"), "points", out), Some(10.0));
        assert_eq!(
            extract(Output::Words("days=365"), "points", out),
            Some(10.0)
        );
        assert_eq!(
            extract(Output::Words("chart"), "p50_ms", "chart p50_ms=x"),
            None
        );
        // A first word that is itself a pair selects by its key; sums add words.
        let agent = "collections=20 cpu_ms=1.5 child_ms=5.5 peak_rss_kib=2692";
        assert_eq!(
            extract(Output::Words("collections"), "cpu_ms+child_ms", agent),
            Some(7.0)
        );
        assert_eq!(
            extract(Output::Words("collections"), "cpu_ms+nope", agent),
            None
        );
    }

    #[test]
    fn targets_judge_and_print() {
        assert_eq!(Target::AtLeast(10.0).met(10.0), Some(true));
        assert_eq!(Target::AtLeast(10.0).met(9.99), Some(false));
        assert_eq!(Target::AtMost(5.0).met(4.0), Some(true));
        assert_eq!(Target::AtMost(5.0).met(5.1), Some(false));
        assert_eq!(Target::Bound.met(1.0), None);
        assert_eq!(Target::Bound.text("samples/s"), "(bound)");
        assert_eq!(
            Target::AtLeast(10_000.0).text("samples/s"),
            "≥ 10000 samples/s"
        );
        assert_eq!(number(0.5812), "0.581");
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(874.0), "874");
    }

    #[test]
    fn profiles_fill_the_placeholders() {
        assert_eq!(
            with_profiles("target/{release}/x", false),
            "target/release/x"
        );
        assert_eq!(
            with_profiles("target/{agent}/a", false),
            "target/cross/build/x86_64-unknown-linux-musl/agent/a"
        );
        assert_eq!(with_profiles("target/{agent}/a", true), "target/debug/a");
        for step in STEPS {
            for text in std::iter::once(&step.program)
                .chain(step.full)
                .chain(step.smoke)
            {
                assert!(!with_profiles(text, true).contains('{'), "{text}");
            }
        }
    }

    #[test]
    fn each_ceiling_step_names_its_own_sink_stage() {
        let mut stages: Vec<&str> = STEPS
            .iter()
            .filter(|s| s.full.iter().any(|a| a.ends_with("/edgemon-sink")))
            .map(|s| {
                let stage = s
                    .env
                    .iter()
                    .find(|(k, _)| *k == "EDGEMON_SINK_STAGES")
                    .map(|(_, v)| *v)
                    .expect("a sink step sets EDGEMON_SINK_STAGES");
                assert_eq!(s.name, format!("ceiling_{stage}"));
                stage
            })
            .collect();
        stages.sort_unstable();
        assert_eq!(stages, ["accept", "derive", "parse"]);
    }

    #[test]
    fn every_figure_names_a_step() {
        for f in FIGURES {
            assert!(STEPS.iter().any(|s| s.name == f.step), "{}", f.step);
        }
        let mut names: Vec<_> = STEPS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STEPS.len(), "step names are unique");
    }
}
