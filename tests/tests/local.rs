//! Every end-to-end flow against the local user pool, one test each, run by plain
//! `cargo test`. Each test starts its own embedded local pool (in memory, loopback, a free
//! port); the flows themselves are in `userpool_it::flows`.
//!
//! The `runner` module checks the report of the `it` binary: unsupported flows are never
//! counted as passed, failures are, and the aws backend without configuration says so
//! loudly and exits 0.

use userpool_it::runner::{self, Outcome};
use userpool_it::{Flow, LocalBackend};

async fn run(flow: Flow) {
    let backend = LocalBackend::start()
        .await
        .unwrap_or_else(|e| panic!("starting the local pool: {e:#}"));
    match runner::run_flow(&backend, flow).await {
        Outcome::Pass => {}
        Outcome::Fail(error) => panic!("{} failed against the local pool: {error}", flow.name()),
        Outcome::Unsupported(reason) => panic!(
            "the local pool must support every flow, but not {}: {reason}",
            flow.name()
        ),
    }
}

macro_rules! flow_tests {
    ($($test:ident => $flow:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                run(Flow::$flow).await;
            }
        )*

        #[test]
        fn every_flow_has_a_test() {
            let tested = [$(Flow::$flow),*];
            for flow in Flow::ALL {
                assert!(tested.contains(&flow), "{} has no test here", flow.name());
            }
            assert_eq!(tested.len(), Flow::ALL.len(), "a flow is tested twice");
        }
    };
}

flow_tests! {
    sign_up_confirm_srp => SignUpConfirmSrp,
    sign_up_rejected => SignUpRejected,
    resend_sign_up_code => ResendSignUpCode,
    sign_in_user_password => SignInUserPassword,
    wrong_password => WrongPassword,
    wrong_password_srp => WrongPasswordSrp,
    wrong_code => WrongCode,
    expired_session_refreshed => ExpiredSessionRefreshed,
    refresh_token_revoked => RefreshTokenRevoked,
    global_sign_out => GlobalSignOut,
    update_attributes => UpdateAttributes,
    update_attributes_rejected => UpdateAttributesRejected,
    email_change_verified => EmailChangeVerified,
    delete_attributes => DeleteAttributes,
    new_password_required => NewPasswordRequired,
    new_password_required_attributes => NewPasswordRequiredAttributes,
    client_secret => ClientSecret,
    change_password => ChangePassword,
    forgot_password => ForgotPassword,
    session_restored_from_file => SessionRestoredFromFile,
    clock_skew_restored => ClockSkewRestored,
    sign_out_revokes => SignOutRevokes,
    delete_user => DeleteUser,
    groups_in_tokens => GroupsInTokens,
    mfa_totp => MfaTotp,
    mfa_totp_client_secret => MfaTotpClientSecret,
    mfa_sms => MfaSms,
    mfa_email => MfaEmail,
    mfa_setup => MfaSetup,
    mfa_select_type => MfaSelectType,
    user_auth_email_otp => UserAuthEmailOtp,
    user_auth_sms_otp => UserAuthSmsOtp,
    user_auth_select_password => UserAuthSelectPassword,
    user_auth_select_password_srp => UserAuthSelectPasswordSrp,
    auto_sign_in => AutoSignIn,
    refresh_token_rotation => RefreshTokenRotation,
    remembered_device => RememberedDevice,
}

mod runner_checks {
    use std::process::Command;

    use anyhow::{Result, bail};
    use userpool_it::runner::{self, Outcome};
    use userpool_it::{AppClient, AwsConfig, Backend, Flow, PoolOptions, Purpose};

    /// A backend that supports only the flows in `supported`, and on which every flow
    /// fails (it cannot create a pool).
    #[derive(Debug)]
    struct Broken {
        supported: Vec<Flow>,
        /// Aimed at the discard port: an admin call would fail to connect.
        sdk: aws_sdk_cognitoidentityprovider::Client,
    }

