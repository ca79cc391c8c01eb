//! The tiny HTTP server the transport's tests talk to, and their shared helpers.
#![allow(dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use userpool_transport::{
    AuthOutcome, ChallengeRequest, ChallengeResponse, ClientMetadata, InitiateAuth, SignUpRequest,
    Transport,
};
use userpool_transport_sdk::SdkTransport;
use userpool_types::{
    AttributeName, Attributes, ChallengeName, ClientId, ClientSecret, Code, DeliveryMedium, Error,
    Password, SecretString, Username,
};

pub const CLIENT_ID: &str = "7abc123clientid";
pub const SECRET: &str = "cl13nt-s3cr3t-value";
pub const PASSWORD: &str = "Pa55word-never-logged!";
pub const ACCESS_TOKEN: &str = "eyJ.access-token-never-logged.sig";
pub const REFRESH_TOKEN: &str = "eyJ.refresh-token-never-logged.sig";

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// What the server does with one request.
#[derive(Clone)]
pub enum Reply {
    /// A JSON answer (`application/x-amz-json-1.1`).
    Json(u16, String),
    /// Any answer.
    Raw(u16, &'static str, String),
    /// Read the request, then close the connection without answering.
    HangUp,
    /// Read the request, then never answer (the connection stays open).
    Silent,
}

pub fn ok(body: Value) -> Reply {
    Reply::Json(200, body.to_string())
}

pub fn exception(status: u16, name: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({ "__type": name, "message": message }).to_string(),
    )
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn target(&self) -> &str {
        self.header("x-amz-target").unwrap_or_default()
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Answers the n-th request with `replies[n]`, and every later one with the last reply.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let replies = replies.clone();
                tokio::spawn(async move { serve(stream, recorded, replies).await });
            }
        });
        Self { addr, requests }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("no request was made")
    }
}

/// One connection: requests in a loop (keep-alive), each answered by the next reply.
pub async fn serve(
    mut stream: TcpStream,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    replies: Vec<Reply>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let index = {
            let mut all = recorded.lock().unwrap();
            all.push(request);
            all.len() - 1
        };
        let reply = replies[index.min(replies.len() - 1)].clone();
        let (status, content_type, body) = match reply {
            Reply::Json(status, body) => (status, "application/x-amz-json-1.1", body),
            Reply::Raw(status, content_type, body) => (status, content_type, body),
            Reply::HangUp => return,
            Reply::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
             x-amzn-requestid: test-request\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

pub async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Recorded> {
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buffer
        .drain(..header_end + length)
        .skip(header_end)
        .collect();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Recorded { headers, body })
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

pub fn client_id() -> ClientId {
    ClientId::new(CLIENT_ID).unwrap()
}

pub fn user(name: &str) -> Username {
    Username::new(name).unwrap()
}

pub fn transport(server: &Server, secret: Option<&str>) -> SdkTransport {
    SdkTransport::builder()
        .client_id(client_id())
        .client_secret(secret.map(ClientSecret::from))
        .region("eu-west-1")
        .endpoint(server.url())
        .operation_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn no_metadata() -> ClientMetadata {
    BTreeMap::new()
}

pub fn expected_hash(username: &str) -> String {
    userpool_srp::secret_hash(SECRET, username, CLIENT_ID)
}

pub fn sign_up_request() -> SignUpRequest {
    SignUpRequest::new(user("alice"), Password::from(PASSWORD))
        .with_attributes(
            Attributes::try_from([("email", "alice@example.com"), ("custom:team", "t1")]).unwrap(),
        )
        .with_validation_data(Attributes::try_from([("invite", "xyz")]).unwrap())
        .with_client_metadata(BTreeMap::from([("source".to_owned(), "test".to_owned())]))
}

pub fn tokens_answer() -> Value {
    json!({
        "AuthenticationResult": {
            "AccessToken": ACCESS_TOKEN,
            "IdToken": "eyJ.id.sig",
            "RefreshToken": REFRESH_TOKEN,
            "ExpiresIn": 3600,
            "TokenType": "Bearer"
        },
        "ChallengeParameters": {}
    })
}
