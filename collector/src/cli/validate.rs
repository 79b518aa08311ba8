//! `edgemon-collector validate FILE...`: the reference server's verdict on payload files,
//! for users and support.

use edgemon_shared::validate::{DocumentError, parse_and_validate};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The verdict on one input.
enum Verdict {
    Ok,
    Rejected(String),
    Unreadable(String),
}

fn check(path: &Path) -> Verdict {
    let read = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    match read {
        Err(e) => Verdict::Unreadable(format!("cannot read: {e}")),
        Ok(body) => match parse_and_validate(&body) {
            Ok(_) => Verdict::Ok,
            Err(
                e @ (DocumentError::Json(_)
                | DocumentError::Invalid(_)
                | DocumentError::OutOfRange(_)),
            ) => Verdict::Rejected(e.to_string()),
        },
    }
}

pub fn run(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut rejected = false;
    let mut unreadable = false;
    for path in files {
        let name = if path == Path::new("-") {
            "<stdin>".into()
        } else {
            path.display().to_string()
        };
        match check(path) {
            Verdict::Ok => writeln!(out, "{name}: ok")?,
            Verdict::Rejected(why) => {
                rejected = true;
                writeln!(out, "{name}: {why}")?;
            }
            Verdict::Unreadable(why) => {
                unreadable = true;
                writeln!(out, "{name}: {why}")?;
            }
        }
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if rejected {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
