//! Choice-based sign-in (USER_AUTH) and the sign-in after sign-up over the SDK: the
//! SELECT_CHALLENGE lists, each preferred first factor, the one-time codes read from the
//! outbox, wrong codes, expired sessions, what the pool or the client does not allow, the
//! pool's SignInPolicy and tier, and GetUserAuthFactors / AdminGetUserAuthFactors.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFactorType, AuthFlowType, ChallengeNameType, EmailMfaSettingsType, ExplicitAuthFlowsType,
    SignInPolicyType, UserPoolPolicyType, UserPoolTierType,
};
use userpool_local::{ClientConfig, Limits, LocalPool, PoolConfig, Purpose};

use crate::common::*;

type Failure = (String, String);

fn failure<E: ProvideErrorMetadata>(e: E) -> Failure {
    (
        e.code().unwrap_or("<none>").to_owned(),
        e.message().unwrap_or("").to_owned(),
    )
}

fn session_expired() -> Failure {
    (
        "NotAuthorizedException".into(),
        "Invalid session for the user, session is expired.".into(),
    )
}

/// What a call answered: tokens (the access token) or a challenge.
#[derive(Debug)]
enum Step {
    Tokens(String),
    Challenge {
        name: ChallengeNameType,
        session: Option<String>,
        params: HashMap<String, String>,
        available: Vec<ChallengeNameType>,
    },
}

impl Step {
    fn challenge(self) -> (ChallengeNameType, String, HashMap<String, String>) {
        match self {
            Step::Challenge {
                name,
                session,
                params,
                ..
            } => (name, session.unwrap_or_default(), params),
            Step::Tokens(_) => panic!("expected a challenge, got tokens"),
        }
    }

    fn access_token(self) -> String {
        match self {
            Step::Tokens(t) => t,
            other => panic!("expected tokens, got {other:?}"),
        }
    }

    /// The session and list of a SELECT_CHALLENGE.
    fn selection(self) -> (String, Vec<ChallengeNameType>) {
        match self {
            Step::Challenge {
                name: ChallengeNameType::SelectChallenge,
                session,
                available,
                ..
            } => (session.expect("session"), available),
            other => panic!("expected SELECT_CHALLENGE, got {other:?}"),
        }
    }
}

fn step_of(
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
    name: Option<&ChallengeNameType>,
    session: Option<&str>,
    params: Option<&HashMap<String, String>>,
    available: &[ChallengeNameType],
) -> Step {
    if let Some(r) = result {
        return Step::Tokens(r.access_token().expect("access token").to_owned());
    }
    Step::Challenge {
        name: name.expect("challenge name").clone(),
        session: session.map(str::to_owned),
        params: params.cloned().unwrap_or_default(),
        available: available.to_vec(),
    }
}

const EVERY_FACTOR: [&str; 3] = ["PASSWORD", "EMAIL_OTP", "SMS_OTP"];

fn pool_with(factors: &[&str]) -> PoolConfig {
    let mut p = PoolConfig::new("choice");
    p.allowed_first_auth_factors = factors.iter().map(|f| (*f).to_owned()).collect();
    p
}

async fn ctx_with(
    builder: userpool_local::LocalPoolBuilder,
    factors: &[&str],
    secret: bool,
) -> Ctx {
    let mut client = ClientConfig::new("web").with_user_auth();
    if secret {
        client = client.with_secret();
    }
    start_with(builder, pool_with(factors), client).await
}

/// A user with a password, an email address (verified when `email`) and a phone number
/// (verified when `phone`).
async fn user(ctx: &Ctx, name: &str, email: bool, phone: bool) {
    ctx.server
        .create_user(
            &ctx.pool_id,
            name,
            PW,
            &[
                ("email", &format!("{name}@example.com")),
                ("email_verified", if email { "true" } else { "false" }),
                ("phone_number", "+15550109876"),
                (
                    "phone_number_verified",
                    if phone { "true" } else { "false" },
                ),
            ],
        )
        .await
        .expect("user");
}

