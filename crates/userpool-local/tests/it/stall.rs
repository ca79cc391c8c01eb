//! The server's async worker is never stalled by crypto: with the server on a single-thread
//! runtime, cheap requests sent one after the other while a burst of SRP sign-ins is being
//! worked on keep being answered, many per sign-in. (Counts of answers, no clock.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use crate::common::PW;
use crate::races::prepare_srp_at;

struct Served {
    addr: std::net::SocketAddr,
    pool_id: String,
    client_id: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// Runs a server, with one pool, client and user, on a runtime of its own with a single
/// thread, so that anything blocking that thread blocks every request.
fn serve_on_one_thread(users: usize) -> Served {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = LocalPool::builder().start().await.expect("server");
            let pool = server
                .create_pool(PoolConfig::new("stall"))
                .await
                .expect("pool");
            let client = server
                .create_client(&pool.pool_id, ClientConfig::new("web"))
                .await
                .expect("client");
            // One user per sign-in of the burst: pending sign-ins are bounded per user.
            for i in 0..users {
                server
                    .create_user(&pool.pool_id, &format!("lou{i}"), PW, &[])
                    .await
                    .expect("user");
            }
            ready_tx
                .send((server.local_addr(), pool.pool_id, client.client_id))
                .expect("ready");
            let _ = stop_rx.await;
            server.shutdown().await.expect("shutdown");
        });
    });
    let (addr, pool_id, client_id) = ready_rx.recv().expect("server ready");
    Served {
        addr,
        pool_id,
        client_id,
        stop,
        thread,
    }
}

/// Opens a connection and writes one whole request on it.
async fn send(addr: std::net::SocketAddr, request: String) -> tokio::net::TcpStream {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    s
}

fn api_request(addr: std::net::SocketAddr, op: &str, body: &serde_json::Value) -> String {
    let body = body.to_string();
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.{op}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cheap_request_is_not_held_up_by_a_burst_of_srp_sign_ins() {
    const BURST: usize = 24;
    let served = serve_on_one_thread(BURST);
    let mut prepared = Vec::new();
    for i in 0..BURST {
        let username = format!("lou{i}");
        prepared.push(
            prepare_srp_at(
                served.addr,
                &served.pool_id,
                &served.client_id,
                &username,
                PW,
            )
            .await,
        );
    }
    let mut burst = Vec::new();
    for p in &prepared {
        burst.push(
            send(
                served.addr,
                api_request(served.addr, "RespondToAuthChallenge", &p.respond),
            )
            .await,
        );
    }
    let finished = Arc::new(AtomicUsize::new(0));
    let read = |mut s: tokio::net::TcpStream, finished: Arc<AtomicUsize>| async move {
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        finished.fetch_add(1, Ordering::SeqCst);
        String::from_utf8_lossy(&buf).into_owned()
    };
    let burst_tasks: Vec<_> = burst
        .into_iter()
        .map(|s| tokio::spawn(read(s, finished.clone())))
        .collect();
    // Cheap requests one after the other, for as long as the burst lasts.
    let jwks_request = format!(
        "GET /{}/.well-known/jwks.json HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        served.pool_id, served.addr
    );
    let mut probes = 0usize;
    let mut probes_before_first = None;
    tokio::time::timeout(Duration::from_secs(60), async {
        while finished.load(Ordering::SeqCst) < BURST {
            let mut s = send(served.addr, jwks_request.clone()).await;
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf).await;
            assert!(buf.starts_with(b"HTTP/1.1 200"));
            probes += 1;
            if probes_before_first.is_none() && finished.load(Ordering::SeqCst) > 0 {
                probes_before_first = Some(probes);
            }
        }
    })
    .await
    .expect("no hang");
    for t in burst_tasks {
        let answer = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no hang")
            .unwrap();
        assert!(answer.contains("AuthenticationResult"), "{answer}");
    }
    // With the crypto off the server's only thread, cheap requests keep being answered
    // while the sign-ins run: many per sign-in (some two hundred in all, here). With the
    // crypto on it, each waits for the crypto queued before it: a handful in all.
    assert!(
        probes > BURST,
        "only {probes} cheap requests were answered during {BURST} sign-ins \
         ({probes_before_first:?} before the first sign-in was)"
    );
    let _ = served.stop.send(());
    served.thread.join().expect("server thread");
}
