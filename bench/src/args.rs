//! `--name value` arguments, enough for the benchmark programs.

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed `--name value` pairs and positional arguments.
#[derive(Debug, Default)]
pub struct Args {
    named: HashMap<String, String>,
    /// The arguments that are not `--name value`.
    pub positional: Vec<String>,
}

impl Args {
    /// Parses `args` (without the program name). `--flag` followed by another `--...` or
    /// nothing counts as `true`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Args {
        let mut out = Args::default();
        let mut it = args.into_iter().peekable();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if let Some((n, v)) = name.split_once('=') {
                    out.named.insert(n.to_owned(), v.to_owned());
                } else if it.peek().is_some_and(|next| !next.starts_with("--")) {
                    let v = it.next().unwrap_or_default();
                    out.named.insert(name.to_owned(), v);
                } else {
                    out.named.insert(name.to_owned(), "true".to_owned());
                }
            } else {
                out.positional.push(a);
            }
        }
        out
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.named.get(name).map(String::as_str)
    }

    /// The value of `--name` parsed, or `default`; exits with a message when unparsable.
    pub fn num<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.get(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("--{name}: cannot parse {v:?}");
                std::process::exit(2)
            }),
        }
    }

    /// The value of `--name`; exits with a message when missing.
    pub fn required(&self, name: &str) -> &str {
        self.get(name).unwrap_or_else(|| {
            eprintln!("--{name} is required");
            std::process::exit(2)
        })
    }
}