/// InitiateAuth USER_AUTH with USERNAME (and SECRET_HASH with a client secret) and `pairs`.
async fn init(ctx: &Ctx, username: &str, pairs: &[(&str, &str)]) -> Result<Step, Failure> {
    let mut req = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", username);
    for (k, v) in pairs {
        req = req.auth_parameters(*k, *v);
    }
    if let Some(s) = &ctx.secret {
        req = req.auth_parameters("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    let out = req.send().await.map_err(failure)?;
    Ok(step_of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
        out.available_challenges(),
    ))
}

/// RespondToAuthChallenge with USERNAME (and SECRET_HASH) and `pairs`.
async fn answer(
    ctx: &Ctx,
    challenge: ChallengeNameType,
    session: &str,
    username: &str,
    pairs: &[(&str, &str)],
) -> Result<Step, Failure> {
    let mut req = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(challenge)
        .session(session)
        .challenge_responses("USERNAME", username);
    for (k, v) in pairs {
        req = req.challenge_responses(*k, *v);
    }
    if let Some(s) = &ctx.secret {
        req = req.challenge_responses("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    let out = req.send().await.map_err(failure)?;
    Ok(step_of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
        out.available_challenges(),
    ))
}

/// The code of the latest message to `name`, checked to be a sign-in code.
fn sent_code(ctx: &Ctx, name: &str, destination: &str) -> String {
    let rec = ctx
        .server
        .outbox()
        .latest(&ctx.pool_id, name)
        .expect("a message");
    assert_eq!(rec.purpose, Purpose::Mfa);
    assert_eq!(rec.destination, destination);
    assert!(rec.message.contains(&rec.code), "{}", rec.message);
    rec.code
}

/// Answers PASSWORD_VERIFIER for an SRP start made with `srp`.
async fn finish_srp(
    ctx: &Ctx,
    srp: &userpool_srp::SrpSignIn,
    params: &HashMap<String, String>,
) -> Result<Step, Failure> {
    let ts = userpool_srp::timestamp(SystemTime::now());
    let claim = srp
        .answer(&ctx.pool_id, PW, &ts, |k| params.get(k).map(String::as_str))
        .expect("claim");
    let mut req = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier);
    for (k, v) in claim.responses() {
        req = req.challenge_responses(k, v);
    }
    if let Some(s) = &ctx.secret {
        req = req.challenge_responses(
            "SECRET_HASH",
            secret_hash(s, &claim.username, &ctx.client_id),
        );
    }
    let out = req.send().await.map_err(failure)?;
    Ok(step_of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
        out.available_challenges(),
    ))
}

fn names(list: &[ChallengeNameType]) -> Vec<&str> {
    list.iter().map(ChallengeNameType::as_str).collect()
}

