//! The command line.

mod validate;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "edgemon-collector", version, about = "edgemon's collector")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check NetJSON DeviceMonitoring payloads exactly as the OpenWISP monitoring server
    /// would. Prints `FILE: ok` or the server's error for each file. Exit status: 0 when
    /// all are valid, 1 when any is invalid, 2 when a file cannot be read.
    Validate {
        /// Payload files; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Validate { files } => validate::run(&files),
        }
    }
}
