//! The Cognito JSON 1.1 protocol over [`crate::http::Client`]: calls, the admin set-up of a
//! pool with users, and the sign-in flows.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::http::{Client, Endpoint};

/// The password every benchmark user gets: satisfies Cognito's default policy.
pub const PASSWORD: &str = "Bench-Passw0rd!";
const TEMP_PASSWORD: &str = "Temp-Passw0rd!";

/// The calls that refresh a session, as `userpool-countproxy` labels them (the operation,
/// and for InitiateAuth its flow): Amplify v5 and the reference client refresh with
/// `InitiateAuth` (`REFRESH_TOKEN_AUTH`, or its alias `REFRESH_TOKEN`), Amplify v6 and
/// userpool with `GetTokensFromRefreshToken`. A count of refreshes that leaves one out
/// reads a real refresh as none.
pub const REFRESH_LABELS: &[&str] = &[
    "InitiateAuth:REFRESH_TOKEN_AUTH",
    "InitiateAuth:REFRESH_TOKEN",
    "GetTokensFromRefreshToken",
];

/// True if a request counted under `label` refreshes a session ([`REFRESH_LABELS`]).
pub fn is_refresh(label: &str) -> bool {
    REFRESH_LABELS.contains(&label)
}

/// The name of benchmark user `i`. Shaped like an email address: cognito-local makes
/// every pool an email-as-username pool, and the other servers accept it as a username.
pub fn username(i: usize) -> String {
    format!("bench-user-{i:05}@example.com")
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The connection failed or timed out.
    Io(std::io::Error),
    /// The server answered with an error.
    Api {
        /// HTTP status.
        status: u16,
        /// `__type` or the `x-amzn-ErrorType` header.
        kind: String,
        /// `message`, or the start of a non-JSON body.
        message: String,
    },
    /// The server answered 200 with something unexpected.
    Unexpected(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Io(e) => write!(f, "io: {e}"),
            CallError::Api {
                status,
                kind,
                message,
            } => write!(f, "HTTP {status} {kind}: {message}"),
            CallError::Unexpected(m) => write!(f, "unexpected answer: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

/// A Cognito client over one kept-alive connection.
#[derive(Debug)]
pub struct Api {
    /// The connection.
    pub http: Client,
}

impl Api {
    /// A client of `endpoint` (connects on first use).
    pub fn new(endpoint: Endpoint) -> Api {
        Api {
            http: Client::new(endpoint),
        }
    }

    /// Calls `operation` with `body`. Admin operations carry a SigV4-shaped Authorization
    /// header with dummy credentials (local servers accept any credentials).
    pub async fn call(
        &mut self,
        operation: &str,
        body: &Value,
        admin: bool,
    ) -> Result<Value, CallError> {
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
        let date = amz_date(SystemTime::now());
        let auth;
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &target),
        ];
        if admin {
            auth = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDLOCALBENCH/{}/us-east-1/cognito-idp/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
                &date[..8],
                "0".repeat(64)
            );
            headers.push(("X-Amz-Date", &date));
            headers.push(("Authorization", &auth));
        }
        let response = self
            .http
            .post(&headers, &bytes)
            .await
            .map_err(CallError::Io)?;
        let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
        if response.status != 200 {
            let kind = parsed
                .as_ref()
                .and_then(|v| v.get("__type"))
                .and_then(Value::as_str)
                .or_else(|| response.header("x-amzn-errortype"))
                .unwrap_or("")
                .rsplit('#')
                .next()
                .unwrap_or("")
                .split(':')
                .next()
                .unwrap_or("")
                .to_owned();
            let message = parsed
                .as_ref()
                .and_then(|v| v.get("message").or_else(|| v.get("Message")))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(200)
                        .collect()
                });
            return Err(CallError::Api {
                status: response.status,
                kind,
                message,
            });
        }
        if response.body.is_empty() {
            return Ok(json!({}));
        }
        parsed.ok_or_else(|| {
            CallError::Unexpected(
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect(),
            )
        })
    }
}

