//! A counting HTTP/1.1 proxy for `cargo xtask bench`: put in front of a Cognito-compatible
//! server, it counts the requests that reach the server by operation (and InitiateAuth by
//! AuthFlow), so that a benchmark can tell how many refresh calls a client made.
//!
//! ```text
//! userpool-countproxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:PORT
//! ```
//!
//! Prints `userpool-countproxy listening on http://ADDR` once ready. `/__counts`
//! answers the counts as JSON (`{"InitiateAuth:REFRESH_TOKEN_AUTH": 1, ...}`, plus
//! `"total"`, `"refreshes"`, the sum of the calls that refresh a session by either API,
//! and `"refresh_labels"`, the labels that sum covers; see
//! [`userpool_bench::cognito::REFRESH_LABELS`]); `/__reset` sets them to zero. Every other request goes to the
//! upstream on a kept-alive connection per client connection. Loopback only.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};

use userpool_bench::args::Args;
use userpool_bench::cognito;
use userpool_bench::http::{self, Client, Endpoint, Request};

type Counts = Arc<Mutex<BTreeMap<String, u64>>>;

fn main() {
    let args = Args::parse(std::env::args().skip(1));
    let listen = args.get("listen").unwrap_or("127.0.0.1:0").to_owned();
    let upstream = match Endpoint::parse(args.required("upstream")) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("userpool-countproxy: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(serve(&listen, upstream)) {
        eprintln!("userpool-countproxy: {e}");
        std::process::exit(1);
    }
}

async fn serve(listen: &str, upstream: Endpoint) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() {
        return Err(std::io::Error::other("listen on a loopback address only"));
    }
    println!("userpool-countproxy listening on http://{local}");
    let counts: Counts = Arc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (counts, upstream) = (Arc::clone(&counts), upstream.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(stream, counts, upstream).await {
                eprintln!("userpool-countproxy: connection: {e}");
            }
        });
    }
}

/// The name a request is counted under: the operation, and for InitiateAuth the flow.
fn label(req: &Request) -> String {
    let op = req
        .header("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("other")
        .to_owned();
    if op == "InitiateAuth" || op == "AdminInitiateAuth" {
        let flow = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| v.get("AuthFlow").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        return format!("{op}:{flow}");
    }
    op
}

async fn connection(stream: TcpStream, counts: Counts, upstream: Endpoint) -> std::io::Result<()> {
    let mut conn = BufReader::new(stream);
    let mut client = Client::new(upstream.clone());
    while let Some(req) = http::read_request(&mut conn).await? {
        let json_headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        match (req.method.as_str(), req.path.as_str()) {
            (_, "/__counts") => {
                let body = {
                    let c = counts.lock().expect("counts lock");
                    let mut v = json!(*c);
                    v["total"] = json!(c.values().sum::<u64>());
                    v["refreshes"] = json!(
                        c.iter()
                            .filter(|(label, _)| cognito::is_refresh(label))
                            .map(|(_, n)| n)
                            .sum::<u64>()
                    );
                    v["refresh_labels"] = json!(cognito::REFRESH_LABELS);
                    serde_json::to_vec(&v).expect("JSON")
                };
                http::write_response(
                    conn.get_mut(),
                    200,
                    "OK",
                    &json_headers,
                    &body,
                    req.keep_alive,
                )
                .await?;
            }
            (_, "/__reset") => {
                counts.lock().expect("counts lock").clear();
                http::write_response(
                    conn.get_mut(),
                    200,
                    "OK",
                    &json_headers,
                    b"{}",
                    req.keep_alive,
                )
                .await?;
            }
            _ => {
                *counts
                    .lock()
                    .expect("counts lock")
                    .entry(label(&req))
                    .or_default() += 1;
                let mut raw = Vec::with_capacity(512 + req.body.len());
                raw.extend_from_slice(
                    format!("{} {} HTTP/1.1\r\n", req.method, req.path).as_bytes(),
                );
                for (n, v) in &req.headers {
                    if matches!(
                        n.as_str(),
                        "content-length" | "transfer-encoding" | "connection" | "host"
                    ) {
                        continue;
                    }
                    raw.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
                }
                raw.extend_from_slice(
                    format!(
                        "host: {}\r\ncontent-length: {}\r\n\r\n",
                        upstream.host,
                        req.body.len()
                    )
                    .as_bytes(),
                );
                raw.extend_from_slice(&req.body);
                match client.send_raw(&raw).await {
                    Ok(r) => {
                        http::write_response(
                            conn.get_mut(),
                            r.status,
                            &r.reason,
                            &r.headers,
                            &r.body,
                            req.keep_alive,
                        )
                        .await?
                    }
                    Err(e) => {
                        let body =
                            json!({"__type": "ProxyError", "message": e.to_string()}).to_string();
                        http::write_response(
                            conn.get_mut(),
                            502,
                            "Bad Gateway",
                            &json_headers,
                            body.as_bytes(),
                            false,
                        )
                        .await?;
                        return Ok(());
                    }
                }
            }
        }
        if !req.keep_alive {
            break;
        }
    }
    Ok(())
}
