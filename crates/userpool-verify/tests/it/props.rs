//! No input makes the verifier panic: any string, a genuine token with bytes changed or
//! cut, any JWKS body.

use proptest::prelude::*;
use userpool_verify::Verifier;

use crate::common::*;

fn v() -> &'static Verifier {
    static V: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    V.get_or_init(verifier)
}

fn token() -> &'static str {
    static T: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    T.get_or_init(access)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_is_refused_without_a_panic(input in ".{0,300}") {
        prop_assert!(v().verify_sync_at(&input, NOW).is_err());
    }

    #[test]
    fn any_jws_shaped_string_is_refused(
        header in "[A-Za-z0-9_-]{0,80}",
        payload in "[A-Za-z0-9_-]{0,200}",
        signature in "[A-Za-z0-9_=+/-]{0,400}",
    ) {
        let input = format!("{header}.{payload}.{signature}");
        prop_assert!(v().verify_sync_at(&input, NOW).is_err());
    }

    #[test]
    fn a_changed_token_is_refused(at in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        let mut bytes = token().as_bytes().to_vec();
        let at = at % bytes.len();
        if bytes[at] != byte {
            bytes[at] = byte;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(v().verify_sync_at(&changed, NOW).is_err());
        }
        let cut = cut % token().len();
        let _ = v().verify_sync_at(&token()[..cut], NOW);
    }

    #[test]
    fn any_jwks_is_read_without_a_panic(body in ".{0,400}", n in "[A-Za-z0-9_-]{0,400}", e in "[A-Za-z0-9_-]{0,8}") {
        let _ = v().load_jwks("https://elsewhere/x", &body);
        let jwks = format!(r#"{{"keys":[{{"kid":"test-key-a","kty":"RSA","n":"{n}","e":"{e}"}}]}}"#);
        let fresh = verifier();
        if fresh.load_jwks(ISSUER, &jwks).is_ok() {
            let _ = fresh.verify_sync_at(token(), NOW);
        }
        let _ = fresh.load_jwks(ISSUER, &body);
    }
}
