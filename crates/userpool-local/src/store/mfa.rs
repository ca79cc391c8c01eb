//! The `user_mfa` table: a user's MFA settings (which factors are enabled, the preferred
//! one) and authenticator-app secret. A user without a row has no MFA set up.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

/// `SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`: the factors, in the order Cognito lists
/// them.
pub(crate) const FACTORS: [&str; 3] = ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"];

/// A user's MFA settings as stored. `Debug` never shows the secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct UserMfa {
    /// The verified authenticator secret (raw bytes), if any.
    pub totp_secret: Option<Vec<u8>>,
    /// A secret AssociateSoftwareToken handed out that VerifySoftwareToken has not
    /// confirmed yet.
    pub totp_pending: Option<Vec<u8>>,
    /// The last TOTP time step accepted: a code of that step or an earlier one is refused,
    /// so a code works once.
    pub totp_last_step: i64,
    /// `FriendlyDeviceName` given to VerifySoftwareToken.
    pub totp_name: Option<String>,
    pub sms_enabled: bool,
    pub totp_enabled: bool,
    pub email_enabled: bool,
    /// One of [`FACTORS`].
    pub preferred: Option<String>,
}

impl std::fmt::Debug for UserMfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserMfa")
            .field(
                "totp_secret",
                &self.totp_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "totp_pending",
                &self.totp_pending.as_ref().map(|_| "<redacted>"),
            )
            .field("totp_last_step", &self.totp_last_step)
            .field("sms_enabled", &self.sms_enabled)
            .field("totp_enabled", &self.totp_enabled)
            .field("email_enabled", &self.email_enabled)
            .field("preferred", &self.preferred)
            .finish_non_exhaustive()
    }
}

impl UserMfa {
    /// Whether the user turned a factor on (whatever the pool allows).
    pub(crate) fn enabled(&self, factor: &str) -> bool {
        match factor {
            "SMS_MFA" => self.sms_enabled,
            "SOFTWARE_TOKEN_MFA" => self.totp_enabled,
            "EMAIL_OTP" => self.email_enabled,
            _ => false,
        }
    }

    pub(crate) fn set_enabled(&mut self, factor: &str, on: bool) {
        match factor {
            "SMS_MFA" => self.sms_enabled = on,
            "SOFTWARE_TOKEN_MFA" => self.totp_enabled = on,
            "EMAIL_OTP" => self.email_enabled = on,
            _ => {}
        }
    }
}

/// The MFA settings of a user (the defaults when none are stored).
pub(crate) fn user_mfa(c: &Connection, pool_id: &str, sub: &str) -> Result<UserMfa, ApiError> {
    let row = c
        .prepare_cached(
            "SELECT totp_secret, totp_pending, totp_last_step, totp_name, sms_enabled, totp_enabled, email_enabled, preferred FROM user_mfa WHERE pool_id = ?1 AND sub = ?2",
        )
        .map_err(db_err)?
        .query_row(params![pool_id, sub], |r| {
            Ok(UserMfa {
                totp_secret: r.get(0)?,
                totp_pending: r.get(1)?,
                totp_last_step: r.get(2)?,
                totp_name: r.get(3)?,
                sms_enabled: r.get::<_, i64>(4)? != 0,
                totp_enabled: r.get::<_, i64>(5)? != 0,
                email_enabled: r.get::<_, i64>(6)? != 0,
                preferred: r.get(7)?,
            })
        })
        .optional()
        .map_err(db_err)?;
    Ok(row.unwrap_or_default())
}

/// Stores the MFA settings of a user.
pub(crate) fn put_user_mfa(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    m: &UserMfa,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO user_mfa (pool_id, sub, totp_secret, totp_pending, totp_last_step, totp_name, sms_enabled, totp_enabled, email_enabled, preferred) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .map_err(db_err)?
    .execute(params![
        pool_id,
        sub,
        m.totp_secret,
        m.totp_pending,
        m.totp_last_step,
        m.totp_name,
        m.sms_enabled as i64,
        m.totp_enabled as i64,
        m.email_enabled as i64,
        m.preferred,
    ])
    .map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_database_gains_the_mfa_table_and_settings_round_trip() {
        let c = Connection::open_in_memory().unwrap();
        let before_mfa = super::super::SCHEMA
            .split_once("CREATE TABLE IF NOT EXISTS user_mfa")
            .unwrap()
            .0;
        c.execute_batch(before_mfa).unwrap();
        assert!(user_mfa(&c, "p", "s").is_err(), "no table yet");
        // What `Store::open` runs on an existing file.
        c.execute_batch(super::super::SCHEMA).unwrap();
        assert_eq!(user_mfa(&c, "p", "s").unwrap(), UserMfa::default());
        let m = UserMfa {
            totp_secret: Some(vec![1; 20]),
            totp_last_step: 42,
            totp_enabled: true,
            preferred: Some("SOFTWARE_TOKEN_MFA".into()),
            ..UserMfa::default()
        };
        put_user_mfa(&c, "p", "s", &m).unwrap();
        assert_eq!(user_mfa(&c, "p", "s").unwrap(), m);
        // Deleting the user removes its MFA settings with it.
        super::super::delete_user(&c, "p", "s").unwrap();
        assert_eq!(user_mfa(&c, "p", "s").unwrap(), UserMfa::default());
    }
}
