//! Admin sign-in over the SDK: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH and its legacy
//! name ADMIN_NO_SRP_AUTH, USER_SRP_AUTH, REFRESH_TOKEN_AUTH) and
//! AdminRespondToAuthChallenge (PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED,
//! SOFTWARE_TOKEN_MFA), with and without a client secret; the app client's
//! ExplicitAuthFlows, the UserPoolId/ClientId pair, SigV4 and the lockout.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, MessageActionType,
    SoftwareTokenMfaConfigType, SoftwareTokenMfaSettingsType, UserPoolMfaType,
    VerifySoftwareTokenResponseType,
};
use serde_json::json;
use userpool_local::{ClientConfig, Limits, LocalPool};

use crate::common::*;

type Failure = (String, String);

fn failure<E: ProvideErrorMetadata>(e: E) -> Failure {
    (
        e.code().unwrap_or("<none>").to_owned(),
        e.message().unwrap_or("").to_owned(),
    )
}

fn failed(code: &str, message: &str) -> Failure {
    (code.to_owned(), message.to_owned())
}

const WRONG: &str = "Wrong-Passw0rd";

/// The flows of a client that allows the admin password flow besides SRP and refresh.
fn admin_flows() -> Vec<String> {
    [
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]
    .map(String::from)
    .to_vec()
}

fn client_with(flows: Vec<String>, secret: bool) -> ClientConfig {
    let mut c = ClientConfig::new("server");
    c.explicit_auth_flows = flows;
    if secret { c.with_secret() } else { c }
}

async fn admin_ctx(secret: bool) -> Ctx {
    start(email_pool(), client_with(admin_flows(), secret)).await
}

async fn confirmed_user(ctx: &Ctx, name: &str) {
    ctx.server
        .create_user(
            &ctx.pool_id,
            name,
            PW,
            &[
                ("email", &format!("{name}@example.com")),
                ("email_verified", "true"),
            ],
        )
        .await
        .expect("user");
}

