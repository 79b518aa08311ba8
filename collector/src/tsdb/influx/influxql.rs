//! InfluxQL text for the backend's operations. Sans-IO: a [`Query`] in, a statement out.
//!
//! Columns are aliased by position (`"c0"`, `"c1"`…) so the answer maps back to
//! `Query::fields` whatever the aggregations are; times are written and read in
//! microseconds (`…u` literals, `epoch=u`).

use crate::tsdb::embedded::aggregate::Buckets;
use crate::tsdb::{Agg, Query, Retention, StoreError};
use std::fmt::Write as _;

/// `"name"`: an identifier, quoted.
pub fn ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// `'value'`: a string literal, quoted.
pub fn literal(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// `"rp"."measurement"`.
pub fn source(retention: Retention, measurement: &str) -> String {
    format!("{}.{}", ident(retention.influx_name()), ident(measurement))
}

fn call(agg: Agg, field: &str) -> String {
    let f = ident(field);
    match agg {
        Agg::Mean => format!("MEAN({f})"),
        Agg::Sum => format!("SUM({f})"),
        Agg::Count => format!("COUNT({f})"),
        Agg::CountDistinct => format!("COUNT(DISTINCT({f}))"),
        Agg::Mode => format!("MODE({f})"),
        Agg::Max => format!("MAX({f})"),
        Agg::Min => format!("MIN({f})"),
        Agg::Last => format!("LAST({f})"),
    }
}

/// `AND "k" = 'v'` for each pair (an empty value matches series without the tag, in
/// InfluxDB as in the embedded store).
fn tag_conditions(out: &mut String, tags: impl IntoIterator<Item = (String, String)>) {
    for (k, v) in tags {
        let _ = write!(out, " AND {} = {}", ident(&k), literal(&v));
    }
}

/// The aggregation statement for `query`, checked the way the embedded store checks it
/// (non-empty range, positive width, at most `MAX_BUCKETS` buckets) so both backends
/// refuse the same queries.
pub fn select(query: &Query) -> Result<String, StoreError> {
    if query.fields.is_empty() {
        return Err(StoreError::InvalidQuery("no field selected".into()));
    }
    Buckets::with_offset(
        query.start_us,
        query.end_us,
        query.bucket_us,
        query.bucket_offset_us,
    )?;
    let mut q = String::from("SELECT ");
    for (i, (field, agg)) in query.fields.iter().enumerate() {
        if i > 0 {
            q.push_str(", ");
        }
        let _ = write!(q, "{} AS \"c{i}\"", call(*agg, field));
    }
    let _ = write!(
        q,
        " FROM {} WHERE time >= {}u AND time < {}u",
        source(query.retention, &query.measurement),
        query.start_us,
        query.end_us
    );
    tag_conditions(
        &mut q,
        query
            .filters
            .iter()
            .map(|f| (f.key.clone(), f.value.clone())),
    );
    let mut group: Vec<String> = Vec::new();
    if let Some(width) = query.bucket_us {
        let offset = query.bucket_offset_us.rem_euclid(width);
        group.push(format!("time({width}u, {offset}u)"));
    }
    group.extend(query.group_by_tags.iter().map(|t| ident(t)));
    if !group.is_empty() {
        let _ = write!(q, " GROUP BY {}", group.join(", "));
    }
    if query.bucket_us.is_some() {
        q.push_str(" fill(null)");
    }
    Ok(q)
}

/// The newest point of each series of a measurement carrying `tags`.
pub fn latest(retention: Retention, measurement: &str, tags: &[(String, String)]) -> String {
    let mut q = format!("SELECT * FROM {}", source(retention, measurement));
    let mut first = true;
    for (k, v) in tags {
        let _ = write!(
            q,
            " {} {} = {}",
            if first { "WHERE" } else { "AND" },
            ident(k),
            literal(v)
        );
        first = false;
    }
    // One newest point per series (tags in the answer's `tags`, fields as columns).
    q.push_str(" GROUP BY * ORDER BY time DESC LIMIT 1");
    q
}

/// `DROP SERIES` of a measurement's series carrying `tags` (every retention policy).
pub fn drop_series(measurement: &str, tags: &[(String, String)]) -> String {
    let mut q = format!("DROP SERIES FROM {}", ident(measurement));
    let mut first = true;
    for (k, v) in tags {
        let _ = write!(
            q,
            " {} {} = {}",
            if first { "WHERE" } else { "AND" },
            ident(k),
            literal(v)
        );
        first = false;
    }
    q
}

/// `SHOW FIELD KEYS` of a measurement (the types of its fields).
pub fn field_keys(retention: Retention, measurement: &str) -> String {
    format!("SHOW FIELD KEYS FROM {}", source(retention, measurement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::TagFilter;

    fn query() -> Query {
        Query {
            retention: Retention::Default,
            measurement: "traffic".into(),
            filters: vec![TagFilter {
                key: "object_id".into(),
                value: "o'k".into(),
            }],
            fields: vec![
                ("tx_bytes".into(), Agg::Sum),
                ("clients".into(), Agg::CountDistinct),
            ],
            start_us: 1_000_000,
            end_us: 87_400_000_000,
            bucket_us: Some(600_000_000),
            bucket_offset_us: -3_600_000_000,
            group_by_tags: vec!["ifname".into()],
        }
    }

    #[test]
    fn a_chart_query() {
        assert_eq!(
            select(&query()).unwrap(),
            "SELECT SUM(\"tx_bytes\") AS \"c0\", COUNT(DISTINCT(\"clients\")) AS \"c1\" \
             FROM \"autogen\".\"traffic\" WHERE time >= 1000000u AND time < 87400000000u \
             AND \"object_id\" = 'o\\'k' GROUP BY time(600000000u, 0u), \"ifname\" fill(null)"
        );
    }

    #[test]
    fn a_summary_has_no_time_grouping_and_no_fill() {
        let q = Query {
            bucket_us: None,
            group_by_tags: vec![],
            retention: Retention::Short,
            fields: vec![("x".into(), Agg::Mode)],
            ..query()
        };
        assert_eq!(
            select(&q).unwrap(),
            "SELECT MODE(\"x\") AS \"c0\" FROM \"short\".\"traffic\" WHERE time >= 1000000u \
             AND time < 87400000000u AND \"object_id\" = 'o\\'k'"
        );
    }

    #[test]
    fn offsets_are_brought_into_the_bucket() {
        let q = Query {
            bucket_us: Some(86_400_000_000),
            bucket_offset_us: -7_200_000_000,
            ..query()
        };
        assert!(
            select(&q)
                .unwrap()
                .contains("time(86400000000u, 79200000000u)")
        );
    }

    #[test]
    fn the_embedded_stores_refusals_are_kept() {
        let empty = Query {
            end_us: 1_000_000,
            ..query()
        };
        assert!(matches!(select(&empty), Err(StoreError::InvalidQuery(_))));
        let many = Query {
            bucket_us: Some(1),
            ..query()
        };
        assert!(matches!(select(&many), Err(StoreError::InvalidQuery(_))));
        let none = Query {
            fields: vec![],
            ..query()
        };
        assert!(matches!(select(&none), Err(StoreError::InvalidQuery(_))));
    }

    #[test]
    fn quoting() {
        assert_eq!(ident("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(literal("it's"), "'it\\'s'");
        assert_eq!(
            drop_series(
                "device_data",
                &[("pk".into(), "x".into()), ("a".into(), "b".into())]
            ),
            "DROP SERIES FROM \"device_data\" WHERE \"pk\" = 'x' AND \"a\" = 'b'"
        );
        assert_eq!(
            latest(
                Retention::Short,
                "device_data",
                &[("pk".into(), "x".into())]
            ),
            "SELECT * FROM \"short\".\"device_data\" WHERE \"pk\" = 'x' GROUP BY * ORDER BY time DESC LIMIT 1"
        );
    }
}
