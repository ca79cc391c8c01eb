//! The session: three tokens and the clock drift, with the validity rule.

use std::fmt;

use crate::{AccessToken, Error, IdToken, RefreshToken};

/// The difference between this machine's clock and the server's, in seconds:
/// `local now − server iat` at the moment the tokens arrived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockDrift(i64);

impl ClockDrift {
    /// A drift of `seconds`.
    pub fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// The drift in seconds.
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// Computes the drift from the local time at arrival and the tokens' `iat`:
    /// `now − min(iat of access token, iat of id token)`. Zero when neither has `iat`.
    pub fn measure(now: i64, id: &IdToken, access: &AccessToken) -> Self {
        match (id.iat(), access.iat()) {
            (Some(a), Some(b)) => Self(now - a.min(b)),
            (Some(a), None) | (None, Some(a)) => Self(now - a),
            (None, None) => Self(0),
        }
    }

    /// Reads a stored drift with [`ClockDriftFormat::Auto`]; see there for the rules.
    pub fn parse_stored(value: &str) -> Result<Self, Error> {
        Self::parse_stored_as(value, ClockDriftFormat::Auto)
    }

    /// Reads a stored drift written in `format`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] for a value that is not a finite number of sensible size (the
    /// message gives its length, never the value).
    pub fn parse_stored_as(value: &str, format: ClockDriftFormat) -> Result<Self, Error> {
        let value = value.trim();
        let invalid = || Error::Storage {
            reason: format!("clockDrift is not a number ({} bytes)", value.len()),
            source: None,
        };
        let number: f64 = value.parse().map_err(|_| invalid())?;
        if !number.is_finite() || number.abs() > 1e12 {
            return Err(invalid());
        }
        let whole = !value.contains(['.', 'e', 'E']);
        let v6_millis = match format {
            ClockDriftFormat::AmplifyV5 => false,
            ClockDriftFormat::AmplifyV6 => true,
            ClockDriftFormat::Auto => whole && number.abs() >= 1000.0,
        };
        // Both conversions are bounded by the 1e12 check above.
        Ok(if v6_millis {
            // Amplify v6: iat − now, in milliseconds.
            Self((-number / 1000.0).round() as i64)
        } else {
            Self(number.round() as i64)
        })
    }

    /// The form [`ClockDriftFormat::Auto`] and [`ClockDriftFormat::AmplifyV5`] write:
    /// whole seconds, with a `.0` suffix from 1000 s on so that
    /// [`ClockDrift::parse_stored`] cannot take it for Amplify v6's milliseconds.
    pub fn to_stored(self) -> String {
        self.to_stored_as(ClockDriftFormat::Auto)
    }

    /// The form written to storage in `format`.
    pub fn to_stored_as(self, format: ClockDriftFormat) -> String {
        match format {
            ClockDriftFormat::AmplifyV6 => self.0.saturating_mul(-1000).to_string(),
            ClockDriftFormat::Auto | ClockDriftFormat::AmplifyV5 => {
                if self.0.unsigned_abs() >= 1000 {
                    format!("{}.0", self.0)
                } else {
                    self.0.to_string()
                }
            }
        }
    }
}

/// How the `clockDrift` entry of a token store is written. The key is the same for every
/// writer, but the reference clients disagree on unit and sign:
///
/// | writer | value | unit |
/// |---|---|---|
/// | amazon-cognito-identity-js, Amplify JS v5, this library | `local now − server iat` | seconds |
/// | Amplify JS v6 (`cacheCognitoTokens`) | `server iat − local now` | milliseconds |
///
/// (Amplify v6 then counts a token as expired when `now + drift + tolerance > exp`, both
/// in milliseconds; v5 when `now − drift ≥ exp`, in seconds.)
///
/// A store that only this library writes needs no setting. Choose
/// [`AmplifyV6`](Self::AmplifyV6) for a store that Amplify v6 wrote or also reads, so
/// that its values are read and written its way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClockDriftFormat {
    /// Reads what the value itself says, and writes seconds:
    ///
    /// - a number with a decimal point or an exponent is seconds, `local − server` (this
    ///   library writes drifts of 1000 s or more as `"-1200.0"`);
    /// - a whole number of magnitude 1000 or more is Amplify v6's milliseconds,
    ///   `server − local` (a v5 client whose clock is more than 16 minutes off is far
    ///   rarer than a v6 drift of a second or more);
    /// - a smaller whole number is seconds, `local − server`. This is the case the value
    ///   cannot decide: an Amplify v6 drift under one second looks the same. A store
    ///   written by Amplify v6 should say [`AmplifyV6`](Self::AmplifyV6).
    #[default]
    Auto,
    /// amazon-cognito-identity-js and Amplify JS v5: seconds, `local − server`.
    AmplifyV5,
    /// Amplify JS v6: milliseconds, `server − local`.
    AmplifyV6,
}

