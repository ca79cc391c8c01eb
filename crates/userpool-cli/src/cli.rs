//! The command line: the clap definitions, dispatch, and the exit code.
//!
//! Each subcommand is a variant of [`Command`] and lives in a module with its arguments
//! (`#[derive(Args)]`) and a function that runs it. To add one: the arguments and the
//! function, a variant, an arm in [`run`].

use std::process::ExitCode;

use clap::{ArgAction, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::failure::{EXIT_CODES_HELP, Failure};
use crate::{demo, local, logging, mfa, ops};

const ABOUT: &str = "userpool: users and passwords on Amazon Cognito user pools, from a terminal.

Start with `userpool demo`: it runs every operation against a local user pool, with no AWS
account and no network. `userpool local` serves a local pool for other programs. The other
commands work on any pool, local or AWS: give --pool-id and --client-id (or USERPOOL_POOL_ID
and USERPOOL_CLIENT_ID), and --endpoint for a local pool. The session is kept in a file
(--store) between commands.";

/// The `userpool` command.
#[derive(Debug, Parser)]
#[command(
    name = "userpool",
    version,
    about = "Users and passwords on Amazon Cognito user pools: the demo, a local pool, and every operation at a terminal.",
    long_about = ABOUT,
    propagate_version = true,
    after_help = EXIT_CODES_HELP
)]
pub(crate) struct Cli {
    /// Log to stderr: -v info, -vv debug, -vvv trace (RUST_LOG also works). The AWS SDK
    /// is never logged above debug (at trace it prints request bodies, passwords included).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole mission against an embedded local user pool and narrate it (no AWS
    /// account, no network).
    Demo,
    /// Run a local Amazon Cognito user pool (real SRP, codes and signed tokens).
    Local(local::LocalArgs),
    /// Register a user (SignUp).
    SignUp(ops::SignUpArgs),
    /// Confirm a sign-up with the code that was sent (ConfirmSignUp).
    Confirm(ops::ConfirmArgs),
    /// Send the sign-up confirmation code again (ResendConfirmationCode).
    ResendCode(ops::ResendCodeArgs),
    /// Sign in (SRP by default, or with --hosted in the browser on the pool's hosted
    /// pages) and keep the session in the session file.
    #[command(visible_alias = "login")]
    SignIn(ops::SignInArgs),
    /// Show the signed-in user: username, sub and attributes.
    Whoami(ops::WhoamiArgs),
    /// Show the session: its claims and expiry (the tokens only with --show-tokens).
    Session(ops::SessionArgs),
    /// Change the signed-in user's password (ChangePassword).
    Passwd(ops::PasswdArgs),
    /// Ask for a password-reset code (ForgotPassword).
    Forgot(ops::ForgotArgs),
    /// Set a new password with a reset code (ConfirmForgotPassword).
    Reset(ops::ResetArgs),
    /// Read, change, delete and verify the signed-in user's attributes.
    #[command(subcommand)]
    Attributes(ops::AttributesCommand),
    /// Multi-factor authentication of the signed-in user: set up an authenticator app
    /// (a QR code to scan), see and change the MFA methods.
    #[command(subcommand)]
    Mfa(mfa::MfaCommand),
    /// Sign out (revokes the refresh token); --global signs out on every device.
    SignOut(ops::SignOutArgs),
    /// Delete the signed-in user (asks first, unless --yes).
    Delete(ops::DeleteArgs),
}

/// Runs a subcommand.
async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Demo => demo::run_cli().await,
        Command::Local(args) => local::run(args)
            .await
            .map_err(|e| Failure::local(format!("{e:#}"))),
        Command::SignUp(args) => ops::sign_up(args).await,
        Command::Confirm(args) => ops::confirm(args).await,
        Command::ResendCode(args) => ops::resend_code(args).await,
        Command::SignIn(args) => ops::sign_in(args).await,
        Command::Whoami(args) => ops::whoami(args).await,
        Command::Session(args) => ops::session(args).await,
        Command::Passwd(args) => ops::passwd(args).await,
        Command::Forgot(args) => ops::forgot(args).await,
        Command::Reset(args) => ops::reset(args).await,
        Command::Attributes(command) => ops::attributes_command(command).await,
        Command::Mfa(command) => mfa::mfa_command(command).await,
        Command::SignOut(args) => ops::sign_out(args).await,
        Command::Delete(args) => ops::delete(args).await,
    }
}

/// The command, with the exit codes at the end of every subcommand's help too.
fn command() -> clap::Command {
    fn with_exit_codes(command: clap::Command) -> clap::Command {
        command
            .after_help(EXIT_CODES_HELP)
            .mut_subcommands(with_exit_codes)
    }
    Cli::command().mut_subcommands(|sub| {
        if sub.get_name() == "local" {
            sub
        } else {
            with_exit_codes(sub)
        }
    })
}

/// Parses the process's arguments (exits with clap's message and code 2 when they are
/// wrong, 0 after `--help` or `--version`).
fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Parses the arguments, sets up logging, runs the subcommand and turns the outcome into
/// an exit code (usage errors exit with 2, from clap).
pub(crate) fn main() -> ExitCode {
    let cli = parse();
    // `userpool local` sets up its own logging (info by default: the outbox is logged).
    if !matches!(cli.command, Command::Local(_)) {
        logging::init(cli.verbose);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Failure::local(format!("cannot start the async runtime: {e}")).report(),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn pool_settings_parse_on_every_operation() {
        let cli = Cli::try_parse_from([
            "userpool",
            "sign-in",
            "alice",
            "--pool-id",
            "us-east-1_abc",
            "--client-id",
            "client",
            "--endpoint",
            "http://127.0.0.1:9229",
            "--flow",
            "password",
            "--password-stdin",
            "-vv",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        assert!(matches!(cli.command, Command::SignIn(_)));
        let cli = Cli::try_parse_from(["userpool", "attributes", "set", "a=b", "custom:c=d"]);
        assert!(matches!(cli.unwrap().command, Command::Attributes(_)));
        assert!(Cli::try_parse_from(["userpool", "attributes", "set"]).is_err());
        assert!(Cli::try_parse_from(["userpool", "attributes", "set", "novalue"]).is_err());
        assert!(Cli::try_parse_from(["userpool", "sign-in", "--flow", "custom", "a"]).is_err());
        for args in [
            &[
                "userpool", "mfa", "setup", "--qr", "light", "--issuer", "Acme",
            ][..],
            &["userpool", "mfa", "status", "--json"],
            &["userpool", "mfa", "prefer", "totp"],
            &["userpool", "mfa", "disable", "sms"],
            &[
                "userpool",
                "sign-in",
                "ada",
                "--qr",
                "off",
                "--device-name",
                "phone",
            ],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
        assert!(Cli::try_parse_from(["userpool", "mfa", "prefer", "push"]).is_err());
        assert!(Cli::try_parse_from(["userpool", "mfa", "setup", "--qr", "sixel"]).is_err());
    }

    #[test]
    fn help_documents_the_exit_codes() {
        let mut command = command();
        let help = command.render_long_help().to_string();
        assert!(help.contains("Exit codes:"), "{help}");
        assert!(help.contains("3  not signed in"), "{help}");
        assert!(help.contains("4  network"), "{help}");
        let sign_in = command.find_subcommand_mut("sign-in").unwrap();
        assert!(
            sign_in
                .render_long_help()
                .to_string()
                .contains("Exit codes:")
        );
    }
}
