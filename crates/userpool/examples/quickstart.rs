//! Sign in, read the session and the user, sign out.
//!
//! ```text
//! USERPOOL_POOL_ID=eu-west-1_AbCdEfGhI USERPOOL_CLIENT_ID=7abc123clientid \
//! USERPOOL_USERNAME=ada USERPOOL_PASSWORD='…' \
//! [USERPOOL_ENDPOINT=http://127.0.0.1:9229] [USERPOOL_TOKEN_FILE=./tokens.json] \
//! cargo run -p userpool --example quickstart
//! ```
//!
//! With `USERPOOL_TOKEN_FILE`, the session is kept in that file and a second run resumes
//! it without signing in again.

use std::io::BufRead as _;
use std::sync::Arc;

use userpool::{Auth, FileStore, NextStep, SignInResult};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn prompt(question: &str) -> std::io::Result<String> {
    println!("{question}");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (Some(pool), Some(client), Some(username)) = (
        env("USERPOOL_POOL_ID"),
        env("USERPOOL_CLIENT_ID"),
        env("USERPOOL_USERNAME"),
    ) else {
        eprintln!(
            "set USERPOOL_POOL_ID, USERPOOL_CLIENT_ID, USERPOOL_USERNAME and USERPOOL_PASSWORD \
             (and optionally USERPOOL_ENDPOINT, USERPOOL_TOKEN_FILE)"
        );
        return Ok(());
    };

    let mut builder = Auth::builder().user_pool_id(pool).client_id(client);
    if let Some(endpoint) = env("USERPOOL_ENDPOINT") {
        builder = builder.endpoint(endpoint);
    }
    if let Some(file) = env("USERPOOL_TOKEN_FILE") {
        builder = builder.storage(Arc::new(FileStore::new(file)));
    }
    let auth = builder.build()?;
    let _listener = auth.listen(|event| println!("[event] {}", event.name()));

    // Resume a stored session, or sign in.
    if auth.current_session().await.is_err() {
        let password = env("USERPOOL_PASSWORD").ok_or("set USERPOOL_PASSWORD")?;
        let mut result = auth.sign_in(&username, password).await?;
        while let SignInResult::NextStep(step) = &result {
            let answer = match step {
                NextStep::SmsCode { delivery } => {
                    prompt(&format!("SMS code sent to {:?}:", delivery.destination))?
                }
                NextStep::TotpCode => prompt("Code from your authenticator app:")?,
                NextStep::NewPasswordRequired { .. } => prompt("Choose a new password:")?,
                NextStep::CustomChallenge { parameters } => {
                    prompt(&format!("Answer the challenge {parameters:?}:"))?
                }
                NextStep::SelectMfaType { options } => {
                    prompt(&format!("Choose one of {options:?}:"))?
                }
                other => return Err(format!("this example cannot answer {other:?}").into()),
            };
            result = auth.confirm_sign_in(answer).await?;
        }
    }

    let session = auth.current_session().await?;
    println!("session valid until {} (unix time)", session.expires_at());
    let user = auth.current_authenticated_user().await?;
    println!("signed in as {} (sub {:?})", user.username(), user.sub());
    for (name, value) in user.attributes_json() {
        println!("  {name}: {value}");
    }

    if env("USERPOOL_TOKEN_FILE").is_none() {
        auth.sign_out().await?;
    }
    Ok(())
}
