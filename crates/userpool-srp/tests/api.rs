//! Round trips with random keys, hostile inputs, and redaction of secrets.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use userpool_srp::{
    MAX_HEX_DIGITS, PasswordClaimRequest, PasswordVerifier, SrpClient, SrpError, SrpServer,
    VerifyRequest, check_password, decode_secret_block, make_verifier, parse_timestamp, pool_name,
    timestamp,
};

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// 2N in hex (N shifted left by one bit).
fn two_n_hex() -> String {
    let mut digits: Vec<u8> = N_HEX
        .bytes()
        .map(|c| (c as char).to_digit(16).unwrap() as u8)
        .collect();
    let mut carry = 0;
    for d in digits.iter_mut().rev() {
        let v = *d * 2 + carry;
        *d = v & 0xf;
        carry = v >> 4;
    }
    let mut s = String::new();
    if carry > 0 {
        s.push(char::from_digit(carry as u32, 16).unwrap());
    }
    s.extend(
        digits
            .iter()
            .map(|&d| char::from_digit(d as u32, 16).unwrap()),
    );
    s
}

const POOL: &str = "AbCdEfGhI";
const USER: &str = "62eb39c2-3ac8-4e26-b10c-3e76b6e6dfec";
const BLOCK_B64: &str = "c2VydmVyLXNpZGUgYXR0ZW1wdCBzdGF0ZQ==";
const TS: &str = "Tue Nov 3 12:34:56 UTC 2026";

/// A valid challenge to start hostile variations from.
struct Setup {
    client: SrpClient,
    server: SrpServer,
    salt: String,
}

fn setup() -> Setup {
    let stored = make_verifier(POOL, USER, "Passw0rd!");
    let server = SrpServer::new(&stored).unwrap();
    Setup {
        client: SrpClient::new().unwrap(),
        salt: server.salt_hex(),
        server,
    }
}

fn claim<'a>(salt: &'a str, b: &'a str, block: &'a str) -> PasswordClaimRequest<'a> {
    PasswordClaimRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        password: "Passw0rd!",
        salt_hex: salt,
        srp_b_hex: b,
        secret_block_b64: block,
        timestamp: TS,
    }
}

#[test]
fn round_trips_with_random_keys() {
    let passwords = [
        "Passw0rd!",
        "pässwörd✓",
        "🔐Sécret🔑2024",
        "密码口令",
        "パスワード",
        "пароль",
        "  spaces  ",
        "tab\there\nnewline",
        "a",
        "",
        "Ω≈ç√∫˜µ≤≥÷",
        "e\u{301}", // decomposed: must not equal the composed form below
        "\u{e9}",
        "0123456789012345678901234567890123456789012345678901234567890123456789",
        "\u{0}nul",
        "right-to-left \u{202e}",
        "🇺🇳👩‍👩‍👧‍👦",
        "quote\"back\\slash",
        "x".repeat(256).leak(),
        "last",
    ];
    assert_eq!(passwords.len(), 20);
    let user_ids = [USER, "alice", "ünïcödé-user", "user@example.com"];
    for (i, password) in passwords.iter().enumerate() {
        let user = user_ids[i % user_ids.len()];
        let stored = make_verifier(POOL, user, password);
        assert_eq!(stored.salt.len(), 16);
        assert!(
            check_password(POOL, user, password, &stored),
            "{password:?}"
        );
        assert!(!check_password(
            POOL,
            user,
            &format!("{password}!"),
            &stored
        ));
        assert!(!check_password(POOL, "someone-else", password, &stored));
        assert!(!check_password("OtherPool", user, password, &stored));

        let client = SrpClient::new().unwrap();
        let server = SrpServer::new(&stored).unwrap();
        let ts = timestamp(SystemTime::now());
        let block = decode_secret_block(BLOCK_B64).unwrap();
        let make_claim = |pw: &str| {
            client
                .password_claim(&PasswordClaimRequest {
                    pool_name: POOL,
                    user_id_for_srp: user,
                    password: pw,
                    salt_hex: &server.salt_hex(),
                    srp_b_hex: server.srp_b_hex(),
                    secret_block_b64: BLOCK_B64,
                    timestamp: &ts,
                })
                .unwrap()
        };
        let verify = |sig: &str, ts: &str, block: &[u8]| {
            server
                .verify(&VerifyRequest {
                    pool_name: POOL,
                    user_id_for_srp: user,
                    srp_a_hex: client.srp_a_hex(),
                    secret_block: block,
                    timestamp: ts,
                    signature_b64: sig,
                })
                .unwrap()
        };
        let good = make_claim(password);
        assert_eq!(good.len(), 44);
        assert!(verify(&good, &ts, &block), "{password:?}");
        let bad = make_claim(&format!("{password}?"));
        assert!(!verify(&bad, &ts, &block));
        // the signature binds the secret block and the timestamp
        assert!(!verify(&good, &ts, b"another block"));
        let other_ts = timestamp(SystemTime::now() + Duration::from_secs(3600));
        assert!(!verify(&good, &other_ts, &block));
    }
    // composed and decomposed é are different passwords (no normalisation)
    let stored = make_verifier(POOL, USER, "e\u{301}");
    assert!(!check_password(POOL, USER, "\u{e9}", &stored));
}

