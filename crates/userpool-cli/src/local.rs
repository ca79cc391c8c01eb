//! `userpool local`: the local user pool server (same as the `userpool-local` program).

use std::path::PathBuf;

use clap::Args;

/// Arguments of `userpool local`.
#[derive(Debug, Args)]
pub(crate) struct LocalArgs {
    /// Address to listen on (loopback by default; admin calls accept any credentials unless
    /// --admin-access-key-id is given).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9229)]
    port: u16,
    /// Keep pools, users and sessions in this directory (SQLite, crash-safe).
    #[arg(long, value_name = "DIR", conflicts_with = "in_memory")]
    data: Option<PathBuf>,
    /// Keep everything in memory (the default).
    #[arg(long)]
    in_memory: bool,
    /// Let pages from this browser origin (e.g. http://localhost:3000, or *) call admin
    /// operations and read the outbox; public operations are open to every origin.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Serve requests whose Host is this name (IP addresses and localhost always are;
    /// other names are refused against DNS rebinding; * for any).
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// Require admin calls to be SigV4-signed with this access key id.
    #[arg(
        long,
        value_name = "ID",
        env = userpool_local::ENV_ADMIN_ACCESS_KEY_ID,
        requires = "admin_secret_access_key"
    )]
    admin_access_key_id: Option<String>,
    /// The secret of --admin-access-key-id (prefer the environment variable: command lines
    /// are visible to other users).
    #[arg(
        long,
        value_name = "SECRET",
        env = userpool_local::ENV_ADMIN_SECRET_ACCESS_KEY,
        hide_env_values = true,
        requires = "admin_access_key_id",
        value_parser = parse_secret
    )]
    admin_secret_access_key: Option<userpool_local::AdminSecret>,
    /// Create the pools, app clients, groups and users of this JSON seed file, with its
    /// fixed ids, at start-up (at every start: what exists is kept; a stored pool, client or
    /// group that differs from the seed stops the start).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Write the pools of --data DIR (after applying --seed, if given) as a seed file, then
    /// exit instead of serving.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// TEST MODE: every code the pool sends is CODE (six digits) instead of a random one.
    /// Never on a server others can reach.
    #[arg(long, value_name = "CODE")]
    fixed_code: Option<String>,
    /// Open the dashboard (the pools, users, codes and sign-ins, at GET /) in the browser
    /// once listening: the command in $BROWSER when set, else xdg-open (open on macOS).
    #[arg(long)]
    open: bool,
}

/// Wraps the secret at once so that `Debug` of the arguments never shows it.
fn parse_secret(s: &str) -> Result<userpool_local::AdminSecret, String> {
    Ok(userpool_local::AdminSecret::new(s))
}

/// Serves until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: LocalArgs) -> anyhow::Result<()> {
    let options = userpool_local::ServeOptions {
        host: args.host,
        port: args.port,
        data: if args.in_memory { None } else { args.data },
        allow_origins: args.allow_origin,
        allow_hosts: args.allow_host,
        admin_access_key_id: args.admin_access_key_id,
        admin_secret_access_key: args.admin_secret_access_key,
        seed: args.seed,
        export: args.export,
        fixed_code: args.fixed_code,
        open: args.open,
    };
    if options.export.is_some() && options.data.is_none() && options.seed.is_none() {
        anyhow::bail!("--export needs --data DIR (or --seed FILE) to export from");
    }
    userpool_local::serve(options).await?;
    Ok(())
}
