//! The code outbox: every message the pool "sends" (verification codes, reset codes,
//! invitations with a temporary password) is recorded here and logged. Nothing leaves the
//! machine.
//!
//! The log line at info level carries the code on purpose: this is a local test server and
//! the log is one of the two ways (with [`Outbox`] and `GET /_local/outbox`) to read it.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// How a message was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// By email (`email` attribute).
    Email,
    /// By text message (`phone_number` attribute).
    Sms,
}

impl Medium {
    /// `EMAIL` or `SMS`, as in `CodeDeliveryDetails.DeliveryMedium`.
    pub fn wire(self) -> &'static str {
        match self {
            Medium::Email => "EMAIL",
            Medium::Sms => "SMS",
        }
    }

    pub(crate) fn for_attribute(attribute: &str) -> Self {
        if attribute == "phone_number" {
            Medium::Sms
        } else {
            Medium::Email
        }
    }
}

/// Why a message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sign-up confirmation code (SignUp, ResendConfirmationCode).
    SignUp,
    /// Password reset code (ForgotPassword, AdminResetUserPassword).
    ForgotPassword,
    /// Attribute verification code (UpdateUserAttributes, GetUserAttributeVerificationCode).
    VerifyAttribute,
    /// Invitation of an admin-created user; the "code" is the temporary password.
    Invitation,
    /// Sign-in code of SMS_MFA or EMAIL_OTP.
    Mfa,
}

impl Purpose {
    /// A stable name: `SIGN_UP`, `FORGOT_PASSWORD`, `VERIFY_ATTRIBUTE`, `INVITATION`, `MFA`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::SignUp => "SIGN_UP",
            Purpose::ForgotPassword => "FORGOT_PASSWORD",
            Purpose::VerifyAttribute => "VERIFY_ATTRIBUTE",
            Purpose::Invitation => "INVITATION",
            Purpose::Mfa => "MFA",
        }
    }
}

/// A message about to be delivered (inside an operation, before it commits).
#[derive(Clone)]
pub(crate) struct Delivery {
    pub attribute: String,
    pub medium: Medium,
    pub destination: String,
    pub code: String,
    pub message: String,
    pub purpose: Purpose,
}

impl Delivery {
    pub(crate) fn masked_destination(&self) -> String {
        crate::util::mask_destination(&self.destination, self.medium == Medium::Email)
    }
}

/// One delivered message.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Sequence number, increasing.
    pub seq: u64,
    /// The pool.
    pub pool_id: String,
    /// The user's (internal) username; for email-as-username pools this is the `sub`.
    pub username: String,
    /// The user's `sub`.
    pub sub: String,
    /// `email` or `phone_number`.
    pub attribute: String,
    /// EMAIL or SMS.
    pub medium: Medium,
    /// The full, unmasked destination.
    pub destination: String,
    /// The code (or temporary password for an invitation).
    pub code: String,
    /// The message text as it would have been sent.
    pub message: String,
    /// Why it was sent.
    pub purpose: Purpose,
    /// When it was recorded.
    pub time: SystemTime,
}

impl fmt::Debug for OutboxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxRecord")
            .field("seq", &self.seq)
            .field("pool_id", &self.pool_id)
            .field("username", &self.username)
            .field("attribute", &self.attribute)
            .field("medium", &self.medium)
            .field("destination", &self.destination)
            .field("code", &"<redacted>")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl OutboxRecord {
    /// True when the record belongs to `pool_id` and `user`, where `user` is the username,
    /// the sub or the destination (the email address of an email-as-username user).
    pub fn matches(&self, pool_id: Option<&str>, user: Option<&str>) -> bool {
        pool_id.is_none_or(|p| p == self.pool_id)
            && user.is_none_or(|u| u == self.username || u == self.sub || u == self.destination)
    }

    pub(crate) fn to_json(&self) -> Value {
        let ms = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        json!({
            "seq": self.seq,
            "poolId": self.pool_id,
            "username": self.username,
            "sub": self.sub,
            "attribute": self.attribute,
            "medium": self.medium.wire(),
            "destination": self.destination,
            "code": self.code,
            "message": self.message,
            "purpose": self.purpose.name(),
            "timeMs": ms,
        })
    }
}

/// Read access to the outbox. Cloning is cheap; clones share the records.
///
/// The outbox keeps the most recent 10,000 records in memory; it starts empty on every
/// start of the server, also with a data directory.
#[derive(Clone, Default)]
pub struct Outbox {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next_seq: u64,
    records: VecDeque<OutboxRecord>,
}

const CAPACITY: usize = 10_000;

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .len();
        f.debug_struct("Outbox").field("records", &len).finish()
    }
}

impl Outbox {
    pub(crate) fn record(&self, pool_id: &str, username: &str, sub: &str, d: &Delivery) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_seq += 1;
        let rec = OutboxRecord {
            seq: inner.next_seq,
            pool_id: pool_id.to_owned(),
            username: username.to_owned(),
            sub: sub.to_owned(),
            attribute: d.attribute.clone(),
            medium: d.medium,
            destination: d.destination.clone(),
            code: d.code.clone(),
            message: d.message.clone(),
            purpose: d.purpose,
            time: SystemTime::now(),
        };
        // Deliberate: the code is logged. This is a local test server and nothing is sent.
        tracing::info!(
            pool_id,
            username,
            attribute = %d.attribute,
            medium = d.medium.wire(),
            destination = %d.destination,
            purpose = d.purpose.name(),
            code = %d.code,
            "outbox: {}",
            d.message
        );
        if inner.records.len() == CAPACITY {
            inner.records.pop_front();
        }
        inner.records.push_back(rec);
    }

    /// Every record, oldest first.
    pub fn records(&self) -> Vec<OutboxRecord> {
        self.filtered(None, None)
    }

    /// The records of one pool and/or user (username, sub or destination), oldest first.
    pub fn filtered(&self, pool_id: Option<&str>, user: Option<&str>) -> Vec<OutboxRecord> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .records
            .iter()
            .filter(|r| r.matches(pool_id, user))
            .cloned()
            .collect()
    }

    /// The most recent record of a user (username, sub or destination) in a pool.
    pub fn latest(&self, pool_id: &str, user: &str) -> Option<OutboxRecord> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .records
            .iter()
            .rev()
            .find(|r| r.matches(Some(pool_id), Some(user)))
            .cloned()
    }

    /// The code of the most recent record of a user in a pool.
    pub fn latest_code(&self, pool_id: &str, user: &str) -> Option<String> {
        self.latest(pool_id, user).map(|r| r.code)
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .clear();
    }
}
