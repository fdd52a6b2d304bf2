//! The export does what the build does: the sample project's export, run statement by
//! statement on DuckDB (translated by sqlglot, scripts/export_on_duckdb.py), leaves the same
//! rows in every table and view as modelplay's own build, load after load of the raw files:
//! a first deploy, then a `dbt run` of the deployed project on each later load (tables
//! swapped, incremental models merged, snapshots merged, seeds reloaded).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use modelplay_engine::export::{ExportOptions, State, export};
use modelplay_engine::project::NodeKind;
use modelplay_engine::run::tables::display_value;
use modelplay_engine::{Engine, RunRequest, Verb};

/// A relation's columns and its rows, each value as text (`None` for NULL).
#[derive(Debug, serde::Deserialize)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

fn build_without_tests(e: &mut Engine) {
    let request = RunRequest {
        exclude: vec![
            "resource_type:test".into(),
            "resource_type:unit_test".into(),
        ],
        ..RunRequest::new(Verb::Build)
    };
    let results = block_on(e.run(&request, &mut |_| {})).unwrap();
    assert!(results.success(), "{:#?}", results.results);
}

/// Every relation the build leaves, as modelplay holds it.
fn ours(e: &Engine) -> BTreeMap<String, Table> {
    let mut out = BTreeMap::new();
    for node in e.project().nodes.values() {
        let kept = matches!(
            node.kind,
            NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot
        ) && !node.materialization.is_ephemeral();
        if !kept {
            continue;
        }
        let (schema, batches) = block_on(e.table_batches(&node.relation))
            .unwrap_or_else(|| panic!("{} was not built", node.name));
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut rows = Vec::new();
        for b in &batches {
            for i in 0..b.num_rows() {
                rows.push(
                    (0..b.num_columns())
                        .map(|c| (!b.column(c).is_null(i)).then(|| display_value(b.column(c), i)))
                        .collect(),
                );
            }
        }
        let key = format!("{}.{}", node.relation.schema, node.relation.identifier);
        out.insert(key, Table { columns, rows });
    }
    out
}

/// One value, written the same way whichever engine printed it: numbers to six decimals,
/// timestamps without a `T` or trailing zero fractions, booleans as words.
fn canonical(v: &Option<String>) -> String {
    let Some(v) = v else {
        return "NULL".into();
    };
    let t = v.trim();
    match t {
        "t" | "true" | "True" => return "true".into(),
        "f" | "false" | "False" => return "false".into(),
        _ => {}
    }
    let numeric = !t.is_empty()
        && t.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || c == '.' || (i == 0 && c == '-') || c == 'e' || c == 'E'
        })
        && t.chars().any(|c| c.is_ascii_digit());
    if numeric && let Ok(x) = t.parse::<f64>() {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return if s == "-0" { "0".into() } else { s.into() };
    }
    let bytes = t.as_bytes();
    let looks_like_timestamp = bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b'T' || bytes[10] == b' ')
        && bytes[13] == b':';
    if looks_like_timestamp {
        // A timestamptz in UTC, with or without its `+00`.
        let t = t
            .strip_suffix("+00:00")
            .or(t.strip_suffix("+00"))
            .unwrap_or(t);
        let mut s = t.replacen('T', " ", 1);
        if let Some(dot) = s.find('.') {
            let fraction = s[dot + 1..].trim_end_matches('0').to_string();
            s.truncate(dot);
            if !fraction.is_empty() {
                s = format!("{s}.{fraction}");
            }
        }
        return s;
    }
    t.to_string()
}

/// The rows of a table as sorted lines, columns in name order, for comparing as multisets.
fn lines(t: &Table) -> Vec<String> {
    let mut order: Vec<usize> = (0..t.columns.len()).collect();
    order.sort_by_key(|&i| t.columns[i].to_lowercase());
    let mut out: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            order
                .iter()
                .map(|&i| canonical(&r[i]))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    out.sort();
    out
}

fn differences(
    load: &str,
    ours: &BTreeMap<String, Table>,
    duck: &BTreeMap<String, Table>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, table) in ours {
        let Some(theirs) = duck.get(name) else {
            out.push(format!("{load}: {name} is not in DuckDB"));
            continue;
        };
        let mut ours_cols: Vec<String> = table.columns.iter().map(|c| c.to_lowercase()).collect();
        let mut their_cols: Vec<String> = theirs.columns.iter().map(|c| c.to_lowercase()).collect();
        ours_cols.sort();
        their_cols.sort();
        if ours_cols != their_cols {
            out.push(format!(
                "{load}: {name} has columns {ours_cols:?} here and {their_cols:?} on DuckDB"
            ));
            continue;
        }
        let (a, b) = (lines(table), lines(theirs));
        if a != b {
            let only_ours: Vec<&String> = a.iter().filter(|l| !b.contains(l)).take(3).collect();
            let only_theirs: Vec<&String> = b.iter().filter(|l| !a.contains(l)).take(3).collect();
            out.push(format!(
                "{load}: {name}: {} rows here, {} on DuckDB\n  only here: {only_ours:#?}\n  only on DuckDB: {only_theirs:#?}",
                a.len(),
                b.len()
            ));
        }
    }
    out
}

