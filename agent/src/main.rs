//! edgemon-agent's command line. Collection lives in the library; this file only parses
//! arguments, picks the source and prints.

#![forbid(unsafe_code)]

mod bench;

use edgemon_agent::collect::{Collected, collect};
use edgemon_agent::source::{Bundle, Live, Recorder, Sim, Source, SystemClock};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:
  edgemon-agent collect --once [--pretty] [--from DIR]   print one NetJSON sample
  edgemon-agent collect --once [--pretty] --simulate N   ... of simulated OpenWrt router N (docs/demo.md)
  edgemon-agent capture --out DIR                        record every raw source into DIR
  edgemon-agent bench-collect [--runs N]                 CPU time per collection, peak RSS
  edgemon-agent --version | --help";

/// Pause between the two `/proc/stat` reads: long enough for a few scheduler ticks.
const CPU_GAP: Duration = Duration::from_millis(250);

enum Cmd {
    Collect {
        pretty: bool,
        from: Option<PathBuf>,
        simulate: Option<u64>,
    },
    Capture {
        out: PathBuf,
    },
    Bench {
        runs: u32,
    },
    Version,
    Help,
}

fn parse_args() -> Result<Cmd, lexopt::Error> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let sub = match p.next()? {
        Some(Value(v)) if v == "help" => return Ok(Cmd::Help),
        Some(Value(v)) => v.string()?,
        Some(Long("version") | Short('V')) => return Ok(Cmd::Version),
        Some(Long("help") | Short('h')) => return Ok(Cmd::Help),
        Some(arg) => return Err(arg.unexpected()),
        None => return Err("a command is required".into()),
    };
    let (mut once, mut pretty, mut from, mut out) = (false, false, None, None);
    let mut runs = 20;
    let mut simulate = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("once") if sub == "collect" => once = true,
            Long("pretty") if sub == "collect" => pretty = true,
            Long("from") if sub == "collect" => from = Some(PathBuf::from(p.value()?)),
            Long("simulate") if sub == "collect" => simulate = Some(p.value()?.parse()?),
            Long("out") if sub == "capture" => out = Some(PathBuf::from(p.value()?)),
            Long("runs") if sub == "bench-collect" => runs = p.value()?.parse()?,
            Long("help") | Short('h') => return Ok(Cmd::Help),
            _ => return Err(arg.unexpected()),
        }
    }
    match sub.as_str() {
        // The periodic daemon is the next step; `--once` is required so that adding it
        // later does not change what a bare `collect` means.
        "collect" if once && from.is_some() && simulate.is_some() => {
            Err("`--from` and `--simulate` are exclusive".into())
        }
        "collect" if once => Ok(Cmd::Collect {
            pretty,
            from,
            simulate,
        }),
        "collect" => Err("`collect` needs --once (the periodic mode is not built yet)".into()),
        "capture" => out
            .map(|out| Cmd::Capture { out })
            .ok_or_else(|| "`capture` needs --out DIR".into()),
        "bench-collect" => Ok(Cmd::Bench { runs }),
        other => Err(format!("unknown command `{other}`").into()),
    }
}

fn print_sample(c: &Collected, pretty: bool) -> ExitCode {
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
    let text = if pretty {
        serde_json::to_string_pretty(&c.doc).expect("the NetJSON model always serialises")
    } else {
        c.doc.to_json()
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let cmd = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("edgemon-agent: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match cmd {
        Cmd::Help => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            ExitCode::SUCCESS
        }
        Cmd::Version => {
            let _ = writeln!(
                std::io::stdout(),
                "edgemon-agent {}",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        Cmd::Collect {
            pretty,
            from,
            simulate,
        } => {
            let src: Box<dyn Source> = match (from, simulate) {
                (_, Some(seed)) => Box::new(Sim::new(seed, SystemClock)),
                (Some(dir), None) if !dir.is_dir() => {
                    eprintln!("edgemon-agent: bundle {} is not a directory", dir.display());
                    return ExitCode::from(2);
                }
                (Some(dir), None) => Box::new(Bundle::new(dir)),
                (None, None) => Box::new(Live::default()),
            };
            print_sample(&collect(src.as_ref(), CPU_GAP), pretty)
        }
        Cmd::Capture { out } => {
            if let Err(e) = std::fs::create_dir_all(&out) {
                eprintln!("edgemon-agent: cannot create {}: {e}", out.display());
                return ExitCode::FAILURE;
            }
            let c = collect(&Recorder::new(Live::default(), &out), CPU_GAP);
            for w in &c.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!("captured into {}", out.display());
            ExitCode::SUCCESS
        }
        Cmd::Bench { runs } => bench::run(CPU_GAP, runs),
    }
}
