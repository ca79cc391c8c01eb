//! `userpool local`: the local user pool server (same as the `userpool-local` program).

use std::path::PathBuf;

use clap::Args;

/// Arguments of `userpool local`.
#[derive(Debug, Args)]
pub(crate) struct LocalArgs {
    /// Address to listen on (loopback by default; admin calls accept any credentials).
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
}

/// Serves until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: LocalArgs) -> anyhow::Result<()> {
    let options = userpool_local::ServeOptions {
        host: args.host,
        port: args.port,
        data: if args.in_memory { None } else { args.data },
    };
    userpool_local::serve(options).await?;
    Ok(())
}
