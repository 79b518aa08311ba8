//! The database and its retention policies: what to create or alter so that they match
//! the configuration. Sans-IO: `SHOW RETENTION POLICIES` rows in, statements out.

use super::influxql::ident;
use crate::tsdb::Retention;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Wanted durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    /// `autogen` (the reference: 26280h).
    pub default_secs: u64,
    /// `short` (the reference: 24h).
    pub short_secs: u64,
}

/// One change and why, for logs and `migrate-timeseries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub statement: String,
    pub description: String,
}

/// Go's `time.Duration` text, as `SHOW RETENTION POLICIES` prints it (`24h0m0s`, `0s`).
pub fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h{m}m{s}s");
    } else if m > 0 {
        let _ = write!(out, "{m}m{s}s");
    } else {
        let _ = write!(out, "{s}s");
    }
    out
}

/// The statements that make `database`'s policies match `want`, given the rows of
/// `SHOW RETENTION POLICIES ON <database>` (columns `name`, `duration`, …).
/// `CREATE DATABASE` is idempotent and always comes first (the caller runs it before
/// reading the policies).
pub fn plan(database: &str, existing: &[BTreeMap<String, Value>], want: Durations) -> Vec<Change> {
    let mut changes = Vec::new();
    for (retention, secs) in [
        (Retention::Default, want.default_secs),
        (Retention::Short, want.short_secs),
    ] {
        let name = retention.influx_name();
        let have = existing
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(name))
            .map(|r| {
                r.get("duration")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            });
        let wanted = go_duration(secs);
        let on = format!("{} ON {}", ident(name), ident(database));
        match have {
            None => {
                let default = if retention == Retention::Default {
                    " DEFAULT"
                } else {
                    ""
                };
                changes.push(Change {
                    statement: format!(
                        "CREATE RETENTION POLICY {on} DURATION {secs}s REPLICATION 1{default}"
                    ),
                    description: format!("create retention policy `{name}` ({wanted})"),
                });
            }
            Some(have) if have != wanted => changes.push(Change {
                statement: format!("ALTER RETENTION POLICY {on} DURATION {secs}s"),
                description: format!("alter retention policy `{name}`: {have} → {wanted}"),
            }),
            Some(_) => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, duration: &str) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("name".into(), Value::from(name)),
            ("duration".into(), Value::from(duration)),
        ])
    }

    const REFERENCE: Durations = Durations {
        default_secs: 26_280 * 3600,
        short_secs: 24 * 3600,
    };

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(86_400), "24h0m0s");
        assert_eq!(go_duration(26_280 * 3600), "26280h0m0s");
        assert_eq!(go_duration(3_661), "1h1m1s");
        assert_eq!(go_duration(61), "1m1s");
    }

    #[test]
    fn a_new_database_gets_autogen_altered_and_short_created() {
        let c = plan("openwisp2", &[row("autogen", "0s")], REFERENCE);
        assert_eq!(
            c.iter().map(|c| c.statement.as_str()).collect::<Vec<_>>(),
            [
                "ALTER RETENTION POLICY \"autogen\" ON \"openwisp2\" DURATION 94608000s",
                "CREATE RETENTION POLICY \"short\" ON \"openwisp2\" DURATION 86400s REPLICATION 1",
            ]
        );
        assert_eq!(
            c[0].description,
            "alter retention policy `autogen`: 0s → 26280h0m0s"
        );
    }

    #[test]
    fn matching_policies_need_nothing_and_a_missing_autogen_becomes_the_default() {
        let ok = [row("autogen", "26280h0m0s"), row("short", "24h0m0s")];
        assert!(plan("db", &ok, REFERENCE).is_empty());
        let c = plan("db", &[row("short", "48h0m0s")], REFERENCE);
        assert!(
            c[0].statement
                .starts_with("CREATE RETENTION POLICY \"autogen\"")
        );
        assert!(c[0].statement.ends_with(" DEFAULT"));
        assert_eq!(
            c[1].statement,
            "ALTER RETENTION POLICY \"short\" ON \"db\" DURATION 86400s"
        );
    }
}