#[test]
fn verifier_hex_round_trip() {
    let stored = make_verifier(POOL, USER, "pw");
    let back = PasswordVerifier::from_hex(&stored.salt_hex(), &stored.verifier_hex()).unwrap();
    assert!(check_password(POOL, USER, "pw", &back));
    // the challenge SALT is what the client parses back to the same integer
    let server = SrpServer::new(&stored).unwrap();
    assert_eq!(server.salt_hex(), stored.salt_hex());
    // salts with a leading zero byte and with the top bit set
    for salt in [[0u8; 16], [0xff; 16], {
        let mut s = [0x11u8; 16];
        s[0] = 0;
        s
    }] {
        let v = userpool_srp::make_verifier_with_salt(&salt, POOL, USER, "pw");
        assert!(check_password(POOL, USER, "pw", &v));
        let server = SrpServer::new(&v).unwrap();
        let client = SrpClient::new().unwrap();
        let sig = client
            .password_claim(&PasswordClaimRequest {
                pool_name: POOL,
                user_id_for_srp: USER,
                password: "pw",
                salt_hex: &server.salt_hex(),
                srp_b_hex: server.srp_b_hex(),
                secret_block_b64: "",
                timestamp: TS,
            })
            .unwrap();
        let ok = server
            .verify(&VerifyRequest {
                pool_name: POOL,
                user_id_for_srp: USER,
                srp_a_hex: client.srp_a_hex(),
                secret_block: &[],
                timestamp: TS,
                signature_b64: &sig,
            })
            .unwrap();
        assert!(ok, "{salt:?}");
    }
}

fn assert_illegal<T: std::fmt::Debug>(r: Result<T, SrpError>, what: &str) {
    match r {
        Err(SrpError::IllegalParameter { .. }) => {}
        other => panic!("{what}: expected IllegalParameter, got {other:?}"),
    }
}

#[test]
fn client_rejects_b_congruent_to_zero() {
    let s = setup();
    let two_n = two_n_hex();
    let n_lower = N_HEX.to_ascii_lowercase();
    let zero_padded = format!("000{N_HEX}");
    for b in ["0", "000", "-0", N_HEX, &n_lower, &two_n, &zero_padded] {
        assert_illegal(s.client.password_claim(&claim(&s.salt, b, BLOCK_B64)), b);
    }
    // N - 15 and N + 1 are fine (B is used modulo N)
    let mut n_minus_15 = N_HEX.to_string();
    n_minus_15.replace_range(767.., "0");
    assert!(
        s.client
            .password_claim(&claim(&s.salt, &n_minus_15, BLOCK_B64))
            .is_ok()
    );
    let n_plus_1 = format!("{}0000000000000000", &N_HEX[..752]);
    assert!(
        s.client
            .password_claim(&claim(&s.salt, &n_plus_1, BLOCK_B64))
            .is_ok()
    );
}

