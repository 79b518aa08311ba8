//! The accept loop: one hyper HTTP/1.1 connection task per client, with a bounded shutdown.
//!
//! `axum::serve` waits without limit for every open connection after its shutdown signal. A
//! client that vanished mid-request (an agent killed, or its RST lost on a lossy link) leaves
//! a connection that never finishes, so the collector never stops and its queue is never
//! drained. Here the connections are told to finish (idle keep-alives close at once), get
//! `grace` to do so, and are then dropped, which also drops their hold on the ingest queue.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Limits of each connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a connection may take to send a request's headers, counted from the end of
    /// the previous response; an idle keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// After the shutdown signal, how long open connections get to finish their requests.
    pub grace: Duration,
}

/// Serve `app` on `listener` until `shutdown` resolves, then stop accepting and let open
/// connections finish for at most `limits.grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let (closing_tx, closing) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((io, peer)) => {
                    connections.spawn(connection(io, peer, app.clone(), limits, closing.clone()));
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let open = connections.len();
    let finished = tokio::time::timeout(limits.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            open = connections.len(),
            of = open,
            grace_s = limits.grace.as_secs_f64(),
            "connections still open after the shutdown grace period; closing them"
        );
        connections.shutdown().await;
    }
}

async fn connection(
    io: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
) {
    let _ = io.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        tower_service::Service::call(&mut app.clone(), req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            return;
        }
        _ = closing.wait_for(|c| *c) => conn.as_mut().graceful_shutdown(),
    }
    if let Err(e) = conn.await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A test bound: the tests' own limits are far below it, so reaching it is a hang.
    const HANG: Duration = Duration::from_secs(30);

    async fn start(
        grace: Duration,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/echo",
            post(
                |ConnectInfo(peer): ConnectInfo<SocketAddr>, body: String| async move {
                    format!("{} from {}", body.len(), peer.ip())
                },
            ),
        );
        let limits = Limits {
            header_timeout: Duration::from_secs(3600),
            grace,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        (addr, stop, task)
    }

    async fn request(s: &mut TcpStream, body: &str) -> String {
        let req = format!(
            "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0; 1024];
        let n = s.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[tokio::test]
    async fn serves_keep_alive_requests_with_the_peer_address() {
        let (addr, stop, task) = start(HANG).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert!(request(&mut s, "hello").await.ends_with("5 from 127.0.0.1"));
        assert!(request(&mut s, "hi").await.ends_with("2 from 127.0.0.1"));
        // An idle keep-alive connection closes at shutdown without waiting for the grace.
        stop.send(()).unwrap();
        tokio::time::timeout(HANG, task).await.unwrap().unwrap();
        let mut rest = Vec::new();
        assert_eq!(
            s.read_to_end(&mut rest).await.unwrap(),
            0,
            "closed by the server"
        );
    }

    #[tokio::test]
    async fn a_client_stuck_mid_request_is_dropped_after_the_grace() {
        let (addr, stop, task) = start(Duration::from_millis(300)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        // Headers promise 100 bytes; 10 come, then nothing (the client vanished).
        s.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        tokio::task::yield_now().await;
        stop.send(()).unwrap();
        tokio::time::timeout(HANG, task)
            .await
            .expect("serve returned although a request never finished")
            .unwrap();
        // New connections are refused once serve has returned.
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn a_request_finishing_within_the_grace_is_answered() {
        let (addr, stop, task) = start(HANG).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n01234")
            .await
            .unwrap();
        // Let the connection task read the headers before shutdown starts.
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.write_all(b"56789").await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("10 from 127.0.0.1"), "{answer}");
        tokio::time::timeout(HANG, task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn headers_that_never_finish_time_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            header_timeout: Duration::from_millis(200),
            grace: HANG,
        };
        let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, Router::new(), limits, async {
            let _ = stopped.await;
        }));
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost").await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(HANG, s.read_to_end(&mut rest))
            .await
            .expect("the server kept a slow client's connection")
            .unwrap();
    }
}
