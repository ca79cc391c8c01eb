//! Password policy checks with Cognito's messages, and temporary password generation.

use crate::config::PasswordPolicy;
use crate::error::{ApiError, ExceptionName};
use crate::util;

/// The largest `MinimumLength` a pool may have (Cognito's bound, checked at creation).
const MAX_MINIMUM_LENGTH: u32 = 99;

/// Cognito's symbol characters (space counts too).
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

fn invalid(what: &str) -> ApiError {
    ApiError::new(
        ExceptionName::InvalidPassword,
        format!("Password did not conform with policy: {what}"),
    )
}

/// Checks the shape AWS's API model demands of every password member
/// (`^[\S]+.*[\S]+$`, at most 256 characters). `member` is the lowerCamel member name.
pub(crate) fn check_shape(password: &str, member: &str) -> Result<(), ApiError> {
    let chars: Vec<char> = password.chars().collect();
    let ok = chars.len() >= 2
        && chars.len() <= 256
        && !chars[0].is_whitespace()
        && !chars[chars.len() - 1].is_whitespace()
        && !chars.contains(&'\n');
    if ok {
        Ok(())
    } else if chars.len() > 256 {
        Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 256"
        )))
    } else {
        Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$"
        )))
    }
}

/// Checks a password against a pool's policy.
pub(crate) fn check_policy(password: &str, policy: &PasswordPolicy) -> Result<(), ApiError> {
    let length = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
    if length < policy.minimum_length {
        return Err(invalid("Password not long enough"));
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return Err(invalid("Password must have uppercase characters"));
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return Err(invalid("Password must have lowercase characters"));
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid("Password must have numeric characters"));
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return Err(invalid("Password must have symbol characters"));
    }
    Ok(())
}

/// A random temporary password that satisfies the policy.
///
/// The policy was checked when the pool was created (6 to 99 characters), but it is read
/// back from the database: a length outside that range is refused, not obeyed (it would
/// make a password too long to ever be accepted, of up to 4 GiB).
pub(crate) fn temporary(policy: &PasswordPolicy) -> Result<String, ApiError> {
    if policy.minimum_length > MAX_MINIMUM_LENGTH {
        return Err(ApiError::internal(format!(
            "the stored password policy asks for at least {} characters",
            policy.minimum_length
        )));
    }
    // 12..=99, from the check above.
    let len = usize::try_from(policy.minimum_length).map_or(12, |n| n.max(12));
    loop {
        let mut p = util::random_string(len - 4, util::ALNUM)?;
        p.push_str(&util::random_string(1, b"ABCDEFGHJKLMNPQRSTUVWXYZ")?);
        p.push_str(&util::random_string(1, b"abcdefghijkmnopqrstuvwxyz")?);
        p.push_str(&util::random_string(1, b"23456789")?);
        p.push_str(&util::random_string(1, b"!#%&*+-=?")?);
        if check_policy(&p, policy).is_ok() {
            return Ok(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_messages() {
        let p = PasswordPolicy::default();
        let msg = |pw: &str| check_policy(pw, &p).unwrap_err().message().to_owned();
        assert_eq!(
            msg("Ab1!"),
            "Password did not conform with policy: Password not long enough"
        );
        assert!(msg("abcdefg1!").ends_with("uppercase characters"));
        assert!(msg("ABCDEFG1!").ends_with("lowercase characters"));
        assert!(msg("Abcdefgh!").ends_with("numeric characters"));
        assert!(msg("Abcdefgh1").ends_with("symbol characters"));
        assert!(check_policy("Abcdefg1!", &p).is_ok());
        assert!(check_policy("Abcdefg1 x", &p).is_ok());
    }

    #[test]
    fn temporary_passwords_conform() {
        let p = PasswordPolicy::default();
        for _ in 0..20 {
            let t = temporary(&p).unwrap();
            assert!(check_policy(&t, &p).is_ok());
        }
    }

    #[test]
    fn a_stored_policy_beyond_cognitos_bound_is_refused_not_obeyed() {
        // Such a policy can only come from a damaged database (creation checks 6..=99).
        // Obeying it made a 1000-character temporary password, which no sign-in accepts
        // (passwords are at most 256 characters); u32::MAX would have been 4 GiB.
        let p = PasswordPolicy {
            minimum_length: 1000,
            ..PasswordPolicy::relaxed()
        };
        let e = temporary(&p).unwrap_err();
        assert_eq!(e.exception(), ExceptionName::InternalError);
        let at_bound = PasswordPolicy {
            minimum_length: 99,
            ..PasswordPolicy::default()
        };
        let t = temporary(&at_bound).unwrap();
        assert_eq!(t.chars().count(), 99);
        assert!(check_policy(&t, &at_bound).is_ok());
    }

    #[test]
    fn shape() {
        assert!(check_shape(" leading", "password").is_err());
        assert!(check_shape("trailing ", "password").is_err());
        assert!(check_shape("in side", "password").is_ok());
    }
}
