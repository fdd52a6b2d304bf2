//! What each subcommand does: load the project, run the engine, print, write artifacts.

mod changes;
mod deps;
mod inspect;
mod projects;

pub use changes::{diff, unit_test};
pub use deps::deps;
pub use inspect::{advise, check, export, impact, lineage, ls, show};
pub use projects::{open_link, sample, share, zip};

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use modelplay_engine::run::{MemoryLimit, parse_vars};
use modelplay_engine::{
    Clock, Diagnostic, Engine, Event, LoadOptions, NodeKind, ProjectFiles, RunRequest, Severity,
    Verb, artifacts, load_project,
};

use crate::ProjectArgs;
use crate::{disk, output, table};

struct WallClock(Instant);

impl Clock for WallClock {
    fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{d:#}\n");
    }
}

/// Loads the project and binds it to an engine; `Err` carries the exit code.
pub(crate) fn open(args: &ProjectArgs) -> Result<Engine, u8> {
    let files = disk::read_project(&args.project_dir).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    open_files(args, files)
}

/// Loads `files` as a project with the options `args` give.
pub(crate) fn open_files(args: &ProjectArgs, files: ProjectFiles) -> Result<Engine, u8> {
    let vars = match args.vars.as_deref().map(parse_vars).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(d) => {
            eprintln!("{d:#}");
            return Err(2);
        }
    };
    let options = LoadOptions {
        vars,
        env: std::env::vars().collect(),
        ..LoadOptions::default()
    };
    let loaded = load_project(files, &options).map_err(|diags| {
        print_diagnostics(&diags);
        let n = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        eprintln!(
            "error: the project could not be parsed ({n} error{})",
            if n == 1 { "" } else { "s" }
        );
        2
    })?;
    let run_time = match &args.run_time {
        Some(t) => modelplay_engine::redshift::functions::parse_timestamp(t).ok_or_else(|| {
            eprintln!("error: --run-time `{t}` is not a timestamp (try '2024-05-16 12:00:00')");
            2u8
        })?,
        None => chrono::Utc::now().naive_utc(),
    };
    let engine = Engine::new(loaded, run_time).map_err(|diags| {
        print_diagnostics(&diags);
        2u8
    })?;
    let engine = match memory_limit(args)? {
        Some(bytes) => engine
            .with_memory_limit(MemoryLimit { bytes, spill: true })
            .map_err(|e| {
                eprintln!("error: {e}");
                2u8
            })?,
        None => engine,
    };
    Ok(engine.with_clock(Arc::new(WallClock(Instant::now()))))
}

/// The working memory queries may take: `--memory-limit`, else three quarters of what the
/// machine has free (none where that cannot be read).
fn memory_limit(args: &ProjectArgs) -> Result<Option<usize>, u8> {
    match args.memory_limit.as_deref() {
        Some(none) if none.eq_ignore_ascii_case("none") => Ok(None),
        Some(size) => modelplay_engine::run::parse_size(size)
            .map(Some)
            .ok_or_else(|| {
                eprintln!("error: --memory-limit `{size}` is not a size (try 4G or 512M, or none)");
                2u8
            }),
        None => Ok(crate::machine::available_memory().map(|b| b / 4 * 3)),
    }
}

/// dbt's opening lines, then the project loaded.
pub(crate) fn open_with_banner(args: &ProjectArgs) -> Result<Engine, u8> {
    output::line(&format!(
        "Running with modelplay={}",
        env!("CARGO_PKG_VERSION")
    ));
    let engine = open(args)?;
    output::line(&found_line(&engine));
    output::line("");
    Ok(engine)
}

pub(crate) fn found_line(engine: &Engine) -> String {
    let p = engine.project();
    let count = |k: NodeKind| p.nodes.values().filter(|n| n.kind == k).count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let units = match count(NodeKind::UnitTest) {
        0 => String::new(),
        n => format!(", {}", plural(n, "unit test", "unit tests")),
    };
    format!(
        "Found {}, {}, {}, {}, {}{units}",
        plural(count(NodeKind::Model), "model", "models"),
        plural(count(NodeKind::Snapshot), "snapshot", "snapshots"),
        plural(count(NodeKind::Test), "data test", "data tests"),
        plural(count(NodeKind::Seed), "seed", "seeds"),
        plural(p.sources.len(), "source", "sources"),
    )
}

