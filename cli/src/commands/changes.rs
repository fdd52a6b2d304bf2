//! `modelplay unit-test` (write a unit test from what a build gave) and `modelplay diff`
//! (what an edit changed in a model and everything built from it).

use std::path::Path;
use std::process::Command;

use modelplay_engine::changes::{Changes, Compared, KeySource, SchemaChange};
use modelplay_engine::run::{Cell, RowChange};
use modelplay_engine::{Engine, ProjectFiles, RunRequest, RunResults, Verb};

use super::{open, open_files, print_diagnostics};
use crate::{ProjectArgs, disk, table};

/// Builds `select` and what it needs, quietly; the results, or the exit code.
async fn build_quietly(engine: &mut Engine, select: &[String]) -> Result<RunResults, u8> {
    let mut request = RunRequest::new(Verb::Build);
    request.select = select.to_vec();
    engine.run(&request, &mut |_| {}).await.map_err(|diags| {
        print_diagnostics(&diags);
        2
    })
}

pub async fn unit_test(args: ProjectArgs, rows: usize, write: bool) -> u8 {
    let [model] = args.select.as_slice() else {
        eprintln!("error: say which model to write a unit test for with --select <model>");
        return 2;
    };
    let mut engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if let Err(code) = build_quietly(&mut engine, &[format!("+{model}")]).await {
        return code;
    }
    let written = match engine.write_unit_test(model, rows).await {
        Ok(w) => w,
        Err(d) => {
            eprintln!("{d:#}");
            return 1;
        }
    };
    if !write {
        print!("{}", written.yaml);
        return 0;
    }
    // Beside the model, in its unit tests file, or a new one when that file holds more
    // than unit tests.
    let stem = written.path.trim_end_matches(".yml").to_string();
    for n in 1.. {
        let rel = if n == 1 {
            written.path.clone()
        } else {
            format!("{stem}_{n}.yml")
        };
        let path = args.project_dir.join(&rel);
        let existing = std::fs::read_to_string(&path).ok();
        if let Some(text) = modelplay_engine::run::add_to_file(existing.as_deref(), &written.yaml) {
            if let Err(e) = disk::write(&path, text) {
                eprintln!("error: {e}");
                return 2;
            }
            let inputs: Vec<String> = written
                .inputs
                .iter()
                .map(|(i, n)| format!("{i} ({n} row{})", if *n == 1 { "" } else { "s" }))
                .collect();
            println!(
                "wrote unit test `{}` to {rel}: {} expected row{} from {}",
                written.name,
                written.expected_rows,
                if written.expected_rows == 1 { "" } else { "s" },
                inputs.join(", ")
            );
            return 0;
        }
    }
    1
}

/// The project `--base` names: a folder, a `.zip`, a share link, or `git:<revision>` of the
/// project's own repository (the default, `git:HEAD`: what the edit changed since the last
/// commit).
fn base_files(project_dir: &Path, base: &str) -> Result<ProjectFiles, String> {
    if let Some(rev) = base.strip_prefix("git:") {
        return git_files(project_dir, rev);
    }
    let path = Path::new(base);
    if path.is_dir() {
        return disk::read_project(path);
    }
    if base.ends_with(".zip") && path.is_file() {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {base}: {e}"))?;
        return modelplay_engine::share::from_zip(&bytes).map_err(|e| e.to_string());
    }
    modelplay_engine::share::decode_link(base)
        .map_err(|e| format!("--base `{base}` is not a folder, a .zip or a share link: {e}"))
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The project folder as revision `rev` of its git repository holds it.
fn git_files(dir: &Path, rev: &str) -> Result<ProjectFiles, String> {
    let listed = git(dir, &["ls-tree", "-r", "-z", "--name-only", rev, "."])
        .map_err(|e| format!("--base git:{rev}: {e}"))?;
    let mut files = ProjectFiles::new();
    for rel in listed.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = String::from_utf8_lossy(rel).into_owned();
        if !modelplay_protocol::paths::kept_in_project(&rel) {
            continue;
        }
        let bytes = git(dir, &["show", &format!("{rev}:./{rel}")])?;
        files.insert(rel, bytes);
    }
    if files.get("dbt_project.yml").is_none() {
        return Err(format!(
            "--base git:{rev}: that revision has no dbt_project.yml in this folder"
        ));
    }
    Ok(files)
}

