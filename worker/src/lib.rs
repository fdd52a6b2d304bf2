//! The engine side of the page: serves `Request`s with the engine and answers with
//! `Response`s. The logic here is plain async Rust, tested natively; `js` binds it to the
//! Web Worker's message events.

pub mod add_data;
pub mod convert;
pub mod js;
pub mod picked_file;

use chrono::NaiveDateTime;
use modelplay_engine::run::tables::RecordBatch;
use modelplay_engine::{
    Diagnostic, Engine, Event, LoadOptions, ProjectFiles, RunRequest, Verb, load_project,
};

use std::collections::HashMap;

use modelplay_engine::Status;
use modelplay_engine::changes::Changes;

use convert::{
    changed_rows, changes_report, column_types, lineage, node_infos, outcome, problem, table,
    unit_test_infos,
};
use modelplay_protocol::{Body, BuildSummary, Files, Request, Response};

/// Rows a failing test shows.
const FAILING_ROWS: usize = 100;
/// Differing rows a comparison sends of each model at first; the page asks for more.
const CHANGED_ROWS: usize = 200;

/// The worker's state: its copy of the workspace, which the page keeps up to date with
/// edits, and the engine of the last build, kept so that a re-run of one model reuses what
/// was built upstream of it.
#[derive(Default)]
pub struct Worker {
    files: Files,
    engine: Option<Engine>,
    /// How each node ended in the builds so far, for the next comparison's earlier side.
    statuses: HashMap<String, Status>,
    /// The last comparison, whose rows the page asks for page by page.
    changes: Option<Changes>,
    /// The engine the checks after typing pauses use, kept apart from the build's (a check
    /// must not drop the tables a re-run compares with) and across checks, so that each
    /// plans only what the edits since the last one can have changed.
    checker: Option<Engine>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("files", &self.files.len())
            .field("has_engine", &self.engine.is_some())
            .finish()
    }
}

fn project_files(files: &Files) -> ProjectFiles {
    files
        .iter()
        .map(|(p, b)| (p.clone(), b.bytes().to_vec()))
        .collect()
}

fn page_files(files: &ProjectFiles) -> Files {
    files
        .iter()
        .map(|(p, b)| (p.to_string(), Body::from_bytes(b.to_vec())))
        .collect()
}

impl Worker {
    /// Serves one request; `post` sends each answer as soon as it is known (node by node
    /// during a build). `now` is the run time and `clock` measures elapsed seconds.
    pub async fn handle(
        &mut self,
        request: Request,
        now: NaiveDateTime,
        clock: &dyn Fn() -> f64,
        post: &mut dyn FnMut(Response),
    ) {
        match request {
            Request::Sample => post(Response::Sample {
                files: page_files(&modelplay_engine::share::builtin_sample()),
            }),
            Request::Edit { changes } => modelplay_protocol::apply(&mut self.files, changes),
            Request::Build { select, reuse } => {
                let files = self.files.clone();
                self.build(&files, select, reuse, now, clock, post).await
            }
            Request::Check => post(self.check(now, clock).await),
            Request::Rows {
                unique_id,
                limit,
                sort,
            } => post(self.rows(&unique_id, limit, sort).await),
            Request::Profile { unique_id } => post(self.profile(&unique_id).await),
            Request::Export => post(export(&self.files, now).await),
            Request::Share => post(
                match modelplay_engine::share::encode_link(&project_files(&self.files)) {
                    Ok(link) => Response::Link { link },
                    Err(e) => failed("share", e),
                },
            ),
            Request::OpenLink { link } => post(match modelplay_engine::share::decode_link(&link) {
                Ok(files) => Response::Opened {
                    files: page_files(&files),
                },
                Err(e) => Response::LinkNotOpened {
                    message: e.to_string(),
                },
            }),
            Request::OpenZip { zip } => post(open_zip(&zip)),
            Request::Zip => post(
                match modelplay_engine::share::to_zip(&project_files(&self.files), "project") {
                    Ok(zip) => Response::Zipped { zip },
                    Err(e) => failed("make the archive", e),
                },
            ),
            Request::AddData(spec) => post(failed(
                "add the data",
                format!("no file came with the request for `{}`", spec.name),
            )),
            Request::WriteUnitTest { model, rows } => {
                post(self.write_unit_test(&model, rows).await)
            }
            Request::CompareWith { with, label } => {
                let files = match with {
                    modelplay_protocol::Other::Files(files) => files,
                    modelplay_protocol::Other::Link(link) => {
                        match modelplay_engine::share::decode_link(&link) {
                            Ok(files) => page_files(&files),
                            Err(e) => return post(failed("compare", format!("{label}: {e}"))),
                        }
                    }
                };
                post(self.compare_with(&files, &label, now).await)
            }
            Request::ChangedRows {
                unique_id,
                offset,
                limit,
            } => post(self.changed_rows(&unique_id, offset, limit)),
        }
    }