pub(crate) fn write_artifacts(
    args: &ProjectArgs,
    engine: &Engine,
    results: Option<&modelplay_engine::RunResults>,
    argv: &str,
) {
    let target = args.project_dir.join(&args.target_path);
    let generated_at = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let mut written = vec![disk::write(
        &target.join("manifest.json"),
        serde_json::to_string_pretty(&artifacts::manifest(engine, &generated_at))
            .unwrap_or_default(),
    )];
    if let Some(results) = results {
        let args_json =
            serde_json::json!({"which": argv, "select": args.select, "exclude": args.exclude});
        written.push(disk::write(
            &target.join("run_results.json"),
            serde_json::to_string_pretty(&artifacts::run_results(
                engine,
                results,
                &generated_at,
                args_json,
            ))
            .unwrap_or_default(),
        ));
    }
    let project = engine.project();
    for node in project.nodes.values() {
        if let Some(sql) = engine.compiled_sql(&node.unique_id) {
            // dbt's layout: the package, then the file within it.
            let rel = if node.generic_test.is_some() || node.kind == NodeKind::UnitTest {
                format!("{}/{}.sql", node.original_file_path, node.name)
            } else {
                node.original_file_path.clone()
            };
            written.push(disk::write(
                &target.join("compiled").join(&node.package_name).join(rel),
                sql,
            ));
        }
    }
    for e in written.into_iter().filter_map(Result::err) {
        eprintln!("warning: {e}");
    }
}

/// The loads a `--replay` or `--load` walks through; `None` for a plain run.
pub(crate) fn replay_steps(
    args: &ProjectArgs,
    engine: &Engine,
) -> Result<Option<Vec<String>>, String> {
    let times = engine.load_times();
    let upto = match &args.load {
        None if args.replay => times.len(),
        None => return Ok(None),
        Some(k) if k.chars().all(|c| c.is_ascii_digit()) => {
            let k: usize = k
                .parse()
                .map_err(|_| format!("--load {k} is not a load number"))?;
            if k == 0 || k > times.len() {
                return Err(format!(
                    "--load {k}: the project has {} loads (1 is the oldest)",
                    times.len()
                ));
            }
            k
        }
        Some(t) => {
            let at = modelplay_engine::redshift::functions::parse_timestamp(t)
                .map(|t| modelplay_engine::redshift::functions::format_timestamp(&t))
                .ok_or_else(|| format!("--load `{t}` is neither a load number nor a timestamp"))?;
            let n = times.iter().filter(|x| x.as_str() <= at.as_str()).count();
            if n == 0 {
                return Err(format!(
                    "--load {t}: no source had loaded by then (first load: {})",
                    times.first().map_or("none", String::as_str)
                ));
            }
            n
        }
    };
    if times.is_empty() {
        return Err("--replay: no source has sample data files under data/".into());
    }
    Ok(Some(times[..upto].to_vec()))
}