/// AdminInitiateAuth with `flow` and `params`, SECRET_HASH of `username` added for a
/// client with a secret.
async fn admin_initiate(
    ctx: &Ctx,
    flow: AuthFlowType,
    username: &str,
    params: &[(&str, &str)],
) -> Result<AdminInitiateAuthOutput, Failure> {
    let mut req = ctx
        .sdk
        .admin_initiate_auth()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .auth_flow(flow)
        .auth_parameters("USERNAME", username);
    for (k, v) in params {
        req = req.auth_parameters(*k, *v);
    }
    if let Some(s) = &ctx.secret {
        req = req.auth_parameters("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    req.send().await.map_err(failure)
}

async fn admin_password(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<AdminInitiateAuthOutput, Failure> {
    admin_initiate(
        ctx,
        AuthFlowType::AdminUserPasswordAuth,
        username,
        &[("PASSWORD", password)],
    )
    .await
}

/// What a sign-in step answered: tokens or a challenge.
#[derive(Debug)]
enum Step {
    Tokens(AuthenticationResultType),
    Challenge(ChallengeNameType, String, HashMap<String, String>),
}

impl Step {
    fn of(
        result: Option<&AuthenticationResultType>,
        name: Option<&ChallengeNameType>,
        session: Option<&str>,
        params: Option<&HashMap<String, String>>,
    ) -> Step {
        match result {
            Some(r) => Step::Tokens(r.clone()),
            None => Step::Challenge(
                name.expect("challenge name").clone(),
                session.unwrap_or_default().to_owned(),
                params.cloned().unwrap_or_default(),
            ),
        }
    }

    fn tokens(self) -> AuthenticationResultType {
        match self {
            Step::Tokens(t) => t,
            other => panic!("expected tokens, got {other:?}"),
        }
    }

    fn challenge(self) -> (ChallengeNameType, String, HashMap<String, String>) {
        match self {
            Step::Challenge(name, session, params) => (name, session, params),
            Step::Tokens(_) => panic!("expected a challenge, got tokens"),
        }
    }
}

fn initiate_step(out: &AdminInitiateAuthOutput) -> Step {
    Step::of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
    )
}

/// AdminRespondToAuthChallenge with USERNAME (and SECRET_HASH for a client with a secret)
/// and `pairs`.
async fn admin_answer(
    ctx: &Ctx,
    challenge: ChallengeNameType,
    session: Option<&str>,
    username: &str,
    pairs: &[(&str, &str)],
) -> Result<Step, Failure> {
    let mut req = ctx
        .sdk
        .admin_respond_to_auth_challenge()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .challenge_name(challenge)
        .set_session(session.map(str::to_owned))
        .challenge_responses("USERNAME", username);
    for (k, v) in pairs {
        req = req.challenge_responses(*k, *v);
    }
    if let Some(s) = &ctx.secret {
        req = req.challenge_responses("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    let out = req.send().await.map_err(failure)?;
    Ok(Step::of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
    ))
}

/// A full SRP sign-in through the admin calls.
async fn admin_srp(ctx: &Ctx, username: &str, password: &str) -> Result<Step, Failure> {
    let srp = userpool_srp::SrpSignIn::new().expect("srp client");
    let out = admin_initiate(
        ctx,
        AuthFlowType::UserSrpAuth,
        username,
        &[("SRP_A", srp.srp_a())],
    )
    .await?;
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::PasswordVerifier)
    );
    let params = out.challenge_parameters().expect("challenge parameters");
    let ts = userpool_srp::timestamp(SystemTime::now());
    let claim = srp
        .answer(&ctx.pool_id, password, &ts, |k| {
            params.get(k).map(String::as_str)
        })
        .expect("claim");
    // USERNAME is added by `admin_answer`.
    let pairs: Vec<(&str, &str)> = claim
        .responses()
        .into_iter()
        .filter(|(k, _)| *k != "USERNAME")
        .collect();
    admin_answer(
        ctx,
        ChallengeNameType::PasswordVerifier,
        None,
        &claim.username,
        &pairs,
    )
    .await
}

/// The access token works and names `username` and the app client.
async fn assert_signed_in(ctx: &Ctx, tokens: &AuthenticationResultType, username: &str) {
    let access = tokens.access_token().expect("access token");
    let claims = claims(access);
    assert_eq!(claims["client_id"], ctx.client_id.as_str());
    assert_eq!(claims["username"], username);
    assert_eq!(claims["token_use"], "access");
    let me = ctx
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .expect("GetUser with the admin sign-in's token");
    assert_eq!(me.username(), username);
}

#[tokio::test]
async fn admin_password_sign_in_with_and_without_a_client_secret() {
    for secret in [false, true] {
        let ctx = admin_ctx(secret).await;
        confirmed_user(&ctx, "ada").await;
        let tokens = initiate_step(&admin_password(&ctx, "ada", PW).await.unwrap()).tokens();
        assert!(
            tokens.refresh_token().is_some(),
            "a sign-in has a refresh token"
        );
        assert_signed_in(&ctx, &tokens, "ada").await;
        // PreventUserExistenceErrors is off: an unknown user is named as such.
        let e = admin_password(&ctx, "nobody", PW).await.unwrap_err();
        assert_eq!(e, failed("UserNotFoundException", "User does not exist."));
        let e = admin_password(&ctx, "ada", WRONG).await.unwrap_err();
        assert_eq!(
            e,
            failed("NotAuthorizedException", "Incorrect username or password.")
        );
        if secret {
            let e = ctx
                .sdk
                .admin_initiate_auth()
                .user_pool_id(&ctx.pool_id)
                .client_id(&ctx.client_id)
                .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", "ada")
                .auth_parameters("PASSWORD", PW)
                .send()
                .await
                .map_err(failure)
                .unwrap_err();
            assert_eq!(
                e,
                failed(
                    "NotAuthorizedException",
                    &format!(
                        "Client {} is configured with secret but SECRET_HASH was not received",
                        ctx.client_id
                    )
                )
            );
            let e = ctx
                .sdk
                .admin_initiate_auth()
                .user_pool_id(&ctx.pool_id)
                .client_id(&ctx.client_id)
                .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", "ada")
                .auth_parameters("PASSWORD", PW)
                .auth_parameters("SECRET_HASH", secret_hash("not-it", "ada", &ctx.client_id))
                .send()
                .await
                .map_err(failure)
                .unwrap_err();
            assert_eq!(
                e,
                failed(
                    "NotAuthorizedException",
                    &format!("Unable to verify secret hash for client {}", ctx.client_id)
                )
            );
        }
    }
}

#[tokio::test]
async fn the_legacy_admin_no_srp_auth_flow_signs_in_on_a_legacy_client() {
    let ctx = start(
        email_pool(),
        client_with(vec!["ADMIN_NO_SRP_AUTH".into()], false),
    )
    .await;
    confirmed_user(&ctx, "leo").await;
    for flow in [
        AuthFlowType::AdminNoSrpAuth,
        AuthFlowType::AdminUserPasswordAuth,
    ] {
        let out = admin_initiate(&ctx, flow, "leo", &[("PASSWORD", PW)])
            .await
            .unwrap();
        assert_signed_in(&ctx, &initiate_step(&out).tokens(), "leo").await;
    }
}

#[tokio::test]
async fn admin_srp_sign_in_answers_password_verifier_with_and_without_a_client_secret() {
    for secret in [false, true] {
        let ctx = admin_ctx(secret).await;
        confirmed_user(&ctx, "sid").await;
        let tokens = admin_srp(&ctx, "sid", PW).await.unwrap().tokens();
        assert_signed_in(&ctx, &tokens, "sid").await;
        let e = admin_srp(&ctx, "sid", WRONG).await.unwrap_err();
        assert_eq!(
            e,
            failed("NotAuthorizedException", "Incorrect username or password.")
        );
    }
}

#[tokio::test]
async fn admin_refresh_with_and_without_a_client_secret() {
    for secret in [false, true] {
        let ctx = admin_ctx(secret).await;
        confirmed_user(&ctx, "rae").await;
        let first = initiate_step(&admin_password(&ctx, "rae", PW).await.unwrap()).tokens();
        let refresh = first.refresh_token().expect("refresh token").to_owned();
        for flow in [AuthFlowType::RefreshTokenAuth, AuthFlowType::RefreshToken] {
            let out = admin_initiate(&ctx, flow, "rae", &[("REFRESH_TOKEN", &refresh)])
                .await
                .unwrap();
            let tokens = initiate_step(&out).tokens();
            assert_eq!(tokens.refresh_token(), None, "a refresh keeps its token");
            assert_signed_in(&ctx, &tokens, "rae").await;
        }
        let e = admin_initiate(
            &ctx,
            AuthFlowType::RefreshTokenAuth,
            "rae",
            &[("REFRESH_TOKEN", "not-a-refresh-token")],
        )
        .await
        .unwrap_err();
        assert_eq!(e, failed("NotAuthorizedException", "Invalid Refresh Token"));
        // The public refresh accepts the admin sign-in's token: it is the client's.
        let mut req = ctx
            .sdk
            .initiate_auth()
            .client_id(&ctx.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &refresh);
        if let Some(s) = &ctx.secret {
            req = req.auth_parameters("SECRET_HASH", secret_hash(s, "rae", &ctx.client_id));
        }
        req.send()
            .await
            .expect("public refresh of an admin session");
    }
}

#[tokio::test]
async fn flows_the_client_does_not_enable_are_refused() {
    let not_enabled = failed(
        "InvalidParameterException",
        "Auth flow not enabled for this client",
    );
    // Cognito's default flows (no list) and an explicit list without the admin flow.
    for flows in [
        vec![],
        vec![
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
    ] {
        let ctx = start(email_pool(), client_with(flows.clone(), false)).await;
        confirmed_user(&ctx, "ned").await;
        for flow in [
            AuthFlowType::AdminUserPasswordAuth,
            AuthFlowType::AdminNoSrpAuth,
        ] {
            let e = admin_initiate(&ctx, flow, "ned", &[("PASSWORD", PW)])
                .await
                .unwrap_err();
            assert_eq!(e, not_enabled, "{flows:?}");
        }
    }
    let ctx = start(
        email_pool(),
        client_with(
            vec![
                "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
                "ALLOW_REFRESH_TOKEN_AUTH".into(),
            ],
            false,
        ),
    )
    .await;
    confirmed_user(&ctx, "ned").await;
    let srp = userpool_srp::SrpSignIn::new().unwrap();
    let e = admin_initiate(
        &ctx,
        AuthFlowType::UserSrpAuth,
        "ned",
        &[("SRP_A", srp.srp_a())],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        failed(
            "InvalidParameterException",
            "USER_SRP_AUTH flow not enabled for this client"
        )
    );
    // Each entry point refuses the other's password flow, as Cognito does.
    let not_supported = failed(
        "InvalidParameterException",
        "Initiate Auth method not supported.",
    );
    let e = admin_initiate(
        &ctx,
        AuthFlowType::UserPasswordAuth,
        "ned",
        &[("PASSWORD", PW)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, not_supported);
    let e = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "ned")
        .auth_parameters("PASSWORD", PW)
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e, not_supported);
    // The enabled flow works on that client.
    let out = admin_password(&ctx, "ned", PW).await.unwrap();
    assert_signed_in(&ctx, &initiate_step(&out).tokens(), "ned").await;
}

#[tokio::test]
async fn a_wrong_pool_or_client_is_cognitos_not_found() {
    let ctx = admin_ctx(false).await;
    confirmed_user(&ctx, "pam").await;
    let other_pool = ctx.server.create_pool(email_pool()).await.unwrap();
    let other_client = ctx
        .server
        .create_client(&other_pool.pool_id, client_with(admin_flows(), false))
        .await
        .unwrap();
    let missing_pool = "us-east-1_NoSuchPool";
    let attempt = |pool: String, client: String| {
        ctx.sdk
            .admin_initiate_auth()
            .user_pool_id(pool)
            .client_id(client)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", "pam")
            .auth_parameters("PASSWORD", PW)
            .send()
    };
    let e = attempt(missing_pool.into(), ctx.client_id.clone())
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(
        e,
        failed(
            "ResourceNotFoundException",
            &format!("User pool {missing_pool} does not exist.")
        )
    );
    let e = attempt(ctx.pool_id.clone(), "nosuchclient".into())
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(
        e,
        failed(
            "ResourceNotFoundException",
            "User pool client nosuchclient does not exist."
        )
    );
    // A client of another pool is not a client of this one.
    let client_of_other = failed(
        "ResourceNotFoundException",
        &format!(
            "User pool client {} does not exist.",
            other_client.client_id
        ),
    );
    let e = attempt(ctx.pool_id.clone(), other_client.client_id.clone())
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e, client_of_other);
    let e = ctx
        .sdk
        .admin_respond_to_auth_challenge()
        .user_pool_id(&ctx.pool_id)
        .client_id(&other_client.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session("any")
        .challenge_responses("USERNAME", "pam")
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(e, client_of_other);
    // The right pair still works.
    attempt(ctx.pool_id.clone(), ctx.client_id.clone())
        .await
        .expect("the right pair");
}

#[tokio::test]
async fn new_password_required_is_answered_with_admin_respond() {
    for secret in [false, true] {
        let ctx = admin_ctx(secret).await;
        ctx.sdk
            .admin_create_user()
            .user_pool_id(&ctx.pool_id)
            .username("newt")
            .temporary_password("Temp-Passw0rd!")
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        let out = admin_password(&ctx, "newt", "Temp-Passw0rd!")
            .await
            .unwrap();
        let (name, session, params) = initiate_step(&out).challenge();
        assert_eq!(name, ChallengeNameType::NewPasswordRequired);
        assert_eq!(params["USER_ID_FOR_SRP"], "newt");
        // A password the policy refuses leaves the session open.
        let e = admin_answer(
            &ctx,
            ChallengeNameType::NewPasswordRequired,
            Some(&session),
            "newt",
            &[("NEW_PASSWORD", "short")],
        )
        .await
        .unwrap_err();
        assert_eq!(e.0, "InvalidPasswordException");
        let tokens = admin_answer(
            &ctx,
            ChallengeNameType::NewPasswordRequired,
            Some(&session),
            "newt",
            &[("NEW_PASSWORD", PW)],
        )
        .await
        .unwrap()
        .tokens();
        assert_signed_in(&ctx, &tokens, "newt").await;
        // The session is spent; the new password is the user's.
        let e = admin_answer(
            &ctx,
            ChallengeNameType::NewPasswordRequired,
            Some(&session),
            "newt",
            &[("NEW_PASSWORD", PW)],
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            failed(
                "NotAuthorizedException",
                "Invalid session for the user, session is expired."
            )
        );
        admin_password(&ctx, "newt", PW).await.unwrap();
    }
}

#[tokio::test]
async fn a_challenge_session_is_bound_to_its_client_not_to_its_entry_point() {
    let ctx = start(
        email_pool(),
        client_with(
            vec![
                "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
                "ALLOW_USER_PASSWORD_AUTH".into(),
                "ALLOW_REFRESH_TOKEN_AUTH".into(),
            ],
            false,
        ),
    )
    .await;
    let second = ctx
        .server
        .create_client(&ctx.pool_id, client_with(admin_flows(), false))
        .await
        .unwrap();
    for name in ["cross1", "cross2"] {
        ctx.server
            .create_user(&ctx.pool_id, name, "Temp-Passw0rd!", &[])
            .await
            .unwrap();
        ctx.server
            .set_password(&ctx.pool_id, name, "Temp-Passw0rd!", false)
            .await
            .unwrap();
    }
    // Opened by AdminInitiateAuth, answered by the public RespondToAuthChallenge.
    let out = admin_password(&ctx, "cross1", "Temp-Passw0rd!")
        .await
        .unwrap();
    let (_, session, _) = initiate_step(&out).challenge();
    let out = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "cross1")
        .challenge_responses("NEW_PASSWORD", PW)
        .send()
        .await
        .expect("public answer of an admin session");
    assert!(out.authentication_result().is_some());
    // Opened by InitiateAuth, answered by AdminRespondToAuthChallenge; not by another
    // client of the same pool.
    let out = password_sign_in(&ctx, "cross2", "Temp-Passw0rd!")
        .await
        .unwrap();
    let session = out.session().unwrap().to_owned();
    let e = ctx
        .sdk
        .admin_respond_to_auth_challenge()
        .user_pool_id(&ctx.pool_id)
        .client_id(&second.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(&session)
        .challenge_responses("USERNAME", "cross2")
        .challenge_responses("NEW_PASSWORD", PW)
        .send()
        .await
        .map_err(failure)
        .unwrap_err();
    assert_eq!(
        e,
        failed(
            "NotAuthorizedException",
            "Invalid session for the user, session is expired."
        )
    );
    let tokens = admin_answer(
        &ctx,
        ChallengeNameType::NewPasswordRequired,
        Some(&session),
        "cross2",
        &[("NEW_PASSWORD", PW)],
    )
    .await
    .unwrap()
    .tokens();
    assert_signed_in(&ctx, &tokens, "cross2").await;
}

/// The TOTP code of a base32 secret, `steps` 30-second steps from now.
fn totp_code(secret_code: &str, steps: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_code).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_ref().to_vec())
        .build()
        .expect("totp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now.saturating_add_signed(steps * 30))
        .to_string()
}

