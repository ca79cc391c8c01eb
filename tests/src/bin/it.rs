//! `it`: runs every end-to-end flow against one backend and reports each one.
//!
//! ```text
//! it --backend local|moto|aws [--endpoint URL] [--flow NAME]... [--list] [--run-unsupported]
//! ```
//!
//! - `local` starts an embedded local user pool.
//! - `moto` uses the moto server at `--endpoint` (or `USERPOOL_IT_MOTO_ENDPOINT`);
//!   `cargo xtask it --backend moto` installs and starts one.
//! - `aws` uses the pool named by `USERPOOL_IT_POOL_ID`, `USERPOOL_IT_CLIENT_ID` and
//!   `USERPOOL_IT_REGION`; without them it says SKIPPED and exits 0.
//!
//! One line per flow (`PASS flow`, `FAIL flow: error`, `UNSUPPORTED flow: reason`), then
//! `N passed, M failed, K unsupported`. The exit status is 1 when a flow failed, 2 when
//! the backend could not be set up. `RUST_LOG` turns on the library's logs (stderr).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use userpool_it::runner::{self, Report};
use userpool_it::{AwsBackend, AwsConfig, Backend, Flow, LocalBackend, MotoBackend};

const USAGE: &str = "usage: it --backend local|moto|aws [--endpoint URL] [--flow NAME]... [--list]
          [--run-unsupported]

  --backend   local (embedded local pool, the default), moto (a running moto_server),
              aws (the pool named by USERPOOL_IT_POOL_ID, USERPOOL_IT_CLIENT_ID,
              USERPOOL_IT_REGION; codes: USERPOOL_IT_CODES=admin)
  --endpoint  the moto server's URL (or USERPOOL_IT_MOTO_ENDPOINT)
  --flow      run only this flow (repeatable)
  --list      list the flows and exit
  --run-unsupported
              run the flows the backend does not support too, to see how they fail
              there (they are still reported and counted as unsupported)";

#[derive(Debug)]
struct Args {
    backend: String,
    endpoint: Option<String>,
    flows: Vec<Flow>,
    list: bool,
    anyway: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args> {
    let mut parsed = Args {
        backend: "local".to_owned(),
        endpoint: None,
        flows: Vec::new(),
        list: false,
        anyway: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match name.as_str() {
            "--backend" => parsed.backend = value()?,
            "--endpoint" => parsed.endpoint = Some(value()?),
            "--flow" => {
                let flow = value()?;
                match Flow::from_name(&flow) {
                    Some(f) => parsed.flows.push(f),
                    None => bail!("unknown flow {flow:?} (see --list)"),
                }
            }
            "--list" => parsed.list = true,
            "--run-unsupported" => parsed.anyway = true,
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    if !matches!(parsed.backend.as_str(), "local" | "moto" | "aws") {
        bail!("unknown backend {:?}\n\n{USAGE}", parsed.backend);
    }
    if parsed.flows.is_empty() {
        parsed.flows = Flow::ALL.to_vec();
    }
    Ok(parsed)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn run(args: &Args, backend: &dyn Backend) -> Report {
    say(&format!(
        "userpool-it: {} flow(s) against the {} backend ({})",
        args.flows.len(),
        backend.name(),
        backend.endpoint().unwrap_or("Cognito's regional endpoint")
    ));
    let report = runner::run_all_with(backend, &args.flows, args.anyway, say).await;
    say(&format!("{}: {}", backend.name(), report.summary()));
    report
}

async fn main_async(args: Args) -> Result<ExitCode> {
    let report = match args.backend.as_str() {
        "local" => {
            let backend = LocalBackend::start().await?;
            run(&args, &backend).await
        }
        "moto" => {
            let endpoint = args
                .endpoint
                .clone()
                .or_else(|| std::env::var("USERPOOL_IT_MOTO_ENDPOINT").ok())
                .context(
                    "the moto backend needs the server's URL: --endpoint URL or \
                     USERPOOL_IT_MOTO_ENDPOINT (`cargo xtask it --backend moto` starts one)",
                )?;
            let backend = MotoBackend::connect(&endpoint).await?;
            run(&args, &backend).await
        }
        _ => match AwsConfig::from_env()? {
            None => {
                say(&format!(
                    "SKIPPED: aws backend not configured (set {}; optionally \
                     USERPOOL_IT_CODES=admin and USERPOOL_IT_CLIENT_SECRET)",
                    userpool_it::AWS_VARIABLES.join(", ")
                ));
                say(&format!(
                    "aws: 0 passed, 0 failed, {} skipped",
                    args.flows.len()
                ));
                return Ok(ExitCode::SUCCESS);
            }
            Some(config) => {
                let backend = AwsBackend::connect(config).await?;
                run(&args, &backend).await
            }
        },
    };
    Ok(if report.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("it: {e:#}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        for flow in Flow::ALL {
            say(flow.name());
        }
        return ExitCode::SUCCESS;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("it: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(main_async(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("it: {e:#}");
            ExitCode::from(2)
        }
    }
}
