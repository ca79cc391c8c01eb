//! Remembered devices: the `ConfirmDevice` verifier and the device sign-in
//! (`DEVICE_SRP_AUTH` → `DEVICE_PASSWORD_VERIFIER`), client and server side.
//!
//! Device SRP is the user SRP of this crate with three substitutions: the pool name slot
//! holds the DeviceGroupKey, the USER_ID_FOR_SRP slot the DeviceKey and the password slot
//! the device's random password. So `x = H(PAD(salt) || H(DeviceGroupKey || DeviceKey ||
//! ":" || randomPassword))` and the signature is over `DeviceGroupKey || DeviceKey ||
//! SECRET_BLOCK || TIMESTAMP`. The types here wrap [`SrpClient`] and [`SrpServer`] so that
//! a caller cannot put a device key into the pool-name slot by mistake.
//!
//! The one difference in encoding is `ConfirmDevice`'s `DeviceSecretVerifierConfig`: both
//! `Salt` and `PasswordVerifier` are base64 of the PAD (Java `toByteArray()`) form, so a
//! reader that treats the bytes as a signed integer still sees a non-negative number.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::encoding::{SignedInt, hex_minimal};
use crate::field;
use crate::{
    PasswordClaimRequest, PasswordVerifier, SrpClient, SrpError, SrpServer, VerifyRequest,
    make_verifier_with_salt,
};

/// Random bytes behind a device password (`generateRandomString()` draws 40).
pub const DEVICE_PASSWORD_BYTES: usize = 40;

/// Random bytes behind a device salt (`generateHashDevice` draws 16).
pub const DEVICE_SALT_BYTES: usize = 16;

/// Longest decoded `Salt` accepted from a `DeviceSecretVerifierConfig`. The reference
/// client sends at most 17 bytes; the bound only stops a hostile request from making the
/// server hash an unbounded salt.
const MAX_DEVICE_SALT_BYTES: usize = 256;

/// A device's random password: standard base64 (with padding) of 40 random bytes, the
/// 56-character string the reference client stores as `randomPasswordKey`.
///
/// Whoever holds it can sign in as the device, so it is wiped on drop and `Debug` prints
/// `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePassword(Zeroizing<String>);

impl fmt::Debug for DevicePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevicePassword([redacted])")
    }
}

impl DevicePassword {
    /// A fresh password from the operating system's generator.
    pub fn generate() -> Result<DevicePassword, SrpError> {
        let mut bytes = Zeroizing::new([0u8; DEVICE_PASSWORD_BYTES]);
        crate::random_bytes(&mut bytes[..])?;
        Ok(Self::from_random_bytes(&bytes[..]))
    }

    /// The password for given random bytes (for known-answer tests): their base64.
    pub fn from_random_bytes(bytes: &[u8]) -> DevicePassword {
        DevicePassword(Zeroizing::new(STANDARD.encode(bytes)))
    }

    /// A password read back from storage, used as is.
    pub fn new(stored: String) -> DevicePassword {
        DevicePassword(Zeroizing::new(stored))
    }

    /// The password string, for storage and for [`DevicePasswordClaimRequest`].
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `ConfirmDevice`'s `DeviceSecretVerifierConfig`: both fields are standard base64 of the
/// PAD form, so their first byte is always below `0x80`.
///
/// `Debug` shows the salt but not the verifier (the verifier allows an offline search for
/// the password, hopeless for 320 random bits but still nothing for logs).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceSecretVerifierConfig {
    /// `PasswordVerifier`: `base64(PAD(g^x mod N))`.
    pub password_verifier: String,
    /// `Salt`: `base64(PAD(salt))`.
    pub salt: String,
}

impl fmt::Debug for DeviceSecretVerifierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSecretVerifierConfig")
            .field("password_verifier", &format_args!("[redacted]"))
            .field("salt", &self.salt)
            .finish()
    }
}

