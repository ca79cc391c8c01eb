//! A minimal HTTP/1.1 client with keep-alive, and the request reader of the counting
//! proxy. Only what the Cognito JSON protocol needs: `POST /` with a JSON body, answers
//! framed by `Content-Length` or chunked, servers that close after each answer (HTTP/1.0,
//! `Connection: close`) handled by reconnecting.
//!
//! Loopback only: [`Endpoint::parse`] refuses any address that is not on this machine.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The largest head or body accepted (a Cognito answer is a few kilobytes).
const MAX_SIZE: usize = 16 * 1024 * 1024;
/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A server address on the loopback interface, from `http://host:port[/]`.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The Host header.
    pub host: String,
}

impl Endpoint {
    /// Parses `http://127.0.0.1:9229`, `http://localhost:9229/` or `127.0.0.1:9229`.
    /// Refuses addresses that are not loopback.
    pub fn parse(url: &str) -> io::Result<Endpoint> {
        let rest = url.strip_prefix("http://").unwrap_or(url);
        if url.starts_with("https://") {
            return Err(invalid(format!("{url}: only http:// is supported")));
        }
        let host = rest.split('/').next().unwrap_or("").to_owned();
        if host.is_empty() {
            return Err(invalid(format!("{url}: no host")));
        }
        let with_port = if host.contains(':') && !host.ends_with(']') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = with_port
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| invalid(format!("{url}: does not resolve")))?;
        if !addr.ip().is_loopback() {
            return Err(invalid(format!(
                "{url}: {} is not a loopback address; the benchmarks only talk to this machine",
                addr.ip()
            )));
        }
        Ok(Endpoint { addr, host })
    }

    /// `http://host/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// One answer.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A connection to one endpoint, reopened when the server closes it.
#[derive(Debug)]
pub struct Client {
    endpoint: Endpoint,
    conn: Option<BufReader<TcpStream>>,
    /// Connections opened so far (1 for a server that keeps them alive).
    pub connects: u64,
}

impl Client {
    /// A client that connects on first use.
    pub fn new(endpoint: Endpoint) -> Client {
        Client {
            endpoint,
            conn: None,
            connects: 0,
        }
    }

    /// Sends `POST /` with `headers` and `body`, and reads the answer. A kept-alive
    /// connection that turns out closed before any answer byte is reopened once.
    pub async fn post(&mut self, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Response> {
        self.request("POST", "/", headers, body).await
    }

    /// Sends `METHOD path` with `headers` and `body`, and reads the answer.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut request = Vec::with_capacity(256 + body.len());
        request.extend_from_slice(method.as_bytes());
        request.extend_from_slice(b" ");
        request.extend_from_slice(path.as_bytes());
        request.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        request.extend_from_slice(self.endpoint.host.as_bytes());
        request.extend_from_slice(b"\r\nContent-Length: ");
        request.extend_from_slice(body.len().to_string().as_bytes());
        request.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            request.extend_from_slice(name.as_bytes());
            request.extend_from_slice(b": ");
            request.extend_from_slice(value.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        self.send_raw(&request).await
    }

    /// Sends a complete request (head and body) and reads the answer.
    pub async fn send_raw(&mut self, request: &[u8]) -> io::Result<Response> {
        let fut = async {
            let reused = self.conn.is_some();
            match self.try_once(request).await {
                Ok(r) => Ok(r),
                Err(e) if reused && is_stale(&e) => {
                    self.conn = None;
                    self.try_once(request).await
                }
                Err(e) => Err(e),
            }
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => {
                self.conn = None;
                Err(io::Error::new(io::ErrorKind::TimedOut, "request timed out"))
            }
        }
    }

    async fn try_once(&mut self, request: &[u8]) -> io::Result<Response> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(self.endpoint.addr).await?;
            stream.set_nodelay(true)?;
            self.connects += 1;
            self.conn = Some(BufReader::with_capacity(16 * 1024, stream));
        }
        let conn = self.conn.as_mut().expect("connected above");
        let result = async {
            conn.get_mut().write_all(request).await?;
            read_response(conn).await
        }
        .await;
        match result {
            Ok((response, keep_alive)) => {
                if !keep_alive {
                    self.conn = None;
                }
                Ok(response)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}

fn is_stale(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

/// Reads lines up to the empty line; returns them without their line ends.
async fn read_head<R: AsyncBufReadExt + Unpin>(r: &mut R) -> io::Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut total = 0usize;
    loop {
        let mut line = Vec::new();
        let n = r.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a complete head",
            ));
        }
        total += n;
        if total > MAX_SIZE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerate stray empty lines between messages
            }
            return Ok(lines);
        }
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
}