#[test]
fn client_rejects_malformed_fields() {
    let s = setup();
    let b = s.server.srp_b_hex().to_string();
    let huge = "1".repeat(MAX_HEX_DIGITS + 1);
    type Expect = fn(&SrpError) -> bool;
    let cases: Vec<(PasswordClaimRequest<'_>, Expect)> = vec![
        (claim(&s.salt, "", BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { field: "SRP_B" })
        }),
        (claim(&s.salt, "xyz", BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { .. })
        }),
        (claim(&s.salt, "0x12", BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { .. })
        }),
        (claim(&s.salt, " 12", BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { .. })
        }),
        (claim("", &b, BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { field: "SALT" })
        }),
        (claim("salt", &b, BLOCK_B64), |e| {
            matches!(e, SrpError::InvalidHex { .. })
        }),
        (claim(&s.salt, &huge, BLOCK_B64), |e| {
            matches!(e, SrpError::ValueTooLarge { field: "SRP_B" })
        }),
        (claim(&huge, &b, BLOCK_B64), |e| {
            matches!(e, SrpError::ValueTooLarge { field: "SALT" })
        }),
        (claim(&s.salt, &b, "not base64!"), |e| {
            matches!(
                e,
                SrpError::InvalidBase64 {
                    field: "SECRET_BLOCK"
                }
            )
        }),
        (claim(&s.salt, &b, "a"), |e| {
            matches!(e, SrpError::InvalidBase64 { .. })
        }),
        (claim(&s.salt, "-5", BLOCK_B64), |e| {
            matches!(e, SrpError::IllegalParameter { .. })
        }),
    ];
    for (req, ok) in cases {
        match s.client.password_claim(&req) {
            Err(e) => assert!(ok(&e), "{req:?}: unexpected {e:?}"),
            Ok(sig) => panic!("{req:?}: accepted, {sig}"),
        }
    }
    let negative_b = format!("-{b}");
    assert_illegal(
        s.client
            .password_claim(&claim(&s.salt, &negative_b, BLOCK_B64)),
        "negative B",
    );
    // a huge value of fewer than MAX_HEX_DIGITS digits is reduced, not refused
    let big = "f".repeat(MAX_HEX_DIGITS);
    assert!(
        s.client
            .password_claim(&claim(&s.salt, &big, BLOCK_B64))
            .is_ok()
    );
}

#[test]
fn odd_length_and_signed_integers_are_java_integers() {
    // srp.md: SALT and SRP_B are parsed like Java's BigInteger(hex, 16), so odd lengths,
    // upper case, leading zeros and (for SALT) a minus sign are valid, not errors.
    let s = setup();
    let b = s.server.srp_b_hex().to_string();
    let sig = s
        .client
        .password_claim(&claim(&s.salt, &b, BLOCK_B64))
        .unwrap();
    let upper = b.to_ascii_uppercase();
    let zeros = format!("0000{b}");
    for b2 in [&upper, &zeros] {
        assert_eq!(
            s.client
                .password_claim(&claim(&s.salt, b2, BLOCK_B64))
                .unwrap(),
            sig
        );
    }
    let salt_zeros = format!("000{}", s.salt);
    assert_eq!(
        s.client
            .password_claim(&claim(&salt_zeros, &b, BLOCK_B64))
            .unwrap(),
        sig
    );
    for salt in ["abc", "-abc", "-80", "0", "f"] {
        assert!(
            s.client.password_claim(&claim(salt, &b, BLOCK_B64)).is_ok(),
            "{salt}"
        );
    }
    // a different salt gives a different signature
    assert_ne!(
        s.client
            .password_claim(&claim("-abc", &b, BLOCK_B64))
            .unwrap(),
        s.client
            .password_claim(&claim("abc", &b, BLOCK_B64))
            .unwrap()
    );
}