/// `YYYYMMDDTHHMMSSZ` for X-Amz-Date.
fn amz_date(now: SystemTime) -> String {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let t = userpool_srp::calendar::CivilTime::from_unix(secs);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A pool, an app client and users, all with [`PASSWORD`].
#[derive(Debug, Clone)]
pub struct Setup {
    /// The user pool id.
    pub pool_id: String,
    /// The app client id (no secret).
    pub client_id: String,
    /// The users' names.
    pub usernames: Vec<String>,
}

impl Setup {
    /// As JSON, for the other programs of the benchmark.
    pub fn to_json(&self) -> Value {
        json!({
            "pool_id": self.pool_id,
            "client_id": self.client_id,
            "usernames": self.usernames,
            "password": PASSWORD,
        })
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, CallError> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p).ok_or_else(|| {
            CallError::Unexpected(format!("no {} in {}", path.join("."), short(v)))
        })?;
    }
    cur.as_str()
        .ok_or_else(|| CallError::Unexpected(format!("{} is not a string", path.join("."))))
}

fn short(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}

/// Creates a pool and an app client that allows USER_PASSWORD_AUTH, USER_SRP_AUTH and
/// REFRESH_TOKEN_AUTH.
pub async fn create_pool(api: &mut Api, name: &str) -> Result<(String, String), CallError> {
    let pool = api
        .call("CreateUserPool", &json!({ "PoolName": name }), true)
        .await?;
    let pool_id = str_at(&pool, &["UserPool", "Id"])?.to_owned();
    let client = api
        .call(
            "CreateUserPoolClient",
            &json!({
                "UserPoolId": pool_id,
                "ClientName": "bench",
                "GenerateSecret": false,
                "ExplicitAuthFlows": [
                    "ALLOW_USER_PASSWORD_AUTH",
                    "ALLOW_USER_SRP_AUTH",
                    "ALLOW_REFRESH_TOKEN_AUTH"
                ]
            }),
            true,
        )
        .await?;
    let client_id = str_at(&client, &["UserPoolClient", "ClientId"])?.to_owned();
    Ok((pool_id, client_id))
}

/// Creates one confirmed user with [`PASSWORD`]: AdminCreateUser (no message) then
/// AdminSetUserPassword(Permanent); when the server lacks the latter, SignUp then
/// AdminConfirmSignUp.
pub async fn create_user(
    api: &mut Api,
    pool_id: &str,
    client_id: &str,
    username: &str,
) -> Result<(), CallError> {
    let created = api
        .call(
            "AdminCreateUser",
            &json!({
                "UserPoolId": pool_id,
                "Username": username,
                "TemporaryPassword": TEMP_PASSWORD,
                "MessageAction": "SUPPRESS",
            }),
            true,
        )
        .await;
    if created.is_ok() {
        let set = api
            .call(
                "AdminSetUserPassword",
                &json!({
                    "UserPoolId": pool_id,
                    "Username": username,
                    "Password": PASSWORD,
                    "Permanent": true,
                }),
                true,
            )
            .await;
        if set.is_ok() {
            return Ok(());
        }
        // Fall back below on a fresh name-independent path: remove the half-made user.
        let _ = api
            .call(
                "AdminDeleteUser",
                &json!({ "UserPoolId": pool_id, "Username": username }),
                true,
            )
            .await;
        if let Err(e) = set {
            eprintln!("AdminSetUserPassword failed ({e}); trying SignUp + AdminConfirmSignUp");
        }
    }
    api.call(
        "SignUp",
        &json!({ "ClientId": client_id, "Username": username, "Password": PASSWORD }),
        false,
    )
    .await?;
    api.call(
        "AdminConfirmSignUp",
        &json!({ "UserPoolId": pool_id, "Username": username }),
        true,
    )
    .await?;
    Ok(())
}