/// Decodes one base64 field of a `DeviceSecretVerifierConfig` as a signed big-endian
/// integer (Java `new BigInteger(byte[])`), refusing negative and empty values, into its
/// minimal unsigned magnitude.
fn decode_non_negative(
    b64: &str,
    max_bytes: usize,
    field: &'static str,
) -> Result<Vec<u8>, SrpError> {
    // checked before decoding so that an oversized field costs nothing
    if b64.len() > max_bytes.div_ceil(3) * 4 {
        return Err(SrpError::ValueTooLarge { field });
    }
    let bytes = STANDARD
        .decode(b64)
        .map_err(|_| SrpError::InvalidBase64 { field })?;
    match bytes.first() {
        None => Err(SrpError::IllegalParameter {
            what: "a device verifier field is empty",
        }),
        Some(&first) if first >= 0x80 => Err(SrpError::IllegalParameter {
            what: "a device verifier field is negative",
        }),
        Some(_) => Ok(SignedInt::from_unsigned_be(&bytes).magnitude),
    }
}

impl DeviceSecretVerifierConfig {
    /// What a server stores from `ConfirmDevice`: the salt and the verifier, read as the
    /// signed integers of their bytes. Errors: [`SrpError::InvalidBase64`],
    /// [`SrpError::ValueTooLarge`], and [`SrpError::IllegalParameter`] for an empty or
    /// negative value or a verifier outside `1..N`.
    pub fn to_password_verifier(&self) -> Result<PasswordVerifier, SrpError> {
        let salt = decode_non_negative(&self.salt, MAX_DEVICE_SALT_BYTES, "Salt")?;
        let verifier = decode_non_negative(
            &self.password_verifier,
            field::BYTES + 1,
            "PasswordVerifier",
        )?;
        // from_hex applies the verifier's range checks in one place
        PasswordVerifier::from_hex(&hex_minimal(&salt), &hex_minimal(&verifier))
    }
}

/// Everything a client makes for `ConfirmDevice`: the password to keep (as
/// `randomPasswordKey`) and the config to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRegistration {
    /// The device's random password; store it with the device keys.
    pub random_password: DevicePassword,
    /// `DeviceSecretVerifierConfig` for the `ConfirmDevice` request.
    pub verifier_config: DeviceSecretVerifierConfig,
}

impl DeviceRegistration {
    /// A fresh registration for `NewDeviceMetadata {DeviceGroupKey, DeviceKey}`: a random
    /// password and a random 16-byte salt from the operating system.
    pub fn generate(device_group_key: &str, device_key: &str) -> Result<Self, SrpError> {
        let random_password = DevicePassword::generate()?;
        let mut salt = [0u8; DEVICE_SALT_BYTES];
        crate::random_bytes(&mut salt)?;
        let verifier_config =
            device_verifier_config(device_group_key, device_key, &random_password, &salt);
        Ok(DeviceRegistration {
            random_password,
            verifier_config,
        })
    }
}

/// The `DeviceSecretVerifierConfig` for a given password and salt draw (for known-answer
/// tests; real clients use [`DeviceRegistration::generate`]). `salt_random` is read as a
/// non-negative big-endian integer, so its leading zero bytes vanish from `Salt`.
pub fn device_verifier_config(
    device_group_key: &str,
    device_key: &str,
    random_password: &DevicePassword,
    salt_random: &[u8],
) -> DeviceSecretVerifierConfig {
    let salt = SignedInt::from_unsigned_be(salt_random);
    let stored = make_verifier_with_salt(
        salt_random,
        device_group_key,
        device_key,
        random_password.as_str(),
    );
    let verifier = SignedInt::from_unsigned_be(&stored.verifier);
    DeviceSecretVerifierConfig {
        password_verifier: STANDARD.encode(verifier.pad()),
        salt: STANDARD.encode(salt.pad()),
    }
}

