//! The server's limits and durations of codes, challenges and lockouts.

use std::time::Duration;

/// Limits and durations of codes, challenges and lockouts. The defaults are Cognito's;
/// tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Validity of sign-up confirmation codes (24 hours).
    pub signup_code_validity: Duration,
    /// Validity of every other code: forgot password, attribute verification (1 hour).
    pub code_validity: Duration,
    /// Wrong guesses allowed for one code before LimitExceededException (5).
    pub code_attempts: u32,
    /// Codes that can be requested for the same purpose within `code_request_window` (5).
    pub code_requests: u32,
    /// The window of `code_requests` (1 hour).
    pub code_request_window: Duration,
    /// Wrong passwords before sign-in locks (5).
    pub lockout_threshold: u32,
    /// First lockout; each further failure doubles it (1 second, as Cognito).
    pub lockout_base: Duration,
    /// Longest lockout (15 minutes).
    pub lockout_max: Duration,
    /// Accepted clock skew of SRP TIMESTAMPs (5 minutes).
    pub srp_timestamp_skew: Duration,
    /// Lifetime of a pending SRP attempt (5 minutes).
    pub srp_attempt_validity: Duration,
    /// Wrong MFA codes one challenge session takes before it is closed (3).
    pub mfa_code_attempts: u32,
    /// Overrides every app client's `AuthSessionValidity` (the life of a challenge
    /// session; None: the client's, 3 minutes by default). For tests, which cannot wait
    /// the 3 minutes Cognito allows at least.
    pub challenge_session_validity: Option<Duration>,
    /// Test mode: every code the pool sends (confirmation, recovery, verification, MFA,
    /// one-time password) is this one instead of a random one. None (random codes) by
    /// default; set through `LocalPoolBuilder::fixed_code` / `--fixed-code`.
    pub fixed_code: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            signup_code_validity: Duration::from_secs(24 * 3600),
            code_validity: Duration::from_secs(3600),
            code_attempts: 5,
            code_requests: 5,
            code_request_window: Duration::from_secs(3600),
            lockout_threshold: 5,
            lockout_base: Duration::from_secs(1),
            lockout_max: Duration::from_secs(15 * 60),
            srp_timestamp_skew: Duration::from_secs(300),
            srp_attempt_validity: Duration::from_secs(300),
            mfa_code_attempts: 3,
            challenge_session_validity: None,
            fixed_code: None,
        }
    }
}

impl Limits {
    /// Sets the code validities (sign-up codes and all other codes).
    pub fn with_code_validity(mut self, signup: Duration, other: Duration) -> Self {
        self.signup_code_validity = signup;
        self.code_validity = other;
        self
    }

    /// Sets the lockout schedule.
    pub fn with_lockout(mut self, threshold: u32, base: Duration, max: Duration) -> Self {
        self.lockout_threshold = threshold;
        self.lockout_base = base;
        self.lockout_max = max;
        self
    }

    /// Sets the code guess and request limits.
    pub fn with_code_limits(mut self, attempts: u32, requests: u32, window: Duration) -> Self {
        self.code_attempts = attempts;
        self.code_requests = requests;
        self.code_request_window = window;
        self
    }

    /// Sets how long every challenge session lives, whatever the app client says.
    pub fn with_challenge_session_validity(mut self, validity: Duration) -> Self {
        self.challenge_session_validity = Some(validity);
        self
    }

    /// Sets how many wrong MFA codes one challenge session takes (at least 1).
    pub fn with_mfa_code_attempts(mut self, attempts: u32) -> Self {
        self.mfa_code_attempts = attempts.max(1);
        self
    }
}
