//! `userpool login --hosted` (also `userpool sign-in --hosted`): the sign-in through the
//! pool's hosted pages in a browser (RFC 8252, `Auth::sign_in_with_redirect`), for pools
//! and users that sign in there (an identity provider, a passkey, a page the app does not
//! reproduce). The session ends up in the session file, as after a password sign-in.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use userpool::{CommandBrowser, HostedConfig, SystemBrowser};

use crate::failure::Failure;

/// How long the browser has, by default, in seconds: a person types a password, maybe a
/// code (the client library's default too).
const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// The hosted sign-in's settings.
#[derive(Debug, Args)]
#[command(next_help_heading = "Hosted sign-in")]
pub(crate) struct HostedArgs {
    /// Sign in in the browser, on the pool's hosted pages, instead of with a password here
    /// (needs --domain and --redirect-port).
    #[arg(long, conflicts_with = "password_stdin")]
    pub(crate) hosted: bool,
    /// The pool's domain: https://PREFIX.auth.REGION.amazoncognito.com, a custom domain,
    /// or on a local pool its endpoint and the domain prefix (http://127.0.0.1:9229/PREFIX).
    #[arg(long, env = "USERPOOL_DOMAIN", value_name = "URL")]
    domain: Option<String>,
    /// The loopback port the browser comes back to: the app client lists
    /// http://127.0.0.1:PORT/callback among its callback URLs (Cognito matches them
    /// exactly, port included).
    #[arg(long, env = "USERPOOL_REDIRECT_PORT", value_name = "PORT")]
    redirect_port: Option<u16>,
    /// A scope to ask for (repeat, or separate with commas) [default: openid
    /// aws.cognito.signin.user.admin]; `openid` is needed.
    #[arg(long = "scope", value_name = "SCOPE", value_delimiter = ',')]
    scopes: Vec<String>,
    /// Open the sign-in page with this program, run with the URL as its one argument,
    /// instead of the system browser (xdg-open, open, or the Windows URL handler).
    #[arg(long, env = "USERPOOL_BROWSER", value_name = "PROGRAM")]
    browser: Option<PathBuf>,
    /// How long to wait for the browser to come back, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    timeout: u64,
}

impl HostedArgs {
    /// The port, for the messages.
    pub(crate) fn port(&self) -> Option<u16> {
        self.redirect_port
    }

    /// The client library's settings, or what is missing.
    pub(crate) fn config(&self) -> Result<HostedConfig, Failure> {
        let domain = self
            .domain
            .as_deref()
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Failure::usage(
                    "--hosted needs the pool's domain: pass --domain or set USERPOOL_DOMAIN",
                )
                .with_hint(
                    "on Cognito: https://PREFIX.auth.REGION.amazoncognito.com; on a local \
                         pool: http://127.0.0.1:9229/PREFIX",
                )
            })?;
        let port = self.redirect_port.filter(|p| *p != 0).ok_or_else(|| {
            Failure::usage(
                "--hosted needs the redirect port: pass --redirect-port or set \
                 USERPOOL_REDIRECT_PORT",
            )
            .with_hint(
                "the app client must list http://127.0.0.1:PORT/callback among its callback URLs",
            )
        })?;
        let mut config = HostedConfig::new(domain)
            .redirect_port(port)
            .timeout(Duration::from_secs(self.timeout));
        if !self.scopes.is_empty() {
            config = config.scopes(self.scopes.iter().map(|s| s.trim().to_owned()));
        }
        config = match &self.browser {
            Some(program) if !program.as_os_str().is_empty() => {
                config.browser(CommandBrowser::new(program))
            }
            _ => config.browser(SystemBrowser),
        };
        Ok(config)
    }
}
