//! `userpool`: the demo, the local user pool server, and user operations at a terminal.
//!
//! Everything lives in the library (`src/lib.rs`); see its module map.

use std::process::ExitCode;

fn main() -> ExitCode {
    userpool_cli::main()
}
