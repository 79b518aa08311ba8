//! edgemon-agent's command line. Collection lives in the library; this file only parses
//! arguments, picks the source and prints.

#![forbid(unsafe_code)]

mod bench;

use edgemon_agent::collect::{Collected, collect};
use edgemon_agent::config::sources::{Locations, load, load_options};
use edgemon_agent::config::{Config, OPTIONS};
use edgemon_agent::daemon::{self, status};
use edgemon_agent::queue::Queue;
use edgemon_agent::source::{Bundle, Live, Recorder, Sim, Source, SystemClock};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  edgemon-agent run [CONFIG] [--from DIR | --simulate N] collect every interval, queue, ship
  edgemon-agent status [CONFIG]                          queue depth, drops, last success/error
  edgemon-agent collect --once [--pretty] [--from DIR]   print one NetJSON sample
  edgemon-agent collect --once [--pretty] --simulate N   ... of simulated OpenWrt router N (docs/demo.md)
  edgemon-agent capture --out DIR                        record every raw source into DIR
  edgemon-agent bench-collect [--runs N]                 CPU time per collection, peak RSS
  edgemon-agent --version | --help
CONFIG: [--config FILE] [--openwisp-config FILE] [--OPTION VALUE]...
  FILE is UCI (default /etc/config/edgemon) or TOML (*.toml); OPTION is any config
  option with dashes, e.g. --url, --uuid, --key, --mode, --interval, --queue-path
  (see docs/agent-config.md)";

use daemon::CPU_GAP;

enum Cmd {
    Run {
        loc: Locations,
        flags: Vec<(String, String)>,
        from: Option<PathBuf>,
        simulate: Option<u64>,
    },
    Status {
        loc: Locations,
        flags: Vec<(String, String)>,
    },
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
    let mut loc = Locations::default();
    let mut flags = Vec::new();
    let daemonish = sub == "run" || sub == "status";
    let mut simulate = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") if daemonish => loc.config = Some(PathBuf::from(p.value()?)),
            Long("openwisp-config") if daemonish => {
                loc.openwisp = Some(PathBuf::from(p.value()?));
            }
            Long("from") if sub == "run" => from = Some(PathBuf::from(p.value()?)),
            Long("simulate") if sub == "run" || sub == "collect" => {
                simulate = Some(p.value()?.parse()?);
            }
            Long(name) if daemonish && OPTIONS.contains(&name.replace('-', "_").as_str()) => {
                let name = name.to_owned();
                flags.push((name, p.value()?.string()?));
            }
            Long("once") if sub == "collect" => once = true,
            Long("pretty") if sub == "collect" => pretty = true,
            Long("from") if sub == "collect" => from = Some(PathBuf::from(p.value()?)),
            Long("out") if sub == "capture" => out = Some(PathBuf::from(p.value()?)),
            Long("runs") if sub == "bench-collect" => runs = p.value()?.parse()?,
            Long("help") | Short('h') => return Ok(Cmd::Help),
            _ => return Err(arg.unexpected()),
        }
    }
    if from.is_some() && simulate.is_some() {
        return Err("`--from` and `--simulate` are exclusive".into());
    }
    match sub.as_str() {
        "run" => Ok(Cmd::Run {
            loc,
            flags,
            from,
            simulate,
        }),
        "status" => Ok(Cmd::Status { loc, flags }),
        // `--once` is required so that a bare `collect` is never mistaken for the daemon.
        "collect" if once => Ok(Cmd::Collect {
            pretty,
            from,
            simulate,
        }),
        "collect" => Err("`collect` needs --once (the periodic daemon is `run`)".into()),
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
        } => match source(from, simulate) {
            Ok(src) => print_sample(&collect(src.as_ref(), CPU_GAP), pretty),
            Err(code) => code,
        },
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
        Cmd::Run {
            loc,
            flags,
            from,
            simulate,
        } => run(&loc, &flags, from, simulate),
        Cmd::Status { loc, flags } => status(&loc, &flags),
    }
}

/// The source to collect from: a simulated router, a capture bundle, or this system.
fn source(from: Option<PathBuf>, simulate: Option<u64>) -> Result<Box<dyn Source>, ExitCode> {
    match (from, simulate) {
        (_, Some(seed)) => Ok(Box::new(Sim::new(seed, SystemClock))),
        (Some(dir), None) if !dir.is_dir() => {
            eprintln!("edgemon-agent: bundle {} is not a directory", dir.display());
            Err(ExitCode::from(2))
        }
        (Some(dir), None) => Ok(Box::new(Bundle::new(dir))),
        (None, None) => Ok(Box::new(Live::default())),
    }
}

fn run(
    loc: &Locations,
    flags: &[(String, String)],
    from: Option<PathBuf>,
    simulate: Option<u64>,
) -> ExitCode {
    let cfg = match load(loc, flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("edgemon-agent: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let src = match source(from, simulate) {
        Ok(src) => src,
        Err(code) => return code,
    };
    match daemon::run(&cfg, src.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgemon-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

fn status(loc: &Locations, flags: &[(String, String)]) -> ExitCode {
    let cfg = match load_options(loc, flags).and_then(|o| Config::from_options_lenient(&o)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("edgemon-agent: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let now = daemon::wall_us();
    let text = if let Some(snap) = status::read_live(&cfg.status_file) {
        status::render(&snap.queue, now, Some(&snap))
    } else if !cfg.queue_path.exists() {
        format!(
            "daemon: not running\nno queue at {}\n",
            cfg.queue_path.display()
        )
    } else {
        match Queue::open(&cfg.queue_path, cfg.limits()) {
            Ok(q) => status::render(&q.status(), now, None),
            Err(e) => {
                eprintln!("edgemon-agent: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let _ = write!(std::io::stdout(), "{text}");
    ExitCode::SUCCESS
}
