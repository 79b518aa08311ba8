//! edgemon-collector: the server side of edgemon.
//!
//! Today it provides the payload checker (`validate`); ingest, storage, alerts and the API
//! are built on the same `edgemon-shared` contract (see the project's issues and
//! docs/architecture.md).

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
                format_args!("edgemon-collector: {e:#}\n"),
            );
            ExitCode::from(2)
        }
    }
}
