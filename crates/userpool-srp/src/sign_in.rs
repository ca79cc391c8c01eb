//! The client's half of a USER_SRP_AUTH sign-in, without the transport: what to send with
//! `InitiateAuth` (`SRP_A`) and the `PASSWORD_VERIFIER` answer computed from the challenge
//! parameters. The facade, the tests, the benchmarks and the load generator call the two
//! Cognito operations their own way (a `Transport`, an AWS SDK, raw JSON) and share this
//! sequence.

use crate::{
    DevicePassword, DevicePasswordClaimRequest, DeviceSrpClient, PasswordClaimRequest, SrpClient,
    SrpError, pool_name,
};

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

/// One device sign-in attempt (`DEVICE_SRP_AUTH` then `DEVICE_PASSWORD_VERIFIER`): a
/// fresh ephemeral key pair, used for one challenge. The device counterpart of
/// [`SrpSignIn`], with the device's keys in the pool-name and user-id slots.
#[derive(Debug)]
pub struct DeviceSrpSignIn {
    client: DeviceSrpClient,
}

impl DeviceSrpSignIn {
    /// A new attempt (a random private key and its `SRP_A`).
    pub fn new() -> Result<Self, SrpError> {
        Ok(Self {
            client: DeviceSrpClient::new()?,
        })
    }

    /// An attempt with a given private `a`, for known-answer tests.
    pub fn with_private_key(a: &[u8]) -> Result<Self, SrpError> {
        Ok(Self {
            client: DeviceSrpClient::with_private_key(a)?,
        })
    }

    /// `SRP_A` for the `DEVICE_SRP_AUTH` answer.
    pub fn srp_a(&self) -> &str {
        self.client.srp_a_hex()
    }