    #[async_trait::async_trait]
    impl Backend for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn endpoint(&self) -> Option<&str> {
            Some("http://127.0.0.1:9")
        }
        fn sdk(&self) -> &aws_sdk_cognitoidentityprovider::Client {
            &self.sdk
        }
        fn supports(&self, flow: Flow) -> Result<(), String> {
            if self.supported.contains(&flow) {
                Ok(())
            } else {
                Err("not here".to_owned())
            }
        }
        async fn create_app(&self, _options: &PoolOptions) -> Result<AppClient> {
            bail!("no pools on this backend")
        }
        async fn codes(
            &self,
            _app: &AppClient,
            _username: &str,
            _purpose: Purpose,
        ) -> Result<Option<Vec<String>>> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn unsupported_flows_are_not_run_and_never_pass() {
        let backend = Broken {
            supported: vec![Flow::ChangePassword],
            sdk: userpool_it::local_sdk("http://127.0.0.1:9", "us-east-1"),
        };
        let mut lines = Vec::new();
        let report = runner::run_all(&backend, &Flow::ALL, |l| lines.push(l.to_owned())).await;
        assert_eq!(report.passed(), 0);
        assert_eq!(report.failed(), 1);
        assert_eq!(report.unsupported(), Flow::ALL.len() - 1);
        assert!(!report.success());
        assert_eq!(
            report.summary(),
            format!("0 passed, 1 failed, {} unsupported", Flow::ALL.len() - 1)
        );
        assert_eq!(lines.len(), Flow::ALL.len());
        assert!(
            lines.contains(&"UNSUPPORTED delete_user: not here".to_owned()),
            "{lines:?}"
        );
        let failed = lines
            .iter()
            .find(|l| l.starts_with("FAIL change_password: "))
            .unwrap_or_else(|| panic!("no FAIL line in {lines:?}"));
        assert!(failed.contains("no pools on this backend"), "{failed}");
        assert!(matches!(
            report
                .outcomes
                .iter()
                .find(|(f, _)| *f == Flow::ChangePassword),
            Some((_, Outcome::Fail(_)))
        ));
    }

    #[test]
    fn flow_names_round_trip() {
        for flow in Flow::ALL {
            assert_eq!(Flow::from_name(flow.name()), Some(flow));
        }
        assert_eq!(Flow::from_name("nope"), None);
    }

    #[test]
    fn aws_configuration_is_all_or_nothing() {
        let none = AwsConfig::from_vars(|_| None).unwrap();
        assert_eq!(none, None);
        let half = AwsConfig::from_vars(|name| {
            (name == "USERPOOL_IT_POOL_ID").then(|| "us-east-1_abc".to_owned())
        });
        let message = format!("{:#}", half.unwrap_err());
        assert!(message.contains("USERPOOL_IT_CLIENT_ID"), "{message}");
        assert!(message.contains("USERPOOL_IT_REGION"), "{message}");
        let full = |codes: Option<&'static str>| {
            move |name: &str| match name {
                "USERPOOL_IT_POOL_ID" => Some("us-east-1_abc".to_owned()),
                "USERPOOL_IT_CLIENT_ID" => Some("client".to_owned()),
                "USERPOOL_IT_REGION" => Some("us-east-1".to_owned()),
                "USERPOOL_IT_CODES" => codes.map(str::to_owned),
                _ => None,
            }
        };
        let config = AwsConfig::from_vars(full(Some("admin"))).unwrap().unwrap();
        assert_eq!(config.pool_id, "us-east-1_abc");
        assert_eq!(config.client_id, "client");
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.client_secret, None);
        assert!(AwsConfig::from_vars(full(None)).unwrap().is_some());
        assert!(AwsConfig::from_vars(full(Some("email"))).is_err());
    }

    fn it() -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_it"));
        for name in [
            "USERPOOL_IT_POOL_ID",
            "USERPOOL_IT_CLIENT_ID",
            "USERPOOL_IT_REGION",
            "USERPOOL_IT_CODES",
            "USERPOOL_IT_CLIENT_SECRET",
            "USERPOOL_IT_MOTO_ENDPOINT",
        ] {
            cmd.env_remove(name);
        }
        cmd
    }

    #[test]
    fn aws_backend_without_configuration_is_skipped_loudly() {
        let out = it().args(["--backend", "aws"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(
            stdout.contains("SKIPPED: aws backend not configured (set USERPOOL_IT_POOL_ID"),
            "{stdout}"
        );
        let last = stdout.lines().last().unwrap_or_default();
        assert_eq!(
            last,
            format!("aws: 0 passed, 0 failed, {} skipped", Flow::ALL.len())
        );
        assert!(!stdout.contains("PASS"), "{stdout}");
    }

    #[test]
    fn aws_backend_half_configured_fails() {
        let out = it()
            .args(["--backend", "aws"])
            .env("USERPOOL_IT_POOL_ID", "us-east-1_abc")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("USERPOOL_IT_CLIENT_ID"), "{stderr}");
    }

    #[test]
    fn moto_backend_needs_an_endpoint() {
        let out = it().args(["--backend", "moto"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--endpoint"), "{stderr}");
    }

    #[test]
    fn unknown_arguments_are_refused() {
        let out = it().args(["--backend", "nowhere"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let out = it().args(["--flow", "no_such_flow"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
    }

    #[test]
    fn list_names_every_flow() {
        let out = it().arg("--list").output().unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = stdout.lines().collect();
        let expected: Vec<&str> = Flow::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names, expected);
    }
}