#[tokio::test]
async fn select_challenge_lists_what_the_user_can_do() {
    let ctx = ctx_with(LocalPool::builder(), &EVERY_FACTOR, false).await;
    user(&ctx, "both", true, true).await;
    user(&ctx, "mailonly", true, false).await;
    user(&ctx, "neither", false, false).await;
    for (name, expected) in [
        (
            "both",
            vec!["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"],
        ),
        ("mailonly", vec!["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]),
        ("neither", vec!["PASSWORD", "PASSWORD_SRP"]),
    ] {
        let (session, available) = init(&ctx, name, &[]).await.unwrap().selection();
        assert!(!session.is_empty());
        assert_eq!(names(&available), expected, "{name}");
    }
    // A pool that allows passwords only offers passwords only.
    let only = ctx_with(LocalPool::builder(), &["PASSWORD"], false).await;
    user(&only, "both", true, true).await;
    let (_, available) = init(&only, "both", &[]).await.unwrap().selection();
    assert_eq!(names(&available), ["PASSWORD", "PASSWORD_SRP"]);
    // A preferred challenge the user cannot take is a choice of what they can take.
    let (_, available) = init(&ctx, "mailonly", &[("PREFERRED_CHALLENGE", "SMS_OTP")])
        .await
        .unwrap()
        .selection();
    assert_eq!(names(&available), ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]);
}

#[tokio::test]
async fn each_preferred_challenge_goes_straight_to_its_factor() {
    for secret in [false, true] {
        let ctx = ctx_with(LocalPool::builder(), &EVERY_FACTOR, secret).await;
        user(&ctx, "pat", true, true).await;
        // PASSWORD with the password: tokens at once.
        init(
            &ctx,
            "pat",
            &[("PREFERRED_CHALLENGE", "PASSWORD"), ("PASSWORD", PW)],
        )
        .await
        .unwrap()
        .access_token();
        let e = init(
            &ctx,
            "pat",
            &[
                ("PREFERRED_CHALLENGE", "PASSWORD"),
                ("PASSWORD", "Wr0ng-Horse"),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            (
                "NotAuthorizedException".into(),
                "Incorrect username or password.".into()
            )
        );
        // PASSWORD without it: the PASSWORD challenge, answered with it.
        let (name, session, _) = init(&ctx, "pat", &[("PREFERRED_CHALLENGE", "PASSWORD")])
            .await
            .unwrap()
            .challenge();
        assert_eq!(name, ChallengeNameType::Password);
        answer(&ctx, name, &session, "pat", &[("PASSWORD", PW)])
            .await
            .unwrap()
            .access_token();
        // PASSWORD_SRP with SRP_A: PASSWORD_VERIFIER as USER_SRP_AUTH answers it.
        let srp = userpool_srp::SrpSignIn::new().unwrap();
        let (name, _, params) = init(
            &ctx,
            "pat",
            &[
                ("PREFERRED_CHALLENGE", "PASSWORD_SRP"),
                ("SRP_A", srp.srp_a()),
            ],
        )
        .await
        .unwrap()
        .challenge();
        assert_eq!(name, ChallengeNameType::PasswordVerifier);
        assert!(params.contains_key("SRP_B") && params.contains_key("SALT"));
        finish_srp(&ctx, &srp, &params)
            .await
            .unwrap()
            .access_token();
        // EMAIL_OTP and SMS_OTP: a code to the outbox, then tokens for it.
        for (factor, member, medium, masked, destination) in [
            (
                ChallengeNameType::EmailOtp,
                "EMAIL_OTP_CODE",
                "EMAIL",
                "p***@e***",
                "pat@example.com",
            ),
            (
                ChallengeNameType::SmsOtp,
                "SMS_OTP_CODE",
                "SMS",
                "+*******9876",
                "+15550109876",
            ),
        ] {
            let (name, session, params) =
                init(&ctx, "pat", &[("PREFERRED_CHALLENGE", factor.as_str())])
                    .await
                    .unwrap()
                    .challenge();
            assert_eq!(name, factor);
            assert_eq!(params["CODE_DELIVERY_DELIVERY_MEDIUM"], medium);
            assert!(
                params["CODE_DELIVERY_DESTINATION"].starts_with(&masked[..2]),
                "{params:?}"
            );
            let code = sent_code(&ctx, "pat", destination);
            let access = answer(&ctx, name, &session, "pat", &[(member, &code)])
                .await
                .unwrap()
                .access_token();
            assert_eq!(claims(&access)["username"], "pat");
        }
    }
}

#[tokio::test]
async fn a_selection_is_answered_with_the_chosen_factor() {
    let ctx = ctx_with(LocalPool::builder(), &EVERY_FACTOR, true).await;
    user(&ctx, "sel", true, true).await;
    // PASSWORD inside the SELECT_CHALLENGE answer.
    let (session, _) = init(&ctx, "sel", &[]).await.unwrap().selection();
    answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "PASSWORD"), ("PASSWORD", PW)],
    )
    .await
    .unwrap()
    .access_token();
    // The session is spent once answered.
    let e = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "PASSWORD"), ("PASSWORD", PW)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
    // PASSWORD_SRP inside the answer.
    let (session, _) = init(&ctx, "sel", &[]).await.unwrap().selection();
    let srp = userpool_srp::SrpSignIn::new().unwrap();
    let (name, _, params) = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "PASSWORD_SRP"), ("SRP_A", srp.srp_a())],
    )
    .await
    .unwrap()
    .challenge();
    assert_eq!(name, ChallengeNameType::PasswordVerifier);
    finish_srp(&ctx, &srp, &params)
        .await
        .unwrap()
        .access_token();
    // EMAIL_OTP: the choice sends the code, a new session takes it.
    let (session, _) = init(&ctx, "sel", &[]).await.unwrap().selection();
    let (name, otp_session, _) = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "EMAIL_OTP")],
    )
    .await
    .unwrap()
    .challenge();
    assert_eq!(name, ChallengeNameType::EmailOtp);
    assert_ne!(otp_session, session);
    let code = sent_code(&ctx, "sel", "sel@example.com");
    answer(
        &ctx,
        name,
        &otp_session,
        "sel",
        &[("EMAIL_OTP_CODE", &code)],
    )
    .await
    .unwrap()
    .access_token();
    // A choice that was not offered is refused; WEB_AUTHN is named as unsupported.
    let (session, _) = init(&ctx, "sel", &[]).await.unwrap().selection();
    let e = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "CUSTOM_CHALLENGE")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.0, "InvalidParameterException");
    let e = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "WEB_AUTHN")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.0, "UnsupportedOperationException");
    assert!(e.1.contains("WEB_AUTHN"), "{}", e.1);
    // Without the password the answer is incomplete and the session stays open.
    let e = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "PASSWORD")],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        (
            "InvalidParameterException".into(),
            "Missing required parameter PASSWORD".into()
        )
    );
    answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "sel",
        &[("ANSWER", "PASSWORD"), ("PASSWORD", PW)],
    )
    .await
    .unwrap()
    .access_token();
}

