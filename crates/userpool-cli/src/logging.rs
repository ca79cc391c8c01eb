//! Logging: a tracing subscriber on stderr, off unless `-v` or `RUST_LOG` asks for it.
//!
//! The AWS SDK logs whole requests at `trace` under its `aws_smithy_*` targets, bodies
//! included, and the bodies carry passwords (USER_PASSWORD_AUTH, ChangePassword,
//! ConfirmForgotPassword…). Those targets are therefore capped at `debug` by a second
//! filter that no `-v` or `RUST_LOG` can lift.

use tracing_subscriber::filter::{EnvFilter, FilterExt as _, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

/// Targets whose `trace` output carries request or response bodies.
const CAPPED_TARGETS: &[&str] = &["aws_smithy", "aws_sdk", "aws_config"];

/// The directives for `-v` given `count` times.
fn verbosity_directives(count: u8) -> &'static str {
    match count {
        0 => "off",
        // `userpool` covers every `userpool*` target (directives match by prefix).
        1 => "warn,userpool=info",
        2 => "info,userpool=debug",
        _ => "trace",
    }
}

/// The filter that keeps the capped targets at `debug` at most.
fn cap() -> Targets {
    CAPPED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::DEBUG),
    )
}

/// Installs the subscriber: `-v` (1 to 3 times) wins, else `RUST_LOG`, else nothing is
/// logged.
pub(crate) fn init(verbose: u8) {
    let env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let directives = match (verbose, env) {
        (0, None) => return,
        (0, Some(env)) => env,
        (n, _) => verbosity_directives(n).to_owned(),
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("userpool: ignoring RUST_LOG: {e}");
        EnvFilter::new("warn")
    });
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter.and(cap()));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn sdk_targets_are_capped_at_debug() {
        let cap = cap();
        assert!(cap.would_enable("aws_smithy_runtime::client::orchestrator", &Level::DEBUG));
        assert!(!cap.would_enable("aws_smithy_runtime::client::orchestrator", &Level::TRACE));
        assert!(!cap.would_enable("aws_smithy_http_client", &Level::TRACE));
        assert!(!cap.would_enable("aws_sdk_cognitoidentityprovider", &Level::TRACE));
        assert!(cap.would_enable("userpool::auth", &Level::TRACE));
    }

    #[test]
    fn verbosity_levels() {
        assert_eq!(verbosity_directives(0), "off");
        assert!(verbosity_directives(1).contains("userpool=info"));
        assert!(verbosity_directives(2).contains("userpool=debug"));
        assert_eq!(verbosity_directives(3), "trace");
        assert_eq!(verbosity_directives(9), "trace");
    }
}