/// A signed-in user's tokens.
///
/// A session is valid while `(now − drift) < exp − margin` for both the access token and
/// the ID token, where `now` is this machine's clock and `exp` the server's.
#[derive(Clone)]
pub struct Session {
    id_token: IdToken,
    access_token: AccessToken,
    refresh_token: Option<RefreshToken>,
    clock_drift: ClockDrift,
}

impl Session {
    /// Builds a session.
    pub fn new(
        id_token: IdToken,
        access_token: AccessToken,
        refresh_token: Option<RefreshToken>,
        clock_drift: ClockDrift,
    ) -> Self {
        Self {
            id_token,
            access_token,
            refresh_token,
            clock_drift,
        }
    }

    /// Builds a session from tokens that just arrived, measuring the drift at `now`.
    pub fn arrived(
        id_token: IdToken,
        access_token: AccessToken,
        refresh_token: Option<RefreshToken>,
        now: i64,
    ) -> Self {
        let drift = ClockDrift::measure(now, &id_token, &access_token);
        Self::new(id_token, access_token, refresh_token, drift)
    }

    /// The ID token.
    pub fn id_token(&self) -> &IdToken {
        &self.id_token
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token, when the session has one.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The user's groups (`cognito:groups`), as the id token names them, or the access
    /// token when the id token has no such claim; empty when the user is in no group.
    /// The tokens say what the groups were when they were issued: a change shows after
    /// the next sign-in or refresh.
    pub fn groups(&self) -> &[String] {
        match self.id_token.groups() {
            [] => self.access_token.groups(),
            groups => groups,
        }
    }

    /// The IAM roles of the user's groups (`cognito:roles` of the id token).
    pub fn roles(&self) -> &[String] {
        self.id_token.roles()
    }

    /// The role of the group that takes precedence (`cognito:preferred_role` of the id
    /// token), when there is one.
    pub fn preferred_role(&self) -> Option<&str> {
        self.id_token.preferred_role()
    }

    /// The clock drift measured when the tokens arrived.
    pub fn clock_drift(&self) -> ClockDrift {
        self.clock_drift
    }

    /// True while both tokens are valid at local time `now` (seconds since the epoch),
    /// counting them expired `margin` seconds before their `exp`.
    pub fn is_valid_at(&self, now: i64, margin: i64) -> bool {
        let server_now = now.saturating_sub(self.clock_drift.0);
        server_now < self.access_token.exp().saturating_sub(margin)
            && server_now < self.id_token.exp().saturating_sub(margin)
    }

    /// When the first of the two tokens expires, in local time (seconds since the epoch).
    pub fn expires_at(&self) -> i64 {
        self.access_token
            .exp()
            .min(self.id_token.exp())
            .saturating_add(self.clock_drift.0)
    }

    /// The session with a refreshed pair of tokens; keeps the refresh token unless a new
    /// one (rotation) is given.
    pub fn refreshed(
        &self,
        id_token: IdToken,
        access_token: AccessToken,
        refresh_token: Option<RefreshToken>,
        now: i64,
    ) -> Self {
        let refresh_token = refresh_token.or_else(|| self.refresh_token.clone());
        Self::arrived(id_token, access_token, refresh_token, now)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id_token", &self.id_token)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("clock_drift", &self.clock_drift)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::unsigned_jwt;
    use serde_json::json;

    fn tokens(iat: i64, exp: i64) -> (IdToken, AccessToken) {
        let id = unsigned_jwt(&json!({"token_use": "id", "iat": iat, "exp": exp, "sub": "s"}));
        let access = unsigned_jwt(&json!({"token_use": "access", "iat": iat, "exp": exp}));
        (
            IdToken::parse(id.as_str()).unwrap(),
            AccessToken::parse(access.as_str()).unwrap(),
        )
    }

    #[test]
    fn groups_and_roles_come_from_the_tokens() {
        let (id, access) = tokens(1000, 4600);
        let none = Session::arrived(id, access, None, 1000);
        assert!(none.groups().is_empty());
        assert!(none.roles().is_empty());
        assert_eq!(none.preferred_role(), None);

        let role = "arn:aws:iam::123456789012:role/admin";
        let id = unsigned_jwt(&json!({
            "token_use": "id", "iat": 1000, "exp": 4600,
            "cognito:groups": ["admins", "staff"], "cognito:roles": [role],
            "cognito:preferred_role": role,
        }));
        let access = unsigned_jwt(&json!({
            "token_use": "access", "iat": 1000, "exp": 4600, "cognito:groups": ["other"],
        }));
        let s = Session::arrived(
            IdToken::parse(id.as_str()).unwrap(),
            AccessToken::parse(access.as_str()).unwrap(),
            None,
            1000,
        );
        assert_eq!(
            s.groups(),
            ["admins", "staff"],
            "the id token's claim first"
        );
        assert_eq!(s.roles(), [role]);
        assert_eq!(s.preferred_role(), Some(role));

        // An id token without the claim: the access token's.
        let (id, _) = tokens(1000, 4600);
        let s = Session::arrived(id, AccessToken::parse(access.as_str()).unwrap(), None, 1000);
        assert_eq!(s.groups(), ["other"]);
    }

    #[test]
    fn validity_with_drift_and_margin() {
        let (id, access) = tokens(1000, 4600);
        // Local clock 100 s ahead of the server.
        let s = Session::arrived(id, access, None, 1100);
        assert_eq!(s.clock_drift().seconds(), 100);
        assert!(s.is_valid_at(4699, 0));
        assert!(!s.is_valid_at(4700, 0));
        assert!(s.is_valid_at(4694, 5));
        assert!(!s.is_valid_at(4695, 5));
        assert_eq!(s.expires_at(), 4700);
    }

    #[test]
    fn drift_units() {
        assert_eq!(ClockDrift::parse_stored("5").unwrap().seconds(), 5);
        assert_eq!(ClockDrift::parse_stored("-3").unwrap().seconds(), -3);
        // Whole numbers of 1000 or more are Amplify v6's milliseconds, server − local.
        assert_eq!(ClockDrift::parse_stored("5000").unwrap().seconds(), -5);
        assert_eq!(ClockDrift::parse_stored("-120000").unwrap().seconds(), 120);
        assert_eq!(ClockDrift::parse_stored("2.4").unwrap().seconds(), 2);
        assert!(ClockDrift::parse_stored("soon").is_err());
        assert!(ClockDrift::parse_stored("NaN").is_err());
        assert_eq!(ClockDrift::from_seconds(7).to_stored(), "7");
        for seconds in [-100_000, -1200, -1000, -999, -1, 0, 1, 999, 1000, 86_400] {
            let drift = ClockDrift::from_seconds(seconds);
            assert_eq!(
                ClockDrift::parse_stored(&drift.to_stored()).unwrap(),
                drift,
                "{seconds}"
            );
        }
        assert_eq!(ClockDrift::from_seconds(-1200).to_stored(), "-1200.0");
    }

    /// Amplify v6 stores `iat·1000 − Date.now()` (cacheCognitoTokens). A local clock 90 s
    /// ahead of the server writes -90000; the drift (local − server) is +90 s. It used to
    /// be read as −90 s, the opposite sign.
    #[test]
    fn amplify_v6_drifts_read_with_their_sign_and_unit() {
        let server_iat_ms: i64 = 1_700_000_000_000;
        for (local_ahead_ms, expected) in
            [(90_000, 90), (-3_600_000, -3600), (400, 0), (-2_400, -2)]
        {
            let now_ms = server_iat_ms + local_ahead_ms;
            let v6 = (server_iat_ms - now_ms).to_string();
            let read = ClockDrift::parse_stored_as(&v6, ClockDriftFormat::AmplifyV6).unwrap();
            assert_eq!(read.seconds(), expected, "v6 value {v6}");
            if local_ahead_ms.abs() >= 1000 {
                // Auto decides from the value when it is 1000 ms or more.
                assert_eq!(
                    ClockDrift::parse_stored(&v6).unwrap().seconds(),
                    expected,
                    "{v6}"
                );
            }
            // Written back as v6 writes it, within v6's own rounding to the second.
            let again = ClockDrift::parse_stored_as(
                &read.to_stored_as(ClockDriftFormat::AmplifyV6),
                ClockDriftFormat::AmplifyV6,
            )
            .unwrap();
            assert_eq!(again, read);
        }
        // Below one second the value cannot say: Auto reads seconds, v6 is chosen by name.
        assert_eq!(ClockDrift::parse_stored("-400").unwrap().seconds(), -400);
        assert_eq!(
            ClockDrift::parse_stored_as("-400", ClockDriftFormat::AmplifyV6)
                .unwrap()
                .seconds(),
            0
        );
        // v5 by name: whole seconds whatever their size.
        assert_eq!(
            ClockDrift::parse_stored_as("5000", ClockDriftFormat::AmplifyV5)
                .unwrap()
                .seconds(),
            5000
        );
        assert_eq!(
            ClockDrift::from_seconds(90).to_stored_as(ClockDriftFormat::AmplifyV6),
            "-90000"
        );
        assert!(ClockDrift::parse_stored_as("1e400", ClockDriftFormat::AmplifyV6).is_err());
    }

    #[test]
    fn refresh_keeps_or_rotates_refresh_token() {
        let (id, access) = tokens(1000, 2000);
        let s = Session::arrived(id, access, Some(RefreshToken::new("r1").unwrap()), 1000);
        let (id2, access2) = tokens(2000, 3000);
        let kept = s.refreshed(id2.clone(), access2.clone(), None, 2000);
        assert_eq!(kept.refresh_token().unwrap().raw().expose(), "r1");
        let rotated = s.refreshed(id2, access2, Some(RefreshToken::new("r2").unwrap()), 2000);
        assert_eq!(rotated.refresh_token().unwrap().raw().expose(), "r2");
        assert!(!format!("{rotated:?}").contains("r2\""));
    }
}
