//! Every reference payload gets the reference's verdict: the valid ones pass, the invalid
//! ones fail with the path (and python-jsonschema message) their README names.

use edgemon_shared::validate::{DocumentError, parse_and_validate};
use edgemon_tests::{bin, fixtures, json_files};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) fn payloads_dir() -> std::path::PathBuf {
    fixtures().join("openwisp/payloads")
}

#[test]
fn every_valid_reference_payload_is_accepted() {
    for file in json_files(&payloads_dir()) {
        let body = std::fs::read(&file).unwrap();
        if let Err(e) = parse_and_validate(&body) {
            panic!("{} must be accepted, got:\n{e}", file.display());
        }
    }
}

/// `file -> (path, message)` from the table in `invalid/README.md`:
/// `| \`file.json\` | reason | \`#/path\` | message |`.
pub(crate) fn expected_rejections(readme: &Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(readme).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 {
            continue;
        }
        let file = cells[1].trim_matches('`');
        let path = cells[3].trim_matches('`');
        let message = cells[4].trim_matches('`');
        if Path::new(file).extension().is_some_and(|e| e == "json") && path.starts_with("#/") {
            out.insert(file.to_owned(), (path.to_owned(), message.to_owned()));
        }
    }
    out
}

#[test]
fn every_invalid_reference_payload_is_rejected_where_the_reference_says() {
    let dir = payloads_dir().join("invalid");
    let expected = expected_rejections(&dir.join("README.md"));
    assert!(
        expected.len() >= 10,
        "the invalid/README.md table was not understood"
    );
    let mut checked = 0;
    for file in json_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(&file).unwrap();
        let err = match parse_and_validate(&body) {
            Ok(_) => panic!("{name} must be rejected"),
            Err(DocumentError::Invalid(e)) => e,
            Err(other) => panic!("{name}: expected a schema rejection, got {other}"),
        };
        let rendered = err.to_string();
        assert!(
            rendered.starts_with("Invalid data in \"#/"),
            "{name}: {rendered}"
        );
        if let Some((path, message)) = expected.get(&name) {
            assert_eq!(format!("#/{}", err.path_string()), *path, "{name}: path");
            assert_eq!(err.message, *message, "{name}: message");
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        expected.len(),
        "every file the README names must exist and be checked"
    );
}

#[test]
fn the_validate_command_gives_the_same_verdicts() {
    let collector = bin("edgemon-collector");
    let valid = json_files(&payloads_dir());
    let out = std::process::Command::new(&collector)
        .arg("validate")
        .args(&valid)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.ends_with(": ok")).count(),
        valid.len()
    );

    let invalid = json_files(&payloads_dir().join("invalid"));
    let out = std::process::Command::new(&collector)
        .arg("validate")
        .args(&invalid)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.matches(", validator says:\n\n").count(),
        invalid.len(),
        "{stdout}"
    );
}
