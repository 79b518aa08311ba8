//! `run-checks`: every active check once against every active device, results stored and
//! evaluated as the schedule would (the collector must not be running).

use edgemon_collector::config::Config;
use edgemon_collector::server;
use edgemon_collector::tsdb::FieldValue;
use std::io::Write;
use std::process::ExitCode;

/// Prints one line per check (`<device> <check> field=value …`, `skipped` or `error: …`)
/// and one per device (`<device> status <status>`), sorted by device.
pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let lines = rt.block_on(async {
        let stores = server::open_stores(config)?;
        let runner = server::check_runner(config, &stores)?;
        let devices = runner.devices();
        let mut reports = runner.run_all(devices.clone(), None).await;
        reports.sort_by(|a, b| (a.device, a.check).cmp(&(b.device, b.check)));
        let mut lines = Vec::new();
        let mut failed = false;
        for r in &reports {
            let what = match &r.result {
                Ok(Some(out)) => out
                    .points
                    .iter()
                    .flat_map(|p| p.fields.iter())
                    .map(|(k, v)| format!("{k}={}", value(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
                Ok(None) => "skipped".to_owned(),
                Err(e) => {
                    failed = true;
                    format!("error: {e}")
                }
            };
            lines.push(format!("{} {} {what}", r.device, r.check));
        }
        if let Some(alerts) = &stores.alerts {
            let mut ids: Vec<_> = devices.iter().map(|d| d.id).collect();
            ids.sort();
            for id in ids {
                let status = alerts.status(id).await;
                lines.push(format!("{id} status {}", config.alerts.label(status)));
            }
        }
        drop(runner);
        server::close_tsdb(stores.embedded).await;
        anyhow::Ok((lines, failed))
    })?;
    let mut out = std::io::stdout().lock();
    for l in &lines.0 {
        writeln!(out, "{l}")?;
    }
    Ok(if lines.1 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn value(v: &FieldValue) -> String {
    match v {
        FieldValue::Float(f) => f.to_string(),
        FieldValue::Int(i) => i.to_string(),
        FieldValue::Str(s) => s.clone(),
        FieldValue::Bool(b) => b.to_string(),
    }
}
