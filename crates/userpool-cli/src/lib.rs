//! The `userpool` command: the demo, the local user pool server, and user operations at a
//! terminal.
//!
//! This library is the whole command; `src/main.rs` only calls [`main`]. It is a library
//! so that its tests can run the demo in process and read what it printed.
//!
//! # Module map
//!
//! | module | what is there |
//! |---|---|
//! | `cli` | the clap definitions (`Cli`, `Command`), dispatch, the exit codes |
//! | `demo` | `userpool demo`: the whole mission against an embedded local pool, narrated |
//! | `local` | `userpool local`: the local user pool server |
//! | `ops` | the operations for a person at a terminal (`sign-up` … `delete`), sign-in's MFA steps |
//! | `hosted` | `login --hosted`: the settings of the sign-in in the browser (domain, port, scopes, browser program) |
//! | `mfa` | `userpool mfa …`: TOTP setup (URI and QR code), MFA status and preferences |
//! | `pool` | the pool settings shared by the operations (flags, environment, session file) |
//! | `failure` | errors as the command reports them: message, hint, exit code |
//! | `input` | reading passwords without echo, codes and answers |
//! | `show` | formatting: times, code masks, delivery details |
//! | `logging` | the tracing subscriber on stderr (off unless `-v` or `RUST_LOG`) |
//!
//! # Invariants
//!
//! - Nothing this command prints carries a password, a token, a client secret or a full
//!   code, except `session --show-tokens`, which prints the tokens because it was asked
//!   to, and an authenticator app setup (`mfa setup`, or MFA_SETUP during `sign-in`),
//!   which prints the TOTP secret (URI, QR code, key) for the person to scan. The demo
//!   prints codes masked (`12****`) and the TOTP secret masked.
//! - Passwords are never taken as arguments (they would show in `ps` and in the shell
//!   history): they are read from the terminal without echo, or from standard input
//!   with `--password-stdin`.
//! - The AWS SDK's `aws_smithy_*` targets are never logged above `debug`, whatever `-v`
//!   or `RUST_LOG` say: at `trace` they print request bodies, passwords included.
#![warn(missing_docs)]

mod cli;
mod demo;
mod failure;
mod hosted;
mod input;
mod local;
mod logging;
mod mfa;
mod ops;
mod pool;
mod show;

use std::process::ExitCode;

/// Runs the `userpool` command with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    cli::main()
}
