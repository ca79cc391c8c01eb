//! Property tests: no parsing entry point panics on arbitrary input, and the TIMESTAMP
//! format round-trips for every second of the years 1970 to 9999.

use proptest::prelude::*;
use userpool_srp::{
    PasswordClaimRequest, PasswordVerifier, SrpClient, SrpServer, VerifyRequest,
    decode_secret_block, make_verifier_with_salt, parse_timestamp, pool_name, timestamp_from_unix,
};

/// 9999-12-31T23:59:59Z
const LAST_SECOND_9999: i64 = 253_402_300_799;

fn client() -> &'static SrpClient {
    static C: std::sync::OnceLock<SrpClient> = std::sync::OnceLock::new();
    C.get_or_init(|| SrpClient::with_private_key(&[0x42; 128]).unwrap())
}

fn server() -> &'static SrpServer {
    static S: std::sync::OnceLock<SrpServer> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let v = make_verifier_with_salt(&[7; 16], "Pool", "user", "pw");
        SrpServer::with_private_key(&v, &[0x24; 128]).unwrap()
    })
}

/// Strings that are often hex (signed, any case, odd lengths, occasionally long), so that
/// the deeper code runs, and sometimes anything at all.
fn hexish() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9a-fA-F]{0,800}",
        "[0-9a-f]{700,770}",
        "0{0,5}[1-9a-f][0-9a-f]{0,40}",
        ".{0,40}",
        "[0-9a-fA-F -]{0,30}",
    ]
}

fn base64ish() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9+/=_-]{0,120}", ".{0,40}"]
}

fn timestampish() -> impl Strategy<Value = String> {
    prop_oneof![
        "(Sun|Mon|Tue|Wed|Thu|Fri|Sat|Xyz) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Foo) [0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2} (UTC|GMT) [0-9]{3,5}",
        ".{0,40}",
        any::<i64>().prop_map(timestamp_from_unix),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn password_claim_never_panics(
        pool in ".{0,12}",
        user in ".{0,40}",
        password in ".{0,40}",
        salt in hexish(),
        b in hexish(),
        block in base64ish(),
        ts in timestampish(),
    ) {
        let r = client().password_claim(&PasswordClaimRequest {
            pool_name: &pool,
            user_id_for_srp: &user,
            password: &password,
            salt_hex: &salt,
            srp_b_hex: &b,
            secret_block_b64: &block,
            timestamp: &ts,
        });
        if let Ok(sig) = r {
            prop_assert_eq!(sig.len(), 44);
        }
    }

    #[test]
    fn well_formed_challenges_always_sign(
        salt in "-?[0-9a-fA-F]{1,40}",
        b in "[1-9a-f][0-9a-f]{0,800}",
        block in "([A-Za-z0-9+/]{4}){0,30}",
        password in ".{0,20}",
    ) {
        let r = client().password_claim(&PasswordClaimRequest {
            pool_name: "Pool",
            user_id_for_srp: "user",
            password: &password,
            salt_hex: &salt,
            srp_b_hex: &b,
            secret_block_b64: &block,
            timestamp: "Tue Nov 3 12:34:56 UTC 2026",
        });
        // a random B is a multiple of N with negligible probability
        prop_assert_eq!(r.map(|s| s.len()), Ok(44));
    }

    #[test]
    fn verify_never_panics(
        pool in ".{0,12}",
        user in ".{0,40}",
        a in hexish(),
        block in proptest::collection::vec(any::<u8>(), 0..64),
        ts in timestampish(),
        sig in base64ish(),
    ) {
        let r = server().verify(&VerifyRequest {
            pool_name: &pool,
            user_id_for_srp: &user,
            srp_a_hex: &a,
            secret_block: &block,
            timestamp: &ts,
            signature_b64: &sig,
        });
        // random input never carries a valid signature
        prop_assert!(!matches!(r, Ok(true)));
    }

    #[test]
    fn parse_timestamp_never_panics(s in timestampish()) {
        if let Ok(secs) = parse_timestamp(&s) {
            // anything accepted is canonical
            prop_assert_eq!(timestamp_from_unix(secs), s);
        }
    }

    #[test]
    fn decode_secret_block_never_panics(s in base64ish()) {
        let _ = decode_secret_block(&s);
    }

    #[test]
    fn other_parsers_never_panic(
        s in ".{0,40}",
        t in hexish(),
        key in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let _ = pool_name(&s);
        let _ = PasswordVerifier::from_hex(&t, &s);
        let _ = PasswordVerifier::from_hex(&s, &t);
        let _ = SrpClient::with_private_key(&key[..key.len().min(16)]);
        if key.len() > 384 {
            prop_assert!(SrpClient::with_private_key(&key).is_err());
        }
    }

    #[test]
    fn timestamps_round_trip(secs in 0i64..=LAST_SECOND_9999) {
        let s = timestamp_from_unix(secs);
        prop_assert_eq!(parse_timestamp(&s), Ok(secs));
        // the day of the month is never zero-padded
        let day = s.split(' ').nth(2).unwrap();
        prop_assert!(!day.starts_with('0'));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn timestamps_round_trip_many(secs in 0i64..=LAST_SECOND_9999) {
        prop_assert_eq!(parse_timestamp(&timestamp_from_unix(secs)), Ok(secs));
    }

    #[test]
    fn zero_padded_days_are_refused(secs in 0i64..=LAST_SECOND_9999) {
        let s = timestamp_from_unix(secs);
        let mut parts: Vec<String> = s.split(' ').map(str::to_owned).collect();
        parts[2] = format!("{:0>2}", parts[2]);
        let padded = parts.join(" ");
        if padded != s {
            prop_assert!(parse_timestamp(&padded).is_err());
        }
    }
}