    async fn write_unit_test(&mut self, model: &str, rows: usize) -> Response {
        let Some(engine) = self.engine.as_mut() else {
            return failed("write a unit test", "build the project first");
        };
        let Some(name) = engine.project().nodes.get(model).map(|n| n.name.clone()) else {
            return failed(
                "write a unit test",
                format!("no model `{model}` in the project"),
            );
        };
        let written = match engine.write_unit_test(&name, rows).await {
            Ok(w) => w,
            Err(d) => return failed("write a unit test", d),
        };
        // Beside the model, in its unit tests file, or a numbered one when that file holds
        // more than unit tests.
        let stem = written.path.trim_end_matches(".yml").to_string();
        for n in 1..1000 {
            let path = if n == 1 {
                written.path.clone()
            } else {
                format!("{stem}_{n}.yml")
            };
            let existing = self.files.get(&path).and_then(|b| b.text());
            if let Some(text) = modelplay_engine::run::add_to_file(existing, &written.yaml) {
                return Response::UnitTestWritten {
                    name: written.name,
                    model: written.model,
                    path,
                    text,
                };
            }
        }
        failed(
            "write a unit test",
            "no file beside the model could take it",
        )
    }

    async fn compare_with(&mut self, files: &Files, label: &str, now: NaiveDateTime) -> Response {
        let Some(engine) = self.engine.as_ref() else {
            return failed("compare", "build the project first");
        };
        let mut other = match fresh_engine(files, now) {
            Ok(e) => e,
            Err(diags) => {
                let first = diags.first().map(ToString::to_string).unwrap_or_default();
                return failed("compare", format!("{label} does not load: {first}"));
            }
        };
        let results = match other.build_for_comparison(&[]).await {
            Ok(r) => r,
            Err(diags) => {
                let first = diags.first().map(ToString::to_string).unwrap_or_default();
                return failed("compare", format!("{label} does not build: {first}"));
            }
        };
        let ids: Vec<String> = engine
            .project()
            .nodes
            .keys()
            .chain(other.project().nodes.keys())
            .cloned()
            .collect();
        let base = other.built_tables(&ids, Some(&results)).await;
        let mut current = engine.built_tables(&ids, None).await;
        current.set_statuses(self.statuses.clone());
        let all: Vec<String> = engine.project().nodes.keys().cloned().collect();
        let found = engine.compare_tables(&all, None, &base, &current);
        let report = changes_report(&found, label, CHANGED_ROWS);
        self.changes = Some(found);
        Response::Changes(Box::new(report))
    }

    fn changed_rows(&self, unique_id: &str, offset: usize, limit: usize) -> Response {
        let Some(model) = self
            .changes
            .as_ref()
            .and_then(|c| c.models.iter().find(|m| m.unique_id == unique_id))
        else {
            return failed("show more changes", "compare again first");
        };
        Response::ChangedRows {
            unique_id: unique_id.to_string(),
            offset,
            rows: changed_rows(model, offset, limit),
        }
    }

