//! The conformance suite: edgemon against data nobody here wrote, from `../shared/fixtures`
//! (the reference's schema, its test payloads, captures from OpenWrt devices).
//! Run by `.ci/run` with `--features conformance`; fails loudly when the folder is missing.

mod charts;
mod derive;
mod differential;
mod golden;
mod ingest;
mod payloads;