/// What `DEVICE_PASSWORD_VERIFIER` needs from the challenge, plus the device's keys and
/// password. `Debug` redacts the password.
#[derive(Clone, Copy)]
pub struct DevicePasswordClaimRequest<'a> {
    /// `NewDeviceMetadata.DeviceGroupKey` (takes the pool name's place).
    pub device_group_key: &'a str,
    /// `NewDeviceMetadata.DeviceKey` (takes USER_ID_FOR_SRP's place).
    pub device_key: &'a str,
    /// The device's random password (see [`DevicePassword::as_str`]).
    pub random_password: &'a str,
    /// SALT from the challenge (signed hex, any case, any length).
    pub salt_hex: &'a str,
    /// SRP_B from the challenge (hex).
    pub srp_b_hex: &'a str,
    /// SECRET_BLOCK from the challenge (base64, decoded leniently).
    pub secret_block_b64: &'a str,
    /// The TIMESTAMP that will be sent with the answer; signed as given.
    pub timestamp: &'a str,
}

impl fmt::Debug for DevicePasswordClaimRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicePasswordClaimRequest")
            .field("device_group_key", &self.device_group_key)
            .field("device_key", &self.device_key)
            .field("random_password", &format_args!("[redacted]"))
            .field("salt_hex", &self.salt_hex)
            .field("srp_b_hex", &self.srp_b_hex)
            .field("secret_block_b64", &self.secret_block_b64)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The client of one device sign-in: the private `a` (wiped on drop, never printed) and
/// `SRP_A` for `DEVICE_SRP_AUTH`.
#[derive(Debug)]
pub struct DeviceSrpClient(SrpClient);

impl DeviceSrpClient {
    /// A client with a fresh random 128-byte `a`.
    pub fn new() -> Result<Self, SrpError> {
        Ok(DeviceSrpClient(SrpClient::new()?))
    }

    /// A client with a given private `a` (big-endian, 1 to 384 bytes, not zero), for
    /// known-answer tests.
    pub fn with_private_key(a: &[u8]) -> Result<Self, SrpError> {
        Ok(DeviceSrpClient(SrpClient::with_private_key(a)?))
    }

    /// `SRP_A` for `DEVICE_SRP_AUTH`: lowercase hex without leading zeros.
    pub fn srp_a_hex(&self) -> &str {
        self.0.srp_a_hex()
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for `DEVICE_PASSWORD_VERIFIER` (44 characters of
    /// standard base64). Errors as [`SrpClient::password_claim`].
    pub fn password_claim(&self, req: &DevicePasswordClaimRequest<'_>) -> Result<String, SrpError> {
        self.0.password_claim(&PasswordClaimRequest {
            pool_name: req.device_group_key,
            user_id_for_srp: req.device_key,
            password: req.random_password,
            salt_hex: req.salt_hex,
            srp_b_hex: req.srp_b_hex,
            secret_block_b64: req.secret_block_b64,
            timestamp: req.timestamp,
        })
    }
}

/// What the server needs to check a `DEVICE_PASSWORD_VERIFIER` answer.
#[derive(Debug, Clone, Copy)]
pub struct DeviceVerifyRequest<'a> {
    /// The device's DeviceGroupKey.
    pub device_group_key: &'a str,
    /// The answer's `DEVICE_KEY`.
    pub device_key: &'a str,
    /// SRP_A from `DEVICE_SRP_AUTH` (hex).
    pub srp_a_hex: &'a str,
    /// The SECRET_BLOCK bytes this server issued for the attempt (decoded).
    pub secret_block: &'a [u8],
    /// TIMESTAMP from the answer; must be canonical.
    pub timestamp: &'a str,
    /// PASSWORD_CLAIM_SIGNATURE from the answer (standard base64).
    pub signature_b64: &'a str,
}

/// The server of one device sign-in: the private `b` (wiped on drop, never printed), the
/// device's verifier and SRP_B.
#[derive(Debug)]
pub struct DeviceSrpServer(SrpServer);

impl DeviceSrpServer {
    /// Starts an attempt with a fresh random 256-bit `b` (as [`SrpServer::new`]):
    /// `B = (k·v + g^b) mod N`, `v`
    /// being what [`DeviceSecretVerifierConfig::to_password_verifier`] stored.
    pub fn new(device: &PasswordVerifier) -> Result<Self, SrpError> {
        Ok(DeviceSrpServer(SrpServer::new(device)?))
    }

