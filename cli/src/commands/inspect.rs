//! Commands that look at a project: ls, show, check, lineage, impact, advise, export.

use super::*;

pub fn ls(args: ProjectArgs, format: &str, resource_type: Option<&str>) -> u8 {
    let engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let project = engine.project();
    let chosen = match modelplay_engine::selector::select(
        project,
        engine.dag(),
        &args.select,
        &args.exclude,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    // dbt prints resources in sorted order.
    let mut lines: Vec<String> = Vec::new();
    for id in chosen {
        if let Some(s) = project.sources.get(&id) {
            if resource_type.is_some_and(|t| t != "source") {
                continue;
            }
            lines.push(match format {
                "name" => format!("{}.{}", s.source_name, s.name),
                "path" => s.location.file.clone(),
                "json" => serde_json::json!({"name": s.name, "resource_type": "source", "unique_id": s.unique_id}).to_string(),
                _ => format!("source:{}.{}.{}", s.package_name, s.source_name, s.name),
            });
        } else if let Some(n) = project.nodes.get(&id) {
            if resource_type.is_some_and(|t| t != n.kind.as_str()) {
                continue;
            }
            lines.push(match format {
                "name" => n.name.clone(),
                "path" => n.path.clone(),
                "json" => serde_json::json!({"name": n.name, "resource_type": n.kind.as_str(), "unique_id": n.unique_id, "original_file_path": n.path, "config": n.config}).to_string(),
                _ => n.fqn.join("."),
            });
        }
    }
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    0
}

pub async fn show(args: ProjectArgs, limit: usize) -> u8 {
    let mut engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let Some(first) = args.select.first().cloned() else {
        eprintln!("error: say which node to show with --select <name>");
        return 2;
    };
    let Some(node) = engine
        .project()
        .nodes
        .values()
        .find(|n| n.name == first && !n.kind.is_test())
        .cloned()
    else {
        eprintln!("error: no model, seed or snapshot is named `{first}`");
        return 2;
    };
    let mut request = RunRequest::new(Verb::Build);
    request.select = vec![node.name.clone()];
    request.exclude = vec![
        "resource_type:test".into(),
        "resource_type:unit_test".into(),
    ];
    let results = match engine.run(&request, &mut |_| {}).await {
        Ok(r) => r,
        Err(diags) => {
            super::print_diagnostics(&diags);
            return 2;
        }
    };
    if let Some(r) = results
        .results
        .iter()
        .find(|r| r.unique_id == node.unique_id)
        && r.status == modelplay_engine::Status::Error
    {
        eprintln!("{}", r.message.as_deref().unwrap_or("failed"));
        return 1;
    }
    match engine.preview(&node.relation, limit).await {
        Ok(batches) => {
            println!("Previewing node '{}':", node.name);
            print!("{}", table::render(&batches));
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub async fn check(args: ProjectArgs) -> u8 {
    let engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let report = engine.check().await;
    print_diagnostics(&report.diagnostics);
    let errors = report.errors();
    let checked = report.columns.len();
    println!(
        "Checked {checked} nodes: {errors} error{}, {} not checked",
        if errors == 1 { "" } else { "s" },
        report.not_checked.len()
    );
    u8::from(errors > 0)
}

pub async fn lineage(args: ProjectArgs, column: &str, upstream: bool, downstream: bool) -> u8 {
    let engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let Some((model, col)) = column.split_once('.') else {
        eprintln!("error: name the column as model.column, e.g. leads_for_outreach.phone");
        return 2;
    };
    let report = engine.check().await;
    let graph = modelplay_engine::lineage_graph::LineageGraph::new(engine.project(), &report);
    let Some(start) = graph.find(model, col) else {
        eprintln!("error: no column `{col}` in a model, seed, snapshot or source named `{model}`");
        return 2;
    };
    if !downstream {
        println!("upstream of {model}.{col}:");
        print!("{}", graph.render_upstream(&start));
    }
    if !upstream {
        println!("downstream of {model}.{col}:");
        print!("{}", graph.render_downstream(&start));
    }
    0
}

pub async fn impact(args: ProjectArgs, model: &str) -> u8 {
    let engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let report = engine.check().await;
    let graph = modelplay_engine::lineage_graph::LineageGraph::new(engine.project(), &report);
    match graph.impact(engine.project(), engine.dag(), model) {
        Some(impact) => {
            print!("{impact}");
            0
        }
        None => {
            eprintln!("error: no model named `{model}`");
            2
        }
    }
}

pub async fn advise(args: ProjectArgs, json: bool) -> u8 {
    let mut engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match modelplay_engine::advisor::advise(&mut engine, &args.select, &args.exclude).await {
        Ok(advice) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&advice).unwrap_or_default()
                );
            } else {
                print!("{}", modelplay_engine::advisor::render(&advice));
            }
            0
        }
        Err(diags) => {
            print_diagnostics(&diags);
            1
        }
    }
}

pub async fn export(
    args: ProjectArgs,
    out: Option<std::path::PathBuf>,
    state: Option<std::path::PathBuf>,
) -> u8 {
    let engine = match open(&args) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let state = match state {
        None => None,
        Some(path) => {
            let label = path.display().to_string();
            let read = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {label}: {e}"))
                .and_then(|text| modelplay_engine::export::State::from_manifest(&label, &text));
            match read {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("error: --state: {e}");
                    return 2;
                }
            }
        }
    };
    let dir = out.unwrap_or_else(|| args.project_dir.join(&args.target_path).join("export"));
    let options = modelplay_engine::export::ExportOptions {
        select: &args.select,
        exclude: &args.exclude,
        state: state.as_ref(),
    };
    match modelplay_engine::export::export(&engine, &options).await {
        Ok(export) => {
            for f in &export.files {
                if let Err(e) = disk::write(&dir.join(&f.path), &f.contents) {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
            print_diagnostics(&export.problems);
            print_diagnostics(&export.warnings);
            println!(
                "Wrote {} files to {} (run deploy.sql on the cluster)",
                export.files.len(),
                dir.display()
            );
            // What was left out is said above; the deploy is still written.
            u8::from(!export.complete())
        }
        Err(diags) => {
            print_diagnostics(&diags);
            eprintln!("error: nothing was exported");
            1
        }
    }
}
