//! The server's use of `userpool-srp`, in one place: verifiers, password checks, the server
//! side of an SRP exchange, the canonical TIMESTAMP, SECRET_HASH, the calendar. (Request
//! parsing also reads `userpool_srp::MAX_HEX_DIGITS`, the bound on a hex parameter.)

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::error::ApiError;

use userpool_srp as backend;

/// The one calendar of the workspace (SigV4's `X-Amz-Date` needs it too).
pub(crate) use backend::calendar::CivilTime;

/// A stored password verifier: salt and SRP verifier, never the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct StoredVerifier {
    pub salt: Vec<u8>,
    pub verifier: Vec<u8>,
}

impl fmt::Debug for StoredVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredVerifier(<redacted>)")
    }
}

impl StoredVerifier {
    fn to_backend(&self) -> backend::PasswordVerifier {
        backend::PasswordVerifier {
            salt: self.salt.clone(),
            verifier: self.verifier.clone(),
        }
    }
}

fn pool_name(pool_id: &str) -> Result<&str, ApiError> {
    backend::pool_name(pool_id).map_err(ApiError::internal)
}

/// Makes the verifier of a password (one modular exponentiation: the operations run it on
/// the crypto pool, `ops::crypto`).
pub(crate) fn make_verifier(
    pool_id: &str,
    user_id_for_srp: &str,
    password: &str,
) -> Result<StoredVerifier, ApiError> {
    let v = backend::try_make_verifier(pool_name(pool_id)?, user_id_for_srp, password)
        .map_err(ApiError::internal)?;
    Ok(StoredVerifier {
        salt: v.salt,
        verifier: v.verifier,
    })
}

/// Checks a password against a stored verifier, in constant time (a modular
/// exponentiation: run it on the crypto pool).
pub(crate) fn check_password(
    pool_id: &str,
    user_id_for_srp: &str,
    password: &str,
    stored: &StoredVerifier,
) -> Result<bool, ApiError> {
    Ok(backend::check_password(
        pool_name(pool_id)?,
        user_id_for_srp,
        password,
        &stored.to_backend(),
    ))
}

/// The server half of one SRP exchange (holds the secret `b`), and the credential
/// generation of the user when its verifier was read.
pub(crate) struct ServerStep {
    inner: backend::SrpServer,
    generation: i64,
}

impl fmt::Debug for ServerStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerStep(<redacted>)")
    }
}

/// The client's answer to PASSWORD_VERIFIER.
pub(crate) struct ClientProof<'a> {
    pub srp_a_hex: &'a str,
    pub secret_block: &'a [u8],
    pub timestamp: &'a str,
    pub signature_b64: &'a str,
}

impl ServerStep {
    /// Picks `b` and computes `B` for a verifier.
    pub(crate) fn start(stored: &StoredVerifier) -> Result<Self, ApiError> {
        let inner = backend::SrpServer::new(&stored.to_backend()).map_err(ApiError::internal)?;
        Ok(Self {
            inner,
            generation: 0,
        })
    }

    /// The same step, remembering the credential generation its verifier was read under.
    pub(crate) fn with_generation(mut self, generation: i64) -> Self {
        self.generation = generation;
        self
    }

    /// The credential generation the verifier was read under.
    pub(crate) fn generation(&self) -> i64 {
        self.generation
    }

    /// `SRP_B` as hex.
    pub(crate) fn b_hex(&self) -> String {
        self.inner.srp_b_hex().to_owned()
    }

    /// `SALT` as hex.
    pub(crate) fn salt_hex(&self) -> String {
        self.inner.salt_hex()
    }

    /// Verifies the client's signature in constant time. `Ok(false)` for a wrong password;
    /// an error for a malformed `SRP_A` (also a failed sign-in for the caller).
    pub(crate) fn verify(
        &self,
        pool_id: &str,
        user_id_for_srp: &str,
        proof: &ClientProof<'_>,
    ) -> Result<bool, ApiError> {
        let req = backend::VerifyRequest {
            pool_name: pool_name(pool_id)?,
            user_id_for_srp,
            srp_a_hex: proof.srp_a_hex,
            secret_block: proof.secret_block,
            timestamp: proof.timestamp,
            signature_b64: proof.signature_b64,
        };
        Ok(self.inner.verify(&req).unwrap_or(false))
    }
}

