//! edgemon-collector: the server side of edgemon.
//!
//! The binary is a thin command line over the library (`lib.rs`): `serve`, the registry
//! commands (`org`, `device`, `token`) and the payload checker (`validate`).

#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(e) => {
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!("edgemon-collector: {}\n", describe(&e)),
            );
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each once: many of our errors already name their cause in
/// their own message, which anyhow's `{:#}` would print a second time.
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open store: {0}")]
    struct Open(#[source] std::io::Error);

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::other("disk full");
        let e = anyhow::Error::new(Open(io)).context("starting the collector");
        assert_eq!(
            describe(&e),
            "starting the collector: cannot open store: disk full"
        );
    }

    #[test]
    fn a_cause_not_in_the_message_is_appended() {
        let e = anyhow::anyhow!("inner detail").context("outer step");
        assert_eq!(describe(&e), "outer step: inner detail");
    }
}