    /// `Request::AddData`, with the file it names.
    pub fn add_data<F: parquet::file::reader::ChunkReader + 'static>(
        &mut self,
        spec: &modelplay_protocol::AddData,
        file: F,
        post: &mut dyn FnMut(Response),
    ) {
        if spec.preview {
            return post(Response::DataPreview(self.preview_data(spec, file)));
        }
        let mut answer = add_data::add_data(spec, file, post);
        // A load that does not fit its table is refused here, before the page keeps it.
        if let Response::DataAdded { path, body, .. } = &answer
            && let Some(why) = modelplay_engine::data::loads::load_misfit(
                self.files.iter().map(|(p, b)| (p.as_str(), b.bytes())),
                path,
                body.bytes(),
            )
        {
            answer = failed("add the data", format!("{}: {why}", spec.name));
        }
        post(answer);
    }

    /// What adding the file as `spec` says would do: its first rows are read, and checked
    /// as the whole file would be.
    fn preview_data<F: parquet::file::reader::ChunkReader + 'static>(
        &self,
        spec: &modelplay_protocol::AddData,
        file: F,
    ) -> modelplay_protocol::DataPreview {
        const ROWS_LOOKED_AT: usize = 5;
        let mut preview = modelplay_protocol::DataPreview {
            name: spec.name.clone(),
            target: spec.target.clone(),
            columns: Vec::new(),
            refused: None,
        };
        let head = modelplay_protocol::AddData {
            keep: modelplay_protocol::KeepRows::First(ROWS_LOOKED_AT),
            preview: false,
            ..spec.clone()
        };
        match add_data::add_data(&head, file, &mut |_| {}) {
            Response::DataAdded { path, body, .. } => {
                match modelplay_engine::data::loads::load_columns(&path, body.bytes()) {
                    Ok(columns) => preview.columns = columns,
                    Err(why) => preview.refused = Some(why),
                }
                preview.refused = preview
                    .refused
                    .or(modelplay_engine::data::loads::load_misfit(
                        self.files.iter().map(|(p, b)| (p.as_str(), b.bytes())),
                        &path,
                        body.bytes(),
                    ));
            }
            Response::Failed { message, .. } => preview.refused = Some(message),
            _ => {}
        }
        preview
    }

    /// Checks the workspace with the checking engine, which plans only what the edits since
    /// the last check can have changed.
    async fn check(&mut self, now: NaiveDateTime, clock: &dyn Fn() -> f64) -> Response {
        let started = clock();
        let loaded = load_project(project_files(&self.files), &LoadOptions::default());
        let engine = loaded.and_then(|loaded| match self.checker.take() {
            Some(mut engine) => engine.reload(loaded).map(|_| engine),
            None => Engine::new(loaded, now),
        });
        let (problems, lineage, columns) = match engine {
            Ok(engine) => {
                let report = engine.check().await;
                let found = (
                    report.diagnostics.iter().map(problem).collect(),
                    lineage(&report),
                    column_types(&report),
                );
                self.checker = Some(engine);
                found
            }
            Err(diags) => (
                diags.iter().map(problem).collect(),
                Default::default(),
                Default::default(),
            ),
        };
        Response::Checked {
            problems,
            lineage,
            columns,
            elapsed_ms: (clock() - started) * 1000.0,
        }
    }

    async fn build(
        &mut self,
        files: &Files,
        select: Vec<String>,
        reuse: bool,
        now: NaiveDateTime,
        clock: &dyn Fn() -> f64,
        post: &mut dyn FnMut(Response),
    ) {
        let started = clock();
        // A project that does not load builds nothing and takes nothing away: the engine
        // keeps the tables of the last build, so that the run after the fix reuses them.
        let loaded = match load_project(project_files(files), &LoadOptions::default()) {
            Ok(l) => l,
            Err(diags) => {
                return not_built(&diags, None, (clock() - started) * 1000.0, post);
            }
        };
        let nodes = node_infos(&loaded.project);
        let units = unit_test_infos(&loaded.project);
        // A re-run is compared with what it replaces: the tables it is about to rebuild, as
        // the last build left them.
        let mut baseline = None;
        if let (true, Some(old)) = (reuse, self.engine.as_ref()) {
            let mut request = RunRequest::new(Verb::Build);
            request.select = select.clone();
            if let Ok(ids) = old.plan(&request) {
                let mut tables = old.built_tables(&ids, None).await;
                tables.set_statuses(self.statuses.clone());
                baseline = Some(tables);
            }
        }
        let reloaded = match (reuse, self.engine.as_mut()) {
            (true, Some(engine)) => engine.reload(loaded),
            _ => Engine::new(loaded, now).map(|e| {
                self.engine = Some(e);
                0
            }),
        };
        let reused = match reloaded {
            Ok(kept) => kept,
            Err(diags) => {
                self.engine = None;
                return not_built(&diags, Some(nodes), (clock() - started) * 1000.0, post);
            }
        };
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let mut load_problems: Vec<_> = engine.warnings().iter().map(problem).collect();
        post(Response::Project {
            nodes,
            problems: load_problems.clone(),
            unit_tests: units,
        });
        let mut request = RunRequest::new(Verb::Build);
        request.select = select;
        let planned = match engine.plan(&request) {
            Ok(unique_ids) => {
                post(Response::Planned {
                    unique_ids: unique_ids.clone(),
                });
                unique_ids
            }
            Err(message) => {
                post(failed("build", message));
                return;
            }
        };
        let mut node_started = started;
        let mut on_event = |event: Event<'_>| match event {
            Event::Started { node, .. } => {
                node_started = clock();
                post(Response::NodeStarted {
                    unique_id: node.unique_id.clone(),
                    name: node.name.clone(),
                });
            }
            Event::Finished { result, .. } => {
                let elapsed_ms = (clock() - node_started) * 1000.0;
                post(Response::NodeFinished {
                    outcome: Box::new(outcome(result, elapsed_ms, FAILING_ROWS)),
                });
            }
        };
        let results = engine.run(&request, &mut on_event).await;
        let results = match results {
            Ok(r) => r,
            Err(diags) => {
                let lines: Vec<String> = diags.iter().map(ToString::to_string).collect();
                post(failed("build", lines.join("\n")));
                return;
            }
        };
        let summary = results.summary();
        if let Some(report) = engine.last_check() {
            load_problems.extend(report.diagnostics.iter().map(problem));
        }
        load_problems.extend(engine.warnings().iter().map(problem));
        load_problems.extend(results.hook_errors.iter().map(problem));
        load_problems.dedup();
        post(Response::BuildDone(Box::new(BuildSummary {
            pass: summary.pass,
            warn: summary.warn,
            error: summary.error,
            skip: summary.skip,
            total: summary.total,
            elapsed_ms: (clock() - started) * 1000.0,
            reused,
            problems: load_problems,
            lineage: engine.last_check().map(lineage).unwrap_or_default(),
            columns: engine.last_check().map(column_types).unwrap_or_default(),
        })));
        if !reuse {
            self.statuses.clear();
        }
        self.statuses.extend(
            results
                .results
                .iter()
                .map(|r| (r.unique_id.clone(), r.status)),
        );
        if let Some(base) = baseline {
            let mut current = engine.built_tables(&planned, None).await;
            current.set_statuses(self.statuses.clone());
            let found = engine.compare_tables(&planned, None, &base, &current);
            post(Response::Changes(Box::new(changes_report(
                &found,
                "the last build",
                CHANGED_ROWS,
            ))));
            self.changes = Some(found);
        }
    }

    /// The engine and the relation of a node the last build built, or why there is none.
    fn built_relation(
        &self,
        unique_id: &str,
    ) -> Result<(&Engine, modelplay_engine::Relation), String> {
        let Some(engine) = self.engine.as_ref() else {
            return Err("build the project first".into());
        };
        let Some(node) = engine.project().nodes.get(unique_id) else {
            return Err(format!("no node `{unique_id}` in the project"));
        };
        if node.kind.is_test() || !engine.is_built(unique_id) {
            return Err(format!(
                "`{}` has not been built; build it first",
                node.name
            ));
        }
        Ok((engine, node.relation.clone()))
    }

    async fn rows(
        &self,
        unique_id: &str,
        limit: usize,
        sort: Option<modelplay_protocol::SortBy>,
    ) -> Response {
        let (engine, relation) = match self.built_relation(unique_id) {
            Ok(built) => built,
            Err(why) => return failed("show rows", why),
        };
        let batches = match &sort {
            None => engine.preview(&relation, limit).await,
            Some(by) => {
                engine
                    .preview_sorted(&relation, &by.column, by.ascending, limit)
                    .await
            }
        };
        let batches: Vec<RecordBatch> = match batches {
            Ok(b) => b,
            Err(e) => return failed("show rows", e),
        };
        let total = match engine.relation_rows_count(&relation).await {
            Ok(n) => n,
            Err(e) => return failed("show rows", e),
        };
        Response::Rows {
            unique_id: unique_id.to_string(),
            table: table(&batches, usize::MAX, total),
            sort,
        }
    }

    /// Each column of a built node profiled over every row, each value as the grid prints it.
    async fn profile(&self, unique_id: &str) -> Response {
        let (engine, relation) = match self.built_relation(unique_id) {
            Ok(built) => built,
            Err(why) => return failed("profile the columns", why),
        };
        let Some(schema) = engine.relation_schema(&relation) else {
            return failed("profile the columns", format!("`{relation}` is not built"));
        };
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut columns = Vec::with_capacity(names.len());
        for name in &names {
            let values = match engine.column_values(&relation, name).await {
                Ok(batches) => table(&batches, usize::MAX, 0),
                Err(e) => return failed("profile the columns", e),
            };
            columns.push(modelplay_protocol::profile::profile(
                values.rows.iter().filter_map(|r| r.first()),
            ));
        }
        Response::Profile {
            unique_id: unique_id.to_string(),
            columns,
        }
    }
}

