//! Helpers shared by the integration tests: load a project from disk or from inline files,
//! build it at a fixed run time, read values back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::Path;

use modelplay_engine::run::tables::{RecordBatch, display_value};
use modelplay_engine::{
    Diagnostic, Engine, LoadOptions, ProjectFiles, RunRequest, RunResults, Verb, load_project,
};

pub fn run_time() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 5, 16)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

pub fn read_dir(root: &Path) -> ProjectFiles {
    let mut files = ProjectFiles::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

pub fn repo_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

pub fn inline(files: &[(&str, &str)]) -> ProjectFiles {
    files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect()
}

pub fn engine(files: ProjectFiles) -> Result<Engine, Vec<Diagnostic>> {
    let loaded = load_project(files, &LoadOptions::default())?;
    Engine::new(loaded, run_time())
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn build(engine: &mut Engine) -> RunResults {
    block_on(engine.run(&RunRequest::new(Verb::Build), &mut |_| {})).unwrap()
}

/// Every row of a query as text cells, as Redshift would print them.
pub fn rows(engine: &mut Engine, sql: &str) -> Vec<Vec<String>> {
    let batches = block_on(engine.query(sql)).unwrap_or_else(|d| panic!("{d:#}"));
    cells(&batches)
}

pub fn cells(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            out.push(
                (0..b.num_columns())
                    .map(|c| display_value(b.column(c), i))
                    .collect(),
            );
        }
    }
    out
}

/// The one value a query returns.
pub fn scalar(engine: &mut Engine, sql: &str) -> String {
    let r = rows(engine, sql);
    assert_eq!(r.len(), 1, "{sql} returned {} rows", r.len());
    r[0][0].clone()
}

pub fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
