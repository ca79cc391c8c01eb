//! The dashboard's "recent sign-ins": a small ring in memory, fed where the sign-in
//! operations answer (`ops::call`), so that every flow (SRP, password, MFA, devices,
//! USER_AUTH, the new-password challenge) is seen in one place. Only what the caller typed
//! as the username, the client, the flow and the outcome are kept: never a password, code
//! or token.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use crate::error::ApiError;
use crate::state::State;

/// How many sign-ins the ring keeps (the oldest goes first).
pub(crate) const CAPACITY: usize = 100;

/// Longest username, client id or message kept, in characters: they come from requests.
const MAX_TEXT: usize = 128;

/// How a sign-in ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Tokens were issued.
    Success,
    /// Refused: the exception name and its message.
    Failure { kind: String, message: String },
}

/// One finished sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignIn {
    pub at_ms: i64,
    /// The pool, when the request named one that exists (or its client did).
    pub pool_id: Option<String>,
    pub client_id: String,
    /// The username as typed (or `USERNAME` of the challenge answer).
    pub username: String,
    /// `AuthFlow` of InitiateAuth, `ChallengeName` of RespondToAuthChallenge.
    pub step: String,
    pub outcome: Outcome,
}

/// The ring of recent sign-ins.
#[derive(Debug, Default)]
pub(crate) struct SignIns {
    ring: Mutex<VecDeque<SignIn>>,
}

impl SignIns {
    /// Adds a sign-in, dropping the oldest beyond [`CAPACITY`].
    pub(crate) fn push(&self, s: SignIn) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.len() >= CAPACITY {
            ring.pop_front();
        }
        ring.push_back(s);
    }

    /// The sign-ins, newest first.
    pub(crate) fn newest_first(&self) -> Vec<SignIn> {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.iter().rev().cloned().collect()
    }
}

fn bounded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}

/// Records the answer of a sign-in operation when it ends a sign-in: tokens, or a refusal.
/// A challenge (the sign-in goes on) and the refresh flows (not a sign-in) are not
/// recorded. `op` and `body` are the operation and its request; other operations are
/// ignored. Returns whether something was recorded.
pub(crate) async fn observe(
    state: &Arc<State>,
    op: &str,
    body: &Value,
    result: &Result<Value, ApiError>,
) -> bool {
    let (step_member, names_member) = match op {
        "InitiateAuth" | "AdminInitiateAuth" => ("AuthFlow", "AuthParameters"),
        "RespondToAuthChallenge" | "AdminRespondToAuthChallenge" => {
            ("ChallengeName", "ChallengeResponses")
        }
        _ => return false,
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(bounded).unwrap_or_default();
    let step = text(body.get(step_member));
    if matches!(step.as_str(), "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN") {
        return false;
    }
    let outcome = match result {
        Ok(answer) if answer.get("AuthenticationResult").is_some() => Outcome::Success,
        // A challenge: the sign-in is not over.
        Ok(_) => return false,
        Err(e) => Outcome::Failure {
            kind: e.kind().to_owned(),
            message: bounded(e.message()),
        },
    };
    let client_id = text(body.get("ClientId"));
    let username = text(body.get(names_member).and_then(|m| m.get("USERNAME")));
    let pool_id = match body.get("UserPoolId").and_then(Value::as_str) {
        Some(id) => Some(bounded(id)),
        // The public calls name the pool through the client (cached by the call itself).
        None => state
            .client(&client_id)
            .await
            .ok()
            .map(|c| c.pool_id.clone()),
    };
    state.dashboard.sign_ins.push(SignIn {
        at_ms: crate::util::now_ms(),
        pool_id,
        client_id,
        username,
        step,
        outcome,
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(n: usize) -> SignIn {
        SignIn {
            at_ms: 0,
            pool_id: None,
            client_id: "c".into(),
            username: format!("user{n}"),
            step: "USER_SRP_AUTH".into(),
            outcome: Outcome::Success,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest() {
        let ring = SignIns::default();
        for n in 0..CAPACITY + 5 {
            ring.push(sign_in(n));
        }
        let all = ring.newest_first();
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].username, format!("user{}", CAPACITY + 4));
        assert_eq!(all[CAPACITY - 1].username, "user5");
    }

    #[test]
    fn long_or_control_text_is_cut() {
        let long = "x".repeat(10_000);
        assert_eq!(bounded(&long).len(), MAX_TEXT);
        assert_eq!(bounded("a\u{0}b\nc"), "abc");
    }
}