fn verify_request<'a>(a: &'a str, block: &'a [u8], ts: &'a str, sig: &'a str) -> VerifyRequest<'a> {
    VerifyRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        srp_a_hex: a,
        secret_block: block,
        timestamp: ts,
        signature_b64: sig,
    }
}

#[test]
fn server_rejects_hostile_answers() {
    let s = setup();
    let sig = "A".repeat(43) + "=";
    let a = s.client.srp_a_hex().to_string();
    let two_n = two_n_hex();
    for bad_a in ["0", "-0", N_HEX, &two_n] {
        assert_illegal(
            s.server.verify(&verify_request(bad_a, b"", TS, &sig)),
            bad_a,
        );
    }
    let negative_a = format!("-{a}");
    assert_illegal(
        s.server.verify(&verify_request(&negative_a, b"", TS, &sig)),
        "negative A",
    );
    let huge = "1".repeat(MAX_HEX_DIGITS + 1);
    assert!(matches!(
        s.server.verify(&verify_request(&huge, b"", TS, &sig)),
        Err(SrpError::ValueTooLarge { field: "SRP_A" })
    ));
    for bad_a in ["", "zz", "0x1"] {
        assert!(matches!(
            s.server.verify(&verify_request(bad_a, b"", TS, &sig)),
            Err(SrpError::InvalidHex { field: "SRP_A" })
        ));
    }
    for bad_ts in [
        "Tue Nov 03 12:34:56 UTC 2026",
        "Tue Nvb 3 12:34:56 UTC 2026",
        "Tue November 3 12:34:56 UTC 2026",
        "",
        "2026-11-03T12:34:56Z",
    ] {
        assert_eq!(
            s.server.verify(&verify_request(&a, b"", bad_ts, &sig)),
            Err(SrpError::InvalidTimestamp),
            "{bad_ts}"
        );
    }
    let long = "A".repeat(10_000);
    for bad_sig in ["", "%%%%", "A", &long] {
        let r = s.server.verify(&verify_request(&a, b"", TS, bad_sig));
        if bad_sig.is_empty() {
            // empty base64 decodes to nothing: a wrong signature, not malformed input
            assert_eq!(r, Ok(false));
        } else {
            assert!(
                matches!(
                    r,
                    Err(SrpError::InvalidBase64 {
                        field: "PASSWORD_CLAIM_SIGNATURE"
                    })
                ),
                "{bad_sig:.20}: {r:?}"
            );
        }
    }
    // well-formed but wrong: 32 bytes of zeros, a short and a long signature
    let zeros = "A".repeat(43) + "=";
    let short = "AAAA";
    let long64 = "A".repeat(64);
    for wrong in [&zeros[..], short, &long64] {
        assert_eq!(
            s.server.verify(&verify_request(&a, b"", TS, wrong)),
            Ok(false)
        );
    }
}

#[test]
fn server_rejects_bad_keys_and_verifiers() {
    let stored = make_verifier(POOL, USER, "pw");
    assert_illegal(SrpServer::with_private_key(&stored, &[]), "empty b");
    assert_illegal(SrpServer::with_private_key(&stored, &[0; 32]), "zero b");
    assert!(matches!(
        SrpServer::with_private_key(&stored, &[1; 385]),
        Err(SrpError::ValueTooLarge { .. })
    ));
    let mut bad = stored.clone();
    bad.verifier = vec![0xff; 384];
    assert_illegal(SrpServer::new(&bad), "verifier >= N");
    bad.verifier = vec![0; 10];
    assert_illegal(SrpServer::new(&bad), "zero verifier");
    assert!(!check_password(POOL, USER, "pw", &bad));
    for (salt, v) in [("", "1"), ("1", ""), ("x", "1"), ("1", "x"), ("-1", "1")] {
        assert!(matches!(
            PasswordVerifier::from_hex(salt, v),
            Err(SrpError::InvalidHex { .. })
        ));
    }
}