/// Creates a pool, its client and `users` users, `parallel` at a time.
pub async fn setup(endpoint: &Endpoint, users: usize, parallel: usize) -> Result<Setup, CallError> {
    let mut api = Api::new(endpoint.clone());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let (pool_id, client_id) = create_pool(&mut api, &format!("bench-{nanos}")).await?;
    let usernames: Vec<String> = (0..users).map(username).collect();
    let parallel = parallel.clamp(1, users.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..parallel {
        let endpoint = endpoint.clone();
        let (pool_id, client_id) = (pool_id.clone(), client_id.clone());
        let names: Vec<String> = usernames
            .iter()
            .skip(w)
            .step_by(parallel)
            .cloned()
            .collect();
        tasks.spawn(async move {
            let mut api = Api::new(endpoint);
            for name in names {
                create_user(&mut api, &pool_id, &client_id, &name).await?;
            }
            Ok::<(), CallError>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| CallError::Unexpected(format!("set-up task: {e}")))??;
    }
    Ok(Setup {
        pool_id,
        client_id,
        usernames,
    })
}

/// Checks that an answer carries tokens; returns the AuthenticationResult.
fn tokens(answer: Value) -> Result<Value, CallError> {
    match answer.get("AuthenticationResult") {
        Some(r) if r.get("AccessToken").and_then(Value::as_str).is_some() => Ok(r.clone()),
        _ => Err(CallError::Unexpected(format!(
            "no tokens: {}",
            short(&answer)
        ))),
    }
}

/// USER_PASSWORD_AUTH: one round trip.
pub async fn sign_in_password(
    api: &mut Api,
    client_id: &str,
    username: &str,
    password: &str,
) -> Result<Value, CallError> {
    let answer = api
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": { "USERNAME": username, "PASSWORD": password },
            }),
            false,
        )
        .await?;
    tokens(answer)
}

/// USER_SRP_AUTH then PASSWORD_VERIFIER: two round trips and the client's SRP work.
pub async fn sign_in_srp(
    api: &mut Api,
    pool_id: &str,
    client_id: &str,
    username: &str,
    password: &str,
) -> Result<Value, CallError> {
    let sign_in =
        userpool_srp::SrpSignIn::new().map_err(|e| CallError::Unexpected(e.to_string()))?;
    let challenge = api
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_SRP_AUTH",
                "ClientId": client_id,
                "AuthParameters": { "USERNAME": username, "SRP_A": sign_in.srp_a() },
            }),
            false,
        )
        .await?;
    let params = challenge
        .get("ChallengeParameters")
        .ok_or_else(|| CallError::Unexpected(format!("no challenge: {}", short(&challenge))))?;
    let timestamp = userpool_srp::timestamp(SystemTime::now());
    let answer = sign_in
        .answer(pool_id, password, &timestamp, |k| {
            params.get(k).and_then(Value::as_str)
        })
        .map_err(|e| CallError::Unexpected(format!("SRP: {e}")))?;
    let responses: serde_json::Map<String, Value> = answer
        .responses()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), json!(value)))
        .collect();
    let mut body = json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ClientId": client_id,
        "ChallengeResponses": responses,
    });
    if let Some(session) = challenge.get("Session") {
        body["Session"] = session.clone();
    }
    let answer = api.call("RespondToAuthChallenge", &body, false).await?;
    tokens(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn both_ways_of_refreshing_count_as_refreshes() {
        assert!(is_refresh("InitiateAuth:REFRESH_TOKEN_AUTH"));
        assert!(is_refresh("InitiateAuth:REFRESH_TOKEN"));
        assert!(is_refresh("GetTokensFromRefreshToken"));
        assert!(!is_refresh("InitiateAuth:USER_PASSWORD_AUTH"));
        assert!(!is_refresh("RevokeToken"));
        assert!(!is_refresh("total"));
    }

    #[test]
    fn amz_date_formats_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29T12:34:56Z
        assert_eq!(amz_date(t), "20240229T123456Z");
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
    }
}