fn open_zip(bytes: &[u8]) -> Response {
    match modelplay_engine::share::from_zip(bytes) {
        Ok(files) => Response::Opened {
            files: page_files(&files),
        },
        Err(e) => failed("open the archive", e),
    }
}

/// Answers a build whose project could not be loaded: its nodes when known (when not, the
/// page keeps those it has), the problems, and a summary that counts each problem as an
/// error.
fn not_built(
    diags: &[Diagnostic],
    nodes: Option<Vec<modelplay_protocol::NodeInfo>>,
    elapsed_ms: f64,
    post: &mut dyn FnMut(Response),
) {
    let problems: Vec<_> = diags.iter().map(problem).collect();
    if let Some(nodes) = nodes {
        post(Response::Project {
            nodes,
            problems: problems.clone(),
            unit_tests: Vec::new(),
        });
    }
    post(Response::BuildDone(Box::new(BuildSummary {
        error: problems.len(),
        total: 0,
        pass: 0,
        warn: 0,
        skip: 0,
        elapsed_ms,
        reused: 0,
        problems,
        lineage: Default::default(),
        columns: Default::default(),
    })));
}

pub(crate) fn failed(what: &str, message: impl std::fmt::Display) -> Response {
    Response::Failed {
        what: what.to_string(),
        message: message.to_string(),
    }
}