    /// Starts an attempt with a given private `b`, for known-answer tests.
    pub fn with_private_key(device: &PasswordVerifier, b: &[u8]) -> Result<Self, SrpError> {
        Ok(DeviceSrpServer(SrpServer::with_private_key(device, b)?))
    }

    /// `SRP_B` for the `DEVICE_PASSWORD_VERIFIER` challenge (`toString(16)` form).
    pub fn srp_b_hex(&self) -> &str {
        self.0.srp_b_hex()
    }

    /// `SALT` for the challenge: `toString(16)` of the stored salt.
    pub fn salt_hex(&self) -> String {
        self.0.salt_hex()
    }

    /// Checks `PASSWORD_CLAIM_SIGNATURE` in constant time: `Ok(false)` for a wrong
    /// password or a tampered message, errors for malformed input (as
    /// [`SrpServer::verify`]).
    pub fn verify(&self, req: &DeviceVerifyRequest<'_>) -> Result<bool, SrpError> {
        self.0.verify(&VerifyRequest {
            pool_name: req.device_group_key,
            user_id_for_srp: req.device_key,
            srp_a_hex: req.srp_a_hex,
            secret_block: req.secret_block,
            timestamp: req.timestamp,
            signature_b64: req.signature_b64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let password = DevicePassword::from_random_bytes(&[0x5a; DEVICE_PASSWORD_BYTES]);
        assert_eq!(password.as_str().len(), 56);
        let config = device_verifier_config("-grp", "us-east-1_dev", &password, &[7; 16]);
        let registration = DeviceRegistration {
            random_password: password.clone(),
            verifier_config: config.clone(),
        };
        let shown = format!("{registration:?}");
        assert!(!shown.contains(password.as_str()), "{shown}");
        assert!(!shown.contains(&config.password_verifier), "{shown}");
        assert!(shown.contains(&config.salt), "{shown}");
        let request = DevicePasswordClaimRequest {
            device_group_key: "-grp",
            device_key: "us-east-1_dev",
            random_password: password.as_str(),
            salt_hex: "7",
            srp_b_hex: "2",
            secret_block_b64: "",
            timestamp: "",
        };
        assert!(!format!("{request:?}").contains(password.as_str()));
    }

    #[test]
    fn stored_config_fields_are_checked() {
        let good = device_verifier_config(
            "-grp",
            "us-east-1_dev",
            &DevicePassword::new("pw".into()),
            &[0xff; 16],
        );
        // a salt with the top bit set carries its 00 sign byte, and reads back without it
        assert_eq!(STANDARD.decode(&good.salt).unwrap().len(), 17);
        assert_eq!(good.to_password_verifier().unwrap().salt, vec![0xff; 16]);

        let with = |salt: &str, verifier: &str| DeviceSecretVerifierConfig {
            password_verifier: verifier.to_owned(),
            salt: salt.to_owned(),
        };
        let negative = STANDARD.encode([0x80, 1]);
        let illegal = |c: DeviceSecretVerifierConfig| {
            matches!(
                c.to_password_verifier(),
                Err(SrpError::IllegalParameter { .. })
            )
        };
        assert!(illegal(with(&negative, &good.password_verifier)));
        assert!(illegal(with(&good.salt, &negative)));
        assert!(illegal(with("", &good.password_verifier)));
        assert!(illegal(with(&good.salt, &STANDARD.encode([0, 0]))));
        assert!(matches!(
            with("not base64!", &good.password_verifier).to_password_verifier(),
            Err(SrpError::InvalidBase64 { field: "Salt" })
        ));
        let huge = STANDARD.encode(vec![1u8; 400]);
        assert!(matches!(
            with(&good.salt, &huge).to_password_verifier(),
            Err(SrpError::ValueTooLarge { .. })
        ));
    }
}
