//! `edgemon-bench-suite`: run every benchmark of issue 12 and write one table
//! (`scripts/bench` builds what it needs and calls it). `--smoke` runs each command at a
//! tiny size to keep the suite working (CI); its figures mean nothing and nothing is
//! judged.

use anyhow::Context as _;
use clap::Parser;
use edgemon_bench::suite::{FIGURES, STEPS, Target, extract, number, with_profiles};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "edgemon-bench-suite",
    about = "Run edgemon's benchmark suite and write the table"
)]
struct Args {
    /// Tiny sizes: checks that every command still runs; the figures are not judged.
    #[arg(long)]
    smoke: bool,
    /// Only these steps (comma-separated names; default all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where the raw outputs, `results.json` and `results.md` go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let raw = args.out.join("raw");
    std::fs::create_dir_all(&raw).with_context(|| format!("cannot create {}", raw.display()))?;
    let mut outputs = std::collections::BTreeMap::new();
    let mut failed = Vec::new();
    for step in STEPS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == step.name) {
            continue;
        }
        let argv: Vec<String> = (if args.smoke { step.smoke } else { step.full })
            .iter()
            .map(|a| with_profiles(a, args.smoke))
            .collect();
        let program = with_profiles(step.program, args.smoke);
        eprintln!("== {} ({program} {})", step.name, argv.join(" "));
        let started = Instant::now();
        let out = Command::new(&program)
            .args(&argv)
            .envs(step.env.iter().copied())
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| {
                format!("cannot run {} (did scripts/bench build it?)", step.program)
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        std::fs::write(raw.join(format!("{}.txt", step.name)), &stdout)?;
        eprintln!(
            "   {:.1} s, {}",
            started.elapsed().as_secs_f64(),
            out.status
        );
        if !out.status.success() {
            failed.push(step.name);
        }
        outputs.insert(step.name, stdout);
    }
    let mut md = String::from("| figure | target | measured | met |\n| --- | --- | --- | --- |\n");
    let mut json = Vec::new();
    let mut missing = Vec::new();
    for f in FIGURES {
        let Some(stdout) = outputs.get(f.step) else {
            continue;
        };
        let value = extract(f.output, f.key, stdout);
        if value.is_none() {
            missing.push(f.title);
        }
        let met = match (args.smoke, value) {
            (false, Some(v)) => f.target.met(v),
            _ => None,
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            f.title,
            f.target.text(f.unit),
            value.map_or_else(|| "—".to_owned(), |v| format!("{} {}", number(v), f.unit)),
            match met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "—",
            }
        );
        json.push(serde_json::json!({
            "figure": f.title,
            "step": f.step,
            "value": value,
            "unit": f.unit,
            "target": match f.target {
                Target::AtLeast(t) => serde_json::json!({"at_least": t}),
                Target::AtMost(t) => serde_json::json!({"at_most": t}),
                Target::Bound => serde_json::Value::Null,
            },
            "met": met,
        }));
    }
    std::fs::write(args.out.join("results.md"), &md)?;
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), md.as_bytes())?;
    anyhow::ensure!(failed.is_empty(), "these steps failed: {failed:?}");
    anyhow::ensure!(
        missing.is_empty(),
        "no value found for: {missing:?} (see {})",
        raw.display()
    );
    Ok(())
}
