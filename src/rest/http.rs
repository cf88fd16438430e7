//! HTTP/1.1 on a socket, as little as the endpoint needs: one request per connection
//! (`Connection: close`), heads parsed by `httparse`, bodies sized by `Content-Length`.

use std::io::{self, Read, Write};

/// The largest request or response head accepted.
pub const MAX_HEAD_BYTES: usize = 16 << 10;
/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The most headers a head may have.
const MAX_HEADERS: usize = 32;

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query.
    pub target: String,
    /// The body.
    pub body: Vec<u8>,
}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

fn invalid(reason: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason.into())
}

/// The `Content-Length` among `headers` (0 when absent), bounded by [`MAX_BODY_BYTES`].
fn content_length(headers: &[httparse::Header<'_>]) -> io::Result<usize> {
    let Some(h) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
    else {
        return Ok(0);
    };
    let n: usize = std::str::from_utf8(h.value)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| invalid("Content-Length is not a number"))?;
    if n > MAX_BODY_BYTES {
        return Err(invalid(format!(
            "a body of {n} bytes is over the limit of {MAX_BODY_BYTES}"
        )));
    }
    Ok(n)
}

/// Reads until `parse` finds a complete head in `buf`; returns what it returned.
fn read_head<R: Read, T>(
    r: &mut R,
    buf: &mut Vec<u8>,
    mut parse: impl FnMut(&[u8]) -> io::Result<Option<T>>,
) -> io::Result<T> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(t) = parse(buf)? {
            return Ok(t);
        }
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(invalid(format!("a head over {MAX_HEAD_BYTES} bytes")));
        }
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before a complete head",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads the rest of a body of `len` bytes of which `buf[start..]` has arrived.
fn read_body<R: Read>(
    r: &mut R,
    mut buf: Vec<u8>,
    start: usize,
    len: usize,
) -> io::Result<Vec<u8>> {
    let want = start + len;
    if buf.len() < want {
        let mut rest = vec![0u8; want - buf.len()];
        r.read_exact(&mut rest)?;
        buf.extend_from_slice(&rest);
    }
    Ok(buf[start..want].to_vec())
}

/// Reads one request.
pub fn read_request<R: Read>(r: &mut R) -> io::Result<Request> {
    let mut buf = Vec::new();
    let (method, target, head_len, len) = read_head(r, &mut buf, |bytes| {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(bytes) {
            Ok(httparse::Status::Complete(n)) => Ok(Some((
                req.method.unwrap_or_default().to_string(),
                req.path.unwrap_or_default().to_string(),
                n,
                content_length(req.headers)?,
            ))),
            Ok(httparse::Status::Partial) => Ok(None),
            Err(e) => Err(invalid(format!("not an HTTP request: {e}"))),
        }
    })?;
    let body = read_body(r, buf, head_len, len)?;
    Ok(Request {
        method,
        target,
        body,
    })
}

/// Reads one response (the server closes the connection after it).
pub fn read_response<R: Read>(r: &mut R) -> io::Result<Response> {
    let mut buf = Vec::new();
    let (status, head_len, len) = read_head(r, &mut buf, |bytes| {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(bytes) {
            Ok(httparse::Status::Complete(n)) => Ok(Some((
                resp.code.unwrap_or_default(),
                n,
                content_length(resp.headers)?,
            ))),
            Ok(httparse::Status::Partial) => Ok(None),
            Err(e) => Err(invalid(format!("not an HTTP response: {e}"))),
        }
    })?;
    let body = read_body(r, buf, head_len, len)?;
    Ok(Response { status, body })
}

/// The reason phrase of the statuses the endpoint sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        501 => "Not Implemented",
        _ => "Internal Server Error",
    }
}

/// Writes a JSON response and asks the client to close.
pub fn write_response<W: Write>(
    w: &mut W,
    status: u16,
    allow: Option<&str>,
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json; charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    if let Some(allow) = allow {
        head.push_str(&format!("Allow: {allow}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// Writes a request with an optional JSON body.
pub fn write_request<W: Write>(
    w: &mut W,
    method: &str,
    host: &str,
    target: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_written_is_read_back_with_its_body() {
        let mut wire = Vec::new();
        write_request(
            &mut wire,
            "POST",
            "127.0.0.1:8081",
            "/jobs/x/stop",
            b"{\"drain\":false}",
        )
        .unwrap();
        let req = read_request(&mut wire.as_slice()).unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.target, "/jobs/x/stop");
        assert_eq!(req.body, b"{\"drain\":false}");
    }

    #[test]
    fn a_response_written_is_read_back_with_its_status() {
        let mut wire = Vec::new();
        write_response(&mut wire, 405, Some("GET"), b"{}").unwrap();
        let text = String::from_utf8_lossy(&wire).into_owned();
        assert!(
            text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")
                && text.contains("Allow: GET\r\n")
        );
        let resp = read_response(&mut wire.as_slice()).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (405, b"{}".as_slice()));
    }

    #[test]
    fn garbage_truncation_and_huge_bodies_are_errors() {
        assert!(read_request(&mut b"\x00\x01 nonsense\r\n\r\n".as_slice()).is_err());
        assert!(read_request(&mut b"GET /jobs HTTP/1.1\r\nHost: x\r\n".as_slice()).is_err());
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert!(read_request(&mut huge.as_bytes()).is_err());
        let short = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}";
        assert!(read_request(&mut short.as_slice()).is_err());
    }
}
