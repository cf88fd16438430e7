//! The REST endpoint's thread: a blocking listener on `rest.address:rest.port` that
//! answers one request per connection, in order, until it is stopped.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::http;
use super::router::{Reply, Router};

/// How long a connection may take to send its request or take the reply: a client that
/// stalls cannot hold the endpoint longer than this.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// A running endpoint; [`RestServer::stop`] (or dropping it) ends its thread.
pub struct RestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RestServer {
    /// Binds `address:port` (port 0: any free one) and serves `router` on a new thread.
    /// Binding fails at once when the port is taken.
    pub fn start(address: IpAddr, port: u16, router: Router) -> io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::new(address, port))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("weir-rest".into())
                .spawn(move || serve(listener, router, &stop))?
        };
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The address it listens on (with the port picked when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening and waits for the thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The listener blocks in accept: a connection of our own wakes it to see `stop`.
        let woken = TcpStream::connect_timeout(&self.addr, CONNECTION_TIMEOUT).is_ok();
        if let Some(t) = self.thread.take() {
            if woken {
                let _ = t.join();
            }
        }
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

fn serve(listener: TcpListener, router: Router, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // A failed connection concerns that client only; the endpoint goes on.
        if let Ok(stream) = conn {
            let _ = answer(stream, &router);
        }
    }
}

fn answer(mut stream: TcpStream, router: &Router) -> io::Result<()> {
    stream.set_read_timeout(Some(CONNECTION_TIMEOUT))?;
    stream.set_write_timeout(Some(CONNECTION_TIMEOUT))?;
    let reply = match http::read_request(&mut stream) {
        Ok(req) => router.handle(&req.method, &req.target, &req.body),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            Reply::error(400, format!("Bad request: {e}"))
        }
        Err(e) => return Err(e),
    };
    let body = serde_json::to_vec(&reply.body).unwrap_or_else(|_| b"{}".to_vec());
    http::write_response(&mut stream, reply.status, reply.allow, &body)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use weir_core::cluster::control::JobControl;

    use super::*;
    use crate::rest::client::{ClientError, Endpoint};

    #[test]
    fn serves_on_a_free_port_refuses_a_taken_one_and_stops() {
        let job = JobControl::new("j");
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let server = RestServer::start(loopback, 0, Router::new(vec![job.clone()])).unwrap();
        let port = server.local_addr().port();
        assert_ne!(port, 0);
        let taken = RestServer::start(loopback, port, Router::new(vec![job.clone()]));
        assert_eq!(
            taken.err().map(|e| e.kind()),
            Some(io::ErrorKind::AddrInUse)
        );
        let endpoint = Endpoint {
            address: "127.0.0.1".into(),
            port,
        };
        let (status, body) = endpoint.request("GET", "/jobs", None).unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["jobs"][0]["id"], job.id().to_string());
        let (status, _) = endpoint
            .request("PATCH", &format!("/jobs/{}?mode=cancel", job.id()), None)
            .unwrap();
        assert_eq!(status, 202);
        server.stop();
        let gone = endpoint.request("GET", "/jobs", None).unwrap_err();
        assert!(matches!(gone, ClientError::NotServing { .. }), "{gone}");
        assert!(gone
            .to_string()
            .contains("no Weir job is serving REST on 127.0.0.1:"));
    }
}