#[tokio::test]
async fn wrong_codes_are_counted_and_sessions_expire() {
    let builder = LocalPool::builder()
        .limits(Limits::default().with_challenge_session_validity(Duration::from_millis(400)));
    let ctx = ctx_with(builder, &EVERY_FACTOR, false).await;
    user(&ctx, "otp", true, true).await;
    let (name, session, _) = init(&ctx, "otp", &[("PREFERRED_CHALLENGE", "EMAIL_OTP")])
        .await
        .unwrap()
        .challenge();
    let code = sent_code(&ctx, "otp", "otp@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = answer(
        &ctx,
        name.clone(),
        &session,
        "otp",
        &[("EMAIL_OTP_CODE", wrong)],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        (
            "CodeMismatchException".into(),
            "Invalid code or auth state for the user.".into()
        )
    );
    // The wrong code counted as a failed sign-in; the right one still works in time.
    answer(&ctx, name, &session, "otp", &[("EMAIL_OTP_CODE", &code)])
        .await
        .unwrap()
        .access_token();
    // The same code does not sign in twice.
    let e = answer(
        &ctx,
        ChallengeNameType::EmailOtp,
        &session,
        "otp",
        &[("EMAIL_OTP_CODE", &code)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
    // A session answered too late is expired.
    let (name, session, _) = init(&ctx, "otp", &[("PREFERRED_CHALLENGE", "SMS_OTP")])
        .await
        .unwrap()
        .challenge();
    let code = sent_code(&ctx, "otp", "+15550109876");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let e = answer(&ctx, name, &session, "otp", &[("SMS_OTP_CODE", &code)])
        .await
        .unwrap_err();
    assert_eq!(e, session_expired());
    // An OTP session is not a selection, nor the other way round.
    let (session, _) = init(&ctx, "otp", &[]).await.unwrap().selection();
    let e = answer(
        &ctx,
        ChallengeNameType::EmailOtp,
        &session,
        "otp",
        &[("EMAIL_OTP_CODE", "123456")],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
}

#[tokio::test]
async fn what_the_pool_or_client_does_not_allow_is_refused() {
    // No ALLOW_USER_AUTH on the client.
    let ctx = start(
        pool_with(&EVERY_FACTOR),
        ClientConfig::new("web").with_password_auth(),
    )
    .await;
    user(&ctx, "nope", true, true).await;
    let e = init(&ctx, "nope", &[]).await.unwrap_err();
    assert_eq!(
        e,
        (
            "InvalidParameterException".into(),
            "USER_AUTH flow not enabled for this client".into()
        )
    );
    let ctx = ctx_with(LocalPool::builder(), &["PASSWORD"], false).await;
    user(&ctx, "pw", true, true).await;
    // EMAIL_OTP is not allowed by the pool: not offered, not answerable.
    let (session, available) = init(&ctx, "pw", &[("PREFERRED_CHALLENGE", "EMAIL_OTP")])
        .await
        .unwrap()
        .selection();
    assert!(!available.contains(&ChallengeNameType::EmailOtp));
    let e = answer(
        &ctx,
        ChallengeNameType::SelectChallenge,
        &session,
        "pw",
        &[("ANSWER", "EMAIL_OTP")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.0, "InvalidParameterException");
    assert!(ctx.server.outbox().latest(&ctx.pool_id, "pw").is_none());
    let e = init(&ctx, "pw", &[("PREFERRED_CHALLENGE", "WEB_AUTHN")])
        .await
        .unwrap_err();
    assert_eq!(e.0, "UnsupportedOperationException");
    let e = init(&ctx, "pw", &[("PREFERRED_CHALLENGE", "TELEPATHY")])
        .await
        .unwrap_err();
    assert_eq!(e.0, "InvalidParameterException");
    let e = init(&ctx, "ghost", &[]).await.unwrap_err();
    assert_eq!(e.0, "UserNotFoundException");
}

#[tokio::test]
async fn the_sign_in_policy_and_tier_are_set_checked_and_described() {
    let ctx = ctx_with(LocalPool::builder(), &["PASSWORD"], false).await;
    let policy = |factors: &[AuthFactorType]| {
        UserPoolPolicyType::builder()
            .sign_in_policy(
                SignInPolicyType::builder()
                    .set_allowed_first_auth_factors(Some(factors.to_vec()))
                    .build(),
            )
            .build()
    };
    let created = ctx
        .sdk
        .create_user_pool()
        .pool_name("passwordless")
        .policies(policy(&[
            AuthFactorType::Password,
            AuthFactorType::EmailOtp,
        ]))
        .send()
        .await
        .unwrap();
    let pool = created.user_pool().unwrap();
    assert_eq!(pool.user_pool_tier(), Some(&UserPoolTierType::Essentials));
    let factors = pool
        .policies()
        .and_then(|p| p.sign_in_policy())
        .map(|s| s.allowed_first_auth_factors().to_vec())
        .unwrap();
    assert_eq!(
        factors,
        [AuthFactorType::Password, AuthFactorType::EmailOtp]
    );
    // The LITE plan has no passwordless first factors.
    let e = ctx
        .sdk
        .create_user_pool()
        .pool_name("lite")
        .user_pool_tier(UserPoolTierType::Lite)
        .policies(policy(&[AuthFactorType::Password, AuthFactorType::SmsOtp]))
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "FeatureUnavailableInTierException");
    // Passwords cannot be turned off.
    let e = ctx
        .sdk
        .create_user_pool()
        .pool_name("nopassword")
        .policies(policy(&[AuthFactorType::EmailOtp]))
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "InvalidParameterException");
    // UpdateUserPool without the policy goes back to PASSWORD; the tier stays.
    let id = pool.id().unwrap();
    ctx.sdk
        .update_user_pool()
        .user_pool_id(id)
        .user_pool_tier(UserPoolTierType::Plus)
        .send()
        .await
        .unwrap();
    ctx.sdk
        .update_user_pool()
        .user_pool_id(id)
        .send()
        .await
        .unwrap();
    let described = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(id)
        .send()
        .await
        .unwrap();
    let pool = described.user_pool().unwrap();
    assert_eq!(pool.user_pool_tier(), Some(&UserPoolTierType::Plus));
    assert_eq!(
        pool.policies()
            .and_then(|p| p.sign_in_policy())
            .map(|s| s.allowed_first_auth_factors().to_vec())
            .unwrap(),
        [AuthFactorType::Password]
    );
}

/// Signs a user up and confirms them, passing SignUp's Session to ConfirmSignUp; returns
/// ConfirmSignUp's Session.
async fn sign_up_and_confirm(ctx: &Ctx, name: &str) -> Option<String> {
    let up = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username(name)
        .password(PW)
        .user_attributes(attr("email", &format!("{name}@example.com")))
        .send()
        .await
        .unwrap();
    let code = ctx
        .server
        .latest_code(&ctx.pool_id, name)
        .expect("sign-up code");
    let mut confirm = ctx
        .sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username(name)
        .confirmation_code(code);
    if let Some(s) = up.session() {
        confirm = confirm.session(s);
    }
    confirm.send().await.unwrap().session().map(str::to_owned)
}

async fn init_with_session(ctx: &Ctx, name: &str, session: &str) -> Result<Step, Failure> {
    let out = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", name)
        .session(session)
        .send()
        .await
        .map_err(failure)?;
    Ok(step_of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
        out.available_challenges(),
    ))
}

#[tokio::test]
async fn the_sign_in_after_sign_up_works_once() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_user_auth()).await;
    let session = sign_up_and_confirm(&ctx, "newbie")
        .await
        .expect("a session");
    // Another user's name does not take it (and spends it).
    let other_session = sign_up_and_confirm(&ctx, "other").await.expect("a session");
    let e = init_with_session(&ctx, "newbie", &other_session)
        .await
        .unwrap_err();
    assert_eq!(e, session_expired());
    let access = init_with_session(&ctx, "newbie", &session)
        .await
        .unwrap()
        .access_token();
    assert_eq!(claims(&access)["username"], "newbie");
    let e = init_with_session(&ctx, "newbie", &session)
        .await
        .unwrap_err();
    assert_eq!(e, session_expired());
    // A client without USER_AUTH gets no session.
    let plain = start(email_pool(), ClientConfig::new("web")).await;
    assert_eq!(sign_up_and_confirm(&plain, "plain").await, None);
}

