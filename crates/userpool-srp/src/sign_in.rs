//! The client's half of a USER_SRP_AUTH sign-in, without the transport: what to send with
//! `InitiateAuth` (`SRP_A`) and the `PASSWORD_VERIFIER` answer computed from the challenge
//! parameters. The facade, the tests, the benchmarks and the load generator call the two
//! Cognito operations their own way (a `Transport`, an AWS SDK, raw JSON) and share this
//! sequence.

use crate::{PasswordClaimRequest, SrpClient, SrpError, pool_name};

/// One SRP sign-in attempt: a fresh ephemeral key pair, used for one challenge.
#[derive(Debug)]
pub struct SrpSignIn {
    client: SrpClient,
}

/// The `ChallengeResponses` of `RespondToAuthChallenge` for `PASSWORD_VERIFIER`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordVerifierAnswer {
    /// `USERNAME`: the challenge's `USERNAME` (Cognito's internal name for the user).
    pub username: String,
    /// `PASSWORD_CLAIM_SECRET_BLOCK`: the challenge's `SECRET_BLOCK`, sent back.
    pub secret_block: String,
    /// `TIMESTAMP`, as signed.
    pub timestamp: String,
    /// `PASSWORD_CLAIM_SIGNATURE`.
    pub signature: String,
}

impl std::fmt::Debug for PasswordVerifierAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signature proves the password for this challenge: keep it out of logs.
        f.debug_struct("PasswordVerifierAnswer")
            .field("username", &self.username)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl PasswordVerifierAnswer {
    /// The four challenge responses, by name (add `SECRET_HASH` for a client with a
    /// secret, and `DEVICE_KEY` for a remembered device).
    pub fn responses(&self) -> [(&'static str, &str); 4] {
        [
            ("USERNAME", &self.username),
            ("PASSWORD_CLAIM_SECRET_BLOCK", &self.secret_block),
            ("TIMESTAMP", &self.timestamp),
            ("PASSWORD_CLAIM_SIGNATURE", &self.signature),
        ]
    }
}

impl SrpSignIn {
    /// A new attempt (a random private key and its `SRP_A`).
    pub fn new() -> Result<Self, SrpError> {
        Ok(Self {
            client: SrpClient::new()?,
        })
    }

    /// `SRP_A` for `InitiateAuth`'s `AuthParameters`.
    pub fn srp_a(&self) -> &str {
        self.client.srp_a_hex()
    }

    /// The answer to the `PASSWORD_VERIFIER` challenge of pool `user_pool_id`, signed at
    /// `timestamp` (normally [`crate::timestamp`] of now). `parameter` looks up the
    /// challenge's `ChallengeParameters` (`USER_ID_FOR_SRP`, `SALT`, `SRP_B`,
    /// `SECRET_BLOCK`, `USERNAME`); a missing one is [`SrpError::MissingParameter`].
    pub fn answer<'p>(
        &self,
        user_pool_id: &str,
        password: &str,
        timestamp: &str,
        parameter: impl Fn(&str) -> Option<&'p str>,
    ) -> Result<PasswordVerifierAnswer, SrpError> {
        let get =
            |field: &'static str| parameter(field).ok_or(SrpError::MissingParameter { field });
        let user_id_for_srp = get("USER_ID_FOR_SRP")?;
        let secret_block = get("SECRET_BLOCK")?;
        let signature = self.client.password_claim(&PasswordClaimRequest {
            pool_name: pool_name(user_pool_id)?,
            user_id_for_srp,
            password,
            salt_hex: get("SALT")?,
            srp_b_hex: get("SRP_B")?,
            secret_block_b64: secret_block,
            timestamp,
        })?;
        Ok(PasswordVerifierAnswer {
            // Cognito always sends USERNAME; USER_ID_FOR_SRP names the same user.
            username: parameter("USERNAME").unwrap_or(user_id_for_srp).to_owned(),
            secret_block: secret_block.to_owned(),
            timestamp: timestamp.to_owned(),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SrpServer, VerifyRequest, make_verifier};
    use std::collections::HashMap;

    #[test]
    fn the_answer_verifies_against_the_server() {
        let verifier = make_verifier("Pool1", "user-1", "pw");
        let server = SrpServer::new(&verifier).unwrap();
        let sign_in = SrpSignIn::new().unwrap();
        let block_bytes = [7u8; 64];
        let block = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, block_bytes);
        let salt = server.salt_hex();
        let params: HashMap<&str, String> = [
            ("USER_ID_FOR_SRP", "user-1".to_owned()),
            ("USERNAME", "user-1".to_owned()),
            ("SALT", salt),
            ("SRP_B", server.srp_b_hex().to_owned()),
            ("SECRET_BLOCK", block.clone()),
        ]
        .into();
        let ts = crate::timestamp_from_unix(1_793_709_296);
        let answer = sign_in
            .answer("us-east-1_Pool1", "pw", &ts, |k| {
                params.get(k).map(String::as_str)
            })
            .unwrap();
        assert_eq!(answer.responses()[0], ("USERNAME", "user-1"));
        assert!(!format!("{answer:?}").contains(&answer.signature));
        assert!(
            server
                .verify(&VerifyRequest {
                    pool_name: "Pool1",
                    user_id_for_srp: "user-1",
                    srp_a_hex: sign_in.srp_a(),
                    secret_block: &block_bytes,
                    timestamp: &ts,
                    signature_b64: &answer.signature,
                })
                .unwrap()
        );
        let missing = sign_in.answer("us-east-1_Pool1", "pw", &ts, |k| {
            (k != "SRP_B")
                .then(|| params.get(k).map(String::as_str))
                .flatten()
        });
        assert_eq!(missing, Err(SrpError::MissingParameter { field: "SRP_B" }));
    }
}