pub async fn run(verb: Verb, args: ProjectArgs) -> u8 {
    let name = verb.as_str();
    // A run reads each load once, in time order, and exits: neither the raw files nor a
    // table whose readers have all run need stay.
    let mut engine = match open_with_banner(&args) {
        Ok(e) => e
            .release_sample_files_once_read()
            .release_tables_once_read(),
        Err(code) => return code,
    };
    let steps = match replay_steps(&args, &engine) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let request = RunRequest {
        verb,
        select: args.select.clone(),
        exclude: args.exclude.clone(),
        full_refresh: args.full_refresh,
    };
    let quiet = matches!(verb, Verb::Compile);
    let plan: Vec<Option<String>> = match &steps {
        Some(s) => s.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    let mut failed = false;
    let mut last = None;
    for (step, load) in plan.iter().enumerate() {
        if let Some(load) = load {
            output::line(&format!(
                "Load {} of {}: sources as of {load}",
                step + 1,
                plan.len()
            ));
            if let Err(diags) = engine.step_to(load) {
                print_diagnostics(&diags);
                return 2;
            }
        }
        let result = engine
            .run(&request, &mut |event| match event {
                Event::Started { index, total, node } if !quiet => output::started(
                    index,
                    total,
                    node.kind,
                    node.materialized(),
                    &node.relation.short(),
                    &node.name,
                ),
                Event::Finished {
                    index,
                    total,
                    result,
                } if !quiet => output::finished(index, total, result),
                _ => {}
            })
            .await;
        let results = match result {
            Ok(r) => r,
            Err(diags) => {
                print_diagnostics(&diags);
                return 2;
            }
        };
        failed |= !results.success();
        if load.is_some() && step + 1 < plan.len() && !quiet {
            let s = results.summary();
            output::line(&format!(
                "Load {} done. PASS={} WARN={} ERROR={} SKIP={} TOTAL={}",
                step + 1,
                s.pass,
                s.warn,
                s.error,
                s.skip,
                s.total
            ));
            output::line("");
        }
        last = Some(results);
    }
    let Some(results) = last else {
        return 0;
    };
    for w in engine.warnings() {
        if w.severity == Severity::Warning {
            eprintln!("{w:#}");
        }
    }
    for e in &results.hook_errors {
        eprintln!("{e:#}");
    }
    // What the pre-run check found that did not stop a node (a function Redshift lacks, a
    // key the deploy would reject); failures are reported with their nodes.
    if let Some(report) = engine.last_check() {
        let failing: Vec<&modelplay_engine::Diagnostic> = report.failed.values().collect();
        for d in report.diagnostics.iter().filter(|d| !failing.contains(d)) {
            eprintln!("check: {d:#}");
        }
    }
    if !results.deferred.is_empty() {
        output::line(&format!(
            "Built {} upstream node(s) outside the selection first: {}",
            results.deferred.len(),
            results.deferred.join(", ")
        ));
    }
    write_artifacts(&args, &engine, Some(&results), name);
    if quiet {
        let errors: Vec<_> = results
            .results
            .iter()
            .filter(|r| r.status == modelplay_engine::Status::Error)
            .collect();
        for r in &errors {
            eprintln!("{}", r.message.as_deref().unwrap_or(""));
        }
        output::line(&format!(
            "Compiled {} node(s) into {}",
            results.results.len() - errors.len(),
            args.project_dir
                .join(&args.target_path)
                .join("compiled")
                .display()
        ));
        return u8::from(!errors.is_empty());
    }
    output::summary(&results.results, results.summary(), results.elapsed_time);
    u8::from(failed)
}

pub async fn freshness(args: ProjectArgs) -> u8 {
    use modelplay_engine::run::freshness::FreshnessStatus;
    let mut engine = match open_with_banner(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match replay_steps(&args, &engine) {
        Ok(Some(steps)) => {
            if let Some(last) = steps.last() {
                let at = args
                    .run_time
                    .as_deref()
                    .and_then(modelplay_engine::redshift::functions::parse_timestamp);
                if let Err(diags) = engine.step_to(last) {
                    print_diagnostics(&diags);
                    return 2;
                }
                if let Some(t) = at {
                    engine.set_run_time(t);
                }
                output::line(&format!("Sources as of load {} ({last})", steps.len()));
            }
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    }
    let started = Instant::now();
    let results = match engine.source_freshness(&args.select, &args.exclude).await {
        Ok(r) => r,
        Err(diags) => {
            print_diagnostics(&diags);
            return 2;
        }
    };
    let total = results.len();
    for (i, r) in results.iter().enumerate() {
        output::freshness_line(i + 1, total, r);
    }
    output::line("");
    output::line(&format!(
        "Finished running {total} source{} in {:.2}s.",
        if total == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    ));
    let generated_at = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let json = serde_json::json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
            "dbt_version": "1.9.0",
            "generated_at": generated_at,
            "invocation_id": "00000000-0000-0000-0000-000000000000",
            "env": {},
        },
        "results": results.iter().map(|r| serde_json::json!({
            "unique_id": r.unique_id,
            "max_loaded_at": r.max_loaded_at,
            "snapshotted_at": r.snapshotted_at,
            "max_loaded_at_time_ago_in_s": r.max_loaded_at_time_ago_in_s,
            "status": r.status,
            "criteria": r.criteria,
            "adapter_response": {},
            "timing": [],
            "thread_id": "Thread-1",
            "execution_time": 0.0,
        })).collect::<Vec<_>>(),
        "elapsed_time": started.elapsed().as_secs_f64(),
    });
    if let Err(e) = disk::write(
        &args
            .project_dir
            .join(&args.target_path)
            .join("sources.json"),
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    ) {
        eprintln!("warning: {e}");
    }
    let errors = results
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                FreshnessStatus::Error | FreshnessStatus::RuntimeError
            )
        })
        .count();
    u8::from(errors > 0)
}