/// The sign-in after sign-up is a sign-in like the others: a pool that tracks devices
/// hands out a new device with its tokens.
#[tokio::test]
async fn the_sign_in_after_sign_up_hands_out_a_new_device() {
    let ctx = start(
        email_pool().with_device_tracking(false, false),
        ClientConfig::new("web").with_user_auth(),
    )
    .await;
    let session = sign_up_and_confirm(&ctx, "fresh").await.expect("a session");
    let out = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserAuth)
        .auth_parameters("USERNAME", "fresh")
        .session(session)
        .send()
        .await
        .unwrap();
    let device = out
        .authentication_result()
        .and_then(|r| r.new_device_metadata())
        .expect("NewDeviceMetadata");
    // `<region>_<uuid>`, the region the pool's.
    let region = ctx.pool_id.split('_').next().unwrap();
    assert!(
        device
            .device_key()
            .is_some_and(|k| k.starts_with(&format!("{region}_"))),
        "{device:?}"
    );
    assert!(device.device_group_key().is_some(), "{device:?}");
}

#[tokio::test]
async fn the_sign_in_after_sign_up_expires() {
    let builder = LocalPool::builder()
        .limits(Limits::default().with_challenge_session_validity(Duration::from_millis(300)));
    let server = builder.start().await.unwrap();
    let pool = server.create_pool(email_pool()).await.unwrap();
    let client = server
        .create_client(&pool.pool_id, ClientConfig::new("web").with_user_auth())
        .await
        .unwrap();
    let ctx = Ctx {
        sdk: sdk(server.endpoint()),
        server,
        pool_id: pool.pool_id,
        client_id: client.client_id,
        secret: None,
    };
    let session = sign_up_and_confirm(&ctx, "slow").await.expect("a session");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let e = init_with_session(&ctx, "slow", &session).await.unwrap_err();
    assert_eq!(e, session_expired());
}

