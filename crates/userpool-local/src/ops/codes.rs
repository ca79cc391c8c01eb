//! Codes: 6 random digits, single use, expiring, with limits on wrong guesses and on
//! requests; and the message that carries them.

use std::time::Duration;

use rusqlite::Connection;

use crate::config::Limits;
use crate::error::ApiError;
use crate::outbox::{Delivery, Medium, Purpose};
use crate::state::PoolRt;
use crate::store::{self, CodeRow, User};
use crate::util;

/// The purpose key under which a code is stored.
pub(crate) fn purpose_key(purpose: Purpose, attribute: &str) -> String {
    match purpose {
        Purpose::SignUp => "signup".to_owned(),
        Purpose::ForgotPassword => "forgot".to_owned(),
        Purpose::VerifyAttribute => format!("verify:{attribute}"),
        Purpose::Invitation => "invitation".to_owned(),
        Purpose::Mfa => "mfa".to_owned(),
    }
}

/// The text of a verification message.
pub(crate) fn message(pool: &PoolRt, code: &str) -> String {
    let template = pool
        .config
        .verification_message
        .as_deref()
        .unwrap_or("Your verification code is {####}. ");
    template.replace("{####}", code)
}

/// A fresh code: 6 random digits, or the pool's fixed code in test mode (`--fixed-code`),
/// which is warned about each time so that nobody mistakes the mode for a normal one.
pub(crate) fn new_code(limits: &Limits) -> Result<String, ApiError> {
    match &limits.fixed_code {
        Some(code) => {
            tracing::warn!("test mode: sending the fixed code instead of a random one");
            Ok(code.clone())
        }
        None => util::six_digit_code(),
    }
}

/// Creates (or replaces) the code of a purpose and returns the delivery to record once the
/// transaction commits. Too many requests within the window is `LimitExceededException`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue(
    c: &Connection,
    limits: &Limits,
    pool: &PoolRt,
    user: &User,
    purpose: Purpose,
    attribute: &str,
    destination: &str,
    validity: Duration,
) -> Result<Delivery, ApiError> {
    let key = purpose_key(purpose, attribute);
    let now = util::now_ms();
    let window = util::duration_ms(limits.code_request_window);
    let (window_start, sent) = match store::get_code(c, &pool.id, &user.sub, &key)? {
        // Saturating: the row is read from the database, where any integer may be found.
        Some(row) if now.saturating_sub(row.window_start_ms) < window => {
            (row.window_start_ms, row.sent_in_window)
        }
        _ => (now, 0),
    };
    if sent >= i64::from(limits.code_requests) {
        return Err(ApiError::limit_exceeded());
    }
    let code = new_code(limits)?;
    let row = CodeRow {
        code: code.clone(),
        attr: attribute.to_owned(),
        value: destination.to_owned(),
        expires_ms: now.saturating_add(util::duration_ms(validity)),
        failures: 0,
        window_start_ms: window_start,
        sent_in_window: sent.saturating_add(1),
    };
    store::put_code(c, &pool.id, &user.sub, &key, &row)?;
    Ok(Delivery {
        attribute: attribute.to_owned(),
        medium: Medium::for_attribute(attribute),
        destination: destination.to_owned(),
        message: message(pool, &code),
        code,
        purpose,
    })
}

/// Checks a code. The outer error rolls back; the inner one is a refusal that is committed
/// (a wrong guess counts). A good code is consumed and its row returned.
pub(crate) fn check(
    c: &Connection,
    limits: &Limits,
    pool_id: &str,
    sub: &str,
    key: &str,
    given: &str,
) -> Result<Result<CodeRow, ApiError>, ApiError> {
    let Some(row) = store::get_code(c, pool_id, sub, key)? else {
        return Ok(Err(ApiError::code_mismatch()));
    };
    if row.code.is_empty() {
        // Already used.
        return Ok(Err(ApiError::code_expired()));
    }
    if row.failures >= i64::from(limits.code_attempts) {
        return Ok(Err(ApiError::limit_exceeded()));
    }
    if !util::ct_eq(&row.code, given) {
        store::code_failed(c, pool_id, sub, key)?;
        return Ok(Err(ApiError::code_mismatch()));
    }
    if row.expires_ms <= util::now_ms() {
        return Ok(Err(ApiError::code_expired()));
    }
    store::consume_code(c, pool_id, sub, key)?;
    Ok(Ok(row))
}

/// Where the sign-up code goes: phone if auto-verified and present, else email.
pub(crate) fn signup_target(pool: &PoolRt, user: &User) -> Option<(String, String)> {
    for attr in ["phone_number", "email"] {
        if pool
            .config
            .auto_verified_attributes
            .iter()
            .any(|a| a == attr)
            && let Some(v) = user.attrs.get(attr)
        {
            return Some((attr.to_owned(), v.clone()));
        }
    }
    None
}

/// Where a password reset code goes: a verified email, else a verified phone number.
pub(crate) fn recovery_target(user: &User) -> Option<(String, String)> {
    for attr in ["email", "phone_number"] {
        if user.is_verified(attr)
            && let Some(v) = user.attrs.get(attr)
        {
            return Some((attr.to_owned(), v.clone()));
        }
    }
    None
}

/// Cognito's refusal when no verified contact exists for a reset.
pub(crate) fn no_recovery_target() -> ApiError {
    ApiError::invalid_parameter(
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    )
}