/// An engine of its own for `files`, for requests that must not disturb the build's.
fn fresh_engine(files: &Files, now: NaiveDateTime) -> Result<Engine, Vec<Diagnostic>> {
    load_project(project_files(files), &LoadOptions::default()).and_then(|l| Engine::new(l, now))
}

async fn export(files: &Files, now: NaiveDateTime) -> Response {
    let engine = match fresh_engine(files, now) {
        Ok(e) => e,
        Err(diags) => return export_refused(&diags),
    };
    match modelplay_engine::export::export(&engine, &Default::default()).await {
        Ok(export) => {
            let problems = export
                .problems
                .iter()
                .chain(&export.warnings)
                .map(problem)
                .collect();
            let exported = export.files;
            let as_files: ProjectFiles = exported
                .iter()
                .map(|f| (f.path.clone(), f.contents.as_bytes().to_vec()))
                .collect();
            let zip = match modelplay_engine::share::to_zip(&as_files, "redshift") {
                Ok(z) => z,
                Err(e) => return failed("export", e),
            };
            Response::Exported {
                files: exported.into_iter().map(|f| (f.path, f.contents)).collect(),
                zip,
                problems,
            }
        }
        Err(diags) => export_refused(&diags),
    }
}

fn export_refused(diags: &[Diagnostic]) -> Response {
    Response::Exported {
        files: Vec::new(),
        zip: Vec::new(),
        problems: diags.iter().map(problem).collect(),
    }
}