    /// The answer to the `DEVICE_PASSWORD_VERIFIER` challenge for the device
    /// `device_key` of the group `device_group_key` (the same four responses as the
    /// user's `PASSWORD_VERIFIER`; the caller adds `DEVICE_KEY`), signed at `timestamp`
    /// (normally [`crate::timestamp`] of now). `parameter` looks up the challenge's
    /// `ChallengeParameters` (`SRP_B`, `SALT`, `SECRET_BLOCK`, `USERNAME`); a missing
    /// one is [`SrpError::MissingParameter`], except `USERNAME`, for which `username`
    /// (the user of the sign-in) stands in, as the reference client does.
    pub fn answer<'p>(
        &self,
        device_group_key: &str,
        device_key: &str,
        random_password: &DevicePassword,
        username: &str,
        timestamp: &str,
        parameter: impl Fn(&str) -> Option<&'p str>,
    ) -> Result<PasswordVerifierAnswer, SrpError> {
        let get =
            |field: &'static str| parameter(field).ok_or(SrpError::MissingParameter { field });
        let secret_block = get("SECRET_BLOCK")?;
        let signature = self.client.password_claim(&DevicePasswordClaimRequest {
            device_group_key,
            device_key,
            random_password: random_password.as_str(),
            salt_hex: get("SALT")?,
            srp_b_hex: get("SRP_B")?,
            secret_block_b64: secret_block,
            timestamp,
        })?;
        Ok(PasswordVerifierAnswer {
            username: parameter("USERNAME").unwrap_or(username).to_owned(),
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

    #[test]
    fn the_device_answer_verifies_against_the_device_server() {
        use crate::{
            DeviceRegistration, DeviceSrpServer, DeviceVerifyRequest, decode_secret_block,
        };
        let registration = DeviceRegistration::generate("-grpKey01", "eu-west-1_dev-1").unwrap();
        let stored = registration.verifier_config.to_password_verifier().unwrap();
        let server = DeviceSrpServer::new(&stored).unwrap();
        let sign_in = DeviceSrpSignIn::new().unwrap();
        let block = "c2VjcmV0LWJsb2Nr";
        let params: HashMap<&str, String> = [
            ("SALT", server.salt_hex()),
            ("SRP_B", server.srp_b_hex().to_owned()),
            ("SECRET_BLOCK", block.to_owned()),
        ]
        .into();
        let ts = crate::timestamp_from_unix(1_793_709_296);
        let lookup = |k: &str| params.get(k).map(String::as_str);
        let answer = sign_in
            .answer(
                "-grpKey01",
                "eu-west-1_dev-1",
                &registration.random_password,
                "user-1",
                &ts,
                lookup,
            )
            .unwrap();
        // Without USERNAME in the challenge, the sign-in's user stands in.
        assert_eq!(answer.responses()[0], ("USERNAME", "user-1"));
        assert_eq!(answer.secret_block, block);
        let shown = format!("{answer:?}");
        assert!(!shown.contains(&answer.signature), "{shown}");
        let verify = |signature: &str, device_key: &str| {
            server
                .verify(&DeviceVerifyRequest {
                    device_group_key: "-grpKey01",
                    device_key,
                    srp_a_hex: sign_in.srp_a(),
                    secret_block: &decode_secret_block(block).unwrap(),
                    timestamp: &ts,
                    signature_b64: signature,
                })
                .unwrap()
        };
        assert!(verify(&answer.signature, "eu-west-1_dev-1"));
        // The device key is signed: another device's key does not verify.
        assert!(!verify(&answer.signature, "eu-west-1_dev-2"));

        // A wrong device password gives a signature the server refuses.
        let wrong = sign_in
            .answer(
                "-grpKey01",
                "eu-west-1_dev-1",
                &DevicePassword::new("not-the-password".into()),
                "user-1",
                &ts,
                lookup,
            )
            .unwrap();
        assert!(!verify(&wrong.signature, "eu-west-1_dev-1"));

        // The challenge's USERNAME wins over the stand-in.
        let named: HashMap<&str, String> = params
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .chain([("USERNAME", "internal-1".to_owned())])
            .collect();
        let answer = sign_in
            .answer(
                "-grpKey01",
                "eu-west-1_dev-1",
                &registration.random_password,
                "user-1",
                &ts,
                |k| named.get(k).map(String::as_str),
            )
            .unwrap();
        assert_eq!(answer.username, "internal-1");

        for missing in ["SALT", "SRP_B", "SECRET_BLOCK"] {
            let result = sign_in.answer(
                "-grpKey01",
                "eu-west-1_dev-1",
                &registration.random_password,
                "user-1",
                &ts,
                |k| (k != missing).then(|| lookup(k)).flatten(),
            );
            assert_eq!(
                result,
                Err(SrpError::MissingParameter { field: missing }),
                "{missing}"
            );
        }
    }

    /// Every device vector of the reference client, through the sign-in helper: the same
    /// SRP_A and PASSWORD_CLAIM_SIGNATURE as the JavaScript client.
    #[test]
    fn the_device_answer_matches_the_reference_vectors() {
        let vectors = include_str!("../tests/vectors/device-srp.jsonl");
        let mut checked = 0;
        for line in vectors.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("field {k}"));
            let a: Vec<u8> = (0..s("a_hex").len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s("a_hex")[i..i + 2], 16).unwrap())
                .collect();
            let sign_in = DeviceSrpSignIn::with_private_key(&a).unwrap();
            assert_eq!(sign_in.srp_a(), s("srp_a_hex"), "{}", s("case"));
            let params: HashMap<&str, &str> = [
                ("SALT", s("salt_hex")),
                ("SRP_B", s("srp_b_hex")),
                ("SECRET_BLOCK", s("secret_block_b64")),
                ("USERNAME", s("username")),
            ]
            .into();
            let answer = sign_in
                .answer(
                    s("device_group_key"),
                    s("device_key"),
                    &DevicePassword::new(s("random_password").to_owned()),
                    "unused",
                    s("timestamp"),
                    |k| params.get(k).copied(),
                )
                .unwrap();
            assert_eq!(answer.signature, s("signature_b64"), "{}", s("case"));
            assert_eq!(answer.username, s("username"));
            checked += 1;
        }
        assert_eq!(checked, 10);
    }
}
