//! The server program is killed with SIGKILL in the middle of a stream of sign-ups; every
//! sign-up it acknowledged is there after a restart on the same data directory.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;

/// Starts the `userpool-local` program on a free port; returns it and its endpoint.
fn spawn_server(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_userpool-local"))
        .args(["--port", "0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start userpool-local");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read listening line");
    let endpoint = line
        .trim()
        .strip_prefix("userpool-local listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, endpoint)
}

#[tokio::test]
async fn acknowledged_sign_ups_survive_sigkill() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut child, endpoint) = spawn_server(&dir);
    let client = sdk(&endpoint);
    let pool = client
        .create_user_pool()
        .pool_name("crash")
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("app")
        .send()
        .await
        .unwrap();
    let client_id = app
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();

    // Four writers sign up users as fast as they can and note every acknowledged one.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, client_id, acked) = (client.clone(), client_id.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let name = format!("w{w}-u{i}");
                let r = client
                    .sign_up()
                    .client_id(&client_id)
                    .username(&name)
                    .password(PW)
                    .send()
                    .await;
                match r {
                    Ok(_) => acked.lock().unwrap().push(name),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let a few hundred sign-ups through, then pull the plug mid-stream.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 300 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    let _ = child.wait();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} sign-ups before the kill",
        acked.len()
    );

    let (mut child, endpoint) = spawn_server(&dir);
    let client = sdk(&endpoint);
    let mut present = std::collections::HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_users()
            .user_pool_id(&pool_id)
            .set_pagination_token(token.clone())
            .send()
            .await
            .unwrap();
        present.extend(
            page.users()
                .iter()
                .filter_map(|u| u.username().map(str::to_owned)),
        );
        token = page.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let missing: Vec<&String> = acked.iter().filter(|n| !present.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged sign-ups lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // The server works on after the crash.
    client
        .sign_up()
        .client_id(&client_id)
        .username("after-crash")
        .password(PW)
        .send()
        .await
        .unwrap();
    child.kill().ok();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