#[tokio::test]
async fn a_totp_challenge_is_answered_with_admin_respond() {
    for secret in [false, true] {
        let ctx = admin_ctx(secret).await;
        ctx.sdk
            .set_user_pool_mfa_config()
            .user_pool_id(&ctx.pool_id)
            .mfa_configuration(UserPoolMfaType::Optional)
            .software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder().enabled(true).build(),
            )
            .send()
            .await
            .unwrap();
        confirmed_user(&ctx, "tom").await;
        // No factor yet: tokens, whose access token enrols an authenticator.
        let first = initiate_step(&admin_password(&ctx, "tom", PW).await.unwrap()).tokens();
        let access = first.access_token().unwrap();
        let code = ctx
            .sdk
            .associate_software_token()
            .access_token(access)
            .send()
            .await
            .unwrap()
            .secret_code()
            .unwrap()
            .to_owned();
        let verified = ctx
            .sdk
            .verify_software_token()
            .access_token(access)
            .user_code(totp_code(&code, 0))
            .send()
            .await
            .unwrap();
        assert_eq!(
            verified.status(),
            Some(&VerifySoftwareTokenResponseType::Success)
        );
        ctx.sdk
            .admin_set_user_mfa_preference()
            .user_pool_id(&ctx.pool_id)
            .username("tom")
            .software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(true)
                    .preferred_mfa(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let (name, session, _) =
            initiate_step(&admin_password(&ctx, "tom", PW).await.unwrap()).challenge();
        assert_eq!(name, ChallengeNameType::SoftwareTokenMfa);
        // VerifySoftwareToken used this step's code; the next step's is unused.
        let next = totp_code(&code, 1);
        let wrong = if next == "000000" { "111111" } else { "000000" };
        let e = admin_answer(
            &ctx,
            ChallengeNameType::SoftwareTokenMfa,
            Some(&session),
            "tom",
            &[("SOFTWARE_TOKEN_MFA_CODE", wrong)],
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            failed(
                "CodeMismatchException",
                "Invalid code or auth state for the user."
            )
        );
        let tokens = admin_answer(
            &ctx,
            ChallengeNameType::SoftwareTokenMfa,
            Some(&session),
            "tom",
            &[("SOFTWARE_TOKEN_MFA_CODE", &next)],
        )
        .await
        .unwrap()
        .tokens();
        assert_signed_in(&ctx, &tokens, "tom").await;
        // The SRP flow through the admin calls reaches the same challenge.
        let (name, _, _) = admin_srp(&ctx, "tom", PW).await.unwrap().challenge();
        assert_eq!(name, ChallengeNameType::SoftwareTokenMfa);
    }
}

