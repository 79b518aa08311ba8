//! Device list benchmark: `--devices` registered devices (default 10 000) in one
//! organization on the embedded stores, the real server (`server::serve`) on a loopback
//! port, then `GET /api/v1/monitoring/device/` over HTTP with a superuser token,
//! `--requests` times each for: the first page, the last page, a health filter and a
//! manager token of a second organization that holds 1 % of the devices.
//!
//! `cargo run --release -p edgemon-collector --example device_list_bench -- [--devices 10000]
//! [--requests 200]`
//!
//! Prints one `key=value` line per figure.

use edgemon_collector::config::Config;
use edgemon_collector::registry::{NewDevice, Role};
use edgemon_collector::server;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} needs a number, got {v:?}"))
        })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// One request on a fresh connection; the status line and the body length.
fn get(addr: SocketAddr, path: &str, token: &str) -> (String, usize) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw);
    let status = text.lines().next().unwrap_or("").to_owned();
    (status, raw.len())
}

fn measure(out: &mut impl Write, name: &str, addr: SocketAddr, path: &str, token: &str) {
    let requests = arg("--requests", 200);
    let (status, bytes) = get(addr, path, token);
    assert!(status.contains(" 200 "), "{path}: {status}");
    let mut ms: Vec<f64> = (0..requests)
        .map(|_| {
            let t = Instant::now();
            get(addr, path, token);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    writeln!(
        out,
        "device_list case={name} requests={requests} body_bytes={bytes} p50_ms={:.2} p99_ms={:.2}",
        percentile(&ms, 0.5),
        percentile(&ms, 0.99)
    )
    .unwrap();
}

fn main() -> anyhow::Result<()> {
    let devices = arg("--devices", 10_000);
    let dir = tempfile::tempdir()?;
    let text = format!(
        "data_dir = {:?}\n[http]\nlisten = \"127.0.0.1:0\"\n[checks]\nenabled = false\n[log]\nlevel = \"warn\"\n",
        dir.path().display().to_string()
    );
    let config = Config::from_toml(&text, "bench", std::iter::empty())?;
    let stores = server::open_stores(&config)?;
    let big = stores.registry.create_org("Big", "big", None)?;
    let small = stores.registry.create_org("Small", "small", None)?;
    let t = Instant::now();
    for i in 0..devices {
        let org = if i % 100 == 0 { small.id } else { big.id };
        stores.registry.create_device(NewDevice {
            org,
            name: format!("ap-{i:05}"),
            mac: format!(
                "02:00:00:{:02x}:{:02x}:{:02x}",
                i >> 16,
                (i >> 8) & 255,
                i & 255
            ),
            ..NewDevice::default()
        })?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "registered devices={devices} seconds={:.1}",
        t.elapsed().as_secs_f64()
    )?;
    let (_, superuser) = stores
        .registry
        .create_token("bench", Role::Superuser, vec![])?;
    let (_, manager) = stores
        .registry
        .create_token("small", Role::Manager, vec![small.id])?;

    let rt = tokio::runtime::Runtime::new()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = rt.spawn(server::serve(
        config,
        stores,
        async {
            let _ = stopped.await;
        },
        move |addr| {
            let _ = ready_tx.send(addr);
        },
    ));
    let addr = ready_rx.recv()?;
    let last = devices.div_ceil(100);
    let list = "/api/v1/monitoring/device/";
    measure(&mut out, "first_page", addr, list, &superuser);
    measure(
        &mut out,
        "last_page_100",
        addr,
        &format!("{list}?page_size=100&page={last}"),
        &superuser,
    );
    measure(
        &mut out,
        "status_filter",
        addr,
        &format!("{list}?monitoring__status=unknown&page_size=100"),
        &superuser,
    );
    measure(&mut out, "manager_1pct", addr, list, &manager);
    let _ = stop.send(());
    rt.block_on(server)??;
    Ok(())
}
