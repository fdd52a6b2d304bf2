//! A corpus of broken projects (`tests/diagnostics/<case>/`), each with its diagnostics as a
//! reviewed snapshot: the file, line and column in the user's own file, the message, the
//! quoted line and, where we know one, the fix. Adding a case is adding a folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
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
            out.extend(e.warnings.iter().map(|d| format!("{d:#}")));
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

#[test]
fn broken_projects() {
    let root = repo_path("engine/tests/diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25);
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name.clone(), diagnostics_of(&case));
    }
}