#[tokio::test]
async fn user_auth_factors_are_answered() {
    let ctx = ctx_with(LocalPool::builder(), &EVERY_FACTOR, false).await;
    user(&ctx, "fac", true, false).await;
    let access = init(
        &ctx,
        "fac",
        &[("PREFERRED_CHALLENGE", "PASSWORD"), ("PASSWORD", PW)],
    )
    .await
    .unwrap()
    .access_token();
    let out = ctx
        .sdk
        .get_user_auth_factors()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.username(), "fac");
    assert_eq!(
        out.configured_user_auth_factors(),
        [AuthFactorType::Password, AuthFactorType::EmailOtp]
    );
    assert!(out.user_mfa_setting_list().is_empty());
    assert_eq!(out.preferred_mfa_setting(), None);
    ctx.sdk
        .admin_set_user_mfa_preference()
        .user_pool_id(&ctx.pool_id)
        .username("fac")
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = ctx
        .sdk
        .admin_get_user_auth_factors()
        .user_pool_id(&ctx.pool_id)
        .username("fac")
        .send()
        .await
        .unwrap();
    assert_eq!(out.username(), "fac");
    assert_eq!(out.user_mfa_setting_list(), ["EMAIL_OTP"]);
    assert_eq!(out.preferred_mfa_setting(), Some("EMAIL_OTP"));
    assert_eq!(
        out.configured_user_auth_factors(),
        [AuthFactorType::Password, AuthFactorType::EmailOtp]
    );
    let e = ctx
        .sdk
        .admin_get_user_auth_factors()
        .user_pool_id(&ctx.pool_id)
        .username("ghost")
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "UserNotFoundException");
    let e = ctx
        .sdk
        .get_user_auth_factors()
        .access_token("not-a-token")
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "NotAuthorizedException");
}