pub async fn diff(
    args: ProjectArgs,
    base: Option<String>,
    key: Option<String>,
    limit: usize,
) -> u8 {
    if args.select.is_empty() {
        eprintln!("error: say which model to compare with --select <model>");
        return 2;
    }
    let base = base.unwrap_or_else(|| "git:HEAD".to_string());
    let base_files = match base_files(&args.project_dir, &base) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            if base == "git:HEAD" {
                eprintln!(
                    "hint: name what to compare against with --base <folder|.zip|link|git:REV>"
                );
            }
            return 2;
        }
    };
    let mut current = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut before = match open_files(&args, base_files) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let downstream: Vec<String> = args
        .select
        .iter()
        .map(|s| {
            if s.ends_with('+') {
                s.clone()
            } else {
                format!("{s}+")
            }
        })
        .collect();
    let chosen = match modelplay_engine::selector::select(
        current.project(),
        current.dag(),
        &args.select,
        &args.exclude,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let models: Vec<String> = chosen.into_iter().collect();
    let base_results = match before.build_for_comparison(&downstream).await {
        Ok(r) => r,
        Err(diags) => {
            print_diagnostics(&diags);
            return 2;
        }
    };
    let results = match current.build_for_comparison(&downstream).await {
        Ok(r) => r,
        Err(diags) => {
            print_diagnostics(&diags);
            return 2;
        }
    };
    let ids: Vec<String> = current
        .project()
        .nodes
        .keys()
        .chain(before.project().nodes.keys())
        .cloned()
        .collect();
    let old = before.built_tables(&ids, Some(&base_results)).await;
    let new = current.built_tables(&ids, Some(&results)).await;
    let found = current.compare_tables(&models, key.as_deref(), &old, &new);
    print!("{}", render(&found, &base, limit));
    0
}

fn cell(c: &Cell) -> String {
    c.clone().unwrap_or_else(|| "NULL".into())
}

/// The comparison as text: a paragraph per model, then the tests whose status changed.
pub fn render(found: &Changes, base: &str, limit: usize) -> String {
    let mut out = format!("Compared with {base}:\n");
    for m in &found.models {
        out.push('\n');
        let keyed = match m.key_source {
            KeySource::WholeRow => "matched by whole rows".to_string(),
            KeySource::UniqueTest => format!("keyed by {} (its unique test)", m.key.join(", ")),
            KeySource::UniqueKey => format!("keyed by {} (its unique_key)", m.key.join(", ")),
            KeySource::Chosen => format!("keyed by {}", m.key.join(", ")),
        };
        match m.compared {
            Compared::OnlyBase => {
                out.push_str(&format!("{}: built before, not now\n", m.name));
                continue;
            }
            Compared::OnlyCurrent => {
                out.push_str(&format!("{}: new ({} rows)\n", m.name, m.current_rows));
                continue;
            }
            Compared::Neither => {
                out.push_str(&format!("{}: built on neither side\n", m.name));
                continue;
            }
            Compared::Both => {}
        }
        if !m.has_changes() {
            out.push_str(&format!(
                "{}: no change ({} rows)\n",
                m.name, m.current_rows
            ));
            continue;
        }
        out.push_str(&format!(
            "{}: {} rows before, {} after: {} added, {} removed, {} changed, {keyed}\n",
            m.name, m.base_rows, m.current_rows, m.added, m.removed, m.changed
        ));
        if let Some(note) = &m.key_note {
            out.push_str(&format!("  note: {note}\n"));
        }
        for s in &m.schema {
            out.push_str(&match s {
                SchemaChange::Added { column, data_type } => {
                    format!("  column added: {column} {data_type}\n")
                }
                SchemaChange::Removed { column, data_type } => {
                    format!("  column removed: {column} {data_type}\n")
                }
                SchemaChange::Retyped { column, from, to } => {
                    format!("  column retyped: {column} {from} -> {to}\n")
                }
            });
        }
        let counts: Vec<String> = m
            .changed_by_column
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        if !counts.is_empty() {
            out.push_str(&format!("  values changed: {}\n", counts.join(", ")));
        }
        if m.rows.is_empty() {
            continue;
        }
        let mut headers = vec!["change".to_string()];
        headers.extend(m.columns.iter().cloned());
        let rows: Vec<Vec<String>> = m
            .rows
            .iter()
            .take(limit)
            .map(|r| {
                let (word, cells): (&str, Vec<String>) = match r.change {
                    RowChange::Added => ("added", r.current.iter().map(cell).collect()),
                    RowChange::Removed => ("removed", r.base.iter().map(cell).collect()),
                    _ => (
                        "changed",
                        r.base
                            .iter()
                            .zip(&r.current)
                            .zip(&r.changed)
                            .map(|((b, c), changed)| {
                                if *changed {
                                    format!("{} -> {}", cell(b), cell(c))
                                } else {
                                    cell(c)
                                }
                            })
                            .collect(),
                    ),
                };
                std::iter::once(word.to_string()).chain(cells).collect()
            })
            .collect();
        for line in table::render_text(&headers, &rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
        if m.rows.len() > limit {
            out.push_str(&format!(
                "  ... and {} more (--limit to see more)\n",
                m.rows.len() - limit
            ));
        }
    }
    if !found.tests.is_empty() {
        out.push_str("\nTests whose status changed:\n");
        for t in &found.tests {
            let word = |s: Option<modelplay_engine::Status>| s.map_or("not run", |s| s.as_str());
            out.push_str(&format!(
                "  {}: {} -> {}\n",
                t.name,
                word(t.base),
                word(t.current)
            ));
        }
    }
    out
}