/// Decodes a PASSWORD_CLAIM_SECRET_BLOCK (leniently, as the SRP crate does).
pub(crate) fn decode_secret_block(text: &str) -> Option<Vec<u8>> {
    backend::decode_secret_block(text).ok()
}

/// Checks that a TIMESTAMP is in the canonical Cognito format and within `skew` of now.
pub(crate) fn check_timestamp(text: &str, skew: Duration) -> Result<(), ApiError> {
    // parse_timestamp accepts only the canonical form.
    let fresh = backend::timestamp_is_fresh(text, SystemTime::now(), skew).map_err(|_| {
        ApiError::invalid_parameter(
            "TIMESTAMP must be in the format EEE MMM d HH:mm:ss UTC yyyy (day not zero-padded).",
        )
    })?;
    if !fresh {
        return Err(ApiError::not_authorized(
            "TIMESTAMP is not within the accepted clock skew of the server.",
        ));
    }
    Ok(())
}

/// SECRET_HASH = base64(HMAC-SHA256(client_secret, username || client_id)): the client's
/// own computation, so that both sides cannot drift apart.
pub(crate) fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    backend::secret_hash(client_secret, username, client_id)
}

/// The verifier of a device from ConfirmDevice's `DeviceSecretVerifierConfig` (`Salt`,
/// `PasswordVerifier`: base64 of the PAD form). Cheap (decoding and range checks, no
/// exponentiation). A malformed value is `InvalidParameterException`.
pub(crate) fn device_verifier(
    salt_b64: &str,
    verifier_b64: &str,
) -> Result<StoredVerifier, ApiError> {
    let config = backend::DeviceSecretVerifierConfig {
        password_verifier: verifier_b64.to_owned(),
        salt: salt_b64.to_owned(),
    };
    let v = config.to_password_verifier().map_err(|e| {
        ApiError::invalid_parameter(format!("Invalid DeviceSecretVerifierConfig: {e}."))
    })?;
    Ok(StoredVerifier {
        salt: v.salt,
        verifier: v.verifier,
    })
}

/// The server half of one device sign-in (DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER):
/// holds the secret `b`.
pub(crate) struct DeviceStep {
    inner: backend::DeviceSrpServer,
}

impl fmt::Debug for DeviceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceStep(<redacted>)")
    }
}

impl DeviceStep {
    /// Picks `b` and computes `B` for a device's verifier (one modular exponentiation: run
    /// it on the crypto pool).
    pub(crate) fn start(stored: &StoredVerifier) -> Result<Self, ApiError> {
        let inner =
            backend::DeviceSrpServer::new(&stored.to_backend()).map_err(ApiError::internal)?;
        Ok(Self { inner })
    }

    /// `SRP_B` as hex.
    pub(crate) fn b_hex(&self) -> String {
        self.inner.srp_b_hex().to_owned()
    }

    /// `SALT` as hex.
    pub(crate) fn salt_hex(&self) -> String {
        self.inner.salt_hex()
    }

    /// Verifies the device's signature in constant time (run it on the crypto pool).
    /// `false` for a wrong device password, and for a malformed `SRP_A` or signature.
    pub(crate) fn verify(
        &self,
        device_group_key: &str,
        device_key: &str,
        proof: &ClientProof<'_>,
    ) -> bool {
        let req = backend::DeviceVerifyRequest {
            device_group_key,
            device_key,
            srp_a_hex: proof.srp_a_hex,
            secret_block: proof.secret_block,
            timestamp: proof.timestamp,
            signature_b64: proof.signature_b64,
        };
        self.inner.verify(&req).unwrap_or(false)
    }
}
