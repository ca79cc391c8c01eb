//! Reading what the person types: passwords without echo, codes and other answers.
//!
//! With `--password-stdin`, every password is read from standard input instead of the
//! terminal, one per line, in the order the command asks for them (scripts, tests).
//! Visible answers (codes, attribute values) are always read from standard input, one
//! line each; the question is printed on stderr when standard input is a terminal.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use userpool::Password;

use crate::failure::Failure;

/// Where answers come from.
#[derive(Debug)]
pub(crate) struct Input {
    passwords_from_stdin: bool,
}

impl Input {
    /// Passwords from the terminal, or from standard input when `passwords_from_stdin`.
    pub(crate) fn new(passwords_from_stdin: bool) -> Self {
        Self {
            passwords_from_stdin,
        }
    }

    /// True when standard input is a terminal: a person can be asked again after a wrong
    /// answer. From a pipe, the next line was meant for the next question.
    pub(crate) fn is_interactive(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    /// One line of standard input without its line ending; `None` at the end of input.
    fn stdin_line() -> Result<Option<String>, Failure> {
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::local(format!("reading standard input: {e}")))?;
        if read == 0 {
            return Ok(None);
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(Some(line))
    }

    /// Reads a password (`prompt` is shown on the terminal).
    pub(crate) fn password(&mut self, prompt: &str) -> Result<Password, Failure> {
        let password = if self.passwords_from_stdin {
            Self::stdin_line()?.ok_or_else(|| {
                Failure::usage(format!(
                    "standard input ended before the {}",
                    prompt.trim_end_matches([':', ' ']).to_lowercase()
                ))
                .with_hint("with --password-stdin, give each password on its own line")
            })?
        } else {
            rpassword::prompt_password(prompt).map_err(|e| {
                Failure::usage(format!("cannot read the password from a terminal: {e}"))
                    .with_hint("pipe it on standard input with --password-stdin")
            })?
        };
        if password.is_empty() {
            return Err(Failure::usage("the password is empty"));
        }
        Ok(Password::from(password))
    }

    /// Reads a new password: asked twice on a terminal, once from standard input.
    pub(crate) fn new_password(&mut self, prompt: &str) -> Result<Password, Failure> {
        let first = self.password(prompt)?;
        if !self.passwords_from_stdin {
            let again = self.password("Repeat it: ")?;
            if again.expose() != first.expose() {
                return Err(Failure::usage(
                    "the two passwords differ; nothing was changed",
                ));
            }
        }
        Ok(first)
    }

    /// Reads a visible answer (a code, an attribute value) from standard input.
    pub(crate) fn answer(&mut self, prompt: &str) -> Result<String, Failure> {
        if std::io::stdin().is_terminal() {
            eprint!("{prompt}");
            let _ = std::io::stderr().flush();
        }
        let line = Self::stdin_line()?.ok_or_else(|| {
            Failure::usage(format!(
                "standard input ended before the answer to \"{}\"",
                prompt.trim_end_matches([':', ' '])
            ))
        })?;
        let line = line.trim().to_owned();
        if line.is_empty() {
            return Err(Failure::usage(format!(
                "no answer to \"{}\"",
                prompt.trim_end_matches([':', ' '])
            )));
        }
        Ok(line)
    }

    /// Reads a code: an answer without the spaces some apps and messages put in the
    /// middle (`123 456`).
    pub(crate) fn code(&mut self, prompt: &str) -> Result<String, Failure> {
        let answer = self.answer(prompt)?;
        Ok(answer.chars().filter(|c| !c.is_whitespace()).collect())
    }

    /// Asks a yes/no question on a terminal (default no).
    pub(crate) fn confirm(&mut self, question: &str) -> Result<bool, Failure> {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage(
                "cannot ask for confirmation: standard input is not a terminal",
            )
            .with_hint("add --yes to confirm in a script"));
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let answer = Self::stdin_line()?.unwrap_or_default();
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    }
}
