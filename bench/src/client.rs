//! One keep-alive HTTP/1.1 connection (hyper's low-level client: no pool, no redirects,
//! one request at a time), as a device or a load-generator task uses it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// Why a request got no reply.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP exchange with {addr} failed: {source}")]
    Http {
        addr: SocketAddr,
        source: hyper::Error,
    },
    #[error("cannot build a request for {path}: {message}")]
    Request { path: String, message: String },
}

/// A reply: status, the `Retry-After` delay if any, and the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

/// A connected HTTP/1.1 client.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn connect(addr: SocketAddr) -> Result<Self, ClientError> {
        let connect = |source| ClientError::Connect { addr, source };
        let stream = TcpStream::connect(addr).await.map_err(connect)?;
        // requests are small and one at a time: do not let Nagle hold them back
        stream.set_nodelay(true).map_err(connect)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| ClientError::Http { addr, source })?;
        // drives the socket; ends when the server or `sender` closes the connection, and
        // the next request then reports the error
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection { addr, sender })
    }

    /// `POST path` with `body`; waits for the whole reply.
    pub async fn post(
        &mut self,
        path: &str,
        content_type: &'static str,
        body: Bytes,
    ) -> Result<Reply, ClientError> {
        self.post_with_key(path, content_type, None, body).await
    }

    /// [`Connection::post`] with the native path's `X-Edgemon-Key` header when given.
    pub async fn post_with_key(
        &mut self,
        path: &str,
        content_type: &'static str,
        key: Option<&str>,
        body: Bytes,
    ) -> Result<Reply, ClientError> {
        let http = |source| ClientError::Http {
            addr: self.addr,
            source,
        };
        self.sender.ready().await.map_err(http)?;
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.addr.to_string())
            .header(CONTENT_TYPE, content_type);
        let request = match key {
            Some(k) => request.header("x-edgemon-key", k),
            None => request,
        };
        let request = request
            .body(Full::new(body))
            .map_err(|e| ClientError::Request {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let response = self.sender.send_request(request).await.map_err(http)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(http)?
            .to_bytes();
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }
}

/// `Retry-After` as delay-seconds (the form the collector sends); HTTP dates are not
/// supported and read as absent.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::parse_retry_after;
    use std::time::Duration;

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