#[tokio::test]
async fn wrong_admin_passwords_count_towards_the_lockout() {
    let limits =
        Limits::default().with_lockout(3, Duration::from_secs(600), Duration::from_secs(900));
    let mut client = client_with(admin_flows(), false);
    client
        .explicit_auth_flows
        .push("ALLOW_USER_PASSWORD_AUTH".into());
    let ctx = start_with(LocalPool::builder().limits(limits), email_pool(), client).await;
    confirmed_user(&ctx, "lou").await;
    let incorrect = failed("NotAuthorizedException", "Incorrect username or password.");
    let exceeded = failed("NotAuthorizedException", "Password attempts exceeded");
    // One wrong public guess, then two wrong admin ones (one of them by SRP): the third
    // counted failure reaches the threshold.
    assert_eq!(
        failure(password_sign_in(&ctx, "lou", WRONG).await.unwrap_err()),
        incorrect
    );
    assert_eq!(
        admin_password(&ctx, "lou", WRONG).await.unwrap_err(),
        incorrect
    );
    assert_eq!(admin_srp(&ctx, "lou", WRONG).await.unwrap_err(), incorrect);
    // Locked: the right password is refused on both entry points.
    assert_eq!(admin_password(&ctx, "lou", PW).await.unwrap_err(), exceeded);
    assert_eq!(
        failure(password_sign_in(&ctx, "lou", PW).await.unwrap_err()),
        exceeded
    );
}

