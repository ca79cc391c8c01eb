//! `cargo xtask`: the project's automation. One module per command, few dependencies.
//!
//! ```text
//! cargo xtask test        fmt check, clippy -D warnings, docs, peers set-up, every test
//! cargo xtask peers       set up the peer clients and servers under target/peers
//! cargo xtask it          the end-to-end flows: [--backend local|moto|aws] [--flow NAME]
//! cargo xtask bench       userpool against its peers (target/bench/report.{txt,json,png})
//! cargo xtask help        this text
//! ```

mod bench;
mod it;
mod peers;
mod test;
mod util;

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <command>

commands:
  test     fmt check, clippy -D warnings, rustdoc -D warnings, peer set-up, all tests
  peers    set up the peers (Python venvs, npm projects) under target/peers
  it       the end-to-end flows: [--backend local|moto|aws] [--flow NAME] [--run-unsupported]
  bench    userpool against its peers: [--quick] [--only srp,session,refresh,servers] [--runs N]
  help     this text
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "test" => test::run(&rest),
        "peers" => peers::setup_all().map(|_| ()),
        "it" => it::run_cli(&rest),
        "bench" => bench::run_cli(&rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{HELP}"),
    }
}
