//! The native endpoint against a time-series store whose writes wait for the test: the
//! answer leaves only after the write (and the ledger commit) is done, and a full ingest
//! queue answers 429 with `Retry-After`.

use edgemon_collector::derive::transform;
use edgemon_collector::http::{AppState, router};
use edgemon_collector::ingest::{self, Ledger, Processor};
use edgemon_collector::registry::{NewDevice, Registry};
use edgemon_collector::tsdb::{BoxFuture, Point, Query, Retention, Series, StoreError, TimeSeries};
use edgemon_shared::envelope::{Batch, Document, POSTCARD_MEDIA_TYPE, Sample};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

/// Writes wait for a permit from the test; what was written is kept.
#[derive(Debug)]
struct Gated {
    permits: Arc<Semaphore>,
    entered: Arc<Notify>,
    written: Mutex<Vec<Point>>,
}

impl Default for Gated {
    fn default() -> Self {
        Gated {
            permits: Arc::new(Semaphore::new(0)),
            entered: Arc::default(),
            written: Mutex::default(),
        }
    }
}

impl TimeSeries for Gated {
    fn write(&self, points: Vec<Point>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.entered.notify_one();
            self.permits.acquire().await.unwrap().forget();
            self.written.lock().unwrap().extend(points);
            Ok(())
        })
    }
    fn query(&self, _: Query) -> BoxFuture<'_, Result<Vec<Series>, StoreError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn latest(
        &self,
        _: Retention,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<Option<Point>, StoreError>> {
        Box::pin(async { Ok(None) })
    }
    fn delete_series(
        &self,
        _: String,
        _: Vec<(String, String)>,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

/// One HTTP/1.1 POST of a native batch; returns the status line and the whole reply.
async fn post(addr: std::net::SocketAddr, key: String, body: Vec<u8>) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/edgemon/ingest/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: {POSTCARD_MEDIA_TYPE}\r\nX-Edgemon-Key: {key}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

fn batch(device: Uuid, seq: u64) -> Vec<u8> {
    Batch {
        device,
        samples: vec![Sample {
            seq,
            collected_at_us: 1_700_000_000_000_000,
            document: Document::from_json(r#"{"type":"DeviceMonitoring"}"#).unwrap(),
        }],
    }
    .encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_after_storage_and_429_when_the_queue_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(Registry::open(&dir.path().join("registry.redb")).unwrap());
    let org = registry.create_org("Acme", "acme", None).unwrap();
    let (device, key) = registry
        .create_device(NewDevice {
            org: org.id,
            name: "r1".into(),
            ..NewDevice::default()
        })
        .unwrap();
    let ledger = Arc::new(Ledger::open(&dir.path().join("ingest.redb")).unwrap());
    let gated = Arc::new(Gated::default());
    let tsdb: Arc<dyn TimeSeries> = gated.clone();
    let (pipeline, _worker) = ingest::start(
        Processor::new(tsdb.clone(), ledger.clone(), transform::Options::default()),
        1,
        1,
    );
    let state = AppState {
        registry,
        pipeline: pipeline.clone(),
        tsdb,
        embedded: None,
        queue: None,
        retry_after_s: 7,
        ack_stored: true,
        mqtt: None,
        web: std::sync::Arc::default(),
        skews: Arc::default(),
        checks: None,
        alerts: None,
        sessions: Arc::new(
            edgemon_collector::sessions::SessionStore::open(&dir.path().join("sessions.redb"))
                .unwrap(),
        ),
        chart_tz: jiff::tz::TimeZone::UTC,
        dashboard_ifnames: Vec::new(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state, 1 << 20)).await });

    // Post batches until one is refused: the accepted ones wait for their writes (which
    // wait for the test), so they stay unanswered; how many fit depends on how many groups
    // the worker keeps in flight, not on this test.
    let mut accepted = Vec::new();
    let refused = loop {
        assert!(accepted.len() < 32, "the ingest queue never filled up");
        let seq = accepted.len() as u64 + 1;
        let mut reply = tokio::spawn(post(addr, key.clone(), batch(device.id, seq)));
        match tokio::time::timeout(std::time::Duration::from_millis(500), &mut reply).await {
            Ok(answer) => break answer.unwrap(),
            Err(_) => accepted.push(reply),
        }
    };
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 7"),
        "{refused}"
    );
    assert!(
        accepted.iter().all(|r| !r.is_finished()),
        "answered before its write returned"
    );
    assert!(
        ledger.device(device.id).unwrap().is_none(),
        "nothing committed yet"
    );

    let last = accepted.len() as u64 + 1; // the refused batch's sequence number
    gated.permits.add_permits(64);
    for reply in accepted.drain(..) {
        let reply = reply.await.unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.contains(r#""stored":1"#), "{reply}");
    }
    let state = ledger.device(device.id).unwrap().unwrap();
    assert!(
        (1..last).all(|s| state.seen.contains(s)),
        "an accepted batch is missing"
    );
    assert!(!state.seen.contains(last), "the refused batch was stored");
    assert!(!gated.written.lock().unwrap().is_empty());
}