fn signed_sdk(endpoint: &str, key: &str, secret: &str) -> cip::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "static"))
        .http_client(http)
        .build();
    cip::Client::from_conf(config)
}

#[tokio::test]
async fn admin_sign_in_needs_a_signature_once_an_admin_key_is_configured() {
    const KEY: &str = "AKIDADMINAUTH";
    const SECRET: &str = "admin/auth+secret";
    let mut ctx = start_with(
        LocalPool::builder().admin_credentials(KEY, SECRET),
        email_pool(),
        client_with(admin_flows(), false),
    )
    .await;
    confirmed_user(&ctx, "sig").await;
    let body = json!({
        "UserPoolId": ctx.pool_id,
        "ClientId": ctx.client_id,
        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
        "AuthParameters": { "USERNAME": "sig", "PASSWORD": PW },
    });
    // No signature at all, for both admin operations.
    let r = call(ctx.server.local_addr(), "AdminInitiateAuth", &body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");
    assert!(!r.body.contains("AccessToken"), "{}", r.body);
    let r = call(
        ctx.server.local_addr(),
        "AdminRespondToAuthChallenge",
        &json!({
            "UserPoolId": ctx.pool_id,
            "ClientId": ctx.client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "any",
            "ChallengeResponses": { "USERNAME": "sig", "NEW_PASSWORD": PW },
        }),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");
    // Signed with an unknown key: refused.
    let e = admin_password(&ctx, "sig", PW).await.unwrap_err();
    assert_eq!(e.0, "UnrecognizedClientException");
    // Signed with the configured key: signed in.
    ctx.sdk = signed_sdk(ctx.server.endpoint(), KEY, SECRET);
    let out = admin_password(&ctx, "sig", PW).await.unwrap();
    assert_signed_in(&ctx, &initiate_step(&out).tokens(), "sig").await;
}
