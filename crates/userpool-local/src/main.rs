//! `userpool-local`: the local Amazon Cognito user pool as a program.
//!
//! `userpool-local [--host 127.0.0.1] [--port 9229] [--data DIR | --in-memory]
//! [--allow-origin ORIGIN]... [--allow-host NAME]... [--admin-access-key-id ID
//! --admin-secret-access-key SECRET]` (see `--help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let options = match userpool_local::ServeOptions::from_args(std::env::args().skip(1)) {
        Ok(o) => o.with_env(|name| std::env::var(name).ok()),
        Err(message) => {
            eprintln!("{message}");
            return if message == userpool_local::USAGE {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("userpool-local: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(userpool_local::serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("userpool-local: {e}");
            ExitCode::FAILURE
        }
    }
}