#[test]
fn other_hostile_inputs() {
    for bad in [
        "",
        "us-east-1",
        "_x",
        "us-east-1_",
        "us-east-1_a b",
        "US-EAST-1_x",
    ] {
        assert_eq!(pool_name(bad), Err(SrpError::InvalidPoolId), "{bad:?}");
    }
    for bad in ["%%%", "a", "ab=c", "====", "aGVsbG8=="] {
        assert!(
            matches!(
                decode_secret_block(bad),
                Err(SrpError::InvalidBase64 { .. })
            ),
            "{bad:?}"
        );
    }
    for bad in [
        "Tue Nov 03 12:34:56 UTC 2026",
        "Tue Nov 3 12:34:56 UTC 2026 ",
        "Tue Novem 3 12:34:56 UTC 2026",
        "Tue Sept 3 12:34:56 UTC 2026",
        "Tue nov 3 12:34:56 UTC 2026",
        "Tue NOV 3 12:34:56 UTC 2026",
        "Tue Mai 3 12:34:56 UTC 2026",
        "Thu Jan 1 00:00:00 UTC 1970x",
    ] {
        assert_eq!(
            parse_timestamp(bad),
            Err(SrpError::InvalidTimestamp),
            "{bad:?}"
        );
    }
    assert_eq!(
        timestamp(UNIX_EPOCH + Duration::from_secs(1_793_709_296)),
        "Tue Nov 3 12:34:56 UTC 2026"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let a = [0x5au8; 128];
    let a_hex: String = a.iter().map(|b| format!("{b:02x}")).collect();
    let client = SrpClient::with_private_key(&a).unwrap();
    let client_dbg = format!("{client:?} {client:#?}");
    assert!(!client_dbg.contains(&a_hex[..16]), "{client_dbg}");
    assert!(
        !client_dbg.to_ascii_lowercase().contains("5a5a5a5a"),
        "{client_dbg}"
    );
    assert!(client_dbg.contains("redacted"));

    let password = "hunter2-Sup3rSecret";
    let stored = make_verifier(POOL, USER, password);
    let b = [0xa7u8; 128];
    let server = SrpServer::with_private_key(&stored, &b).unwrap();
    let server_dbg = format!("{server:?} {server:#?} {stored:?}");
    assert!(
        !server_dbg.to_ascii_lowercase().contains("a7a7a7a7"),
        "{server_dbg}"
    );
    let v_hex = stored.verifier_hex();
    assert!(!server_dbg.contains(&v_hex[..16]), "{server_dbg}");
    assert!(server_dbg.contains("redacted"));

    let salt = server.salt_hex();
    let req = PasswordClaimRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        password,
        salt_hex: &salt,
        srp_b_hex: server.srp_b_hex(),
        secret_block_b64: BLOCK_B64,
        timestamp: TS,
    };
    let req_dbg = format!("{req:?} {req:#?}");
    assert!(!req_dbg.contains(password), "{req_dbg}");
    assert!(!req_dbg.contains("Sup3r"), "{req_dbg}");
    assert!(req_dbg.contains(USER));
    assert!(req_dbg.contains("redacted"));
}

#[test]
fn errors_display_and_are_std_errors() {
    let e: Box<dyn std::error::Error + Send + Sync> =
        Box::new(SrpError::InvalidHex { field: "SRP_B" });
    assert_eq!(e.to_string(), "SRP_B is not a hex integer");
    assert!(SrpError::InvalidTimestamp.to_string().contains("EEE MMM d"));
}
