//! Crash safety: a child process writes concurrently and reports every acknowledged batch;
//! it is killed with SIGKILL mid-ingest (no clean shutdown, writes in flight); the database
//! is reopened and every acknowledged point must be there.

use edgemon_collector::tsdb::embedded::{EmbeddedConfig, EmbeddedStore, SystemClock};
use edgemon_collector::tsdb::{Agg, FieldValue, Point, Query, Retention, TimeSeries};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

const CHILD_ENV: &str = "EDGEMON_TSDB_CRASH_CHILD";
const POINTS_PER_BATCH: i64 = 50;
/// 2026-01-01: well inside the default retention of the real clock the child uses.
const BASE_US: i64 = 1_767_225_600_000_000;
/// Acknowledged batches to see before killing the writer.
const KILL_AFTER: usize = 40;

fn batch(writer: i64, seq: i64) -> Vec<Point> {
    (0..POINTS_PER_BATCH)
        .map(|i| {
            Point::new("crash", BASE_US + 1_000_000 * (seq * POINTS_PER_BATCH + i))
                .tag("writer", writer.to_string())
                .field("seq", FieldValue::Int(seq))
        })
        .collect()
}

/// The child: four writers, each printing `<writer> <seq>` after its batch is acknowledged.
fn child(path: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Arc::new(
            EmbeddedStore::open(path, EmbeddedConfig::default(), Arc::new(SystemClock)).unwrap(),
        );
        let tasks: Vec<_> = (0..4)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    for seq in 0.. {
                        store.write(batch(writer, seq)).await.unwrap();
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{writer} {seq}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn acknowledged_points_survive_a_killed_process() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        return child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.redb");
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_points_survive_a_killed_process",
            "--nocapture",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acked = [-1_i64; 4];
    let mut seen = 0;
    for line in BufReader::new(proc.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let Some((w, s)) = line.split_once(' ') else {
            continue;
        };
        let (Ok(w), Ok(s)) = (w.parse::<usize>(), s.parse::<i64>()) else {
            continue;
        };
        acked[w] = acked[w].max(s);
        seen += 1;
        if seen == KILL_AFTER {
            proc.kill().unwrap(); // SIGKILL: no destructor, no flush, writes in flight
            break;
        }
    }
    proc.wait().unwrap();
    assert_eq!(seen, KILL_AFTER, "the child stopped before being killed");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store =
            EmbeddedStore::open(&path, EmbeddedConfig::default(), Arc::new(SystemClock)).unwrap();
        let q = Query {
            retention: Retention::Default,
            measurement: "crash".into(),
            filters: Vec::new(),
            fields: vec![("seq".into(), Agg::Count), ("seq".into(), Agg::Max)],
            start_us: 0,
            end_us: i64::MAX,
            bucket_us: None,
            bucket_offset_us: 0,
            group_by_tags: vec!["writer".into()],
        };
        let series = store.query(q).await.unwrap();
        for (writer, last) in acked.iter().enumerate() {
            let Some(s) = series
                .iter()
                .find(|s| s.tags["writer"] == writer.to_string())
            else {
                assert_eq!(*last, -1, "writer {writer} had acknowledged batches");
                continue;
            };
            // Every batch up to the last acknowledged one is complete (batches are atomic);
            // at most the batches in flight at the kill may also be there.
            let Some(FieldValue::Int(count)) = s.rows[0].values[0] else {
                panic!("{s:?}")
            };
            let Some(FieldValue::Int(max)) = s.rows[0].values[1] else {
                panic!("{s:?}")
            };
            assert!(
                max >= *last,
                "writer {writer}: acknowledged {last}, stored up to {max}"
            );
            assert_eq!(
                count,
                (max + 1) * POINTS_PER_BATCH,
                "writer {writer}: a batch is partial"
            );
        }
    });
}
