//! edgemon-agent: the on-router agent. Collection, the durable queue and delivery are
//! being built (see the project's issues); this build only identifies itself.

#![forbid(unsafe_code)]

use std::io::Write;

fn main() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "edgemon-agent {} (envelope version {}): collection and delivery are not built yet",
        env!("CARGO_PKG_VERSION"),
        edgemon_shared::envelope::ENVELOPE_VERSION
    );
}
