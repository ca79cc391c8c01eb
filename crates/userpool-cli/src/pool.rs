//! The settings every user operation shares: which pool and app client, where the calls
//! go, how to sign in, and where the session is kept.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use userpool::{Auth, AuthBuilder, AuthFlow, FileStore, UserPoolId};

use crate::failure::Failure;

/// The sign-in flow, as `--flow` spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Flow {
    /// USER_SRP_AUTH: the password never leaves this machine (the default).
    #[default]
    Srp,
    /// USER_PASSWORD_AUTH: the password is sent to the pool over TLS (the app client must
    /// allow it).
    Password,
}

/// Pool settings, from flags or the environment.
#[derive(Debug, Args)]
pub(crate) struct PoolArgs {
    /// User pool id, `<region>_<id>`.
    #[arg(
        long,
        env = "USERPOOL_POOL_ID",
        value_name = "ID",
        help_heading = "Pool"
    )]
    pool_id: Option<String>,
    /// App client id.
    #[arg(
        long,
        env = "USERPOOL_CLIENT_ID",
        value_name = "ID",
        help_heading = "Pool"
    )]
    client_id: Option<String>,
    /// App client secret, for app clients that have one (prefer the environment variable:
    /// arguments show in the process list).
    #[arg(
        long,
        env = "USERPOOL_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        help_heading = "Pool"
    )]
    client_secret: Option<String>,
    /// AWS region [default: the region part of the pool id].
    #[arg(long, env = "USERPOOL_REGION", help_heading = "Pool")]
    region: Option<String>,
    /// Send every call to this URL instead of Cognito (a local pool: http://127.0.0.1:9229).
    #[arg(
        long,
        env = "USERPOOL_ENDPOINT",
        value_name = "URL",
        help_heading = "Pool"
    )]
    endpoint: Option<String>,
    /// Sign-in flow.
    #[arg(
        long,
        env = "USERPOOL_FLOW",
        value_enum,
        default_value_t = Flow::Srp,
        help_heading = "Pool"
    )]
    flow: Flow,
    /// Session file [default: $XDG_CONFIG_HOME/userpool/session.json, or
    /// ~/.config/userpool/session.json].
    #[arg(
        long,
        env = "USERPOOL_STORE",
        value_name = "PATH",
        help_heading = "Pool"
    )]
    store: Option<PathBuf>,
}

/// A configured client and what the messages need to know about it.
#[derive(Debug)]
pub(crate) struct Client {
    /// The client, keeping its session in the session file.
    pub(crate) auth: Auth,
    /// Where calls go: the endpoint, or Cognito in the region.
    pub(crate) target: String,
}

impl PoolArgs {
    /// Builds the client.
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        self.client_with(|builder| builder)
    }

    /// Builds the client with more settings (`configure` edits the builder last).
    pub(crate) fn client_with(
        &self,
        configure: impl FnOnce(AuthBuilder) -> AuthBuilder,
    ) -> Result<Client, Failure> {
        let pool_id = required(
            &self.pool_id,
            "the user pool id",
            "--pool-id",
            "USERPOOL_POOL_ID",
        )?;
        let client_id = required(
            &self.client_id,
            "the app client id",
            "--client-id",
            "USERPOOL_CLIENT_ID",
        )?;
        let parsed = UserPoolId::parse(pool_id).map_err(|e| {
            Failure::usage(format!("--pool-id {pool_id:?}: {e}"))
                .with_hint("a user pool id looks like eu-west-1_AbCdEfGhI")
        })?;
        let store = store_path(self.store.clone())?;
        let mut builder = Auth::builder()
            .user_pool_id(pool_id)
            .client_id(client_id)
            .storage(Arc::new(FileStore::new(store)))
            .auth_flow(match self.flow {
                Flow::Srp => AuthFlow::UserSrp,
                Flow::Password => AuthFlow::UserPassword,
            });
        if let Some(secret) = self.client_secret.as_deref().filter(|s| !s.is_empty()) {
            builder = builder.client_secret(secret);
        }
        let region = self
            .region
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| parsed.region().to_owned());
        builder = builder.region(region.clone());
        let target = match self.endpoint.as_deref().filter(|e| !e.is_empty()) {
            Some(endpoint) => {
                builder = builder.endpoint(endpoint);
                endpoint.to_owned()
            }
            None => format!("Amazon Cognito in {region}"),
        };
        let auth = configure(builder).build().map_err(|e| {
            Failure::usage(e.to_string()).with_hint("see `userpool --help` for the settings")
        })?;
        Ok(Client { auth, target })
    }
}

fn required<'a>(
    value: &'a Option<String>,
    what: &str,
    flag: &str,
    env: &str,
) -> Result<&'a str, Failure> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Failure::usage(format!("{what} is missing: pass {flag} or set {env}")))
}

/// The session file: `--store`, else `$XDG_CONFIG_HOME/userpool/session.json`, else
/// `$HOME/.config/userpool/session.json` (`%APPDATA%\userpool\session.json` on Windows).
pub(crate) fn store_path(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(path);
    }
    default_store_path(|name| std::env::var_os(name)).ok_or_else(|| {
        Failure::usage("cannot find a configuration directory for the session file")
            .with_hint("pass --store PATH or set USERPOOL_STORE")
    })
}

fn default_store_path(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let config_dir = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))
        .or_else(|| absolute("APPDATA"))?;
    Some(config_dir.join("userpool").join("session.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    #[cfg(unix)]
    fn session_file_location() {
        assert_eq!(
            default_store_path(env(&[("XDG_CONFIG_HOME", "/x/cfg"), ("HOME", "/home/a")])),
            Some(PathBuf::from("/x/cfg/userpool/session.json"))
        );
        assert_eq!(
            default_store_path(env(&[("XDG_CONFIG_HOME", "relative"), ("HOME", "/home/a")])),
            Some(PathBuf::from("/home/a/.config/userpool/session.json"))
        );
        assert_eq!(default_store_path(env(&[])), None);
        assert_eq!(
            store_path(Some(PathBuf::from("/tmp/s.json"))).unwrap(),
            PathBuf::from("/tmp/s.json")
        );
    }
}
