//! Runs flows against a backend and reports each one: `PASS`, `FAIL` or `UNSUPPORTED`.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt as _;

use crate::backend::Backend;
use crate::client::Ctx;
use crate::flows::Flow;

/// How long one flow may take before it counts as failed.
pub const FLOW_TIMEOUT: Duration = Duration::from_secs(120);

/// What happened to one flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The flow ran and every check held.
    Pass,
    /// The flow ran and failed, with the error.
    Fail(String),
    /// The backend does not support the flow, with the reason; the flow was not run.
    Unsupported(String),
}

/// The outcome of every flow of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Each flow and its outcome, in the order they ran.
    pub outcomes: Vec<(Flow, Outcome)>,
}

impl Report {
    /// Flows that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass))
    }

    /// Flows that failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_)))
    }

    /// Flows the backend does not support (never counted as passed).
    pub fn unsupported(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Unsupported(_)))
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|(_, o)| f(o)).count()
    }

    /// `N passed, M failed, K unsupported`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} unsupported",
            self.passed(),
            self.failed(),
            self.unsupported()
        )
    }

    /// True when no flow failed.
    pub fn success(&self) -> bool {
        self.failed() == 0
    }
}

/// The report line of one flow: `PASS flow`, `FAIL flow: error`,
/// `UNSUPPORTED flow: reason`.
pub fn line(flow: Flow, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass => format!("PASS {}", flow.name()),
        Outcome::Fail(error) => format!("FAIL {}: {error}", flow.name()),
        Outcome::Unsupported(reason) => format!("UNSUPPORTED {}: {reason}", flow.name()),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs one flow: unsupported ones are not run; a panic or a time-out is a failure.
pub async fn run_flow(backend: &dyn Backend, flow: Flow) -> Outcome {
    match backend.supports(flow) {
        Ok(()) => execute(backend, flow).await,
        Err(reason) => Outcome::Unsupported(one_line(&reason)),
    }
}

/// Like [`run_flow`], but runs unsupported flows too, to show how they fail on this
/// backend. They stay unsupported (never counted as passed); what happened is appended
/// to the reason.
pub async fn run_flow_anyway(backend: &dyn Backend, flow: Flow) -> Outcome {
    match backend.supports(flow) {
        Ok(()) => execute(backend, flow).await,
        Err(reason) => {
            let ran = match execute(backend, flow).await {
                Outcome::Pass => "passed".to_owned(),
                Outcome::Fail(error) => format!("failed: {error}"),
                Outcome::Unsupported(r) => r,
            };
            Outcome::Unsupported(one_line(&format!("{reason} [ran anyway: {ran}]")))
        }
    }
}

async fn execute(backend: &dyn Backend, flow: Flow) -> Outcome {
    let ctx = Ctx::new(backend, flow.name());
    let run = AssertUnwindSafe(tokio::time::timeout(FLOW_TIMEOUT, flow.run(&ctx))).catch_unwind();
    let outcome = match run.await {
        Ok(Ok(Ok(()))) => Outcome::Pass,
        Ok(Ok(Err(error))) => Outcome::Fail(one_line(&format!("{error:#}"))),
        Ok(Err(_)) => Outcome::Fail(format!("timed out after {} s", FLOW_TIMEOUT.as_secs())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Outcome::Fail(one_line(&format!("panicked: {message}")))
        }
    };
    ctx.cleanup().await;
    outcome
}

/// Runs `flows` one after the other against `backend`, calling `report` with each line
/// as soon as the flow is done.
pub async fn run_all(backend: &dyn Backend, flows: &[Flow], report: impl FnMut(&str)) -> Report {
    run_all_with(backend, flows, false, report).await
}

/// [`run_all`], running the unsupported flows too when `anyway` (see
/// [`run_flow_anyway`]).
pub async fn run_all_with(
    backend: &dyn Backend,
    flows: &[Flow],
    anyway: bool,
    mut report: impl FnMut(&str),
) -> Report {
    let mut result = Report::default();
    for &flow in flows {
        let outcome = if anyway {
            run_flow_anyway(backend, flow).await
        } else {
            run_flow(backend, flow).await
        };
        report(&line(flow, &outcome));
        result.outcomes.push((flow, outcome));
    }
    result
}
