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
                format_args!("edgemon-collector: {e:#}\n"),
            );
            ExitCode::from(2)
        }
    }
}
