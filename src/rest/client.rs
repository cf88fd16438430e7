//! One request to a job's REST endpoint, with errors that say what to check.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;

use super::http;

/// How long to wait for the endpoint to accept, and then to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to the endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens there.
    #[error(
        "no Weir job is serving REST on {endpoint} (is `weir run` running? set rest.port, \
         e.g. --port or --set rest.port=PORT, to the port it printed)"
    )]
    NotServing {
        /// `address:port`.
        endpoint: String,
    },
    /// The address does not resolve.
    #[error("cannot resolve the REST address {endpoint}: {source}")]
    Resolve {
        /// `address:port`.
        endpoint: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The connection failed midway or timed out.
    #[error("REST request {method} {path} to {endpoint} failed: {source}")]
    Io {
        /// The method.
        method: String,
        /// The path.
        path: String,
        /// `address:port`.
        endpoint: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The answer was not JSON.
    #[error("REST request {method} {path} to {endpoint}: the answer (HTTP {status}) is not JSON: {reason}")]
    NotJson {
        /// The method.
        method: String,
        /// The path.
        path: String,
        /// `address:port`.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The parser's complaint.
        reason: String,
    },
}

impl ClientError {
    /// Whether the endpoint is gone (nothing listens, or it closed before answering).
    pub fn endpoint_gone(&self) -> bool {
        match self {
            ClientError::NotServing { .. } => true,
            ClientError::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::BrokenPipe
            ),
            _ => false,
        }
    }
}

/// Where the endpoint is: `address:port`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host or IP address.
    pub address: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.address.parse::<std::net::Ipv6Addr>() {
            Ok(_) => write!(f, "[{}]:{}", self.address, self.port),
            Err(_) => write!(f, "{}:{}", self.address, self.port),
        }
    }
}

impl Endpoint {
    /// Sends `method path` with an optional JSON `body`; returns the status and the JSON
    /// answer (`null` for an empty one).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ClientError> {
        let endpoint = self.to_string();
        let io_err = |source: io::Error| ClientError::Io {
            method: method.to_string(),
            path: path.to_string(),
            endpoint: endpoint.clone(),
            source,
        };
        let addrs: Vec<SocketAddr> = (self.address.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|source| ClientError::Resolve {
                endpoint: endpoint.clone(),
                source,
            })?
            .collect();
        let mut stream = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        let Some(mut stream) = stream else {
            return Err(ClientError::NotServing {
                endpoint: endpoint.clone(),
            });
        };
        stream.set_read_timeout(Some(TIMEOUT)).map_err(io_err)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(io_err)?;
        let body = body.map(Value::to_string).unwrap_or_default();
        http::write_request(&mut stream, method, &endpoint, path, body.as_bytes())
            .map_err(io_err)?;
        let resp = http::read_response(&mut stream).map_err(io_err)?;
        let json = if resp.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&resp.body).map_err(|e| ClientError::NotJson {
                method: method.to_string(),
                path: path.to_string(),
                endpoint: endpoint.clone(),
                status: resp.status,
                reason: e.to_string(),
            })?
        };
        Ok((resp.status, json))
    }
}

/// The messages of Flink's `{"errors": [...]}`, joined; the whole answer otherwise.
pub fn error_message(body: &Value) -> String {
    match body.get("errors").and_then(Value::as_array) {
        Some(errors) if !errors.is_empty() => errors
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("; "),
        _ => body.to_string(),
    }
}
