//! A corpus of broken projects (`tests/diagnostics/<case>/`), each with its diagnostics as a
//! reviewed snapshot: the file, line and column in the user's own file, the message, the
//! quoted line and, where we know one, the fix. Adding a case is adding a folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::Status;

fn diagnostics_of(case: &std::path::Path) -> String {
    let files = read_dir(case);
    let mut out = Vec::new();
    match engine(files) {
        Err(diags) => out.extend(diags.iter().map(|d| format!("{d:#}"))),
        Ok(mut e) => {
            let report = block_on(e.check());
            if !report.diagnostics.is_empty() {
                out.push("-- modelplay check".to_string());
                out.extend(report.diagnostics.iter().map(|d| format!("{d:#}")));
                out.push("-- modelplay build".to_string());
            }
            let results = build(&mut e);
            out.extend(e.warnings().iter().map(|d| format!("{d:#}")));
            for r in &results.results {
                match (&r.diagnostic, r.status) {
                    (Some(d), _) => out.push(format!("{d:#}")),
                    (None, Status::Error | Status::Fail | Status::Warn) => out.push(format!(
                        "{} {}: {}",
                        r.status.as_str(),
                        r.name,
                        r.message.clone().unwrap_or_default()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(!out.is_empty(), "{} produced no diagnostic", case.display());
    out.join("\n\n")
}

/// Words of DataFusion's and Arrow's that must never reach the user.
const INTERNAL_WORDS: &[&str] = &[
    "DataFusion",
    "Arrow",
    "Utf8",
    "Int32",
    "Int64",
    "Float64",
    "Decimal128",
    "Date32",
    "Timestamp(",
    "Interval(",
    "Error during planning",
    "Schema error",
    "Execution error",
    "Invalid argument error",
    "Cast error",
    "unqualified field",
];

/// Cases whose error is about a whole file (a missing or duplicated one), not a place in it.
const WHOLE_FILE_CASES: &[&str] = &["duplicate_model_names", "missing_dbt_project"];

#[test]
fn broken_projects() {
    let root = repo_path("engine/tests/diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let text = diagnostics_of(&case);
        // The user reads Redshift's and dbt's words, never the engine underneath.
        for word in INTERNAL_WORDS {
            assert!(!text.contains(word), "{name} says `{word}`:\n{text}");
        }
        // Every error names a line (and a column where it is one place) in the user's file,
        // but those about a file as a whole.
        let whole_file = WHOLE_FILE_CASES.contains(&name.as_str());
        let errors: Vec<&str> = text.lines().filter(|l| l.contains(": error[")).collect();
        assert!(!errors.is_empty(), "{name} reports no error:\n{text}");
        for line in errors.iter().filter(|_| !whole_file) {
            let place = line.split(": error[").next().unwrap_or("");
            assert!(
                place.matches(':').count() >= 1,
                "{name}: an error with no line: {line}"
            );
        }
        insta::assert_snapshot!(name.clone(), text);
    }
}
