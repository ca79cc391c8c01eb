//! A minimal HTTP/1.0 client for plain `http://` endpoints on loopback (moto's
//! `/moto-api/`): one request per connection, the body read to the end.

use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// An answer: status code and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

/// `host:port` and the path prefix of an `http://` URL.
fn split(endpoint: &str) -> Result<(&str, &str)> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("{endpoint:?} is not an http:// URL"))?;
    Ok(match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    })
}

/// Sends `method path` with an optional body to `endpoint` and reads the whole answer.
pub(crate) async fn request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<Answer> {
    let (authority, base) = split(endpoint)?;
    let exchange = async {
        let mut stream = TcpStream::connect(authority)
            .await
            .with_context(|| format!("connecting to {authority}"))?;
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {base}{path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, anyhow::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| anyhow!("{method} {path}: no answer in 30 s"))??;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("{method} {path}: malformed HTTP answer"))?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("{method} {path}: no status line"))?;
    Ok(Answer {
        status,
        body: body.to_owned(),
    })
}

/// Like [`request`], failing unless the status is 2xx.
pub(crate) async fn request_ok(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<String> {
    let answer = request(endpoint, method, path, body).await?;
    if !(200..300).contains(&answer.status) {
        let snippet: String = answer.body.chars().take(300).collect();
        bail!("{method} {path}: HTTP {}: {snippet}", answer.status);
    }
    Ok(answer.body)
}