fn write_export(files: &[modelplay_engine::export::ExportedFile], dir: &Path) {
    for f in files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.contents).unwrap();
    }
}

fn on_duckdb(
    project: &Path,
    first: &Path,
    db: &Path,
    export_dir: &Path,
    load: &str,
) -> BTreeMap<String, Table> {
    let out = std::process::Command::new("python3")
        .arg(repo_path("scripts/export_on_duckdb.py"))
        .args([project, first, db, export_dir])
        .args([load, load])
        .output()
        .expect("python3 runs the export on DuckDB (scripts/setup installs duckdb and sqlglot)");
    assert!(
        out.status.success(),
        "the export did not run on DuckDB at {load} (are duckdb and sqlglot installed? run scripts/setup):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Deploys `project` load after load on DuckDB and on modelplay; the differences found,
/// and the (relations, rows) compared at each load.
fn replay(project: &Path, case: &str) -> (Vec<String>, Vec<(usize, usize)>) {
    let work: PathBuf = std::env::temp_dir().join(format!(
        "modelplay-equivalence-{case}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let db = work.join("warehouse.duckdb");
    let mut e = engine(read_dir(project)).unwrap();
    let loads = e.load_times();
    assert!(!loads.is_empty(), "no sample data under data/");
    let first = work.join("load-1");
    let mut problems = Vec::new();
    // (relations, rows) compared at each load.
    let mut compared: Vec<(usize, usize)> = Vec::new();
    for (i, load) in loads.iter().enumerate() {
        // The previous deploy's manifest says what is in the warehouse.
        let state = (i > 0).then(|| {
            let manifest = modelplay_engine::artifacts::manifest(&e, "2024-05-16T12:00:00Z");
            State::from_manifest("manifest.json", &manifest.to_string()).unwrap()
        });
        e.step_to(load).unwrap();
        build_without_tests(&mut e);
        let every = ["*".to_string()];
        let options = ExportOptions {
            select: if state.is_some() { &every } else { &[] },
            state: state.as_ref(),
            ..Default::default()
        };
        let exported = block_on(export(&e, &options)).unwrap();
        assert!(exported.complete(), "{:#?}", exported.problems);
        let dir = work.join(format!("load-{}", i + 1));
        write_export(&exported.files, &dir);
        let duck = on_duckdb(project, &first, &db, &dir, load);
        let built = ours(&e);
        compared.push((
            built.len(),
            built.values().map(|t| t.rows.len()).sum::<usize>(),
        ));
        problems.extend(differences(load, &built, &duck));
        if !problems.is_empty() {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    (problems, compared)
}

#[test]
fn the_samples_export_leaves_the_builds_rows_load_after_load() {
    let (problems, compared) = replay(&repo_path("sample-data/brightwheel"), "sample");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Seven loads, every relation compared at each, and the snapshots' history grew.
    assert_eq!(compared.len(), 7, "{compared:?}");
    assert!(compared.iter().all(|(n, _)| *n > 15), "{compared:?}");
    assert!(compared.last().unwrap().1 > compared[0].1, "{compared:?}");
}

#[test]
fn every_strategy_and_snapshot_option_leaves_the_builds_rows_on_a_second_load() {
    // Incremental merge (update and exclude columns), delete+insert and append, snapshots
    // with invalidated and recorded hard deletes, a contract, a materialized view.
    let (problems, compared) = replay(
        &repo_path("engine/tests/fixtures/redshift_configs"),
        "configs",
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(compared.len(), 2, "{compared:?}");
}

/// The same check on any project folder (with sample data under `data/`), for trying the
/// export on a project of one's own: `MODELPLAY_EQUIVALENCE_PROJECT=path cargo test -p
/// modelplay-engine --test integration any_project -- --ignored`.
#[test]
#[ignore = "runs on the project MODELPLAY_EQUIVALENCE_PROJECT names"]
fn any_projects_export_leaves_the_builds_rows() {
    let Ok(path) = std::env::var("MODELPLAY_EQUIVALENCE_PROJECT") else {
        panic!("set MODELPLAY_EQUIVALENCE_PROJECT to a project folder");
    };
    let (problems, compared) = replay(Path::new(&path), "project");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("compared (relations, rows) per load: {compared:?}");
}