fn parse_headers(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Reads a body framed by the headers: chunked, Content-Length, or (answers only) to EOF.
async fn read_body<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    headers: &[(String, String)],
    until_eof: bool,
) -> io::Result<Vec<u8>> {
    let chunked = header(headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        let mut body = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "eof in chunk size",
                ));
            }
            let size_hex = line.trim().split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if body.len() + size > MAX_SIZE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
            }
            if size == 0 {
                // trailers, up to the empty line
                loop {
                    let mut t = String::new();
                    if r.read_line(&mut t).await? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..]).await?;
            let mut crlf = String::new();
            r.read_line(&mut crlf).await?;
        }
    }
    if let Some(len) = header(headers, "content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
        if len > MAX_SIZE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await?;
        return Ok(body);
    }
    let mut body = Vec::new();
    if until_eof {
        r.take(MAX_SIZE as u64).read_to_end(&mut body).await?;
    }
    Ok(body)
}

/// Reads one answer; also says whether the connection may be reused.
pub async fn read_response<R: AsyncBufReadExt + Unpin>(r: &mut R) -> io::Result<(Response, bool)> {
    let lines = read_head(r).await?;
    let status_line = &lines[0];
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad status line {status_line:?}"),
        )
    })?;
    let reason = parts.next().unwrap_or("").to_owned();
    let headers = parse_headers(&lines[1..]);
    let connection = header(&headers, "connection").map(str::to_ascii_lowercase);
    let framed = header(&headers, "content-length").is_some()
        || header(&headers, "transfer-encoding").is_some();
    let keep_alive = framed
        && match connection.as_deref() {
            Some(c) if c.contains("close") => false,
            Some(c) if c.contains("keep-alive") => true,
            _ => version == "HTTP/1.1",
        };
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    let body = if no_body {
        Vec::new()
    } else {
        read_body(r, &headers, !framed).await?
    };
    Ok((
        Response {
            status,
            reason,
            headers,
            body,
        },
        keep_alive,
    ))
}

/// One request as the proxy reads it.
#[derive(Debug)]
pub struct Request {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The request target (`/`).
    pub path: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the client wants the connection kept.
    pub keep_alive: bool,
}

impl Request {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// Reads one request; `None` when the client closed the connection between requests.
pub async fn read_request<R: AsyncBufReadExt + Unpin>(r: &mut R) -> io::Result<Option<Request>> {
    let lines = match read_head(r).await {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut parts = lines[0].split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let version = parts.next().unwrap_or("HTTP/1.0").to_owned();
    let headers = parse_headers(&lines[1..]);
    let keep_alive = match header(&headers, "connection").map(str::to_ascii_lowercase) {
        Some(c) if c.contains("close") => false,
        Some(c) if c.contains("keep-alive") => true,
        _ => version == "HTTP/1.1",
    };
    let body = read_body(r, &headers, false).await?;
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
        keep_alive,
    }))
}

/// Writes an answer with a Content-Length; `headers` must not frame the body themselves.
pub async fn write_response<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    for (n, v) in headers {
        if matches!(
            n.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "keep-alive"
        ) {
            continue;
        }
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    w.write_all(&out).await?;
    w.flush().await
}