#[tokio::test]
async fn a_lite_pool_refuses_clients_allowing_user_auth() {
    let ctx = ctx_with(LocalPool::builder(), &["PASSWORD"], false).await;
    let lite = ctx
        .sdk
        .create_user_pool()
        .pool_name("lite")
        .user_pool_tier(UserPoolTierType::Lite)
        .send()
        .await
        .unwrap();
    let lite_id = lite.user_pool().unwrap().id().unwrap();
    let e = ctx
        .sdk
        .create_user_pool_client()
        .user_pool_id(lite_id)
        .client_name("choice")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "FeatureUnavailableInTierException", "{}", e.1);
    // Without it the client is made; an update that adds it is refused and changes nothing.
    let made = ctx
        .sdk
        .create_user_pool_client()
        .user_pool_id(lite_id)
        .client_name("srp")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap();
    let client_id = made.user_pool_client().unwrap().client_id().unwrap();
    let e = ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(lite_id)
        .client_id(client_id)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth)
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e.0, "FeatureUnavailableInTierException", "{}", e.1);
    let described = ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(lite_id)
        .client_id(client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.user_pool_client().unwrap().explicit_auth_flows(),
        [ExplicitAuthFlowsType::AllowUserSrpAuth]
    );
    // The same client on an ESSENTIALS pool (the default plan) is accepted.
    let essentials = ctx
        .sdk
        .create_user_pool()
        .pool_name("essentials")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .create_user_pool_client()
        .user_pool_id(essentials.user_pool().unwrap().id().unwrap())
        .client_name("choice")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth)
        .send()
        .await
        .unwrap();
}
